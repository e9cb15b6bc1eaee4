"""The customer portfolio of a generated tenant (`kam generate`, kam/core/generate.py).

At scale 1: 200,000 customers, of which 2,000 key accounts — global accounts with regional subsidiaries and plants
below them — each with a team (a key account manager carrying 5–10 key accounts, an executive sponsor, sometimes a
support member); 24 months of facts per customer (one row per customer and month: 4.8 million rows) in the
customer's currency, FX rates for every currency and month used, and wallet estimates for the key accounts and a
fifth of the other top-level accounts. Former customers keep their history and book zero rows after they left.

What later steps can use: `ctx.shared["accounts"]`, a `GeneratedPortfolio`.
"""

import datetime as dt
import math
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from kam.accounts.choices import AccountStatus, TeamRole
from kam.accounts.demo import INDUSTRIES, STEMS, SUFFIXES  # one vocabulary for the demo and generated tenants
from kam.accounts.figures import add_months
from kam.accounts.models import Account, AccountTeamMember, FinancialFact, FxRate, WalletEstimate
from kam.core.generate import GenerateRefused, guard, step
from kam.core.roles import Role

CUSTOMERS, KEY_ACCOUNTS = 200_000, 2_000  # at scale 1
PASSWORD = "kam-generated-2026"
RATES = {"USD": "1.08", "GBP": "0.86", "CHF": "0.95", "SEK": "11.40", "JPY": "160.00"}
# country: (weight, currency, region, legal form)
COUNTRIES = {
    "DE": (20, "EUR", "EMEA", "GmbH"),
    "FR": (12, "EUR", "EMEA", "SAS"),
    "NL": (6, "EUR", "EMEA", "B.V."),
    "IT": (8, "EUR", "EMEA", "S.p.A."),
    "ES": (6, "EUR", "EMEA", "S.A."),
    "US": (20, "USD", "Americas", "Inc."),
    "GB": (10, "GBP", "EMEA", "Ltd"),
    "CH": (5, "CHF", "EMEA", "AG"),
    "SE": (5, "SEK", "EMEA", "AB"),
    "JP": (8, "JPY", "APAC", "K.K."),
}
PRODUCT_LINES = ["Components", "Systems", "Services", "Spare parts", ""]  # "" = unspecified, a line of its own
TAILS = ["", "tec", "ware", "line", "corp", "flow"]
CITIES = [
    "Hamburg",
    "Lyon",
    "Utrecht",
    "Turin",
    "Bilbao",
    "Austin",
    "Leeds",
    "Basel",
    "Malmo",
    "Osaka",
    "Bremen",
    "Nantes",
    "Porto",
    "Graz",
    "Denver",
    "Cork",
]

ACCOUNT_FIELDS = [
    "id",
    "created_at",
    "updated_at",
    "version",
    "name",
    "legal_name",
    "account_number",
    "crm_id",
    "parent_id",
    "tree_path",
    "depth",
    "industry",
    "country",
    "region",
    "currency",
    "status",
    "is_key_account",
    "owner_id",
]
FACT_FIELDS = [
    "created_at",
    "updated_at",
    "version",
    "account_id",
    "month",
    "product_line",
    "currency",
    "revenue",
    "gross_profit",
]


@dataclass
class GeneratedAccount:
    id: int
    parent_id: int | None
    tree_path: str
    depth: int
    number: str
    country: str
    currency: str
    status: str
    is_key: bool
    owner_id: int | None
    size: float  # monthly revenue in EUR, before trend and noise
    group_root: int  # id of the top-level account of its group


@dataclass
class GeneratedPortfolio:
    """The accounts step's output for later steps. Ids are contiguous: first_account_id … last_account_id."""

    first_account_id: int
    last_account_id: int
    months: list = field(default_factory=list)  # first day of each generated month, oldest first
    currencies: list = field(default_factory=list)  # every non-EUR currency used (all have rates for all months)
    accounts: list = field(default_factory=list)  # [GeneratedAccount], parents before children
    key_account_ids: list = field(default_factory=list)  # the top-level key accounts
    kam_user_ids: list = field(default_factory=list)
    sponsor_user_ids: list = field(default_factory=list)
    admin_user_id: int | None = None
    lead_user_id: int | None = None


