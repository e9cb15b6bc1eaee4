"""The organisation maps' part of the demo company (`make demo`), written through the services so that the audit log,
the map's history and the activity feeds show every step:

- the first demo manager's (kam1) main key account: 24 people over the group and two subsidiaries with a clear tree
  (a CEO, executives, managers, their teams; each subsidiary's managing director reporting to a group executive),
  every buying role, champions and a blocker, relationship owners from the team, three dotted lines; a history —
  the map entered a year ago, a relationship that grew, a director who left two months ago (her team moved to the
  COO), a procurement chief who softened from blocker to sceptic, a newcomer a month ago — so the map "as of" three
  months ago differs from today's; 40 interactions over the last year, many with next steps; one coverage gap left
  open (the economic buyer is not covered by the executive sponsor) and two people overdue for a touch;
- smaller maps (6–8 people, a few interactions) on three other key accounts; the other key accounts have none, so
  the empty state shows too.
"""

import datetime as dt

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from kam.accounts.choices import TeamRole
from kam.accounts.models import Account, AccountTeamMember
from kam.core.context import acting_as
from kam.stakeholders import interactions, services
from kam.stakeholders.models import Contact

MAP_CREATED_DAYS_AGO = 360
LEFT_DAYS_AGO = 60

# key: (first, last, title, business unit, level, where, manager, buying role, attitude, influence, owner, now, wanted)
# `where`: "group", "sub1" or "sub2"; `owner`: a team role's key ("kam", "sponsor", "specialist", "delivery") or None.
PEOPLE = {
    "ceo": ("Henrik", "Lindqvist", "Chief Executive Officer", "Executive board", "executive", "group", None,
            "decision_maker", "supporter", "high", "sponsor", 3, 4),
    "cfo": ("Claire", "Dubois", "Chief Financial Officer", "Finance", "executive", "group", "ceo",
            "economic_buyer", "neutral", "high", "kam", 2, 3),
    "cpo": ("Marco", "Bianchi", "Chief Procurement Officer", "Procurement", "executive", "group", "ceo",
            "decision_maker", "blocker", "high", "kam", 2, 3),
    "coo": ("Sofia", "Andersson", "Chief Operating Officer", "Operations", "executive", "group", "ceo",
            "decision_maker", "champion", "high", "sponsor", 4, 4),
    "cto": ("Lars", "Nilsson", "Chief Technology Officer", "Engineering", "executive", "group", "ceo",
            "influencer", "blocker", "high", "kam", 1, 3),
    "assistant": ("Ulla", "Berg", "Executive Assistant", "Executive board", "operational", "group", "ceo",
                  "gatekeeper", "neutral", "medium", "kam", 2, 2),
    "head_proc": ("Jan", "de Vries", "Head of Procurement", "Procurement", "management", "group", "cpo",
                  "decision_maker", "neutral", "medium", "kam", 2, 3),
    "cat_mgr": ("Priya", "Shah", "Category Manager", "Procurement", "management", "group", "head_proc",
                "influencer", "supporter", "medium", "kam", 2, 3),
    "buyer": ("Tom", "Becker", "Senior Buyer", "Procurement", "operational", "group", "cat_mgr",
              "user", "neutral", "low", None, 0, 2),
    "head_eng": ("Greta", "Hoffmann", "Head of Engineering", "Engineering", "management", "group", "cto",
                 "technical_buyer", "supporter", "high", "specialist", 3, 4),
    "proc_eng": ("Emil", "Wagner", "Process Engineer", "Engineering", "operational", "group", "head_eng",
                 "user", "supporter", "low", "specialist", 2, 2),
    "maint_mgr": ("Rafael", "Costa", "Maintenance Manager", "Maintenance", "management", "group", "coo",
                  "coach", "champion", "medium", "kam", 4, 4),
    "ops_dir": ("Katrin", "Weber", "Director Operations", "Operations", "management", "group", "coo",
                "influencer", "supporter", "medium", "kam", 3, 3),
    "shift": ("Bruno", "Santos", "Shift Supervisor", "Operations", "operational", "group", "ops_dir",
              "user", "neutral", "low", "delivery", 1, 2),
    "planner": ("Aylin", "Kaya", "Planner", "Supply chain", "operational", "group", "ops_dir",
                "user", "neutral", "low", None, 0, 1),
    "quality": ("Vera", "Novak", "Head of Quality", "Quality", "management", "group", "coo",
                "influencer", "sceptic", "medium", "kam", 1, 3),
    "md1": ("Stefan", "Klein", "Managing Director", "Management", "management", "sub1", "coo",
            "decision_maker", "supporter", "high", "kam", 3, 3),
    "plant1": ("Olivia", "Brown", "Plant Manager", "Operations", "management", "sub1", "md1",
               "technical_buyer", "neutral", "medium", "kam", 2, 3),
    "buyer1": ("Chen", "Wei", "Buyer", "Procurement", "operational", "sub1", "md1",
               "user", "neutral", "low", None, 0, 1),
    "tech1": ("Nora", "Larsen", "Maintenance Engineer", "Maintenance", "operational", "sub1", "plant1",
              "user", "supporter", "low", "delivery", 1, 2),
    "md2": ("Diego", "Garcia", "Managing Director", "Management", "management", "sub2", "cfo",
            "influencer", "neutral", "high", "sponsor", 2, 3),
    "fin2": ("Isabel", "Ferreira", "Finance Director", "Finance", "management", "sub2", "md2",
             "influencer", "sceptic", "medium", "kam", 1, 2),
    "buyer2": ("Niklas", "Schulz", "Buyer", "Procurement", "operational", "sub2", "md2",
               "user", "neutral", "low", "kam", 1, 2),
}  # fmt: skip
NEWCOMER = ("newcomer", ("Fatima", "Yilmaz", "Project Director", "Engineering", "management", "sub2", "md2",
                         "technical_buyer", "neutral", "medium", "kam", 0, 2))  # fmt: skip
