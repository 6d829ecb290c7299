"""A file of paper ballots for one pot (from a scanning bureau or a count sheet): checked row
by row into a reconciliation report before anything is stored, then stored whole, through the
ballot box, in one transaction, or not at all (docs/paper-ballots.md).

``check`` reads the file and decides every row: accepted, or refused with a reason an officer
can act on. It keeps the file in a ``PaperBatch`` (state ``checked``) and nothing else: no
mark, no ballot, no audit event. ``report`` checks the kept file again, against the roll and
the ballot box as they are now, for the report page. ``store`` casts every row accepted both
when the file was checked and now, each through ``ballots.box.cast`` on paper; if a row that
was accepted is refused now (the person voted online since), it refuses, naming those rows,
and the caller rolls everything back. ``discard`` empties the batch.

The file pairs roll references with ballots, so it is kept only until the officer decides:
storing or discarding empties it, and so does a batch going stale (``STALE_AFTER`` after it was
uploaded: it is then refused and emptied when next seen) or voting closing (``at_close``).

Every function takes the session first, refuses with the project's refusals and changes
nothing when it refuses (``report`` may empty a stale batch: that is its only write); none
commits. Checking a file costs the same handful of statements at any size (lookups in chunks
of ``_CHUNK`` references); storing costs the ballot box's statements per ballot, no more.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from fractions import Fraction
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.workflow import audit
from app.workflow.clock import in_london, utcnow
from app.workflow.errors import Conflict, DomainError
from app.workflow.models import (
    FundingRound,
    Neighbourhood,
    PaperBatch,
    PaperBatchState,
    Phase,
    User,
)
from app.workflow.voting import paper_for
from ballots import box, roll
from ballots.errors import AlreadyVoted, CheckedIn, InvalidBallot, RoundClosed
from ballots.models import Channel, CheckIn, RollEntry, VoterMark, reference_key
from ballots.paper import BallotPaper, PotPaper
from ballots.refusals import N_, Day, Joined, Nn_, Number, Refusal, Text
from votes.ballot import Problem, validate_ballot
from votes.canonical import canonical_json
from votes.model import Ballot, BallotKind

# The most ballots one file may hold. Storing costs the ballot box's six statements a ballot:
# 10,000 take 13 s on SQLite and 35 s on PostgreSQL on a busy two-core machine
# (bench/paper_batch.py), about as long as one request should run; more is split into
# several files.
MAX_ROWS = 10_000
# A file not stored or discarded within this time is stale: refused, and emptied when seen.
STALE_AFTER = timedelta(hours=24)
# The longest cell read (a reference is at most 64 characters; a ballot lists each project
# once): anything longer is not a ballot, and is not shown whole.
MAX_CELL = 500
# References looked up per statement (well under every database's limit on parameters).
_CHUNK = 1000

REQUIRED = ("reference", "choices")
POINTS = "points"
# Between the projects of ``choices`` (and the numbers of ``points``): semicolons, spaces,
# or commas inside a quoted cell.
_SEPARATORS = re.compile(r"[;,\s]+")
_WHOLE = re.compile(r"[+-]?[0-9]+")

NOT_OPEN = N_("Paper ballots can be entered only while voting is open.")

# Why a row is refused: each code, and its short label for the report's totals.
UNREADABLE = "unreadable"
NOT_ON_ROLL = "not_on_roll"
DUPLICATE = "duplicate"
CHECKED_IN = "checked_in"
VOTED = "voted"
NOT_ELIGIBLE = "not_eligible"
INVALID = "invalid"
CHANGED = "changed"
REASONS = {
    UNREADABLE: N_("Row cannot be read"),
    NOT_ON_ROLL: N_("Not on the round's roll"),
    DUPLICATE: N_("Same reference twice in the file"),
    CHECKED_IN: N_("Checked in at a voting event"),
    VOTED: N_("Already voted in this pot"),
    NOT_ELIGIBLE: N_("Not eligible in this pot"),
    INVALID: N_("Not a valid ballot"),
    CHANGED: N_("Refused when the file was uploaded"),
}

_VOTED = {
    Channel.ONLINE: N_("%(reference)s has already voted online in %(pot)s."),
    Channel.EVENT: N_("%(reference)s has already voted at a voting event in %(pot)s."),
    Channel.PAPER: N_("%(reference)s already has a paper ballot in %(pot)s."),
}


class RowRefused(DomainError):
    """Why one row of a file of paper ballots is not taken (a report's reason; never
    raised)."""


class FileRefused(DomainError):
    """A file that cannot be read as paper ballots for this pot at all: nothing is kept.
    Status 422."""


class BatchDecided(Conflict):
    """The batch was already stored or discarded, or is stale. Status 409."""


class BatchChanged(Conflict):
    """Rows accepted when the file was checked are refused now: nothing is stored. ``rows``
    are (row number, reason). Status 409."""

    def __init__(self, rows: Sequence[tuple[int, Text]]) -> None:
        shown = [Text(N_("row %(row)s: %(reason)s"), row=n, reason=r) for n, r in rows[:10]]
        more = len(rows) - len(shown)
        listed = Joined(shown, " ")
        if more:
            listed = Joined(
                [listed, Nn_("And %(num)s more row.", "And %(num)s more rows.", more)], " "
            )
        super().__init__(
            Nn_(
                "%(num)s row accepted when the file was checked is refused now, so no ballot "
                "was stored. Check the file again to see the report as it is now. %(rows)s",
                "%(num)s rows accepted when the file was checked are refused now, so no ballot "
                "was stored. Check the file again to see the report as it is now. %(rows)s",
                len(rows),
                rows=listed,
            )
        )
        self.rows = list(rows)


# --- Reading the file -----------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One ballot row of the file: its number (the header is row 1, as a spreadsheet counts
    them), the reference as written (cut to ``MAX_CELL``), and either the ballot and the roll
    entry it is for (accepted) or why it is refused (``code``, one of ``REASONS``, and
    ``reason``: an ``InvalidBallot`` carries the ballot box's problems)."""

    number: int
    reference: str
    code: str | None = None
    reason: Refusal | None = None
    ballot: Ballot | None = field(default=None, repr=False)
    entry: RollEntry | None = field(default=None, repr=False, compare=False)

    @property
    def accepted(self) -> bool:
        return self.code is None

    def refused(self, code: str, reason: Refusal) -> Row:
        return Row(self.number, self.reference, code, reason)


