"""Every write to accounts goes through here: pages, API, importers, jobs and the demo generator."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr

from kam.accounts.models import Account, AccountTeamMember, in_subtree
from kam.core.services import assign, lock_for_update


def _path_for(account: Account, parent: Account | None) -> str:
    return f"{parent.tree_path if parent else '/'}{account.pk}/"


def _check_parent(account: Account, parent: Account | None):
    if parent is None:
        return
    if account.pk and (parent.pk == account.pk or f"/{account.pk}/" in parent.tree_path):
        raise ValidationError(
            {"parent": f"“{parent}” is {account} itself or one of its subsidiaries: that would make a cycle."}
        )


@transaction.atomic
def create_account(**data) -> Account:
    parent = data.get("parent")
    account = Account(**data)
    account.full_clean(exclude=["tree_path", "depth"])
    account.save()
    # The path needs the new primary key; it is derived data, so it is set without a second audit record.
    account.tree_path = _path_for(account, parent)
    account.depth = parent.depth + 1 if parent else 0
    Account.objects.filter(pk=account.pk).update(tree_path=account.tree_path, depth=account.depth)
    return account


@transaction.atomic
def update_account(account: Account, data: dict, expected_version: int | None = None) -> Account:
    account = lock_for_update(account, expected_version)
    old_parent_id = account.parent_id
    assign(account, data)
    _check_parent(account, account.parent)
    account.full_clean(exclude=["tree_path", "depth"])
    account.save()
    if account.parent_id != old_parent_id:
        move_subtree(account)
    return account


def move_subtree(account: Account):
    """Re-root the account's subtree under its (new) parent: one UPDATE for all descendants."""
    parent = Account.objects.get(pk=account.parent_id) if account.parent_id else None
    old_path = Account.objects.filter(pk=account.pk).values_list("tree_path", flat=True).get()
    new_path = _path_for(account, parent)
    depth_change = (parent.depth + 1 if parent else 0) - account.depth
    Account.objects.filter(in_subtree(old_path)).update(
        tree_path=Concat(Value(new_path), Substr("tree_path", len(old_path) + 1)),
        depth=F("depth") + depth_change,
    )
    account.tree_path, account.depth = new_path, account.depth + depth_change


@transaction.atomic
def delete_account(account: Account, expected_version: int | None = None):
    account = lock_for_update(account, expected_version)
    if account.children.exists():
        raise ValidationError("This account has subsidiaries: move or delete them first.")
    account.delete()


def add_team_member(account: Account, user, team_role: str, allocation_percent: int = 100) -> AccountTeamMember:
    """Put `user` on the account's team (today on), or change their role and allocation if they are on it already.
    The rules live in kam.teams.services."""
    from kam.teams import services as teams

    member = AccountTeamMember.objects.filter(AccountTeamMember.active_q(), account=account, user=user).first()
    if member is None:
        return teams.add_member(account, user, team_role, allocation_percent)
    if (member.team_role, member.allocation_percent) == (team_role, allocation_percent):
        return member
    return teams.update_member(member, {"team_role": team_role, "allocation_percent": allocation_percent})
