"""Casting exactly once, with every rule checked by ``votes`` and nothing kept on a refusal."""

from dataclasses import fields
from datetime import date

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError

from app.workflow.models import Phase
from ballots import box
from ballots.errors import (
    AlreadyVoted,
    InvalidBallot,
    NotEligible,
    ReceiptNotFound,
    RoundClosed,
    VoteChangeNotAllowed,
    VotingOpen,
)
from ballots.models import Channel, LogEntry, LogKind, Receipt, StoredBallot, VoterMark
from tests.ballots.helpers import enrol, place, voting_round
from tests.conftest import owner_connection
from tests.factories import create_council
from votes.model import Ballot, TieBreak
from votes.rules import tally

TODAY = date(2026, 11, 23)


def counts(db) -> dict:
    db.session.rollback()
    return {
        m.__name__: db.session.scalar(select(func.count()).select_from(m))
        for m in (VoterMark, StoredBallot, Receipt, LogEntry)
    }


def ids(pot) -> list[str]:
    return [p.id for p in pot.projects]


@pytest.fixture
def world(db):
    council = create_council()
    hood = place(council)
    funding_round, paper = voting_round(council)
    entry = enrol(council, hood)
    return council, hood, funding_round, paper, entry


def test_a_ballot_is_cast_once_with_mark_ballot_receipt_and_log_entry(db, world):
    _, _, funding_round, paper, entry = world
    pot = paper.pots[0]
    result = box.cast(db.session, paper, entry, pot.id, Ballot(tuple(ids(pot)[:2])), today=TODAY)
    db.session.commit()
    assert result.sequence == 1
    assert len(box.normalise_receipt(result.receipt)) * 5 >= 128
    assert counts(db) == {"VoterMark": 1, "StoredBallot": 1, "Receipt": 1, "LogEntry": 2}
    genesis = db.session.scalar(select(LogEntry).where(LogEntry.sequence == 0))
    assert genesis.kind is LogKind.GENESIS
    assert genesis.payload_hash == funding_round.manifest_hash
    assert box.log_head(db.session, funding_round.id).entry_hash == result.entry_hash
    assert box.verify_log(db.session, funding_round.id) == []
    # The receipt code itself is nowhere in the database.
    assert db.session.scalar(select(Receipt.receipt_hash)) != box.normalise_receipt(result.receipt)

    with pytest.raises(AlreadyVoted):
        box.cast(db.session, paper, entry, pot.id, Ballot((ids(pot)[2],)), today=TODAY)
    assert counts(db) == {"VoterMark": 1, "StoredBallot": 1, "Receipt": 1, "LogEntry": 2}


def test_the_stored_ballot_is_canonical(db, world):
    _, _, _, paper, entry = world
    pot = paper.pots[0]
    a, b = ids(pot)[:2]
    box.cast(db.session, paper, entry, pot.id, Ballot((b, a)), today=TODAY)
    db.session.commit()
    assert (
        db.session.scalar(select(StoredBallot.content))
        == f'{{"choices":["{a}","{b}"],"points":[]}}'
    )


@pytest.mark.parametrize(
    ("kind", "config", "choices", "points", "codes"),
    [
        ("approval", {"max_choices": 1}, ("A", "B"), (), ["too_many"]),
        ("approval", {"min_choices": 2}, ("A",), (), ["too_few"]),
        ("approval", {}, ("A", "A"), (), ["duplicate"]),
        ("approval", {}, ("A", "999999"), (), ["unknown_project"]),
        ("approval", {}, ("A",), (1,), ["unexpected_points"]),
        ("knapsack", {}, ("A", "B", "C"), (), ["over_budget"]),
        ("single-choice", {}, ("A", "B"), (), ["too_many"]),
        ("single-choice", {}, (), (), ["too_few"]),
        ("ranked", {"max_choices": 3}, ("A", "", "B"), (), ["rank_gap"]),
        (
            "cumulative",
            {"points": 5, "max_points_per_project": 3},
            ("A", "B"),
            (4, 2),
            ["points_cap", "points_total"],
        ),
        ("cumulative", {"points": 5}, ("A",), (2,), ["points_total"]),
        ("cumulative", {"points": 5}, ("A", "B"), (6, -1), ["negative_points"]),
    ],
)
def test_an_invalid_ballot_is_refused_with_votes_problems_and_changes_nothing(
    db, kind, config, choices, points, codes
):
    council = create_council()
    hood = place(council)
    _, paper = voting_round(council, kind=kind, **config)
    entry = enrol(council, hood)
    pot = paper.pots[0]
    letters = dict(zip("ABC", ids(pot), strict=True))
    ballot = Ballot(tuple(letters.get(c, c) for c in choices), points)
    before = counts(db)
    with pytest.raises(InvalidBallot) as caught:
        box.cast(db.session, paper, entry, pot.id, ballot, today=TODAY)
    assert [p.code for p in caught.value.problems] == codes
    assert counts(db) == before


