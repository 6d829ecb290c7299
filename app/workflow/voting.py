"""A resident's voting: who they vote as in a round (the frozen ballot paper, their roll entry,
the pots they may vote in and what they have cast there), and casting or replacing a ballot.

Every check is a refusal with a sentence the resident can act on; nothing here commits (the
caller's transaction does). The ballot box (``ballots``) checks every rule again when a ballot
is cast, so a refused ballot changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.workflow.clock import london_date
from app.workflow.errors import Refusal
from app.workflow.models import Council, FundingRound, Phase, Role, User
from ballots import box, roll
from ballots.errors import AlreadyVoted, CheckedIn, CodeInvalid, NotEligible, RoundClosed
from ballots.models import COUNCIL_SCOPE, Channel, RollEntry
from ballots.paper import BallotPaper, PotPaper, ballot_paper
from ballots.refusals import N_, Listed, Nn_, Text, sentences
from votes.ballot import Ballot

CLOSED = N_("This round is not taking votes now. Check the round page for its dates.")


class NotAResident(NotEligible):
    """The account has no resident's role in the round's council. Status 403."""


class NotOnThisBallot(Refusal):
    """The pot is not on this round's ballot, or has nothing to vote for. Status 404."""

    status = 404


class NotYourPot(NotEligible):
    """The pot is on the ballot but this voter may not vote in it. Status 403."""


def paper_for(funding_round: FundingRound) -> BallotPaper | None:
    """The round's frozen ballot paper, or None before voting has opened."""
    return ballot_paper(funding_round.manifest_json) if funding_round.manifest_json else None


@dataclass(frozen=True)
class Voter:
    """A resident as a voter in one round: the paper, their roll entry, the pots they may
    vote in and, per pot, the channel they have voted through (None where they have not)."""

    paper: BallotPaper
    entry: RollEntry
    pots: list[PotPaper]
    cast: dict[int, Channel | None]

    def pot(self, pot_id: int) -> PotPaper:
        """One of the voter's pots; refuses a pot not on the ballot, empty or not theirs."""
        for pot in self.pots:
            if pot.id == pot_id:
                return pot
        on_paper = self.paper.pot(pot_id)
        if on_paper is None:
            raise NotOnThisBallot(N_("That pot is not part of this round."))
        if not on_paper.projects:
            raise NotOnThisBallot(
                N_("There is nothing to vote for in %(pot)s: no project is on its ballot."),
                pot=on_paper.name,
            )
        raise NotYourPot(
            N_("You can vote only in your own neighbourhood's pot; %(pot)s is not yours."),
            pot=on_paper.name,
        )

    def changing(self, pot: PotPaper) -> bool:
        """Whether a ballot in the pot replaces the voter's online one (False: a first
        ballot); ``AlreadyVoted`` when they may not vote there again."""
        channel = self.cast.get(pot.id)
        if channel is None:
            return False
        if channel == Channel.ONLINE and self.paper.allow_vote_change:
            return True
        raise already_voted(pot)


def already_voted(pot: PotPaper) -> AlreadyVoted:
    return AlreadyVoted(
        N_("You have already voted in %(pot)s. Your first ballot counts."), pot=pot.name
    )


def offers_voting(funding_round: FundingRound, user: User | None) -> bool:
    """Whether the round page offers this person (None: not signed in) to vote: a resident
    while voting is open (``voter`` then says whether they can)."""
    is_resident = user is not None and user.has_role(funding_round.council_id, Role.RESIDENT)
    return is_resident and funding_round.phase == Phase.VOTING


def voter(
    session: Session, user: User, council: Council, funding_round: FundingRound, today: date
) -> Voter:
    """The user as a voter in this round, or a refusal saying why they cannot vote:
    ``NotAResident``, ``RoundClosed``, ``NotVerified`` (they verify first) or ``NotEligible``."""
    if not user.has_role(council, Role.RESIDENT):
        raise NotAResident(N_("Only residents of %(council)s can vote."), council=council.name)
    paper = paper_for(funding_round)
    if funding_round.phase != Phase.VOTING or paper is None:
        raise RoundClosed(CLOSED)
    entry = roll.roll_entry_for(
        session, user_id=user.id, council_id=council.id, round_id=funding_round.id
    )
    if box.checked_in(session, entry, funding_round.id):
        raise CheckedIn()
    pots = roll.eligible_pots(session, paper, entry, today)
    cast = {pot.id: box.has_voted(session, entry, pot.id) for pot in pots}
    return Voter(paper, entry, pots, cast)


