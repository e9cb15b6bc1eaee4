"""Organisation maps and interactions of a generated tenant (`kam generate`, kam/core/generate.py), issue 8.

At scale 1, after the accounts and plans steps (2,000 key accounts):

- 40,000 contacts over the key accounts' groups (the group and its subsidiaries and plants): about 20 a customer on
  average, skewed (a few large customers), at least `MIN_PEOPLE` each, and exactly one customer with `MAP_PEOPLE`
  (300) people — the key account with the most direct subsidiaries (ties: the lowest id), the one the benchmark
  measures (`bench.django_side.find_targets` picks it by the same rule). Below `MAP_PEOPLE * 10` contacts in all
  (small scales) that customer gets the most people instead;
- a reporting tree per customer: a CEO at the top of the group, the other executives reporting to the CEO, managers
  under them, operational people under managers; each subsidiary headed by a managing director who reports to a
  group executive; a few dotted lines (never to a leaver). A manager is always added before their reports (lower
  id), so the lines can form no circle;
- realistic names and titles by level from small banks; buying roles (per customer: one economic buyer, 2–4 decision
  makers, technical buyers, users, influencers, a gatekeeper, a coach; the rest none); attitudes (mostly neutral or
  supporters, some champions, sceptics and blockers); relationship owners from the group's team (the executive
  sponsor for most executives, else the key account manager or the support member), strengths now and wanted;
- about 3 % leavers (never the CEO): their place stays, `left_on` in the past; their reports moved to the leaver's
  manager on that day, as `services.mark_left` does — in the order of the departures, so nobody reports to a leaver;
- the map's history: one `ContactState` per contact from its creation; a leaver's state closes on the departure day
  and a second one (with `left_on`) opens; each moved report likewise gets a second state (the new manager). So the
  map as of a day before someone left shows them, and their team under them;
- 1,000,000 interactions over the `months` ending with the as-of month (not after yesterday), spread over the
  customers by their size: each with 1–3 people of the customer who were on the map that day (added by then, not
  left yet), 0–2 of the group's team, kinds, levels (the most senior person's), sentiments and subjects from banks,
  a short summary and next steps on about 20 %; both sides written as rows of the many-to-many tables.

Rows are written in bulk (`ctx.insert`: COPY on PostgreSQL) with explicit ids, so they have no audit records of their
own (the run's summary counts them); versions are what the services' saves would have left. Deterministic for a seed.
The default coverage and cadence rules come from the migration.
"""

import datetime as dt
import re
from array import array
from collections import defaultdict

from django.core.management.color import no_style
from django.db import connection

from kam.accounts.choices import TeamRole
from kam.accounts.models import Account, AccountTeamMember
from kam.core.generate import step
from kam.stakeholders.choices import Attitude, BuyingRole, Influence, InteractionKind, Level, Sentiment
from kam.stakeholders.models import Contact, ContactState, Interaction

CONTACTS, INTERACTIONS = 40_000, 1_000_000  # at scale 1
MAP_PEOPLE = 300  # the benchmark's map account
MIN_PEOPLE = 8  # enough for every buying role
MAX_PEOPLE = 150  # any other customer
LEAVER_SHARE = 0.03
DOTTED_SHARE = 0.03
NEXT_STEPS_SHARE = 0.2