@dataclass(frozen=True)
class Report:
    """A batch and, while it is ``checked``, what storing it would do now: every row, in file
    order; ``changed``, the rows accepted when it was checked that are refused now (storing is
    then refused); the columns not read. A decided batch has no rows: its counts are the
    batch's."""

    batch: PaperBatch
    pot: PotPaper
    rows: tuple[Row, ...] = ()
    changed: tuple[Row, ...] = ()
    ignored_columns: tuple[str, ...] = ()
    stale: bool = False

    @property
    def accepted(self) -> list[Row]:
        return [r for r in self.rows if r.accepted]

    @property
    def refused(self) -> list[Row]:
        return [r for r in self.rows if not r.accepted]

    @property
    def by_reason(self) -> list[tuple[str, int]]:
        """(code, rows refused for it), in the order of ``REASONS``, only those that occur."""
        counts = Counter(r.code for r in self.rows if r.code)
        return [(code, counts[code]) for code in REASONS if counts[code]]

    @property
    def checked(self) -> bool:
        return self.batch.state == PaperBatchState.CHECKED and not self.stale


@dataclass(frozen=True)
class StoredBatch:
    batch_id: str
    pot_id: int
    pot_name: str
    stored: int
    refused: int


@dataclass(frozen=True)
class _File:
    rows: list[tuple[int, dict[str, str] | None, int]]  # (number, cells, count), None: unreadable
    ignored: tuple[str, ...]
    columns: int  # in the header


def _file_refused(message: str, **params: Any) -> FileRefused:
    return FileRefused(message, "batch", **params)


def _header_help(kind: BallotKind) -> Text:
    if kind is BallotKind.CUMULATIVE:
        return Text(N_("The first row must be the header: reference,choices,points"))
    return Text(N_("The first row must be the header: reference,choices"))


