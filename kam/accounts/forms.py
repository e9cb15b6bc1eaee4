from django import forms
from django.contrib.auth import get_user_model

from kam.accounts.choices import ImportKind
from kam.accounts.models import Account
from kam.core.forms import KamModelForm


class AccountForm(KamModelForm):
    class Meta:
        model = Account
        fields = [
            "name",
            "legal_name",
            "account_number",
            "crm_id",
            "parent",
            "status",
            "is_key_account",
            "industry",
            "country",
            "region",
            "currency",
            "owner",
        ]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        # Dropdowns only offer what the user may see.
        parents = Account.objects.visible_to(user).only("pk", "name", "account_number")
        if self.instance.pk:
            parents = parents.exclude(tree_path__startswith=self.instance.tree_path)
        self.fields["parent"].queryset = parents
        self.fields["owner"].queryset = get_user_model().objects.filter(is_active=True)
        self.fields["country"].widget.attrs.update({"maxlength": 2, "class": "uppercase"})
        self.fields["currency"].widget.attrs.update({"maxlength": 3, "class": "uppercase"})

    def clean_country(self):
        return self.cleaned_data["country"].upper()

    def clean_currency(self):
        return self.cleaned_data["currency"].upper()


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(choices=ImportKind.choices, help_text="What the file holds.")
    file = forms.FileField(help_text="CSV (UTF-8, comma-separated, header row first) or XLSX.")

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)


class ColumnMappingForm(forms.Form):
    """One dropdown per KAM field, offering the file's own column names."""

    NOT_IN_FILE = ""
    LABELS = {
        "crm_id": "CRM id",
        "parent_crm_id": "Parent's CRM id",
        "parent_account_number": "Parent's account number",
        "rate_per_eur": "Rate per EUR",
        "wallet_amount": "Wallet amount",
    }

    def __init__(self, *args, run=None, **kwargs):
        from kam.accounts.importers import COLUMNS, REQUIRED

        super().__init__(*args, **kwargs)
        headers = run.summary.get("headers", [])
        current = run.summary.get("mapping", {})
        required = set(REQUIRED[run.kind]) | ({"currency"} if run.kind == ImportKind.ACCOUNTS else set())
        choices = [(self.NOT_IN_FILE, "— not in the file —")] + [(h, h) for h in headers]
        for name in COLUMNS[run.kind]:
            self.fields[name] = forms.ChoiceField(
                choices=choices,
                required=name in required,
                initial=current.get(name, ""),
                label=self.LABELS.get(name, name.replace("_", " ").capitalize()),
            )

    def mapping(self):
        return {name: value for name, value in self.cleaned_data.items() if value}

    def clean(self):
        chosen = [v for v in self.cleaned_data.values() if v]
        duplicates = {v for v in chosen if chosen.count(v) > 1}
        if duplicates:
            raise forms.ValidationError(f"Each column can feed one field only: {', '.join(sorted(duplicates))}.")
        return self.cleaned_data
