"""A round that froze voters' details keeps each ballot's voter's neighbourhood and age band in
the ballot's content, whatever the channel, covered by its hash and the log's chain; other
rounds, and every encrypted round, keep nothing about voters."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select

from app.web.extensions import db
from ballots import box
from ballots.models import Channel, StoredBallot
from ballots.voter_details import AGE_BANDS, age_band
from tests.ballots.helpers import enrol, place, voting_round
from tests.factories import create_council
from votes.model import Ballot

DAY = date(2026, 5, 1)


@pytest.mark.parametrize(
    ("born", "band"),
    [
        (None, "unknown"),
        (date(2016, 5, 2), "0-10"),  # 9 the day before their 10th birthday
        (date(2015, 5, 1), "11-15"),  # 11 on the day
        (date(2010, 5, 2), "11-15"),  # 15, turning 16 tomorrow
        (date(2010, 5, 1), "16-17"),
        (date(2008, 5, 1), "18-24"),
        (date(2001, 5, 2), "18-24"),
        (date(2001, 5, 1), "25-34"),
        (date(1961, 5, 2), "55-64"),
        (date(1961, 5, 1), "65+"),
        (date(1920, 1, 1), "65+"),
    ],
)
def test_the_age_band_is_the_one_on_the_day_of_voting(born, band):
    assert age_band(born, DAY) == band


def test_the_bands_cover_every_age_once():
    assert [age_band(date(2026 - age, 1, 1), date(2026, 6, 1)) for age in (0, 10, 11, 66)] == [
        "0-10",
        "0-10",
        "11-15",
        "65+",
    ]
    assert len(AGE_BANDS) == len(set(AGE_BANDS))


def _round(chosen: bool):
    council = create_council()
    council.open_data_voter_details = chosen
    north, south = place(council, "North"), place(council, "South")
    funding_round, paper = voting_round(council)
    return council, funding_round, paper, north, south


def _contents(round_id: int) -> list[dict]:
    return [
        json.loads(c)
        for c in db.session.scalars(
            select(StoredBallot.content).where(StoredBallot.round_id == round_id)
        )
    ]


def test_every_channel_keeps_the_voters_neighbourhood_and_age_band(db):
    council, funding_round, paper, north, south = _round(chosen=True)
    assert [slug for _, slug, _ in paper.voter_details.neighbourhoods] == ["north", "south"]
    pot = paper.pots[0]
    first = pot.projects[0].id
    box.open_log(db.session, funding_round.id, funding_round.manifest_hash)
    voters = [
        (north, date(2000, 1, 1), Channel.ONLINE),
        (south, date(1950, 1, 1), Channel.PAPER),
        (south, None, Channel.EVENT),
    ]
    for i, (hood, born, channel) in enumerate(voters):
        entry = enrol(council, hood, reference=f"V{i}", born=born)
        box.cast(db.session, paper, entry, pot.id, Ballot((first,)), today=DAY, channel=channel)
        db.session.commit()
    found = sorted(
        (c["voter"]["neighbourhood"], c["voter"]["age_band"]) for c in _contents(funding_round.id)
    )
    assert found == [("north", "25-34"), ("south", "65+"), ("south", "unknown")]
    # The content, details and all, is what the ballot hash and the chain commit to.
    assert box.verify_log(db.session, funding_round.id) == []
    # Counting reads the choices only.
    box.close_log(db.session, funding_round.id, funding_round.manifest_hash)
    funding_round.phase = "closed"
    db.session.commit()
    election = box.stored_election(db.session, paper, pot.id)
    assert all(b.choices == (first,) and b.extra == () for b in election.ballots)
    with_voters = box.stored_election(db.session, paper, pot.id, voters=True)
    assert sorted(dict(b.extra)["age_band"] for b in with_voters.ballots) == [
        "25-34",
        "65+",
        "unknown",
    ]


def test_a_vote_change_keeps_the_details_too(db):
    council, funding_round, paper, north, _ = _round(chosen=True)
    funding_round.allow_vote_change = True
    db.session.commit()
    _, paper = voting_round(council, allow_vote_change=True)
    funding_round = db.session.get(type(funding_round), paper.round_id)
    pot = paper.pots[0]
    box.open_log(db.session, funding_round.id, funding_round.manifest_hash)
    entry = enrol(council, north, reference="C1", born=date(2009, 1, 1))
    cast = box.cast(db.session, paper, entry, pot.id, Ballot((pot.projects[0].id,)), today=DAY)
    db.session.commit()
    box.replace(
        db.session, paper, entry, pot.id, cast.receipt, Ballot((pot.projects[1].id,)), today=DAY
    )
    db.session.commit()
    assert [c["voter"] for c in _contents(funding_round.id)] == [
        {"age_band": "16-17", "neighbourhood": "north"}
    ] * 2


def test_a_round_that_did_not_choose_keeps_nothing_about_voters(db):
    council, funding_round, paper, north, _ = _round(chosen=False)
    assert paper.voter_details is None
    assert "voter_details" not in json.loads(funding_round.manifest_json)
    pot = paper.pots[0]
    box.open_log(db.session, funding_round.id, funding_round.manifest_hash)
    entry = enrol(council, north, reference="N1", born=date(1990, 1, 1))
    box.cast(db.session, paper, entry, pot.id, Ballot((pot.projects[0].id,)), today=DAY)
    db.session.commit()
    assert _contents(funding_round.id) == [{"choices": [pot.projects[0].id], "points": []}]


def test_a_council_choosing_after_voting_opened_changes_nothing_for_that_round(db):
    council, funding_round, paper, north, _ = _round(chosen=False)
    council.open_data_voter_details = True
    db.session.commit()
    pot = paper.pots[0]
    box.open_log(db.session, funding_round.id, funding_round.manifest_hash)
    entry = enrol(council, north, reference="L1", born=date(1990, 1, 1))
    box.cast(db.session, paper, entry, pot.id, Ballot((pot.projects[0].id,)), today=DAY)
    db.session.commit()
    assert "voter" not in _contents(funding_round.id)[0]


def test_a_neighbourhood_made_after_voting_opened_is_recorded_as_not_known(db):
    council, funding_round, paper, _, _ = _round(chosen=True)
    later = place(council, "Later")
    pot = paper.pots[0]
    box.open_log(db.session, funding_round.id, funding_round.manifest_hash)
    entry = enrol(council, later, reference="K1", born=date(1990, 1, 1))
    box.cast(db.session, paper, entry, pot.id, Ballot((pot.projects[0].id,)), today=DAY)
    db.session.commit()
    assert _contents(funding_round.id)[0]["voter"] == {"age_band": "35-44", "neighbourhood": None}
