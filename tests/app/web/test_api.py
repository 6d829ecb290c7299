"""The open data API: public JSON, nothing unpublished, and docs/api.md that matches it."""

import json
import re
from pathlib import Path

import pytest

from app.demo import seed_demo
from app.web.sessions import policy
from app.workflow.models import Phase, Proposal, ProposalStatus
from tests.app.closed_round import closed_round
from tests.factories import create_council, create_proposal, create_round

DOCS = Path(__file__).resolve().parents[3] / "docs" / "api.md"


def get(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, url
    assert response.mimetype == "application/json"
    return response.get_json()


def test_councils_rounds_and_proposals_are_public_json(client, db):
    council = create_council(slug="lambeth")
    r = create_round(council, slug="open", phase=Phase.PROPOSALS)
    draft = create_round(council, slug="draft", phase=Phase.DRAFT)
    shown = create_proposal(r.pots[0], title="Shown", cost_pence=12_345)
    withdrawn = create_proposal(r.pots[0], status=ProposalStatus.WITHDRAWN)
    hidden = create_proposal(r.pots[0], status=ProposalStatus.HIDDEN)
    db.session.commit()
    rounds = get(client, "/api/v1/councils/lambeth/rounds")["rounds"]
    assert [x["id"] for x in rounds] == [r.id]
    data = get(client, f"/api/v1/rounds/{r.id}")
    assert data["phase"] == "proposals"
    assert data["budget"] == {"amount_pence": r.total_budget_pence, "currency": "GBP"}
    assert data["results_url"] is None
    proposals = get(client, f"/api/v1/rounds/{r.id}/proposals")["proposals"]
    assert [p["id"] for p in proposals] == [shown.id]
    assert proposals[0]["estimated_cost"]["amount_pence"] == 12_345
    assert proposals[0]["created_at"].endswith("Z")
    assert withdrawn.id != hidden.id
    # A draft, an unknown id and an unpublished result are all simply not there.
    for url in (
        f"/api/v1/rounds/{draft.id}",
        f"/api/v1/rounds/{draft.id}/proposals",
        f"/api/v1/rounds/{r.id}/results",
        "/api/v1/rounds/999",
        "/api/v1/councils/nowhere/rounds",
    ):
        assert get(client, url, status=404) == {"error": "not found"}


def test_results_appear_only_once_published(client, db):
    closed = closed_round(kind="approval")
    assert get(client, f"/api/v1/rounds/{closed.id}/results", status=404)
    assert get(client, f"/api/v1/rounds/{closed.id}")["results_url"] is None
    published = closed_round(kind="cumulative", phase=Phase.PUBLISHED)
    data = get(client, f"/api/v1/rounds/{published.id}/results")
    [pot] = data["pots"]
    assert pot["ballots"] == 12 and not pot["withheld"]
    assert pot["projects"][0]["funded"] is True
    assert pot["projects"][0]["points"] > 0
    assert all(p["explanation"] for p in pot["projects"])
    assert (
        sum(p["cost"]["amount_pence"] for p in pot["projects"] if p["funded"])
        == (pot["allocated"]["amount_pence"])
    )


def test_a_small_pot_is_published_without_figures(client, db):
    published = closed_round(ballots=3, phase=Phase.PUBLISHED)
    [pot] = get(client, f"/api/v1/rounds/{published.id}/results")["pots"]
    assert (pot["ballots"], pot["withheld"], pot["projects"], pot["allocated"]) == (
        3,
        True,
        [],
        None,
    )


def test_the_api_is_read_only(client, db):
    assert client.post("/api/v1/councils").status_code == 405


def shape(value):
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return None


def same_keys(documented, real, where="$"):
    """Every object in the example has exactly the real response's keys (lists: first item)."""
    if isinstance(documented, dict):
        assert isinstance(real, dict), where
        assert sorted(documented) == sorted(real), where
        for k in documented:
            same_keys(documented[k], real[k], f"{where}.{k}")
    elif isinstance(documented, list) and documented and real:
        same_keys(documented[0], real[0], f"{where}[0]")


def test_the_documented_examples_match_the_real_responses(client, db):
    seed_demo(db.session, policy())
    db.session.commit()
    published = closed_round(phase=Phase.PUBLISHED)
    demo = db.session.scalar(
        db.select(Proposal.round_id).join(Proposal.round).where(Proposal.title != "")
    )
    text = DOCS.read_text()
    sections = re.findall(r"^## `GET ([^`]+)`.*?```json\n(.*?)```", text, re.S | re.M)
    assert len(sections) == 6
    for path, example in sections:
        round_id = published.id if path.endswith("/results") else demo
        url = path.replace("{slug}", "lambeth").replace("{round_id}", str(round_id))
        real = get(client, url)
        same_keys(json.loads(example), real, url)


@pytest.mark.parametrize("url", ["/api/v1/", "/api/v1/councils"])
def test_index_and_councils(client, db, url):
    create_council(slug="lambeth")
    db.session.commit()
    assert get(client, url)
