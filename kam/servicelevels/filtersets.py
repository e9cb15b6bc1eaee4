"""Filters of the service-level lists, shared by the list pages and the API (kam.servicelevels.api)."""

import datetime as dt
import re

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from kam.accounts.filtersets import SearchFilterSet, YesNoAnyWidget
from kam.core.roles import Role
from kam.selection.filtersets import IdFilter
from kam.servicelevels.models import (
    OPEN_STATUSES,
    BusinessCalendar,
    ClientRequest,
    Obligation,
    ObligationStatus,
    Priority,
    RequestKind,
    RequestStatus,
    SlaPolicy,
    SlaState,
)

REFERENCE = re.compile(r"^\s*R-?0*(\d{1,18})\s*$", re.IGNORECASE)
FLAGS = (("overdue", "Overdue"), ("due soon", "Due soon"), ("open", "Open, not due yet"), ("done", "Done"))


def assignable_people():
    """Who can be given requests: the roles that work on them."""
    return (
        get_user_model()
        .objects.filter(is_active=True, role__in=(Role.ADMIN, Role.PROGRAMME_LEAD, Role.KEY_ACCOUNT_MANAGER))
        .order_by("full_name", "email")
    )


class PersonFilter(django_filters.ModelChoiceFilter):
    """A person by id; the form lists names."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("queryset", lambda request: assignable_people())
        super().__init__(*args, **kwargs)


class RequestFilterSet(SearchFilterSet):
    search_fields = ("subject", "external_id", "requester")

    # Links from an account's page narrow the list to it by id (hidden); people type a name or number instead.
    account = IdFilter(field_name="account", label="Account id", widget=forms.HiddenInput)
    account_name = django_filters.CharFilter(method="filter_account_name", label="Account")
    status = django_filters.ChoiceFilter(choices=RequestStatus.choices, empty_label="Any status")
    is_open = django_filters.BooleanFilter(method="filter_open", label="Open", widget=YesNoAnyWidget)
    kind = django_filters.ChoiceFilter(choices=RequestKind.choices, empty_label="Any type", label="Type")
    priority = django_filters.ChoiceFilter(choices=Priority.choices, empty_label="Any priority")
    sla_state = django_filters.ChoiceFilter(choices=SlaState.choices, empty_label="Any SLA state", label="SLA state")
    assignee = PersonFilter(field_name="assignee", empty_label="Anyone")
    opened_from = django_filters.DateFilter(
        field_name="opened_at",
        method="filter_opened_from",
        label="Opened from",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    opened_to = django_filters.DateFilter(
        field_name="opened_at",
        method="filter_opened_to",
        label="Opened until",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = ClientRequest
        fields = [
            "q",
            "account",
            "account_name",
            "status",
            "is_open",
            "kind",
            "priority",
            "sla_state",
            "assignee",
            "opened_from",
            "opened_to",
        ]

    def search(self, queryset, name, value):
        match = REFERENCE.match(value or "")
        if match:  # a reference (R-000042) finds its request
            return queryset.filter(pk=int(match[1]))
        return super().search(queryset, name, value)

    def filter_account_name(self, queryset, name, value):
        value = (value or "").strip()
        if not value:
            return queryset
        return queryset.filter(Q(account__account_number=value) | Q(account__name__icontains=value))

    def filter_open(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(status__in=OPEN_STATUSES) if value else queryset.exclude(status__in=OPEN_STATUSES)

    @staticmethod
    def _day_start(day: dt.date) -> dt.datetime:
        # Whole days of the site's time zone, as an indexable range on the stored instant.
        return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())

    def filter_opened_from(self, queryset, name, value):
        return queryset.filter(opened_at__gte=self._day_start(value))

    def filter_opened_to(self, queryset, name, value):
        return queryset.filter(opened_at__lt=self._day_start(value + dt.timedelta(days=1)))


def flag_q(flag: str, today: dt.date) -> Q:
    """Obligations with this flag (Obligation.flag) on `today`: a condition per cadence policy for "due soon", since
    each policy says how early it warns."""
    open_ = Q(status=ObligationStatus.OPEN)
    if flag == "done":
        return Q(status=ObligationStatus.DONE)
    if flag == "overdue":
        return open_ & Q(due_date__lt=today)
    soon = Q(pk__in=[])
    for policy_id, days in SlaPolicy.objects.values_list("pk", "due_soon_days"):
        soon |= Q(policy_id=policy_id, due_date__lte=today + dt.timedelta(days=days))
    if flag == "due soon":
        return open_ & Q(due_date__gte=today) & soon
    return open_ & Q(due_date__gte=today) & ~soon


class ObligationFilterSet(SearchFilterSet):
    search_fields = ("account__name", "account__account_number", "policy__responsibility", "period_label")

    account = IdFilter(field_name="account", label="Account id", widget=forms.HiddenInput)  # from the account's page
    policy = django_filters.ModelChoiceFilter(
        queryset=lambda request: SlaPolicy.objects.filter(kind="cadence"),
        to_field_name="key",
        label="Commitment",
        empty_label="Any",
    )
    status = django_filters.ChoiceFilter(choices=ObligationStatus.choices, empty_label="Any status")
    flag = django_filters.ChoiceFilter(choices=FLAGS, method="filter_flag", empty_label="Any flag")
    due_from = django_filters.DateFilter(
        field_name="due_date", lookup_expr="gte", label="Due from", widget=forms.DateInput(attrs={"type": "date"})
    )
    due_to = django_filters.DateFilter(
        field_name="due_date", lookup_expr="lte", label="Due until", widget=forms.DateInput(attrs={"type": "date"})
    )

    class Meta:
        model = Obligation
        fields = ["q", "account", "policy", "status", "flag", "due_from", "due_to"]

    def filter_flag(self, queryset, name, value):
        return queryset.filter(flag_q(value, timezone.localdate())) if value else queryset


class CalendarFilterSet(SearchFilterSet):
    search_fields = ("name", "time_zone", "regions")

    class Meta:
        model = BusinessCalendar
        fields = ["q"]
