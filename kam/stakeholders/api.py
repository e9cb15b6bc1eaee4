"""The stakeholders' REST API: contacts (list, read, add, change, departure, vCard-free JSON), and the organisation
map of a customer now or as of a past moment. Same choke point and error format as the pages."""

import datetime as dt
from typing import Literal

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from kam.accounts.api import Pagination
from kam.accounts.models import Account
from kam.core.api import (
    BIGINT,
    ERRORS,
    WRITE_ERRORS,
    InputSchema,
    api_field_names,
    etag,
    expected_version,
    filtered,
    get_restricted,
    optional_version,
    refuse_nulls,
    restricted,
    stored_id,
)
from kam.core.permissions import ADD, CHANGE, DELETE, VIEW
from kam.selection.choices import Segment
from kam.stakeholders import interactions, rules, services
from kam.stakeholders.choices import (
    Attitude,
    BuyingRole,
    CoverageRuleKind,
    Influence,
    InteractionKind,
    Level,
    Sentiment,
    Strength,
)
from kam.stakeholders.filtersets import ContactFilterSet
from kam.stakeholders.models import CadenceRule, Contact, CoverageRule, Interaction

router = Router(tags=["stakeholders"])

LINKS = ("account", "reports_to", "dotted_line_to", "relationship_owner")


def _api_name(field: str) -> str:
    return f"{field}_id" if field in LINKS else field


class ContactOut(Schema):
    id: int
    account_id: int
    first_name: str
    last_name: str
    name: str
    title: str
    business_unit: str
    location: str
    email: str
    phone: str
    reports_to_id: int | None
    dotted_line_to_id: int | None
    buying_role: str = Field(description="economic_buyer, decision_maker, technical_buyer, user, influencer, "
                                         "gatekeeper, coach, or empty.")  # fmt: skip
    attitude: str
    influence: str
    level: str
    relationship_owner_id: int | None
    relationship_now: int = Field(description="0 none … 4 trusted advisor.")
    relationship_desired: int
    left_on: dt.date | None = Field(description="The day they left the company (their place stays, vacant).")
    notes: str
    external_id: str
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class ContactIn(InputSchema):
    account_id: int | None = Field(None, description="Where they work: the customer's group or a subsidiary.")
    first_name: str | None = Field(None, max_length=100)
    last_name: str | None = Field(None, min_length=1, max_length=100, description="Required to add.")
    title: str | None = Field(None, max_length=200)
    business_unit: str | None = Field(None, max_length=200)
    location: str | None = Field(None, max_length=200)
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=50)
    reports_to_id: int | None = Field(None, description="A contact of the same customer (their manager).")
    dotted_line_to_id: int | None = None
    buying_role: Literal[("", *BuyingRole.values)] | None = None
    attitude: Literal[tuple(Attitude.values)] | None = None
    influence: Literal[tuple(Influence.values)] | None = None
    level: Literal[tuple(Level.values)] | None = None
    relationship_owner_id: int | None = None
    relationship_now: int | None = Field(None, ge=Strength.NONE, le=Strength.ADVISOR)
    relationship_desired: int | None = Field(None, ge=Strength.NONE, le=Strength.ADVISOR)
    notes: str | None = Field(None, max_length=20_000)
    version: int | None = Field(None, description="Changing: the contact's version you read; or send If-Match.")


class ContactLeftIn(InputSchema):
    left_on: dt.date = Field(description="The day they left (not in the future).")
    version: int | None = None


class ContactFilters(Schema):
    q: str | None = Field(None, max_length=200)
    buying_role: Literal[tuple(BuyingRole.values)] | None = None
    attitude: Literal[tuple(Attitude.values)] | None = None
    level: Literal[tuple(Level.values)] | None = None
    left: bool | None = None
    owned: bool | None = None


