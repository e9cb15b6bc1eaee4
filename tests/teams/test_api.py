"""The teams API (/api/v1/teams/…, /api/v1/accounts/{id}/team…): the role catalogue, service models, team rules,
members, handovers, the charter, coverage and workload. Who may call what is in tests/test_access_matrix.py; here:
what the calls do, and that the services' refusals come back as 422 field errors in the one error shape."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from kam.accounts.models import Account, AccountTeamMember
from kam.accounts.services import update_account
from kam.core.roles import Role
from kam.teams import analysis, services
from kam.teams.models import Handover, ProgrammeSettings, ServiceModel, TeamRoleDefinition
from kam.users.models import ApiToken
from tests import factories

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def api(client, users):
    """api(user or role name).get/post/patch/put with that user's token."""
    tokens = {}

    class Caller:
        def __init__(self, who):
            user = getattr(users, who) if isinstance(who, str) else who
            if user.pk not in tokens:
                tokens[user.pk] = ApiToken.issue(user, "tests")[1]
            self.headers = {"HTTP_AUTHORIZATION": f"Bearer {tokens[user.pk]}"}

        def get(self, url, data=None, **extra):
            return client.get(url, data, **self.headers, **extra)

        def send(self, method, url, body=None, **extra):
            return getattr(client, method)(url, body or {}, content_type="application/json", **self.headers, **extra)

        def post(self, url, body=None, **extra):
            return self.send("post", url, body, **extra)

        def patch(self, url, body=None, **extra):
            return self.send("patch", url, body, **extra)

        def put(self, url, body=None, **extra):
            return self.send("put", url, body, **extra)

    return Caller


def errors(response) -> dict:
    """{field: [messages]} of a 422, after checking the one error shape."""
    body = response.json()
    assert response.status_code == 422, body
    assert set(body) == {"detail", "errors"} and body["detail"], body
    found = {}
    for item in body["errors"]:
        assert set(item) == {"field", "message"}, item
        found.setdefault(item["field"], []).append(item["message"])
    return found


def key_account(name, number, **extra):
    return update_account(factories.make_account(name, account_number=number, **extra), {"is_key_account": True})


@pytest.fixture
def kams(db):
    return [factories.make_user(Role.KEY_ACCOUNT_MANAGER, f"manager{i}@example.com", full_name=f"M{i}") for i in (1, 2)]


# The role catalogue --------------------------------------------------------------------------------------------


def test_everyone_reads_the_catalogue_in_order(api, users):
    body = api("viewer").get("/api/v1/teams/roles").json()
    assert body["count"] == 8
    assert [r["key"] for r in body["items"]][:3] == ["key_account_manager", "team_leader", "executive_sponsor"]
    assert body["items"][0]["required_per_key_account"] is True and body["items"][0]["active"] is True


def test_lead_adds_a_role_and_bad_ones_are_refused(api, users):
    created = api("lead").post("/api/v1/teams/roles", {"key": "legal_partner", "name": "Legal partner"})
    assert created.status_code == 201
    assert created.json()["key"] == "legal_partner" and created.json()["position"] == 100
    assert TeamRoleDefinition.objects.filter(key="legal_partner", active=True).exists()
    duplicate = api("lead").post("/api/v1/teams/roles", {"key": "legal_partner", "name": "Another name"})
    assert "key" in errors(duplicate)
    bad_key = api("lead").post("/api/v1/teams/roles", {"key": "Legal Partner", "name": "Legal 2"})
    assert errors(bad_key)["key"] == ["Lower-case letters, digits and _ only, e.g. finance_partner."]
    assert api("kam").post("/api/v1/teams/roles", {"key": "x", "name": "X"}).status_code == 403


