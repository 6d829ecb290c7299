"""The "add one" budget search: MES at B/n, then at floor(B/n)+1, +2, ... per voter.

As Method of Equal Shares deployments count: each outcome is kept while it costs at most the
budget. Budgets whose outcome is provably the same as one already run are skipped
(``Parametric``); the others are run in batches in lockstep (``votes.rules.mes.lockstep``).
"""

from __future__ import annotations

import math
from fractions import Fraction

from votes.rules.mes.engine import Engine


def first_budget(engine: Engine) -> Fraction:
    """The equal share B/n per voter, in engine money (an integer: engine money is scaled by n)."""
    return Fraction(engine.budget, max(engine.profile.voters, 1))


# Budgets run in lockstep after the first bound that fails (see ``add_one``).
FIRST_BATCH = 8


def add_one(engine: Engine, skip: bool = True) -> tuple[Fraction, int]:
    """MES with per-voter budget B/n, then floor(B/n)+1, +2, ... (in the election's money).

    Each outcome is kept while it costs at most B; the first that costs more ends the search
    and the last kept one is the result. The search also ends once every supported project is
    funded, since more money cannot change which projects are funded. Returns the per-voter
    budget of the kept outcome (engine money) and the number of MES runs.

    Budgets are not all tried one by one: a run also tells up to which per-voter budget every
    one of its decisions stays the same (``Parametric``), and the budgets below that give the
    same outcome, so they are kept without running them. Where that bound does not reach the
    next budget, the following budgets are run together in lockstep (``lockstep``). This gives
    exactly the outcome of the one-by-one search (``skip=False`` runs that one, for tests).
    """
    # Here, not at the top: a count without the search does not load the lockstep runs.
    from votes.rules.mes.lockstep import OVER, Lockstep

    start = first_budget(engine)
    binary = skip and all(engine.binary[p] for p in engine.candidates)
    result = engine.run(start)
    selected = result.selected
    kept = start
    runs = 1
    per_voter = (start.numerator // start.denominator) // engine.unit
    supported = len(engine.candidates) + len(engine.free)
    # Working out how far a run's outcome provably holds costs more than the run; it pays
    # off where outcomes hold for many budgets. Where they do not (runs keep changing
    # structure at every step), the next budgets are run as a batch in lockstep
    # (``votes.rules.mes.lockstep``): a batch twice as long each time the bound fails again (up to
    # ``Lockstep.largest``), half as long after it lets budgets be skipped. A run drops the
    # bound as soon as it cannot reach past the next budget (same decisions, less work).
    lockstep, batch, size = None, False, 0
    while len(selected) < supported:
        if batch:
            batch = False
            budgets = [(per_voter + i) * engine.unit for i in range(1, size + 1)]
            outcomes = lockstep.run(budgets)
            runs += len(outcomes)
            within = outcomes[:-1] if outcomes[-1] is OVER else outcomes
            if within:
                selected = within[-1]
                kept = Fraction((per_voter + len(within)) * engine.unit)
            if outcomes[-1] is OVER:
                break
            per_voter += len(outcomes)
            continue
        per_voter += 1
        # A run's bound only helps if it reaches beyond the next budget (see below).
        attempt = engine.run(
            per_voter * engine.unit,
            param=binary,
            fast=skip,
            param_above=(per_voter + 2) * engine.unit,
        )
        runs += 1
        if sum(engine.costs[p] for p in attempt.selected) > engine.budget:
            break
        selected, kept = attempt.selected, Fraction(per_voter * engine.unit)
        if not binary or len(selected) >= supported:
            continue
        if math.isinf(attempt.stable_until):
            break  # nothing can change any more: every larger budget gives this outcome
        last = max(per_voter, math.ceil(attempt.stable_until / engine.unit) - 1)
        if last > per_voter + 1:
            per_voter = last
            kept = Fraction(per_voter * engine.unit)
            size //= 2
        else:
            if lockstep is None:
                lockstep = Lockstep(engine)
            batch, size = True, min(max(2 * size, FIRST_BATCH), lockstep.largest)
    return kept, runs
