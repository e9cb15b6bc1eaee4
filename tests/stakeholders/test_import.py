"""Contacts import (issue 8): our columns, Salesforce and HubSpot contact exports; reporting lines in any order of the
file, within one customer and without circles; known ids are the same person; leavers are left alone; the whole file
or nothing, with every error named by row, column and reason."""

import csv
import io

import pytest
from django.utils import timezone
from openpyxl import Workbook

from kam.accounts.importers import run_import
from kam.accounts.models import Account
from kam.stakeholders import services
from kam.stakeholders.models import Contact, ContactState

pytestmark = pytest.mark.django_db

OURS = (
    "contact_id,account_number,first_name,last_name,title,department,email,phone,reports_to_id,buying_role,attitude,"
    "location"
)
SALESFORCE = "Id,AccountId,FirstName,LastName,Title,Department,Email,Phone,ReportsToId,MailingCity"
HUBSPOT = "Record ID,First Name,Last Name,Job Title,Email,Phone Number,Company Name,Associated Company ID,City"

# Twelve people of Own Group (OWN-1) and its subsidiary (OWN-1-1); the CEO comes last, after all her reports.
PEOPLE = f"""{OURS}
C-02,OWN-1,Ben,Berg,CFO,Finance,ben.berg@own.example,+49 89 2,C-01,Economic buyer,SUPPORTER,Munich
C-03,OWN-1,Cleo,Cruz,CIO,IT,cleo@own.example,,C-01,technical_buyer,champion,Munich
C-04,OWN-1,Dan,Dorn,Head of Procurement,Procurement,,,C-02,decision maker,,Munich
C-05,OWN-1,Eva,Eck,Buyer,Procurement,,,C-04,GATEKEEPER,sceptic,
C-06,OWN-1,Fritz,Falk,Controller,Finance,,,C-02,,,
C-07,OWN-1-1,Gina,Gold,Plant manager,Operations,gina@sub.example,,C-01,influencer,neutral,Lyon
C-08,OWN-1-1,Hugo,Hahn,Maintenance lead,Operations,,,C-07,user,Blocker,Lyon
C-09,OWN-1-1,Ida,Iske,Technician,Operations,,,C-08,User,,Lyon
C-10,OWN-1-1,Jon,Jung,Technician,Operations,,,C-08,,,Lyon
C-11,OWN-1,Kai,Kurz,Architect,IT,,,C-03,coach,supporter,
C-12,OWN-1,"Lou, Jr.",Lenz,"Assistant; CEO office",Office,,,C-01,,,
C-01,OWN-1,Ada,Stone,CEO,Board,ada@own.example,+49 89 1,,economic_buyer,champion,Munich
"""


def _import(text, apply=True, name="contacts.csv"):
    data = text.encode() if isinstance(text, str) else text
    return run_import("contacts", data, name, apply=apply)


def _errors(report):
    return {(e["row"], e["column"]): e["reason"] for e in report.errors}


def _by_id():
    return {c.external_id: c for c in Contact.objects.select_related("account", "reports_to")}


def _edit(text, contact_id, **values):
    """The file with some cells of one person's row changed."""
    rows = list(csv.DictReader(io.StringIO(text)))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({**row, **values} if row["contact_id"] == contact_id else row)
    return out.getvalue()


def _snapshot():
    return (Contact.objects.count(), ContactState.objects.count(), list(Contact.objects.values().order_by("pk")))


def xlsx(rows):
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def crm(portfolio):
    """The accounts' CRM ids, as an accounts import from Salesforce (or HubSpot) leaves them."""
    for account, crm_id in (
        (portfolio.own, "001A000000OWN01"),
        (portfolio.own_child, "001A000000OWN11"),
        (portfolio.other, "001A000000OTH01"),
    ):
        Account.objects.filter(pk=account.pk).update(crm_id=crm_id)
    return portfolio