DOTTED = [("buyer1", "head_proc"), ("tech1", "maint_mgr"), ("fin2", "cfo")]
OVERDUE = ("head_proc", "quality")  # a decision maker last met 70 days ago, an influencer 200 days ago

# (days ago, kind, level, subject, sentiment, [their side], [our side], where, next steps)
INTERACTIONS = [
    (350, "meeting", "executive", "Kick-off with the new procurement organisation", "neutral",
     ["cpo", "head_proc", "cat_mgr"], ["kam"], "group", "Send the supplier self-assessment"),
    (340, "visit", "management", "Plant tour at the main site", "positive",
     ["coo", "ops_dir", "maint_mgr", "shift"], ["kam", "sponsor"], "group", ""),
    (330, "call", "executive", "Introduction call with the CFO", "neutral", ["cfo"], ["kam"], "group", ""),
    (320, "email", "management", "Quality audit findings", "negative", ["quality"], ["kam"], "group",
     "Share the corrective action plan"),
    (300, "meeting", "executive", "Engineering workshop: retrofit options", "neutral",
     ["cto", "head_eng", "proc_eng"], ["kam", "specialist"], "group", "Prepare the retrofit business case"),
    (290, "review", "executive", "Quarterly business review Q1", "neutral", ["cpo", "head_proc", "cfo"],
     ["kam", "sponsor"], "group", ""),
    (270, "visit", "management", "Site visit at the subsidiary", "positive", ["md1", "plant1", "tech1"], ["kam"],
     "sub1", ""),
    (260, "call", "operational", "Spare-parts availability", "negative", ["buyer", "cat_mgr"], ["kam"], "group",
     "Share the delivery report"),
    (250, "event", "executive", "Customer day", "positive", ["coo", "maint_mgr", "head_eng", "fin2"],
     ["kam", "sponsor"], "group", ""),
    (240, "meeting", "management", "Budget for next year", "neutral", ["md2", "fin2", "buyer2"], ["kam"], "sub2", ""),
    (220, "email", "management", "Training plan for the maintenance team", "positive", ["maint_mgr", "tech1"],
     ["delivery"], "group", "Book the training dates"),
    (200, "meeting", "management", "Quality review", "neutral", ["quality", "ops_dir"], ["kam"], "group",
     "Agree the joint quality plan"),
    (190, "review", "executive", "Quarterly business review Q2", "neutral", ["cpo", "head_proc", "cfo"],
     ["kam", "sponsor"], "group", ""),
    (170, "call", "executive", "Framework agreement terms", "negative", ["cpo"], ["kam"], "group",
     "Send the revised quote"),
    (160, "meeting", "management", "Remote monitoring pilot", "positive", ["head_eng", "proc_eng", "ops_dir"],
     ["kam", "specialist"], "group", "Follow up on the pilot results"),
    (150, "visit", "management", "Site visit at the subsidiary", "neutral", ["md2", "buyer2"], ["kam"], "sub2", ""),
    (140, "email", "operational", "Delivery performance last quarter", "negative", ["buyer", "planner"], ["kam"],
     "group", ""),
    (130, "meeting", "executive", "Executive dinner", "positive", ["ceo", "coo"], ["sponsor", "kam"], "group",
     "Invite the CEO to our innovation day"),
    (120, "call", "executive", "Price review for next year", "neutral", ["cfo", "cpo"], ["kam"], "group",
     "Prepare the business case"),
    (110, "meeting", "management", "Pilot results at line 3", "positive", ["ops_dir", "shift", "maint_mgr"],
     ["kam", "delivery"], "group", ""),
    (100, "review", "executive", "Quarterly business review Q3", "neutral", ["cpo", "head_proc", "cat_mgr"],
     ["kam", "sponsor"], "group", ""),
    (95, "email", "management", "Retrofit offer", "neutral", ["head_eng"], ["kam"], "group", ""),
    (90, "call", "management", "Regional framework agreement", "neutral", ["md1"], ["kam"], "sub1", ""),
    (80, "meeting", "executive", "In-house maintenance plans", "negative", ["cto", "head_eng"], ["kam", "sponsor"],
     "group", "Introduce our executive sponsor to the CTO"),
    (75, "visit", "operational", "Maintenance planning", "positive", ["plant1", "tech1", "buyer1"], ["delivery"],
     "sub1", ""),
    (70, "meeting", "management", "Supplier consolidation", "neutral", ["head_proc", "cat_mgr", "buyer"], ["kam"],
     "group", "Send the consolidated offer"),
    (65, "call", "management", "Handover of operations", "neutral", ["ops_dir", "coo"], ["kam"], "group", ""),
    (55, "meeting", "executive", "Operations after the director's departure", "neutral", ["coo", "shift", "planner"],
     ["kam"], "group", "Find out who took over the plant planning"),
    (50, "email", "management", "Payment terms", "negative", ["fin2", "md2"], ["kam"], "sub2", ""),
    (45, "event", "executive", "Trade fair meeting", "neutral", ["cto", "proc_eng", "head_eng"],
     ["kam", "specialist"], "group", ""),
    (40, "review", "executive", "Price review outcome", "positive", ["cfo", "cpo"], ["kam", "sponsor"], "group", ""),
    (35, "call", "operational", "Order status", "neutral", ["buyer1"], ["kam"], "sub1", ""),
    (28, "meeting", "management", "Welcome meeting with the new project director", "positive", ["newcomer", "md2"],
     ["kam"], "sub2", "Share the project references"),
    (25, "visit", "executive", "Plant visit with the COO", "positive", ["coo", "maint_mgr", "shift"],
     ["kam", "sponsor"], "group", "Book the training dates"),
    (20, "call", "executive", "Framework renewal timeline", "neutral", ["cpo"], ["kam"], "group",
     "Send the draft framework agreement"),
    (18, "meeting", "executive", "CEO briefing", "positive", ["ceo", "assistant"], ["sponsor"], "group", ""),
    (14, "meeting", "management", "Capacity planning", "neutral", ["md1", "plant1"], ["kam"], "sub1", ""),
    (10, "email", "operational", "Spare-parts price list", "neutral", ["cat_mgr", "buyer"], ["kam"], "group",
     "Send the revised quote"),
    (6, "call", "management", "Delivery schedule for the shutdown", "positive", ["coo", "planner"], ["kam"], "group",
     ""),
    (3, "meeting", "executive", "Retrofit decision meeting", "neutral", ["cpo", "cto", "head_eng"],
     ["kam", "specialist"], "group", "Prepare the business case\nSchedule a site visit"),
]  # fmt: skip

