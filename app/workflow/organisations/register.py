"""An organisation's register of members: its membership classes, adding members one by one
or from a CSV file, recording a member leaving, finding them, and who is eligible on a record
date.

A member is on the register on a day when they joined on or before it and had not left by it
(``left_on`` after it, or none). The members eligible at a meeting or a ballot are those on
the register on its record date (the day its notice was given): ``eligible_members``.

A member number is kept as written (spaces at either end left off) and is unique in its
organisation, as written: the constraint ``uq_members_organisation_id_member_number`` is the
last word when two requests add the same number at once. Email addresses and mobile numbers
are checked and kept as the roll keeps them (``ballots.contacts``): an address with its domain
in small letters, a number as ``+447`` and 9 digits.

The audit trail records the member number, class and dates of a member added or leaving,
never their name or contacts: the trail is never rewritten, and those are personal data that
may have to be erased.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.workflow import audit
from app.workflow.errors import Conflict, DomainError
from app.workflow.models import User
from app.workflow.organisations.common import (
    MembersInvalid,
    NotOnRegister,
    RowProblem,
    require_run,
    squashed,
    unprintable,
)
from app.workflow.organisations.models import (
    ONE_NUMBER,
    Member,
    MembershipClass,
    Organisation,
)
from ballots.box import violates
from ballots.contacts import email_address, uk_mobile
from ballots.db import begin_write
from ballots.refusals import N_, Day, Listed, Text

LONGEST_NUMBER = 32
LONGEST_NAME = 200
LONGEST_CLASS_NAME = 100
MEMBERS_PER_PAGE = 50
CLASS_CODE = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")

# A file's columns: those it must have, and those it may.
REQUIRED_COLUMNS = ("member_number", "name", "class", "joined_on")
OPTIONAL_COLUMNS = ("email", "phone", "left_on")
# Another name a file may give a column.
COLUMN_ALIASES = {"membership_class": "class"}
# The form fields of one member, by the column each is.
FIELDS = {"class": "membership_class"}

_ISO_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_UK_DAY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


# --- Membership classes ----------------------------------------------------------------------


def classes_of(session: Session, organisation: Organisation) -> list[MembershipClass]:
    return list(
        session.scalars(
            select(MembershipClass)
            .where(MembershipClass.organisation_id == organisation.id)
            .order_by(MembershipClass.code)
        )
    )


def add_class(
    session: Session, organisation: Organisation, *, actor: User, code: str, name: str
) -> MembershipClass:
    """A new membership class of the organisation, audited. ``code`` (how a file of members
    names it) is kept in small letters: letters, digits, ``-`` and ``_``, 32 at most.

    Refused with ``NotAllowed`` for anyone but its officers; with a ``DomainError`` beside
    ``code`` for a code written otherwise or one it already has, beside ``name`` for a name
    that is empty, longer than 100 characters or unprintable."""
    require_run(actor, organisation)
    code = (code or "").strip().lower()
    name = squashed(name)
    if not CLASS_CODE.fullmatch(code):
        raise DomainError(
            N_(
                "Enter a code of up to 32 letters, digits, hyphens or underscores, starting "
                "with a letter or digit, like tenant."
            ),
            "code",
        )
    if any(c.code == code for c in classes_of(session, organisation)):
        raise DomainError(
            N_("%(organisation)s already has a class %(code)s."),
            "code",
            organisation=organisation.name,
            code=code,
        )
    if not name:
        raise DomainError(N_("Enter the class's name."), "name")
    if len(name) > LONGEST_CLASS_NAME or unprintable(name):
        raise DomainError(
            N_("The name must be %(most)s printable characters or fewer."),
            "name",
            most=LONGEST_CLASS_NAME,
        )
    membership_class = MembershipClass(organisation=organisation, code=code, name=name)
    session.add(membership_class)
    session.flush()
    audit.record(
        session,
        action="organisation.class_added",
        actor=actor,
        organisation=organisation,
        subject=membership_class,
        after={"code": code, "name": name},
    )
    return membership_class


def _class_spellings(classes: Iterable[MembershipClass]) -> dict[str, MembershipClass]:
    """Each way a file may name a class (its code, or its name, in any case) and the class;
    a code wins over another class's name."""
    out: dict[str, MembershipClass] = {}
    for c in classes:
        out.setdefault(c.name.lower(), c)
    for c in classes:
        out[c.code.lower()] = c
    return out


# --- One member, checked ---------------------------------------------------------------------


