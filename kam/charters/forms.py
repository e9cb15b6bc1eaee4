from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from kam.charters.choices import CollaborationTool
from kam.charters.models import FIELD_SECTIONS, Charter, CharterTemplate
from kam.charters.services import MAX_BODY, MAX_FIELD, MAX_GUIDANCE, MAX_KPIS, MAX_NOTE, MAX_TITLE
from kam.core.forms import KamModelForm

MARKDOWN_HELP = "Markdown: **bold**, *italic*, - lists, 1. numbered lists, [links](https://…), | tables |."
KPI_HELP = (
    "One KPI a line: name | target | how it is measured — e.g. “Net promoter score | 40 or more | yearly survey”."
)


def _focus_first(form):
    for field in form.fields.values():
        field.widget.attrs.pop("autofocus", None)
    first = next((f for f in form.fields.values() if not f.widget.is_hidden), None)
    if first is not None:
        first.widget.attrs["autofocus"] = True


def kpis_as_text(kpis) -> str:
    return "\n".join(" | ".join(k.get(part, "") for part in ("name", "target", "measure")).rstrip(" |") for k in kpis)


def kpis_from_text(text: str) -> list[dict]:
    kpis = []
    for n, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split("|")]
        if len(parts) > 3:
            raise ValidationError(f"Line {n} has {len(parts)} parts: write name | target | how it is measured.")
        if not parts[0]:
            raise ValidationError(f"Line {n}: the KPI needs a name before the first |.")
        parts += [""] * (3 - len(parts))
        kpis.append(dict(zip(("name", "target", "measure"), parts, strict=True)))
    if len(kpis) > MAX_KPIS:
        raise ValidationError(f"At most {MAX_KPIS} KPIs (this has {len(kpis)}).")
    return kpis


class CharterForm(KamModelForm):
    """The account's charter: each section's text, with the fields that belong to it, and a note on what changed."""

    kpis = forms.CharField(label="KPIs", required=False, widget=forms.Textarea(attrs={"rows": 4}), help_text=KPI_HELP)
    collaboration_tools = forms.MultipleChoiceField(
        label="Collaboration tools",
        choices=CollaborationTool.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "choices"}),
        help_text="The tools both teams use. Name others below.",
    )
    note = forms.CharField(
        label="What changed",
        max_length=MAX_NOTE,
        required=False,
        help_text="Kept with the new version, e.g. “KPIs agreed in the March review”.",
    )

    class Meta:
        model = Charter
        fields = [
            "client_goals",
            "kpis",
            "meeting_cadence",
            "communication_preferences",
            "collaboration_tools",
            "other_tools",
            "client_responsibilities",
        ]
        widgets = {
            "client_goals": forms.Textarea(attrs={"rows": 4}),
            "communication_preferences": forms.Textarea(attrs={"rows": 4}),
            "client_responsibilities": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, guidance=None, **kwargs):
        super().__init__(*args, **kwargs)
        guidance = guidance or {}
        for name in ("client_goals", "communication_preferences", "client_responsibilities"):
            self.fields[name].max_length = MAX_FIELD
            self.fields[name].help_text = f"{self.fields[name].help_text} {MARKDOWN_HELP}"
        if not self.is_bound:
            self.initial["kpis"] = kpis_as_text(self.instance.kpis or [])
        self.section_fields = []
        for section in self.instance.sections:
            name = f"section_{section['key']}"
            self.fields[name] = forms.CharField(
                label="Section text",
                required=False,
                max_length=MAX_BODY,
                initial=section["body"],
                widget=forms.Textarea(attrs={"rows": 10, "class": "markdown"}),
                help_text=" ".join(filter(None, [guidance.get(section["key"], ""), MARKDOWN_HELP])),
            )
            self.section_fields.append((section, name))
        # The page shows each section's text first, then its fields: the first section's text comes first.
        self.order_fields([name for _, name in self.section_fields])
        _focus_first(self)

    def clean_kpis(self):
        return kpis_from_text(self.cleaned_data.get("kpis", ""))

    def groups(self):
        """Each section's text field followed by the fields that belong to it, in charter order."""
        return [
            {
                "heading": f"{section['number']}. {section['title']}",
                "key": section["key"],
                "body": self[name],
                "fields": [self[field] for field, key in FIELD_SECTIONS.items() if key == section["key"]],
            }
            for section, name in self.section_fields
        ]

    def change_data(self) -> dict:
        data = {name: self.cleaned_data[name] for name in self._meta.fields}
        data["sections"] = {section["key"]: self.cleaned_data.get(name, "") for section, name in self.section_fields}
        return data


class TemplateForm(KamModelForm):
    """The programme template: each section's title, default text and guidance."""

    class Meta:
        model = CharterTemplate
        fields = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.section_fields = []
        for section in self.instance.sections:
            key = section["key"]
            self.fields[f"{key}_title"] = forms.CharField(
                label=f"{section['number']}. Title", max_length=MAX_TITLE, initial=section["title"]
            )
            self.fields[f"{key}_body"] = forms.CharField(
                label="Default text",
                required=False,
                max_length=MAX_BODY,
                initial=section["body"],
                widget=forms.Textarea(attrs={"rows": 10, "class": "markdown"}),
                help_text=MARKDOWN_HELP,
            )
            self.fields[f"{key}_guidance"] = forms.CharField(
                label="Guidance for writers",
                required=False,
                max_length=MAX_GUIDANCE,
                initial=section.get("guidance", ""),
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text="Shown next to this section when an account's charter is edited.",
            )
            self.section_fields.append(section)
        _focus_first(self)

    def groups(self):
        return [
            {
                "heading": f"{section['number']}. {section['title']}",
                "key": section["key"],
                "fields": [self[f"{section['key']}_{part}"] for part in ("title", "body", "guidance")],
            }
            for section in self.section_fields
        ]

    def change_data(self) -> dict:
        parts = ("title", "body", "guidance")
        return {
            section["key"]: {part: self.cleaned_data[f"{section['key']}_{part}"] for part in parts}
            for section in self.section_fields
        }


class SignOffForm(forms.Form):
    client_signatory_name = forms.CharField(
        label="Client signatory",
        max_length=200,
        help_text="The person who signs for the client.",
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}),
    )
    client_signatory_title = forms.CharField(
        label="Their title", max_length=200, required=False, help_text="e.g. Head of Procurement."
    )
    signed_on = forms.DateField(
        label="Signed on",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The date both sides signed: today or earlier, not before this version was written.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, charter=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["signed_on"].initial = timezone.localdate()
        if charter is not None:
            self.fields["version"].initial = charter.version


class CompareForm(forms.Form):
    a = forms.TypedChoiceField(label="Older version", coerce=int)
    b = forms.TypedChoiceField(label="Newer version", coerce=int)

    def __init__(self, *args, numbers=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(n, f"Version {n}") for n in numbers]
        self.fields["a"].choices = choices
        self.fields["b"].choices = choices
