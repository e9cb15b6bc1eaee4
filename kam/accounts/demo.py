"""A believable demo company, generated deterministically (same seed, same data): a few thousand customers,
36 months of facts in five currencies, global accounts with regional subsidiaries, one user per role and
several key account managers with their teams."""

import datetime as dt
import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction

from kam.accounts import services
from kam.accounts.choices import AccountStatus, TeamRole
from kam.accounts.figures import add_months
from kam.accounts.models import Account, FinancialFact, FxRate, WalletEstimate
from kam.audit.services import record_account_event
from kam.core.context import acting_as
from kam.core.roles import Role

DEMO_PASSWORD = "kam-demo-2026"
DEMO_TOKEN = "kam_demo-api-token-2026"  # noqa: S105 - a demo credential, printed like the passwords
MARKER = "DEMO-G001"
CURRENCIES = {"USD": Decimal("1.08"), "GBP": Decimal("0.86"), "CHF": Decimal("0.95"), "SEK": Decimal("11.4")}
COUNTRY_CURRENCY = {
    "DE": "EUR",
    "FR": "EUR",
    "NL": "EUR",
    "IT": "EUR",
    "ES": "EUR",
    "US": "USD",
    "GB": "GBP",
    "CH": "CHF",
    "SE": "SEK",
}
REGIONS = {
    "DE": "EMEA",
    "FR": "EMEA",
    "NL": "EMEA",
    "IT": "EMEA",
    "ES": "EMEA",
    "GB": "EMEA",
    "CH": "EMEA",
    "SE": "EMEA",
    "US": "Americas",
}
INDUSTRIES = [
    "Automotive",
    "Chemicals",
    "Food & beverage",
    "Logistics",
    "Machinery",
    "Pharmaceuticals",
    "Retail",
    "Energy",
    "Telecommunications",
    "Construction",
]
PRODUCT_LINES = ["Components", "Systems", "Services", "Spare parts"]
STEMS = [
    "Alder",
    "Borealis",
    "Cobalt",
    "Delta",
    "Elbe",
    "Fjord",
    "Granite",
    "Helix",
    "Iris",
    "Juniper",
    "Kestrel",
    "Lumen",
    "Meridian",
    "Nordic",
    "Orion",
    "Pioneer",
    "Quartz",
    "Rhine",
    "Summit",
    "Tundra",
    "Union",
    "Vega",
    "Westbrook",
    "Xenon",
    "Yarrow",
    "Zenith",
]
SUFFIXES = [
    "Industries",
    "Group",
    "Holding",
    "Systems",
    "Logistics",
    "Foods",
    "Pharma",
    "Energy",
    "Retail",
    "Werke",
    "Manufacturing",
    "Solutions",
]
LEGAL = {
    "DE": "GmbH",
    "FR": "SAS",
    "NL": "B.V.",
    "IT": "S.p.A.",
    "ES": "S.A.",
    "US": "Inc.",
    "GB": "Ltd",
    "CH": "AG",
    "SE": "AB",
}

USERS = [
    ("admin@example.com", "Alex Admin", Role.ADMIN),
    ("lead@example.com", "Paula Programme", Role.PROGRAMME_LEAD),
    ("kam1@example.com", "Kim Keller", Role.KEY_ACCOUNT_MANAGER),
    ("kam2@example.com", "Jonas Berg", Role.KEY_ACCOUNT_MANAGER),
    ("kam3@example.com", "Maria Rossi", Role.KEY_ACCOUNT_MANAGER),
    ("kam4@example.com", "Sam Okafor", Role.KEY_ACCOUNT_MANAGER),
    ("sponsor@example.com", "Eva Sponsor", Role.EXECUTIVE_SPONSOR),
    ("viewer@example.com", "Victor Viewer", Role.VIEWER),
    ("specialist@example.com", "Sofia Solutions", Role.VIEWER),
    ("delivery@example.com", "Dan Delivery", Role.VIEWER),
]


def ensure_users():
    User = get_user_model()
    users = {}
    for email, name, role in USERS:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(
                email,
                DEMO_PASSWORD,
                full_name=name,
                role=role,
                is_staff=role == Role.ADMIN,
                is_superuser=role == Role.ADMIN,
            )
        users[email] = user
    return users


def logins():
    return [(Role(role).label, email, DEMO_PASSWORD) for email, _, role in USERS]


