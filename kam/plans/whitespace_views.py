"""The whitespace matrix, the offerings catalogue and the programme's opportunity list (pages).

The matrix page shows an account (and the subsidiaries the user sees) × our offerings; those who may change
whitespace cells edit a cell in place (htmx: the cell's URL answers with a form fragment and, once saved, with the
refreshed matrix; without JavaScript the same URLs are full pages). Business units are added, renamed and deleted
from the same page. Every page asks the permission choke point first (role: 403, scope: 404); every write goes
through kam.plans.whitespace or kam.plans.offerings."""

from collections import defaultdict
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, DecimalField, ExpressionWrapper, F, OuterRef, Subquery, Sum
from django.db.models.functions import ExtractQuarter, ExtractYear
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.views.generic import TemplateView

from kam.accounts import figures
from kam.accounts.models import Account
from kam.core.api import BIGINT, stored_id
from kam.core.exports import csv_response
from kam.core.forms import add_validation_errors
from kam.core.permissions import ADD, CHANGE, DELETE, VIEW, require, role_allows
from kam.core.services import StaleObject
from kam.core.views import ObjectDeleteView, ObjectEditView, ObjectListView, PermissionMixin
from kam.plans import offerings, pipeline, whitespace
from kam.plans.choices import CLOSED_STAGES, CellStatus, OpportunityStage, VersionStatus
from kam.plans.models import AccountPlan, BusinessUnit, Offering, Opportunity, PlanVersion, WhitespaceCell
from kam.plans.whitespace_filtersets import OfferingFilterSet, OpportunityFilterSet
from kam.plans.whitespace_forms import BusinessUnitForm, OfferingForm, WhitespaceCellForm
from kam.plans.whitespace_tables import OfferingTable, OpportunityTable

BIG_ID = BIGINT - 1  # beyond: an overflow in the database driver (a 500) instead of "not found"
MAX_DEPTH_CLASS = 6  # deeper rows are indented like depth 6 (the stylesheet's last step)
WHITESPACE = (CellStatus.NONE, CellStatus.POTENTIAL)
EDITABLE_VERSIONS = (VersionStatus.DRAFT, VersionStatus.IN_REVIEW)


# Lookups through the choke point ------------------------------------------------------------------------------------


def matrix_account(user, pk: int) -> Account:
    """The account whose matrix is shown: in the user's scope, or it does not exist for them."""
    return get_object_or_404(Account.objects.visible_to(user), pk=stored_id(pk))


def _subtree_accounts(user, account: Account):
    return Account.objects.visible_to(user).filter(pk__in=account.subtree().values("pk"))


def resolve_row(user, account: Account, key: str) -> tuple[Account, BusinessUnit | None]:
    """The part of the client a row key names (`a<account id>` or `u<business unit id>`, see whitespace.Row.key):
    an account of the matrix's subtree that the user sees, or a business unit of one; 404 for anything else."""
    kind, digits = key[:1], key[1:]
    if kind not in ("a", "u") or not (digits.isascii() and digits.isdigit()) or len(digits) > 19:
        raise Http404
    pk = stored_id(int(digits))
    visible = _subtree_accounts(user, account)
    if kind == "a":
        return get_object_or_404(visible, pk=pk), None
    unit = get_object_or_404(BusinessUnit.objects.select_related("account").filter(account__in=visible), pk=pk)
    return unit.account, unit


def resolve_unit(user, account: Account, pk: int) -> BusinessUnit:
    visible = _subtree_accounts(user, account)
    return get_object_or_404(BusinessUnit.objects.select_related("account").filter(account__in=visible), pk=pk)


def offerings_for(user, action=VIEW):
    """The catalogue for the user. Offerings are programme-wide reference data: the role decides (403), their scope
    is everything."""
    require(user, action, Offering)
    return Offering.objects.restrict(user, action)


def plan_versions(account: Account) -> tuple[PlanVersion | None, PlanVersion | None]:
    """The account's plan's newest version (its open opportunities show on the cells) and its newest editable one
    (draft or in review: where a new opportunity goes)."""
    plan = AccountPlan.objects.filter(account=account).first()
    if plan is None:
        return None, None
    versions = list(plan.versions.order_by("-number"))
    newest = versions[0] if versions else None
    editable = next((v for v in versions if v.status in EDITABLE_VERSIONS), None)
    return newest, editable


