"""Moving a round through its phases: the phases a round has and what each is for, what must
be done before a move, the compare-and-set move itself (opening voting freezes the round,
closing it seals the ballot log and counts the votes), publishing results, what happens next,
and the scheduler's moves when a round's dates say so.

Phase changes are compare-and-set updates, so two officers (or an officer and the scheduler)
cannot both move the same round. Each function changes nothing when it refuses, and raises a
``DomainError`` (``app.workflow.errors``) with a reason.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from app.workflow import audit
from app.workflow.errors import Conflict, DomainError, Frozen, WrongPhase
from app.workflow.models import (
    FundingRound,
    Phase,
    PhaseDates,
    Proposal,
    ScheduledMoveFailure,
    User,
)
from app.workflow.rounds.ballot import ballot_proposals, impossible_ballot, unreviewed_proposals
from app.workflow.rounds.common import lock_round
from app.workflow.rounds.manifest import UNFROZEN_COLUMNS, frozen_columns
from app.workflow.rounds.voting import voting_config, voting_config_problems
from ballots import box as ballot_box
from ballots.refusals import N_, Joined, Listed, Money, Nn_, Text

# Records carry the package's name, app.workflow.rounds, not this module's: the name that log
# filters (and the tests of scheduled moves) select them by.
log = logging.getLogger(__package__)


# What each phase is for, in a sentence (marked for translation: the pages show it in their
# language).
PHASE_DESCRIPTIONS = {
    Phase.DRAFT: N_("Officers are preparing the round. Residents cannot see it yet."),
    Phase.PROPOSALS: N_("Residents can propose projects for a pot."),
    Phase.REVIEW: N_("Officers check each proposal is feasible and set its final cost."),
    Phase.SUPPORTS: N_(
        "Residents show which proposals they support; the best supported go to the vote."
    ),
    Phase.VOTING: N_("Residents vote. The pots, costs, proposals and voting rules are fixed."),
    Phase.CLOSED: N_("Voting has closed and the votes are being counted."),
    Phase.PUBLISHED: N_("The results are published, with how they were worked out."),
    Phase.DELIVERY: N_("The funded projects are being delivered."),
}


def phases_of(funding_round: FundingRound) -> list[Phase]:
    """This round's phases in order (supports only when the round uses them)."""
    return [p for p in Phase if p != Phase.SUPPORTS or funding_round.supports_enabled]


def next_phase(funding_round: FundingRound) -> Phase | None:
    """The phase after the round's current one, or None in its last."""
    order = phases_of(funding_round)
    if funding_round.phase not in order:  # supports turned off while in it cannot happen
        order = list(Phase)
    i = order.index(funding_round.phase)
    return order[i + 1] if i + 1 < len(order) else None


def previous_phase(funding_round: FundingRound) -> Phase | None:
    """The phase an officer can step back to: only before voting opens."""
    if funding_round.is_frozen or funding_round.phase == Phase.DRAFT:
        return None
    order = phases_of(funding_round)
    return order[order.index(funding_round.phase) - 1]