class MapPersonOut(Schema):
    contact_id: int
    account_id: int
    name: str
    title: str
    business_unit: str
    reports_to_id: int | None = Field(description="Their manager then.")
    dotted_line_to_id: int | None
    buying_role: str
    attitude: str
    influence: str
    level: str
    relationship_owner_id: int | None
    relationship_now: int
    relationship_desired: int
    left_on: dt.date | None = Field(description="Set when they had left by then: a vacant place on the map.")


class MapOut(Schema):
    customer_id: int = Field(description="The top-level account the map covers (with every subsidiary).")
    as_of: dt.datetime
    people: list[MapPersonOut]


class MapQuery(Schema):
    as_of: dt.datetime | None = Field(None, description="A past moment (ISO 8601 with an offset); default: now.")


def _contacts(request, action=VIEW):
    return restricted(request, Contact, action).select_related("account")


def _contact(request, contact_id: int, action=VIEW) -> Contact:
    contact = _contacts(request, action).filter(pk=stored_id(contact_id)).first()
    if contact is None:
        raise Http404
    return contact


def _data(payload: InputSchema, *, adding: bool) -> tuple[dict, int | None]:
    data = payload.dict(exclude_unset=True)
    version = data.pop("version", None)
    for name in ("first_name", "title", "business_unit", "location", "email", "phone", "notes", "buying_role"):
        if name in data and data[name] is None:
            data[name] = ""
    refuse_nulls(data, "last_name", "attitude", "influence", "level", "relationship_now", "relationship_desired")
    if adding and not data.get("last_name"):
        raise ValidationError({"last_name": "This field is required."})
    for name in ("account_id", "reports_to_id", "dotted_line_to_id", "relationship_owner_id"):
        if data.get(name) is not None and not 0 < data[name] < BIGINT:
            raise ValidationError({name: "No such object."})
    links = {f"{name}_id": name for name in LINKS}
    return {links.get(name, name): value for name, value in data.items()}, version


@router.get("/contacts", response={200: list[ContactOut], **ERRORS}, summary="The contacts of the accounts you see")
@paginate(Pagination)
def list_contacts(request, filters: Query[ContactFilters]):
    return filtered(request, ContactFilterSet, _contacts(request).order_by("last_name", "first_name", "pk"), filters)


# Registered before /contacts/{contact_id}, which would otherwise take "overdue" for an id.


class CadenceOverdueOut(Schema):
    contact_id: int
    account_id: int
    name: str
    buying_role: str
    relationship_owner_id: int | None
    days: int = Field(description="The cadence, in days.")
    last_touch: dt.date | None = Field(description="The latest interaction; null: never met.")
    due: dt.date
    days_overdue: int
    rule_id: int


@router.get(
    "/contacts/overdue",
    response={200: list[CadenceOverdueOut], **ERRORS},
    summary="The people of your accounts not met as often as the cadence rules ask, most overdue first",
)
@paginate(Pagination)
def overdue_contacts(request):
    from kam.stakeholders.cadence import overdue_contacts as overdue

    restricted(request, Contact, VIEW)
    return [
        {
            "contact_id": o.contact.pk,
            "account_id": o.contact.account_id,
            "name": o.contact.name,
            "buying_role": o.contact.buying_role,
            "relationship_owner_id": o.contact.relationship_owner_id,
            "days": o.days,
            "last_touch": o.last_touch,
            "due": o.due,
            "days_overdue": o.days_overdue,
            "rule_id": o.rule.pk,
        }
        for o in overdue(Account.objects.visible_to(request.user))
    ]


@router.post(
    "/accounts/{account_id}/contacts",
    response={201: ContactOut, **WRITE_ERRORS},
    summary="Add a contact to the account (reporting lines stay within the customer; no circles)",
)
def add_contact(request, account_id: int, payload: ContactIn, response: HttpResponse):
    restricted(request, Contact, ADD)
    account = get_restricted(request, Account, VIEW, stored_id(account_id))
    data, _ = _data(payload, adding=True)
    with api_field_names(_api_name):
        contact = services.save_contact(account, data, request.user)
    response["ETag"] = etag(contact)
    return Status(201, contact)


