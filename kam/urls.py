from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from kam.api import api
from kam.core import views as core_views
from kam.users.views import LoginView

urlpatterns = [
    path("", core_views.HomeView.as_view(), name="home"),
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("healthz", core_views.HealthView.as_view(), name="healthz"),
    path("readyz", core_views.ReadyView.as_view(), name="readyz"),
    path("", include("kam.accounts.urls")),
    path("", include("kam.selection.urls")),
    path("", include("kam.teams.urls")),
    path("", include("kam.charters.urls")),
    path("", include("kam.servicelevels.urls")),
    path("", include("kam.plans.urls")),
    path("", include("kam.stakeholders.urls")),
    path("", include("kam.notifications.urls")),
    path("", include("kam.audit.urls")),
    path("", include("kam.users.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]

handler403 = "kam.core.errors.permission_denied"
handler404 = "kam.core.errors.page_not_found"
handler500 = "kam.core.errors.server_error"
