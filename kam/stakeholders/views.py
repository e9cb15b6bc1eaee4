"""Stakeholder pages (issue 8): the account's Stakeholders tab (the people, the map, coverage, the interactions),
adding and changing a contact, recording a departure, and the programme's contact list.

Every object comes through the permission choke point; every write through kam.stakeholders.services with the
version the form showed (a stale save is refused and shown with what was typed)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from kam.accounts.models import Account
from kam.core.forms import add_validation_errors
from kam.core.permissions import ADD, CHANGE, VIEW, role_allows
from kam.core.services import StaleObject
from kam.core.views import ObjectListView, PermissionMixin
from kam.plans.models import Action
from kam.stakeholders import interactions, services
from kam.stakeholders.filtersets import ContactFilterSet
from kam.stakeholders.forms import ContactForm, InteractionForm, LeftForm
from kam.stakeholders.models import Contact, Interaction
from kam.stakeholders.tables import ContactTable


def tab_url(account_id: int, anchor: str = "") -> str:
    return reverse("accounts:account", args=[account_id]) + "?tab=stakeholders" + (f"#{anchor}" if anchor else "")


def customer_accounts(account: Account):
    """The accounts of the account's customer (its top-level group and every subsidiary)."""
    group = Account.objects.get(pk=services.group_of(account))
    return group.subtree()


def account_tab_context(request, account) -> dict:
    """The Stakeholders tab of the account page (the account is already permission-checked): the people of this
    account and, for a group, of its subsidiaries."""
    user = request.user
    people = (
        Contact.objects.restrict(user, VIEW)
        .filter(account__in=account.subtree())
        .select_related("account", "reports_to", "relationship_owner")
        .annotate(report_count=Count("reports", filter=Q(reports__left_on__isnull=True)))
        .order_by("left_on", "last_name", "first_name")
    )
    people = list(people[:500])
    current = [p for p in people if p.left_on is None]
    timeline = Paginator(interactions.account_timeline(account), 20).get_page(request.GET.get("ipage"))
    return {
        "timeline": timeline,
        "can_log_interaction": role_allows(user, ADD, Interaction),
        "can_plan_next_steps": role_allows(user, ADD, Action),
        "contacts": current,
        "leavers": [p for p in people if p.left_on is not None],
        "contact_cap_reached": len(people) == 500,
        "can_add_contact": role_allows(user, ADD, Contact),
        "can_change_contact": role_allows(user, CHANGE, Contact),
    }


class ContactEditView(PermissionMixin, TemplateView):
    """Add a contact to an account (`account_pk`) or change one (`pk`)."""

    model = Contact
    template_name = "stakeholders/contact_form.html"

    def dispatch(self, request, *args, **kwargs):
        self.action = CHANGE if "pk" in kwargs else ADD
        return super().dispatch(request, *args, **kwargs)

    def load(self):
        user = self.request.user
        if "pk" in self.kwargs:
            contact = get_object_or_404(
                Contact.objects.restrict(user, CHANGE).select_related("account"), pk=self.kwargs["pk"]
            )
            return contact.account, contact
        account = get_object_or_404(Account.objects.restrict(user, VIEW), pk=self.kwargs["account_pk"])
        return account, None

    def get(self, request, *args, **kwargs):
        account, contact = self.load()
        return self.render(account, contact, ContactForm(instance=contact, customer=account, user=request.user))

    def post(self, request, *args, **kwargs):
        account, contact = self.load()
        form = ContactForm(request.POST, instance=contact, customer=account, user=request.user)
        if form.is_valid():
            try:
                saved = services.save_contact(
                    account,
                    form.service_data(),
                    request.user,
                    contact=contact,
                    expected_version=form.cleaned_data.get("version") if contact else None,
                )
            except (ValidationError, StaleObject) as error:
                add_validation_errors(form, error)
            else:
                messages.success(request, f"{saved.name} {'saved' if contact else 'added'}.")
                return HttpResponseRedirect(tab_url(saved.account_id, f"contact-{saved.pk}"))
        return self.render(account, contact, form)

    def render(self, account, contact, form):
        context = self.get_context_data(
            form=form,
            account=account,
            contact=contact,
            cancel_url=tab_url(account.pk),
            left_form=LeftForm(initial={"version": contact.version}) if contact and not contact.left_on else None,
        )
        return self.render_to_response(context)


