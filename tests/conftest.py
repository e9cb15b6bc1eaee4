from types import SimpleNamespace

import pytest

from kam.core.roles import Role
from tests import factories


@pytest.fixture
def users(db):
    """One user per role. The KAM, sponsor and viewer are on team A only."""
    return SimpleNamespace(
        admin=factories.make_user(Role.ADMIN, "admin@example.com", is_staff=True, is_superuser=True),
        lead=factories.make_user(Role.PROGRAMME_LEAD, "lead@example.com"),
        kam=factories.make_user(Role.KEY_ACCOUNT_MANAGER, "kam@example.com"),
        sponsor=factories.make_user(Role.EXECUTIVE_SPONSOR, "sponsor@example.com"),
        viewer=factories.make_user(Role.VIEWER, "viewer@example.com"),
    )


@pytest.fixture
def portfolio(users):
    """Two global accounts. Team A (the KAM, sponsor and viewer) owns `own` with a subsidiary `own_child`;
    `other` and `other_child` belong to another team."""
    from kam.accounts.choices import TeamRole

    own = factories.make_account("Own Group", account_number="OWN-1")
    own_child = factories.make_account("Own Subsidiary", parent=own, account_number="OWN-1-1")
    other = factories.make_account("Other Group", account_number="OTH-1")
    other_child = factories.make_account("Other Subsidiary", parent=other, account_number="OTH-1-1")
    other_kam = factories.make_user(Role.KEY_ACCOUNT_MANAGER, "other-kam@example.com")
    factories.add_member(own, users.kam, TeamRole.KEY_ACCOUNT_MANAGER)
    factories.add_member(own, users.sponsor, TeamRole.EXECUTIVE_SPONSOR)
    factories.add_member(own, users.viewer, TeamRole.SUPPORT)
    factories.add_member(other, other_kam, TeamRole.KEY_ACCOUNT_MANAGER)
    return SimpleNamespace(own=own, own_child=own_child, other=other, other_child=other_child, other_kam=other_kam)


@pytest.fixture
def login(client):
    def _login(user):
        client.force_login(user)
        return client

    return _login


@pytest.fixture(autouse=True)
def team_defaults(request):
    """Migrations teams.0002, servicelevels.0002 and stakeholders.0002 seed the role catalogue, the service models,
    the team rules, the SLA policies, calendars and escalation path, and the coverage and cadence rules; a
    transactional test's flush empties every table, so they are put back for the tests that use the database."""
    marker = request.node.get_closest_marker("django_db")
    fixtures = set(request.fixturenames)
    transactional = bool(marker and marker.kwargs.get("transaction")) or bool(
        fixtures & {"transactional_db", "live_server"}
    )
    if not (marker or fixtures & {"db", "transactional_db", "live_server"}):
        return
    request.getfixturevalue("transactional_db" if transactional else "db")
    from kam.servicelevels.defaults import ensure_defaults as service_level_defaults
    from kam.stakeholders.defaults import ensure_defaults as stakeholder_defaults
    from kam.teams.defaults import ensure_defaults

    ensure_defaults()
    service_level_defaults()
    stakeholder_defaults()
