"""Charters: the programme's template, the list of every charter, and an account's charter — its Charter tab, editing
(every save a version), sign-off, any version, two versions side by side, and the DOCX and PDF of a version. Every
object goes through the permission choke point (PermissionMixin / restrict); every write through
kam.charters.services."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.generic import TemplateView, View
from django.views.generic.edit import FormView

from kam.accounts.models import Account
from kam.audit.services import changes_for
from kam.charters import compare, rendering, services
from kam.charters.filtersets import CharterFilterSet
from kam.charters.forms import CharterForm, CompareForm, SignOffForm, TemplateForm
from kam.charters.models import SIGN_OFF, Charter, CharterTemplate, CharterVersion
from kam.charters.tables import CharterTable
from kam.core import documents
from kam.core.forms import add_validation_errors
from kam.core.permissions import ADD, CHANGE, VIEW, role_allows
from kam.core.services import StaleObject
from kam.core.views import ObjectListView, PermissionMixin

CONTENT_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}


def tab_url(account_id) -> str:
    return reverse("accounts:account", args=[account_id]) + "?tab=charter"


def version_label(version: CharterVersion, charter: Charter) -> str:
    status = version.status_in(charter)
    if status == "draft":
        return "Draft in progress" if version.number == charter.latest_number else "Earlier draft"
    return "Signed" if status == "signed" else "Superseded"


def versions_of(charter: Charter, limit: int | None = None):
    versions = charter.versions.select_related("created_by", "approved_by").order_by("-number")
    versions = list(versions[:limit] if limit else versions)
    for version in versions:
        version.label = version_label(version, charter)
    return versions


def account_tab_context(request, account) -> dict:
    """What this app's tab on the account page shows (the account is already permission-checked)."""
    user = request.user
    charter = (
        Charter.objects.restrict(user, VIEW)
        .filter(account=account)
        .select_related("signed_version__approved_by")
        .first()
    )
    if charter is None:
        return {
            "charter": None,
            "can_create_charter": role_allows(user, ADD, Charter),
            "charter_template": CharterTemplate.current(),
        }
    charter.account = account  # already read and checked by the account page
    versions = versions_of(charter, limit=50)
    latest = versions[0]
    content = rendering.effective_content(latest, account)
    return {
        "charter": charter,
        "charter_latest": latest,
        "charter_versions": versions,
        "charter_more_versions": charter.latest_number > len(versions),
        "charter_sections": rendering.charter_sections(content),
        "charter_signoff_due": not latest.is_signed,
        "can_edit_charter": role_allows(user, CHANGE, Charter),
        "can_sign_off_charter": not latest.is_signed and services.may_sign_off(user, charter),
        "service_levels_url": services.service_levels_url(account),
    }


# The programme template -------------------------------------------------------------------------------------------


class TemplateDetailView(PermissionMixin, TemplateView):
    """The programme's charter template: ten sections, their default texts and the guidance for writers."""

    model = CharterTemplate
    template_name = "charters/template_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        template = CharterTemplate.current()
        context["template"] = template
        context["sections"] = [
            {**section, "body_html": mark_safe(documents.markdown_to_html(section["body"]))}  # noqa: S308 - nh3
            for section in template.sections
        ]
        context["can_change"] = self.can(CHANGE)
        context["changes"] = changes_for(template)[:20] if template.pk else []
        return context


class TemplateEditView(PermissionMixin, FormView):
    model = CharterTemplate
    action = CHANGE
    form_class = TemplateForm
    template_name = "charters/template_form.html"

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["user"] = self.request.user
        kwargs["instance"] = CharterTemplate.current()
        return kwargs

    def form_valid(self, form):
        try:
            services.update_template(form.change_data(), expected_version=form.cleaned_data.get("version"))
        except StaleObject as stale:
            form.add_error(None, str(stale))
            return self.form_invalid(form)
        except ValidationError as error:
            add_validation_errors(form, _template_errors(error))
            return self.form_invalid(form)
        messages.success(
            self.request, "Charter template saved. New charters start from it; existing charters keep their text."
        )
        return HttpResponseRedirect(reverse("charters:template"))


