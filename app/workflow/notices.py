"""What residents and officers are told, and when: each notice is queued in the outbox in the
transaction of what causes it (``app.workflow.outbox``; docs/messages.md).

Residents are written to at their account's address once they have confirmed it (an
unconfirmed address may be someone else's, who would then learn that this account voted), in
their account's language, else the council's first. Every notice here has a topic they can
opt out of; the bulk ones choose their recipients in SQL, opted-out people left out.

Nothing a notice keeps links a person to a ballot: a vote's confirmation keeps the pot and
the day, no time and no receipt, and is deleted once sent (``outbox.Kind.unordered``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.workflow import outbox
from app.workflow.models import (
    Council,
    FundingRound,
    Membership,
    Message,
    MessageState,
    Neighbourhood,
    Proposal,
    ProposalReport,
    ProposalStatus,
    Role,
    Support,
    User,
)
from ballots import roll
from ballots.models import RollEntry, Verification, VoterMark
from ballots.paper import BallotPaper
from ballots.phases import Phase

# Officers hear of the same thing at most once a day.
OFFICER_NOTICE_EVERY = timedelta(hours=20)


def _language(user: User, council: Council) -> str:
    return user.language or council.spoken_languages[0]


def _reachable(user: User | None) -> bool:
    return user is not None and user.email_confirmed_at is not None and bool(user.email)


def _recipients(session: Session, user_ids, council: Council, topic: str) -> list[outbox.Recipient]:
    """The people of ``user_ids`` (a subquery of ids) who can be written to and have not
    opted out of ``topic``, each once, in their language."""
    rows = session.execute(
        select(User.id, User.email, User.language)
        .where(
            User.id.in_(user_ids),
            User.email_confirmed_at.is_not(None),
            outbox.not_opted_out(User.id, topic),
        )
        .order_by(User.id)
    ).all()
    first = council.spoken_languages[0]
    return [
        outbox.Recipient(to=email, language=lang or first, user_id=uid) for uid, email, lang in rows
    ]


# --- Residents ---------------------------------------------------------------------------------


def voted(
    session: Session,
    user: User,
    funding_round: FundingRound,
    pot_id: int,
    today: date,
    *,
    changed: bool = False,
) -> Message | None:
    """ "You voted in <pot>": the pot and the day only. Never the receipt, the choices or
    the log entry, any of which would link the mailbox to the ballot."""
    if not _reachable(user):
        return None
    return outbox.queue(
        session,
        "vote_confirmation",
        to=user.email,
        language=_language(user, funding_round.council),
        data={
            "round_id": funding_round.id,
            "pot_id": pot_id,
            "day": today.isoformat(),
            "changed": changed,
        },
        user=user,
        council=funding_round.council,
    )


def _voters(funding_round: FundingRound):
    """SQL: the accounts that voted in the round (through the roll entry they verified as)."""
    return (
        select(Verification.user_id)
        .join(VoterMark, VoterMark.roll_entry_id == Verification.roll_entry_id)
        .where(VoterMark.round_id == funding_round.id)
    )


def results_published(session: Session, funding_round: FundingRound) -> int:
    """Results are out: to everyone who proposed, supported or voted in the round."""
    people = (
        select(Proposal.author_id)
        .where(Proposal.round_id == funding_round.id, Proposal.author_id.is_not(None))
        .union(
            select(Support.user_id)
            .join(Proposal, Proposal.id == Support.proposal_id)
            .where(Proposal.round_id == funding_round.id),
            _voters(funding_round),
        )
    )
    return outbox.queue_many(
        session,
        "results_published",
        _recipients(session, people, funding_round.council, "results"),
        data={"round_id": funding_round.id},
        council_id=funding_round.council_id,
    )


# What a proposal's author is told of, with the proposal's own state read when it is sent.
PROPOSAL_CHANGES = (
    "feasible",
    "not_feasible",
    "merged",
    "hidden",
    "restored",
    "on_ballot",
    "funded",
)


def proposal_changed(
    session: Session, proposal: Proposal, change: str, *, reason: str = ""
) -> Message | None:
    """Tell a proposal's author what happened to it (``PROPOSAL_CHANGES``), with the
    officers' reason where there is one (the reason residents are shown)."""
    if change not in PROPOSAL_CHANGES:
        raise ValueError(f"unknown proposal change {change!r}")
    author = session.get(User, proposal.author_id) if proposal.author_id else None
    if not _reachable(author):
        return None
    council = proposal.round.council
    return outbox.queue(
        session,
        "proposal_status",
        to=author.email,
        language=_language(author, council),
        data={"proposal_id": proposal.id, "change": change, "reason": reason},
        user=author,
        council=council,
    )


