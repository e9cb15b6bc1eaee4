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
from kam.core.roles import Role
from kam.selection import services as selection_services
from kam.selection.choices import DesignationKind, DesignationStatus, RatedAttribute, RunStatus
from kam.selection.config import default_criteria
from kam.selection.generate import DEFAULT_MODEL, GROWTH_MODEL
from kam.selection.models import AccountRating, KeyAccountDesignation, ScoringModel, SelectionResult, SelectionRun
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
        "ratings": sorted(AccountRating.objects.values_list("account_id", "attribute", "value", "note", "rated_by_id")),
        "designations": sorted(
            KeyAccountDesignation.objects.values_list("account_id", "reason", "proposed_by_id", "decided_at")
        ),
        "results": list(
            SelectionResult.objects.order_by("rank").values_list("account_id", "rank", "score", "segment", "wallet")
        ),
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
    assert other["ratings"] != first["ratings"] and other["results"] != first["results"]


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

    # The generated rows have none of their own; the scoring models and the run, made through the services as a
    # programme lead makes them, keep theirs (a model's audit trail holds its versions).
    change = ObjectChange.objects.get(after__generated=True)
    assert change.after["generated"] is True and change.after["counts"]["accounts"] == 2_000
    assert change.action == "create" and change.account_id is None
    others = ObjectChange.objects.exclude(pk=change.pk)
    assert {c.content_type.model for c in others} == {"scoringmodel", "selectionrun"} and others.count() == 4
    top = Account.objects.order_by("-pk").first().pk
    account = services.create_account(name="Made by hand", account_number="HAND-1")  # the ids continue
    assert account.pk > top
    assert ObjectChange.objects.count() == 6


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


def test_the_selection_workbench_has_two_models_ratings_designations_and_a_finished_run():
    ctx = generate(scale=SCALE)

    keys = set(Account.objects.filter(is_key_account=True).values_list("pk", flat=True))
    lead = User.objects.get(role=Role.PROGRAMME_LEAD)
    default, growth = ScoringModel.objects.get(name=DEFAULT_MODEL), ScoringModel.objects.get(name=GROWTH_MODEL)
    assert default.criteria == default_criteria()
    assert {c["normalisation"] for c in growth.criteria} == {"min_max", "percentile", "bands"}

    ratings = AccountRating.objects.all()
    assert ratings.count() == len(keys) * 4 == ctx.counts["account ratings"] == 80
    assert set(ratings.values_list("account_id", flat=True)) == keys
    assert set(ratings.values_list("attribute", flat=True)) == set(RatedAttribute.values)
    assert all(1 <= v <= 5 for v in ratings.values_list("value", flat=True))
    assert all(r.rated_by_id == r.account.owner_id for r in ratings.select_related("account"))

    designations = KeyAccountDesignation.objects.all()
    assert designations.count() == len(keys) == ctx.counts["key account designations"] == 20
    assert set(designations.values_list("account_id", flat=True)) == keys
    assert all(
        d.kind == DesignationKind.DESIGNATE and d.status == DesignationStatus.APPROVED and d.reason
        for d in designations
    )
    assert set(designations.values_list("decided_by_id", flat=True)) == {lead.pk}
    assert all(d.decided_at.date() < ctx.as_of and d.created_at < d.decided_at for d in designations)

    run = SelectionRun.objects.get()
    top_level = Account.objects.filter(parent__isnull=True).count()
    assert run.scoring_model == default and run.status == RunStatus.DONE and run.created_by == lead
    assert run.as_of == ctx.as_of and run.population == top_level == ctx.counts["selection results"]
    assert (
        SelectionResult.objects.filter(run=run).count() == top_level and sum(run.segment_counts.values()) == top_level
    )
    assert (
        set(SelectionResult.objects.filter(run=run, was_key_account=True).values_list("account_id", flat=True)) == keys
    )
    assert SelectionResult.objects.filter(run=run, rank=1).get().score > 0

    # The second model runs too: percentiles, bands over the ratings, and no warning that a criterion is empty.
    growth_run = selection_services.execute_run(selection_services.start_run(growth, lead).pk)
    assert growth_run.status == RunStatus.DONE and growth_run.warnings == [] and growth_run.population == top_level
    rated = SelectionResult.objects.filter(run=growth_run, market_leader__isnull=False)
    assert set(rated.values_list("account_id", flat=True)) == keys


def test_a_tenant_added_next_to_another_names_its_scoring_models_after_its_prefix():
    generate(scale=0.001)
    generate(scale=0.001, prefix="TWO", allow_existing=True)

    assert set(ScoringModel.objects.values_list("name", flat=True)) == {
        DEFAULT_MODEL,
        GROWTH_MODEL,
        f"{DEFAULT_MODEL} (TWO)",
        f"{GROWTH_MODEL} (TWO)",
    }
    assert SelectionRun.objects.filter(status=RunStatus.DONE).count() == 2
