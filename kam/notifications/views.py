"""The inbox: what KAM told the signed-in person (escalations, assignments), newest first, unread marked."""

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.generic import ListView, View

from kam.core.permissions import CHANGE
from kam.core.views import PermissionMixin
from kam.notifications import services
from kam.notifications.models import Notification


class InboxView(PermissionMixin, ListView):
    model = Notification
    template_name = "notifications/inbox.html"
    paginate_by = 30

    def get_queryset(self):
        notifications = super().get_queryset().select_related("account")
        if self.request.GET.get("show") == "unread":
            notifications = notifications.filter(read_at__isnull=True)
        return notifications.order_by("-created_at", "-pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["show_unread"] = self.request.GET.get("show") == "unread"
        context["unread"] = services.unread_count(self.request.user)
        return context


class OpenView(PermissionMixin, View):
    """Mark one notification read and follow it to the page it is about."""

    model = Notification
    action = CHANGE

    def post(self, request, pk):
        notification = get_object_or_404(self.get_queryset(), pk=pk)
        services.mark_read(notification)
        target = notification.url
        if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            return HttpResponseRedirect(target)
        return HttpResponseRedirect(reverse("notifications:inbox"))


class ReadAllView(PermissionMixin, View):
    model = Notification
    action = CHANGE

    def post(self, request):
        count = services.mark_all_read(request.user)
        messages.success(request, f"{count} notification{'s' if count != 1 else ''} marked read.")
        return HttpResponseRedirect(reverse("notifications:inbox"))
