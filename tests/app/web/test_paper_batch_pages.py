"""The officers' pages for a file of paper ballots: upload, the reconciliation report, store or
discard; every refusal on the page with nothing changed, wrong ids not found, hostile cells
shown as text."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, update

from app.workflow.models import AuditEvent, PaperBatch, PaperBatchState, Phase, Role
from ballots import box
from ballots.models import Channel, RollEntry, StoredBallot, VoterMark
from tests.app.pages import check_page, get_page, sign_in, soup
from tests.ballots.helpers import enrol, place, voting_round
from tests.factories import PASSWORD, create_council, create_user
from votes.model import Ballot

M = "/officers/home/rounds/vote"


@pytest.fixture
def home(db):
    council = create_council(slug="home")
    hood = place(council, "Centre")
    officer = create_user(email="officer@example.org", roles={council: Role.OFFICER})
    funding_round, paper = voting_round(council)
    funding_round.slug = "vote"
    other, other_paper = voting_round(council)
    other.slug = "other"
    db.session.commit()
    for ref in ("P1", "P2", "P3"):
        enrol(council, hood, reference=ref)
    return council, hood, officer, funding_round, paper, other_paper


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def upload(client, pot_id, text: str | bytes, name="ballots.csv", round_slug="vote"):
    url = f"/officers/home/rounds/{round_slug}/paper/{pot_id}/batch"
    page = get_page(client, url)
    token = page.select_one("main form input[name=csrf_token]")["value"]
    data = text.encode("utf-8") if isinstance(text, str) else text
    return client.post(
        url,
        data={"csrf_token": token, "batch": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def decide(client, url, action):
    """Press a button of the report page (the session's CSRF token, from any form: a decided
    batch's page has none)."""
    token = soup(client.get("/auth/sign-in")).select_one("input[name=csrf_token]")["value"]
    return client.post(url, data={"csrf_token": token, "action": action})


def test_upload_report_and_store(app, client, db, home):
    council, hood, officer, funding_round, paper, _ = home
    pot = paper.pots[0]
    sign_in(client, "officer@example.org", PASSWORD)
    pots = get_page(client, M + "/paper")
    assert pots.select_one(f"#batch-{pot.id}")["href"] == f"{M}/paper/{pot.id}/batch"
    form = get_page(client, f"{M}/paper/{pot.id}/batch")
    key = [
        [c.get_text(strip=True) for c in tr.select("td")]
        for tr in form.select("#projects tbody tr")
    ]
    assert [row[:2] for row in key] == [
        [str(i + 1), f"#{p.id}"] for i, p in enumerate(pot.projects)
    ]
    response = upload(client, pot.id, "reference,choices\nP1,1\nP2,2;3\nNOPE,1\nP3,9\n")
    assert response.status_code == 302
    url = response.headers["Location"]
    assert url.startswith(f"{M}/paper/{pot.id}/batch/")
    assert count(db, VoterMark) == 0
    page = get_page(client, url)
    assert page.select_one("#rows-read").get_text(strip=True) == "4"
    assert page.select_one("#rows-accepted").get_text(strip=True) == "2"
    assert page.select_one("#rows-refused").get_text(strip=True) == "2"
    rows = [
        [c.get_text(" ", strip=True) for c in tr.select("td")]
        for tr in page.select("#refused tbody tr")
    ]
    assert rows[0][:2] == ["4", "NOPE"] and "Not on the round's roll" in rows[0][2]
    assert rows[1][:2] == ["5", "P3"] and "9 is not a project on this pot's ballot" in rows[1][2]
    assert page.select_one("#store").get_text(strip=True) == "Store 2 paper ballots"
    stored = decide(client, url, "store")
    assert stored.status_code == 302
    page = get_page(client, stored.headers["Location"])
    assert "2 paper ballots stored in" in page.select_one(".govuk-notification-banner").get_text()
    assert "2 paper ballots stored" in page.select_one("#stored").get_text()
    marks = db.session.scalars(select(VoterMark)).all()
    assert {(m.channel, m.recorded_by_id) for m in marks} == {(Channel.PAPER, officer.id)}
    assert count(db, StoredBallot) == 2
    # A second store is refused, on the page, and changes nothing.
    before = count(db, AuditEvent)
    again = decide(client, url, "store")
    assert again.status_code == 409
    page = soup(again)
    check_page(page)
    assert "2 paper ballots were stored on" in page.select_one("#action").get_text()
    assert count(db, VoterMark) == 2 and count(db, AuditEvent) == before


def test_a_row_that_changed_is_named_and_nothing_is_stored(app, client, db, home):
    council, hood, officer, funding_round, paper, _ = home
    pot = paper.pots[0]
    sign_in(client, "officer@example.org", PASSWORD)
    url = upload(client, pot.id, "reference,choices\nP1,1\nP2,2\n").headers["Location"]
    entry = db.session.scalar(select(RollEntry).where(RollEntry.reference == "P2"))
    box.cast(
        db.session, paper, entry, pot.id, Ballot((pot.projects[0].id,)), today=date(2026, 5, 1)
    )
    db.session.commit()
    response = decide(client, url, "store")
    assert response.status_code == 409
    page = soup(response)
    check_page(page)
    message = page.select_one("#action").get_text(" ", strip=True)
    assert "row 3: P2 has already voted online" in message and "no ballot was stored" in message
    assert page.select_one("#changed")
    assert page.select_one("button[value=recheck]") and not page.select_one("#store")
    assert count(db, VoterMark) == 1  # P2's online ballot only
    assert decide(client, url, "recheck").status_code == 302
    page = get_page(client, url)
    assert page.select_one("#store").get_text(strip=True) == "Store 1 paper ballot"
    assert decide(client, url, "store").status_code == 302
    assert count(db, VoterMark) == 2


def test_discarding(app, client, db, home):
    *_, paper, _ = home
    sign_in(client, "officer@example.org", PASSWORD)
    url = upload(client, paper.pots[0].id, "reference,choices\nP1,1\n").headers["Location"]
    assert decide(client, url, "discard").status_code == 302
    page = get_page(client, url)
    assert "discarded" in page.select_one("#not-kept").get_text()
    batch = db.session.scalar(select(PaperBatch))
    assert (batch.state, batch.content) == (PaperBatchState.DISCARDED, None)
    assert count(db, VoterMark) == 0


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"", "The file is empty"),
        (b"\xff\xfe\x00r\x00e", "must be a CSV file saved as UTF-8"),
        (
            b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\xb5",
            "must be a CSV file saved as UTF-8",
        ),
        (b"name,vote\nP1,1\n", "The first row must be the header: reference,choices"),
    ],
)
def test_a_file_refused_whole_is_said_beside_the_field(app, client, db, home, content, says):
    *_, paper, _ = home
    sign_in(client, "officer@example.org", PASSWORD)
    response = upload(client, paper.pots[0].id, content)
    assert response.status_code == 200
    page = soup(response)
    check_page(page)
    assert says in page.select_one("#batch-error").get_text()
    assert count(db, PaperBatch) == 0


