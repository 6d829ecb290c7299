"""The open data API: public JSON, nothing unpublished, and docs/api.md that matches it."""

import json
import re
from datetime import date
from pathlib import Path

import pytest

from app.demo import seed_demo
from app.web.sessions import policy
from app.workflow import delivery
from app.workflow.models import (
    Contribution,
    ContributionKind,
    DeliveryStatus,
    Phase,
    Proposal,
    ProposalStatus,
)
from tests.app.closed_round import closed_round, officer
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


def kind(value) -> str:
    """A JSON value's kind, as a reader of the documentation takes it from an example."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def same_keys(documented, real, where="$"):
    """Every object in the example has exactly the real response's keys (lists: first item),
    and every value the example gives is of the real one's kind (``null`` matches any: the
    real value may be ``null`` where the example shows one, and the other way round)."""
    if isinstance(documented, dict):
        assert isinstance(real, dict), where
        assert sorted(documented) == sorted(real), where
        for k in documented:
            same_keys(documented[k], real[k], f"{where}.{k}")
    elif isinstance(documented, list):
        assert isinstance(real, list), where
        if documented and real:
            same_keys(documented[0], real[0], f"{where}[0]")
    elif documented is not None and real is not None:
        assert kind(documented) == kind(real), f"{where}: {documented!r} and {real!r}"


def test_the_documented_examples_match_the_real_responses(client, db):
    seed_demo(db.session, policy())
    db.session.commit()
    # Counted with Equal Shares, as the results example is, so its figures have greedy's too.
    published = closed_round(phase=Phase.PUBLISHED, rule="mes")
    # A delivery update on a funded project (the demo's proposals have partners' help).
    ids = delivery.funded_ids(db.session, published)
    funded = next(p for p in published.pots[0].proposals if p.id in ids)
    delivery.record_update(
        db.session,
        funded,
        actor=officer(published.council),
        status=DeliveryStatus.IN_PROGRESS,
        percent_complete=40,
        spent_pence=400_000,
        note="Builders started on site.",
        happened_on=date(2026, 6, 15),
        today=date(2026, 6, 16),
    )
    db.session.commit()
    demo = db.session.scalar(
        db.select(Proposal.round_id).join(Proposal.round).where(Proposal.title != "")
    )
    contributed = db.session.scalar(
        db.select(Proposal.round_id)
        .join(Contribution, Contribution.proposal_id == Proposal.id)
        .where(Contribution.kind == ContributionKind.IN_KIND)
    )
    text = DOCS.read_text()
    sections = re.findall(r"^## `GET ([^`]+)`.*?```json\n(.*?)```", text, re.S | re.M)
    assert len(sections) == 11
    for path, example in sections:
        round_id = {"results": published.id, "delivery": published.id, "figures": published.id}.get(
            path.rsplit("/", 1)[-1], contributed if path.endswith("/contributions") else demo
        )
        url = path.replace("{slug}", "lambeth").replace("{round_id}", str(round_id))
        real = get(client, url)
        documented = json.loads(example)
        # Every list the example shows an item of has one in the real answer too, so that
        # the item's keys are checked.
        assert_items(documented, real, url)
        same_keys(documented, real, url)


def assert_items(documented, real, where):
    if isinstance(documented, dict) and isinstance(real, dict):
        for k in documented:
            if k in real:
                assert_items(documented[k], real[k], f"{where}.{k}")
    elif isinstance(documented, list) and documented:
        assert isinstance(real, list) and real, f"{where}: the real list is empty"
        assert_items(documented[0], real[0], f"{where}[0]")


@pytest.mark.parametrize("url", ["/api/v1/", "/api/v1/councils"])
def test_index_and_councils(client, db, url):
    create_council(slug="lambeth")
    db.session.commit()
    assert get(client, url)


def test_delivery_updates_appear_once_published_and_not_for_withheld_pots(client, db):
    closed = closed_round()
    assert get(client, f"/api/v1/rounds/{closed.id}/delivery", status=404) == {"error": "not found"}
    assert get(client, f"/api/v1/rounds/{closed.id}")["delivery_url"] is None
    published = closed_round(kind="cumulative", phase=Phase.PUBLISHED)
    ids = delivery.funded_ids(db.session, published)
    funded = [p for p in published.pots[0].proposals if p.id in ids]
    for day, percent in ((date(2026, 6, 2), 10), (date(2026, 6, 9), 60)):
        delivery.record_update(
            db.session,
            funded[0],
            actor=officer(published.council),
            status=DeliveryStatus.IN_PROGRESS,
            percent_complete=percent,
            spent_pence=percent * 1000,
            note=f"{percent}% done",
            happened_on=day,
            today=date(2026, 6, 16),
        )
    db.session.commit()
    data = get(client, f"/api/v1/rounds/{published.id}/delivery?lang=cy")
    assert {p["proposal_id"] for p in data["projects"]} == ids
    first = next(p for p in data["projects"] if p["proposal_id"] == funded[0].id)
    assert (first["percent_complete"], first["spent"]["amount_pence"]) == (60, 60_000)
    assert first["status_label"] == "Ar y gweill"
    assert [u["happened_on"] for u in first["updates"]] == ["2026-06-09", "2026-06-02"]
    other = next(p for p in data["projects"] if p["proposal_id"] != funded[0].id)
    assert (other["status"], other["updates"]) == (None, [])
    small = closed_round(ballots=3, phase=Phase.PUBLISHED)
    assert get(client, f"/api/v1/rounds/{small.id}/delivery")["projects"] == []


def test_contributions_are_those_the_proposal_pages_show(client, db):
    council = create_council(slug="lambeth")
    r = create_round(council, slug="open", phase=Phase.PROPOSALS)
    shown = create_proposal(r.pots[0], title="Shown", cost_pence=50_000)
    hidden = create_proposal(r.pots[0], status=ProposalStatus.HIDDEN)
    create_proposal(r.pots[0], title="Nobody helps")
    for proposal in (shown, hidden):
        db.session.add_all(
            [
                Contribution(
                    proposal=proposal,
                    partner_name="Co-op",
                    kind=ContributionKind.MONEY,
                    amount_pence=10_000,
                ),
                Contribution(
                    proposal=proposal,
                    partner_name="Men's Shed",
                    kind=ContributionKind.IN_KIND,
                    description="Volunteers",
                ),
            ]
        )
    shown.final_cost_pence = 50_000
    db.session.commit()
    [listed] = get(client, f"/api/v1/rounds/{r.id}/contributions")["proposals"]
    assert listed["proposal_id"] == shown.id
    assert (listed["money_pledged"]["amount_pence"], listed["money_pledges"]) == (10_000, 1)
    assert listed["cost_to_pot"]["amount_pence"] == 40_000
    assert listed["in_kind"] == [
        {"description": "Volunteers", "estimated_value": None, "partner": "Men's Shed"}
    ]
    assert "Co-op" not in json.dumps(listed)
    assert get(client, "/api/v1/rounds/999999/contributions", status=404)


def test_the_results_and_the_catalogue_link_the_downloads(client, db):
    published = closed_round(phase=Phase.PUBLISHED)
    small = closed_round(ballots=3, phase=Phase.PUBLISHED)
    closed_round()
    [pot] = get(client, f"/api/v1/rounds/{published.id}/results")["pots"]
    base = f"/councils/{published.council.slug}/rounds/{published.slug}/results/{pot['pot_id']}"
    assert pot["downloads"] == {
        "pb": f"{base}/open-data.pb",
        "csv": f"{base}/open-data.csv",
        "ballots_csv": f"{base}/open-data-ballots.csv",
        "json": f"{base}/open-data.json",
    }
    for url in pot["downloads"].values():
        assert client.get(url).status_code == 200
    catalogue = get(client, "/api/v1/open-data")
    assert sorted(p["round_id"] for p in catalogue["pots"]) == [published.id, small.id]
    [withheld] = [p for p in catalogue["pots"] if p["round_id"] == small.id]
    assert withheld["withheld"] is True
    assert [k for k, v in withheld["downloads"].items() if v] == ["json"]
    assert get(client, "/api/v1/")["open_data_zip_url"] == "/network/open-data.zip"
