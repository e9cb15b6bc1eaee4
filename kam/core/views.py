"""Generic views every domain app declares its pages with. They apply the permission choke point
(kam.core.permissions) before anything else, so a page cannot forget it."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import EmptyPage, PageNotAnInteger
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.views.generic import DetailView, TemplateView, View
from django.views.generic.edit import FormView
from django_filters.views import FilterView
from django_tables2 import RequestConfig

from kam.audit.services import changes_for
from kam.core.exports import csv_response, table_rows, xlsx_response
from kam.core.forms import add_validation_errors
from kam.core.pagination import CappedCountPaginator
from kam.core.permissions import ADD, CHANGE, DELETE, VIEW, role_allows
from kam.core.services import StaleObject

PAGE_SIZES = (25, 50, 100)


class PermissionMixin(LoginRequiredMixin):
    """Role check (403) then scope (404) for `model` and `action`."""

    model = None
    action = VIEW

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not role_allows(request.user, self.action, self.model):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return self.model.objects.restrict(self.request.user, self.action)

    def can(self, action, model=None):
        return role_allows(self.request.user, action, model or self.model)


class ObjectListView(PermissionMixin, FilterView):
    """Search, filters, sorting, pagination, CSV/XLSX export and htmx partial refresh for one model."""

    table_class = None
    filterset_class = None
    template_name = "core/object_list.html"
    export_stem = None
    title = None
    empty_message = "Nothing here yet."
    add_url_name = None
    add_label = "Add"
    subnav_template = None  # the section's tabs above the filters, e.g. servicelevels/_nav.html
    lead = ""  # a sentence under the title saying what the list holds
    header_actions = ()  # (label, URL name) buttons next to the title
    empty_action = None  # (label, URL) offered when the list is empty
    summary_template = None  # figures above the table, refreshed with it (e.g. plans/_pipeline_totals.html)

    def filtered_queryset(self, filterset):
        # Unbound (no parameters): everything in scope. Invalid filters: nothing, and the form says why.
        if not filterset.is_bound or filterset.is_valid():
            return filterset.qs
        return filterset.queryset.none()

    def get_table(self, data, paginate=True):
        table = self.table_class(data, request=self.request)
        RequestConfig(self.request, paginate=False).configure(table)  # sorting from ?sort=
        if paginate:
            try:
                per_page = int(self.request.GET.get("per_page", PAGE_SIZES[0]))
            except ValueError:
                per_page = PAGE_SIZES[0]
            per_page = per_page if per_page in PAGE_SIZES else PAGE_SIZES[0]
            try:
                table.paginate(CappedCountPaginator, per_page=per_page, page=self.request.GET.get("page", 1))
            except PageNotAnInteger:
                table.paginate(CappedCountPaginator, per_page=per_page, page=1)
            except EmptyPage:
                table.paginate(CappedCountPaginator, per_page=per_page, page=table.paginator.num_pages)
        return table

    def get(self, request, *args, **kwargs):
        export = request.GET.get("export")
        if export in ("csv", "xlsx"):
            data = self.filtered_queryset(self.get_filterset(self.get_filterset_class()))
            table = self.get_table(data, paginate=False)
            rows = table_rows(table)
            stem = self.export_stem or self.model._meta.model_name + "s"
            if export == "csv":
                return csv_response(rows, stem)
            return xlsx_response(rows, stem, title=str(self.model._meta.verbose_name_plural).capitalize())
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["table"] = self.get_table(self.filtered_queryset(context["filter"]))
        context["title"] = self.title or str(self.model._meta.verbose_name_plural).capitalize()
        context["empty_message"] = self.empty_message
        context["page_sizes"] = PAGE_SIZES
        context["add_url"] = reverse(self.add_url_name) if self.add_url_name and self.can(ADD) else None
        context["add_label"] = self.add_label
        context["subnav_template"] = self.subnav_template
        context["lead"] = self.lead
        context["header_actions"] = [(label, reverse(name)) for label, name in self.header_actions]
        context["empty_action"] = self.empty_action
        context["summary_template"] = self.summary_template
        context["filters_active"] = any(v for k, v in self.request.GET.items() if k not in ("page", "sort", "per_page"))
        return context

    def get_template_names(self):
        if self.request.htmx and not self.request.htmx.boosted:
            return [f"{self.template_name}#results"]
        return [self.template_name]


class ObjectDetailView(PermissionMixin, DetailView):
    tabs = ()  # [(slug, label)]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        tab = self.request.GET.get("tab") or (self.tabs[0][0] if self.tabs else "")
        context["tabs"] = self.tabs
        context["active_tab"] = tab if tab in dict(self.tabs) else (self.tabs[0][0] if self.tabs else "")
        context["can_change"] = self.can(CHANGE)
        context["can_delete"] = self.can(DELETE)
        return context


class ObjectEditView(PermissionMixin, FormView):
    """Create (no pk in the URL) or update an object through a service function.

    Subclasses set `form_class` and implement `save(form, instance)` calling their domain service.
    The form carries the version it was rendered with; a stale submission is refused and re-shown.
    """

    template_name = "core/object_edit.html"
    action = CHANGE
    object = None

    def dispatch(self, request, *args, **kwargs):
        self.action = CHANGE if "pk" in kwargs else ADD
        return super().dispatch(request, *args, **kwargs)

    def get_object(self):
        if "pk" not in self.kwargs:
            return None
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        return super().post(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["user"] = self.request.user
        if self.object is not None:
            kwargs["instance"] = self.object
        return kwargs

    def form_valid(self, form):
        try:
            with transaction.atomic():
                saved = self.save(form, self.object)
                # Re-check scope after the write: a change must not move an object out of the user's reach.
                if not self.model.objects.restrict(self.request.user, VIEW).filter(pk=saved.pk).exists():
                    raise PermissionDenied("After this change you could no longer see the object.")
        except (StaleObject, ValidationError) as error:
            add_validation_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, f"{self.model._meta.verbose_name.capitalize()} “{saved}” saved.")
        return HttpResponseRedirect(saved.get_absolute_url())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["object"] = self.object
        context["verbose_name"] = self.model._meta.verbose_name
        context["cancel_url"] = self.object.get_absolute_url() if self.object else self.request.GET.get("next") or ""
        return context

    def save(self, form, instance):
        raise NotImplementedError


class ObjectDeleteView(PermissionMixin, DetailView):
    template_name = "core/object_delete.html"
    action = DELETE
    success_url_name = None

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        try:
            self.delete(self.object)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return HttpResponseRedirect(self.object.get_absolute_url())
        messages.success(request, f"{self.model._meta.verbose_name.capitalize()} “{self.object}” deleted.")
        return HttpResponseRedirect(reverse(self.success_url_name))

    def delete(self, instance):
        raise NotImplementedError


class ObjectHistoryView(PermissionMixin, DetailView):
    """The change log of one object, from the audit trail."""

    template_name = "core/object_history.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["changes"] = changes_for(self.object)[:200]
        return context


class HomeView(LoginRequiredMixin, TemplateView):
    template_name = "core/home.html"

    def get_context_data(self, **kwargs):
        """What needs the user's attention today, within their scope: requests at risk or breached, obligations
        overdue or due soon (each a count and a link to the filtered list)."""
        from kam.servicelevels.filtersets import flag_q
        from kam.servicelevels.models import OPEN_STATUSES, ClientRequest, Obligation, ObligationStatus, SlaState

        context = super().get_context_data(**kwargs)
        user = self.request.user
        today = timezone.localdate()
        # One query per kind of object (conditional counts), each reading only the user's scope.
        context["attention"] = {
            **ClientRequest.objects.restrict(user)
            .filter(status__in=OPEN_STATUSES, sla_state__in=(SlaState.BREACHED, SlaState.AT_RISK))
            .aggregate(
                breached=Count("pk", filter=Q(sla_state=SlaState.BREACHED)),
                at_risk=Count("pk", filter=Q(sla_state=SlaState.AT_RISK)),
            ),
            **Obligation.objects.restrict(user)
            .filter(status=ObligationStatus.OPEN)
            .aggregate(
                overdue=Count("pk", filter=flag_q("overdue", today)),
                due_soon=Count("pk", filter=flag_q("due soon", today)),
            ),
            "plans_to_approve": self._plans_to_approve(user),
            "contacts_overdue": self._contacts_overdue(user),
        }
        return context

    @staticmethod
    def _contacts_overdue(user) -> int | None:
        """People of the user's own accounts not met as often as the cadence asks (a key account manager's list).
        The programme-wide list is a page of its own (counting every customer on each home page is not worth it)."""
        from kam.accounts.models import Account
        from kam.core.permissions import has_global_scope
        from kam.stakeholders.cadence import overdue_contacts
        from kam.stakeholders.models import Contact

        if has_global_scope(user) or not role_allows(user, VIEW, Contact):
            return None
        return len(overdue_contacts(Account.objects.visible_to(user)))

    @staticmethod
    def _plans_to_approve(user) -> int:
        """Plan versions in review that this user may approve (the programme lead and administrators: all in scope;
        a team leader: their accounts')."""
        from kam.core.permissions import has_global_scope
        from kam.plans import services as plan_services
        from kam.plans.models import APPROVE, PlanVersion

        if not role_allows(user, APPROVE, PlanVersion):
            return 0
        waiting = PlanVersion.objects.restrict(user).filter(status="in_review")
        if has_global_scope(user):
            return waiting.count()
        # A team leader approves the plans of the accounts they lead and of those accounts' subsidiaries (as
        # kam.plans.services.may_approve decides): their led accounts read once, not once per waiting plan.
        led = plan_services.led_account_ids(user)
        waiting = waiting.select_related("account")
        return sum(1 for v in waiting[:200] if led & {v.account_id, *v.account.ancestor_ids()})


def not_found_if_none(value):
    if value is None:
        raise Http404
    return value


class HealthView(View):
    def get(self, request):
        from django.http import JsonResponse

        return JsonResponse({"status": "ok"})


class ReadyView(View):
    def get(self, request):
        from django.db import connection
        from django.http import JsonResponse

        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
        except Exception:  # any database failure means "not ready"
            return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
        return JsonResponse({"status": "ok", "database": "ok"})
