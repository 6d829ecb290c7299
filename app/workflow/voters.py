"""The officers' voting work: the roll (importing it, with its audit record, and its figures),
verification codes (issuing them, with their audit record, and the letters file that posts
them, or letters and text messages sent through the outbox), and entering a paper ballot
from a voting event.

Every function takes the session first and plain values, refuses with the project's refusals
(``ballots.errors``) and changes nothing when it refuses; none commits.

The figures never include ballots while voting is open: not per project, not per pot. (How
many ballots have been cast in the whole round can be read from the public ballot log's entry
numbers; that is a property of a public log, not a tally.)
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.workflow import audit, outbox, results
from app.workflow.clock import in_london
from app.workflow.models import (
    Council,
    FundingRound,
    MessageChannel,
    Neighbourhood,
    Phase,
    User,
)
from ballots import box, roll
from ballots.errors import AlreadyVoted, CodeUnreachable, NotEligible
from ballots.models import (
    COUNCIL_SCOPE,
    Channel,
    RollEntry,
    Verification,
    VerificationCode,
    reference_key,
    round_scope,
)
from ballots.paper import BallotPaper, PotPaper
from ballots.refusals import N_, NP_, Day, Listed, Nn_, Text
from votes import csv_cells
from votes.model import Ballot

# The letters file's column headings, in the officer's language when the web layer writes it.
LETTERS_HEADER = [
    NP_("codes letter file heading", "reference"),
    NP_("codes letter file heading", "neighbourhood"),
    NP_("codes letter file heading", "code"),
    NP_("codes letter file heading", "expires"),
]


def neighbourhood_spellings(session: Session, council: Council) -> dict[str, int]:
    """Each spelling a roll may use for a neighbourhood (its lower-cased name or slug) and the
    neighbourhood's id."""
    out = {}
    for hood in _neighbourhoods(session, council):
        out[hood.name.lower()] = hood.id
        out[hood.slug.lower()] = hood.id
    return out


def _neighbourhoods(session: Session, council: Council) -> list[Neighbourhood]:
    return list(
        session.scalars(select(Neighbourhood).where(Neighbourhood.council_id == council.id))
    )


def import_roll(
    session: Session,
    council: Council,
    funding_round: FundingRound,
    *,
    actor: User,
    for_round: bool,
    text: str,
    today: date,
    languages: Sequence[str] = ("en",),
) -> int:
    """Add the people in a CSV roll to the round's own roll (``for_round``) or to the
    council's, and write the import to the audit trail. Returns how many were added.
    ``languages``: those a row may ask to be written to in (the service's).

    Refused with ``RollInvalid`` (every problem, by row) when any row is wrong; then nobody is
    added and nothing is audited."""
    added = roll.import_roll(
        session,
        council_id=council.id,
        round_id=funding_round.id if for_round else None,
        text=text,
        neighbourhoods=neighbourhood_spellings(session, council),
        today=today,
        languages=languages,
    )
    audit.record(
        session,
        action="voters.roll_imported",
        actor=actor,
        council=council,
        round=funding_round,
        after={"scope": "round" if for_round else "council", "added": added},
    )
    return added


def issue_codes(
    session: Session,
    council: Council,
    funding_round: FundingRound,
    *,
    actor: User,
    for_round: bool,
    reference: str,
    key: bytes,
    now: datetime,
) -> list[roll.IssuedCode]:
    """Verification codes for the round's roll (``for_round``) or the council's, written to
    the audit trail (how many; never the codes).

    With a ``reference`` (blank means none), only that person gets a new code and any code of
    theirs that still works stops working; refused with ``CodeInvalid`` when the reference is
    not on the roll, ``CodeUsed`` when they have already verified. Without one, everyone not
    verified and holding no working code gets one (which may be nobody)."""
    _require_codes(council, funding_round)
    scope = round_scope(funding_round.id) if for_round else COUNCIL_SCOPE
    reference = reference.strip()
    where = {"council_id": council.id, "scope": scope, "key": key, "now": now}
    if reference:
        issued = [roll.reissue_code(session, reference=reference, **where)]
    else:
        issued = roll.issue_codes(session, **where)
    _audit_codes(session, council, funding_round, actor, for_round, reference, len(issued))
    return issued


def _require_codes(council: Council, funding_round: FundingRound) -> None:
    """Codes from the council are one of the ways to become eligible (docs/eligibility.md):
    a round that does not use them is refused them, so nobody is sent a code that the verify
    page would then not take."""
    from app.workflow import eligibility
    from app.workflow.errors import DomainError

    if not eligibility.allows(council, funding_round, "code"):
        raise DomainError(
            N_(
                "This round does not use codes sent by the council. Add that way on its "
                "page of ways to become eligible first."
            )
        )


