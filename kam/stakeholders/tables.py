import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html

from kam.core.tables import KamTable
from kam.stakeholders.models import Contact


class ContactTable(KamTable):
    name = tables.Column(verbose_name="Name", order_by=("last_name", "first_name"), accessor="last_name")
    title = tables.Column(verbose_name="Job title")
    account = tables.Column(verbose_name="Works at", order_by=("account__name",))
    buying_role = tables.Column(verbose_name="Buying role")
    attitude = tables.Column()
    level = tables.Column(verbose_name="Seniority")
    relationship_owner = tables.Column(verbose_name="Our owner", order_by=("relationship_owner__full_name",))
    relationship_now = tables.Column(verbose_name="Relationship")
    left_on = tables.DateColumn(format="Y-m-d", verbose_name="Left on")

    class Meta:
        model = Contact
        fields = (
            "name",
            "title",
            "account",
            "buying_role",
            "attitude",
            "level",
            "relationship_owner",
            "relationship_now",
            "left_on",
        )
        attrs = {"class": "table"}
        order_by = ("name",)
        empty_text = "No contacts."

    def render_name(self, record):
        return format_html('<a href="{}">{}</a>', reverse("stakeholders:contact_edit", args=[record.pk]), record.name)

    def value_name(self, record=None, value=None):
        return record.name

    def render_account(self, record):
        url = reverse("accounts:account", args=[record.account_id]) + "?tab=stakeholders"
        return format_html('<a href="{}">{}</a>', url, record.account.name)

    def value_account(self, record=None, value=None):
        return record.account.name

    def render_attitude(self, record):
        return format_html('<span class="badge att-{}">{}</span>', record.attitude, record.get_attitude_display())

    def value_attitude(self, record=None, value=None):
        return record.get_attitude_display()

    def render_relationship_owner(self, record):
        return record.relationship_owner.display_name if record.relationship_owner else "—"

    def value_relationship_owner(self, record=None, value=None):
        return record.relationship_owner.display_name if record.relationship_owner else ""

    def render_relationship_now(self, record):
        return f"{record.get_relationship_now_display()} → {record.get_relationship_desired_display()}"

    def value_relationship_now(self, record=None, value=None):
        return f"{record.get_relationship_now_display()} -> {record.get_relationship_desired_display()}"
