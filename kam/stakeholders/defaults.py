"""The default coverage and cadence rules of the programme (issue 8). Programme leads change them. Written by migration
stakeholders.0002 into an empty database, and put back by `ensure_defaults()` where a database was emptied (a test's
flush)."""

# (name, kind, attitude, buying role, team role, minimum strength); every segment (blank), active.
COVERAGE_RULES = [
    ("A champion", "has_attitude", "champion", "", "", 0),
    ("Every decision maker owned", "role_owned", "", "decision_maker", "", 0),
    ("Executive sponsor with the economic buyer", "role_covered_by", "", "economic_buyer", "executive_sponsor", 2),
]

# (buying role, days); every segment (blank), active. The blank role is every contact without a more specific rule.
CADENCE_RULES = [("decision_maker", 30), ("economic_buyer", 90), ("", 180)]


def seed(apps):
    """Each table is seeded only when it is empty: a programme's own rules are never added to or overwritten."""
    CoverageRule = apps.get_model("stakeholders", "CoverageRule")
    CadenceRule = apps.get_model("stakeholders", "CadenceRule")
    if not CoverageRule.objects.exists():
        for name, kind, attitude, buying_role, team_role, min_strength in COVERAGE_RULES:
            CoverageRule.objects.create(
                name=name,
                kind=kind,
                attitude=attitude,
                buying_role=buying_role,
                team_role=team_role,
                min_strength=min_strength,
            )
    if not CadenceRule.objects.exists():
        for buying_role, days in CADENCE_RULES:
            CadenceRule.objects.create(buying_role=buying_role, days=days)


def ensure_defaults():
    """Seed the defaults where a table is empty (two queries when neither is)."""
    from django.apps import apps

    seed(apps)