def read_day(text: str) -> tuple[date | None, Text | None]:
    """A day written YYYY-MM-DD or DD/MM/YYYY: (the day, None), (None, None) when blank, or
    (None, why) when it is not a real day written so."""
    text = (text or "").strip()
    if not text:
        return None, None
    iso, uk = _ISO_DAY.fullmatch(text), _UK_DAY.fullmatch(text)
    if iso is None and uk is None:
        return None, Text(
            N_("%(date)s is not a date written YYYY-MM-DD or DD/MM/YYYY"), date=repr(text)
        )
    year, month, day = iso.groups() if iso else reversed(uk.groups())
    try:
        return date(int(year), int(month), int(day)), None
    except ValueError:
        return None, Text(N_("%(date)s is not a real date"), date=repr(text))


@dataclass
class _Checked:
    """One member as given, checked: the values to keep, and each problem by its column."""

    values: dict
    problems: list[tuple[str, Text]]


def _check_member(
    cells: Mapping[str, str], classes: Mapping[str, MembershipClass], today: date
) -> _Checked:
    """A member given as cells by column (``REQUIRED_COLUMNS``, ``OPTIONAL_COLUMNS``), checked
    as both a file's rows and the form are."""
    problems: list[tuple[str, Text]] = []
    values: dict = {}
    for column, cell in cells.items():
        if unprintable(cell or ""):
            problems.append(
                (
                    column,
                    Text(
                        N_("It has a control character (such as a NUL byte), which cannot be kept")
                    ),
                )
            )
    if problems:
        return _Checked(values, problems)
    number = (cells.get("member_number") or "").strip()
    if not number:
        problems.append(("member_number", Text(N_("Enter the member number"))))
    elif len(number) > LONGEST_NUMBER:
        problems.append(
            (
                "member_number",
                Text(
                    N_("The member number must be %(most)s characters or fewer"),
                    most=LONGEST_NUMBER,
                ),
            )
        )
    values["member_number"] = number
    name = squashed(cells.get("name"))
    if not name:
        problems.append(("name", Text(N_("Enter the member's name"))))
    elif len(name) > LONGEST_NAME:
        problems.append(
            ("name", Text(N_("The name must be %(most)s characters or fewer"), most=LONGEST_NAME))
        )
    values["name"] = name
    problems += _check_contacts(cells, values)
    problems += _check_class(cells.get("class") or "", classes, values)
    problems += _check_days(cells, today, values)
    return _Checked(values, problems)


def _check_contacts(cells: Mapping[str, str], values: dict) -> list[tuple[str, Text]]:
    problems = []
    email_text = (cells.get("email") or "").strip()
    values["email"] = email_address(email_text) if email_text else None
    if email_text and values["email"] is None:
        problems.append(
            (
                "email",
                Text(
                    N_("%(email)s is not an email address (like name@example.org)"),
                    email=repr(email_text),
                ),
            )
        )
    phone_text = (cells.get("phone") or "").strip()
    values["phone"] = uk_mobile(phone_text) if phone_text else None
    if phone_text and values["phone"] is None:
        problems.append(
            (
                "phone",
                Text(
                    N_("%(phone)s is not a UK mobile number (07... or +447...)"),
                    phone=repr(phone_text),
                ),
            )
        )
    return problems


def _check_class(
    text: str, classes: Mapping[str, MembershipClass], values: dict
) -> list[tuple[str, Text]]:
    text = text.strip()
    values["membership_class"] = classes.get(text.lower())
    if not text:
        return [("class", Text(N_("Enter the membership class")))]
    if values["membership_class"] is None:
        codes = sorted({c.code for c in classes.values()})
        return [
            (
                "class",
                Text(
                    N_("%(class)s is not one of the organisation's classes: %(classes)s"),
                    **{"class": repr(text), "classes": Listed(codes)},
                ),
            )
        ]
    return []


def _check_days(cells: Mapping[str, str], today: date, values: dict) -> list[tuple[str, Text]]:
    problems = []
    joined, wrong = read_day(cells.get("joined_on") or "")
    if wrong is not None:
        problems.append(("joined_on", wrong))
    elif joined is None:
        problems.append(("joined_on", Text(N_("Enter the date the member joined"))))
    elif joined > today:
        problems.append(
            ("joined_on", Text(N_("The date joined, %(day)s, is in the future"), day=Day(joined)))
        )
    left, wrong = read_day(cells.get("left_on") or "")
    if wrong is not None:
        problems.append(("left_on", wrong))
    elif left is not None and left > today:
        problems.append(
            ("left_on", Text(N_("The date left, %(day)s, is in the future"), day=Day(left)))
        )
    elif left is not None and joined is not None and left < joined:
        problems.append(("left_on", Text(N_("The date left is before the date the member joined"))))
    values["joined_on"], values["left_on"] = joined, left
    return problems


