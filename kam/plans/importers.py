"""goals.csv (DEFINITIONS §11): `goal_id`, `account_number`, `year`, `goal` (free text), `achieved` (`true` /
`false` / blank).

A row is one of our goals (an objective on our side) in the account's plan, in the version of that year; its
`achieved` is the year-end evaluation that §8 goal achievement counts (blank: not evaluated yet). The goal's id is
kept on the objective, so the same id is the same goal:

- a new id adds the goal to the version — only while the version is a draft or in review: an approved plan is frozen;
- a known id whose text and evaluation agree with KAM is unchanged; a new evaluation is recorded (on an approved
  version too: evaluating is what happens after approval); a changed text is written to a draft, and refused on an
  approved version (what was approved stays as it was).

The account must have a plan with a version for the year (start the plan first: the import does not invent one).
The whole file is applied in one transaction, or nothing is (the importers' contract).
"""

from django.core.exceptions import ValidationError

from kam.accounts.choices import ImportKind
from kam.accounts.importers import BaseImporter, _parse_year
from kam.plans import services
from kam.plans.choices import FROZEN_STATUSES, ObjectiveSide
from kam.plans.models import Objective, PlanVersion

ACHIEVED_WORDS = {"true": True, "false": False}
MAX_ID = 64
MAX_TITLE = 200


def parse_achieved(text: str) -> bool:
    value = ACHIEVED_WORDS.get(text.strip().casefold())
    if value is None:
        raise ValueError(f"“{text}” is not true, false or blank")
    return value


class GoalImporter(BaseImporter):
    kind = ImportKind.GOALS

    def parse(self, rows, mapping):
        parsed, seen = [], {}
        for row, cells in rows:
            self.report.rows_total += 1
            goal_id = self._field(row, cells, mapping, "goal_id", str)
            number = self._field(row, cells, mapping, "account_number", str)
            year = self._field(row, cells, mapping, "year", _parse_year)
            goal = self._field(row, cells, mapping, "goal", str)
            achieved = self._field(row, cells, mapping, "achieved", parse_achieved, required=False)
            if None in (goal_id, number, year, goal):
                continue
            if len(goal_id) > MAX_ID:
                self.report.error(row, self.report.mapping["goal_id"], f"at most {MAX_ID} characters", goal_id)
                continue
            if goal_id in seen:
                self.report.error(
                    row, self.report.mapping["goal_id"], f"duplicate: goal {goal_id} is already on row {seen[goal_id]}"
                )
                continue
            seen[goal_id] = row
            parsed.append(
                {"row": row, "goal_id": goal_id, "number": number, "year": year, "goal": goal, "achieved": achieved}
            )
        accounts = self.accounts_by_number({p["number"] for p in parsed})
        versions = {}
        for version in PlanVersion.objects.filter(account_id__in=accounts.values()).select_related("account"):
            versions.setdefault((version.account_id, version.year), version)  # one version a year
        found = []
        for p in parsed:
            account_id = accounts.get(p["number"])
            if account_id is None:
                column = self.report.mapping["account_number"]
                self.report.error(p["row"], column, "no account with this account number in KAM", p["number"])
                continue
            p["version"] = versions.get((account_id, p["year"]))
            if p["version"] is None:
                years = sorted(year for (pk, year) in versions if pk == account_id)
                reason = (
                    f"the account's plan has no version for {p['year']} (its years: {', '.join(map(str, years))})"
                    if years
                    else "the account has no plan: start it on its Account plan tab first"
                )
                self.report.error(p["row"], self.report.mapping["year"], reason, p["year"])
                continue
            found.append(p)
        return found

    def plan(self, parsed):
        self._existing = {}
        ids = [p["goal_id"] for p in parsed]
        for start in range(0, len(ids), 900):
            for objective in Objective.objects.filter(external_id__in=ids[start : start + 900]):
                self._existing[(objective.plan_version_id, objective.external_id)] = objective
        for p in parsed:
            version, label = p["version"], f"{p['goal_id']} {p['goal'][:60]}"
            frozen = version.status in FROZEN_STATUSES
            current = self._existing.get((version.pk, p["goal_id"]))
            if current is None:
                if frozen:
                    self._frozen(p, "goal_id", "new goals cannot be added to it")
                else:
                    self.report.note("created", p["row"], label)
                continue
            if current.side != ObjectiveSide.OURS:
                self.report.error(p["row"], self.report.mapping["goal_id"], "in KAM this id is a goal of the client")
                continue
            text_changed = current.title != p["goal"][:MAX_TITLE]
            if text_changed and frozen:
                self._frozen(p, "goal", f"its goal reads “{current.title[:80]}” there and cannot change")
            elif text_changed or current.achieved != p["achieved"]:
                self.report.note("updated", p["row"], label)
            else:
                self.report.note("unchanged", p["row"], label)

    def _frozen(self, p, column, what: str):
        version = p["version"]
        status = version.get_status_display().lower()
        self.report.error(
            p["row"],
            self.report.mapping[column],
            f"version {version.number} ({version.year}) of the plan is {status}: {what}",
        )

    def write(self, parsed):
        for p in parsed:
            version = p["version"]
            current = self._existing.get((version.pk, p["goal_id"]))
            title = p["goal"][:MAX_TITLE]
            # A goal longer than a title keeps its whole text as its "specific" part.
            specific = p["goal"] if len(p["goal"]) > MAX_TITLE else None
            try:
                if current is None:
                    data = {"side": ObjectiveSide.OURS, "title": title, "achieved": p["achieved"]}
                    if specific:
                        data["specific"] = specific
                    services.save_item(version, "objective", data, None, external_id=p["goal_id"])
                    continue
                if current.title != title:
                    data = {"title": title, **({"specific": specific} if specific else {})}
                    current = services.save_item(version, "objective", data, None, item=current)
                if current.achieved != p["achieved"]:
                    services.evaluate_objective(current, p["achieved"], None)
            except ValidationError as error:
                for field, messages in error.message_dict.items():
                    self.report.error(p["row"], self.report.mapping.get(field, field), " ".join(messages))