def proposals_changed(
    session: Session, funding_round: FundingRound, proposal_ids: Iterable[int], change: str
) -> int:
    """Tell the authors of many proposals of the round the same news (on the ballot, funded),
    one message per proposal."""
    ids = list(proposal_ids)
    if not ids:
        return 0
    first = funding_round.council.spoken_languages[0]
    rows = session.execute(
        select(Proposal.id, User.id, User.email, User.language)
        .join(User, User.id == Proposal.author_id)
        .where(
            Proposal.round_id == funding_round.id,
            Proposal.id.in_(ids),
            User.email_confirmed_at.is_not(None),
            outbox.not_opted_out(User.id, "proposals"),
        )
        .order_by(Proposal.id)
    ).all()
    return outbox.queue_many(
        session,
        "proposal_status",
        [
            outbox.Recipient(
                to=email,
                language=lang or first,
                user_id=uid,
                data={"proposal_id": pid, "change": change},
            )
            for pid, uid, email, lang in rows
        ],
        council_id=funding_round.council_id,
    )


def delivery_updated(session: Session, proposal: Proposal, update_id: int) -> int:
    """A funded project moved on: to the people who proposed or supported it."""
    people = (
        select(Proposal.author_id)
        .where(Proposal.id == proposal.id, Proposal.author_id.is_not(None))
        .union(select(Support.user_id).where(Support.proposal_id == proposal.id))
    )
    council = proposal.round.council
    return outbox.queue_many(
        session,
        "delivery_update",
        _recipients(session, people, council, "delivery"),
        data={"proposal_id": proposal.id, "update_id": update_id},
        council_id=council.id,
    )


def _closes_at(funding_round: FundingRound) -> datetime | None:
    dates = funding_round.dates_for(Phase.VOTING)
    return dates.ends_at if dates is not None else None


def reminders_due(session: Session, now: datetime) -> list[FundingRound]:
    """Rounds in voting whose reminder is due (``reminder_days`` before voting closes) and
    not yet queued."""
    rounds = session.scalars(
        select(FundingRound)
        .where(
            FundingRound.phase == Phase.VOTING,
            FundingRound.reminder_days.is_not(None),
            FundingRound.reminder_queued_at.is_(None),
        )
        .order_by(FundingRound.id)
    ).all()
    due = []
    for funding_round in rounds:
        closes = _closes_at(funding_round)
        if (
            closes is not None
            and closes - timedelta(days=funding_round.reminder_days) <= now < closes
        ):
            due.append(funding_round)
    return due


def queue_reminder(
    session: Session, funding_round: FundingRound, paper: BallotPaper, now: datetime, today: date
) -> int | None:
    """Queue the round's reminder, in one transaction (the caller commits), to every verified
    resident who has not voted in a pot they can vote in; returns how many, or None when
    another scheduler queued it first (the round's ``reminder_queued_at`` is claimed by
    compare-and-set, so it goes once however many run)."""
    claimed = session.execute(
        update(FundingRound)
        .where(FundingRound.id == funding_round.id, FundingRound.reminder_queued_at.is_(None))
        .values(reminder_queued_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        return None
    session.refresh(funding_round, ["reminder_queued_at"])
    council = funding_round.council
    scope = roll.roll_scope_for(session, funding_round.id)
    slugs = dict(
        session.execute(
            select(Neighbourhood.id, Neighbourhood.slug).where(
                Neighbourhood.council_id == council.id
            )
        ).all()
    )
    voted = {}
    for entry_id, pot_id in session.execute(
        select(VoterMark.roll_entry_id, VoterMark.pot_id).where(
            VoterMark.round_id == funding_round.id
        )
    ):
        voted.setdefault(entry_id, set()).add(pot_id)
    first = council.spoken_languages[0]
    rows = session.execute(
        select(
            User.id,
            User.email,
            User.language,
            RollEntry.id,
            RollEntry.neighbourhood_id,
            RollEntry.date_of_birth,
        )
        .join(Verification, Verification.user_id == User.id)
        .join(RollEntry, RollEntry.id == Verification.roll_entry_id)
        .where(
            Verification.council_id == council.id,
            Verification.scope == scope,
            User.email_confirmed_at.is_not(None),
            outbox.not_opted_out(User.id, "reminders"),
        )
        .order_by(User.id)
    )
    recipients = []
    for uid, email, language, entry_id, hood_id, born in rows:
        if not roll.old_enough(paper, born, today):
            continue
        done = voted.get(entry_id, ())
        open_pots = [p.id for p in roll.home_pots(paper, slugs.get(hood_id)) if p.id not in done]
        if open_pots:
            recipients.append(
                outbox.Recipient(
                    to=email, language=language or first, user_id=uid, data={"pots": open_pots}
                )
            )
    return outbox.queue_many(
        session,
        "voting_reminder",
        recipients,
        data={"round_id": funding_round.id},
        council_id=council.id,
        now=now,
    )


# --- Officers -----------------------------------------------------------------------------------


def _officers(session: Session, council_id: int) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.council_id == council_id,
                Membership.role.in_((Role.OFFICER, Role.ADMIN)),
            )
            .order_by(User.id)
        )
    )