def add_opportunity_url(user, version: PlanVersion | None, cell: WhitespaceCell | None) -> str | None:
    if version is None or cell is None or cell.pk is None or not role_allows(user, ADD, Opportunity):
        return None
    try:
        return reverse("plans:item_add", args=[version.pk, "opportunity"]) + f"?cell={cell.pk}"
    except NoReverseMatch:  # the plan pages may not offer adding a row (yet)
        return None


def whitespace_url(account_id, anchor: str = "") -> str:
    return reverse("plans:whitespace", args=[account_id]) + (f"#{anchor}" if anchor else "")


def compact_eur(value: Decimal | None) -> str:
    """A cell's value, short: whole euros with thousands separators, cents only when there are any."""
    if value is None:
        return ""
    return f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"


# The matrix ---------------------------------------------------------------------------------------------------------


def matrix_context(request, account: Account) -> dict:
    """What the matrix (whitespace.html#matrix) shows: rows with their cells in column order, column totals."""
    user = request.user
    newest, editable = plan_versions(account)
    matrix = whitespace.build_matrix(account, user, version=newest)
    can_edit = role_allows(user, CHANGE, WhitespaceCell)
    whitespace_only = request.GET.get("show") == "whitespace"
    rows = []
    for row in matrix.rows:
        cells = []
        for offering in matrix.offerings:
            cell = row.cells.get(offering.pk)
            status = cell.status if cell else CellStatus.NONE
            opportunities = matrix.open_opportunities.get(cell.pk, []) if cell else []
            cells.append(
                {
                    "offering": offering,
                    "cell": cell,
                    "status": status,
                    "label": CellStatus(status).label,
                    "value": compact_eur(cell.annual_value) if cell else "",
                    "opportunities": opportunities,
                    "opportunity_titles": "; ".join(o.title for o in opportunities),
                    "url": reverse("plans:whitespace_cell", args=[account.pk, row.key, offering.pk]),
                    "dom_id": f"cell-{row.key}-{offering.pk}",
                    "dimmed": whitespace_only and status not in WHITESPACE,
                }
            )
        rows.append(
            {
                "row": row,
                "is_account": row.business_unit is None,
                # Account rows add everything below them (the roll-up); a business unit's row is its own cells.
                "totals": row.subtree if row.business_unit is None else row.own,
                "cells": cells,
                "depth_class": f"depth-{min(row.depth, MAX_DEPTH_CLASS)}",
            }
        )
    columns = [{"offering": o, "totals": matrix.columns.get(o.pk, whitespace.Totals())} for o in matrix.offerings]
    return {
        "account": account,
        "matrix": matrix,
        "rows": rows,
        "columns": columns,
        "has_cells": any(row.cells for row in matrix.rows),
        # The page's account is the first row (rows follow the tree from it).
        "headline_share": matrix.rows[0].share_of_wallet if matrix.rows else None,
        "can_edit": can_edit,
        "can_add_unit": role_allows(user, ADD, BusinessUnit),
        "can_change_unit": role_allows(user, CHANGE, BusinessUnit),
        "can_delete_unit": role_allows(user, DELETE, BusinessUnit),
        "can_manage_offerings": role_allows(user, ADD, Offering),
        "whitespace_only": whitespace_only,
        "plan_version": newest,
        "statuses": [(value, label) for value, label in CellStatus.choices],
        "page_url": whitespace_url(account.pk),
    }


def _money(*values):
    return [figures.round_money(value) for value in values]


