"""A contact as a vCard 4.0 (RFC 6350): CRLF lines, escaped text values, lines folded at 75 octets without cutting a
character, a UID stable per contact."""

import re
import uuid

import pytest

from kam.stakeholders.vcard import contact_uid, escape, fold, to_vcard

pytestmark = pytest.mark.django_db


def unfold(text: str) -> list[str]:
    """The content lines of a vCard (RFC 6350 §3.2): a CRLF followed by a space or tab continues the line."""
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")  # CRLF only, no bare LF or CR
    return re.sub(r"\r\n[ \t]", "", text).split("\r\n")[:-1]


def unescape(value: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def split_parts(value: str) -> list[str]:
    """A compound value's parts: split at the semicolons that are not escaped."""
    return [unescape(part) for part in re.split(r"(?<!\\);", value)]


def test_a_contact_with_commas_semicolons_line_breaks_and_accents(portfolio, person):
    contact = person(
        portfolio.own,
        "Müller-Lüdenscheidt",
        "Zoë",
        title="Head of R&D, Europe; Asia",
        business_unit="Research\\Development",
        email="zoe@own.example",
        phone="+49 (0) 89 123",
        location="München",
        notes="Met at Hannover Messe.\nPrefers calls, not e-mail; mornings.",
    )
    card = to_vcard(contact)
    uid = str(uuid.uuid5(uuid.UUID("6f1d2a0e-3c4b-5e8f-9a7d-1b2c3d4e5f60"), f"contact:{contact.pk}"))
    assert card == (
        "BEGIN:VCARD\r\n"
        "VERSION:4.0\r\n"
        "FN:Zoë Müller-Lüdenscheidt\r\n"
        "N:Müller-Lüdenscheidt;Zoë;;;\r\n"
        "ORG:Own Group;Research\\\\Development\r\n"
        "TITLE:Head of R&D\\, Europe\\; Asia\r\n"
        "EMAIL;TYPE=work:zoe@own.example\r\n"
        "TEL;VALUE=text;TYPE=work:+49 (0) 89 123\r\n"
        "ADR;TYPE=work:;;;München;;;\r\n"
        "NOTE:Met at Hannover Messe.\\nPrefers calls\\, not e-mail\\; mornings.\r\n"
        f"UID:urn:uuid:{uid}\r\n"
        "END:VCARD\r\n"
    )
    # Read back: every property gives what the contact holds.
    properties = dict(line.split(":", 1) for line in unfold(card))
    assert unescape(properties["TITLE"]) == contact.title
    assert unescape(properties["NOTE"]) == contact.notes
    assert split_parts(properties["ORG"]) == ["Own Group", "Research\\Development"]
    assert split_parts(properties["N"]) == ["Müller-Lüdenscheidt", "Zoë", "", "", ""]


def test_only_what_the_contact_has_is_written(portfolio, person):
    contact = person(portfolio.own_child, "Stone")
    lines = unfold(to_vcard(contact))
    assert lines == [
        "BEGIN:VCARD",
        "VERSION:4.0",
        "FN:Stone",
        "N:Stone;;;;",
        "ORG:Own Subsidiary",
        f"UID:{contact_uid(contact)}",
        "END:VCARD",
    ]


def test_long_lines_are_folded_at_75_octets_never_inside_a_character(portfolio, person):
    assert fold("NOTE:" + "a" * 100) == "NOTE:" + "a" * 70 + "\r\n " + "a" * 30
    assert fold("X" * 74 + "é") == "X" * 74 + "\r\n é"  # 74 + 2 octets would be 76
    assert fold("X" * 75) == "X" * 75
    notes = "Ünïcödé “quotes”, semicolons; and line\nbreaks — " * 12
    contact = person(portfolio.own, "Long", notes=notes, title="T" * 200)
    card = to_vcard(contact)
    physical = card.split("\r\n")[:-1]
    assert max(len(line.encode()) for line in physical) == 75
    assert all(len(line.encode()) <= 75 for line in physical)
    assert sum(line.startswith(" ") for line in physical) > 10
    properties = dict(line.split(":", 1) for line in unfold(card))
    assert unescape(properties["NOTE"]) == notes and properties["TITLE"] == "T" * 200


def test_escaping_follows_rfc_6350(portfolio):
    assert escape("a\\b,c;d\ne\r\nf\rg") == "a\\\\b\\,c\\;d\\ne\\nf\\ng"


def test_the_uid_is_stable_per_contact(portfolio, person):
    first, second = person(portfolio.own, "One"), person(portfolio.own, "Two")
    assert contact_uid(first) == contact_uid(first) and contact_uid(first) != contact_uid(second)
    assert re.fullmatch(
        r"urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", contact_uid(first)
    )
    first.title = "Changed"
    assert contact_uid(first) == contact_uid(type(first).objects.get(pk=first.pk))
