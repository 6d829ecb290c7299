"""The audit trail records what happened in a council, not what a visitor typed: refused
requests about things that do not exist, or by people with no role in the council, go to the
server log and are rate-limited; the refusals that are written name only existing objects."""

from __future__ import annotations

import logging

from sqlalchemy import select

from app.workflow.models import AuditEvent, User
from tests.app.hardening import RESIDENT, STRANGER, build_world, sign_in_as


def audit_rows(db) -> list[tuple]:
    db.session.expire_all()
    return db.session.execute(
        select(AuditEvent.id, AuditEvent.action, AuditEvent.after).order_by(AuditEvent.id)
    ).all()


def test_an_unrelated_account_asking_for_50_exports_writes_nothing_and_is_slowed(
    app, client, db, caplog
):
    world = build_world()
    pot = world.done.pots[0].id
    sign_in_as(client, STRANGER)
    before = audit_rows(db)
    caplog.set_level(logging.WARNING, logger="devolve.refusals")
    urls = []
    for i in range(25):
        # Rounds that do not exist (with text of the visitor's choosing), and a real round of a
        # council the account has no role in.
        urls.append(f"/auditors/home/rounds/made-up-{i}-DROP%20TABLE/export/{pot + i}")
        urls.append(f"/auditors/home/rounds/done/export/{pot}")
    statuses = [client.get(url).status_code for url in urls]
    assert statuses[:10] == [403] * 10
    assert statuses[10:] == [429] * 40
    assert audit_rows(db) == before
    lines = [r.getMessage() for r in caplog.records if r.name == "devolve.refusals"]
    assert len(lines) == 10
    stranger = db.session.scalar(select(User.id).where(User.email == STRANGER))
    assert all(
        f"with 403 for account {stranger}: not an auditor or officer of council" in line
        for line in lines
    )
    assert "/auditors/home/rounds/made-up-0-DROP TABLE/export/" in lines[0]
    assert "made-up" not in str(audit_rows(db))


def test_unknown_councils_rounds_and_pots_are_404s_logged_not_audited(app, client, db, caplog):
    world = build_world()
    pot = world.done.pots[0].id
    sign_in_as(client, "auditor@example.org")
    before = audit_rows(db)
    caplog.set_level(logging.WARNING, logger="devolve.refusals")
    assert client.get(f"/auditors/nowhere/rounds/done/export/{pot}").status_code == 404
    assert client.get(f"/auditors/home/rounds/nothing/export/{pot}").status_code == 404
    assert client.get(f"/auditors/home/rounds/done/export/{pot + 999}").status_code == 404
    assert client.get("/auditors/home/rounds/nothing").status_code == 404
    assert audit_rows(db) == before
    reasons = [r.getMessage().split(": ", 1)[1] for r in caplog.records]
    assert reasons == [
        "no council with this address",
        f"no such round in council {world.home.id}",
        f"no such pot in round {world.done.id}",
        f"no such round in council {world.home.id}",
    ]
    # The auditor's own downloads are never slowed by the refusal limit.
    for _ in range(15):
        assert client.get(f"/auditors/home/rounds/done/export/{pot}").status_code == 200


def test_a_resident_of_the_council_refused_an_export_is_audited_by_ids_only(app, client, db):
    world = build_world()
    pot = world.done.pots[0]
    sign_in_as(client, RESIDENT)
    before = len(audit_rows(db))
    assert client.get(f"/auditors/home/rounds/done/export/{pot.id}").status_code == 403
    # A round or pot that does not exist is not an event: nothing names it.
    assert client.get(f"/auditors/home/rounds/made-up/export/{pot.id}").status_code == 403
    assert client.get(f"/auditors/home/rounds/done/export/{pot.id + 999}").status_code == 403
    rows = audit_rows(db)
    assert len(rows) == before + 1
    event = db.session.get(AuditEvent, rows[-1].id)
    assert (event.action, event.round_id, event.subject_type, event.subject_id) == (
        "results.export_refused",
        world.done.id,
        "pot",
        pot.id,
    )
    assert event.after == {"pot_id": pot.id}