def matrix_csv_rows(context: dict):
    """One line per row × offering (status, value, competitor, note), then each row's totals, each column's totals
    and the grand total."""
    yield [
        "Client part", "Account", "Level", "Offering", "Status", "Annual value (EUR)", "Competitor", "Note",
        "Open opportunities", "Won (EUR)", "Open (EUR)", "Competitor-held (EUR)", "Captured %", "Share of wallet %",
    ]  # fmt: skip
    for entry in context["rows"]:
        row = entry["row"]
        for item in entry["cells"]:
            cell = item["cell"]
            yield [
                row.label, row.account.name, row.depth, item["offering"].name, item["label"],
                cell.annual_value if cell else None, cell.competitor if cell else "", cell.note if cell else "",
                len(item["opportunities"]), None, None, None, None, None,
            ]  # fmt: skip
        totals = entry["totals"]
        share = row.share_of_wallet if entry["is_account"] else None
        yield [
            row.label, row.account.name, row.depth, "All offerings", "", *_money(totals.mapped), "", "", "",
            *_money(totals.won, totals.open, totals.competitor), totals.captured_percent, share,
        ]  # fmt: skip
    for column in context["columns"]:
        totals = column["totals"]
        yield [
            "All client parts", "", "", column["offering"].name, "", *_money(totals.mapped), "", "", "",
            *_money(totals.won, totals.open, totals.competitor), totals.captured_percent, None,
        ]  # fmt: skip
    total = context["matrix"].total
    yield [
        "All client parts", "", "", "All offerings", "", *_money(total.mapped), "", "", "",
        *_money(total.won, total.open, total.competitor), total.captured_percent, None,
    ]  # fmt: skip


class WhitespaceView(PermissionMixin, TemplateView):
    """The matrix of an account: its subsidiaries (those the user sees) and business units × our offerings."""

    model = WhitespaceCell
    template_name = "plans/whitespace.html"

    def get(self, request, *args, **kwargs):
        self.account = matrix_account(request.user, kwargs["pk"])
        if request.GET.get("export") == "csv":
            context = matrix_context(request, self.account)
            stem = f"whitespace-{self.account.account_number or self.account.pk}"
            return csv_response(matrix_csv_rows(context), stem)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), **matrix_context(self.request, self.account)}

    def get_template_names(self):
        if self.request.htmx and not self.request.htmx.boosted:
            return [f"{self.template_name}#matrix"]
        return [self.template_name]


def _fragment_or_page(request, fragment: str, context: dict, title: str):
    """An htmx request gets the fragment; a plain one the same form on a page of its own."""
    if request.htmx and not request.htmx.boosted:
        return TemplateResponse(request, fragment, context)
    page = {**context, "fragment_template": fragment, "title": title}
    return TemplateResponse(request, "plans/_whitespace_form_page.html", page)


def _form_errors(form, error):
    """The services name the concurrency check `version` (a hidden field here): shown on the form instead."""
    if isinstance(error, ValidationError) and hasattr(error, "error_dict") and "version" in error.error_dict:
        error = ValidationError(
            {k: v for k, v in error.message_dict.items() if k != "version"} | {"__all__": error.message_dict["version"]}
        )
    add_validation_errors(form, error)


