"""Every write to account teams goes through here: pages, API, the demo and the generators. The rules (seeds 001, 002,
004): a member has a catalogue role, 0–100 % of their time, and ends on or after they start; an account has one key
account manager at a time; a handover ends one manager's membership and starts the next one's, with a note."""

import datetime as dt

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from kam.accounts.models import Account, AccountTeamMember
from kam.core.services import lock_for_update
from kam.teams.models import (
    KEY_ACCOUNT_MANAGER,
    Handover,
    PersonCapacity,
    ProgrammeSettings,
    ServiceModel,
    ServiceModelRole,
)
from kam.teams.roles import require_role


def _overlaps(queryset, start: dt.date, end: dt.date | None):
    """Memberships whose [start, end] meets [start, end] (an open end runs for ever)."""
    condition = Q(end_date__isnull=True) | Q(end_date__gte=start)
    if end is not None:
        condition &= Q(start_date__lte=end)
    return queryset.filter(condition)


def _check_member(member: AccountTeamMember):
    errors = {}
    try:
        require_role(member.team_role)
    except ValidationError as error:
        errors.update(error.message_dict)
    if member.allocation_percent is None or not 0 <= member.allocation_percent <= 100:
        errors["allocation_percent"] = (
            f"Allocation is a share of one person's time: 0 to 100 % (not {member.allocation_percent})."
        )
    if member.start_date is None:
        errors["start_date"] = "Give the date the member joins the team."
    elif member.end_date is not None and member.end_date < member.start_date:
        errors["end_date"] = f"The end ({member.end_date:%Y-%m-%d}) is before the start ({member.start_date:%Y-%m-%d})."
    # Only a new membership needs an active person: ending or handing over a departed (deactivated) one must work.
    if (
        member.pk is None
        and member.user_id is not None
        and not get_user_model().objects.filter(pk=member.user_id, is_active=True).exists()
    ):
        errors["user"] = "This person's account is deactivated: choose an active user."
    if errors:
        raise ValidationError(errors)
    others = AccountTeamMember.objects.filter(account_id=member.account_id).exclude(pk=member.pk)
    same_person = _overlaps(others.filter(user_id=member.user_id), member.start_date, member.end_date)
    if same_person.exists():
        raise ValidationError({"user": f"{member.user} is already on this team for these dates."})
    if member.team_role == KEY_ACCOUNT_MANAGER:
        current = _overlaps(others.filter(team_role=KEY_ACCOUNT_MANAGER), member.start_date, member.end_date).first()
        if current is not None:
            raise ValidationError(
                {
                    "team_role": f"{member.account} already has a key account manager for these dates "
                    f"({current.user}). An account has one at a time: hand it over instead."
                }
            )


def _save(member: AccountTeamMember) -> AccountTeamMember:
    _check_member(member)
    try:
        with transaction.atomic():
            member.save()
    except IntegrityError:  # a concurrent write won the race for the same rule
        raise ValidationError("Someone changed this team at the same moment: reload the page and try again.") from None
    return member


@transaction.atomic
def add_member(
    account: Account,
    user,
    team_role: str,
    allocation_percent: int = 100,
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
) -> AccountTeamMember:
    Account.objects.select_for_update().filter(pk=account.pk).first()  # one team change at a time per account
    member = AccountTeamMember(
        account=account,
        user=user,
        team_role=team_role,
        allocation_percent=allocation_percent,
        start_date=start_date or timezone.localdate(),
        end_date=end_date,
    )
    return _save(member)


@transaction.atomic
def update_member(member: AccountTeamMember, data: dict, expected_version: int | None = None) -> AccountTeamMember:
    Account.objects.select_for_update().filter(pk=member.account_id).first()
    member = lock_for_update(member, expected_version)
    for name in ("team_role", "allocation_percent", "start_date", "end_date"):
        if name in data:
            setattr(member, name, data[name])
    return _save(member)


@transaction.atomic
def end_member(member: AccountTeamMember, end_date: dt.date | None = None) -> AccountTeamMember:
    """The member leaves the team: the membership ends (kept as history) and with it their access. `end_date` is
    their last day on the team; without one they leave now: the membership ends yesterday, so their access goes at
    once (the end date counts as a day on the team). One that only starts today or later never took effect and is
    removed, as in a handover (the audit trail keeps it)."""
    today = timezone.localdate()
    member = lock_for_update(member, None)
    last_day = end_date or today - dt.timedelta(days=1)
    if member.end_date is not None and member.end_date <= last_day:
        raise ValidationError(f"{member.user} left this team on {member.end_date:%Y-%m-%d} already.")
    if end_date is None:
        _leave_before(member, today)
        return member
    member.end_date = max(end_date, member.start_date)
    return _save(member)


def current_manager(account: Account, day: dt.date | None = None) -> AccountTeamMember | None:
    return (
        AccountTeamMember.objects.filter(
            AccountTeamMember.active_q(day), account=account, team_role=KEY_ACCOUNT_MANAGER
        )
        .select_related("user")
        .first()
    )


