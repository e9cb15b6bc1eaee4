"""Forms of the stakeholder pages. Each carries the version it showed (a stale save is refused by the services and
shown on the form with what was typed)."""

from django import forms
from django.utils import timezone

from kam.accounts.models import Account
from kam.core.forms import KamModelForm
from kam.plans.forms import people_for
from kam.stakeholders import services
from kam.stakeholders.interactions import INTERACTION_FIELDS
from kam.stakeholders.models import Contact, Interaction


class ContactForm(KamModelForm):
    class Meta:
        model = Contact
        fields = services.CONTACT_FIELDS
        labels = {"account": "Works at", "relationship_now": "Relationship today", "level": "Seniority"}
        help_texts = {
            "buying_role": "Their part in buying decisions.",
            "attitude": "What they think of us.",
            "relationship_now": "How well we know them today.",
            "relationship_desired": "Where we want the relationship to be.",
        }
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, customer: Account, **kwargs):
        super().__init__(*args, **kwargs)
        # Everyone of the customer (the group and its subsidiaries) who has not left, except the person themselves.
        group = Account.objects.filter(pk=services.group_of(customer)).first()
        accounts = group.subtree() if group else Account.objects.filter(pk=customer.pk)
        colleagues = Contact.objects.filter(account__in=accounts, left_on__isnull=True).exclude(pk=self.instance.pk)
        for name in ("reports_to", "dotted_line_to"):
            self.fields[name].queryset = colleagues.select_related("account").order_by("last_name", "first_name")
            self.fields[name].label_from_instance = lambda c: f"{c.name}, {c.title}" if c.title else c.name
        self.fields["account"].queryset = accounts.order_by("tree_path")
        self.fields["account"].required = False
        self.fields["account"].help_text = "The group or one of its subsidiaries."
        if not self.instance.pk:
            self.fields["account"].initial = customer.pk
        self.fields["relationship_owner"].queryset = people_for(
            customer, self.instance.relationship_owner_id if self.instance.pk else None
        )
        self.fields["relationship_owner"].label_from_instance = lambda user: user.display_name
        self.fields["relationship_owner"].help_text = "Who of ours holds the relationship (someone on the team)."

    def service_data(self) -> dict:
        data = {name: self.cleaned_data[name] for name in services.CONTACT_FIELDS if name in self.cleaned_data}
        if data.get("account") is None:
            data.pop("account", None)
        return data


class LeftForm(forms.Form):
    left_on = forms.DateField(
        label="Left on",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="Their reports move to their manager; their place stays on the map, vacant.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["left_on"].initial = timezone.localdate()


class InteractionForm(KamModelForm):
    """An interaction with people of the customer: their side (contacts), ours (participants), what happened."""

    class Meta:
        model = Interaction
        fields = (*INTERACTION_FIELDS, "contacts", "participants")
        labels = {"contacts": "Their side", "participants": "Our side", "occurred_on": "Date"}
        help_texts = {
            "contacts": "Who of the customer took part (Ctrl/Cmd-click for several).",
            "participants": "Who of ours took part.",
            "next_steps": "One a line; each can become an action of the account plan.",
        }
        widgets = {
            "occurred_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "summary": forms.Textarea(attrs={"rows": 4}),
            "next_steps": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, customer: Account, **kwargs):
        super().__init__(*args, **kwargs)
        group = Account.objects.get(pk=services.group_of(customer))
        people = Contact.objects.filter(account__in=group.subtree()).select_related("account")
        self.fields["contacts"].queryset = people.order_by("left_on", "last_name", "first_name")
        self.fields["contacts"].label_from_instance = lambda c: (
            f"{c.name}{', ' + c.title if c.title else ''}{' (left)' if c.left_on else ''}"
        )
        self.fields["participants"].queryset = people_for(customer)
        self.fields["participants"].label_from_instance = lambda user: user.display_name
        self.fields["participants"].required = False
        if not self.instance.pk:
            self.fields["occurred_on"].initial = timezone.localdate()
            if self.user is not None and self.fields["participants"].queryset.filter(pk=self.user.pk).exists():
                self.fields["participants"].initial = [self.user.pk]

    def service_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in INTERACTION_FIELDS if name in self.cleaned_data}
