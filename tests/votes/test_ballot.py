"""Ballot validation: a table with every problem code, and generated ballots that are valid by
construction and stay caught after any rule-breaking change."""

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from votes.ballot import CODES, Problem, format_money, validate_ballot
from votes.model import Ballot, BallotKind, BallotRules, Project

# Costs in pence, as Devolve keeps them.
PROJECTS = (
    Project("park", Fraction(1_250_000), "Park benches"),
    Project("lib", Fraction(800_050), "Library books"),
    Project("bus", Fraction(300_000), "Bus shelter"),
    Project("art", Fraction(99), ""),
)
BUDGET = Fraction(2_000_000)

A, K, C, R, S = (
    BallotKind.APPROVAL,
    BallotKind.KNAPSACK,
    BallotKind.CUMULATIVE,
    BallotKind.RANKED,
    BallotKind.SINGLE,
)

CASES = [
    # (id, rules, ballot, expected [(code, project_id, message)])
    ("approval valid", BallotRules(A, 1, 3), Ballot(("park", "lib")), []),
    ("approval empty allowed", BallotRules(A), Ballot(()), []),
    (
        "blank ballot refused",
        BallotRules(A, allow_blank=False),
        Ballot(()),
        [("blank_ballot", None, "Your ballot is blank: please choose at least one project.")],
    ),
    (
        "blank ranked ballot refused",
        BallotRules(BallotKind.RANKED, max_choices=3, allow_blank=False),
        Ballot(("", "", "")),
        [("blank_ballot", None, "Your ballot is blank: please rank at least one project.")],
    ),
    (
        "blank ballot and a minimum: said once",
        BallotRules(A, 1, allow_blank=False),
        Ballot(()),
        [("too_few", None, "Please choose at least 1 project; you have not chosen any.")],
    ),
    (
        "unknown project",
        BallotRules(A),
        Ballot(("park", "zoo")),
        [("unknown_project", "zoo", "One of your choices ('zoo') is not a project in this vote.")],
    ),
    (
        "blank choice",
        BallotRules(A),
        Ballot(("park", "")),
        [("blank_choice", "", "One of your choices is blank.")],
    ),
    (
        "duplicate",
        BallotRules(A, max_choices=2),
        Ballot(("park", "lib", "park", "park")),
        [("duplicate", "park", "You chose Park benches more than once; each project counts once.")],
    ),
    (
        "too many",
        BallotRules(A, max_choices=2),
        Ballot(("park", "lib", "bus")),
        [("too_many", None, "You can choose at most 2 projects; you chose 3.")],
    ),
    (
        "too many, one allowed",
        BallotRules(A, max_choices=1),
        Ballot(("park", "lib")),
        [("too_many", None, "You can choose at most 1 project; you chose 2.")],
    ),
    (
        "too few",
        BallotRules(A, min_choices=2),
        Ballot(("park",)),
        [("too_few", None, "Please choose at least 2 projects; you chose 1.")],
    ),
    (
        "too few, none",
        BallotRules(A, min_choices=1),
        Ballot(()),
        [("too_few", None, "Please choose at least 1 project; you have not chosen any.")],
    ),
    (
        "unexpected points",
        BallotRules(A),
        Ballot(("park",), (3,)),
        [
            (
                "unexpected_points",
                None,
                "This ballot is not for sharing out points; just choose projects.",
            )
        ],
    ),
    ("knapsack fits", BallotRules(K), Ballot(("park", "bus", "art")), []),
    (
        "over budget",
        BallotRules(K),
        Ballot(("park", "lib")),
        [
            (
                "over_budget",
                None,
                "The projects you chose cost £20,500.50 in total, but there is only £20,000 to "
                "spend; please remove something.",
            )
        ],
    ),
    (
        "over budget counts a duplicate once",
        BallotRules(K),
        Ballot(("park", "park")),
        [("duplicate", "park", "You chose Park benches more than once; each project counts once.")],
    ),
    (
        "cumulative valid",
        BallotRules(C, points=10, max_points_per_project=6),
        Ballot(("park", "lib"), (6, 4)),
        [],
    ),  # fmt: skip
    (
        "cumulative may leave points",
        BallotRules(C, points=10, require_all_points=False),
        Ballot(("park",), (3,)),
        [],
    ),
    (
        "points over total",
        BallotRules(C, points=10),
        Ballot(("park", "lib"), (8, 4)),
        [("points_total", None, "You gave 12 points in total but have only 10 to share out.")],
    ),
    (
        "points not all used",
        BallotRules(C, points=10, require_all_points=True),
        Ballot(("park", "lib"), (5, 3)),
        [("points_total", None, "You have used 8 of your 10 points; please use all 10.")],
    ),
    (
        "points cap",
        BallotRules(C, points=10, max_points_per_project=5),
        Ballot(("park", "lib"), (7, 3)),
        [("points_cap", "park", "You gave Park benches 7 points; a project can have at most 5.")],
    ),
    (
        "negative points",
        BallotRules(C, points=10, require_all_points=False),
        Ballot(("park", "lib"), (-2, 3)),
        [
            (
                "negative_points",
                "park",
                "You gave Park benches -2 points; points cannot be negative.",
            )
        ],
    ),
    (
        "points mismatch",
        BallotRules(C, points=10),
        Ballot(("park", "lib"), (10,)),
        [
            (
                "points_mismatch",
                None,
                "Your ballot lists 2 projects but 1 number of points; each project you give "
                "points to needs exactly one number.",
            )
        ],
    ),
    (
        "cumulative duplicate, unnamed project",
        BallotRules(C, points=10),
        Ballot(("art", "art"), (5, 5)),
        [
            (
                "duplicate",
                "art",
                "You listed project art more than once; give all its points in one place.",
            )
        ],  # noqa: E501
    ),
    (
        "cumulative too many",
        BallotRules(C, points=10, max_choices=1),
        Ballot(("park", "lib"), (5, 5)),
        [("too_many", None, "You can give points to at most 1 project; you gave points to 2.")],
    ),
    ("ranked valid", BallotRules(R, max_choices=3), Ballot(("bus", "park", "lib")), []),
    ("ranked unfilled at the end", BallotRules(R, max_choices=3), Ballot(("bus", "", "")), []),
    (
        "rank gap",
        BallotRules(R, max_choices=4),
        Ballot(("bus", "", "", "lib")),
        [
            (
                "rank_gap",
                None,
                "You left rank 2 empty but filled a later rank; please number "
                "your choices 1, 2, 3 and so on without gaps.",
            ),
            (
                "rank_gap",
                None,
                "You left rank 3 empty but filled a later rank; please number "
                "your choices 1, 2, 3 and so on without gaps.",
            ),
        ],
    ),  # fmt: skip
    (
        "ranked duplicate",
        BallotRules(R),
        Ballot(("bus", "bus")),
        [
            (
                "duplicate",
                "bus",
                "You ranked Bus shelter more than once; each project can have only one rank.",
            )
        ],  # noqa: E501
    ),
    (
        "ranked too many",
        BallotRules(R, max_choices=2),
        Ballot(("bus", "park", "lib")),
        [("too_many", None, "You can rank at most 2 projects; you ranked 3.")],
    ),
    (
        "ranked too few",
        BallotRules(R, min_choices=3, max_choices=3),
        Ballot(("bus",)),
        [("too_few", None, "Please rank at least 3 projects; you ranked 1.")],
    ),
    ("single valid", BallotRules(S), Ballot(("lib",)), []),
    (
        "single none",
        BallotRules(S),
        Ballot(()),
        [("too_few", None, "You have not chosen a project; please choose one.")],
    ),
    (
        "single two, whatever the rules say",
        BallotRules(S, max_choices=5),
        Ballot(("lib", "bus")),
        [("too_many", None, "You can choose only one project; you chose 2.")],
    ),
    (
        "several problems at once",
        BallotRules(K, max_choices=2),
        Ballot(("park", "zoo", "lib", "park", "bus"), (1,)),
        [
            ("unexpected_points", None, None),
            ("unknown_project", "zoo", None),
            ("duplicate", "park", None),
            ("too_many", None, "You can choose at most 2 projects; you chose 4."),
            ("over_budget", None, None),
        ],
    ),
]


