"""The programme's coverage and cadence rules: the services (what each kind needs, one cadence per segment and role,
stale edits), the pages (lists with CSV, add, edit, delete; who may), and the API (the rules, an account's coverage
report and matrix equal to kam.stakeholders.coverage, the overdue contacts equal to kam.stakeholders.cadence)."""

import csv
import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from kam.accounts.models import Account
from kam.core.services import StaleObject
from kam.stakeholders import rules
from kam.stakeholders.cadence import overdue_contacts
from kam.stakeholders.coverage import coverage_matrix, evaluate_coverage
from kam.stakeholders.models import CadenceRule, Contact, CoverageRule
from kam.users.models import ApiToken
from tests.stakeholders.segments import segment_accounts

JSON = "application/json"
HUGE = 2**70


@pytest.fixture
def as_user():
    def headers(user):
        return {"HTTP_AUTHORIZATION": f"Bearer {ApiToken.issue(user, 'tests')[1]}"}

    return headers


def fields_of(error: ValidationError) -> set:
    return set(error.message_dict)


# Services -----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data, fields",
    [
        ({"kind": "has_attitude"}, {"attitude"}),
        ({"kind": "has_attitude", "attitude": "champion", "team_role": "support"}, {"team_role"}),
        ({"kind": "has_attitude", "attitude": "champion", "buying_role": "user"}, {"buying_role"}),
        ({"kind": "has_attitude", "attitude": "champion", "min_strength": 2}, {"min_strength"}),
        ({"kind": "role_owned", "attitude": "champion"}, {"attitude"}),
        ({"kind": "role_owned", "team_role": "support"}, {"team_role"}),
        ({"kind": "role_covered_by"}, {"buying_role", "team_role"}),
        ({"kind": "role_covered_by", "buying_role": "economic_buyer"}, {"team_role"}),
        ({"kind": "role_covered_by", "buying_role": "economic_buyer", "team_role": "no_such_role"}, {"team_role"}),
        ({"kind": "role_covered_by", "buying_role": "user", "team_role": "support", "attitude": "sceptic"},
         {"attitude"}),
        ({"kind": "nonsense"}, {"kind"}),
        ({"kind": "role_owned", "segment": "galactic"}, {"segment"}),
        ({"kind": "role_owned", "colour": "red"}, {"colour"}),
    ],
)  # fmt: skip
def test_a_coverage_rule_uses_the_fields_its_kind_needs(db, users, data, fields):
    with pytest.raises(ValidationError) as refused:
        rules.save_coverage_rule({"name": "Rule", **data}, users.lead)
    assert fields_of(refused.value) == fields


def test_valid_coverage_rules_of_each_kind(db, users):
    saved = [
        rules.save_coverage_rule({"name": " A sceptic ", "kind": "has_attitude", "attitude": "sceptic"}, users.lead),
        rules.save_coverage_rule({"name": "Everyone owned", "kind": "role_owned"}, users.lead),
        rules.save_coverage_rule(
            {"name": "Strategic users", "kind": "role_covered_by", "segment": "strategic", "buying_role": "user",
             "team_role": "support", "min_strength": 3}, users.lead,
        ),
    ]  # fmt: skip
    assert [r.name for r in saved] == ["A sceptic", "Everyone owned", "Strategic users"]
    assert saved[2].min_strength == 3 and saved[2].segment == "strategic"


def test_changing_a_coverage_rule_checks_the_version_and_the_kind(db, users):
    rule = CoverageRule.objects.get(name="A champion")
    changed = rules.save_coverage_rule({"attitude": "supporter"}, users.lead, rule=rule, expected_version=rule.version)
    assert (changed.attitude, changed.version) == ("supporter", rule.version + 1)
    with pytest.raises(StaleObject):
        rules.save_coverage_rule({"attitude": "neutral"}, users.lead, rule=rule, expected_version=rule.version)
    with pytest.raises(ValidationError) as refused:  # another kind: its fields must follow
        rules.save_coverage_rule({"kind": "role_covered_by"}, users.lead, rule=changed, expected_version=2)
    assert fields_of(refused.value) == {"attitude", "buying_role", "team_role"}
    with pytest.raises(StaleObject):
        rules.delete_coverage_rule(rule, users.lead, expected_version=1)
    rules.delete_coverage_rule(rule, users.lead, expected_version=2)
    assert not CoverageRule.objects.filter(pk=rule.pk).exists()


