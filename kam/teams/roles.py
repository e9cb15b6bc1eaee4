"""The role catalogue as the rest of the code reads it: names by key, the active roles, checks."""

from django.core.exceptions import ValidationError


def catalogue() -> dict:
    """{key: TeamRoleDefinition}; read each time (a handful of rows), so an edit shows at once everywhere."""
    from kam.teams.models import TeamRoleDefinition

    return {role.key: role for role in TeamRoleDefinition.objects.all()}


def role_name(key: str) -> str:
    role = catalogue().get(key)
    return role.name if role is not None else key.replace("_", " ").capitalize()


def require_role(key: str):
    """The active catalogue role with this key, or a ValidationError on `team_role` that names the choices."""
    if not key:
        raise ValidationError({"team_role": "Choose the member's role on the team."})
    roles = catalogue()
    role = roles.get(key)
    if role is None or not role.active:
        names = ", ".join(sorted(r.key for r in roles.values() if r.active))
        raise ValidationError({"team_role": f"“{key}” is not an active role of the catalogue ({names})."})
    return role


def choices(include_inactive: bool = False) -> list[tuple[str, str]]:
    return [(r.key, r.name) for r in catalogue().values() if include_inactive or r.active]
