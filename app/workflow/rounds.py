"""The council workflow for funding rounds: splitting a budget into pots, opening a round,
its schedule, its voting configuration, moving it through its phases and freezing it when
voting opens.

Every function takes a SQLAlchemy session, changes nothing when it refuses, and raises a
``DomainError`` (``app.workflow.errors``) with a reason. Phase changes are compare-and-set
updates, so two officers (or an officer and the scheduler) cannot both move the same round.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from app.workflow import audit
from app.workflow.clock import london_date, london_midnight
from app.workflow.errors import Conflict, DomainError, Frozen, WrongPhase
from app.workflow.models import (
    Council,
    FundingRound,
    Neighbourhood,
    Phase,
    PhaseDates,
    Pot,
    Proposal,
    ProposalStatus,
    ScheduledMoveFailure,
    SplitMethod,
    Support,
    User,
)
from app.workflow.text import money, plural
from ballots import box as ballot_box
from votes.model import BallotKind, RankedScoring, TieBreak
from votes.rules import RULES

MANIFEST_VERSION = 1

log = logging.getLogger(__name__)


def split_budget(total_pence: int, weights: Sequence[int | Decimal | Fraction]) -> list[int]:
    """Split ``total_pence`` in proportion to ``weights``, adding up to the total exactly.

    Each share is first rounded down to the penny; the pennies left over (fewer than the number
    of shares) go one each to the shares with the largest remainders, ties to the earlier share
    (largest remainder method). All-zero weights split equally. Negative weights are refused.
    """
    if total_pence < 0:
        raise ValueError("the total must not be negative")
    if not weights:
        raise ValueError("nothing to split between")
    exact = [Fraction(w) for w in weights]
    if any(w < 0 for w in exact):
        raise ValueError("weights must not be negative")
    if sum(exact) == 0:
        exact = [Fraction(1)] * len(exact)
    whole = sum(exact)
    ideal = [total_pence * w / whole for w in exact]
    shares = [int(x) for x in ideal]  # floor: every ideal share is non-negative
    left = total_pence - sum(shares)
    order = sorted(range(len(ideal)), key=lambda i: (-(ideal[i] - shares[i]), i))
    for i in order[:left]:
        shares[i] += 1
    return shares


# --- Splitting a budget into pots -------------------------------------------------------------

COUNCIL_WIDE_NAME = "Council-wide"


@dataclass(frozen=True)
class PlannedPot:
    neighbourhood: Neighbourhood | None
    name: str
    budget_pence: int


@dataclass(frozen=True)
class PotPlan:
    """The pots a split gives, and a sentence saying how the leftover pennies were placed."""

    method: SplitMethod
    total_pence: int
    pots: tuple[PlannedPot, ...]
    note: str


def plan_pots(
    council: Council,
    *,
    total_pence: int,
    method: SplitMethod,
    council_wide_pence: int | None = None,
    explicit: Mapping[int, int | None] | None = None,
) -> PotPlan:
    """The pots for a budget split by ``method``; exact to the penny.

    ``council_wide_pence`` is taken off the top for the explicit and formula methods. For
    ``explicit``, the amounts per neighbourhood id must add up to what is left. Neighbourhoods
    whose share is £0 get no pot. Raises ``DomainError`` naming the field at fault.
    """
    if total_pence <= 0:
        raise DomainError("Enter a total budget of more than £0", "total_budget")
    if method == SplitMethod.COUNCIL:
        pot = PlannedPot(None, COUNCIL_WIDE_NAME, total_pence)
        return PotPlan(method, total_pence, (pot,), "The whole budget is one council-wide pot.")
    hoods = sorted(council.neighbourhoods, key=lambda n: n.name)
    if not hoods:
        raise DomainError(
            f"{council.name} has no neighbourhoods: choose one council-wide pot", "method"
        )
    council_wide = council_wide_pence or 0
    if council_wide >= total_pence:
        raise DomainError(
            f"The council-wide pot must be less than the total budget of {money(total_pence)}",
            "council_wide",
        )
    rest = total_pence - council_wide
    names = [h.name for h in hoods]
    if method == SplitMethod.EXPLICIT:
        amounts = [(explicit or {}).get(h.id) or 0 for h in hoods]
        given = sum(amounts)
        if given != rest:
            left = "left after the council-wide pot" if council_wide else "in the budget"
            diff = money(abs(given - rest), always_pence=True)
            more_less = "more" if given > rest else "less"
            raise DomainError(
                f"The neighbourhood amounts add up to {money(given)}, which is {diff} "
                f"{more_less} than the {money(rest)} {left}",
                f"pot_{hoods[0].id}",
            )
        shares = amounts
        note = "Each neighbourhood gets the amount entered for it."
    else:
        if method == SplitMethod.NEED:
            if all(h.need_weight is None for h in hoods):
                raise DomainError(
                    f"No neighbourhood in {council.name} has a need weight. Choose another "
                    "way to split the budget.",
                    "method",
                )
            weights = [Fraction(h.need_weight or 0) for h in hoods]
            if sum(weights) == 0:
                raise DomainError("Every need weight is 0. Choose another way to split.", "method")
        elif method == SplitMethod.POPULATION:
            weights = [Fraction(h.population) for h in hoods]
            if sum(weights) == 0:
                raise DomainError(
                    f"No population is recorded for {council.name}'s neighbourhoods. Choose "
                    "another way to split the budget.",
                    "method",
                )
        else:
            weights = [Fraction(1)] * len(hoods)
        shares = split_budget(rest, weights)
        whole = sum(weights)
        floors = [int(rest * w / whole) for w in weights]
        extra = [n for n, s, f in zip(names, shares, floors, strict=True) if s > f]
        basis = {
            SplitMethod.NEED: "need weight",
            SplitMethod.POPULATION: "population",
            SplitMethod.EQUAL: "equal shares",
        }[method]
        if extra:
            pennies = "penny" if len(extra) == 1 else "pennies"
            note = (
                f"{money(rest, always_pence=True)} is shared by {basis}. Each share was "
                f"rounded down to the penny; the {len(extra)} {pennies} left over went one "
                f"each to {_and_list(extra)}, whose shares had been rounded down the most "
                "(largest remainder method). The pots add up to the total exactly."
            )
        else:
            note = (
                f"{money(rest, always_pence=True)} is shared by {basis}. Every share came "
                "to a whole number of pence, so no rounding was needed."
            )
    pots = []
    if council_wide:
        pots.append(PlannedPot(None, COUNCIL_WIDE_NAME, council_wide))
    empty = [h.name for h, s in zip(hoods, shares, strict=True) if s == 0]
    pots += [PlannedPot(h, h.name, s) for h, s in zip(hoods, shares, strict=True) if s > 0]
    if empty:
        note += f" {_and_list(empty)} {'gets' if len(empty) == 1 else 'get'} no pot (£0)."
    if council_wide:
        note = f"{money(council_wide)} is a council-wide pot. " + note
    return PotPlan(method, total_pence, tuple(pots), note)


def _and_list(items: Sequence[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


# --- Opening and editing a round --------------------------------------------------------------


def slug_for(session: Session, council: Council, title: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:56] or "round"
    taken = set(
        session.scalars(
            select(FundingRound.slug).where(
                FundingRound.council_id == council.id, FundingRound.slug.like(f"{base}%")
            )
        )
    )
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def create_round(
    session: Session,
    council: Council,
    *,
    actor: User,
    title: str,
    description: str,
    plan: PotPlan,
) -> FundingRound:
    """Open a draft round with the planned pots. Only the council's officers see drafts."""
    funding_round = FundingRound(
        council=council,
        slug=slug_for(session, council, title),
        title=title.strip(),
        description=description.strip(),
        total_budget_pence=plan.total_pence,
        split_method=plan.method,
        phase=Phase.DRAFT,
        created_by_id=actor.id,
    )
    for i, p in enumerate(plan.pots):
        funding_round.pots.append(
            Pot(name=p.name, neighbourhood=p.neighbourhood, budget_pence=p.budget_pence, position=i)
        )
    session.add(funding_round)
    session.flush()
    audit.record(
        session,
        action="round.created",
        actor=actor,
        council=council,
        round=funding_round,
        subject=funding_round,
        after={"title": funding_round.title, **_pots_snapshot(funding_round)},
    )
    return funding_round


