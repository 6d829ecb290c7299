"""The app fixtures (database, app, db, client, runner) live in tests/conftest.py, shared with
tests/ballots; the helpers stay importable from here. The rounds below are shared by the
proposal and account tests."""

import pytest

from app.workflow.models import Phase, ProposalStatus
from tests.conftest import PostgresDatabase, SqliteDatabase, make_config, migrate
from tests.factories import create_proposal, create_round

__all__ = ["PostgresDatabase", "SqliteDatabase", "make_config", "migrate"]


@pytest.fixture
def open_round(db, lambeth):
    brixton, clapham, _ = lambeth.hoods
    r = create_round(
        lambeth.council,
        slug="r",
        phase=Phase.PROPOSALS,
        total_budget_pence=30_000_00,
        pots=[(brixton, 20_000_00), (clapham, 10_000_00)],
    )
    db.session.commit()
    return r


@pytest.fixture
def supporting(db, lambeth, open_round):
    open_round.phase = Phase.SUPPORTS
    open_round.supports_enabled = True
    open_round.support_threshold = 2
    p = create_proposal(open_round.pots[0], title="Skate park", status=ProposalStatus.FEASIBLE)
    db.session.commit()
    return p
