"""Helpers for the tests of the ``mes-add1`` budget search."""

from __future__ import annotations

from votes.model import TieBreak
from votes.pabulib import read
from votes.rules.mes import Engine, first_budget
from votes.rules.mes.lockstep import OVER
from votes.rules.profile import build_profile


def search_engine(path) -> tuple[Engine, int]:
    """The approval MES engine of an election as ``mes-add1`` counts it, and the whole
    per-voter budget (election money) its search starts from."""
    profile = build_profile(read(path))
    engine = Engine(profile, profile.sats("approval"), True, profile.tie_key(TieBreak.COST_VOTES))
    start = first_budget(engine)
    return engine, start.numerator // start.denominator // engine.unit


def exact_outcomes(engine: Engine, budgets: list[int]) -> list[list[int] | None]:
    """What ``Lockstep.run(budgets)`` must give, from exact runs one at a time: each selection,
    or ``OVER``, up to the first over the budget or funding every supported project."""
    supported = len(engine.candidates) + len(engine.free)
    outcomes: list[list[int] | None] = []
    for budget in budgets:
        selected = engine.run(budget).selected
        over = sum(engine.costs[p] for p in selected) > engine.budget
        outcomes.append(OVER if over else selected)
        if over or len(selected) >= supported:
            break
    return outcomes