def _pots_snapshot(funding_round: FundingRound) -> dict[str, Any]:
    return {
        "total_budget_pence": funding_round.total_budget_pence,
        "split_method": funding_round.split_method,
        "pots": {p.name: p.budget_pence for p in funding_round.pots},
    }


def lock_round(session: Session, funding_round: FundingRound) -> Phase:
    """Lock the round's row until the transaction ends and return its phase as stored now.

    Every change that voting freezes takes this lock first, and so does opening voting: on
    PostgreSQL they queue behind each other, so nothing slips in after the manifest is built.
    (SQLite lets one writer at a time anyway.)
    """
    phase = session.execute(
        select(FundingRound.phase).where(FundingRound.id == funding_round.id).with_for_update()
    ).scalar_one()
    if phase != funding_round.phase:
        session.refresh(funding_round)
    return phase


def ensure_not_frozen(
    session: Session,
    funding_round: FundingRound,
    *,
    actor: User | None,
    action: str,
    subject: Any = None,
    what: str = "This",
    field: str | None = None,
) -> None:
    """Raise ``Frozen`` (which callers log as a refusal) once voting has opened."""
    lock_round(session, funding_round)
    if funding_round.is_frozen:
        raise Frozen(
            f"Voting has opened, so {what[0].lower() + what[1:]} can no longer be changed. "
            "The round's pots, costs, proposals and voting rules are fixed.",
            round=funding_round,
            action=action,
            actor=actor,
            subject=subject,
            field=field,
        )


