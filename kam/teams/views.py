"""Account teams: the team on an account (members, history, handovers, charter), the role catalogue, the service
model per segment, the programme's rules, the coverage check and the workload board."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.views.generic import TemplateView
from django.views.generic.edit import FormView

from kam.accounts.filtersets import SearchFilterSet
from kam.accounts.models import Account, AccountTeamMember
from kam.core.exports import csv_response
from kam.core.forms import add_validation_errors
from kam.core.permissions import ADD, CHANGE
from kam.core.services import StaleObject
from kam.core.views import ObjectListView, PermissionMixin
from kam.teams import analysis, services
from kam.teams.forms import (
    CapacityForm,
    CharterForm,
    HandoverAllForm,
    HandoverForm,
    MemberForm,
    RoleForm,
    RuleFormSet,
    ServiceModelForm,
    SettingsForm,
    rules_from,
    rules_initial,
)
from kam.teams.models import PersonCapacity, ProgrammeSettings, ServiceModel, TeamRoleDefinition
from kam.teams.tables import RoleTable


class TeamEditMixin(PermissionMixin):
    """Changing a team changes who can open the account: the programme lead and administrators do it."""

    model = AccountTeamMember
    action = CHANGE

    def get_account(self) -> Account:
        if not hasattr(self, "_account"):
            self._account = get_object_or_404(Account.objects.restrict(self.request.user), pk=self.kwargs["pk"])
        return self._account

    def team_url(self):
        return reverse("accounts:account", args=[self.get_account().pk]) + "?tab=team"


class MemberAddView(TeamEditMixin, FormView):
    action = ADD
    form_class = MemberForm
    template_name = "teams/member_form.html"

    def get_initial(self):
        return {"start_date": timezone.localdate(), "team_role": self.request.GET.get("role", "")}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["account"] = self.get_account()
        context["title"] = f"Add to the team of {self.get_account().name}"
        return context

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            member = services.add_member(
                self.get_account(),
                data["user"],
                data["team_role"],
                data["allocation_percent"],
                data["start_date"],
                data.get("end_date"),
            )
        except ValidationError as error:
            add_validation_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, f"{member.user} is on the team as {member.role_name}.")
        return HttpResponseRedirect(self.team_url())


class MemberEditView(TeamEditMixin, FormView):
    form_class = MemberForm
    template_name = "teams/member_form.html"

    def get_member(self):
        return get_object_or_404(
            AccountTeamMember.objects.restrict(self.request.user, CHANGE).select_related("account", "user"),
            pk=self.kwargs["member"],
            account=self.get_account(),
        )

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["editing"] = True
        return kwargs

    def get_initial(self):
        m = self.get_member()
        return {
            "team_role": m.team_role,
            "allocation_percent": m.allocation_percent,
            "start_date": m.start_date,
            "end_date": m.end_date,
        }

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        member = self.get_member()
        context["account"] = self.get_account()
        context["title"] = f"{member.user} on the team of {self.get_account().name}"
        return context

    def form_valid(self, form):
        data = {k: form.cleaned_data.get(k) for k in ("team_role", "allocation_percent", "start_date", "end_date")}
        try:
            services.update_member(self.get_member(), data)
        except (ValidationError, StaleObject) as error:
            add_validation_errors(form, error if isinstance(error, ValidationError) else ValidationError(str(error)))
            return self.form_invalid(form)
        messages.success(self.request, "Team member saved.")
        return HttpResponseRedirect(self.team_url())


class MemberEndView(TeamEditMixin, TemplateView):
    """POST: the member leaves the team today (kept in the team's history)."""

    http_method_names = ["post"]

    def post(self, request, pk, member):
        member = get_object_or_404(
            AccountTeamMember.objects.restrict(request.user, CHANGE), pk=member, account=self.get_account()
        )
        try:
            services.end_member(member)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                f"{member.user} is off the team from today (a membership that had not started yet is withdrawn); "
                "the audit log keeps it.",
            )
        return HttpResponseRedirect(self.team_url())


class HandoverView(TeamEditMixin, FormView):
    form_class = HandoverForm
    template_name = "teams/handover_form.html"

    def get_initial(self):
        return {"on": timezone.localdate()}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["account"] = self.get_account()
        context["current"] = services.current_manager(self.get_account())
        return context

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            handover = services.hand_over(
                self.get_account(), data["to_user"], data["note"], self.request.user, data["on"]
            )
        except ValidationError as error:
            add_validation_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, f"Handed over to {handover.to_user} from {handover.handed_over_on:%Y-%m-%d}.")
        return HttpResponseRedirect(self.team_url())