def _read(text: str, kind: BallotKind) -> _File:
    """The file's header and ballot rows; refused whole (``FileRefused``) when it is not a
    CSV file of paper ballots for this kind of ballot."""
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise _file_refused(N_("The file is empty: it has no header and no ballots."))
    if "\x00" in text:
        raise _file_refused(
            N_(
                "This is not a CSV file. Save the paper ballots as CSV (comma-separated "
                "values) in UTF-8 and upload that."
            )
        )
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except csv.Error:
        raise _file_refused(_header_help(kind)) from None
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise _file_refused(_header_help(kind))
    twice = sorted({h for h in header if h in (*REQUIRED, POINTS) and header.count(h) > 1})
    if twice:
        raise _file_refused(
            N_("The header names %(columns)s more than once."), columns=", ".join(twice)
        )
    if kind is BallotKind.CUMULATIVE and POINTS not in header:
        raise _file_refused(
            N_(
                "This round's ballots share out points: the file needs a points column, "
                "with the header reference,choices,points."
            )
        )
    if kind is not BallotKind.CUMULATIVE and POINTS in header:
        raise _file_refused(
            N_(
                "This round's ballots do not share out points: remove the points column "
                "(the header is reference,choices)."
            )
        )
    read = [h for h in (*REQUIRED, POINTS) if h in header]
    index = {name: header.index(name) for name in read}
    rows: list[tuple[int, dict[str, str] | None, int]] = []
    number = 1
    try:
        for cells in reader:
            number += 1
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) == MAX_ROWS:
                raise _file_refused(
                    N_(
                        "The file has more than %(most)s ballots: at most %(most)s can be "
                        "uploaded at once. Split it into smaller files."
                    ),
                    most=Number(MAX_ROWS),
                )
            fits = len(cells) == len(header) or (
                len(cells) > len(header) and not any(c.strip() for c in cells[len(header) :])
            )
            rows.append(
                (number, {n: cells[i] for n, i in index.items()} if fits else None, len(cells))
            )
    except csv.Error:
        raise _file_refused(
            N_(
                "The file cannot be read as CSV from row %(row)s on: a quotation mark is "
                "left open there, or a cell is far too long."
            ),
            row=number + 1,
        ) from None
    if not rows:
        raise _file_refused(N_("The file has a header but no ballots."))
    ignored = tuple(h for h in header if h not in read and h)
    return _File(rows, ignored, len(header))


def _control(value: str) -> bool:
    return any(unicodedata.category(ch) == "Cc" for ch in value)


def _shown(value: str) -> str:
    """A cell as a report shows it: stripped, at most ``MAX_CELL`` characters."""
    value = value.strip()
    return value if len(value) <= MAX_CELL else value[:MAX_CELL] + "…"


def _unreadable(number: int, cells: dict[str, str] | None, count: int, columns: int) -> Row | None:
    """The row refused because it cannot be read, or None."""
    if cells is None:
        return Row(number, "").refused(
            UNREADABLE,
            RowRefused(
                Nn_(
                    "This row has %(num)s cell but the header has %(columns)s columns: look "
                    "for a missing or extra comma.",
                    "This row has %(num)s cells but the header has %(columns)s columns: look "
                    "for a missing or extra comma.",
                    count,
                    columns=Number(columns),
                )
            ),
        )
    reference = _shown(cells["reference"])
    for value in cells.values():
        if len(value) > MAX_CELL:
            return Row(number, reference).refused(
                UNREADABLE,
                RowRefused(
                    N_(
                        "A cell on this row is %(num)s characters long: no reference or "
                        "ballot is that long."
                    ),
                    num=Number(len(value)),
                ),
            )
        if _control(value):
            return Row(number, reference).refused(
                UNREADABLE,
                RowRefused(
                    N_(
                        "This row has an invisible control character (such as a line break "
                        "inside a cell), which no reference or ballot has."
                    )
                ),
            )
    if not reference:
        no_reference = RowRefused(N_("This row has no roll reference."))
        return Row(number, "").refused(UNREADABLE, no_reference)
    return None


