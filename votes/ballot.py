"""Is a ballot valid for its pot? Every reason it is not, in words a resident can act on.

Ballot kinds (``BallotRules.kind``):

- approval: tick any projects; ``min_choices``/``max_choices`` bound how many.
- knapsack: approval whose ticked projects together cost at most the pot's budget.
- cumulative: share out ``points`` between projects, at most ``max_points_per_project`` each;
  with ``require_all_points`` every point must be used, otherwise using fewer is fine.
- ranked: number projects 1, 2, 3, ... best first, at most ``max_choices`` (k) of them, each
  once, with no gaps. A ballot's ``choices`` hold one entry per rank; an unfilled rank is an
  empty string, so ``("a", "", "c")`` has a gap at rank 2 (unfilled ranks at the end are fine).
- single-choice: exactly one project (whatever ``min_choices``/``max_choices`` say).

:func:`validate_ballot` returns a list of :class:`Problem`, empty when the ballot is valid. Each
problem has a stable ``code`` (one of :data:`CODES`) that callers may branch on, the project it
concerns (if any) and a ``message`` for the resident: projects are named by name, money is shown
in pounds (Devolve keeps costs in whole pence; see :func:`format_money`, ``votes.text.money``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction

from votes.model import Ballot, BallotKind, BallotRules, Project
from votes.text import money as format_money
from votes.text import plural

__all__ = ["CODES", "Problem", "format_money", "validate_ballot"]

CODES = (
    "unknown_project",  # a choice that is not a project of this pot
    "blank_choice",  # an empty choice on a ballot that is not ranked
    "duplicate",  # the same project chosen (or ranked, or given points) more than once
    "too_many",  # more projects than max_choices (single-choice: more than one)
    "too_few",  # fewer projects than min_choices (single-choice: none)
    "over_budget",  # knapsack: the chosen projects cost more than the pot
    "points_total",  # cumulative: more points than there are, or not all when all are required
    "points_cap",  # cumulative: more points on one project than the cap
    "negative_points",  # cumulative: fewer than zero points on a project
    "points_mismatch",  # cumulative: not one number of points per project chosen
    "unexpected_points",  # points on a ballot that is not cumulative
    "rank_gap",  # ranked: an unfilled rank before a filled one
    "blank_ballot",  # no project chosen where the rules do not allow blank ballots
)


_DUPLICATE = {
    BallotKind.RANKED: "You ranked {} more than once; each project can have only one rank.",
    BallotKind.CUMULATIVE: "You listed {} more than once; give all its points in one place.",
}
for _kind in BallotKind:
    _DUPLICATE.setdefault(_kind, "You chose {} more than once; each project counts once.")


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason a ballot is invalid.

    ``code``: one of :data:`CODES`. ``project_id``: the project concerned, or None when the
    problem is with the ballot as a whole. ``message``: a sentence for the resident.
    """

    code: str
    message: str
    project_id: str | None = None