class CharterView(PermissionMixin, FormView):
    """The team's charter: the programme's default until the team writes its own."""

    model = Account
    action = CHANGE
    form_class = CharterForm
    template_name = "teams/charter_form.html"

    def get_account(self):
        return get_object_or_404(Account.objects.restrict(self.request.user, CHANGE), pk=self.kwargs["pk"])

    def get_initial(self):
        return {"team_charter": self.get_account().team_charter or ProgrammeSettings.current().default_team_charter}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["account"] = self.get_account()
        return context

    def form_valid(self, form):
        account = self.get_account()
        text = form.cleaned_data["team_charter"].strip()
        if text == ProgrammeSettings.current().default_team_charter.strip():
            text = ""  # unchanged: keep following the programme's default
        services.set_team_charter(account, text)
        messages.success(self.request, "Team charter saved.")
        return HttpResponseRedirect(reverse("accounts:account", args=[account.pk]) + "?tab=team")


class HandoverAllView(PermissionMixin, FormView):
    """A key account manager leaves: every account they manage passes to someone else, with one note."""

    model = AccountTeamMember
    action = CHANGE
    form_class = HandoverAllForm
    template_name = "teams/handover_all_form.html"

    def get_initial(self):
        return {"on": timezone.localdate(), "from_user": self.request.GET.get("from_user")}

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            handovers = services.hand_over_all(
                data["from_user"], data["to_user"], data["note"], self.request.user, data["on"]
            )
        except ValidationError as error:
            add_validation_errors(form, error)
            return self.form_invalid(form)
        if not handovers:
            form.add_error("from_user", f"{data['from_user']} manages no key account on {data['on']:%Y-%m-%d}.")
            return self.form_invalid(form)
        messages.success(self.request, f"{len(handovers)} account(s) handed over to {data['to_user']}.")
        return HttpResponseRedirect(reverse("teams:workload"))


# Programme-wide pages ------------------------------------------------------------------------------------------


class RoleFilterSet(SearchFilterSet):
    search_fields = ("name", "key", "responsibilities")

    class Meta:
        model = TeamRoleDefinition
        fields = ["q"]


class RoleListView(ObjectListView):
    model = TeamRoleDefinition
    table_class = RoleTable
    filterset_class = RoleFilterSet
    title = "Team roles"
    add_url_name = "teams:role_add"


class RoleEditView(PermissionMixin, FormView):
    model = TeamRoleDefinition
    form_class = RoleForm
    template_name = "core/object_edit.html"

    def dispatch(self, request, *args, **kwargs):
        self.action = CHANGE if "pk" in kwargs else ADD
        return super().dispatch(request, *args, **kwargs)

    def get_object(self):
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"]) if "pk" in self.kwargs else None

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["user"] = self.request.user
        kwargs["instance"] = self.get_object() or TeamRoleDefinition()
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["object"] = self.get_object()
        context["verbose_name"] = "team role"
        context["cancel_url"] = reverse("teams:role_list")
        return context

    def form_valid(self, form):
        instance = form.instance
        if instance.pk and instance.key != TeamRoleDefinition.objects.get(pk=instance.pk).key:
            form.add_error("key", "The key of a role in use cannot change: members and imports refer to it.")
            return self.form_invalid(form)
        if instance.pk and instance.key == "key_account_manager" and not instance.active:
            form.add_error("active", "The key account manager role cannot be switched off.")
            return self.form_invalid(form)
        form.save()
        messages.success(self.request, f"Team role “{form.instance}” saved.")
        return HttpResponseRedirect(reverse("teams:role_list"))


class ServiceModelListView(PermissionMixin, TemplateView):
    model = ServiceModel
    template_name = "teams/service_models.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["models"] = ServiceModel.objects.prefetch_related("roles__role")
        context["can_change"] = self.can(CHANGE)
        return context


class ServiceModelEditView(PermissionMixin, FormView):
    model = ServiceModel
    action = CHANGE
    form_class = ServiceModelForm
    template_name = "teams/service_model_form.html"

    def get_object(self):
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["user"] = self.request.user
        kwargs["instance"] = self.get_object()
        return kwargs

    def get_formset(self):
        if self.request.method == "POST":
            return RuleFormSet(self.request.POST, prefix="rules")
        return RuleFormSet(initial=rules_initial(self.get_object()), prefix="rules")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["object"] = self.get_object()
        context["formset"] = kwargs.get("formset") or self.get_formset()
        return context

    def form_valid(self, form):
        formset = self.get_formset()
        if not formset.is_valid():
            return self.render_to_response(self.get_context_data(form=form, formset=formset))
        data = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            model = services.save_service_model(self.get_object(), data, rules_from(formset))
        except ValidationError as error:
            add_validation_errors(form, error)
            return self.render_to_response(self.get_context_data(form=form, formset=formset))
        messages.success(self.request, f"{model} saved.")
        return HttpResponseRedirect(reverse("teams:service_models"))


class SettingsView(PermissionMixin, FormView):
    # The form is for those who may change the rules; everyone reads them on the workload and team pages.
    model = ProgrammeSettings
    action = CHANGE
    form_class = SettingsForm
    template_name = "core/object_edit.html"

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["user"] = self.request.user
        kwargs["instance"] = ProgrammeSettings.current()
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["object"] = ProgrammeSettings.current()
        context["cancel_url"] = reverse("teams:workload")
        return context

    def form_valid(self, form):
        data = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            services.update_settings(data)
        except ValidationError as error:
            add_validation_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, "Team rules saved.")
        return HttpResponseRedirect(reverse("teams:workload"))