def phase_change_problems(
    session: Session, funding_round: FundingRound, target: Phase
) -> list[Text]:
    """Why the round cannot move to ``target`` now (empty when it can), each a ``Text`` the
    web layer shows in the officer's language."""
    problems: list[Text] = []
    pots_total = sum(p.budget_pence for p in funding_round.pots)
    if target.index <= Phase.VOTING.index and target != Phase.DRAFT:
        if not funding_round.pots:
            problems.append(Text(N_("The round has no pots")))
        elif pots_total != funding_round.total_budget_pence:
            problems.append(
                Text(
                    N_("The pots add up to %(total)s, not the budget of %(budget)s"),
                    total=Money(pots_total),
                    budget=Money(funding_round.total_budget_pence),
                )
            )
    if target == Phase.PUBLISHED:
        from app.workflow import results, secrecy

        waiting = secrecy.pots_waiting(session, funding_round)
        missing = results.missing_results(session, funding_round)
        if waiting:
            problems.append(
                Text(
                    N_("The trustees have not yet decrypted the ballots of %(pots)s"),
                    pots=Listed(waiting),
                )
            )
        elif missing:
            problems.append(
                Text(
                    N_("The votes have not been counted for %(pots)s (run flask tally)"),
                    pots=Listed(missing),
                )
            )
    if target == Phase.DRAFT:
        count = session.scalar(select(func.count()).where(Proposal.round_id == funding_round.id))
        if count:
            problems.append(
                Text(N_("Residents have made proposals, so the round cannot go back to a draft"))
            )
    if target == Phase.VOTING:
        from app.workflow import secrecy

        problems.extend(secrecy.opening_problems(session, funding_round))
        for field, message in voting_config_problems(voting_config(funding_round)):
            problems.append(
                Text(N_("The voting configuration is not valid: %(problem)s"), problem=message)
            )
            del field
            break
        on_ballot = ballot_proposals(session, funding_round)
        if not on_ballot:
            problems.append(
                Text(
                    N_(
                        "No proposal can reach the ballot: a proposal needs to be feasible, "
                        "with a final cost and enough supports"
                    )
                    if funding_round.supports_enabled
                    else N_(
                        "No proposal can reach the ballot: a proposal needs to be feasible, "
                        "with a final cost"
                    )
                )
            )
        pots = {p.id: p for p in funding_round.pots}
        for p in on_ballot:
            if p.cost_to_pot_pence > pots[p.pot_id].budget_pence:
                problems.append(
                    Text(
                        N_(
                            "“%(title)s” would cost its pot %(cost)s, more than the pot's "
                            "budget of %(budget)s"
                        ),
                        title=p.title,
                        cost=Money(p.cost_to_pot_pence),
                        budget=Money(pots[p.pot_id].budget_pence),
                    )
                )
        by_pot: dict[int, list[Proposal]] = {}
        for p in on_ballot:
            by_pot.setdefault(p.pot_id, []).append(p)
        # Only once the configuration is valid and something reaches the ballot: otherwise
        # every pot would repeat the problem already listed.
        if on_ballot and not voting_config_problems(voting_config(funding_round)):
            for pot in sorted(funding_round.pots, key=lambda p: (p.position, p.id)):
                problem = impossible_ballot(funding_round, pot, by_pot.get(pot.id, []))
                if problem:
                    problems.append(problem)
    return problems


PUBLISH_ELSEWHERE = N_(
    "Results are published from the page “Check the results before publishing”, once an "
    "officer has seen them there"
)


def change_phase(
    session: Session,
    funding_round: FundingRound,
    *,
    target: Phase,
    expected: Phase,
    actor: User | None,
    now: datetime,
    leave_off: Collection[int] = (),
) -> None:
    """Move the round from ``expected`` to ``target``: one step forward, or one step back
    before voting opens. Opening voting freezes the round and stores its manifest and hash.

    Publishing is not a phase change like the others: it is ``publish_results``, from the
    page where an officer checks the count, so it is refused here. Opening voting is refused
    while any proposal not yet reviewed is missing from ``leave_off`` (the ids of the ones the
    officer agreed to leave off the ballot).

    Raises ``Conflict`` if the round is no longer in ``expected`` (someone moved it first),
    ``Frozen`` for a step back once voting has opened, ``WrongPhase`` for any other jump or
    for publishing, and ``DomainError`` listing what must be done first.
    """
    _check_move(session, funding_round, target=target, expected=expected, actor=actor)
    if target == Phase.PUBLISHED:
        raise WrongPhase(PUBLISH_ELSEWHERE)
    _check_problems(session, funding_round, target)
    if target == Phase.VOTING:
        waiting = [p for p in unreviewed_proposals(session, funding_round) if p.id not in leave_off]
        if waiting:
            raise DomainError(
                Nn_(
                    "Cannot move to voting: %(num)s proposal not yet reviewed (%(titles)s) "
                    "would not be on the ballot. Review it first, or confirm that voting opens "
                    "without them",
                    "Cannot move to voting: %(num)s proposals not yet reviewed (%(titles)s) "
                    "would not be on the ballot. Review them first, or confirm that voting opens "
                    "without them",
                    len(waiting),
                    titles=Listed([f"“{p.title}”" for p in waiting]),
                )
            )
    _move(session, funding_round, target=target, expected=expected, actor=actor, now=now)


