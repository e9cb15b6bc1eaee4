"""Account plan pages (issue 7).

The plan lives on its account's page (tab "Account plan"): the version shown (the newest unless `?v=` names
another), its workflow, the quality checklist and the sections. Each section is a template partial of
`plans/account_tab.html`; with htmx a section is edited in place — its form replaces it (text sections) or opens in
its editor slot (rows) — and a save answers with the refreshed section and, out of band, the quality checklist. The
same URLs answer plain requests with whole pages and redirects, so nothing needs JavaScript.

Every write goes through kam.plans.services with the version of what the form showed: a stale save is refused, shown
on the form with what was typed, and the other person's edit survives."""

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views import View
from django.views.generic import TemplateView

from kam.core import documents
from kam.core.forms import add_validation_errors
from kam.core.permissions import ADD, CHANGE, DELETE, VIEW, role_allows
from kam.core.services import StaleObject
from kam.core.views import ObjectListView, PermissionMixin
from kam.plans import pipeline, quality, services
from kam.plans.choices import OPEN_ACTION_STATUSES, RiskStatus
from kam.plans.diff import diff_versions
from kam.plans.filtersets import PlanFilterSet
from kam.plans.forms import ITEM_FORMS, TEXT_GROUP_TITLES, TEXT_GROUPS, NewPlanForm, ReturnForm, SectionForm
from kam.plans.models import (
    APPROVE,
    ITEM_KINDS,
    TEXT_SECTIONS,
    AccountPlan,
    Objective,
    Opportunity,
    PlanVersion,
    Risk,
    TCOLine,
)
from kam.plans.summaries import goal_achievement, heat_map, kpi_rows, risk_level, tco_summary
from kam.plans.tables import PlanTable

# Where each kind of row is shown on the page (the section refreshed after it changes).
SECTION_OF_KIND = {
    "objective": "objectives",
    "kpi": "objectives",
    "target": "objectives",
    "action": "actions",
    "risk": "risks",
    "opportunity": "opportunities",
    "tco": "value",
}
# The parts of the page a request may refresh: text groups (kam.plans.forms.TEXT_GROUPS) and row sections.
PAGE_SECTIONS = ("situation", "swot", "competitors", "value", "objectives", "actions", "risks", "opportunities")
SECTION_OF_GROUP = {"situation": "situation", "swot": "swot", "competitors": "competitors"}
SECTION_OF_GROUP |= {"value_proposition": "value", "tco_settings": "value"}


def plan_url(account_id: int, number: int | None = None, anchor: str = "") -> str:
    url = reverse("accounts:account", args=[account_id]) + "?tab=plan"
    if number is not None:
        url += f"&v={number}"
    return url + (f"#{anchor}" if anchor else "")


def _editable(user, version: PlanVersion) -> bool:
    return not version.is_frozen and role_allows(user, CHANGE, PlanVersion)


