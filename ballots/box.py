"""The ballot box: casting a ballot exactly once, changing it, receipts, the ballot log and
turning a closed pot's ballots into ``votes`` input.

Casting is one transaction that writes the voter mark (who: this roll entry voted in this pot)
and the ballot (what: the choices, under a random key) with its receipt and log entry. The
unique constraint on the marks is what makes a second ballot impossible, whatever the number
of workers; the round's row lock (``SELECT ... FOR NO KEY UPDATE`` on PostgreSQL, ``BEGIN
IMMEDIATE`` on SQLite) queues casts of one round so each log entry commits to the one before.
The lock is taken last, after the mark, ballot and receipt are written, and the head is read
by the log's primary key: casts of one round wait for each other only for the phase check, the
log entry and the commit, and a cast costs the same at any round size.

The ballot log is a hash chain per round: a genesis entry committing to the manifest hash, one
entry per ballot, a supersede entry when a ballot is replaced, and a close entry. Each entry's
hash covers the previous entry's hash, so changing, removing or reordering any entry breaks
every later hash, including the head shown on the round page.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from sqlalchemy import column, func, select, table
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ballots.db import begin_write
from ballots.errors import (
    AlreadyVoted,
    CheckedIn,
    InvalidBallot,
    NotEligible,
    ReceiptNotFound,
    RoundClosed,
    VoteChangeNotAllowed,
    VotingOpen,
)
from ballots.models import (
    Channel,
    CheckIn,
    LogEntry,
    LogKind,
    Receipt,
    RollEntry,
    StoredBallot,
    VoterMark,
    random_key,
)
from ballots.paper import BallotPaper, PotPaper
from ballots.phases import COUNTABLE, OPEN_FOR_VOTING
from ballots.refusals import N_
from ballots.roll import check_pot
from ballots.voter_details import voter_record
from votes.ballot import validate_ballot
from votes.canonical import canonical_json
from votes.model import Ballot, BallotKind, Election

ZERO_HASH = "0" * 64
ALREADY_REPLACED = N_(
    "The ballot with that receipt has already been replaced; use your newest receipt."
)
# The app's rounds table, by name: ballots may not import the app. Its phase column holds
# ballots.phases.Phase values (tests/ballots/test_phases.py checks the schema's constraint).
_rounds = table("rounds", column("id"), column("phase"))


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- Canonical ballots ------------------------------------------------------------------------


def encode_ballot(
    ballot: Ballot, kind: BallotKind, voter: Mapping[str, str | None] | None = None
) -> str:
    """A valid ballot as canonical JSON: nothing about how it was filled in (order of ticking,
    untouched zero-point boxes, empty trailing ranks) survives. ``voter``: what the round
    keeps about its voter (``ballots.voter_details``), stored under ``"voter"``; a ballot of
    a round that keeps nothing has no such key, as every ballot stored before there was."""
    if kind is BallotKind.RANKED:
        choices = list(ballot.choices)
        while choices and not choices[-1]:
            choices.pop()
        content = {"choices": choices, "points": []}
    elif kind is BallotKind.CUMULATIVE:
        pairs = sorted((c, p) for c, p in zip(ballot.choices, ballot.points, strict=True) if p)
        content = {"choices": [c for c, _ in pairs], "points": [p for _, p in pairs]}
    else:
        content = {"choices": sorted(set(ballot.choices)), "points": []}
    if voter is not None:
        content["voter"] = dict(voter)
    return canonical_json(content)


def decode_ballot(content: str) -> Ballot:
    """The ballot a content holds (what its voter chose; any ``"voter"`` is left out)."""
    data = json.loads(content)
    return Ballot(choices=tuple(data["choices"]), points=tuple(data["points"]))


# The ``Ballot.extra`` names a ballot decoded with its voter's details carries.
VOTER_EXTRA = ("age_band", "neighbourhood")


def decode_with_voter(content: str) -> Ballot:
    """The ballot with what its content keeps about its voter in ``extra``: ``(("age_band",
    band), ("neighbourhood", slug))``, the slug ``""`` for a neighbourhood the manifest does
    not name; no ``extra`` for a ballot that keeps nothing."""
    data = json.loads(content)
    voter = data.get("voter")
    extra: tuple[tuple[str, str], ...] = ()
    if isinstance(voter, Mapping):
        extra = tuple((name, voter.get(name) or "") for name in VOTER_EXTRA)
    return Ballot(tuple(data["choices"]), tuple(data["points"]), extra=extra)


def ballot_hash(ballot_id: str, pot_id: int, content: str) -> str:
    return sha256(f"{ballot_id}|{pot_id}|{content}")


def entry_hash(round_id: int, sequence: int, kind: str, payload_hash: str, previous: str) -> str:
    return sha256(f"{round_id}|{sequence}|{kind}|{payload_hash}|{previous}")


# --- Receipts ---------------------------------------------------------------------------------


_RECEIPT_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")


def close_payload(ballots: int, receipts: int) -> str:
    """The close entry's payload: the round's counted ballots and the receipts given out (one
    per online ballot logged, superseded ones included), so the log commits to how many
    logged ballots were on paper without saying which."""
    return sha256(f"close|ballots={ballots}|receipts={receipts}")


def new_receipt_code() -> str:
    """128 random bits as 26 base32 letters and digits, in groups for copying."""
    raw = base64.b32encode(secrets.token_bytes(16)).decode().rstrip("=")
    return "-".join(raw[i : i + 5] for i in range(0, len(raw), 5))


def normalise_receipt(code: str) -> str:
    """What is hashed: the code's ASCII letters a-z/A-Z (upper-cased) and digits 0-9, nothing
    else.

    Codes are base32 (A-Z, 2-7), so spaces, hyphens and anything else a resident types around
    them drop out; only ASCII counts, so the rule is reproducible without Unicode tables."""
    # Filter before upper-casing: str.upper() maps some non-ASCII letters to ASCII ("ß" -> "SS").
    return "".join(ch for ch in code if ch in _RECEIPT_CHARS).upper()


def receipt_hash(code: str) -> str:
    return sha256(normalise_receipt(code))


# --- Locking and the log ----------------------------------------------------------------------


def lock_round_for_casting(session: Session, round_id: int) -> str:
    """Take the round's casting lock until the transaction ends; return its phase as stored
    (a :class:`ballots.phases.Phase` value).

    PostgreSQL: a ``FOR NO KEY UPDATE`` row lock on the round, so casts queue behind each
    other and behind phase changes (which take ``FOR UPDATE``). SQLite: the database's write
    lock (:func:`begin_write`). Not the workflow's lock on a round, which is ``FOR UPDATE``.
    """
    begin_write(session)
    # FOR NO KEY UPDATE: casts queue behind each other and behind phase changes (FOR UPDATE),
    # but rows that merely refer to the round (audit events, marks) are not held up.
    return session.execute(
        select(_rounds.c.phase).where(_rounds.c.id == round_id).with_for_update(key_share=True)
    ).scalar_one()


def log_head(session: Session, round_id: int) -> LogEntry | None:
    """The round's newest log entry: one row by the log's primary key, at any size."""
    return session.scalar(
        select(LogEntry)
        .where(LogEntry.round_id == round_id)
        .order_by(LogEntry.sequence.desc())
        .limit(1)
    )


def _append(
    session: Session,
    round_id: int,
    kind: LogKind,
    payload: str,
    ballot_id: str | None = None,
    *,
    manifest_hash: str | None = None,
    head: LogEntry | None = None,
) -> LogEntry:
    """Append an entry after the round's head (read now unless ``head``, just appended under
    the same lock, is given). Call under the round's lock."""
    head = head or log_head(session, round_id)
    if head is None:
        if manifest_hash is None:
            raise RoundClosed(N_("Voting has not opened for this round."))
        head = _add_entry(session, round_id, 0, LogKind.GENESIS, manifest_hash, ZERO_HASH, None)
        if kind is LogKind.GENESIS:
            return head
    elif kind is LogKind.GENESIS:
        return session.scalar(
            select(LogEntry).where(LogEntry.round_id == round_id, LogEntry.sequence == 0)
        )
    if head.kind is LogKind.CLOSE:
        raise RoundClosed(N_("Voting has closed for this round."))
    return _add_entry(
        session, round_id, head.sequence + 1, kind, payload, head.entry_hash, ballot_id
    )


