"""The whitespace matrix of a plan (issue 7): the client's parts (the plan account, its subsidiaries and their
business units) × our offerings, each cell none / potential / in pipeline / won / competitor-held with its annual
value (EUR).

Rows are the accounts of the plan account's subtree that the user sees, in tree order, each followed by its business
units. An account row's **own** totals add its own cells and its business units' cells; its **subtree** totals add
those of every account below it too (the roll-up across the hierarchy), and the plan account's subtree totals are
the whole matrix. Per row and column the totals are by status; **captured %** = 100 × won / (won + in pipeline +
potential + competitor-held) over the cells that have a value (6 decimals, half-up; None when nothing is valued).
Each account row also shows its **share of wallet** as DEFINITIONS §3 defines it for the subtree (T12M revenue /
wallet, from the portfolio figures), so the mapped whitespace can be read against the estimate.

Writes (`save_cell`, `add_business_unit`, `rename_business_unit`, `delete_business_unit`) go through here too.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q

from kam.accounts import figures
from kam.accounts.models import Account, WalletEstimate
from kam.core.services import lock_for_update
from kam.plans.choices import CLOSED_STAGES, FROZEN_STATUSES, CellStatus
from kam.plans.models import BusinessUnit, Offering, Opportunity, WhitespaceCell

HUNDRED = Decimal(100)
# Statuses that count towards the mapped value of a part of the client (none counts nothing, valued or not).
VALUED = (CellStatus.WON, CellStatus.PIPELINE, CellStatus.POTENTIAL, CellStatus.COMPETITOR)
CELL_FIELDS = ("status", "annual_value", "competitor", "note")


@dataclass
class Totals:
    """Annual values (EUR) by cell status, and how many cells have each status."""

    values: dict = field(default_factory=lambda: defaultdict(Decimal))
    counts: dict = field(default_factory=lambda: defaultdict(int))

    def add_cell(self, cell: WhitespaceCell) -> None:
        self.counts[cell.status] += 1
        if cell.annual_value is not None and cell.status in VALUED:
            self.values[cell.status] += cell.annual_value

    def add(self, other: "Totals") -> None:
        for status, value in other.values.items():
            self.values[status] += value
        for status, count in other.counts.items():
            self.counts[status] += count

    @property
    def won(self) -> Decimal:
        return self.values[CellStatus.WON]

    @property
    def open(self) -> Decimal:
        """Still to win: in pipeline and potential."""
        return self.values[CellStatus.PIPELINE] + self.values[CellStatus.POTENTIAL]

    @property
    def competitor(self) -> Decimal:
        return self.values[CellStatus.COMPETITOR]

    @property
    def mapped(self) -> Decimal:
        return sum((self.values[s] for s in VALUED), Decimal(0))

    @property
    def captured_percent(self) -> Decimal | None:
        mapped = self.mapped
        if mapped <= 0:
            return None
        return figures.round_percent(HUNDRED * self.won / mapped)


@dataclass
class Row:
    account: Account
    business_unit: BusinessUnit | None
    depth: int
    cells: dict  # offering id → WhitespaceCell
    own: Totals = field(default_factory=Totals)
    subtree: Totals = field(default_factory=Totals)
    share_of_wallet: Decimal | None = None

    @property
    def label(self) -> str:
        return self.business_unit.name if self.business_unit else self.account.name

    @property
    def key(self) -> str:
        """The row's id in pages and forms: `a<account>` or `u<business unit>`."""
        return f"u{self.business_unit.pk}" if self.business_unit else f"a{self.account.pk}"


@dataclass
class Matrix:
    account: Account
    offerings: list
    rows: list
    columns: dict  # offering id → Totals
    total: Totals
    open_opportunities: dict  # cell id → [Opportunity] in the plan's newest version (open stages)
    as_of: dt.date | None


def offerings_for(cells) -> list:
    """The active offerings, and retired ones that still have a cell here (their column stays until emptied)."""
    used = {cell.offering_id for cell in cells}
    return list(Offering.objects.filter(Q(is_active=True) | Q(pk__in=used)).order_by("position", "name"))


