"""The coverage check (does each key account's team meet its segment's service model?) and the workload board
(people × key accounts, weighted by segment). A handful of queries each, whatever the number of accounts."""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from kam.accounts.models import Account, AccountTeamMember
from kam.core.roles import Role
from kam.selection.analysis import latest_done_run
from kam.selection.choices import Segment
from kam.selection.models import SelectionRun
from kam.teams.models import KEY_ACCOUNT_MANAGER, PersonCapacity, ProgrammeSettings, ServiceModel, TeamRoleDefinition

NOT_SEGMENTED = Segment.UNCLASSIFIED  # key accounts without a finished selection run follow this service model


def key_accounts():
    """The key accounts the programme staffs: top-level accounts marked as key accounts."""
    return Account.objects.filter(is_key_account=True, parent__isnull=True)


def latest_segments(account_ids) -> tuple[SelectionRun | None, dict]:
    """{account id: segment} from the latest finished selection run (the one the programme works from)."""
    run = latest_done_run()
    if run is None:
        return None, {}
    return run, dict(run.results.filter(account_id__in=account_ids).values_list("account_id", "segment"))


@dataclass
class CoverageRow:
    account: Account
    segment: str
    segment_name: str
    manager: object | None
    problems: list = field(default_factory=list)

    @property
    def covered(self) -> bool:
        return not self.problems


def coverage(accounts, day=None) -> list[CoverageRow]:
    """Each key account in `accounts` against its segment's service model and the roles every key account needs."""
    day = day or timezone.localdate()
    accounts = list(accounts.order_by("name", "account_number"))
    ids = [a.pk for a in accounts]
    run, segments = latest_segments(ids)
    roles = {r.key: r for r in TeamRoleDefinition.objects.all()}
    models = {m.segment: m for m in ServiceModel.objects.prefetch_related("roles__role")}
    members = defaultdict(list)
    # A deactivated person does not serve the account, whatever their membership says.
    active = AccountTeamMember.objects.filter(AccountTeamMember.active_q(day), user__is_active=True)
    for m in active.filter(account_id__in=ids).select_related("user"):
        members[m.account_id].append(m)
    rows = []
    for account in accounts:
        segment = segments.get(account.pk, NOT_SEGMENTED)
        model = models.get(segment)
        team = members[account.pk]
        count, time = defaultdict(int), defaultdict(int)
        for m in team:
            count[m.team_role] += 1
            time[m.team_role] += m.allocation_percent
        manager = next((m.user for m in team if m.team_role == KEY_ACCOUNT_MANAGER), None)
        problems = []
        if manager is None:
            problems.append("No key account manager.")
        segment_name = run.quadrant_name(segment) if run is not None else "Not segmented yet"
        checked = set()
        for rule in model.roles.all() if model is not None else []:
            key = rule.role.key
            checked.add(key)
            if key == KEY_ACCOUNT_MANAGER and manager is None:
                continue  # said above
            if count[key] < rule.min_members:
                problems.append(
                    f"{rule.role.name}: {count[key]} of the {rule.min_members} the {segment_name} service model needs."
                )
            elif time[key] < rule.expected_allocation_percent:
                problems.append(
                    f"{rule.role.name}: {time[key]} % of time; the {segment_name} service model expects "
                    f"{rule.expected_allocation_percent} %."
                )
        for key, role in roles.items():
            if role.required_per_key_account and key not in checked and not count[key]:
                if key == KEY_ACCOUNT_MANAGER and manager is None:
                    continue
                problems.append(f"{role.name}: missing (required on every key account).")
        rows.append(CoverageRow(account, segment, segment_name, manager, problems))
    return rows


@dataclass
class WorkloadRow:
    user: object
    limit: int  # the person's own limit of key accounts, or the programme's
    key_accounts: int  # as key account manager
    weighted: Decimal  # Σ the segments' workload weights of those accounts
    memberships: int  # active memberships in any role
    allocation: int  # Σ allocation % over the active memberships
    status: str  # "ok", "warning", "over"
    notes: list = field(default_factory=list)


def workload(day=None) -> list[WorkloadRow]:
    """Every person on a team or with the key account manager role: how many key accounts they manage (raw and
    weighted by segment), how much of their time is allocated, and whether that is over the programme's limits."""
    day = day or timezone.localdate()
    rules = ProgrammeSettings.current()
    limits = dict(PersonCapacity.objects.values_list("user_id", "accounts_limit"))
    margin = rules.accounts_per_manager_limit - rules.accounts_per_manager_warning  # the warning comes this much early
    weights = {m.segment: m.workload_weight for m in ServiceModel.objects.all()}
    members = list(
        AccountTeamMember.objects.filter(AccountTeamMember.active_q(day), user__is_active=True).values(
            "user_id", "account_id", "team_role", "allocation_percent", "account__is_key_account", "account__parent_id"
        )
    )
    managed = defaultdict(list)
    count, time = defaultdict(int), defaultdict(int)
    for m in members:
        count[m["user_id"]] += 1
        time[m["user_id"]] += m["allocation_percent"]
        if m["team_role"] == KEY_ACCOUNT_MANAGER and m["account__is_key_account"] and m["account__parent_id"] is None:
            managed[m["user_id"]].append(m["account_id"])
    _, segments = latest_segments([pk for ids in managed.values() for pk in ids])
    people = get_user_model().objects.filter(pk__in=set(count)) | get_user_model().objects.filter(
        role=Role.KEY_ACCOUNT_MANAGER, is_active=True
    )
    rows = []
    for user in people.distinct().order_by("full_name", "email"):
        accounts = managed.get(user.pk, [])
        weighted = sum(
            (weights.get(segments.get(pk, NOT_SEGMENTED), Decimal(1)) for pk in accounts), Decimal(0)
        ).quantize(Decimal("0.01"))
        notes, status = [], "ok"
        limit = limits.get(user.pk, rules.accounts_per_manager_limit)
        warning = max(limit - margin, 0)
        own = " (their own limit)" if user.pk in limits else ""
        if len(accounts) > limit:
            status = "over"
            notes.append(f"Manages {len(accounts)} key accounts; the limit is {limit}{own}.")
        elif len(accounts) > warning:
            status = "warning"
            notes.append(f"Manages {len(accounts)} key accounts; above {warning} is a lot.")
        if time[user.pk] > 100:
            status = "over"
            notes.append(f"{time[user.pk]} % of their time is allocated.")
        rows.append(WorkloadRow(user, limit, len(accounts), weighted, count[user.pk], time[user.pk], status, notes))
    return rows
