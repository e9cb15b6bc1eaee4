"""The selection workbench: scoring models, runs and their ranked results, the segmentation matrix, capacity,
re-tiering, ratings and the designation of key accounts. Every object goes through the permission choke point
(PermissionMixin / restrict); every write through kam.selection.services."""

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.generic import DetailView, TemplateView
from django.views.generic.edit import FormView

from kam.accounts.filtersets import SearchFilterSet
from kam.accounts.models import Account
from kam.core.charts import Bubble, BubbleChart, LineChart, Series
from kam.core.exports import csv_response
from kam.core.forms import add_validation_errors
from kam.core.permissions import ADD, CHANGE, VIEW, has_global_scope, role_allows
from kam.core.services import StaleObject
from kam.core.views import ObjectDeleteView, ObjectDetailView, ObjectHistoryView, ObjectListView, PermissionMixin
from kam.selection import analysis, services
from kam.selection.choices import Criterion, DesignationStatus, RunStatus, Segment
from kam.selection.config import default_criteria
from kam.selection.filtersets import DesignationFilterSet, RatingFilterSet, ResultFilterSet, RunFilterSet
from kam.selection.forms import (
    CapacityForm,
    CriteriaFormSet,
    DecisionForm,
    ProposalForm,
    RatingForm,
    ReasonForm,
    ScoringModelForm,
    criteria_from,
    criteria_initial,
)
from kam.selection.models import AccountRating, KeyAccountDesignation, ScoringModel, SelectionResult, SelectionRun
from kam.selection.tables import DesignationTable, RatingTable, ResultTable, RunTable, ScoringModelTable


class WorkbenchView(PermissionMixin, TemplateView):
    """The selection workbench's front page: the steps, the latest run and what waits for a decision."""

    model = ScoringModel
    template_name = "selection/workbench.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["models"] = ScoringModel.objects.restrict(self.request.user)[:20]
        context["latest_run"] = analysis.latest_done_run()
        context["running"] = SelectionRun.objects.filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).first()
        context["pending"] = KeyAccountDesignation.objects.restrict(self.request.user).filter(
            status=DesignationStatus.PROPOSED
        )
        context["key_accounts"] = Account.objects.filter(is_key_account=True, parent__isnull=True).count()
        context["managers"] = analysis.key_account_managers()
        if context["latest_run"]:
            context["segments"] = analysis.segment_table(context["latest_run"])
        return context


# Scoring models ------------------------------------------------------------------------------------------------


class ScoringModelFilterSet(SearchFilterSet):
    search_fields = ("name", "description")

    class Meta:
        model = ScoringModel
        fields = []


class ScoringModelListView(ObjectListView):
    model = ScoringModel
    table_class = ScoringModelTable
    filterset_class = ScoringModelFilterSet
    title = "Scoring models"
    add_url_name = "selection:model_add"
    empty_message = "No scoring models yet. Start from the default (DEFINITIONS §7) and adjust the weights."


class ScoringModelDetailView(ObjectDetailView):
    model = ScoringModel
    template_name = "selection/model_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        model = self.object
        total = sum((Decimal(c["weight"]) for c in model.criteria), Decimal(0))
        context["criteria"] = [
            {
                **c,
                "label": Criterion(c["criterion"]).label,
                "share": (Decimal(100) * Decimal(c["weight"]) / total).quantize(Decimal("0.1")) if total else None,
            }
            for c in model.criteria
        ]
        context["runs"] = model.runs.select_related("created_by")[:10]
        context["can_run"] = self.can(ADD, SelectionRun)
        context["quadrants"] = [(s, model.quadrant_name(s)) for s in services.QUADRANTS]
        return context