@pytest.mark.parametrize(("rules", "ballot", "expected"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])  # fmt: skip
def test_validate_ballot(rules: BallotRules, ballot: Ballot, expected: list) -> None:
    problems = validate_ballot(ballot, rules, PROJECTS, BUDGET)
    assert [(p.code, p.project_id) for p in problems] == [(c, pid) for c, pid, _ in expected]
    for problem, (_, _, message) in zip(problems, expected, strict=True):
        if message is not None:
            assert problem.message == message
        assert problem.code in CODES


def test_every_code_is_in_the_table() -> None:
    tested = {code for *_, expected in CASES for code, _, _ in expected}
    assert tested == set(CODES)


def test_problems_are_small_frozen_values() -> None:
    p = Problem("duplicate", "You chose X twice.", "x")
    with pytest.raises(AttributeError):
        p.code = "other"  # type: ignore[misc]
    assert p == Problem("duplicate", "You chose X twice.", "x")


def test_projects_may_be_a_mapping_and_money_a_formatter() -> None:
    by_id = {p.id: p for p in PROJECTS}
    problems = validate_ballot(
        Ballot(("park", "lib")),
        BallotRules(K),
        by_id,
        BUDGET,
        money=lambda x: f"{x} PLN",
    )
    assert problems[0].message.startswith("The projects you chose cost 2050050 PLN")


