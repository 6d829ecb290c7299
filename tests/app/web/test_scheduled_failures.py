"""The scheduler never stops on one round: a move that fails with an error is rolled back,
logged, recorded in the audit trail and shown to the round's officers, and the other due
rounds still move."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.web.extensions import db
from app.workflow.models import AuditEvent, Phase, PhaseDates, Role, ScheduledMoveFailure
from app.workflow.rounds import london_midnight
from ballots import box
from ballots.db import utcnow
from ballots.models import LogKind
from tests.app.pages import get_page, sign_in
from tests.ballots.bulk import fill_pot
from tests.ballots.helpers import place, voting_round
from tests.factories import PASSWORD, create_council, create_user


@pytest.fixture
def council(db):
    council = create_council(slug="home", name="Home Council")
    create_user(email="officer@example.org", roles={council: Role.OFFICER})
    db.session.commit()
    return council


def due_to_close(council, name: str):
    """A round in voting with a few ballots whose voting ended yesterday."""
    hood = place(council, name=name)
    funding_round, paper = voting_round(council)
    pot = paper.pots[0]
    fill_pot(db.session, paper, pot, neighbourhood_id=hood.id, ballots=12, seed=funding_round.id)
    today = utcnow().date()
    funding_round.phase_dates.append(
        PhaseDates(
            phase=Phase.VOTING,
            starts_at=london_midnight(today - timedelta(days=10)),
            ends_at=london_midnight(today - timedelta(days=1)),
        )
    )
    db.session.commit()
    return funding_round


def test_one_rounds_failed_close_does_not_stop_the_others(
    council, client, runner, monkeypatch, caplog
):
    broken = due_to_close(council, "North")
    fine = due_to_close(council, "South")
    real_close_log = box.close_log

    def close_log(session, round_id, manifest_hash):
        if round_id == broken.id:
            raise RuntimeError("disk full while sealing")
        return real_close_log(session, round_id, manifest_hash)

    monkeypatch.setattr(box, "close_log", close_log)
    with caplog.at_level(logging.ERROR, logger="app.workflow.rounds"):
        result = runner.invoke(args=["advance-phases"])

    assert result.exit_code == 1, result.output
    assert f"home/{fine.slug}: now in voting closed" in result.output
    assert f"home/{broken.slug}: not moved: the move to voting closed failed" in result.output
    assert "RuntimeError: disk full while sealing" in result.output
    assert "1 round failed" in result.output
    db.session.expire_all()
    assert fine.phase == Phase.CLOSED and fine.log_head_hash is not None
    # The failed round was rolled back whole: not closed, its log not sealed.
    assert broken.phase == Phase.VOTING and broken.log_head_hash is None
    assert box.log_head(db.session, broken.id).kind is LogKind.BALLOT

    [logged] = [r for r in caplog.records if r.name == "app.workflow.rounds"]
    assert f"round {broken.id} to closed failed" in logged.getMessage()
    assert logged.exc_info and logged.exc_info[0] is RuntimeError

    [event] = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "round.scheduled_move_failed")
    ).all()
    assert event.round_id == broken.id
    assert event.after == {"target": "closed", "error": "RuntimeError: disk full while sealing"}

    sign_in(client, "officer@example.org", PASSWORD)
    notice = get_page(client, f"/officers/home/rounds/{broken.slug}").select_one(
        "#scheduled-move-failed"
    )
    assert notice is not None
    text = " ".join(notice.get_text().split())
    assert "The scheduled move to voting closed failed on" in text
    assert "still in voting" in text
    assert "RuntimeError: disk full while sealing" in text
    assert (
        get_page(client, f"/officers/home/rounds/{fine.slug}").select_one("#scheduled-move-failed")
        is None
    )

    # Once the fault is gone the next run moves it, and the notice goes with the move.
    monkeypatch.setattr(box, "close_log", real_close_log)
    again = runner.invoke(args=["advance-phases"])
    assert again.exit_code == 0, again.output
    assert f"home/{broken.slug}: now in voting closed" in again.output
    db.session.expire_all()
    assert broken.phase == Phase.CLOSED
    assert db.session.get(ScheduledMoveFailure, broken.id) is None
    assert (
        get_page(client, f"/officers/home/rounds/{broken.slug}").select_one(
            "#scheduled-move-failed"
        )
        is None
    )
