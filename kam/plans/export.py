"""A strategic account plan version as a document an executive reads: PDF (typst) and DOCX, through kam.core.documents.

The layout, in order:

- the title block: the plan's title, the account (name and number), the plan year, the version (number, status, who
  approved it and when), the horizon (start–end year) and the date the document was generated;
- 1. Executive summary: the quality score (kam.plans.quality) and its open findings, the objectives, the KPIs on and
  off track, the open actions (and how many are overdue), the risks by level, the open and the weighted pipeline
  (EUR), the won whitespace;
- 2. Situation, 3. SWOT analysis (strengths, weaknesses, opportunities, threats), 4. Competitors, 5. Value proposition
  — the version's Markdown, "Not written yet." where empty; the value proposition ends with the total-cost-of-ownership
  comparison when the version has TCO lines;
- 6. Objectives and KPIs: the client's goals, then ours, each with its SMART fields and a KPI table (baseline, target
  and actual per period);
- 7. Actions, 8. Risks (table by score, then the 5 × 5 heat map), 9. Opportunities (table, then the pipeline by
  stage), 10. Whitespace (the matrix in tables of at most WHITESPACE_COLUMNS offerings, then the totals per row).

The figures are the plan page's, from kam.plans.summaries (KPIs, risk levels, heat map, TCO, and how each figure is
shown) and kam.plans.pipeline (opportunities in EUR at the rate of the latest month with facts; an opportunity whose
rate is missing is named and left out of the totals): money rounded to cents half-up only for display, with thousands
separators; a computed percentage is the one-decimal rounding of its six-decimal §10 figure, as on the page.

A KPI is on track when its actual for the plan's year meets that year's target (at least the target when higher is
better, at most when lower is better), off track when it does not, and not measured when either is missing.
"""

import datetime as dt
import re
from collections import defaultdict
from decimal import Decimal

from django.utils import timezone

from kam.core import documents as d
from kam.plans import pipeline as pipelines
from kam.plans import quality, whitespace
from kam.plans.choices import (
    CLOSED_STAGES,
    OPEN_ACTION_STATUSES,
    CellStatus,
    KPISource,
    ObjectiveSide,
    RiskStatus,
    TCOCostKind,
    VersionStatus,
)
from kam.plans.models import Action, Objective, Opportunity, PlanVersion, Risk, TCOLine
from kam.plans.summaries import (
    DASH,
    HIGH_RISK,
    MEDIUM_RISK,
    goal_achievement,
    heat_map,
    kpi_rows,
    kpi_unit,
    money,
    percent,
    risk_level,
    tco_summary,
)

KIND_LABEL = "Strategic account plan"
NOT_WRITTEN = "Not written yet."
CONTENT_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}
HUNDRED = Decimal(100)
WHITESPACE_COLUMNS = 6  # offerings per whitespace table: more would not fit an A4 page readably
HEAT_MAP_TITLES = 3  # titles named in a heat-map cell; more are counted only
SHORT_TITLE = 28
SWOT = (
    ("swot_strengths", "Strengths"),
    ("swot_weaknesses", "Weaknesses"),
    ("swot_opportunities", "Opportunities"),
    ("swot_threats", "Threats"),
)


# Formatting ------------------------------------------------------------------------------------------------------


def day(value) -> str:
    return f"{value:%Y-%m-%d}" if value else DASH


def shorten(text: str, limit: int = SHORT_TITLE) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def person(user) -> str:
    return user.display_name if user else DASH


RISK_TONES = {"high": "bad", "medium": "warn", "low": "good"}


def markdown_or_placeholder(text: str) -> list:
    blocks = d.from_markdown(text) if (text or "").strip() else []
    return blocks or [d.Paragraph([d.Span(NOT_WRITTEN, italic=True)], style="small")]


def label_value(label: str, value: str) -> d.Paragraph:
    return d.Paragraph([d.Span(f"{label}: ", bold=True), d.Span(value)])


# The document ----------------------------------------------------------------------------------------------------


