"""The charter pages: the account's Charter tab, create, edit (every save a version), sign-off, versions, compare,
the list and the programme template."""

import pytest
from django.urls import reverse

from kam.charters import services
from kam.charters.models import Charter, CharterTemplate
from kam.core.roles import Role
from tests import factories
from tests.charters.conftest import days_ago, today

HOSTILE = '<script>alert(1)</script>{{ request }} # $x$ \\ "q"'


def tab(account):
    return reverse("accounts:account", args=[account.pk]) + "?tab=charter"


def edit_form(charter, **changes):
    """What the edit page posts: every field as it is, with `changes`."""
    data = {
        "version": charter.version,
        "client_goals": charter.client_goals,
        "kpis": "",
        "meeting_cadence": charter.meeting_cadence,
        "communication_preferences": charter.communication_preferences,
        "other_tools": charter.other_tools,
        "client_responsibilities": charter.client_responsibilities,
        "note": "",
        **{f"section_{s['key']}": s["body"] for s in charter.sections},
    }
    data.update(changes)
    return data


def test_an_account_without_charter_offers_to_create_one(login, users, portfolio):
    page = login(users.kam).get(tab(portfolio.own)).content.decode()
    assert "No charter yet — create one from the programme template" in page
    assert reverse("charters:create", args=[portfolio.own.pk]) in page
    viewer_page = login(users.viewer).get(tab(portfolio.own)).content.decode()
    assert "No charter yet" in viewer_page and reverse("charters:create", args=[portfolio.own.pk]) not in viewer_page


def test_creating_the_charter_from_the_tab(login, users, portfolio):
    client = login(users.kam)
    confirm = client.get(reverse("charters:create", args=[portfolio.own.pk])).content.decode()
    assert "Create the charter of Own Group" in confirm and "<li>Service level agreements</li>" in confirm
    response = client.post(reverse("charters:create", args=[portfolio.own.pk]), follow=True)
    assert response.redirect_chain[-1][0] == tab(portfolio.own)
    page = response.content.decode()
    assert "Charter created from the programme template (version 1)" in page
    charter = Charter.objects.get(account=portfolio.own)
    assert charter.latest_number == 1 and charter.created_by == users.kam
    assert "Version 1, not signed yet." in " ".join(page.split())
    for section in charter.sections:
        assert f"{section['number']}. {section['title']}" in page
    # Once it exists, the create page leads back to it.
    again = client.get(reverse("charters:create", args=[portfolio.own.pk]))
    assert again.status_code == 302 and again["Location"] == tab(portfolio.own)


def test_the_tab_shows_the_commitments_in_section_4(login, users, charter, commitments):
    commitments.first_response(2, "hours")
    page = login(users.viewer).get(tab(charter.account)).content.decode()
    section = page.split('data-testid="charter-section-service_levels"')[1].split("</section>")[0]
    assert "First response within 2 hours of business time" in section and "<table" in section


def test_saving_the_form_makes_the_next_version(login, users, charter):
    client = login(users.kam)
    url = reverse("charters:edit", args=[charter.pk])
    form_page = client.get(url).content.decode()
    assert 'name="section_overview"' in form_page and 'name="collaboration_tools"' in form_page
    assert "Saving makes version 2." in form_page
    response = client.post(
        url,
        edit_form(
            charter,
            client_goals="Cut lead times by half",
            kpis="Lead time | 5 days | monthly report\nNPS | 40",
            collaboration_tools=["slack", "other"],
            other_tools="Miro",
            note="Goals from the kick-off",
        ),
    )
    assert response.status_code == 302 and response["Location"] == tab(charter.account)
    charter.refresh_from_db()
    assert charter.latest_number == 2 and charter.client_goals == "Cut lead times by half"
    assert charter.kpis == [
        {"name": "Lead time", "target": "5 days", "measure": "monthly report"},
        {"name": "NPS", "target": "40", "measure": ""},
    ]
    assert charter.versions.get(number=2).note == "Goals from the kick-off"
    page = client.get(tab(charter.account)).content.decode()
    assert "Saved as version 2." in page and "Lead time" in page and "Miro" in page and "Slack" in page


def test_a_form_without_changes_makes_no_version(login, users, charter):
    client = login(users.kam)
    response = client.post(reverse("charters:edit", args=[charter.pk]), edit_form(charter), follow=True)
    assert "Nothing changed, so no new version was made." in response.content.decode()
    assert charter.versions.count() == 1


