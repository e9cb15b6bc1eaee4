from django.urls import path

from kam.plans import views, whitespace_views

app_name = "plans"

urlpatterns = [
    path("plans/", views.PlanListView.as_view(), name="plan_list"),
    path("accounts/<int:pk>/plan/new/", views.CreatePlanView.as_view(), name="create"),
    path("plans/versions/<int:version_pk>/sections/<str:group>/", views.SectionView.as_view(), name="section"),
    path("plans/versions/<int:version_pk>/<str:kind>/add/", views.ItemEditView.as_view(), name="item_add"),
    path("plans/rows/<str:kind>/<int:pk>/edit/", views.ItemEditView.as_view(), name="item_edit"),
    path("plans/rows/<str:kind>/<int:pk>/delete/", views.ItemDeleteView.as_view(), name="item_delete"),
    path("plans/objectives/<int:pk>/evaluate/", views.EvaluateView.as_view(), name="evaluate"),
    path("plans/versions/<int:version_pk>/<str:step>/", views.WorkflowView.as_view(), name="workflow"),
    path("plans/<int:pk>/next-year/", views.NextYearView.as_view(), name="next_year"),
    path("plans/<int:pk>/compare/", views.CompareView.as_view(), name="compare"),
    path("plans/<int:pk>/versions/<int:number>/export.pdf", views.ExportView.as_view(fmt="pdf"), name="export_pdf"),
    path("plans/<int:pk>/versions/<int:number>/export.docx", views.ExportView.as_view(fmt="docx"), name="export_docx"),
    *whitespace_views.urlpatterns,
]