def validate_ballot(
    ballot: Ballot,
    rules: BallotRules,
    projects: Iterable[Project] | Mapping[str, Project],
    budget: Fraction | int | None = None,
    *,
    money: Callable[[Fraction], str] = format_money,
) -> list[Problem]:
    """Every reason ``ballot`` is not a valid ballot under ``rules``; empty when it is valid.

    ``projects``: the pot's projects (a sequence, or a mapping id -> project). ``budget``: the
    pot's budget, which knapsack ballots may not exceed (ignored for other kinds; ``None`` means
    no limit). ``money``: how amounts are shown in messages (default: pence as pounds).

    Problems come in a fixed order: the shape of the points, then project by project in ballot
    order (blank, unknown, duplicate, points), then gaps in the ranking, then the counts, then
    the totals. A project chosen several times is reported once as a duplicate. Counts are of
    distinct projects, so a duplicate does not also make a ballot "too many".
    """
    by_id = projects if isinstance(projects, Mapping) else {p.id: p for p in projects}
    kind = rules.kind
    problems: list[Problem] = []

    def name(pid: str) -> str:
        p = by_id.get(pid)
        return p.name if p is not None and p.name else f"project {pid}"

    cumulative = kind is BallotKind.CUMULATIVE
    ranked = kind is BallotKind.RANKED
    points_ok = True
    if cumulative:
        if len(ballot.points) != len(ballot.choices):
            points_ok = False
            problems.append(
                Problem(
                    "points_mismatch",
                    f"Your ballot lists {plural(len(ballot.choices), 'project')} but "
                    f"{plural(len(ballot.points), 'number')} of points; each project you give "
                    "points to needs exactly one number.",
                )
            )
    elif ballot.points:
        problems.append(
            Problem(
                "unexpected_points",
                "This ballot is not for sharing out points; just choose projects.",
            )
        )

    seen: dict[str, int] = {}
    reported_duplicate: set[str] = set()
    blanks: list[int] = []  # ranks (1-based) left unfilled
    last_filled = 0
    for rank, pid in enumerate(ballot.choices, start=1):
        if not pid:
            if ranked:
                blanks.append(rank)
            else:
                problems.append(Problem("blank_choice", "One of your choices is blank.", ""))
            continue
        last_filled = rank
        if pid not in by_id:
            problems.append(
                Problem(
                    "unknown_project",
                    f"One of your choices ({pid!r}) is not a project in this vote.",
                    pid,
                )
            )
        if pid in seen:
            if pid not in reported_duplicate:
                reported_duplicate.add(pid)
                problems.append(Problem("duplicate", _DUPLICATE[kind].format(name(pid)), pid))
        else:
            seen[pid] = rank
        if cumulative and points_ok:
            given = ballot.points[rank - 1]
            if given < 0:
                problems.append(
                    Problem(
                        "negative_points",
                        f"You gave {name(pid)} {given:,} points; points cannot be negative.",
                        pid,
                    )
                )
            cap = rules.max_points_per_project
            if cap is not None and given > cap:
                problems.append(
                    Problem(
                        "points_cap",
                        f"You gave {name(pid)} {plural(given, 'point')}; "
                        f"a project can have at most {cap:,}.",
                        pid,
                    )
                )

    for rank in blanks:
        if rank < last_filled:
            problems.append(
                Problem(
                    "rank_gap",
                    f"You left rank {rank} empty but filled a later rank; "
                    "please number your choices 1, 2, 3 and so on without gaps.",
                )
            )

    chosen = len(seen)
    verb, past, participle = {
        BallotKind.RANKED: ("rank", "ranked", "ranked"),
        BallotKind.CUMULATIVE: ("give points to", "gave points to", "given points to"),
    }.get(kind, ("choose", "chose", "chosen"))
    if kind is BallotKind.SINGLE:
        low, high = 1, 1
    else:
        low, high = rules.min_choices, rules.max_choices
    if high is not None and chosen > high:
        if kind is BallotKind.SINGLE:
            text = f"You can choose only one project; you chose {chosen:,}."
        else:
            text = f"You can {verb} at most {plural(high, 'project')}; you {past} {chosen:,}."
        problems.append(Problem("too_many", text))
    if low is not None and chosen < low:
        if kind is BallotKind.SINGLE:
            text = "You have not chosen a project; please choose one."
        elif chosen == 0:
            text = (
                f"Please {verb} at least {plural(low, 'project')}; you have not {participle} any."
            )
        else:
            text = f"Please {verb} at least {plural(low, 'project')}; you {past} {chosen:,}."
        problems.append(Problem("too_few", text))

    # A minimum number of choices already says so in its own words.
    if not rules.allow_blank and chosen == 0 and not any(p.code == "too_few" for p in problems):
        problems.append(
            Problem("blank_ballot", f"Your ballot is blank: please {verb} at least one project.")
        )

    if kind is BallotKind.KNAPSACK and budget is not None:
        total = sum((by_id[pid].cost for pid in seen if pid in by_id), Fraction(0))
        if total > budget:
            problems.append(
                Problem(
                    "over_budget",
                    f"The projects you chose cost {money(total)} in total, but there is only "
                    f"{money(Fraction(budget))} to spend; please remove something.",
                )
            )

    if cumulative and points_ok and rules.points is not None:
        total_points = sum(ballot.points)
        if total_points > rules.points:
            problems.append(
                Problem(
                    "points_total",
                    f"You gave {plural(total_points, 'point')} in total but have only "
                    f"{rules.points:,} to share out.",
                )
            )
        elif rules.require_all_points and total_points < rules.points:
            problems.append(
                Problem(
                    "points_total",
                    f"You have used {total_points:,} of your {plural(rules.points, 'point')}; "
                    f"please use all {rules.points:,}.",
                )
            )
    return problems