def last_full_month(today=None):
    today = today or dt.date.today()
    return add_months(dt.date(today.year, today.month, 1), -1)


@transaction.atomic
def generate(customers: int = 2500, months: int = 36, seed: int = 7, as_of: dt.date | None = None, stdout=None):
    """Create the demo portfolio unless it exists already. Returns True if it created data."""
    users = ensure_users()
    if Account.objects.filter(account_number=MARKER).exists():
        return False
    rng = random.Random(seed)
    as_of = as_of or last_full_month()
    first = add_months(as_of, -(months - 1))
    month_list = [add_months(first, i) for i in range(months)]
    say = stdout.write if stdout else (lambda text: None)

    with acting_as(None, source="cli"):
        say("FX rates…")
        for currency, base in CURRENCIES.items():
            rate = base
            for month in month_list:
                rate = (rate * Decimal(str(1 + rng.uniform(-0.02, 0.02)))).quantize(Decimal("0.0001"))
                FxRate.objects.create(month=month, currency=currency, rate_per_eur=rate)

        say("Accounts…")
        accounts = []  # (account, size factor)
        used_names = set()

        cities = [
            "Hamburg",
            "Lyon",
            "Utrecht",
            "Turin",
            "Bilbao",
            "Austin",
            "Leeds",
            "Basel",
            "Malmo",
            "Ohio",
            "Bremen",
            "Nantes",
            "Porto",
            "Graz",
            "Aarhus",
            "Denver",
            "Cork",
            "Brno",
        ]

        def name_for(country):
            for attempt in range(50):
                name = f"{rng.choice(STEMS)} {rng.choice(SUFFIXES)}"
                if rng.random() < 0.5:
                    stem = rng.choice(STEMS) + rng.choice(["tec", "ware", "line", "corp", "flow"])
                    name = f"{stem} {rng.choice(SUFFIXES)}"
                if attempt > 5:  # the plain combinations run out: qualify with a city, as real firms do
                    name = f"{name} {rng.choice(cities)}"
                if name not in used_names:
                    used_names.add(name)
                    return name
            name = f"{name} {len(used_names)}"
            used_names.add(name)
            return name

        groups = 60
        group_sizes = {}  # the wallet of a global account covers its whole group
        number = 0
        for g in range(1, groups + 1):
            country = rng.choice(list(COUNTRY_CURRENCY))
            name = name_for(country)
            industry = rng.choice(INDUSTRIES)
            size = rng.uniform(8, 40)
            parent = services.create_account(
                name=name,
                legal_name=f"{name} {LEGAL[country]}",
                account_number=f"DEMO-G{g:03d}",
                crm_id=f"001DEMO{g:011d}",
                country=country,
                region=REGIONS[country],
                currency=COUNTRY_CURRENCY[country],
                industry=industry,
                status=AccountStatus.CUSTOMER,
                is_key_account=g <= 36,
            )
            accounts.append((parent, size))
            group_size = size
            countries = rng.sample(list(COUNTRY_CURRENCY), rng.randint(2, 7))
            for s, sub_country in enumerate(countries):
                sub = services.create_account(
                    name=f"{name} {sub_country}",
                    legal_name=f"{name} {LEGAL[sub_country]}",
                    account_number=f"DEMO-G{g:03d}-{s + 1:02d}",
                    crm_id=f"001DEMO{g:05d}{s + 1:06d}",
                    parent=parent,
                    country=sub_country,
                    region=REGIONS[sub_country],
                    currency=COUNTRY_CURRENCY[sub_country],
                    industry=industry,
                    status=AccountStatus.CUSTOMER,
                )
                sub_size = size * rng.uniform(0.2, 0.9)
                group_size += sub_size
                accounts.append((sub, sub_size))
                if rng.random() < 0.3:  # a third level: a plant or branch under the regional company
                    leaf = services.create_account(
                        name=f"{name} {sub_country} Plant {s + 1}",
                        account_number=f"DEMO-G{g:03d}-{s + 1:02d}-P",
                        parent=sub,
                        country=sub_country,
                        region=REGIONS[sub_country],
                        currency=COUNTRY_CURRENCY[sub_country],
                        industry=industry,
                    )
                    leaf_size = size * rng.uniform(0.05, 0.3)
                    group_size += leaf_size
                    accounts.append((leaf, leaf_size))
            group_sizes[parent.pk] = group_size
        while len(accounts) < customers:
            number += 1
            country = rng.choice(list(COUNTRY_CURRENCY))
            name = name_for(country)
            status = rng.choices(
                [AccountStatus.CUSTOMER, AccountStatus.FORMER_CUSTOMER, AccountStatus.PROSPECT], [85, 10, 5]
            )[0]
            account = services.create_account(
                name=name,
                legal_name=f"{name} {LEGAL[country]}",
                account_number=f"DEMO-C{number:05d}",
                crm_id=f"001DEMOC{number:010d}",
                country=country,
                region=REGIONS[country],
                currency=COUNTRY_CURRENCY[country],
                industry=rng.choice(INDUSTRIES),
                status=status,
            )
            accounts.append((account, rng.lognormvariate(0, 1.1)))

        say("Financial facts…")
        batch = []
        for account, size in accounts:
            if account.status == AccountStatus.PROSPECT:
                continue
            lines = rng.sample(PRODUCT_LINES, rng.randint(1, 3))
            trend = rng.uniform(-0.015, 0.025)
            stops_at = rng.randint(months // 2, months) if account.status == AccountStatus.FORMER_CUSTOMER else months
            margin = rng.uniform(0.18, 0.42)
            local = float(CURRENCIES.get(account.currency, 1))
            for i, month in enumerate(month_list[:stops_at]):
                for line in lines:
                    # sizes are in EUR; amounts are booked in the account's currency
                    base = size * 10_000 * (1 + trend) ** i * rng.uniform(0.75, 1.25) / len(lines) * local

                    revenue = Decimal(str(round(base, 2)))
                    profit = (revenue * Decimal(str(round(margin * rng.uniform(0.85, 1.15), 4)))).quantize(
                        Decimal("0.01")
                    )
                    batch.append(
                        FinancialFact(
                            account=account,
                            month=month,
                            product_line=line,
                            currency=account.currency,
                            revenue=revenue,
                            gross_profit=profit,
                        )
                    )
            if len(batch) > 5000:
                FinancialFact.objects.bulk_create(batch)
                batch = []
            record_account_event(account.pk, "demo facts loaded", {"months": stops_at, "product_lines": lines})
        FinancialFact.objects.bulk_create(batch)

        say("Wallet estimates…")
        for account, size in accounts:
            if account.parent_id is None and (rng.random() < 0.8 or account.is_key_account):
                # the wallet of a global account covers its whole group; sizes are EUR, amounts local
                local = float(CURRENCIES.get(account.currency, 1))
                spend = group_sizes.get(account.pk, size) * 10_000 * 12 * rng.uniform(2.5, 6.0) * local
                for year in (as_of.year - 1, as_of.year):
                    WalletEstimate.objects.create(
                        account=account,
                        year=year,
                        currency=account.currency,
                        amount=Decimal(str(round(spend * (0.95 if year < as_of.year else 1.0), -3))),
                    )

        say("Teams…")
        from kam.teams import services as teams

        managers = [users[f"kam{i}@example.com"] for i in range(1, 5)]
        key_accounts = [a for a, _ in accounts if a.is_key_account]
        for index, account in enumerate(key_accounts):
            # Teams formed over the last two years; memberships dated so that handovers and history make sense.
            since = as_of - dt.timedelta(days=60 + (index * 37) % 600)
            manager = managers[index % len(managers)]
            teams.add_member(account, manager, TeamRole.KEY_ACCOUNT_MANAGER, 10, start_date=since)
            teams.add_member(account, users["sponsor@example.com"], TeamRole.EXECUTIVE_SPONSOR, 2, start_date=since)
            if index < 12:  # the first wave has its specialists; the coverage check shows what the others lack
                teams.add_member(account, users["specialist@example.com"], "solution_specialist", 6, start_date=since)
                teams.add_member(account, users["delivery@example.com"], "delivery_lead", 6, start_date=since)
            elif index % 6 == 0:
                teams.add_member(account, users["viewer@example.com"], TeamRole.SUPPORT, 0, start_date=since)
            Account.objects.filter(pk=account.pk).update(owner=manager)
        if len(key_accounts) > 1:  # one account changed hands: its history and the handover note show how that looks
            teams.hand_over(
                key_accounts[1],
                managers[2],
                "Jonas moves to the Nordic accounts. The buyer, Ms Lindqvist, expects the price review in March; "
                "the pilot of the new service line runs until May.",
                users["lead@example.com"],
                on=as_of - dt.timedelta(days=30),
            )
    return True
