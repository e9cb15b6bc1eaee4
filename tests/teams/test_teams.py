"""Account teams: the rules a team must keep, handovers, and the coverage check and workload board against a hand
computation (the default catalogue and service models come from migration teams.0002)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from kam.accounts.models import AccountTeamMember
from kam.accounts.services import update_account
from kam.audit.models import ObjectChange
from kam.core.roles import Role
from kam.teams import analysis, services
from kam.teams.models import Handover, ProgrammeSettings, ServiceModel, TeamRoleDefinition
from tests import factories

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def kams(db):
    return [factories.make_user(Role.KEY_ACCOUNT_MANAGER, f"manager{i}@example.com") for i in range(3)]


def key_account(name, number):
    account = factories.make_account(name, account_number=number)
    return update_account(account, {"is_key_account": True})


# Enforcement --------------------------------------------------------------------------------------------------


def test_two_active_key_account_managers_are_refused(kams):
    account = key_account("Acme", "A-1")
    services.add_member(account, kams[0], "key_account_manager", 20)
    with pytest.raises(ValidationError) as caught:
        services.add_member(account, kams[1], "key_account_manager", 20)
    assert "already has a key account manager for these dates" in caught.value.message_dict["team_role"][0]
    # after the first one leaves, the next may start the day after
    first = AccountTeamMember.objects.get(user=kams[0])
    services.update_member(first, {"end_date": TODAY + dt.timedelta(days=10)})
    services.add_member(account, kams[1], "key_account_manager", 20, start_date=TODAY + dt.timedelta(days=11))


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"allocation_percent": 120}, "allocation_percent", "0 to 100 % (not 120)"),
        ({"team_role": ""}, "team_role", "Choose the member's role on the team."),
        ({"team_role": "astronaut"}, "team_role", "“astronaut” is not an active role of the catalogue"),
        (
            {"start_date": dt.date(2026, 5, 1), "end_date": dt.date(2026, 4, 1)},
            "end_date",
            "The end (2026-04-01) is before the start (2026-05-01).",
        ),
    ],
)
def test_bad_members_are_refused_with_a_message(kams, changes, field, message):
    account = key_account("Acme", "A-1")
    data = {"team_role": "solution_specialist", "allocation_percent": 10, **changes}
    with pytest.raises(ValidationError) as caught:
        services.add_member(account, kams[0], **data)
    assert any(message in m for m in caught.value.message_dict[field]), caught.value.message_dict
    assert not AccountTeamMember.objects.exists()


def test_a_person_is_on_a_team_once_at_a_time(kams):
    account = key_account("Acme", "A-1")
    services.add_member(account, kams[0], "solution_specialist", 10)
    with pytest.raises(ValidationError) as caught:
        services.add_member(account, kams[0], "finance_partner", 10)
    assert "already on this team" in caught.value.message_dict["user"][0]


def test_an_inactive_role_cannot_be_given(kams):
    TeamRoleDefinition.objects.filter(key="finance_partner").update(active=False)
    with pytest.raises(ValidationError):
        services.add_member(key_account("Acme", "A-1"), kams[0], "finance_partner", 10)


# Handover ------------------------------------------------------------------------------------------------------


def test_handover_moves_the_account_and_its_access(kams, users):
    account = key_account("Acme", "A-1")
    old = services.add_member(account, kams[0], "key_account_manager", 15, start_date=TODAY - dt.timedelta(days=90))
    handover = services.hand_over(account, kams[1], "Talk to Ms Ruiz about the renewal.", users.lead)
    old.refresh_from_db()
    account.refresh_from_db()
    assert old.end_date == TODAY - dt.timedelta(days=1)
    new = AccountTeamMember.objects.get(account=account, user=kams[1])
    assert (new.team_role, new.allocation_percent, new.start_date, new.end_date) == (
        "key_account_manager",
        15,
        TODAY,
        None,
    )
    assert account.owner == kams[1]
    assert (handover.from_user, handover.to_user, handover.note) == (
        kams[0],
        kams[1],
        "Talk to Ms Ruiz about the renewal.",
    )
    assert ObjectChange.objects.filter(object_repr__startswith="Acme: ").exists()  # the handover, audited
    from kam.accounts.models import Account

    assert not Account.objects.visible_to(kams[0]).filter(pk=account.pk).exists()
    assert Account.objects.visible_to(kams[1]).filter(pk=account.pk).exists()


def test_handover_needs_a_note_and_another_person(kams, users):
    account = key_account("Acme", "A-1")
    services.add_member(account, kams[0], "key_account_manager", 15)
    with pytest.raises(ValidationError):
        services.hand_over(account, kams[1], " ", users.lead)
    with pytest.raises(ValidationError):
        services.hand_over(account, kams[0], "to myself", users.lead)


def test_handover_on_the_day_a_manager_started_withdraws_that_membership(kams, users):
    account = key_account("Acme", "A-1")
    services.add_member(account, kams[0], "key_account_manager", 15)  # today
    services.hand_over(account, kams[1], "Wrong person was staffed.", users.lead)
    assert not AccountTeamMember.objects.filter(user=kams[0]).exists()
    assert ObjectChange.objects.filter(action="delete", object_repr__contains=kams[0].email).exists()


def test_a_leaving_manager_hands_over_every_account(kams, users):
    accounts = [key_account(f"Group {i}", f"G-{i}") for i in range(3)]
    for account in accounts:
        services.add_member(account, kams[0], "key_account_manager", 10, start_date=TODAY - dt.timedelta(days=30))
    services.add_member(accounts[0], kams[1], "solution_specialist", 10, start_date=TODAY - dt.timedelta(days=30))
    handovers = services.hand_over_all(kams[0], kams[1], "Leaving the company.", users.lead)
    assert len(handovers) == 3 and Handover.objects.count() == 3
    assert not AccountTeamMember.objects.filter(AccountTeamMember.active_q(), user=kams[0]).exists()
    roles = set(AccountTeamMember.objects.filter(AccountTeamMember.active_q(), user=kams[1]).values_list("team_role"))
    assert roles == {("key_account_manager",)}  # the specialist role on Group 0 ended, the manager's began


# Coverage and workload, by hand ---------------------------------------------------------------------------------


def test_coverage_against_the_service_model_by_hand(kams, users):
    """No selection run: every key account follows the "Unclassified" model, which we set to: key account manager
    (1, 10 %) and finance partner (1, 5 %); the catalogue also requires an executive sponsor on every key account.

    A: manager 10 %, finance partner 5 %, sponsor            -> covered
    B: manager 5 %                                            -> manager's time short, no finance partner, no sponsor
    C: nobody                                                 -> no manager, no finance partner, no sponsor
    """
    unclassified = ServiceModel.objects.get(segment="unclassified")
    roles = {r.key: r for r in TeamRoleDefinition.objects.all()}
    services.save_service_model(
        unclassified,
        {},
        [
            {"role": roles["key_account_manager"], "min_members": 1, "expected_allocation_percent": 10},
            {"role": roles["finance_partner"], "min_members": 1, "expected_allocation_percent": 5},
        ],
    )
    a, b = key_account("A", "A"), key_account("B", "B")
    key_account("C", "C")  # nobody on its team
    services.add_member(a, kams[0], "key_account_manager", 10)
    services.add_member(a, kams[1], "finance_partner", 5)
    services.add_member(a, users.sponsor, "executive_sponsor", 5)
    services.add_member(b, kams[0], "key_account_manager", 5)
    factories.make_account("A subsidiary", parent=a)  # not a key account of its own: not checked

    rows = {r.account.name: r for r in analysis.coverage(analysis.key_accounts())}
    assert set(rows) == {"A", "B", "C"}
    assert rows["A"].covered and rows["A"].manager == kams[0]
    assert rows["B"].problems == [
        "Key account manager: 5 % of time; the Not segmented yet service model expects 10 %.",
        "Finance partner: 0 of the 1 the Not segmented yet service model needs.",
        "Executive sponsor: missing (required on every key account).",
    ]
    assert rows["C"].problems == [
        "No key account manager.",
        "Finance partner: 0 of the 1 the Not segmented yet service model needs.",
        "Executive sponsor: missing (required on every key account).",
    ]


def test_workload_by_hand(kams, users):
    """Limit 10, warning above 8. Manager 0: 9 key accounts at 10 % (a warning: 9 > 8) and a sponsor seat at 20 %:
    110 % of their time (over). Manager 1: 2 key accounts at 30 % = 60 % (ok). Weights: no run, so every account
    weighs the Unclassified model's 1.00, except that we set it to 1.25: 9 × 1.25 = 11.25, 2 × 1.25 = 2.50."""
    ServiceModel.objects.filter(segment="unclassified").update(workload_weight=Decimal("1.25"))
    for i in range(9):
        services.add_member(key_account(f"K{i}", f"K-{i}"), kams[0], "key_account_manager", 10)
    other = key_account("Other", "O-1")
    services.add_member(other, kams[0], "executive_sponsor", 20)
    services.add_member(other, kams[1], "key_account_manager", 30)
    services.add_member(key_account("Second", "S-1"), kams[1], "key_account_manager", 30)
    rows = {r.user.email: r for r in analysis.workload()}
    first, second = rows[kams[0].email], rows[kams[1].email]
    assert (first.key_accounts, first.weighted, first.memberships, first.allocation, first.status) == (
        9,
        Decimal("11.25"),
        10,
        110,
        "over",
    )
    assert first.notes == ["Manages 9 key accounts; above 8 is a lot.", "110 % of their time is allocated."]
    assert (second.key_accounts, second.weighted, second.allocation, second.status) == (2, Decimal("2.50"), 60, "ok")
    assert rows[kams[2].email].key_accounts == 0  # a key account manager without accounts is on the board too
    ProgrammeSettings.objects.update(accounts_per_manager_limit=8, accounts_per_manager_warning=6)
    assert {r.user.email: r for r in analysis.workload()}[kams[0].email].notes[0] == (
        "Manages 9 key accounts; the limit is 8."
    )


