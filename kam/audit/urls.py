from django.urls import path

from kam.audit import views

app_name = "audit"
urlpatterns = [
    path("audit/", views.ObjectChangeListView.as_view(), name="change_list"),
    path("audit/<int:pk>/", views.ObjectChangeDetailView.as_view(), name="change"),
]