def update_details(
    session: Session, funding_round: FundingRound, *, actor: User, title: str, description: str
) -> None:
    ensure_not_frozen(
        session,
        funding_round,
        actor=actor,
        action="round.details_changed",
        subject=funding_round,
        what="The round's title and description",
        field="title",
    )
    before = {"title": funding_round.title, "description": funding_round.description}
    funding_round.title, funding_round.description = title.strip(), description.strip()
    audit.record_changes(
        session,
        action="round.details_changed",
        actor=actor,
        round=funding_round,
        subject=funding_round,
        before=before,
        after={"title": funding_round.title, "description": funding_round.description},
    )


def replace_pots(
    session: Session, funding_round: FundingRound, *, actor: User, plan: PotPlan
) -> None:
    """Change the budget and its pots. Pots are matched by neighbourhood; a pot that would go
    is refused while it has proposals, and so is a pot smaller than a proposal's cost."""
    ensure_not_frozen(
        session,
        funding_round,
        actor=actor,
        action="round.pots_changed",
        subject=funding_round,
        what="The budget and its pots",
        field="total_budget",
    )
    before = _pots_snapshot(funding_round)
    existing = {p.neighbourhood_id: p for p in funding_round.pots}
    planned = {(p.neighbourhood.id if p.neighbourhood else None): p for p in plan.pots}
    counts = dict(
        session.execute(
            select(Proposal.pot_id, func.count())
            .where(
                Proposal.round_id == funding_round.id, Proposal.status != ProposalStatus.WITHDRAWN
            )
            .group_by(Proposal.pot_id)
        ).all()
    )
    for key, pot in existing.items():
        if key not in planned and counts.get(pot.id):
            raise DomainError(
                f"The {pot.name} pot has proposals, so this split must keep a pot for it",
                "method",
            )
        if key in planned:
            biggest = session.scalar(
                select(func.max(Proposal.estimated_cost_pence)).where(
                    Proposal.pot_id == pot.id, Proposal.status != ProposalStatus.WITHDRAWN
                )
            )
            if biggest and biggest > planned[key].budget_pence:
                raise DomainError(
                    f"The {pot.name} pot would be {money(planned[key].budget_pence)}, less than "
                    f"a proposal in it that costs {money(biggest)}",
                    "total_budget",
                )
    for key, pot in existing.items():
        if key not in planned:
            funding_round.pots.remove(pot)
    session.flush()  # free the unique (round, neighbourhood) slots before adding
    for i, p in enumerate(plan.pots):
        key = p.neighbourhood.id if p.neighbourhood else None
        if key in existing and existing[key] in funding_round.pots:
            pot = existing[key]
            pot.budget_pence, pot.position, pot.name = p.budget_pence, i, p.name
        else:
            funding_round.pots.append(
                Pot(
                    name=p.name,
                    neighbourhood=p.neighbourhood,
                    budget_pence=p.budget_pence,
                    position=i,
                )
            )
    funding_round.total_budget_pence = plan.total_pence
    funding_round.split_method = plan.method
    session.flush()
    session.refresh(funding_round, ["pots"])
    audit.record_changes(
        session,
        action="round.pots_changed",
        actor=actor,
        round=funding_round,
        subject=funding_round,
        before=before,
        after=_pots_snapshot(funding_round),
    )


def merge_pot(
    session: Session, funding_round: FundingRound, *, source_id: int, into_id: int, actor: User
) -> Pot:
    """Merge one pot into another before voting opens: the budget of ``source_id`` is added to
    ``into_id``'s, its proposals move there, and the pot goes. This is how an officer keeps a
    pot with nothing to vote on off the ballot without losing its money or its proposals.

    Refuses (changing nothing) once voting has opened, for a pot that is not in this round,
    and for a pot merged into itself. Returns the pot that remains.
    """
    ensure_not_frozen(
        session,
        funding_round,
        actor=actor,
        action="round.pots_merged",
        subject=funding_round,
        what="The budget and its pots",
        field="source",
    )
    pots = {p.id: p for p in funding_round.pots}
    source, into = pots.get(source_id), pots.get(into_id)
    if source is None:
        raise DomainError("Select a pot of this round to merge", "source")
    if into is None:
        raise DomainError("Select a pot of this round to merge it into", "into")
    if source is into:
        raise DomainError("A pot cannot be merged into itself: select another pot", "into")
    before = _pots_snapshot(funding_round)
    moved = session.scalars(select(Proposal.id).where(Proposal.pot_id == source.id)).all()
    session.flush()
    session.execute(
        update(Proposal)
        .where(Proposal.pot_id == source.id)
        .values(pot_id=into.id)
        .execution_options(synchronize_session=False)
    )
    # Loaded proposals still say the old pot: reload them, so that removing the pot below
    # cascades to nothing.
    session.expire_all()
    into.budget_pence += source.budget_pence
    funding_round.pots.remove(source)
    session.flush()
    for i, pot in enumerate(sorted(funding_round.pots, key=lambda p: (p.position, p.id))):
        pot.position = i
    session.flush()
    session.refresh(funding_round, ["pots", "proposals"])
    audit.record(
        session,
        action="round.pots_merged",
        actor=actor,
        round=funding_round,
        subject=funding_round,
        before=before,
        after={
            **_pots_snapshot(funding_round),
            "merged": {"pot": source.name, "into": into.name, "proposals": list(moved)},
        },
    )
    return into


