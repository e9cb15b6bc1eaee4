import datetime as dt

from django import forms

from kam.accounts.models import Account
from kam.core.forms import KamModelForm
from kam.selection.choices import Criterion, DesignationKind, Direction, Normalisation, RatedAttribute, Segment
from kam.selection.models import ScoringModel

QUADRANT_FIELDS = {
    Segment.STRATEGIC: "name_strategic",
    Segment.DEVELOP: "name_develop",
    Segment.MAINTAIN: "name_maintain",
    Segment.SERVE_EFFICIENTLY: "name_serve_efficiently",
}
QUADRANT_HELP = {
    Segment.STRATEGIC: "High potential operating profit, high wallet.",
    Segment.DEVELOP: "High potential operating profit, low wallet.",
    Segment.MAINTAIN: "Low potential operating profit, high wallet.",
    Segment.SERVE_EFFICIENTLY: "Low potential operating profit, low wallet.",
}


class MonthField(forms.CharField):
    """A month as YYYY-MM (an <input type=month>); cleans to the first day of the month."""

    widget = forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"})

    def to_python(self, value):
        value = (value or "").strip()
        if not value:
            return None
        try:
            return dt.datetime.strptime(value, "%Y-%m").date()
        except ValueError:
            raise forms.ValidationError("Give a month as YYYY-MM, e.g. 2026-06.") from None

    def prepare_value(self, value):
        return value.strftime("%Y-%m") if isinstance(value, dt.date) else value


class ScoringModelForm(KamModelForm):
    as_of = MonthField(
        label="As-of month", required=False, help_text="Blank: the latest month in the facts (DEFINITIONS §0)."
    )

    class Meta:
        model = ScoringModel
        fields = ["name", "description", "as_of", "pop_basis", "pop_threshold", "wallet_threshold"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        names = self.instance.quadrant_names or {}
        for segment, field_name in QUADRANT_FIELDS.items():
            self.fields[field_name] = forms.CharField(
                label=f"Name of “{Segment(segment).label}”",
                max_length=40,
                required=False,
                initial=names.get(segment, Segment(segment).label),
                help_text=QUADRANT_HELP[segment],
            )

    def quadrant_names(self) -> dict:
        return {segment: self.cleaned_data.get(name, "") for segment, name in QUADRANT_FIELDS.items()}


class CriterionForm(forms.Form):
    criterion = forms.ChoiceField(choices=[("", "—")] + Criterion.choices, required=False)
    weight = forms.DecimalField(min_value=0, max_value=1000, decimal_places=4, required=False, initial=1)
    normalisation = forms.ChoiceField(choices=Normalisation.choices, initial=Normalisation.MIN_MAX)
    direction = forms.ChoiceField(choices=Direction.choices, initial=Direction.HIGHER_IS_BETTER)
    bands = forms.CharField(
        required=False, max_length=300, help_text="Banded only: rising thresholds, e.g. 1000000, 5000000."
    )

    def clean(self):
        data = super().clean()
        if data.get("criterion") and data.get("weight") is None:
            self.add_error("weight", "Give a weight (0 or more).")
        return data


CriteriaFormSet = forms.formset_factory(CriterionForm, extra=3, can_delete=True, max_num=len(Criterion.values))


def criteria_initial(criteria: list[dict]) -> list[dict]:
    return [{**item, "bands": ", ".join(item.get("bands") or [])} for item in criteria]


def criteria_from(formset) -> list[dict]:
    """The formset's filled rows as the model's criteria list (services check them)."""
    rows = []
    for form in formset.forms:
        data = getattr(form, "cleaned_data", None) or {}
        if not data.get("criterion") or data.get("DELETE"):
            continue
        rows.append(
            {
                "criterion": data["criterion"],
                "weight": str(data["weight"]),
                "normalisation": data["normalisation"],
                "direction": data["direction"],
                "bands": data.get("bands") or "",
            }
        )
    return rows


class RatingForm(forms.Form):
    account = forms.IntegerField(widget=forms.HiddenInput)
    attribute = forms.ChoiceField(choices=RatedAttribute.choices)
    value = forms.TypedChoiceField(
        coerce=int,
        choices=[
            (i, f"{i} — {label}")
            for i, label in enumerate(["", "low", "below average", "average", "high", "very high"])
            if i
        ],
        help_text="1 (low) to 5 (very high).",
    )
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=2000,
        help_text="The evidence behind the rating.",
    )


class ProposalForm(forms.Form):
    account_number = forms.CharField(
        max_length=64,
        help_text="The top-level account's number (Accounts list). Key accounts are chosen at group level.",
    )
    kind = forms.ChoiceField(choices=DesignationKind.choices, initial=DesignationKind.DESIGNATE)
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
        help_text="Why: the rationale the decision will rest on.",
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["account_number"].widget.attrs["autofocus"] = True

    def clean_account_number(self):
        number = self.cleaned_data["account_number"].strip()
        account = Account.objects.visible_to(self.user).filter(account_number=number).first()
        if account is None:
            raise forms.ValidationError(f"No account numbered “{number}” that you can see.")
        self.cleaned_data["account"] = account
        return number


class DecisionForm(forms.Form):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=4000,
        label="Decision note",
        help_text="Required when you reject.",
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=4000, help_text="Why: recorded with the decision."
    )


class CapacityForm(forms.Form):
    managers = forms.IntegerField(min_value=0, max_value=10000, required=False, label="Key account managers")
    low = forms.IntegerField(min_value=1, max_value=50, initial=5, required=False, label="Accounts per manager, from")
    high = forms.IntegerField(min_value=1, max_value=50, initial=10, required=False, label="to")

    def clean(self):
        data = super().clean()
        low, high = data.get("low") or 5, data.get("high") or 10
        if low > high:
            raise forms.ValidationError("The lower capacity must not exceed the upper one.")
        return data
