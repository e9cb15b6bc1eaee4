"""The default role catalogue, service model per segment and programme team rules (seeds 001, 002, 004). Programme
leads change them on the Teams pages. Written by migration teams.0002 into an empty database, and put back by
`ensure_defaults()` where a database was emptied (a test's flush)."""

from decimal import Decimal

ROLES = [
    (
        "key_account_manager",
        "Key account manager",
        True,
        10,
        "The single point of contact for the customer and the orchestrator of the team: owns the account plan, the "
        "relationship map and the commitments of the charter.",
    ),
    (
        "team_leader",
        "Account team leader",
        False,
        20,
        "Leads the day-to-day work of a large account team and stands in for the key account manager.",
    ),
    (
        "executive_sponsor",
        "Executive sponsor",
        True,
        30,
        "A senior leader who backs the relationship with the customer's executives and unblocks decisions.",
    ),
    (
        "solution_specialist",
        "Solution specialist",
        False,
        40,
        "Product and solution expertise: shapes offers, upsell and cross-sell opportunities.",
    ),
    (
        "delivery_lead",
        "Service / delivery lead",
        False,
        50,
        "Operations: makes sure what was promised is delivered, on time and to the service levels.",
    ),
    ("finance_partner", "Finance partner", False, 60, "Pricing, contracts and profitability of the account."),
    (
        "technical_support",
        "Technical support",
        False,
        70,
        "Technical questions and escalations from the customer's teams.",
    ),
    ("support", "Support (general)", False, 80, "Other support on the account."),
]

SERVICE_MODELS = {
    # segment: (workload weight, review cadence, in-person meetings a year, promised service, [(role, min, % time)])
    "strategic": (
        Decimal("1.50"),
        "monthly",
        6,
        "Monthly reviews, quarterly business reviews with executives, a dedicated delivery lead.",
        [
            ("key_account_manager", 1, 10),
            ("executive_sponsor", 1, 2),
            ("solution_specialist", 1, 5),
            ("delivery_lead", 1, 5),
        ],
    ),
    "develop": (
        Decimal("1.20"),
        "quarterly",
        4,
        "Quarterly business reviews; a solution specialist to grow the share of wallet.",
        [("key_account_manager", 1, 10), ("executive_sponsor", 1, 2), ("solution_specialist", 1, 5)],
    ),
    "maintain": (
        Decimal("1.00"),
        "quarterly",
        2,
        "Quarterly reviews; protect the share of wallet with reliable delivery.",
        [("key_account_manager", 1, 8), ("delivery_lead", 1, 3)],
    ),
    "serve_efficiently": (
        Decimal("0.60"),
        "half_yearly",
        1,
        "Six-monthly reviews; standard service levels, mostly remote.",
        [("key_account_manager", 1, 5)],
    ),
    "unclassified": (
        Decimal("1.00"),
        "quarterly",
        2,
        "Until the account is segmented: quarterly reviews.",
        [("key_account_manager", 1, 8)],
    ),
}

CHARTER = (
    "We act as one team towards the customer: the key account manager is the single point of contact and "
    "orchestrates; every member knows the account plan and their part in it. We answer the customer within 24 hours "
    "and resolve critical issues within 3 days. We meet as a team every month, review the plan every quarter and "
    "update it every year. Decisions and commitments are written down in KAM, so anyone can pick up the work."
)


def seed(apps):
    Role = apps.get_model("teams", "TeamRoleDefinition")
    ServiceModel = apps.get_model("teams", "ServiceModel")
    ServiceModelRole = apps.get_model("teams", "ServiceModelRole")
    Settings = apps.get_model("teams", "ProgrammeSettings")
    if Role.objects.exists():
        return
    roles = {}
    for key, name, required, position, text in ROLES:
        roles[key] = Role.objects.create(
            key=key, name=name, required_per_key_account=required, position=position, responsibilities=text
        )
    for segment, (weight, cadence, meetings, promise, rules) in SERVICE_MODELS.items():
        model = ServiceModel.objects.create(
            segment=segment,
            workload_weight=weight,
            review_cadence=cadence,
            in_person_meetings_per_year=meetings,
            promised_service=promise,
        )
        for key, minimum, allocation in rules:
            ServiceModelRole.objects.create(
                service_model=model, role=roles[key], min_members=minimum, expected_allocation_percent=allocation
            )
    Settings.objects.create(accounts_per_manager_limit=10, accounts_per_manager_warning=8, default_team_charter=CHARTER)


def ensure_defaults():
    """Seed the defaults if the catalogue is empty (one query when it is not)."""
    from django.apps import apps

    seed(apps)