# The smaller maps: (first, last, title, unit, level, manager index, buying role, attitude, owner: "kam"/"sponsor").
SMALL_MAPS = [
    [
        ("Anna", "Fischer", "Chief Executive Officer", "Executive board", "executive", None, "decision_maker",
         "supporter", "sponsor"),
        ("Paul", "Meyer", "Chief Financial Officer", "Finance", "executive", 0, "economic_buyer", "neutral", "sponsor"),
        ("Elena", "Romano", "Head of Procurement", "Procurement", "management", 1, "decision_maker", "champion", "kam"),
        ("David", "Taylor", "Senior Buyer", "Procurement", "operational", 2, "user", "neutral", "kam"),
        ("Ines", "Silva", "Head of Engineering", "Engineering", "management", 0, "technical_buyer", "sceptic", "kam"),
        ("Oscar", "Jansen", "Executive Assistant", "Executive board", "operational", 0, "gatekeeper", "neutral", "kam"),
        ("Lea", "Horvat", "Maintenance Manager", "Maintenance", "management", 4, "coach", "supporter", "kam"),
    ],
    [
        ("William", "Smith", "Chief Executive Officer", "Executive board", "executive", None, "economic_buyer",
         "neutral", "sponsor"),
        ("Giulia", "Moreau", "Chief Operating Officer", "Operations", "executive", 0, "decision_maker", "champion",
         "kam"),
        ("Jonas", "Kowalski", "Plant Manager", "Operations", "management", 1, "technical_buyer", "supporter", "kam"),
        ("Rosa", "Lopez", "Buyer", "Procurement", "operational", 1, "user", "blocker", "kam"),
        ("Felix", "Richter", "Controller", "Finance", "operational", 0, "influencer", "neutral", "kam"),
    ],
    [
        ("Yasmin", "Öztürk", "Chief Procurement Officer", "Procurement", "executive", None, "economic_buyer",
         "supporter", "sponsor"),
        ("Viktor", "Braun", "Category Manager", "Procurement", "management", 0, "decision_maker", "neutral", "kam"),
        ("Carla", "Martinez", "Category Manager", "Procurement", "management", 0, "decision_maker", "sceptic", "kam"),
        ("Hugo", "Laurent", "Buyer", "Procurement", "operational", 1, "user", "neutral", "kam"),
        ("Zoe", "Wilson", "Quality Engineer", "Quality", "operational", 2, "influencer", "champion", "kam"),
        ("Ahmed", "Yilmaz", "Project Engineer", "Engineering", "operational", 1, "technical_buyer", "supporter",
         "kam"),
    ],
]  # fmt: skip