def test_changing_a_role_keeps_its_key_and_the_managers_role_on(api, users):
    role = TeamRoleDefinition.objects.get(key="finance_partner")
    url = f"/api/v1/teams/roles/{role.pk}"
    changed = api("lead").patch(url, {"name": "Finance business partner"}, HTTP_IF_MATCH=f'"{role.version}"')
    assert changed.status_code == 200 and changed["ETag"] == f'"{role.version + 1}"'
    assert changed.json()["name"] == "Finance business partner"
    stale = api("lead").patch(url, {"name": "Finance"}, HTTP_IF_MATCH=f'"{role.version}"')
    assert stale.status_code == 412 and stale.json()["errors"][0]["field"] == "version"
    assert api("lead").patch(url, {"name": "Finance"}).status_code == 428
    same_key = api("lead").patch(url, {"key": "finance_partner", "position": 65, "version": role.version + 1})
    assert same_key.status_code == 200 and same_key.json()["position"] == 65
    new_key = api("lead").patch(url, {"key": "finance", "version": role.version + 2})
    assert errors(new_key)["key"] == [
        "The key of a role cannot change (it is “finance_partner”): members and imports refer to it."
    ]
    manager = TeamRoleDefinition.objects.get(key="key_account_manager")
    off = api("lead").patch(f"/api/v1/teams/roles/{manager.pk}", {"active": False, "version": manager.version})
    assert errors(off)["active"] == [
        "The key account manager role cannot be switched off: every key account needs one."
    ]
    assert TeamRoleDefinition.objects.get(pk=manager.pk).active
    assert api("kam").patch(url, {"name": "X", "version": 9}).status_code == 403
    assert api("lead").patch("/api/v1/teams/roles/999999", {"name": "X", "version": 1}).status_code == 404


# Service models and team rules ---------------------------------------------------------------------------------


def test_service_models_are_read_and_replaced_with_their_rules(api, users):
    models = api("viewer").get("/api/v1/teams/service-models").json()
    strategic = next(m for m in models if m["segment"] == "strategic")
    assert strategic["segment_name"] == "Strategic" and strategic["workload_weight"] == "1.50"
    assert [r["role_key"] for r in strategic["roles"]][0] == "key_account_manager"
    url = f"/api/v1/teams/service-models/{strategic['id']}"
    body = {
        "workload_weight": "2.00",
        "review_cadence": "monthly",
        "in_person_meetings_per_year": 8,
        "promised_service": "Everything.",
        "roles": [
            {"role_key": "key_account_manager", "min_members": 1, "expected_allocation_percent": 25},
            {"role_key": "finance_partner", "min_members": 2, "expected_allocation_percent": 10},
        ],
    }
    saved = api("lead").put(url, body)
    assert saved.status_code == 200, saved.json()
    assert [(r["role_key"], r["min_members"]) for r in saved.json()["roles"]] == [
        ("key_account_manager", 1),
        ("finance_partner", 2),
    ]
    model = ServiceModel.objects.get(pk=strategic["id"])
    assert model.workload_weight == Decimal("2.00") and model.roles.count() == 2
    stale = api("lead").put(url, {**body, "version": strategic["version"]})
    assert stale.status_code == 412
    unknown = api("lead").put(url, {**body, "roles": [{"role_key": "astronaut"}]})
    assert "“astronaut” is not an active role of the catalogue" in errors(unknown)["roles.0.role_key"][0]
    twice = api("lead").put(url, {**body, "roles": [{"role_key": "support"}, {"role_key": "support"}]})
    assert errors(twice)["roles"] == ["Support (general) is listed twice: keep one rule per role."]
    assert "roles.0.min_members" in errors(
        api("lead").put(url, {**body, "roles": [{"role_key": "support", "min_members": 0}]})
    )
    assert "workload_weight" in errors(api("lead").put(url, {**body, "workload_weight": "11"}))
    assert api("kam").put(url, body).status_code == 403
    assert ServiceModel.objects.get(pk=strategic["id"]).roles.count() == 2  # the refusals changed nothing


