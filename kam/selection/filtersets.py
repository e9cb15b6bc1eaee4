"""Filters of the selection lists, shared by the list pages and the API (kam.selection.api)."""

import django_filters
from django import forms

from kam.accounts.filtersets import SearchFilterSet, YesNoAnyWidget
from kam.selection.choices import DesignationKind, DesignationStatus, RatedAttribute, RunStatus, Segment
from kam.selection.models import AccountRating, KeyAccountDesignation, SelectionResult, SelectionRun

MAX_ID = 2**63 - 1


class IdFilter(django_filters.NumberFilter):
    """An object's id: a whole number (NumberFilter would accept 1.5). It narrows a queryset already restricted to
    the user's scope, so an id outside it finds nothing — the same answer as an id that does not exist."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class ResultFilterSet(SearchFilterSet):
    """A run's ranked results; the order (rank) is the caller's."""

    search_fields = ("account__name", "account__account_number")
    segment = django_filters.ChoiceFilter(choices=Segment.choices, empty_label="Any segment")
    key_account = django_filters.BooleanFilter(
        field_name="account__is_key_account", label="Key account today", widget=YesNoAnyWidget
    )

    class Meta:
        model = SelectionResult
        fields = ["q", "segment", "key_account"]


class DesignationFilterSet(SearchFilterSet):
    search_fields = ("account__name", "account__account_number")
    status = django_filters.ChoiceFilter(choices=DesignationStatus.choices, empty_label="Any status")
    kind = django_filters.ChoiceFilter(choices=DesignationKind.choices, empty_label="Any kind")
    account = IdFilter(field_name="account", label="Account id")

    class Meta:
        model = KeyAccountDesignation
        fields = ["q", "status", "kind", "account"]


class RatingFilterSet(SearchFilterSet):
    search_fields = ("account__name", "account__account_number")
    account = IdFilter(field_name="account", label="Account id")
    attribute = django_filters.ChoiceFilter(choices=RatedAttribute.choices, empty_label="Any attribute")

    class Meta:
        model = AccountRating
        fields = ["q", "account", "attribute"]


class RunFilterSet(django_filters.FilterSet):
    scoring_model = IdFilter(field_name="scoring_model", label="Scoring model id")
    status = django_filters.ChoiceFilter(choices=RunStatus.choices, empty_label="Any status")

    class Meta:
        model = SelectionRun
        fields = ["scoring_model", "status"]