@router.get("/contacts/{contact_id}", response={200: ContactOut, **ERRORS}, summary="One contact")
def get_contact(request, contact_id: int, response: HttpResponse):
    contact = _contact(request, contact_id)
    response["ETag"] = etag(contact)
    return contact


@router.patch(
    "/contacts/{contact_id}",
    response={200: ContactOut, **WRITE_ERRORS},
    summary="Change a contact (If-Match or version required)",
)
def update_contact(request, contact_id: int, payload: ContactIn, response: HttpResponse):
    contact = _contact(request, contact_id, CHANGE)
    data, body_version = _data(payload, adding=False)
    expected = expected_version(request, body_version)
    with api_field_names(_api_name):
        contact = services.save_contact(contact.account, data, request.user, contact=contact, expected_version=expected)
    response["ETag"] = etag(contact)
    return contact


@router.post(
    "/contacts/{contact_id}/left",
    response={200: list[ContactOut], **WRITE_ERRORS},
    summary="The contact left the company: their reports move to their manager; returns the contacts that moved",
)
def contact_left(request, contact_id: int, payload: ContactLeftIn):
    contact = _contact(request, contact_id, CHANGE)
    expected = expected_version(request, payload.version)
    return services.mark_left(contact, payload.left_on, request.user, expected_version=expected)


@router.get(
    "/accounts/{account_id}/org-map",
    response={200: MapOut, **ERRORS},
    summary="The customer's organisation map (the account's whole group), now or as of a past moment",
)
def org_map(request, account_id: int, query: Query[MapQuery]):
    restricted(request, Contact, VIEW)
    account = get_restricted(request, Account, VIEW, stored_id(account_id))
    moment = query.as_of or timezone.now()
    if timezone.is_naive(moment):
        raise HttpError(422, "as_of needs a time zone: add Z or an offset such as +01:00.")
    # The customer's map, limited to the accounts the user sees (a subsidiary's team sees its own people only).
    states = services.map_as_of(account, moment)
    visible = set(
        Account.objects.visible_to(request.user)
        .filter(pk__in={s.account_id for s in states})
        .values_list("pk", flat=True)
    )
    people = [
        {
            "contact_id": s.contact_id,
            "account_id": s.account_id,
            "name": s.name,
            "title": s.title,
            "business_unit": s.business_unit,
            "reports_to_id": s.reports_to_contact_id,
            "dotted_line_to_id": s.dotted_line_to_contact_id,
            "buying_role": s.buying_role,
            "attitude": s.attitude,
            "influence": s.influence,
            "level": s.level,
            "relationship_owner_id": s.relationship_owner_user_id,
            "relationship_now": s.relationship_now,
            "relationship_desired": s.relationship_desired,
            "left_on": s.left_on if s.left_on is not None and s.left_on <= moment.date() else None,
        }
        for s in states
        if s.account_id in visible
    ]
    return {"customer_id": services.group_of(account), "as_of": moment, "people": people}


# Interactions -------------------------------------------------------------------------------------------------------


class InteractionOut(Schema):
    id: int
    account_id: int
    kind: str
    occurred_on: dt.date
    level: str
    subject: str
    summary: str
    sentiment: str
    next_steps: str
    contact_ids: list[int] = Field(description="Their side.")
    participant_ids: list[int] = Field(description="Our side.")
    created_by_id: int | None
    version: int

    @staticmethod
    def resolve_contact_ids(obj):
        return sorted(c.pk for c in obj.contacts.all())

    @staticmethod
    def resolve_participant_ids(obj):
        return sorted(u.pk for u in obj.participants.all())


