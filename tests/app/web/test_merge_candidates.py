"""Which proposals one can merge into comes from one workflow function, and the officers'
merge page offers exactly those."""

from app.workflow import proposals
from app.workflow.models import Phase, ProposalStatus
from tests.app.pages import get_page, sign_in
from tests.factories import PASSWORD, create_proposal


def test_the_candidates_are_the_rounds_other_live_proposals(db, lambeth, open_round):
    brixton_pot, clapham_pot = open_round.pots
    duplicate = create_proposal(brixton_pot, title="Skate park again")
    original = create_proposal(brixton_pot, title="Skate park")
    elsewhere = create_proposal(clapham_pot, title="Library", status=ProposalStatus.FEASIBLE)
    create_proposal(brixton_pot, title="Gone", status=ProposalStatus.WITHDRAWN)
    create_proposal(brixton_pot, title="Folded", status=ProposalStatus.MERGED)
    db.session.commit()
    assert proposals.merge_candidates(db.session, duplicate) == [original, elsewhere]
    assert proposals.merge_candidates(db.session, original) == [duplicate, elsewhere]


def test_the_merge_page_offers_the_candidates(client, db, lambeth, open_round):
    open_round.phase = Phase.REVIEW
    pot = open_round.pots[0]
    duplicate = create_proposal(pot, title="Skate park again")
    original = create_proposal(pot, title="Skate park")
    create_proposal(pot, title="Gone", status=ProposalStatus.WITHDRAWN)
    db.session.commit()
    sign_in(client, "officer@lambeth.example", PASSWORD)
    page = get_page(client, f"/officers/lambeth/rounds/r/proposals/{duplicate.id}/merge")
    offered = [o["value"] for o in page.select("select[name=into] option") if o["value"]]
    assert offered == [str(original.id)]
    assert offered == [str(p.id) for p in proposals.merge_candidates(db.session, duplicate)]
