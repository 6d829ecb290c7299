"""The officers' voting work in app.workflow.voters, on a real session: importing a roll with
its audit record, issuing codes and their letters, entering a paper ballot; and, through the
page, a database failure entering a paper ballot answered "nothing was saved"."""

import csv
import io
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from app.web.extensions import db as flask_db
from app.workflow import voters
from app.workflow.clock import utcnow
from app.workflow.models import AuditEvent, Phase, Role
from ballots.errors import AlreadyVoted, CodeInvalid, InvalidBallot, NotEligible, RollInvalid
from ballots.models import (
    Channel,
    LogEntry,
    RollEntry,
    StoredBallot,
    VerificationCode,
    VoterMark,
    round_scope,
)
from tests.app.pages import error_messages, sign_in, soup, submit
from tests.ballots.helpers import enrol, place, voting_round
from tests.factories import PASSWORD, create_council, create_user
from votes.model import Ballot

KEY = b"k" * 32
TODAY = date(2026, 5, 1)


@pytest.fixture
def home(db):
    council = create_council(slug="home")
    hood = place(council, "Centre")
    officer = create_user(email="officer@example.org", roles={council: Role.OFFICER})
    funding_round, paper = voting_round(council)
    funding_round.slug = "vote"
    db.session.commit()
    return council, hood, officer, funding_round, paper


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def events(db, action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_importing_a_roll_adds_everyone_and_audits_how_many(db, home):
    council, hood, officer, funding_round, _ = home
    text = "reference,neighbourhood\nA1,Centre\nA2,centre\n"
    added = voters.import_roll(
        db.session, council, funding_round, actor=officer, for_round=True, text=text, today=TODAY
    )
    assert added == 2
    assert set(db.session.scalars(select(RollEntry.scope))) == {round_scope(funding_round.id)}
    assert all(e.round_id == funding_round.id for e in db.session.scalars(select(RollEntry)))
    (event,) = events(db, "voters.roll_imported")
    assert event.actor_id == officer.id and event.round_id == funding_round.id
    assert event.after == {"scope": "round", "added": 2}


def test_a_roll_with_a_wrong_row_adds_nobody_and_audits_nothing(db, home):
    council, _, officer, funding_round, _ = home
    with pytest.raises(RollInvalid) as refused:
        voters.import_roll(
            db.session,
            council,
            funding_round,
            actor=officer,
            for_round=False,
            text="reference,neighbourhood\nA1,Centre\nA2,Nowhere\n",
            today=TODAY,
        )
    assert [row for row, _ in refused.value.problems] == [3]
    db.session.rollback()
    assert count(db, RollEntry) == 0 and events(db, "voters.roll_imported") == []


def test_issuing_codes_audits_the_number_and_the_letters_escape_formulas(db, home):
    council, hood, officer, funding_round, _ = home
    enrol(council, hood, reference="=SUM(A1)")
    enrol(council, hood, reference="B2")
    now = utcnow()
    issued = voters.issue_codes(
        db.session,
        council,
        funding_round,
        actor=officer,
        for_round=False,
        reference="  ",
        key=KEY,
        now=now,
    )
    assert sorted(c.reference for c in issued) == ["=SUM(A1)", "B2"]
    assert count(db, VerificationCode) == 2
    (event,) = events(db, "voters.codes_issued")
    assert event.after == {"scope": "council", "codes": 2}
    rows = voters.letter_rows(db.session, council, issued)
    assert rows[0] == voters.LETTERS_HEADER
    assert {r[1] for r in rows[1:]} == {"Centre"}
    read = list(csv.reader(io.StringIO(voters.letters_csv(rows))))
    assert read[0] == ["reference", "neighbourhood", "code", "expires"]
    assert sorted(r[0] for r in read[1:]) == ["'=SUM(A1)", "B2"]
    # Everyone holds a working code now: issuing again gives nobody a second one.
    again = voters.issue_codes(
        db.session,
        council,
        funding_round,
        actor=officer,
        for_round=False,
        reference="",
        key=KEY,
        now=now + timedelta(minutes=1),
    )
    assert again == [] and count(db, VerificationCode) == 2


def test_reissuing_one_code_names_the_reference_and_refuses_a_stranger(db, home):
    council, hood, officer, funding_round, _ = home
    enrol(council, hood, reference="B2")
    now = utcnow()
    (code,) = voters.issue_codes(
        db.session,
        council,
        funding_round,
        actor=officer,
        for_round=False,
        reference=" B2 ",
        key=KEY,
        now=now,
    )
    assert code.reference == "B2"
    (event,) = events(db, "voters.codes_issued")
    assert event.after == {"scope": "council", "codes": 1, "reissued_for": "B2"}
    with pytest.raises(CodeInvalid, match="NOBODY is not on this roll"):
        voters.issue_codes(
            db.session,
            council,
            funding_round,
            actor=officer,
            for_round=False,
            reference="NOBODY",
            key=KEY,
            now=now,
        )


def enter(db, home, reference: str, ballot: Ballot):
    council, _, officer, funding_round, paper = home
    pot = paper.pots[0]
    return voters.enter_paper_ballot(
        db.session,
        funding_round,
        paper,
        pot,
        reference=reference,
        ballot=ballot,
        actor=officer,
        today=TODAY,
    )


def test_entering_a_paper_ballot_casts_it_on_paper_and_audits_the_pot(db, home):
    council, hood, officer, _, paper = home
    entry = enrol(council, hood, reference="P2")
    a = paper.pots[0].projects[0].id
    assert enter(db, home, " p2 ", Ballot(choices=(a,))) == entry
    (mark,) = db.session.scalars(select(VoterMark))
    assert mark.channel == Channel.PAPER and mark.recorded_by_id == officer.id
    (event,) = events(db, "ballot.paper_entered")
    assert event.after == {"pot": paper.pots[0].name}
    assert "P2" not in str(event.after)


def test_a_paper_ballot_is_refused_beside_the_reference(db, home):
    council, hood, _, _, paper = home
    enrol(council, hood, reference="P2")
    a = paper.pots[0].projects[0].id
    with pytest.raises(NotEligible, match="NOBODY is not on this round's roll") as stranger:
        enter(db, home, "NOBODY", Ballot(choices=(a,)))
    assert stranger.value.field == "reference"
    enter(db, home, "P2", Ballot(choices=(a,)))
    with pytest.raises(AlreadyVoted) as twice:
        enter(db, home, "P2", Ballot(choices=(a,)))
    assert twice.value.field == "reference"
    assert twice.value.message == f"P2 has already voted in {paper.pots[0].name}"
    db.session.rollback()
    with pytest.raises(InvalidBallot):
        enter(db, home, "P2", Ballot(choices=(10**9,)))


def test_the_figures_count_the_roll_and_hide_turnout_until_voting_ends(db, home):
    council, hood, _, funding_round, _ = home
    enrol(council, hood, reference="A1")
    enrol(council, hood, reference="A2", round_id=funding_round.id)
    figures = voters.roll_figures(db.session, council, funding_round, now=utcnow())
    assert figures["council"]["people"] == 1 and figures["round"]["people"] == 1
    assert "turnout" not in figures
    funding_round.phase = Phase.CLOSED
    assert voters.roll_figures(db.session, council, funding_round, now=utcnow())["turnout"] == {
        "online": 0,
        "event": 0,
        "paper": 0,
    }


def stored(db) -> dict:
    db.session.rollback()
    return {m.__name__: count(db, m) for m in (VoterMark, StoredBallot, LogEntry, AuditEvent)}


def test_a_failed_commit_entering_a_paper_ballot_says_nothing_was_saved(
    app, client, db, home, monkeypatch
):
    council, hood, _, _, paper = home
    enrol(council, hood, reference="P2")
    db.session.commit()
    before = stored(db)
    pot = paper.pots[0]
    sign_in(client, "officer@example.org", PASSWORD)
    url = f"/officers/home/rounds/vote/paper/{pot.id}"

    def lock_timeout():
        raise OperationalError("COMMIT", {}, Exception("canceling statement: lock timeout"))

    monkeypatch.setattr(flask_db.session, "commit", lock_timeout)
    response = submit(client, url, {"reference": "P2", "choices": [pot.projects[0].id]})
    monkeypatch.undo()
    assert response.status_code == 200
    page = soup(response)
    assert "Nothing was saved for P2" in error_messages(page)["reference"]
    assert "already" not in page.get_text().lower()
    assert stored(db) == before