class WhitespaceCellView(PermissionMixin, TemplateView):
    """One cell: GET the form, POST save it. The form carries the cell's version; a stale one keeps what was typed
    and shows what is stored now."""

    model = WhitespaceCell
    action = CHANGE
    fragment = "plans/_whitespace_cell_form.html"

    def setup_cell(self, request, pk, row, offering):
        self.account = matrix_account(request.user, pk)
        self.row_account, self.unit = resolve_row(request.user, self.account, row)
        self.row_key = row
        self.offering = get_object_or_404(offerings_for(request.user), pk=stored_id(offering))
        self.cell = WhitespaceCell.objects.filter(
            account=self.row_account, business_unit=self.unit, offering=self.offering
        ).first()

    def context(self, form, conflict=None) -> dict:
        newest, editable = plan_versions(self.account)
        opportunities = []
        if self.cell is not None and newest is not None:
            opportunities = list(
                Opportunity.objects.filter(plan_version=newest, cell=self.cell).exclude(stage__in=CLOSED_STAGES)
            )
        return {
            "form": form,
            "account": self.account,
            "row_label": self.unit.name if self.unit else self.row_account.name,
            "offering": self.offering,
            "cell": self.cell,
            "conflict": conflict,
            "opportunities": opportunities,
            "add_opportunity_url": add_opportunity_url(self.request.user, editable, self.cell),
            "form_url": reverse("plans:whitespace_cell", args=[self.account.pk, self.row_key, self.offering.pk]),
            "page_url": whitespace_url(self.account.pk, f"cell-{self.row_key}-{self.offering.pk}"),
            "dom_id": f"cell-{self.row_key}-{self.offering.pk}",
        }

    def render_form(self, form, conflict=None):
        # 200 even for a refusal: htmx swaps only successful responses, and the form must replace the cell.
        title = f"{self.offering} for {self.unit.name if self.unit else self.row_account.name}"
        return _fragment_or_page(self.request, self.fragment, self.context(form, conflict), title)

    def get(self, request, pk, row, offering):
        self.setup_cell(request, pk, row, offering)
        cell = self.cell or WhitespaceCell(status=CellStatus.NONE)
        return self.render_form(WhitespaceCellForm(cell=cell))

    def post(self, request, pk, row, offering):
        self.setup_cell(request, pk, row, offering)
        form = WhitespaceCellForm(request.POST)
        if not form.is_valid():
            return self.render_form(form)
        try:
            whitespace.save_cell(
                self.account,
                self.row_account,
                self.offering,
                form.cell_data(),
                request.user,
                business_unit=self.unit,
                expected_version=form.cleaned_data.get("version"),
            )
        except StaleObject as stale:
            # Keep everything typed; the hidden version becomes the stored one, so saving again is a deliberate
            # overwrite of what is shown as stored now.
            self.cell = WhitespaceCell.objects.filter(pk=self.cell.pk).first() if self.cell else None
            data = request.POST.copy()
            data["version"] = stale.current_version
            form = WhitespaceCellForm(data)
            form.is_valid()
            form.add_error(
                None,
                "Someone changed this cell while you were editing it. Your entries are kept below and were not "
                "saved; compare them with what is stored now and save again to replace it.",
            )
            return self.render_form(form, conflict=self.cell)
        except ValidationError as error:
            _form_errors(form, error)
            return self.render_form(form)
        if request.htmx:
            response = TemplateResponse(request, "plans/whitespace.html#matrix", matrix_context(request, self.account))
            response["HX-Retarget"] = "#ws-matrix"
            response["HX-Reswap"] = "outerHTML"
            return response
        where = self.unit.name if self.unit else self.row_account.name
        messages.success(request, f"{self.offering} for {where} saved.")
        return HttpResponseRedirect(whitespace_url(self.account.pk, f"cell-{self.row_key}-{self.offering.pk}"))


# Business units ---------------------------------------------------------------------------------------------------


class BusinessUnitMixin(PermissionMixin):
    model = BusinessUnit
    fragment = "plans/_whitespace_unit_form.html"

    def render_form(self, form, title, **extra):
        context = {"form": form, "account": self.account, "page_url": whitespace_url(self.account.pk), **extra}
        return _fragment_or_page(self.request, self.fragment, context, title)

    def done(self, text):
        messages.success(self.request, text)
        return HttpResponseRedirect(whitespace_url(self.account.pk))


class BusinessUnitAddView(BusinessUnitMixin, TemplateView):
    action = ADD

    def form(self, data=None):
        accounts = list(_subtree_accounts(self.request.user, self.account).order_by("tree_path"))
        initial = {"account": self.request.GET.get("account") or self.account.pk}
        return BusinessUnitForm(data, accounts=accounts, initial=initial)

    def get(self, request, pk):
        self.account = matrix_account(request.user, pk)
        return self.render_form(self.form(), "Add a business unit", action=request.get_full_path())

    def post(self, request, pk):
        self.account = matrix_account(request.user, pk)
        form = self.form(request.POST)
        if form.is_valid():
            target = get_object_or_404(_subtree_accounts(request.user, self.account), pk=form.cleaned_data["account"])
            try:
                unit = whitespace.add_business_unit(self.account, target, form.cleaned_data["name"], request.user)
            except ValidationError as error:
                add_validation_errors(form, error)
            else:
                return self.done(f"Business unit {unit} added under {target}.")
        return self.render_form(form, "Add a business unit", action=request.get_full_path())