def test_a_stale_form_is_refused_and_the_first_save_survives(login, users, charter):
    client = login(users.kam)
    url = reverse("charters:edit", args=[charter.pk])
    first = edit_form(charter, client_goals="First writer")
    second = edit_form(charter, client_goals="Second writer")
    assert client.post(url, first).status_code == 302
    response = client.post(url, second)
    assert response.status_code == 200 and "changed by someone else" in response.content.decode()
    charter.refresh_from_db()
    assert charter.client_goals == "First writer" and charter.latest_number == 2


def test_bad_kpi_lines_are_shown_on_the_field(login, users, charter):
    response = login(users.kam).post(
        reverse("charters:edit", args=[charter.pk]), edit_form(charter, kpis="a | b | c | d")
    )
    assert response.status_code == 200 and "Line 1 has 4 parts" in response.content.decode()
    assert charter.versions.count() == 1


def test_sign_off_then_edit_shows_signed_version_and_draft(login, users, charter):
    client = login(users.kam)
    url = reverse("charters:sign_off", args=[charter.pk])
    future = client.post(
        url, {"client_signatory_name": "Dana Client", "signed_on": "2999-01-01", "version": charter.version}
    )
    assert future.status_code == 200 and "cannot be in the future" in future.content.decode()
    early = client.post(
        url, {"client_signatory_name": "Dana Client", "signed_on": days_ago(3), "version": charter.version}
    )
    assert early.status_code == 200 and "cannot have been signed before that" in early.content.decode()
    response = client.post(
        url,
        {
            "client_signatory_name": "Dana Client",
            "client_signatory_title": "CPO",
            "signed_on": today(),
            "version": charter.version,
        },
        follow=True,
    )
    page = " ".join(response.content.decode().split())
    assert f"Version 1 signed on {today():%Y-%m-%d}" in page
    assert f"Version 1, signed on {today():%Y-%m-%d} by" in page and "Dana Client (CPO)" in page
    assert reverse("charters:sign_off", args=[charter.pk]) not in page  # nothing left to sign
    charter.refresh_from_db()
    client.post(reverse("charters:edit", args=[charter.pk]), edit_form(charter, client_goals="New year, new goals"))
    page = " ".join(client.get(tab(charter.account)).content.decode().split())
    assert f"Signed version 1 ({today():%Y-%m-%d}) — draft 2 in progress." in page
    assert "Superseded" not in page and "Draft in progress" in page


def test_a_key_account_manager_in_a_support_role_cannot_sign_off(login, charter, portfolio):
    colleague = factories.make_user(Role.KEY_ACCOUNT_MANAGER)
    factories.add_member(portfolio.own, colleague, "support")
    client = login(colleague)
    assert client.get(reverse("charters:sign_off", args=[charter.pk])).status_code == 403
    response = client.post(
        reverse("charters:sign_off", args=[charter.pk]),
        {"client_signatory_name": "X", "signed_on": today(), "version": charter.version},
    )
    assert response.status_code == 403 and charter.versions.get().signed_on is None
    assert reverse("charters:sign_off", args=[charter.pk]) not in client.get(tab(portfolio.own)).content.decode()


def test_compare_page_shows_what_changed(login, users, charter):
    charter = services.update_charter(charter, {"sections": {"value": "Only this line now."}}, users.kam)
    page = login(users.viewer).get(reverse("charters:compare", args=[charter.pk]) + "?a=1&b=2").content.decode()
    summary = page.split('data-testid="compare-summary"')[1].split("</div>")[0]
    assert "1 of 10 sections changed" in summary and "6. Value proposition" in summary
    value = page.split('data-testid="diff-value"')[1].split("</section>")[0]
    assert "<ins>Only this line now.</ins>" in value and "<del>" in value
    assert "unchanged" in page.split('data-testid="diff-overview"')[1].split("</section>")[0]


def test_compare_with_one_version_says_so(login, users, charter):
    page = login(users.viewer).get(reverse("charters:compare", args=[charter.pk])).content.decode()
    assert "Choose two different versions" in page


def test_version_page_and_missing_versions(login, users, charter):
    client = login(users.viewer)
    page = client.get(reverse("charters:version", args=[charter.pk, 1])).content.decode()
    assert "Charter of Own Group, version 1" in page and "Draft in progress" in page
    assert client.get(reverse("charters:version", args=[charter.pk, 2])).status_code == 404
    assert client.get(reverse("charters:export_pdf", args=[charter.pk]) + "?version=2").status_code == 404
    assert client.get(reverse("charters:export_pdf", args=[charter.pk]) + "?version=x").status_code == 404