def _say(stdout, text):
    if stdout is not None:
        stdout.write(text)


def generate(stdout=None) -> bool:
    """Idempotent: does nothing when any contact exists already or there is no demo manager with key accounts."""
    if Contact.objects.exists():
        return False
    users = get_user_model().objects
    manager = users.filter(email="kam1@example.com").first()
    if manager is None:
        return False
    mine = list(Account.objects.filter(is_key_account=True, owner=manager, parent__isnull=True).order_by("name"))
    if not mine:
        return False
    others = list(
        Account.objects.filter(is_key_account=True, parent__isnull=True).exclude(owner=manager).order_by("name")
    )
    _say(stdout, "Organisation maps: a rich map with history and interactions, three smaller maps…")
    with transaction.atomic():
        _rich_map(mine[0], manager)
        for account, people in zip([*mine[1:2], *others[:2]], SMALL_MAPS, strict=False):
            _small_map(account, people)
    return True


def _team(account: Account) -> dict:
    """{key: user} of the account's active team: "kam", "sponsor", "specialist", "delivery" (when on the team)."""
    roles = {
        TeamRole.KEY_ACCOUNT_MANAGER: "kam",
        TeamRole.EXECUTIVE_SPONSOR: "sponsor",
        "solution_specialist": "specialist",
        "delivery_lead": "delivery",
    }
    team = {}
    members = AccountTeamMember.objects.filter(account=account, end_date__isnull=True).select_related("user")
    for member in members.order_by("pk"):
        key = roles.get(member.team_role)
        if key and key not in team and member.user.is_active:
            team[key] = member.user
    return team


def _data(first, last, title, unit, level, role, attitude, influence, owner, now, wanted) -> dict:
    return {
        "first_name": first,
        "last_name": last,
        "title": title,
        "business_unit": unit,
        "level": level,
        "buying_role": role,
        "attitude": attitude,
        "influence": influence,
        "relationship_owner": owner,
        "relationship_now": now,
        "relationship_desired": wanted,
    }


