from django.urls import path

from kam.teams import views

app_name = "teams"

urlpatterns = [
    path("accounts/<int:pk>/team/add/", views.MemberAddView.as_view(), name="member_add"),
    path("accounts/<int:pk>/team/<int:member>/edit/", views.MemberEditView.as_view(), name="member_edit"),
    path("accounts/<int:pk>/team/<int:member>/end/", views.MemberEndView.as_view(), name="member_end"),
    path("accounts/<int:pk>/team/handover/", views.HandoverView.as_view(), name="handover"),
    path("accounts/<int:pk>/team/charter/", views.CharterView.as_view(), name="charter"),
    path("teams/handover/", views.HandoverAllView.as_view(), name="handover_all"),
    path("teams/roles/", views.RoleListView.as_view(), name="role_list"),
    path("teams/roles/new/", views.RoleEditView.as_view(), name="role_add"),
    path("teams/roles/<int:pk>/edit/", views.RoleEditView.as_view(), name="role_edit"),
    path("teams/service-models/", views.ServiceModelListView.as_view(), name="service_models"),
    path("teams/service-models/<int:pk>/edit/", views.ServiceModelEditView.as_view(), name="service_model"),
    path("teams/settings/", views.SettingsView.as_view(), name="settings"),
    path("teams/coverage/", views.CoverageView.as_view(), name="coverage"),
    path("teams/workload/", views.WorkloadView.as_view(), name="workload"),
    path("teams/people/<int:user_id>/capacity/", views.CapacityView.as_view(), name="capacity"),
]
