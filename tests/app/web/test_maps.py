"""Places on a map, through the pages people use: officers upload their neighbourhoods'
boundaries (and every kind of bad file changes nothing), the address list gives addresses'
coordinates, residents and officers place a proposal at an address or by clicking on the map
(the click's pixels come back as the point drawn there), a point outside the council is
refused, frozen rounds do not change, and the round and results pages draw the map with a
table giving the same, funded projects marked by shape and named in the legend, nothing shown
that the page hides."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest
from flask import g
from sqlalchemy import select

from app.web.extensions import db
from app.workflow import places
from app.workflow.models import AuditEvent, Council, Neighbourhood, Phase, Proposal, ProposalStatus, Role
from ballots.models import GazetteerAddress
from tests.app.closed_round import closed_round
from tests.app.pages import csrf_token, error_messages, get_page, sign_in, soup
from tests.factories import (
    PASSWORD,
    create_council,
    create_neighbourhood,
    create_proposal,
    create_round,
    create_user,
)

OFFICERS = "/officers/mapton"
ROUND = "/councils/mapton/rounds/ideas"


def square(west: float, south: float, east: float, north: float) -> list:
    return [[[west, south], [east, south], [east, north], [west, north], [west, south]]]


SOUTH = square(-1.0, 52.0, -0.9, 52.1)
NORTH = square(-1.0, 52.1, -0.9, 52.2)


def feature(name, rings, *, key="name", kind="Polygon", **extra):
    return {
        "type": "Feature",
        "properties": {key: name, **extra},
        "geometry": {"type": kind, "coordinates": rings},
    }


def collection(*features) -> str:
    return json.dumps({"type": "FeatureCollection", "features": list(features)})


GOOD = collection(feature("North", NORTH), feature("south", SOUTH))


@pytest.fixture
def mapton(app, db):
    # Each client is seen as itself: forget the last request's user and CSRF token.
    @app.before_request
    def forget_the_last_client():
        g.pop("_login_user", None)
        g.pop("csrf_token", None)

    council = create_council(slug="mapton", name="Mapton")
    north = create_neighbourhood(council, name="North")
    south = create_neighbourhood(council, name="South")
    create_user(email="officer@mapton.example", roles={council: Role.OFFICER})
    resident = create_user(email="resident@mapton.example", roles={council: Role.RESIDENT})
    create_user(email="neighbour@mapton.example", roles={council: Role.RESIDENT})
    other = create_council(slug="elsewhere")
    create_neighbourhood(other, name="North")
    create_user(email="officer@elsewhere.example", roles={other: Role.OFFICER})
    funding_round = create_round(
        council, slug="ideas", phase=Phase.PROPOSALS, pots=[(north, 50_000_00), (south, 50_000_00)]
    )
    proposal = create_proposal(
        funding_round.pots[0], title="Benches on the green", author=resident
    )
    db.session.add(
        GazetteerAddress(
            council_id=council.id,
            uprn="100",
            address="1 Green Lane",
            postcode="EX1 2AB",
            postcode_key="EX12AB",
            neighbourhood_id=south.id,
            latitude=Decimal("52.050000"),
            longitude=Decimal("-0.950000"),
        )
    )
    db.session.commit()
    return {"council": council, "round": funding_round, "proposal": proposal, "north": north}


def client_of(app, email):
    client = app.test_client()
    assert sign_in(client, email, PASSWORD).status_code == 302
    return client


def upload(client, text: str | bytes, name_property: str = "", filename="wards.geojson"):
    token = csrf_token(client, OFFICERS + "/boundaries", "form[enctype]")
    data = text.encode() if isinstance(text, str) else text
    return client.post(
        OFFICERS + "/boundaries",
        data={
            "csrf_token": token,
            "boundaries": (io.BytesIO(data), filename),
            "name_property": name_property,
        },
    )


def stored(db) -> dict[str, str | None]:
    db.session.expire_all()
    return dict(
        db.session.execute(
            select(Neighbourhood.name, Neighbourhood.boundary)
            .join(Neighbourhood.council)
            .where(Council.slug == "mapton")
        ).all()
    )


def test_an_officer_uploads_boundaries_and_sees_them_drawn(app, db, mapton):
    officer = client_of(app, "officer@mapton.example")
    page = get_page(officer, OFFICERS + "/boundaries")
    assert page.select_one("#boundaries-map") is None
    response = upload(officer, GOOD)
    assert response.status_code == 302
    boundaries = stored(db)
    assert json.loads(boundaries["North"]) == {"type": "Polygon", "coordinates": NORTH}
    assert json.loads(boundaries["South"])["type"] == "Polygon"
    (event,) = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "boundaries.uploaded")
    ).all()
    # Counts, never the shapes.
    assert event.after == {"neighbourhoods": 2, "replaced": 0, "points": 10}
    page = get_page(officer, OFFICERS + "/boundaries")
    drawn = page.select_one("#boundaries-map svg")
    assert drawn["role"] == "img"
    assert [t.get_text() for t in drawn.select("text")] == ["North", "South"]
    assert len(drawn.select("path")) == 2
    rows = [r.get_text(" ", strip=True) for r in page.select("#boundary-list tbody tr")]
    assert rows == ["North Uploaded", "South Uploaded"]
