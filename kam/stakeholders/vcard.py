"""A contact as a vCard 4.0 (RFC 6350), for an address book.

- Lines end with CRLF; a line longer than 75 octets is folded: CRLF and one space, never inside a UTF-8 character.
- In text values backslash, comma, semicolon and line breaks are escaped (`\\\\`, `\\,`, `\\;`, `\\n`); the parts of
  N, ORG and ADR are escaped each and joined with an unescaped `;`.
- FN and N always; ORG is the account's name (and the person's department as its unit); TITLE, EMAIL, TEL, ADR (the
  location as its locality) and NOTE only when the contact has them. TEL is free text (`VALUE=text`), as CRMs hold
  numbers in any notation.
- UID is `urn:uuid:` and a UUID derived from the contact's primary key, so exporting the same person again replaces
  their card in an address book instead of adding a second one.
"""

import uuid

from kam.stakeholders.models import Contact

# Fixed for ever: changing it would give every contact a new UID (and every address book duplicates).
UID_NAMESPACE = uuid.UUID("6f1d2a0e-3c4b-5e8f-9a7d-1b2c3d4e5f60")
MAX_OCTETS = 75
CRLF = "\r\n"


def escape(text: str) -> str:
    """A text value as RFC 6350 §3.4 writes it."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;").replace("\n", "\\n")


def fold(line: str) -> str:
    """Cut a content line into pieces of at most 75 octets, each after the first starting with a space (§3.2)."""
    pieces, current, size, limit = [], [], 0, MAX_OCTETS
    for char in line:
        octets = len(char.encode("utf-8"))
        if size + octets > limit:
            pieces.append("".join(current))
            current, size, limit = [" "], 1, MAX_OCTETS
        current.append(char)
        size += octets
    pieces.append("".join(current))
    return CRLF.join(pieces)


def contact_uid(contact: Contact) -> str:
    return f"urn:uuid:{uuid.uuid5(UID_NAMESPACE, f'contact:{contact.pk}')}"


def to_vcard(contact: Contact) -> str:
    """The contact's vCard 4.0, CRLF line endings included."""
    lines = [
        "BEGIN:VCARD",
        "VERSION:4.0",
        f"FN:{escape(contact.name)}",
        f"N:{escape(contact.last_name)};{escape(contact.first_name)};;;",
        "ORG:" + ";".join(escape(part) for part in (contact.account.name, contact.business_unit) if part),
    ]
    if contact.title:
        lines.append(f"TITLE:{escape(contact.title)}")
    if contact.email:
        lines.append(f"EMAIL;TYPE=work:{escape(contact.email)}")
    if contact.phone:
        lines.append(f"TEL;VALUE=text;TYPE=work:{escape(contact.phone)}")
    if contact.location:
        lines.append(f"ADR;TYPE=work:;;;{escape(contact.location)};;;")
    if contact.notes:
        lines.append(f"NOTE:{escape(contact.notes)}")
    lines += [f"UID:{contact_uid(contact)}", "END:VCARD"]
    return "".join(fold(line) + CRLF for line in lines)
