from django.urls import path

from kam.stakeholders import views

app_name = "stakeholders"

urlpatterns = [
    path("contacts/", views.ContactListView.as_view(), name="contact_list"),
    path("contacts/overdue/", views.OverdueListView.as_view(), name="overdue"),
    path("accounts/<int:account_pk>/contacts/new/", views.ContactEditView.as_view(), name="contact_add"),
    path("contacts/<int:pk>/edit/", views.ContactEditView.as_view(), name="contact_edit"),
    path("contacts/<int:pk>/left/", views.ContactLeftView.as_view(), name="contact_left"),
    path("contacts/<int:pk>/vcard.vcf", views.ContactVCardView.as_view(), name="contact_vcard"),
    path("accounts/<int:account_pk>/interactions/new/", views.InteractionEditView.as_view(), name="interaction_add"),
    path("interactions/<int:pk>/edit/", views.InteractionEditView.as_view(), name="interaction_edit"),
    path("interactions/<int:pk>/next-step/", views.NextStepView.as_view(), name="next_step"),
]