# Pages --------------------------------------------------------------------------------------------------------


def test_lead_staffs_a_team_through_the_pages(kams, users, login):
    account = key_account("Acme", "A-1")
    client = login(users.lead)
    url = reverse("teams:member_add", args=[account.pk])
    assert client.get(url).status_code == 200
    bad = client.post(url, {"user": kams[0].pk, "team_role": "", "allocation_percent": 150, "start_date": TODAY})
    assert bad.status_code == 200 and "Ensure this value is less than or equal to 100." in bad.content.decode()
    ok = client.post(
        url, {"user": kams[0].pk, "team_role": "key_account_manager", "allocation_percent": 20, "start_date": TODAY}
    )
    assert ok.status_code == 302
    page = client.get(reverse("accounts:account", args=[account.pk]), {"tab": "team"}).content.decode()
    assert kams[0].email in page and "Key account manager" in page
    assert "We act as one team" in page  # the programme's default charter


def test_workload_and_coverage_pages_export(kams, users, login):
    services.add_member(key_account("Acme", "A-1"), kams[0], "key_account_manager", 20)
    client = login(users.lead)
    for name, header in [("teams:workload", "Person,E-mail,Role"), ("teams:coverage", "Account number,Account")]:
        assert client.get(reverse(name)).status_code == 200
        csv = b"".join(client.get(reverse(name), {"export": "csv"}).streaming_content).decode().lstrip("\ufeff")
        assert csv.splitlines()[0].startswith(header)