def _audit_codes(session, council, funding_round, actor, for_round, reference, codes, **more):
    """The audit record of codes issued: which roll, how many, for whom when one person's;
    how they went (``channel``, when sent). Never the codes."""
    after: dict[str, Any] = {"scope": "round" if for_round else "council", "codes": codes}
    if reference:
        after["reissued_for"] = reference
    after.update(more)
    audit.record(
        session,
        action="voters.codes_issued",
        actor=actor,
        council=council,
        round=funding_round,
        after=after,
    )


# How the officers' form names the ways a code is sent: its channel, and what the roll entry
# must have for it.
SENT_BY = {
    "letter": (MessageChannel.LETTER, "address"),
    "sms": (MessageChannel.SMS, "phone"),
}

_NONE_REACHABLE = {
    "address": (
        N_(
            "%(references)s needs a code and has no postal address on the roll: download the "
            "code to post it yourselves, or add an address to the roll."
        ),
        N_(
            "None of the %(num)s people who need a code has a postal address on the roll "
            "(among them %(references)s): download their codes to post them yourselves, or "
            "add addresses to the roll."
        ),
    ),
    "phone": (
        N_(
            "%(references)s needs a code and has no mobile number on the roll: download the "
            "code to post it yourselves, or add a number to the roll."
        ),
        N_(
            "None of the %(num)s people who need a code has a mobile number on the roll "
            "(among them %(references)s): download their codes to post them yourselves, or "
            "add numbers to the roll."
        ),
    ),
}


@dataclass(frozen=True)
class CodesSent:
    """Codes issued and queued to be sent: ``sent`` letters or texts; ``left``: people who
    still need a code, having no address (or number) to send it to."""

    channel: MessageChannel
    sent: int
    left: int


def send_codes(
    session: Session,
    council: Council,
    funding_round: FundingRound,
    *,
    actor: User,
    for_round: bool,
    reference: str,
    how: str,
    key: bytes,
    now: datetime,
) -> CodesSent:
    """Verification codes sent by letter (``how`` ``"letter"``) or text message (``"sms"``)
    through the outbox, in the transaction that issues them: if issuing fails nothing is
    queued, and a queued letter is never lost. Audited as ``issue_codes`` is, with the
    channel.

    Only those who need a code (as ``issue_codes``) AND have a postal address (a mobile
    number) on the roll are given one now: the others keep needing one, so the officers then
    download theirs (``issue_codes``) to post them themselves. Refused (``CodeUnreachable``,
    nothing issued) when some need a code and none of them can be sent it, naming a few; and,
    with a ``reference``, when that person has no address (number).

    Each message goes to the entry's address (number) in its language, else the council's
    first, and holds only what it says: the reference, the code, when it expires, the round.
    It is a secret kind: what it said is emptied once it has gone."""
    _require_codes(council, funding_round)
    channel, needs = SENT_BY[how]
    scope = round_scope(funding_round.id) if for_round else COUNCIL_SCOPE
    reference = reference.strip()
    where = {"council_id": council.id, "scope": scope, "key": key, "now": now, "needs": needs}
    left = 0
    if reference:
        issued = [roll.reissue_code(session, reference=reference, **where)]
    else:
        left, examples = roll.unreachable(
            session, council_id=council.id, scope=scope, now=now, needs=needs
        )
        issued = roll.issue_codes(session, **where)
        if left and not issued:
            one, many = _NONE_REACHABLE[needs]
            raise CodeUnreachable(Nn_(one, many, left, references=Listed(examples)))
    first = council.spoken_languages[0]
    outbox.queue_many(
        session,
        "voting_code",
        [
            outbox.Recipient(
                to=getattr(code, needs),
                language=code.language or first,
                data={
                    "reference": code.reference,
                    "code": code.code,
                    "expires": code.expires_at.isoformat(),
                },
            )
            for code in issued
        ],
        data={"round_id": funding_round.id},
        channel=channel,
        council_id=council.id,
        now=now,
    )
    _audit_codes(
        session,
        council,
        funding_round,
        actor,
        for_round,
        reference,
        len(issued),
        channel=channel.value,
    )
    return CodesSent(channel, len(issued), left)


def letter_rows(
    session: Session, council: Council, issued: list[roll.IssuedCode]
) -> list[list[str]]:
    """The rows of the letters file for ``issued`` codes, header first: reference,
    neighbourhood name, code and the day it expires (in London). The headings and the day are
    ``Text``: the web layer writes them in the officer's language."""
    names = {h.id: h.name for h in _neighbourhoods(session, council)}
    rows: list[list[str]] = [list(LETTERS_HEADER)]
    for c in issued:
        expires = Text("%(day)s", day=Day(in_london(c.expires_at).date()))
        rows.append([c.reference, names.get(c.neighbourhood_id, ""), c.code, expires])
    return rows


