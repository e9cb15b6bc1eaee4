from django.urls import path

from kam.notifications import views

app_name = "notifications"

urlpatterns = [
    path("notifications/", views.InboxView.as_view(), name="inbox"),
    path("notifications/<int:pk>/open/", views.OpenView.as_view(), name="open"),
    path("notifications/read-all/", views.ReadAllView.as_view(), name="read_all"),
]
