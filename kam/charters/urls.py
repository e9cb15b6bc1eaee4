from django.urls import path  # noqa: F401

from kam.charters import views  # noqa: F401

app_name = "charters"

urlpatterns = []
