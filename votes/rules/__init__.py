"""Counting rules for participatory budgeting: ``tally(election, rule, tie_break)``.

Rule names per ballot kind are in ``RULES``. Knapsack and single-choice ballots count as
approval ballots. Each rule matches a pabutools 1.2.3 rule (with exact fractions):

approval, knapsack, single-choice
    ``greedy``            most approvals first, skipping projects that no longer fit
                          (pabutools ``greedy_utilitarian_welfare`` with ``Cost_Sat``)
    ``greedy-per-cost``   most approvals per unit of cost first (``Cardinality_Sat``)
    ``mes``               Method of Equal Shares, cost satisfaction, no completion
    ``mes-cardinality``   Method of Equal Shares, one unit of satisfaction per project
    ``mes-greedy``        ``mes``, then ``greedy`` spends what is left
    ``mes-add1``          ``mes`` with per-voter budget B/n, then floor(B/n)+1, +2, ... kept
                          while the outcome costs at most B (as Method of Equal Shares
                          deployments count); use it with ``TieBreak.COST_VOTES``
    ``phragmen``          sequential Phragmén
    ``max-welfare``       the most approvals-times-cost that fits (an exact knapsack)
    ``plurality``, ``irv`` one winner (``votes.single_winner``; ballots naming one project)
cumulative
    ``greedy`` (most points), ``greedy-per-cost`` (points per cost), ``mes`` (satisfaction =
    points), ``mes-greedy`` (completed by ``greedy-per-cost``)
ranked
    ``greedy``, ``greedy-per-cost``, ``mes``, ``mes-greedy``, counting each ballot's choices
    as points in one of two ways (``BallotRules.ranked_scoring``):

    ``RankedScoring.RANKS`` (the default, Devolve's ballot paper): rank points. With k ranks
    the 1st choice gets k points, the 2nd k-1, ..., the kth 1, whatever the ballot's length,
    and the rules count them exactly as the cumulative rules count points (pabutools'
    cardinal rules on those points). k is ``rules.max_choices``, or the most projects any
    ballot ranks when that is larger or there is no limit, so no ranked choice gets 0.
    ``RankedScoring.BORDA`` (pabutools' Borda satisfaction, for rounds frozen with it and
    pabulib conformance): ``greedy`` by positional score (a ballot of length L gives
    L, L-1, ..., 1), ``greedy-per-cost`` by Borda score per cost (L-1, ..., 0), ``mes`` with
    Borda satisfaction, ``mes-greedy`` completed by ``greedy-per-cost``; a ballot's last
    choice carries no weight except in ``greedy``.

    Also ``plurality`` and ``irv`` (one winner, ``votes.single_winner``), which use only the
    order of the choices.

Every outcome explains every project in plain English, with the facts behind each sentence in
``details``; ``language`` (a code with a catalogue in ``votes/locale``, or a
``votes.i18n.Translator``) writes the sentences in another language, and each explanation's
``reason_in(language)`` writes them in any. Money in sentences is formatted by ``money``
(default: plain numbers in the election's own units, e.g. "12,000" or "3.10"); Devolve passes a
pence-to-pounds formatter.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction

from votes._gc import paused_collection
from votes.i18n import Translator, translator, unnamed
from votes.model import (
    BallotKind,
    Election,
    Outcome,
    ProjectExplanation,
    RankedScoring,
    TieBreak,
)
from votes.rules.explain import MoneyFormat, frac, plain_money
from votes.rules.profile import Profile, build_profile

__all__ = ["RULES", "tally", "plain_money"]

_APPROVAL = (
    "greedy",
    "greedy-per-cost",
    "mes",
    "mes-cardinality",
    "mes-greedy",
    "mes-add1",
    "phragmen",
    "max-welfare",
)
_SCORED = ("greedy", "greedy-per-cost", "mes", "mes-greedy")
_SINGLE_WINNER = ("plurality", "irv")

RULES: Mapping[BallotKind, tuple[str, ...]] = {
    BallotKind.APPROVAL: _APPROVAL + _SINGLE_WINNER,
    BallotKind.KNAPSACK: _APPROVAL + _SINGLE_WINNER,
    BallotKind.SINGLE: _APPROVAL + _SINGLE_WINNER,
    BallotKind.CUMULATIVE: _SCORED,
    BallotKind.RANKED: _SCORED + _SINGLE_WINNER,
}

_APPROVAL_KINDS = (BallotKind.APPROVAL, BallotKind.KNAPSACK, BallotKind.SINGLE)


def tally(
    election: Election,
    rule: str,
    tie_break: TieBreak = TieBreak.COST_VOTES,
    *,
    money: MoneyFormat | None = None,
    language: str | Translator | None = None,
) -> Outcome:
    """Count ``election`` with ``rule`` (see ``RULES``); exact ties are broken by ``tie_break``.
    The explanations' ``reason`` is in ``language`` (default English).

    Raises ``ValueError`` for a rule the election's ballot kind does not have (naming the
    valid ones) or a ballot that names a project the election does not have.
    """
    kind = election.kind
    valid = RULES.get(kind, ())
    if rule not in valid:
        raise ValueError(
            f"unknown rule {rule!r} for {kind} ballots; valid rules: {', '.join(valid)}"
        )
    tie_break = TieBreak(tie_break)
    if rule in ("plurality", "irv"):
        from votes import single_winner

        return getattr(single_winner, rule)(election, tie_break, language=language)
    fmt = money or plain_money
    # A count allocates many short-lived objects next to a large election (one tuple per
    # ballot): the cyclic garbage collector would keep walking the election for nothing.
    # Nothing here makes reference cycles, so collection pauses until the count is done.
    with paused_collection():
        profile = build_profile(election)
        profile.names = [p.name or unnamed(p.id) for p in election.projects]
        selected, explanations = _count(profile, election, rule, tie_break, fmt)
        return _outcome(
            election, profile, rule, tie_break, selected, explanations, translator(language)
        )


def _count(profile: Profile, election: Election, rule: str, tie_break: TieBreak, fmt: MoneyFormat):
    # Each rule's module is imported when it is used, so one count loads only its own rule.
    kind = election.kind
    approval = kind in _APPROVAL_KINDS
    borda = kind == BallotKind.RANKED and election.rules.ranked_scoring == RankedScoring.BORDA
    if approval:
        base = "approval"
    elif kind == BallotKind.CUMULATIVE:
        base = "points"
    else:
        # Rank points are counted exactly as cumulative points are; Borda keeps pabutools'
        # scores (positional for greedy, Borda for the others) for rounds frozen with it.
        base = "borda" if borda else "ranks"
    if rule in ("greedy", "greedy-per-cost"):
        from votes.rules import greedy
    if rule == "greedy":
        return greedy.greedy(profile, "positional" if borda else base, False, tie_break, fmt)
    if rule == "greedy-per-cost":
        return greedy.greedy(profile, base, True, tie_break, fmt)
    if rule.startswith("mes"):
        from votes.rules import mes
    if rule in ("mes", "mes-greedy", "mes-add1"):
        completion = None
        if rule == "mes-greedy":
            # The completion uses the same satisfaction as MES: approvals for cost
            # satisfaction, points (rank points, or Borda score) per cost otherwise.
            completion = ("approval", False) if approval else (base, True)
        return mes.equal_shares(
            profile, base, approval, tie_break, fmt, completion, add1=rule == "mes-add1"
        )
    if rule == "mes-cardinality":
        return mes.equal_shares(profile, "approval", False, tie_break, fmt)
    if rule == "phragmen":
        from votes.rules import phragmen

        return phragmen.phragmen(profile, tie_break, fmt)
    if rule == "max-welfare":
        from votes.rules import welfare

        return welfare.max_welfare(profile, tie_break, fmt)
    raise AssertionError(rule)  # pragma: no cover - RULES and this function agree


def _outcome(
    election: Election,
    profile: Profile,
    rule: str,
    tie_break: TieBreak,
    selected: list[int],
    explanations: dict[int, ProjectExplanation],
    t: Translator,
) -> Outcome:
    chosen = set(selected)
    out = []
    for i, project in enumerate(election.projects):
        e = explanations[i]
        details = {"rule": rule, "cost": frac(project.cost), **dict(e.details)}
        reason = t.render(e.message)
        out.append(ProjectExplanation(project.id, i in chosen, reason, details, e.message))
    return Outcome(
        rule=rule,
        tie_break=tie_break,
        budget=Fraction(election.budget),
        selected=tuple(profile.ids[p] for p in selected),
        total_cost=sum((Fraction(election.projects[p].cost) for p in selected), Fraction(0)),
        explanations=tuple(out),
    )
