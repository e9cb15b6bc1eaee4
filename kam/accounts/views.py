from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.generic import DetailView, View
from django.views.generic.edit import FormView

from kam.accounts import figures, services
from kam.accounts.filtersets import AccountFilterSet, FxRateFilterSet, ImportRunFilterSet
from kam.accounts.forms import AccountForm, ColumnMappingForm, ImportUploadForm
from kam.accounts.imports import apply_import, remap_import, start_import
from kam.accounts.models import Account, FxRate, ImportRun
from kam.accounts.tables import AccountTable, FxRateTable, ImportRunTable
from kam.audit.models import ObjectChange
from kam.core.charts import BarChart, Series
from kam.core.exports import csv_response
from kam.core.permissions import IMPORT, role_allows
from kam.core.views import (
    ObjectDeleteView,
    ObjectDetailView,
    ObjectEditView,
    ObjectHistoryView,
    ObjectListView,
    PermissionMixin,
)


class AccountListView(ObjectListView):
    model = Account
    table_class = AccountTable
    filterset_class = AccountFilterSet
    add_url_name = "accounts:account_add"
    empty_message = "No accounts yet. Import a Salesforce or HubSpot export to start."

    def get_queryset(self):
        return super().get_queryset().select_related("parent", "owner")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["import_url"] = reverse("accounts:import_add") if self.can(IMPORT, ImportRun) else None
        return context


class AccountDetailView(ObjectDetailView):
    model = Account
    template_name = "accounts/account_detail.html"
    tabs = (
        ("overview", "Overview"),
        ("subsidiaries", "Subsidiaries"),
        ("financials", "Financials"),
        ("team", "Team"),
        ("charter", "Client charter"),
        ("plan", "Account plan"),
        ("stakeholders", "Stakeholders"),
        ("service", "Requests & SLAs"),
        ("activity", "Activity"),
    )

    def get_queryset(self):
        return super().get_queryset().select_related("parent", "owner")

    def get(self, request, *args, **kwargs):
        if request.GET.get("export") == "team":
            account = self.get_object()  # through the choke point: 404 outside the user's scope
            from kam.teams.roles import catalogue

            roles = catalogue()
            header = ["Person", "E-mail", "Role", "Allocation %", "From", "Until"]
            rows = [
                [
                    m.user.display_name,
                    m.user.email,
                    getattr(roles.get(m.team_role), "name", m.team_role),
                    m.allocation_percent,
                    m.start_date.isoformat(),
                    m.end_date.isoformat() if m.end_date else "",
                ]
                for m in account.team_members.select_related("user").order_by("start_date", "pk")
            ]
            return csv_response([header, *rows], f"team-{account.account_number}")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        account = self.object
        user = self.request.user
        rates = figures.RateTable()
        as_of = figures.latest_month()
        own = figures.own_figures(account, as_of=as_of, rates=rates)
        subtree = figures.subtree_figures(account, as_of=as_of, rates=rates)
        visible = Account.objects.visible_to(user)
        ancestors = {a.pk: a for a in visible.filter(pk__in=account.ancestor_ids())}
        context.update(
            own=own,
            subtree=subtree,
            as_of=as_of,
            ancestors=[ancestors[pk] for pk in account.ancestor_ids() if pk in ancestors],
            subsidiary_count=account.subtree().count() - 1,
        )
        context.update(_selection_actions(account, user))
        tab = context["active_tab"]
        if tab == "overview":
            context["chart"] = mark_safe(self._chart(subtree if context["subsidiary_count"] else own))  # noqa: S308 - built from escaped parts
        if tab == "subsidiaries":
            children = visible.filter(parent=account).annotate(subsidiaries=Count("children")).order_by("name")
            page = Paginator(children, 50).get_page(self.request.GET.get("page"))
            revenue = figures.t12m_revenue_by_account([c.pk for c in page], as_of=as_of, rates=rates)
            context["children_page"] = page
            context["children_rows"] = [(c, figures.round_money(revenue.get(c.pk))) for c in page]
        if tab == "financials":
            context["wallets"] = account.wallet_estimates.all()[:10]
            context["monthly"] = [
                (m, figures.round_money(r), figures.round_money(g)) for m, r, g in reversed(own.monthly)
            ]
        if tab == "team":
            context.update(_team_context(account, user))
        if tab == "charter":
            from kam.charters.views import account_tab_context as charter_tab

            context.update(charter_tab(self.request, account))
        if tab == "plan":
            from kam.plans.views import account_tab_context as plan_tab

            context.update(plan_tab(self.request, account))
        if tab == "stakeholders":
            from kam.stakeholders.views import account_tab_context as stakeholders_tab

            context.update(stakeholders_tab(self.request, account))
        if tab == "service":
            from kam.servicelevels.views import account_tab_context as service_tab

            context.update(service_tab(self.request, account))
        if tab == "activity":
            feed = ObjectChange.objects.filter(account_id=account.pk).select_related("actor")
            context["activity_page"] = Paginator(feed, 30).get_page(self.request.GET.get("page"))
        return context

    @staticmethod
    def _chart(fig):
        if not fig.monthly:
            return ""
        last = fig.monthly[-12:]
        return BarChart(
            title="Revenue and gross profit by month (EUR)",
            categories=[f"{m:%b %y}" for m, _, _ in last],
            series=[
                Series("Revenue", [r for _, r, _ in last], "series-1"),
                Series("Gross profit", [g for _, _, g in last], "series-2"),
            ],
        ).to_svg()