def _rich_map(account: Account, manager):
    now = timezone.now()
    today = timezone.localdate()
    team = _team(account)
    kam = team.get("kam", manager)
    users = {"kam": kam, "sponsor": team.get("sponsor", kam)}
    users["specialist"] = team.get("specialist") or get_user_model().objects.filter(
        email="specialist@example.com").first() or kam  # fmt: skip
    users["delivery"] = team.get("delivery") or get_user_model().objects.filter(
        email="delivery@example.com").first() or kam  # fmt: skip
    # The coverage gap must stay open: the economic buyer is the key account manager's, not the sponsor's.
    subsidiaries = list(account.children.order_by("name")[:2])
    where = {"group": account, "sub1": subsidiaries[0] if subsidiaries else account}
    where["sub2"] = subsidiaries[1] if len(subsidiaries) > 1 else where["sub1"]
    people = {}
    created = now - dt.timedelta(days=MAP_CREATED_DAYS_AGO)
    with acting_as(kam, source="cli"):
        # A year ago: the map as first entered, managers before their teams.
        for index, (key, row) in enumerate(PEOPLE.items()):
            first, last, title, unit, level, place, boss, role, attitude, influence, owner, strength, wanted = row
            if key == "cat_mgr":
                strength = 1  # grows to 2 later (a change in the history)
            data = _data(first, last, title, unit, level, role, attitude, influence,
                         users[owner] if owner else None, strength, wanted)  # fmt: skip
            data["reports_to"] = people[boss] if boss else None
            data["email"] = f"{first.lower()}.{last.lower().replace(' ', '')}@example.net"
            people[key] = services.save_contact(where[place], data, kam, at=created + dt.timedelta(minutes=index))
        for key, other in DOTTED:
            people[key] = services.save_contact(
                people[key].account, {"dotted_line_to": people[other]}, kam, contact=people[key],
                at=created + dt.timedelta(days=1),
            )  # fmt: skip
        # Five months ago: the category manager became a closer contact.
        people["cat_mgr"] = services.save_contact(
            account, {"relationship_now": 2}, kam, contact=people["cat_mgr"], at=now - dt.timedelta(days=150)
        )
        # Two months ago: the director of operations left; her team moved to the COO.
        services.mark_left(
            people["ops_dir"], today - dt.timedelta(days=LEFT_DAYS_AGO), kam, at=now - dt.timedelta(days=LEFT_DAYS_AGO)
        )
        # Six weeks ago: the procurement chief softened after the price review.
        people["cpo"] = services.save_contact(
            account, {"attitude": "sceptic"}, kam, contact=people["cpo"], at=now - dt.timedelta(days=42)
        )
        # A month ago: a new project director at the second subsidiary.
        key, row = NEWCOMER
        first, last, title, unit, level, place, boss, role, attitude, influence, owner, strength, wanted = row
        data = _data(first, last, title, unit, level, role, attitude, influence, users[owner], strength, wanted)
        data["reports_to"] = people[boss]
        people[key] = services.save_contact(where[place], data, kam, at=now - dt.timedelta(days=30))
        for days, kind, level, subject, sentiment, theirs, ours, place, next_steps in INTERACTIONS:
            interactions.log_interaction(
                where[place],
                {
                    "kind": kind,
                    "occurred_on": today - dt.timedelta(days=days),
                    "level": level,
                    "subject": subject,
                    "summary": _summary(sentiment),
                    "sentiment": sentiment,
                    "next_steps": next_steps,
                },
                kam,
                contacts=[people[k] for k in theirs],
                participants=list(dict.fromkeys(users[u] for u in ours)),
            )


def _summary(sentiment: str) -> str:
    return {
        "positive": "Good discussion; they want to go ahead.",
        "neutral": "Open points noted; we follow up as agreed.",
        "negative": "Concerns raised about price and lead times.",
    }[sentiment]


def _small_map(account: Account, rows: list):
    team = _team(account)
    kam = team.get("kam") or (get_user_model().objects.filter(pk=account.owner_id).first())
    if kam is None:
        return
    owners = {"kam": kam, "sponsor": team.get("sponsor", kam)}
    today = timezone.localdate()
    with acting_as(kam, source="cli"):
        people = []
        for first, last, title, unit, level, boss, role, attitude, owner in rows:
            influence = "high" if level == "executive" else "medium" if level == "management" else "low"
            data = _data(first, last, title, unit, level, role, attitude, influence, owners[owner], 2, 3)
            data["reports_to"] = people[boss] if boss is not None else None
            people.append(services.save_contact(account, data, kam))
        for days, subject, theirs in ((40, "Quarterly business review", [0, 1, 2]), (12, "Price review", [1, 3])):
            interactions.log_interaction(
                account,
                {"kind": "meeting", "occurred_on": today - dt.timedelta(days=days), "subject": subject,
                 "sentiment": "neutral", "next_steps": "Send the revised quote"},
                kam,
                contacts=[people[i] for i in theirs if i < len(people)],
                participants=[kam],
            )  # fmt: skip