def cast_or_replace(
    session: Session,
    voter: Voter,
    pot: PotPaper,
    ballot: Ballot,
    *,
    receipt: str | None,
    today: date,
    tell: tuple[User, FundingRound] | None = None,
) -> box.Cast:
    """Cast the voter's ballot in a pot, or replace their online one when ``receipt`` is
    given (the round must allow changing a vote). Raises the ballot box's refusals; a ballot
    cast first by another request at the same time is ``AlreadyVoted`` naming the pot.
    ``tell``: the account and round, to email "you voted in <pot>" in the same transaction
    (``notices.voted``: the pot and the day, nothing of the ballot)."""
    if receipt is not None:
        cast = box.replace(session, voter.paper, voter.entry, pot.id, receipt, ballot, today=today)
    else:
        try:
            cast = box.cast(session, voter.paper, voter.entry, pot.id, ballot, today=today)
        except CheckedIn:
            raise
        except AlreadyVoted:
            raise already_voted(pot) from None
    if tell is not None:
        from app.workflow import notices

        notices.voted(session, *tell, pot.id, today, changed=receipt is not None)
    return cast


def saved_after_all(session: Session, voter: Voter, pot: PotPaper) -> bool:
    """After a failed commit, whether it took effect all the same (a connection lost while
    committing leaves that unknown): the voter's mark is read again, and if even that fails
    the answer is no (rolled back), as the voter is then asked to try again, which says if
    they have voted."""
    try:
        return box.has_voted(session, voter.entry, pot.id) is not None
    except SQLAlchemyError:
        session.rollback()
        return False


def verify_account(
    session: Session,
    council: Council,
    user: User,
    reference: str,
    code: str,
    *,
    key: bytes,
    now: datetime,
) -> RollEntry | CodeInvalid:
    """Verify the account as the roll entry with ``reference`` using its posted code: the
    entry, or the ``CodeInvalid`` refusal *returned*, not raised, because a wrong try stays
    counted and so must be committed. Every other refusal is raised (nothing is kept)."""
    try:
        return roll.verify(
            session,
            council_id=council.id,
            user_id=user.id,
            reference=reference,
            code=code,
            key=key,
            now=now,
            today=london_date(now),
        )
    except CodeInvalid as error:
        return error


# A round not yet past voting, whose coming or open vote a verification is for, is in none of
# these phases.
_NOT_VERIFYING = (Phase.DRAFT, Phase.CLOSED, Phase.PUBLISHED, Phase.DELIVERY)


def verifying_rounds(council: Council) -> list[FundingRound]:
    """The council's rounds a verification now is for: published, and not yet past voting."""
    return [r for r in council.rounds if r.phase not in _NOT_VERIFYING]


def verified_for(session: Session, council: Council, entry: RollEntry) -> Text:
    """What a verification covers, exactly: one round for a round's own roll; for the
    council's roll, its rounds without a roll of their own (named while they are not yet past
    voting), and not those with one."""
    if entry.scope != COUNCIL_SCOPE:
        only = session.get(FundingRound, entry.round_id)
        return Text(
            N_(
                "Your account is verified on the roll of %(round)s: you can vote in that round "
                "only. %(council)s's other rounds each use their own roll or the council's."
            ),
            round=only.title,
            council=council.name,
        )
    current = verifying_rounds(council)
    own_roll = {r.id for r in current if roll.has_round_roll(session, r.id)}
    own = [r.title for r in current if r.id in own_roll]
    covered = [r.title for r in current if r.id not in own_roll]
    if covered:
        text = Text(
            N_(
                "Your account is verified on %(council)s's roll: you can vote in its rounds "
                "that use the council's roll (%(rounds)s)."
            ),
            council=council.name,
            rounds=Listed(covered),
        )
    else:
        text = Text(
            N_(
                "Your account is verified on %(council)s's roll: you can vote in its rounds "
                "that use the council's roll."
            ),
            council=council.name,
        )
    if own:
        text = sentences(
            text,
            Nn_(
                "It does not cover %(rounds)s, which has its own roll.",
                "It does not cover %(rounds)s, which have their own roll.",
                len(own),
                rounds=Listed(own),
            ),
        )
    return text