def test_one_cadence_rule_per_segment_and_buying_role(db, users):
    with pytest.raises(ValidationError) as refused:
        rules.save_cadence_rule({"buying_role": "decision_maker", "days": 14}, users.lead)
    message = refused.value.message_dict["buying_role"][0]
    assert "decision makers in every segment" in message and "every 30 days" in message
    strategic = rules.save_cadence_rule({"segment": "strategic", "buying_role": "decision_maker", "days": 14}, None)
    assert str(strategic) == "Strategic: decision makers every 14 days"
    # Moving a rule onto an occupied (segment, role) is refused too; moving it onto itself is not.
    with pytest.raises(ValidationError):
        rules.save_cadence_rule({"segment": ""}, users.lead, rule=strategic, expected_version=1)
    rules.save_cadence_rule({"segment": "strategic", "days": 21}, users.lead, rule=strategic, expected_version=1)


@pytest.mark.parametrize("days", [0, 731, None])
def test_cadence_days_are_1_to_730(db, users, days):
    with pytest.raises(ValidationError) as refused:
        rules.save_cadence_rule({"segment": "develop", "days": days}, users.lead)
    assert fields_of(refused.value) == {"days"}


def test_stale_cadence_edits_are_refused(db, users):
    rule = CadenceRule.objects.get(segment="", buying_role="")
    rules.save_cadence_rule({"days": 120}, users.lead, rule=rule, expected_version=rule.version)
    with pytest.raises(StaleObject):
        rules.save_cadence_rule({"days": 100}, users.lead, rule=rule, expected_version=rule.version)
    with pytest.raises(StaleObject):
        rules.delete_cadence_rule(rule, users.lead, expected_version=rule.version)
    assert CadenceRule.objects.get(pk=rule.pk).days == 120


# Pages --------------------------------------------------------------------------------------------------------------