FIRST_NAMES = [
    "Anna", "Ben", "Carla", "David", "Elena", "Felix", "Greta", "Hugo", "Ines", "Jan", "Katrin", "Lars", "Maria",
    "Niklas", "Olivia", "Paul", "Rosa", "Stefan", "Tanja", "Uwe", "Vera", "William", "Yasmin", "Zoe", "Ahmed",
    "Bianca", "Chen", "Daniela", "Emil", "Fatima", "Giulia", "Henrik", "Isabel", "Jonas", "Lea", "Marco", "Nora",
    "Oscar", "Priya", "Rafael", "Sofia", "Tom", "Ulla", "Viktor", "Wei", "Aylin", "Bruno", "Claire", "Diego", "Eva",
]  # fmt: skip
LAST_NAMES = [
    "Müller", "Schmidt", "Fischer", "Weber", "Wagner", "Becker", "Hoffmann", "Schulz", "Koch", "Richter", "Klein",
    "Wolf", "Neumann", "Schwarz", "Braun", "Zimmermann", "Hartmann", "Lange", "Krüger", "Meyer", "Rossi", "Bianchi",
    "Romano", "Garcia", "Martinez", "Lopez", "Dubois", "Moreau", "Laurent", "Bernard", "Smith", "Johnson", "Brown",
    "Taylor", "Wilson", "Andersson", "Johansson", "Nilsson", "Jansen", "de Vries", "Novak", "Kowalski", "Nowak",
    "Horvat", "Yilmaz", "Kaya", "Öztürk", "Silva", "Santos", "Ferreira", "Costa", "Berg", "Lindqvist", "Larsen",
]  # fmt: skip
# The executives of a group, in this order (the first is the CEO, at the top); (title, business unit).
EXECUTIVES = [
    ("Chief Executive Officer", "Executive board"),
    ("Chief Financial Officer", "Finance"),
    ("Chief Procurement Officer", "Procurement"),
    ("Chief Operating Officer", "Operations"),
    ("Chief Technology Officer", "Engineering"),
    ("VP Supply Chain", "Supply chain"),
    ("VP Manufacturing", "Operations"),
    ("VP Quality", "Quality"),
    ("VP Sales", "Sales"),
    ("Chief Information Officer", "IT"),
    ("VP Maintenance", "Maintenance"),
    ("VP Strategy", "Strategy"),
]
MANAGEMENT_TITLES = [
    ("Head of Procurement", "Procurement"),
    ("Category Manager", "Procurement"),
    ("Director Operations", "Operations"),
    ("Plant Manager", "Operations"),
    ("Head of Engineering", "Engineering"),
    ("Maintenance Manager", "Maintenance"),
    ("Head of Quality", "Quality"),
    ("Logistics Director", "Supply chain"),
    ("Finance Director", "Finance"),
    ("Head of IT", "IT"),
    ("Project Director", "Engineering"),
]
OPERATIONAL_TITLES = [
    ("Buyer", "Procurement"),
    ("Senior Buyer", "Procurement"),
    ("Process Engineer", "Engineering"),
    ("Maintenance Engineer", "Maintenance"),
    ("Shift Supervisor", "Operations"),
    ("Quality Engineer", "Quality"),
    ("Planner", "Supply chain"),
    ("Warehouse Lead", "Supply chain"),
    ("Controller", "Finance"),
    ("Project Engineer", "Engineering"),
    ("Technician", "Maintenance"),
    ("Executive Assistant", "Executive board"),
]
SUBSIDIARY_HEAD = ("Managing Director", "Management")
ATTITUDES = [
    (Attitude.NEUTRAL, 40),
    (Attitude.SUPPORTER, 30),
    (Attitude.CHAMPION, 8),
    (Attitude.SCEPTIC, 14),
    (Attitude.BLOCKER, 8),
]
INFLUENCE = {
    Level.EXECUTIVE: ([Influence.HIGH, Influence.MEDIUM], [85, 15]),
    Level.MANAGEMENT: ([Influence.HIGH, Influence.MEDIUM, Influence.LOW], [25, 60, 15]),
    Level.OPERATIONAL: ([Influence.MEDIUM, Influence.LOW], [30, 70]),
}
LEVEL_RANK = {Level.OPERATIONAL: 0, Level.MANAGEMENT: 1, Level.EXECUTIVE: 2}
RANK_LEVEL = {rank: level for level, rank in LEVEL_RANK.items()}