class InteractionIn(InputSchema):
    kind: Literal[tuple(InteractionKind.values)] | None = None
    occurred_on: dt.date | None = Field(None, description="Required to add; not in the future.")
    level: Literal[tuple(Level.values)] | None = None
    subject: str | None = Field(None, min_length=1, max_length=200, description="Required to add.")
    summary: str | None = Field(None, max_length=20_000)
    sentiment: Literal[tuple(Sentiment.values)] | None = None
    next_steps: str | None = Field(None, max_length=20_000, description="One a line.")
    contact_ids: list[int] | None = Field(None, description="Their side: at least one contact of the customer.")
    participant_ids: list[int] | None = Field(None, description="Our side: active users.")
    version: int | None = Field(None, description="Changing: the version you read; or send If-Match.")


class NextStepOut(Schema):
    action_id: int
    plan_version_id: int
    title: str


class NextStepIn(InputSchema):
    text: str = Field(min_length=1, max_length=200, description="One of the interaction's next-step lines.")


def _interaction(request, interaction_id: int, action=VIEW) -> Interaction:
    found = restricted(request, Interaction, action).filter(pk=stored_id(interaction_id)).first()
    if found is None:
        raise Http404
    return found


def _interaction_data(payload: InteractionIn, *, adding: bool) -> tuple[dict, list | None, list | None, int | None]:
    data = payload.dict(exclude_unset=True)
    version = data.pop("version", None)
    contacts, participants = data.pop("contact_ids", None), data.pop("participant_ids", None)
    for name in ("summary", "next_steps"):
        if name in data and data[name] is None:
            data[name] = ""
    refuse_nulls(data, "kind", "occurred_on", "level", "subject", "sentiment")
    if adding:
        missing = [name for name in ("occurred_on", "subject") if not data.get(name)]
        if contacts is None:
            missing.append("contact_ids")
        if missing:
            raise ValidationError(dict.fromkeys(missing, "This field is required."))
    return data, contacts, participants, version


INTERACTION_NAMES = {"contacts": "contact_ids", "participants": "participant_ids"}


@router.get(
    "/accounts/{account_id}/interactions",
    response={200: list[InteractionOut], **ERRORS},
    summary="The account's interactions (a group's include its subsidiaries'), newest first",
)
@paginate(Pagination)
def list_interactions(request, account_id: int):
    restricted(request, Interaction, VIEW)
    account = get_restricted(request, Account, VIEW, stored_id(account_id))
    return interactions.account_timeline(account)


@router.get(
    "/contacts/{contact_id}/interactions",
    response={200: list[InteractionOut], **ERRORS},
    summary="The interactions a contact took part in, newest first",
)
@paginate(Pagination)
def contact_interactions(request, contact_id: int):
    restricted(request, Interaction, VIEW)
    return interactions.contact_timeline(_contact(request, contact_id))


@router.post(
    "/accounts/{account_id}/interactions",
    response={201: InteractionOut, **WRITE_ERRORS},
    summary="Log an interaction (their side: contacts of the customer; ours: users)",
)
def add_interaction(request, account_id: int, payload: InteractionIn, response: HttpResponse):
    restricted(request, Interaction, ADD)
    account = get_restricted(request, Account, VIEW, stored_id(account_id))
    data, contacts, participants, _ = _interaction_data(payload, adding=True)
    with api_field_names(**INTERACTION_NAMES):
        saved = interactions.log_interaction(
            account, data, request.user, contacts=contacts or [], participants=participants or []
        )
    response["ETag"] = etag(saved)
    return Status(201, saved)


@router.get("/interactions/{interaction_id}", response={200: InteractionOut, **ERRORS}, summary="One interaction")
def get_interaction(request, interaction_id: int, response: HttpResponse):
    found = _interaction(request, interaction_id)
    response["ETag"] = etag(found)
    return found


@router.patch(
    "/interactions/{interaction_id}",
    response={200: InteractionOut, **WRITE_ERRORS},
    summary="Change an interaction (If-Match or version required); sent sides replace the stored ones",
)
def update_interaction(request, interaction_id: int, payload: InteractionIn, response: HttpResponse):
    found = _interaction(request, interaction_id, CHANGE)
    data, contacts, participants, body_version = _interaction_data(payload, adding=False)
    expected = expected_version(request, body_version)
    with api_field_names(**INTERACTION_NAMES):
        saved = interactions.log_interaction(
            found.account,
            data,
            request.user,
            contacts=contacts if contacts is not None else list(found.contacts.values_list("pk", flat=True)),
            participants=participants
            if participants is not None
            else list(found.participants.values_list("pk", flat=True)),
            interaction=found,
            expected_version=expected,
        )
    response["ETag"] = etag(saved)
    return saved


