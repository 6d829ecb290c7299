"""Splitting a round's budget into pots: the split to the penny, the pot plan for each way of
splitting (council-wide, equal, by population, by need, or amounts entered), changing a draft
round's budget and pots to a new plan, and merging one pot into another before voting opens.

A pot's name is written in each language its neighbourhood's name is (the council's languages
page names them); a council-wide pot is named ``COUNCIL_WIDE_NAME`` in each language the
caller gives it (the web layer translates it into each of the council's languages)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.workflow import audit
from app.workflow.errors import DomainError
from app.workflow.languages import set_texts, texts
from app.workflow.models import (
    Council,
    FundingRound,
    Neighbourhood,
    Pot,
    Proposal,
    ProposalStatus,
    SplitMethod,
    User,
)
from app.workflow.rounds.common import ensure_not_frozen
from app.workflow.text import join_list, money
from ballots.refusals import N_, Money


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


# The name of a pot for the whole council, in English: translated for each language.
COUNCIL_WIDE_NAME = N_("Council-wide")
# Amounts typed in per neighbourhood that do not add up: by (more than the rest, with a
# council-wide pot taken off first).
AMOUNTS_DO_NOT_ADD_UP = {
    (True, True): N_(
        "The neighbourhood amounts add up to %(given)s, which is %(difference)s more than the "
        "%(rest)s left after the council-wide pot"
    ),
    (False, True): N_(
        "The neighbourhood amounts add up to %(given)s, which is %(difference)s less than the "
        "%(rest)s left after the council-wide pot"
    ),
    (True, False): N_(
        "The neighbourhood amounts add up to %(given)s, which is %(difference)s more than the "
        "%(rest)s in the budget"
    ),
    (False, False): N_(
        "The neighbourhood amounts add up to %(given)s, which is %(difference)s less than the "
        "%(rest)s in the budget"
    ),
}


@dataclass(frozen=True)
class PlannedPot:
    """One pot of a plan: its neighbourhood (None for a council-wide pot), its name in each
    language (``{language: name}``, its own language first) and its budget.

    It reads like a pot's row (``name``, ``language``, ``translations``), so the pages show
    a planned pot's name as they show a pot's."""

    neighbourhood: Neighbourhood | None
    names: Mapping[str, str]
    budget_pence: int

    @property
    def name(self) -> str:
        return next(iter(self.names.values()), "")

    @property
    def language(self) -> str:
        return next(iter(self.names), "en")

    @property
    def translations(self) -> dict[str, dict[str, str]]:
        return {code: {"name": name} for code, name in list(self.names.items())[1:]}


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
    council_wide_names: Mapping[str, str] | None = None,
) -> PotPlan:
    """The pots for a budget split by ``method``; exact to the penny.

    ``council_wide_pence`` is taken off the top for the explicit and formula methods. For
    ``explicit``, the amounts per neighbourhood id must add up to what is left. Neighbourhoods
    whose share is £0 get no pot. A neighbourhood's pot takes its name in every language; a
    council-wide pot takes ``council_wide_names`` (``{language: name}``, English
    ``COUNCIL_WIDE_NAME`` when not given). Raises ``DomainError`` naming the field at fault.
    """
    wide_names = dict(council_wide_names or {"en": COUNCIL_WIDE_NAME})
    if total_pence <= 0:
        raise DomainError(N_("Enter a total budget of more than £0"), "total_budget")
    if method == SplitMethod.COUNCIL:
        pot = PlannedPot(None, wide_names, total_pence)
        return PotPlan(method, total_pence, (pot,), "The whole budget is one council-wide pot.")
    hoods = sorted(council.neighbourhoods, key=lambda n: n.name)
    if not hoods:
        raise DomainError(
            N_("%(council)s has no neighbourhoods: choose one council-wide pot"),
            "method",
            council=council.name,
        )
    council_wide = council_wide_pence or 0
    if council_wide >= total_pence:
        raise DomainError(
            N_("The council-wide pot must be less than the total budget of %(total)s"),
            "council_wide",
            total=Money(total_pence),
        )
    rest = total_pence - council_wide
    names = [h.name for h in hoods]
    if method == SplitMethod.EXPLICIT:
        amounts = [(explicit or {}).get(h.id) or 0 for h in hoods]
        given = sum(amounts)
        if given != rest:
            raise DomainError(
                AMOUNTS_DO_NOT_ADD_UP[given > rest, bool(council_wide)],
                f"pot_{hoods[0].id}",
                given=Money(given),
                difference=Money(abs(given - rest), always_pence=True),
                rest=Money(rest),
            )
        shares = amounts
        note = "Each neighbourhood gets the amount entered for it."
    else:
        if method == SplitMethod.NEED:
            if all(h.need_weight is None for h in hoods):
                raise DomainError(
                    N_(
                        "No neighbourhood in %(council)s has a need weight. Choose another "
                        "way to split the budget."
                    ),
                    "method",
                    council=council.name,
                )
            weights = [Fraction(h.need_weight or 0) for h in hoods]
            if sum(weights) == 0:
                raise DomainError(
                    N_("Every need weight is 0. Choose another way to split."), "method"
                )
        elif method == SplitMethod.POPULATION:
            weights = [Fraction(h.population) for h in hoods]
            if sum(weights) == 0:
                raise DomainError(
                    N_(
                        "No population is recorded for %(council)s's neighbourhoods. Choose "
                        "another way to split the budget."
                    ),
                    "method",
                    council=council.name,
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
                f"each to {join_list(extra)}, whose shares had been rounded down the most "
                "(largest remainder method). The pots add up to the total exactly."
            )
        else:
            note = (
                f"{money(rest, always_pence=True)} is shared by {basis}. Every share came "
                "to a whole number of pence, so no rounding was needed."
            )
    pots = []
    if council_wide:
        pots.append(PlannedPot(None, wide_names, council_wide))
    empty = [h.name for h, s in zip(hoods, shares, strict=True) if s == 0]
    pots += [
        PlannedPot(h, texts(h, "name"), s) for h, s in zip(hoods, shares, strict=True) if s > 0
    ]
    if empty:
        note += f" {join_list(empty)} {'gets' if len(empty) == 1 else 'get'} no pot (£0)."
    if council_wide:
        note = f"{money(council_wide)} is a council-wide pot. " + note
    return PotPlan(method, total_pence, tuple(pots), note)


def pots_snapshot(funding_round: FundingRound) -> dict[str, Any]:
    """The round's budget, how it was split and each pot's budget, for the audit trail."""
    return {
        "total_budget_pence": funding_round.total_budget_pence,
        "split_method": funding_round.split_method,
        "pots": {p.name: p.budget_pence for p in funding_round.pots},
    }


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
        what=N_("The budget and its pots"),
        field="total_budget",
    )
    before = pots_snapshot(funding_round)
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
                N_("The %(pot)s pot has proposals, so this split must keep a pot for it"),
                "method",
                pot=pot.name,
            )
        if key in planned:
            biggest = session.scalar(
                select(func.max(Proposal.estimated_cost_pence)).where(
                    Proposal.pot_id == pot.id, Proposal.status != ProposalStatus.WITHDRAWN
                )
            )
            if biggest and biggest > planned[key].budget_pence:
                raise DomainError(
                    N_(
                        "The %(pot)s pot would be %(budget)s, less than a proposal in it that "
                        "costs %(cost)s"
                    ),
                    "total_budget",
                    pot=pot.name,
                    budget=Money(planned[key].budget_pence),
                    cost=Money(biggest),
                )
    for key, pot in existing.items():
        if key not in planned:
            funding_round.pots.remove(pot)
    session.flush()  # free the unique (round, neighbourhood) slots before adding
    for i, p in enumerate(plan.pots):
        key = p.neighbourhood.id if p.neighbourhood else None
        if key in existing and existing[key] in funding_round.pots:
            pot = existing[key]
            pot.budget_pence, pot.position = p.budget_pence, i
        else:
            pot = Pot(neighbourhood=p.neighbourhood, budget_pence=p.budget_pence, position=i)
            funding_round.pots.append(pot)
        set_texts(pot, {"name": p.names})
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
        after=pots_snapshot(funding_round),
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
        what=N_("The budget and its pots"),
        field="source",
    )
    pots = {p.id: p for p in funding_round.pots}
    source, into = pots.get(source_id), pots.get(into_id)
    if source is None:
        raise DomainError(N_("Select a pot of this round to merge"), "source")
    if into is None:
        raise DomainError(N_("Select a pot of this round to merge it into"), "into")
    if source is into:
        raise DomainError(N_("A pot cannot be merged into itself: select another pot"), "into")
    before = pots_snapshot(funding_round)
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
            **pots_snapshot(funding_round),
            "merged": {"pot": source.name, "into": into.name, "proposals": list(moved)},
        },
    )
    return into