def test_the_list_shows_status_versions_and_exports(login, users, charter, portfolio):
    services.sign_off(charter, users.kam, "Dana Client", today())
    charter.refresh_from_db()
    services.update_charter(charter, {"client_goals": "More"}, users.kam)
    services.create_charter(portfolio.other, users.lead)
    page = login(users.kam).get(reverse("charters:charter_list")).content.decode()
    assert "Own Group" in page and "Other Group" not in page  # scoped
    assert "Draft (v2) after signing" in page
    lead = login(users.lead)
    signed_only = lead.get(reverse("charters:charter_list") + "?signed=true").content.decode()
    assert "Own Group" in signed_only and "Other Group" not in signed_only
    response = lead.get(reverse("charters:charter_list") + "?export=csv&sort=account")
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0] == "Account,Account number,Status,Current version,Signed version,Signed on,Updated"
    assert lines[1].startswith("Other Group,OTH-1,Draft,1,,,")
    assert lines[2].startswith(f"Own Group,OWN-1,Draft,2,1,{today():%Y-%m-%d},")


def test_empty_list_has_a_next_step(login, users):
    page = login(users.viewer).get(reverse("charters:charter_list")).content.decode()
    assert "No charters yet" in page and "Go to the key accounts" in page


def test_the_template_is_edited_by_the_programme_lead(login, users, charter):
    template = CharterTemplate.current()
    data = {"version": template.version}
    for s in template.sections:
        data.update(
            {f"{s['key']}_title": s["title"], f"{s['key']}_body": s["body"], f"{s['key']}_guidance": s["guidance"]}
        )
    data["value_body"] = "Our new **value** text."
    assert login(users.kam).post(reverse("charters:template_edit"), data).status_code == 403
    response = login(users.lead).post(reverse("charters:template_edit"), data, follow=True)
    page = response.content.decode()
    assert "Charter template saved" in page and "Our new <strong>value</strong> text." in page
    assert CharterTemplate.current().section("value")["body"] == "Our new **value** text."
    charter.refresh_from_db()
    assert charter.sections[5]["body"] != "Our new **value** text."
    data["value_title"] = ""
    data["version"] = CharterTemplate.current().version
    invalid = login(users.lead).post(reverse("charters:template_edit"), data)
    assert invalid.status_code == 200 and "This field is required." in invalid.content.decode()


@pytest.mark.parametrize("where", ["tab", "version", "compare", "list", "edit"])
def test_hostile_text_is_inert_on_every_page(login, users, charter, where):
    charter = services.update_charter(
        charter,
        {
            "sections": {"overview": HOSTILE + "\n\n[click](javascript:alert(2))"},
            "client_goals": HOSTILE,
            "kpis": [{"name": HOSTILE, "target": HOSTILE}],
            "other_tools": HOSTILE,
            "collaboration_tools": ["other"],
        },
        users.kam,
    )
    account = charter.account
    account.name = HOSTILE
    account.save()
    url = {
        "tab": tab(account),
        "version": reverse("charters:version", args=[charter.pk, 2]),
        "compare": reverse("charters:compare", args=[charter.pk]),
        "list": reverse("charters:charter_list"),
        "edit": reverse("charters:edit", args=[charter.pk]),
    }[where]
    page = login(users.admin).get(url).content.decode()
    assert "<script>alert(1)" not in page and 'href="javascript' not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "{{ request }}" in page  # shown as typed, never evaluated


def test_the_tab_and_the_list_run_a_fixed_number_of_queries(login, users, charter, portfolio, commitments):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(users.kam)
    urls = [tab(portfolio.own), reverse("charters:charter_list")]

    def counts():
        result = []
        for url in urls:
            client.get(url)  # warm-up: per-process caches are not the page's own cost
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url).status_code == 200
            result.append(len(captured))
        return result

    small = counts()
    for n in range(6):
        charter = services.update_charter(charter, {"client_goals": f"Goal {n}"}, users.kam, note=f"Edit {n}")
        if n % 2:
            services.sign_off(charter, users.lead if n == 3 else users.kam, "Dana Client", today())
            charter.refresh_from_db()
    services.update_charter(charter, {"client_goals": "A draft again"}, users.kam)  # as before: a draft on top
    for n in range(4):
        account = factories.make_account(f"Extra {n}")
        factories.add_member(account, users.kam)
        services.create_charter(account, factories.make_user(Role.PROGRAMME_LEAD))
    assert counts() == small
