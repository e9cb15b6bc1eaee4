"""Forms of the plan pages: one per kind of row (objective, KPI, target, action, risk, opportunity, TCO line), the
text sections of a version, the new plan and the workflow's note. Each form carries the version of what it edits (a
stale save is refused by the services and shown on the form, with what was typed kept)."""

import datetime as dt

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q

from kam.accounts.models import Account, AccountTeamMember
from kam.core.forms import KamModelForm
from kam.plans import services
from kam.plans.models import (
    MAX_HORIZON,
    MIN_HORIZON,
    Action,
    KPITarget,
    Objective,
    Opportunity,
    PlanKPI,
    PlanVersion,
    Risk,
    TCOLine,
    WhitespaceCell,
)

MARKDOWN_HELP = "Markdown: **bold**, *italic*, - lists, 1. numbered lists, [links](https://…)."
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

# The text sections edited together, by the name of the part of the page that shows them.
TEXT_GROUPS = {
    "situation": ("situation",),
    "swot": ("swot_strengths", "swot_weaknesses", "swot_opportunities", "swot_threats"),
    "competitors": ("competitors",),
    "value_proposition": ("value_proposition",),
    "tco_settings": ("tco_alternative", "tco_years"),
}
TEXT_GROUP_TITLES = {
    "situation": "Situation",
    "swot": "SWOT",
    "competitors": "Competitors in the account",
    "value_proposition": "Value proposition",
    "tco_settings": "Total cost of ownership",
}


class SectionForm(forms.Form):
    """Some text sections of a version (a TEXT_GROUPS entry), with the version's row version for the conflict check."""

    row_version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, plan_version: PlanVersion, group: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.group = group
        fields = {}
        for name in TEXT_GROUPS[group]:
            field = PlanVersion._meta.get_field(name).formfield()
            if isinstance(field.widget, forms.Textarea):
                field.widget.attrs.update(rows=4 if group == "swot" else 6, maxlength=services.MAX_TEXT)
                field.help_text = " ".join(
                    filter(None, [str(field.help_text or "").removesuffix(" (Markdown)."), MARKDOWN_HELP])
                )
                field.max_length = services.MAX_TEXT
            field.initial = getattr(plan_version, name)
            fields[name] = field
        next(iter(fields.values())).widget.attrs["autofocus"] = True
        self.fields = fields | {"row_version": self.fields["row_version"]}
        self.fields["row_version"].initial = plan_version.version

    def section_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in TEXT_GROUPS[self.group]}


class NewPlanForm(forms.Form):
    start_year = forms.IntegerField(
        min_value=2000, max_value=2100, help_text="The year of the first version; one version a year follows."
    )
    horizon_years = forms.TypedChoiceField(
        label="Horizon",
        coerce=int,
        choices=[(n, f"{n} years") for n in range(MIN_HORIZON, MAX_HORIZON + 1)],
        initial=MIN_HORIZON,
        help_text="How far the plan looks ahead.",
    )
    title = forms.CharField(max_length=200, required=False, help_text="Default: “<account> account plan”.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["start_year"].initial = dt.date.today().year


class ReturnForm(forms.Form):
    note = forms.CharField(
        max_length=services.MAX_NOTE,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What the authors should change before submitting again.",
    )
    row_version = forms.IntegerField(widget=forms.HiddenInput, required=False)


def people_for(account: Account, current=None):
    """Who may own an action or a risk: the active team of the account and of the groups above it (and whoever
    owns it now, so an edit never silently drops them)."""
    ids = [account.pk, *account.ancestor_ids()]
    team = AccountTeamMember.objects.filter(AccountTeamMember.active_q(), account_id__in=ids).values("user_id")
    condition = Q(pk__in=team)
    if current is not None:
        condition |= Q(pk=current)
    return get_user_model().objects.filter(condition, is_active=True).order_by("full_name", "email")


class ItemForm(KamModelForm):
    """A row of a version; subclasses name the model and fields (kam.plans.services.ITEM_FIELDS)."""

    kind = ""

    def __init__(self, *args, plan_version: PlanVersion, **kwargs):
        super().__init__(*args, **kwargs)
        self.plan_version = plan_version
        for field in self.fields.values():
            if isinstance(field.widget, forms.DateInput):
                field.widget = DATE
            if isinstance(field.widget, forms.Textarea):
                field.widget.attrs["rows"] = 3
        for name in ("objective", "linked_objective"):
            if name in self.fields:
                objectives = Objective.objects.filter(plan_version=plan_version)
                if name == "linked_objective":
                    objectives = objectives.filter(side="client").exclude(pk=self.instance.pk or 0)
                self.fields[name].queryset = objectives
        if "kpi" in self.fields:
            self.fields["kpi"].queryset = PlanKPI.objects.filter(plan_version=plan_version).select_related("objective")
        if "owner" in self.fields:
            account = Account.objects.get(pk=plan_version.account_id)
            self.fields["owner"].queryset = people_for(account, self.instance.owner_id if self.instance.pk else None)
            self.fields["owner"].label_from_instance = lambda user: user.display_name
            self.fields["owner"].help_text = "Someone on the account's team."
            if not self.instance.pk and self.user is not None:  # who adds an action usually owns it
                if self.fields["owner"].queryset.filter(pk=self.user.pk).exists():
                    self.fields["owner"].initial = self.user.pk

    def service_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in services.ITEM_FIELDS[self.kind] if name in self.cleaned_data}