def test_team_rules(api, users):
    read = api("kam").get("/api/v1/teams/settings")
    assert read.status_code == 200 and read.json()["accounts_per_manager_limit"] == 10
    version = read.json()["version"]
    refused = api("lead").patch("/api/v1/teams/settings", {"accounts_per_manager_warning": 12})
    assert errors(refused)["accounts_per_manager_warning"] == ["The warning must come at or before the limit."]
    saved = api("lead").patch(
        "/api/v1/teams/settings", {"accounts_per_manager_limit": 12, "accounts_per_manager_warning": 9}
    )
    assert saved.status_code == 200 and saved.json()["accounts_per_manager_warning"] == 9
    assert ProgrammeSettings.current().accounts_per_manager_limit == 12
    stale = api("lead").patch("/api/v1/teams/settings", {"accounts_per_manager_limit": 7, "version": version})
    assert stale.status_code == 412 and ProgrammeSettings.current().accounts_per_manager_limit == 12
    assert api("kam").patch("/api/v1/teams/settings", {"accounts_per_manager_limit": 7}).status_code == 403


# Members -------------------------------------------------------------------------------------------------------


def test_lead_staffs_a_team_and_the_rules_come_back_as_field_errors(api, users, portfolio, kams):
    url = f"/api/v1/accounts/{portfolio.own.pk}/team"
    added = api("lead").post(
        url, {"user_id": kams[0].pk, "team_role": "finance_partner", "allocation_percent": 15, "start_date": str(TODAY)}
    )
    assert added.status_code == 201, added.json()
    assert added.json() | {"id": 0, "version": 0} == {
        "id": 0,
        "account_id": portfolio.own.pk,
        "user": {"id": kams[0].pk, "email": kams[0].email, "name": "M1"},
        "team_role": "finance_partner",
        "role_name": "Finance partner",
        "allocation_percent": 15,
        "start_date": str(TODAY),
        "end_date": None,
        "active": True,
        "version": 0,
    }
    second_manager = api("lead").post(url, {"user_id": kams[1].pk, "team_role": "key_account_manager"})
    assert errors(second_manager)["team_role"] == [
        "Own Group already has a key account manager for these dates (kam@example.com). An account has one at a "
        "time: hand it over instead."
    ]
    too_much = api("lead").post(url, {"user_id": kams[1].pk, "team_role": "support", "allocation_percent": 150})
    assert errors(too_much)["allocation_percent"] == [
        "Allocation is a share of one person's time: 0 to 100 % (not 150)."
    ]
    backwards = api("lead").post(
        url, {"user_id": kams[1].pk, "team_role": "support", "start_date": "2026-05-01", "end_date": "2026-04-01"}
    )
    assert errors(backwards)["end_date"] == ["The end (2026-04-01) is before the start (2026-05-01)."]
    twice = api("lead").post(url, {"user_id": kams[0].pk, "team_role": "support"})
    assert "already on this team" in errors(twice)["user_id"][0]
    unknown_role = api("lead").post(url, {"user_id": kams[1].pk, "team_role": "astronaut"})
    assert "not an active role of the catalogue" in errors(unknown_role)["team_role"][0]
    assert errors(api("lead").post(url, {"user_id": 999999, "team_role": "support"})) == {
        "user_id": ["No such active user."]
    }
    gone = factories.make_user(Role.KEY_ACCOUNT_MANAGER, "gone@example.com", is_active=False)
    assert errors(api("lead").post(url, {"user_id": gone.pk, "team_role": "support"})) == {
        "user_id": ["No such active user."]
    }
    assert "team_role" in errors(api("lead").post(url, {"user_id": kams[1].pk}))  # required
    refused = api("kam").post(url, {"user_id": kams[1].pk, "team_role": "support"})
    assert refused.status_code == 403 and refused.json()["detail"]
    assert (
        api("lead").post("/api/v1/accounts/999999/team", {"user_id": kams[1].pk, "team_role": "support"}).status_code
        == 404
    )
    assert AccountTeamMember.objects.filter(account=portfolio.own).count() == 4  # 3 from the portfolio + 1


