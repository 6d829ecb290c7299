"""A blank ballot is refused, with a message, before it is cast (online or on paper) unless the
round allows blank ballots; a pot with no project on its ballot is never offered to voters."""

from datetime import date

import pytest
from sqlalchemy import func, select

from app.workflow.models import Role
from ballots import box
from ballots.errors import NotEligible
from ballots.models import RollEntry, StoredBallot, VoterMark
from tests.app.pages import error_messages, get_page, sign_in, soup, submit
from tests.ballots.helpers import enrol, place, voting_round
from tests.factories import PASSWORD, create_council, create_user
from votes.model import Ballot

BASE = "/councils/home/rounds/vote"


def setup(db, two_pots=False, **config):
    council = create_council(slug="home")
    hood = place(council)
    if two_pots:
        config["neighbourhoods"] = (None, place(council, "East"))
    user = create_user(email="voter@example.org", roles={council: Role.RESIDENT}, home=hood)
    create_user(email="officer@example.org", roles={council: Role.OFFICER})
    funding_round, paper = voting_round(council, **config)
    funding_round.slug = "vote"
    db.session.commit()
    enrol(council, hood, user=user, reference="R1")
    enrol(council, hood, reference="P1")
    return funding_round, paper


def kept(db) -> tuple[int, int]:
    db.session.rollback()
    return (
        db.session.scalar(select(func.count()).select_from(VoterMark)),
        db.session.scalar(select(func.count()).select_from(StoredBallot)),
    )


@pytest.mark.parametrize(
    "kind, config, blank, message",
    [
        ("approval", {}, {}, "Your ballot is blank: please choose at least one project."),
        ("knapsack", {}, {}, "Your ballot is blank: please choose at least one project."),
        (
            "ranked",
            {"max_choices": 2},
            {"rank_1": "", "rank_2": ""},
            "Your ballot is blank: please rank at least one project.",
        ),
    ],
)
def test_a_blank_ballot_is_refused_before_it_is_cast(client, db, kind, config, blank, message):
    _, paper = setup(db, kind=kind, **config)
    sign_in(client, "voter@example.org", PASSWORD)
    url = f"{BASE}/vote/{paper.pots[0].id}"
    response = submit(client, url, {"action": "continue", **blank})
    page = soup(response)
    # Still the ballot, with the reason: never the check page saying the ballot will be blank.
    assert not page.h1.get_text().startswith("Check your ballot")
    assert message in " ".join(error_messages(page).values())
    assert "will be blank" not in page.get_text()
    # Casting it anyway (a hand-made request) is refused too.
    response = submit(client, url, blank, post_to=url + "/confirm")
    assert message in " ".join(error_messages(soup(response)).values())
    assert kept(db) == (0, 0)


def test_a_round_that_allows_blank_ballots_says_so_and_takes_one(client, db):
    _, paper = setup(db, allow_blank_ballots=True)
    sign_in(client, "voter@example.org", PASSWORD)
    url = f"{BASE}/vote/{paper.pots[0].id}"
    page = soup(submit(client, url, {"action": "continue"}))
    assert "your ballot will be blank" in page.select_one("#your-choices").get_text()
    assert submit(client, url, {}, post_to=url + "/confirm").status_code == 302
    assert kept(db) == (1, 1)


def test_a_blank_paper_ballot_is_refused(client, db):
    _, paper = setup(db)
    sign_in(client, "officer@example.org", PASSWORD)
    url = f"/officers/home/rounds/vote/paper/{paper.pots[0].id}"
    page = soup(submit(client, url, {"reference": "P1"}))
    assert "Your ballot is blank" in " ".join(error_messages(page).values())
    assert kept(db) == (0, 0)


def test_a_pot_with_no_projects_is_never_offered(client, db):
    # A round frozen before empty pots were refused at the opening of voting.
    funding_round, paper = setup(
        db, two_pots=True, costs=((10_000_00, 20_000_00), ()), budgets=(50_000_00, 10_000_00)
    )
    full, empty = paper.pots
    sign_in(client, "voter@example.org", PASSWORD)
    links = [a["href"] for a in get_page(client, f"{BASE}/vote").select("#pots a")]
    assert links == [f"{BASE}/vote/{full.id}"]
    page = get_page(client, f"{BASE}/vote/{empty.id}", status=404)
    assert "nothing to vote for" in page.get_text()
    response = submit(
        client, f"{BASE}/vote/{full.id}", {}, post_to=f"{BASE}/vote/{empty.id}/confirm"
    )
    assert response.status_code == 404
    entry = db.session.scalar(select(RollEntry).where(RollEntry.reference == "R1"))
    with pytest.raises(NotEligible, match="nothing to vote for"):
        box.cast(db.session, paper, entry, empty.id, Ballot(()), today=date(2026, 5, 1))
    client.post("/auth/sign-out")
    sign_in(client, "officer@example.org", PASSWORD)
    pots = get_page(client, "/officers/home/rounds/vote/paper").select("#pots > li")
    assert len(pots) == 1 and full.name in pots[0].get_text()
    get_page(client, f"/officers/home/rounds/vote/paper/{empty.id}", status=404)
    assert kept(db) == (0, 0)
    del funding_round