def _member(organisation: Organisation, values: dict) -> Member:
    return Member(
        organisation=organisation,
        member_number=values["member_number"],
        name=values["name"],
        email=values["email"],
        phone=values["phone"],
        membership_class_id=values["membership_class"].id,
        joined_on=values["joined_on"],
        left_on=values["left_on"],
    )


def _numbers_taken(session: Session, organisation: Organisation) -> set[str]:
    return set(
        session.scalars(
            select(Member.member_number).where(Member.organisation_id == organisation.id)
        )
    )


def _stored(session: Session, members: list[Member], number: str | None = None) -> None:
    """Add ``members`` in a savepoint (``begin_nested`` flushes what is pending first, so
    they are added inside it), turning a member number another request added first into its
    refusal (the checks before could not see it)."""
    try:
        with session.begin_nested():
            session.add_all(members)
            session.flush()
    except IntegrityError as error:
        if not violates(error, ONE_NUMBER):
            raise
        if number is None:
            raise Conflict(
                N_(
                    "A member number in the file was added to the register at the same time. "
                    "Nobody was added: check the register and upload the file again."
                )
            ) from None
        raise Conflict(
            N_("Member number %(number)s was added to the register at the same time."),
            "member_number",
            number=number,
        ) from None


def _audited(member: Member) -> dict:
    return {
        "member_number": member.member_number,
        "class": member.membership_class.code,
        "joined_on": member.joined_on,
        "left_on": member.left_on,
    }


def add_member(
    session: Session,
    organisation: Organisation,
    *,
    actor: User,
    member_number: str,
    name: str,
    membership_class: str,
    joined_on: str | date,
    email: str = "",
    phone: str = "",
    left_on: str | date | None = None,
    today: date,
) -> Member:
    """Add one member to the register, audited (their number, class and dates). Dates are
    days or text written YYYY-MM-DD or DD/MM/YYYY; ``membership_class`` a class's code or
    name.

    Refused with ``NotAllowed`` for anyone but the organisation's officers; with a
    ``DomainError`` beside the first field that is wrong (``member_number``, ``name``,
    ``email``, ``phone``, ``membership_class``, ``joined_on``, ``left_on``): a number already on
    the register, a class the organisation does not have, a date in the future, a leaving
    before the joining, an email address or UK mobile number that is not one."""
    require_run(actor, organisation)
    begin_write(session)
    cells = {
        "member_number": member_number,
        "name": name,
        "class": membership_class,
        "joined_on": _as_text(joined_on),
        "left_on": _as_text(left_on),
        "email": email,
        "phone": phone,
    }
    checked = _check_member(cells, _class_spellings(classes_of(session, organisation)), today)
    if checked.problems:
        column, message = checked.problems[0]
        raise DomainError(message, FIELDS.get(column, column))
    number = checked.values["member_number"]
    if number in _numbers_taken(session, organisation):
        raise DomainError(
            N_("Member number %(number)s is already on the register."),
            "member_number",
            number=number,
        )
    member = _member(organisation, checked.values)
    _stored(session, [member], number)
    audit.record(
        session,
        action="organisation.member_added",
        actor=actor,
        organisation=organisation,
        subject=member,
        after=_audited(member),
    )
    return member


def _as_text(day: str | date | None) -> str:
    if day is None:
        return ""
    return day.isoformat() if isinstance(day, date) else day


# --- A file of members -----------------------------------------------------------------------