# --- Schedule ---------------------------------------------------------------------------------

SCHEDULED_PHASES = [p for p in Phase if p != Phase.DRAFT]


def last_day(dates: PhaseDates) -> date:
    """The last day (in London) of a phase that ends at the midnight after it."""
    return london_date(dates.ends_at - timedelta(seconds=1))


def first_day(dates: PhaseDates) -> date:
    return london_date(dates.starts_at)


def set_schedule(
    session: Session,
    funding_round: FundingRound,
    *,
    actor: User,
    days: Mapping[Phase, tuple[date | None, date | None]],
) -> None:
    """Set each phase's first and last day (London). A phase with neither is unscheduled.

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
                f"Enter the date {phase.label.lower()} starts", f"{phase.value}_start"
            )
        if end is None:
            raise DomainError(f"Enter the date {phase.label.lower()} ends", f"{phase.value}_end")
        if end < start:
            raise DomainError(
                f"{phase.label} must end on or after the day it starts", f"{phase.value}_end"
            )
        if previous and start <= previous[1]:
            raise DomainError(
                f"{phase.label} must start after {previous[0].label.lower()} ends "
                f"({previous[1].day} {previous[1]:%B %Y})",
                f"{phase.value}_start",
            )
        previous = (phase, end)
    before = schedule_snapshot(funding_round)
    wanted = {
        phase: (london_midnight(s), london_midnight(e + timedelta(days=1)))
        for phase, (s, e) in days.items()
        if s is not None and e is not None
    }
    lock_round(session, funding_round)
    current = {d.phase: (d.starts_at, d.ends_at) for d in funding_round.phase_dates}
    if funding_round.is_frozen and wanted != current:
        raise Frozen(
            "Voting has opened, so the schedule is fixed with the rest of the round. Only the "
            "close of voting can move, and only later: extend voting instead.",
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
        raise DomainError("Enter the new last day of voting", field)
    if funding_round.phase != Phase.VOTING:
        if not funding_round.is_frozen:
            raise WrongPhase(
                "Voting has not opened yet: change its dates with the rest of the schedule",
                field,
            )
        raise WrongPhase("Voting has closed, so it can no longer be extended", field)
    dates = funding_round.dates_for(Phase.VOTING)
    if dates is None:
        raise DomainError(
            "Voting in this round has no scheduled close: it closes when an officer moves "
            "the round on from its page",
            field,
        )
    old_last = last_day(dates)
    if new_last_day <= old_last:
        raise DomainError(
            f"Voting can only be extended, never shortened: choose a day after "
            f"{_long(old_last)}, its last day now",
            field,
        )
    new_end = london_midnight(new_last_day + timedelta(days=1))
    if new_end <= now:
        raise DomainError("The new last day of voting must not be in the past", field)
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


def _long(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def schedule_snapshot(funding_round: FundingRound) -> dict[str, Any]:
    out = {}
    for d in sorted(funding_round.phase_dates, key=lambda d: d.phase.index):
        out[d.phase.value] = [first_day(d).isoformat(), last_day(d).isoformat()]
    return out


# --- Voting configuration ---------------------------------------------------------------------

CONFIG_FIELDS = (
    "ballot_kind",
    "rule",
    "tie_break",
    "min_choices",
    "max_choices",
    "points",
    "max_points_per_project",
    "home_pot_only",
    "min_age",
    "max_age",
    "supports_enabled",
    "support_threshold",
    "allow_vote_change",
    "allow_blank_ballots",
    "min_ballots_to_publish",
)
BOOLEAN_CONFIG_FIELDS = (
    "home_pot_only",
    "supports_enabled",
    "allow_vote_change",
    "allow_blank_ballots",
)
DEFAULT_MIN_BALLOTS_TO_PUBLISH = 10


def voting_config_problems(config: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every way ``config`` is not a valid voting configuration, as (field, message)."""
    problems: list[tuple[str, str]] = []
    try:
        kind = BallotKind(config.get("ballot_kind"))
    except ValueError:
        return [("ballot_kind", "Select a kind of ballot from the list")]
    rule = config.get("rule")
    if rule not in RULES[kind]:
        problems.append(
            (
                "rule",
                f"{kind_name(kind)} ballots cannot be counted that way: choose one of "
                f"the counting methods listed for them",
            )
        )
    if config.get("tie_break") not in {t.value for t in TieBreak}:
        problems.append(("tie_break", "Select how ties are broken"))
    lo, hi = config.get("min_choices"), config.get("max_choices")
    points, cap = config.get("points"), config.get("max_points_per_project")
    if kind == BallotKind.RANKED and not hi:
        problems.append(("max_choices", "Enter how many projects a voter can rank"))
    if kind in (BallotKind.SINGLE, BallotKind.CUMULATIVE):
        if lo is not None or hi is not None:
            field = "min_choices" if lo is not None else "max_choices"
            problems.append(
                (field, f"Leave the number of choices empty for {kind_name(kind).lower()} ballots")
            )
    else:
        if lo is not None and lo < 0:
            problems.append(("min_choices", "The fewest choices must be 0 or more"))
        if hi is not None and hi < 1:
            problems.append(("max_choices", "The most choices must be 1 or more"))
        if lo is not None and hi is not None and lo > hi:
            problems.append(
                ("min_choices", "The fewest choices must not be more than the most choices")
            )
    if kind == BallotKind.CUMULATIVE:
        if not points or points < 1:
            problems.append(("points", "Enter how many points each voter shares out, 1 or more"))
        elif cap is not None and not 1 <= cap <= points:
            problems.append(
                (
                    "max_points_per_project",
                    f"The most points for one project must be between 1 and {points}",
                )
            )
    elif points is not None or cap is not None:
        field = "points" if points is not None else "max_points_per_project"
        problems.append((field, "Leave points empty: only points ballots use them"))
    ages = {"min_age": config.get("min_age"), "max_age": config.get("max_age")}
    for field, age in ages.items():
        if age is not None and not 0 <= age <= 120:
            problems.append((field, "Enter an age between 0 and 120"))
    if (
        ages["min_age"] is not None
        and ages["max_age"] is not None
        and ages["min_age"] > ages["max_age"]
    ):
        problems.append(("min_age", "The minimum age must not be more than the maximum age"))
    threshold = config.get("support_threshold") or 0
    if threshold < 0:
        problems.append(("support_threshold", "The number of supports needed must be 0 or more"))
    least = config.get("min_ballots_to_publish")
    if least is not None and not 1 <= least <= 1000:
        problems.append(
            (
                "min_ballots_to_publish",
                "Enter the fewest ballots for per-project results between 1 and 1,000",
            )
        )
    return problems


