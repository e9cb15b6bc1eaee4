"""The whitespace matrix, business units and the offerings catalogue over REST. Every read and write asks the
permission choke point first (role: 403, scope: 404); every write goes through kam.plans.whitespace or
kam.plans.offerings. Money is Decimal, in EUR."""

import datetime as dt
from decimal import Decimal
from typing import Literal

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from ninja import Router, Schema, Status
from pydantic import Field

from kam.accounts.models import Account
from kam.core.api import (
    ERRORS,
    WRITE_ERRORS,
    InputSchema,
    api_field_names,
    etag,
    expected_version,
    optional_version,
    refuse_nulls,
    restricted,
    stored_id,
)
from kam.core.permissions import ADD, CHANGE, DELETE, VIEW, require
from kam.plans import offerings, whitespace
from kam.plans.choices import CLOSED_STAGES, CellStatus
from kam.plans.models import BusinessUnit, Offering, WhitespaceCell
from kam.plans.whitespace_views import BIG_ID, plan_versions, resolve_row

router = Router(tags=["whitespace"])
MONEY = {"max_digits": 14, "decimal_places": 2}


# Schemas ----------------------------------------------------------------------------------------------------------


class OfferingOut(Schema):
    id: int
    name: str
    category: str
    description: str
    position: int = Field(description="Columns are shown in this order.")
    is_active: bool = Field(description="Retired offerings keep their cells.")
    version: int


class OfferingIn(InputSchema):
    name: str = Field(min_length=1, max_length=100)
    category: str = Field("", max_length=100)
    description: str = Field("", max_length=10_000)
    position: int = Field(100, ge=0, le=32767)
    is_active: bool = True


class OfferingPatch(InputSchema):
    name: str | None = Field(None, min_length=1, max_length=100)
    category: str | None = Field(None, max_length=100)
    description: str | None = Field(None, max_length=10_000)
    position: int | None = Field(None, ge=0, le=32767)
    is_active: bool | None = None
    version: int | None = Field(None, description="The version you read; or send If-Match.")


class WhitespaceTotalsOut(Schema):
    won: Decimal
    open: Decimal = Field(description="In pipeline and potential.")
    competitor_held: Decimal
    mapped: Decimal = Field(description="Won + in pipeline + potential + competitor-held.")
    captured_percent: Decimal | None = Field(description="100 × won / mapped; null when nothing is valued.")
    cells_by_status: dict[str, int]


class WhitespaceCellOut(Schema):
    id: int | None = Field(description="Null for a cell nobody has set (status none).")
    offering_id: int
    status: str = Field(description="none, potential, pipeline, won or competitor.")
    annual_value: Decimal | None = Field(description="EUR a year.")
    competitor: str
    note: str
    version: int = Field(description="0 for a cell nobody has set.")
    open_opportunity_ids: list[int] = Field(description="Open opportunities of the plan's newest version here.")


class WhitespaceRowOut(Schema):
    key: str = Field(description="`a<account id>` or `u<business unit id>`: the row of the cell paths.")
    label: str
    depth: int
    account_id: int
    business_unit_id: int | None
    cells: list[WhitespaceCellOut] = Field(description="One per offering, in column order.")
    totals: WhitespaceTotalsOut = Field(description="An account row: its subtree's; a business unit's: its own.")
    own_totals: WhitespaceTotalsOut = Field(description="The account's own cells and its business units'.")
    share_of_wallet_percent: Decimal | None = Field(description="DEFINITIONS §3, account rows only; null if undefined.")


class WhitespaceColumnOut(Schema):
    offering_id: int
    totals: WhitespaceTotalsOut


class WhitespaceMatrixOut(Schema):
    account_id: int
    as_of: dt.date | None = Field(description="The month of the share-of-wallet figures.")
    offerings: list[OfferingOut]
    rows: list[WhitespaceRowOut]
    columns: list[WhitespaceColumnOut]
    total: WhitespaceTotalsOut


class WhitespaceCellIn(InputSchema):
    status: Literal[tuple(CellStatus.values)]
    annual_value: Decimal | None = Field(None, ge=0, **MONEY, description="EUR a year.")
    competitor: str = Field("", max_length=100, description="Required when competitor-held.")
    note: str = Field("", max_length=500)
    version: int | None = Field(None, description="The cell's version you read (0: not set yet); or If-Match.")


class WhitespaceBusinessUnitOut(Schema):
    id: int
    account_id: int
    name: str
    version: int


class WhitespaceBusinessUnitIn(InputSchema):
    name: str = Field(min_length=1, max_length=100)
    account_id: int | None = Field(
        None, ge=1, le=BIG_ID, description="The subsidiary it belongs to; default the account of the path."
    )