@router.delete(
    "/interactions/{interaction_id}",
    response={204: None, **WRITE_ERRORS},
    summary="Delete an interaction (If-Match checked when sent)",
)
def delete_interaction(request, interaction_id: int):
    found = _interaction(request, interaction_id, DELETE)
    interactions.delete_interaction(found, request.user, optional_version(request, None))
    return Status(204, None)


@router.post(
    "/interactions/{interaction_id}/next-step",
    response={201: NextStepOut, **WRITE_ERRORS},
    summary="Make one of the interaction's next steps an action of the account plan (the newest draft or version "
    "in review); returns the action's id and the plan version",
)
def next_step(request, interaction_id: int, payload: NextStepIn):
    from kam.plans.models import Action

    restricted(request, Action, ADD)
    found = _interaction(request, interaction_id)
    action = interactions.next_step_to_action(found, payload.text, request.user, owner=request.user)
    return Status(201, {"action_id": action.pk, "plan_version_id": action.plan_version_id, "title": action.title})


# The programme's coverage and cadence rules; coverage and overdue contacts --------------------------------------------

SEGMENT_HELP = "strategic, develop, maintain, serve_efficiently, unclassified, or empty (every segment)."
KIND_DESCRIPTION = " ".join(f"{kind}: {text}" for kind, text in rules.KIND_HELP.items())


class CoverageRuleOut(Schema):
    id: int
    name: str
    kind: str = Field(description=KIND_DESCRIPTION)
    segment: str = Field(description=SEGMENT_HELP)
    attitude: str
    buying_role: str
    team_role: str = Field(description="A key of the team role catalogue, e.g. executive_sponsor.")
    min_strength: int = Field(description="0 none … 4 trusted advisor.")
    is_active: bool
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class CoverageRuleIn(InputSchema):
    name: str | None = Field(None, min_length=1, max_length=200, description="Required to add.")
    kind: Literal[tuple(CoverageRuleKind.values)] | None = Field(
        None, description="Required to add. " + KIND_DESCRIPTION
    )
    segment: Literal[("", *Segment.values)] | None = Field(None, description=SEGMENT_HELP)
    attitude: Literal[("", *Attitude.values)] | None = None
    buying_role: Literal[("", *BuyingRole.values)] | None = None
    team_role: str | None = Field(None, max_length=32)
    min_strength: int | None = Field(None, ge=Strength.NONE, le=Strength.ADVISOR)
    is_active: bool | None = None
    version: int | None = Field(None, description="Changing: the rule's version you read; or send If-Match.")


class CadenceRuleOut(Schema):
    id: int
    segment: str = Field(description=SEGMENT_HELP)
    buying_role: str = Field(description="Empty: every contact without a more specific rule.")
    days: int
    is_active: bool
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class CadenceRuleIn(InputSchema):
    segment: Literal[("", *Segment.values)] | None = Field(None, description=SEGMENT_HELP)
    buying_role: Literal[("", *BuyingRole.values)] | None = None
    days: int | None = Field(None, ge=1, le=730, description="Required to add: how often, 1 to 730 days.")
    is_active: bool | None = None
    version: int | None = Field(None, description="Changing: the rule's version you read; or send If-Match.")


class CoverageResultOut(Schema):
    rule_id: int
    rule_name: str
    kind: str
    passed: bool
    message: str
    contact_ids: list[int] = Field(description="Passing: who satisfies it; failing: whom to act on.")


class CoverageReportOut(Schema):
    customer_id: int = Field(description="The top-level account checked (with every subsidiary).")
    segment: str = Field(description="The customer's segment in the latest finished selection run; empty: none.")
    covered: bool
    results: list[CoverageResultOut]