def kind_name(kind: BallotKind) -> str:
    return {
        BallotKind.APPROVAL: "Approval",
        BallotKind.KNAPSACK: "Budget",
        BallotKind.CUMULATIVE: "Points",
        BallotKind.RANKED: "Ranked",
        BallotKind.SINGLE: "Single choice",
    }[kind]


def voting_config(funding_round: FundingRound) -> dict[str, Any]:
    return {name: getattr(funding_round, name) for name in CONFIG_FIELDS}


def configure_voting(
    session: Session, funding_round: FundingRound, *, actor: User, config: Mapping[str, Any]
) -> None:
    """Set the ballot kind, counting rule, limits, eligibility and supports."""
    ensure_not_frozen(
        session,
        funding_round,
        actor=actor,
        action="round.voting_configured",
        subject=funding_round,
        what="The voting rules",
        field="ballot_kind",
    )
    problems = voting_config_problems(config)
    if problems:
        field, message = problems[0]
        raise DomainError(message, field)
    if funding_round.phase == Phase.SUPPORTS and not config.get("supports_enabled"):
        raise DomainError(
            "The round is collecting supports now: move it on before turning supports off",
            "supports_enabled",
        )
    if (
        config.get("supports_enabled")
        and not funding_round.supports_enabled
        and funding_round.phase.index > Phase.SUPPORTS.index
    ):
        raise DomainError("The supports phase has passed for this round", "supports_enabled")
    before = voting_config(funding_round)
    for name in CONFIG_FIELDS:
        value = config.get(name)
        if name in BOOLEAN_CONFIG_FIELDS:
            value = bool(value)
        if name == "support_threshold":
            value = value or 0
        if name == "min_ballots_to_publish" and value is None:
            value = DEFAULT_MIN_BALLOTS_TO_PUBLISH
        setattr(funding_round, name, value)
    session.flush()
    audit.record_changes(
        session,
        action="round.voting_configured",
        actor=actor,
        round=funding_round,
        subject=funding_round,
        before=before,
        after=voting_config(funding_round),
    )


# --- What reaches the ballot ------------------------------------------------------------------


def support_counts(session: Session, funding_round: FundingRound) -> dict[int, int]:
    return dict(
        session.execute(
            select(Support.proposal_id, func.count())
            .join(Proposal, Proposal.id == Support.proposal_id)
            .where(Proposal.round_id == funding_round.id)
            .group_by(Support.proposal_id)
        ).all()
    )


