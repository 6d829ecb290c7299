"""The member ballot box: members' votes on the items of an organisation's general meetings,
cast exactly once, with receipts and a hash chain per item, as residents' are in
``ballots.box`` (docs/governance.md).

Casting is one transaction: the member's mark (unique per member and item: a second ballot is
impossible on any number of workers), the ballot under a random key (no member, no time), its
receipt and its log entry. The item's row lock (``FOR NO KEY UPDATE`` on PostgreSQL, ``BEGIN
IMMEDIATE`` on SQLite) is taken last and queues casts so each entry commits to the one before.

**Proxies.** A proxy's ballot is cast for the member (``by_proxy``) and marked so. If the
member then votes themselves, the proxy's ballot is superseded in the log and theirs counted
(a member's own vote replaces their proxy's); once the member has voted, their proxy cannot.
To make that possible the mark of a proxy's ballot points at it while voting is open; the
pointer is removed when the item closes, leaving nothing that links a member to a ballot.

The item's manifest (frozen by the workflow when it opens) says what a ballot may be:
``{"kind": "motion", ...}`` takes ``{"choice": "for" | "against" | "abstain"}``;
``{"kind": "election", "constituencies": [{"id": 1, "candidates": [{"id": "c1", ...}, ...],
...}]}`` takes ``{"ranking": ["c3", "c1", ...]}`` (at least one, each once, candidates of the
member's constituency). :func:`check_ballot` says every problem.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import column, func, select, table, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ballots.box import new_receipt_code, normalise_receipt, receipt_hash, violates
from ballots.db import begin_write
from ballots.errors import AlreadyVoted, InvalidBallot, ReceiptNotFound, RoundClosed
from ballots.models import (
    LogKind,
    MemberBallot,
    MemberChannel,
    MemberLogEntry,
    MemberMark,
    MemberReceipt,
)
from ballots.refusals import N_
from votes.ballot import Problem
from votes.canonical import canonical_json

# The hashes of an item's log, as python -m votes verify recomputes them.
from votes.members import ZERO_HASH, ballot_hash, close_payload, entry_hash

ONE_MARK = "uq_member_marks_item_id_member_id"
CHOICES = ("for", "against", "abstain")
# The app's meeting items, by name (ballots may not import the app). Its state column holds
# "draft", "open", "closed" or "declared".
_items = table("meeting_items", column("id"), column("state"))


# --- Ballots against the manifest -------------------------------------------------------------


def check_ballot(manifest: dict, constituency: int, ballot: dict) -> list[str]:
    """Every reason ``ballot`` cannot be cast on the item ``manifest`` describes (empty: it
    can), as sentences for the member (marked for translation)."""
    if manifest.get("kind") == "motion":
        if set(ballot) != {"choice"} or ballot["choice"] not in CHOICES:
            return [N_("Choose for, against or abstain.")]
        return []
    seats = {c["id"]: c for c in manifest.get("constituencies", ())}
    place = seats.get(constituency)
    if place is None:
        return [N_("You do not vote in that part of the election.")]
    ranking = ballot.get("ranking") if set(ballot) == {"ranking"} else None
    if not isinstance(ranking, list) or not ranking:
        return [N_("Number at least one candidate: 1 for your first choice.")]
    problems = []
    standing = {c["id"] for c in place["candidates"]}
    if any(not isinstance(c, str) or c not in standing for c in ranking):
        problems.append(N_("A choice is not a candidate in this election."))
    if len(set(ranking)) != len(ranking):
        problems.append(N_("Each candidate can be given one number only."))
    return problems


def _content(manifest: dict, constituency: int, ballot: dict) -> str:
    problems = check_ballot(manifest, constituency, ballot)
    if problems:
        # One sentence at a time, so that it is translated whole.
        raise InvalidBallot([Problem(code="member_ballot", message=problems[0])])
    return canonical_json(ballot)


# --- The log --------------------------------------------------------------------------------


def lock_item(session: Session, item_id: int) -> str | None:
    """Take the item's casting lock until the transaction ends; return its state."""
    begin_write(session)
    return session.execute(
        select(_items.c.state).where(_items.c.id == item_id).with_for_update(key_share=True)
    ).scalar_one_or_none()


def log_head(session: Session, item_id: int) -> MemberLogEntry | None:
    return session.scalar(
        select(MemberLogEntry)
        .where(MemberLogEntry.item_id == item_id)
        .order_by(MemberLogEntry.sequence.desc())
        .limit(1)
    )


def _add(session, item_id, sequence, kind, payload, previous, ballot_id) -> MemberLogEntry:
    entry = MemberLogEntry(
        item_id=item_id,
        sequence=sequence,
        kind=kind,
        ballot_id=ballot_id,
        payload_hash=payload,
        previous_hash=previous,
        entry_hash=entry_hash(item_id, sequence, kind.value, payload, previous),
    )
    session.add(entry)
    session.flush()
    return entry


