"""The scheduler's service-level jobs: the SLA sweep every minute, obligations generated ahead every day."""

from django.tasks import task

from kam.core.jobs import periodic


@periodic("minutely")
@task(queue_name="default")
def sweep_request_clocks():
    """Flag open requests that turned at risk or breached since the last sweep, and escalate each once."""
    from kam.servicelevels.services import sweep

    result = sweep()
    return {"checked": result.checked, "escalated": result.escalated}


@periodic("daily")
@task(queue_name="default")
def generate_obligations():
    """Each key account's cadence obligations (quarterly review, monthly KPI update, annual plan update) for the
    current period and the next one."""
    from kam.servicelevels.services import generate_obligations as generate

    return generate()