def test_another_rounds_project_is_unknown(db, world):
    council, hood, _, paper, entry = world
    _, other = voting_round(council)
    with pytest.raises(InvalidBallot) as caught:
        box.cast(
            db.session,
            paper,
            entry,
            paper.pots[0].id,
            Ballot((ids(other.pots[0])[0],)),
            today=TODAY,
        )
    assert [p.code for p in caught.value.problems] == ["unknown_project"]
    with pytest.raises(NotEligible):  # nor can a ballot go into another round's pot
        box.cast(
            db.session,
            paper,
            entry,
            other.pots[0].id,
            Ballot((ids(other.pots[0])[0],)),
            today=TODAY,
        )


@pytest.mark.parametrize("phase", [Phase.SUPPORTS, Phase.CLOSED, Phase.PUBLISHED])
def test_no_ballot_outside_voting(db, phase):
    council = create_council()
    hood = place(council)
    _, paper = voting_round(council, phase=phase)
    entry = enrol(council, hood)
    before = counts(db)
    with pytest.raises(RoundClosed):
        box.cast(
            db.session,
            paper,
            entry,
            paper.pots[0].id,
            Ballot((ids(paper.pots[0])[0],)),
            today=TODAY,
        )
    assert counts(db) == before


@pytest.mark.parametrize(
    ("born", "ok"),
    [
        (date(2010, 11, 23), True),
        (date(2010, 11, 24), False),
        (date(1990, 1, 1), False),
        (None, False),
    ],
)
def test_age_limits_on_the_day_of_voting(db, born, ok):
    council = create_council()
    hood = place(council)
    _, paper = voting_round(council, min_age=16, max_age=25)
    entry = enrol(council, hood, born=born)
    pot = paper.pots[0]
    if ok:
        box.cast(db.session, paper, entry, pot.id, Ballot((ids(pot)[0],)), today=TODAY)
    else:
        with pytest.raises(NotEligible):
            box.cast(db.session, paper, entry, pot.id, Ballot((ids(pot)[0],)), today=TODAY)


def test_home_pot_only(db):
    council = create_council()
    north, south = place(council, "North"), place(council, "South")
    _, paper = voting_round(
        council,
        costs=((1_000_00,), (1_000_00,), (1_000_00,)),
        budgets=(5_000_00, 5_000_00, 5_000_00),
        neighbourhoods=(None, north, south),
        home_pot_only=True,
    )
    entry = enrol(council, north)
    wide, mine, theirs = paper.pots
    with pytest.raises(NotEligible):
        box.cast(db.session, paper, entry, theirs.id, Ballot(tuple(ids(theirs))), today=TODAY)
    db.session.rollback()
    box.cast(db.session, paper, entry, mine.id, Ballot(tuple(ids(mine))), today=TODAY)
    box.cast(db.session, paper, entry, wide.id, Ballot(tuple(ids(wide))), today=TODAY)
    db.session.commit()
    assert counts(db)["VoterMark"] == 2


def test_someone_on_another_councils_roll_cannot_vote(db, world):
    _, _, _, paper, _ = world
    elsewhere = create_council()
    stranger = enrol(elsewhere, place(elsewhere))
    with pytest.raises(NotEligible):
        box.cast(
            db.session,
            paper,
            stranger,
            paper.pots[0].id,
            Ballot((ids(paper.pots[0])[0],)),
            today=TODAY,
        )


@pytest.mark.parametrize("first", [Channel.PAPER, Channel.ONLINE])
def test_paper_and_online_exclude_each_other(db, world, first):
    _, _, _, paper, entry = world
    pot = paper.pots[0]
    second = Channel.ONLINE if first is Channel.PAPER else Channel.PAPER
    result = box.cast(
        db.session, paper, entry, pot.id, Ballot((ids(pot)[0],)), today=TODAY, channel=first
    )
    db.session.commit()
    assert (result.receipt is None) == (first is Channel.PAPER)
    with pytest.raises(AlreadyVoted):
        box.cast(
            db.session, paper, entry, pot.id, Ballot((ids(pot)[1],)), today=TODAY, channel=second
        )


