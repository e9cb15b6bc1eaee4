"""Two schedulers sweeping at the same moment escalate each request exactly once (DEFINITIONS of done, issue 6).
On PostgreSQL the sweeps run in two threads with their own connections: SKIP LOCKED shares the rows between them
and the unique constraint stops a second escalation. SQLite serialises writers; its guard is the same constraint
(tests/servicelevels/test_requests.py races two stale copies)."""

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
from django.db import close_old_connections, connection

from kam.servicelevels import services
from kam.servicelevels.models import ClientRequest, Escalation
from tests import factories

SYDNEY = ZoneInfo("Australia/Sydney")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent writers (PostgreSQL)")
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweeps_escalate_each_breach_once():
    account = factories.make_account(region="APAC")
    factories.add_member(account, factories.make_user("key_account_manager"))
    opened = dt.datetime(2026, 11, 30, 9, 0, tzinfo=SYDNEY)
    for n in range(60):
        services.open_request(account, subject=f"Request {n}", opened_at=opened, now=opened)
    moment = dt.datetime(2026, 11, 30, 17, 30, tzinfo=SYDNEY)  # every first response is late now
    start = threading.Barrier(2)
    results, failures = [], []

    def scheduler():
        try:
            start.wait()
            results.append(services.sweep(now=moment, batch=7))
        except Exception as error:  # reported below; a thread's exception would otherwise be lost
            failures.append(error)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures
    assert sum(r.escalated for r in results) == 60
    assert Escalation.objects.filter(trigger="breach", clock="response").count() == 60
    assert ClientRequest.objects.filter(sla_state="breached", escalation_level=2).count() == 60
    assert services.sweep(now=moment).escalated == 0
