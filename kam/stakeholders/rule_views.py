"""The programme's coverage and cadence rules (issue 8): lists (CSV, Excel) everyone reads, and adding, changing and
deleting them — the programme lead's and administrators' (ProgrammeRule.permission_actions). Every write goes through
kam.stakeholders.rules with the version the form showed (a stale save is refused and shown with what was typed)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.generic import TemplateView
from django.views.generic.edit import FormView

from kam.core.forms import add_validation_errors
from kam.core.permissions import ADD, CHANGE, DELETE
from kam.core.services import StaleObject
from kam.core.views import ObjectListView, PermissionMixin
from kam.stakeholders import rules
from kam.stakeholders.choices import CoverageRuleKind
from kam.stakeholders.models import CadenceRule, CoverageRule
from kam.stakeholders.rule_forms import CadenceRuleFilterSet, CadenceRuleForm, CoverageRuleFilterSet, CoverageRuleForm
from kam.stakeholders.rule_tables import CadenceRuleTable, CoverageRuleTable

NAV = "stakeholders/_nav.html"


class CoverageRuleListView(ObjectListView):
    model = CoverageRule
    table_class = CoverageRuleTable
    filterset_class = CoverageRuleFilterSet
    title = "Coverage rules"
    lead = (
        "The relationships the programme expects on every key account of a segment (blank: every segment). Each "
        "account's Stakeholders tab lists the rules its customer does not meet."
    )
    add_url_name = "stakeholders:coverage_rule_add"
    add_label = "Add a rule"
    subnav_template = NAV
    export_stem = "coverage-rules"
    empty_message = "No coverage rules: no account is checked."


class CadenceRuleListView(ObjectListView):
    model = CadenceRule
    table_class = CadenceRuleTable
    filterset_class = CadenceRuleFilterSet
    title = "Cadence rules"
    lead = (
        "How often the people of a segment's key accounts must be met, per buying role. The most specific rule "
        "applies: (segment, role), then (every segment, role), then (segment, every contact), then (every segment, "
        "every contact)."
    )
    add_url_name = "stakeholders:cadence_rule_add"
    add_label = "Add a rule"
    subnav_template = NAV
    export_stem = "cadence-rules"
    empty_message = "No cadence rules: nobody is ever overdue."


class RuleEditView(PermissionMixin, FormView):
    """Add (no pk) or change (pk) a rule through `save_rule`; back to the list."""

    template_name = "stakeholders/rules_form.html"
    list_url_name = None
    noun = None
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
        kwargs["instance"] = self.object if self.object is not None else self.model()
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["object"] = self.object
        context["title"] = f"Edit “{self.object}”" if self.object else f"New {self.noun}"
        context["cancel_url"] = reverse(self.list_url_name)
        context["kinds"] = self.kinds()
        return context

    def kinds(self):
        return []

    def form_valid(self, form):
        # The form's model validation wrote the typed values onto its instance; the service re-reads the rule.
        instance = self.get_object()
        try:
            saved = self.save_rule(
                form.data_for_service(), instance, form.cleaned_data.get("version") if instance else None
            )
        except (StaleObject, ValidationError) as error:
            add_validation_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, f"{self.noun.capitalize()} “{saved}” saved.")
        return HttpResponseRedirect(reverse(self.list_url_name))

    def save_rule(self, data, instance, version):
        raise NotImplementedError


class CoverageRuleEditView(RuleEditView):
    model = CoverageRule
    form_class = CoverageRuleForm
    list_url_name = "stakeholders:coverage_rules"
    noun = "coverage rule"

    def kinds(self):
        return [(CoverageRuleKind(kind).label, text) for kind, text in rules.KIND_HELP.items()]

    def save_rule(self, data, instance, version):
        return rules.save_coverage_rule(data, self.request.user, rule=instance, expected_version=version)


class CadenceRuleEditView(RuleEditView):
    model = CadenceRule
    form_class = CadenceRuleForm
    list_url_name = "stakeholders:cadence_rules"
    noun = "cadence rule"

    def save_rule(self, data, instance, version):
        return rules.save_cadence_rule(data, self.request.user, rule=instance, expected_version=version)


class RuleDeleteView(PermissionMixin, TemplateView):
    """GET: confirm; POST: delete and back to the list."""

    action = DELETE
    template_name = "stakeholders/rules_delete.html"
    list_url_name = None
    noun = None

    def get_object(self):
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(object=self.get_object(), noun=self.noun, cancel_url=reverse(self.list_url_name))
        return context

    def post(self, request, *args, **kwargs):
        rule = self.get_object()
        try:
            self.delete_rule(rule)
        except (StaleObject, ValidationError) as error:
            messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
            return HttpResponseRedirect(reverse(self.list_url_name))
        messages.success(request, f"{self.noun.capitalize()} “{rule}” deleted.")
        return HttpResponseRedirect(reverse(self.list_url_name))


class CoverageRuleDeleteView(RuleDeleteView):
    model = CoverageRule
    list_url_name = "stakeholders:coverage_rules"
    noun = "coverage rule"

    def delete_rule(self, rule):
        rules.delete_coverage_rule(rule, self.request.user)


class CadenceRuleDeleteView(RuleDeleteView):
    model = CadenceRule
    list_url_name = "stakeholders:cadence_rules"
    noun = "cadence rule"

    def delete_rule(self, rule):
        rules.delete_cadence_rule(rule, self.request.user)
