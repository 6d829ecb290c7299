"""The round's fingerprints, published when voting opens (manifest hash) and closes (ballot log
head): the same on the round page, the results, the API and the export, emailed to the
council's auditors when voting closes, and never changed afterwards."""

import io
import json
import zipfile

from sqlalchemy import select

from app.web.extensions import db, mail
from app.workflow.exports import export_pot
from app.workflow.models import AuditEvent, Phase, Role
from ballots import box
from tests.app.closed_round import NOW
from tests.app.pages import get_page, sign_in, submit
from tests.ballots.helpers import enrol, place, voting_round
from tests.factories import PASSWORD, create_council, create_user
from votes.cli import main as votes_main
from votes.model import Ballot


def voted_round():
    from datetime import date

    council = create_council(slug="home")
    create_user(email="officer@example.org", roles={council: Role.OFFICER})
    create_user(email="auditor@example.org", roles={council: Role.AUDITOR})
    create_user(email="second.auditor@example.org", roles={council: Role.AUDITOR})
    create_user(email="resident@example.org", roles={council: Role.RESIDENT})
    funding_round, paper = voting_round(council, kind="approval", min_ballots_to_publish=1)
    hood = place(council, name="Ward")
    pot = paper.pots[0]
    box.open_log(db.session, funding_round.id, funding_round.manifest_hash)
    for i in range(3):
        entry = enrol(council, hood, reference=f"fp-{i}")
        box.cast(
            db.session, paper, entry, pot.id, Ballot((pot.projects[i].id,)), today=date(2026, 5, 1)
        )
    db.session.commit()
    return funding_round, pot


def test_closing_voting_publishes_the_sealed_head_and_emails_the_auditors(client, db, tmp_path):
    funding_round, pot = voted_round()
    sign_in(client, "officer@example.org", PASSWORD)
    with mail.record_messages() as outbox:
        response = submit(
            client,
            f"/officers/home/rounds/{funding_round.slug}",
            {"expected": "voting", "target": "closed"},
            post_to=f"/officers/home/rounds/{funding_round.slug}/phase",
            form_selector=f"form[action='/officers/home/rounds/{funding_round.slug}/phase']",
        )
    assert response.status_code == 302
    db.session.refresh(funding_round)
    assert funding_round.phase == Phase.CLOSED
    head = box.log_head(db.session, funding_round.id)
    assert head.kind.value == "close" and funding_round.log_head_hash == head.entry_hash
    manifest_hash = funding_round.manifest_hash
    # Emailed to each auditor of the council, and recorded.
    assert sorted(m.recipients[0] for m in outbox) == [
        "auditor@example.org",
        "second.auditor@example.org",
    ]
    for message in outbox:
        assert manifest_hash in message.body and head.entry_hash in message.body
        assert f"--manifest-hash {manifest_hash} --log-head {head.entry_hash}" in message.body
    [sent] = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "round.fingerprints_sent")
    ).all()
    assert sent.after["log_head_hash"] == head.entry_hash
    assert sent.after["to"] == ["auditor@example.org", "second.auditor@example.org"]
    # The round page shows the sealed head, not a moving one.
    page = get_page(client, f"/councils/home/rounds/{funding_round.slug}")
    assert page.select_one("#manifest-hash").get_text() == manifest_hash
    assert page.select_one("#ballot-log-head").get_text() == head.entry_hash
    assert "Sealed when voting closed" in page.select_one("#sealed-log-head").get_text()
    # The API gives both.
    data = client.get(f"/api/v1/rounds/{funding_round.id}").get_json()
    assert (data["manifest_hash"], data["log_head_hash"]) == (manifest_hash, head.entry_hash)
    # The export carries them, and verify checks them when given.
    export = export_pot(db.session, funding_round, pot.id)
    z = zipfile.ZipFile(io.BytesIO(export))
    results = json.loads(z.read("results.json"))
    assert (results["manifest_hash"], results["log_head_hash"]) == (manifest_hash, head.entry_hash)
    readme = z.read("README.txt").decode()
    assert (
        f"--manifest-hash {manifest_hash}" in readme and f"--log-head {head.entry_hash}" in readme
    )
    path = tmp_path / "pot.zip"
    path.write_bytes(export)
    assert votes_main(["verify", str(path)]) == 0


def test_the_results_page_shows_both_fingerprints(client, db):
    from app.workflow import rounds
    from tests.app.closed_round import officer

    funding_round, pot = voted_round()
    rounds.change_phase(
        db.session, funding_round, target=Phase.CLOSED, expected=Phase.VOTING, actor=None, now=NOW
    )
    rounds.publish_results(
        db.session, funding_round, actor=officer(funding_round.council), now=NOW, confirmed=True
    )
    db.session.commit()
    page = get_page(client, f"/councils/home/rounds/{funding_round.slug}/results/{pot.id}")
    assert page.select_one("#result-manifest-hash").get_text() == funding_round.manifest_hash
    assert page.select_one("#result-log-head").get_text() == funding_round.log_head_hash


def test_a_scheduled_close_emails_the_auditors_too(runner, db):
    from datetime import timedelta

    from app.workflow.models import PhaseDates
    from app.workflow.rounds import london_midnight
    from ballots.db import utcnow

    funding_round, _ = voted_round()
    today = utcnow().date()
    funding_round.phase_dates.append(
        PhaseDates(
            phase=Phase.VOTING,
            starts_at=london_midnight(today - timedelta(days=10)),
            ends_at=london_midnight(today - timedelta(days=1)),
        )
    )
    db.session.commit()
    with mail.record_messages() as outbox:
        result = runner.invoke(args=["advance-phases"])
    assert result.exit_code == 0, result.output
    assert "fingerprints emailed to 2 auditors" in result.output
    assert len(outbox) == 2
    db.session.refresh(funding_round)
    assert funding_round.log_head_hash in outbox[0].body
