"""The plan quality score (issue 7): a checklist evaluated on a version, with what fails and where to fix it.

`evaluate(version, today)` checks the rules below. A *check* is one rule applied to one item it applies to; the
review rule is one check for the whole version. The score is 100 × passed checks / all checks, rounded to a whole
number (a version always has at least the review check, so there is always something to divide by).

- objective_without_kpi: each objective; fails when it has no KPI.
- kpi_without_target: each KPI; fails when it has no target for any period.
- kpi_without_baseline: each KPI; fails when its baseline is empty.
- action_without_owner: each open or in-progress action; fails when nobody owns it.
- action_overdue: each open or in-progress action; fails when its due date is before `today`.
- risk_without_mitigation: each risk not closed; fails when its mitigation is empty.
- opportunity_without_next_step: each opportunity not won or lost; fails when its next step is empty.
- not_reviewed: the version (one check); fails when the last review (reviewed_at, else approved_at, else the
  version's creation) was more than 100 days before `today` (exactly 100 days passes).
- coverage_gap: each coverage rule that applies to the plan's customer (active, segment blank or the customer's —
  kam.stakeholders.coverage); fails when the rule fails on the customer's map as it is now, with the coverage
  report's message. The finding's item is the version (the gap is fixed on the organisation map, not in a plan row).

Done and cancelled actions, closed risks and won or lost opportunities need nothing more, so they are not checked.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from kam.plans.choices import CLOSED_STAGES, OPEN_ACTION_STATUSES, RiskStatus
from kam.plans.models import Action, KPITarget, Objective, Opportunity, PlanKPI, PlanVersion, Risk
from kam.stakeholders.coverage import evaluate_coverage

REVIEW_DAYS = 100


@dataclass(frozen=True)
class Finding:
    rule: str
    message: str
    item: object

    def __iter__(self):  # unpacks as (rule, message, item)
        return iter((self.rule, self.message, self.item))


@dataclass
class QualityReport:
    score: int
    checks: int
    passed: int
    findings: list[Finding] = field(default_factory=list)

    @property
    def rules(self) -> list[str]:
        return [finding.rule for finding in self.findings]


def last_review(version: PlanVersion) -> dt.date:
    moment = version.reviewed_at or version.approved_at or version.created_at
    return timezone.localdate(moment)


def evaluate(version: PlanVersion, today: dt.date) -> QualityReport:
    checks = 0
    findings: list[Finding] = []

    def check(rule: str, fails: bool, message: str, item):
        nonlocal checks
        checks += 1
        if fails:
            findings.append(Finding(rule, message, item))

    kpis = list(PlanKPI.objects.filter(plan_version=version).order_by("pk"))
    with_kpi = {kpi.objective_id for kpi in kpis}
    with_target = set(KPITarget.objects.filter(plan_version=version).values_list("kpi_id", flat=True))
    for objective in Objective.objects.filter(plan_version=version).order_by("pk"):
        check(
            "objective_without_kpi",
            objective.pk not in with_kpi,
            f"Objective “{objective}” has no KPI: say how you will measure it.",
            objective,
        )
    for kpi in kpis:
        check("kpi_without_target", kpi.pk not in with_target, f"KPI “{kpi}” has no target.", kpi)
        check("kpi_without_baseline", kpi.baseline is None, f"KPI “{kpi}” has no baseline.", kpi)
    for action in Action.objects.filter(plan_version=version, status__in=OPEN_ACTION_STATUSES).order_by("pk"):
        check("action_without_owner", action.owner_id is None, f"Action “{action}” has no owner.", action)
        overdue = action.due_date is not None and action.due_date < today
        due = f"{action.due_date:%Y-%m-%d}" if action.due_date else ""
        check("action_overdue", overdue, f"Action “{action}” is overdue (due {due}).", action)
    for risk in Risk.objects.filter(plan_version=version).exclude(status=RiskStatus.CLOSED).order_by("pk"):
        check("risk_without_mitigation", not risk.mitigation.strip(), f"Risk “{risk}” has no mitigation.", risk)
    for opportunity in Opportunity.objects.filter(plan_version=version).exclude(stage__in=CLOSED_STAGES).order_by("pk"):
        check(
            "opportunity_without_next_step",
            not opportunity.next_step.strip(),
            f"Opportunity “{opportunity}” has no next step.",
            opportunity,
        )
    reviewed = last_review(version)
    check(
        "not_reviewed",
        (today - reviewed).days > REVIEW_DAYS,
        f"The plan was last reviewed on {reviewed:%Y-%m-%d}, more than {REVIEW_DAYS} days ago.",
        version,
    )
    for result in evaluate_coverage(version.account, today=today).results:
        check("coverage_gap", not result.passed, f"Coverage: {result.message}", version)
    passed = checks - len(findings)
    return QualityReport(score=round(100 * passed / checks), checks=checks, passed=passed, findings=findings)