def test_our_columns_build_the_map_with_managers_after_their_reports(portfolio):
    check = _import(PEOPLE, apply=False)
    assert check.ok, check.errors
    assert check.summary() == {"rows": 12, "created": 12, "updated": 0, "unchanged": 0, "errors": 0}
    assert not Contact.objects.exists()  # a check writes nothing
    report = _import(PEOPLE)
    assert report.ok, report.errors
    people = _by_id()
    assert len(people) == 12
    assert people["C-02"].reports_to == people["C-01"] and people["C-09"].reports_to == people["C-08"]
    assert people["C-07"].account == portfolio.own_child and people["C-07"].reports_to == people["C-01"]
    assert people["C-01"].reports_to is None
    ben = people["C-02"]
    assert (ben.first_name, ben.title, ben.business_unit, ben.email, ben.phone, ben.location) == (
        "Ben",
        "CFO",
        "Finance",
        "ben.berg@own.example",
        "+49 89 2",
        "Munich",
    )
    # Choices by key or label, any case; blank: no buying role, neutral.
    roles = [people[i].buying_role for i in ("C-02", "C-04", "C-05", "C-06", "C-09")]
    assert roles == ["economic_buyer", "decision_maker", "gatekeeper", "", "user"]
    attitudes = [people[i].attitude for i in ("C-02", "C-04", "C-05", "C-08")]
    assert attitudes == ["supporter", "neutral", "sceptic", "blocker"]
    assert people["C-12"].first_name == "Lou, Jr." and people["C-12"].title == "Assistant; CEO office"
    # Managers are written first: each person gets one history state, with their line in it.
    assert ContactState.objects.count() == 12
    state = ContactState.objects.get(contact=people["C-08"])
    assert state.reports_to_contact_id == people["C-07"].pk and state.group_id == portfolio.own.pk


def test_importing_the_same_file_again_changes_nothing(portfolio):
    assert _import(PEOPLE).ok
    before = _snapshot()
    report = _import(PEOPLE)
    assert report.ok and report.summary()["unchanged"] == 12 and report.preview == []
    assert _snapshot() == before


def test_a_changed_row_updates_the_person_and_lines_may_turn_around(portfolio):
    assert _import(PEOPLE).ok
    people = _by_id()
    # Dan and his manager Ben swap places; Gina moves from the subsidiary to the group; Eva's title changes.
    changed = _edit(PEOPLE, "C-02", reports_to_id="C-04")
    changed = _edit(changed, "C-04", reports_to_id="C-01")
    changed = _edit(changed, "C-07", account_number="OWN-1")
    changed = _edit(changed, "C-05", title="Senior buyer")
    states = ContactState.objects.count()
    report = _import(changed)
    assert report.ok, report.errors
    assert report.summary() == {"rows": 12, "created": 0, "updated": 4, "unchanged": 8, "errors": 0}
    assert {p["object"].split(" ")[0] for p in report.preview} == {"C-02", "C-04", "C-05", "C-07"}
    after = _by_id()
    assert after["C-04"].reports_to == people["C-01"] and after["C-02"].reports_to == people["C-04"]
    assert after["C-07"].account == portfolio.own and after["C-05"].title == "Senior buyer"
    assert after["C-04"].pk == people["C-04"].pk  # the same person, not a new one
    assert ContactState.objects.count() == states + 4  # one new state per changed person


def test_a_salesforce_export_finds_accounts_by_crm_id_and_keeps_what_the_team_recorded(crm):
    text = (
        f"{SALESFORCE}\n"
        "003A01,001A000000OWN11,Gina,Gold,Plant manager,Operations,gina@sub.example,+33 4 1,003A02,Lyon\n"
        "003A02,001A000000OWN01,Ada,Stone,CEO,Board,ada@own.example,,,Munich\n"
    )
    assert _import(text).ok
    people = _by_id()
    assert people["003A01"].account == crm.own_child and people["003A01"].reports_to == people["003A02"]
    assert people["003A01"].location == "Lyon"
    # The team's judgement is not in a Salesforce export: a re-import keeps it.
    services.save_contact(crm.own, {"attitude": "champion", "buying_role": "coach"}, None, contact=people["003A02"])
    report = _import(text)
    assert report.ok and report.summary()["unchanged"] == 2
    ada = Contact.objects.get(external_id="003A02")
    assert (ada.attitude, ada.buying_role) == ("champion", "coach")


def test_a_hubspot_export_without_reports_to_keeps_the_lines(crm):
    text = (
        f"{HUBSPOT}\n"
        "501,Ada,Stone,CEO,ada@own.example,+49 89 1,Own Group,001A000000OWN01,Munich\n"
        "502,Ben,Berg,CFO,ben@own.example,,Some other name,001A000000OWN01,\n"
    )
    assert _import(text).ok
    ada, ben = Contact.objects.get(external_id="501"), Contact.objects.get(external_id="502")
    assert ben.account == crm.own and ben.reports_to is None and ada.phone == "+49 89 1"
    services.save_contact(crm.own, {"reports_to": ada}, None, contact=ben)  # drawn on the map by the team
    report = _import(text.replace("CFO", "Chief financial officer"))
    assert report.ok and report.summary()["updated"] == 1
    ben.refresh_from_db()
    assert ben.title == "Chief financial officer" and ben.reports_to == ada  # no column: the line stays


