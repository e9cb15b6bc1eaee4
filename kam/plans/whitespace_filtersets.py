"""Filters of the offerings catalogue and of the programme's opportunity list."""

import django_filters
from django import forms

from kam.accounts.filtersets import SearchFilterSet
from kam.plans.choices import OpportunityKind, OpportunityStage
from kam.plans.models import Offering, Opportunity


class OfferingFilterSet(SearchFilterSet):
    search_fields = ("name", "category")
    is_active = django_filters.BooleanFilter(label="Active")

    class Meta:
        model = Offering
        fields = ["q", "is_active"]


class OpportunityFilterSet(SearchFilterSet):
    search_fields = ("account__name", "account__account_number", "title")
    stage = django_filters.MultipleChoiceFilter(
        choices=OpportunityStage.choices, widget=forms.SelectMultiple(attrs={"size": 3})
    )
    kind = django_filters.ChoiceFilter(choices=OpportunityKind.choices, empty_label="Any kind")
    closes_from = django_filters.DateFilter(
        field_name="expected_close", lookup_expr="gte", label="Closes from", widget=forms.DateInput({"type": "date"})
    )
    closes_to = django_filters.DateFilter(
        field_name="expected_close", lookup_expr="lte", label="Closes by", widget=forms.DateInput({"type": "date"})
    )

    class Meta:
        model = Opportunity
        fields = ["q", "stage", "kind", "closes_from", "closes_to"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["q"].label = "Account or title"
