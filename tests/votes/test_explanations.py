"""Every rule's explanations agree with the figures beside them, on generated elections of every
ballot kind: the counts and money a sentence states are the outcome's own (the result table of
``result_document``, the explanation's ``details``, or worked out from the ballots), funded
projects say so and unfunded ones do not, plurals are right, money is given per person only
where more than one person paid, and approval ballots never read of points."""

import random
import re
from fractions import Fraction

import pytest

from votes.ballot import format_money
from votes.model import Ballot, BallotKind, BallotRules, Election, Project, RankedScoring
from votes.rules import RULES, tally
from votes.rules.explain import percent
from votes.verify import result_document

KINDS = list(BallotKind)
BUDGETING = {"plurality", "irv"}
NAMES = ["Park benches", "Library books", "Bus shelter", "Skate park", "Tree planting", "Murals"]
# A count of one with a plural noun, anywhere in a sentence ("1 voters", "1 other ballots").
ONE_PLURAL = re.compile(
    r"(?<![\d,.£])1 (?:other )?(voters|ballots|points|votes|projects|supporters|others|"
    r"other funded projects)\b"
)
# Money per person where one person paid: "1 paid £5 each", "The one voter ... each".
ONE_EACH = re.compile(
    r"(?<![\d,.£])1 paid [^,;.]*? each\b(?! of)|[Tt]he one voter[^.]*? each\b(?! of)"
)


def generated(kind: BallotKind, rng: random.Random) -> Election:
    n_projects = rng.randint(1, 6)
    ids = [str(i) for i in rng.sample([1, 2, 3, 9, 10, 11], n_projects)]
    projects = tuple(
        Project(pid, Fraction(rng.choice([0, 1, 5, 10, 25]) * 100_00 + rng.randint(0, 3) * 33))
        for pid in ids
    )
    projects = tuple(Project(p.id, p.cost, name=NAMES[i]) for i, p in enumerate(projects))
    budget = Fraction(rng.randint(1, 60) * 100_00)
    k = rng.randint(1, n_projects)
    ballots = []
    for _ in range(rng.randint(0, 14)):
        if kind is BallotKind.SINGLE:
            chosen = [rng.choice(ids)]
        elif kind is BallotKind.RANKED:
            chosen = rng.sample(ids, rng.randint(1, k))
        else:
            chosen = rng.sample(ids, rng.randint(0, n_projects))
        if kind is BallotKind.KNAPSACK:
            while sum(next(p.cost for p in projects if p.id == c) for c in chosen) > budget:
                chosen.pop()
        points = tuple(rng.randint(1, 4) for _ in chosen) if kind is BallotKind.CUMULATIVE else ()
        ballots.append(Ballot(tuple(chosen), points))
    rules = BallotRules(
        kind,
        max_choices=k if kind is BallotKind.RANKED else None,
        ranked_scoring=rng.choice(list(RankedScoring)),
    )
    return Election(budget, projects, tuple(ballots), rules)


def elections(kind: BallotKind, n: int = 40):
    rng = random.Random(f"explanations-{kind}")
    return [generated(kind, rng) for _ in range(n)]


def money_in(text: str) -> list[str]:
    return re.findall(r"£[\d,]+(?:\.\d\d)?", text)


def check_common(election, outcome, doc) -> None:
    rows = {p["id"]: p for p in doc["projects"]}
    funded = set(outcome.selected)
    spent = sum((p.cost for p in election.projects if p.id in funded), Fraction(0))
    assert Fraction(doc["total_cost_pence"]) == spent == outcome.total_cost
    assert spent <= election.budget or outcome.rule in BUDGETING
    for e in outcome.explanations:
        row = rows[e.project_id]
        assert e.funded == row["funded"] == (e.project_id in funded)
        assert row["explanation"] == e.reason
        reason = e.reason
        assert not ONE_PLURAL.search(reason), reason
        assert not ONE_EACH.search(reason), reason
        assert "supporter" not in reason, reason
        if election.kind not in (BallotKind.CUMULATIVE, BallotKind.RANKED):
            assert "point" not in reason, reason
            assert row["points"] is None
        # Votes in the table are the ballots that chose the project.
        assert row["votes"] == sum(e.project_id in b.choices for b in election.ballots)
        if outcome.rule in BUDGETING:
            assert reason.startswith("Won") == e.funded, reason
        else:
            assert reason.startswith("Not funded") != e.funded, reason
            assert ("Funded" in reason or "funded" in reason) if e.funded else True


def check_greedy(election, outcome, doc) -> None:
    """Greedy: ranked Nth with the score the table shows; money left = budget - earlier costs."""
    rows = {p["id"]: p for p in doc["projects"]}
    steps = sorted(
        (e for e in outcome.explanations if e.details.get("phase") == "greedy"),
        key=lambda e: e.details["rank"],
    )
    left = election.budget
    for e in steps:
        d = e.details
        cost = election.project(e.project_id).cost
        assert Fraction(d["money_left"]) == left
        assert f"{format_money(left)} was left" in e.reason
        score = d["score"]
        unit = "vote" if d["score_measure"] == "approval" else "point"
        assert f"({score:,} {unit}{'' if score == 1 else 's'}" in e.reason, e.reason
        if unit == "vote":
            assert score == rows[e.project_id]["votes"]
        else:
            assert score == rows[e.project_id]["points"]
        if e.funded:
            left -= cost