def test_hostile_cells_are_shown_as_text(app, client, db, home):
    *_, paper, _ = home
    sign_in(client, "officer@example.org", PASSWORD)
    text = (
        "reference,choices\n"
        '"<script>alert(1)</script>",1\n'
        "=cmd|' /C calc'!A0,1\n" + "Y" * 100_000 + ",1\n" + '"P1\u0007\u202e",1\n'
    )
    response = upload(client, paper.pots[0].id, text)
    assert response.status_code == 302
    raw = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in raw and "&lt;script&gt;" in raw
    page = get_page(client, response.headers["Location"])
    rows = [
        [c.get_text(" ", strip=True) for c in tr.select("td")]
        for tr in page.select("#refused tbody tr")
    ]
    assert [r[0] for r in rows] == ["2", "3", "4", "5"]
    assert rows[1][1] == "=cmd|' /C calc'!A0"
    assert len(rows[2][1]) < 600 and "100,000 characters long" in rows[2][2]
    assert "control character" in rows[3][2]
    assert count(db, VoterMark) == 0


def test_wrong_ids_are_not_found(app, client, db, home):
    council, hood, officer, funding_round, paper, other_paper = home
    sign_in(client, "officer@example.org", PASSWORD)
    pot = paper.pots[0]
    url = upload(client, pot.id, "reference,choices\nP1,1\n").headers["Location"]
    batch_id = url.rsplit("/", 1)[1]
    other_pot = other_paper.pots[0].id
    for wrong in (
        f"{M}/paper/{pot.id}/batch/{'0' * 32}",
        f"{M}/paper/{pot.id}/batch/{'x' * 500}",
        f"{M}/paper/{other_pot}/batch/{batch_id}",  # another round's pot
        f"/officers/home/rounds/other/paper/{other_pot}/batch/{batch_id}",  # another round
        f"/officers/home/rounds/nowhere/paper/{pot.id}/batch/{batch_id}",
        f"{M}/paper/999999/batch",
    ):
        assert client.get(wrong).status_code == 404, wrong
        assert decide_status(client, wrong) == 404, wrong
    assert count(db, VoterMark) == 0


def decide_status(client, url):
    token = soup(client.get("/auth/sign-in")).select_one("input[name=csrf_token]")["value"]
    return client.post(url, data={"csrf_token": token, "action": "store"}).status_code


def test_a_closed_round_refuses_uploads_and_empties_waiting_files(app, client, db, home):
    council, hood, officer, funding_round, paper, _ = home
    sign_in(client, "officer@example.org", PASSWORD)
    pot = paper.pots[0]
    url = upload(client, pot.id, "reference,choices\nP1,1\n").headers["Location"]
    db.session.execute(update(type(funding_round)).values(phase=Phase.CLOSED))
    db.session.commit()
    assert client.get(f"{M}/paper/{pot.id}/batch").status_code == 409
    response = decide(client, url, "store")
    assert response.status_code == 409
    assert "only while voting is open" in soup(response).select_one("#action").get_text()
    page = get_page(client, url)
    assert "no longer kept" in page.select_one("#not-kept").get_text()
    assert db.session.scalar(select(PaperBatch.content)) is None
    assert count(db, VoterMark) == 0


