"""Officers: uploading a roll, posting codes, entering paper ballots; no running counts."""

import csv
import io

from bs4 import BeautifulSoup
from sqlalchemy import func, select

from app.workflow.models import AuditEvent, Phase, Role
from ballots import box
from ballots.models import Channel, RollEntry, VerificationCode, VoterMark
from tests.app.pages import error_messages, get_page, sign_in, submit
from tests.ballots.helpers import enrol, place, voting_round
from tests.factories import PASSWORD, create_council, create_user


def setup(db):
    council = create_council(slug="home")
    hood = place(council, "Centre")
    officer = create_user(email="officer@example.org", roles={council: Role.OFFICER})
    resident = create_user(email="voter@example.org", roles={council: Role.RESIDENT}, home=hood)
    funding_round, paper = voting_round(council)
    funding_round.slug = "vote"
    db.session.commit()
    return council, hood, officer, resident, funding_round, paper


M = "/officers/home/rounds/vote"


def upload(client, text, scope="round"):
    page = BeautifulSoup(client.get(M + "/voters").get_data(as_text=True), "html.parser")
    token = page.select_one("form[enctype] input[name=csrf_token]")["value"]
    return client.post(
        M + "/voters",
        data={"csrf_token": token, "scope": scope, "roll": (io.BytesIO(text.encode()), "roll.csv")},
        content_type="multipart/form-data",
    )


def test_uploading_a_roll_all_or_nothing_and_posting_codes(app, client, db):
    council, *_ = setup(db)
    sign_in(client, "officer@example.org", PASSWORD)
    get_page(client, M + "/voters")
    bad = upload(client, "reference,neighbourhood\nA1,Centre\nA2,Nowhere\n,Centre\n")
    assert bad.status_code == 200
    page = BeautifulSoup(bad.get_data(as_text=True), "html.parser")
    assert "2 problems" in error_messages(page)["roll"]
    rows = [li.get_text(" ", strip=True) for li in page.select("#roll-problems + ul li")]
    assert rows[0].startswith("Row 3") and rows[1].startswith("Row 4")
    assert db.session.scalar(select(func.count()).select_from(RollEntry)) == 0
    good = upload(
        client, "reference,neighbourhood,date_of_birth\nA1,Centre,2001-02-03\nA2,centre,\n"
    )
    assert good.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(RollEntry)) == 2
    response = submit(
        client,
        M + "/voters",
        {"which": "round"},
        post_to=M + "/voters/codes",
        form_selector="form[action$='/voters/codes']",
    )
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "no-store" in response.headers["Cache-Control"]
    codes = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [c["reference"] for c in codes] == ["A1", "A2"]
    assert all(c["neighbourhood"] == "Centre" and len(c["code"]) == 11 for c in codes)
    hashes = db.session.scalars(select(VerificationCode.code_hash)).all()
    assert not {c["code"] for c in codes} & set(hashes)
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "voters.roll_imported" in actions and "voters.codes_issued" in actions
    # One lost letter: a new code for that reference alone.
    response = submit(
        client,
        M + "/voters",
        {"which": "round", "reference": "A2"},
        post_to=M + "/voters/codes",
        form_selector="form[action$='/voters/codes']",
    )
    (row,) = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert row["reference"] == "A2" and row["code"] != codes[1]["code"]
    del council


