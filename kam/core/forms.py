from django import forms
from django.core.exceptions import ValidationError


class KamModelForm(forms.ModelForm):
    """Carries the version it was rendered with, so a stale save is refused instead of overwriting."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
        first = next(iter(self.fields.values()), None)
        if first is not None:
            first.widget.attrs.setdefault("autofocus", True)

    def changed_data_dict(self):
        return {name: self.cleaned_data[name] for name in self._meta.fields if name in self.cleaned_data}


def add_validation_errors(form, error: Exception):
    """A service's refusal on the form: a ValidationError's field errors on their fields (or on the form when it has
    no such field), the rest — and a stale write (StaleObject) — on the form."""
    if not isinstance(error, ValidationError):
        form.add_error(None, str(error))
    elif hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)