class ScoringModelEditView(PermissionMixin, FormView):
    """A model and its criteria in one form (a formset of criterion rows); saving makes a new version."""

    model = ScoringModel
    template_name = "selection/model_form.html"
    form_class = ScoringModelForm
    object = None

    def dispatch(self, request, *args, **kwargs):
        self.action = CHANGE if "pk" in kwargs else ADD
        return super().dispatch(request, *args, **kwargs)

    def get_object(self):
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"]) if "pk" in self.kwargs else None

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        return super().post(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["user"] = self.request.user
        kwargs["instance"] = self.object or ScoringModel()
        return kwargs

    def get_formset(self):
        if self.request.method == "POST":
            return CriteriaFormSet(self.request.POST, prefix="criteria")
        criteria = self.object.criteria if self.object else default_criteria()
        return CriteriaFormSet(initial=criteria_initial(criteria), prefix="criteria")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["formset"] = kwargs.get("formset") or self.get_formset()
        context["object"] = self.object
        return context

    def form_valid(self, form):
        formset = self.get_formset()
        if not formset.is_valid():
            return self.render_to_response(self.get_context_data(form=form, formset=formset))
        data = {name: form.cleaned_data[name] for name in form.Meta.fields}
        data["criteria"] = criteria_from(formset)
        data["quadrant_names"] = form.quadrant_names()
        try:
            with transaction.atomic():
                if self.object is None:
                    saved = services.create_model(**data)
                else:
                    saved = services.update_model(self.object, data, expected_version=form.cleaned_data.get("version"))
        except (StaleObject, ValidationError) as error:
            add_validation_errors(form, error)
            return self.render_to_response(self.get_context_data(form=form, formset=formset))
        messages.success(self.request, f"Scoring model “{saved}” saved (version {saved.version}).")
        return HttpResponseRedirect(saved.get_absolute_url())


class ScoringModelDeleteView(ObjectDeleteView):
    model = ScoringModel
    success_url_name = "selection:model_list"

    def delete(self, instance):
        services.delete_model(instance)


class ScoringModelHistoryView(ObjectHistoryView):
    model = ScoringModel


class ScoringModelRunView(PermissionMixin, DetailView):
    """POST: queue a run of the model as it is now."""

    model = ScoringModel
    action = VIEW
    http_method_names = ["post"]

    def post(self, request, pk):
        model = self.get_object()
        if not role_allows(request.user, ADD, SelectionRun):
            raise PermissionDenied
        try:
            run = services.start_run(model, request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return HttpResponseRedirect(model.get_absolute_url())
        if services.runs_inline():
            # A small customer base is scored in well under a second: the answer comes with the page.
            run = services.execute_run(run.pk)
            messages.success(request, f"Run {run.pk}: {run.get_status_display().lower()}.")
        else:
            messages.success(request, f"Run {run.pk} queued: the worker scores every top-level account.")
        return HttpResponseRedirect(run.get_absolute_url())


# Runs ----------------------------------------------------------------------------------------------------------


class RunListView(ObjectListView):
    model = SelectionRun
    table_class = RunTable
    filterset_class = RunFilterSet
    title = "Selection runs"
    empty_message = "No runs yet: open a scoring model and run it."

    def get_queryset(self):
        return super().get_queryset().select_related("created_by")


class RunMixin:
    """Views of one run: the run comes through the choke point first, then its results."""

    def get_run(self) -> SelectionRun:
        if not role_allows(self.request.user, VIEW, SelectionRun):
            raise PermissionDenied  # runs are the programme lead's: a 403, whatever the view's own model
        if not hasattr(self, "_run"):
            self._run = get_object_or_404(SelectionRun.objects.restrict(self.request.user), pk=self.kwargs["pk"])
        return self._run

    def run_context(self):
        run = self.get_run()
        return {
            "run": run,
            "run_tabs": [
                ("results", "Ranked list", reverse("selection:run", args=[run.pk])),
                ("matrix", "Matrix", reverse("selection:run_matrix", args=[run.pk])),
                ("capacity", "How many?", reverse("selection:run_capacity", args=[run.pk])),
                ("retiering", "Re-tiering", reverse("selection:run_retiering", args=[run.pk])),
            ],
        }


class RunDetailView(RunMixin, ObjectListView):
    """The ranked list: every top-level account with its score, segment and figures; search, filter, sort, export."""

    model = SelectionResult
    table_class = ResultTable
    filterset_class = ResultFilterSet
    template_name = "selection/run_detail.html"
    export_stem = "selection-run"

    def get_queryset(self):
        # Through the run's own manager: every row knows its run without joining it (a join made SQLite sort all
        # 173,000 results for each page instead of reading the (run, rank) index in order).
        return self.get_run().results.restrict(self.request.user).select_related("account").order_by("rank")

    def get(self, request, *args, **kwargs):
        run = self.get_run()
        if request.htmx and request.GET.get("status") == "1":
            if not run.is_running:  # finished: the whole page changes (results, tabs), so reload it
                response = HttpResponse(status=204)
                response["HX-Refresh"] = "true"
                return response
            return TemplateResponse(request, "selection/_run_header.html#status", {"run": run})
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(self.run_context())
        context["active_run_tab"] = "results"
        context["title"] = f"Run {self.get_run().pk}"
        context["can_propose"] = role_allows(self.request.user, ADD, KeyAccountDesignation)
        return context


class RunResultView(RunMixin, PermissionMixin, TemplateView):
    """“Why is this account 7th?”: each criterion's value, normalised value and points."""

    model = SelectionResult
    template_name = "selection/result_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        run = self.get_run()
        result = get_object_or_404(
            SelectionResult.objects.restrict(self.request.user).select_related("account", "run"),
            run=run,
            account_id=self.kwargs["account_id"],
        )
        context.update(self.run_context())
        context["result"] = result
        context["breakdown"] = [
            {"item": item, "label": Criterion(item["criterion"]).label, "value": value, "n": n, "points": points}
            for item, value, n, points in result.criterion_breakdown()
        ]
        context["neighbours"] = (
            run.results.filter(rank__gte=max(result.rank - 2, 1), rank__lte=result.rank + 2)
            .select_related("account")
            .order_by("rank")
        )
        context["proposal_form"] = ReasonForm()
        context["can_propose"] = role_allows(self.request.user, ADD, KeyAccountDesignation)
        return context


def _cents(value):
    return None if value is None else value.quantize(Decimal("0.01"))


def _money_axis(value):
    return value if value is not None and value > 0 else None


class RunMatrixView(RunMixin, PermissionMixin, TemplateView):
    model = SelectionResult
    template_name = "selection/run_matrix.html"

    def get(self, request, *args, **kwargs):
        if request.GET.get("export") == "csv":
            run = self.get_run()
            header = [
                "Segment",
                "Accounts",
                "Share %",
                "Key accounts today",
                "Revenue T12M EUR",
                "Wallet EUR",
                "Potential operating profit EUR",
                "Share of POP %",
            ]
            rows = [header] + [
                [
                    s.name,
                    s.accounts,
                    s.share_of_accounts,
                    s.key_accounts,
                    _cents(s.revenue),
                    _cents(s.wallet),
                    _cents(s.potential_operating_profit),
                    s.share_of_pop,
                ]
                for s in analysis.segment_table(run)
            ]
            return csv_response(rows, f"selection-run-{run.pk}-segments")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        run = self.get_run()
        context.update(self.run_context())
        context["active_run_tab"] = "matrix"
        context["segments"] = analysis.segment_table(run)
        points = analysis.matrix_points(run)
        context["shown"] = len(points)
        if run.status == RunStatus.DONE and points:
            bubbles = [
                Bubble(
                    x=p["wallet"],
                    y=p["potential_operating_profit"],
                    size=p["revenue_t12m"],
                    label=(
                        f"#{p['rank']} {p['account__name']} ({p['account__account_number']}) — "
                        f"{run.quadrant_name(p['segment'])}; wallet {p['wallet']:,.0f} EUR, "
                        f"potential operating profit {p['potential_operating_profit']:,.0f} EUR, "
                        f"revenue {p['revenue_t12m']:,.0f} EUR"
                    ),
                    href=reverse("selection:result", args=[run.pk, p["account_id"]]),
                    css_class=f"seg-{p['segment']}",
                )
                for p in points
            ]
            context["chart"] = mark_safe(  # noqa: S308 — the chart escapes every text it writes
                BubbleChart(
                    title=f"Potential operating profit × wallet size, {len(points)} best-ranked accounts",
                    bubbles=bubbles,
                    x_label="Wallet (EUR)",
                    y_label="Potential operating profit (EUR)",
                    x_threshold=_money_axis(run.wallet_threshold),
                    y_threshold=_money_axis(run.pop_threshold),
                    quadrants={
                        "top_right": run.quadrant_name(Segment.STRATEGIC),
                        "top_left": run.quadrant_name(Segment.DEVELOP),
                        "bottom_right": run.quadrant_name(Segment.MAINTAIN),
                        "bottom_left": run.quadrant_name(Segment.SERVE_EFFICIENTLY),
                    },
                ).to_svg()
            )
        return context


class RunCapacityView(RunMixin, PermissionMixin, TemplateView):
    model = SelectionResult
    template_name = "selection/run_capacity.html"

    def get(self, request, *args, **kwargs):
        if request.GET.get("export") == "csv":
            context = self.get_context_data(**kwargs)
            capacity = context.get("capacity")
            rows = [["n", "Account", "Its potential operating profit EUR", "Covered EUR", "Share %"]]
            for p in capacity.curve if capacity else []:
                rows.append([p.count, p.account_name, _cents(p.marginal), _cents(p.covered), p.share])
            return csv_response(rows, f"selection-run-{self.get_run().pk}-capacity")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        run = self.get_run()
        context.update(self.run_context())
        context["active_run_tab"] = "capacity"
        low, high = analysis.DEFAULT_CAPACITY
        form = CapacityForm(
            self.request.GET or None, initial={"managers": analysis.key_account_managers(), "low": low, "high": high}
        )
        managers = None
        if form.is_bound and form.is_valid():
            managers = form.cleaned_data.get("managers")
            low, high = form.cleaned_data.get("low") or low, form.cleaned_data.get("high") or high
        context["form"] = form
        if run.status != RunStatus.DONE:
            return context
        result = analysis.capacity(run, managers, low, high)
        context["capacity"] = result
        context["low_point"] = result.point(result.recommended_low)
        context["high_point"] = result.point(result.recommended_high)
        if result.curve:
            context["chart"] = mark_safe(  # noqa: S308 — the chart escapes every text it writes
                LineChart(
                    title="Share of potential operating profit covered by the first n accounts of the ranking",
                    xs=[p.count for p in result.curve],
                    series=[Series("Covered", [p.share for p in result.curve])],
                    markers=[
                        (result.recommended_low, f"{result.recommended_low}"),
                        (result.recommended_high, f"{result.recommended_high}"),
                    ],
                    y_max=Decimal(100),
                ).to_svg()
            )
            step = max(1, len(result.curve) // 25)
            context["rows"] = [p for p in result.curve if p.count % step == 0 or p.count in (1, len(result.curve))]
        return context


class RunRetieringView(RunMixin, PermissionMixin, TemplateView):
    model = SelectionResult
    template_name = "selection/run_retiering.html"

    def get(self, request, *args, **kwargs):
        if request.GET.get("export") == "csv":
            context = self.get_context_data(**kwargs)
            retiering = context.get("retiering")
            rows = [["Change", "Account number", "Account", "Rank", "Score", "Segment", "Segment before"]]
            if retiering is not None:
                for r in retiering.enters:
                    rows.append(
                        ["enters", r.account.account_number, r.account.name, r.rank, r.score, r.segment_name, ""]
                    )
                for account, r in retiering.drops:
                    rows.append(
                        [
                            "drops",
                            account.account_number,
                            account.name,
                            r.rank if r else "",
                            r.score if r else "",
                            r.segment_name if r else "not in this run",
                            "",
                        ]
                    )
                for r, before in context.get("segment_changes", []):
                    rows.append(
                        [
                            "changes segment",
                            r.account.account_number,
                            r.account.name,
                            r.rank,
                            r.score,
                            r.segment_name,
                            before,
                        ]
                    )
            return csv_response(rows, f"selection-run-{self.get_run().pk}-retiering")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        run = self.get_run()
        context.update(self.run_context())
        context["active_run_tab"] = "retiering"
        try:
            top = int(self.request.GET.get("top", "") or 0) or None
        except ValueError:
            top = None
        top = min(top, 100_000) if top else None
        if run.status == RunStatus.DONE:
            context["retiering"] = retiering = analysis.retiering(run, top)
            if retiering.previous is not None:
                context["segment_changes"] = [
                    (result, retiering.previous.quadrant_name(before)) for result, before in retiering.segment_changes
                ]
        context["can_decide"] = has_global_scope(self.request.user) and role_allows(
            self.request.user, CHANGE, KeyAccountDesignation
        )
        context["can_propose"] = role_allows(self.request.user, ADD, KeyAccountDesignation)
        return context


class RunProposeView(RunMixin, PermissionMixin, DetailView):
    """POST from the ranked list, a result or re-tiering: propose the chosen accounts with one reason."""

    model = KeyAccountDesignation
    action = ADD
    http_method_names = ["post"]

    def post(self, request, pk):
        run = self.get_run()
        ids = [int(i) for i in request.POST.getlist("account") if i.isdigit()][:500]
        form = ReasonForm(request.POST)
        back = request.POST.get("next") or run.get_absolute_url()
        if not back.startswith("/"):
            back = run.get_absolute_url()
        if not ids:
            messages.error(request, "Choose at least one account to propose.")
            return HttpResponseRedirect(back)
        if not form.is_valid():
            messages.error(request, "Say why you propose them: the reason is what the decision will rest on.")
            return HttpResponseRedirect(back)
        accounts = Account.objects.visible_to(request.user).filter(pk__in=ids, parent__isnull=True)
        proposals, skipped = services.propose_from_run(run, accounts, request.user, form.cleaned_data["reason"])
        if proposals:
            messages.success(request, f"{len(proposals)} account{'s' if len(proposals) != 1 else ''} proposed.")
        for message in skipped:
            messages.warning(request, message)
        return HttpResponseRedirect(back)


class RunDeleteView(ObjectDeleteView):
    model = SelectionRun
    success_url_name = "selection:run_list"

    def delete(self, instance):
        services.delete_run(instance)


# Ratings -------------------------------------------------------------------------------------------------------


class RatingListView(ObjectListView):
    model = AccountRating
    table_class = RatingTable
    filterset_class = RatingFilterSet
    title = "Ratings"
    empty_message = (
        "No ratings yet. Rate key accounts on strategic importance (market leader, innovation partner, "
        "reference value) and complexity: scoring models can use them as criteria."
    )

    def get_queryset(self):
        return super().get_queryset().select_related("account", "rated_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["add_url"] = reverse("selection:rating_set") if self.can(ADD) else None
        return context


class RatingSetView(PermissionMixin, FormView):
    """Rate one account on one attribute (a second rating replaces the first; both are in the audit trail)."""

    model = AccountRating
    action = ADD
    form_class = RatingForm
    template_name = "selection/rating_form.html"

    def get_initial(self):
        initial = {"account": self.request.GET.get("account"), "attribute": self.request.GET.get("attribute")}
        account = self.account_from(initial["account"])
        if account is not None and initial["attribute"]:
            existing = AccountRating.objects.filter(account=account, attribute=initial["attribute"]).first()
            if existing is not None:
                initial.update(value=existing.value, note=existing.note)
        return initial

    def account_from(self, value):
        try:
            pk = int(value)
        except (TypeError, ValueError):
            return None
        return Account.objects.restrict(self.request.user, VIEW).filter(pk=pk).first()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = context["form"]
        context["account"] = self.account_from(form["account"].value())
        return context

    def form_valid(self, form):
        account = self.account_from(form.cleaned_data["account"])
        if account is None:
            form.add_error(None, "Choose an account you can see (open it from the accounts list).")
            return self.form_invalid(form)
        try:
            rating = services.set_rating(
                account,
                form.cleaned_data["attribute"],
                form.cleaned_data["value"],
                self.request.user,
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            add_validation_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, f"Rated {rating}.")
        return HttpResponseRedirect(reverse("selection:rating_list") + f"?account={account.pk}")


class RatingDeleteView(ObjectDeleteView):
    model = AccountRating
    success_url_name = "selection:rating_list"

    def delete(self, instance):
        services.delete_rating(instance)


# Designations --------------------------------------------------------------------------------------------------


class DesignationListView(ObjectListView):
    model = KeyAccountDesignation
    table_class = DesignationTable
    filterset_class = DesignationFilterSet
    title = "Key account decisions"
    add_url_name = "selection:designation_add"
    empty_message = "No proposals yet. Propose accounts from a run's ranked list, or by hand."

    def get_queryset(self):
        return super().get_queryset().select_related("account", "proposed_by", "decided_by")


class DesignationCreateView(PermissionMixin, FormView):
    model = KeyAccountDesignation
    action = ADD
    form_class = ProposalForm
    template_name = "selection/designation_form.html"

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["user"] = self.request.user
        return kwargs

    def get_initial(self):
        return {"account_number": self.request.GET.get("account_number", ""), "kind": self.request.GET.get("kind")}

    def form_valid(self, form):
        try:
            designation = services.propose(
                form.cleaned_data["account"],
                self.request.user,
                form.cleaned_data["reason"],
                kind=form.cleaned_data["kind"],
            )
        except ValidationError as error:
            add_validation_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, f"Proposed: {designation.account}. The programme lead decides.")
        return HttpResponseRedirect(designation.get_absolute_url())


class DesignationDetailView(ObjectDetailView):
    model = KeyAccountDesignation
    template_name = "selection/designation_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("account", "proposed_by", "decided_by", "run")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["can_decide"] = has_global_scope(user) and role_allows(user, CHANGE, KeyAccountDesignation)
        context["can_withdraw"] = self.object.proposed_by_id == user.pk or has_global_scope(user)
        context["form"] = kwargs.get("form") or DecisionForm()
        return context


class DesignationDecideView(DesignationDetailView):
    """POST approve / reject (the programme lead), or withdraw (the proposer)."""

    http_method_names = ["post"]

    def post(self, request, pk):
        self.object = designation = self.get_object()
        decision = request.POST.get("decision")
        form = DecisionForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        try:
            if decision == "withdraw":
                services.withdraw(designation, request.user)
                messages.success(request, "Proposal withdrawn.")
            elif decision in ("approve", "reject"):
                services.decide(
                    designation, request.user, approve=decision == "approve", note=form.cleaned_data["note"]
                )
                messages.success(request, f"Proposal {'approved' if decision == 'approve' else 'rejected'}.")
            else:
                form.add_error(None, "Choose approve, reject or withdraw.")
                return self.render_to_response(self.get_context_data(form=form))
        except ValidationError as error:
            add_validation_errors(form, error)
            return self.render_to_response(self.get_context_data(form=form))
        return HttpResponseRedirect(designation.get_absolute_url())


class DeDesignateView(PermissionMixin, FormView):
    """The programme lead removes a key account, with the reason on record."""

    model = Account
    action = VIEW
    form_class = ReasonForm
    template_name = "selection/dedesignate_form.html"

    def get_account(self):
        return get_object_or_404(Account.objects.restrict(self.request.user), pk=self.kwargs["pk"])

    def get(self, request, *args, **kwargs):
        self._require_decider()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self._require_decider()
        return super().post(request, *args, **kwargs)

    def _require_decider(self):
        user = self.request.user
        if not (has_global_scope(user) and role_allows(user, CHANGE, KeyAccountDesignation)):
            raise PermissionDenied

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["account"] = self.get_account()
        return context

    def form_valid(self, form):
        account = self.get_account()
        try:
            services.de_designate(account, self.request.user, form.cleaned_data["reason"])
        except ValidationError as error:
            add_validation_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, f"{account} is no longer a key account; the decision is on record.")
        return HttpResponseRedirect(reverse("selection:designation_list") + f"?account={account.pk}")