def letters_csv(rows: list[list[str]]) -> str:
    """The letters file: ``rows`` as CSV, every cell escaped so a spreadsheet runs no
    formula (a reference or a name starting with ``=``)."""
    out = io.StringIO()
    writer = csv_cells.writer(out)
    for row in rows:
        writer.writerow(row)
    return out.getvalue()


def enter_paper_ballot(
    session: Session,
    funding_round: FundingRound,
    paper: BallotPaper,
    pot: PotPaper,
    *,
    reference: str,
    ballot: Ballot,
    actor: User,
    today: date,
) -> RollEntry:
    """Cast the paper ballot of the person with roll ``reference`` in ``pot``, recorded as
    entered by ``actor``, and write who entered it and in which pot to the audit trail (not
    the reference, so the trail's times cannot be lined up with the roll). Returns the
    person's roll entry.

    Refused with ``NotEligible`` (not on the round's roll, or not eligible in this pot),
    ``AlreadyVoted`` (online or on paper; beside the reference), ``RoundClosed``, or
    ``InvalidBallot`` listing each problem of the ballot itself."""
    reference = reference.strip()
    entry = session.scalar(
        select(RollEntry).where(
            RollEntry.council_id == funding_round.council_id,
            RollEntry.scope == roll.roll_scope_for(session, funding_round.id),
            RollEntry.reference_key == reference_key(reference),
        )
    )
    if entry is None:
        raise NotEligible(
            N_("%(reference)s is not on this round's roll."), "reference", reference=reference
        )
    try:
        box.cast(
            session,
            paper,
            entry,
            pot.id,
            ballot,
            today=today,
            channel=Channel.PAPER,
            recorded_by_id=actor.id,
        )
    except AlreadyVoted:
        raise AlreadyVoted(
            N_("%(reference)s has already voted in %(pot)s"),
            "reference",
            reference=reference,
            pot=pot.name,
        ) from None
    audit.record(
        session,
        action="ballot.paper_entered",
        actor=actor,
        council=funding_round.council,
        round=funding_round,
        after={"pot": pot.name},
    )
    return entry


def roll_figures(
    session: Session, council: Council, funding_round: FundingRound, *, now: datetime
) -> dict[str, Any]:
    """What the voters page shows of the roll: for the round's roll and the council's, how
    many people, codes, working codes and verified accounts; which roll the round uses; the
    references someone may be guessing codes for; and, once voting has ended, how many
    ballots were cast by each channel (never before): ``turnout`` for the round (channel ->
    count: ``results.CHANNELS``) and ``turnout_by_pot`` (pot id -> the same), without the
    pots whose figures are withheld."""

    def counts(scope: str) -> dict[str, int]:
        entries = select(RollEntry.id).where(
            RollEntry.council_id == council.id, RollEntry.scope == scope
        )
        codes = select(func.count()).where(VerificationCode.roll_entry_id.in_(entries))
        live = codes.where(VerificationCode.used_on.is_(None), VerificationCode.expires_at > now)
        verified = select(func.count()).where(Verification.roll_entry_id.in_(entries))
        due = roll.codes_due(session, council_id=council.id, scope=scope, now=now)
        return {
            "people": session.scalar(select(func.count()).where(RollEntry.id.in_(entries))),
            "codes": session.scalar(codes),
            "live": session.scalar(live),
            "verified": session.scalar(verified),
            # Who issuing codes would give one to, and how many a letter or a text reaches.
            "due": due.people,
            "due_address": due.with_address,
            "due_phone": due.with_phone,
        }

    figures: dict[str, Any] = {
        "round": counts(round_scope(funding_round.id)),
        "council": counts(COUNCIL_SCOPE),
        "uses": roll.roll_scope_for(session, funding_round.id),
        # References someone may be guessing codes for: wrong tries slow them down, and
        # officers can tell their owners, or the police, before anyone is kept waiting.
        "under_attack": roll.references_under_attack(
            session,
            council_id=council.id,
            scopes=(round_scope(funding_round.id), COUNCIL_SCOPE),
        ),
    }
    if funding_round.phase.index > Phase.VOTING.index:
        # Ballots by channel, for the round and for each pot whose figures are shown
        # (``results.shown_by_channel``: a pot below the publishing minimum is withheld).
        by_channel = results.shown_by_channel(session, funding_round)
        figures["turnout"] = by_channel.pop(None)
        figures["turnout_by_pot"] = by_channel
    return figures