def _ballot(cells: dict[str, str], paper: BallotPaper, pot: PotPaper) -> Ballot | RowRefused:
    """The row's ballot: ``choices`` by ballot number (1 is the first project the pot's ballot
    lists) or by project number after ``#``; ``points`` one whole number per choice."""
    projects = pot.projects
    ids = {p.id for p in projects}
    choices = []
    for token in _SEPARATORS.split(cells["choices"].strip()):
        if not token:
            continue
        project = None
        if token.startswith("#") and token[1:].isascii() and token[1:].isdigit():
            candidate = str(int(token[1:]))
            project = candidate if candidate in ids else None
        elif token.isascii() and token.isdigit() and 1 <= int(token) <= len(projects):
            project = projects[int(token) - 1].id
        if project is None:
            return RowRefused(
                N_(
                    "%(choice)s is not a project on this pot's ballot: give its ballot "
                    "number, 1 to %(last)s, or its project number after #, like #%(example)s."
                ),
                choice=token[:40],
                last=len(projects),
                example=projects[0].id,
            )
        choices.append(project)
    points: list[int] = []
    if paper.kind is BallotKind.CUMULATIVE:
        for token in _SEPARATORS.split(cells.get(POINTS, "").strip()):
            if not token:
                continue
            if not _WHOLE.fullmatch(token):
                return RowRefused(
                    N_("The points must be whole numbers, one for each choice: %(points)s is not."),
                    points=token[:40],
                )
            points.append(int(token))
    return Ballot(choices=tuple(choices), points=tuple(points))


def _problems(ballot: Ballot, paper: BallotPaper, pot: PotPaper) -> list[Problem]:
    return validate_ballot(ballot, paper.rules, pot.projects, Fraction(pot.budget_pence))


# --- Deciding each row ----------------------------------------------------------------------


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]


def _entries(session: Session, funding_round: FundingRound, keys: Sequence[str]):
    scope = roll.roll_scope_for(session, funding_round.id)
    found: dict[str, RollEntry] = {}
    for chunk in _chunks(keys):
        for entry in session.scalars(
            select(RollEntry).where(
                RollEntry.council_id == funding_round.council_id,
                RollEntry.scope == scope,
                RollEntry.reference_key.in_(chunk),
            )
        ):
            found[entry.reference_key] = entry
    return found


def _voted(session: Session, pot_id: int, ids: Sequence[int]) -> dict[int, Channel]:
    """Each of these roll entries that has voted in the pot, and how (``box.has_voted``, for
    many at once)."""
    out: dict[int, Channel] = {}
    for chunk in _chunks(ids):
        out.update(
            session.execute(
                select(VoterMark.roll_entry_id, VoterMark.channel).where(
                    VoterMark.pot_id == pot_id, VoterMark.roll_entry_id.in_(chunk)
                )
            ).all()
        )
    return out


def _checked_in(session: Session, round_id: int, ids: Sequence[int]) -> set[int]:
    """Those of these roll entries checked in at a voting event of the round
    (``box.checked_in``, for many at once)."""
    out: set[int] = set()
    for chunk in _chunks(ids):
        out.update(
            session.scalars(
                select(CheckIn.roll_entry_id).where(
                    CheckIn.round_id == round_id, CheckIn.roll_entry_id.in_(chunk)
                )
            )
        )
    return out


def _not_eligible(
    paper: BallotPaper,
    pot: PotPaper,
    entry: RollEntry,
    reference: str,
    hoods: dict[int, Neighbourhood],
    today: date,
) -> RowRefused | None:
    """Why this person may not vote in the pot on ``today`` (the rules of
    ``ballots.roll.check_pot``, in an officer's words), or None."""
    if not roll.old_enough(paper, entry.date_of_birth, today):
        if entry.date_of_birth is None:
            return RowRefused(
                N_(
                    "This round has an age limit and the roll has no date of birth for "
                    "%(reference)s."
                ),
                reference=reference,
            )
        if paper.min_age is not None and roll.age_on(entry.date_of_birth, today) < paper.min_age:
            return RowRefused(
                N_("%(reference)s is under %(age)s, the youngest age that can vote in this round."),
                reference=reference,
                age=paper.min_age,
            )
        return RowRefused(
            N_("%(reference)s is over %(age)s, the oldest age that can vote in this round."),
            reference=reference,
            age=paper.max_age,
        )
    if paper.home_pot_only:
        hood = hoods.get(entry.neighbourhood_id)
        if pot not in roll.home_pots(paper, hood.slug if hood else None):
            return RowRefused(
                N_(
                    "%(reference)s lives in %(neighbourhood)s, so can vote only in its own pot "
                    "and the council-wide pot, not in %(pot)s."
                ),
                reference=reference,
                neighbourhood=hood.name if hood else "?",
                pot=pot.name,
            )
    return None