def test_the_team_exports_with_its_history(kams, users, login):
    account = key_account("Acme", "A-1")
    services.add_member(account, kams[0], "key_account_manager", 20, start_date=TODAY - dt.timedelta(days=50))
    services.hand_over(account, kams[1], "Over to you.", users.lead)
    response = login(users.lead).get(reverse("accounts:account", args=[account.pk]), {"export": "team"})
    lines = b"".join(response.streaming_content).decode().lstrip("\ufeff").splitlines()
    assert lines[0] == "Person,E-mail,Role,Allocation %,From,Until"
    assert len(lines) == 3 and kams[0].email in lines[1] and (TODAY - dt.timedelta(days=1)).isoformat() in lines[1]
    outsider = login(kams[2])
    assert outsider.get(reverse("accounts:account", args=[account.pk]), {"export": "team"}).status_code == 404


def test_a_departed_managers_accounts_can_still_be_handed_over(kams, users):
    account = key_account("Acme", "A-1")
    services.add_member(account, kams[0], "key_account_manager", 10, start_date=TODAY - dt.timedelta(days=40))
    kams[0].is_active = False
    kams[0].save()
    assert analysis.coverage(analysis.key_accounts())[0].manager is None  # a deactivated person serves no account
    services.hand_over_all(kams[0], kams[1], "Left the company.", users.lead)
    assert services.current_manager(account).user == kams[1]


def test_a_persons_own_capacity_replaces_the_programmes(kams, users, login):
    """Programme: limit 10, warning above 8 (2 early). Manager 0 has their own limit of 4: warning above 2, over
    above 4. With 3 key accounts: a warning; with 5: over."""
    for i in range(3):
        services.add_member(key_account(f"K{i}", f"K-{i}"), kams[0], "key_account_manager", 10)
    client = login(users.lead)
    assert (
        client.post(
            reverse("teams:capacity", args=[kams[0].pk]), {"accounts_limit": 4, "note": "Part-time"}
        ).status_code
        == 302
    )
    row = {r.user.email: r for r in analysis.workload()}[kams[0].email]
    assert (row.limit, row.status, row.notes) == (4, "warning", ["Manages 3 key accounts; above 2 is a lot."])
    for i in range(3, 5):
        services.add_member(key_account(f"K{i}", f"K-{i}"), kams[0], "key_account_manager", 10)
    row = {r.user.email: r for r in analysis.workload()}[kams[0].email]
    assert (row.status, row.notes) == ("over", ["Manages 5 key accounts; the limit is 4 (their own limit)."])
    client.post(reverse("teams:capacity", args=[kams[0].pk]), {"accounts_limit": ""})  # back to the programme's
    assert {r.user.email: r for r in analysis.workload()}[kams[0].email].limit == 10
    assert ObjectChange.objects.filter(object_repr__contains="up to 4 key accounts").count() >= 2  # created, deleted
    response = client.put(
        f"/api/v1/teams/people/{kams[1].pk}/capacity", {"accounts_limit": 6}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["accounts_limit"] == 6
    assert (
        login(kams[2])
        .put(f"/api/v1/teams/people/{kams[1].pk}/capacity", {"accounts_limit": 6}, content_type="application/json")
        .status_code
        == 403
    )
