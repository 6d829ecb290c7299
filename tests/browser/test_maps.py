"""Maps in a real browser: a click on the map to place a proposal comes back as the point
under the pointer (the image is drawn at its own size, so the browser's pixels are the
drawing's), the red circle is drawn there afterwards, and the pages with maps pass axe."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.web.extensions import db
from app.workflow import places
from app.workflow.models import Council, FundingRound, Proposal
from tests.browser.helpers import LAMBETH_OFFICER, check_accessibility, sign_in_from_anywhere

pytestmark = pytest.mark.browser

RESIDENT = "resident.liverpool@devolve.example"
TITLE = "Street trees on Breck Road"


def _proposal(live_server):
    with live_server.app.app_context():
        proposal = db.session.scalar(
            select(Proposal)
            .join(FundingRound, FundingRound.id == Proposal.round_id)
            .where(FundingRound.slug == "environment-2026", Proposal.title == TITLE)
        )
        council = db.session.scalar(select(Council).where(Council.slug == "liverpool"))
        frame = places.council_frame(places.boundaries(db.session, council))
        was = (proposal.latitude, proposal.longitude, proposal.address_uprn)
        hood = proposal.neighbourhood_id
        db.session.remove()
    return proposal.id, frame, was, hood


def _restore(live_server, proposal_id, was, hood):
    with live_server.app.app_context():
        proposal = db.session.get(Proposal, proposal_id)
        proposal.latitude, proposal.longitude, proposal.address_uprn = was
        proposal.neighbourhood_id = hood
        db.session.commit()
        db.session.remove()


def test_a_click_on_the_map_places_the_proposal_under_the_pointer(page: Page, live_server):
    proposal_id, frame, was, hood = _proposal(live_server)
    url = f"/councils/liverpool/rounds/environment-2026/proposals/{proposal_id}/place"
    sign_in_from_anywhere(page, RESIDENT)
    try:
        page.goto(url)
        check_accessibility(page)
        image = page.locator("input[type=image][name=map]")
        box = image.bounding_box()
        # Drawn at its own size, whatever the page's width.
        assert (round(box["width"]), round(box["height"])) == (frame.width, frame.height)
        longitude, latitude = frame.to_lonlat(frame.width * 0.3, frame.height * 0.6)
        with live_server.app.app_context():
            shapes = places.boundaries(db.session, _council_id())
            target = places.neighbourhood_at(shapes, longitude, latitude)
        x, y = frame.to_xy(longitude, latitude)
        image.click(position={"x": x, "y": y})
        expect(page.locator(".govuk-notification-banner")).to_contain_text(
            "placed where you clicked on the map"
        )
        with live_server.app.app_context():
            placed = db.session.get(Proposal, proposal_id)
            pixel = 1 / frame.scale
            assert abs(float(placed.longitude) - longitude) <= 1.5 * pixel / frame.kx
            assert abs(float(placed.latitude) - latitude) <= 1.5 * pixel
            assert placed.neighbourhood_id == target.id
            name = target.name
            db.session.remove()
        expect(page.locator("#place-neighbourhood")).to_have_text(name)
        check_accessibility(page)
    finally:
        _restore(live_server, proposal_id, was, hood)


def _council_id() -> int:
    return db.session.scalar(select(Council.id).where(Council.slug == "liverpool"))


@pytest.mark.parametrize(
    ("path", "who", "h1"),
    [
        (
            "/councils/lambeth/rounds/youth-services-2025/results",
            None,
            "Results: Youth services 2025",
        ),
        ("/officers/lambeth/boundaries", LAMBETH_OFFICER, "Neighbourhood boundaries"),
    ],
    ids=["results map", "boundaries"],
)
def test_pages_with_maps_have_no_accessibility_violations(page: Page, path, who, h1):
    if who:
        sign_in_from_anywhere(page, who)
    page.goto(path)
    expect(page.get_by_role("heading", level=1)).to_have_text(h1)
    expect(page.locator("svg.devolve-map")).to_be_visible()
    check_accessibility(page)