def status_line(version: PlanVersion) -> str:
    label = VersionStatus(version.status).label
    if version.status in (VersionStatus.APPROVED, VersionStatus.SUPERSEDED) and version.approved_at:
        approved_on = timezone.localdate(version.approved_at)
        return f"{label}: approved by {person(version.approved_by)} on {approved_on:%Y-%m-%d}"
    if version.status == VersionStatus.IN_REVIEW and version.submitted_at:
        return f"{label} since {timezone.localdate(version.submitted_at):%Y-%m-%d}"
    return label


def plan_document(version: PlanVersion, user, *, today: dt.date | None = None) -> d.Document:
    """The version as a document (see the module's docstring for its layout). `user`: whose view of the whitespace
    matrix (rows limited to the accounts they see)."""
    today = today or timezone.localdate()
    plan = version.plan
    account = version.account
    objectives = list(Objective.objects.filter(plan_version=version).select_related("linked_objective").order_by("pk"))
    kpis_of = kpi_rows(version, today)  # objective id → its KPIs, each with its target rows
    actions = list(
        Action.objects.filter(plan_version=version).select_related("owner", "objective").order_by("due_date", "pk")
    )
    risks = sorted(Risk.objects.filter(plan_version=version).select_related("owner"), key=lambda r: (-r.score, r.pk))
    opportunities = list(Opportunity.objects.filter(plan_version=version).order_by("pk"))
    tco_lines = list(TCOLine.objects.filter(plan_version=version).order_by("pk"))
    matrix = whitespace.build_matrix(account, user, version=version)
    report = quality.evaluate(version, today)
    pipeline = pipelines.summarise(opportunities)
    kpis = [kpi for objective_kpis in kpis_of.values() for kpi in objective_kpis]

    summary = _summary(version, report, objectives, kpis, actions, risks, opportunities, pipeline, matrix, today)
    sections = [
        d.Section("Executive summary", summary),
        d.Section("Situation", markdown_or_placeholder(version.situation)),
        d.Section("SWOT analysis", _swot(version)),
        d.Section("Competitors", markdown_or_placeholder(version.competitors)),
        d.Section("Value proposition", markdown_or_placeholder(version.value_proposition) + _tco(version, tco_lines)),
        d.Section("Objectives and KPIs", _objectives(objectives, kpis_of)),
        d.Section("Actions", _actions(actions, today)),
        d.Section("Risks", _risks(risks)),
        d.Section("Opportunities", _opportunities(opportunities, pipeline)),
        d.Section("Whitespace", _whitespace(matrix)),
        d.Section("Organisation map", _org_map(account, user)),
    ]
    for index, section in enumerate(sections, start=1):
        section.number = str(index)
    metadata = [
        ("Account", f"{account.name} ({account.account_number})"),
        ("Plan year", str(version.year)),
        ("Version", f"{version.number}, {status_line(version)}"),
        ("Horizon", f"{plan.start_year}–{plan.end_year}"),
        ("Generated", f"{today:%Y-%m-%d}"),
    ]
    return d.Document(
        title=plan.title,
        kicker=KIND_LABEL,
        subtitle=f"{account.name} · {version.year}",
        status=VersionStatus(version.status).label,
        metadata=metadata,
        sections=sections,
        header=f"{KIND_LABEL} · {account.account_number} · {version.year}, version {version.number}",
        footer=f"Confidential — {account.name}",
    )


