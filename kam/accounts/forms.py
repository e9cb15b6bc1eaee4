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
