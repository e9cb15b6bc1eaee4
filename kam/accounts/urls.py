from django.urls import path

from kam.accounts import views

app_name = "accounts"

urlpatterns = [
    path("accounts/", views.AccountListView.as_view(), name="account_list"),
    path("accounts/new/", views.AccountEditView.as_view(), name="account_add"),
    path("accounts/autocomplete/", views.AccountAutocompleteView.as_view(), name="account_autocomplete"),
    path("accounts/<int:pk>/", views.AccountDetailView.as_view(), name="account"),
    path("accounts/<int:pk>/edit/", views.AccountEditView.as_view(), name="account_edit"),
    path("accounts/<int:pk>/delete/", views.AccountDeleteView.as_view(), name="account_delete"),
    path("accounts/<int:pk>/history/", views.AccountHistoryView.as_view(), name="account_history"),
    path("fx-rates/", views.FxRateListView.as_view(), name="fxrate_list"),
    path("imports/", views.ImportRunListView.as_view(), name="import_list"),
    path("imports/new/", views.ImportRunCreateView.as_view(), name="import_add"),
    path("imports/<int:pk>/", views.ImportRunDetailView.as_view(), name="import_detail"),
    path("imports/<int:pk>/mapping/", views.ImportRunMappingView.as_view(), name="import_mapping"),
    path("imports/<int:pk>/apply/", views.ImportRunApplyView.as_view(), name="import_apply"),
    path("imports/<int:pk>/errors.csv", views.ImportRunErrorsView.as_view(), name="import_errors"),
]