def _summary(version, report, objectives, kpis, actions, risks, opportunities, pipeline, matrix, today):
    client_goals = sum(1 for o in objectives if o.side == ObjectiveSide.CLIENT)
    tracked = defaultdict(int)
    for kpi in kpis:
        this_year = [row for row in kpi.target_rows if row["target"].period == version.year]
        state = this_year[0]["met"] if this_year else None
        tracked[{True: "on", False: "off", None: "unmeasured"}[state]] += 1
    open_actions = [a for a in actions if a.status in OPEN_ACTION_STATUSES]
    overdue = sum(1 for a in open_actions if a.due_date is not None and a.due_date < today)
    levels = defaultdict(int)
    for risk in risks:
        if risk.status != RiskStatus.CLOSED:
            levels[risk_level(risk.score)] += 1
    rows = [
        ["Plan quality", f"{report.score} / 100 ({len(report.findings)} open findings)"],
        ["Objectives", f"{len(objectives)} ({client_goals} of the client, {len(objectives) - client_goals} ours)"],
        [f"Our goals achieved in {version.year}", _goal_achievement(objectives)],
        [
            f"KPIs for {version.year}",
            f"{tracked['on']} on track, {tracked['off']} off track, {tracked['unmeasured']} not measured yet",
        ],
        ["Open actions", f"{len(open_actions)} ({overdue} overdue)"],
        [
            "Risks open or mitigated",
            f"{levels['high']} high, {levels['medium']} medium, {levels['low']} low",
        ],
        ["Open pipeline", money(pipeline.open_value, "EUR")],
        ["Weighted pipeline", money(pipeline.open_weighted, "EUR")],
        ["Won whitespace", money(matrix.total.won, "EUR") + " a year"],
    ]
    blocks = [d.Table.of(["Measure", "Value"], rows, widths=[1, 2])]
    if pipeline.missing:
        blocks.append(_missing_rates(pipeline))
    if report.findings:
        blocks.append(d.Heading([d.Span("Open findings")], level=3))
        blocks.append(d.ListBlock([d.ListItem([d.Span(f.message)]) for f in report.findings]))
    return blocks


def _goal_achievement(objectives) -> str:
    achieved, evaluated, share = goal_achievement(objectives)
    if not evaluated:
        return "None evaluated yet"
    return f"{achieved} of {evaluated} evaluated ({percent(share)})"


def _missing_rates(pipeline) -> d.Note:
    names = "; ".join(f"“{o.title}” ({o.currency}): {reason}" for o, reason in pipeline.missing)
    return d.Note([d.Span("Left out of the pipeline totals, no exchange rate: ", bold=True), d.Span(names)])


def _swot(version) -> list:
    blocks = []
    for name, title in SWOT:
        blocks.append(d.Heading([d.Span(title)], level=2))
        blocks.extend(markdown_or_placeholder(getattr(version, name)))
    return blocks


def _tco(version, lines) -> list:
    tco = tco_summary(version, lines)
    if tco is None:
        return []
    years = version.tco_years
    rows = [
        [
            line.item,
            TCOCostKind(line.cost_kind).label,
            "Indirect" if line.indirect else "Direct",
            money(line.alternative_total),
            money(line.our_total),
        ]
        for line in lines
    ]
    rows.append([d.Span("Total", bold=True), "", "", money(tco["alternative"]), money(tco["ours"])])
    rows.append([d.Span("Saving", bold=True), "", "", money(tco["saving"], "EUR"), percent(tco["saving_percent"])])
    alternative_name = version.tco_alternative or "The alternative"
    return [
        d.Heading([d.Span(f"Total cost of ownership over {years} years: {alternative_name} vs our offer")], level=2),
        d.Table.of(
            ["Cost item", "Annual / one-off", "Direct / indirect", alternative_name, "With us"],
            rows,
            widths=[2.2, 1.1, 1.1, 1.4, 1.4],
        ),
        d.Paragraph(
            [d.Span(f"Annual costs count {years} times, one-off costs once. Saving: the alternative minus ours.")],
            style="small",
        ),
    ]


def _objectives(objectives, kpis_of) -> list:
    if not objectives:
        return [d.Paragraph([d.Span("No objectives yet.", italic=True)], style="small")]
    blocks = []
    for side, heading in ((ObjectiveSide.CLIENT, "The client's goals"), (ObjectiveSide.OURS, "Our goals")):
        chosen = [o for o in objectives if o.side == side]
        blocks.append(d.Heading([d.Span(heading)], level=2))
        if not chosen:
            blocks.append(d.Paragraph([d.Span("None yet.", italic=True)], style="small"))
        for objective in chosen:
            blocks.extend(_objective(objective, kpis_of.get(objective.pk, [])))
    return blocks


