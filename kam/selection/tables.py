import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html

from kam.core.tables import KamTable
from kam.core.templatetags.kam import money, percent
from kam.selection.models import AccountRating, KeyAccountDesignation, ScoringModel, SelectionResult, SelectionRun


class ScoringModelTable(KamTable):
    name = tables.Column(linkify=True)
    criteria = tables.Column(verbose_name="Criteria", orderable=False)
    version = tables.Column(verbose_name="Version")
    updated_at = tables.DateTimeColumn(verbose_name="Changed", format="Y-m-d H:i")

    class Meta:
        model = ScoringModel
        fields = ("name", "criteria", "version", "pop_basis", "updated_at")
        attrs = {"class": "table"}
        empty_text = "No scoring models yet."

    def render_criteria(self, value):
        return ", ".join(f"{c['criterion'].replace('_', ' ')} {c['weight']}" for c in value)

    def value_criteria(self, record=None, value=None):
        return self.render_criteria(value)


class RunTable(KamTable):
    id = tables.Column(verbose_name="Run", linkify=True)
    model_name = tables.Column(verbose_name="Model")
    model_version = tables.Column(verbose_name="Version")
    status = tables.Column()
    as_of = tables.DateColumn("Y-m", verbose_name="As of")
    population = tables.Column(verbose_name="Accounts")
    classified = tables.Column()
    duration_ms = tables.Column(verbose_name="Seconds")
    created_by = tables.Column(verbose_name="By", order_by=("created_by__email",))
    created_at = tables.DateTimeColumn(verbose_name="Started", format="Y-m-d H:i")

    class Meta:
        model = SelectionRun
        fields = (
            "id",
            "model_name",
            "model_version",
            "status",
            "as_of",
            "population",
            "classified",
            "duration_ms",
            "created_by",
            "created_at",
        )
        attrs = {"class": "table"}
        empty_text = "No runs yet: open a scoring model and run it."

    def render_status(self, record, value):
        return format_html('<span class="badge {}">{}</span>', record.status, value)

    def render_duration_ms(self, value):
        return f"{value / 1000:.1f}"


class ResultTable(KamTable):
    pick = tables.CheckBoxColumn(
        accessor="account_id",
        exclude_from_export=True,
        attrs={"input": {"name": "account", "aria-label": "Propose"}, "th__input": {"aria-label": "Tick all"}},
    )
    rank = tables.Column(attrs={"td": {"class": "num"}, "th": {"class": "num"}})
    account = tables.Column(verbose_name="Account", order_by=("account__name",))
    account_number = tables.Column(accessor="account__account_number", verbose_name="Number")
    score = tables.Column(attrs={"td": {"class": "num"}, "th": {"class": "num"}})
    segment = tables.Column()
    is_key = tables.BooleanColumn(accessor="account__is_key_account", verbose_name="Key today", yesno="Yes,—")
    revenue_t12m = tables.Column(verbose_name="Revenue T12M", attrs={"td": {"class": "num"}, "th": {"class": "num"}})
    gross_margin = tables.Column(verbose_name="Margin", attrs={"td": {"class": "num"}, "th": {"class": "num"}})
    growth_yoy = tables.Column(verbose_name="Growth YoY", attrs={"td": {"class": "num"}, "th": {"class": "num"}})
    wallet = tables.Column(attrs={"td": {"class": "num"}, "th": {"class": "num"}})
    share_of_wallet = tables.Column(
        verbose_name="Share of wallet", attrs={"td": {"class": "num"}, "th": {"class": "num"}}
    )
    potential_operating_profit = tables.Column(
        verbose_name="Potential op. profit", attrs={"td": {"class": "num"}, "th": {"class": "num"}}
    )
    why = tables.Column(empty_values=(), orderable=False, verbose_name="", exclude_from_export=True)

    class Meta:
        model = SelectionResult
        fields = (
            "pick",
            "rank",
            "account",
            "account_number",
            "score",
            "segment",
            "is_key",
            "revenue_t12m",
            "gross_margin",
            "growth_yoy",
            "wallet",
            "share_of_wallet",
            "potential_operating_profit",
        )
        attrs = {"class": "table"}
        empty_text = "No account matches."

    def render_account(self, record):
        return format_html(
            '<a href="{}">{}</a>', reverse("accounts:account", args=[record.account_id]), record.account.name
        )

    def value_account(self, record=None, value=None):
        return record.account.name

    def render_segment(self, record):
        return format_html('<span class="badge seg-{}">{}</span>', record.segment, record.segment_name)

    def value_segment(self, record=None, value=None):
        return record.segment_name

    def render_score(self, value):
        return f"{value:.2f}"

    def render_why(self, record):
        return format_html(
            '<a href="{}">Why?</a>', reverse("selection:result", args=[record.run_id, record.account_id])
        )

    def render_revenue_t12m(self, value):
        return money(value)

    def render_wallet(self, value):
        return money(value)

    def render_potential_operating_profit(self, value):
        return money(value)

    def render_gross_margin(self, value):
        return percent(value)

    def render_growth_yoy(self, value):
        return percent(value)

    def render_share_of_wallet(self, value):
        return percent(value)


class DesignationTable(KamTable):
    created_at = tables.DateTimeColumn(verbose_name="Proposed", format="Y-m-d")
    account = tables.Column(linkify=True, order_by=("account__name",))
    kind = tables.Column(verbose_name="Proposal")
    status = tables.Column()
    reason = tables.Column(orderable=False)
    rank = tables.Column(verbose_name="Rank in run")
    proposed_by = tables.Column(order_by=("proposed_by__email",))
    decided_by = tables.Column(order_by=("decided_by__email",))
    decided_at = tables.DateTimeColumn(verbose_name="Decided", format="Y-m-d")
    open = tables.Column(empty_values=(), orderable=False, verbose_name="", exclude_from_export=True)

    class Meta:
        model = KeyAccountDesignation
        fields = (
            "created_at",
            "account",
            "kind",
            "status",
            "reason",
            "rank",
            "proposed_by",
            "decided_by",
            "decided_at",
        )
        attrs = {"class": "table"}
        empty_text = "No proposals."

    def render_status(self, record, value):
        return format_html('<span class="badge {}">{}</span>', record.status, value)

    def render_reason(self, value):
        return value if len(value) <= 90 else value[:89] + "…"

    def render_open(self, record):
        label = "Decide" if record.status == "proposed" else "Open"
        return format_html('<a href="{}">{}</a>', record.get_absolute_url(), label)


class RatingTable(KamTable):
    account = tables.Column(linkify=True, order_by=("account__name",))
    attribute = tables.Column()
    value = tables.Column(attrs={"td": {"class": "num"}, "th": {"class": "num"}})
    note = tables.Column(orderable=False)
    rated_by = tables.Column(order_by=("rated_by__email",))
    updated_at = tables.DateTimeColumn(verbose_name="Rated", format="Y-m-d")
    edit = tables.Column(empty_values=(), orderable=False, verbose_name="", exclude_from_export=True)

    class Meta:
        model = AccountRating
        fields = ("account", "attribute", "value", "note", "rated_by", "updated_at")
        attrs = {"class": "table"}
        empty_text = "No ratings yet."

    def render_edit(self, record):
        url = reverse("selection:rating_set") + f"?account={record.account_id}&attribute={record.attribute}"
        return format_html('<a href="{}">Change</a>', url)
