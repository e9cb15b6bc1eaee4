"""The selection workbench's part of the demo company: two scoring models, ratings of the key accounts, a finished
run and a few open proposals, so that a new user sees every page with data (`make demo`)."""

import random

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from kam.accounts.models import Account
from kam.core.context import acting_as
from kam.selection import services
from kam.selection.choices import DesignationKind, DesignationStatus, RatedAttribute
from kam.selection.config import default_criteria
from kam.selection.models import KeyAccountDesignation, ScoringModel

NOTES = {
    RatedAttribute.MARKET_LEADER: "Top-three share in its home market.",
    RatedAttribute.INNOVATION_PARTNER: "Runs joint pilots with our engineering.",
    RatedAttribute.REFERENCE_VALUE: "Agreed to be a public reference.",
    RatedAttribute.COMPLEXITY: "Many sites, central purchasing, long approval chains.",
}


def generate(stdout=None, seed: int = 11) -> bool:
    """Idempotent: does nothing when a scoring model exists already."""
    if ScoringModel.objects.exists() or not Account.objects.exists():
        return False
    users = get_user_model().objects
    lead = users.filter(email="lead@example.com").first() or users.filter(role="programme_lead").first()
    kam = users.filter(email="kam1@example.com").first() or lead
    rng = random.Random(seed)

    def say(text):
        if stdout is not None:
            stdout.write(text)

    with transaction.atomic(), acting_as(lead, source="cli"):
        say("Selection: models, ratings, a run and proposals…")
        default = services.create_model(
            name="Key account selection",
            description="The default selection score of DEFINITIONS §7: revenue, margin, growth, wallet and headroom.",
            criteria=default_criteria(),
        )
        services.create_model(
            name="Growth and strategic fit",
            description="Weighs growth, potential and how people rate the customer's strategic importance.",
            criteria=[
                {"criterion": "growth_yoy", "weight": "25", "normalisation": "percentile"},
                {"criterion": "potential_operating_profit", "weight": "25", "normalisation": "percentile"},
                {"criterion": "wallet_headroom", "weight": "15"},
                {"criterion": "market_leader", "weight": "15", "normalisation": "bands", "bands": "3, 4, 5"},
                {"criterion": "innovation_partner", "weight": "10", "normalisation": "bands", "bands": "3, 5"},
                {"criterion": "complexity", "weight": "10", "direction": "lower"},
            ],
            quadrant_names={
                "strategic": "Invest",
                "develop": "Grow",
                "maintain": "Defend",
                "serve_efficiently": "Serve",
            },
        )
        key_accounts = list(Account.objects.filter(is_key_account=True, parent__isnull=True).order_by("pk"))
        for account in key_accounts:
            for attribute in RatedAttribute.values:
                services.set_rating(account, attribute, rng.randint(1, 5), kam, note=NOTES[attribute])
            KeyAccountDesignation.objects.create(
                account=account,
                kind=DesignationKind.DESIGNATE,
                status=DesignationStatus.APPROVED,
                reason="Initial programme selection (pilot wave).",
                proposed_by=lead,
                decided_by=lead,
                decided_at=timezone.now(),
                decision_note="Approved with the programme charter.",
            )
    run = services.start_run(default, lead)
    run = services.execute_run(run.pk)
    with acting_as(lead, source="cli"):
        candidates = run.results.filter(account__is_key_account=False).order_by("rank")[:3]
        for result in candidates:
            services.propose(
                result.account, lead, f"Ranked {result.rank} in run {run.pk}; room to grow in the wallet.", run=run
            )
    say(f"  2 scoring models, {len(key_accounts) * 4} ratings, run {run.pk} ({run.status}), 3 open proposals")
    return True