def _objective(objective, kpis) -> list:
    achieved = {True: "Reached", False: "Missed", None: "Not evaluated yet"}[objective.achieved]
    details = [
        ["Specific", objective.specific or DASH],
        ["Measurable", objective.measurable or DASH],
        ["Achievable", objective.achievable or DASH],
        ["Relevant", objective.relevant or DASH],
        ["Time-bound", objective.time_bound or DASH],
        ["Due", day(objective.due_date)],
        ["Outcome", achieved],
    ]
    if objective.linked_objective_id:
        details.insert(0, ["Serves the client goal", objective.linked_objective.title])
    blocks = [
        d.Heading([d.Span(objective.title)], level=3),
        d.Table.of(["SMART", ""], details, widths=[1, 3]),
    ]
    if not kpis:
        blocks.append(d.Paragraph([d.Span("No KPI measures this objective yet.", italic=True)], style="small"))
        return blocks
    rows = []
    for kpi in kpis:
        computed = kpi.source == KPISource.COMPUTED
        first = [kpi.metric, kpi_unit(kpi), kpi.baseline_display]
        if not kpi.target_rows:
            rows.append([*first, DASH, "No target", DASH, DASH])
        for index, row in enumerate(kpi.target_rows):
            lead = first if index == 0 else ["", "", ""]
            shown = row["actual_display"] + (" (computed)" if computed else "")
            status = {True: "On track", False: "Off track", None: DASH}[row["met"]]
            rows.append([*lead, str(row["target"].period), row["target_display"], shown, status])
    blocks.append(
        d.Table.of(
            ["KPI", "Unit", "Baseline", "Period", "Target", "Actual", "Status"],
            rows,
            widths=[2, 0.7, 1.1, 0.7, 1.2, 1.6, 0.9],
        )
    )
    return blocks


def _actions(actions, today) -> list:
    if not actions:
        return [d.Paragraph([d.Span("No actions yet.", italic=True)], style="small")]
    rows, tones = [], []
    for action in actions:
        overdue = action.status in OPEN_ACTION_STATUSES and action.due_date is not None and action.due_date < today
        status = [d.Span(action.get_status_display())]
        if overdue:
            status.append(d.Span(" OVERDUE", bold=True))
        rows.append(
            [
                action.title,
                person(action.owner),
                day(action.due_date),
                status,
                action.objective.title if action.objective_id else DASH,
            ]
        )
        tones.append(["", "", "bad" if overdue else "", "", ""])
    return [
        d.Table.of(["Action", "Owner", "Due", "Status", "Objective"], rows, widths=[2.4, 1.3, 1, 1.2, 2], tones=tones)
    ]


def _risks(risks) -> list:
    if not risks:
        return [d.Paragraph([d.Span("No risks recorded yet.", italic=True)], style="small")]
    rows, tones = [], []
    for risk in risks:
        level = risk_level(risk.score)
        rows.append(
            [
                risk.title,
                risk.get_category_display(),
                f"{risk.likelihood} × {risk.impact} = {risk.score}",
                level.capitalize(),
                risk.get_status_display(),
                person(risk.owner),
                risk.mitigation or DASH,
            ]
        )
        tones.append(["", "", "", RISK_TONES[level], "", "", ""])
    return [
        d.Table.of(
            ["Risk", "Category", "L × I", "Level", "Status", "Owner", "Mitigation"],
            rows,
            widths=[2, 1.1, 1, 0.8, 0.9, 1.2, 2.4],
            tones=tones,
        ),
        d.Heading([d.Span("Heat map")], level=2),
        *_heat_map(risks),
    ]


def _heat_map(risks) -> list:
    """Likelihood (rows, 5 at the top) × impact (columns): the open and mitigated risks in each cell."""
    rows, tones = [], []
    for grid_row in heat_map(risks):
        row, tone_row = [[d.Span(f"Likelihood {grid_row['likelihood']}", bold=True)]], [""]
        for grid_cell in grid_row["cells"]:
            found = grid_cell["risks"]
            cell = []
            if found:
                cell.append(d.Span(f"{len(found)} {'risk' if len(found) == 1 else 'risks'}", bold=True))
                names = [shorten(r.title) for r in found[:HEAT_MAP_TITLES]]
                if len(found) > HEAT_MAP_TITLES:
                    names.append(f"+{len(found) - HEAT_MAP_TITLES} more")
                cell.append(d.Span("\n" + "; ".join(names)))
            row.append(cell)
            tone_row.append(RISK_TONES[grid_cell["level"]])
        rows.append(row)
        tones.append(tone_row)
    return [
        d.Table.of(
            ["", *(f"Impact {impact}" for impact in range(1, 6))], rows, widths=[1.1, 1, 1, 1, 1, 1], tones=tones
        ),
        d.Paragraph(
            [
                d.Span(
                    f"Open and mitigated risks. Red: high (score {HIGH_RISK} or more); amber: medium "
                    f"({MEDIUM_RISK}–{HIGH_RISK - 1}); green: low."
                )
            ],
            style="small",
        ),
    ]