class WhitespaceBusinessUnitPatch(InputSchema):
    name: str = Field(min_length=1, max_length=100)
    version: int | None = Field(None, description="The version you read; or send If-Match.")


# Helpers ----------------------------------------------------------------------------------------------------------


def _account(request, account_id: int, action=VIEW, model=WhitespaceCell) -> Account:
    require(request.user, action, model)
    account = Account.objects.visible_to(request.user).filter(pk=stored_id(account_id)).first()
    if account is None:
        raise Http404
    return account


def _offerings(request, action=VIEW):
    # Offerings are programme-wide reference data: the role decides (their scope is everything).
    return restricted(request, Offering, action)


def _offering(request, offering_id: int, action=VIEW) -> Offering:
    offering = _offerings(request, action).filter(pk=stored_id(offering_id)).first()
    if offering is None:
        raise Http404
    return offering


def _unit(request, unit_id: int, action) -> BusinessUnit:
    require(request.user, action, BusinessUnit)
    visible = Account.objects.visible_to(request.user)
    unit = BusinessUnit.objects.filter(account__in=visible, pk=stored_id(unit_id)).first()
    if unit is None:
        raise Http404
    return unit


def _totals(totals: whitespace.Totals) -> dict:
    return {
        "won": totals.won,
        "open": totals.open,
        "competitor_held": totals.competitor,
        "mapped": totals.mapped,
        "captured_percent": totals.captured_percent,
        "cells_by_status": {status: totals.counts.get(status, 0) for status in CellStatus.values},
    }


def _cell(cell: WhitespaceCell | None, offering_id: int, opportunities: dict) -> dict:
    if cell is None:
        return {
            "id": None, "offering_id": offering_id, "status": CellStatus.NONE, "annual_value": None,
            "competitor": "", "note": "", "version": 0, "open_opportunity_ids": [],
        }  # fmt: skip
    return {
        "id": cell.pk,
        "offering_id": offering_id,
        "status": cell.status,
        "annual_value": cell.annual_value,
        "competitor": cell.competitor,
        "note": cell.note,
        "version": cell.version,
        "open_opportunity_ids": [o.pk for o in opportunities.get(cell.pk, [])],
    }


# The matrix -------------------------------------------------------------------------------------------------------


@router.get(
    "/accounts/{account_id}/whitespace",
    response={200: WhitespaceMatrixOut, **ERRORS},
    summary="The account's whitespace matrix: its subsidiaries (those you see) and business units × the offerings",
)
def get_matrix(request, account_id: int):
    account = _account(request, account_id)
    newest, _ = plan_versions(account)
    matrix = whitespace.build_matrix(account, request.user, version=newest)
    rows = []
    for row in matrix.rows:
        rows.append(
            {
                "key": row.key,
                "label": row.label,
                "depth": row.depth,
                "account_id": row.account.pk,
                "business_unit_id": row.business_unit.pk if row.business_unit else None,
                "cells": [_cell(row.cells.get(o.pk), o.pk, matrix.open_opportunities) for o in matrix.offerings],
                "totals": _totals(row.subtree if row.business_unit is None else row.own),
                "own_totals": _totals(row.own),
                "share_of_wallet_percent": row.share_of_wallet if row.business_unit is None else None,
            }
        )
    columns = [
        {"offering_id": o.pk, "totals": _totals(matrix.columns.get(o.pk, whitespace.Totals()))}
        for o in matrix.offerings
    ]
    return {
        "account_id": account.pk,
        "as_of": matrix.as_of,
        "offerings": matrix.offerings,
        "rows": rows,
        "columns": columns,
        "total": _totals(matrix.total),
    }


@router.put(
    "/accounts/{account_id}/whitespace/cells/{row}/{offering_id}",
    response={200: WhitespaceCellOut, **WRITE_ERRORS},
    summary="Set a cell (row: `a<account id>` or `u<business unit id>`); If-Match or version checked when sent",
)
def put_cell(request, account_id: int, row: str, offering_id: int, payload: WhitespaceCellIn, response: HttpResponse):
    account = _account(request, account_id, CHANGE)
    row_account, unit = resolve_row(request.user, account, row)
    offering = _offering(request, offering_id)
    data = payload.dict()
    expected = optional_version(request, data.pop("version"))
    cell = whitespace.save_cell(
        account, row_account, offering, data, request.user, business_unit=unit, expected_version=expected
    )
    response["ETag"] = etag(cell)
    newest, _ = plan_versions(account)
    opportunities = {}
    if newest is not None:
        opportunities[cell.pk] = list(cell.opportunities.filter(plan_version=newest).exclude(stage__in=CLOSED_STAGES))
    return _cell(cell, offering.pk, opportunities)


