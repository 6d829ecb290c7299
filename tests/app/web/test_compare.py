"""The public comparison of rules once results are published: each pot counted with the round's
rule, greedy, Equal Shares and (for approval-type ballots) Phragmén from the same stored
ballots; what each funds, how voters fare, and for a council-wide pot the money per
neighbourhood. Nothing before publication, nothing per project for a withheld pot."""

from __future__ import annotations

from fractions import Fraction

import pytest

from app.web.extensions import db
from app.workflow import results
from app.workflow.errors import WrongPhase
from app.workflow.models import Phase
from ballots.paper import PotPaper
from tests.app.closed_round import closed_round
from tests.app.pages import get_page
from tests.factories import create_neighbourhood, create_user
from votes.model import Ballot, BallotKind, BallotRules, Election, Project, TieBreak

# Budget £100; A and B £50 each, C £36. Six voters want A and B, four want only C, one ballot
# is blank (its share of the budget, £100/11, still counts for Equal Shares). Most votes first
# funds A and B and leaves the four with nothing; Equal Shares and Phragmén fund A and C.
PROJECTS = (
    Project("1", Fraction(50_00), "A"),
    Project("2", Fraction(50_00), "B"),
    Project("3", Fraction(36_00), "C"),
)
BALLOTS = (Ballot(("1", "2")),) * 6 + (Ballot(("3",)),) * 4 + (Ballot(()),)
POT = PotPaper(id=7, name="Everywhere", neighbourhood=None, budget_pence=100_00, projects=PROJECTS)


def election(kind: BallotKind = BallotKind.APPROVAL) -> Election:
    return Election(Fraction(100_00), PROJECTS, BALLOTS, BallotRules(kind=kind))


def test_each_rule_funds_its_own_projects_and_the_voters_figures_follow():
    pot = results.compare_pot(election(), POT, "greedy", TieBreak.COST_VOTES)
    assert pot.rules == ("greedy", "mes", "phragmen")
    greedy, mes, phragmen = pot.outcomes
    assert greedy.funded == {"1", "2"} and greedy.spent_pence == 100_00
    assert mes.funded == phragmen.funded == {"1", "3"} and mes.spent_pence == 86_00
    # The blank ballot is not one of the voters with choices.
    assert (greedy.voters, greedy.none_funded, greedy.choices_funded) == (10, 4, 12)
    assert greedy.none_funded_share == Fraction(2, 5)
    assert greedy.average_funded == Fraction(6, 5)
    assert (mes.none_funded, mes.average_funded) == (0, 1)
    differs = {p.name: [p.differs(i) for i in range(3)] for p in pot.projects}
    assert differs == {"A": [False] * 3, "B": [False, True, True], "C": [False, True, True]}
    assert not pot.agree and not pot.council_wide and pot.spending == ()


def test_the_rounds_own_rule_comes_first_and_is_not_repeated():
    pot = results.compare_pot(election(), POT, "mes", TieBreak.COST_VOTES)
    assert pot.rules == ("mes", "greedy", "phragmen")
    assert [p.differs(1) for p in pot.projects] == [False, True, True]


def test_phragmen_is_only_beside_approval_type_ballots():
    ranked = results.compare_pot(election(BallotKind.RANKED), POT, "mes", TieBreak.COST_VOTES)
    assert ranked.rules == ("mes", "greedy")
    points = Election(
        Fraction(100_00),
        PROJECTS,
        (Ballot(("1", "3"), (3, 1)),) * 3,
        BallotRules(kind=BallotKind.CUMULATIVE, points=4),
    )
    assert results.compare_pot(points, POT, "greedy", TieBreak.COST_VOTES).rules == (
        "greedy",
        "mes",
    )


def test_a_council_wide_pot_sums_each_rules_money_by_neighbourhood():
    where = {"1": "Chadderton", "2": "Chadderton", "3": None}
    pot = results.compare_pot(election(), POT, "greedy", TieBreak.COST_VOTES, where)
    assert pot.council_wide
    assert [p.neighbourhood for p in pot.projects] == ["Chadderton", "Chadderton", None]
    rows = {r.neighbourhood: r.spent_pence for r in pot.spending}
    assert rows == {
        "Chadderton": (100_00, 50_00, 50_00),
        "Neighbourhood not known": (0, 36_00, 36_00),
    }
    assert [r.neighbourhood for r in pot.spending][-1] == "Neighbourhood not known"
    assert all(r.differs(1) for r in pot.spending)


# --- From the database ------------------------------------------------------------------------


def test_a_project_is_placed_by_its_location_else_by_its_proposer(app):
    funding_round = closed_round(phase=Phase.PUBLISHED)
    council = funding_round.council
    north = create_neighbourhood(council, name="North")
    create_neighbourhood(council, name="South")
    first, second, third = sorted(funding_round.proposals, key=lambda p: p.id)
    first.location = "The north park gates"
    second.location = "Between North and South"  # names two: the proposer decides
    second.author = create_user(home=north)
    third.author = create_user()  # no home neighbourhood: not known
    db.session.commit()
    where = results.project_neighbourhoods(
        db.session, funding_round, [str(p.id) for p in (first, second, third)]
    )
    assert where == {str(first.id): "North", str(second.id): "North", str(third.id): None}


