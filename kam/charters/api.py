"""Charters over REST: the programme template, every charter you can see, an account's charter (create from the
template, change — every change a version), its versions, two versions compared, sign-off, and the DOCX/PDF of a
version. Every write goes through kam.charters.services; every read and write asks the permission choke point
(`restricted` / `get_restricted`) first.

Two numbers, not to be confused: `version` is the row's version for optimistic concurrency (send it back as If-Match
or `version`); `latest_version` and a version's `number` count the charter's saved versions (1, 2, …)."""

import datetime as dt
from typing import Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field

from kam.accounts.api import Pagination
from kam.accounts.models import Account
from kam.charters import compare, rendering, services
from kam.charters.choices import CollaborationTool, MeetingCadence
from kam.charters.filtersets import CharterFilterSet
from kam.charters.models import SIGN_OFF, Charter, CharterTemplate, CharterVersion
from kam.charters.views import CONTENT_TYPES, export_version, file_response
from kam.core import documents
from kam.core.api import (
    ERRORS,
    WRITE_ERRORS,
    InputSchema,
    api_field_names,
    etag,
    expected_version,
    filtered,
    get_restricted,
    restricted,
)
from kam.core.permissions import ADD, CHANGE, VIEW

router = Router(tags=["charters"])

SectionKey = Literal[
    "overview",
    "responsibilities",
    "deliverables",
    "service_levels",
    "collaboration",
    "value",
    "technology",
    "client_responsibilities",
    "scalability",
    "annual_process",
]
ToolLiteral = Literal[tuple(CollaborationTool.values)]
CadenceLiteral = Literal[("", *MeetingCadence.values)]
MAX_INT = 2**31 - 1


def _section_field(field: str) -> str:
    """The services name a section's text `section_<key>` (as the page's form does); the API says `sections.<key>`."""
    return "sections." + field.removeprefix("section_") if field.startswith("section_") else field


# Schemas ----------------------------------------------------------------------------------------------------------


class CharterAccountRef(Schema):
    id: int
    name: str
    account_number: str


class CharterSectionOut(Schema):
    key: str
    number: int
    title: str
    body: str = Field(description="Markdown; rendered sanitised (raw HTML is shown as text).")


class CharterTemplateSectionOut(CharterSectionOut):
    guidance: str = Field("", description="Guidance for the people who write an account's charter.")


class CharterTemplateOut(Schema):
    sections: list[CharterTemplateSectionOut]
    version: int
    updated_at: dt.datetime | None


class CharterTemplateSectionIn(InputSchema):
    key: SectionKey
    title: str | None = Field(None, min_length=1, max_length=services.MAX_TITLE)
    body: str | None = Field(None, max_length=services.MAX_BODY, description="Markdown.")
    guidance: str | None = Field(None, max_length=services.MAX_GUIDANCE)


class CharterTemplateIn(InputSchema):
    sections: list[CharterTemplateSectionIn] = Field(
        max_length=10, description="The sections that change, each with the parts that change."
    )
    version: int | None = Field(None, description="The template's version you read; or send If-Match.")


class CharterKpiIn(InputSchema):
    name: str = Field(min_length=1, max_length=services.MAX_KPI_TEXT)
    target: str = Field("", max_length=services.MAX_KPI_TEXT)
    measure: str = Field("", max_length=services.MAX_KPI_TEXT, description="How and how often it is measured.")


class CharterKpiOut(Schema):
    name: str
    target: str
    measure: str


class CharterSignedOut(Schema):
    number: int = Field(description="The signed version's number.")
    signed_on: dt.date
    approved_by: str | None = Field(description="Our approver.")
    client_signatory_name: str
    client_signatory_title: str


class CharterDetailOut(Schema):
    id: int
    account: CharterAccountRef
    status: str = Field(description="draft or signed: whether the newest version is signed.")
    latest_version: int = Field(description="The number of the newest version.")
    signed: CharterSignedOut | None = Field(description="The version signed most recently, if any.")
    sections: list[CharterSectionOut]
    client_goals: str
    kpis: list[CharterKpiOut]
    meeting_cadence: str
    communication_preferences: str
    collaboration_tools: list[str]
    other_tools: str
    client_responsibilities: str
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_latest_version(obj):
        return obj.latest_number

    @staticmethod
    def resolve_sections(obj):
        return obj.content()["sections"]

    @staticmethod
    def resolve_signed(obj):
        signed = obj.signed_version
        if signed is None:
            return None
        return {
            "number": signed.number,
            "signed_on": signed.signed_on,
            "approved_by": _name(signed.approved_by),
            "client_signatory_name": signed.client_signatory_name,
            "client_signatory_title": signed.client_signatory_title,
        }


