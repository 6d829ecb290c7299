"""Tally on close: closing voting seals the log and counts every pot; `flask tally` re-runs the
count and gets the same result; publishing needs a count; results pages once published."""

import json

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from app.web.extensions import db
from app.workflow import results, rounds
from app.workflow.errors import DomainError
from app.workflow.models import Phase, PotResult
from ballots import box
from tests.app.closed_round import CONFIG, NOW, closed_round, officer
from tests.ballots.helpers import voting_round
from tests.conftest import owner_connection


@pytest.mark.parametrize("kind", sorted(CONFIG))
def test_closing_voting_counts_every_pot_with_the_rounds_rule(app, kind):
    funding_round = closed_round(kind=kind)
    [row] = db.session.scalars(select(PotResult)).all()
    head = box.log_head(db.session, funding_round.id)
    assert head.kind.value == "close"
    assert (row.rule, row.tie_break, row.ballot_count, row.withheld) == (
        "greedy",
        "cost-votes",
        12,
        False,
    )
    assert (row.manifest_hash, row.log_head_hash) == (funding_round.manifest_hash, head.entry_hash)
    outcome = json.loads(row.outcome_json)
    assert outcome["selected"]
    assert all(p["explanation"] for p in outcome["projects"])
    assert "£" in " ".join(p["explanation"] for p in outcome["projects"])


def test_mes_explanations_are_in_pounds(app):
    funding_round = closed_round(rule="mes")
    [row] = db.session.scalars(select(PotResult).where(PotResult.round_id == funding_round.id))
    text = " ".join(p["explanation"] for p in json.loads(row.outcome_json)["projects"])
    assert "£" in text and "pence" not in text


def test_the_cli_re_runs_the_tally_and_gets_the_same_result(app, runner):
    funding_round = closed_round()
    before = db.session.scalars(select(PotResult.outcome_json)).all()
    result = runner.invoke(args=["tally", str(funding_round.id)])
    assert result.exit_code == 0, result.output
    assert "12 ballots, greedy" in result.output
    db.session.expire_all()
    assert db.session.scalars(select(PotResult.outcome_json)).all() == before


def test_the_cli_refuses_while_voting_is_open_and_for_unknown_rounds(app, runner):
    funding_round, _ = voting_round()
    result = runner.invoke(args=["tally", str(funding_round.id)])
    assert result.exit_code == 1
    assert "only after voting has closed" in result.output
    assert db.session.scalars(select(PotResult)).all() == []
    assert "No round has the id 999" in runner.invoke(args=["tally", "999"]).output


def test_the_database_refuses_to_change_a_stored_result(app):
    """The app's own role may not UPDATE the table at all; its trigger stops even the owner."""
    closed_round()
    with (
        pytest.raises(DatabaseError, match="pot_results is append-only: UPDATE refused"),
        owner_connection() as conn,
    ):
        conn.execute(text("UPDATE pot_results SET outcome_json = replace(outcome_json, 'a', 'b')"))
    db.session.rollback()


def without_result_triggers(sql: str, **params: str) -> None:
    """Run ``sql`` as the tables' owner with pot_results' append-only trigger off (SQLite:
    dropped, in this test's own database file)."""
    with owner_connection() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE pot_results DISABLE TRIGGER pot_results_append_only"))
            conn.execute(text(sql), params)
            conn.execute(text("ALTER TABLE pot_results ENABLE TRIGGER pot_results_append_only"))
        else:
            conn.execute(text("DROP TRIGGER pot_results_no_update"))
            conn.execute(text("DROP TRIGGER pot_results_no_delete"))
            conn.execute(text(sql), params)


def test_a_re_run_that_differs_is_refused(app, runner):
    """Someone able to switch the database's trigger off gets past it, not past the count."""
    funding_round = closed_round()
    without_result_triggers(
        "UPDATE pot_results SET outcome_json = replace(outcome_json, :was, :now)",
        was='"funded":true',
        now='"funded":false',
    )
    result = runner.invoke(args=["tally", str(funding_round.id)])
    assert result.exit_code == 1
    assert "different result" in result.output


