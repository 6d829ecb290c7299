"""The resident's voting work in app.workflow.voting, on a real session: who they vote as,
which pots are theirs, casting, replacing, and what a refusal says."""

from datetime import date

import pytest
from sqlalchemy import func, select

from app.workflow import voting
from app.workflow.models import Phase, Role
from ballots.errors import (
    AlreadyVoted,
    InvalidBallot,
    NotEligible,
    NotVerified,
    ReceiptNotFound,
    RoundClosed,
)
from ballots.models import Channel, StoredBallot
from tests.ballots.helpers import enrol, place, voting_round
from tests.factories import create_council, create_user
from votes.model import Ballot

TODAY = date(2026, 6, 1)


def resident_and_round(db, *, verified=True, **config):
    council = create_council(slug="home")
    north, south = place(council, "North"), place(council, "South")
    user = create_user(email="voter@example.org", roles={council: Role.RESIDENT}, home=north)
    funding_round, paper = voting_round(
        council,
        costs=((1_000_00, 2_000_00), (1_000_00,)),
        budgets=(2_500_00, 2_500_00),
        neighbourhoods=(north, south),
        home_pot_only=True,
        **config,
    )
    enrol(council, north, user=user if verified else None, reference="R1")
    db.session.commit()
    return council, funding_round, paper, user


def test_the_voter_has_their_own_pots_and_nothing_cast(db):
    council, funding_round, paper, user = resident_and_round(db)
    voter = voting.voter(db.session, user, council, funding_round, TODAY)
    mine, theirs = paper.pots
    assert [p.id for p in voter.pots] == [mine.id]
    assert voter.cast == {mine.id: None}
    assert voter.pot(mine.id) == mine
    assert voter.changing(mine) is False
    with pytest.raises(voting.NotYourPot, match="South is not yours") as refused:
        voter.pot(theirs.id)
    assert refused.value.status == 403
    with pytest.raises(voting.NotOnThisBallot) as missing:
        voter.pot(theirs.id + 1000)
    assert missing.value.status == 404


def test_who_cannot_vote_is_told_why(db):
    council, funding_round, _, user = resident_and_round(db)
    stranger = create_user(email="stranger@example.org")
    with pytest.raises(voting.NotAResident, match="Only residents of"):
        voting.voter(db.session, stranger, council, funding_round, TODAY)
    _, other_round, _, unverified = resident_and_round_elsewhere(db)
    with pytest.raises(NotVerified):
        voting.voter(db.session, unverified, other_round.council, other_round, TODAY)
    funding_round.phase = Phase.CLOSED
    db.session.flush()
    with pytest.raises(RoundClosed) as closed:
        voting.voter(db.session, user, council, funding_round, TODAY)
    assert closed.value.status == 409 and closed.value.message == voting.CLOSED


def resident_and_round_elsewhere(db):
    council = create_council(slug="away")
    hood = place(council, "Away")
    user = create_user(email="away@example.org", roles={council: Role.RESIDENT}, home=hood)
    funding_round, paper = voting_round(council)
    db.session.commit()
    return council, funding_round, paper, user


def test_an_age_limit_refuses_with_the_roll_s_reason(db):
    council, funding_round, _, user = resident_and_round(db, min_age=16)
    with pytest.raises(NotEligible, match="no date of birth"):
        voting.voter(db.session, user, council, funding_round, TODAY)


def test_cast_once_then_already_voted_naming_the_pot(db):
    council, funding_round, paper, user = resident_and_round(db)
    voter = voting.voter(db.session, user, council, funding_round, TODAY)
    pot = voter.pot(paper.pots[0].id)
    a = pot.projects[0].id
    cast = voting.cast_or_replace(
        db.session, voter, pot, Ballot(choices=(a,)), receipt=None, today=TODAY
    )
    db.session.commit()
    assert cast.receipt and cast.sequence >= 1
    assert voting.saved_after_all(db.session, voter, pot) is True
    again = voting.voter(db.session, user, council, funding_round, TODAY)
    assert again.cast == {pot.id: Channel.ONLINE}
    with pytest.raises(AlreadyVoted, match="already voted in North"):
        again.changing(pot)
    # Two requests at once: the second cast is refused with the pot's name, not the box's.
    with pytest.raises(AlreadyVoted, match="already voted in North. Your first ballot counts"):
        voting.cast_or_replace(
            db.session, voter, pot, Ballot(choices=(a,)), receipt=None, today=TODAY
        )
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(StoredBallot)) == 1


def test_replacing_needs_the_receipt_and_a_round_that_allows_it(db):
    council, funding_round, paper, user = resident_and_round(db, allow_vote_change=True)
    voter = voting.voter(db.session, user, council, funding_round, TODAY)
    pot = voter.pot(paper.pots[0].id)
    a, b = (p.id for p in pot.projects)
    first = voting.cast_or_replace(
        db.session, voter, pot, Ballot(choices=(a,)), receipt=None, today=TODAY
    )
    db.session.commit()
    voter = voting.voter(db.session, user, council, funding_round, TODAY)
    assert voter.changing(pot) is True
    with pytest.raises(ReceiptNotFound):
        voting.cast_or_replace(
            db.session, voter, pot, Ballot(choices=(b,)), receipt="nope", today=TODAY
        )
    db.session.rollback()
    second = voting.cast_or_replace(
        db.session, voter, pot, Ballot(choices=(b,)), receipt=first.receipt, today=TODAY
    )
    db.session.commit()
    assert second.receipt != first.receipt
    assert db.session.scalar(select(func.count()).select_from(StoredBallot)) == 2


def test_a_ballot_that_breaks_the_rules_is_refused_with_its_problems(db):
    council, funding_round, paper, user = resident_and_round(db)
    voter = voting.voter(db.session, user, council, funding_round, TODAY)
    pot = voter.pot(paper.pots[0].id)
    theirs = paper.pots[1].projects[0].id  # another pot's project
    with pytest.raises(InvalidBallot) as refused:
        voting.cast_or_replace(
            db.session, voter, pot, Ballot(choices=(theirs,)), receipt=None, today=TODAY
        )
    assert "is not a project in this vote" in refused.value.message
    db.session.rollback()
    assert voting.saved_after_all(db.session, voter, pot) is False


def test_a_second_ballot_is_answered_by_a_redirect_with_the_pot_s_message(app, client, db):
    from tests.app.pages import get_page, sign_in
    from tests.ballots.test_pages import setup, vote_through_pages
    from tests.factories import PASSWORD

    _, _, paper, _ = setup(db)
    sign_in(client, "voter@example.org", PASSWORD)
    a = paper.pots[0].projects[0].id
    assert vote_through_pages(client, paper, {"choices": [a]}).status_code == 302
    again = client.get(f"/councils/home/rounds/vote/vote/{paper.pots[0].id}")
    assert again.status_code == 302 and again.headers["Location"].endswith("/vote")
    page = get_page(client, again.headers["Location"])
    assert f"You have already voted in {paper.pots[0].name}. Your first ballot counts." in (
        page.get_text()
    )
