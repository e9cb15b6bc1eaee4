"""Filters of the plans list."""

import django_filters
from django.db.models import OuterRef, Subquery

from kam.accounts.filtersets import SearchFilterSet
from kam.plans.choices import VersionStatus
from kam.plans.models import AccountPlan, PlanVersion


class PlanFilterSet(SearchFilterSet):
    search_fields = ("account__name", "account__account_number", "title")
    latest_status = django_filters.ChoiceFilter(
        choices=VersionStatus.choices, empty_label="Any status", label="Newest version"
    )
    year = django_filters.NumberFilter(field_name="latest_year", label="Year of the newest version")

    class Meta:
        model = AccountPlan
        fields = ["q", "latest_status", "year"]

    @staticmethod
    def annotate(queryset):
        """The newest version's number, year and status on each plan (one subquery each, sortable and filterable)."""
        newest = PlanVersion.objects.filter(plan=OuterRef("pk")).order_by("-number")
        return queryset.annotate(
            latest_number=Subquery(newest.values("number")[:1]),
            latest_year=Subquery(newest.values("year")[:1]),
            latest_status=Subquery(newest.values("status")[:1]),
        )