class ContactLeftView(PermissionMixin, TemplateView):
    """Record that a person left the company."""

    model = Contact
    action = CHANGE
    template_name = "stakeholders/contact_left.html"

    def post(self, request, pk):
        contact = get_object_or_404(Contact.objects.restrict(request.user, CHANGE), pk=pk)
        form = LeftForm(request.POST)
        if form.is_valid():
            try:
                moved = services.mark_left(
                    contact, form.cleaned_data["left_on"], request.user, form.cleaned_data.get("version")
                )
            except (ValidationError, StaleObject) as error:
                add_validation_errors(form, error)
            else:
                text = f"{contact.name} left: the place stays on the map, vacant."
                if moved:
                    manager = contact.reports_to.name if contact.reports_to else "nobody (they had no manager)"
                    names = ", ".join(m.name for m in moved)
                    text += f" Now reporting to {manager}: {names}."
                messages.success(request, text)
                return HttpResponseRedirect(tab_url(contact.account_id, f"contact-{contact.pk}"))
        return self.render_to_response(self.get_context_data(form=form, contact=contact))

    def get(self, request, pk):
        contact = get_object_or_404(Contact.objects.restrict(request.user, CHANGE), pk=pk)
        form = LeftForm(initial={"version": contact.version})
        return self.render_to_response(self.get_context_data(form=form, contact=contact))


class ContactListView(ObjectListView):
    """Every contact in the user's scope, programme-wide."""

    model = Contact
    table_class = ContactTable
    filterset_class = ContactFilterSet
    title = "Contacts"
    lead = "The people of our key accounts. Open an account's Stakeholders tab for its map, coverage and interactions."
    empty_message = "No contacts yet. Add them on an account's Stakeholders tab, or import a CRM export."
    export_stem = "contacts"

    def get_queryset(self):
        return super().get_queryset().select_related("account", "relationship_owner")


class InteractionEditView(PermissionMixin, TemplateView):
    """Log an interaction on an account (`account_pk`), or change one (`pk`)."""

    model = Interaction
    template_name = "stakeholders/interaction_form.html"

    def dispatch(self, request, *args, **kwargs):
        self.action = CHANGE if "pk" in kwargs else ADD
        return super().dispatch(request, *args, **kwargs)

    def load(self):
        user = self.request.user
        if "pk" in self.kwargs:
            interaction = get_object_or_404(
                Interaction.objects.restrict(user, CHANGE).select_related("account"), pk=self.kwargs["pk"]
            )
            return interaction.account, interaction
        return get_object_or_404(Account.objects.restrict(user, VIEW), pk=self.kwargs["account_pk"]), None

    def get(self, request, *args, **kwargs):
        account, interaction = self.load()
        initial = {}
        if "contact" in request.GET and interaction is None:
            initial["contacts"] = [request.GET["contact"]]
        form = InteractionForm(instance=interaction, customer=account, user=request.user, initial=initial)
        return self.render(account, interaction, form)

    def post(self, request, *args, **kwargs):
        account, interaction = self.load()
        form = InteractionForm(request.POST, instance=interaction, customer=account, user=request.user)
        if form.is_valid():
            try:
                saved = interactions.log_interaction(
                    account,
                    form.service_data(),
                    request.user,
                    contacts=list(form.cleaned_data["contacts"]),
                    participants=list(form.cleaned_data["participants"]),
                    interaction=interaction,
                    expected_version=form.cleaned_data.get("version") if interaction else None,
                )
            except (ValidationError, StaleObject) as error:
                add_validation_errors(form, error)
            else:
                messages.success(request, f"{saved} {'saved' if interaction else 'logged'}.")
                return HttpResponseRedirect(tab_url(saved.account_id, f"interaction-{saved.pk}"))
        return self.render(account, interaction, form)

    def render(self, account, interaction, form):
        return self.render_to_response(
            self.get_context_data(form=form, account=account, interaction=interaction, cancel_url=tab_url(account.pk))
        )


class NextStepView(PermissionMixin, View):
    """Turn one of an interaction's next steps into an action of the account plan (POST)."""

    model = Action
    action = ADD

    def post(self, request, pk):
        interaction = get_object_or_404(Interaction.objects.restrict(request.user, VIEW), pk=pk)
        text = request.POST.get("text", "")
        try:
            action = interactions.next_step_to_action(interaction, text, request.user, owner=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"“{action.title}” is an action of the account plan now (owner: you).")
        return HttpResponseRedirect(tab_url(interaction.account_id, f"interaction-{interaction.pk}"))
