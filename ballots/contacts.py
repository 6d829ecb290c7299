"""Where a voting code can be sent: a UK postal address for a letter, a UK mobile number for
a text message, an email address, checked as a roll is imported by the rules GOV.UK Notify
sends by, so that a code is not issued to an address Notify will refuse.

A letter's address is 3 to 7 lines, the postcode last: here at least 2 lines before a real UK
postcode (Royal Mail's postcode areas) and at most 6. A mobile number is written as people
write it (``07700 900123``, ``+44 (0)7700-900-123``) and kept as ``+447700900123``. An email
address is kept as written with its domain in small letters (``Jo.Bloggs@Example.ORG`` is
``Jo.Bloggs@example.org``): the part before the ``@`` is the mail server's to read.

Each check answers the value as it is kept, or the problem as a ``Text`` naming the roll
file's column, for the row's list of problems.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ballots.refusals import N_, Nn_, Text

ADDRESS_COLUMNS = tuple(f"address_line_{n}" for n in range(1, 8))
# Notify prints at most 7 lines, the postcode last; it needs at least 3.
MOST_LINES = 6
FEWEST_LINES = 2

# Royal Mail's postcode areas: a postcode is an area, a district and an inward code.
_AREAS_TEXT = (
    "AB AL B BA BB BD BF BH BL BN BR BS BT CA CB CF CH CM CO CR CT CV CW DA DD DE DG DH DL DN "
    "DT DY E EC EH EN EX FK FY G GL GU GY HA HD HG HP HR HS HU HX IG IM IP IV JE KA KT KW KY L "
    "LA LD LE LL LN LS LU M ME MK ML N NE NG NN NP NR NW OL OX PA PE PH PL PO PR RG RH RM S SA "
    "SE SG SK SL SM SN SO SP SR SS ST SW SY TA TD TF TN TQ TR TS TW UB W WA WC WD WF WN WR WS "
    "WV YO ZE"
)
_AREAS = _AREAS_TEXT.replace(" ", "|")
_POSTCODE = re.compile(rf"(?:{_AREAS})[0-9][0-9A-Z]?[0-9][ABD-HJLNP-UW-Z]{{2}}")
# What a printed address line may not start with (the letter printer refuses them).
_BAD_STARTS = tuple('@()=[]"\\/,<>~')
_NO_ADDRESS = re.compile(r"^nfa$|no fixed (abode|address)", re.IGNORECASE)
_PHONE_CHARACTERS = re.compile(r"\+?[0-9()\- ]+")
# An email address as Notify accepts one: the characters a local part may have without
# quoting, then a domain of at least two labels, the last a top-level domain (letters, or an
# internationalised one as ``xn--``).
_LOCAL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}")
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_TOP_LEVEL = re.compile(r"[a-z]{2,63}|xn--[a-z0-9-]{1,59}")
MAX_EMAIL_LENGTH = 254


def squashed(cell: str) -> str:
    """A cell as one printed line: spaces (and any line break inside it) squashed, a trailing
    comma dropped."""
    return " ".join(cell.split()).rstrip(" ,")


def postcode(text: str) -> str | None:
    """``text`` as a printed UK postcode ("SW1A 1AA") whatever its spacing and case, or None
    when it is not a real-looking one."""
    compact = "".join(text.split()).upper()
    if not _POSTCODE.fullmatch(compact):
        return None
    return f"{compact[:-3]} {compact[-3:]}"


def address(lines: Sequence[tuple[str, str]], postcode_cell: str) -> tuple[str | None, list[Text]]:
    """The postal address a row gives, as it is kept (its lines, one a line, the postcode
    last), or None when the row gives none; and its problems. ``lines``: (column, cell) for
    each address line column of the file, in order; blank ones are left out."""
    given = [(column, squashed(cell)) for column, cell in lines if squashed(cell)]
    code_text = postcode_cell.strip()
    if not given and not code_text:
        return None, []
    problems: list[Text] = []
    if not code_text:
        problems.append(Text(N_("has an address but no postcode")))
    elif (code := postcode(code_text)) is None:
        problems.append(
            Text(N_("postcode %(postcode)s is not a real UK postcode"), postcode=repr(code_text))
        )
    if len(given) < FEWEST_LINES:
        problems.append(
            Nn_(
                "has an address of %(num)s line before the postcode; a letter needs at least "
                "%(fewest)s (address_line_1, address_line_2)",
                "has an address of %(num)s lines before the postcode; a letter needs at least "
                "%(fewest)s (address_line_1, address_line_2)",
                len(given),
                fewest=FEWEST_LINES,
            )
        )
    elif len(given) > MOST_LINES:
        problems.append(
            Text(
                N_(
                    "has an address of %(lines)s lines before the postcode; a letter takes at "
                    "most %(most)s"
                ),
                lines=len(given),
                most=MOST_LINES,
            )
        )
    for column, line in given:
        if not re.search(r"[^\W_]", line):
            problems.append(Text(N_("%(column)s has no letter or digit"), column=column))
        elif line.startswith(_BAD_STARTS):
            problems.append(
                Text(
                    N_("%(column)s starts with %(character)s, which a letter cannot print"),
                    column=column,
                    character=line[0],
                )
            )
        elif _NO_ADDRESS.search(line):
            problems.append(
                Text(N_("%(column)s %(line)s is not a postal address"), column=column, line=line)
            )
    if problems:
        return None, problems
    return "\n".join([*(line for _, line in given), code]), []


def uk_mobile(text: str) -> str | None:
    """``text`` as a UK mobile number, ``+447`` and 9 digits, or None when it is not one:
    07..., 447..., +447... or +44 (0)7..., with spaces, dashes and brackets anywhere."""
    text = text.strip()
    if not _PHONE_CHARACTERS.fullmatch(text):
        return None
    digits = re.sub(r"[^0-9]", "", text)
    if text.startswith("+") or digits.startswith("00"):
        digits = digits.removeprefix("00")
        if not digits.startswith("44"):
            return None  # abroad: Notify does not text abroad for this service
        digits = digits[2:].removeprefix("0")
    elif digits.startswith("44") and len(digits) == 12:
        digits = digits[2:]
    elif digits.startswith("0"):
        digits = digits[1:]
    else:
        return None
    if len(digits) != 10 or not digits.startswith("7"):
        return None
    return "+44" + digits


def phone(text: str) -> tuple[str | None, list[Text]]:
    """The mobile number a row gives, as it is kept, or None when the cell is blank; and its
    problem."""
    if not text.strip():
        return None, []
    number = uk_mobile(text)
    if number is None:
        return None, [
            Text(
                N_("phone %(phone)s is not a UK mobile number (07... or +447...)"),
                phone=repr(text.strip()),
            )
        ]
    return number, []


def email_address(text: str) -> str | None:
    """``text`` as an email address, kept as written with its domain in small letters, or
    None when it is not a plausible one: one ``@``, no spaces, no dot at either end of the
    part before it or two together, a domain of two or more labels, 254 characters at most."""
    text = text.strip()
    local, at, domain = text.rpartition("@")
    if not at or len(text) > MAX_EMAIL_LENGTH or not _LOCAL.fullmatch(local):
        return None
    if local.startswith(".") or local.endswith(".") or ".." in local:
        return None
    domain = domain.lower()
    labels = domain.split(".")
    if len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels):
        return None
    if not _TOP_LEVEL.fullmatch(labels[-1]):
        return None
    return f"{local}@{domain}"


def email(text: str) -> tuple[str | None, list[Text]]:
    """The email address a row gives, as it is kept, or None when the cell is blank; and its
    problem."""
    if not text.strip():
        return None, []
    address = email_address(text)
    if address is None:
        return None, [
            Text(
                N_("email %(email)s is not an email address (like name@example.org)"),
                email=repr(text.strip()),
            )
        ]
    return address, []