class CharterSectionPatch(InputSchema):
    key: SectionKey
    body: str = Field(max_length=services.MAX_BODY, description="Markdown.")


class CharterPatch(InputSchema):
    sections: list[CharterSectionPatch] | None = Field(None, max_length=10, description="Sections whose text changes.")
    client_goals: str | None = Field(None, max_length=services.MAX_FIELD, description="Markdown.")
    kpis: list[CharterKpiIn] | None = Field(None, max_length=services.MAX_KPIS, description="Replaces the list.")
    meeting_cadence: CadenceLiteral | None = None
    communication_preferences: str | None = Field(None, max_length=services.MAX_FIELD, description="Markdown.")
    collaboration_tools: list[ToolLiteral] | None = Field(None, max_length=10, description="Replaces the list.")
    other_tools: str | None = Field(None, max_length=300)
    client_responsibilities: str | None = Field(None, max_length=services.MAX_FIELD, description="Markdown.")
    note: str = Field("", max_length=services.MAX_NOTE, description="What changed, kept with the new version.")
    version: int | None = Field(None, description="The charter's version you read; or send If-Match.")


class CharterCreateIn(InputSchema):
    note: str = Field("", max_length=services.MAX_NOTE, description="Kept with version 1.")


class CharterVersionSummaryOut(Schema):
    number: int
    status: str = Field(description="draft, signed (the current signed version) or superseded (signed before).")
    note: str
    created_at: dt.datetime
    created_by: str | None
    signed_on: dt.date | None
    signed_at: dt.datetime | None
    approved_by: str | None = Field(description="Our approver.")
    client_signatory_name: str
    client_signatory_title: str


class CharterCommitmentOut(Schema):
    responsibility: str
    commitment: str


class CharterContentOut(Schema):
    sections: list[CharterSectionOut]
    client_goals: str
    kpis: list[CharterKpiOut]
    meeting_cadence: str
    communication_preferences: str
    collaboration_tools: list[str]
    other_tools: str
    client_responsibilities: str
    commitments: list[CharterCommitmentOut] = Field(
        description="Section 4's table: as signed for a signed version, as it is today for a draft."
    )


class CharterVersionOut(CharterVersionSummaryOut):
    content: CharterContentOut


class CharterSignOffIn(InputSchema):
    client_signatory_name: str = Field(min_length=1, max_length=200, description="Who signed for the client.")
    client_signatory_title: str = Field("", max_length=200)
    signed_on: dt.date = Field(description="Today or earlier, not before the version was written.")
    version: int | None = Field(None, description="The charter's version you read; or send If-Match.")


class CharterDiffRowOut(Schema):
    left: str | None
    right: str | None
    kind: str = Field(description="equal, changed, removed (left only) or added (right only)")


class CharterSectionDiffOut(Schema):
    key: str
    number: int
    title: str
    old_title: str
    changed: bool
    added: int
    removed: int
    rows: list[CharterDiffRowOut]


class CharterCompareOut(Schema):
    from_version: int
    to_version: int
    summary: str
    changed_sections: list[str] = Field(description="Keys of the sections that changed.")
    sections: list[CharterSectionDiffOut]


class CharterFilters(Schema):
    q: str | None = Field(None, max_length=200, description="Search account name or number")
    status: Literal["draft", "signed"] | None = None
    signed: bool | None = Field(None, description="Ever signed (a signed version exists).")
    account: int | None = Field(None, ge=1, le=2**63 - 1, description="Account id")


class CharterCompareQuery(Schema):
    from_version: int | None = Field(
        None, ge=1, le=MAX_INT, description="Default: the signed version, or the one before the newest"
    )
    to_version: int | None = Field(None, ge=1, le=MAX_INT, description="Default: the newest")


class CharterExportQuery(Schema):
    version: int | None = Field(None, ge=1, le=MAX_INT, description="Default: the newest")


# Helpers ----------------------------------------------------------------------------------------------------------


def _name(user) -> str | None:
    return user.display_name if user is not None else None


def _version_summary(version: CharterVersion, charter: Charter) -> dict:
    return {
        "number": version.number,
        "status": version.status_in(charter),
        "note": version.note,
        "created_at": version.created_at,
        "created_by": _name(version.created_by),
        "signed_on": version.signed_on,
        "signed_at": version.signed_at,
        "approved_by": _name(version.approved_by),
        "client_signatory_name": version.client_signatory_name,
        "client_signatory_title": version.client_signatory_title,
    }


def _charters(request, action=VIEW):
    return restricted(request, Charter, action).select_related("account", "signed_version__approved_by")


def _charter(request, action, charter_id: int) -> Charter:
    charter = _charters(request, action).filter(pk=charter_id).first()
    if charter is None:
        raise Http404
    return charter


