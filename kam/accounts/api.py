import datetime as dt
from decimal import Decimal
from typing import Literal

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import PageNumberPagination, paginate
from pydantic import Field

from kam.accounts import figures, services
from kam.accounts.choices import AccountStatus, ImportKind
from kam.accounts.filtersets import AccountFilterSet, FxRateFilterSet, ImportRunFilterSet, order_for_search
from kam.accounts.imports import apply_import, start_import
from kam.accounts.models import Account, FinancialFact, FxRate, ImportRun
from kam.core.api import (
    ERRORS,
    WRITE_ERRORS,
    ErrorOut,
    InputSchema,
    etag,
    expected_version,
    filtered,
    get_restricted,
    restricted,
)
from kam.core.permissions import ADD, CHANGE, DELETE, IMPORT, VIEW, has_global_scope

router = Router(tags=["accounts"])


class Pagination(PageNumberPagination):
    """50 per page, at most 500; page numbers are bounded so an absurd offset is a 422, not a database error."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=1_000_000)
        page_size: int | None = Field(None, ge=1, le=500)

    def __init__(self, **kwargs):
        super().__init__(page_size=50, max_page_size=500, **kwargs)


StatusLiteral = Literal["prospect", "customer", "former_customer"]


class AccountOut(Schema):
    id: int
    name: str
    legal_name: str
    account_number: str
    crm_id: str
    parent_id: int | None
    depth: int
    industry: str
    country: str
    region: str
    currency: str
    status: str
    is_key_account: bool
    owner_id: int | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class AccountIn(InputSchema):
    name: str = Field(min_length=1, max_length=200)
    account_number: str = Field(min_length=1, max_length=64)
    legal_name: str = Field("", max_length=300)
    crm_id: str = Field("", max_length=64)
    parent_id: int | None = None
    industry: str = Field("", max_length=100)
    country: str = Field("", max_length=2, description="ISO 3166 two-letter code, or empty")
    region: str = Field("", max_length=50)
    currency: str = Field("EUR", min_length=3, max_length=3, description="ISO 4217 code")
    status: StatusLiteral = AccountStatus.CUSTOMER.value
    is_key_account: bool = False
    owner_id: int | None = None


class AccountPatch(InputSchema):
    name: str | None = Field(None, min_length=1, max_length=200)
    account_number: str | None = Field(None, min_length=1, max_length=64)
    legal_name: str | None = Field(None, max_length=300)
    crm_id: str | None = Field(None, max_length=64)
    parent_id: int | None = None
    industry: str | None = Field(None, max_length=100)
    country: str | None = Field(None, max_length=2)
    region: str | None = Field(None, max_length=50)
    currency: str | None = Field(None, min_length=3, max_length=3)
    status: StatusLiteral | None = None
    is_key_account: bool | None = None
    owner_id: int | None = None
    version: int | None = Field(None, description="The version you read; or send If-Match.")


class AccountFilters(Schema):
    q: str | None = Field(None, max_length=200, description="Search name, legal name, account number, CRM id")
    status: StatusLiteral | None = None
    is_key_account: bool | None = None
    top_level: bool | None = None
    industry: str | None = Field(None, max_length=100)
    country: str | None = Field(None, max_length=2)
    region: str | None = Field(None, max_length=50)
    currency: str | None = Field(None, max_length=3)


class FiguresOut(Schema):
    as_of: str | None
    revenue_t12m: Decimal | None
    gross_profit_t12m: Decimal | None
    gross_margin_percent: Decimal | None
    revenue_p12m: Decimal | None
    yoy_growth_percent: Decimal | None
    wallet: Decimal | None
    share_of_wallet_percent: Decimal | None
    missing_rate: str | None


class AccountFiguresOut(Schema):
    currency: str = "EUR"
    own: FiguresOut
    subtree: FiguresOut


class FactOut(Schema):
    id: int
    month: str
    product_line: str
    currency: str
    revenue: Decimal
    gross_profit: Decimal

    @staticmethod
    def resolve_month(obj):
        return f"{obj.month:%Y-%m}"


class FxRateOut(Schema):
    month: str
    currency: str
    rate_per_eur: Decimal

    @staticmethod
    def resolve_month(obj):
        return f"{obj.month:%Y-%m}"


class FxFilters(Schema):
    currency: str | None = Field(None, max_length=3)
    year: int | None = Field(None, ge=1900, le=2999)


class ImportOut(Schema):
    id: int
    kind: str
    original_name: str
    status: str
    rows_total: int
    rows_done: int
    summary: dict
    errors: list[dict]
    created_at: dt.datetime


class ImportFilters(Schema):
    kind: Literal[tuple(ImportKind.values)] | None = None
    status: str | None = Field(None, max_length=16)


def _figures_out(fig: figures.Figures) -> dict:
    return {
        "as_of": f"{fig.as_of:%Y-%m}" if fig.as_of else None,
        "revenue_t12m": fig.revenue_t12m_rounded,
        "gross_profit_t12m": fig.gross_profit_t12m_rounded,
        "gross_margin_percent": fig.gross_margin_percent,
        "revenue_p12m": fig.revenue_p12m_rounded,
        "yoy_growth_percent": fig.yoy_growth_percent,
        "wallet": fig.wallet_rounded,
        "share_of_wallet_percent": fig.share_of_wallet_percent,
        "missing_rate": str(fig.missing_rate) if fig.missing_rate else None,
    }


def _account_data(request, payload: dict) -> dict:
    data = dict(payload)
    if "parent_id" in data:
        parent_id = data.pop("parent_id")
        data["parent"] = None
        if parent_id is not None:
            data["parent"] = Account.objects.visible_to(request.user).filter(pk=parent_id).first()
            if data["parent"] is None:
                raise ValidationError({"parent_id": "No such account (or not visible to you)."})
    if "owner_id" in data:
        from django.contrib.auth import get_user_model

        owner_id = data.pop("owner_id")
        data["owner"] = get_user_model().objects.filter(pk=owner_id, is_active=True).first() if owner_id else None
        if owner_id and data["owner"] is None:
            raise ValidationError({"owner_id": "No such active user."})
    for key in ("country", "currency"):
        if data.get(key):
            data[key] = data[key].upper()
    return data


@router.get("/accounts", response={200: list[AccountOut], **ERRORS}, summary="List accounts")
@paginate(Pagination)
def list_accounts(request, filters: Query[AccountFilters]):
    accounts = filtered(request, AccountFilterSet, restricted(request, Account, VIEW), filters)
    if not has_global_scope(request.user) and not filters.q:
        # A team member's scope is a few subtrees: fetch them, then sort (see AccountTable.order_name).
        accounts = accounts.order_by(order_for_search("name"), "account_number")
    return accounts


@router.post("/accounts", response={201: AccountOut, **WRITE_ERRORS}, summary="Create an account")
def create_account(request, payload: AccountIn):
    restricted(request, Account, ADD)
    account = services.create_account(**_account_data(request, payload.dict()))
    return Status(201, account)


@router.get("/accounts/{account_id}", response={200: AccountOut, **ERRORS}, summary="One account (ETag = version)")
def get_account(request, account_id: int, response: HttpResponse):
    account = get_restricted(request, Account, VIEW, account_id)
    response["ETag"] = etag(account)
    return account


@router.patch(
    "/accounts/{account_id}",
    response={200: AccountOut, **WRITE_ERRORS},
    summary="Update an account (If-Match or version required)",
)
def update_account(request, account_id: int, payload: AccountPatch, response: HttpResponse):
    account = get_restricted(request, Account, CHANGE, account_id)
    data = payload.dict(exclude_unset=True)
    version = expected_version(request, data.pop("version", None))
    account = services.update_account(account, _account_data(request, data), expected_version=version)
    response["ETag"] = etag(account)
    return account


@router.delete("/accounts/{account_id}", response={204: None, **WRITE_ERRORS}, summary="Delete an account")
def delete_account(request, account_id: int):
    account = get_restricted(request, Account, DELETE, account_id)
    version = expected_version(request, None) if request.headers.get("If-Match") else None
    services.delete_account(account, expected_version=version)
    return Status(204, None)


@router.get(
    "/accounts/{account_id}/figures",
    response={200: AccountFiguresOut, **ERRORS},
    summary="T12M revenue, gross profit, margin, growth, wallet, share of wallet (own and subtree)",
)
def account_figures(request, account_id: int):
    account = get_restricted(request, Account, VIEW, account_id)
    rates = figures.RateTable()
    as_of = figures.latest_month()
    return {
        "own": _figures_out(figures.own_figures(account, as_of=as_of, rates=rates)),
        "subtree": _figures_out(figures.subtree_figures(account, as_of=as_of, rates=rates)),
    }


@router.get("/accounts/{account_id}/facts", response={200: list[FactOut], **ERRORS}, summary="Monthly facts")
@paginate(Pagination)
def account_facts(request, account_id: int):
    account = get_restricted(request, Account, VIEW, account_id)
    return restricted(request, FinancialFact, VIEW).filter(account=account)


@router.get("/fx-rates", response={200: list[FxRateOut], **ERRORS}, summary="FX rates (units per 1 EUR)")
@paginate(Pagination)
def list_fx_rates(request, filters: Query[FxFilters]):
    return filtered(request, FxRateFilterSet, restricted(request, FxRate, VIEW), filters)


@router.get("/imports", response={200: list[ImportOut], **ERRORS}, summary="Your imports")
@paginate(Pagination)
def list_imports(request, filters: Query[ImportFilters]):
    return filtered(request, ImportRunFilterSet, restricted(request, ImportRun, VIEW), filters)


@router.post(
    "/imports",
    response={201: ImportOut, **WRITE_ERRORS},
    summary="Upload a file: it is checked (dry run), nothing is written until you apply it",
)
def create_import(request, kind: Form[Literal[tuple(ImportKind.values)]], file: File[UploadedFile]):
    restricted(request, ImportRun, IMPORT)
    run = start_import(request.user, ImportKind(kind), file.name or "upload", file.read())
    return Status(201, run)


@router.get("/imports/{import_id}", response={200: ImportOut, **ERRORS}, summary="An import and its report")
def get_import(request, import_id: int):
    return get_restricted(request, ImportRun, VIEW, import_id)


@router.post(
    "/imports/{import_id}/apply", response={200: ImportOut, **WRITE_ERRORS}, summary="Apply a checked import atomically"
)
def apply(request, import_id: int):
    run = get_restricted(request, ImportRun, IMPORT, import_id)
    return apply_import(run)


__all__ = ["router", "ErrorOut"]
