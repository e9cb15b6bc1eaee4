from django.urls import path  # noqa: F401

from kam.notifications import views  # noqa: F401

app_name = "notifications"

urlpatterns = []