def _append(session, item_id, kind, payload, ballot_id=None) -> MemberLogEntry:
    head = log_head(session, item_id)
    if head is None:
        raise RoundClosed(N_("Voting on this item has not opened."))
    if head.kind is LogKind.CLOSE:
        raise RoundClosed(N_("Voting on this item has closed."))
    return _add(session, item_id, head.sequence + 1, kind, payload, head.entry_hash, ballot_id)


def open_item_log(session: Session, item_id: int, manifest_hash: str) -> MemberLogEntry:
    """The genesis entry, committing to the manifest (idempotent). Call as the item opens."""
    head = log_head(session, item_id)
    if head is not None:
        return session.scalar(
            select(MemberLogEntry).where(
                MemberLogEntry.item_id == item_id, MemberLogEntry.sequence == 0
            )
        )
    return _add(session, item_id, 0, LogKind.GENESIS, manifest_hash, ZERO_HASH, None)


def close_item_log(session: Session, item_id: int) -> MemberLogEntry:
    """Seal the item's log (idempotent), committing to the ballots counted and the receipts
    given out, and remove every pointer from a proxy's mark to its ballot."""
    head = log_head(session, item_id)
    if head is None:
        raise RoundClosed(N_("Voting on this item has not opened."))
    if head.kind is LogKind.CLOSE:
        return head
    session.execute(
        update(MemberMark)
        .where(MemberMark.item_id == item_id, MemberMark.proxy_ballot_id.is_not(None))
        .values(proxy_ballot_id=None)
    )
    counted = sum(1 for _ in _counted_ids(session, item_id))
    receipts = session.scalar(
        select(func.count())
        .select_from(MemberReceipt)
        .join(MemberBallot, MemberBallot.id == MemberReceipt.ballot_id)
        .where(MemberBallot.item_id == item_id)
    )
    return _append(session, item_id, LogKind.CLOSE, close_payload(counted, receipts or 0))


def verify_item_log(session: Session, item_id: int) -> list[str]:
    """Every break in the item's chain (empty when it is intact)."""
    problems = []
    previous = ZERO_HASH
    rows = session.execute(
        select(MemberLogEntry, MemberBallot)
        .outerjoin(MemberBallot, MemberBallot.id == MemberLogEntry.ballot_id)
        .where(MemberLogEntry.item_id == item_id)
        .order_by(MemberLogEntry.sequence)
    )
    for i, (entry, stored) in enumerate(rows):
        if entry.sequence != i:
            problems.append(f"entry {i} is missing")
        if entry.previous_hash != previous:
            problems.append(f"entry {entry.sequence} does not follow entry {entry.sequence - 1}")
        expected = entry_hash(
            item_id, entry.sequence, entry.kind.value, entry.payload_hash, entry.previous_hash
        )
        if entry.entry_hash != expected:
            problems.append(f"entry {entry.sequence} has the wrong hash")
        if entry.kind in (LogKind.BALLOT, LogKind.SUPERSEDE) and (
            stored is None
            or ballot_hash(stored.id, stored.constituency, stored.content) != entry.payload_hash
        ):
            problems.append(f"entry {entry.sequence} does not match its ballot")
        previous = entry.entry_hash
    return problems


# --- Casting ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberCast:
    receipt: str | None  # shown once; None for a paper ballot
    sequence: int
    entry_hash: str
    replaced_proxy: bool  # the member's own vote replaced their proxy's


def cast(
    session: Session,
    *,
    item_id: int,
    manifest: dict,
    member_id: int,
    ballot: dict,
    constituency: int = 0,
    channel: MemberChannel = MemberChannel.ONLINE,
    proxy_holder_id: int | None = None,
    recorded_by_id: int | None = None,
) -> MemberCast:
    """Cast ``member_id``'s ballot on an open item, once (see the module's docstring).
    ``channel=PROXY`` casts it for them by their proxy (``proxy_holder_id``, or None for the
    chair). Raises ``RoundClosed`` unless the item is open, ``InvalidBallot`` with every
    problem, ``AlreadyVoted``. The caller checks that the member may vote (and the proxy may
    vote for them) and rolls back on any error: nothing is kept."""
    begin_write(session)
    content = _content(manifest, constituency, ballot)
    by_proxy = channel is MemberChannel.PROXY
    if lock_item(session, item_id) != "open":
        raise RoundClosed(N_("Voting on this item is not open."))
    existing = session.scalar(
        select(MemberMark).where(MemberMark.item_id == item_id, MemberMark.member_id == member_id)
    )
    replaced = None
    if existing is not None:
        if by_proxy or existing.proxy_ballot_id is None:
            raise AlreadyVoted(
                N_("A ballot has already been cast for this member on this item.")
                if by_proxy
                else N_("You have already voted on this item.")
            )
        replaced = existing.proxy_ballot_id
    stored = MemberBallot(item_id=item_id, constituency=constituency, content=content)
    session.add(stored)
    session.flush()
    if existing is None:
        session.add(
            MemberMark(
                item_id=item_id,
                member_id=member_id,
                channel=channel,
                proxy_holder_id=proxy_holder_id if by_proxy else None,
                proxy_ballot_id=stored.id if by_proxy else None,
                recorded_by_id=recorded_by_id,
            )
        )
        try:
            session.flush()
        except IntegrityError as error:
            if violates(error, ONE_MARK):
                raise AlreadyVoted(N_("You have already voted on this item.")) from None
            raise
    else:
        existing.channel = channel
        existing.proxy_holder_id = None
        existing.proxy_ballot_id = None
        existing.recorded_by_id = recorded_by_id
        session.flush()
        _append(
            session, item_id, LogKind.SUPERSEDE, _superseded_payload(session, replaced), replaced
        )
    code = None if channel is MemberChannel.PAPER else new_receipt_code()
    if code is not None:
        session.add(MemberReceipt(receipt_hash=receipt_hash(code), ballot_id=stored.id))
    entry = _append(
        session,
        item_id,
        LogKind.BALLOT,
        ballot_hash(stored.id, constituency, content),
        stored.id,
    )
    return MemberCast(code, entry.sequence, entry.entry_hash, replaced is not None)