def test_the_published_fingerprints_cannot_move(app):
    funding_round = closed_round()
    assert funding_round.log_head_hash == box.log_head(db.session, funding_round.id).entry_hash
    for column, message in (
        ("manifest_hash", "manifest of a round cannot change"),
        ("manifest_json", "manifest of a round cannot change"),
        ("log_head_hash", "sealed ballot log head of a round cannot change"),
    ):
        setattr(funding_round, column, "0" * 64)
        with pytest.raises(DatabaseError, match=message):
            db.session.commit()
        db.session.rollback()
    db.session.refresh(funding_round)
    assert funding_round.manifest_hash == rounds.manifest_hash(funding_round.manifest_json)


def test_publishing_needs_a_stored_count(app):
    funding_round = closed_round()
    # Only past the append-only trigger: as if the count had never been stored.
    without_result_triggers("DELETE FROM pot_results")
    with pytest.raises(DomainError, match="votes have not been counted"):
        rounds.publish_results(
            db.session, funding_round, actor=officer(funding_round.council), now=NOW, confirmed=True
        )
    db.session.rollback()
    assert db.session.get(type(funding_round), funding_round.id).phase == Phase.CLOSED


def test_a_small_pot_is_counted_but_withheld(app):
    closed_round(ballots=3)
    row = db.session.scalar(select(PotResult))
    assert (row.ballot_count, row.withheld) == (3, True)


# --- Results pages ----------------------------------------------------------------------------


def test_results_pages_are_public_once_published_with_chart_table_and_explanations(client, db):
    from tests.app.pages import get_page

    funding_round = closed_round(kind="approval", phase=Phase.PUBLISHED)
    base = f"/councils/{funding_round.council.slug}/rounds/{funding_round.slug}/results"
    pot = funding_round.pots[0]
    figures = get_page(client, base + "/figures")
    assert "£30,000 of £50,000 allocated" in figures.select_one("#money").get_text()
    assert [td.get_text(strip=True) for td in figures.select("#turnout tbody td")] == [
        "12",
        "12",
        "100.0%",
    ]
    page = get_page(client, f"{base}/{pot.id}")
    svg = page.select_one("svg#support-chart")
    assert svg["role"] == "img" and svg.select_one("title").get_text()
    assert len(svg.select("g.bar")) == 3 and svg.select_one("#funding-line")
    rows = [
        [c.get_text(strip=True) for c in r.select("th, td")]
        for r in page.select("#results-table tbody tr")
    ]
    assert [r[3] for r in rows] == ["Funded", "Funded", "Not funded"]
    assert rows[0][:3] == ["Proposal " + rows[0][0].split()[-1], "£10,000", "12"]
    assert page.select("#funded li") and page.select("#unfunded li")
    assert "£" in page.select_one("#funded li").get_text()


def test_results_pages_do_not_exist_before_publication(client, db):
    funding_round = closed_round()
    base = f"/councils/{funding_round.council.slug}/rounds/{funding_round.slug}/results"
    assert client.get(base + "/figures").status_code == 404
    assert client.get(f"{base}/{funding_round.pots[0].id}").status_code == 404


def test_a_withheld_pot_page_says_why_without_figures(client, db):
    from tests.app.pages import get_page

    funding_round = closed_round(ballots=3, phase=Phase.PUBLISHED)
    base = f"/councils/{funding_round.council.slug}/rounds/{funding_round.slug}/results"
    page = get_page(client, f"{base}/{funding_round.pots[0].id}")
    assert page.select_one("#withheld")
    assert page.select_one("svg") is None and page.select_one("#results-table") is None


def test_what_if_compares_rules_for_officers_and_auditors_only(client, db):
    from app.workflow.models import Role
    from tests.app.pages import get_page, sign_in
    from tests.factories import PASSWORD, create_user

    funding_round = closed_round(kind="approval", phase=Phase.PUBLISHED, rule="mes")
    council = funding_round.council
    create_user(email="auditor@example.org", roles={council: Role.AUDITOR})
    create_user(email="resident@example.org", roles={council: Role.RESIDENT})
    db.session.commit()
    url = f"/auditors/{council.slug}/rounds/{funding_round.slug}/what-if"
    sign_in(client, "resident@example.org", PASSWORD)
    assert client.get(url).status_code == 403
    client.post("/auth/sign-out")
    sign_in(client, "auditor@example.org", PASSWORD)
    page = get_page(client, url)
    headers = [th.get_text(strip=True) for th in page.select("table.what-if thead th")]
    assert headers == [
        "Project",
        "Cost",
        "Method of Equal Shares (used)",
        "Most votes first",
        "Sequential Phragmén",
    ]
    assert len(page.select("table.what-if tbody tr")) == 3