@guard("accounts")
def existing_accounts():
    return Account._base_manager.count()


def money(cents: int) -> str:
    """Integer cents as the database stores a DecimalField(20, 4) (the text Django would send on SQLite)."""
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}00"


@step("accounts.fx", order=10)
def fx_rates(ctx):
    rng = ctx.rng("accounts.fx")
    first = add_months(ctx.as_of, -(ctx.months - 1))
    months = [add_months(first, i) for i in range(ctx.months)]
    ctx.shared["accounts.months"] = months
    rows = []
    stamp = ctx.timestamp()
    existing = set(FxRate._base_manager.values_list("currency", "month"))  # reference data: an added tenant shares it
    for currency, base in RATES.items():
        rate = Decimal(base)
        for month in months:
            rate = (rate * Decimal(str(round(1 + rng.uniform(-0.02, 0.02), 6)))).quantize(Decimal("0.0001"))
            if (currency, month) not in existing:
                rows.append((stamp, stamp, 1, month.isoformat(), currency, f"{rate:.10f}"))
    count = ctx.insert(FxRate, ["created_at", "updated_at", "version", "month", "currency", "rate_per_eur"], rows)
    return {"FX rates": count}


def _name_maker(rng):
    used = set()

    def name():
        base = f"{rng.choice(STEMS)}{rng.choice(TAILS)} {rng.choice(SUFFIXES)}"
        candidate = base
        if candidate in used:
            candidate = f"{base} {rng.choice(CITIES)}"
        while candidate in used:
            candidate = f"{base} {rng.choice(CITIES)} {rng.randint(2, 999)}"
        used.add(candidate)
        return candidate

    return name


def _kam_loads(rng, key_accounts: int) -> list[int]:
    """How many key accounts each manager carries: 5–10 each (fewer only when there are fewer than 5 in all)."""
    loads, remaining = [], key_accounts
    while remaining > 0:
        load = min(rng.randint(5, 10), remaining)
        loads.append(load)
        remaining -= load
    if len(loads) > 1 and loads[-1] < 5:
        short = loads.pop()
        for i in range(short):  # spread the rest over the others, never above 10
            loads[i % len(loads)] += 1
    return loads