def _template_errors(error: ValidationError) -> ValidationError:
    """The service names template fields `<key>.<part>`; the form names them `<key>_<part>`."""
    if not hasattr(error, "error_dict"):
        return error
    return ValidationError({name.replace(".", "_"): messages for name, messages in error.message_dict.items()})


# The list ---------------------------------------------------------------------------------------------------------


class CharterListView(ObjectListView):
    model = Charter
    table_class = CharterTable
    filterset_class = CharterFilterSet
    title = "Charters"
    lead = "Every account charter you can see: where it stands, its current version and the version that was signed."
    header_actions = (("Programme template", "charters:template"),)
    empty_action = ("Go to the key accounts", "/accounts/?is_key_account=true")
    export_stem = "charters"
    empty_message = "No charters yet. Open an account's Charter tab to create one from the programme template."

    def get_queryset(self):
        return super().get_queryset().select_related("account", "signed_version")


# An account's charter ---------------------------------------------------------------------------------------------


class CharterMixin(PermissionMixin):
    model = Charter

    def get_charter(self) -> Charter:
        if not hasattr(self, "_charter"):
            self._charter = get_object_or_404(
                Charter.objects.restrict(self.request.user, self.action).select_related("account"),
                pk=self.kwargs["pk"],
            )
        return self._charter

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["charter"] = self.get_charter()
        context["account"] = self.get_charter().account
        context["service_levels_url"] = services.service_levels_url(self.get_charter().account)
        return context


class CharterCreateView(PermissionMixin, TemplateView):
    """GET: what creating a charter does; POST: create it from the programme template (version 1)."""

    model = Charter
    action = ADD
    template_name = "charters/charter_create.html"

    def get_account(self):
        return get_object_or_404(Account.objects.restrict(self.request.user, VIEW), pk=self.kwargs["pk"])

    def get(self, request, *args, **kwargs):
        account = self.get_account()
        if Charter.objects.filter(account=account).exists():
            return HttpResponseRedirect(tab_url(account.pk))
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["account"] = self.get_account()
        context["template"] = CharterTemplate.current()
        return context

    def post(self, request, *args, **kwargs):
        account = self.get_account()
        try:
            charter = services.create_charter(account, request.user)
        except ValidationError as error:
            messages.info(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                f"Charter created from the programme template (version 1). Make it {charter.account}'s own: "
                "add the client's goals, KPIs and tools, and adjust the sections.",
            )
        return HttpResponseRedirect(tab_url(account.pk))


class CharterEditView(CharterMixin, FormView):
    action = CHANGE
    form_class = CharterForm
    template_name = "charters/charter_form.html"

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["user"] = self.request.user
        kwargs["instance"] = self.get_charter()
        template = CharterTemplate.current()
        kwargs["guidance"] = {s["key"]: s.get("guidance", "") for s in template.sections}
        return kwargs

    def form_valid(self, form):
        charter = self.get_charter()
        before = charter.latest_number
        try:
            charter = services.update_charter(
                charter,
                form.change_data(),
                self.request.user,
                expected_version=form.cleaned_data.get("version"),
                note=form.cleaned_data.get("note", ""),
            )
        except (StaleObject, ValidationError) as error:
            add_validation_errors(form, error)
            return self.form_invalid(form)
        if charter.latest_number == before:
            messages.info(self.request, "Nothing changed, so no new version was made.")
        elif charter.signed_version_id:
            messages.success(
                self.request,
                f"Saved as draft version {charter.latest_number}. Signed version "
                f"{charter.signed_version.number} stays as it was signed until this draft is signed off.",
            )
        else:
            messages.success(self.request, f"Saved as version {charter.latest_number}.")
        return HttpResponseRedirect(tab_url(charter.account_id))