def import_members(
    session: Session, organisation: Organisation, *, actor: User, text: str, today: date
) -> int:
    """Add the members in a CSV file to the register, audited (how many); returns how many.

    The header names the columns, in any order: ``member_number``, ``name``, ``class`` (a
    class's code or name; ``membership_class`` is taken too) and ``joined_on`` always;
    ``email``, ``phone`` and ``left_on`` if wanted. Dates are YYYY-MM-DD or DD/MM/YYYY. Blank
    rows are passed over.

    Every row is checked as ``add_member`` checks one member, and for a member number that is
    on the register or earlier in the file. If anything is wrong, ``MembersInvalid`` lists
    each problem with its row (the header is row 1) and column, and nobody is added. Refused
    with ``NotAllowed`` for anyone but the organisation's officers."""
    require_run(actor, organisation)
    begin_write(session)
    rows = _rows(text)
    header, problems = _header(rows[0] if rows else [])
    if problems:
        raise MembersInvalid(problems)
    classes = _class_spellings(classes_of(session, organisation))
    taken = _numbers_taken(session, organisation)
    seen: dict[str, int] = {}
    members: list[Member] = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            problems.append(_too_many_cells(number, len(row), len(header)))
            continue
        cells = dict(zip(header, [*row, *[""] * (len(header) - len(row))], strict=True))
        checked = _check_member(cells, classes, today)
        problems += [RowProblem(number, column, message) for column, message in checked.problems]
        member_number = checked.values.get("member_number")
        if member_number and (repeat := _repeated(member_number, seen, taken)) is not None:
            problems.append(RowProblem(number, "member_number", repeat))
        if member_number:
            seen.setdefault(member_number, number)
        if not checked.problems:
            members.append(_member(organisation, checked.values))
    if not members and not problems:
        problems.append(RowProblem(2, None, Text(N_("The file has no members in it"))))
    if problems:
        raise MembersInvalid(problems)
    _stored(session, members)
    audit.record(
        session,
        action="organisation.members_imported",
        actor=actor,
        organisation=organisation,
        subject=organisation,
        after={"added": len(members)},
    )
    return len(members)


def _rows(text: str) -> list[list[str]]:
    """The file's rows, or ``MembersInvalid`` when it cannot be read as CSV."""
    reader = csv.reader(io.StringIO((text or "").lstrip("\ufeff")))
    try:
        return list(reader)
    except csv.Error as error:
        raise MembersInvalid(
            [
                RowProblem(
                    reader.line_num,
                    None,
                    Text(N_("The file cannot be read as CSV: %(reason)s"), reason=str(error)),
                )
            ]
        ) from None


def _header(cells: list[str]) -> tuple[list[str], list[RowProblem]]:
    """The header's columns (by their own names) and its problems."""
    header = [COLUMN_ALIASES.get(h.strip().lower(), h.strip().lower()) for h in cells]
    problems = []
    known = (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)
    unknown = [h for h in header if h not in known]
    if unknown:
        problems.append(
            RowProblem(
                1,
                None,
                Text(
                    N_(
                        "The header has columns this file cannot have: %(unknown)s. Its "
                        "columns are %(known)s."
                    ),
                    unknown=Listed(repr(h) for h in unknown),
                    known=Listed(known),
                ),
            )
        )
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        problems.append(
            RowProblem(
                1,
                None,
                Text(
                    N_("The header must name the columns %(missing)s"),
                    missing=Listed(missing),
                ),
            )
        )
    twice = sorted({h for h in header if header.count(h) > 1 and h in known})
    for column in twice:
        problems.append(
            RowProblem(1, column, Text(N_("The header names this column more than once")))
        )
    return header, problems


def _too_many_cells(row: int, cells: int, columns: int) -> RowProblem:
    return RowProblem(
        row,
        None,
        Text(
            N_("The row has %(cells)s cells; the header has %(columns)s"),
            cells=cells,
            columns=columns,
        ),
    )


def _repeated(number: str, seen: Mapping[str, int], taken: set[str]) -> Text | None:
    if number in seen:
        return Text(
            N_("Member number %(number)s is also on row %(row)s"),
            number=repr(number),
            row=seen[number],
        )
    if number in taken:
        return Text(N_("Member number %(number)s is already on the register"), number=repr(number))
    return None


# --- Leaving, finding and eligibility --------------------------------------------------------


def member_of(session: Session, organisation: Organisation, member_id: int) -> Member | None:
    """The organisation's member with this id, or None (another organisation's too)."""
    member = session.get(Member, member_id)
    if member is None or member.organisation_id != organisation.id:
        return None
    return member


def member_by_number(session: Session, organisation_id: int, number: str | None) -> Member | None:
    """The organisation's member with this member number (spaces around it ignored), or
    None."""
    number = (number or "").strip()
    if not number:
        return None
    return session.scalar(
        select(Member).where(
            Member.organisation_id == organisation_id, Member.member_number == number
        )
    )