def _decide(
    session: Session,
    funding_round: FundingRound,
    paper: BallotPaper,
    pot: PotPaper,
    text: str,
    today: date,
) -> tuple[list[Row], tuple[str, ...]]:
    """Every ballot row of the file, accepted or refused with its reason, as things are now.
    A constant number of statements, whatever the file's size (chunks of ``_CHUNK``)."""
    read = _read(text, paper.kind)
    rows: list[Row] = []
    pending: list[tuple[Row, dict[str, str]]] = []
    for number, cells, count in read.rows:
        refused = _unreadable(number, cells, count, read.columns)
        if refused is not None:
            rows.append(refused)
            continue
        row = Row(number, _shown(cells["reference"]))
        rows.append(row)
        pending.append((row, cells))
    keys = sorted({reference_key(row.reference) for row, _ in pending})
    entries = _entries(session, funding_round, keys)
    ids = sorted({e.id for e in entries.values()})
    voted = _voted(session, pot.id, ids)
    checked_in = _checked_in(session, funding_round.id, ids)
    hoods = {}
    if paper.home_pot_only:
        hoods = {
            h.id: h
            for h in session.scalars(
                select(Neighbourhood).where(Neighbourhood.council_id == funding_round.council_id)
            )
        }
    first: dict[str, int] = {}
    decided: dict[int, Row] = {}
    for row, cells in pending:
        decided[row.number] = _decide_row(
            row, cells, entries, first, voted, checked_in, hoods, paper, pot, today
        )
    return [decided.get(r.number, r) for r in rows], read.ignored


def _decide_row(row, cells, entries, first, voted, checked_in, hoods, paper, pot, today) -> Row:
    reference = row.reference
    key = reference_key(reference)
    entry = entries.get(key)
    if entry is None:
        return row.refused(
            NOT_ON_ROLL,
            RowRefused(N_("%(reference)s is not on this round's roll."), reference=reference),
        )
    if key in first:
        return row.refused(
            DUPLICATE,
            RowRefused(
                N_(
                    "%(reference)s is on row %(row)s of this file too: only that first row "
                    "can be taken, as a person has one ballot in a pot."
                ),
                reference=reference,
                row=first[key],
            ),
        )
    first[key] = row.number
    if entry.id in checked_in:
        return row.refused(CHECKED_IN, _checked_in_reason(reference))
    channel = voted.get(entry.id)
    if channel is not None:
        return row.refused(
            VOTED, RowRefused(_VOTED[Channel(channel)], reference=reference, pot=pot.name)
        )
    why = _not_eligible(paper, pot, entry, reference, hoods, today)
    if why is not None:
        return row.refused(NOT_ELIGIBLE, why)
    ballot = _ballot(cells, paper, pot)
    if isinstance(ballot, RowRefused):
        return row.refused(INVALID, ballot)
    problems = _problems(ballot, paper, pot)
    if problems:
        return row.refused(INVALID, InvalidBallot(problems))
    return Row(row.number, reference, ballot=ballot, entry=entry)


def _checked_in_reason(reference: str) -> RowRefused:
    return RowRefused(
        N_(
            "%(reference)s has checked in at a voting event in this round, so votes at its "
            "kiosks only."
        ),
        reference=reference,
    )


# --- The batch ------------------------------------------------------------------------------


def _open(funding_round: FundingRound, pot_id: int) -> tuple[BallotPaper, PotPaper]:
    """The round's paper and the pot, while voting is open; refused otherwise."""
    paper = paper_for(funding_round)
    if funding_round.phase != Phase.VOTING or paper is None:
        raise RoundClosed(NOT_OPEN)
    pot = paper.pot(pot_id)
    if pot is None or not pot.projects:
        raise DomainError(N_("That pot is not in this round."))
    return paper, pot


def _kept(batch: PaperBatch) -> tuple[str, set[int]]:
    """The kept file's text and the rows refused when it was checked."""
    kept = json.loads(batch.content)
    return kept["text"], set(kept["refused"])