KINDS = [
    (InteractionKind.MEETING, 30),
    (InteractionKind.CALL, 25),
    (InteractionKind.EMAIL, 25),
    (InteractionKind.VISIT, 8),
    (InteractionKind.EVENT, 4),
    (InteractionKind.REVIEW, 8),
]
SENTIMENTS = [(Sentiment.POSITIVE, 35), (Sentiment.NEUTRAL, 50), (Sentiment.NEGATIVE, 15)]
SUBJECTS = [
    "Quarterly business review",
    "Price review for next year",
    "Spare-parts availability",
    "Service contract renewal",
    "Site visit at the main plant",
    "Delivery performance last quarter",
    "Proposal walkthrough",
    "Framework agreement terms",
    "Introduction to our new service line",
    "Complaint about a late delivery",
    "Retrofit options for line 3",
    "Remote monitoring pilot",
    "Supplier day",
    "Training plan for their maintenance team",
    "Budget for next year",
    "Quality audit follow-up",
    "Consignment stock proposal",
    "Executive dinner",
    "Trade fair meeting",
    "Roadmap update",
]
SUMMARIES = [
    "Good discussion; they want a written offer.",
    "They are happy with delivery, less with prices.",
    "Raised concerns about lead times.",
    "Agreed on the next steps below.",
    "Interested, but the budget is not approved yet.",
    "Positive feedback on the service technicians.",
    "Short call to clarify the scope.",
    "Competitor offer on the table; they asked for our best price.",
    "Walked the plant; several retrofit candidates.",
    "",
]
NEXT_STEPS = [
    "Send the revised quote",
    "Schedule a site visit",
    "Prepare the business case",
    "Introduce our executive sponsor",
    "Share the delivery report",
    "Book the training dates",
    "Follow up on the pilot results",
    "Invite them to the customer day",
]

BASE = ["id", "created_at", "updated_at", "version"]
CONTACT_FIELDS = [
    *BASE,
    "account_id",
    "first_name",
    "last_name",
    "title",
    "business_unit",
    "location",
    "email",
    "phone",
    "reports_to_id",
    "dotted_line_to_id",
    "buying_role",
    "attitude",
    "influence",
    "level",
    "relationship_owner_id",
    "relationship_now",
    "relationship_desired",
    "left_on",
    "notes",
    "external_id",
]
# What a state remembers, in the contact's terms (ContactState's columns for the links differ: see STATE_FIELDS).
TRACKED = [
    "account_id",
    "first_name",
    "last_name",
    "title",
    "business_unit",
    "reports_to_id",
    "dotted_line_to_id",
    "buying_role",
    "attitude",
    "influence",
    "level",
    "relationship_owner_id",
    "relationship_now",
    "relationship_desired",
    "left_on",
]
STATE_FIELDS = [
    "id",
    "contact_id",
    "group_id",
    "valid_from",
    "valid_to",
    "account_id",
    "first_name",
    "last_name",
    "title",
    "business_unit",
    "reports_to_contact_id",
    "dotted_line_to_contact_id",
    "buying_role",
    "attitude",
    "influence",
    "level",
    "relationship_owner_user_id",
    "relationship_now",
    "relationship_desired",
    "left_on",
]
INTERACTION_FIELDS = [
    *BASE,
    "account_id",
    "kind",
    "occurred_on",
    "level",
    "subject",
    "summary",
    "sentiment",
    "next_steps",
    "created_by_id",
]