def _tell_officers(
    session: Session, council: Council, kind: str, about: str, data: dict, now: datetime
) -> int:
    count = 0
    for officer in _officers(session, council.id):
        message = outbox.queue(
            session,
            kind,
            to=officer.email,
            language=_language(officer, council),
            data=data,
            user=officer,
            council=council,
            now=now,
            about=about,
            once_within=OFFICER_NOTICE_EVERY,
        )
        count += message is not None
    return count


def waiting_for_officers(session: Session, now: datetime) -> int:
    """Each council's officers, once a day while there is any: how many proposals wait for
    their review, and how many reported proposals wait for a decision."""
    waiting = dict(
        session.execute(
            select(FundingRound.council_id, func.count(Proposal.id))
            .join(Proposal, Proposal.round_id == FundingRound.id)
            .where(
                Proposal.status == ProposalStatus.SUBMITTED,
                FundingRound.phase.in_((Phase.PROPOSALS, Phase.REVIEW, Phase.SUPPORTS)),
            )
            .group_by(FundingRound.council_id)
        ).all()
    )
    reported = dict(
        session.execute(
            select(FundingRound.council_id, func.count(func.distinct(Proposal.id)))
            .join(Proposal, Proposal.round_id == FundingRound.id)
            .join(ProposalReport, ProposalReport.proposal_id == Proposal.id)
            .where(ProposalReport.resolved_at.is_(None), Proposal.hidden_at.is_(None))
            .group_by(FundingRound.council_id)
        ).all()
    )
    count = 0
    for council_id in sorted(set(waiting) | set(reported)):
        council = session.get(Council, council_id)
        data = {
            "council_id": council_id,
            "waiting": int(waiting.get(council_id, 0)),
            "reported": int(reported.get(council_id, 0)),
        }
        count += _tell_officers(
            session, council, "officer_review", f"council:{council_id}", data, now
        )
    return count


def round_stuck(session: Session, funding_round: FundingRound, problem: str, now: datetime) -> int:
    """The scheduler could not move a round on time: its council's officers, once a day."""
    return _tell_officers(
        session,
        funding_round.council,
        "phase_stuck",
        f"round:{funding_round.id}",
        {"round_id": funding_round.id, "problem": problem[:500]},
        now,
    )


def failed_messages(session: Session, now: datetime) -> int:
    """Messages a council sent that failed for good in the last day: its officers, once a day
    (the failed notices to officers are not counted, so they cannot feed themselves)."""
    since = now - timedelta(days=1)
    rows = session.execute(
        select(Message.council_id, func.count())
        .where(
            Message.state == MessageState.FAILED,
            Message.council_id.is_not(None),
            Message.kind != "messages_failed",
            Message.failed_at >= since,
        )
        .group_by(Message.council_id)
    ).all()
    count = 0
    for council_id, failed in rows:
        council = session.get(Council, council_id)
        count += _tell_officers(
            session,
            council,
            "messages_failed",
            f"council:{council_id}",
            {"council_id": council_id, "failed": int(failed)},
            now,
        )
    return count


# --- The scheduler's notices (`flask advance-phases`) -------------------------------------------


def send_scheduled(
    session: Session, now: datetime, today: date, stuck: Iterable[tuple[FundingRound, str]] = ()
) -> list[str]:
    """What the scheduler queues each time it runs, each in a transaction of its own (one
    that fails is rolled back, logged, and tried at the next run): the rounds that could not
    move (``stuck``: round and why), the reminders due, and the officers' daily notices.
    Returns a line for each thing queued, for the scheduler's output."""
    import logging

    from app.workflow.voting import paper_for

    log = logging.getLogger(__name__)
    said: list[str] = []

    def step(what: str, fn, *args) -> None:
        try:
            count = fn(session, *args)
            session.commit()
        except Exception:  # noqa: BLE001 - one notice's failure must not stop the others
            session.rollback()
            log.exception("could not queue %s", what)
            said.append(f"could not queue {what}: see the log")
            return
        if count:
            said.append(f"{what}: {count} queued")

    for funding_round, problem in stuck:
        name = f"{funding_round.council.slug}/{funding_round.slug}"
        step(f"{name}: officers told it could not move", round_stuck, funding_round, problem, now)
    for funding_round in reminders_due(session, now):
        name = f"{funding_round.council.slug}/{funding_round.slug}"
        paper = paper_for(funding_round)
        if paper is not None:
            step(f"{name}: voting reminders", queue_reminder, funding_round, paper, now, today)
    step("officers told of proposals waiting for them", waiting_for_officers, now)
    step("officers told of failed messages", failed_messages, now)
    return said