def rows_of(response) -> list[list[str]]:
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def test_the_rule_lists_with_csv(login, users):
    client = login(users.viewer)
    page = client.get(reverse("stakeholders:coverage_rules"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Executive sponsor with the economic buyer" in html and "Cadence rules" in html  # the sub-navigation
    assert reverse("stakeholders:coverage_rule_add") not in html  # a viewer reads only
    rows = rows_of(client.get(reverse("stakeholders:coverage_rules") + "?export=csv"))
    assert rows[0][:3] == ["Name", "Kind", "Segment"]
    assert sorted(row[0] for row in rows[1:]) == [
        "A champion",
        "Every decision maker owned",
        "Executive sponsor with the economic buyer",
    ]
    sponsor = next(row for row in rows if row[0].startswith("Executive"))
    assert sponsor[2] == "Every segment" and sponsor[4] == "Economic buyer" and sponsor[6] == "Acquainted"
    rows = rows_of(client.get(reverse("stakeholders:cadence_rules") + "?export=csv"))
    assert sorted((row[1], row[2]) for row in rows[1:]) == [
        ("Decision makers", "30"),
        ("Economic buyers", "90"),
        ("Every contact", "180"),
    ]
    rows = rows_of(client.get(reverse("stakeholders:cadence_rules") + "?export=csv&buying_role=every"))
    assert [(row[1], row[2]) for row in rows[1:]] == [("Every contact", "180")]


def test_add_edit_delete_a_coverage_rule_on_the_pages(login, users):
    client = login(users.lead)
    url = reverse("stakeholders:coverage_rule_add")
    form = client.get(url)
    assert form.status_code == 200 and "does not use" not in form.content.decode()
    assert "Used by" in form.content.decode()  # each field says which kinds use it
    data = {"name": "A supporter", "kind": "has_attitude", "team_role": "support", "min_strength": 0,
            "is_active": "on"}  # fmt: skip
    refused = client.post(url, data)
    assert refused.status_code == 200
    assert set(refused.context["form"].errors) == {"attitude", "team_role"}
    response = client.post(url, {**data, "team_role": "", "attitude": "supporter"})
    assert response.status_code == 302 and response["Location"] == reverse("stakeholders:coverage_rules")
    rule = CoverageRule.objects.get(name="A supporter")
    edit = reverse("stakeholders:coverage_rule_edit", args=[rule.pk])
    body = {**data, "team_role": "", "attitude": "champion", "version": rule.version}
    assert client.post(edit, body).status_code == 302
    stale = client.post(edit, {**body, "attitude": "neutral"})  # the version the form showed is outdated
    assert stale.status_code == 200 and stale.context["form"].non_field_errors()
    assert CoverageRule.objects.get(pk=rule.pk).attitude == "champion"
    delete = reverse("stakeholders:coverage_rule_delete", args=[rule.pk])
    assert client.get(delete).status_code == 200
    assert client.post(delete).status_code == 302
    assert not CoverageRule.objects.filter(pk=rule.pk).exists()


def test_add_a_duplicate_cadence_rule_on_the_pages(login, users):
    client = login(users.admin)
    url = reverse("stakeholders:cadence_rule_add")
    refused = client.post(url, {"segment": "", "buying_role": "economic_buyer", "days": 60, "is_active": "on"})
    assert refused.status_code == 200
    assert "already a cadence rule" in " ".join(refused.context["form"].errors["buying_role"])
    response = client.post(url, {"segment": "strategic", "buying_role": "economic_buyer", "days": 60})
    assert response.status_code == 302
    rule = CadenceRule.objects.get(segment="strategic")
    assert (rule.days, rule.is_active) == (60, False)
    edit = reverse("stakeholders:cadence_rule_edit", args=[rule.pk])
    refused = client.post(edit, {"segment": "strategic", "buying_role": "economic_buyer", "days": 800, "version": 1})
    assert refused.status_code == 200 and "days" in refused.context["form"].errors


def test_a_kam_may_not_change_rules(login, users):
    client = login(users.kam)
    rule = CoverageRule.objects.first()
    assert client.get(reverse("stakeholders:coverage_rule_add")).status_code == 403
    assert client.post(reverse("stakeholders:coverage_rule_delete", args=[rule.pk])).status_code == 403
    assert CoverageRule.objects.filter(pk=rule.pk).exists()


# API ----------------------------------------------------------------------------------------------------------------


def test_coverage_rules_over_the_api(client, as_user, users):
    lead = as_user(users.lead)
    listed = client.get("/api/v1/coverage-rules", **as_user(users.viewer)).json()
    assert listed["count"] == 3 and {r["kind"] for r in listed["items"]} == {
        "has_attitude",
        "role_owned",
        "role_covered_by",
    }
    body = {"name": "Users covered", "kind": "role_covered_by", "buying_role": "user", "team_role": "support",
            "min_strength": 2}  # fmt: skip
    response = client.post("/api/v1/coverage-rules", body, content_type=JSON, **lead)
    assert response.status_code == 201, response.content
    rule = response.json()
    assert response["ETag"] == '"1"' and rule["team_role"] == "support"
    url = f"/api/v1/coverage-rules/{rule['id']}"
    assert client.patch(url, {"min_strength": 3}, content_type=JSON, **lead).status_code == 428
    response = client.patch(url, {"min_strength": 3, "version": 1}, content_type=JSON, **lead)
    assert response.status_code == 200 and response.json()["min_strength"] == 3
    assert client.patch(url, {"min_strength": 1, "version": 1}, content_type=JSON, **lead).status_code == 412
    response = client.patch(url, {"attitude": "champion", "version": 2}, content_type=JSON, **lead)
    assert response.status_code == 422 and [e["field"] for e in response.json()["errors"]] == ["attitude"]
    assert client.delete(url, HTTP_IF_MATCH='"1"', **lead).status_code == 412
    assert client.delete(url, **lead).status_code == 204
    assert client.get(url, **lead).status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"name": "X", "kind": "has_attitude"},
        {"name": "X", "kind": "has_attitude", "attitude": None},
        {"name": None, "kind": "role_owned"},
        {"name": "X", "kind": "role_owned", "min_strength": HUGE},
        {"name": "X", "kind": "role_owned", "min_strength": "strong"},
        {"name": "X", "kind": "role_owned", "is_active": None},
        {"name": "X", "kind": "role_owned", "segment": 5},
        {"name": "X\x00", "kind": "role_owned"},
        {"kind": "role_owned"},
        {"name": "X", "kind": None},
        {"name": "X", "kind": "role_covered_by", "buying_role": "user", "team_role": "x" * 40},
    ],
)
def test_coverage_rule_field_errors_never_500(client, as_user, users, body):
    response = client.post("/api/v1/coverage-rules", body, content_type=JSON, **as_user(users.admin))
    assert response.status_code in (400, 422), response.content
    assert response.json()["errors"]


