from django.urls import reverse

from kam.accounts.models import Account


def test_columns_named_differently_can_be_mapped_by_hand(login, users):
    client = login(users.admin)
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = "Kundennummer,Firma,Währung\nK-1,Müller GmbH,EUR\nK-2,Schmidt AG,CHF\n".encode()
    response = client.post(
        reverse("accounts:import_add"), {"kind": "accounts", "file": SimpleUploadedFile("kunden.csv", data, "text/csv")}
    )
    run_url = response["Location"]
    page = client.get(run_url).content.decode()
    assert "Required column(s) missing" in page and "Map the columns by hand" in page and "Kundennummer" in page
    run_id = int(run_url.rstrip("/").split("/")[-1])
    mapping = reverse("accounts:import_mapping", args=[run_id])
    duplicate = client.post(mapping, {"account_number": "Firma", "name": "Firma", "currency": "Währung"})
    assert duplicate.status_code == 200 and "one field only" in duplicate.content.decode()
    client.post(mapping, {"account_number": "Kundennummer", "name": "Firma", "currency": "Währung"})
    page = client.get(run_url).content.decode()
    assert 'data-testid="created">2<' in page
    client.post(reverse("accounts:import_apply", args=[run_id]))
    assert dict(Account.objects.values_list("account_number", "currency")) == {"K-1": "EUR", "K-2": "CHF"}
