"""Forms of the service-level pages. They only shape input: every rule is checked by kam.servicelevels.services,
whose errors land on these forms (kam.core.forms.add_validation_errors)."""

import datetime as dt
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model

from kam.accounts.models import Account
from kam.core.forms import KamModelForm
from kam.servicelevels.filtersets import assignable_people
from kam.servicelevels.models import (
    BusinessCalendar,
    Channel,
    ClockMode,
    Priority,
    RequestKind,
    SlaPolicy,
    TargetUnit,
    known_time_zones,
)

DATE = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
TIME = forms.TimeInput(format="%H:%M", attrs={"type": "time"})
LOCAL_DATETIME = forms.DateTimeInput(format="%Y-%m-%dT%H:%M", attrs={"type": "datetime-local"})
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WEEKDAYS = [(str(number), name) for number, name in enumerate(DAY_NAMES)]
# Above this many accounts a drop-down is no help: the account is typed by its number instead.
CHOOSER_LIMIT = 300


def autofocus_first(form):
    first = next((f for f in form.fields.values() if not f.widget.is_hidden), None)
    if first is not None:
        first.widget.attrs.setdefault("autofocus", True)


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        name = f"{obj.full_name} ({obj.email})" if obj.full_name else obj.email
        return f"{name} — {obj.get_role_display()}"


class AccountChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.account_number})"


def account_field(accounts, **kwargs) -> forms.ModelChoiceField:
    """A drop-down of `accounts` (already restricted to the user), or, when there are too many to choose from, a
    text field for the account number (found among the same accounts only)."""
    if accounts[: CHOOSER_LIMIT + 1].count() <= CHOOSER_LIMIT:
        return AccountChoiceField(
            queryset=accounts.order_by("name", "account_number").only("pk", "name", "account_number"),
            empty_label="— choose the client —",
            **kwargs,
        )
    return AccountChoiceField(
        queryset=accounts,
        to_field_name="account_number",
        widget=forms.TextInput,
        error_messages={"invalid_choice": "No account with this number that you can work on."},
        help_text="The account number (see the Accounts list).",
        **kwargs,
    )


def zone_choices(*extra: str) -> list[tuple[str, str]]:
    zones = {"UTC", settings.TIME_ZONE, *BusinessCalendar.objects.values_list("time_zone", flat=True), *extra}
    return [(zone, zone) for zone in sorted(z for z in zones if z)]


class LocalDateTimeField(forms.DateTimeField):
    """A wall-clock date and time, read in the zone of the form's `zone` field (an ISO time with its own offset,
    e.g. 2026-11-27T17:55+11:00, keeps that offset)."""

    widget = LOCAL_DATETIME

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, dt.datetime):
            return value
        try:
            return dt.datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise forms.ValidationError("Give a date and time, e.g. 2026-11-27 17:55.", code="invalid") from None


class ZonedTimesMixin:
    """Forms with wall-clock times and a `zone` field: cleaned times are aware, in that zone."""

    zoned_fields: tuple[str, ...] = ()

    def clean(self):
        data = super().clean()
        zone = data.get("zone") or "UTC"
        for name in self.zoned_fields:
            value = data.get(name)
            if isinstance(value, dt.datetime) and value.tzinfo is None:
                data[name] = value.replace(tzinfo=ZoneInfo(zone))
        return data


def zone_field(initial: str) -> forms.ChoiceField:
    return forms.ChoiceField(
        label="Time zone of the times entered", choices=zone_choices(initial), initial=initial or "UTC"
    )


class RequestForm(ZonedTimesMixin, forms.Form):
    """A new client request (services.open_request)."""

    zoned_fields = ("opened_at",)

    account = forms.Field()  # replaced in __init__ by the accounts the user may open requests on
    subject = forms.CharField(max_length=200, help_text="In a few words what the client asked.")
    kind = forms.ChoiceField(
        label="Type",
        choices=RequestKind.choices,
        initial=RequestKind.INQUIRY,
        help_text="A critical issue is critical priority: its resolution clock runs.",
    )
    priority = forms.ChoiceField(choices=Priority.choices, initial=Priority.NORMAL)
    channel = forms.ChoiceField(choices=Channel.choices, initial=Channel.EMAIL)
    requester = forms.CharField(max_length=200, required=False, help_text="Who at the client asked (name, e-mail).")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=20000)
    assignee = PersonChoiceField(
        queryset=None, required=False, empty_label="The account's key account manager", help_text="Who answers."
    )
    opened_at = LocalDateTimeField(
        label="Opened at",
        help_text="When the client asked: the clocks start here. Backdate it for a request that came in earlier.",
    )
    zone = forms.ChoiceField(label="Time zone of the times entered")
    external_id = forms.CharField(
        label="Id in the source system", max_length=64, required=False, help_text="e.g. the ticket number."
    )

    def __init__(self, *args, accounts=None, zone="UTC", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"] = account_field(accounts, label="Account")
        self.fields["assignee"].queryset = assignable_people()
        self.fields["zone"] = zone_field(zone)
        # Opened from the account's page, the account is chosen: the subject comes first.
        (self.fields["subject"] if self.initial.get("account") else self.fields["account"]).widget.attrs[
            "autofocus"
        ] = True


class RequestEditForm(forms.Form):
    """The describing fields of a request (services.update_request)."""

    subject = forms.CharField(max_length=200)
    kind = forms.ChoiceField(label="Type", choices=RequestKind.choices)
    priority = forms.ChoiceField(
        choices=Priority.choices, help_text="A priority with a resolution commitment starts its clock from the opening."
    )
    channel = forms.ChoiceField(choices=Channel.choices)
    requester = forms.CharField(max_length=200, required=False)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=20000)
    assignee = PersonChoiceField(queryset=None, required=False, empty_label="Nobody")
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = assignable_people()
        autofocus_first(self)