def ballot_problem(proposal: Proposal, funding_round: FundingRound, supports: int) -> str | None:
    """Why a proposal would not be on the ballot, or None if it would."""
    if proposal.status != ProposalStatus.FEASIBLE:
        return f"it is {proposal.status.label.lower()}"
    if proposal.final_cost_pence is None:
        return "it has no final cost"
    if proposal.hidden_at is not None and not funding_round.is_frozen:
        return "it is hidden by moderators"
    if funding_round.supports_enabled and supports < funding_round.support_threshold:
        needed = funding_round.support_threshold
        return f"it has {supports:,} of the {plural(needed, 'support')} needed"
    return None


def ballot_proposals(session: Session, funding_round: FundingRound) -> list[Proposal]:
    """The proposals that reach (or, once voting has opened, are on) the ballot."""
    if funding_round.manifest_json:
        ids = [
            p["id"]
            for pot in json.loads(funding_round.manifest_json)["pots"]
            for p in pot["proposals"]
        ]
        return list(
            session.scalars(select(Proposal).where(Proposal.id.in_(ids)).order_by(Proposal.id))
        )
    counts = support_counts(session, funding_round)
    candidates = session.scalars(
        select(Proposal)
        .where(Proposal.round_id == funding_round.id, Proposal.status == ProposalStatus.FEASIBLE)
        .order_by(Proposal.id)
    )
    return [p for p in candidates if ballot_problem(p, funding_round, counts.get(p.id, 0)) is None]


def build_manifest(session: Session, funding_round: FundingRound) -> dict[str, Any]:
    """Everything a ballot depends on, in a canonical order (pots by position, proposals by id)."""
    on_ballot = ballot_proposals(session, funding_round)
    by_pot: dict[int, list[Proposal]] = {}
    for p in on_ballot:
        by_pot.setdefault(p.pot_id, []).append(p)
    council = funding_round.council
    return {
        "version": MANIFEST_VERSION,
        "council": {"id": council.id, "slug": council.slug, "name": council.name},
        "round": {
            "id": funding_round.id,
            "slug": funding_round.slug,
            "title": funding_round.title,
            "total_budget_pence": funding_round.total_budget_pence,
        },
        "ballot_kind": funding_round.ballot_kind,
        "rule": funding_round.rule,
        "tie_break": funding_round.tie_break,
        "min_choices": funding_round.min_choices,
        "max_choices": funding_round.max_choices,
        "points": funding_round.points,
        "max_points_per_project": funding_round.max_points_per_project,
        "min_age": funding_round.min_age,
        "max_age": funding_round.max_age,
        "home_pot_only": funding_round.home_pot_only,
        "allow_vote_change": funding_round.allow_vote_change,
        "allow_blank_ballots": funding_round.allow_blank_ballots,
        # Below this many ballots a pot's per-project figures are withheld: frozen, so anyone
        # can check from the manifest alone whether a pot was rightly withheld.
        "min_ballots_to_publish": funding_round.min_ballots_to_publish,
        # Ranked rounds score rank points (k for a 1st choice ... 1 for a kth); frozen here so
        # the round is always counted the way it was when voting opened.
        "ranked_scoring": (
            RankedScoring.RANKS.value if funding_round.ballot_kind == BallotKind.RANKED else None
        ),
        "pots": [
            {
                "id": pot.id,
                "name": pot.name,
                "neighbourhood": pot.neighbourhood.slug if pot.neighbourhood else None,
                "budget_pence": pot.budget_pence,
                "proposals": [
                    {
                        "id": p.id,
                        "title": p.title,
                        "final_cost_pence": p.final_cost_pence,
                        "money_pledged_pence": p.money_pledged_pence,
                        "cost_to_pot_pence": p.cost_to_pot_pence,
                    }
                    for p in by_pot.get(pot.id, [])
                ],
            }
            for pot in sorted(funding_round.pots, key=lambda p: (p.position, p.id))
        ],
    }


def canonical_json(value: Any) -> str:
    """Sorted keys, no whitespace, UTF-8 text: the same manifest always gives the same bytes."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def manifest_hash(manifest_json: str) -> str:
    return hashlib.sha256(manifest_json.encode("utf-8")).hexdigest()


# --- Phases -----------------------------------------------------------------------------------

PHASE_DESCRIPTIONS = {
    Phase.DRAFT: "Officers are preparing the round. Residents cannot see it yet.",
    Phase.PROPOSALS: "Residents can propose projects for a pot.",
    Phase.REVIEW: "Officers check each proposal is feasible and set its final cost.",
    Phase.SUPPORTS: (
        "Residents show which proposals they support; the best supported go to the vote."
    ),
    Phase.VOTING: "Residents vote. The pots, costs, proposals and voting rules are fixed.",
    Phase.CLOSED: "Voting has closed and the votes are being counted.",
    Phase.PUBLISHED: "The results are published, with how they were worked out.",
    Phase.DELIVERY: "The funded projects are being delivered.",
}


def phases_of(funding_round: FundingRound) -> list[Phase]:
    """This round's phases in order (supports only when the round uses them)."""
    return [p for p in Phase if p != Phase.SUPPORTS or funding_round.supports_enabled]


