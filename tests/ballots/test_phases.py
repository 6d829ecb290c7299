"""The phases the ballot box reads are the ones the migrated schema stores: a phase renamed in
``ballots.phases`` without a migration (or in a migration without ``ballots.phases``) fails
here, not at run time when a cast compares the stored phase with a name that is gone."""

import re
from datetime import date

import pytest
from sqlalchemy import inspect

from app.workflow.models import Phase as AppPhase
from ballots import box
from ballots.errors import RoundClosed, VotingOpen
from ballots.phases import COUNTABLE, OPEN_FOR_VOTING, Phase
from tests.ballots.helpers import enrol, place, voting_round
from tests.factories import create_council
from votes.model import Ballot

TODAY = date(2026, 11, 23)

# Every column that stores a phase, with the CHECK constraint that lists its values.
PHASE_COLUMNS = [
    ("rounds", "phase", "ck_rounds_phase"),
    ("round_phase_dates", "phase", "ck_round_phase_dates_phase"),
    ("scheduled_move_failures", "target", "ck_scheduled_move_failures_phase"),
]


def allowed_values(db, table: str, column: str, name: str) -> set[str]:
    """The quoted values of the column's CHECK constraint: SQLite keeps the text as created
    (``phase IN ('draft', ...)``), PostgreSQL rewrites it (``phase::text = ANY (ARRAY[...])``)."""
    (sqltext,) = [
        c["sqltext"] for c in inspect(db.engine).get_check_constraints(table) if c["name"] == name
    ]
    assert column in sqltext
    return set(re.findall(r"'([^']*)'", sqltext))


@pytest.mark.parametrize(("table", "column", "name"), PHASE_COLUMNS)
def test_the_schema_stores_exactly_the_ballot_box_phases(db, table, column, name):
    assert allowed_values(db, table, column, name) == {p.value for p in Phase}


def test_the_app_phases_are_the_ballot_box_phases():
    # One set of phases: the workflow's models use the ballot box's, not a copy.
    assert AppPhase is Phase


def test_the_phases_keep_their_order_and_labels():
    assert [p.index for p in Phase] == list(range(len(Phase)))
    assert Phase.VOTING.index < Phase.CLOSED.index
    assert (Phase.PROPOSALS.label, Phase.CLOSED.label) == ("Proposals open", "Voting closed")


def test_stored_strings_are_found_in_the_phase_sets():
    # The box compares the column's plain string with these: a StrEnum member equals and
    # hashes as its value.
    assert OPEN_FOR_VOTING == "voting"
    assert {"closed", "published", "delivery"} == COUNTABLE
    assert "voting" not in COUNTABLE


@pytest.mark.parametrize("phase", list(Phase))
def test_ballots_are_taken_only_while_voting_and_counted_only_after(db, phase):
    council = create_council()
    hood = place(council)
    funding_round, paper = voting_round(council, phase=phase)
    entry = enrol(council, hood)
    pot = paper.pots[0]
    choice = Ballot((pot.projects[0].id,))
    if phase == OPEN_FOR_VOTING:
        box.cast(db.session, paper, entry, pot.id, choice, today=TODAY)
        db.session.commit()
    else:
        with pytest.raises(RoundClosed):
            box.cast(db.session, paper, entry, pot.id, choice, today=TODAY)
        db.session.rollback()
    if phase in COUNTABLE:
        assert box.stored_election(db.session, paper, pot.id).ballots == ()
        assert box.turnout(db.session, funding_round.id) == 0
    else:
        with pytest.raises(VotingOpen):
            box.stored_election(db.session, paper, pot.id)
        with pytest.raises(VotingOpen):
            box.turnout(db.session, funding_round.id)
