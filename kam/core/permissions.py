"""The one place that decides who may do what, and on which objects.

Two questions, always asked in this order:
1. *May this role perform this action on this kind of object at all?*  (`role_allows`) — a "no" is a 403.
2. *Which objects of that kind are in this user's scope?*  (`RestrictedQuerySet.restrict`) — an object outside
   the scope does not exist for the user: 404, so nobody can probe what exists.

Every generic view, API operation, export, search and autocomplete asks both through `restrict()`; nothing
else filters by user.
"""

from django.core.exceptions import PermissionDenied
from django.db import models

from kam.core.roles import Role

VIEW, ADD, CHANGE, DELETE, IMPORT = "view", "add", "change", "delete", "import"
ACTIONS = (VIEW, ADD, CHANGE, DELETE, IMPORT)

# Roles that see every object; the others see what their account-team memberships open to them.
GLOBAL_SCOPE_ROLES = frozenset({Role.ADMIN, Role.PROGRAMME_LEAD})

# Actions each role may perform. Per model a `permission_actions` dict on the model may narrow this further.
ROLE_ACTIONS = {
    Role.ADMIN: frozenset(ACTIONS),
    Role.PROGRAMME_LEAD: frozenset(ACTIONS),
    Role.KEY_ACCOUNT_MANAGER: frozenset({VIEW, CHANGE}),
    Role.EXECUTIVE_SPONSOR: frozenset({VIEW}),
    Role.VIEWER: frozenset({VIEW}),
}


def role_allows(user, action: str, model=None) -> bool:
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    allowed = ROLE_ACTIONS.get(user.role, frozenset())
    if model is not None:
        overrides = getattr(model, "permission_actions", None)
        if overrides and user.role in overrides:
            allowed = overrides[user.role]
    return action in allowed


def require(user, action: str, model=None):
    if not role_allows(user, action, model):
        raise PermissionDenied(
            f"Your role may not {action} {getattr(model, '_meta', None) and model._meta.verbose_name_plural or 'this'}."
        )


def has_global_scope(user) -> bool:
    return user.is_authenticated and user.role in GLOBAL_SCOPE_ROLES


class RestrictedQuerySet(models.QuerySet):
    """A queryset that knows how to narrow itself to one user's scope.

    Models say what "in scope" means by implementing the class method `scope_filter(user)` returning a Q.
    """

    def restrict(self, user, action: str = VIEW):
        if not role_allows(user, action, self.model):
            return self.none()
        # Personal objects (a user's own notifications) stay personal for administrators and programme leads too.
        if has_global_scope(user) and not getattr(self.model, "personal", False):
            return self
        return self.filter(self.model.scope_filter(user))

    # Read-friendly alias used across the code base: Account.objects.visible_to(user).
    def visible_to(self, user):
        return self.restrict(user, VIEW)
