"""A stored pot result is append-only in the database itself (migration
0013_append_only_results): UPDATE and DELETE are refused by the same trigger as the ballot box
and the audit trail, on SQLite and on PostgreSQL, even to the tables' owner, and so is a
cascade from deleting its pot."""

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DatabaseError

from app.web.extensions import db
from app.workflow.models import Pot, PotResult
from tests.app.closed_round import closed_round
from tests.app.workflow.test_migrations import database_at
from tests.conftest import owner_connection


def stored_results() -> list[tuple]:
    return [
        tuple(r) for r in db.session.execute(select(PotResult.id, PotResult.outcome_json)).all()
    ]


@pytest.mark.parametrize(
    ("statement", "refused"),
    [
        (lambda: update(PotResult).values(outcome_json="{}"), "UPDATE"),
        (lambda: update(PotResult).values(ballot_count=PotResult.ballot_count + 1), "UPDATE"),
        (lambda: delete(PotResult), "DELETE"),
    ],
)
def test_a_stored_result_can_be_neither_changed_nor_deleted(app, statement, refused):
    closed_round()
    before = stored_results()
    assert len(before) == 1
    # As the tables' owner: the app's own role is refused before the trigger, by its grants
    # (tests/app/workflow/test_app_role.py); the trigger stops even a console that could
    # switch it off.
    with (
        pytest.raises(DatabaseError, match=f"pot_results is append-only: {refused} refused"),
        owner_connection() as conn,
    ):
        conn.execute(statement())
    db.session.rollback()
    assert stored_results() == before


def test_deleting_the_pot_does_not_cascade_past_the_trigger(app):
    """No ballot refers to the pot (none was cast), so only the result's cascade is left."""
    funding_round = closed_round(ballots=0)
    before = stored_results()
    assert len(before) == 1
    pot_id = funding_round.pots[0].id
    with (
        pytest.raises(DatabaseError, match="pot_results is append-only: DELETE refused"),
        owner_connection() as conn,
    ):
        conn.execute(delete(Pot).where(Pot.id == pot_id))
    db.session.rollback()
    assert stored_results() == before
    assert db.session.get(Pot, pot_id) is not None


def sqlite_triggers(table: str) -> set[str]:
    with db.engine.connect() as conn:
        return set(
            conn.execute(
                text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t"),
                {"t": table},
            ).scalars()
        )


def test_0013_replaces_the_update_only_trigger_and_downgrades_back(tmp_path):
    with database_at(tmp_path, "0010"):
        assert sqlite_triggers("pot_results") == {"pot_results_fixed"}
        upgrade()
        assert sqlite_triggers("pot_results") == {"pot_results_no_update", "pot_results_no_delete"}
        downgrade(revision="0010")
        assert sqlite_triggers("pot_results") == {"pot_results_fixed"}
        upgrade()
        assert sqlite_triggers("pot_results") == {"pot_results_no_update", "pot_results_no_delete"}