class StatusForm(ZonedTimesMixin, forms.Form):
    """Move a request along its workflow (services.change_status). The page's buttons carry the status; the field is
    not rendered."""

    zoned_fields = ("at",)

    status = forms.CharField(widget=forms.HiddenInput, required=False)
    at = LocalDateTimeField(
        label="When", required=False, help_text="Blank: now. Backdate it when it happened earlier (not in the future)."
    )
    zone = forms.ChoiceField(label="Time zone of the time entered")
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=20000,
        help_text="Required to resolve: how it was resolved.",
    )

    def __init__(self, *args, zone="UTC", **kwargs):
        kwargs.setdefault("auto_id", "status_%s")  # the page also holds the comment form
        super().__init__(*args, **kwargs)
        self.fields["zone"] = zone_field(zone)

    def clean_status(self):
        status = self.cleaned_data.get("status")
        if not status:
            raise forms.ValidationError("Choose what the request becomes.")
        return status


class CommentForm(forms.Form):
    note = forms.CharField(
        label="Comment", widget=forms.Textarea(attrs={"rows": 2}), max_length=20000, help_text="Seen by the team."
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "comment_%s")
        super().__init__(*args, **kwargs)


class EscalateForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
        help_text="Why it needs the next level: they are notified and read it.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        autofocus_first(self)


class PolicyForm(KamModelForm):
    class Meta:
        model = SlaPolicy
        fields = [
            "responsibility",
            "target",
            "unit",
            "clock",
            "priorities",
            "at_risk_percent",
            "due_soon_days",
            "position",
            "active",
        ]


class LevelForm(forms.Form):
    team_role = forms.ChoiceField(required=False, label="Team role")
    user = PersonChoiceField(queryset=None, required=False, label="or a named person", empty_label="—")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from kam.teams.roles import choices as role_choices

        self.fields["team_role"].choices = [("", "—")] + role_choices()
        self.fields["user"].queryset = get_user_model().objects.filter(is_active=True).order_by("full_name", "email")


LevelFormSet = forms.formset_factory(LevelForm, extra=2, max_num=9, absolute_max=9)


def path_initial(levels) -> list[dict]:
    return [{"team_role": level.team_role, "user": level.user_id} for level in levels]


def steps_from(formset) -> list[dict]:
    """The filled rows, in order, as services.set_escalation_path takes them."""
    steps = []
    for form in formset.forms:
        data = getattr(form, "cleaned_data", None) or {}
        if data.get("team_role") or data.get("user"):
            steps.append({"team_role": data.get("team_role") or "", "user": data.get("user")})
    return steps


class CalendarForm(KamModelForm):
    weekdays = forms.MultipleChoiceField(
        label="Working days", choices=WEEKDAYS, widget=forms.CheckboxSelectMultiple, initial=["0", "1", "2", "3", "4"]
    )
    time_zone = forms.ChoiceField(help_text="The client's IANA time zone: working hours are read in it.")

    class Meta:
        model = BusinessCalendar
        fields = ["name", "time_zone", "weekdays", "day_start", "day_end", "regions", "is_default"]
        widgets = {"day_start": TIME, "day_end": TIME}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = [(zone, zone) for zone in sorted(known_time_zones())]
        # The model keeps "0,1,2,3,4"; the boxes want a list (a new calendar starts with Monday to Friday).
        self.initial["weekdays"] = [str(day) for day in sorted(self.instance.weekday_set)]

    def service_data(self) -> dict:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields if name in self.cleaned_data}
        data["weekdays"] = ",".join(sorted(self.cleaned_data.get("weekdays") or []))
        return data

    def _post_clean(self):
        pass  # the service checks and saves (services.save_calendar), not the ModelForm


class HolidayForm(forms.Form):
    date = forms.DateField(widget=DATE)
    name = forms.CharField(max_length=100, help_text="e.g. Christmas Day.")


class OverrideForm(forms.Form):
    """One commitment's own value on one account (the policy is named by the page)."""

    target = forms.IntegerField(min_value=1, max_value=10_000)
    unit = forms.ChoiceField(choices=TargetUnit.choices)
    clock = forms.ChoiceField(choices=ClockMode.choices)


class AccountCalendarForm(forms.Form):
    calendar = forms.ModelChoiceField(
        queryset=BusinessCalendar.objects.all(),
        required=False,
        empty_label="Follow the account's region (else the programme default)",
        help_text="The client's working hours, time zone and holidays: new requests' clocks count them.",
    )


class ObligationDoneForm(forms.Form):
    evidence = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=20000,
        help_text="What shows it was done: minutes, a link, the deck's name.",
    )
    done_on = forms.DateField(widget=DATE, label="Done on", help_text="Not in the future.")
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        autofocus_first(self)


class ComplianceForm(forms.Form):
    period = forms.CharField(
        required=False,
        max_length=20,
        help_text="A year (2025), a quarter (2026-Q3) or a month (2026-11); blank: the last full year.",
    )
    group_by = forms.ChoiceField(
        label="Per",
        required=False,
        choices=[("account", "Account"), ("kam", "Key account manager"), ("segment", "Segment"), ("month", "Month")],
    )


def accounts_for_requests(user):
    """The accounts on which the user may open requests: those they see, when their role may add requests."""
    from kam.core.permissions import ADD, role_allows
    from kam.servicelevels.models import ClientRequest

    if not role_allows(user, ADD, ClientRequest):
        return Account.objects.none()
    return Account.objects.visible_to(user)