def people_per_customer(rng, sizes: list[float], total: int, map_index: int) -> list[int]:
    """How many people each customer gets: `total` in all (when at least MIN_PEOPLE each fits), skewed by a random
    draw and the customer's size; the customer at `map_index` gets MAP_PEOPLE when the total is at least ten times
    that, else the most people of all. Every other customer gets MIN_PEOPLE … MAX_PEOPLE."""
    count = len(sizes)
    if count == 0:
        return []
    if count == 1:
        return [max(total, MIN_PEOPLE)]
    if total >= MAP_PEOPLE * 10:
        big, cap = MAP_PEOPLE, MAX_PEOPLE
    else:  # a small tenant: the most people, with room enough under it for the others
        big = max(MIN_PEOPLE, total // 5, -(-total // count) + 1)
        cap = max(MIN_PEOPLE, big - 1)
    rest = max(total - big, MIN_PEOPLE * (count - 1))
    weights = [rng.lognormvariate(0, 0.9) * (1 + size) ** 0.5 for size in sizes]
    weights[map_index] = 0
    spread = sum(weights)
    counts = [min(cap, max(MIN_PEOPLE, round(rest * w / spread))) for w in weights]
    counts[map_index] = big
    others = [i for i in range(count) if i != map_index]
    # Settle the rounding (and the caps) one person at a time, on random customers: the total comes out exact.
    difference = rest - sum(counts[i] for i in others)
    tries = 0
    while difference and tries < 100 * count + abs(difference) * 10:
        tries += 1
        i = rng.choice(others)
        if difference > 0 and counts[i] < cap:
            counts[i] += 1
            difference -= 1
        elif difference < 0 and counts[i] > MIN_PEOPLE:
            counts[i] -= 1
            difference += 1
    return counts


def map_account(keys) -> int:
    """The benchmark's map account among the generated key accounts: the most direct subsidiaries, ties the lowest
    id (the rule of `bench.django_side.find_targets`). `keys` are (id, direct subsidiaries) pairs."""
    return min(keys, key=lambda key: (-key[1], key[0]))[0]


def _moment_writer(ctx):
    if ctx.vendor == "sqlite":
        return lambda when: None if when is None else connection.ops.adapt_datetimefield_value(when)
    return lambda when: None if when is None else when.isoformat()


def _chunks(values: list, size: int = 900):
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", name.lower())[:30] or "customer"


def _teams(key_ids: list[int]) -> dict[int, dict]:
    """{key account: {team role: user id}} of the active memberships (the first of each role)."""
    teams = defaultdict(dict)
    for chunk in _chunks(key_ids):
        members = AccountTeamMember._base_manager.filter(account_id__in=chunk, end_date__isnull=True).order_by("pk")
        for account_id, user_id, role in members.values_list("account_id", "user_id", "team_role"):
            teams[account_id].setdefault(role, user_id)
    return teams


@step("stakeholders.maps", order=210)
def maps(ctx):
    rng = ctx.rng("stakeholders.maps")
    random, randint, choice, choices = rng.random, rng.randint, rng.choice, rng.choices
    portfolio = ctx.shared["accounts"]
    write = _moment_writer(ctx)
    today = ctx.now.date()
    last = (ctx.as_of.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    end = min(last, today - dt.timedelta(days=1))  # the last day with interactions
    first = end - dt.timedelta(days=round(ctx.months * 30.44))

    keys = [a for a in portfolio.accounts if a.is_key]
    if not keys:
        return {"contacts": 0, "contact states": 0, "interactions": 0}
    children = defaultdict(int)
    by_root = defaultdict(list)
    for account in portfolio.accounts:
        by_root[account.group_root].append(account)
        if account.parent_id is not None:
            children[account.parent_id] += 1
    chosen = map_account([(key.id, children[key.id]) for key in keys])
    map_index = next(i for i, key in enumerate(keys) if key.id == chosen)
    group_sizes = [len(by_root[key.group_root]) for key in keys]
    people = people_per_customer(rng, group_sizes, ctx.scaled(CONTACTS), map_index)
    names = {}
    for chunk in _chunks([key.id for key in keys]):
        names.update(Account._base_manager.filter(pk__in=chunk).values_list("pk", "name"))
    teams = _teams([key.id for key in keys])

    contacts = []  # dicts with the contact's final fields and `changes`: [(moment, {field: value})] after creation
    next_contact = ctx.next_id(Contact)
    customers = []  # per key account: (key, [contact dicts present], team)

    def person(account, level, title, unit, manager, created):
        nonlocal next_contact
        if manager is not None:
            created = max(created, manager["created"])  # nobody joins the map before their manager
        first_name, last_name = choice(FIRST_NAMES), choice(LAST_NAMES)
        values = {
            "id": next_contact,
            "created": created,
            "account_id": account.id,
            "group_id": account.group_root,
            "first_name": first_name,
            "last_name": last_name,
            "title": title,
            "business_unit": unit,
            "reports_to_id": manager["id"] if manager else None,
            "dotted_line_to_id": None,
            "buying_role": "",
            "attitude": choices([a for a, _ in ATTITUDES], [w for _, w in ATTITUDES])[0],
            "influence": choices(*INFLUENCE[level])[0],
            "level": level,
            "relationship_owner_id": None,
            "relationship_now": 0,
            "relationship_desired": 0,
            "left_on": None,
            "changes": [],
        }
        next_contact += 1
        contacts.append(values)
        return values

    def created_moment():
        # Most of the map was entered at the start; the rest joined over time.
        if random() < 0.8:
            day = first + dt.timedelta(days=randint(0, 60))
        else:
            day = first + dt.timedelta(days=randint(60, max(61, (end - first).days - 30)))
        return dt.datetime(day.year, day.month, day.day, randint(7, 17), randint(0, 59), tzinfo=dt.UTC)

    for key, size in zip(keys, people, strict=True):
        accounts = sorted(by_root[key.group_root], key=lambda a: a.tree_path)
        accounts = [a for a in accounts if a.tree_path.startswith(key.tree_path)]
        root, subsidiaries = accounts[0], accounts[1:]
        start = dt.datetime(first.year, first.month, first.day, 9, 0, tzinfo=dt.UTC)
        # How many work at the group's head office, how many at each subsidiary (the larger first).
        at_root = max(MIN_PEOPLE, round(size * (0.4 if subsidiaries else 1.0)))
        at_root = min(at_root, size)
        spread = defaultdict(int)
        if subsidiaries:
            weights = [a.size for a in subsidiaries]
            for account in choices(subsidiaries, weights, k=size - at_root):
                spread[account.id] += 1
        mine = []
        executives = min(len(EXECUTIVES), max(3, round(at_root * 0.12)))
        ceo = person(root, Level.EXECUTIVE, *EXECUTIVES[0], None, start)
        mine.append(ceo)
        execs = [ceo]
        for title, unit in EXECUTIVES[1:executives]:
            execs.append(person(root, Level.EXECUTIVE, title, unit, ceo, created_moment()))
        mine += execs[1:]
        managers = []
        for _ in range(max(1, round((at_root - executives) * 0.3))):
            if len(mine) >= at_root:
                break
            managers.append(person(root, Level.MANAGEMENT, *choice(MANAGEMENT_TITLES), choice(execs), created_moment()))
        mine += managers
        while len(mine) < at_root:
            mine.append(
                person(
                    root, Level.OPERATIONAL, *choice(OPERATIONAL_TITLES), choice(managers or execs), created_moment()
                )
            )
        for account in subsidiaries:
            count = spread.get(account.id, 0)
            if not count:
                continue
            head = person(account, Level.MANAGEMENT, *SUBSIDIARY_HEAD, choice(execs), created_moment())
            local = [head]
            local_managers = [head]
            for _ in range(count - 1):
                if random() < 0.25:
                    local_managers.append(
                        person(account, Level.MANAGEMENT, *choice(MANAGEMENT_TITLES), head, created_moment())
                    )
                    local.append(local_managers[-1])
                else:
                    local.append(
                        person(
                            account,
                            Level.OPERATIONAL,
                            *choice(OPERATIONAL_TITLES),
                            choice(local_managers),
                            created_moment(),
                        )
                    )
            mine += local
        team = teams.get(key.id, {})
        _roles(rng, mine)
        _owners(rng, mine, team, key.owner_id)
        customers.append((key, mine, team))

    # Departures, in date order: the leaver's reports move to the leaver's manager on that day (services.mark_left).
    by_id = {c["id"]: c for c in contacts}
    reports = defaultdict(list)
    for contact in contacts:
        if contact["reports_to_id"]:
            reports[contact["reports_to_id"]].append(contact["id"])
    leavers = []
    for contact in contacts:
        if contact["reports_to_id"] is None:  # the CEO stays
            continue
        room = (end - contact["created"].date()).days - 30
        if room > 10 and random() < LEAVER_SHARE:
            left_on = contact["created"].date() + dt.timedelta(days=randint(30, 30 + room - 1))
            leavers.append((left_on, contact["id"]))
    for left_on, pk in sorted(leavers):
        leaver = by_id[pk]
        moment = dt.datetime(left_on.year, left_on.month, left_on.day, 17, 0, tzinfo=dt.UTC)
        leaver["left_on"] = left_on
        leaver["changes"].append((moment, {"left_on": left_on}))
        for report_id in sorted(reports.pop(pk, [])):
            report = by_id[report_id]
            report["reports_to_id"] = leaver["reports_to_id"]
            if report["created"] < moment:
                report["changes"].append((moment, {"reports_to_id": leaver["reports_to_id"]}))
            else:  # added after the departure: entered under the new manager
                report["original_reports_to_id"] = leaver["reports_to_id"]
            if leaver["reports_to_id"]:
                reports[leaver["reports_to_id"]].append(report_id)
    # A few dotted lines, to a manager or executive elsewhere in the customer who is still there.
    for _, mine, _ in customers:
        seniors = [c for c in mine if c["level"] != Level.OPERATIONAL and c["left_on"] is None]
        for contact in mine:
            if random() < DOTTED_SHARE and len(seniors) > 2:
                other = choice(seniors)
                if (
                    other["id"] not in (contact["id"], contact["reports_to_id"])
                    and other["created"] <= contact["created"]
                ):
                    contact["dotted_line_to_id"] = other["id"]

    def contact_rows():
        for c in contacts:
            created = c["created"]
            updated = c["changes"][-1][0] if c["changes"] else created
            domain = _slug(names.get(c["group_id"], ""))
            email = f"{_ascii(c['first_name'])}.{_ascii(c['last_name'])}{c['id']}@{domain}.example"
            yield (
                c["id"],
                write(created),
                write(updated),
                1 + len(c["changes"]),
                c["account_id"],
                c["first_name"],
                c["last_name"],
                c["title"],
                c["business_unit"],
                "",
                email,
                "",
                c["reports_to_id"],
                c["dotted_line_to_id"],
                c["buying_role"],
                c["attitude"],
                c["influence"],
                c["level"],
                c["relationship_owner_id"],
                c["relationship_now"],
                c["relationship_desired"],
                c["left_on"].isoformat() if c["left_on"] else None,
                "",
                "",
            )

    next_state = ctx.next_id(ContactState)

    def state_rows():
        nonlocal next_state
        for c in contacts:
            # Replay the changes backwards from the final values: the first state is what was entered.
            values = {name: c[name] for name in TRACKED}
            history = []
            for moment, change in reversed(c["changes"]):
                history.append((moment, dict(values)))
                for name in change:
                    values[name] = _before(c, name, moment)
            history.append((c["created"], dict(values)))
            history.reverse()
            for index, (moment, state) in enumerate(history):
                until = history[index + 1][0] if index + 1 < len(history) else None
                yield (
                    next_state,
                    c["id"],
                    c["group_id"],
                    write(moment),
                    write(until),
                    state["account_id"],
                    state["first_name"],
                    state["last_name"],
                    state["title"],
                    state["business_unit"],
                    state["reports_to_id"],
                    state["dotted_line_to_id"],
                    state["buying_role"],
                    state["attitude"],
                    state["influence"],
                    state["level"],
                    state["relationship_owner_id"],
                    state["relationship_now"],
                    state["relationship_desired"],
                    state["left_on"].isoformat() if state["left_on"] else None,
                )
                next_state += 1

    counts = {"contacts": ctx.insert(Contact, CONTACT_FIELDS, contact_rows())}
    counts["contact states"] = ctx.insert(ContactState, STATE_FIELDS, state_rows())

    # -- interactions, spread over the customers by their people
    total = ctx.scaled(INTERACTIONS)
    headcount = sum(len(mine) for _, mine, _ in customers)
    shares = [total * len(mine) // headcount for _, mine, _ in customers]
    for i in range(total - sum(shares)):
        shares[i % len(shares)] += 1
    days = (end - first).days
    day_text, stamp_text = {}, {}
    for offset in range(days + 1):
        day = first + dt.timedelta(days=offset)
        day_text[offset] = day.isoformat()
        stamp_text[offset] = write(dt.datetime(day.year, day.month, day.day, 16, 0, tzinfo=dt.UTC))
    first_ordinal = first.toordinal()
    kind_values, kind_weights = [k for k, _ in KINDS], [w for _, w in KINDS]
    sentiment_values, sentiment_weights = [s for s, _ in SENTIMENTS], [w for _, w in SENTIMENTS]
    contact_links = (array("q"), array("q"))  # (interaction ids, contact ids)
    participant_links = (array("q"), array("q"))  # (interaction ids, user ids)
    next_interaction = ctx.next_id(Interaction)

    def interaction_rows():
        nonlocal next_interaction
        for (key, mine, team), share in zip(customers, shares, strict=True):
            # (id, account, level rank, first day, last day) as day offsets: who was on the map when.
            present = [
                (
                    c["id"],
                    c["account_id"],
                    LEVEL_RANK[c["level"]],
                    max(0, c["created"].date().toordinal() - first_ordinal),
                    c["left_on"].toordinal() - first_ordinal if c["left_on"] else days,
                )
                for c in mine
            ]
            anchor = present[0]  # the CEO: there from the start, never leaves
            ours = [u for u in (team.get(TeamRole.KEY_ACCOUNT_MANAGER), team.get(TeamRole.EXECUTIVE_SPONSOR),
                                team.get(TeamRole.SUPPORT)) if u]  # fmt: skip
            author = ours[0] if ours else key.owner_id
            for _ in range(share):
                # Recent months a little busier than the first ones.
                offset = days - int(days * random() ** 1.3)
                wanted = choices((1, 2, 3), (60, 30, 10))[0]
                picked = []
                for _try in range(wanted * 4):
                    candidate = choice(present)
                    if candidate[3] <= offset <= candidate[4] and candidate not in picked:
                        picked.append(candidate)
                        if len(picked) == wanted:
                            break
                if not picked:
                    picked = [anchor]
                pk = next_interaction
                next_interaction += 1
                for p in picked:
                    contact_links[0].append(pk)
                    contact_links[1].append(p[0])
                rank = max(p[2] for p in picked)
                if ours:
                    taking_part = choices((0, 1, 2), (20, 60, 20))[0]
                    if rank == 2 and len(ours) > 1 and taking_part:
                        chosen_users = [ours[1], ours[0]][:taking_part]  # the sponsor meets executives
                    else:
                        chosen_users = ours[:taking_part]
                    for user in chosen_users:
                        participant_links[0].append(pk)
                        participant_links[1].append(user)
                stamp = stamp_text[offset]
                next_steps = ""
                if random() < NEXT_STEPS_SHARE:
                    next_steps = "\n".join(rng.sample(NEXT_STEPS, randint(1, 2)))
                yield (
                    pk,
                    stamp,
                    stamp,
                    1,
                    picked[0][1],
                    choices(kind_values, kind_weights)[0],
                    day_text[offset],
                    RANK_LEVEL[rank],
                    choice(SUBJECTS),
                    choice(SUMMARIES),
                    choices(sentiment_values, sentiment_weights)[0],
                    next_steps,
                    author,
                )

    counts["interactions"] = ctx.insert(Interaction, INTERACTION_FIELDS, interaction_rows())
    for through, field, links, label in (
        (Interaction.contacts.through, "contact_id", contact_links, "interaction contacts"),
        (Interaction.participants.through, "user_id", participant_links, "interaction participants"),
    ):
        start_id = ctx.next_id(through)
        rows = ((start_id + i, a, b) for i, (a, b) in enumerate(zip(*links, strict=True)))
        counts[label] = ctx.insert(through, ["id", "interaction_id", field], rows)
    # The through tables are auto-created models, which the run's sequence reset does not cover.
    with connection.cursor() as cursor:
        through_models = [Interaction.contacts.through, Interaction.participants.through]
        for sql in connection.ops.sequence_reset_sql(no_style(), through_models):
            cursor.execute(sql)
    ctx.shared["stakeholders.map_account_id"] = chosen
    return counts


def _before(contact: dict, name: str, moment) -> object:
    """A tracked field's value before the change at `moment` (only departures and moved reports change)."""
    if name == "left_on":
        return None
    earlier = [change[name] for when, change in contact["changes"] if when < moment and name in change]
    return earlier[-1] if earlier else contact["original_" + name]


_ASCII = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ö": "Oe", "é": "e", " ": ""})


def _ascii(text: str) -> str:
    return text.translate(_ASCII).lower()


def _roles(rng, mine: list[dict]) -> None:
    """Buying roles: one economic buyer (the CFO or CPO where there is one), 2–4 decision makers, technical buyers,
    users, influencers, a gatekeeper and a coach; everyone else none."""
    execs = [c for c in mine if c["level"] == Level.EXECUTIVE]
    managers = [c for c in mine if c["level"] == Level.MANAGEMENT]
    operational = [c for c in mine if c["level"] == Level.OPERATIONAL]
    free = lambda group: [c for c in group if not c["buying_role"]]  # noqa: E731

    def assign(group, role, count):
        candidates = free(group) or free(mine)
        for contact in rng.sample(candidates, min(count, len(candidates))):
            contact["buying_role"] = role

    deciders, technical = rng.randint(2, 4), rng.randint(1, 3)
    users, influencers = max(1, len(operational) // 4), max(1, len(mine) // 12)
    if 3 + deciders + technical + users + influencers > len(mine):  # a small map: one of each (two deciders)
        deciders, technical, users, influencers = 2, 1, 1, 1
    finance = [c for c in execs if c["title"] in ("Chief Financial Officer", "Chief Procurement Officer")]
    assign(finance or execs, BuyingRole.ECONOMIC_BUYER, 1)
    assign([c for c in operational if c["title"] in ("Executive Assistant", "Buyer")] or operational,
           BuyingRole.GATEKEEPER, 1)  # fmt: skip
    assign(managers or operational, BuyingRole.COACH, 1)
    assign(execs + managers, BuyingRole.DECISION_MAKER, deciders)
    assign([c for c in managers + operational if c["business_unit"] in ("Engineering", "Maintenance", "IT")]
           or managers, BuyingRole.TECHNICAL_BUYER, technical)  # fmt: skip
    assign(operational, BuyingRole.USER, users)
    assign(managers + operational, BuyingRole.INFLUENCER, influencers)
    for contact in mine:
        contact["original_reports_to_id"] = contact["reports_to_id"]


def _owners(rng, mine: list[dict], team: dict, fallback: int | None) -> None:
    """Relationship owners from the group's team and strengths: the sponsor owns most executives, the key account
    manager most of the others, the support member some; a share of operational people has no owner yet."""
    manager = team.get(TeamRole.KEY_ACCOUNT_MANAGER) or fallback
    sponsor = team.get(TeamRole.EXECUTIVE_SPONSOR)
    support = team.get(TeamRole.SUPPORT)
    for contact in mine:
        level = contact["level"]
        draw = rng.random()
        if level == Level.EXECUTIVE:
            owner = sponsor if sponsor and draw < 0.7 else manager
        elif level == Level.OPERATIONAL and draw < 0.25:
            owner = None
        elif support and draw > 0.85:
            owner = support
        else:
            owner = manager
        contact["relationship_owner_id"] = owner
        now = 0 if owner is None else rng.choices((1, 2, 3, 4), (25, 40, 25, 10))[0]
        contact["relationship_now"] = now
        contact["relationship_desired"] = min(4, now + rng.choice((0, 1, 1, 2))) if owner else rng.choice((1, 2))
