"""A round's schedule: each phase's first and last day (London), setting them until voting
opens, extending voting once it has, and the extensions the public round page lists."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.workflow import audit
from app.workflow.clock import london_date, london_midnight
from app.workflow.errors import DomainError, Frozen, WrongPhase
from app.workflow.models import FundingRound, Phase, PhaseDates, User
from app.workflow.rounds.common import lock_round
from ballots.refusals import N_, Day, Text

SCHEDULED_PHASES = [p for p in Phase if p != Phase.DRAFT]


def last_day(dates: PhaseDates) -> date:
    """The last day (in London) of a phase that ends at the midnight after it."""
    return london_date(dates.ends_at - timedelta(seconds=1))


def first_day(dates: PhaseDates) -> date:
    """The first day (in London) of a phase that starts at the midnight before it."""
    return london_date(dates.starts_at)


KEEP = object()  # ``set_schedule``'s reminder, when the caller does not change it


def set_schedule(
    session: Session,
    funding_round: FundingRound,
    *,
    actor: User,
    days: Mapping[Phase, tuple[date | None, date | None]],
    reminder_days: int | None | object = KEEP,
) -> None:
    """Set each phase's first and last day (London). A phase with neither is unscheduled.
    ``reminder_days``: how many days before voting closes residents who have not voted are
    reminded (1 to 60; None: no reminder; left out: kept as it is).

    A phase runs from the start of its first day to the end of its last; each scheduled phase
    must start after the one before it ends. Once voting opens the whole schedule is frozen,
    like everything else a ballot depends on: any change is refused (and the refusal logged);
    the one change allowed then is a later close of voting, ``extend_voting``.
    """
    previous: tuple[Phase, date] | None = None
    for phase in SCHEDULED_PHASES:
        start, end = days.get(phase, (None, None))
        if start is None and end is None:
            continue
        if start is None:
            raise DomainError(
                N_("Enter the date %(phase)s starts"),
                f"{phase.value}_start",
                phase=Text(phase.label).lowered(),
            )
        if end is None:
            raise DomainError(
                N_("Enter the date %(phase)s ends"),
                f"{phase.value}_end",
                phase=Text(phase.label).lowered(),
            )
        if end < start:
            raise DomainError(
                N_("%(phase)s must end on or after the day it starts"),
                f"{phase.value}_end",
                phase=Text(phase.label),
            )
        if previous and start <= previous[1]:
            raise DomainError(
                N_("%(phase)s must start after %(previous)s ends (%(day)s)"),
                f"{phase.value}_start",
                phase=Text(phase.label),
                previous=Text(previous[0].label).lowered(),
                day=Day(previous[1]),
            )
        previous = (phase, end)
    if reminder_days is KEEP:
        reminder_days = funding_round.reminder_days
    if reminder_days is not None and not 1 <= reminder_days <= 60:
        raise DomainError(
            N_("The reminder must be from 1 to 60 days before voting closes"), "reminder_days"
        )
    before = schedule_snapshot(funding_round)
    wanted = {
        phase: (london_midnight(s), london_midnight(e + timedelta(days=1)))
        for phase, (s, e) in days.items()
        if s is not None and e is not None
    }
    lock_round(session, funding_round)
    current = {d.phase: (d.starts_at, d.ends_at) for d in funding_round.phase_dates}
    if funding_round.is_frozen and (
        wanted != current or reminder_days != funding_round.reminder_days
    ):
        raise Frozen(
            N_(
                "Voting has opened, so the schedule is fixed with the rest of the round. Only the "
                "close of voting can move, and only later: extend voting instead."
            ),
            round=funding_round,
            action="round.schedule_changed",
            actor=actor,
            subject=funding_round,
            field="voting_end",
        )
    for existing in list(funding_round.phase_dates):
        if existing.phase not in wanted:
            funding_round.phase_dates.remove(existing)
    for phase, (starts_at, ends_at) in wanted.items():
        row = funding_round.dates_for(phase)
        if row is None:
            funding_round.phase_dates.append(
                PhaseDates(phase=phase, starts_at=starts_at, ends_at=ends_at)
            )
        else:
            row.starts_at, row.ends_at = starts_at, ends_at
    funding_round.reminder_days = reminder_days
    session.flush()
    audit.record_changes(
        session,
        action="round.schedule_changed",
        actor=actor,
        round=funding_round,
        subject=funding_round,
        before=before,
        after=schedule_snapshot(funding_round),
    )


def extend_voting(
    session: Session,
    funding_round: FundingRound,
    *,
    actor: User,
    now: datetime,
    new_last_day: date | None,
) -> None:
    """Move the close of voting later, to the end of ``new_last_day`` (London), while voting
    is open: the one change to a frozen round's schedule. Scheduled phases after voting move
    later by the same number of days, so they still follow it. Audited as
    ``round.voting_extended``; the public round page says what changed.

    Refused (field ``voting_end``, nothing changed): no date; voting not open (before it
    opens, the schedule itself can change; after it closes, nothing can); voting with no
    scheduled close; a day not after the current last day; a close already in the past.
    """
    field = "voting_end"
    lock_round(session, funding_round)
    if new_last_day is None:
        raise DomainError(N_("Enter the new last day of voting"), field)
    if funding_round.phase != Phase.VOTING:
        if not funding_round.is_frozen:
            raise WrongPhase(
                N_("Voting has not opened yet: change its dates with the rest of the schedule"),
                field,
            )
        raise WrongPhase(N_("Voting has closed, so it can no longer be extended"), field)
    dates = funding_round.dates_for(Phase.VOTING)
    if dates is None:
        raise DomainError(
            N_(
                "Voting in this round has no scheduled close: it closes when an officer moves "
                "the round on from its page"
            ),
            field,
        )
    old_last = last_day(dates)
    if new_last_day <= old_last:
        raise DomainError(
            N_(
                "Voting can only be extended, never shortened: choose a day after %(day)s, "
                "its last day now"
            ),
            field,
            day=Day(old_last),
        )
    new_end = london_midnight(new_last_day + timedelta(days=1))
    if new_end <= now:
        raise DomainError(N_("The new last day of voting must not be in the past"), field)
    before = schedule_snapshot(funding_round)
    shift = (new_last_day - old_last).days
    dates.ends_at = new_end
    for later in funding_round.phase_dates:
        if later.phase.index > Phase.VOTING.index:
            start, end = first_day(later), last_day(later)
            later.starts_at = london_midnight(start + timedelta(days=shift))
            later.ends_at = london_midnight(end + timedelta(days=shift + 1))
    session.flush()
    b, a = audit.changes(before, schedule_snapshot(funding_round))
    audit.record(
        session,
        action="round.voting_extended",
        actor=actor,
        round=funding_round,
        subject=funding_round,
        before=b,
        after=a,
    )


@dataclass(frozen=True)
class Extension:
    """A change of the close of voting after it opened, for the public round page."""

    was_due: date  # the last day of voting before the change
    on: date  # when the council made the change (London)
    now_due: date  # the new last day


def voting_extensions(session: Session, funding_round: FundingRound) -> list[Extension]:
    """Every extension of voting in this round, oldest first, from the audit trail."""
    from app.workflow.models import AuditEvent

    events = session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.round_id == funding_round.id,
            AuditEvent.action == "round.voting_extended",
        )
        .order_by(AuditEvent.created_at, AuditEvent.id)
    )
    out = []
    for e in events:
        was, now_due = (e.before or {}).get("voting"), (e.after or {}).get("voting")
        if not was or not now_due:
            continue
        on = e.created_at
        if on.tzinfo is None:
            on = on.replace(tzinfo=UTC)
        out.append(
            Extension(
                date.fromisoformat(was[1]),
                london_date(on),
                date.fromisoformat(now_due[1]),
            )
        )
    return out


def schedule_snapshot(funding_round: FundingRound) -> dict[str, Any]:
    """Each scheduled phase's first and last day as ISO dates, in phase order, and the days
    before voting closes that the reminder goes, for the audit trail."""
    out: dict[str, Any] = {}
    for d in sorted(funding_round.phase_dates, key=lambda d: d.phase.index):
        out[d.phase.value] = [first_day(d).isoformat(), last_day(d).isoformat()]
    out["reminder_days"] = funding_round.reminder_days
    return out