class CoverageMatrixCellOut(Schema):
    contact_id: int
    now: int
    desired: int


class CoverageMatrixRowOut(Schema):
    user_id: int
    name: str
    roles: list[str] = Field(description="Team roles held on the customer's accounts; empty: not on the team.")
    cells: list[CoverageMatrixCellOut] = Field(description="The key people whose relationship this person owns.")


class CoverageMatrixPersonOut(Schema):
    contact_id: int
    account_id: int
    name: str
    buying_role: str
    gap: int = Field(description="Desired − now; negative: stronger than wanted.")


class CoverageMatrixOut(Schema):
    customer_id: int
    people: list[CoverageMatrixPersonOut]
    rows: list[CoverageMatrixRowOut]


def _rule_data(payload: InputSchema) -> tuple[dict, int | None]:
    data = payload.dict(exclude_unset=True)
    version = data.pop("version", None)
    refuse_nulls(data, "name", "kind", "days", "is_active")
    return data, version


def _coverage_rule(request, rule_id: int, action=VIEW) -> CoverageRule:
    return get_restricted(request, CoverageRule, action, stored_id(rule_id))


def _cadence_rule(request, rule_id: int, action=VIEW) -> CadenceRule:
    return get_restricted(request, CadenceRule, action, stored_id(rule_id))


@router.get(
    "/coverage-rules",
    response={200: list[CoverageRuleOut], **ERRORS},
    summary="The programme's coverage rules (segment, name order)",
)
@paginate(Pagination)
def list_coverage_rules(request):
    return restricted(request, CoverageRule, VIEW).order_by("segment", "name", "pk")


@router.post(
    "/coverage-rules",
    response={201: CoverageRuleOut, **WRITE_ERRORS},
    summary="Add a coverage rule (programme lead, administrator); the kind decides which fields it uses",
)
def add_coverage_rule(request, payload: CoverageRuleIn, response: HttpResponse):
    restricted(request, CoverageRule, ADD)
    data, _ = _rule_data(payload)
    missing = [name for name in ("name", "kind") if not data.get(name)]
    if missing:
        raise ValidationError(dict.fromkeys(missing, "This field is required."))
    rule = rules.save_coverage_rule(data, request.user)
    response["ETag"] = etag(rule)
    return Status(201, rule)


@router.get("/coverage-rules/{rule_id}", response={200: CoverageRuleOut, **ERRORS}, summary="One coverage rule")
def get_coverage_rule(request, rule_id: int, response: HttpResponse):
    rule = _coverage_rule(request, rule_id)
    response["ETag"] = etag(rule)
    return rule


@router.patch(
    "/coverage-rules/{rule_id}",
    response={200: CoverageRuleOut, **WRITE_ERRORS},
    summary="Change a coverage rule (If-Match or version required)",
)
def update_coverage_rule(request, rule_id: int, payload: CoverageRuleIn, response: HttpResponse):
    rule = _coverage_rule(request, rule_id, CHANGE)
    data, body_version = _rule_data(payload)
    expected = expected_version(request, body_version)
    rule = rules.save_coverage_rule(data, request.user, rule=rule, expected_version=expected)
    response["ETag"] = etag(rule)
    return rule


@router.delete(
    "/coverage-rules/{rule_id}",
    response={204: None, **WRITE_ERRORS},
    summary="Delete a coverage rule (If-Match checked when sent)",
)
def delete_coverage_rule(request, rule_id: int):
    rule = _coverage_rule(request, rule_id, DELETE)
    rules.delete_coverage_rule(rule, request.user, optional_version(request, None))
    return Status(204, None)


@router.get(
    "/cadence-rules",
    response={200: list[CadenceRuleOut], **ERRORS},
    summary="The programme's cadence rules (segment, buying role order)",
)
@paginate(Pagination)
def list_cadence_rules(request):
    return restricted(request, CadenceRule, VIEW).order_by("segment", "buying_role", "pk")