def check_equal_shares(election, outcome, doc) -> None:
    rows = {p["id"]: p for p in doc["projects"]}
    n = len(election.ballots)
    points = election.kind in (BallotKind.CUMULATIVE, BallotKind.RANKED)
    facts = doc["equal_shares"]
    assert facts is not None and facts["ballots"] == n
    share = Fraction(facts["share_pence"])
    start = Fraction(facts["first_share_pence"] or facts["share_pence"])
    if n:
        assert start == election.budget / n
    assert share >= start
    for e in outcome.explanations:
        d, row = e.details, rows[e.project_id]
        cost = election.project(e.project_id).cost
        reason = e.reason
        supporters = d["supporters"]
        # The voters a sentence counts, and the ballots that chose it without points, add up
        # to the votes in the table.
        said = re.search(r"[Tt]he ([\d,]+|one) voters? who (chose it|gave it points)", reason)
        others = re.search(r"([\d,]+) other ballots? (ranked it last|chose it but)", reason)
        if said:
            count = 1 if said.group(1) == "one" else int(said.group(1).replace(",", ""))
            assert count == supporters, reason
            assert (said.group(2) == "gave it points") == points, reason
        extra = int(others.group(1).replace(",", "")) if others else 0
        if said:
            assert supporters + extra == row["votes"], reason
        if points:
            assert d["points"] == row["points"]
        if row["effective_support"] is not None:
            support = Fraction(row["effective_support"])
            assert percent(support) in reason
            # 100% or more exactly when Equal Shares funded it (the completion step funds
            # projects its supporters could not pay for).
            if d["phase"] == "mes":
                assert (support >= 1) == e.funded, reason
            else:
                assert support < 1 and e.funded
        if d["phase"] == "mes" and e.funded and d["round"]:
            assert Fraction(d["supporters_money"]) >= cost
            assert d["paid_full"] + d["paid_all_they_had"] == supporters
            if not points:
                paid = Fraction(d["price_per_supporter"]) * d["paid_full"]
                assert paid + Fraction(d["paid_all_they_had_total"]) == cost
            of = re.search(r"Of the ([\d,]+) voters", reason)
            if of:
                assert int(of.group(1).replace(",", "")) == supporters
        if not e.funded and supporters:
            left = Fraction(d["supporters_money_left"])
            paid = sum((Fraction(x["amount"]) for x in d["paid_towards"]), Fraction(0))
            assert Fraction(d["supporters_start_money"]) == share * supporters == paid + left
            assert left + Fraction(d["shortfall"]) == cost and left < cost
            assert f"{format_money(Fraction(d['shortfall']))} short of its cost of " in reason
            assert {x["project"] for x in d["paid_towards"]} <= set(outcome.selected)
            for x in d["paid_towards"][:1]:
                name = election.project(x["project"]).name
                assert name in reason or "other funded project" in reason
        if supporters == 0:
            assert not e.funded or cost == 0 or d["phase"] == "completion"
            assert "effective support" not in reason


def check_plurality(election, outcome, doc) -> None:
    """The votes a plurality sentence counts: first choices on ranked ballots, otherwise the
    ballots naming that one project only (the table's votes when no ballot names several)."""
    ranked = election.kind is BallotKind.RANKED
    several = 0 if ranked else sum(len(set(b.choices) - {""}) > 1 for b in election.ballots)
    for e in outcome.explanations:
        pid = e.project_id
        if election.kind is BallotKind.RANKED:
            counted = sum(bool(b.choices) and b.choices[0] == pid for b in election.ballots)
        else:
            counted = sum(set(b.choices) - {""} == {pid} for b in election.ballots)
        assert e.details["votes"] == counted
        if not several and not ranked:
            assert counted == next(p["votes"] for p in doc["projects"] if p["id"] == pid)
        said = re.search(r"with ([\d,]+) of [\d,]+ (first choices|votes)", e.reason)
        if said:
            assert int(said.group(1).replace(",", "")) == counted
            assert (said.group(2) == "first choices") == (election.kind is BallotKind.RANKED)
        if e.funded and several:
            assert f"{several:,} ballot" in e.reason


CASES = [(kind, rule) for kind in KINDS for rule in RULES[kind]]


@pytest.mark.parametrize(("kind", "rule"), CASES, ids=[f"{k}-{r}" for k, r in CASES])
def test_explanations_agree_with_the_figures(kind, rule):
    for election in elections(kind):
        try:
            outcome = tally(election, rule, money=format_money)
        except ValueError:
            # One-winner rules refuse ballots they cannot count (cumulative ones); nothing
            # else should refuse a generated election.
            assert rule in BUDGETING
            continue
        doc = result_document(election, outcome)
        check_common(election, outcome, doc)
        if rule in ("greedy", "greedy-per-cost", "mes-greedy"):
            check_greedy(election, outcome, doc)
        if rule == "plurality":
            check_plurality(election, outcome, doc)
        if rule.startswith("mes"):
            check_equal_shares(election, outcome, doc)
        else:
            assert doc["equal_shares"] is None
            assert all(p["effective_support"] is None for p in doc["projects"])


REAL = [
    "Netherlands_Assen_2024.pb",
    "Worldwide_Mechanical_Turk_Knapsack_8.pb",
    "Worldwide_Mechanical_Turk_Utilities_8.pb",
    "Worldwide_Mechanical_Turk_Ranking_value_8.pb",
    "Poland_Swiecie_2023.pb",
]


@pytest.mark.parametrize("name", REAL)
def test_explanations_agree_with_the_figures_on_real_elections(pabulib, name):
    """The same checks on real ballots (larger groups, capped payers over many rounds)."""
    from votes.pabulib import read

    election = read(pabulib / name)
    for rule in RULES[election.kind]:
        if rule in BUDGETING:
            continue
        outcome = tally(election, rule, money=format_money)
        doc = result_document(election, outcome)
        check_common(election, outcome, doc)
        if rule in ("greedy", "greedy-per-cost", "mes-greedy"):
            check_greedy(election, outcome, doc)
        if rule.startswith("mes"):
            check_equal_shares(election, outcome, doc)