def test_the_ballot_tables_are_append_only(db, world):
    _, _, _, paper, entry = world
    box.cast(
        db.session, paper, entry, paper.pots[0].id, Ballot((ids(paper.pots[0])[0],)), today=TODAY
    )
    db.session.commit()
    for sql in (
        "UPDATE ballots SET content = '{}'",
        "DELETE FROM ballots",
        "UPDATE ballot_log SET payload_hash = 'x'",
        "DELETE FROM voter_marks",
        "DELETE FROM receipts",
    ):
        # As the tables' owner: the triggers hold even for it.
        with pytest.raises(DatabaseError, match="append-only"), owner_connection() as conn:
            conn.execute(text(sql))
        db.session.rollback()


def test_closing_appends_a_close_entry_and_then_nothing_follows(db, world):
    _, hood, funding_round, paper, entry = world
    council = funding_round.council
    pot = paper.pots[0]
    box.cast(db.session, paper, entry, pot.id, Ballot((ids(pot)[0],)), today=TODAY)
    db.session.commit()
    funding_round.phase = Phase.CLOSED
    closing = box.close_log(db.session, funding_round.id, funding_round.manifest_hash)
    db.session.commit()
    assert (closing.sequence, closing.kind) == (2, LogKind.CLOSE)
    assert box.close_log(db.session, funding_round.id, funding_round.manifest_hash) == closing
    assert box.verify_log(db.session, funding_round.id) == []
    late = enrol(council, hood)
    with pytest.raises(RoundClosed):
        box.cast(db.session, paper, late, pot.id, Ballot((ids(pot)[0],)), today=TODAY)


def test_receipt_check_says_where_a_ballot_is_never_what_it_says(db, world):
    _, _, funding_round, paper, entry = world
    pot = paper.pots[0]
    result = box.cast(db.session, paper, entry, pot.id, Ballot((ids(pot)[0],)), today=TODAY)
    db.session.commit()
    found = box.check_receipt(
        db.session, funding_round.id, result.receipt.lower().replace("-", " ")
    )
    assert (found.sequence, found.entry_hash, found.superseded_at) == (1, result.entry_hash, None)
    # What a receipt check can tell: a place in the log and hashes, no choices.
    assert [f.name for f in fields(found)] == [
        "sequence",
        "ballot_hash",
        "entry_hash",
        "superseded_at",
    ]
    with pytest.raises(ReceiptNotFound):
        box.check_receipt(db.session, funding_round.id, "AAAAA-AAAAA-AAAAA-AAAAA-AAAAA-A")
    other, _ = voting_round(funding_round.council)
    with pytest.raises(ReceiptNotFound):  # another round's page does not know it
        box.check_receipt(db.session, other.id, result.receipt)


def test_vote_change_is_off_by_default(db, world):
    _, _, _, paper, entry = world
    pot = paper.pots[0]
    result = box.cast(db.session, paper, entry, pot.id, Ballot((ids(pot)[0],)), today=TODAY)
    db.session.commit()
    with pytest.raises(VoteChangeNotAllowed):
        box.replace(
            db.session, paper, entry, pot.id, result.receipt, Ballot((ids(pot)[1],)), today=TODAY
        )


def test_a_changed_vote_supersedes_the_old_ballot_in_the_log(db):
    council = create_council()
    hood = place(council)
    funding_round, paper = voting_round(council, allow_vote_change=True)
    entry, other = enrol(council, hood), enrol(council, hood)
    pot = paper.pots[0]
    a, b, c = ids(pot)
    first = box.cast(db.session, paper, entry, pot.id, Ballot((a,)), today=TODAY)
    theirs = box.cast(db.session, paper, other, pot.id, Ballot((c,)), today=TODAY)
    db.session.commit()
    with pytest.raises(ReceiptNotFound):  # a made-up receipt
        box.replace(db.session, paper, entry, pot.id, "NOPE", Ballot((b,)), today=TODAY)
    db.session.rollback()
    with pytest.raises(InvalidBallot):  # the new ballot is checked like any other
        box.replace(db.session, paper, entry, pot.id, first.receipt, Ballot((a, a)), today=TODAY)
    db.session.rollback()
    second = box.replace(db.session, paper, entry, pot.id, first.receipt, Ballot((b,)), today=TODAY)
    db.session.commit()
    assert second.sequence == 4  # genesis, two ballots, supersede, the new ballot
    assert box.check_receipt(db.session, funding_round.id, first.receipt).superseded_at == 3
    assert box.check_receipt(db.session, funding_round.id, second.receipt).superseded_at is None
    with pytest.raises(ReceiptNotFound):  # an old receipt cannot replace again
        box.replace(db.session, paper, entry, pot.id, first.receipt, Ballot((c,)), today=TODAY)
    db.session.rollback()
    assert box.verify_log(db.session, funding_round.id) == []
    assert counts(db)["VoterMark"] == 2  # still one mark each
    funding_round.phase = Phase.CLOSED
    db.session.commit()
    election = box.stored_election(db.session, paper, pot.id)
    assert sorted(e.choices for e in election.ballots) == [(b,), (c,)]
    del theirs