def test_cadence_rules_over_the_api(client, as_user, users):
    lead = as_user(users.lead)
    assert client.get("/api/v1/cadence-rules", **as_user(users.sponsor)).json()["count"] == 3
    duplicate = client.post("/api/v1/cadence-rules", {"buying_role": "economic_buyer", "days": 60}, content_type=JSON,
                            **lead)  # fmt: skip
    assert duplicate.status_code == 422
    assert [e["field"] for e in duplicate.json()["errors"]] == ["buying_role"]
    assert "already a cadence rule" in duplicate.json()["errors"][0]["message"]
    for bad in ({"days": 0}, {"days": 731}, {"days": HUGE}, {"days": None}, {}, {"days": "often"},
                {"days": 10, "segment": None, "buying_role": 3}):  # fmt: skip
        response = client.post("/api/v1/cadence-rules", bad, content_type=JSON, **lead)
        assert response.status_code in (400, 422), (bad, response.content)
    response = client.post("/api/v1/cadence-rules", {"segment": "strategic", "days": 60}, content_type=JSON, **lead)
    assert response.status_code == 201
    url = f"/api/v1/cadence-rules/{response.json()['id']}"
    response = client.patch(url, {"days": 45}, HTTP_IF_MATCH='"1"', content_type=JSON, **lead)
    assert response.status_code == 200 and response.json()["days"] == 45 and response["ETag"] == '"2"'
    assert client.patch(url, {"days": 40}, HTTP_IF_MATCH='"1"', content_type=JSON, **lead).status_code == 412
    assert client.patch(url, {"days": 40}, content_type=JSON, **as_user(users.kam)).status_code == 403
    assert client.delete(url, **as_user(users.kam)).status_code == 403
    assert client.delete(url, HTTP_IF_MATCH='"2"', **lead).status_code == 204
    for path in (f"/api/v1/cadence-rules/{HUGE}", "/api/v1/cadence-rules/0", f"/api/v1/coverage-rules/{2**63}"):
        assert client.get(path, **lead).status_code in (404, 422), path


@pytest.fixture
def customer(portfolio, users, person):
    """The own customer: an economic buyer the sponsor knows well, a champion, an unowned decision maker in the
    subsidiary; a strategic segment with one more rule of its own."""
    people = {
        "ada": person(portfolio.own, "Boss", "Ada", buying_role="economic_buyer", relationship_owner=users.sponsor,
                      relationship_now=3),
        "cleo": person(portfolio.own, "Chief", "Cleo", attitude="champion", relationship_owner=users.kam),
        "dan": person(portfolio.own_child, "Deputy", "Dan", buying_role="decision_maker"),
        "ivy": person(portfolio.other, "Other", "Ivy", buying_role="decision_maker"),
    }  # fmt: skip
    segment_accounts({portfolio.own: "strategic"})
    rules.save_coverage_rule(
        {"name": "Strategic: a sceptic known", "kind": "has_attitude", "segment": "strategic", "attitude": "sceptic"},
        users.lead,
    )
    rules.save_coverage_rule(
        {"name": "Develop only", "kind": "has_attitude", "segment": "develop", "attitude": "blocker"}, users.lead
    )
    long_ago = timezone.now() - dt.timedelta(days=400)
    Contact.objects.filter(pk__in=[c.pk for c in people.values()]).update(created_at=long_ago)
    return people


