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
The message is in English unless ``validate_ballot(..., language=...)`` asks for another
language; ``Problem.in_language`` writes it in any (``votes.i18n``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction

from votes.i18n import Message, Translator, _, ngettext, number, translator, unnamed
from votes.model import Ballot, BallotKind, BallotRules, Project
from votes.text import money as format_money

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


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason a ballot is invalid.

    ``code``: one of :data:`CODES`. ``project_id``: the project concerned, or None when the
    problem is with the ballot as a whole. ``message``: a sentence for the resident, in the
    language ``validate_ballot`` was asked for (English by default). ``text``: the sentence
    before it is put into words (a ``votes.i18n`` text; not compared), which
    :meth:`in_language` writes in any language.
    """

    code: str
    message: str
    project_id: str | None = None
    text: Message | None = field(default=None, compare=False, repr=False)

    def in_language(self, language: str | Translator | None = None) -> str:
        """The message in ``language`` (a code such as "cy", or a ``votes.i18n.Translator``;
        None, and a language with no catalogue: English)."""
        if self.text is None:
            return self.message
        return translator(language).render(self.text)


def _duplicate(kind: BallotKind, project: object) -> Message:
    if kind is BallotKind.RANKED:
        # Translators: project: the name of a project the resident ranked twice.
        return _(
            "You ranked %(project)s more than once; each project can have only one rank.",
            project=project,
        )
    if kind is BallotKind.CUMULATIVE:
        # Translators: project: the name of a project the resident listed twice.
        return _(
            "You listed %(project)s more than once; give all its points in one place.",
            project=project,
        )
    # Translators: project: the name of a project the resident chose twice.
    return _("You chose %(project)s more than once; each project counts once.", project=project)


def _projects(n: int) -> Message:
    # Translators: a number of projects, inside a sentence ("Your ballot lists 3 projects").
    return ngettext("%(num)s project", "%(num)s projects", n)


def _too_many(kind: BallotKind, high: int, chosen: int) -> Message:
    counts = {"chosen": number(chosen)}
    if kind is BallotKind.SINGLE:
        # Translators: chosen: how many projects the resident chose.
        return _("You can choose only one project; you chose %(chosen)s.", **counts)
    if kind is BallotKind.RANKED:
        # Translators: num: the most projects a ballot may rank; chosen: how many it ranks.
        return ngettext(
            "You can rank at most %(num)s project; you ranked %(chosen)s.",
            "You can rank at most %(num)s projects; you ranked %(chosen)s.",
            high,
            **counts,
        )
    if kind is BallotKind.CUMULATIVE:
        # Translators: num: the most projects a ballot may give points to; chosen: how many
        # it gives points to.
        return ngettext(
            "You can give points to at most %(num)s project; you gave points to %(chosen)s.",
            "You can give points to at most %(num)s projects; you gave points to %(chosen)s.",
            high,
            **counts,
        )
    # Translators: num: the most projects a ballot may choose; chosen: how many it chooses.
    return ngettext(
        "You can choose at most %(num)s project; you chose %(chosen)s.",
        "You can choose at most %(num)s projects; you chose %(chosen)s.",
        high,
        **counts,
    )


def _too_few(kind: BallotKind, low: int, chosen: int) -> Message:
    counts = {"chosen": number(chosen)}
    if kind is BallotKind.SINGLE:
        return _("You have not chosen a project; please choose one.")
    if kind is BallotKind.RANKED and chosen == 0:
        # Translators: num: the fewest projects a ballot must rank.
        return ngettext(
            "Please rank at least %(num)s project; you have not ranked any.",
            "Please rank at least %(num)s projects; you have not ranked any.",
            low,
        )
    if kind is BallotKind.RANKED:
        # Translators: num: the fewest projects a ballot must rank; chosen: how many it ranks.
        return ngettext(
            "Please rank at least %(num)s project; you ranked %(chosen)s.",
            "Please rank at least %(num)s projects; you ranked %(chosen)s.",
            low,
            **counts,
        )
    if kind is BallotKind.CUMULATIVE and chosen == 0:
        # Translators: num: the fewest projects a ballot must give points to.
        return ngettext(
            "Please give points to at least %(num)s project; you have not given points to any.",
            "Please give points to at least %(num)s projects; you have not given points to any.",
            low,
        )
    if kind is BallotKind.CUMULATIVE:
        # Translators: num: the fewest projects a ballot must give points to; chosen: how many
        # it gives points to.
        return ngettext(
            "Please give points to at least %(num)s project; you gave points to %(chosen)s.",
            "Please give points to at least %(num)s projects; you gave points to %(chosen)s.",
            low,
            **counts,
        )
    if chosen == 0:
        # Translators: num: the fewest projects a ballot must choose.
        return ngettext(
            "Please choose at least %(num)s project; you have not chosen any.",
            "Please choose at least %(num)s projects; you have not chosen any.",
            low,
        )
    # Translators: num: the fewest projects a ballot must choose; chosen: how many it chooses.
    return ngettext(
        "Please choose at least %(num)s project; you chose %(chosen)s.",
        "Please choose at least %(num)s projects; you chose %(chosen)s.",
        low,
        **counts,
    )


def _blank(kind: BallotKind) -> Message:
    if kind is BallotKind.RANKED:
        return _("Your ballot is blank: please rank at least one project.")
    if kind is BallotKind.CUMULATIVE:
        return _("Your ballot is blank: please give points to at least one project.")
    return _("Your ballot is blank: please choose at least one project.")


def validate_ballot(
    ballot: Ballot,
    rules: BallotRules,
    projects: Iterable[Project] | Mapping[str, Project],
    budget: Fraction | int | None = None,
    *,
    money: Callable[[Fraction], str] = format_money,
    language: str | Translator | None = None,
) -> list[Problem]:
    """Every reason ``ballot`` is not a valid ballot under ``rules``; empty when it is valid.

    ``projects``: the pot's projects (a sequence, or a mapping id -> project). ``budget``: the
    pot's budget, which knapsack ballots may not exceed (ignored for other kinds; ``None`` means
    no limit). ``money``: how amounts are shown in messages (default: pence as pounds).
    ``language``: the messages' language (a code such as "cy", or a ``votes.i18n.Translator``;
    default English).

    Problems come in a fixed order: the shape of the points, then project by project in ballot
    order (blank, unknown, duplicate, points), then gaps in the ranking, then the counts, then
    the totals. A project chosen several times is reported once as a duplicate. Counts are of
    distinct projects, so a duplicate does not also make a ballot "too many".
    """
    by_id = projects if isinstance(projects, Mapping) else {p.id: p for p in projects}
    kind = rules.kind
    t = translator(language)
    problems: list[Problem] = []

    def problem(code: str, text: Message, project_id: str | None = None) -> None:
        problems.append(Problem(code, t.render(text), project_id, text))

    def name(pid: str) -> str | Message:
        p = by_id.get(pid)
        return p.name if p is not None and p.name else unnamed(pid)

    cumulative = kind is BallotKind.CUMULATIVE
    ranked = kind is BallotKind.RANKED
    points_ok = True
    if cumulative:
        if len(ballot.points) != len(ballot.choices):
            points_ok = False
            # Translators: a number of numbers, as in "2 numbers of points".
            numbers = ngettext("%(num)s number", "%(num)s numbers", len(ballot.points))
            problem(
                "points_mismatch",
                # Translators: projects: "3 projects"; numbers: "2 numbers" (of points).
                _(
                    "Your ballot lists %(projects)s but %(numbers)s of points; each project "
                    "you give points to needs exactly one number.",
                    projects=_projects(len(ballot.choices)),
                    numbers=numbers,
                ),
            )
    elif ballot.points:
        problem(
            "unexpected_points",
            _("This ballot is not for sharing out points; just choose projects."),
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
                problem("blank_choice", _("One of your choices is blank."), "")
            continue
        last_filled = rank
        if pid not in by_id:
            problem(
                "unknown_project",
                # Translators: choice: what the ballot names, quoted ("'12'").
                _(
                    "One of your choices (%(choice)s) is not a project in this vote.",
                    choice=repr(pid),
                ),
                pid,
            )
        if pid in seen:
            if pid not in reported_duplicate:
                reported_duplicate.add(pid)
                problem("duplicate", _duplicate(kind, name(pid)), pid)
        else:
            seen[pid] = rank
        if cumulative and points_ok:
            given = ballot.points[rank - 1]
            if given < 0:
                problem(
                    "negative_points",
                    # Translators: project: a project's name; points: the points given (below 0).
                    _(
                        "You gave %(project)s %(points)s points; points cannot be negative.",
                        project=name(pid),
                        points=number(given),
                    ),
                    pid,
                )
            cap = rules.max_points_per_project
            if cap is not None and given > cap:
                problem(
                    "points_cap",
                    # Translators: project: a project's name; num: the points given; cap: the most
                    # points a project can have.
                    ngettext(
                        "You gave %(project)s %(num)s point; a project can have at most %(cap)s.",
                        "You gave %(project)s %(num)s points; a project can have at most %(cap)s.",
                        given,
                        project=name(pid),
                        cap=number(cap),
                    ),
                    pid,
                )

    for rank in blanks:
        if rank < last_filled:
            problem(
                "rank_gap",
                # Translators: rank: the number of the rank left empty.
                _(
                    "You left rank %(rank)s empty but filled a later rank; please number your "
                    "choices 1, 2, 3 and so on without gaps.",
                    rank=rank,
                ),
            )

    chosen = len(seen)
    if kind is BallotKind.SINGLE:
        low, high = 1, 1
    else:
        low, high = rules.min_choices, rules.max_choices
    if high is not None and chosen > high:
        problem("too_many", _too_many(kind, high, chosen))
    if low is not None and chosen < low:
        problem("too_few", _too_few(kind, low, chosen))

    # A minimum number of choices already says so in its own words.
    if not rules.allow_blank and chosen == 0 and not any(p.code == "too_few" for p in problems):
        problem("blank_ballot", _blank(kind))

    if kind is BallotKind.KNAPSACK and budget is not None:
        total = sum((by_id[pid].cost for pid in seen if pid in by_id), Fraction(0))
        if total > budget:
            problem(
                "over_budget",
                # Translators: total, budget: money.
                _(
                    "The projects you chose cost %(total)s in total, but there is only "
                    "%(budget)s to spend; please remove something.",
                    total=money(total),
                    budget=money(Fraction(budget)),
                ),
            )

    if cumulative and points_ok and rules.points is not None:
        total_points = sum(ballot.points)
        if total_points > rules.points:
            problem(
                "points_total",
                # Translators: num: the points the ballot gives; points: the points there are.
                ngettext(
                    "You gave %(num)s point in total but have only %(points)s to share out.",
                    "You gave %(num)s points in total but have only %(points)s to share out.",
                    total_points,
                    points=number(rules.points),
                ),
            )
        elif rules.require_all_points and total_points < rules.points:
            problem(
                "points_total",
                # Translators: used: the points the ballot gives; num: the points there are, all of
                # which must be given.
                ngettext(
                    "You have used %(used)s of your %(num)s point; please use all %(num)s.",
                    "You have used %(used)s of your %(num)s points; please use all %(num)s.",
                    rules.points,
                    used=number(total_points),
                ),
            )
    return problems