def test_paper_ballots_mark_the_reference_and_are_attributed_to_the_officer(app, client, db):
    council, hood, officer, resident, funding_round, paper = setup(db)
    enrol(council, hood, user=resident, reference="P1")
    enrol(council, hood, reference="P2")
    pot = paper.pots[0]
    a, b, c = [p.id for p in pot.projects]
    sign_in(client, "officer@example.org", PASSWORD)
    url = f"{M}/paper/{pot.id}"
    get_page(client, M + "/paper")
    # Not on the roll; an invalid ballot: refused, nothing kept.
    page = BeautifulSoup(
        submit(client, url, {"reference": "NOPE", "choices": [a]}).get_data(as_text=True),
        "html.parser",
    )
    assert "not on this round's roll" in error_messages(page)["reference"]
    knapsack_free = submit(client, url, {"reference": "P2", "choices": [a, "424242"]})
    page = BeautifulSoup(knapsack_free.get_data(as_text=True), "html.parser")
    assert "not a project in this vote" in error_messages(page)["choices"]
    assert db.session.scalar(select(func.count()).select_from(VoterMark)) == 0
    # Entered for P1 (who has an account): P1 then cannot vote online.
    assert submit(client, url, {"reference": "P1", "choices": [a, b]}).status_code == 302
    again = submit(client, url, {"reference": "P1", "choices": [c]})
    assert (
        "already voted"
        in error_messages(BeautifulSoup(again.get_data(as_text=True), "html.parser"))["reference"]
    )
    mark = db.session.scalar(select(VoterMark))
    assert (mark.channel, mark.recorded_by_id) == (Channel.PAPER, officer.id)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "ballot.paper_entered"))
    assert event.actor_id == officer.id and event.after == {"pot": pot.name}
    client.post("/auth/sign-out", data={"csrf_token": _token(client)})
    sign_in(client, "voter@example.org", PASSWORD)
    page = get_page(client, "/councils/home/rounds/vote/vote")
    assert "Voted on paper" in page.select_one("#pots").get_text()
    response = client.get(f"/councils/home/rounds/vote/vote/{pot.id}")
    assert response.status_code == 302  # already voted: back to the list
    del funding_round


def _token(client):
    page = BeautifulSoup(client.get("/auth/sign-in").get_data(as_text=True), "html.parser")
    return page.select_one("input[name=csrf_token]")["value"]


def test_no_running_counts_for_officers_while_voting(app, client, db):
    council, hood, _, _, funding_round, paper = setup(db)
    pot = paper.pots[0]
    for _ in range(3):
        box.cast(
            db.session,
            paper,
            enrol(council, hood),
            pot.id,
            box.decode_ballot(f'{{"choices":["{pot.projects[0].id}"],"points":[]}}'),
            today=__import__("datetime").date(2026, 11, 23),
        )
    db.session.commit()
    sign_in(client, "officer@example.org", PASSWORD)
    page = get_page(client, M + "/voters")
    assert page.select_one("#turnout") is None
    for url in (M, M + "/voters", M + "/proposals", "/auditors/home/rounds/vote"):
        text = client.get(url).get_data(as_text=True)
        assert "Ballots by channel" not in text
    funding_round.phase = Phase.CLOSED
    db.session.commit()
    page = get_page(client, M + "/voters")
    assert page.select_one("#turnout").get_text() == (
        "Ballots by channel: online 3, at events 0, on paper 0."
    )
    # Fewer than the round's 10 ballots to publish: the pot's split is withheld as its
    # results are.
    assert "Withheld" in page.select_one("#turnout-by-pot tbody").get_text()


def test_the_demo_has_voters_and_ballots(app, runner, db):
    from app.workflow.models import FundingRound
    from ballots.models import LogKind, StoredBallot, Verification

    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert runner.invoke(args=["seed-demo"]).exit_code == 0  # idempotent
    # Verified demo residents: two in Lambeth, one in Oldham, one in Ynys Môn.
    assert db.session.scalar(select(func.count()).select_from(Verification)) == 4
    for slug, ballots, last in (
        ("youth-services-2026", 8, LogKind.BALLOT),
        ("community-dividend-2026", 40, LogKind.CLOSE),
        ("youth-services-2025", 72, LogKind.CLOSE),
    ):
        funding_round = db.session.scalar(select(FundingRound).where(FundingRound.slug == slug))
        assert (
            db.session.scalar(select(func.count()).where(StoredBallot.round_id == funding_round.id))
            == ballots
        )
        assert box.log_head(db.session, funding_round.id).kind == last
        assert box.verify_log(db.session, funding_round.id) == []


def test_a_round_that_does_not_use_posted_codes_issues_none(app, client, db):
    council, *_, funding_round, _paper = setup(db)
    funding_round.eligibility = "register in_person"
    db.session.commit()
    sign_in(client, "officer@example.org", PASSWORD)
    upload(client, "reference,neighbourhood\nA1,Centre\n")
    response = submit(
        client,
        M + "/voters",
        {"which": "round"},
        post_to=M + "/voters/codes",
        form_selector="form[action$='/voters/codes']",
    )
    assert response.mimetype != "text/csv"
    assert "does not use codes sent by the council" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(VerificationCode)) == 0
