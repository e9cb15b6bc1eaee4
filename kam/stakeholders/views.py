"""Stakeholder pages (issue 8): the account's Stakeholders tab (the people, the map, coverage, the interactions),
adding and changing a contact, recording a departure, and the programme's contact list.

Every object comes through the permission choke point; every write through kam.stakeholders.services with the
version the form showed (a stale save is refused and shown with what was typed)."""

from dataclasses import replace

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.safestring import mark_safe
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


PEOPLE_SHOWN = 60


def account_tab_context(request, account) -> dict:
    """The Stakeholders tab of the account page (the account is already permission-checked): the people of this
    account and, for a group, of its subsidiaries."""
    user = request.user
    people = (
        Contact.objects.restrict(user, VIEW)
        .filter(account__in=account.subtree())
        .select_related("account", "reports_to", "relationship_owner")
        .order_by("left_on", "last_name", "first_name")
    )
    # The map shows everyone; the table below lists the first PEOPLE_SHOWN unless asked for all (a 300-person
    # customer's table is most of the page's weight).
    show_all = request.GET.get("people") == "all"
    current_count = people.filter(left_on__isnull=True).count()
    current = list(people.filter(left_on__isnull=True)[: 500 if show_all else PEOPLE_SHOWN])
    leavers = list(people.filter(left_on__isnull=False)[:100])
    timeline = Paginator(interactions.account_timeline(account), 20).get_page(request.GET.get("ipage"))
    from kam.stakeholders import cadence, coverage

    overdue = cadence.overdue_contacts(Account.objects.filter(pk=account.pk))
    overdue_by_contact = {o.contact.pk: o for o in overdue}
    for person in current:
        person.overdue = overdue_by_contact.get(person.pk)
    return {
        **map_context(request, account),
        "coverage": coverage.evaluate_coverage(account),
        "overdue": overdue,
        "timeline": timeline,
        "can_log_interaction": role_allows(user, ADD, Interaction),
        "can_plan_next_steps": role_allows(user, ADD, Action),
        "contacts": current,
        "contact_count": current_count,
        "contacts_hidden": current_count - len(current),
        "leavers": leavers,
        "can_add_contact": role_allows(user, ADD, Contact),
        "can_change_contact": role_allows(user, CHANGE, Contact),
    }


def map_context(request, account) -> dict:
    """The organisation map of the account's customer — today's, or as of the day `?as_of=YYYY-MM-DD` names (its
    end) — limited to the accounts the user sees, as an interactive SVG (kam/orgchart.js)."""
    import datetime as dt

    from django.utils import timezone

    from kam.stakeholders import orgchart

    text = (request.GET.get("as_of") or "").strip()
    as_of, problem = None, None
    if text:
        try:
            as_of = dt.date.fromisoformat(text)
        except ValueError:
            problem = f"“{text[:20]}” is not a date such as 2026-01-31: showing today's map."
        else:
            if as_of > timezone.localdate():
                as_of, problem = None, "The map's history is about the past: showing today's map."
    visible = set(Account.objects.visible_to(request.user).filter(pk__in=customer_accounts(account)).values_list(
        "pk", flat=True))  # fmt: skip
    if as_of is None:
        contacts = Contact.objects.filter(account_id__in=visible)
        people = orgchart.people_from_contacts(contacts)
    else:
        end = timezone.make_aware(dt.datetime.combine(as_of, dt.time.max))
        states = [s for s in services.map_as_of(account, end) if s.account_id in visible]
        people = orgchart.people_from_states(states)
        # A person who had left by then is a vacant place; a departure recorded later does not show yet.
        people = [p if p.left_on is None or p.left_on <= as_of else replace(p, left_on=None) for p in people]
    svg = ""
    if people:
        forest = orgchart.build_tree(people)
        big = len(people) > 60
        svg = orgchart.to_svg(
            orgchart.layout(forest), interactive=True, title="Organisation map", collapse_below=2 if big else None
        )
    return {
        "map_svg": mark_safe(svg),  # noqa: S308 - every user string is escaped by orgchart.to_svg
        "map_people": len(people),
        "map_as_of": as_of,
        "map_problem": problem,
    }


