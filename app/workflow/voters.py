"""The officers' voting work: the roll (importing it, with its audit record, and its figures),
verification codes (issuing them, with their audit record, and the letters file that posts
them), and entering a paper ballot from a voting event.

Every function takes the session first and plain values, refuses with the project's refusals
(``ballots.errors``) and changes nothing when it refuses; none commits.

The figures never include ballots while voting is open: not per project, not per pot. (How
many ballots have been cast in the whole round can be read from the public ballot log's entry
numbers; that is a property of a public log, not a tally.)
"""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.workflow import audit
from app.workflow.clock import in_london
from app.workflow.models import Council, FundingRound, Neighbourhood, Phase, User
from ballots import box, roll
from ballots.errors import AlreadyVoted, NotEligible
from ballots.models import (
    COUNCIL_SCOPE,
    Channel,
    RollEntry,
    Verification,
    VerificationCode,
    VoterMark,
    reference_key,
    round_scope,
)
from ballots.paper import BallotPaper, PotPaper
from ballots.refusals import N_, NP_, Day, Text
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
) -> int:
    """Add the people in a CSV roll to the round's own roll (``for_round``) or to the
    council's, and write the import to the audit trail. Returns how many were added.

    Refused with ``RollInvalid`` (every problem, by row) when any row is wrong; then nobody is
    added and nothing is audited."""
    added = roll.import_roll(
        session,
        council_id=council.id,
        round_id=funding_round.id if for_round else None,
        text=text,
        neighbourhoods=neighbourhood_spellings(session, council),
        today=today,
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
    scope = round_scope(funding_round.id) if for_round else COUNCIL_SCOPE
    reference = reference.strip()
    where = {"council_id": council.id, "scope": scope, "key": key, "now": now}
    if reference:
        issued = [roll.reissue_code(session, reference=reference, **where)]
    else:
        issued = roll.issue_codes(session, **where)
    after: dict[str, Any] = {"scope": "round" if for_round else "council", "codes": len(issued)}
    if reference:
        after["reissued_for"] = reference
    audit.record(
        session,
        action="voters.codes_issued",
        actor=actor,
        council=council,
        round=funding_round,
        after=after,
    )
    return issued


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
    voted by each channel (never before)."""

    def counts(scope: str) -> dict[str, int]:
        entries = select(RollEntry.id).where(
            RollEntry.council_id == council.id, RollEntry.scope == scope
        )
        codes = select(func.count()).where(VerificationCode.roll_entry_id.in_(entries))
        live = codes.where(VerificationCode.used_on.is_(None), VerificationCode.expires_at > now)
        verified = select(func.count()).where(Verification.roll_entry_id.in_(entries))
        return {
            "people": session.scalar(select(func.count()).where(RollEntry.id.in_(entries))),
            "codes": session.scalar(codes),
            "live": session.scalar(live),
            "verified": session.scalar(verified),
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
        figures["turnout"] = dict(
            session.execute(
                select(VoterMark.channel, func.count())
                .where(VoterMark.round_id == funding_round.id)
                .group_by(VoterMark.channel)
            ).all()
        )
    return figures
