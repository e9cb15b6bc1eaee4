"""The programme's default service levels (seed 000's SLA table), working calendars and escalation path. Written by
migration servicelevels.0002 into an empty database and put back by `ensure_defaults()` where a database was emptied
(a test's flush). Programme leads change them on the Service levels pages."""

import datetime as dt

# key, responsibility, kind, priorities, target, unit, clock, position
POLICIES = [
    # Seed 000: "Initial response within 24 hours". Counted in the client's working days, so a request that arrives
    # on Friday evening is due on Monday evening, not during the weekend; an account whose charter promises 24×7
    # sets the clock to "around the clock".
    ("first_response", "Response to client inquiries", "response", "", 1, "days", "business", 10),
    # Seed 000: "Critical issues resolved within 3 days".
    ("critical_resolution", "Issue resolution", "resolution", "critical", 3, "days", "business", 20),
    # Seed 000: "Quarterly strategic reviews", "Monthly updates on KPIs and growth", "Annual review … of plans".
    ("quarterly_review", "Account reviews", "cadence", "", 3, "months", "business", 30),
    ("monthly_kpi_update", "Performance tracking", "cadence", "", 1, "months", "business", 40),
    ("annual_plan_update", "Account plan updates", "cadence", "", 12, "months", "business", 50),
]

# name, time zone, regions, default; Monday–Friday 09:00–17:00 local time.
CALENDARS = [
    ("Europe (Berlin)", "Europe/Berlin", "EMEA,Europe,DACH", True),
    ("United Kingdom (London)", "Europe/London", "UK,UKI", False),
    ("North America (New York)", "America/New_York", "Americas,AMER,NA,North America", False),
    ("Asia-Pacific (Sydney)", "Australia/Sydney", "APAC,ANZ", False),
]

HOLIDAYS = {
    "Europe/Berlin": [
        ("2026-12-25", "Christmas Day"),
        ("2026-12-26", "Boxing Day"),
        ("2027-01-01", "New Year's Day"),
        ("2027-03-26", "Good Friday"),
        ("2027-03-29", "Easter Monday"),
        ("2027-05-01", "Labour Day"),
        ("2027-05-06", "Ascension Day"),
        ("2027-05-17", "Whit Monday"),
        ("2027-10-03", "Day of German Unity"),
        ("2027-12-25", "Christmas Day"),
        ("2027-12-26", "Boxing Day"),
    ],
    "Europe/London": [
        ("2026-12-25", "Christmas Day"),
        ("2026-12-28", "Boxing Day (substitute)"),
        ("2027-01-01", "New Year's Day"),
        ("2027-03-26", "Good Friday"),
        ("2027-03-29", "Easter Monday"),
        ("2027-05-03", "Early May bank holiday"),
        ("2027-05-31", "Spring bank holiday"),
        ("2027-08-30", "Summer bank holiday"),
        ("2027-12-27", "Christmas Day (substitute)"),
        ("2027-12-28", "Boxing Day (substitute)"),
    ],
    "America/New_York": [
        ("2026-11-26", "Thanksgiving Day"),
        ("2026-12-25", "Christmas Day"),
        ("2027-01-01", "New Year's Day"),
        ("2027-01-18", "Martin Luther King Jr. Day"),
        ("2027-05-31", "Memorial Day"),
        ("2027-07-05", "Independence Day (observed)"),
        ("2027-09-06", "Labor Day"),
        ("2027-11-25", "Thanksgiving Day"),
        ("2027-12-24", "Christmas Day (observed)"),
    ],
    "Australia/Sydney": [
        ("2026-12-25", "Christmas Day"),
        ("2026-12-28", "Boxing Day (additional day)"),
        ("2027-01-01", "New Year's Day"),
        ("2027-01-26", "Australia Day"),
        ("2027-03-26", "Good Friday"),
        ("2027-03-29", "Easter Monday"),
        ("2027-04-26", "Anzac Day (additional day)"),
        ("2027-06-14", "King's Birthday"),
        ("2027-10-04", "Labour Day"),
        ("2027-12-27", "Christmas Day (additional day)"),
        ("2027-12-28", "Boxing Day (additional day)"),
    ],
}

# Seed 000's "clear escalation path": key account manager → account team leader → executive sponsor.
ESCALATION_PATH = ["key_account_manager", "team_leader", "executive_sponsor"]


def write_defaults(apps=None):
    """Create what is missing (never overwrites a lead's edits). `apps` is a migration's app registry, or None."""
    get = (lambda name: apps.get_model("servicelevels", name)) if apps else _live_model
    SlaPolicy, BusinessCalendar, Holiday, EscalationLevel = (
        get(name) for name in ("SlaPolicy", "BusinessCalendar", "Holiday", "EscalationLevel")
    )
    if not SlaPolicy.objects.exists():
        for key, responsibility, kind, priorities, target, unit, clock, position in POLICIES:
            SlaPolicy.objects.create(
                key=key,
                responsibility=responsibility,
                kind=kind,
                priorities=priorities,
                target=target,
                unit=unit,
                clock=clock,
                position=position,
            )
    if not BusinessCalendar.objects.exists():
        for name, zone, regions, default in CALENDARS:
            calendar = BusinessCalendar.objects.create(
                name=name,
                time_zone=zone,
                regions=regions,
                is_default=default,
                weekdays="0,1,2,3,4",
                day_start=dt.time(9, 0),
                day_end=dt.time(17, 0),
            )
            for day, holiday in HOLIDAYS.get(zone, []):
                Holiday.objects.create(calendar=calendar, date=dt.date.fromisoformat(day), name=holiday)
    if not EscalationLevel.objects.filter(account__isnull=True).exists():
        for level, role in enumerate(ESCALATION_PATH, start=1):
            EscalationLevel.objects.create(level=level, team_role=role)


def _live_model(name):
    from kam.servicelevels import models

    return getattr(models, name)


def ensure_defaults():
    write_defaults()