def _wallets(account_ids, as_of, rates) -> dict:
    """Own wallet (EUR, the as-of year's estimate at the as-of rate) per account; accounts without one are absent."""
    wallets = defaultdict(Decimal)
    if as_of is None:
        return wallets
    rows = WalletEstimate.objects.filter(account_id__in=account_ids, year=as_of.year).values_list(
        "account_id", "currency", "amount"
    )
    for account_id, currency, amount in rows:
        wallets[account_id] += rates.to_eur(figures.exact(amount), currency, as_of)
    return wallets


def _shares_of_wallet(accounts: list, as_of, rates) -> dict:
    """DEFINITIONS §3 share of wallet of each account's subtree (over the accounts given: the visible subtree),
    from own sums rolled up by tree path. None where undefined or a rate is missing."""
    ids = [a.pk for a in accounts]
    if as_of is None or not ids:
        return {}
    try:
        revenue = figures.t12m_revenue_by_account(ids, as_of=as_of, rates=rates)
        wallets = _wallets(ids, as_of, rates)
    except figures.MissingRate:
        return {}
    shares = {}
    for account in accounts:
        members = [a.pk for a in accounts if a.tree_path.startswith(account.tree_path)]
        if any(revenue.get(pk) is None for pk in members):  # a missing FX rate
            shares[account.pk] = None
            continue
        with_wallet = [pk for pk in members if pk in wallets]
        if not with_wallet:
            shares[account.pk] = None
            continue
        wallet = sum((wallets[pk] for pk in with_wallet), Decimal(0))
        total = sum((revenue.get(pk) or Decimal(0) for pk in members), Decimal(0))
        defined = figures.round_money(wallet) > 0
        shares[account.pk] = figures.round_percent(HUNDRED * total / wallet) if defined else None
    return shares


def build_matrix(account: Account, user, *, version=None) -> Matrix:
    """The matrix of `account`'s plan as `user` sees it (rows limited to the accounts in the user's scope).
    `version`: the plan version whose open opportunities are listed on their cells (default: none listed)."""
    subtree = account.subtree().values("pk")
    accounts = list(Account.objects.visible_to(user).filter(pk__in=subtree).order_by("tree_path"))
    account_ids = [a.pk for a in accounts]
    units = defaultdict(list)
    for unit in BusinessUnit.objects.filter(account_id__in=account_ids).order_by("name", "pk"):
        units[unit.account_id].append(unit)
    cells = list(WhitespaceCell.objects.filter(account_id__in=account_ids).select_related("offering"))
    offerings = offerings_for(cells)
    by_row = defaultdict(dict)
    for cell in cells:
        by_row[(cell.account_id, cell.business_unit_id)][cell.offering_id] = cell
    base_depth = account.tree_path.count("/")
    rows, account_rows = [], {}
    columns = defaultdict(Totals)
    for member in accounts:
        row = Row(member, None, member.tree_path.count("/") - base_depth, by_row.get((member.pk, None), {}))
        account_rows[member.pk] = row
        rows.append(row)
        for cell in row.cells.values():
            row.own.add_cell(cell)
            columns[cell.offering_id].add_cell(cell)
        for unit in units.get(member.pk, []):
            unit_row = Row(member, unit, row.depth + 1, by_row.get((member.pk, unit.pk), {}))
            for cell in unit_row.cells.values():
                unit_row.own.add_cell(cell)
                columns[cell.offering_id].add_cell(cell)
            unit_row.subtree = unit_row.own
            row.own.add(unit_row.own)
            rows.append(unit_row)
    for member in accounts:  # roll each account's own totals up to every visible ancestor row (and itself)
        own = account_rows[member.pk].own
        for other in accounts:
            if member.tree_path.startswith(other.tree_path):
                account_rows[other.pk].subtree.add(own)
    total = account_rows[account.pk].subtree if account.pk in account_rows else Totals()
    rates = figures.RateTable()
    as_of = figures.latest_month()
    for pk, share in _shares_of_wallet(accounts, as_of, rates).items():
        account_rows[pk].share_of_wallet = share
    open_opportunities = defaultdict(list)
    if version is not None:
        for opportunity in Opportunity.objects.filter(plan_version=version, cell__isnull=False).exclude(
            stage__in=CLOSED_STAGES
        ):
            open_opportunities[opportunity.cell_id].append(opportunity)
    return Matrix(account, offerings, rows, dict(columns), total, dict(open_opportunities), as_of)