@step("accounts.portfolio", order=20)
def portfolio(ctx):
    """Users, accounts with their hierarchy (explicit ids, tree paths and depths), owners and key account teams."""
    rng = ctx.rng("accounts.portfolio")
    if Account._base_manager.filter(account_number__startswith=f"{ctx.prefix}-").exists():
        raise GenerateRefused(
            f"Accounts numbered {ctx.prefix}-… exist already: give the added tenant another --prefix."
        )
    customers = ctx.scaled(CUSTOMERS)
    key_accounts = min(ctx.scaled(KEY_ACCOUNTS), customers)
    prefix = ctx.prefix
    login = prefix.lower()
    stamp = ctx.timestamp()

    # -- users: an administrator, a programme lead, the key account managers, sponsors and support viewers
    loads = _kam_loads(rng, key_accounts)
    User = get_user_model()
    next_user = ctx.next_id(User)
    password = make_password(PASSWORD)  # hashed once: every generated user signs in with PASSWORD
    users = []

    def add_user(email, name, role, staff=False):
        users.append((next_user + len(users), password, None, staff, email, name, role, True, staff, stamp))
        return users[-1][0]

    admin_id = add_user(f"{login}-admin@example.com", f"{prefix} Administrator", Role.ADMIN, staff=True)
    lead_id = add_user(f"{login}-lead@example.com", f"{prefix} Programme Lead", Role.PROGRAMME_LEAD)
    kam_ids = [
        add_user(f"{login}-kam{i + 1:04d}@example.com", f"{prefix} KAM {i + 1}", Role.KEY_ACCOUNT_MANAGER)
        for i in range(len(loads))
    ]
    sponsor_ids = [
        add_user(f"{login}-sponsor{i + 1:03d}@example.com", f"{prefix} Sponsor {i + 1}", Role.EXECUTIVE_SPONSOR)
        for i in range(math.ceil(key_accounts / 20))
    ]
    viewer_ids = [
        add_user(f"{login}-viewer{i + 1:03d}@example.com", f"{prefix} Viewer {i + 1}", Role.VIEWER)
        for i in range(math.ceil(key_accounts / 50))
    ]
    user_fields = ["id", "password", "last_login", "is_superuser", "email", "full_name", "role", "is_active"]
    ctx.insert(User, [*user_fields, "is_staff", "date_joined"], users)
    owner_of_key = [kam for kam, load in zip(kam_ids, loads, strict=True) for _ in range(load)]

    # -- accounts: key groups first (a global account, subsidiaries, plants), then other customers
    first_id = ctx.next_id(Account)
    name = _name_maker(rng)
    countries = list(COUNTRIES)
    weights = [COUNTRIES[c][0] for c in countries]
    generated, rows = [], []

    def add_account(label, country, parent=None, *, key=False, owner=None, size, industry, status, legal=True):
        account_id = first_id + len(generated)
        path = f"{parent.tree_path if parent else '/'}{account_id}/"
        number = f"{prefix}-{len(generated) + 1:07d}"
        _, currency, region, form = COUNTRIES[country]
        account = GeneratedAccount(
            id=account_id,
            parent_id=parent.id if parent else None,
            tree_path=path,
            depth=parent.depth + 1 if parent else 0,
            number=number,
            country=country,
            currency=currency,
            status=status,
            is_key=key,
            owner_id=owner,
            size=size,
            group_root=parent.group_root if parent else account_id,
        )
        generated.append(account)
        rows.append(
            (
                account_id,
                stamp,
                stamp,
                1,
                label,
                f"{label} {form}" if legal else "",
                number,
                f"001{prefix[:3]}{len(generated):012d}",
                account.parent_id,
                path,
                account.depth,
                industry,
                country,
                region,
                currency,
                status,
                key,
                owner,
            )
        )
        return account

    def add_group(root_country, subsidiaries, *, key, owner, size):
        industry = rng.choice(INDUSTRIES)
        label = name()
        root = add_account(
            label, root_country, key=key, owner=owner, size=size, industry=industry, status=AccountStatus.CUSTOMER
        )
        for s in range(subsidiaries):
            if len(generated) >= customers:
                break
            country = rng.choices(countries, weights)[0]
            sub = add_account(
                f"{label} {country} {s + 1}",
                country,
                root,
                owner=owner,
                size=size * rng.uniform(0.15, 0.6),
                industry=industry,
                status=AccountStatus.CUSTOMER,
            )
            if rng.random() < 0.25:
                for p in range(rng.randint(1, 3)):
                    if len(generated) >= customers:
                        break
                    add_account(
                        f"{label} {country} {s + 1} Plant {p + 1}",
                        country,
                        sub,
                        owner=owner,
                        size=size * rng.uniform(0.03, 0.15),
                        industry=industry,
                        status=AccountStatus.CUSTOMER,
                        legal=False,
                    )
        return root

    key_ids = []
    for k in range(key_accounts):
        subsidiaries = 0 if rng.random() < 0.1 else min(80, int(rng.lognormvariate(1.2, 0.8)))
        size = rng.lognormvariate(math.log(120_000), 0.7)
        root = add_group(rng.choices(countries, weights)[0], subsidiaries, key=True, owner=owner_of_key[k], size=size)
        key_ids.append(root.id)
    while len(generated) < customers:
        size = rng.lognormvariate(math.log(8_000), 1.0)
        if rng.random() < 0.03:  # a smaller group that is not (yet) a key account
            add_group(rng.choices(countries, weights)[0], rng.randint(1, 3), key=False, owner=None, size=size)
            continue
        status = AccountStatus.FORMER_CUSTOMER if rng.random() < 0.08 else AccountStatus.CUSTOMER
        add_account(
            name(), rng.choices(countries, weights)[0], size=size, industry=rng.choice(INDUSTRIES), status=status
        )
    ctx.insert(Account, ACCOUNT_FIELDS, rows)

    # -- key account teams
    team_rows = []
    for index, (account_id, kam_id) in enumerate(zip(key_ids, owner_of_key, strict=True)):
        # Teams formed over the two years before the as-of month (from the index: the random streams stay as they were).
        start = (ctx.as_of - dt.timedelta(days=30 + index * 7 % 700)).isoformat()
        team_rows.append(
            (stamp, stamp, 1, account_id, kam_id, TeamRole.KEY_ACCOUNT_MANAGER, rng.choice([10, 15, 20]), start)
        )
        team_rows.append((stamp, stamp, 1, account_id, sponsor_ids[index // 20], TeamRole.EXECUTIVE_SPONSOR, 5, start))
        if rng.random() < 0.4:
            team_rows.append((stamp, stamp, 1, account_id, rng.choice(viewer_ids), TeamRole.SUPPORT, 0, start))
    team_fields = [
        "created_at",
        "updated_at",
        "version",
        "account_id",
        "user_id",
        "team_role",
        "allocation_percent",
        "start_date",
    ]
    team_count = ctx.insert(AccountTeamMember, team_fields, team_rows)

    ctx.shared["accounts"] = GeneratedPortfolio(
        first_account_id=first_id,
        last_account_id=first_id + len(generated) - 1,
        months=ctx.shared["accounts.months"],
        currencies=list(RATES),
        accounts=generated,
        key_account_ids=key_ids,
        kam_user_ids=kam_ids,
        sponsor_user_ids=sponsor_ids,
        admin_user_id=admin_id,
        lead_user_id=lead_id,
    )
    ctx.shared["summary_object"] = (Account, first_id)
    return {
        "users": len(users),
        "accounts": len(generated),
        "key accounts": len(key_ids),
        "key account managers": len(kam_ids),
        "team members": team_count,
    }


@step("accounts.facts", order=30)
def facts(ctx):
    """One row per customer and month, in the customer's currency; sizes are EUR, amounts local."""
    rng = ctx.rng("accounts.facts")
    generated = ctx.shared["accounts"]
    months = [m.isoformat() for m in generated.months]
    local = {"EUR": 1.0} | {c: float(r) for c, r in RATES.items()}
    stamp = ctx.timestamp()
    random, uniform, choice = rng.random, rng.uniform, rng.choice

    def rows():
        for account in generated.accounts:
            line = choice(PRODUCT_LINES)
            trend = uniform(-0.015, 0.025)
            margin = uniform(0.18, 0.42)
            scale = account.size * local[account.currency] * 100  # in cents of the local currency
            left = rng.randint(6, len(months) - 1) if account.status == AccountStatus.FORMER_CUSTOMER else len(months)
            currency, account_id = account.currency, account.id
            for i, month in enumerate(months):
                if i >= left:
                    revenue = profit = 0  # a former customer: zero rows after leaving (they change nothing)
                else:
                    revenue = int(scale * (1 + trend) ** i * uniform(0.75, 1.25))
                    if random() < 0.004:
                        revenue = -revenue // 10  # a credit note
                    profit = int(revenue * margin * uniform(0.85, 1.15))
                yield (stamp, stamp, 1, account_id, month, line, currency, money(revenue), money(profit))

    return {"financial facts": ctx.insert(FinancialFact, FACT_FIELDS, rows())}


@step("accounts.wallets", order=40)
def wallets(ctx):
    """Wallets for the key accounts (this year and last, covering the group) and a fifth of other top-level
    accounts (this year), set 2.5–6× above the spend so that share of wallet stays below 100 %."""
    rng = ctx.rng("accounts.wallets")
    generated = ctx.shared["accounts"]
    year = ctx.as_of.year
    local = {"EUR": 1.0} | {c: float(r) for c, r in RATES.items()}
    group_size = {}
    for account in generated.accounts:
        group_size[account.group_root] = group_size.get(account.group_root, 0.0) + account.size
    stamp = ctx.timestamp()
    rows = []
    for account in generated.accounts:
        if account.parent_id is not None or not (account.is_key or rng.random() < 0.2):
            continue
        spend = group_size[account.id] * 12 * rng.uniform(2.5, 6.0) * local[account.currency]
        for y in (year - 1, year) if account.is_key else (year,):
            amount = round(spend * (0.95 if y < year else 1.0), -3)
            rows.append((stamp, stamp, 1, account.id, y, account.currency, money(int(amount * 100))))
    fields = ["created_at", "updated_at", "version", "account_id", "year", "currency", "amount"]
    return {"wallet estimates": ctx.insert(WalletEstimate, fields, rows)}