def _team_context(account, user) -> dict:
    """The team tab: who is on the team now, who was, the handovers and the charter."""
    from kam.accounts.models import AccountTeamMember
    from kam.core.permissions import ADD, CHANGE
    from kam.teams.models import ProgrammeSettings
    from kam.teams.roles import catalogue

    roles = catalogue()
    members = list(account.team_members.select_related("user").order_by("start_date", "pk"))
    for member in members:
        role = roles.get(member.team_role)
        member.role_label = role.name if role else member.team_role
        member.role_position = role.position if role else 999
    active = AccountTeamMember.active_q()
    current_ids = set(account.team_members.filter(active).values_list("pk", flat=True))
    return {
        "team": sorted((m for m in members if m.pk in current_ids), key=lambda m: (m.role_position, m.start_date)),
        "team_history": [m for m in members if m.pk not in current_ids],
        "handovers": account.handovers.select_related("from_user", "to_user", "by")[:20],
        "charter": account.team_charter or ProgrammeSettings.current().default_team_charter,
        "charter_is_default": not account.team_charter,
        "can_staff": role_allows(user, ADD, AccountTeamMember),
        "can_change_team": role_allows(user, CHANGE, AccountTeamMember),
        "can_edit_charter": role_allows(user, CHANGE, Account),
    }


def _selection_actions(account, user) -> dict:
    """Links to the selection workbench's actions on this account, for the roles that may take them."""
    from kam.core.permissions import ADD, CHANGE, has_global_scope
    from kam.selection.models import AccountRating, KeyAccountDesignation

    top_level = account.parent_id is None
    return {
        "can_rate": top_level and role_allows(user, ADD, AccountRating),
        "can_propose": top_level and not account.is_key_account and role_allows(user, ADD, KeyAccountDesignation),
        "can_remove_key": account.is_key_account
        and has_global_scope(user)
        and role_allows(user, CHANGE, KeyAccountDesignation),
    }


class AccountEditView(ObjectEditView):
    model = Account
    form_class = AccountForm

    def save(self, form, instance):
        data = {name: form.cleaned_data[name] for name in form.Meta.fields}
        if instance is None:
            return services.create_account(**data)
        return services.update_account(instance, data, expected_version=form.cleaned_data.get("version"))


class AccountDeleteView(ObjectDeleteView):
    model = Account
    success_url_name = "accounts:account_list"

    def delete(self, instance):
        services.delete_account(instance)


class AccountHistoryView(ObjectHistoryView):
    model = Account


class AccountAutocompleteView(PermissionMixin, View):
    """JSON for pickers: only accounts the user may see."""

    model = Account

    def get(self, request):
        query = request.GET.get("q", "").strip()[:100]
        accounts = self.get_queryset()
        if query:
            accounts = accounts.filter(Q(name__icontains=query) | Q(account_number__icontains=query))
        results = [
            {"id": a.pk, "text": f"{a.name} ({a.account_number})"}
            for a in accounts.only("pk", "name", "account_number")[:20]
        ]
        return JsonResponse({"results": results})


class FxRateListView(ObjectListView):
    model = FxRate
    table_class = FxRateTable
    filterset_class = FxRateFilterSet
    title = "FX rates"
    empty_message = "No FX rates yet. Import fx.csv (units of currency per 1 EUR, monthly averages)."


class ImportRunListView(ObjectListView):
    model = ImportRun
    table_class = ImportRunTable
    filterset_class = ImportRunFilterSet
    title = "Imports"
    add_url_name = "accounts:import_add"
    empty_message = "No imports yet."

    def get_queryset(self):
        return super().get_queryset().select_related("created_by")


class ImportRunCreateView(PermissionMixin, FormView):
    model = ImportRun
    action = IMPORT
    form_class = ImportUploadForm
    template_name = "accounts/import_form.html"

    def get_initial(self):
        return {"kind": self.request.GET.get("kind", "accounts")}

    def form_valid(self, form):
        upload = form.cleaned_data["file"]
        try:
            run = start_import(self.request.user, form.cleaned_data["kind"], upload.name, upload.read())
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
            return self.form_invalid(form)
        return HttpResponseRedirect(run.get_absolute_url())


class ImportRunDetailView(PermissionMixin, DetailView):
    model = ImportRun
    template_name = "accounts/import_detail.html"

    def get_template_names(self):
        if self.request.htmx:
            return [f"{self.template_name}#status"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_apply"] = role_allows(self.request.user, IMPORT, ImportRun)
        run = self.object
        if context["can_apply"] and run.summary.get("headers") and run.status in ("invalid", "preview"):
            context["mapping_form"] = kwargs.get("mapping_form") or ColumnMappingForm(run=run)
        return context


class ImportRunMappingView(ImportRunDetailView):
    """Choose by hand which column of the file feeds which field, then check the file again."""

    action = IMPORT

    def post(self, request, pk):
        self.object = run = self.get_object()
        form = ColumnMappingForm(request.POST, run=run)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(mapping_form=form))
        try:
            remap_import(run, form.mapping())
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return HttpResponseRedirect(run.get_absolute_url())


class ImportRunApplyView(PermissionMixin, DetailView):
    model = ImportRun
    action = IMPORT

    def post(self, request, pk):
        run = self.get_object()
        try:
            run = apply_import(run)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            if run.status == "applied":
                messages.success(
                    request,
                    f"Import applied: {run.summary.get('created', 0)} created, "
                    f"{run.summary.get('updated', 0)} updated, {run.summary.get('unchanged', 0)} unchanged.",
                )
        return HttpResponseRedirect(run.get_absolute_url())


class ImportRunErrorsView(PermissionMixin, DetailView):
    """The error report as CSV, to fix the file row by row."""

    model = ImportRun

    def get(self, request, pk):
        run = self.get_object()
        rows = [["row", "column", "reason", "value"]] + [
            [e.get("row", ""), e.get("column", ""), e.get("reason", ""), e.get("value", "")] for e in run.errors
        ]
        return csv_response(rows, f"import-{run.pk}-errors")