def _opportunities(opportunities, pipeline) -> list:
    if not opportunities:
        return [d.Paragraph([d.Span("No opportunities yet.", italic=True)], style="small")]
    rows = []
    for o in opportunities:
        weighted = pipeline.weighted_eur.get(o.pk)
        rows.append(
            [
                o.title,
                o.get_kind_display(),
                o.offering or DASH,
                o.business_unit or DASH,
                o.get_stage_display(),
                money(o.value, o.currency),
                f"{o.probability} %",
                money(weighted, "EUR") if weighted is not None else "no rate",
                day(o.expected_close),
                o.next_step or DASH,
            ]
        )
    blocks = [
        d.Table.of(
            [
                "Opportunity",
                "Kind",
                "Offering",
                "Business unit",
                "Stage",
                "Value",
                "Prob.",
                "Weighted",
                "Close",
                "Next step",
            ],
            rows,
            widths=[1.6, 1, 1.2, 1.2, 1, 1.4, 0.6, 1.4, 1, 1.6],
        ),
        d.Heading([d.Span("Pipeline by stage (EUR)")], level=2),
    ]
    by_stage = []
    for line in pipeline.stages:  # in stage order
        chosen = [o for o in opportunities if o.stage == line.stage]
        if chosen:
            by_stage.append([line.label, _count(chosen, pipeline), money(line.value), money(line.weighted)])
    open_ones = [o for o in opportunities if o.stage not in CLOSED_STAGES]
    open_count = _count(open_ones, pipeline)
    open_value, open_weighted = money(pipeline.open_value), money(pipeline.open_weighted)
    by_stage.append([d.Span("Open pipeline", bold=True), open_count, open_value, open_weighted])
    blocks.append(d.Table.of(["Stage", "Opportunities", "Value", "Weighted"], by_stage, widths=[1.6, 1, 1.4, 1.4]))
    if pipeline.missing:
        blocks.append(_missing_rates(pipeline))
    return blocks


def _count(opportunities, pipeline) -> str:
    """How many, and how many of them the totals leave out for want of a rate."""
    unrated = sum(1 for o in opportunities if pipeline.eur.get(o.pk) is None)
    return f"{len(opportunities)} ({unrated} without a rate)" if unrated else str(len(opportunities))


def _cell_text(cell) -> str:
    if cell is None or (cell.status == CellStatus.NONE and cell.annual_value is None):
        return DASH
    label = CellStatus(cell.status).label
    if cell.status == CellStatus.COMPETITOR and cell.competitor:
        label += f" ({cell.competitor})"
    return f"{label}\n{money(cell.annual_value)}" if cell.annual_value is not None else label


def _row_label(row) -> str:
    # Non-breaking spaces: an indent typst and Word keep at the start of a cell.
    return "\u00a0\u00a0\u00a0" * row.depth + row.label


def _captured(totals) -> str:
    mapped = totals.mapped
    return percent(HUNDRED * totals.won / mapped) if mapped > 0 else DASH