def test_an_xlsx_workbook_is_read_like_a_csv_file(crm):
    workbook = xlsx(
        [
            SALESFORCE.split(","),
            ["003B01", "001A000000OWN01", "Ada", "Stone", "CEO", "Board", "ada@own.example", 4989123, None, "Munich"],
            ["003B02", "001A000000OWN01", "Ben", "Berg", "CFO", None, None, None, "003B01", None],
        ]
    )
    report = _import(workbook, name="contacts.xlsx")
    assert report.ok, report.errors
    people = _by_id()
    assert people["003B02"].reports_to == people["003B01"] and people["003B01"].phone == "4989123"


def test_a_circle_in_the_file_is_refused_on_each_of_its_rows(portfolio):
    text = (
        f"{OURS}\n"
        "A,OWN-1,Ann,Ames,,,,,C,,,\n"
        "X,OWN-1,Xia,Xu,,,,,,,,\n"
        "B,OWN-1,Bob,Bell,,,,,A,,,\n"
        "C,OWN-1-1,Cat,Cole,,,,,B,,,\n"
        "D,OWN-1,Dee,Dunn,,,,,C,,,\n"  # reports into the circle: not part of it
    )
    report = _import(text)
    assert not report.ok
    errors = _errors(report)
    circle = "reporting lines in a circle: row 2 (Ann Ames) → row 5 (Cat Cole) → row 4 (Bob Bell) → row 2 (Ann Ames)"
    assert errors[(2, "reports_to_id")] == circle
    assert set(errors) == {(2, "reports_to_id"), (4, "reports_to_id"), (5, "reports_to_id")}
    assert errors[(4, "reports_to_id")] == circle  # one message, on each row of the circle
    assert not Contact.objects.exists()


def test_a_circle_with_the_lines_kam_holds_is_refused(portfolio):
    boss = services.save_contact(portfolio.own, {"last_name": "Pike", "first_name": "Pat"}, None, external_id="P")
    services.save_contact(portfolio.own, {"last_name": "Quinn", "reports_to": boss}, None, external_id="Q")
    report = _import(f"{OURS}\nP,OWN-1,Pat,Pike,,,,,Q,,,\n")
    assert _errors(report) == {
        (2, "reports_to_id"): "reporting lines in a circle: row 2 (Pat Pike) → Quinn (in KAM) → row 2 (Pat Pike)"
    }
    assert Contact.objects.get(external_id="P").reports_to is None


def test_bad_rows_are_named_by_row_column_and_reason_and_nothing_is_written(portfolio):
    outsider = services.save_contact(portfolio.other, {"last_name": "Frost", "first_name": "Cy"}, None, external_id="O")
    before = _snapshot()
    text = (
        f"{OURS}\n"
        "A,OWN-1,Ann,Ames,,,,,,,,\n"  # fine
        "B,NOPE,Bob,Bell,,,,,,,,\n"  # unknown account
        "A,OWN-1,Ann,Again,,,,,,,,\n"  # duplicate id
        "C,OWN-1,Cat,Cole,,,not-an-email,,,,,\n"
        "D,OWN-1,Dee,Dunn,,,,,,boss,,\n"  # not a buying role
        "E,OWN-1,Eve,,,,,,,,,\n"  # no last name
        ",OWN-1,Fay,Fox,,,,,,,,\n"  # no id
        "G,,Gus,Gray,,,,,,,,\n"  # no account
    )
    report = _import(text)
    errors = _errors(report)
    assert errors[(3, "account_number")] == "no account with this account number in KAM"
    assert errors[(4, "contact_id")] == "duplicate: contact A is already on row 2"
    assert errors[(5, "email")] == "not an e-mail address"
    assert errors[(6, "buying_role")].startswith("“boss” is not a buying role: use economic_buyer, decision_maker")
    assert errors[(7, "last_name")] == "the last name is required"
    assert errors[(8, "contact_id")] == "a value is required here"
    assert errors[(9, "account_number")] == "the account is required: its account number or its CRM id"
    assert len(errors) == 7 and _snapshot() == before
    # Reporting lines: to oneself, to another customer (in the file or in KAM), to nobody known.
    report = _import(
        f"{OURS}\n"
        "A,OWN-1,Ann,Ames,,,,,A,,,\n"
        "B,OWN-1,Bob,Bell,,,,,O,,,\n"
        "C,OWN-1-1,Cat,Cole,,,,,D,,,\n"
        "D,OTH-1-1,Dee,Dunn,,,,,,,,\n"
        "E,OWN-1,Eve,Eck,,,,,Z-404,,,\n"
    )
    errors = _errors(report)
    assert errors == {
        (2, "reports_to_id"): "a person cannot report to themselves",
        (3, "reports_to_id"): "Cy Frost works for Other Group: reporting lines stay within one customer",
        (4, "reports_to_id"): "Dee Dunn (row 5) works for Other Group: reporting lines stay within one customer",
        (6, "reports_to_id"): "no contact with id Z-404 in this file or in KAM",
    }
    assert _snapshot() == before and outsider.reports_to is None


