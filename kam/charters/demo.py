"""The charters' part of the demo company (`make demo`): the first demo manager's largest key accounts have a
charter, one signed by the client and being revised (a draft after the signed version), one still a draft."""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from kam.accounts.models import Account
from kam.charters import services
from kam.charters.models import Charter
from kam.core.context import acting_as


def generate(stdout=None) -> bool:
    """Idempotent: does nothing when a charter exists already."""
    if Charter.objects.exists():
        return False
    manager = get_user_model().objects.filter(email="kam1@example.com").first()
    accounts = list(Account.objects.filter(is_key_account=True, owner=manager).order_by("name")[:2]) if manager else []
    if not accounts:
        return False
    if stdout is not None:
        stdout.write("Charters: one signed and being revised, one draft…")
    today = timezone.localdate()
    with transaction.atomic(), acting_as(manager, source="cli"):
        signed = services.create_charter(accounts[0], manager, note="First draft for the kick-off meeting.")
        signed = services.update_charter(
            signed,
            {
                "client_goals": f"{accounts[0].name} wants fewer stock-outs at its plants and one contact for all "
                "regions. Together we aim for 98 % on-time delivery and a joint cost-down plan.",
                "communication_preferences": "Monthly call with procurement; quarterly review on site; urgent "
                "matters by phone to the key account manager.",
                "client_responsibilities": "Share the rolling 6-month forecast by the 5th of each month; name one "
                "contact per plant; join the quarterly review with the operations director.",
                "collaboration_tools": ["microsoft_teams", "jira", "email"],
                "meeting_cadence": "monthly",
                "kpis": [
                    {"name": "On-time delivery", "target": "98 %"},
                    {"name": "First response to inquiries", "target": "within 1 working day"},
                    {"name": "Quarterly reviews held", "target": "4 a year"},
                ],
            },
            manager,
            note="Goals, KPIs and tools agreed in the kick-off.",
        )
        services.sign_off(signed, manager, "Claire Dubois", today, "Head of Procurement")
        signed.refresh_from_db()
        services.update_charter(
            signed,
            {"meeting_cadence": "fortnightly"},
            manager,
            note="The client asks for a call every two weeks during the plant roll-out.",
        )
        if len(accounts) > 1:
            services.create_charter(accounts[1], manager, note="Prepared for the annual strategy session.")
    return True