class ObjectiveForm(ItemForm):
    kind = "objective"

    class Meta:
        model = Objective
        fields = services.ITEM_FIELDS["objective"]
        labels = {"linked_objective": "Serves the client goal", "achieved": "Achieved"}
        help_texts = {
            "specific": "What exactly, for whom.",
            "measurable": "How you will know (the KPIs below).",
            "achievable": "Why it is realistic.",
            "relevant": "Why it matters to the client and to us.",
            "time_bound": "By when.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["achieved"].help_text = "At the year's end: reached or missed (counts in goal achievement)."


class KPIForm(ItemForm):
    kind = "kpi"

    class Meta:
        model = PlanKPI
        fields = services.ITEM_FIELDS["kpi"]
        help_texts = {
            "source": "Entered: you record the actual per year. Computed: read from the portfolio figures.",
            "computed_metric": "For computed KPIs: which portfolio figure.",
        }
        widgets = {"source": forms.RadioSelect}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["objective"].label_from_instance = lambda o: f"{o.get_side_display()}: {o.title}"


class TargetForm(ItemForm):
    kind = "target"

    class Meta:
        model = KPITarget
        fields = services.ITEM_FIELDS["target"]
        labels = {"period": "Year", "kpi": "KPI"}
        help_texts = {"actual": "Entered KPIs: the value reached that year. Computed KPIs ignore it."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        plan = self.plan_version.plan
        self.fields["period"] = forms.TypedChoiceField(
            label="Year",
            coerce=int,
            choices=[(y, y) for y in range(plan.start_year, plan.end_year + 1)],
            initial=self.instance.period if self.instance.pk else self.plan_version.year,
            help_text=f"A year of the plan's horizon ({plan.start_year}–{plan.end_year}).",
        )


class ActionForm(ItemForm):
    kind = "action"

    class Meta:
        model = Action
        fields = services.ITEM_FIELDS["action"]
        labels = {"objective": "For objective"}


class RiskForm(ItemForm):
    kind = "risk"

    class Meta:
        model = Risk
        fields = services.ITEM_FIELDS["risk"]
        help_texts = {
            "likelihood": "1 (rare) … 5 (almost certain).",
            "impact": "1 (minor) … 5 (severe).",
            "mitigation": "What you do to make it less likely or less harmful.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("likelihood", "impact"):
            self.fields[name] = forms.TypedChoiceField(
                label=self.fields[name].label,
                coerce=int,
                choices=[(n, n) for n in range(1, 6)],
                initial=getattr(self.instance, name) or 3,
                help_text=self.fields[name].help_text,
            )


class OpportunityForm(ItemForm):
    kind = "opportunity"

    class Meta:
        model = Opportunity
        fields = services.ITEM_FIELDS["opportunity"]
        labels = {"cell": "Whitespace cell", "value": "Value"}
        help_texts = {"value": "Total contract value, in the currency below.", "next_step": "What happens next."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        account = Account.objects.get(pk=self.plan_version.account_id)
        cells = WhitespaceCell.objects.filter(account__in=account.subtree()).select_related(
            "account", "business_unit", "offering"
        )
        self.fields["cell"].queryset = cells.order_by("account__tree_path", "business_unit__name", "offering__position")
        self.fields["cell"].label_from_instance = lambda c: str(c)
        self.fields["cell"].help_text = "Links it to the whitespace matrix; sets the offering and business unit."
        if not self.instance.pk:
            self.fields["currency"].initial = account.currency or "EUR"


class TCOLineForm(ItemForm):
    kind = "tco"

    class Meta:
        model = TCOLine
        fields = services.ITEM_FIELDS["tco"]
        labels = {"alternative_cost": "Cost with the alternative (EUR)", "our_cost": "Cost with us (EUR)"}


ITEM_FORMS = {
    form.kind: form for form in (ObjectiveForm, KPIForm, TargetForm, ActionForm, RiskForm, OpportunityForm, TCOLineForm)
}