def test_accounts_by_crm_id_unknown_and_conflicting(crm):
    header = "contact_id,account_number,account_crm_id,last_name\n"
    report = _import(header + "A,,001A000000NOPE1,Ames\nB,OWN-1,001A000000OTH01,Bell\nC,,001A000000OWN11,Cole\n")
    errors = _errors(report)
    assert errors[(2, "account_crm_id")] == "no account with this CRM id in KAM: import the accounts first"
    assert errors[(3, "account_crm_id")] == "this CRM id is another account's, not Own Group's (OWN-1)"
    assert len(errors) == 2 and not Contact.objects.exists()
    report = _import("Id,FirstName,LastName\n003,Ann,Ames\n")
    assert report.errors[0]["reason"].startswith("Required column missing: account_number, or the account's CRM id")


def test_a_known_person_stays_with_their_customer(portfolio):
    services.save_contact(portfolio.other, {"last_name": "Frost"}, None, external_id="F")
    report = _import(f"{OURS}\nF,OWN-1,,Frost,,,,,,,,\n")
    assert _errors(report) == {
        (2, "account_number"): "in KAM, Frost works for Other Group: a person moves within the customer only"
    }
    assert Contact.objects.get(external_id="F").account == portfolio.other


def test_people_who_left_are_skipped_and_nobody_reports_to_them(portfolio):
    assert _import(PEOPLE).ok
    dan = Contact.objects.get(external_id="C-04")
    services.mark_left(dan, timezone.localdate(), None)  # Eva (C-05) now reports to Ben (C-02)
    dan.refresh_from_db()
    before = _snapshot()
    # The CRM still has Dan, with a new title; Eva's row still names him as her manager.
    crm_file = _edit(PEOPLE, "C-04", title="Head of Sourcing")
    report = _import(crm_file)
    assert _errors(report) == {
        (5, "reports_to_id"): f"Dan Dorn (row 4) left on {dan.left_on:%Y-%m-%d}: choose who took over"
    }
    assert _snapshot() == before
    report = _import(_edit(crm_file, "C-05", reports_to_id="C-02"))
    assert report.ok, report.errors
    assert report.summary()["unchanged"] == 12  # Dan skipped; Eva already reports to Ben
    assert report.preview == [
        {"row": 4, "action": "skipped", "object": f"C-04 Own Group: Dan Dorn (left on {dan.left_on:%Y-%m-%d})"}
    ]
    assert _snapshot() == before


def test_a_hubspot_contact_with_several_companies_names_the_problem(crm):
    header = "Record ID,First Name,Last Name,Associated Company IDs\n"
    report = _import(header + "601,Ann,Ames,001A000000OWN01;001A000000OTH01\n602,Bob,Bell,001A000000OWN11\n")
    assert _errors(report) == {
        (2, "Associated Company IDs"): "several companies: keep only the contact's primary company"
    }
    assert report.errors[0]["value"] == "001A000000OWN01;001A000000OTH01" and not Contact.objects.exists()
    assert _import(header + "602,Bob,Bell,001A000000OWN11\n").ok
    assert Contact.objects.get(external_id="602").account == crm.own_child


def test_an_id_carried_by_two_people_in_kam_is_refused(portfolio):
    for last_name in ("Twin", "Twain"):
        services.save_contact(portfolio.own, {"last_name": last_name}, None, external_id="T-1")
    report = _import(f"{OURS}\nT-1,OWN-1,,Twin,,,,,,,,\n")
    assert _errors(report) == {(2, "contact_id"): "2 contacts in KAM carry id T-1: merge them first"}
    report = _import(f"{OURS}\nU-1,OWN-1,,Ute,,,,,T-1,,,\n")
    assert _errors(report) == {(2, "reports_to_id"): "2 contacts in KAM carry id T-1: merge them first"}
    assert Contact.objects.count() == 2
