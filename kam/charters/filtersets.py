"""Filters of the charters list, shared by the page and the API (kam.charters.api)."""

import django_filters
from django import forms

from kam.accounts.filtersets import SearchFilterSet
from kam.charters.choices import CharterStatus
from kam.charters.models import Charter
from kam.selection.filtersets import IdFilter


class CharterFilterSet(SearchFilterSet):
    search_fields = ("account__name", "account__account_number")
    status = django_filters.ChoiceFilter(choices=CharterStatus.choices, empty_label="Any status")
    signed = django_filters.BooleanFilter(
        field_name="signed_version", lookup_expr="isnull", exclude=True, label="Ever signed"
    )
    account = IdFilter(field_name="account", label="Account id", widget=forms.HiddenInput)  # links from the account

    class Meta:
        model = Charter
        fields = ["q", "status", "signed", "account"]