def _reload(charter: Charter) -> Charter:
    return Charter.objects.select_related("account", "signed_version__approved_by").get(pk=charter.pk)


def _version(charter: Charter, number: int) -> CharterVersion:
    version = (
        charter.versions.select_related("created_by", "approved_by").filter(number=number).first()
        if 1 <= number <= MAX_INT
        else None
    )
    if version is None:
        raise Http404
    return version


# The template -----------------------------------------------------------------------------------------------------


def _template_out(template: CharterTemplate) -> dict:
    return {"sections": template.sections, "version": template.version, "updated_at": template.updated_at}


@router.get("/charter-template", response={200: CharterTemplateOut, **ERRORS}, summary="The programme charter template")
def get_template(request, response: HttpResponse):
    restricted(request, CharterTemplate, VIEW)
    template = CharterTemplate.current()
    response["ETag"] = etag(template)
    return _template_out(template)


@router.put(
    "/charter-template",
    response={200: CharterTemplateOut, **WRITE_ERRORS},
    summary="Change sections of the template (programme lead, administrator; If-Match or version required); "
    "existing charters keep their text",
)
def update_template(request, payload: CharterTemplateIn, response: HttpResponse):
    restricted(request, CharterTemplate, CHANGE)
    version = expected_version(request, payload.version)
    changes = {}
    for section in payload.sections:
        changes.setdefault(section.key, {}).update(
            {part: value for part, value in section.dict(exclude={"key"}).items() if value is not None}
        )
    try:
        template = services.update_template(changes, expected_version=version)
    except ValidationError as error:
        if not hasattr(error, "error_dict"):
            raise
        raise ValidationError({f"sections.{k}": v for k, v in error.message_dict.items()}) from None
    response["ETag"] = etag(template)
    return _template_out(template)


# Charters ---------------------------------------------------------------------------------------------------------


@router.get(
    "/charters", response={200: list[CharterDetailOut], **ERRORS}, summary="The charters of the accounts you see"
)
@paginate(Pagination)
def list_charters(request, filters: Query[CharterFilters]):
    return filtered(request, CharterFilterSet, _charters(request), filters)


@router.get(
    "/accounts/{account_id}/charter",
    response={200: CharterDetailOut, **ERRORS},
    summary="The account's charter (404 when it has none yet)",
)
def get_account_charter(request, account_id: int, response: HttpResponse):
    account = get_restricted(request, Account, VIEW, account_id)
    charter = _charters(request).filter(account=account).first()
    if charter is None:
        raise Http404
    response["ETag"] = etag(charter)
    return charter


@router.post(
    "/accounts/{account_id}/charter",
    response={201: CharterDetailOut, **WRITE_ERRORS},
    summary="Create the account's charter from the programme template (version 1); 409 when it has one",
)
def create_charter(request, account_id: int, response: HttpResponse, payload: CharterCreateIn | None = None):
    restricted(request, Charter, ADD)
    account = get_restricted(request, Account, VIEW, account_id)
    if Charter.objects.filter(account=account).exists():
        return Status(409, {"detail": f"{account} has a charter already: change it with PATCH.", "errors": []})
    charter = services.create_charter(account, request.user, payload.note if payload else "")
    response["ETag"] = etag(charter)
    return Status(201, _reload(charter))


@router.get("/charters/{charter_id}", response={200: CharterDetailOut, **ERRORS}, summary="One charter")
def get_charter(request, charter_id: int, response: HttpResponse):
    charter = _charter(request, VIEW, charter_id)
    response["ETag"] = etag(charter)
    return charter


@router.patch(
    "/charters/{charter_id}",
    response={200: CharterDetailOut, **WRITE_ERRORS},
    summary="Change the charter (If-Match or version required): the change is saved as the next version; a change "
    "that changes nothing makes none. A signed version stays as signed: this starts a new draft",
)
def update_charter(request, charter_id: int, payload: CharterPatch, response: HttpResponse):
    charter = _charter(request, CHANGE, charter_id)
    data = payload.dict(exclude_unset=True)
    version = expected_version(request, data.pop("version", None))
    note = data.pop("note", "")
    for name in ("client_goals", "communication_preferences", "other_tools", "client_responsibilities"):
        if name in data and data[name] is None:
            data[name] = ""
    for name in ("kpis", "collaboration_tools", "sections"):
        if name in data and data[name] is None:
            data.pop(name)
    if "sections" in data:
        data["sections"] = {section["key"]: section["body"] for section in data["sections"]}
    if "meeting_cadence" in data and data["meeting_cadence"] is None:
        data["meeting_cadence"] = ""
    with api_field_names(_section_field):
        charter = services.update_charter(charter, data, request.user, expected_version=version, note=note)
    charter = _reload(charter)
    response["ETag"] = etag(charter)
    return charter


