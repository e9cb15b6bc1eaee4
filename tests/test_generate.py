"""`kam generate`: a deterministic large tenant written in bulk — right hierarchy, teams, rates for every currency and
month it uses, one audit summary — that refuses a database that already holds accounts unless told otherwise."""

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Count

from kam.accounts import services
from kam.accounts.choices import TeamRole
from kam.accounts.figures import subtree_figures
from kam.accounts.models import Account, AccountTeamMember, FinancialFact, FxRate, WalletEstimate
from kam.audit.models import ObjectChange
from kam.core.generate import GenerateRefused, generate
from kam.users.models import User

SCALE = 0.01  # 2,000 customers, 20 key accounts, 48,000 fact rows

pytestmark = pytest.mark.django_db


def snapshot():
    return {
        "accounts": list(
            Account.objects.order_by("pk").values_list(
                "pk", "account_number", "name", "parent_id", "tree_path", "depth", "currency", "status", "owner_id"
            )
        ),
        "facts": list(
            FinancialFact.objects.order_by("account_id", "month").values_list(
                "account_id", "month", "product_line", "currency", "revenue", "gross_profit"
            )
        ),
        "teams": sorted(AccountTeamMember.objects.values_list("account_id", "user_id", "team_role")),
        "wallets": sorted(WalletEstimate.objects.values_list("account_id", "year", "currency", "amount")),
        "rates": sorted(FxRate.objects.values_list("month", "currency", "rate_per_eur")),
        "users": list(User.objects.order_by("pk").values_list("pk", "email", "role")),
    }


class Undo(Exception):
    pass


def test_the_same_seed_gives_the_same_tenant_and_another_seed_another():
    try:
        with transaction.atomic():
            generate(scale=SCALE, seed=11)
            first = snapshot()
            raise Undo
    except Undo:
        pass
    try:
        with transaction.atomic():
            generate(scale=SCALE, seed=12)
            other = snapshot()
            raise Undo
    except Undo:
        pass

    generate(scale=SCALE, seed=11)

    assert snapshot() == first
    assert other["facts"] != first["facts"] and other["accounts"] != first["accounts"]


def test_a_scale_gives_its_share_of_customers_key_accounts_and_months():
    ctx = generate(scale=SCALE)

    assert Account.objects.count() == 2_000 and Account.objects.filter(is_key_account=True).count() == 20
    assert FinancialFact.objects.count() == 2_000 * 24
    assert set(
        FinancialFact.objects.values_list("account_id", flat=True).annotate(n=Count("id")).values_list("n", flat=True)
    ) == {24}
    assert ctx.counts["financial facts"] == 2_000 * 24
    assert Account.objects.filter(depth=2).exists()  # global accounts have subsidiaries and plants


def test_tree_paths_and_depths_follow_the_parents():
    generate(scale=SCALE)

    accounts = {a.pk: a for a in Account.objects.all()}
    for account in accounts.values():
        parent = accounts.get(account.parent_id)
        assert account.tree_path == (parent.tree_path if parent else "/") + f"{account.pk}/"
        assert account.depth == (parent.depth + 1 if parent else 0)
    key = Account.objects.filter(is_key_account=True).annotate(n=Count("children")).order_by("-n").first()
    assert key.subtree().count() > 1 and all(a.is_top_level for a in Account.objects.filter(is_key_account=True))


def test_key_accounts_have_teams_and_each_manager_carries_five_to_ten():
    generate(scale=SCALE)

    loads = (
        AccountTeamMember.objects.filter(team_role=TeamRole.KEY_ACCOUNT_MANAGER)
        .values("user")
        .annotate(n=Count("account"))
    )
    assert loads and all(5 <= row["n"] <= 10 for row in loads)
    for account in Account.objects.filter(is_key_account=True):
        roles = set(account.team_members.values_list("team_role", flat=True))
        assert {TeamRole.KEY_ACCOUNT_MANAGER, TeamRole.EXECUTIVE_SPONSOR} <= roles
        assert account.owner_id == account.team_members.get(team_role=TeamRole.KEY_ACCOUNT_MANAGER).user_id
    # a manager sees their key accounts and the subsidiaries below them
    manager = User.objects.get(pk=loads[0]["user"])
    visible = Account.objects.visible_to(manager)
    assert visible.filter(is_key_account=True).count() == loads[0]["n"] and visible.filter(depth__gt=0).exists()


def test_every_currency_and_month_in_use_has_a_rate_and_the_figures_add_up():
    generate(scale=SCALE)

    rates = set(FxRate.objects.values_list("currency", "month"))
    used = set(FinancialFact.objects.exclude(currency="EUR").values_list("currency", "month").distinct())
    assert used and used <= rates
    wallet_currencies = set(WalletEstimate.objects.exclude(currency="EUR").values_list("currency", flat=True))
    assert wallet_currencies <= {c for c, _ in rates}
    for key in Account.objects.filter(is_key_account=True)[:5]:
        figures = subtree_figures(key)
        assert figures.missing_rate is None and figures.revenue_t12m > 0
        assert 0 < figures.share_of_wallet_percent < 100


def test_one_audit_record_summarises_the_run_and_sequences_continue_after_it():
    generate(scale=SCALE)

    change = ObjectChange.objects.get()
    assert change.after["generated"] is True and change.after["counts"]["accounts"] == 2_000
    assert change.action == "create" and change.account_id is None
    top = Account.objects.order_by("-pk").first().pk
    account = services.create_account(name="Made by hand", account_number="HAND-1")  # the ids continue
    assert account.pk > top
    assert ObjectChange.objects.count() == 2


def test_a_database_with_accounts_is_refused_unless_adding_is_asked_for():
    services.create_account(name="Existing", account_number="EX-1")

    with pytest.raises(GenerateRefused, match="--allow-existing"):
        generate(scale=SCALE)
    with pytest.raises(CommandError, match="already holds data"):
        call_command("generate", "--scale", str(SCALE))
    assert Account.objects.count() == 1

    call_command("generate", "--scale", "0.001", "--allow-existing", "--prefix", "ADD")
    assert Account.objects.filter(account_number__startswith="ADD-").count() == 200
    with pytest.raises(CommandError, match="another --prefix"):
        call_command("generate", "--scale", "0.001", "--allow-existing", "--prefix", "ADD")
    assert Account.objects.count() == 201
