import pytest

from kam.stakeholders import services


@pytest.fixture
def person(portfolio, users):
    """Add a contact to an account of the portfolio: person(account, "Last", **fields)."""

    def make(account, last_name, first_name="", **data):
        return services.save_contact(account, {"last_name": last_name, "first_name": first_name, **data}, users.kam)

    return make