def test_no_running_tally_while_voting(db, world):
    _, _, funding_round, paper, entry = world
    with pytest.raises(VotingOpen):
        box.stored_election(db.session, paper, paper.pots[0].id)
    with pytest.raises(VotingOpen):
        box.turnout(db.session, funding_round.id)


def test_a_closed_pot_is_counted_on_exactly_what_was_stored(db):
    council = create_council()
    hood = place(council)
    funding_round, paper = voting_round(council, kind="cumulative", points=3)
    pot = paper.pots[0]
    a, b, c = ids(pot)
    cast = [
        Ballot((a, b), (2, 1)),
        Ballot((c,), (3,)),
        Ballot((b, a, c), (1, 1, 1)),
        Ballot((a, c, b), (3, 0, 0)),
    ]
    for ballot in cast:
        box.cast(db.session, paper, enrol(council, hood), pot.id, ballot, today=TODAY)
    db.session.commit()
    funding_round.phase = Phase.CLOSED
    db.session.commit()
    election = box.stored_election(db.session, paper, pot.id)
    as_cast = [box.decode_ballot(box.encode_ballot(x, paper.kind)) for x in cast]
    assert sorted(election.ballots, key=repr) == sorted(as_cast, key=repr)
    from votes.model import Election

    direct = Election(election.budget, pot.projects, tuple(cast), paper.rules)
    for rule in ("greedy", "mes"):
        assert (
            tally(election, rule, TieBreak.COST_VOTES).selected
            == tally(direct, rule, TieBreak.COST_VOTES).selected
        )
    assert box.turnout(db.session, funding_round.id) == 4


def test_the_database_itself_refuses_a_second_mark(db, world):
    """The unique constraint, not the check before it, is what makes a second ballot
    impossible: written straight to the table, a second mark is refused."""
    from sqlalchemy.exc import IntegrityError

    _, _, funding_round, paper, entry = world
    pot = paper.pots[0]
    for channel in (Channel.ONLINE, Channel.PAPER):
        db.session.add(
            VoterMark(
                roll_entry_id=entry.id, round_id=funding_round.id, pot_id=pot.id, channel=channel
            )
        )
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_opening_voting_starts_the_log_and_closing_seals_it(db):
    from datetime import UTC, datetime

    from app.workflow import rounds
    from ballots.paper import ballot_paper

    council = create_council()
    hood = place(council)
    funding_round, _ = voting_round(council, phase=Phase.SUPPORTS, supports_enabled=True)
    now = datetime(2026, 11, 23, 12, tzinfo=UTC)
    rounds.change_phase(
        db.session, funding_round, target=Phase.VOTING, expected=Phase.SUPPORTS, actor=None, now=now
    )
    db.session.commit()
    genesis = box.log_head(db.session, funding_round.id)
    assert (genesis.sequence, genesis.kind, genesis.payload_hash) == (
        0,
        LogKind.GENESIS,
        funding_round.manifest_hash,
    )
    paper = ballot_paper(funding_round.manifest_json)
    pot = paper.pots[0]
    box.cast(db.session, paper, enrol(council, hood), pot.id, Ballot((ids(pot)[0],)), today=TODAY)
    db.session.commit()
    rounds.change_phase(
        db.session, funding_round, target=Phase.CLOSED, expected=Phase.VOTING, actor=None, now=now
    )
    db.session.commit()
    head = box.log_head(db.session, funding_round.id)
    assert (head.sequence, head.kind) == (2, LogKind.CLOSE)
    assert head.payload_hash == box.sha256("close|ballots=1|receipts=1")
    assert box.verify_log(db.session, funding_round.id) == []
