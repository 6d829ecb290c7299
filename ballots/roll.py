"""The electoral roll: importing it, posting one-time verification codes, verifying accounts,
and who may vote in which pot.

Codes come from ``secrets``: 10 characters from a 32-letter alphabet (50 bits), shown once to
the officer who issues them and stored only as HMAC-SHA256 under a server key. A code expires
and verifies one account. A roll entry verifies one account, and an account one entry per roll.

Wrong tries never stop a code working, so nobody who knows a reference can lock its owner
out: they slow the reference down. Each try is claimed in the database before its code is
checked (compare-and-set, so concurrent tries for one reference are checked one at a time);
after ``FREE_TRIES`` wrong ones each next try waits, 30 seconds doubling up to
``MAX_WAIT``, and the right code entered after the wait works. Tries are counted for any
reference typed, on the roll or not, so the waits do not tell which references are.

References are matched as ``reference_key`` gives them: without regard to case, spaces or
punctuation (``wlk 7qk2 94xd`` is ``WLK-7QK2-94XD``).
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import secrets
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import column, delete, exists, func, select, table, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ballots import contacts
from ballots.db import begin_write
from ballots.errors import (
    CodeExpired,
    CodeInvalid,
    CodeUnreachable,
    CodeUsed,
    NotEligible,
    NotVerified,
    RollInvalid,
    TooManyTries,
    wait_words,
)
from ballots.models import (
    COUNCIL_SCOPE,
    CodeTries,
    RollEntry,
    Verification,
    VerificationCode,
    reference_key,
    round_scope,
)
from ballots.paper import BallotPaper, PotPaper
from ballots.refusals import N_, Text

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: easy to type from a letter
CODE_LENGTH = 10  # 10 * 5 = 50 bits
# Wrong tries for one reference that are checked at once; after them each waits, doubling.
FREE_TRIES = 3
FIRST_WAIT = timedelta(seconds=30)
MAX_WAIT = timedelta(minutes=15)
# Wrong tries after which the officers' voters page warns about a reference.
WARN_AT = 10
CODE_LIFETIME = timedelta(days=42)
MAX_REFERENCE_LENGTH = 64

# The columns a roll may have after ``reference,neighbourhood``.
_OPTIONAL_COLUMNS = (
    "date_of_birth",
    *contacts.ADDRESS_COLUMNS,
    "postcode",
    "phone",
    "email",
    "language",
)

_neighbourhoods = table("neighbourhoods", column("id"), column("slug"), column("name"))
_rounds = table("rounds", column("id"), column("council_id"))


def wait_after(wrong_tries: int) -> timedelta:
    """How long the next try for a reference waits after ``wrong_tries`` wrong ones."""
    if wrong_tries < FREE_TRIES:
        return timedelta(0)
    return min(FIRST_WAIT * 2 ** min(wrong_tries - FREE_TRIES, 16), MAX_WAIT)


def new_reference(prefix: str) -> str:
    """A reference nobody can guess from another: ``PREFIX-XXXX-XXXX``, 40 random bits."""
    part = "".join(secrets.choice(ALPHABET) for _ in range(8))
    return f"{prefix}-{part[:4]}-{part[4:]}"


# --- Importing a roll -------------------------------------------------------------------------


def import_roll(
    session: Session,
    *,
    council_id: int,
    round_id: int | None,
    text: str,
    neighbourhoods: Mapping[str, int],
    today: date,
    languages: Collection[str] = ("en",),
) -> int:
    """Add the people in a CSV roll to the council's roll, or to one round's roll when
    ``round_id`` is given.

    The header starts ``reference,neighbourhood``; other columns, each optional, in any order
    after them: ``date_of_birth`` (YYYY-MM-DD), ``address_line_1`` to ``address_line_7`` and
    ``postcode`` (where a code is posted: at least 2 lines and a UK postcode), ``phone`` (a UK
    mobile number a code may be texted to), ``email`` (an address a code may be emailed to,
    its domain kept in small letters) and ``language`` (one of ``languages``, the
    service's: what the person is written to in; blank for the council's first). Columns
    with other names are ignored, as they always were.

    ``neighbourhoods`` maps each accepted spelling (lower-cased name or slug) to its id. Every
    row is checked; if any is wrong, ``RollInvalid`` lists each problem by row number (the
    header is row 1) and nothing is stored. Returns how many people were added.
    """
    scope = round_scope(round_id) if round_id is not None else COUNCIL_SCOPE
    problems: list[tuple[int, str]] = []
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    if not rows or [h.strip().lower() for h in rows[0]][:2] != ["reference", "neighbourhood"]:
        raise RollInvalid(
            [
                (
                    1,
                    Text(
                        N_(
                            "The first row must be the header: "
                            "reference,neighbourhood,date_of_birth"
                        )
                    ),
                )
            ]
        )
    header = [h.strip().lower() for h in rows[0]]
    column = {name: i for i, name in reversed(list(enumerate(header)))}
    twice = sorted({n for n in header if n in _OPTIONAL_COLUMNS and header.count(n) > 1})
    if twice:
        raise RollInvalid(
            [(1, Text(N_("The header names %(columns)s more than once"), columns=", ".join(twice)))]
        )
    existing = {
        key: reference
        for key, reference in session.execute(
            select(RollEntry.reference_key, RollEntry.reference).where(
                RollEntry.council_id == council_id, RollEntry.scope == scope
            )
        )
    }
    seen: dict[str, tuple[int, str]] = {}
    entries = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            problems.append(
                (
                    number,
                    Text(
                        N_("has %(columns)s columns; the header has %(header)s"),
                        columns=len(row),
                        header=len(header),
                    ),
                )
            )
            continue
        row = [cell.strip() for cell in row] + [""] * (len(header) - len(row))
        reference, hood = row[0], row[1]
        key = reference_key(reference)
        dob_text = row[column["date_of_birth"]] if "date_of_birth" in column else ""
        if not reference:
            problems.append((number, Text(N_("has no reference"))))
        elif len(reference) > MAX_REFERENCE_LENGTH:
            problems.append(
                (
                    number,
                    Text(N_("has a reference longer than %(most)s"), most=MAX_REFERENCE_LENGTH),
                )
            )
        elif not key:
            problems.append(
                (
                    number,
                    Text(
                        N_("has a reference %(reference)s with no letter or digit"),
                        reference=repr(reference),
                    ),
                )
            )
        elif key in seen:
            row_before, written = seen[key]
            problems.append((number, _repeats(reference, written, row_before)))
        elif key in existing:
            problems.append((number, _repeats(reference, existing[key], None)))
        else:
            seen[key] = (number, reference)
        hood_id = neighbourhoods.get(hood.lower())
        if hood_id is None:
            problems.append(
                (
                    number,
                    Text(
                        N_("neighbourhood %(neighbourhood)s is not one of the council's"),
                        neighbourhood=repr(hood),
                    ),
                )
            )
        dob = None
        if dob_text:
            try:
                dob = date.fromisoformat(dob_text)
            except ValueError:
                problems.append(
                    (
                        number,
                        Text(N_("date of birth %(date)s is not YYYY-MM-DD"), date=repr(dob_text)),
                    )
                )
            else:
                if dob > today:
                    problems.append(
                        (
                            number,
                            Text(N_("date of birth %(date)s is in the future"), date=dob_text),
                        )
                    )
        contact, wrong = _contact(row, column, languages)
        problems.extend((number, problem) for problem in wrong)
        entries.append(
            RollEntry(
                council_id=council_id,
                round_id=round_id,
                scope=scope,
                reference=reference,
                reference_key=key,
                neighbourhood_id=hood_id,
                date_of_birth=dob,
                **contact,
            )
        )
    if not entries and not problems:
        problems.append((2, Text(N_("The roll has no people in it"))))
    if problems:
        raise RollInvalid(problems)
    session.add_all(entries)
    session.flush()
    return len(entries)


def _contact(
    row: list[str], column: Mapping[str, int], languages: Collection[str]
) -> tuple[dict[str, str | None], list[Text]]:
    """A row's address, mobile number, email address and language, as kept (None where the
    row gives none), and its problems with them."""

    def cell(name: str) -> str:
        return row[column[name]] if name in column else ""

    lines = [(name, cell(name)) for name in contacts.ADDRESS_COLUMNS if name in column]
    address, problems = contacts.address(lines, cell("postcode"))
    phone, wrong = contacts.phone(cell("phone"))
    problems += wrong
    email, wrong = contacts.email(cell("email"))
    problems += wrong
    language = cell("language").lower() or None
    if language is not None and language not in languages:
        problems.append(
            Text(
                N_("language %(language)s is not one of the service's languages: %(languages)s"),
                language=repr(cell("language")),
                languages=", ".join(languages),
            )
        )
    return {"address": address, "phone": phone, "email": email, "language": language}, problems


def _repeats(reference: str, other: str, row_before: int | None) -> Text:
    """A reference already in the file (at ``row_before``) or on the roll (None)."""
    values = {"reference": repr(reference), "other": repr(other), "row": row_before}
    if reference == other:
        if row_before is None:
            return Text(N_("repeats reference %(reference)s already on this roll"), **values)
        return Text(N_("repeats reference %(reference)s from row %(row)s"), **values)
    if row_before is None:
        return Text(
            N_(
                "has reference %(reference)s, the same as %(other)s already on this roll "
                "(references are matched without regard to case, spaces or punctuation)"
            ),
            **values,
        )
    return Text(
        N_(
            "has reference %(reference)s, the same as %(other)s from row %(row)s (references "
            "are matched without regard to case, spaces or punctuation)"
        ),
        **values,
    )


def _round_roll_exists(council_id, round_id: int):
    """Whether the round has its own roll, as a SQL expression: by council and scope, so the
    roll's unique index (council, scope, reference) answers it without reading any other
    council's entries. ``council_id`` is the council's id or an expression giving it."""
    return exists().where(
        RollEntry.council_id == council_id, RollEntry.scope == round_scope(round_id)
    )


def has_round_roll(session: Session, round_id: int) -> bool:
    council = select(_rounds.c.council_id).where(_rounds.c.id == round_id).scalar_subquery()
    return bool(session.scalar(select(_round_roll_exists(council, round_id))))


def roll_scope_for(session: Session, round_id: int) -> str:
    """A round with its own roll uses it; otherwise the council's roll."""
    return round_scope(round_id) if has_round_roll(session, round_id) else COUNCIL_SCOPE


