"""The published results page of each kind of count says what the count did, in figures that
agree with each other: votes and points beside explanations that use the same numbers, and for
Equal Shares the shares voters held, each project's effective support and where the money went."""

import json
from fractions import Fraction

from sqlalchemy import select

from app.web.extensions import db as _db
from app.workflow.models import Phase, PotResult
from tests.app.closed_round import closed_round
from tests.app.pages import get_page
from votes.ballot import format_money
from votes.rules.explain import percent


def page_and_document(client, **round_args):
    funding_round = closed_round(phase=Phase.PUBLISHED, **round_args)
    result = _db.session.scalar(select(PotResult).where(PotResult.round_id == funding_round.id))
    base = f"/councils/{funding_round.council.slug}/rounds/{funding_round.slug}/results"
    page = get_page(client, f"{base}/{result.pot_id}")
    return page, json.loads(result.outcome_json)


def text(el) -> str:
    return " ".join(el.get_text().split())


def table(page) -> tuple[list[str], dict[str, dict[str, str]]]:
    headers = [text(th) for th in page.select("#results-table thead th")]
    rows = {}
    for tr in page.select("#results-table tbody tr"):
        cells = [text(c) for c in tr.select("th, td")]
        rows[cells[0]] = dict(zip(headers, cells, strict=True))
    return headers, rows


def explanations(page) -> dict[str, str]:
    out = {}
    for li in page.select("#funded li, #unfunded li"):
        if li.strong:
            out[text(li.strong)] = text(li)
    return out


def test_equal_shares_with_completion_shows_both_shares_and_effective_support(client, db):
    page, doc = page_and_document(client, kind="approval", rule="mes-add1")
    facts = doc["equal_shares"]
    started = format_money(Fraction(doc["budget_pence"], doc["ballots"]))
    assert facts["first_share_pence"] is not None
    assert text(page.select_one("#share-start dd")).startswith(
        f"{started}: the £50,000 divided equally between the 12 ballots."
    )
    used = text(page.select_one("#share-used dd"))
    assert Fraction(facts["share_pence"]) > Fraction(facts["first_share_pence"])
    assert used.startswith(format_money(Fraction(facts["share_pence"])))
    assert f"With {started} each" in used
    headers, rows = table(page)
    assert headers == ["Project", "Cost", "Votes", "Effective support", "Result"]
    said = explanations(page)
    for p in doc["projects"]:
        row = rows[p["name"]]
        support = percent(Fraction(p["effective_support"]))
        assert (row["Votes"], row["Effective support"]) == (str(p["votes"]), support)
        assert (row["Result"] == "Funded") == p["funded"]
        assert f"Effective support {support}" in said[p["name"]] if p["funded"] else True
        if not p["funded"]:
            assert f"{support} effective support" in said[p["name"]]
            # The money is followed to the projects it went to.
            assert "towards" in said[p["name"]] and "short of its cost" in said[p["name"]]
        assert f"The {p['votes']} voters who chose it" in said[p["name"]]
    assert "point" not in text(page.select_one("main"))


def test_ranked_equal_shares_shows_the_points_it_counted_beside_the_votes(client, db):
    page, doc = page_and_document(client, kind="ranked", rule="mes-greedy")
    headers, rows = table(page)
    assert headers == ["Project", "Cost", "Votes", "Points", "Effective support", "Result"]
    for p in doc["projects"]:
        assert p["points"] is not None
        row = rows[p["name"]]
        assert (row["Votes"], row["Points"]) == (str(p["votes"]), f"{p['points']:,}")
    terms = dict(
        zip(
            [text(t) for t in page.select("#table-terms dt")],
            [text(t) for t in page.select("#table-terms dd")],
            strict=True,
        )
    )
    assert terms["Points"].startswith("Points the count gave for each voter's ranking")
    assert "voters who gave it points" in terms["Effective support"]
    assert page.select_one("#completion")
    summary = text(page.select_one("#pot-summary"))
    assert "Method of Equal Shares, then most points per pound first" in summary


def test_greedy_results_keep_their_ranking_explanation_and_no_equal_shares_figures(client, db):
    page, doc = page_and_document(client, kind="approval", rule="greedy")
    assert page.select_one("#share-start") is None
    headers, rows = table(page)
    assert headers == ["Project", "Cost", "Votes", "Result"]
    said = explanations(page)
    first = next(p for p in doc["projects"] if p["funded"])
    assert (
        f"Funded. Ranked 1st by votes ({first['votes']} votes). £50,000 was left"
        in (said[first["name"]])
    )


def test_cumulative_greedy_counts_points_and_says_so(client, db):
    page, doc = page_and_document(client, kind="cumulative", rule="greedy")
    headers, rows = table(page)
    assert headers == ["Project", "Cost", "Votes", "Points", "Result"]
    said = explanations(page)
    for p in doc["projects"]:
        assert rows[p["name"]]["Points"] == f"{p['points']:,}"
        assert f"by points ({p['points']:,} point" in said[p["name"]]
    assert "Most points first" in text(page.select_one("#pot-summary"))
    figures = get_page(client, page.select("nav.govuk-breadcrumbs a")[-1]["href"])
    assert text(figures.select_one("#rule")).startswith("Counted with: Most points first.")
