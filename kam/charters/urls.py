from django.urls import path

from kam.charters import views

app_name = "charters"

urlpatterns = [
    path("charters/", views.CharterListView.as_view(), name="charter_list"),
    path("charters/template/", views.TemplateDetailView.as_view(), name="template"),
    path("charters/template/edit/", views.TemplateEditView.as_view(), name="template_edit"),
    path("accounts/<int:pk>/charter/new/", views.CharterCreateView.as_view(), name="create"),
    path("charters/<int:pk>/edit/", views.CharterEditView.as_view(), name="edit"),
    path("charters/<int:pk>/sign-off/", views.SignOffView.as_view(), name="sign_off"),
    path("charters/<int:pk>/versions/<int:number>/", views.VersionView.as_view(), name="version"),
    path("charters/<int:pk>/compare/", views.CompareView.as_view(), name="compare"),
    path("charters/<int:pk>/export.docx", views.ExportView.as_view(fmt="docx"), name="export_docx"),
    path("charters/<int:pk>/export.pdf", views.ExportView.as_view(fmt="pdf"), name="export_pdf"),
]
