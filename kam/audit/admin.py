from django.contrib import admin

from kam.audit.models import ObjectChange


@admin.register(ObjectChange)
class ObjectChangeAdmin(admin.ModelAdmin):
    """Read-only: nobody edits or deletes the audit trail, not even a superuser."""

    list_display = ["time", "actor_label", "source", "action", "object_repr", "request_id"]
    list_filter = ["action", "source", "content_type"]
    search_fields = ["object_repr", "actor_label", "request_id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