def _add_entry(session, round_id, sequence, kind, payload, previous, ballot_id) -> LogEntry:
    entry = LogEntry(
        round_id=round_id,
        sequence=sequence,
        kind=kind,
        ballot_id=ballot_id,
        payload_hash=payload,
        previous_hash=previous,
        entry_hash=entry_hash(round_id, sequence, kind.value, payload, previous),
    )
    session.add(entry)
    session.flush()
    return entry


def open_log(session: Session, round_id: int, manifest_hash: str) -> LogEntry:
    """The genesis entry (idempotent): call when voting opens, under the round's lock."""
    return _append(session, round_id, LogKind.GENESIS, manifest_hash, manifest_hash=manifest_hash)


def close_log(session: Session, round_id: int, manifest_hash: str | None) -> LogEntry | None:
    """Append the close entry when voting closes (idempotent; nothing for a round that never
    had a manifest). Its payload commits to the number of counted ballots and of receipts
    given out (see :func:`close_payload`)."""
    head = log_head(session, round_id)
    if head is not None and head.kind is LogKind.CLOSE:
        return head
    if head is None and manifest_hash is None:
        return None
    counted = session.scalar(
        select(func.count()).select_from(StoredBallot).where(_counted(round_id))
    )
    receipts = session.scalar(
        select(func.count())
        .select_from(Receipt)
        .join(StoredBallot, StoredBallot.id == Receipt.ballot_id)
        .where(StoredBallot.round_id == round_id)
    )
    return _append(
        session,
        round_id,
        LogKind.CLOSE,
        close_payload(counted or 0, receipts or 0),
        manifest_hash=manifest_hash,
    )