def version_context(request, plan: AccountPlan, version: PlanVersion) -> dict:
    """Everything the plan tab shows for `version` (also what a refreshed section needs)."""
    user = request.user
    today = timezone.localdate()
    version.plan = plan
    objectives = list(Objective.objects.filter(plan_version=version).order_by("side", "pk"))
    by_pk = {o.pk: o for o in objectives}
    kpis = kpi_rows(version, today)
    for objective in objectives:
        objective.kpi_rows = kpis.get(objective.pk, [])
        objective.linked = by_pk.get(objective.linked_objective_id)
    actions = list(
        ITEM_KINDS["action"]
        .objects.filter(plan_version=version)
        .select_related("owner", "objective")
        .order_by("due_date", "pk")
    )
    for action in actions:
        due = action.due_date
        action.overdue = action.status in OPEN_ACTION_STATUSES and due is not None and due < today
    risks = list(Risk.objects.filter(plan_version=version).select_related("owner").order_by("pk"))
    risks.sort(key=lambda r: (r.status == RiskStatus.CLOSED, -r.score, r.pk))
    for risk in risks:
        risk.level = risk_level(risk.score)
    opportunities = list(
        Opportunity.objects.filter(plan_version=version).select_related("cell__offering").order_by("pk")
    )
    tco_lines = list(TCOLine.objects.filter(plan_version=version).order_by("pk"))
    report = quality.evaluate(version, today)
    quality_findings = []  # (finding, where to fix it, the section it is in)
    editable = _editable(user, version)
    for finding in report.findings:
        kind = next((k for k, model in ITEM_KINDS.items() if isinstance(finding.item, model)), None)
        fix_url = reverse("plans:item_edit", args=[kind, finding.item.pk]) if kind and editable else None
        quality_findings.append((finding, fix_url, SECTION_OF_KIND.get(kind, "")))
    sections = {
        name: mark_safe(documents.markdown_to_html(getattr(version, name)))  # noqa: S308 - sanitised by nh3
        for name in TEXT_SECTIONS
    }
    return {
        "plan": plan,
        "version": version,
        "can_edit": _editable(user, version),
        # The year-end evaluation of our goals goes on after approval (kam.plans.services.evaluate_objective).
        "can_evaluate": version.is_frozen and role_allows(user, CHANGE, Objective),
        "objectives_client": [o for o in objectives if o.side == "client"],
        "goal_achievement": goal_achievement(objectives),
        "objectives_ours": [o for o in objectives if o.side == "ours"],
        "actions": actions,
        "overdue_count": sum(1 for a in actions if a.overdue),
        "risks": risks,
        "heat_map": heat_map(risks),
        "opportunities": opportunities,
        "pipeline": pipeline.summarise(opportunities),
        "tco_lines": tco_lines,
        "tco": tco_summary(version, tco_lines),
        "quality": report,
        "quality_findings": quality_findings,
        "sections": sections,
        "today": today,
    }


def account_tab_context(request, account) -> dict:
    """The "Account plan" tab of the account page (the account is already permission-checked)."""
    user = request.user
    plan = AccountPlan.objects.restrict(user, VIEW).filter(account=account).first()
    if plan is None:
        return {
            "plan": None,
            "can_create_plan": account.is_key_account and role_allows(user, ADD, AccountPlan),
            "new_plan_form": NewPlanForm(),
        }
    plan.account = account
    versions = list(plan.versions.select_related("approved_by", "created_by").order_by("-number"))
    try:
        number = int(request.GET.get("v") or versions[0].number)
    except ValueError:
        number = versions[0].number
    version = next((v for v in versions if v.number == number), versions[0])
    version.account = account
    newest = versions[0]
    in_force = next((v for v in versions if v.status == "approved"), None)
    context = version_context(request, plan, version)
    may_approve = services.may_approve(user, plan)
    context.update(
        versions=versions,
        newest=newest,
        in_force=in_force,
        can_submit=version.status == "draft" and role_allows(user, CHANGE, PlanVersion),
        can_approve=version.status == "in_review" and may_approve,
        can_review=version.status == "approved" and role_allows(user, CHANGE, PlanVersion),
        can_start_next=(
            version.pk == (in_force.pk if in_force else None)
            and newest.is_frozen
            and in_force.year + 1 <= plan.end_year
            and role_allows(user, ADD, PlanVersion)
        ),
        return_form=ReturnForm(initial={"row_version": version.version}),
        whitespace_url=_optional_url("plans:whitespace", account.pk),
    )
    return context


def _optional_url(name, *args):
    from django.urls import NoReverseMatch

    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def render_section(request, plan: AccountPlan, version: PlanVersion, section: str, *, quality_oob=True) -> str:
    """One part of the plan tab, refreshed; with the quality checklist out of band (its findings may have changed)."""
    context = version_context(request, plan, version)
    context["request"] = request
    html = render_to_string(f"plans/account_tab.html#section-{section}", context, request=request)
    if quality_oob:
        context["oob"] = True
        html += render_to_string("plans/account_tab.html#quality", context, request=request)
    return html


# Views ---------------------------------------------------------------------------------------------------------------