def _whitespace(matrix) -> list:
    if not matrix.rows:
        return [d.Paragraph([d.Span("No part of the client is visible to you.", italic=True)], style="small")]
    if not matrix.offerings:
        return [d.Paragraph([d.Span("No offerings are defined yet.", italic=True)], style="small")]
    blocks = [
        d.Paragraph(
            [d.Span("Annual values in EUR. An account's row includes its business units; subsidiaries are indented.")],
            style="small",
        )
    ]
    chunks = [
        matrix.offerings[start : start + WHITESPACE_COLUMNS]
        for start in range(0, len(matrix.offerings), WHITESPACE_COLUMNS)
    ]
    for index, offerings in enumerate(chunks, start=1):
        if len(chunks) > 1:
            blocks.append(d.Heading([d.Span(f"Offerings, part {index} of {len(chunks)}")], level=3))
        rows, tones = [], []
        for row in matrix.rows:
            cells = [row.cells.get(offering.pk) for offering in offerings]
            rows.append([_row_label(row), *(_cell_text(cell) for cell in cells)])
            tones.append(["muted" if row.business_unit is None else "", *(_cell_tone(cell) for cell in cells)])
        blocks.append(
            d.Table.of(
                ["Part of the client", *(offering.name for offering in offerings)],
                rows,
                widths=[1.8, *([1] * len(offerings))],
                tones=tones,
            )
        )
    blocks.append(d.Heading([d.Span("Totals per part of the client (EUR a year)")], level=3))
    rows = [
        [_row_label(row), money(row.own.won), money(row.own.open), money(row.own.competitor), _captured(row.own)]
        for row in matrix.rows
    ]
    total = matrix.total
    rows.append(
        [
            d.Span("Whole account", bold=True),
            money(total.won),
            money(total.open),
            money(total.competitor),
            _captured(total),
        ]
    )
    blocks.append(
        d.Table.of(
            ["Part of the client", "Won", "Open", "Competitor-held", "Captured"], rows, widths=[2, 1.2, 1.2, 1.2, 0.9]
        )
    )
    return blocks


CELL_TONES = {CellStatus.WON: "good", CellStatus.PIPELINE: "warn", CellStatus.COMPETITOR: "bad"}


def _cell_tone(cell) -> str:
    return CELL_TONES.get(cell.status, "") if cell is not None else ""


# Files -----------------------------------------------------------------------------------------------------------


MAP_LEVELS = 3  # a big customer's map in a document: its top levels (the page has the whole, foldable map)


def _org_map(account, user) -> list:
    """Today's organisation map of the plan's customer, as the user sees it: the same drawing as the page's, with
    its colours inline. A map of more than 60 people shows its top MAP_LEVELS levels."""
    from kam.accounts.models import Account
    from kam.stakeholders import orgchart, services
    from kam.stakeholders.models import Contact

    group = Account.objects.get(pk=services.group_of(account))
    visible = Account.objects.visible_to(user).filter(pk__in=group.subtree().values("pk"))
    people = orgchart.people_from_contacts(Contact.objects.filter(account__in=visible))
    if not people:
        return [d.Paragraph([d.Span("No one is on the customer's map yet.")])]
    caption = f"{len(people)} people. Colours: attitude; badges: buying role; dashed lines: dotted-line managers."
    forest = orgchart.build_tree(people)
    if len(people) > 60:
        shown = [p for p in people if forest.nodes[p.id].depth < MAP_LEVELS]
        caption = f"The top {MAP_LEVELS} levels ({len(shown)} of {len(people)} people). " + caption.split(". ", 1)[1]
        forest = orgchart.build_tree(shown)
    svg = orgchart.to_svg(orgchart.layout(forest), interactive=False, title=f"Organisation map of {group.name}")
    return [d.Figure(svg, caption)]


def export_filename(version: PlanVersion, extension: str) -> str:
    """account-plan-<account number>-<year>-v<n>.<ext>, with the account number reduced to safe characters."""
    account = version.account
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", account.account_number).strip("-.") or str(account.pk)
    return f"account-plan-{safe[:60]}-{version.year}-v{version.number}.{extension}"


def render(version: PlanVersion, user, fmt: str, *, today: dt.date | None = None) -> tuple[bytes, str, str]:
    """The version as a file: (content, file name, content type), `fmt` "pdf" or "docx"."""
    if fmt not in CONTENT_TYPES:
        raise ValueError(f"Unknown format {fmt!r}: pdf or docx.")
    document = plan_document(version, user, today=today)
    content = d.to_pdf(document) if fmt == "pdf" else d.to_docx(document)
    return content, export_filename(version, fmt), CONTENT_TYPES[fmt]