def verify_log(session: Session, round_id: int) -> list[str]:
    """Every break in the round's chain (empty when it is intact): recomputes each hash.

    One query in log order with each entry's ballot joined, streamed: a round's log can
    hold hundreds of thousands of entries."""
    problems = []
    previous = ZERO_HASH
    rows = session.execute(
        select(
            LogEntry.sequence,
            LogEntry.kind,
            LogEntry.payload_hash,
            LogEntry.previous_hash,
            LogEntry.entry_hash,
            StoredBallot.id,
            StoredBallot.pot_id,
            StoredBallot.content,
        )
        .outerjoin(StoredBallot, StoredBallot.id == LogEntry.ballot_id)
        .where(LogEntry.round_id == round_id)
        .order_by(LogEntry.sequence)
        .execution_options(yield_per=_STREAM)
    )
    for i, (sequence, kind, payload, previous_hash, digest, b_id, pot_id, content) in enumerate(
        rows
    ):
        if sequence != i:
            problems.append(f"entry {i} is missing")
        if previous_hash != previous:
            problems.append(f"entry {sequence} does not follow entry {sequence - 1}")
        if digest != entry_hash(round_id, sequence, kind.value, payload, previous_hash):
            problems.append(f"entry {sequence} has the wrong hash")
        if kind is LogKind.BALLOT and (
            b_id is None or ballot_hash(b_id, pot_id, content) != payload
        ):
            problems.append(f"entry {sequence} does not match its ballot")
        previous = digest
    return problems


# --- Casting ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cast:
    receipt: str | None  # shown once; None for paper ballots
    sequence: int
    entry_hash: str


def _check(
    session: Session,
    paper: BallotPaper,
    entry: RollEntry,
    pot_id: int,
    ballot: Ballot,
    today: date,
) -> tuple[PotPaper, str]:
    """Who may vote where and what the ballot may say: nothing here needs the round's lock
    (the phase is read under it, last, by :func:`_log_ballot`)."""
    if entry.council_id != paper.council_id:
        raise NotEligible(N_("You are not on this council's roll."))
    pot = check_pot(session, paper, entry, pot_id, today)
    problems = validate_ballot(ballot, paper.rules, pot.projects, Fraction(pot.budget_pence))
    if problems:
        raise InvalidBallot(problems)
    # Whatever the channel (online, a kiosk, paper), the voter's neighbourhood and age band
    # today go into the content when the round froze them: hashed and logged with it.
    voter = voter_record(
        paper.voter_details,
        entry.neighbourhood_id,
        entry.date_of_birth,
        today,
        encrypted=paper.secrecy is not None,
    )
    return pot, encode_ballot(ballot, paper.kind, voter)


