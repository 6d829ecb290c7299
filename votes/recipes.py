"""A second opinion: the pabutools script that recounts a pot from its ``election.pb``.

``pabutools_script(rules, rule, tie_break)`` returns the text of a short, self-contained
Python script that reads ``election.pb`` from the current folder with pabutools 1.2.3 (the
research library of participatory budgeting), counts it the way ``votes`` counts ``rule``, and
prints the funded project ids, one a line, sorted as strings. Devolve puts it in every
auditor export's ``README.txt``, so anyone can recount a published result with software
Devolve did not write. Nothing here imports pabutools: the script is only text.

How each rule maps onto pabutools (satisfaction classes are pabutools'; ``sat`` below):

- approval, knapsack, single-choice ballots: ``greedy`` is ``greedy_utilitarian_welfare`` with
  ``Cost_Sat`` (most approvals first); ``greedy-per-cost`` with ``Cardinality_Sat``; ``mes``
  and ``mes-cardinality`` are ``method_of_equal_shares`` with ``Cost_Sat`` and
  ``Cardinality_Sat``; ``mes-greedy`` is ``completion_by_rule_combination`` of both;
  ``phragmen`` is ``sequential_phragmen``; ``max-welfare`` is
  ``max_additive_utilitarian_welfare`` (which picks any of several optimal sets: the script
  prints the total approvals-times-cost of its set, to compare with the published one).
- ``mes-add1`` is not one pabutools call (pabutools' own ``voter_budget_increment`` stops the
  search earlier): the script runs ``method_of_equal_shares`` with a per-voter budget of B/n,
  then floor(B/n)+1, +2, ... (each as an instance whose budget is n times it), keeping each
  outcome while it costs at most B and stopping at the first that costs more, or once every
  project someone supports is funded.
- cumulative ballots, and ranked ballots scored with rank points: the points are the
  satisfaction (``Additive_Cardinal_Sat``); ``greedy`` ranks by total points, for which the
  script defines a satisfaction of points times cost (pabutools' greedy divides by cost).
  Ranked ballots are first turned into points: with up to k ranks (META ``max_length``, else
  the longest ballot, whichever is larger) a 1st choice gets k points, a 2nd k-1, and so on.
- ranked ballots scored the Borda way (rounds frozen before rank points): ``mes`` and
  ``greedy-per-cost`` use ``Additive_Borda_Sat`` (a ballot ranking L projects gives L-1 ... 0);
  ``greedy`` ranks by L ... 1 (a satisfaction the script defines).

Tie-breaking: ``lexicographic`` is pabutools' ``lexico_tie_breaking`` (project id as a
string); ``cost-votes`` is a ``TieBreakingRule`` on (cost, minus the number of ballots that
support the project, id), where a ballot supports a project it names (with more than 0 points
on a cumulative ballot).
"""

from __future__ import annotations

from votes.model import BallotKind, BallotRules, RankedScoring, TieBreak

__all__ = ["pabutools_script", "PABUTOOLS_VERSION"]

PABUTOOLS_VERSION = "1.2.3"

_HEAD = """\
# Recount this pot with pabutools, independently of Devolve:
#   python -m pip install pabutools=={version}
#   python recount.py        (run in the folder holding election.pb)
# It prints the funded project ids, one a line; compare them with "selected" in results.json.
from pabutools.election import parse_pabulib
from pabutools.election.ballot import AbstractCardinalBallot
from pabutools.election.satisfaction import AdditiveSatisfaction
from pabutools.election.satisfaction import Additive_Borda_Sat, Additive_Cardinal_Sat
from pabutools.election.satisfaction import Cardinality_Sat, Cost_Sat
from pabutools.rules import completion_by_rule_combination, greedy_utilitarian_welfare
from pabutools.rules import max_additive_utilitarian_welfare, method_of_equal_shares
from pabutools.rules import sequential_phragmen
from pabutools.fractions import frac
from pabutools.tiebreaking import TieBreakingRule, lexico_tie_breaking

instance, profile = parse_pabulib("election.pb")
"""

_RANK_POINTS = """
# Rank points: with up to k ranks, a 1st choice gets k points, a 2nd k - 1, ... a kth 1.
from pabutools.election import CumulativeBallot, CumulativeProfile

k = max([int(instance.meta.get("max_length") or 0)] + [len(b) for b in profile])
profile = CumulativeProfile(
    [CumulativeBallot({p: k - i for i, p in enumerate(b)}) for b in profile],
    instance=instance,
)
"""

_SCORE_GREEDY = """
# pabutools' greedy ranks projects by satisfaction divided by cost; a satisfaction of
# score times cost makes it rank them by score.
def score(ballot, project):
    {score}


class Score_Times_Cost_Sat(AdditiveSatisfaction):
    def __init__(self, instance, profile, ballot):
        super().__init__(
            instance, profile, ballot, lambda i, pr, b, p, pre: score(b, p) * p.cost
        )
"""

_SCORES = {
    "points": "return ballot[project] if project in ballot else 0",
    "positional": "return len(ballot) - ballot.position(project) if project in ballot else 0",
}