class BusinessUnitEditView(BusinessUnitMixin, TemplateView):
    action = CHANGE

    def get(self, request, pk, unit):
        self.account = matrix_account(request.user, pk)
        self.unit = resolve_unit(request.user, self.account, stored_id(unit))
        return self.render_form(BusinessUnitForm(unit=self.unit), f"Rename {self.unit}", unit=self.unit)

    def post(self, request, pk, unit):
        self.account = matrix_account(request.user, pk)
        self.unit = resolve_unit(request.user, self.account, stored_id(unit))
        form = BusinessUnitForm(request.POST, unit=self.unit)
        if form.is_valid():
            try:
                renamed = whitespace.rename_business_unit(
                    self.unit, form.cleaned_data["name"], request.user, form.cleaned_data.get("version")
                )
            except (StaleObject, ValidationError) as error:
                _form_errors(form, error)
            else:
                return self.done(f"Business unit renamed to {renamed}.")
        return self.render_form(form, f"Rename {self.unit}", unit=self.unit)


class BusinessUnitDeleteView(BusinessUnitMixin, TemplateView):
    action = DELETE
    fragment = "plans/_whitespace_unit_delete.html"

    def get(self, request, pk, unit):
        self.account = matrix_account(request.user, pk)
        self.unit = resolve_unit(request.user, self.account, stored_id(unit))
        return self.render_form(None, f"Delete {self.unit}", unit=self.unit, cells=self.unit.cells.count())

    def post(self, request, pk, unit):
        self.account = matrix_account(request.user, pk)
        self.unit = resolve_unit(request.user, self.account, stored_id(unit))
        try:
            whitespace.delete_business_unit(self.unit, request.user)
        except ValidationError as error:
            return self.render_form(
                None, f"Delete {self.unit}", unit=self.unit, cells=self.unit.cells.count(), errors=error.messages
            )
        return self.done(f"Business unit {self.unit} and its cells deleted.")


# The offerings catalogue --------------------------------------------------------------------------------------------


class OfferingListView(ObjectListView):
    model = Offering
    table_class = OfferingTable
    filterset_class = OfferingFilterSet
    subnav_template = "plans/_nav.html"
    title = "Offerings"
    lead = (
        "What we sell, programme-wide: the columns of every whitespace matrix. Retired offerings keep their cells "
        "and leave new matrices."
    )
    add_url_name = "plans:offering_add"
    add_label = "Add an offering"
    header_actions = (("Opportunities", "plans:opportunity_list"),)
    export_stem = "offerings"
    empty_message = "No offerings yet. The programme lead adds what we sell here; each becomes a matrix column."

    def get_queryset(self):
        return offerings_for(self.request.user).annotate(cell_count=Count("cells"))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.can(ADD):
            context["empty_action"] = ("Add an offering", reverse("plans:offering_add"))
        return context


class OfferingEditView(ObjectEditView):
    model = Offering
    form_class = OfferingForm
    template_name = "plans/offering_form.html"

    def get_queryset(self):
        return offerings_for(self.request.user, self.action)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["cancel_url"] = reverse("plans:offerings")
        context["can_delete"] = self.object is not None and self.can(DELETE)
        return context

    def save(self, form, instance):
        expected = form.cleaned_data["version"]
        data = form.changed_data_dict()
        return offerings.save_offering(data, self.request.user, offering=instance, expected_version=expected)


class OfferingDeleteView(ObjectDeleteView):
    model = Offering
    template_name = "plans/offering_delete.html"
    success_url_name = "plans:offerings"

    def get_queryset(self):
        return offerings_for(self.request.user, self.action)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["cells"] = self.object.cells.count()
        return context

    def delete(self, instance):
        offerings.delete_offering(instance, self.request.user)


# The programme's weighted pipeline ----------------------------------------------------------------------------------


def newest_version_opportunities(queryset):
    """Opportunities of each plan's newest version (the plan as it stands; older versions are history)."""
    newest = PlanVersion.objects.filter(plan_id=OuterRef("plan_version__plan_id")).order_by("-number").values("pk")
    return queryset.filter(plan_version_id=Subquery(newest[:1]))