# Writes -----------------------------------------------------------------------------------------------------------


def _check_in_subtree(plan_account: Account, account: Account) -> None:
    if not account.tree_path.startswith(plan_account.tree_path):
        raise ValidationError({"account": f"{account} is not {plan_account} or one of its subsidiaries."})


@transaction.atomic
def save_cell(
    plan_account: Account,
    account: Account,
    offering: Offering,
    data: dict,
    user,
    *,
    business_unit: BusinessUnit | None = None,
    expected_version: int | None = None,
) -> WhitespaceCell:
    """Set the cell of (`account` or its `business_unit`) × `offering`: created on first write. `data` holds
    status, annual_value, competitor, note (any of them)."""
    _check_in_subtree(plan_account, account)
    if business_unit is not None and business_unit.account_id != account.pk:
        raise ValidationError({"business_unit": f"{business_unit} is not a business unit of {account}."})
    unknown = sorted(set(data) - set(CELL_FIELDS))
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "Not a field of a whitespace cell."))
    Account.objects.select_for_update().filter(pk=account.pk).first()  # one creation at a time per account
    cell = WhitespaceCell.objects.filter(account=account, business_unit=business_unit, offering=offering).first()
    if cell is None:
        if expected_version not in (None, 0):
            raise ValidationError({"version": "This cell was emptied meanwhile: reload and try again."})
        cell = WhitespaceCell(account=account, business_unit=business_unit, offering=offering)
    else:
        cell = lock_for_update(cell, expected_version)
    for name, value in data.items():
        if name in ("competitor", "note"):
            value = (value or "").strip()
        setattr(cell, name, value)
    errors = {}
    if cell.status == CellStatus.COMPETITOR and not cell.competitor:
        errors["competitor"] = "Name the competitor that holds it."
    if cell.status != CellStatus.COMPETITOR and cell.competitor:
        cell.competitor = ""
    if errors:
        raise ValidationError(errors)
    try:
        cell.full_clean(exclude=["account", "business_unit", "offering"])
    except ValidationError as error:
        raise ValidationError(error.message_dict) from None
    try:
        with transaction.atomic():
            cell.save()
    except IntegrityError:
        raise ValidationError({"version": "Someone set this cell at the same moment: reload and try again."}) from None
    return cell


@transaction.atomic
def add_business_unit(plan_account: Account, account: Account, name: str, user) -> BusinessUnit:
    _check_in_subtree(plan_account, account)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Name the business unit."})
    if len(name) > 100:
        raise ValidationError({"name": "At most 100 characters."})
    if BusinessUnit.objects.filter(account=account, name__iexact=name).exists():
        raise ValidationError({"name": f"{account} has a business unit called {name} already."})
    try:
        with transaction.atomic():
            return BusinessUnit.objects.create(account=account, name=name)
    except IntegrityError:
        raise ValidationError({"name": f"{account} has a business unit called {name} already."}) from None


@transaction.atomic
def rename_business_unit(unit: BusinessUnit, name: str, user, expected_version: int | None = None) -> BusinessUnit:
    unit = lock_for_update(unit, expected_version)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Name the business unit."})
    if BusinessUnit.objects.filter(account_id=unit.account_id, name__iexact=name).exclude(pk=unit.pk).exists():
        raise ValidationError({"name": f"This account has a business unit called {name} already."})
    unit.name = name
    unit.full_clean(exclude=["account"])
    unit.save()
    return unit


@transaction.atomic
def delete_business_unit(unit: BusinessUnit, user, expected_version: int | None = None) -> None:
    """Delete a business unit and its cells; refused while an opportunity of an unfrozen plan version points at one
    of them (frozen versions keep their opportunities, unlinked)."""
    unit = lock_for_update(unit, expected_version)
    linked = Opportunity.objects.filter(cell__business_unit=unit).exclude(plan_version__status__in=FROZEN_STATUSES)
    if linked.exists():
        raise ValidationError(
            {"business_unit": f"Opportunities of the current plan are linked to {unit}'s cells: move them first."}
        )
    for cell in unit.cells.all():
        cell.delete()
    unit.delete()