class AccountObjectEditMixin(PermissionMixin):
    """Add an object of `model` to an account (`account_pk` in the URL) or change one (`pk`): `load()` gives the
    account and the object (None when adding), both through the permission choke point."""

    def dispatch(self, request, *args, **kwargs):
        self.action = CHANGE if "pk" in kwargs else ADD
        return super().dispatch(request, *args, **kwargs)

    def load(self):
        user = self.request.user
        if "pk" in self.kwargs:
            found = get_object_or_404(
                self.model.objects.restrict(user, CHANGE).select_related("account"), pk=self.kwargs["pk"]
            )
            return found.account, found
        return get_object_or_404(Account.objects.restrict(user, VIEW), pk=self.kwargs["account_pk"]), None


class ContactEditView(AccountObjectEditMixin, TemplateView):
    """Add a contact to an account (`account_pk`) or change one (`pk`)."""

    model = Contact
    template_name = "stakeholders/contact_form.html"

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
            timeline=list(interactions.contact_timeline(contact)[:50]) if contact else [],
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
    subnav_template = "stakeholders/_nav.html"

    def get_queryset(self):
        return super().get_queryset().select_related("account", "relationship_owner")


class InteractionEditView(AccountObjectEditMixin, TemplateView):
    """Log an interaction on an account (`account_pk`), or change one (`pk`)."""

    model = Interaction
    template_name = "stakeholders/interaction_form.html"

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


class OverdueListView(PermissionMixin, TemplateView):
    """Programme-wide: the people not met as often as the cadence rules ask, in the user's accounts, most overdue
    first (CSV with ?export=csv)."""

    model = Contact
    template_name = "stakeholders/overdue.html"

    def get(self, request, *args, **kwargs):
        from kam.core.exports import csv_response

        overdue = self.overdue()
        if request.GET.get("export") == "csv":
            header = [
                "Name",
                "Job title",
                "Works at",
                "Buying role",
                "Cadence (days)",
                "Last met",
                "Due",
                "Days overdue",
            ]
            rows = [
                [o.contact.name, o.contact.title, o.contact.account.name, o.contact.get_buying_role_display(), o.days,
                 o.last_touch.isoformat() if o.last_touch else "", o.due.isoformat(), o.days_overdue]
                for o in overdue
            ]  # fmt: skip
            return csv_response([header, *rows], "overdue-contacts")
        page = Paginator(overdue, 50).get_page(request.GET.get("page"))
        return self.render_to_response(self.get_context_data(page=page, total=len(overdue)))

    def overdue(self):
        from kam.stakeholders import cadence

        return cadence.overdue_contacts(Account.objects.visible_to(self.request.user))  # most overdue first


class ContactVCardView(PermissionMixin, View):
    """The contact as a vCard (4.0) for an address book."""

    model = Contact

    def get(self, request, pk):
        from django.http import HttpResponse
        from django.utils.text import slugify

        from kam.stakeholders.vcard import to_vcard

        contact = get_object_or_404(Contact.objects.restrict(request.user, VIEW).select_related("account"), pk=pk)
        response = HttpResponse(to_vcard(contact), content_type="text/vcard; charset=utf-8")
        filename = slugify(contact.name) or f"contact-{contact.pk}"
        response["Content-Disposition"] = f'attachment; filename="{filename}.vcf"'
        return response


class CoverageMatrixView(PermissionMixin, TemplateView):
    """Our team × the customer's key people (relationship today → wanted): loaded when the tab's matrix is opened
    (htmx), or as a page of its own."""

    model = Contact
    template_name = "stakeholders/coverage_matrix.html"

    def get(self, request, pk):
        from kam.stakeholders import coverage

        account = get_object_or_404(Account.objects.restrict(request.user, VIEW), pk=pk)
        matrix = coverage.coverage_matrix(account)
        context = self.get_context_data(
            account=account,
            matrix=matrix,
            matrix_rows=[(row, list(zip(matrix.people, row.cells, strict=True))) for row in matrix.rows],
        )
        if request.htmx:
            return self.response_class(request, "stakeholders/coverage_matrix.html#matrix", context)
        return self.render_to_response(context)
