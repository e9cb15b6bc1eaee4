"""kam.charters.services: made from the template, every edit a version, stale edits refused, sign-off freezes."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from kam.audit.services import changes_for
from kam.charters import services
from kam.charters.defaults import KEYS
from kam.charters.models import Charter, CharterTemplate, CharterVersion
from kam.charters.rendering import effective_content
from kam.core.roles import Role
from kam.core.services import StaleObject
from tests import factories
from tests.charters.conftest import today


def test_a_charter_starts_as_version_1_with_the_templates_ten_sections(charter, users):
    template = CharterTemplate.current()
    assert [s["key"] for s in charter.sections] == KEYS
    assert [(s["number"], s["title"], s["body"]) for s in charter.sections] == [
        (s["number"], s["title"], s["body"]) for s in template.sections
    ]
    version = charter.versions.get()
    assert (version.number, charter.latest_number, charter.status) == (1, 1, "draft")
    assert version.content == charter.content() and version.created_by == users.kam
    assert version.note == "Created from the programme template."


def test_an_account_has_one_charter(charter, portfolio, users):
    with pytest.raises(ValidationError) as error:
        services.create_charter(portfolio.own, users.lead)
    assert "account" in error.value.message_dict
    assert Charter.objects.filter(account=portfolio.own).count() == 1


def test_every_saved_edit_is_a_version_with_the_full_content(charter, users):
    charter = services.update_charter(charter, {"client_goals": "Grow in Asia"}, users.kam, note="Goals")
    charter = services.update_charter(
        charter,
        {"sections": {"value": "We save you **time**."}, "kpis": [{"name": "NPS", "target": "40+"}]},
        users.lead,
    )
    versions = {v.number: v for v in charter.versions.all()}
    assert sorted(versions) == [1, 2, 3] and charter.latest_number == 3
    assert versions[1].content["client_goals"] == "" and versions[2].content["client_goals"] == "Grow in Asia"
    assert versions[2].note == "Goals" and versions[3].created_by == users.lead
    value = {s["key"]: s["body"] for s in versions[3].content["sections"]}["value"]
    assert value == "We save you **time**."
    assert versions[3].content["kpis"] == [{"name": "NPS", "target": "40+", "measure": ""}]
    assert all(len(v.content["sections"]) == 10 for v in versions.values())


def test_a_save_that_changes_nothing_makes_no_version(charter, users):
    same = services.update_charter(
        charter, {"client_goals": "", "sections": {"value": charter.sections[5]["body"]}}, users.kam
    )
    assert same.latest_number == 1 and charter.versions.count() == 1 and same.version == charter.version


def test_a_stale_edit_is_refused_and_the_first_edit_survives(charter, users):
    read = charter.version
    services.update_charter(charter, {"client_goals": "First writer"}, users.kam, expected_version=read)
    with pytest.raises(StaleObject):
        services.update_charter(charter, {"client_goals": "Second writer"}, users.lead, expected_version=read)
    charter.refresh_from_db()
    assert charter.client_goals == "First writer" and charter.latest_number == 2
    assert charter.versions.count() == 2


def test_sign_off_records_who_and_when_and_freezes_the_version(charter, users, commitments):
    version = services.sign_off(charter, users.kam, "Dana Client", today(), "Head of Procurement")
    charter.refresh_from_db()
    assert charter.status == "signed" and charter.signed_version == version
    assert (version.approved_by, version.client_signatory_name, version.client_signatory_title) == (
        users.kam,
        "Dana Client",
        "Head of Procurement",
    )
    assert version.signed_on == today() and version.signed_at is not None
    assert version.content["commitments"] == [list(row) for row in commitments.rows]
    assert version.content["account"]["name"] == "Own Group"
    stored = CharterVersion.objects.get(pk=version.pk)
    stored.note = "Rewritten history"
    with pytest.raises(ValidationError):
        stored.save()
    with pytest.raises(ValidationError):
        stored.delete()
    assert CharterVersion.objects.get(pk=version.pk).note == "Created from the programme template."


def test_an_unsigned_version_keeps_its_content_too(charter, users):
    version = charter.versions.get()
    version.content = {**version.content, "client_goals": "Sneaked in"}
    with pytest.raises(ValidationError):
        version.save()


def test_editing_a_signed_charter_starts_a_new_draft(charter, users, commitments):
    first = services.sign_off(charter, users.lead, "Dana Client", today())
    charter.refresh_from_db()
    signed_content = first.content
    charter = services.update_charter(charter, {"client_goals": "New goals"}, users.kam)
    charter.refresh_from_db()
    assert charter.status == "draft" and charter.latest_number == 2 and charter.signed_version_id == first.pk
    assert charter.has_draft_after_signing
    first.refresh_from_db()
    assert first.content == signed_content and first.signed_on == today()
    second = services.sign_off(charter, users.lead, "Dana Client", today())
    first.refresh_from_db()
    charter.refresh_from_db()
    assert first.status == "superseded" and second.status == "signed" and charter.signed_version == second


@pytest.mark.parametrize(
    ("signed_on", "field"),
    [(1, "signed_on"), (-1, "signed_on"), (None, "signed_on")],
    ids=["tomorrow", "before-the-version", "missing"],
)
def test_bad_sign_off_dates_are_refused_with_field_errors(charter, users, signed_on, field):
    version = charter.versions.get()
    created = timezone.localdate(version.created_at)
    day = (
        None
        if signed_on is None
        else (today() + dt.timedelta(days=1) if signed_on > 0 else created - dt.timedelta(days=1))
    )
    with pytest.raises(ValidationError) as error:
        services.sign_off(charter, users.kam, "Dana Client", day)
    assert list(error.value.message_dict) == [field]
    charter.refresh_from_db()
    assert charter.status == "draft" and CharterVersion.objects.get(pk=version.pk).signed_on is None


def test_the_client_signatory_is_required(charter, users):
    with pytest.raises(ValidationError) as error:
        services.sign_off(charter, users.kam, "  ", today())
    assert list(error.value.message_dict) == ["client_signatory_name"]


def test_a_signed_version_cannot_be_signed_again(charter, users):
    services.sign_off(charter, users.kam, "Dana Client", today())
    charter.refresh_from_db()
    with pytest.raises(ValidationError, match="signed already"):
        services.sign_off(charter, users.lead, "Someone Else", today())
    assert charter.versions.get().client_signatory_name == "Dana Client"


def test_only_the_accounts_own_key_account_manager_signs_off_besides_the_leads(charter, users, portfolio):
    colleague = factories.make_user(Role.KEY_ACCOUNT_MANAGER)
    factories.add_member(portfolio.own, colleague, "support")
    assert not services.may_sign_off(colleague, charter)
    assert not services.may_sign_off(users.sponsor, charter) and not services.may_sign_off(users.viewer, charter)
    assert services.may_sign_off(users.kam, charter) and services.may_sign_off(users.lead, charter)
    with pytest.raises(PermissionDenied):
        services.sign_off(charter, colleague, "Dana Client", today())
    # The manager of the group signs off a subsidiary's charter: its scope includes the subsidiary.
    child = services.create_charter(portfolio.own_child, users.kam)
    assert services.may_sign_off(users.kam, child) and not services.may_sign_off(portfolio.other_kam, child)


def test_fields_are_checked(charter, users):
    with pytest.raises(ValidationError) as error:
        services.update_charter(
            charter,
            {"collaboration_tools": ["slack", "myspace"], "kpis": [{"target": "40"}], "meeting_cadence": "hourly"},
            users.kam,
        )
    assert set(error.value.message_dict) == {"collaboration_tools", "kpis", "meeting_cadence"}
    with pytest.raises(ValidationError) as error:
        services.update_charter(charter, {"sections": {"nonsense": "x"}}, users.kam)
    assert "sections" in error.value.message_dict
    assert charter.versions.count() == 1


def test_tools_are_kept_in_catalogue_order_once(charter, users):
    charter = services.update_charter(charter, {"collaboration_tools": ["email", "slack", "email"]}, users.kam)
    assert charter.collaboration_tools == ["slack", "email"]


def test_editing_the_template_changes_new_charters_only(charter, users, portfolio):
    template = CharterTemplate.current()
    services.update_template(
        {"overview": {"title": "Why we work together", "body": "New words."}}, expected_version=template.version
    )
    charter.refresh_from_db()
    assert charter.sections[0]["title"] == "Overview and objectives" and charter.sections[0]["body"] != "New words."
    assert charter.versions.get().content["sections"][0]["body"] != "New words."
    newer = services.create_charter(portfolio.other, users.lead)
    assert (newer.sections[0]["title"], newer.sections[0]["body"]) == ("Why we work together", "New words.")


def test_template_changes_are_audited_and_stale_ones_refused(db):
    template = CharterTemplate.current()
    read = template.version
    services.update_template({"value": {"guidance": "Be concrete."}}, expected_version=read)
    change = changes_for(CharterTemplate.current()).filter(action="update").first()
    assert change is not None and "Be concrete." in str(change.after) and "Be concrete." not in str(change.before)
    with pytest.raises(StaleObject):
        services.update_template({"value": {"guidance": "Lost"}}, expected_version=read)
    assert CharterTemplate.current().section("value")["guidance"] == "Be concrete."


def test_template_titles_are_required_and_keys_fixed(db):
    with pytest.raises(ValidationError) as error:
        services.update_template({"overview": {"title": "  "}, "extra": {"title": "X"}})
    assert set(error.value.message_dict) == {"overview.title", "sections"}


def test_commitments_come_from_the_service_levels_app(portfolio, commitments):
    commitments.first_response(4, "hours", "clock")
    table = dict(services.commitment_table(portfolio.own))
    assert table["Response to client inquiries"] == "First response within 4 hours; around the clock"
    assert table["Account reviews"] == "Every quarter"


def test_a_signed_version_keeps_the_commitments_it_was_signed_with(charter, users, commitments):
    services.sign_off(charter, users.kam, "Dana Client", today())
    charter.refresh_from_db()
    commitments.first_response(4, "hours", "clock")
    signed = charter.versions.get(number=1)
    assert effective_content(signed)["commitments"][0] == [
        "Response to client inquiries",
        "First response within 1 working day; Mon–Fri 09:00–17:00, Europe/Berlin",
    ]
    charter = services.update_charter(charter, {"client_goals": "More"}, users.kam)
    draft = charter.versions.get(number=2)
    assert effective_content(draft)["commitments"][0] == [
        "Response to client inquiries",
        "First response within 4 hours; around the clock",
    ]