def test_budget_none_means_no_limit() -> None:
    assert validate_ballot(Ballot(("park", "lib")), BallotRules(K), PROJECTS, None) == []


@pytest.mark.parametrize(
    ("pence", "text"),
    [
        (0, "£0"),
        (1, "£0.01"),
        (99, "£0.99"),
        (100, "£1"),
        (1_250_000, "£12,500"),
        (1_250_050, "£12,500.50"),
        (123_456_789, "£1,234,567.89"),
        (Fraction(1001, 2), "£5.01"),  # half a penny rounds up
        (Fraction(2001, 4), "£5"),
        (-525, "-£5.25"),
    ],
)
def test_format_money(pence: Fraction | int, text: str) -> None:
    assert format_money(pence) == text


# -- generated ballots -------------------------------------------------------------------------

IDS = [f"p{i}" for i in range(8)]


@st.composite
def valid_cases(draw: st.DrawFn) -> tuple[Ballot, BallotRules, tuple[Project, ...], Fraction]:
    """A ballot and rules it satisfies, built from the ballot outwards."""
    n = draw(st.integers(1, len(IDS)))
    cost = st.integers(0, 10**7).map(Fraction)
    projects = tuple(
        Project(pid, draw(cost), draw(st.sampled_from(["", pid.upper()]))) for pid in IDS[:n]
    )
    kind = draw(st.sampled_from(list(BallotKind)))
    ids = [p.id for p in projects]
    if kind is BallotKind.SINGLE:
        chosen = [draw(st.sampled_from(ids))]
    else:
        chosen = draw(st.lists(st.sampled_from(ids), unique=True))
    k = len(chosen)
    low = draw(st.none() | st.integers(0, k))
    high = draw(st.none() | st.integers(k, n + 1))
    points: tuple[int, ...] = ()
    total_points = cap = None
    require_all = True
    if kind is BallotKind.CUMULATIVE:
        points = tuple(draw(st.integers(0, 20)) for _ in chosen)
        require_all = draw(st.booleans())
        total_points = sum(points) + (0 if require_all else draw(st.integers(0, 10)))
        cap = draw(st.none() | st.integers(max(points, default=0), 30))
    cost = sum(p.cost for p in projects if p.id in chosen)
    budget = cost + draw(st.integers(0, 10**6))
    rules = BallotRules(kind, low, high, total_points, cap, require_all)
    return Ballot(tuple(chosen), points), rules, projects, budget