# Versions ---------------------------------------------------------------------------------------------------------


@router.get(
    "/charters/{charter_id}/versions",
    response={200: list[CharterVersionSummaryOut], **ERRORS},
    summary="The charter's versions, newest first",
)
@paginate(Pagination)
def list_versions(request, charter_id: int):
    charter = _charter(request, VIEW, charter_id)
    restricted(request, CharterVersion, VIEW)
    versions = charter.versions.select_related("created_by", "approved_by").order_by("-number")
    return [_version_summary(version, charter) for version in versions]


@router.get(
    "/charters/{charter_id}/versions/{number}",
    response={200: CharterVersionOut, **ERRORS},
    summary="One version with its full content",
)
def get_version(request, charter_id: int, number: int):
    charter = _charter(request, VIEW, charter_id)
    restricted(request, CharterVersion, VIEW)
    version = _version(charter, number)
    content = rendering.effective_content(version, charter.account)
    content["commitments"] = [{"responsibility": r, "commitment": c} for r, c in content["commitments"]]
    return {**_version_summary(version, charter), "content": content}


@router.get(
    "/charters/{charter_id}/compare",
    response={200: CharterCompareOut, **ERRORS},
    summary="Two versions side by side, section by section",
)
def compare_versions(request, charter_id: int, query: Query[CharterCompareQuery]):
    charter = _charter(request, VIEW, charter_id)
    newer = query.to_version or charter.latest_number
    signed = charter.signed_version.number if charter.signed_version_id else None
    older = query.from_version or (signed if signed and signed < newer else max(1, newer - 1))
    a, b = _version(charter, older), _version(charter, newer)
    diffs = compare.compare_contents(
        rendering.effective_content(a, charter.account), rendering.effective_content(b, charter.account)
    )
    return {
        "from_version": a.number,
        "to_version": b.number,
        "summary": compare.summary(diffs),
        "changed_sections": [diff.key for diff in diffs if diff.changed],
        "sections": [
            {
                "key": diff.key,
                "number": diff.number,
                "title": diff.title,
                "old_title": diff.old_title,
                "changed": diff.changed,
                "added": diff.added,
                "removed": diff.removed,
                "rows": [{"left": r.left, "right": r.right, "kind": r.kind} for r in diff.rows],
            }
            for diff in diffs
        ],
    }


@router.post(
    "/charters/{charter_id}/sign-off",
    response={200: CharterVersionSummaryOut, **WRITE_ERRORS},
    summary="Sign off the newest version (you are our approver: the account's key account manager, the programme "
    "lead or an administrator; If-Match or version required). The version is frozen from then on",
)
def sign_off(request, charter_id: int, payload: CharterSignOffIn, response: HttpResponse):
    charter = _charter(request, SIGN_OFF, charter_id)
    version = expected_version(request, payload.version)
    if not services.may_sign_off(request.user, charter):
        raise PermissionDenied(
            "Only the account's key account manager, the programme lead or an administrator signs off."
        )
    signed = services.sign_off(
        charter,
        request.user,
        payload.client_signatory_name,
        payload.signed_on,
        payload.client_signatory_title,
        expected_version=version,
    )
    charter = _reload(charter)
    response["ETag"] = etag(charter)
    signed = CharterVersion.objects.select_related("created_by", "approved_by").get(pk=signed.pk)
    return _version_summary(signed, charter)


# Exports ----------------------------------------------------------------------------------------------------------


def _export(request, charter_id: int, query: CharterExportQuery, fmt: str) -> HttpResponse:
    charter = _charter(request, VIEW, charter_id)
    version = export_version(charter, query.version)
    document = rendering.charter_document(charter, version)
    content = documents.to_docx(document) if fmt == "docx" else documents.to_pdf(document)
    return file_response(content, fmt, rendering.export_filename(charter, version, fmt))


def _file_schema(fmt: str) -> dict:
    return {
        "responses": {
            200: {
                "description": f"The charter as {fmt.upper()}",
                "content": {CONTENT_TYPES[fmt]: {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    }


@router.get(
    "/charters/{charter_id}/export.docx",
    response={**ERRORS},
    summary="A version of the charter as a Word document (?version=n; default the newest)",
    openapi_extra=_file_schema("docx"),
)
def export_docx(request, charter_id: int, query: Query[CharterExportQuery]):
    return _export(request, charter_id, query, "docx")


@router.get(
    "/charters/{charter_id}/export.pdf",
    response={**ERRORS},
    summary="A version of the charter as PDF (?version=n; default the newest)",
    openapi_extra=_file_schema("pdf"),
)
def export_pdf(request, charter_id: int, query: Query[CharterExportQuery]):
    return _export(request, charter_id, query, "pdf")


__all__ = ["router"]
