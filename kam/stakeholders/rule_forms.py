"""Forms and filters of the programme's coverage and cadence rules (kam.stakeholders.rules writes them)."""

import django_filters
from django import forms

from kam.accounts.filtersets import SearchFilterSet, YesNoAnyWidget
from kam.core.forms import KamModelForm
from kam.selection.choices import Segment
from kam.stakeholders.choices import Attitude, BuyingRole, CoverageRuleKind
from kam.stakeholders.models import CadenceRule, CoverageRule

EVERY = "every"  # the filter value for the rules of every segment (blank segment) or every contact (blank role)


def _blank_or(field: str):
    def filter_(queryset, name, value):
        return queryset.filter(**{field: "" if value == EVERY else value})

    return filter_


class CoverageRuleFilterSet(SearchFilterSet):
    search_fields = ("name", "team_role")
    kind = django_filters.ChoiceFilter(choices=CoverageRuleKind.choices, empty_label="Any kind")
    segment = django_filters.ChoiceFilter(
        choices=[(EVERY, "Every segment (blank)"), *Segment.choices],
        empty_label="Any segment",
        method=_blank_or("segment"),
    )
    buying_role = django_filters.ChoiceFilter(choices=BuyingRole.choices, empty_label="Any buying role")
    is_active = django_filters.BooleanFilter(label="Active", widget=YesNoAnyWidget)

    class Meta:
        model = CoverageRule
        fields = ["q", "kind", "segment", "buying_role", "is_active"]


class CadenceRuleFilterSet(django_filters.FilterSet):
    segment = django_filters.ChoiceFilter(
        choices=[(EVERY, "Every segment (blank)"), *Segment.choices],
        empty_label="Any segment",
        method=_blank_or("segment"),
    )
    buying_role = django_filters.ChoiceFilter(
        choices=[(EVERY, "Every contact (blank)"), *BuyingRole.choices],
        empty_label="Any buying role",
        method=_blank_or("buying_role"),
    )
    is_active = django_filters.BooleanFilter(label="Active", widget=YesNoAnyWidget)

    class Meta:
        model = CadenceRule
        fields = ["segment", "buying_role", "is_active"]


def _kinds_using(field: str) -> str:
    from kam.stakeholders.rules import KIND_FIELDS

    labels = [f"“{CoverageRuleKind(kind).label}”" for kind, (_, allowed) in KIND_FIELDS.items() if field in allowed]
    return "Used by " + " and ".join(labels) + "; leave it blank for the other kinds."


class CoverageRuleForm(KamModelForm):
    """The kind decides which of attitude, buying role, team role and minimum strength the rule uses; each field's
    help says which kinds use it (the service refuses the others)."""

    team_role = forms.ChoiceField(required=False, label="Team role")

    class Meta:
        model = CoverageRule
        fields = ["name", "kind", "segment", "attitude", "buying_role", "team_role", "min_strength", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from kam.teams.roles import choices

        roles = choices(include_inactive=True)
        current = self.instance.team_role if self.instance.pk else ""
        if current and current not in dict(roles):
            roles.append((current, f"{current} (not in the catalogue)"))
        self.fields["team_role"].choices = [("", "—"), *roles]
        self.fields["kind"].help_text = "What the rule asks for: see the kinds above."
        self.fields["segment"].help_text = "The segment whose key accounts the rule applies to; blank: every segment."
        self.fields["attitude"].help_text = _kinds_using("attitude")
        self.fields["buying_role"].help_text = (
            _kinds_using("buying_role") + " For “every contact … has a relationship owner”, blank means every contact."
        )
        self.fields["team_role"].help_text = _kinds_using("team_role") + " A role of the team role catalogue."
        self.fields["min_strength"].help_text = (
            _kinds_using("min_strength") + " The relationship the owner must have at least (None: any)."
        )
        self.fields["attitude"].choices = [("", "—"), *Attitude.choices]

    def validate_unique(self):
        """kam.stakeholders.rules checks what must be unique, with clearer messages."""

    def validate_constraints(self):
        """As validate_unique."""

    def data_for_service(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in self._meta.fields}


class CadenceRuleForm(KamModelForm):
    class Meta:
        model = CadenceRule
        fields = ["segment", "buying_role", "days", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["segment"].help_text = (
            "Blank: every segment. A customer's segment is its segment in the latest finished selection run; a "
            "customer without one follows the every-segment rules only."
        )
        self.fields["buying_role"].help_text = (
            "Blank: every contact without a more specific rule. The most specific rule wins: (segment, role), then "
            "(every segment, role), then (segment, every contact), then (every segment, every contact)."
        )
        self.fields["days"].help_text = (
            "A contact is overdue when their last interaction (or, never met, the day they were added to the map) is "
            "more than this many days ago; 1 to 730."
        )

    def validate_unique(self):
        """One rule per (segment, buying role): kam.stakeholders.rules refuses a second and names the first."""

    def validate_constraints(self):
        """As validate_unique: the service says it better."""

    def data_for_service(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in self._meta.fields}
