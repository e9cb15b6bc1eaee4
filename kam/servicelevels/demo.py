"""The service levels' part of the demo company (`make demo`): eighteen months of client requests on the key
accounts (most answered and resolved in time, some late), today's open requests (one breached and escalated, one at
risk, one waiting on the client), a year of cadence obligations (most done, two overdue), one account whose charter
promises a faster first response around the clock and one with its own escalation path."""

import datetime as dt
import random

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from kam.accounts.models import Account
from kam.core.context import acting_as
from kam.servicelevels import services
from kam.servicelevels.models import ClientRequest, Obligation, ObligationStatus, SlaPolicy

SUBJECTS = {
    "inquiry": [
        "Price list for next year",
        "Question about the delivery schedule",
        "Certificate of conformity requested",
        "Who is our contact for invoicing?",
        "Lead times for the spring range",
    ],
    "issue": [
        "Invoice does not match the order",
        "Late delivery to the Lyon site",
        "Damaged pallets on arrival",
        "Portal login fails for two users",
        "Wrong labels on the last shipment",
    ],
    "critical_issue": ["Production line stopped: part missing", "Recall risk: batch out of specification"],
    "change_request": ["Add a delivery address", "Change the order cut-off time", "New packaging format"],
}
REQUESTERS = ["Anna Schmidt", "Luc Martin", "Sofia Bianchi", "John Miller", "Emma de Vries", "Lars Nilsson"]
RESOLUTIONS = ["Corrected and confirmed with the client.", "Replacement shipped.", "Answered in the weekly call."]


def generate(stdout=None, seed: int = 13) -> bool:
    """Idempotent: does nothing when requests exist already or there are no key accounts."""
    if ClientRequest.objects.exists():
        return False
    key_accounts = list(Account.objects.filter(is_key_account=True).order_by("name"))
    if not key_accounts:
        return False
    users = get_user_model().objects
    lead = users.filter(email="lead@example.com").first() or users.filter(role="programme_lead").first()
    rng = random.Random(seed)
    now = timezone.now().replace(microsecond=0)

    def say(text):
        if stdout is not None:
            stdout.write(text)

    with transaction.atomic(), acting_as(lead, source="cli"):
        say("Service levels: a year of client requests, obligations and escalations…")
        first = key_accounts[0]
        services.set_override(first, SlaPolicy.objects.get(key="first_response"), 4, "hours", "clock")
        if len(key_accounts) > 1:
            services.set_escalation_path(
                key_accounts[1], [{"team_role": "key_account_manager"}, {"team_role": "executive_sponsor"}]
            )
        for account in key_accounts:
            for _ in range(rng.randint(9, 24)):
                _past_request(account, rng, now)
        # Today's open work sits mostly with the first demo manager, whose login the README suggests trying.
        first_manager = users.filter(email="kam1@example.com").first()
        managed = [a for a in key_accounts if first_manager is not None and a.owner_id == first_manager.pk]
        _open_requests((managed[:3] + [a for a in key_accounts if a not in managed[:3]])[:6], rng, now)
        services.sweep(now=now)  # today's breaches and risks escalate: the demo's managers find them in their inbox
        _obligations(rng, now.date())
    return True


def _past_request(account, rng, now):
    kind = rng.choices(list(SUBJECTS), weights=[45, 35, 5, 15])[0]
    opened = now - dt.timedelta(days=rng.uniform(8, 540), hours=rng.uniform(0, 10))  # the last full year and this one
    opened = opened.replace(hour=rng.choice([7, 8, 9, 10, 13, 14, 15]), minute=rng.randrange(60))
    request = services.open_request(
        account,
        subject=rng.choice(SUBJECTS[kind]),
        kind=kind,
        priority=rng.choice(["low", "normal", "normal", "high"]),
        channel=rng.choice(["email", "email", "phone", "portal", "chat"]),
        requester=rng.choice(REQUESTERS),
        opened_at=opened,
        escalate=False,
        now=opened,
    )
    # Most answers come within a few hours; one in eight is late.
    late = rng.random() < 0.125
    responded = opened + dt.timedelta(hours=rng.uniform(30, 70) if late else rng.uniform(0.2, 5))
    request = services.change_status(request, "acknowledged", at=responded, now=responded, escalate=False)
    hours = rng.uniform(4, 60) if kind == "critical_issue" else rng.uniform(6, 240)
    resolved = responded + dt.timedelta(hours=hours)
    request = services.change_status(
        request, "resolved", at=resolved, note=rng.choice(RESOLUTIONS), now=resolved, escalate=False
    )
    closed = resolved + dt.timedelta(days=rng.uniform(1, 5))
    if closed < now:
        services.change_status(request, "closed", at=closed, now=closed, escalate=False)


def _open_requests(accounts, rng, now):
    """Today's open work: a breached critical issue, an inquiry at risk, one waiting on the client, some on track."""
    working = services.calendar_for(accounts[0]).working_calendar()
    plans = [
        ("critical_issue", "Production line stopped: part missing", 40),  # hours ago
        ("inquiry", "Certificate of conformity requested", 7),
        ("issue", "Invoice does not match the order", 20),
        ("change_request", "Add a delivery address", 2),
        ("issue", "Portal login fails for two users", 1),
        ("inquiry", "Lead times for the spring range", 0.5),
    ]
    for account, (kind, subject, hours_ago) in zip(accounts, plans, strict=False):
        opened = now - dt.timedelta(hours=hours_ago)
        if kind == "inquiry" and hours_ago == 7:
            # At risk today: opened 6.5 working hours before now in the client's calendar (of the 8 it has).
            opened = _working_hours_before(working, now, 6.5)
        request = services.open_request(
            account,
            subject=subject,
            kind=kind,
            priority="critical" if kind == "critical_issue" else "normal",
            requester=rng.choice(REQUESTERS),
            opened_at=opened,
            escalate=False,
            now=opened,
        )
        if kind == "issue" and hours_ago == 20:
            asked = opened + dt.timedelta(hours=1)
            request = services.change_status(request, "acknowledged", at=asked, now=asked, escalate=False)
            services.change_status(
                request, "waiting_on_client", at=asked, note="Asked for the order number.", now=asked, escalate=False
            )


def _working_hours_before(calendar, now, hours):
    """The instant from which `hours` of working time lead up to `now` (walking back an hour at a time)."""
    moment = now
    target = int(hours * 3600)
    while calendar.working_seconds_between(moment, now) < target:
        moment -= dt.timedelta(minutes=15)
    return moment


def _obligations(rng, today):
    """A year of the cadence commitments: past periods mostly done (two left overdue), current and next open."""
    day = today - dt.timedelta(days=365)
    while day <= today:
        services.generate_obligations(today=day, periods_ahead=0)
        day += dt.timedelta(days=28)
    services.generate_obligations(today=today)
    overdue_left = 2
    for obligation in Obligation.objects.filter(status=ObligationStatus.OPEN, due_date__lt=today).select_related(
        "policy", "account"
    ):
        if overdue_left and obligation.due_date > today - dt.timedelta(days=60) and rng.random() < 0.2:
            overdue_left -= 1
            continue
        done_on = min(today, obligation.due_date - dt.timedelta(days=rng.randint(0, 10)))
        services.complete_obligation(
            obligation,
            obligation.account.owner,
            f"{obligation.policy.responsibility} {obligation.period_label}: minutes filed in the account folder.",
            done_on=done_on,
        )