def _voted_round():
    from datetime import date

    from tests.app.closed_round import ballots_for
    from tests.ballots.helpers import enrol, place

    funding_round, paper = voting_round(kind="approval", rule="greedy")
    hood = place(funding_round.council, name="Ward")
    pot = paper.pots[0]
    box.open_log(db.session, funding_round.id, funding_round.manifest_hash)
    for i, ballot in enumerate(ballots_for("approval", [p.id for p in pot.projects], 12)):
        entry = enrol(funding_round.council, hood, reference=f"legacy-{i}")
        box.cast(db.session, paper, entry, pot.id, ballot, today=date(2026, 5, 1))
    db.session.commit()
    return funding_round, pot


def _store_legacy(funding_round, pot, change=lambda document: None):
    """A result as an earlier version stored it: no format, other wording."""
    from ballots.paper import ballot_paper
    from votes.ballot import format_money
    from votes.rules import tally
    from votes.verify import canonical_json, result_document

    box.close_log(db.session, funding_round.id, funding_round.manifest_hash)
    funding_round.phase = Phase.CLOSED
    db.session.commit()
    election = box.stored_election(db.session, ballot_paper(funding_round.manifest_json), pot.id)
    document = result_document(election, tally(election, "greedy", money=format_money))
    del document["format"]
    for p in document["projects"]:
        p["explanation"] = "Worded as an earlier version worded it."
    change(document)
    db.session.add(
        PotResult(
            round_id=funding_round.id,
            pot_id=pot.id,
            rule="greedy",
            tie_break="cost-votes",
            manifest_hash=funding_round.manifest_hash,
            log_head_hash=box.log_head(db.session, funding_round.id).entry_hash,
            ballot_count=document["ballots"],
            withheld=False,
            outcome_json=canonical_json(document),
            computed_at=NOW,
        )
    )
    db.session.commit()


def test_a_result_stored_by_an_earlier_version_still_counts_the_same(app, runner):
    """``flask tally`` compares the count, not the wording, of a result stored before
    results had a format; the stored result is kept as it was."""
    funding_round, pot = _voted_round()
    _store_legacy(funding_round, pot)
    results.tally_round(db.session, funding_round, NOW)
    db.session.commit()
    result = runner.invoke(args=["tally", str(funding_round.id)])
    assert result.exit_code == 0, result.output
    stored = json.loads(db.session.scalar(select(PotResult)).outcome_json)
    assert "format" not in stored


def test_an_earlier_versions_result_with_another_count_is_refused(app):
    funding_round, pot = _voted_round()
    _store_legacy(funding_round, pot, lambda d: d.update(selected=d["selected"][::-1]))
    with pytest.raises(DomainError, match="different result"):
        results.tally_round(db.session, funding_round, NOW)
    db.session.rollback()


def _three_voters_rank_only_the_third_project(**frozen):

    from tests.ballots.helpers import enrol, place
    from votes.model import Ballot

    funding_round, paper = voting_round(kind="ranked", max_choices=3, rule="mes", **frozen)
    hood = place(funding_round.council, name="Ward")
    pot = paper.pots[0]
    box.open_log(db.session, funding_round.id, funding_round.manifest_hash)
    for i in range(3):
        entry = enrol(funding_round.council, hood, reference=f"only-c-{i}")
        box.cast(db.session, paper, entry, pot.id, Ballot((pot.projects[2].id,)), today=NOW.date())
    db.session.commit()
    rounds.change_phase(
        db.session, funding_round, target=Phase.CLOSED, expected=Phase.VOTING, actor=None, now=NOW
    )
    db.session.commit()
    row = db.session.scalar(select(PotResult).where(PotResult.round_id == funding_round.id))
    return pot, json.loads(row.outcome_json)


def test_a_new_ranked_round_counts_every_ranked_choice(app):
    """Three voters who all rank only the third project fund it: rank points give a lone 1st
    choice 3 points, where pabutools' Borda scoring gave it none."""
    pot, document = _three_voters_rank_only_the_third_project()
    assert document["selected"] == [pot.projects[2].id]
    assert [p["points"] for p in document["projects"]] == [0, 0, 9]


def test_a_ranked_round_frozen_before_rank_points_keeps_its_borda_count(app):
    pot, document = _three_voters_rank_only_the_third_project(manifest_without=("ranked_scoring",))
    assert document["selected"] == []
    assert "ranked it last, which scores no points" in document["projects"][2]["explanation"]