def _check_move(
    session: Session,
    funding_round: FundingRound,
    *,
    target: Phase,
    expected: Phase,
    actor: User | None,
) -> None:
    lock_round(session, funding_round)
    if funding_round.phase != expected:
        raise Conflict(
            N_(
                "The round has moved to %(phase)s since the page was loaded. Check the phase "
                "and try again."
            ),
            phase=Text(funding_round.phase.label).lowered(),
        )
    if target.index < funding_round.phase.index and funding_round.is_frozen:
        raise Frozen(
            N_("Voting has opened, so the round cannot go back to an earlier phase."),
            round=funding_round,
            action="round.phase_changed",
            actor=actor,
            subject=funding_round,
        )
    if target not in (next_phase(funding_round), previous_phase(funding_round)):
        raise WrongPhase(
            N_("A round in %(phase)s cannot move to %(target)s: phases go one step at a time"),
            phase=Text(funding_round.phase.label).lowered(),
            target=Text(target.label).lowered(),
        )


def _check_problems(session: Session, funding_round: FundingRound, target: Phase) -> None:
    problems = phase_change_problems(session, funding_round, target)
    if problems:
        raise DomainError(
            N_("Cannot move to %(target)s: %(problems)s"),
            target=Text(target.label).lowered(),
            problems=Joined(problems, "; "),
        )