# Business units ---------------------------------------------------------------------------------------------------


@router.get(
    "/accounts/{account_id}/business-units",
    response={200: list[WhitespaceBusinessUnitOut], **ERRORS},
    summary="The business units of the account and of its subsidiaries you see",
)
def list_business_units(request, account_id: int):
    account = _account(request, account_id, VIEW, BusinessUnit)
    visible = Account.objects.visible_to(request.user).filter(pk__in=account.subtree().values("pk"))
    return BusinessUnit.objects.filter(account__in=visible).order_by("account__tree_path", "name", "pk")


@router.post(
    "/accounts/{account_id}/business-units",
    response={201: WhitespaceBusinessUnitOut, **WRITE_ERRORS},
    summary="Add a business unit to the account (or to one of its subsidiaries: `account_id`)",
)
def add_business_unit(request, account_id: int, payload: WhitespaceBusinessUnitIn, response: HttpResponse):
    account = _account(request, account_id, ADD, BusinessUnit)
    target = account
    if payload.account_id is not None and payload.account_id != account.pk:
        target = Account.objects.visible_to(request.user).filter(pk=payload.account_id).first()
        if target is None:
            raise ValidationError({"account_id": "Choose the account or one of its subsidiaries."})
    with api_field_names(account="account_id"):
        unit = whitespace.add_business_unit(account, target, payload.name, request.user)
    response["ETag"] = etag(unit)
    return Status(201, unit)


@router.patch(
    "/business-units/{unit_id}",
    response={200: WhitespaceBusinessUnitOut, **WRITE_ERRORS},
    summary="Rename a business unit (If-Match or version required)",
)
def rename_business_unit(request, unit_id: int, payload: WhitespaceBusinessUnitPatch, response: HttpResponse):
    unit = _unit(request, unit_id, CHANGE)
    expected = expected_version(request, payload.version)
    unit = whitespace.rename_business_unit(unit, payload.name, request.user, expected)
    response["ETag"] = etag(unit)
    return unit


@router.delete(
    "/business-units/{unit_id}",
    response={204: None, **WRITE_ERRORS},
    summary="Delete a business unit and its cells; refused while opportunities of the current plan are linked to "
    "them (If-Match checked when sent)",
)
def delete_business_unit(request, unit_id: int):
    unit = _unit(request, unit_id, DELETE)
    whitespace.delete_business_unit(unit, request.user, optional_version(request, None))
    return Status(204, None)


# Offerings --------------------------------------------------------------------------------------------------------


@router.get("/offerings", response={200: list[OfferingOut], **ERRORS}, summary="The offerings catalogue")
def list_offerings(request, active: bool | None = None):
    catalogue = _offerings(request)
    if active is not None:
        catalogue = catalogue.filter(is_active=active)
    return catalogue.order_by("position", "name", "pk")


@router.post("/offerings", response={201: OfferingOut, **WRITE_ERRORS}, summary="Add an offering (a matrix column)")
def create_offering(request, payload: OfferingIn, response: HttpResponse):
    _offerings(request, ADD)
    offering = offerings.save_offering(payload.dict(), request.user)
    response["ETag"] = etag(offering)
    return Status(201, offering)


@router.get("/offerings/{offering_id}", response={200: OfferingOut, **ERRORS}, summary="One offering")
def get_offering(request, offering_id: int, response: HttpResponse):
    offering = _offering(request, offering_id)
    response["ETag"] = etag(offering)
    return offering


@router.patch(
    "/offerings/{offering_id}",
    response={200: OfferingOut, **WRITE_ERRORS},
    summary="Change an offering, e.g. retire it (is_active false); If-Match or version required",
)
def update_offering(request, offering_id: int, payload: OfferingPatch, response: HttpResponse):
    offering = _offering(request, offering_id, CHANGE)
    data = payload.dict(exclude_unset=True)
    expected = expected_version(request, data.pop("version", None))
    refuse_nulls(data, *data)
    offering = offerings.save_offering(data, request.user, offering=offering, expected_version=expected)
    response["ETag"] = etag(offering)
    return offering


@router.delete(
    "/offerings/{offering_id}",
    response={204: None, **WRITE_ERRORS},
    summary="Delete an offering no cell uses (one in use: retire it instead); If-Match checked when sent",
)
def delete_offering(request, offering_id: int):
    offering = _offering(request, offering_id, DELETE)
    offerings.delete_offering(offering, request.user, optional_version(request, None))
    return Status(204, None)


__all__ = ["router"]
