from django import forms
from django.contrib.auth.forms import AuthenticationForm


class LoginForm(AuthenticationForm):
    username = forms.EmailField(
        label="E-mail", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )

    error_messages = {
        "invalid_login": "That e-mail and password do not match an active account. Check both and try again.",
        "inactive": "This account is inactive.",
    }


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What the token is for, e.g. “Power BI refresh”.")
    expires_at = forms.DateField(
        required=False,
        help_text="Optional last day of validity (YYYY-MM-DD).",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
