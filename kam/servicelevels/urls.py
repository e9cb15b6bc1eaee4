from django.urls import path  # noqa: F401

from kam.servicelevels import views  # noqa: F401

app_name = "servicelevels"

urlpatterns = []