def stored_content(paper: BallotPaper, pot: PotPaper, ballot_id: str, content: str) -> str:
    """What the box stores for a valid ballot whose canonical JSON is ``content``: that JSON in
    a plain round; in an encrypted one its ciphertext, bound by its proof to the round's
    manifest, the pot and ``ballot_id`` (docs/secrecy.md). The plaintext is not kept."""
    if paper.secrecy is None:
        return content
    from votes.secrecy import encoding
    from votes.secrecy.elgamal import Context, encrypt

    ids = [p.id for p in pot.projects]
    points = encoding.to_points(decode_ballot(content), paper.rules, ids)
    context = Context(paper.manifest_hash, str(pot.id))
    return canonical_json(encrypt(points, paper.secrecy.key, context, ballot_id).to_json())


def _log_ballot(
    session: Session,
    paper: BallotPaper,
    stored: StoredBallot,
    code: str | None,
    *,
    replacing: tuple[str, str] | None = None,
) -> Cast:
    """The last step of a cast: take the round's lock, check voting is still open, and
    append the ballot's log entry (after a supersede entry for ``replacing``, the replaced
    ballot's id and hash). Everything else (mark, ballot, receipt) is written before the lock
    is taken, so casts of one round queue only for these few statements and the commit,
    whatever the round's size."""
    if lock_round_for_casting(session, paper.round_id) != OPEN_FOR_VOTING:
        raise RoundClosed(N_("Voting is not open in this round."))
    previous = None
    if replacing is not None:
        old_id, old_hash = replacing
        try:
            previous = _append(
                session,
                paper.round_id,
                LogKind.SUPERSEDE,
                old_hash,
                old_id,
                manifest_hash=paper.manifest_hash,
            )
        except IntegrityError:
            # Replaced by another request since it was checked: (ballot, kind) is unique.
            raise ReceiptNotFound(ALREADY_REPLACED) from None
    logged = _append(
        session,
        paper.round_id,
        LogKind.BALLOT,
        ballot_hash(stored.id, stored.pot_id, stored.content),
        stored.id,
        manifest_hash=paper.manifest_hash,
        head=previous,
    )
    return Cast(code, logged.sequence, logged.entry_hash)


def _new_ballot(
    session: Session, paper: BallotPaper, pot: PotPaper, content: str, *, receipt: bool
) -> tuple[StoredBallot, str | None]:
    """The ballot and, for an online one, its receipt (flushed with whatever else is pending,
    such as the voter's mark)."""
    ballot_id = random_key()
    stored = StoredBallot(
        id=ballot_id,
        round_id=paper.round_id,
        pot_id=pot.id,
        content=stored_content(paper, pot, ballot_id, content),
    )
    session.add(stored)
    session.flush()
    code = None
    if receipt:
        code = new_receipt_code()
        session.add(Receipt(receipt_hash=receipt_hash(code), ballot_id=stored.id))
    return stored, code


def cast(
    session: Session,
    paper: BallotPaper,
    entry: RollEntry,
    pot_id: int,
    ballot: Ballot,
    *,
    today: date,
    channel: Channel = Channel.ONLINE,
    recorded_by_id: int | None = None,
) -> Cast:
    """Cast ``entry``'s ballot in a pot, once: mark, ballot, receipt and log entry together.

    Raises ``RoundClosed`` unless the round is in voting, ``NotEligible`` (age, neighbourhood,
    another council), ``InvalidBallot`` with every problem, ``AlreadyVoted`` (online or on
    paper). On any error the caller rolls back; nothing is kept. Online ballots get a receipt
    code, returned once; paper ballots none (a kiosk's voter gets one too).

    The voter mark's unique constraint decides "once": a second cast by the same voter waits
    at its insert until the first commits, then fails there. Only then is the round locked.
    """
    begin_write(session)
    pot, content = _check(session, paper, entry, pot_id, ballot, today)
    if channel is not Channel.EVENT and checked_in(session, entry, paper.round_id):
        raise CheckedIn()
    session.add(
        VoterMark(
            roll_entry_id=entry.id,
            round_id=paper.round_id,
            pot_id=pot.id,
            channel=channel,
            recorded_by_id=recorded_by_id,
        )
    )
    try:
        stored, code = _new_ballot(
            session, paper, pot, content, receipt=channel is not Channel.PAPER
        )
    except IntegrityError as error:
        # The mark's unique key (roll entry, pot) is the only one a real cast can break; any
        # other failure is the database's, and is passed on as it is (nothing was saved).
        if violates(error, ONE_BALLOT_PER_POT):
            raise AlreadyVoted() from None
        raise
    return _log_ballot(session, paper, stored, code)