def _stale(batch: PaperBatch, now: datetime) -> bool:
    return batch.state == PaperBatchState.CHECKED and batch.created_at < now - STALE_AFTER


def _empty_stale(session: Session, funding_round: FundingRound, now: datetime) -> None:
    """Empty every stale batch of the round (one statement)."""
    session.execute(
        update(PaperBatch)
        .where(
            PaperBatch.round_id == funding_round.id,
            PaperBatch.state == PaperBatchState.CHECKED,
            PaperBatch.created_at < now - STALE_AFTER,
        )
        .values(state=PaperBatchState.DISCARDED, content=None, decided_at=now)
        .execution_options(synchronize_session=False)
    )


def _file_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _clean_filename(filename: str) -> str:
    name = "".join(ch for ch in (filename or "") if not _control(ch)).strip()
    return name[:200]


def check(
    session: Session,
    funding_round: FundingRound,
    pot: PotPaper,
    *,
    text: str,
    filename: str,
    actor: User,
    today: date,
    now: datetime | None = None,
) -> Report:
    """Read a file of paper ballots for ``pot`` and decide every row; keep the file as a
    ``PaperBatch`` (state ``checked``, with the rows refused, the counts and the file's
    SHA-256) and store nothing else. Returns the report.

    Refused (nothing kept) with ``RoundClosed`` unless voting is open, and ``FileRefused``
    for a file that is empty, not CSV, has no ``reference,choices`` header (``points`` too
    for ballots that share out points, and only then), more than ``MAX_ROWS`` ballots or no
    ballot at all, or is the very file already stored for this pot. Rows are refused one by
    one (``REASONS``); a file in which every row is refused is still a report."""
    now = now or utcnow()
    paper, pot = _open(funding_round, pot.id)
    _empty_stale(session, funding_round, now)
    digest = _file_hash(text)
    earlier = session.scalar(
        select(PaperBatch).where(
            PaperBatch.round_id == funding_round.id,
            PaperBatch.pot_id == pot.id,
            PaperBatch.content_hash == digest,
            PaperBatch.state == PaperBatchState.STORED,
        )
    )
    if earlier is not None:
        raise _file_refused(
            N_(
                "This very file was stored on %(day)s: its %(num)s ballots are already in "
                "%(pot)s. A file is stored once."
            ),
            day=Day(in_london(earlier.decided_at).date()),
            num=Number(earlier.rows_accepted),
            pot=pot.name,
        )
    rows, ignored = _decide(session, funding_round, paper, pot, text, today)
    refused = [r.number for r in rows if not r.accepted]
    batch = PaperBatch(
        round_id=funding_round.id,
        pot_id=pot.id,
        filename=_clean_filename(filename),
        content=canonical_json({"refused": refused, "text": text}),
        content_hash=digest,
        state=PaperBatchState.CHECKED,
        rows_accepted=len(rows) - len(refused),
        rows_refused=len(refused),
        uploaded_by_id=actor.id,
        created_at=now,
    )
    session.add(batch)
    session.flush()
    return Report(batch, pot, tuple(rows), (), ignored)


def find(
    session: Session, funding_round: FundingRound, pot_id: int, batch_id: str
) -> PaperBatch | None:
    """The round's batch for this pot with this id; None for any other (another round's,
    another pot's, none)."""
    batch = session.get(PaperBatch, batch_id) if len(batch_id) <= 32 else None
    if batch is None or batch.round_id != funding_round.id or batch.pot_id != pot_id:
        return None
    return batch


def _recheck(
    session: Session,
    funding_round: FundingRound,
    paper: BallotPaper,
    pot: PotPaper,
    batch: PaperBatch,
    today: date,
) -> Report:
    """The kept file checked again, now: rows refused when it was checked stay refused (those
    that could be taken now say so: the file is then uploaded again); ``changed``: the rows
    accepted then that are refused now."""
    text, refused_then = _kept(batch)
    rows, ignored = _decide(session, funding_round, paper, pot, text, today)
    out, changed = [], []
    for row in rows:
        if row.number in refused_then and row.accepted:
            row = row.refused(
                CHANGED,
                RowRefused(
                    N_(
                        "This row was refused when the file was uploaded but could be taken "
                        "now: upload the file again to include it."
                    )
                ),
            )
        elif row.number not in refused_then and not row.accepted:
            changed.append(row)
        out.append(row)
    return Report(batch, pot, tuple(out), tuple(changed), ignored)


