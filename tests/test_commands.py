import pytest
from django.core.management import CommandError, call_command

from kam.accounts.models import Account, FinancialFact, FxRate
from kam.audit.models import ObjectChange


def test_kam_import_applies_a_file_and_reports_bad_rows(tmp_path, db, capsys):
    good = tmp_path / "accounts.csv"
    good.write_text("account_number,name,currency\nC-1,One,EUR\nC-2,Two,USD\n", encoding="utf-8")
    call_command("import", "accounts", str(good), "--dry-run")
    assert Account.objects.count() == 0
    call_command("import", "accounts", str(good))
    assert set(Account.objects.values_list("account_number", flat=True)) == {"C-1", "C-2"}
    assert set(ObjectChange.objects.values_list("source", flat=True)) == {"cli"}
    bad = tmp_path / "fx.csv"
    bad.write_text("month,currency,rate_per_eur\n2026-01,USD,1.1\n2026-13,USD,1.2\n", encoding="utf-8")
    with pytest.raises(CommandError, match="Nothing was written"):
        call_command("import", "fx", str(bad))
    assert "row 3, column month" in capsys.readouterr().err
    assert FxRate.objects.count() == 0


def test_demo_data_is_deterministic_and_idempotent(db):
    import datetime as dt

    from kam.accounts import demo

    assert demo.generate(customers=120, months=13, as_of=dt.date(2026, 10, 1)) is True
    counts = (Account.objects.count(), FinancialFact.objects.count(), ObjectChange.objects.count())
    assert demo.generate(customers=120, months=13, as_of=dt.date(2026, 10, 1)) is False
    assert (Account.objects.count(), FinancialFact.objects.count(), ObjectChange.objects.count()) == counts
    assert Account.objects.filter(depth=2).exists()  # global accounts have subsidiaries and plants
    kam = Account.objects.visible_to(demo.get_user_model().objects.get(email="kam1@example.com"))
    assert 0 < kam.filter(parent__isnull=True).count() <= 10  # a manager carries 5–10 key accounts
    from kam.accounts.figures import subtree_figures

    group = Account.objects.get(account_number=demo.MARKER)
    figures = subtree_figures(group)
    assert figures.missing_rate is None and figures.revenue_t12m > 0 and figures.share_of_wallet_percent < 100


def test_kam_console_script_wraps_manage(capsys):
    from kam.cli import main

    main(["kam", "--help"])
    assert "kam serve" in capsys.readouterr().out
