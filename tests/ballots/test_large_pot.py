"""Closing and counting a pot with more ballots than a statement can bind parameters for.

PostgreSQL refuses a statement with more than 65,535 bound parameters, so anything that
passes one parameter per ballot breaks there and nowhere else: the large pot runs on
PostgreSQL only (CI's second pass over tests/ballots). A small pot built the same way runs on
both databases.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.web.extensions import db
from app.workflow import rounds
from app.workflow.models import Phase, PotResult
from ballots import box
from ballots.models import LogKind
from tests.ballots.bulk import fill_pot
from tests.ballots.helpers import place, voting_round
from tests.factories import create_council

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
PROJECTS = 30


def close_filled_pot(ballots: int, replaced: int, runner) -> None:
    council = create_council()
    hood = place(council)
    costs = tuple(5_000_00 + 1_000_00 * i for i in range(PROJECTS))
    funding_round, paper = voting_round(
        council, costs=(costs,), budgets=(100_000_00,), max_choices=5
    )
    pot = paper.pots[0]
    counted = fill_pot(
        db.session, paper, pot, neighbourhood_id=hood.id, ballots=ballots, replaced=replaced
    )
    db.session.commit()

    # The app's own close: seal the log, then count every pot, in one transaction.
    rounds.change_phase(
        db.session, funding_round, target=Phase.CLOSED, expected=Phase.VOTING, actor=None, now=NOW
    )
    db.session.commit()

    head = box.log_head(db.session, funding_round.id)
    assert head.kind is LogKind.CLOSE
    assert head.sequence == 1 + ballots + 2 * replaced
    assert head.payload_hash == box.close_payload(ballots, ballots + replaced)
    assert funding_round.log_head_hash == head.entry_hash
    assert box.verify_log(db.session, funding_round.id) == []
    assert box.turnout(db.session, funding_round.id) == ballots

    result = db.session.scalar(select(PotResult).where(PotResult.round_id == funding_round.id))
    assert result.ballot_count == ballots
    assert result.log_head_hash == head.entry_hash
    outcome = json.loads(result.outcome_json)
    assert {p["id"]: p["votes"] for p in outcome["projects"]} == {
        p.id: counted[p.id] for p in pot.projects
    }
    assert outcome["selected"]

    # `flask tally` counts again from the sealed log and finds the stored result.
    again = runner.invoke(args=["tally", str(funding_round.id)])
    assert again.exit_code == 0, again.output
    assert f"{ballots:,} ballots" in again.output


@pytest.mark.slow
def test_a_pot_of_more_than_65535_ballots_closes_and_counts_on_postgresql(app, runner):
    if db.engine.dialect.name != "postgresql":
        pytest.skip(
            "the 65,535 bound-parameter limit is PostgreSQL's: this runs when DATABASE_URL "
            "points at PostgreSQL (CI's second pass)"
        )
    close_filled_pot(70_000, replaced=100, runner=runner)


def test_a_bulk_filled_pot_closes_and_counts(app, runner):
    close_filled_pot(2_000, replaced=25, runner=runner)
