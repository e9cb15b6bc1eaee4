import datetime as dt

import pytest
from django.utils import timezone

from kam.charters import services


@pytest.fixture
def charter(portfolio, users):
    """The own account's charter, created by its key account manager: version 1."""
    return services.create_charter(portfolio.own, users.kam)


@pytest.fixture
def commitments(portfolio):
    """The own account's real commitments (kam.servicelevels): `rows` is what its charter's section 4 lists;
    `first_response(target, unit, clock)` gives the account its own first-response commitment."""
    from kam.servicelevels import services as service_levels
    from kam.servicelevels.models import SlaPolicy

    class Commitments:
        @property
        def rows(self):
            return service_levels.commitment_table(portfolio.own)

        def first_response(self, target, unit, clock="business"):
            policy = SlaPolicy.objects.get(key="first_response")
            service_levels.set_override(portfolio.own, policy, target, unit, clock)

    return Commitments()


def today():
    return timezone.localdate()


def days_ago(n):
    return today() - dt.timedelta(days=n)