_SUPPORTS = """
# A ballot supports a project it names (with more than 0 points on a cumulative ballot).
def supports(ballot, project):
    if isinstance(ballot, AbstractCardinalBallot):
        return ballot.get(project, 0) > 0
    return project in ballot
"""

_COST_VOTES = """
# Ties: lower cost first, then more ballots supporting the project, then its id as text.
backers = {p: sum(1 for b in profile if supports(b, p)) for p in instance}
tie_breaking = TieBreakingRule(lambda i, pr, p: (p.cost, -backers[p], p.name))
"""

_LEXICOGRAPHIC = """
# Ties: the project id compared as text ("10" before "9").
tie_breaking = lexico_tie_breaking
"""

_ADD1 = """
# Equal Shares with the "add one" budget search: per-voter budget B/n, then floor(B/n) + 1,
# + 2, ... Each outcome is kept while it costs at most B; the search stops at the first that
# costs more, or once every project somebody supports is funded.
n = len(profile)
budget = instance.budget_limit
supported = {{p for p in instance if any(supports(b, p) for b in profile)}}


def equal_shares(per_voter):
    instance.budget_limit = per_voter * n
    try:
        return method_of_equal_shares(instance, profile, sat_class={sat}, tie_breaking=tie_breaking)
    finally:
        instance.budget_limit = budget


start = frac(budget, n)
outcome, per_voter = equal_shares(start), int(start)
while not supported <= set(outcome):
    per_voter += 1
    attempt = equal_shares(per_voter)
    if sum(p.cost for p in attempt) > budget:
        break
    outcome = attempt
"""

_PRINT = """
for project_id in sorted(p.name for p in outcome):
    print(project_id)
"""

_WELFARE = """
welfare = sum(p.cost * sum(1 for b in profile if p in b) for p in outcome)
print("approvals times cost:", welfare)
"""


def pabutools_script(rules: BallotRules, rule: str, tie_break: TieBreak | str) -> str | None:
    """The pabutools script recounting ``rule`` on an ``election.pb`` of this kind of ballot,
    or None for a rule pabutools does not have (``plurality`` and ``irv``)."""
    tie_break = TieBreak(tie_break)
    kind = rules.kind
    if rule in ("plurality", "irv"):
        return None
    approval = kind in (BallotKind.APPROVAL, BallotKind.KNAPSACK, BallotKind.SINGLE)
    borda = kind is BallotKind.RANKED and rules.ranked_scoring is RankedScoring.BORDA
    parts = [_HEAD.format(version=PABUTOOLS_VERSION)]
    if kind is BallotKind.RANKED and not borda:
        parts.append(_RANK_POINTS)
    if approval:
        sat, per_cost_sat, total = "Cost_Sat", "Cardinality_Sat", "Cost_Sat"
    elif borda:
        sat, per_cost_sat, total = "Additive_Borda_Sat", "Additive_Borda_Sat", "positional"
    else:
        sat, per_cost_sat, total = "Additive_Cardinal_Sat", "Additive_Cardinal_Sat", "points"
    if total in _SCORES:
        parts.append(_SCORE_GREEDY.format(score=_SCORES[total]))
        total = "Score_Times_Cost_Sat"
    if tie_break is TieBreak.COST_VOTES or rule == "mes-add1":
        parts.append(_SUPPORTS)
    parts.append(_COST_VOTES if tie_break is TieBreak.COST_VOTES else _LEXICOGRAPHIC)
    tb = "tie_breaking=tie_breaking"
    greedy = "greedy_utilitarian_welfare(instance, profile, is_sat_additive=True, sat_class="
    calls = {
        "greedy": f"{greedy}{total}, {tb})",
        "greedy-per-cost": f"{greedy}{per_cost_sat}, {tb})",
        "mes": f"method_of_equal_shares(instance, profile, sat_class={sat}, {tb})",
        "mes-cardinality": (
            f"method_of_equal_shares(instance, profile, sat_class=Cardinality_Sat, {tb})"
        ),
        "mes-greedy": (
            "completion_by_rule_combination(\n"
            "    instance,\n"
            "    profile,\n"
            "    [method_of_equal_shares, greedy_utilitarian_welfare],\n"
            f"    [{{'sat_class': {sat}, 'tie_breaking': tie_breaking}},\n"
            f"     {{'sat_class': {sat if approval else per_cost_sat}, 'is_sat_additive': True,"
            " 'tie_breaking': tie_breaking}],\n"
            ")"
        ),
        "phragmen": f"sequential_phragmen(instance, profile, {tb})",
        "max-welfare": "max_additive_utilitarian_welfare(instance, profile, sat_class=Cost_Sat)",
    }
    if rule == "mes-add1":
        if not approval:
            raise ValueError(f"mes-add1 is for approval ballots, not {kind}")
        parts.append(_ADD1.format(sat=sat))
    elif rule in calls:
        if rule in ("mes-cardinality", "phragmen", "max-welfare") and not approval:
            raise ValueError(f"{rule} is for approval ballots, not {kind}")
        parts.append(f"\noutcome = {calls[rule]}\n")
    else:
        raise ValueError(f"unknown rule {rule!r}")
    parts.append(_PRINT)
    if rule == "max-welfare":
        parts.append(_WELFARE)
    return "".join(parts)
