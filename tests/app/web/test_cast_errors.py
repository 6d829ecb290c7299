"""A database error while casting is never "already voted": online or on paper, a failure
that is not the voter marks' unique constraint says nothing was saved, and nothing is."""

import logging

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError, OperationalError

from app.web.extensions import db as flask_db
from app.workflow.models import AuditEvent, Role
from ballots import box
from ballots.models import Channel, LogEntry, Receipt, StoredBallot, VoterMark
from tests.app.pages import error_messages, sign_in, soup, submit
from tests.ballots.helpers import enrol, place, voting_round
from tests.ballots.test_pages import vote_through_pages
from tests.factories import PASSWORD, create_council, create_user


def stored(db) -> dict:
    db.session.rollback()
    return {
        m.__name__: db.session.scalar(select(func.count()).select_from(m))
        for m in (VoterMark, StoredBallot, Receipt, LogEntry, AuditEvent)
    }


def setup(db):
    council = create_council(slug="home")
    hood = place(council)
    voter = create_user(email="voter@example.org", roles={council: Role.RESIDENT}, home=hood)
    create_user(email="officer@example.org", roles={council: Role.OFFICER})
    funding_round, paper = voting_round(council)
    funding_round.slug = "vote"
    db.session.commit()
    entries = enrol(council, hood, user=voter, reference="R1"), enrol(council, hood, reference="P2")
    return funding_round, paper, [e.id for e in entries]


def lock_timeout(*args, **kwargs):
    raise OperationalError(
        "INSERT INTO ballots", {}, Exception("canceling statement: lock timeout")
    )


def failing_after_the_mark(monkeypatch):
    """The ballot's insert fails once the voter's mark has been written in the transaction."""
    real = box._new_ballot

    def new_ballot(session, *args, **kwargs):
        session.flush()  # the mark is written
        assert session.scalar(select(func.count()).select_from(VoterMark)) == 1
        lock_timeout()
        return real(session, *args, **kwargs)

    monkeypatch.setattr(box, "_new_ballot", new_ballot)


def test_an_operational_error_while_casting_online_saves_nothing_and_says_so(
    app, client, db, monkeypatch, caplog
):
    _, paper, _ = setup(db)
    before = stored(db)
    sign_in(client, "voter@example.org", PASSWORD)
    a, b, _ = [p.id for p in paper.pots[0].projects]
    failing_after_the_mark(monkeypatch)
    with caplog.at_level(logging.ERROR):
        response = vote_through_pages(client, paper, {"choices": [a, b]})
    assert response.status_code == 200
    page = soup(response)
    summary = page.select_one(".govuk-error-summary").get_text(" ", strip=True)
    assert "nothing was saved" in summary and "Please try again" in summary
    assert "already voted" not in page.get_text()
    # The page still holds the ballot, so casting again is one press.
    form = page.select_one("main form[method=post]")
    assert form["action"].endswith("/confirm")
    assert {i["value"] for i in form.select("input[name=choices]")} == {str(a), str(b)}
    assert stored(db) == before
    assert any("nothing was saved" in r.getMessage() for r in caplog.records)
    assert any(r.exc_info and r.exc_info[0] is OperationalError for r in caplog.records)
    # And once the database answers again, the same ballot is cast.
    monkeypatch.undo()
    response = vote_through_pages(client, paper, {"choices": [a, b]})
    assert response.status_code == 302 and response.headers["Location"].endswith("/cast")
    assert stored(db)["VoterMark"] == 1


def test_a_failed_commit_with_nothing_saved_is_not_already_voted(app, client, db, monkeypatch):
    _, paper, _ = setup(db)
    before = stored(db)
    sign_in(client, "voter@example.org", PASSWORD)
    a = paper.pots[0].projects[0].id
    monkeypatch.setattr(flask_db.session, "commit", lock_timeout)
    response = vote_through_pages(client, paper, {"choices": [a]})
    monkeypatch.undo()
    assert response.status_code == 200
    assert "nothing was saved" in soup(response).select_one(".govuk-error-summary").get_text()
    assert stored(db) == before


def test_an_operational_error_entering_a_paper_ballot_saves_nothing_and_says_so(
    app, client, db, monkeypatch, caplog
):
    _, paper, _ = setup(db)
    before = stored(db)
    pot = paper.pots[0]
    a = pot.projects[0].id
    sign_in(client, "officer@example.org", PASSWORD)
    url = f"/officers/home/rounds/vote/paper/{pot.id}"
    failing_after_the_mark(monkeypatch)
    with caplog.at_level(logging.ERROR):
        response = submit(client, url, {"reference": "P2", "choices": [a], "action": "enter"})
    assert response.status_code == 200
    page = soup(response)
    message = error_messages(page)["reference"]
    assert "Nothing was saved for P2" in message and "enter this ballot again" in message
    assert "already voted" not in page.get_text()
    assert page.select_one("input[name=reference]")["value"] == "P2"
    assert [i["value"] for i in page.select("input[name=choices][checked]")] == [str(a)]
    assert stored(db) == before  # no mark, ballot, log entry or audit event
    assert any(r.exc_info and r.exc_info[0] is OperationalError for r in caplog.records)
    # Entered again once the database answers: recorded, and a third time is "already voted".
    monkeypatch.undo()
    assert submit(client, url, {"reference": "P2", "choices": [a]}).status_code == 302
    again = submit(client, url, {"reference": "P2", "choices": [a]})
    assert "P2 has already voted" in error_messages(soup(again))["reference"]
    assert stored(db)["VoterMark"] == 1


def test_only_the_voter_marks_constraint_means_already_voted(app, db):
    funding_round, paper, (entry_id, other_id) = setup(db)
    pot = paper.pots[0]
    mark = {"round_id": funding_round.id, "pot_id": pot.id, "channel": Channel.ONLINE}
    db.session.execute(insert(VoterMark).values(id="a" * 32, roll_entry_id=entry_id, **mark))
    with pytest.raises(IntegrityError) as twice:
        db.session.execute(insert(VoterMark).values(id="b" * 32, roll_entry_id=entry_id, **mark))
    assert box.violates(twice.value, box.ONE_BALLOT_PER_POT)
    db.session.rollback()
    # The same key twice is another constraint (the primary key): not "already voted".
    db.session.execute(insert(VoterMark).values(id="c" * 32, roll_entry_id=entry_id, **mark))
    with pytest.raises(IntegrityError) as same_key:
        db.session.execute(insert(VoterMark).values(id="c" * 32, roll_entry_id=other_id, **mark))
    assert not box.violates(same_key.value, box.ONE_BALLOT_PER_POT)
    db.session.rollback()


def test_a_commit_that_took_effect_before_its_connection_failed_says_so(
    app, client, db, monkeypatch
):
    """A connection lost while committing leaves the outcome unknown: the mark is read again,
    and a ballot that was saved after all is not called "nothing was saved"."""
    _, paper, _ = setup(db)
    sign_in(client, "voter@example.org", PASSWORD)
    a = paper.pots[0].projects[0].id
    real = flask_db.session.commit

    def commit_then_fail():
        real()
        lock_timeout()

    monkeypatch.setattr(flask_db.session, "commit", commit_then_fail)
    response = vote_through_pages(client, paper, {"choices": [a]})
    monkeypatch.undo()
    assert response.status_code == 302 and response.headers["Location"].endswith("/vote")
    page = soup(client.get(response.headers["Location"]))
    assert "was recorded, but its receipt could not be shown" in page.get_text()
    assert stored(db)["VoterMark"] == 1 and stored(db)["StoredBallot"] == 1