@settings(max_examples=300, deadline=None)
@given(valid_cases())
def test_a_valid_ballot_validates_clean(case: tuple) -> None:
    ballot, rules, projects, budget = case
    assert validate_ballot(ballot, rules, projects, budget) == []


@settings(max_examples=400, deadline=None)
@given(valid_cases(), st.data())
def test_any_rule_breaking_change_is_caught(case: tuple, data: st.DataObject) -> None:
    ballot, rules, projects, budget = case
    choices, points = list(ballot.choices), list(ballot.points)
    kind = rules.kind
    cumulative = kind is BallotKind.CUMULATIVE
    ids = [p.id for p in projects]
    unused = [pid for pid in ids if pid not in choices]

    mutations = ["unknown_project", "too_few"]
    if choices:
        mutations.append("duplicate")
        if kind is not BallotKind.SINGLE:
            mutations.append("too_many")
    if kind is BallotKind.SINGLE and unused:
        mutations.append("too_many_single")
    if kind is BallotKind.KNAPSACK and sum(p.cost for p in projects if p.id in choices) > 0:
        mutations.append("over_budget")
    if cumulative:
        mutations += ["points_mismatch", "points_total_over"]
        if rules.require_all_points and unused:
            mutations.append("points_total_under")
        if choices:
            mutations.append("negative_points")
        if points and max(points) > 0:
            mutations.append("points_cap")
    elif kind is not BallotKind.RANKED:
        mutations.append("unexpected_points")
    if kind is BallotKind.RANKED and choices:
        mutations.append("rank_gap")
    mutation = data.draw(st.sampled_from(mutations))

    expected = mutation.removesuffix("_single").removesuffix("_over").removesuffix("_under")
    if mutation == "unknown_project":
        at = data.draw(st.integers(0, len(choices)))
        choices.insert(at, "nowhere")
        if cumulative:
            points.insert(at, 0)
    elif mutation == "too_few":
        if kind is BallotKind.SINGLE:
            choices, points = [], []
        else:
            rules = BallotRules(kind, len(choices) + 1, None, rules.points,
                                rules.max_points_per_project, rules.require_all_points)  # fmt: skip
    elif mutation == "duplicate":
        at = data.draw(st.integers(0, len(choices) - 1))
        choices.append(choices[at])
        if cumulative:
            points.append(0)
    elif mutation == "too_many":
        rules = BallotRules(kind, None, len(choices) - 1, rules.points,
                            rules.max_points_per_project, rules.require_all_points)  # fmt: skip
    elif mutation == "too_many_single":
        choices.append(data.draw(st.sampled_from(unused)))
    elif mutation == "over_budget":
        budget = sum(p.cost for p in projects if p.id in choices) - 1
    elif mutation == "points_mismatch":
        if points:
            points.pop()
        else:
            points.append(1)
    elif mutation == "points_total_over":
        rules = BallotRules(kind, rules.min_choices, rules.max_choices, sum(points) - 1,
                            None, rules.require_all_points)  # fmt: skip
    elif mutation == "points_total_under":
        rules = BallotRules(kind, rules.min_choices, rules.max_choices, sum(points) + 1,
                            None, True)  # fmt: skip
    elif mutation == "negative_points":
        at = data.draw(st.integers(0, len(choices) - 1))
        points[at] = -data.draw(st.integers(1, 5))
    elif mutation == "points_cap":
        rules = BallotRules(kind, rules.min_choices, rules.max_choices, rules.points,
                            max(points) - 1, rules.require_all_points)  # fmt: skip
    elif mutation == "unexpected_points":
        points = [1] * max(1, len(choices))
    elif mutation == "rank_gap":
        at = data.draw(st.integers(0, len(choices) - 1))
        choices.insert(at, "")

    problems = validate_ballot(Ballot(tuple(choices), tuple(points)), rules, projects, budget)
    assert expected in {p.code for p in problems}, (mutation, problems)
