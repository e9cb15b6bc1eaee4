"""Forms of the whitespace pages: a cell, a business unit, an offering. They validate what a person typed; the
rules of the domain stay in kam.plans.whitespace and kam.plans.offerings."""

from django import forms

from kam.core.forms import KamModelForm
from kam.plans.choices import CellStatus
from kam.plans.models import Offering


class WhitespaceCellForm(forms.Form):
    status = forms.ChoiceField(
        choices=CellStatus.choices,
        help_text="Where we stand with this offering in this part of the client.",
        widget=forms.Select(attrs={"autofocus": True}),
    )
    annual_value = forms.DecimalField(
        label="Annual value (EUR)",
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
        help_text="What we earn a year when won; what it would be worth otherwise.",
    )
    competitor = forms.CharField(
        max_length=100, required=False, help_text="Who holds it. Required when competitor-held."
    )
    note = forms.CharField(max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0, max_value=2**31 - 1)

    def __init__(self, *args, cell=None, **kwargs):
        if cell is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "status": cell.status,
                "annual_value": cell.annual_value,
                "competitor": cell.competitor,
                "note": cell.note,
                "version": cell.version if cell.pk else 0,
            }
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        if data.get("status") == CellStatus.COMPETITOR and not (data.get("competitor") or "").strip():
            self.add_error("competitor", "Name the competitor that holds it.")
        return data

    def cell_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in ("status", "annual_value", "competitor", "note")}


class BusinessUnitForm(forms.Form):
    """Add a business unit under one account of the matrix (`accounts`: the rows the user sees), or rename one."""

    account = forms.TypedChoiceField(coerce=int, help_text="The account (or subsidiary) the business unit belongs to.")
    name = forms.CharField(max_length=100, help_text="As the client calls it, e.g. Logistics Europe.")
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0, max_value=2**31 - 1)

    def __init__(self, *args, accounts=None, unit=None, **kwargs):
        super().__init__(*args, **kwargs)
        if unit is not None:  # renaming: the unit stays where it is
            del self.fields["account"]
            self.fields["name"].initial = unit.name
            self.fields["version"].initial = unit.version
        else:
            del self.fields["version"]
            self.fields["account"].choices = [(a.pk, a.name) for a in accounts or ()]
        next(iter(self.fields.values())).widget.attrs["autofocus"] = True


class OfferingForm(KamModelForm):
    class Meta:
        model = Offering
        fields = ("name", "category", "description", "position", "is_active")
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