def record_leaving(
    session: Session,
    organisation: Organisation,
    member_id: int,
    *,
    actor: User,
    left_on: date | None,
    today: date,
) -> Member:
    """Record that the member left the organisation on ``left_on``, audited. They are on the
    register for any record date before it, and not from it on.

    Refused with ``NotAllowed`` for anyone but its officers; ``NotOnRegister`` for a member
    not on its register; a ``DomainError`` beside ``left_on`` when they have already left, or
    the day is missing, in the future or before they joined."""
    require_run(actor, organisation)
    member = member_of(session, organisation, member_id)
    if member is None:
        raise NotOnRegister(
            N_("That member is not on the register of %(organisation)s."),
            organisation=organisation.name,
        )
    if member.left_on is not None:
        raise DomainError(
            N_("%(name)s left on %(day)s: that is already recorded."),
            "left_on",
            name=member.name,
            day=Day(member.left_on),
        )
    if left_on is None:
        raise DomainError(N_("Enter the date the member left"), "left_on")
    if left_on > today:
        raise DomainError(
            N_("The date left must be today or in the past: record it once they have left."),
            "left_on",
        )
    if left_on < member.joined_on:
        raise DomainError(
            N_("The date left must be on or after the day they joined, %(day)s."),
            "left_on",
            day=Day(member.joined_on),
        )
    member.left_on = left_on
    session.flush()
    audit.record(
        session,
        action="organisation.member_left",
        actor=actor,
        organisation=organisation,
        subject=member,
        before={"left_on": None},
        after={"member_number": member.member_number, "left_on": left_on},
    )
    return member


def on_register(organisation: Organisation, record_date: date):
    """SQL: the organisation's members on the register on ``record_date``."""
    return (
        Member.organisation_id == organisation.id,
        Member.joined_on <= record_date,
        or_(Member.left_on.is_(None), Member.left_on > record_date),
    )


def register_count(session: Session, organisation: Organisation, day: date) -> int:
    """How many members are on the organisation's register on ``day``."""
    return session.scalar(
        select(func.count()).select_from(Member).where(*on_register(organisation, day))
    )


def eligible_members(
    session: Session,
    organisation: Organisation,
    record_date: date,
    classes: Iterable[str] | None = None,
) -> list[Member]:
    """The members eligible on ``record_date`` (for a meeting or a ballot, the day its notice
    was given): those who joined on or before it and had not left by it (``left_on`` after
    it, or none), by member number. With ``classes`` (codes), only members of those classes.

    Refused with a ``DomainError`` naming any class code the organisation does not have, so
    a misspelt class does not quietly leave its members out."""
    where = list(on_register(organisation, record_date))
    if classes is not None:
        codes = {c.strip().lower() for c in classes}
        known = {c.code: c.id for c in classes_of(session, organisation)}
        unknown = sorted(codes - set(known))
        if unknown:
            raise DomainError(
                N_("%(organisation)s has no class %(classes)s."),
                organisation=organisation.name,
                classes=Listed(unknown),
            )
        where.append(Member.membership_class_id.in_([known[c] for c in codes]))
    return list(session.scalars(select(Member).where(*where).order_by(*_number_order())))


def _number_order():
    # Shorter numbers first, so 9 comes before 10 (and T-9 before T-10).
    return func.length(Member.member_number), Member.member_number, Member.id


@dataclass(frozen=True)
class MembersPage:
    """One page of the register: its members, which page of how many, and how many members
    the search found (all of them when there is no search)."""

    members: list[Member]
    page: int
    pages: int
    total: int
    query: str


def members_page(
    session: Session, organisation: Organisation, *, query: str = "", page: int = 1
) -> MembersPage | None:
    """Page ``page`` of the register (``MEMBERS_PER_PAGE`` a page, by member number), of the
    members whose name has ``query`` in it or whose member number starts with it (either
    without regard to case); None for a page beyond the last."""
    query = squashed(query)[:100]
    where = [Member.organisation_id == organisation.id]
    if query:
        lowered = query.lower()
        where.append(
            or_(
                func.lower(Member.name).contains(lowered, autoescape=True),
                func.lower(Member.member_number).startswith(lowered, autoescape=True),
            )
        )
    total = session.scalar(select(func.count()).select_from(Member).where(*where)) or 0
    pages = max(1, -(-total // MEMBERS_PER_PAGE))
    if page < 1 or page > pages:
        return None
    members = session.scalars(
        select(Member)
        .where(*where)
        .order_by(*_number_order())
        .offset((page - 1) * MEMBERS_PER_PAGE)
        .limit(MEMBERS_PER_PAGE)
    ).all()
    return MembersPage(list(members), page, pages, total, query)