def test_a_stale_file_cannot_be_stored(app, client, db, home):
    *_, paper, _ = home
    sign_in(client, "officer@example.org", PASSWORD)
    url = upload(client, paper.pots[0].id, "reference,choices\nP1,1\n").headers["Location"]
    batch = db.session.scalar(select(PaperBatch))
    batch.created_at = batch.created_at - timedelta(hours=25)
    db.session.commit()
    response = decide(client, url, "store")
    assert response.status_code == 409
    assert "more than 24 hours ago" in soup(response).select_one("#action").get_text()
    assert db.session.scalar(select(PaperBatch.content)) is None
    assert count(db, VoterMark) == 0


def test_ballots_by_channel_on_the_published_results(app, client, db):
    """Online, at an event and on paper (through a file): counted by channel on the results
    pages, the API and the officers' voters page; a pot below the publishing minimum shows
    no split of its own."""
    from app.workflow import paper_batches, rounds
    from tests.app.closed_round import NOW, officer

    council = create_council(slug="home")
    hood = place(council, "Centre")
    funding_round, paper = voting_round(
        council,
        costs=((10_000_00, 20_000_00, 30_000_00), (1_000_00, 2_000_00)),
        budgets=(50_000_00, 10_000_00),
        neighbourhoods=(None, hood),
        min_ballots_to_publish=10,
    )
    funding_round.slug = "vote"
    db.session.commit()
    big, small = paper.pots
    box.open_log(db.session, funding_round.id, funding_round.manifest_hash)
    people = [enrol(council, hood, reference=f"V{i}") for i in range(12)]
    day = date(2026, 5, 1)
    for i, entry in enumerate(people[:9]):
        channel = Channel.EVENT if i < 2 else Channel.ONLINE
        box.cast(
            db.session,
            paper,
            entry,
            big.id,
            Ballot((big.projects[0].id,)),
            today=day,
            channel=channel,
        )
    box.cast(db.session, paper, people[0], small.id, Ballot((small.projects[0].id,)), today=day)
    db.session.commit()
    clerk = officer(council)
    checked = paper_batches.check(
        db.session,
        funding_round,
        big,
        text="reference,choices\nV9,1\nV10,2\nV11,1;2\nV0,3\n",
        filename="count-sheet.csv",
        actor=clerk,
        today=day,
    )
    paper_batches.store(db.session, checked.batch.id, funding_round, actor=clerk, today=day)
    db.session.commit()
    rounds.change_phase(
        db.session, funding_round, target=Phase.CLOSED, expected=Phase.VOTING, actor=clerk, now=NOW
    )
    db.session.commit()
    rounds.publish_results(db.session, funding_round, actor=clerk, now=NOW, confirmed=True)
    db.session.commit()

    page = get_page(client, "/councils/home/rounds/vote/results")
    assert page.select_one("#round-channels").get_text(strip=True) == (
        "Ballots by channel: online 8, at events 2, on paper 3."
    )
    assert page.select_one(f"#channels-{big.id}").get_text(strip=True) == (
        "Ballots by channel: online 7, at events 2, on paper 3."
    )
    assert page.select_one(f"#channels-{small.id}") is None
    pot_page = get_page(client, f"/councils/home/rounds/vote/results/{big.id}")
    assert pot_page.select_one("#pot-channels").get_text(strip=True) == (
        "online 7, at events 2, on paper 3"
    )
    assert (
        get_page(client, f"/councils/home/rounds/vote/results/{small.id}").select_one(
            "#pot-channels"
        )
        is None
    )
    data = client.get(f"/api/v1/rounds/{funding_round.id}/results").get_json()
    assert data["ballots_by_channel"] == {"online": 8, "event": 2, "paper": 3}
    by_pot = {p["pot_id"]: p["ballots_by_channel"] for p in data["pots"]}
    assert by_pot == {big.id: {"online": 7, "event": 2, "paper": 3}, small.id: None}
    create_user(email="clerk@example.org", roles={council: Role.OFFICER})
    sign_in(client, "clerk@example.org", PASSWORD)
    voters = get_page(client, M + "/voters")
    assert voters.select_one("#turnout").get_text(strip=True) == (
        "Ballots by channel: online 8, at events 2, on paper 3."
    )
    cells = [
        [c.get_text(strip=True) for c in tr.select("th, td")]
        for tr in voters.select("#turnout-by-pot tbody tr")
    ]
    assert cells[0][1:] == ["7", "2", "3"]
    assert cells[1][1].startswith("Withheld")
    assert get_page(client, M).select_one("#round-channels").get_text(strip=True) == (
        "Ballots by channel: online 8, at events 2, on paper 3."
    )