class SignOffView(CharterMixin, FormView):
    """Record that the newest version was signed: our approver is the signed-in user."""

    action = SIGN_OFF
    form_class = SignOffForm
    template_name = "charters/sign_off.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and role_allows(request.user, SIGN_OFF, Charter):
            if not services.may_sign_off(request.user, self.get_charter()):
                raise PermissionDenied(
                    "Only the account's key account manager, the programme lead or an administrator signs off."
                )
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["charter"] = self.get_charter()
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        charter = self.get_charter()
        context["latest"] = charter.versions.select_related("created_by").get(number=charter.latest_number)
        return context

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            version = services.sign_off(
                self.get_charter(),
                self.request.user,
                data["client_signatory_name"],
                data["signed_on"],
                data.get("client_signatory_title", ""),
                expected_version=data.get("version"),
            )
        except (StaleObject, ValidationError) as error:
            add_validation_errors(form, error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            f"Version {version.number} signed on {version.signed_on:%Y-%m-%d} by you and "
            f"{version.client_signatory_name}. It is frozen now; further edits start a new draft.",
        )
        return HttpResponseRedirect(tab_url(version.account_id))


class VersionView(CharterMixin, TemplateView):
    """One version as it reads, with who wrote it, whether and by whom it was signed."""

    template_name = "charters/version_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        charter = self.get_charter()
        version = get_object_or_404(
            charter.versions.select_related("created_by", "approved_by"), number=self.kwargs["number"]
        )
        version.label = version_label(version, charter)
        context["version"] = version
        context["sections"] = rendering.charter_sections(rendering.effective_content(version, charter.account))
        context["previous"] = version.number - 1 if version.number > 1 else None
        return context


class CompareView(CharterMixin, TemplateView):
    """Two versions side by side, section by section, with a summary of what changed."""

    template_name = "charters/compare.html"

    def default_pair(self, charter) -> tuple[int, int]:
        newer = charter.latest_number
        signed = charter.signed_version.number if charter.signed_version_id else None
        older = signed if signed and signed < newer else max(1, newer - 1)
        return older, newer

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        charter = self.get_charter()
        numbers = list(charter.versions.order_by("number").values_list("number", flat=True))
        older, newer = self.default_pair(charter)
        form = CompareForm(self.request.GET or None, numbers=numbers, initial={"a": older, "b": newer})
        if form.is_bound and form.is_valid():
            older, newer = form.cleaned_data["a"], form.cleaned_data["b"]
        if older > newer:
            older, newer = newer, older
        versions = {
            v.number: v
            for v in charter.versions.select_related("created_by", "approved_by").filter(number__in=[older, newer])
        }
        a, b = versions[older], versions[newer]
        for version in (a, b):
            version.label = version_label(version, charter)
        diffs = compare.compare_contents(
            rendering.effective_content(a, charter.account), rendering.effective_content(b, charter.account)
        )
        context.update(form=form, a=a, b=b, diffs=diffs, summary=compare.summary(diffs), same=older == newer)
        context["changed"] = [diff for diff in diffs if diff.changed]
        return context


class ExportView(CharterMixin, View):
    """The DOCX or PDF of a version (?version=n; default the newest)."""

    fmt = "pdf"

    def get(self, request, *args, **kwargs):
        charter = self.get_charter()
        version = export_version(charter, request.GET.get("version"))
        document = rendering.charter_document(charter, version)
        content = documents.to_docx(document) if self.fmt == "docx" else documents.to_pdf(document)
        return file_response(content, self.fmt, rendering.export_filename(charter, version, self.fmt))


def export_version(charter: Charter, number) -> CharterVersion:
    """The version asked for (a whole number), or the newest; 404 when there is no such version."""
    if number in (None, ""):
        number = charter.latest_number
    try:
        number = int(number)
    except (TypeError, ValueError):
        raise Http404("No such version.") from None
    if not 1 <= number <= charter.latest_number:
        raise Http404("No such version.")
    return get_object_or_404(charter.versions.select_related("approved_by", "created_by"), number=number)


def file_response(content: bytes, fmt: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