def test_the_team_lists_current_and_past_members(api, users, portfolio, kams):
    services.add_member(
        portfolio.own,
        kams[0],
        "support",
        10,
        start_date=TODAY - dt.timedelta(days=60),
        end_date=TODAY - dt.timedelta(days=30),
    )
    body = api("viewer").get(f"/api/v1/accounts/{portfolio.own.pk}/team").json()
    assert [(m["user"]["email"], m["role_name"], m["active"]) for m in body] == [
        ("manager1@example.com", "Support (general)", False),
        ("kam@example.com", "Key account manager", True),
        ("sponsor@example.com", "Executive sponsor", True),
        ("viewer@example.com", "Support (general)", True),
    ]
    assert api("kam").get(f"/api/v1/accounts/{portfolio.other.pk}/team").status_code == 404
    assert api("kam").get(f"/api/v1/accounts/{portfolio.own_child.pk}/team").json() == []


def test_changing_and_ending_a_membership(api, users, portfolio, kams):
    member = services.add_member(portfolio.own, kams[0], "support", 10, start_date=TODAY - dt.timedelta(days=10))
    url = f"/api/v1/teams/members/{member.pk}"
    changed = api("lead").patch(
        url, {"allocation_percent": 30, "team_role": "finance_partner"}, HTTP_IF_MATCH=f'"{member.version}"'
    )
    assert changed.status_code == 200 and changed["ETag"] == f'"{member.version + 1}"'
    assert (changed.json()["allocation_percent"], changed.json()["role_name"]) == (30, "Finance partner")
    stale = api("lead").patch(url, {"allocation_percent": 40}, HTTP_IF_MATCH=f'"{member.version}"')
    assert stale.status_code == 412 and AccountTeamMember.objects.get(pk=member.pk).allocation_percent == 30
    assert api("lead").patch(url, {"allocation_percent": 40}).status_code == 428
    current = member.version + 1
    too_much = api("lead").patch(url, {"allocation_percent": 150, "version": current})
    assert errors(too_much) == {
        "allocation_percent": ["Allocation is a share of one person's time: 0 to 100 % (not 150)."]
    }
    backwards = api("lead").patch(url, {"end_date": str(TODAY - dt.timedelta(days=20)), "version": current})
    assert "is before the start" in errors(backwards)["end_date"][0]
    assert "start_date" in errors(api("lead").patch(url, {"start_date": None, "version": current}))
    manager = AccountTeamMember.objects.get(account=portfolio.own, user=users.kam)
    assert (
        "already has a key account manager"
        in errors(api("lead").patch(url, {"team_role": "key_account_manager", "version": current}))["team_role"][0]
    )
    assert (
        api("kam").patch(f"/api/v1/teams/members/{manager.pk}", {"allocation_percent": 5, "version": 1}).status_code
        == 403
    )
    assert api("lead").patch("/api/v1/teams/members/999999", {"allocation_percent": 5, "version": 1}).status_code == 404

    # A last day in the future: still on the team until then.
    later = api("lead").post(f"{url}/end", {"end_date": str(TODAY + dt.timedelta(days=5))})
    assert later.status_code == 200
    assert (later.json()["end_date"], later.json()["active"], later.json()["removed"]) == (
        str(TODAY + dt.timedelta(days=5)),
        True,
        False,
    )
    # No date: they leave now (yesterday was their last day), and the history keeps the membership.
    now = api("lead").post(f"{url}/end")
    assert now.status_code == 200
    assert (now.json()["end_date"], now.json()["active"], now.json()["removed"]) == (
        str(TODAY - dt.timedelta(days=1)),
        False,
        False,
    )
    assert "already" in errors(api("lead").post(f"{url}/end"))[""][0]
    assert api("kam").post(f"/api/v1/teams/members/{manager.pk}/end").status_code == 403
    # A membership that started today never took effect: ending it now withdraws it.
    fresh = services.add_member(portfolio.own, kams[1], "support", 10)
    withdrawn = api("lead").post(f"/api/v1/teams/members/{fresh.pk}/end", {})
    assert withdrawn.status_code == 200 and withdrawn.json()["removed"] is True and withdrawn.json()["id"] == fresh.pk
    assert not AccountTeamMember.objects.filter(pk=fresh.pk).exists()


# Handovers and the charter -------------------------------------------------------------------------------------


