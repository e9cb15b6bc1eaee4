from django.urls import path

from kam.servicelevels import views

app_name = "servicelevels"

urlpatterns = [
    path("requests/", views.RequestListView.as_view(), name="request_list"),
    path("requests/new/", views.RequestCreateView.as_view(), name="request_add"),
    path("requests/queue/", views.QueueView.as_view(), name="queue"),
    path("requests/<int:pk>/", views.RequestDetailView.as_view(), name="request"),
    path("requests/<int:pk>/edit/", views.RequestEditView.as_view(), name="request_edit"),
    path("requests/<int:pk>/status/", views.RequestStatusView.as_view(), name="request_status"),
    path("requests/<int:pk>/comment/", views.RequestCommentView.as_view(), name="request_comment"),
    path("requests/<int:pk>/escalate/", views.RequestEscalateView.as_view(), name="request_escalate"),
    path("service-levels/compliance/", views.ComplianceView.as_view(), name="compliance"),
    path("service-levels/policies/", views.PolicyListView.as_view(), name="policy_list"),
    path("service-levels/policies/<int:pk>/edit/", views.PolicyEditView.as_view(), name="policy_edit"),
    path("service-levels/escalation-path/", views.EscalationPathView.as_view(), name="escalation_path"),
    path("service-levels/calendars/", views.CalendarListView.as_view(), name="calendar_list"),
    path("service-levels/calendars/new/", views.CalendarEditView.as_view(), name="calendar_add"),
    path("service-levels/calendars/<int:pk>/", views.CalendarDetailView.as_view(), name="calendar"),
    path("service-levels/calendars/<int:pk>/edit/", views.CalendarEditView.as_view(), name="calendar_edit"),
    path("service-levels/calendars/<int:pk>/holidays/new/", views.HolidayAddView.as_view(), name="holiday_add"),
    path(
        "service-levels/calendars/<int:pk>/holidays/<int:holiday>/delete/",
        views.HolidayDeleteView.as_view(),
        name="holiday_delete",
    ),
    path("accounts/<int:pk>/service-levels/", views.AccountPoliciesView.as_view(), name="account_policies"),
    path("obligations/", views.ObligationListView.as_view(), name="obligation_list"),
    path("obligations/<int:pk>/done/", views.ObligationDoneView.as_view(), name="obligation_done"),
    path("obligations/<int:pk>/reopen/", views.ObligationReopenView.as_view(), name="obligation_reopen"),
]