def report(
    session: Session,
    funding_round: FundingRound,
    pot: PotPaper,
    batch: PaperBatch,
    *,
    today: date,
    now: datetime | None = None,
) -> Report:
    """What storing ``batch`` would do now (a checked batch while voting is open); a decided
    batch's counts alone. A stale batch is emptied here (the only write) and reported
    ``stale``; so is a checked one once voting is no longer open."""
    now = now or utcnow()
    paper = paper_for(funding_round)
    open_now = funding_round.phase == Phase.VOTING and paper is not None
    if batch.state == PaperBatchState.CHECKED and (_stale(batch, now) or not open_now):
        _empty(session, batch, now)
        return Report(batch, pot, stale=True)
    if batch.state != PaperBatchState.CHECKED:
        return Report(batch, pot)
    return _recheck(session, funding_round, paper, paper.pot(pot.id) or pot, batch, today)


def _empty(session: Session, batch: PaperBatch, now: datetime) -> None:
    batch.state = PaperBatchState.DISCARDED
    batch.content = None
    batch.decided_at = now
    session.flush()


def _locked(session: Session, funding_round: FundingRound, batch_id: str) -> PaperBatch:
    """The round's batch, its row locked until the transaction ends (two officers storing one
    file at once: the second waits, then finds it stored)."""
    batch = session.scalar(
        select(PaperBatch)
        .where(PaperBatch.id == batch_id, PaperBatch.round_id == funding_round.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if batch is None:
        raise BatchDecided(N_("There is no such file of paper ballots in this round."))
    return batch


def _decided(batch: PaperBatch, now: datetime) -> None:
    """Refuse a batch that is no longer waiting for a decision."""
    if batch.state == PaperBatchState.STORED:
        raise BatchDecided(
            Nn_(
                "This file's %(num)s paper ballot was stored on %(day)s. A file is stored once.",
                "This file's %(num)s paper ballots were stored on %(day)s. A file is stored once.",
                batch.rows_accepted,
                day=Day(in_london(batch.decided_at).date()),
            )
        )
    if batch.state == PaperBatchState.DISCARDED:
        raise BatchDecided(
            N_("This file was discarded, so nothing in it can be stored: upload it again.")
        )
    if _stale(batch, now):
        raise BatchDecided(
            N_(
                "This file was uploaded more than 24 hours ago, so it is no longer kept and "
                "nothing in it can be stored: upload it again."
            )
        )


def store(
    session: Session,
    batch_id: str,
    funding_round: FundingRound,
    *,
    actor: User,
    today: date,
    now: datetime | None = None,
) -> StoredBatch:
    """Cast every row accepted when the file was checked, on paper, recorded as entered by
    ``actor``, each through ``ballots.box.cast``, in the caller's one transaction; then the
    batch is ``stored`` and emptied, with one audit event (the pot and the counts, never a
    reference).

    Refused, so that the caller rolls back and nothing is stored: ``RoundClosed`` unless
    voting is open; ``BatchDecided`` for a batch stored, discarded or stale;
    ``BatchChanged`` naming every row accepted when checked and refused now (someone voted
    online since, checked in at an event, left the roll), or refused by the box itself as it
    is cast."""
    now = now or utcnow()
    # The round's casting lock first (SQLite: the database's write lock), as each cast below
    # would take it: nothing is cast in the round between the check below and the casts, and
    # closing voting, which takes the round's lock and then empties waiting batches, waits
    # for this store (or this store for it) instead of the two waiting for each other.
    if box.lock_round_for_casting(session, funding_round.id) != Phase.VOTING:
        raise RoundClosed(NOT_OPEN)
    batch = _locked(session, funding_round, batch_id)
    _decided(batch, now)
    paper, pot = _open(funding_round, batch.pot_id)
    checked = _recheck(session, funding_round, paper, pot, batch, today)
    if checked.changed:
        raise BatchChanged([(r.number, r.reason.message) for r in checked.changed])
    accepted = checked.accepted
    for row in accepted:
        try:
            box.cast(
                session,
                paper,
                row.entry,
                pot.id,
                row.ballot,
                today=today,
                channel=Channel.PAPER,
                recorded_by_id=actor.id,
            )
        except CheckedIn:
            raise BatchChanged([(row.number, _checked_in_reason(row.reference).message)]) from None
        except AlreadyVoted:
            reason = Text(
                N_("%(reference)s has already voted in %(pot)s"),
                reference=row.reference,
                pot=pot.name,
            )
            raise BatchChanged([(row.number, reason)]) from None
        except RoundClosed:
            raise
        except Refusal as error:
            raise BatchChanged([(row.number, error.message)]) from None
    refused = len(checked.rows) - len(accepted)
    batch.state = PaperBatchState.STORED
    batch.content = None
    batch.decided_at = now
    batch.rows_accepted = len(accepted)
    batch.rows_refused = refused
    audit.record(
        session,
        action="ballot.paper_batch_stored",
        actor=actor,
        round=funding_round,
        after={
            "pot": pot.name,
            "stored": len(accepted),
            "refused": refused,
            "file_sha256": batch.content_hash,
        },
    )
    session.flush()
    return StoredBatch(batch.id, pot.id, pot.name, len(accepted), refused)


def check_again(
    session: Session,
    batch_id: str,
    funding_round: FundingRound,
    *,
    today: date,
    now: datetime | None = None,
) -> Report:
    """Check a waiting batch's kept file again as if it were uploaded now (the report after
    ``BatchChanged``): its refused rows and counts are those of now. Refused as ``store``
    is, for a batch decided or stale, or once voting is not open."""
    now = now or utcnow()
    batch = _locked(session, funding_round, batch_id)
    _decided(batch, now)
    paper, pot = _open(funding_round, batch.pot_id)
    text, _ = _kept(batch)
    rows, ignored = _decide(session, funding_round, paper, pot, text, today)
    refused = [r.number for r in rows if not r.accepted]
    batch.content = canonical_json({"refused": refused, "text": text})
    batch.rows_accepted = len(rows) - len(refused)
    batch.rows_refused = len(refused)
    session.flush()
    return Report(batch, pot, tuple(rows), (), ignored)


def discard(
    session: Session,
    batch_id: str,
    funding_round: FundingRound,
    *,
    actor: User,
    now: datetime | None = None,
) -> PaperBatch:
    """Empty a checked batch without storing anything, audited (the pot and its counts).
    Refused with ``BatchDecided`` once it was stored or discarded (a stale one is emptied
    whenever it is seen, so discarding it again is refused too)."""
    now = now or utcnow()
    batch = _locked(session, funding_round, batch_id)
    if batch.state == PaperBatchState.CHECKED and _stale(batch, now):
        # Nothing to decide: it is emptied as any stale batch is.
        _empty(session, batch, now)
        return batch
    _decided(batch, now)
    _empty(session, batch, now)
    pot = next((p for p in funding_round.pots if p.id == batch.pot_id), None)
    audit.record(
        session,
        action="ballot.paper_batch_discarded",
        actor=actor,
        round=funding_round,
        after={
            "pot": pot.name if pot else batch.pot_id,
            "accepted": batch.rows_accepted,
            "refused": batch.rows_refused,
            "file_sha256": batch.content_hash,
        },
    )
    return batch


def pending(session: Session, funding_round: FundingRound, now: datetime) -> list[PaperBatch]:
    """The round's batches waiting for a decision (not stale), newest first."""
    return list(
        session.scalars(
            select(PaperBatch)
            .where(
                PaperBatch.round_id == funding_round.id,
                PaperBatch.state == PaperBatchState.CHECKED,
                PaperBatch.created_at >= now - STALE_AFTER,
            )
            .order_by(PaperBatch.created_at.desc())
        )
    )


def at_close(session: Session, funding_round: FundingRound, now: datetime) -> None:
    """Voting has closed: every batch still waiting is emptied (nothing in it can be stored
    now, and the file pairs references with ballots)."""
    session.execute(
        update(PaperBatch)
        .where(PaperBatch.round_id == funding_round.id, PaperBatch.state == PaperBatchState.CHECKED)
        .values(state=PaperBatchState.DISCARDED, content=None, decided_at=now)
        .execution_options(synchronize_session=False)
    )
