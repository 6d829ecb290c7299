"""A file of paper ballots for a pot (app.workflow.paper_batches), on a real session: every
row decided with the reason an officer can act on, nothing stored by the check, all or nothing
when stored, the ballots counted, one audit event without references, stale and decided
batches refused; and the statements per row stay the same at any size."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event, func, select

from app.workflow import paper_batches as batches
from app.workflow import rounds
from app.workflow.models import (
    AuditEvent,
    Event,
    PaperBatch,
    PaperBatchState,
    Phase,
    Role,
)
from ballots import box
from ballots.errors import RoundClosed
from ballots.models import Channel, CheckIn, LogEntry, StoredBallot, VoterMark
from tests.ballots.helpers import enrol, place, voting_round
from tests.factories import create_council, create_user
from votes.model import Ballot

TODAY = date(2026, 5, 1)
NOW = datetime(2026, 5, 1, 12, tzinfo=UTC)


@pytest.fixture
def home(db):
    """A round in voting: a council-wide pot (ballot numbers 1, 2, 3) and North's pot; home
    pot only; voters 16 and over; blank ballots refused."""
    council = create_council(slug="home")
    centre = place(council, "Centre")
    north = place(council, "North")
    officer = create_user(email="officer@example.org", roles={council: Role.OFFICER})
    funding_round, paper = voting_round(
        council,
        costs=((10_000_00, 20_000_00, 30_000_00), (5_000_00, 6_000_00)),
        budgets=(50_000_00, 30_000_00),
        neighbourhoods=(None, north),
        home_pot_only=True,
        min_age=16,
    )
    funding_round.slug = "vote"
    db.session.commit()
    return council, centre, north, officer, funding_round, paper


def adult(council, hood, reference, **kw):
    return enrol(council, hood, reference=reference, born=date(1980, 1, 1), **kw)


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def stored(db) -> dict:
    return {m.__name__: count(db, m) for m in (VoterMark, StoredBallot, LogEntry, AuditEvent)}


def check(db, home, text, pot=0, **kw):
    *_, officer, funding_round, paper = home
    return batches.check(
        db.session,
        funding_round,
        paper.pots[pot],
        text=text,
        filename=kw.pop("filename", "ballots.csv"),
        actor=officer,
        today=TODAY,
        now=kw.pop("now", NOW),
    )


def store(db, home, batch_id, now=NOW):
    *_, officer, funding_round, _ = home
    return batches.store(db.session, batch_id, funding_round, actor=officer, today=TODAY, now=now)


def checked_in(db, council, funding_round, entry, officer):
    """``entry`` checked in at a voting event of the round (as the event desk does)."""
    happening = Event(
        council_id=council.id,
        round_id=funding_round.id,
        name="Decision day",
        place="Community centre",
        starts_at=NOW - timedelta(hours=2),
        ends_at=NOW + timedelta(hours=2),
    )
    db.session.add(happening)
    db.session.flush()
    db.session.add(
        CheckIn(
            event_id=happening.id,
            round_id=funding_round.id,
            roll_entry_id=entry.id,
            token_hash="0" * 64,
            pot_ids=" ".join(str(p.id) for p in funding_round.pots),
            checked_in_by_id=officer.id,
            checked_in_on=TODAY,
        )
    )
    db.session.commit()


def test_every_row_is_decided_with_its_reason_and_nothing_is_stored(db, home):
    council, centre, north, officer, funding_round, paper = home
    pot = paper.pots[0]
    a, b, c = (p.id for p in pot.projects)
    for ref in ("P1", "P2", "P3", "P4", "OK5", "OK6"):
        adult(council, centre, ref)
    adult(council, north, "N1")
    enrol(council, centre, reference="YOUNG", born=date(2015, 1, 1))
    enrol(council, centre, reference="NODOB")
    online = adult(council, centre, "ONLINE")
    at_event = adult(council, centre, "EVENT")
    on_paper = adult(council, centre, "PAPER")
    desk = adult(council, centre, "DESK")
    box.cast(db.session, paper, online, pot.id, Ballot((a,)), today=TODAY)
    box.cast(db.session, paper, at_event, pot.id, Ballot((a,)), today=TODAY, channel=Channel.EVENT)
    box.cast(db.session, paper, on_paper, pot.id, Ballot((a,)), today=TODAY, channel=Channel.PAPER)
    db.session.commit()
    checked_in(db, council, funding_round, desk, officer)
    before = stored(db)
    text = "\r\n".join(
        [
            "Reference,Choices,scan_id",  # any case; other columns are not read
            "P1,1;2,s1",  # 2: accepted, by ballot number
            f"p-2,#{c} #{a},s2",  # 3: accepted, by project number, reference as typed
            "STRANGER,1,s3",  # 4: not on the roll
            "ONLINE,1,s4",  # 5: voted online
            "EVENT,1,s5",  # 6: voted at an event
            "PAPER,1,s6",  # 7: already on paper
            "DESK,1,s7",  # 8: checked in at an event
            "P1,3,s8",  # 9: row 2 again
            "YOUNG,1,s9",  # 10: too young
            "NODOB,1,s10",  # 11: no date of birth
            "P3,1;2;3,s11",  # 12: accepted: an approval ballot may choose all three
            "P4,,s12",  # 13: blank, not allowed
            "OK5,9,s13",  # 14: no ballot number 9
            "OK6,1;1,s14",  # 15: the same project twice
            ",,",  # 16: blank row: not a ballot
            "N1,1,s16",  # 17: North may vote in the council-wide pot
            '=HYPERLINK("http://x"),1,s17',  # 18: not on the roll, as written
        ]
    )
    report = check(db, home, text)
    decided = {r.number: (r.code, str(r.reason) if r.reason else None) for r in report.rows}
    assert 16 not in decided and len(report.rows) == 16
    assert decided[2] == (None, None) and decided[3] == (None, None) and decided[17][0] is None
    assert decided[4] == ("not_on_roll", "STRANGER is not on this round's roll.")
    assert decided[5] == ("voted", f"ONLINE has already voted online in {pot.name}.")
    assert decided[6] == ("voted", f"EVENT has already voted at a voting event in {pot.name}.")
    assert decided[7] == ("voted", f"PAPER already has a paper ballot in {pot.name}.")
    assert decided[8][0] == "checked_in" and "checked in at a voting event" in decided[8][1]
    assert decided[9][0] == "duplicate" and "is on row 2 of this file too" in decided[9][1]
    assert decided[10] == (
        "not_eligible",
        "YOUNG is under 16, the youngest age that can vote in this round.",
    )
    assert decided[11][0] == "not_eligible" and "no date of birth for NODOB" in decided[11][1]
    assert decided[12] == (None, None)
    assert decided[13][0] == "invalid" and "blank" in decided[13][1]
    assert (
        decided[14][0] == "invalid"
        and "9 is not a project on this pot's ballot" in (decided[14][1])
    )
    assert decided[15][0] == "invalid" and "more than once" in decided[15][1]
    assert decided[18] == ("not_on_roll", '=HYPERLINK("http://x") is not on this round\'s roll.')
    assert report.ignored_columns == ("scan_id",)
    assert [r.number for r in report.accepted] == [2, 3, 12, 17]
    assert dict(report.by_reason)["voted"] == 3
    # Nothing but the batch: no mark, ballot, log entry or audit event.
    assert stored(db) == before
    (batch,) = db.session.scalars(select(PaperBatch))
    assert (batch.state, batch.rows_accepted, batch.rows_refused) == ("checked", 4, 12)
    assert batch.content_hash == hashlib.sha256(text.encode()).hexdigest()
    assert json.loads(batch.content)["text"] == text


def test_a_person_outside_the_pots_neighbourhood_is_refused_in_it(db, home):
    council, centre, *_, paper = home
    adult(council, centre, "C1")
    report = check(db, home, "reference,choices\nC1,1\n", pot=1)
    (row,) = report.rows
    assert row.code == "not_eligible"
    assert str(row.reason) == (
        f"C1 lives in Centre, so can vote only in its own pot and the council-wide pot, not "
        f"in {paper.pots[1].name}."
    )


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "The file is empty"),
        ("   \r\n\r\n", "The file is empty"),
        ("reference,choices\x00\nP1,1\n", "This is not a CSV file"),
        ("name,votes\nP1,1\n", "The first row must be the header: reference,choices"),
        ("reference,choices\n", "a header but no ballots"),
        ("reference,choices,points\nP1,1,3\n", "do not share out points"),
        ("reference,choices,choices\nP1,1,2\n", "names choices more than once"),
        ('reference,choices\nP1,"1\n', "cannot be read as CSV from row 2"),
    ],
)
def test_a_file_that_is_not_paper_ballots_is_refused_whole(db, home, text, says):
    with pytest.raises(batches.FileRefused, match=says):
        check(db, home, text)
    db.session.rollback()
    assert count(db, PaperBatch) == 0


def test_too_many_rows_are_refused_with_the_limit(db, home, monkeypatch):
    monkeypatch.setattr(batches, "MAX_ROWS", 3)
    with pytest.raises(batches.FileRefused, match="more than 3 ballots"):
        check(db, home, "reference,choices\n" + "P1,1\n" * 4)
    assert check(db, home, "reference,choices\n" + "P1,1\n" * 3).rows


def test_a_bom_crlf_and_every_separator_are_read(db, home):
    council, centre, *_ = home
    for ref in ("A", "B", "C"):
        adult(council, centre, ref)
    text = '\ufeffreference,choices\r\nA,1;2\r\nB,"1, 3"\r\nC,2 3\r\n'
    report = check(db, home, text)
    assert [r.ballot.choices for r in report.accepted] == [
        tuple(p.id for p in home[-1].pots[0].projects[:2]),
        (home[-1].pots[0].projects[0].id, home[-1].pots[0].projects[2].id),
        tuple(p.id for p in home[-1].pots[0].projects[1:]),
    ]


def test_hostile_cells_are_refused_row_by_row(db, home):
    council, centre, *_ = home
    adult(council, centre, "P1")
    text = "reference,choices\n" + "\n".join(
        [
            "P1\x07,1",  # a control character
            "X" * 5000 + ",1",  # a huge cell
            "P1,1,extra",  # a cell too many
            "P1",  # a cell too few
            ",1",  # no reference
        ]
    )
    report = check(db, home, text)
    reasons = [(r.number, r.code, str(r.reason)) for r in report.rows]
    assert [code for _, code, _ in reasons] == ["unreadable"] * 5
    assert "control character" in reasons[0][2]
    assert "5,000 characters long" in reasons[1][2] and len(report.rows[1].reference) < 510
    assert "3 cells but the header has 2 columns" in reasons[2][2]
    assert "1 cell but the header has 2 columns" in reasons[3][2]
    assert "no roll reference" in reasons[4][2]


def test_storing_casts_every_accepted_row_on_paper_and_audits_the_counts(db, home):
    council, centre, _, officer, funding_round, paper = home
    for ref in ("P1", "P2", "P3"):
        adult(council, centre, ref)
    report = check(db, home, "reference,choices\nP1,1\nP2,2;3\nNOPE,1\nP3,1 2\n")
    db.session.commit()
    done = store(db, home, report.batch.id)
    db.session.commit()
    assert (done.stored, done.refused) == (3, 1)
    marks = db.session.scalars(select(VoterMark)).all()
    assert {(m.channel, m.recorded_by_id) for m in marks} == {(Channel.PAPER, officer.id)}
    assert count(db, StoredBallot) == 3 and box.verify_log(db.session, funding_round.id) == []
    batch = db.session.get(PaperBatch, report.batch.id)
    assert batch.state == PaperBatchState.STORED and batch.content is None
    assert batch.decided_at is not None and (batch.rows_accepted, batch.rows_refused) == (3, 1)
    (audited,) = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "ballot.paper_batch_stored")
    )
    assert audited.actor_id == officer.id
    assert audited.after == {
        "pot": paper.pots[0].name,
        "stored": 3,
        "refused": 1,
        "file_sha256": batch.content_hash,
    }
    assert not {"P1", "P2", "P3", "NOPE"} & set(str(audited.after).split("'"))
    # Stored once: a second store, and the same file again, are refused.
    with pytest.raises(batches.BatchDecided, match="3 paper ballots were stored on 1 May 2026"):
        store(db, home, report.batch.id)
    db.session.rollback()
    with pytest.raises(batches.FileRefused, match="This very file was stored on 1 May 2026"):
        check(db, home, "reference,choices\nP1,1\nP2,2;3\nNOPE,1\nP3,1 2\n")


def test_a_row_that_changed_since_the_report_stores_nothing_and_is_named(db, home):
    council, centre, _, officer, funding_round, paper = home
    pot = paper.pots[0]
    entries = [adult(council, centre, ref) for ref in ("P1", "P2", "P3")]
    report = check(db, home, "reference,choices\nP1,1\nP2,2\nP3,3\n")
    db.session.commit()
    # P2 votes online after the report was made.
    box.cast(db.session, paper, entries[1], pot.id, Ballot((pot.projects[0].id,)), today=TODAY)
    db.session.commit()
    before = stored(db)
    with pytest.raises(batches.BatchChanged) as changed:
        store(db, home, report.batch.id)
    db.session.rollback()
    assert changed.value.rows == [(3, f"P2 has already voted online in {pot.name}.")]
    assert "row 3: P2 has already voted online" in str(changed.value.message)
    assert stored(db) == before
    assert db.session.get(PaperBatch, report.batch.id).state == PaperBatchState.CHECKED
    # The report as it is now names the row; checked again (uploaded again), the rest store.
    now = batches.report(db.session, funding_round, pot, report.batch, today=TODAY, now=NOW)
    assert [r.number for r in now.changed] == [3]
    again = check(db, home, "reference,choices\nP1,1\nP2,2\nP3,3\n")
    assert store(db, home, again.batch.id).stored == 2


def test_the_stored_ballots_are_counted(db, home):
    council, centre, _, officer, funding_round, paper = home
    for i in range(4):
        adult(council, centre, f"P{i}")
    report = check(db, home, "reference,choices\nP0,1\nP1,1\nP2,1;2\nP3,3\n")
    store(db, home, report.batch.id)
    db.session.commit()
    rounds.change_phase(
        db.session,
        funding_round,
        target=Phase.CLOSED,
        expected=Phase.VOTING,
        actor=officer,
        now=NOW,
    )
    db.session.commit()
    election = box.stored_election(db.session, paper, paper.pots[0].id)
    a, b, c = (p.id for p in paper.pots[0].projects)
    assert sorted(x.choices for x in election.ballots) == sorted([(a,), (a,), (a, b), (c,)])


def test_only_while_voting_is_open(db, home):
    council, centre, _, officer, funding_round, paper = home
    adult(council, centre, "P1")
    report = check(db, home, "reference,choices\nP1,1\n")
    db.session.commit()
    rounds.change_phase(
        db.session,
        funding_round,
        target=Phase.CLOSED,
        expected=Phase.VOTING,
        actor=officer,
        now=NOW,
    )
    db.session.commit()
    # Closing voting emptied the waiting file.
    batch = db.session.get(PaperBatch, report.batch.id)
    assert (batch.state, batch.content) == (PaperBatchState.DISCARDED, None)
    with pytest.raises(RoundClosed, match="only while voting is open"):
        check(db, home, "reference,choices\nP1,1\n")
    db.session.rollback()
    with pytest.raises(RoundClosed, match="only while voting is open"):
        store(db, home, report.batch.id)
    db.session.rollback()
    assert count(db, VoterMark) == 0


def test_a_stale_batch_is_refused_and_emptied_when_seen(db, home):
    council, centre, *_, funding_round, paper = home
    adult(council, centre, "P1")
    report = check(db, home, "reference,choices\nP1,1\n", now=NOW - timedelta(hours=25))
    db.session.commit()
    with pytest.raises(batches.BatchDecided, match="more than 24 hours ago"):
        store(db, home, report.batch.id)
    db.session.rollback()
    assert count(db, VoterMark) == 0
    seen = batches.report(
        db.session, funding_round, paper.pots[0], report.batch, today=TODAY, now=NOW
    )
    db.session.commit()
    assert seen.stale and not seen.checked
    batch = db.session.get(PaperBatch, report.batch.id)
    assert (batch.state, batch.content) == (PaperBatchState.DISCARDED, None)


def test_a_stale_batch_is_emptied_by_the_next_upload(db, home):
    council, centre, *_ = home
    adult(council, centre, "P1")
    old = check(db, home, "reference,choices\nP1,1\n", now=NOW - timedelta(hours=25))
    check(db, home, "reference,choices\nP1,2\n")
    db.session.commit()
    assert db.session.get(PaperBatch, old.batch.id).content is None


def test_discarding_empties_the_batch_and_is_audited(db, home):
    council, centre, _, officer, funding_round, paper = home
    adult(council, centre, "P1")
    report = check(db, home, "reference,choices\nP1,1\n")
    batches.discard(db.session, report.batch.id, funding_round, actor=officer, now=NOW)
    db.session.commit()
    batch = db.session.get(PaperBatch, report.batch.id)
    assert (batch.state, batch.content) == (PaperBatchState.DISCARDED, None)
    (audited,) = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "ballot.paper_batch_discarded")
    )
    assert audited.after["pot"] == paper.pots[0].name
    with pytest.raises(batches.BatchDecided, match="discarded"):
        store(db, home, report.batch.id)


@pytest.mark.parametrize(
    ("kind", "config", "text", "choices", "points"),
    [
        ("ranked", {"max_choices": 3}, "reference,choices\nP1,3;1\n", (2, 0), ()),
        (
            "cumulative",
            {"points": 6, "max_points_per_project": 4},
            "reference,choices,points\nP1,1 3,4 2\n",
            (0, 2),
            (4, 2),
        ),
        ("single-choice", {}, "reference,choices\nP1,2\n", (1,), ()),
        ("knapsack", {}, "reference,choices\nP1,1;2\n", (0, 1), ()),
    ],
)
def test_every_kind_of_ballot(db, kind, config, text, choices, points):
    council = create_council(slug="kinds")
    hood = place(council)
    officer = create_user(roles={council: Role.OFFICER})
    funding_round, paper = voting_round(council, kind=kind, **config)
    entry = enrol(council, hood, reference="P1")
    pot = paper.pots[0]
    report = batches.check(
        db.session, funding_round, pot, text=text, filename="f.csv", actor=officer, today=TODAY
    )
    (row,) = report.rows
    assert row.accepted, row.reason
    assert row.ballot.choices == tuple(pot.projects[i].id for i in choices)
    assert row.ballot.points == points
    batches.store(db.session, report.batch.id, funding_round, actor=officer, today=TODAY)
    assert box.has_voted(db.session, entry, pot.id) == Channel.PAPER


def test_points_that_are_not_whole_numbers_are_refused(db):
    council = create_council(slug="points")
    hood = place(council)
    officer = create_user(roles={council: Role.OFFICER})
    funding_round, paper = voting_round(council, kind="cumulative", points=6)
    enrol(council, hood, reference="P1")
    report = batches.check(
        db.session,
        funding_round,
        paper.pots[0],
        text="reference,choices,points\nP1,1 2,3 two\n",
        filename="f.csv",
        actor=officer,
        today=TODAY,
    )
    (row,) = report.rows
    assert row.code == "invalid" and "two is not" in str(row.reason)


def test_a_blank_ballot_where_the_round_allows_them(db):
    council = create_council(slug="blank")
    hood = place(council)
    officer = create_user(roles={council: Role.OFFICER})
    funding_round, paper = voting_round(council, allow_blank_ballots=True)
    enrol(council, hood, reference="P1")
    report = batches.check(
        db.session,
        funding_round,
        paper.pots[0],
        text="reference,choices\nP1,\n",
        filename="f.csv",
        actor=officer,
        today=TODAY,
    )
    assert report.rows[0].accepted and report.rows[0].ballot.choices == ()


def _statements(db, fn) -> int:
    sent = [0]

    def counted(*_args) -> None:
        sent[0] += 1

    engine = db.engine
    event.listen(engine, "before_cursor_execute", counted)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", counted)
    return sent[0]


def test_checking_costs_the_same_and_storing_the_same_per_row_at_any_size(db, home):
    council, centre, *_, funding_round, _ = home
    # The log's first entry is written once, by the first ballot or here.
    box.open_log(db.session, funding_round.id, funding_round.manifest_hash)
    sizes = (5, 10, 20)
    checks, stores = [], []
    for n in sizes:
        refs = [f"S{n}-{i}" for i in range(n)]
        for ref in refs:
            adult(council, centre, ref)
        text = "reference,choices\n" + "".join(f"{r},{1 + i % 3}\n" for i, r in enumerate(refs))
        made = []
        checks.append(
            _statements(db, lambda text=text, made=made: made.append(check(db, home, text)))
        )
        db.session.commit()
        stores.append(_statements(db, lambda made=made: store(db, home, made[0].batch.id)))
        db.session.commit()
    assert checks[0] == checks[1] == checks[2], checks
    per_row = (stores[1] - stores[0]) / 5
    assert stores[2] - stores[1] == per_row * 10, stores
    assert per_row <= 8, per_row


def test_turnout_by_channel_counts_the_marks_once_voting_has_closed(db, home):
    from app.workflow import results

    council, centre, north, officer, funding_round, paper = home
    big, small = paper.pots
    online, event_goer, on_paper = (adult(council, north, r) for r in ("O", "E", "P"))
    box.cast(db.session, paper, online, big.id, Ballot((big.projects[0].id,)), today=TODAY)
    box.cast(
        db.session,
        paper,
        event_goer,
        small.id,
        Ballot((small.projects[0].id,)),
        today=TODAY,
        channel=Channel.EVENT,
    )
    store(db, home, check(db, home, "reference,choices\nP,2\n").batch.id)
    db.session.commit()
    assert results.turnout_by_channel(db.session, funding_round) == {}
    funding_round.phase = Phase.CLOSED
    assert results.turnout_by_channel(db.session, funding_round) == {
        big.id: {"online": 1, "event": 0, "paper": 1},
        small.id: {"online": 0, "event": 1, "paper": 0},
        None: {"online": 1, "event": 1, "paper": 1},
    }
    # Both pots are below the round's minimum of 10: only the round's figures are shown.
    assert results.shown_by_channel(db.session, funding_round) == {
        None: {"online": 1, "event": 1, "paper": 1}
    }
    db.session.rollback()