class CapacityView(PermissionMixin, FormView):
    """One person's own limit of key accounts (or back to the programme's)."""

    model = PersonCapacity
    action = CHANGE
    form_class = CapacityForm
    template_name = "teams/capacity_form.html"

    def get_person(self):
        return get_object_or_404(get_user_model(), pk=self.kwargs["user_id"])

    def get_initial(self):
        capacity = PersonCapacity.objects.filter(user=self.get_person()).first()
        return {"accounts_limit": capacity.accounts_limit, "note": capacity.note} if capacity else {}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["person"] = self.get_person()
        context["rules"] = ProgrammeSettings.current()
        return context

    def form_valid(self, form):
        person = self.get_person()
        try:
            services.set_capacity(person, form.cleaned_data["accounts_limit"], form.cleaned_data["note"])
        except ValidationError as error:
            add_validation_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, f"Capacity of {person} saved.")
        return HttpResponseRedirect(reverse("teams:workload") + f"?q={person.email}")


def _paginate(request, rows, per_page=50):
    page = Paginator(rows, per_page).get_page(request.GET.get("page"))
    return page


class CoverageView(PermissionMixin, TemplateView):
    """Every key account (in the user's scope) against its segment's service model: what is missing, and why."""

    model = Account
    template_name = "teams/coverage.html"

    def rows(self):
        accounts = analysis.key_accounts() & Account.objects.restrict(self.request.user)
        rows = analysis.coverage(accounts)
        status = self.request.GET.get("status", "")
        if status == "gaps":
            rows = [r for r in rows if not r.covered]
        elif status == "covered":
            rows = [r for r in rows if r.covered]
        query = self.request.GET.get("q", "").strip().lower()
        if query:
            rows = [r for r in rows if query in r.account.name.lower() or query in r.account.account_number.lower()]
        return rows

    def get(self, request, *args, **kwargs):
        if request.GET.get("export") == "csv":
            header = ["Account number", "Account", "Segment", "Key account manager", "Covered", "Problems"]
            data = [
                [
                    r.account.account_number,
                    r.account.name,
                    r.segment_name,
                    str(r.manager or ""),
                    "yes" if r.covered else "no",
                    " ".join(r.problems),
                ]
                for r in self.rows()
            ]
            return csv_response([header, *data], "coverage")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = self.rows()
        context["page"] = _paginate(self.request, rows)
        context["total"] = len(rows)
        context["gaps"] = sum(1 for r in rows if not r.covered)
        context["can_see_workload"] = self.can(CHANGE, AccountTeamMember)
        context["status"] = self.request.GET.get("status", "")
        context["q"] = self.request.GET.get("q", "")
        return context


class WorkloadView(PermissionMixin, TemplateView):
    """People × key accounts: accounts managed (raw and weighted by segment), time allocated, against the limits."""

    # The board shows every team: it is for the roles that staff teams (the programme lead, administrators).
    model = AccountTeamMember
    action = CHANGE
    template_name = "teams/workload.html"

    def rows(self):
        rows = analysis.workload()
        status = self.request.GET.get("status", "")
        if status in ("ok", "warning", "over"):
            rows = [r for r in rows if r.status == status]
        query = self.request.GET.get("q", "").strip().lower()
        if query:
            rows = [r for r in rows if query in (r.user.full_name or "").lower() or query in r.user.email.lower()]
        order = self.request.GET.get("sort", "-weighted")
        keys = {
            "weighted": lambda r: r.weighted,
            "accounts": lambda r: r.key_accounts,
            "allocation": lambda r: r.allocation,
        }
        key = keys.get(order.lstrip("-"), keys["weighted"])
        return sorted(rows, key=key, reverse=order.startswith("-"))

    def get(self, request, *args, **kwargs):
        if request.GET.get("export") == "csv":
            header = [
                "Person",
                "E-mail",
                "Role",
                "Key accounts managed",
                "Weighted load",
                "Team memberships",
                "Allocated %",
                "Status",
                "Notes",
            ]
            data = [
                [
                    r.user.display_name,
                    r.user.email,
                    r.user.get_role_display(),
                    r.key_accounts,
                    r.weighted,
                    r.memberships,
                    r.allocation,
                    r.status,
                    " ".join(r.notes),
                ]
                for r in self.rows()
            ]
            return csv_response([header, *data], "workload")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = self.rows()
        context["page"] = _paginate(self.request, rows)
        context["total"] = len(rows)
        context["rules"] = ProgrammeSettings.current()
        context["status"] = self.request.GET.get("status", "")
        context["q"] = self.request.GET.get("q", "")
        context["sort"] = self.request.GET.get("sort", "-weighted")
        context["statuses"] = [("over", "Over the limits"), ("warning", "Warning"), ("ok", "OK")]
        context["sorts"] = [
            ("-weighted", "Weighted load, highest first"),
            ("-accounts", "Key accounts, most first"),
            ("-allocation", "Time allocated, most first"),
            ("weighted", "Weighted load, lowest first"),
        ]
        return context
