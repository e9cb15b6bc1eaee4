from django.urls import path

from kam.selection import views

app_name = "selection"

urlpatterns = [
    path("selection/", views.WorkbenchView.as_view(), name="workbench"),
    path("selection/models/", views.ScoringModelListView.as_view(), name="model_list"),
    path("selection/models/new/", views.ScoringModelEditView.as_view(), name="model_add"),
    path("selection/models/<int:pk>/", views.ScoringModelDetailView.as_view(), name="model"),
    path("selection/models/<int:pk>/edit/", views.ScoringModelEditView.as_view(), name="model_edit"),
    path("selection/models/<int:pk>/delete/", views.ScoringModelDeleteView.as_view(), name="model_delete"),
    path("selection/models/<int:pk>/history/", views.ScoringModelHistoryView.as_view(), name="model_history"),
    path("selection/models/<int:pk>/run/", views.ScoringModelRunView.as_view(), name="model_run"),
    path("selection/runs/", views.RunListView.as_view(), name="run_list"),
    path("selection/runs/<int:pk>/", views.RunDetailView.as_view(), name="run"),
    path("selection/runs/<int:pk>/accounts/<int:account_id>/", views.RunResultView.as_view(), name="result"),
    path("selection/runs/<int:pk>/matrix/", views.RunMatrixView.as_view(), name="run_matrix"),
    path("selection/runs/<int:pk>/capacity/", views.RunCapacityView.as_view(), name="run_capacity"),
    path("selection/runs/<int:pk>/retiering/", views.RunRetieringView.as_view(), name="run_retiering"),
    path("selection/runs/<int:pk>/propose/", views.RunProposeView.as_view(), name="run_propose"),
    path("selection/runs/<int:pk>/delete/", views.RunDeleteView.as_view(), name="run_delete"),
    path("selection/ratings/", views.RatingListView.as_view(), name="rating_list"),
    path("selection/ratings/set/", views.RatingSetView.as_view(), name="rating_set"),
    path("selection/ratings/<int:pk>/delete/", views.RatingDeleteView.as_view(), name="rating_delete"),
    path("selection/decisions/", views.DesignationListView.as_view(), name="designation_list"),
    path("selection/decisions/new/", views.DesignationCreateView.as_view(), name="designation_add"),
    path("selection/decisions/<int:pk>/", views.DesignationDetailView.as_view(), name="designation"),
    path("selection/decisions/<int:pk>/decide/", views.DesignationDecideView.as_view(), name="designation_decide"),
    path("selection/accounts/<int:pk>/remove-key-account/", views.DeDesignateView.as_view(), name="dedesignate"),
]