def pipeline_totals(queryset) -> dict:
    """Weighted value (value × probability) in EUR by stage, and of the open stages by expected-close quarter.
    Values are summed in SQL per (stage, quarter, currency, probability); each sum is converted at the as-of month's
    rate and rounded once, at the end. An opportunity whose currency has no rate is left out and reported."""
    as_of = figures.latest_month()
    rates = figures.RateTable()
    groups = (
        queryset.order_by()
        .annotate(close_year=ExtractYear("expected_close"), close_quarter=ExtractQuarter("expected_close"))
        .values("stage", "currency", "probability", "close_year", "close_quarter")
        .annotate(total=Sum("value"), count=Count("pk"))
    )
    by_stage, counts = defaultdict(Decimal), defaultdict(int)
    by_quarter, quarter_counts = defaultdict(Decimal), defaultdict(int)
    missing = defaultdict(int)
    for group in groups:
        currency = group["currency"]
        weighted = figures.exact(group["total"]) * group["probability"] / 100
        eur = pipeline.to_eur(weighted, currency, as_of, rates)
        if eur is None:  # no rate for that month: left out and reported, never guessed
            missing[currency] += group["count"]
            continue
        by_stage[group["stage"]] += eur
        counts[group["stage"]] += group["count"]
        if group["stage"] not in CLOSED_STAGES:
            quarter = (group["close_year"], group["close_quarter"]) if group["close_year"] else None
            by_quarter[quarter] += eur
            quarter_counts[quarter] += group["count"]
    stages = [
        {"stage": value, "label": label, "count": counts[value], "weighted": figures.round_money(by_stage[value])}
        for value, label in OpportunityStage.choices
        if counts[value]
    ]
    quarters = [
        {
            "label": f"{key[0]} Q{key[1]}" if key else "No expected close",
            "count": quarter_counts[key],
            "weighted": figures.round_money(by_quarter[key]),
        }
        for key in sorted(by_quarter, key=lambda k: (k is None, k or (0, 0)))
    ]
    open_total = sum((v for k, v in by_stage.items() if k not in CLOSED_STAGES), Decimal(0))
    return {
        "stages": stages,
        "quarters": quarters,
        "open_total": figures.round_money(open_total),
        "open_count": sum(c for k, c in counts.items() if k not in CLOSED_STAGES),
        "as_of": as_of,
        "missing": [f"{c} ({n} opportunit{'ies' if n != 1 else 'y'})" for c, n in sorted(missing.items())],
    }


class OpportunityListView(ObjectListView):
    model = Opportunity
    table_class = OpportunityTable
    filterset_class = OpportunityFilterSet
    summary_template = "plans/_pipeline_totals.html"
    subnav_template = "plans/_nav.html"
    title = "Opportunities"
    lead = (
        "The programme's pipeline: the opportunities of every account plan's current version you can see. "
        "Weighted value = value × probability, in EUR at the latest month's rates, so a likely deal counts more "
        "than a long shot."
    )
    header_actions = (("Offerings", "plans:offerings"),)
    export_stem = "opportunities"
    empty_message = "No opportunities yet. They are added to the account plans (or from a whitespace cell)."

    def get_queryset(self):
        weighted = ExpressionWrapper(
            F("value") * F("probability") / 100, output_field=DecimalField(max_digits=20, decimal_places=4)
        )
        return (
            newest_version_opportunities(super().get_queryset())
            .select_related("account", "plan_version")
            .annotate(weighted=weighted)
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["totals"] = pipeline_totals(self.filtered_queryset(context["filter"]))
        return context


urlpatterns = [
    path("accounts/<int:pk>/whitespace/", WhitespaceView.as_view(), name="whitespace"),
    path(
        "accounts/<int:pk>/whitespace/cell/<str:row>/<int:offering>/",
        WhitespaceCellView.as_view(),
        name="whitespace_cell",
    ),
    path("accounts/<int:pk>/whitespace/units/add/", BusinessUnitAddView.as_view(), name="business_unit_add"),
    path(
        "accounts/<int:pk>/whitespace/units/<int:unit>/edit/", BusinessUnitEditView.as_view(), name="business_unit_edit"
    ),
    path(
        "accounts/<int:pk>/whitespace/units/<int:unit>/delete/",
        BusinessUnitDeleteView.as_view(),
        name="business_unit_delete",
    ),
    path("plans/offerings/", OfferingListView.as_view(), name="offerings"),
    path("plans/offerings/add/", OfferingEditView.as_view(), name="offering_add"),
    path("plans/offerings/<int:pk>/edit/", OfferingEditView.as_view(), name="offering_edit"),
    path("plans/offerings/<int:pk>/delete/", OfferingDeleteView.as_view(), name="offering_delete"),
    path("plans/opportunities/", OpportunityListView.as_view(), name="opportunity_list"),
]