def test_handover_end_to_end(api, client, users, portfolio, kams):
    new = kams[0]

    def names(who):
        return {a["name"] for a in api(who).get("/api/v1/accounts").json()["items"]}

    assert names("kam") == {"Own Group", "Own Subsidiary"} and names(new) == set()
    url = f"/api/v1/accounts/{portfolio.own.pk}/handover"
    assert errors(api("lead").post(url, {"to_user_id": new.pk, "note": "  "})) == {
        "note": ["Write the handover note: relationships, open work, commitments."]
    }
    assert errors(api("lead").post(url, {"to_user_id": 999999, "note": "x"})) == {
        "to_user_id": ["No such active user."]
    }
    assert errors(api("lead").post(url, {"to_user_id": users.kam.pk, "note": "x"})) == {
        "to_user_id": ["kam@example.com is the key account manager of Own Group already."]
    }
    assert api("kam").post(url, {"to_user_id": new.pk, "note": "x"}).status_code == 403

    done = api("lead").post(url, {"to_user_id": new.pk, "note": "The CFO prefers calls."})
    assert done.status_code == 201, done.json()
    handover = done.json()
    assert (handover["from_user"]["email"], handover["to_user"]["email"], handover["by"]["email"]) == (
        "kam@example.com",
        new.email,
        "lead@example.com",
    )
    assert (handover["handed_over_on"], handover["note"], handover["account"]["name"]) == (
        str(TODAY),
        "The CFO prefers calls.",
        "Own Group",
    )
    assert names("kam") == set() and names(new) == {"Own Group", "Own Subsidiary"}
    assert api("kam").get(f"/api/v1/accounts/{portfolio.own.pk}").status_code == 404
    assert Account.objects.get(pk=portfolio.own.pk).owner == new

    listed = api("lead").get("/api/v1/teams/handovers", {"account_id": portfolio.own.pk}).json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == handover["id"]
    assert api("lead").get("/api/v1/teams/handovers", {"account_id": portfolio.other.pk}).json()["count"] == 0
    assert api(new).get("/api/v1/teams/handovers").json()["count"] == 1
    assert api("kam").get("/api/v1/teams/handovers").json()["count"] == 0  # the account is no longer theirs


def test_a_leaving_manager_hands_over_everything(api, users, portfolio, kams):
    second = factories.make_account("Second Group", account_number="SEC-1")
    services.add_member(second, users.kam, "key_account_manager", 10)
    body = {"from_user_id": users.kam.pk, "to_user_id": kams[0].pk, "note": "Leaving the company."}
    assert api("kam").post("/api/v1/teams/handover-all", body).status_code == 403
    moved = api("lead").post("/api/v1/teams/handover-all", body)
    assert moved.status_code == 200, moved.json()
    assert [h["account"]["name"] for h in moved.json()] == ["Own Group", "Second Group"]
    assert Handover.objects.count() == 2
    again = api("lead").post("/api/v1/teams/handover-all", body)
    assert errors(again) == {"from_user_id": [f"kam@example.com manages no key account on {TODAY:%Y-%m-%d}."]}
    same = api("lead").post("/api/v1/teams/handover-all", {**body, "to_user_id": users.kam.pk})
    assert errors(same) == {"to_user_id": ["Choose someone else to take the accounts over."]}


def test_team_charter(api, users, portfolio):
    url = f"/api/v1/accounts/{portfolio.own.pk}/team-charter"
    written = api("kam").put(url, {"text": "  We meet every Monday.  "})
    assert written.status_code == 200
    assert written.json() | {"version": 0} == {
        "account_id": portfolio.own.pk,
        "text": "We meet every Monday.",
        "is_default": False,
        "version": 0,
    }
    version = written.json()["version"]
    assert api("kam").put(url, {"text": "Stale", "version": version - 1}).status_code == 412
    back = api("kam").put(url, {"text": ""}, HTTP_IF_MATCH=f'"{version}"')
    assert back.status_code == 200 and back.json()["is_default"] is True
    assert back.json()["text"] == ProgrammeSettings.current().default_team_charter
    assert Account.objects.get(pk=portfolio.own.pk).team_charter == ""
    assert api("kam").put(f"/api/v1/accounts/{portfolio.other.pk}/team-charter", {"text": "x"}).status_code == 404
    assert api("sponsor").put(url, {"text": "x"}).status_code == 403