def test_coverage_through_the_api_equals_evaluate_coverage(client, as_user, users, portfolio, customer):
    response = client.get(f"/api/v1/accounts/{portfolio.own_child.pk}/coverage", **as_user(users.kam))
    assert response.status_code == 200, response.content
    report = evaluate_coverage(portfolio.own_child)
    expected = {
        "customer_id": portfolio.own.pk,
        "segment": "strategic",
        "covered": False,
        "results": [
            {
                "rule_id": r.rule.pk,
                "rule_name": r.rule.name,
                "kind": r.rule.kind,
                "passed": r.passed,
                "message": r.message,
                "contact_ids": [c.pk for c in r.contacts],
            }
            for r in report.results
        ],
    }
    assert response.json() == expected
    by_name = {r["rule_name"]: r for r in expected["results"]}
    assert "Develop only" not in by_name  # another segment's rule does not apply
    assert by_name["A champion"]["passed"] and by_name["A champion"]["contact_ids"] == [customer["cleo"].pk]
    assert not by_name["Every decision maker owned"]["passed"]
    assert by_name["Every decision maker owned"]["contact_ids"] == [customer["dan"].pk]
    assert by_name["Executive sponsor with the economic buyer"]["passed"]
    assert not by_name["Strategic: a sceptic known"]["passed"]
    # Another team's customer does not exist for a team role; the programme lead sees it.
    assert client.get(f"/api/v1/accounts/{portfolio.other.pk}/coverage", **as_user(users.kam)).status_code == 404
    assert client.get(f"/api/v1/accounts/{portfolio.other.pk}/coverage", **as_user(users.lead)).status_code == 200
    assert client.get(f"/api/v1/accounts/{HUGE}/coverage", **as_user(users.lead)).status_code in (404, 422)


def test_coverage_matrix_through_the_api(client, as_user, users, portfolio, customer):
    response = client.get(f"/api/v1/accounts/{portfolio.own.pk}/coverage-matrix", **as_user(users.viewer))
    assert response.status_code == 200, response.content
    data = response.json()
    matrix = coverage_matrix(portfolio.own)
    assert [p["contact_id"] for p in data["people"]] == [c.pk for c in matrix.people]
    assert [r["user_id"] for r in data["rows"]] == [row.user.pk for row in matrix.rows]
    sponsor = next(r for r in data["rows"] if r["user_id"] == users.sponsor.pk)
    assert sponsor["roles"] == ["executive_sponsor"]
    assert sponsor["cells"] == [{"contact_id": customer["ada"].pk, "now": 3, "desired": 2}]


def test_overdue_contacts_through_the_api(client, as_user, users, portfolio, customer):
    response = client.get("/api/v1/contacts/overdue", **as_user(users.kam))
    assert response.status_code == 200, response.content
    data = response.json()
    expected = overdue_contacts(Account.objects.visible_to(users.kam))
    assert data["count"] == len(expected) == 3  # the own customer's three; not the other team's
    assert [item["contact_id"] for item in data["items"]] == [o.contact.pk for o in expected]
    first = data["items"][0]
    match = expected[0]
    assert (first["days"], first["last_touch"], first["due"], first["days_overdue"]) == (
        match.days,
        None,
        match.due.isoformat(),
        match.days_overdue,
    )
    everyone = client.get("/api/v1/contacts/overdue?page_size=1", **as_user(users.lead)).json()
    assert everyone["count"] == 4 and len(everyone["items"]) == 1
    assert client.get("/api/v1/contacts/overdue?page=0", **as_user(users.lead)).status_code in (400, 422)
