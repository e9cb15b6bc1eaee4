from django import forms
from django.contrib.auth import get_user_model

from kam.core.forms import KamModelForm
from kam.teams.models import ProgrammeSettings, ServiceModel, TeamRoleDefinition
from kam.teams.roles import choices as role_choices

# An <input type="date"> takes ISO dates only, whatever the locale's display format.
DATE = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        name = f"{obj.full_name} ({obj.email})" if obj.full_name else obj.email
        return f"{name} — {obj.get_role_display()}"


def people():
    return get_user_model().objects.filter(is_active=True).order_by("full_name", "email")


class MemberForm(forms.Form):
    user = PersonChoiceField(queryset=None, label="Person")
    team_role = forms.ChoiceField(label="Role", choices=())
    allocation_percent = forms.IntegerField(
        label="Allocation %", min_value=0, max_value=100, initial=10, help_text="Share of the person's time, 0–100."
    )
    start_date = forms.DateField(widget=DATE, label="From")
    end_date = forms.DateField(widget=DATE, label="Until", required=False, help_text="Blank: open-ended.")

    def __init__(self, *args, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = people()
        self.fields["team_role"].choices = [("", "—")] + role_choices()
        if editing:
            del self.fields["user"]

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", f"The end ({end:%Y-%m-%d}) is before the start ({start:%Y-%m-%d}).")
        return data


class HandoverForm(forms.Form):
    to_user = PersonChoiceField(queryset=None, label="New key account manager")
    on = forms.DateField(widget=DATE, label="From", help_text="Usually today.")
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=10000,
        label="Handover note",
        help_text="Relationships, open work, commitments, what to watch.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_user"].queryset = people()


class HandoverAllForm(HandoverForm):
    from_user = PersonChoiceField(queryset=None, label="Leaving key account manager")
    field_order = ["from_user", "to_user", "on", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from_user"].queryset = people()


class CharterForm(forms.Form):
    team_charter = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}),
        required=False,
        max_length=20000,
        label="Team charter",
        help_text="Blank: the programme's default charter.",
    )


class RoleForm(KamModelForm):
    class Meta:
        model = TeamRoleDefinition
        fields = ["name", "key", "responsibilities", "required_per_key_account", "position", "active"]
        widgets = {"responsibilities": forms.Textarea(attrs={"rows": 4})}


class SettingsForm(KamModelForm):
    class Meta:
        model = ProgrammeSettings
        fields = ["accounts_per_manager_limit", "accounts_per_manager_warning", "default_team_charter"]
        widgets = {"default_team_charter": forms.Textarea(attrs={"rows": 8})}


class ServiceModelForm(KamModelForm):
    class Meta:
        model = ServiceModel
        fields = ["workload_weight", "review_cadence", "in_person_meetings_per_year", "promised_service"]
        widgets = {"promised_service": forms.Textarea(attrs={"rows": 3})}


class RuleForm(forms.Form):
    role = forms.ModelChoiceField(queryset=None, required=False, empty_label="—")
    min_members = forms.IntegerField(min_value=1, max_value=20, initial=1, required=False, label="At least")
    expected_allocation_percent = forms.IntegerField(
        min_value=0, max_value=100, initial=0, required=False, label="Time %"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].queryset = TeamRoleDefinition.objects.filter(active=True)


RuleFormSet = forms.formset_factory(RuleForm, extra=2, can_delete=True, max_num=30)


def rules_initial(model: ServiceModel):
    return [
        {"role": r.role_id, "min_members": r.min_members, "expected_allocation_percent": r.expected_allocation_percent}
        for r in model.roles.all()
    ]


def rules_from(formset) -> list[dict]:
    rules = []
    for form in formset.forms:
        data = getattr(form, "cleaned_data", None) or {}
        if not data.get("role") or data.get("DELETE"):
            continue
        rules.append(
            {
                "role": data["role"],
                "min_members": data.get("min_members") or 1,
                "expected_allocation_percent": data.get("expected_allocation_percent") or 0,
            }
        )
    return rules


class CapacityForm(forms.Form):
    accounts_limit = forms.IntegerField(
        label="Key accounts, limit",
        min_value=0,
        max_value=100,
        required=False,
        help_text="Blank: the programme's limit.",
    )
    note = forms.CharField(max_length=300, required=False, help_text="Why, e.g. part-time until June.")
