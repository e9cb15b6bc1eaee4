"""Filters of the contacts list."""

import django_filters

from kam.accounts.filtersets import SearchFilterSet, YesNoAnyWidget
from kam.stakeholders.choices import Attitude, BuyingRole, Level
from kam.stakeholders.models import Contact


class ContactFilterSet(SearchFilterSet):
    search_fields = ("first_name", "last_name", "title", "email", "account__name", "account__account_number")
    buying_role = django_filters.ChoiceFilter(choices=BuyingRole.choices, empty_label="Any buying role")
    attitude = django_filters.ChoiceFilter(choices=Attitude.choices, empty_label="Any attitude")
    level = django_filters.ChoiceFilter(choices=Level.choices, empty_label="Any seniority", label="Seniority")
    left = django_filters.BooleanFilter(
        field_name="left_on", lookup_expr="isnull", exclude=True, label="Left the company", widget=YesNoAnyWidget
    )
    owned = django_filters.BooleanFilter(
        field_name="relationship_owner", lookup_expr="isnull", exclude=True, label="Has an owner", widget=YesNoAnyWidget
    )

    class Meta:
        model = Contact
        fields = ["q", "buying_role", "attitude", "level", "left", "owned"]