def next_phase(funding_round: FundingRound) -> Phase | None:
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
) -> list[str]:
    """Why the round cannot move to ``target`` now (empty when it can)."""
    problems = []
    pots_total = sum(p.budget_pence for p in funding_round.pots)
    if target.index <= Phase.VOTING.index and target != Phase.DRAFT:
        if not funding_round.pots:
            problems.append("The round has no pots")
        elif pots_total != funding_round.total_budget_pence:
            problems.append(
                f"The pots add up to {money(pots_total)}, not the budget of "
                f"{money(funding_round.total_budget_pence)}"
            )
    if target == Phase.PUBLISHED:
        from app.workflow import results

        missing = results.missing_results(session, funding_round)
        if missing:
            problems.append(
                "The votes have not been counted for " + _and_list(missing) + " (run flask tally)"
            )
    if target == Phase.DRAFT:
        count = session.scalar(select(func.count()).where(Proposal.round_id == funding_round.id))
        if count:
            problems.append("Residents have made proposals, so the round cannot go back to a draft")
    if target == Phase.VOTING:
        for field, message in voting_config_problems(voting_config(funding_round)):
            problems.append(f"The voting configuration is not valid: {message}")
            del field
            break
        on_ballot = ballot_proposals(session, funding_round)
        if not on_ballot:
            problems.append(
                "No proposal can reach the ballot: a proposal needs to be feasible, with a "
                "final cost" + (" and enough supports" if funding_round.supports_enabled else "")
            )
        pots = {p.id: p for p in funding_round.pots}
        for p in on_ballot:
            if p.cost_to_pot_pence > pots[p.pot_id].budget_pence:
                problems.append(
                    f"“{p.title}” would cost its pot {money(p.cost_to_pot_pence)}, more than "
                    f"the pot's budget of {money(pots[p.pot_id].budget_pence)}"
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


def impossible_ballot(
    funding_round: FundingRound, pot: Pot, on_ballot: Sequence[Proposal]
) -> str | None:
    """Why no voter could fill in a valid ballot for ``pot``, or None if one could.

    A pot with nothing on its ballot is refused outright (it would only take blank ballots).
    Otherwise, by ballot kind: approval and ranked ballots need at least ``min_choices``
    projects (at least one when blank ballots are not allowed); budget ballots need that many
    whose costs together fit the pot; points ballots must use every point, so the projects
    must be able to take them all under the per-project limit. Single-choice ballots need one
    project, which the first check gives.
    """
    n = len(on_ballot)
    if n == 0:
        return (
            f"The {pot.name} pot has no project on the ballot, so its voters could only cast "
            "a blank ballot. Review its proposals, or merge the pot into another (Budget and "
            "pots, then Merge a pot into another), before voting opens"
        )
    kind = BallotKind(funding_round.ballot_kind)
    if kind == BallotKind.CUMULATIVE:
        points, cap = funding_round.points or 0, funding_round.max_points_per_project
        if cap is not None and n * cap < points:
            return (
                f"In the {pot.name} pot no ballot could be valid: every voter must use all "
                f"{points} points, at most {cap} on one project, but only {_projects(n)} "
                f"can take points ({n * cap} at most)"
            )
        return None
    if kind == BallotKind.SINGLE:
        return None
    need = funding_round.min_choices or 0
    if not funding_round.allow_blank_ballots:
        need = max(need, 1)
    verb = "rank" if kind == BallotKind.RANKED else "choose"
    if need > n:
        return (
            f"In the {pot.name} pot no ballot could be valid: every voter must {verb} at "
            f"least {_projects(need)}, but only {_projects(n)} "
            f"{'is' if n == 1 else 'are'} on the ballot"
        )
    if kind == BallotKind.KNAPSACK and need:
        cheapest = sorted(p.cost_to_pot_pence for p in on_ballot)[:need]
        if sum(cheapest) > pot.budget_pence:
            which = "the cheapest project costs" if need == 1 else f"the {need} cheapest cost"
            return (
                f"In the {pot.name} pot no ballot could be valid: every voter must choose at "
                f"least {_projects(need)} that fit the pot's {money(pot.budget_pence)}, but "
                f"{which} {money(sum(cheapest))}"
            )
    return None


def _projects(n: int) -> str:
    return plural(n, "project")


def unreviewed_proposals(session: Session, funding_round: FundingRound) -> list[Proposal]:
    """Proposals still waiting for an officer's review: they cannot be on the ballot."""
    return list(
        session.scalars(
            select(Proposal)
            .where(
                Proposal.round_id == funding_round.id,
                Proposal.status == ProposalStatus.SUBMITTED,
            )
            .order_by(Proposal.pot_id, Proposal.id)
        )
    )


def left_off_ballot(session: Session, funding_round: FundingRound) -> list[tuple[Proposal, str]]:
    """Reviewed proposals that will not be on the ballot and why (not feasible, merged, too
    few supports, hidden), for the officer confirming that voting opens."""
    counts = support_counts(session, funding_round)
    rows = session.scalars(
        select(Proposal)
        .where(
            Proposal.round_id == funding_round.id,
            Proposal.status.not_in([ProposalStatus.SUBMITTED, ProposalStatus.WITHDRAWN]),
        )
        .order_by(Proposal.pot_id, Proposal.id)
    )
    out = []
    for p in rows:
        why = ballot_problem(p, funding_round, counts.get(p.id, 0))
        if why:
            out.append((p, why))
    return out


PUBLISH_ELSEWHERE = (
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
            titles = _and_list([f"“{p.title}”" for p in waiting])
            raise DomainError(
                f"Cannot move to voting: {_proposals(len(waiting))} not yet reviewed "
                f"({titles}) would not be on the ballot. Review "
                f"{'it' if len(waiting) == 1 else 'them'} first, or confirm that voting "
                "opens without them"
            )
    _move(session, funding_round, target=target, expected=expected, actor=actor, now=now)


def _proposals(n: int) -> str:
    return f"{n} proposal" if n == 1 else f"{n} proposals"


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
            f"The round has moved to {funding_round.phase.label.lower()} since the page was "
            "loaded. Check the phase and try again."
        )
    if target.index < funding_round.phase.index and funding_round.is_frozen:
        raise Frozen(
            "Voting has opened, so the round cannot go back to an earlier phase.",
            round=funding_round,
            action="round.phase_changed",
            actor=actor,
            subject=funding_round,
        )
    if target not in (next_phase(funding_round), previous_phase(funding_round)):
        raise WrongPhase(
            f"A round in {funding_round.phase.label.lower()} cannot move to "
            f"{target.label.lower()}: phases go one step at a time"
        )


def _check_problems(session: Session, funding_round: FundingRound, target: Phase) -> None:
    problems = phase_change_problems(session, funding_round, target)
    if problems:
        raise DomainError(f"Cannot move to {target.label.lower()}: " + "; ".join(problems))


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
        text = canonical_json(build_manifest(session, funding_round))
        digest = manifest_hash(text)
        values |= {"manifest_json": text, "manifest_hash": digest, "voting_opened_at": now}
        after["manifest_hash"] = digest
    elif target.index < Phase.VOTING.index:
        values |= {"manifest_json": None, "manifest_hash": None, "voting_opened_at": None}
    # Compare-and-set: only the request that still sees the expected phase moves the round.
    result = session.execute(
        update(FundingRound)
        .where(FundingRound.id == funding_round.id, FundingRound.phase == expected)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise Conflict("The round's phase was changed by someone else. Check it and try again.")
    session.refresh(funding_round)
    # A failed scheduled move stops being news once the round has moved on.
    session.execute(
        delete(ScheduledMoveFailure).where(ScheduledMoveFailure.round_id == funding_round.id)
    )
    # The ballot log starts from the manifest's hash when voting opens and is sealed at close.
    if target == Phase.VOTING:
        ballot_box.open_log(session, funding_round.id, funding_round.manifest_hash)
    elif target == Phase.CLOSED:
        ballot_box.close_log(session, funding_round.id, funding_round.manifest_hash)
        # Counted in the same transaction as the seal: a closed round always has its results,
        # counted from exactly the sealed log. `flask tally` re-runs the count to check it.
        from app.workflow import results

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
            f"Confirm that the {_proposals(len(waiting))} not yet reviewed will not be on "
            "the ballot",
            "confirm",
        )
    if any(p.id not in leave_off for p in waiting):
        raise Conflict(
            "More proposals are waiting for review than when the page was loaded. Check the "
            "list again before opening voting."
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
    warnings = [w for c in checks for w in c.warnings]
    if warnings and not confirmed:
        raise DomainError(
            "Confirm that you have read the warnings and the results are ready to publish",
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


def what_happens_next(funding_round: FundingRound) -> str:
    """A sentence for the round page: the next phase and when it is due."""
    target = next_phase(funding_round)
    if target is None:
        return "This is the round's last phase."
    current = funding_round.dates_for(funding_round.phase)
    upcoming = funding_round.dates_for(target)
    when = ""
    if upcoming is not None:
        d = first_day(upcoming)
        when = f" It is due to start on {d.day} {d:%B %Y}."
    elif current is not None:
        d = last_day(current)
        when = f" {funding_round.phase.label} is due to end on {d.day} {d:%B %Y}."
    return f"Next: {target.label.lower()}. {PHASE_DESCRIPTIONS[target]}{when}"