def _superseded_payload(session: Session, ballot_id: str) -> str:
    entry = session.scalar(
        select(MemberLogEntry).where(
            MemberLogEntry.ballot_id == ballot_id, MemberLogEntry.kind == LogKind.BALLOT
        )
    )
    # The supersede entry names the replaced ballot by its log entry's payload, as for rounds.
    return entry.payload_hash


def has_voted(session: Session, item_id: int, member_id: int) -> MemberChannel | None:
    """How the member's ballot on the item was cast (``PROXY`` if by proxy), or None."""
    return session.scalar(
        select(MemberMark.channel).where(
            MemberMark.item_id == item_id, MemberMark.member_id == member_id
        )
    )


# --- Receipts, turnout and counting -----------------------------------------------------------


@dataclass(frozen=True)
class MemberReceiptCheck:
    sequence: int
    ballot_hash: str
    entry_hash: str
    superseded: bool


def check_receipt(session: Session, item_id: int, code: str) -> MemberReceiptCheck:
    """Where the ballot with this receipt is in the item's log; never what it says."""
    if not normalise_receipt(code):
        raise ReceiptNotFound(N_("Enter your receipt code."))
    entry = session.scalar(
        select(MemberLogEntry)
        .join(MemberReceipt, MemberReceipt.ballot_id == MemberLogEntry.ballot_id)
        .where(
            MemberReceipt.receipt_hash == receipt_hash(code),
            MemberLogEntry.item_id == item_id,
            MemberLogEntry.kind == LogKind.BALLOT,
        )
    )
    if entry is None:
        raise ReceiptNotFound(N_("No ballot on this item has that receipt code."))
    superseded = session.scalar(
        select(func.count())
        .select_from(MemberLogEntry)
        .where(
            MemberLogEntry.ballot_id == entry.ballot_id,
            MemberLogEntry.kind == LogKind.SUPERSEDE,
        )
    )
    return MemberReceiptCheck(
        entry.sequence, entry.payload_hash, entry.entry_hash, bool(superseded)
    )


@dataclass(frozen=True)
class Turnout:
    """How many members have voted on an item, and how: never how they voted."""

    voted: int
    by_channel: dict[str, int]


def turnout(session: Session, item_id: int) -> Turnout:
    rows = session.execute(
        select(MemberMark.channel, func.count())
        .where(MemberMark.item_id == item_id)
        .group_by(MemberMark.channel)
    ).all()
    by_channel = {channel.value: n for channel, n in rows}
    return Turnout(sum(by_channel.values()), by_channel)


def _counted_ids(session: Session, item_id: int) -> Iterator[str]:
    superseded = set(
        session.scalars(
            select(MemberLogEntry.ballot_id).where(
                MemberLogEntry.item_id == item_id, MemberLogEntry.kind == LogKind.SUPERSEDE
            )
        )
    )
    rows = session.scalars(
        select(MemberLogEntry.ballot_id).where(
            MemberLogEntry.item_id == item_id, MemberLogEntry.kind == LogKind.BALLOT
        )
    )
    for ballot_id in rows:
        if ballot_id not in superseded:
            yield ballot_id


def counted_ballots(session: Session, item_id: int) -> list[tuple[int, dict]]:
    """The item's counted ballots as (constituency, ballot), once its log is sealed: superseded
    ones left out. Refused while voting is open (no running totals)."""
    head = log_head(session, item_id)
    if head is None or head.kind is not LogKind.CLOSE:
        raise RoundClosed(N_("The ballots are counted only once voting on the item has closed."))
    ids = set(_counted_ids(session, item_id))
    rows = session.execute(
        select(MemberBallot.id, MemberBallot.constituency, MemberBallot.content)
        .where(MemberBallot.item_id == item_id)
        .order_by(MemberBallot.id)
    )
    return [(constituency, json.loads(content)) for b, constituency, content in rows if b in ids]