# The constraint that means "this roll entry has already voted in this pot".
ONE_BALLOT_PER_POT = "uq_voter_marks_roll_entry_id_pot_id"


def violates(error: IntegrityError, constraint: str) -> bool:
    """Whether ``error`` is a violation of the unique constraint (or unique index) named
    ``constraint``, and not of any other: PostgreSQL names the constraint; SQLite names only
    its table and columns ("UNIQUE constraint failed: voter_marks.roll_entry_id,
    voter_marks.pot_id")."""
    diag = getattr(error.orig, "diag", None)
    name = getattr(diag, "constraint_name", None)
    if name is not None:
        return name == constraint
    for declared in VoterMark.metadata.tables.values():
        # A unique index (``uq_roll_entries_person``) is named and reported like a constraint.
        uniques = [*declared.constraints, *(i for i in declared.indexes if i.unique)]
        for unique in uniques:
            if unique.name == constraint:
                columns = ", ".join(f"{declared.name}.{c.name}" for c in unique.columns)
                return str(error.orig) == f"UNIQUE constraint failed: {columns}"
    return False


def checked_in(session: Session, entry: RollEntry, round_id: int) -> bool:
    """Whether the person has checked in at one of the round's voting events: they then vote
    at its kiosks only (``cast`` refuses them online and on paper with ``CheckedIn``)."""
    return (
        session.scalar(
            select(CheckIn.id).where(
                CheckIn.roll_entry_id == entry.id, CheckIn.round_id == round_id
            )
        )
        is not None
    )


def has_voted(session: Session, entry: RollEntry, pot_id: int) -> Channel | None:
    return session.scalar(
        select(VoterMark.channel).where(
            VoterMark.roll_entry_id == entry.id, VoterMark.pot_id == pot_id
        )
    )


def replace(
    session: Session,
    paper: BallotPaper,
    entry: RollEntry,
    pot_id: int,
    receipt_code: str,
    ballot: Ballot,
    *,
    today: date,
) -> Cast:
    """Replace the online ballot whose receipt is ``receipt_code`` with ``ballot``.

    Only where the round allows it and while voting is open. The old ballot stays in the box
    and the log; a supersede entry says it no longer counts. Nothing records whose it was.
    """
    if not paper.allow_vote_change:
        raise VoteChangeNotAllowed(N_("This round does not allow changing your vote."))
    begin_write(session)
    pot, content = _check(session, paper, entry, pot_id, ballot, today)
    if has_voted(session, entry, pot.id) != Channel.ONLINE:
        raise VoteChangeNotAllowed(
            N_("You have not voted online in this pot, so there is nothing to change.")
        )
    old = session.execute(
        select(StoredBallot.id, StoredBallot.round_id, StoredBallot.pot_id, StoredBallot.content)
        .join(Receipt, Receipt.ballot_id == StoredBallot.id)
        .where(Receipt.receipt_hash == receipt_hash(receipt_code))
    ).one_or_none()
    if old is None or old.round_id != paper.round_id or old.pot_id != pot.id:
        raise ReceiptNotFound(
            N_("That receipt code is not for a ballot in this pot. Check it and try again.")
        )
    if superseded_at(session, old.id) is not None:
        raise ReceiptNotFound(ALREADY_REPLACED)
    stored, code = _new_ballot(session, paper, pot, content, receipt=True)
    return _log_ballot(
        session,
        paper,
        stored,
        code,
        replacing=(old.id, ballot_hash(old.id, old.pot_id, old.content)),
    )


def superseded_at(session: Session, ballot_id: str) -> int | None:
    """The log entry that replaced this ballot, if any: one lookup by (ballot, kind)."""
    return session.scalar(
        select(LogEntry.sequence).where(
            LogEntry.ballot_id == ballot_id, LogEntry.kind == LogKind.SUPERSEDE
        )
    )


# --- Checking a receipt -----------------------------------------------------------------------


@dataclass(frozen=True)
class ReceiptCheck:
    sequence: int
    ballot_hash: str
    entry_hash: str
    superseded_at: int | None  # the log entry that replaced it, if any


