"""A charter version as its reader sees it — on the account page, in the comparison, in the DOCX and the PDF. One
function (`charter_sections`) decides what each section shows: the section's text, then the structured fields that
belong to it, and in section 4 the account's commitments; the page and both exports render that same list.

A signed version shows the commitments and the account as they were signed (frozen in its content); a draft shows
them as they are now."""

from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from kam.charters import services
from kam.charters.choices import CollaborationTool, MeetingCadence, VersionStatus
from kam.charters.models import Charter, CharterVersion
from kam.core import documents as d

KIND_LABEL = "Key account management charter"


@dataclass
class SectionView:
    key: str
    number: int
    title: str
    body: str  # Markdown
    extras: list = field(default_factory=list)  # document blocks for the fields and tables of this section

    @property
    def heading(self) -> str:
        return f"{self.number}. {self.title}"

    @property
    def body_html(self) -> SafeString:
        return mark_safe(d.markdown_to_html(self.body))  # noqa: S308 - sanitised by nh3, raw HTML escaped

    @property
    def extras_html(self) -> SafeString:
        return d.to_html(self.extras)

    def blocks(self) -> list:
        return [*d.from_markdown(self.body), *self.extras]


def effective_content(version: CharterVersion, account=None) -> dict:
    """The version's content with the commitments and the account: as signed, or (a draft) as they are now."""
    content = dict(version.content)
    account = account or version.charter.account
    if not version.is_signed or "commitments" not in content:
        content["commitments"] = [list(row) for row in services.commitment_table(account)]
    if not version.is_signed or "account" not in content:
        content["account"] = services.account_snapshot(account)
    return content


def charter_sections(content: dict) -> list[SectionView]:
    """The ten sections of a charter's content, each with what belongs to it."""
    account_name = content.get("account", {}).get("name") or "the client"
    views = []
    for section in content.get("sections", []):
        view = SectionView(section["key"], section["number"], section["title"], section.get("body", ""))
        view.extras = _extras(section["key"], content, account_name)
        views.append(view)
    return views


def _extras(key: str, content: dict, account_name: str) -> list:
    blocks = []
    if key == "overview":
        if content.get("client_goals"):
            blocks.append(d.Heading([d.Span(f"Goals of {account_name}")], level=2))
            blocks.extend(d.from_markdown(content["client_goals"]))
        if content.get("kpis"):
            blocks.append(d.Heading([d.Span("Key performance indicators")], level=2))
            blocks.append(
                d.Table.of(
                    ["KPI", "Target", "How it is measured"],
                    [[k.get("name", ""), k.get("target", ""), k.get("measure", "")] for k in content["kpis"]],
                    widths=[2, 1.5, 2],
                )
            )
    elif key == "service_levels":
        rows = content.get("commitments") or []
        if rows:
            blocks.append(d.Table.of(["KAM responsibility", "Commitment"], rows, widths=[1, 1.6]))
        else:
            blocks.append(d.Note([d.Span("No service-level commitments are recorded for this account yet.")]))
    elif key == "collaboration":
        cadence = content.get("meeting_cadence")
        preferences = content.get("communication_preferences")
        if cadence or preferences:
            blocks.append(d.Heading([d.Span(f"Agreed with {account_name}")], level=2))
        if cadence:
            label = MeetingCadence(cadence).label if cadence in MeetingCadence.values else cadence
            blocks.append(d.Paragraph([d.Span("Meeting rhythm: ", bold=True), d.Span(label)]))
        if preferences:
            blocks.extend(d.from_markdown(preferences))
    elif key == "technology":
        labels = dict(CollaborationTool.choices)
        tools = [labels.get(t, t) for t in content.get("collaboration_tools") or [] if t != CollaborationTool.OTHER]
        other = (content.get("other_tools") or "").strip()
        if other or CollaborationTool.OTHER in (content.get("collaboration_tools") or []):
            tools.append(other or labels[CollaborationTool.OTHER])
        if tools:
            blocks.append(d.Heading([d.Span(f"Tools we use with {account_name}")], level=2))
            blocks.append(d.ListBlock([d.ListItem([d.Span(tool)]) for tool in tools]))
    elif key == "client_responsibilities" and content.get("client_responsibilities"):
        blocks.append(d.Heading([d.Span(f"Agreed with {account_name}")], level=2))
        blocks.extend(d.from_markdown(content["client_responsibilities"]))
    return blocks


def section_lines(view: SectionView) -> list[str]:
    """A section as lines of text, for comparing versions: the title, the Markdown as written, then the fields."""
    lines = [line.rstrip() for line in view.body.splitlines()]
    extra = d.blocks_text(view.extras)
    if extra:
        lines += ["", *extra.splitlines()]
    return lines


# Documents --------------------------------------------------------------------------------------------------------


def charter_document(charter: Charter, version: CharterVersion) -> d.Document:
    """The version as a document to send to the client: title block, the ten sections, and the sign-off."""
    content = effective_content(version, charter.account)
    account = content["account"]
    status = version.status_in(charter)
    signed = version.is_signed
    metadata = [
        ("Client", account["name"]),
        ("Account number", account["account_number"]),
        ("Key account manager", account.get("key_account_manager") or "—"),
        ("Version", f"{version.number} of {charter.latest_number}, {timezone.localdate(version.created_at):%Y-%m-%d}"),
        ("Status", VersionStatus(status).label + (f", signed on {version.signed_on:%Y-%m-%d}" if signed else "")),
    ]
    if version.note:
        metadata.append(("Changes in this version", version.note))
    sections = [d.Section(view.title, view.blocks(), number=str(view.number)) for view in charter_sections(content)]
    sections.append(d.Section("Sign-off", _signoff_blocks(version, account["name"])))
    return d.Document(
        title=account["name"],
        kicker=KIND_LABEL,
        subtitle=f"Charter, version {version.number}",
        status=VersionStatus(status).label,
        metadata=metadata,
        sections=sections,
        header=f"{KIND_LABEL} · {account['account_number']} · version {version.number}",
        footer="Confidential — prepared for " + account["name"],
    )


def _signoff_blocks(version: CharterVersion, client_name: str) -> list:
    if version.is_signed:
        approver = version.approved_by.display_name if version.approved_by else "—"
        signatory = version.client_signatory_name + (
            f", {version.client_signatory_title}" if version.client_signatory_title else ""
        )
        date = f"{version.signed_on:%Y-%m-%d}"
        return [
            d.Paragraph([d.Span(f"Version {version.number} of this charter was agreed and signed by:")]),
            d.Table.of(
                ["Role", "Name", "Date"],
                [["Our approver", approver, date], [f"Client signatory, {client_name}", signatory, date]],
                widths=[1.4, 2, 1],
            ),
        ]
    return [
        d.Note([d.Span("Draft: this version has not been signed yet.", bold=True)]),
        d.Table.of(
            ["Role", "Name and title", "Date", "Signature"],
            [["Our approver", "", "", ""], [f"Client signatory, {client_name}", "", "", ""]],
            widths=[1.2, 2, 1, 1.6],
        ),
    ]


def export_filename(charter: Charter, version: CharterVersion, extension: str) -> str:
    """charter-<account number>-v<n>.<ext>, with the account number reduced to safe characters."""
    import re

    number = re.sub(r"[^A-Za-z0-9._-]+", "-", charter.account.account_number).strip("-.") or str(charter.account_id)
    return f"charter-{number[:60]}-v{version.number}.{extension}"