def test_the_comparison_is_refused_before_publication(app):
    with pytest.raises(WrongPhase):
        results.compare_rules(db.session, closed_round())


def compare_url(funding_round) -> str:
    return f"/councils/{funding_round.council.slug}/rounds/{funding_round.slug}/results/compare"


def cells(row) -> list[str]:
    return [" ".join(c.get_text().split()) for c in row.select("th, td")]


def test_the_public_page_compares_each_rule_with_differences_in_words(client, db):
    funding_round = closed_round(kind="approval", phase=Phase.PUBLISHED, rule="mes")
    pot = funding_round.pots[0]
    page = get_page(client, compare_url(funding_round))
    assert page.h1.get_text(strip=True) == f"Other ways of counting: {funding_round.title}"
    table = page.select_one(f"#projects-{pot.id}")
    assert cells(table.select_one("thead tr")) == [
        "Project",
        "Cost",
        "Neighbourhood",
        "Method of Equal Shares (this round's rule)",
        "Most votes first",
        "Sequential Phragmén",
    ]
    rows = [cells(r) for r in table.select("tbody tr")]
    assert [r[1] for r in rows] == ["£10,000", "£20,000", "£30,000"]
    comparison = results.compare_rules(db.session, funding_round)[0]
    for row, project in zip(rows, comparison.projects, strict=True):
        for column, funded in enumerate(project.funded):
            text = "Funded" if funded else "Not funded"
            if project.differs(column):
                text += " (differs from this round's rule)"
            assert row[3 + column] == text
    # Every column of a stacked table is labelled for narrow screens.
    assert all(td.get("data-label") for td in table.select("tbody td"))
    voters = {r["data-rule"]: cells(r) for r in page.select(f"#voters-{pot.id} tbody tr")}
    assert list(voters) == ["mes", "greedy", "phragmen"]
    for outcome in comparison.outcomes:
        row = voters[outcome.rule]
        assert row[1] == str(len(outcome.funded))
        assert row[3].endswith(f"({outcome.none_funded} of {outcome.voters})")
        assert row[4] == f"{float(outcome.average_funded):.1f}"
    spending = page.select(f"#spending-{pot.id} tbody tr")
    assert [r["data-neighbourhood"] for r in spending] == ["Neighbourhood not known"]


def test_greedy_and_equal_shares_differ_on_the_page_when_they_do(client, db):
    """Twelve ballots favouring the first project: most votes first and Equal Shares agree or
    not as counted, and the page's words follow the count."""
    funding_round = closed_round(kind="approval", phase=Phase.PUBLISHED, rule="greedy")
    page = get_page(client, compare_url(funding_round))
    comparison = results.compare_rules(db.session, funding_round)[0]
    marked = len(page.select(".devolve-differs"))
    differing = sum(p.differs(i) for p in comparison.projects for i in range(len(p.funded)))
    differing += sum(r.differs(i) for r in comparison.spending for i in range(len(r.spent_pence)))
    assert marked == differing
    assert bool(page.select_one(".agree")) == comparison.agree


def test_a_ranked_round_is_compared_without_phragmen(client, db):
    funding_round = closed_round(kind="ranked", phase=Phase.PUBLISHED, rule="mes")
    page = get_page(client, compare_url(funding_round))
    voters = [r["data-rule"] for r in page.select("table.compare-voters tbody tr")]
    assert voters == ["mes", "greedy"]


def test_a_withheld_pot_shows_no_project_and_no_figures(client, db):
    funding_round = closed_round(ballots=3, phase=Phase.PUBLISHED)
    page = get_page(client, compare_url(funding_round))
    assert page.select_one(".withheld")
    assert page.select("table") == []
    assert "Proposal" not in page.select_one("main").get_text()


def test_nothing_before_publication(client, db):
    funding_round = closed_round()
    assert client.get(compare_url(funding_round)).status_code == 404
    assert funding_round.phase == Phase.CLOSED


def test_the_results_pages_link_to_the_comparison(client, db):
    funding_round = closed_round(kind="approval", phase=Phase.PUBLISHED)
    base = f"/councils/{funding_round.council.slug}/rounds/{funding_round.slug}"
    pot = funding_round.pots[0]
    target = compare_url(funding_round)
    for url in (f"{base}/results", f"{base}/results/figures", f"{base}/results/{pot.id}"):
        link = get_page(client, url).select_one("#compare-link")
        assert link["href"].startswith(target), url
    assert (
        get_page(client, f"{base}/results/{pot.id}")
        .select_one("#compare-link")["href"]
        .endswith(f"#pot-{pot.id}")
    )