@router.post(
    "/cadence-rules",
    response={201: CadenceRuleOut, **WRITE_ERRORS},
    summary="Add a cadence rule (programme lead, administrator); one per segment and buying role",
)
def add_cadence_rule(request, payload: CadenceRuleIn, response: HttpResponse):
    restricted(request, CadenceRule, ADD)
    data, _ = _rule_data(payload)
    if data.get("days") is None:
        raise ValidationError({"days": "This field is required."})
    rule = rules.save_cadence_rule(data, request.user)
    response["ETag"] = etag(rule)
    return Status(201, rule)


@router.get("/cadence-rules/{rule_id}", response={200: CadenceRuleOut, **ERRORS}, summary="One cadence rule")
def get_cadence_rule(request, rule_id: int, response: HttpResponse):
    rule = _cadence_rule(request, rule_id)
    response["ETag"] = etag(rule)
    return rule


@router.patch(
    "/cadence-rules/{rule_id}",
    response={200: CadenceRuleOut, **WRITE_ERRORS},
    summary="Change a cadence rule (If-Match or version required)",
)
def update_cadence_rule(request, rule_id: int, payload: CadenceRuleIn, response: HttpResponse):
    rule = _cadence_rule(request, rule_id, CHANGE)
    data, body_version = _rule_data(payload)
    expected = expected_version(request, body_version)
    rule = rules.save_cadence_rule(data, request.user, rule=rule, expected_version=expected)
    response["ETag"] = etag(rule)
    return rule


@router.delete(
    "/cadence-rules/{rule_id}",
    response={204: None, **WRITE_ERRORS},
    summary="Delete a cadence rule (If-Match checked when sent)",
)
def delete_cadence_rule(request, rule_id: int):
    rule = _cadence_rule(request, rule_id, DELETE)
    rules.delete_cadence_rule(rule, request.user, optional_version(request, None))
    return Status(204, None)


@router.get(
    "/accounts/{account_id}/coverage",
    response={200: CoverageReportOut, **ERRORS},
    summary="The coverage rules checked on the account's customer (its whole group): passed or a gap, and who",
)
def account_coverage(request, account_id: int):
    from kam.stakeholders.coverage import evaluate_coverage

    restricted(request, Contact, VIEW)
    account = get_restricted(request, Account, VIEW, stored_id(account_id))
    report = evaluate_coverage(account)
    return {
        "customer_id": report.group.pk,
        "segment": report.segment,
        "covered": report.covered,
        "results": [
            {
                "rule_id": result.rule.pk,
                "rule_name": result.rule.name,
                "kind": result.rule.kind,
                "passed": result.passed,
                "message": result.message,
                "contact_ids": [contact.pk for contact in result.contacts],
            }
            for result in report.results
        ],
    }


@router.get(
    "/accounts/{account_id}/coverage-matrix",
    response={200: CoverageMatrixOut, **ERRORS},
    summary="Our team × the customer's key people: who owns which relationship, how strong now and wanted",
)
def account_coverage_matrix(request, account_id: int):
    from kam.stakeholders.coverage import coverage_matrix

    restricted(request, Contact, VIEW)
    account = get_restricted(request, Account, VIEW, stored_id(account_id))
    matrix = coverage_matrix(account)
    return {
        "customer_id": matrix.group.pk,
        "people": [
            {
                "contact_id": person.pk,
                "account_id": person.account_id,
                "name": person.name,
                "buying_role": person.buying_role,
                "gap": matrix.gaps[person.pk],
            }
            for person in matrix.people
        ],
        "rows": [
            {
                "user_id": row.user.pk,
                "name": str(row.user),
                "roles": row.roles,
                "cells": [
                    {"contact_id": person.pk, "now": cell.now, "desired": cell.desired}
                    for person, cell in zip(matrix.people, row.cells, strict=True)
                    if cell is not None
                ],
            }
            for row in matrix.rows
        ],
    }
