import django_filters
import django_tables2 as tables
from django.contrib.contenttypes.models import ContentType
from django.views.generic import DetailView

from kam.accounts.filtersets import SearchFilterSet
from kam.audit.models import ObjectChange
from kam.core.permissions import GLOBAL_SCOPE_ROLES
from kam.core.tables import KamTable
from kam.core.views import ObjectListView, PermissionMixin


class ObjectChangeFilterSet(SearchFilterSet):
    search_fields = ("object_repr", "actor_label", "request_id")
    action = django_filters.ChoiceFilter(choices=ObjectChange.Action.choices, empty_label="Any action")
    content_type = django_filters.ModelChoiceFilter(
        queryset=ContentType.objects.filter(app_label__in=["accounts", "users"]), label="Object type"
    )
    since = django_filters.DateFilter(field_name="time", lookup_expr="date__gte", label="From")
    until = django_filters.DateFilter(field_name="time", lookup_expr="date__lte", label="To")

    class Meta:
        model = ObjectChange
        fields = ["q", "action", "content_type", "since", "until"]


class ObjectChangeTable(KamTable):
    time = tables.DateTimeColumn(linkify=True, format="Y-m-d H:i:s")
    content_type = tables.Column("Type")

    class Meta:
        model = ObjectChange
        fields = ("time", "actor_label", "source", "action", "content_type", "object_repr", "request_id")
        attrs = {"class": "table"}


class AuditScopeMixin:
    """The whole audit log is for administrators and programme leads; others see changes in their accounts'
    activity feeds and the history tabs."""

    def dispatch(self, request, *args, **kwargs):
        from django.core.exceptions import PermissionDenied

        if request.user.is_authenticated and request.user.role not in GLOBAL_SCOPE_ROLES:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return ObjectChange.objects.select_related("content_type", "actor")


class ObjectChangeListView(AuditScopeMixin, ObjectListView):
    model = ObjectChange
    table_class = ObjectChangeTable
    filterset_class = ObjectChangeFilterSet
    title = "Audit log"
    empty_message = "No changes recorded yet."


class ObjectChangeDetailView(AuditScopeMixin, PermissionMixin, DetailView):
    model = ObjectChange
    template_name = "audit/objectchange_detail.html"
