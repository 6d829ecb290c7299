"""Each proposal rule in one place (app.workflow.proposals): which proposals of a round are
public, who may do what with one, and whether it is funded; the round page, the proposal
page and the open data API all follow them."""

from datetime import UTC, datetime

import pytest

from app.workflow import proposals
from app.workflow.models import Phase, Proposal, ProposalStatus, Role
from tests.app.pages import get_page, sign_in
from tests.ballots.helpers import voting_round
from tests.factories import PASSWORD, create_council, create_proposal, create_round, create_user

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def round_page_titles(client, council, funding_round) -> list[str]:
    page = get_page(client, f"/councils/{council.slug}/rounds/{funding_round.slug}")
    return sorted(
        p.get_text(strip=True) for p in page.select("section li p.govuk-\\!-font-weight-bold")
    )


def api_titles(client, funding_round) -> list[str]:
    data = client.get(f"/api/v1/rounds/{funding_round.id}/proposals").get_json()
    return sorted(p["title"] for p in data["proposals"])


def test_the_round_page_and_the_api_list_the_same_proposals_once_one_is_hidden(client, db):
    council = create_council(slug="home")
    officer = create_user(email="officer@example.org", roles={council: Role.OFFICER})
    funding_round, paper = voting_round(council)
    funding_round.slug = "vote"
    on_ballot = [db.session.get(Proposal, int(p.id)) for p in paper.pots[0].projects]
    withdrawn = create_proposal(
        funding_round.pots[0], title="Withdrawn", status=ProposalStatus.WITHDRAWN
    )
    db.session.commit()
    hidden = on_ballot[0]
    proposals.hide_proposal(db.session, hidden, actor=officer, reason="Abuse", now=NOW)
    db.session.commit()
    listed = round_page_titles(client, council, funding_round)
    assert listed == api_titles(client, funding_round)
    # The hidden one stays on the fixed ballot, so on both lists, without its text.
    assert hidden.title in listed and withdrawn.title not in listed
    assert sorted(p.title for p in on_ballot) == listed
    data = client.get(f"/api/v1/rounds/{funding_round.id}/proposals").get_json()["proposals"]
    entry = next(p for p in data if p["id"] == hidden.id)
    assert entry["text_hidden"] is True and entry["summary"] is None
    assert all(p["summary"] == "A summary." for p in data if p["id"] != hidden.id)
    # Its page is its author's and the officers' only, as before voting.
    assert client.get(f"/councils/home/rounds/vote/proposals/{hidden.id}").status_code == 404
    assert proposals.public_proposals(db.session, funding_round) == sorted(
        on_ballot, key=lambda p: p.id
    )


def test_before_voting_a_hidden_proposal_leaves_both_lists(client, db):
    council = create_council(slug="home")
    officer = create_user(email="officer@example.org", roles={council: Role.OFFICER})
    funding_round = create_round(council, slug="open", phase=Phase.PROPOSALS)
    kept = create_proposal(funding_round.pots[0], title="Kept")
    hidden = create_proposal(funding_round.pots[0], title="Hidden")
    db.session.commit()
    proposals.hide_proposal(db.session, hidden, actor=officer, reason="Abuse", now=NOW)
    db.session.commit()
    assert round_page_titles(client, council, funding_round) == ["Kept"]
    assert api_titles(client, funding_round) == ["Kept"]
    assert proposals.is_public(kept) and not proposals.is_public(hidden)


@pytest.fixture
def world(db):
    council = create_council(slug="home")
    author = create_user(email="author@example.org", roles={council: Role.RESIDENT})
    resident = create_user(email="resident@example.org", roles={council: Role.RESIDENT})
    officer = create_user(email="officer@example.org", roles={council: Role.OFFICER})
    funding_round = create_round(council, slug="r", phase=Phase.PROPOSALS)
    funding_round.supports_enabled = True
    proposal = create_proposal(funding_round.pots[0], author=author)
    db.session.commit()
    return funding_round, proposal, author, resident, officer


def allowed(perms) -> set[str]:
    names = ("can_see", "shows_text", "can_edit", "can_support", "can_report", "can_review")
    return {n for n in names if getattr(perms, n)}


def test_who_may_do_what_while_proposals_are_open(world):
    _, proposal, author, resident, officer = world
    assert allowed(proposals.permissions(proposal, author)) == {"can_see", "shows_text", "can_edit"}
    assert allowed(proposals.permissions(proposal, resident)) == {
        "can_see",
        "shows_text",
        "can_report",
    }
    assert "can_review" in allowed(proposals.permissions(proposal, officer))
    assert allowed(proposals.permissions(proposal, None)) == {"can_see", "shows_text"}


def test_supports_only_for_a_feasible_proposal_while_supports_are_collected(db, world):
    funding_round, proposal, author, resident, _ = world
    proposal.status = ProposalStatus.FEASIBLE
    assert not proposals.permissions(proposal, resident).can_support
    funding_round.phase = Phase.SUPPORTS
    assert proposals.permissions(proposal, resident).can_support
    assert not proposals.permissions(proposal, None).can_support
    assert not proposals.permissions(proposal, author).can_edit  # no longer while supporting
    funding_round.supports_enabled = False
    assert not proposals.permissions(proposal, resident).can_support


def test_a_hidden_or_withdrawn_proposal_is_its_author_s_and_the_officers_only(world):
    _, proposal, author, resident, officer = world
    proposal.hidden_at = NOW
    for user, sees in ((author, True), (officer, True), (resident, False), (None, False)):
        perms = proposals.permissions(proposal, user)
        assert perms.can_see is sees
        assert not perms.shows_text and not perms.can_edit and not perms.can_report
    proposal.hidden_at = None
    proposal.status = ProposalStatus.WITHDRAWN
    assert not proposals.permissions(proposal, resident).can_see
    assert proposals.permissions(proposal, author).can_see


def test_the_proposal_page_offers_what_the_permissions_allow(client, world):
    funding_round, proposal, *_ = world
    url = f"/councils/home/rounds/r/proposals/{proposal.id}"
    links = {a.get_text(strip=True) for a in get_page(client, url).select("main ul a")}
    assert links == set()  # the public: nothing to do
    sign_in(client, "author@example.org", PASSWORD)
    links = {a.get_text(strip=True) for a in get_page(client, url).select("main ul a")}
    assert links == {
        "Change your proposal",
        "Place your proposal on the map (optional)",
        "Withdraw your proposal",
    }
    del funding_round


def test_funded_only_in_published_results(db):
    from tests.app.closed_round import closed_round

    funding_round = closed_round(kind="approval", phase=Phase.PUBLISHED)
    funded = [p for p in funding_round.proposals if proposals.is_funded(db.session, p)]
    assert funded and proposals.results_published(funding_round)
    funding_round.phase = Phase.CLOSED
    assert not any(proposals.is_funded(db.session, p) for p in funded)
    assert not proposals.results_published(funding_round)


def test_the_round_offers_proposing_and_voting_to_its_residents_in_their_phases(db, world):
    from app.workflow import voting

    funding_round, _, _, resident, officer = world
    # Made first, and the phase below is only read, never saved: the database keeps a round
    # without a manifest out of voting.
    stranger = create_user(email="stranger@example.org")
    assert proposals.can_propose(funding_round, resident)
    assert not proposals.can_propose(funding_round, None)
    assert not voting.offers_voting(funding_round, resident)
    with db.session.no_autoflush:
        funding_round.phase = Phase.VOTING
        assert voting.offers_voting(funding_round, resident)
        assert not proposals.can_propose(funding_round, resident)
        assert not voting.offers_voting(funding_round, stranger)
    db.session.rollback()
    del officer