class VersionMixin(PermissionMixin):
    """The plan version named in the URL (`version_pk`), through the permission choke point."""

    model = PlanVersion

    def get_version(self, action=None) -> PlanVersion:
        queryset = PlanVersion.objects.restrict(self.request.user, action or self.action)
        version = get_object_or_404(queryset.select_related("plan", "account"), pk=self.kwargs["version_pk"])
        return version


class CreatePlanView(PermissionMixin, View):
    model = AccountPlan
    action = ADD

    def post(self, request, pk):
        from kam.accounts.models import Account

        account = get_object_or_404(Account.objects.restrict(request.user, VIEW), pk=pk)
        form = NewPlanForm(request.POST)
        if form.is_valid():
            try:
                services.create_plan(
                    account,
                    request.user,
                    form.cleaned_data["start_year"],
                    form.cleaned_data["horizon_years"],
                    form.cleaned_data["title"],
                )
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(request, "Plan created: version 1 is a draft. Write its sections below.")
        else:
            messages.error(request, "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
        return HttpResponseRedirect(plan_url(account.pk))


class SectionView(VersionMixin, TemplateView):
    """A text group of a version: GET shows it (or its form with ?edit=1), POST saves it."""

    template_name = "plans/section_edit.html"

    def dispatch(self, request, *args, **kwargs):
        if kwargs["group"] not in TEXT_GROUPS and kwargs["group"] not in PAGE_SECTIONS:
            raise Http404
        self.action = CHANGE if request.method == "POST" or request.GET.get("edit") else VIEW
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        version = self.get_version()
        group = kwargs["group"]
        if request.GET.get("edit") and group in TEXT_GROUPS:
            if version.is_frozen:
                raise PermissionDenied("This version is frozen.")
            return self.form_response(version, SectionForm(plan_version=version, group=group))
        if not request.htmx:
            return HttpResponseRedirect(plan_url(version.account_id, version.number, f"section-{group}"))
        section = SECTION_OF_GROUP.get(group, group)
        return HttpResponse(render_section(request, version.plan, version, section, quality_oob=False))

    def post(self, request, *args, **kwargs):
        version = self.get_version()
        group = kwargs["group"]
        if group not in TEXT_GROUPS:
            raise Http404
        form = SectionForm(request.POST, plan_version=version, group=group)
        if form.is_valid():
            try:
                version = services.update_version(
                    version, form.section_data(), request.user, expected_version=form.cleaned_data["row_version"]
                )
            except (ValidationError, StaleObject) as error:
                add_validation_errors(form, error)
            else:
                section = SECTION_OF_GROUP[group]
                if request.htmx:
                    version = PlanVersion.objects.select_related("plan", "account").get(pk=version.pk)
                    return HttpResponse(render_section(request, version.plan, version, section))
                messages.success(request, f"{TEXT_GROUP_TITLES[group]} saved.")
                return HttpResponseRedirect(plan_url(version.account_id, version.number, f"section-{section}"))
        return self.form_response(version, form, status=200)

    def form_response(self, version, form, status=200):
        context = {
            "form": form,
            "version": version,
            "group": form.group,
            "title": TEXT_GROUP_TITLES[form.group],
            "section": SECTION_OF_GROUP[form.group],
            "action_url": reverse("plans:section", args=[version.pk, form.group]),
            "cancel_url": plan_url(version.account_id, version.number, f"section-{SECTION_OF_GROUP[form.group]}"),
        }
        template = "plans/_section_form.html" if self.request.htmx else self.template_name
        return HttpResponse(render_to_string(template, context, request=self.request), status=status)


class ItemEditView(PermissionMixin, TemplateView):
    """Add a row of `kind` to a version (`version_pk`), or change one (`pk`); with htmx the form opens in its
    section's editor and a save refreshes the section."""

    template_name = "plans/item_edit.html"

    def dispatch(self, request, *args, **kwargs):
        kind = kwargs["kind"]
        if kind not in ITEM_KINDS:
            raise Http404
        self.kind = kind
        self.model = ITEM_KINDS[kind]
        self.action = CHANGE if "pk" in kwargs else ADD
        return super().dispatch(request, *args, **kwargs)

    def load(self):
        user = self.request.user
        if "pk" in self.kwargs:
            item = get_object_or_404(self.model.objects.restrict(user, CHANGE), pk=self.kwargs["pk"])
            version_pk = item.plan_version_id
        else:
            item, version_pk = None, self.kwargs["version_pk"]
        version = get_object_or_404(
            PlanVersion.objects.restrict(user, CHANGE).select_related("plan", "account"), pk=version_pk
        )
        if version.is_frozen:
            raise PermissionDenied(f"Version {version.number} is {version.get_status_display().lower()}: it is frozen.")
        return version, item

    def make_form(self, version, item, data=None):
        initial = {}
        for name in ("objective", "kpi", "cell"):
            if name in self.request.GET:
                initial[name] = self.request.GET[name]
        form_class = ITEM_FORMS[self.kind]
        return form_class(data, plan_version=version, instance=item, initial=initial, user=self.request.user)

    def get(self, request, *args, **kwargs):
        version, item = self.load()
        return self.form_response(version, item, self.make_form(version, item))

    def post(self, request, *args, **kwargs):
        version, item = self.load()
        form = self.make_form(version, item, request.POST)
        if form.is_valid():
            try:
                saved = services.save_item(
                    version,
                    self.kind,
                    form.service_data(),
                    request.user,
                    item=item,
                    expected_version=form.cleaned_data.get("version") if item else None,
                )
            except (ValidationError, StaleObject) as error:
                add_validation_errors(form, error)
            else:
                return self.saved(version, saved, "added" if item is None else "saved")
        return self.form_response(version, item, form)

    def saved(self, version, saved, verb):
        section = SECTION_OF_KIND[self.kind]
        if self.request.htmx:
            response = HttpResponse(render_section(self.request, version.plan, version, section))
            response["HX-Retarget"] = f"#section-{section}"
            response["HX-Reswap"] = "outerHTML"
            return response
        messages.success(self.request, f"{self.model._meta.verbose_name.capitalize()} “{saved}” {verb}.")
        return HttpResponseRedirect(plan_url(version.account_id, version.number, f"section-{section}"))

    def form_response(self, version, item, form):
        section = SECTION_OF_KIND[self.kind]
        context = {
            "form": form,
            "kind": self.kind,
            "item": item,
            "version": version,
            "section": section,
            "verbose_name": self.model._meta.verbose_name,
            "action_url": self.request.path,
            "delete_url": reverse("plans:item_delete", args=[self.kind, item.pk]) if item else None,
            "cancel_url": plan_url(version.account_id, version.number, f"section-{section}"),
            "refresh_url": reverse("plans:section", args=[version.pk, section]),
        }
        template = "plans/_item_form.html" if self.request.htmx else self.template_name
        return HttpResponse(render_to_string(template, context, request=self.request))


class ItemDeleteView(PermissionMixin, View):
    def dispatch(self, request, *args, **kwargs):
        if kwargs["kind"] not in ITEM_KINDS:
            raise Http404
        self.kind = kwargs["kind"]
        self.model = ITEM_KINDS[self.kind]
        self.action = DELETE
        return super().dispatch(request, *args, **kwargs)

    def post(self, request, kind, pk):
        item = get_object_or_404(self.model.objects.restrict(request.user, DELETE), pk=pk)
        version = PlanVersion.objects.select_related("plan", "account").get(pk=item.plan_version_id)
        section = SECTION_OF_KIND[kind]
        try:
            expected = int(request.POST["version"]) if request.POST.get("version") else None
        except ValueError:
            expected = None
        try:
            services.delete_item(version, item, request.user, expected_version=expected)
        except (ValidationError, StaleObject) as error:
            text = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
            if request.htmx:
                return HttpResponse(render_to_string("plans/_error.html", {"message": text}), status=200)
            messages.error(request, text)
            return HttpResponseRedirect(plan_url(version.account_id, version.number, f"section-{section}"))
        if request.htmx:
            response = HttpResponse(render_section(request, version.plan, version, section))
            response["HX-Retarget"] = f"#section-{section}"
            response["HX-Reswap"] = "outerHTML"
            return response
        messages.success(request, f"{self.model._meta.verbose_name.capitalize()} “{item}” deleted.")
        return HttpResponseRedirect(plan_url(version.account_id, version.number, f"section-{section}"))


class EvaluateView(PermissionMixin, View):
    """Reached, missed or not evaluated: one of our goals at the year's end, on an approved version too."""

    model = Objective
    action = CHANGE
    CHOICES = {"true": True, "false": False, "": None}

    def post(self, request, pk):
        objective = get_object_or_404(Objective.objects.restrict(request.user, CHANGE), pk=pk)
        version = PlanVersion.objects.select_related("plan", "account").get(pk=objective.plan_version_id)
        value = request.POST.get("achieved", "")
        problem = None
        try:
            expected = int(request.POST["version"]) if request.POST.get("version") else None
            if value not in self.CHOICES:
                raise ValidationError({"achieved": "Reached, missed or not evaluated."})
            services.evaluate_objective(objective, self.CHOICES[value], request.user, expected_version=expected)
        except ValueError:
            problem = "The form was not complete: reload the page and try again."
        except (ValidationError, StaleObject) as error:
            problem = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        if request.htmx:
            html = render_section(request, version.plan, version, "objectives")
            if problem:
                html = render_to_string("plans/_error.html", {"message": problem}) + html
            return HttpResponse(html)
        if problem:
            messages.error(request, problem)
        return HttpResponseRedirect(plan_url(version.account_id, version.number, "section-objectives"))


class WorkflowView(VersionMixin, View):
    """Submit, approve, return to draft, record a review: POST only, back to the plan with what happened."""

    ACTIONS = ("submit", "approve", "return", "review")

    def dispatch(self, request, *args, **kwargs):
        if kwargs["step"] not in self.ACTIONS:
            raise Http404
        # Submitting and recording a review are edits; approving and returning need a role that may approve, and the
        # services narrow it to the account's team leader, the programme lead or an administrator.
        self.action = CHANGE if kwargs["step"] in ("submit", "review") else APPROVE
        return super().dispatch(request, *args, **kwargs)

    def post(self, request, version_pk, step):
        version = self.get_version()
        try:
            expected = int(request.POST["row_version"]) if request.POST.get("row_version") else None
        except ValueError:
            expected = None
        try:
            if step == "submit":
                services.submit(version, request.user, expected_version=expected)
                text = f"Version {version.number} sent for approval."
            elif step == "approve":
                services.approve(version, request.user, expected_version=expected)
                text = f"Version {version.number} approved: it is frozen and in force."
            elif step == "return":
                form = ReturnForm(request.POST)
                note = form.data.get("note", "")
                services.return_to_draft(version, request.user, note, expected_version=expected)
                text = f"Version {version.number} returned to draft."
            else:
                services.record_review(version, request.user, expected_version=expected)
                text = "Review recorded for today."
        except (ValidationError, StaleObject) as error:
            messages.error(request, " ".join(error.messages) if isinstance(error, ValidationError) else str(error))
        else:
            messages.success(request, text)
        return HttpResponseRedirect(plan_url(version.account_id, version.number))


class NextYearView(PermissionMixin, View):
    model = PlanVersion
    action = ADD

    def post(self, request, pk):
        plan = get_object_or_404(AccountPlan.objects.restrict(request.user, CHANGE), pk=pk)
        try:
            new = services.start_next_year(plan, request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return HttpResponseRedirect(plan_url(plan.account_id))
        messages.success(
            request, f"Version {new.number} for {new.year} started from the approved plan: change what changes."
        )
        return HttpResponseRedirect(plan_url(plan.account_id, new.number))


class CompareView(PermissionMixin, TemplateView):
    """Two versions side by side: what was added, changed and dropped, per section."""

    model = AccountPlan
    template_name = "plans/compare.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        plan = get_object_or_404(
            AccountPlan.objects.restrict(self.request.user, VIEW).select_related("account"), pk=kwargs["pk"]
        )
        versions = list(plan.versions.order_by("-number"))
        numbers = [v.number for v in versions]

        def pick(name, default):
            try:
                value = int(self.request.GET.get(name) or default)
            except ValueError:
                value = default
            return value if value in numbers else default

        newer = pick("to", numbers[0])
        older = pick("from", max(1, newer - 1) if newer - 1 in numbers else numbers[-1])
        by_number = {v.number: v for v in versions}
        old, new = by_number[older], by_number[newer]
        diff = diff_versions(old, new)
        sections = []
        for key, section in diff.items():
            model = ITEM_KINDS.get(key)
            name = model._meta.verbose_name_plural if model else PlanVersion._meta.get_field(key).verbose_name
            title = _sentence(name)
            changed = []
            for before, after, fields in section["changed"]:
                if model is None:
                    changed.append({"label": title, "fields": [(title, before, after)]})
                    continue
                changed.append(
                    {
                        "label": str(after),
                        "fields": [
                            (
                                _sentence(model._meta.get_field(name).verbose_name),
                                _display(before, name),
                                _display(after, name),
                            )
                            for name in fields
                        ],
                    }
                )
            sections.append(
                {
                    "key": key,
                    "title": title,
                    "added": [str(v) for v in section["added"]],
                    "changed": changed,
                    "dropped": [str(v) for v in section["dropped"]],
                }
            )
        context.update(
            plan=plan,
            versions=versions,
            old=old,
            new=new,
            sections=sections,
            changed_count=sum(1 for s in sections if s["added"] or s["changed"] or s["dropped"]),
        )
        return context


def _sentence(text) -> str:
    """Upper-case the first letter only (str.capitalize would make "KPIs" "Kpis")."""
    text = str(text)
    return text[:1].upper() + text[1:]


def _display(row, name):
    """A field's value as a person reads it: choice labels, linked rows by name, empty as an em dash."""
    field = row._meta.get_field(name)
    if field.choices:
        value = getattr(row, f"get_{name}_display")()
    elif field.is_relation:
        value = getattr(row, name)
    else:
        value = getattr(row, name)
    if value is None or value == "":
        return "—"
    if value is True:
        return "Yes"
    if value is False:
        return "No"
    if isinstance(value, Decimal):
        return f"{value:,.2f}" if field.decimal_places == 2 else f"{value.normalize():,f}"
    return str(value)


class ExportView(PermissionMixin, View):
    model = AccountPlan
    fmt = "pdf"

    def get(self, request, pk, number):
        from kam.plans import export

        plan = get_object_or_404(AccountPlan.objects.restrict(request.user, VIEW), pk=pk)
        version = get_object_or_404(PlanVersion.objects.select_related("account", "plan"), plan=plan, number=number)
        content, filename, content_type = export.render(version, request.user, self.fmt)
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


class PlanListView(ObjectListView):
    """All plans in the user's scope with the state of their newest version."""

    model = AccountPlan
    table_class = PlanTable
    filterset_class = PlanFilterSet
    title = "Account plans"
    lead = "One living plan per key account, with a version a year. Open a plan on its account's page."
    subnav_template = "plans/_nav.html"
    empty_message = "No plan yet. A key account's plan is started from its page (tab Account plan)."
    export_stem = "account-plans"

    summary_template = "plans/_without_plan.html"

    def get_queryset(self):
        return PlanFilterSet.annotate(super().get_queryset().select_related("account"))

    def get_context_data(self, **kwargs):
        """Also the key accounts in the user's scope that have no plan yet: the programme's gap."""
        from kam.accounts.models import Account

        context = super().get_context_data(**kwargs)
        without = Account.objects.visible_to(self.request.user).filter(is_key_account=True, plan__isnull=True)
        context["without_plan_count"] = without.count()
        context["without_plan"] = list(without.order_by("name", "account_number")[:10])
        return context
