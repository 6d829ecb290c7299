"""The Method of Equal Shares (MES), its greedy completion and its "add one" budget search.

Every voter gets an equal share of the budget. In each round, among the projects whose
supporters still have enough money between them, the one that is cheapest for its supporters
is funded: each supporter pays the same amount per unit of satisfaction (``rho``), except
those who cannot, who pay all they have left. The round's winner is the project with the
smallest ``rho``; for cost satisfaction (approval ballots) ``rho`` is the price per supporter
divided by the project's cost. Exact ties are broken by the tie-break. The count stops when
no project is affordable.

Modules, each building only on those before it:

``margins``     how far the float filter trusts floats
``exact``       the exact money of every ballot group in a run, and exact prices
``parametric``  how far the per-voter budget can grow with a run's decisions unchanged
``engine``      the engine: one run at a given per-voter budget, exact money, float filter
``lockstep``    many runs at once, one per budget, for the budget search
``add1``        the "add one" budget search
``explain``     the explanations, in words
``rule``        ``equal_shares``: the count, its search and completion, and its explanations
"""

from __future__ import annotations

from votes.rules.mes.add1 import FIRST_BATCH, add_one, first_budget
from votes.rules.mes.engine import Engine, MESResult, Payment, overlaps
from votes.rules.mes.margins import EPS, MARGIN
from votes.rules.mes.rule import equal_shares

__all__ = [
    "EPS",
    "FIRST_BATCH",
    "MARGIN",
    "Engine",
    "MESResult",
    "Payment",
    "add_one",
    "equal_shares",
    "first_budget",
    "overlaps",
]