def check_receipt(session: Session, round_id: int, code: str) -> ReceiptCheck:
    """Where the ballot with this receipt is in the round's log; never what it says."""
    if not normalise_receipt(code):
        raise ReceiptNotFound(N_("Enter your receipt code."))
    row = session.execute(
        select(LogEntry)
        .join(Receipt, Receipt.ballot_id == LogEntry.ballot_id)
        .where(
            Receipt.receipt_hash == receipt_hash(code),
            LogEntry.round_id == round_id,
            LogEntry.kind == LogKind.BALLOT,
        )
    ).scalar_one_or_none()
    if row is None:
        raise ReceiptNotFound(N_("No ballot in this round has that receipt code."))
    return ReceiptCheck(
        row.sequence, row.payload_hash, row.entry_hash, superseded_at(session, row.ballot_id)
    )


# --- Counting ---------------------------------------------------------------------------------


# Rows fetched at a time when a round's ballots or log are streamed.
_STREAM = 2000


def _counted(round_id: int, pot_id: int | None = None):
    """The WHERE clause of a round's (or pot's) counted ballots: not superseded.

    An anti-join (NOT EXISTS against the supersede entries, on the log's unique index on
    ballot and kind) rather than a list of ids, so its size never grows with the pot: a list
    bound as parameters stops at 65,535 on PostgreSQL."""
    superseded = (
        select(LogEntry.ballot_id)
        .where(LogEntry.ballot_id == StoredBallot.id, LogEntry.kind == LogKind.SUPERSEDE)
        .exists()
    )
    clause = (StoredBallot.round_id == round_id) & ~superseded
    if pot_id is not None:
        clause &= StoredBallot.pot_id == pot_id
    return clause


def _current_ballot_ids(session: Session, round_id: int, pot_id: int | None = None) -> set[str]:
    return set(session.scalars(select(StoredBallot.id).where(_counted(round_id, pot_id))))


def _require_closed(session: Session, round_id: int) -> None:
    phase = session.scalar(select(_rounds.c.phase).where(_rounds.c.id == round_id))
    if phase not in COUNTABLE:
        raise VotingOpen(
            N_("Ballots are counted only after voting closes: there is no running tally.")
        )


def stored_election(
    session: Session, paper: BallotPaper, pot_id: int, *, voters: bool = False
) -> Election:
    """A closed pot's counted ballots (superseded ones left out) as a ``votes`` election; in
    an encrypted round, the trustees' decryption of its last mix (``ballots.secrecy``).

    ``voters``: each ballot also carries what its content keeps about its voter, in
    ``extra`` (:func:`decode_with_voter`; nothing in a round that keeps nothing, or in an
    encrypted round)."""
    _require_closed(session, paper.round_id)
    pot = paper.pot(pot_id)
    if pot is None:
        raise NotEligible(N_("That pot is not part of this round."))
    if paper.secrecy is not None:
        from ballots import secrecy

        return secrecy.decrypted_election(session, paper, pot)
    # A Core query on the session's connection, streamed (a server-side cursor on
    # PostgreSQL): no ORM rows to build per ballot. The options go on the statement: on the
    # connection they would stay for every later statement of the transaction.
    contents = (
        session.connection()
        .execute(
            select(StoredBallot.content)
            .where(_counted(paper.round_id, pot_id))
            .order_by(StoredBallot.id)
            .execution_options(yield_per=_STREAM)
        )
        .scalars()
    )
    decode = decode_with_voter if voters else decode_ballot
    return election_from_contents(paper, pot, contents, decode)


def election_from_contents(
    paper: BallotPaper,
    pot: PotPaper,
    contents: Iterable[str],
    decode: Callable[[str], Ballot] = decode_ballot,
) -> Election:
    """The pot's election from its ballots' canonical contents, in the order given.

    Many voters fill in the same ballot: each distinct content is decoded once and its
    (immutable) ballot shared."""
    decoded: dict[str, Ballot] = {}
    ballots = []
    for content in contents:
        ballot = decoded.get(content)
        if ballot is None:
            ballot = decoded[content] = decode(content)
        ballots.append(ballot)
    return Election(
        budget=Fraction(pot.budget_pence),
        projects=pot.projects,
        ballots=tuple(ballots),
        rules=paper.rules,
    )


def turnout(session: Session, round_id: int) -> int:
    """How many ballots were cast (marks), for after voting closes."""
    _require_closed(session, round_id)
    return (
        session.scalar(
            select(func.count()).select_from(VoterMark).where(VoterMark.round_id == round_id)
        )
        or 0
    )