def _move(
    session: Session,
    funding_round: FundingRound,
    *,
    target: Phase,
    expected: Phase,
    actor: User | None,
    now: datetime,
) -> None:
    """The move itself, once every check has passed: a compare-and-set on the phase."""
    values: dict[str, Any] = {"phase": target}
    after: dict[str, Any] = {"phase": target}
    if target == Phase.VOTING:
        frozen = frozen_columns(session, funding_round, now)
        values |= frozen
        after["manifest_hash"] = frozen["manifest_hash"]
    elif target.index < Phase.VOTING.index:
        values |= UNFROZEN_COLUMNS
    # Compare-and-set: only the request that still sees the expected phase moves the round.
    result = session.execute(
        update(FundingRound)
        .where(FundingRound.id == funding_round.id, FundingRound.phase == expected)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise Conflict(N_("The round's phase was changed by someone else. Check it and try again."))
    session.refresh(funding_round)
    # A failed scheduled move stops being news once the round has moved on.
    session.execute(
        delete(ScheduledMoveFailure).where(ScheduledMoveFailure.round_id == funding_round.id)
    )
    # The ballot log starts from the manifest's hash when voting opens and is sealed at close.
    if target == Phase.VOTING:
        ballot_box.open_log(session, funding_round.id, funding_round.manifest_hash)
        _tell_on_ballot(session, funding_round)
    elif target == Phase.CLOSED:
        ballot_box.close_log(session, funding_round.id, funding_round.manifest_hash)
        from app.workflow import paper_batches, results, secrecy

        # Files of paper ballots still waiting can no longer be stored: emptied now.
        paper_batches.at_close(session, funding_round, now)

        if secrecy.is_encrypted(funding_round):
            # Shuffled by the server in the same transaction as the seal; counted when the
            # trustees have decrypted the last pot (app.workflow.secrecy.upload_decryption).
            results.publish_head(session, funding_round)
            secrecy.at_close(session, funding_round)
            if secrecy.decrypted(session, funding_round):
                # No pot had a ballot: nothing to shuffle or decrypt, counted at once.
                results.tally_round(session, funding_round, now)
        else:
            # Counted in the same transaction as the seal: a closed round always has its
            # results, counted from exactly the sealed log. `flask tally` re-runs the count.
            results.tally_round(session, funding_round, now)
    audit.record(
        session,
        action="round.phase_changed",
        actor=actor,
        round=funding_round,
        subject=funding_round,
        before={"phase": expected},
        after=after,
    )


def open_voting(
    session: Session,
    funding_round: FundingRound,
    *,
    actor: User,
    now: datetime,
    expected: Phase,
    leave_off: Collection[int],
    confirmed: bool,
) -> None:
    """Open voting once the officer has seen and confirmed which proposals not yet reviewed
    will be left off the ballot (``leave_off``: their ids, as listed to the officer).

    Refuses, changing nothing, for everything ``change_phase`` refuses; when proposals wait
    for review and the officer has not ticked the confirmation (field ``confirm``); and when a
    proposal has been submitted since the list was shown.
    """
    _check_move(session, funding_round, target=Phase.VOTING, expected=expected, actor=actor)
    _check_problems(session, funding_round, Phase.VOTING)
    waiting = unreviewed_proposals(session, funding_round)
    if waiting and not confirmed:
        raise DomainError(
            Nn_(
                "Confirm that the %(num)s proposal not yet reviewed will not be on the ballot",
                "Confirm that the %(num)s proposals not yet reviewed will not be on the ballot",
                len(waiting),
            ),
            "confirm",
        )
    if any(p.id not in leave_off for p in waiting):
        raise Conflict(
            N_(
                "More proposals are waiting for review than when the page was loaded. Check the "
                "list again before opening voting."
            )
        )
    _move(session, funding_round, target=Phase.VOTING, expected=expected, actor=actor, now=now)


def publish_results(
    session: Session, funding_round: FundingRound, *, actor: User, now: datetime, confirmed: bool
) -> None:
    """Publish a closed round's results: the separate, audited step an officer takes after
    checking them (``app.workflow.publication``). With warnings, the officer must have confirmed
    them     (field ``confirm``); the warnings they confirmed are kept in the audit event."""
    from app.workflow import publication

    _check_move(session, funding_round, target=Phase.PUBLISHED, expected=Phase.CLOSED, actor=actor)
    _check_problems(session, funding_round, Phase.PUBLISHED)
    checks = publication.check_round(session, funding_round)
    # The audit trail keeps them in English; the officer's page shows them in their language.
    warnings = [str(w) for c in checks for w in c.warnings]
    if warnings and not confirmed:
        raise DomainError(
            N_("Confirm that you have read the warnings and the results are ready to publish"),
            "confirm",
        )
    _move(
        session,
        funding_round,
        target=Phase.PUBLISHED,
        expected=Phase.CLOSED,
        actor=actor,
        now=now,
    )
    audit.record(
        session,
        action="results.published",
        actor=actor,
        round=funding_round,
        subject=funding_round,
        after={
            "pots": {
                c.view.name: {
                    "ballots": c.view.ballots,
                    "withheld": c.view.withheld,
                    "allocated_pence": c.view.allocated_pence,
                }
                for c in checks
            },
            "warnings": warnings,
        },
    )
    _tell_funded(session, funding_round)


def _tell_on_ballot(session: Session, funding_round: FundingRound) -> None:
    """Each proposal's author hears that it is on the ballot, as voting opens."""
    from app.workflow import notices
    from app.workflow.voting import paper_for

    paper = paper_for(funding_round)
    ids = {int(p.id) for pot in paper.pots for p in pot.projects} if paper else set()
    notices.proposals_changed(session, funding_round, ids, "on_ballot")


def _tell_funded(session: Session, funding_round: FundingRound) -> None:
    """Each funded proposal's author hears that it won, and everyone who took part that the
    results are out, as they are published."""
    from app.workflow import delivery, notices

    notices.proposals_changed(
        session, funding_round, delivery.funded_ids(session, funding_round), "funded"
    )
    notices.results_published(session, funding_round)


def is_due(funding_round: FundingRound, now: datetime) -> bool:
    """The schedule says the round should have moved on: its phase has ended, or the next
    phase has started."""
    target = next_phase(funding_round)
    if target is None:
        return False
    current = funding_round.dates_for(funding_round.phase)
    upcoming = funding_round.dates_for(target)
    return (current is not None and current.ends_at <= now) or (
        upcoming is not None and upcoming.starts_at <= now
    )


@dataclass(frozen=True)
class ScheduledMove:
    """What the scheduler did with one round: the phases it moved through, and why it stopped
    short of being on time, if it did."""

    round: FundingRound | None  # None only when it could not even be read again after a failure
    moved_to: list[Phase]
    problem: str | None
    # The move failed with an error (not a precondition): logged, recorded and shown to the
    # round's officers; ``problem`` says what failed.
    failed: bool = False
    round_id: int | None = None


# An error's text as officers see it: one line, bounded.
ERROR_TEXT_LIMIT = 500


def error_text(error: BaseException) -> str:
    """An error as officers see it: its type and message on one line, cut at
    ``ERROR_TEXT_LIMIT`` characters."""
    text = " ".join(str(error).split()) or "(no message)"
    if len(text) > ERROR_TEXT_LIMIT:
        text = text[: ERROR_TEXT_LIMIT - 1] + "…"
    return f"{type(error).__name__}: {text}"


def scheduled_move_failure(
    session: Session, funding_round: FundingRound
) -> ScheduledMoveFailure | None:
    """The scheduler's last failed move of this round, until the round next moves."""
    return session.get(ScheduledMoveFailure, funding_round.id)


def _record_failure(
    session: Session, round_id: int, target: Phase | None, error: BaseException, now: datetime
) -> None:
    """After the failed move was rolled back: keep the failure for the officer page and the
    audit trail, in a transaction of its own. If even that fails, the log has it."""
    try:
        funding_round = session.get(FundingRound, round_id)
        target = target or next_phase(funding_round) or funding_round.phase
        text = error_text(error)
        session.merge(
            ScheduledMoveFailure(round_id=round_id, target=target, failed_at=now, error=text)
        )
        audit.record(
            session,
            action="round.scheduled_move_failed",
            actor=None,
            round=funding_round,
            subject=funding_round,
            before={"phase": funding_round.phase},
            after={"target": target, "error": text},
        )
        session.commit()
    except Exception:
        session.rollback()
        log.exception("could not record the failed scheduled move of round %s", round_id)


def _reload(session: Session, round_id: int) -> FundingRound | None:
    try:
        return session.get(FundingRound, round_id)
    except Exception:
        session.rollback()
        log.exception("could not read round %s again after its failed scheduled move", round_id)
        return None


def advance_due_rounds(session: Session, now: datetime) -> list[ScheduledMove]:
    """Move every round whose schedule says so, one phase at a time, until it is on time.

    Uses the same compare-and-set and preconditions as an officer; a round that cannot move
    (e.g. no proposal can reach the ballot, or proposals still wait for review when voting is
    due to open) stays where it is and the reason is reported. It never publishes results: a
    closed round whose results are due stays closed, reported as waiting for an officer to
    check and publish them.
    Each step commits on its own, so one round's problem does not hold back another's. A
    move that fails with any other error (a bug, the database) is rolled back, logged with
    its traceback, recorded for the round's officers (``scheduled_move_failure``, an audit
    event) and reported with ``failed``; the other rounds still move.
    """
    moves = []
    ids = session.scalars(
        select(FundingRound.id)
        .join(PhaseDates, PhaseDates.round_id == FundingRound.id)
        .where(FundingRound.phase != Phase.DELIVERY)
        .distinct()
        .order_by(FundingRound.id)
    ).all()
    for round_id in ids:
        moved: list[Phase] = []
        problem = None
        failed = False
        target = None
        try:
            funding_round = session.get(FundingRound, round_id)
            for _ in range(len(Phase)):
                if not is_due(funding_round, now):
                    break
                target = next_phase(funding_round)
                if target == Phase.PUBLISHED:
                    # Nothing is published unseen: the scheduler stops at closed and says so.
                    problem = (
                        "the results are due to be published, but an officer must check them "
                        "and publish them from the page “Check the results before publishing”"
                    )
                    break
                try:
                    change_phase(
                        session,
                        funding_round,
                        target=target,
                        expected=funding_round.phase,
                        actor=None,
                        now=now,
                    )
                    session.commit()
                except DomainError as e:
                    session.rollback()
                    problem = e.message
                    break
                moved.append(target)
        except Exception as e:  # noqa: BLE001 - one round's failure must not stop the others
            session.rollback()
            log.exception(
                "scheduled move of round %s to %s failed",
                round_id,
                target.value if target else "its next phase",
            )
            _record_failure(session, round_id, target, e, now)
            failed = True
            what = f"the move to {target.label.lower()}" if target else "the scheduled move"
            problem = f"{what} failed: {error_text(e)}"
            funding_round = _reload(session, round_id)
        if moved or problem:
            moves.append(ScheduledMove(funding_round, moved, problem, failed, round_id))
    return moves