def managers_by_account(accounts) -> dict[int, object]:
    """{account id: its key account manager}: the account's own, else the nearest parent's (a subsidiary is served
    by its group's team). One query for all the accounts."""
    accounts = list(accounts)
    wanted = {pk for account in accounts for pk in (account.pk, *account.ancestor_ids())}
    members = (
        AccountTeamMember.objects.filter(
            AccountTeamMember.active_q(), account_id__in=wanted, team_role=KEY_ACCOUNT_MANAGER
        )
        .select_related("user")
        .order_by("start_date", "pk")
    )
    by_account = {member.account_id: member.user for member in members}
    result = {}
    for account in accounts:
        for pk in (account.pk, *reversed(account.ancestor_ids())):
            if pk in by_account:
                result[account.pk] = by_account[pk]
                break
    return result


@transaction.atomic
def hand_over(account: Account, to_user, note: str, by, on: dt.date | None = None) -> Handover:
    """The key account passes to `to_user`: the current manager's membership ends the day before `on`, the new
    one starts on `on` (taking over as owner), and the handover note is kept. The new manager inherits the account's
    relationships and open work because those belong to the account, not to a person."""
    on = on or timezone.localdate()
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": "Write the handover note: relationships, open work, commitments."})
    account = Account.objects.select_for_update().get(pk=account.pk)
    current = current_manager(account, on)
    if current is not None and current.user_id == to_user.pk:
        raise ValidationError({"to_user": f"{to_user} is the key account manager of {account} already."})
    allocation = current.allocation_percent if current is not None else 20
    previous_user = current.user if current is not None else None
    if current is not None:
        _leave_before(current, on)
    existing = AccountTeamMember.objects.filter(AccountTeamMember.active_q(on), account=account, user=to_user).first()
    if existing is not None:  # on the team in another role already: that role ends, the manager's begins
        allocation = max(allocation, existing.allocation_percent)
        _leave_before(existing, on)
    _save(
        AccountTeamMember(
            account=account, user=to_user, team_role=KEY_ACCOUNT_MANAGER, allocation_percent=allocation, start_date=on
        )
    )
    if account.owner_id != to_user.pk:
        account.owner = to_user
        account.save()
    return Handover.objects.create(
        account=account,
        from_user=previous_user,
        to_user=to_user,
        handed_over_on=on,
        note=note,
        by=by,
    )


def _leave_before(member: AccountTeamMember, day: dt.date):
    """The membership ends the day before `day`, so that from `day` on the person no longer has it (nor, through it,
    access). One that only started on `day` never took effect: it is removed (the audit trail keeps it)."""
    if member.start_date >= day:
        member.delete()
    else:
        member.end_date = day - dt.timedelta(days=1)
        _save(member)


def hand_over_all(from_user, to_user, note: str, by, on: dt.date | None = None) -> list[Handover]:
    """Every account `from_user` manages passes to `to_user` (a person leaves): a handover per account, all or none."""
    if from_user.pk == to_user.pk:
        raise ValidationError({"to_user": "Choose someone else to take the accounts over."})
    on = on or timezone.localdate()
    with transaction.atomic():
        accounts = Account.objects.filter(
            team_members__in=AccountTeamMember.objects.filter(
                AccountTeamMember.active_q(on), user=from_user, team_role=KEY_ACCOUNT_MANAGER
            )
        ).order_by("name")
        return [hand_over(account, to_user, note, by, on) for account in accounts]


@transaction.atomic
def set_team_charter(account: Account, text: str, expected_version: int | None = None) -> Account:
    account = lock_for_update(account, expected_version)
    account.team_charter = (text or "").strip()
    account.save()
    return account


# The programme's rules ------------------------------------------------------------------------------------------


@transaction.atomic
def update_settings(data: dict) -> ProgrammeSettings:
    current = ProgrammeSettings.objects.select_for_update().order_by("pk").first() or ProgrammeSettings()
    for name, value in data.items():
        setattr(current, name, value)
    if current.accounts_per_manager_warning > current.accounts_per_manager_limit:
        raise ValidationError({"accounts_per_manager_warning": "The warning must come at or before the limit."})
    current.full_clean()
    current.save()
    return current


@transaction.atomic
def save_service_model(model: ServiceModel, data: dict, roles: list[dict]) -> ServiceModel:
    """The segment's service and its role rules, replaced as a whole.

    `roles`: [{role, min_members, expected_allocation_percent}]."""
    for name, value in data.items():
        setattr(model, name, value)
    model.full_clean()
    model.save()
    seen = set()
    for rule in roles:
        if rule["role"].pk in seen:
            raise ValidationError({"roles": f"{rule['role']} is listed twice: keep one rule per role."})
        seen.add(rule["role"].pk)
    model.roles.exclude(role__in=[r["role"] for r in roles]).delete()
    for rule in roles:
        existing = model.roles.filter(role=rule["role"]).first() or ServiceModelRole(service_model=model)
        existing.role = rule["role"]
        existing.min_members = rule.get("min_members", 1)
        existing.expected_allocation_percent = rule.get("expected_allocation_percent", 0)
        existing.full_clean()
        existing.save()
    return model


@transaction.atomic
def set_capacity(user, accounts_limit: int | None, note: str = "") -> PersonCapacity | None:
    """The person's own limit of key accounts; None returns them to the programme's limit."""
    current = PersonCapacity.objects.select_for_update().filter(user=user).first()
    if accounts_limit is None:
        if current is not None:
            current.delete()
        return None
    current = current or PersonCapacity(user=user)
    current.accounts_limit, current.note = accounts_limit, (note or "").strip()
    current.full_clean()
    current.save()
    return current
