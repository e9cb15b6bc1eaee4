from django.urls import path

from kam.stakeholders import rule_views, views

app_name = "stakeholders"

urlpatterns = [
    path("contacts/", views.ContactListView.as_view(), name="contact_list"),
    path("contacts/overdue/", views.OverdueListView.as_view(), name="overdue"),
    path("accounts/<int:account_pk>/contacts/new/", views.ContactEditView.as_view(), name="contact_add"),
    path("contacts/<int:pk>/edit/", views.ContactEditView.as_view(), name="contact_edit"),
    path("contacts/<int:pk>/left/", views.ContactLeftView.as_view(), name="contact_left"),
    path("contacts/<int:pk>/vcard.vcf", views.ContactVCardView.as_view(), name="contact_vcard"),
    path("accounts/<int:pk>/coverage-matrix/", views.CoverageMatrixView.as_view(), name="coverage_matrix"),
    path("accounts/<int:account_pk>/interactions/new/", views.InteractionEditView.as_view(), name="interaction_add"),
    path("interactions/<int:pk>/edit/", views.InteractionEditView.as_view(), name="interaction_edit"),
    path("interactions/<int:pk>/next-step/", views.NextStepView.as_view(), name="next_step"),
    # The programme's coverage and cadence rules (kam.stakeholders.rule_views).
    path("stakeholders/coverage-rules/", rule_views.CoverageRuleListView.as_view(), name="coverage_rules"),
    path("stakeholders/coverage-rules/new/", rule_views.CoverageRuleEditView.as_view(), name="coverage_rule_add"),
    path(
        "stakeholders/coverage-rules/<int:pk>/edit/",
        rule_views.CoverageRuleEditView.as_view(),
        name="coverage_rule_edit",
    ),
    path(
        "stakeholders/coverage-rules/<int:pk>/delete/",
        rule_views.CoverageRuleDeleteView.as_view(),
        name="coverage_rule_delete",
    ),
    path("stakeholders/cadence-rules/", rule_views.CadenceRuleListView.as_view(), name="cadence_rules"),
    path("stakeholders/cadence-rules/new/", rule_views.CadenceRuleEditView.as_view(), name="cadence_rule_add"),
    path(
        "stakeholders/cadence-rules/<int:pk>/edit/", rule_views.CadenceRuleEditView.as_view(), name="cadence_rule_edit"
    ),
    path(
        "stakeholders/cadence-rules/<int:pk>/delete/",
        rule_views.CadenceRuleDeleteView.as_view(),
        name="cadence_rule_delete",
    ),
]