# --- Codes ------------------------------------------------------------------------------------


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def format_code(code: str) -> str:
    return f"{code[:5]}-{code[5:]}"


def code_hash(code: str, key: bytes) -> str:
    return hmac.new(key, normalise_code(code).encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class IssuedCode:
    reference: str
    neighbourhood_id: int
    code: str  # formatted XXXXX-XXXXX; shown once, never stored
    expires_at: datetime
    # Where the person's code may be sent, from the roll (None: not given).
    address: str | None = None
    phone: str | None = None
    language: str | None = None


# What a code can be sent to: the roll entry's column that must be filled in, and the refusal
# when one person's is not.
UNREACHABLE_ONE = {
    "address": N_(
        "%(reference)s has no postal address on the roll: download their code to post it "
        "yourselves, or add their address to the roll."
    ),
    "phone": N_(
        "%(reference)s has no mobile number on the roll: download their code to post it "
        "yourselves, or add their number to the roll."
    ),
}
REACHED_BY = {"address": RollEntry.address, "phone": RollEntry.phone}


def _issued(entry: RollEntry, code: str, expires_at: datetime) -> IssuedCode:
    return IssuedCode(
        entry.reference,
        entry.neighbourhood_id,
        format_code(code),
        expires_at,
        address=entry.address,
        phone=entry.phone,
        language=entry.language,
    )


def _needing_codes(council_id: int, scope: str, now: datetime):
    """The roll's entries that are not verified and hold no code that still works, as a
    query: who issuing codes gives one to."""
    live = (
        select(VerificationCode.id)
        .where(
            VerificationCode.roll_entry_id == RollEntry.id,
            VerificationCode.used_on.is_(None),
            VerificationCode.expires_at > now,
        )
        .exists()
    )
    verified = select(Verification.id).where(Verification.roll_entry_id == RollEntry.id).exists()
    return select(RollEntry).where(
        RollEntry.council_id == council_id, RollEntry.scope == scope, ~live, ~verified
    )


@dataclass(frozen=True)
class CodesDue:
    """Who on a roll needs a code, and how many of them a letter or a text can reach."""

    people: int
    with_address: int
    with_phone: int


def codes_due(session: Session, *, council_id: int, scope: str, now: datetime) -> CodesDue:
    due = _needing_codes(council_id, scope, now).subquery()
    people, with_address, with_phone = session.execute(
        select(func.count(), func.count(due.c.address), func.count(due.c.phone))
    ).one()
    return CodesDue(people, with_address, with_phone)


def unreachable(
    session: Session, *, council_id: int, scope: str, now: datetime, needs: str, limit: int = 5
) -> tuple[int, list[str]]:
    """How many of those who need a code have no ``needs`` (``address`` or ``phone``), and
    the first few of their references."""
    missing = _needing_codes(council_id, scope, now).where(REACHED_BY[needs].is_(None))
    count = session.scalar(select(func.count()).select_from(missing.subquery()))
    references = session.scalars(
        missing.with_only_columns(RollEntry.reference).order_by(RollEntry.reference).limit(limit)
    ).all()
    return count, list(references)


def issue_codes(
    session: Session,
    *,
    council_id: int,
    scope: str,
    key: bytes,
    now: datetime,
    lifetime: timedelta = CODE_LIFETIME,
    needs: str | None = None,
) -> list[IssuedCode]:
    """A new code for everyone on the roll who is not verified and holds no code that still
    works (and, with ``needs``, has an ``address`` or a ``phone`` to send it to). The codes
    are returned once, for posting; only their hashes are kept."""
    query = _needing_codes(council_id, scope, now)
    if needs is not None:
        query = query.where(REACHED_BY[needs].is_not(None))
    entries = session.scalars(query.order_by(RollEntry.reference)).all()
    issued = []
    for entry in entries:
        code = new_code()
        session.add(
            VerificationCode(
                roll_entry_id=entry.id,
                code_hash=code_hash(code, key),
                expires_at=now + lifetime,
                created_at=now,
            )
        )
        issued.append(_issued(entry, code, now + lifetime))
    session.flush()
    return issued


def reissue_code(
    session: Session,
    *,
    council_id: int,
    scope: str,
    reference: str,
    key: bytes,
    now: datetime,
    lifetime: timedelta = CODE_LIFETIME,
    needs: str | None = None,
) -> IssuedCode:
    """A new code for one person (a lost letter): any code of theirs that still works stops
    working. Refused (``CodeUsed``) once they are verified; ``CodeInvalid`` for a reference not
    on the roll (matched as ``reference_key`` gives it); ``CodeUnreachable`` when ``needs``
    (``address`` or ``phone``) is not on their roll entry."""
    entry = session.scalar(
        select(RollEntry).where(
            RollEntry.council_id == council_id,
            RollEntry.scope == scope,
            RollEntry.reference_key == reference_key(reference),
        )
    )
    if entry is None:
        raise CodeInvalid(N_("%(reference)s is not on this roll."), reference=reference.strip())
    if session.scalar(select(Verification.id).where(Verification.roll_entry_id == entry.id)):
        raise CodeUsed(
            N_("%(reference)s has already verified an account."), reference=entry.reference
        )
    if needs is not None and getattr(entry, needs) is None:
        raise CodeUnreachable(UNREACHABLE_ONE[needs], reference=entry.reference)
    session.execute(
        update(VerificationCode)
        .where(
            VerificationCode.roll_entry_id == entry.id,
            VerificationCode.used_on.is_(None),
            VerificationCode.expires_at > now,
        )
        .values(expires_at=now)
        .execution_options(synchronize_session=False)
    )
    code = new_code()
    session.add(
        VerificationCode(
            roll_entry_id=entry.id,
            code_hash=code_hash(code, key),
            expires_at=now + lifetime,
            created_at=now,
        )
    )
    session.flush()
    return _issued(entry, code, now + lifetime)


def verify(
    session: Session,
    *,
    council_id: int,
    user_id: int,
    reference: str,
    code: str,
    key: bytes,
    now: datetime,
    today: date,
) -> RollEntry:
    """Verify the account as the roll entry with ``reference`` using its posted code.

    ``now`` decides whether the code has expired and times the try; ``today`` (the London day
    at ``now``) is all that is kept of when the account was verified, on the verification and
    on the code.

    The try is claimed first (:func:`claim_try`: ``TooManyTries`` while the reference must
    wait). Raises ``CodeInvalid`` (the try stays counted: the caller commits it, and rolls back
    on every other error), ``CodeExpired`` and ``CodeUsed`` (also when the entry or the
    account is already verified on that roll). An unknown reference looks the same as a wrong
    code, waits included, so the roll cannot be probed. The right code clears the reference's
    wrong tries.
    """
    matched = reference_key(reference)
    begin_write(session)  # SQLite: the try's claim must not wait on a read-only snapshot
    wrong_before = claim_try(session, council_id=council_id, reference=matched, now=now)
    codes = session.execute(
        select(VerificationCode, RollEntry)
        .join(RollEntry, RollEntry.id == VerificationCode.roll_entry_id)
        .where(RollEntry.council_id == council_id, RollEntry.reference_key == matched)
        .order_by(VerificationCode.id.desc())
    ).all()
    wanted = code_hash(code, key)
    match = next(((c, e) for c, e in codes if hmac.compare_digest(c.code_hash, wanted)), None)
    if match is None:
        wait = wait_after(wrong_before + 1)
        if wait:
            raise CodeInvalid(
                N_(
                    "The reference or code is not right. Check your letter and try again. "
                    "After this many wrong tries with this reference, the next try must wait "
                    "%(wait)s."
                ),
                wait=wait_words(wait),
            )
        raise CodeInvalid()
    found, entry = match
    if found.used_on is not None:
        raise CodeUsed()
    if found.expires_at <= now:
        raise CodeExpired()
    refuse_if_verified(session, entry=entry, user_id=user_id, message=ALREADY_VERIFIED)
    # Compare-and-set: of two requests with one code, only one uses it.
    used = session.execute(
        update(VerificationCode)
        .where(VerificationCode.id == found.id, VerificationCode.used_on.is_(None))
        .values(used_on=today, used_by_id=user_id)
        .execution_options(synchronize_session=False)
    )
    if used.rowcount != 1:
        raise CodeUsed()
    add_verification(session, entry=entry, user_id=user_id, today=today, message=ALREADY_VERIFIED)
    session.execute(
        delete(CodeTries)
        .where(CodeTries.council_id == council_id, CodeTries.reference_key == matched)
        .execution_options(synchronize_session=False)
    )
    session.expire(found)
    return entry


ALREADY_VERIFIED = N_("You, or someone with this reference, are already verified on this roll.")


def refuse_if_verified(session: Session, *, entry: RollEntry, user_id: int, message: str) -> None:
    """``CodeUsed`` (with ``message``) when ``entry`` has verified an account, or the account
    is verified on the entry's roll already: an entry verifies one account, an account one
    entry per roll."""
    already = session.scalar(
        select(Verification.id).where(
            (Verification.roll_entry_id == entry.id)
            | (
                (Verification.user_id == user_id)
                & (Verification.council_id == entry.council_id)
                & (Verification.scope == entry.scope)
            )
        )
    )
    if already is not None:
        raise CodeUsed(message)


def add_verification(
    session: Session, *, entry: RollEntry, user_id: int, today: date, message: str
) -> None:
    """Record the account as verified as ``entry`` on its roll, on ``today`` (the London day,
    never a time). Two accounts verifying one entry at once meet the unique constraints: the
    second is ``CodeUsed`` (with ``message``) and its caller rolls back."""
    session.add(
        Verification(
            user_id=user_id,
            roll_entry_id=entry.id,
            council_id=entry.council_id,
            scope=entry.scope,
            verified_on=today,
        )
    )
    try:
        session.flush()
    except IntegrityError:
        raise CodeUsed(message) from None


def claim_try(session: Session, *, council_id: int, reference: str, now: datetime) -> int:
    """Count a try for ``reference`` (a ``reference_key``) before its code is checked, and
    return how many wrong tries it had before. ``TooManyTries`` (nothing counted) while the
    reference must wait, or while another try for it is being checked.

    Compare-and-set on the count, so of concurrent tries only one is counted and checked; its
    transaction holds the row until it ends. The caller keeps the count by committing (a wrong
    code) or clears it (the right one, :func:`verify`)."""
    tries = session.execute(
        select(CodeTries.id, CodeTries.wrong_tries, CodeTries.next_try_at).where(
            CodeTries.council_id == council_id, CodeTries.reference_key == reference
        )
    ).one_or_none()
    if tries is not None and tries.next_try_at is not None and tries.next_try_at > now:
        raise TooManyTries(tries.next_try_at - now)
    wrong = 0 if tries is None else tries.wrong_tries
    wait = wait_after(wrong + 1)
    values = {
        "wrong_tries": wrong + 1,
        "last_wrong_at": now,
        "next_try_at": now + wait if wait else None,
    }
    if tries is None:
        statement = (
            _insert_new(session)
            .values(council_id=council_id, reference_key=reference, first_wrong_at=now, **values)
            .on_conflict_do_nothing(index_elements=["council_id", "reference_key"])
        )
    else:
        statement = (
            update(CodeTries)
            .where(CodeTries.id == tries.id, CodeTries.wrong_tries == wrong)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    # RETURNING rather than the row count, which an ORM insert does not report everywhere.
    if session.execute(statement.returning(CodeTries.id)).first() is None:
        raise TooManyTries(wait or timedelta(seconds=1))
    return wrong


def _insert_new(session: Session):
    """An INSERT that can skip a row another transaction has just written (ON CONFLICT DO
    NOTHING), on PostgreSQL or SQLite."""
    dialect = session.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(CodeTries)


@dataclass(frozen=True)
class TriedReference:
    reference: str
    scope: str
    wrong_tries: int
    first_wrong_at: datetime
    last_wrong_at: datetime
    next_try_at: datetime | None


def references_under_attack(
    session: Session, *, council_id: int, scopes: tuple[str, ...], at_least: int = WARN_AT
) -> list[TriedReference]:
    """The references on these rolls of the council with ``at_least`` wrong tries since
    they were last verified or tried rightly, most tried first."""
    rows = session.execute(
        select(
            RollEntry.reference,
            RollEntry.scope,
            CodeTries.wrong_tries,
            CodeTries.first_wrong_at,
            CodeTries.last_wrong_at,
            CodeTries.next_try_at,
        )
        .join(
            RollEntry,
            (RollEntry.council_id == CodeTries.council_id)
            & (RollEntry.reference_key == CodeTries.reference_key),
        )
        .where(
            CodeTries.council_id == council_id,
            CodeTries.wrong_tries >= at_least,
            RollEntry.scope.in_(scopes),
        )
        .order_by(CodeTries.wrong_tries.desc(), RollEntry.reference)
        .limit(100)
    ).all()
    return [TriedReference(*row) for row in rows]


def roll_entry_for(session: Session, *, user_id: int, council_id: int, round_id: int) -> RollEntry:
    """The roll entry this account votes as in this round; ``NotVerified`` if none.

    One query: the account's verifications on the council's roll and on the round's own (by
    the verification's unique key), and whether the round has its own roll, which then
    replaces the council's."""
    own = round_scope(round_id)
    rows = session.execute(
        select(RollEntry, _round_roll_exists(council_id, round_id).label("round_roll"))
        .join(Verification, Verification.roll_entry_id == RollEntry.id)
        .where(
            Verification.user_id == user_id,
            Verification.council_id == council_id,
            Verification.scope.in_((own, COUNCIL_SCOPE)),
            RollEntry.council_id == council_id,
        )
    ).all()
    scope = own if rows and rows[0].round_roll else COUNCIL_SCOPE
    for entry, _ in rows:
        if entry.scope == scope:
            return entry
    raise NotVerified(
        N_("You need to verify your account with the code posted to you before you can vote.")
    )


# --- Who may vote where -----------------------------------------------------------------------


def age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def old_enough(paper: BallotPaper, born: date | None, today: date) -> bool:
    """Whether someone born on ``born`` (None: not known) is within the paper's age limits."""
    if paper.min_age is None and paper.max_age is None:
        return True
    if born is None:
        return False
    age = age_on(born, today)
    return (paper.min_age is None or age >= paper.min_age) and (
        paper.max_age is None or age <= paper.max_age
    )


def home_pots(paper: BallotPaper, home: str | None) -> list[PotPaper]:
    """The pots with something to vote for that someone living in ``home`` (a neighbourhood's
    slug) may vote in."""
    pots = [p for p in paper.pots if p.projects]
    if not paper.home_pot_only:
        return pots
    return [p for p in pots if p.neighbourhood is None or p.neighbourhood == home]


def check_age(paper: BallotPaper, entry: RollEntry, today: date) -> None:
    if old_enough(paper, entry.date_of_birth, today):
        return
    if entry.date_of_birth is None:
        raise NotEligible(
            N_(
                "This vote has an age limit and the roll has no date of birth for you. "
                "Contact the council."
            )
        )
    age = age_on(entry.date_of_birth, today)
    if paper.min_age is not None and age < paper.min_age:
        raise NotEligible(
            N_("You need to be at least %(age)s to vote in this round."), age=paper.min_age
        )
    if paper.max_age is not None and age > paper.max_age:
        raise NotEligible(N_("This round is for people aged %(age)s or under."), age=paper.max_age)


def home_slug(session: Session, entry: RollEntry) -> str | None:
    return session.scalar(
        select(_neighbourhoods.c.slug).where(_neighbourhoods.c.id == entry.neighbourhood_id)
    )


def eligible_pots(
    session: Session, paper: BallotPaper, entry: RollEntry, today: date
) -> list[PotPaper]:
    """The pots this roll entry may vote in (checks age; raises ``NotEligible``).

    A pot with no project on its ballot is never offered: there is nothing to vote for (a
    round frozen before voting refused empty pots may still have one)."""
    check_age(paper, entry, today)
    return home_pots(paper, home_slug(session, entry) if paper.home_pot_only else None)


def check_pot(
    session: Session, paper: BallotPaper, entry: RollEntry, pot_id: int, today: date
) -> PotPaper:
    pot = paper.pot(pot_id)
    if pot is None:
        raise NotEligible(N_("That pot is not part of this round."))
    if not pot.projects:
        raise NotEligible(
            N_("There is nothing to vote for in %(pot)s: no project is on its ballot."),
            pot=pot.name,
        )
    if pot not in eligible_pots(session, paper, entry, today):
        raise NotEligible(
            N_("You can vote only in your own neighbourhood's pot; %(pot)s is not yours."),
            pot=pot.name,
        )
    return pot