# Coverage and workload against the analysis -------------------------------------------------------------------


def _coverage_rows(rows):
    return [
        {
            "account": {"id": r.account.pk, "name": r.account.name, "account_number": r.account.account_number},
            "segment": r.segment,
            "segment_name": r.segment_name,
            "manager": None
            if r.manager is None
            else {"id": r.manager.pk, "email": r.manager.email, "name": r.manager.display_name},
            "covered": r.covered,
            "problems": r.problems,
        }
        for r in rows
    ]


@pytest.fixture
def staffed(users, portfolio, kams):
    """Three key accounts: Own Group (the KAM at 100 %, a sponsor: covered), Other Group (its KAM, no sponsor) and
    Third Group (nobody); a subsidiary that is a key account of its own is not a top-level key account."""
    for account in (portfolio.own, portfolio.other):
        update_account(account, {"is_key_account": True})
    third = key_account("Third Group", "THI-1")
    update_account(portfolio.own_child, {"is_key_account": True})
    services.add_member(third, kams[1], "solution_specialist", 60)
    services.add_member(portfolio.other, kams[1], "finance_partner", 50)
    return third


def test_coverage_rows_are_the_analysis_rows(api, users, portfolio, staffed):
    expected = _coverage_rows(analysis.coverage(analysis.key_accounts()))
    body = api("lead").get("/api/v1/teams/coverage").json()
    assert body["count"] == 3 and body["items"] == expected
    assert [r["account"]["name"] for r in expected] == ["Other Group", "Own Group", "Third Group"]
    assert [r["covered"] for r in expected] == [False, True, False]
    gaps = api("lead").get("/api/v1/teams/coverage", {"status": "gaps"}).json()
    assert [r["account"]["name"] for r in gaps["items"]] == ["Other Group", "Third Group"]
    covered = api("lead").get("/api/v1/teams/coverage", {"status": "covered", "q": "own"}).json()
    assert [r["account"]["name"] for r in covered["items"]] == ["Own Group"]
    assert api("lead").get("/api/v1/teams/coverage", {"q": "thi-1"}).json()["count"] == 1
    # Scoped: the KAM sees the rows of the key accounts they see.
    mine = api("kam").get("/api/v1/teams/coverage").json()
    assert mine["items"] == _coverage_rows(analysis.coverage(analysis.key_accounts().filter(pk=portfolio.own.pk)))
    assert api("lead").get("/api/v1/teams/coverage", {"status": "all"}).status_code == 422


def test_workload_rows_are_the_analysis_rows(api, users, portfolio, staffed, kams):
    expected = [
        {
            "user": {"id": r.user.pk, "email": r.user.email, "name": r.user.display_name, "role": r.user.role},
            "limit": r.limit,
            "key_accounts": r.key_accounts,
            "weighted": str(r.weighted),
            "memberships": r.memberships,
            "allocation": r.allocation,
            "status": r.status,
            "notes": r.notes,
        }
        for r in analysis.workload()
    ]
    body = api("lead").get("/api/v1/teams/workload", {"page_size": 500}).json()
    assert body["items"] == expected and body["count"] == len(expected)
    rows = {r["user"]["email"]: r for r in body["items"]}
    assert (rows["kam@example.com"]["key_accounts"], rows["kam@example.com"]["weighted"]) == (1, "1.00")
    assert (rows[kams[1].email]["allocation"], rows[kams[1].email]["status"]) == (110, "over")
    over = api("lead").get("/api/v1/teams/workload", {"status": "over"}).json()
    assert [r["user"]["email"] for r in over["items"]] == [kams[1].email]
    assert api("lead").get("/api/v1/teams/workload", {"q": "M2"}).json()["count"] == 1
    for role in ("kam", "sponsor", "viewer"):
        assert api(role).get("/api/v1/teams/workload").status_code == 403


def test_an_absurd_account_id_filter_is_a_422_not_a_crash(api, users):
    response = api(users.lead).get("/api/v1/teams/handovers", {"account_id": 10**24})
    assert response.status_code == 422
