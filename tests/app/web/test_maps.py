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

from app.workflow import places
from app.workflow.models import (
    AuditEvent,
    Council,
    Neighbourhood,
    Phase,
    Proposal,
    ProposalStatus,
    Role,
)
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


def feature(value, rings, *, key="name", kind="Polygon", **extra):
    return {
        "type": "Feature",
        "properties": {key: value, **extra},
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
    proposal = create_proposal(funding_round.pots[0], title="Benches on the green", author=resident)
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


def bow_tie() -> list:
    return [[[-1.0, 52.0], [-0.9, 52.1], [-0.9, 52.0], [-1.0, 52.1], [-1.0, 52.0]]]


BAD_FILES = {
    "not JSON": ("{not json", "", [(None, "The file is not JSON")]),
    "not GeoJSON": ('{"type": "Feature"}', "", [(None, "not a GeoJSON FeatureCollection")]),
    "a list": ("[1, 2]", "", [(None, "not a GeoJSON FeatureCollection")]),
    "no features": (collection(), "", [(None, "The file has no features")]),
    "a point": (
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"name": "North"},
                        "geometry": {"type": "Point", "coordinates": [-0.95, 52.15]},
                    }
                ],
            }
        ),
        "",
        [(1, "is a Point: each neighbourhood must be a Polygon or a MultiPolygon")],
    ),
    "British National Grid numbers": (
        collection(feature("North", square(450000, 80000, 460000, 210000))),
        "",
        [(1, "which are not longitude and latitude")],
    ),
    "a projected CRS": (
        json.dumps(
            {
                "type": "FeatureCollection",
                "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::27700"}},
                "features": [feature("North", NORTH)],
            }
        ),
        "",
        [(None, "The file is in British National Grid (EPSG:27700)")],
    ),
    "latitude first": (
        collection(feature("North", [[[52.1, -1.0], [52.1, -0.9], [52.2, -0.9], [52.1, -1.0]]])),
        "",
        [(1, "looks like latitude then longitude")],
    ),
    "out of range": (
        collection(feature("North", square(-1.0, 88.0, -0.9, 95.0))),
        "",
        [(1, "which are not longitude and latitude")],
    ),
    "an unclosed ring": (
        collection(feature("North", [NORTH[0][:-1]])),
        "",
        [(1, "has a ring that is not closed")],
    ),
    "a ring of three": (
        collection(feature("North", [[[-1, 52], [-0.9, 52], [-1, 52]]])),
        "",
        [(1, "has a ring of fewer than 4 positions")],
    ),
    "crossing edges": (collection(feature("North", bow_tie())), "", [(1, "is not a valid shape")]),
    "no name": (
        collection(feature("North", NORTH, key="colour")),
        "",
        [(1, "has no property naming its neighbourhood")],
    ),
    "an unknown neighbourhood": (
        collection(feature("North", NORTH), feature("Westward", SOUTH)),
        "",
        [(2, "'Westward', which is not one of the council's neighbourhoods")],
    ),
    "two for one neighbourhood": (
        collection(feature("North", NORTH), feature("north", SOUTH)),
        "",
        [(2, "is a second boundary for North (feature 1 is one)")],
    ),
    "the wrong property chosen": (
        GOOD,
        "WD24NM",
        [(1, "has no property naming"), (2, "has no property naming")],
    ),
    "several problems": (
        collection(feature("Westward", [NORTH[0][:-1]]), feature("South", SOUTH)),
        "",
        [(1, "is not one of the council's neighbourhoods"), (1, "is not closed")],
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_a_bad_boundaries_file_changes_nothing_and_says_what_is_wrong(app, db, mapton, case):
    officer = client_of(app, "officer@mapton.example")
    assert upload(officer, collection(feature("North", NORTH))).status_code == 302
    before = stored(db)
    text, name_property, expected = BAD_FILES[case]
    response = upload(officer, text, name_property)
    assert response.status_code == 200
    page = soup(response)
    assert "nothing was changed" in error_messages(page)["boundaries"]
    listed = [li.get_text(" ", strip=True) for li in page.select("#boundary-problems + ul li")]
    assert len(listed) == len(expected), listed
    for (number, words), line in zip(expected, listed, strict=True):
        assert words in line
        if number is not None:
            assert line.startswith(f"Feature {number} ")
    assert stored(db) == before
    uploads = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "boundaries.uploaded")
    ).all()
    assert len(uploads) == 1


def test_a_file_too_big_or_not_utf8_or_missing_is_refused_at_the_field(
    app, db, mapton, monkeypatch
):
    from app.workflow import boundaries

    officer = client_of(app, "officer@mapton.example")
    # (4 MB in the app: a smaller limit here, for a request the test client keeps in memory.)
    monkeypatch.setattr(boundaries, "MAX_BYTES", 100 * 1024)
    huge = collection(feature("North", NORTH, pad="x" * 100 * 1024))
    page = soup(upload(officer, huge))
    assert "larger than 0.1 MB" in error_messages(page)["boundaries"]
    page = soup(upload(officer, "é".encode("latin-1")))
    assert "saved as UTF-8" in error_messages(page)["boundaries"]
    token = csrf_token(officer, OFFICERS + "/boundaries", "form[enctype]")
    page = soup(officer.post(OFFICERS + "/boundaries", data={"csrf_token": token}))
    assert "Select a GeoJSON file" in error_messages(page)["boundaries"]
    assert set(stored(db).values()) == {None}


def test_ons_names_multipolygons_and_a_chosen_property_are_understood(app, db, mapton):
    officer = client_of(app, "officer@mapton.example")
    ons = collection(
        feature("North", [NORTH], key="WD24NM", kind="MultiPolygon", WD24CD="E05000001"),
        feature("Gogledd", SOUTH, key="WD24NMW", WD24NM="South"),
    )
    assert upload(officer, ons).status_code == 302
    assert json.loads(stored(db)["North"])["type"] == "MultiPolygon"
    # A property the officer names, here a code that would otherwise be ignored.
    chosen = collection(feature("north", SOUTH, key="area_code", name="Somewhere else"))
    assert upload(officer, chosen, "AREA_CODE").status_code == 302
    assert json.loads(stored(db)["North"])["coordinates"] == SOUTH
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "boundaries.uploaded").order_by(AuditEvent.id)
    ).all()
    assert [e.after["replaced"] for e in events] == [0, 1]


def test_a_detailed_boundary_is_stored_and_drawn_simplified(app, db, mapton):
    import math

    ring = [
        [
            -0.95 + 0.05 * math.cos(2 * math.pi * i / 8000),
            52.1 + 0.05 * math.sin(2 * math.pi * i / 8000),
        ]
        for i in range(8000)
    ]
    ring.append(ring[0])
    officer = client_of(app, "officer@mapton.example")
    assert upload(officer, collection(feature("North", [ring]))).status_code == 302
    kept = json.loads(stored(db)["North"])["coordinates"][0]
    assert 100 < len(kept) <= 2000
    page = get_page(officer, OFFICERS + "/boundaries")
    (path,) = page.select("#boundaries-map svg path")
    assert path["d"].count("L") < places.DRAWN_POINTS


def test_only_the_councils_officers_upload_boundaries(app, db, mapton):
    for email in ("resident@mapton.example", "officer@elsewhere.example"):
        client = client_of(app, email)
        assert client.get(OFFICERS + "/boundaries").status_code == 403
    assert set(stored(db).values()) == {None}


# --- The address list's coordinates --------------------------------------------------------


def upload_gazetteer(client, text: str):
    token = csrf_token(client, OFFICERS + "/gazetteer", "form[enctype]")
    return client.post(
        OFFICERS + "/gazetteer",
        data={"csrf_token": token, "gazetteer": (io.BytesIO(text.encode()), "llpg.csv")},
    )


def points(db) -> dict[str, tuple]:
    db.session.expire_all()
    rows = db.session.execute(
        select(GazetteerAddress.uprn, GazetteerAddress.latitude, GazetteerAddress.longitude)
    ).all()
    return {u: (lat, lon) for u, lat, lon in rows}


def test_the_address_list_gives_latitude_and_longitude_or_grid_references(app, db, mapton):
    officer = client_of(app, "officer@mapton.example")
    text = (
        "UPRN,ADDRESS,POSTCODE,WARD,LATITUDE,LONGITUDE\n"
        "200,2 Green Lane,EX1 2AB,South,52.05,-0.95\n"
        "201,3 Green Lane,EX1 2AB,South,,\n"
    )
    assert upload_gazetteer(officer, text).status_code == 302
    found = points(db)
    assert found["200"] == (Decimal("52.050000"), Decimal("-0.950000"))
    assert found["201"] == (None, None)
    # As an LLPG extract gives them: British National Grid metres (here Trafalgar Square's).
    text = (
        "UPRN,ADDRESS,POSTCODE_LOCATOR,WARD,X_COORDINATE,Y_COORDINATE\n"
        "201,3 Green Lane,EX1 2AB,South,530000,180400\n"
    )
    imported = upload_gazetteer(officer, text)
    assert imported.status_code == 302
    page = get_page(officer, imported.headers["Location"])
    assert "0 added, 1 updated, 0 unchanged" in page.get_text()
    lat, lon = points(db)["201"]
    assert abs(lat - Decimal("51.5076")) < Decimal("0.001")
    assert abs(lon - Decimal("-0.1280")) < Decimal("0.001")
    # The same again changes nothing.
    page = get_page(officer, upload_gazetteer(officer, text).headers["Location"])
    assert "0 added, 0 updated, 1 unchanged" in page.get_text()


@pytest.mark.parametrize(
    "header, row, problem",
    [
        (
            "LATITUDE,LONGITUDE",
            "530000,180000",
            "Row 2 latitude 530000 and longitude 180000 are not on the earth",
        ),
        ("LATITUDE,LONGITUDE", "52.05,", "Row 2 gives a latitude or a longitude without the other"),
        ("LATITUDE,LONGITUDE", "north,-0.95", "Row 2 latitude 'north' or longitude '-0.95'"),
        ("X_COORDINATE,Y_COORDINATE", "-5,180000", "are not in British National Grid"),
        ("LATITUDE,Y_COORDINATE", "52,1", "The header has LATITUDE without LONGITUDE"),
    ],
)
def test_bad_coordinates_in_the_address_list_change_nothing(app, db, mapton, header, row, problem):
    officer = client_of(app, "officer@mapton.example")
    text = f"UPRN,ADDRESS,POSTCODE,WARD,{header}\n300,4 Green Lane,EX1 2AB,South,{row}\n"
    page = soup(upload_gazetteer(officer, text))
    listed = " ".join(
        li.get_text(" ", strip=True) for li in page.select("#gazetteer-problems + ul li")
    )
    assert problem in listed
    assert "300" not in points(db)


# --- Placing a proposal --------------------------------------------------------------------


def place_url(mapton, officer=False) -> str:
    p = mapton["proposal"].id
    if officer:
        return f"{OFFICERS}/rounds/ideas/proposals/{p}/place"
    return f"{ROUND}/proposals/{p}/place"


def post_place(client, url: str, how: str, **data):
    token = csrf_token(client, url.split("?")[0], "main form[method=post]")
    return client.post(url, data={"csrf_token": token, "how": how, **data})


def where(db, proposal) -> tuple:
    db.session.expire_all()
    p = db.session.get(Proposal, proposal.id)
    return (
        p.latitude,
        p.longitude,
        p.address_uprn,
        p.neighbourhood.name if p.neighbourhood else None,
    )


def with_boundaries(app, db):
    officer = client_of(app, "officer@mapton.example")
    assert upload(officer, GOOD).status_code == 302
    return officer


def picker_of(page):
    """The map to click on: its image decoded, and the frame key sent with a click."""
    import base64

    image = page.select_one("input[type=image][name=map]")
    svg = base64.b64decode(image["src"].split(",", 1)[1]).decode()
    key = image.find_parent("form").select_one("input[name=frame]")["value"]
    return image, svg, key


def test_a_resident_places_their_proposal_at_an_address_from_the_list(app, db, mapton):
    resident = client_of(app, "resident@mapton.example")
    proposal_page = get_page(resident, f"{ROUND}/proposals/{mapton['proposal'].id}")
    assert proposal_page.select_one("#place-link")["href"] == place_url(mapton)
    page = get_page(resident, place_url(mapton) + "?postcode=ex1+2ab")
    (choice,) = page.select("input[name=address]")
    assert "1 Green Lane" in page.select_one(f"label[for={choice['id']}]").get_text()
    response = post_place(
        resident, place_url(mapton) + "?postcode=ex1+2ab", "address", address=choice["value"]
    )
    assert response.status_code == 302
    assert where(db, mapton["proposal"]) == (
        Decimal("52.050000"),
        Decimal("-0.950000"),
        "100",
        "South",
    )
    (event,) = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "proposal.placed")
    ).all()
    assert event.after == {
        "latitude": "52.050000",
        "longitude": "-0.950000",
        "address_uprn": "100",
        "neighbourhood_id": db.session.get(Proposal, mapton["proposal"].id).neighbourhood_id,
    }
    page = get_page(resident, place_url(mapton))
    assert page.select_one("#place-address").get_text() == "1 Green Lane"
    proposal_page = get_page(resident, f"{ROUND}/proposals/{mapton['proposal'].id}")
    assert "1 Green Lane, in South" in proposal_page.get_text()


def test_an_unknown_postcode_or_address_is_refused(app, db, mapton):
    resident = client_of(app, "resident@mapton.example")
    page = get_page(resident, place_url(mapton) + "?postcode=ZZ9+9ZZ")
    assert "No address in Mapton's address list" in error_messages(page)["postcode"]
    other = GazetteerAddress(
        council_id=db.session.scalar(select(Council.id).where(Council.slug == "elsewhere")),
        uprn="999",
        address="9 Far Away",
        postcode="EX1 2AB",
        postcode_key="EX12AB",
        neighbourhood_id=db.session.scalar(
            select(Neighbourhood.id).join(Neighbourhood.council).where(Council.slug == "elsewhere")
        ),
    )
    db.session.add(other)
    db.session.commit()
    response = post_place(
        resident, place_url(mapton) + "?postcode=EX1+2AB", "address", address=str(other.id)
    )
    assert "Select an address from the list" in error_messages(soup(response))["address"]
    assert where(db, mapton["proposal"]) == (None, None, None, None)


def test_a_click_on_the_map_is_the_point_drawn_there(app, db, mapton):
    with_boundaries(app, db)
    resident = client_of(app, "resident@mapton.example")
    page = get_page(resident, place_url(mapton))
    image, svg, key = picker_of(page)
    assert "North" in svg and "South" in svg and "<script" not in svg
    assert "Click where the project would be" in image["alt"]
    frame = places.council_frame(places.boundaries(db.session, mapton["council"]))
    assert (int(image["width"]), int(image["height"])) == (frame.width, frame.height)
    x, y = frame.to_xy(-0.93, 52.17)
    response = post_place(
        resident, place_url(mapton), "map", frame=key, **{"map.x": round(x), "map.y": round(y)}
    )
    assert response.status_code == 302
    latitude, longitude, uprn, hood = where(db, mapton["proposal"])
    # Within a pixel of where the click was aimed.
    pixel = 1 / frame.scale
    assert abs(float(latitude) - 52.17) <= pixel and abs(float(longitude) + 0.93) <= pixel
    assert (uprn, hood) == (None, "North")
    # Drawn back where it was clicked.
    _, svg, _ = picker_of(get_page(resident, place_url(mapton)))
    assert f'x="{round(x)}' in svg or f'x="{round(x, 1)}"' in svg
    assert 'href="#place-map-here"' in svg


def test_a_click_outside_the_council_or_from_the_keyboard_or_on_an_old_map_is_refused(
    app, db, mapton
):
    officer = with_boundaries(app, db)
    resident = client_of(app, "resident@mapton.example")
    _, _, key = picker_of(get_page(resident, place_url(mapton)))
    frame = places.council_frame(places.boundaries(db.session, mapton["council"]))
    # The drawing's corner is outside both squares (it is centred in a wider box).
    cases = [
        ({"map.x": 2, "map.y": 2}, key, "outside Mapton's neighbourhoods"),
        ({"map.x": 0, "map.y": 0}, key, "Click on the map where the project would be"),
        ({"map.x": frame.width + 50, "map.y": 5}, key, "Click inside the map"),
        ({"map.x": "left", "map.y": 5}, key, "Click on the map where the project would be"),
        ({"map.x": 300, "map.y": 200}, "0123456789abcdef", "The map changed"),
    ]
    for data, frame_key, message in cases:
        response = post_place(resident, place_url(mapton), "map", frame=frame_key, **data)
        assert response.status_code == 200
        page = soup(response)
        assert message in page.select_one("#map-error").get_text(), message
        assert page.select_one(".govuk-error-summary a[href='#map']")
    # Typed in: outside, then nonsense, then inside.
    response = post_place(resident, place_url(mapton), "point", latitude="51.0", longitude="-0.95")
    assert "outside Mapton's neighbourhoods" in error_messages(soup(response))["latitude"]
    response = post_place(resident, place_url(mapton), "point", latitude="nan", longitude="x")
    assert set(error_messages(soup(response))) == {"latitude", "longitude"}
    assert where(db, mapton["proposal"]) == (None, None, None, None)
    response = post_place(
        officer, place_url(mapton, officer=True), "point", latitude="52.05", longitude="-0.95"
    )
    assert response.status_code == 302
    assert where(db, mapton["proposal"])[3] == "South"
    assert post_place(resident, place_url(mapton), "remove").status_code == 302
    assert where(db, mapton["proposal"]) == (None, None, None, None)


def test_without_boundaries_there_is_no_map_to_click_and_any_point_is_taken(app, db, mapton):
    resident = client_of(app, "resident@mapton.example")
    page = get_page(resident, place_url(mapton))
    assert page.select_one("input[type=image]") is None
    assert page.select_one("input[name=postcode]") is not None
    response = post_place(resident, place_url(mapton), "point", latitude="52.05", longitude="-0.95")
    assert response.status_code == 302
    assert where(db, mapton["proposal"]) == (
        Decimal("52.050000"),
        Decimal("-0.950000"),
        None,
        None,
    )


def test_only_its_author_and_the_councils_officers_place_a_proposal(app, db, mapton):
    for email, status in [
        ("neighbour@mapton.example", 403),
        ("officer@elsewhere.example", 403),
    ]:
        client = client_of(app, email)
        assert client.get(place_url(mapton)).status_code == status
        assert client.get(place_url(mapton, officer=True)).status_code == 403
    officer = client_of(app, "officer@mapton.example")
    page = get_page(officer, f"{OFFICERS}/rounds/ideas/proposals/{mapton['proposal'].id}")
    assert page.select_one("#place-link")["href"] == place_url(mapton, officer=True)
    assert where(db, mapton["proposal"]) == (None, None, None, None)


def test_once_voting_opens_a_proposals_place_is_fixed(app, db, mapton):
    officer = with_boundaries(app, db)
    funding_round = mapton["round"]
    from app.workflow import rounds

    mapton["proposal"].status = ProposalStatus.FEASIBLE
    mapton["proposal"].final_cost_pence = mapton["proposal"].estimated_cost_pence
    db.session.flush()
    manifest = rounds.canonical_json(rounds.build_manifest(db.session, funding_round))
    funding_round.manifest_json, funding_round.manifest_hash = (
        manifest,
        rounds.manifest_hash(manifest),
    )
    funding_round.phase = Phase.VOTING
    db.session.commit()
    url = place_url(mapton, officer=True)
    page = get_page(officer, url)
    assert page.select_one("#cannot-place") is not None
    assert page.select_one("input[type=image]") is None
    token = csrf_token(officer, "/auth/sign-in", "main form[method=post]")
    response = officer.post(
        url, data={"csrf_token": token, "how": "point", "latitude": "52.05", "longitude": "-0.95"}
    )
    assert response.status_code == 409
    assert "Voting has opened" in soup(response).select_one("main").get_text()
    assert where(db, mapton["proposal"]) == (None, None, None, None)
    refused = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "refused")).all()
    assert [e.after["attempted"] for e in refused] == ["proposal.placed"]
    # Its author, too, is told (their proposal was reviewed, so is no longer theirs to change).
    resident = client_of(app, "resident@mapton.example")
    assert get_page(resident, place_url(mapton)).select_one("#cannot-place") is not None


# --- The maps on the round and results pages -----------------------------------------------


def put(proposal, longitude: float, latitude: float, hood=None):
    proposal.longitude, proposal.latitude = Decimal(str(longitude)), Decimal(str(latitude))
    proposal.neighbourhood_id = hood.id if hood is not None else None


def markers(page, map_id="proposals-map") -> dict[str, str]:
    """{marker title: kind} of the map's markers."""
    return {
        m.select_one("title").get_text(): m["data-kind"]
        for m in page.select(f"#{map_id} svg .devolve-map__marker")
    }


def table(page, map_id="proposals-map") -> list[list[str]]:
    return [
        [c.get_text(" ", strip=True) for c in row.select("th, td")]
        for row in page.select(f"#{map_id}-list tbody tr")
    ]


def test_the_round_page_maps_its_proposals_with_a_table_giving_the_same(app, db, mapton):
    with_boundaries(app, db)
    pot_north, pot_south = mapton["round"].pots
    benches = mapton["proposal"]
    put(benches, -0.95, 52.15, mapton["north"])
    benches.address_uprn = "100"
    mural = create_proposal(pot_south, title="A mural", cost_pence=2_500_00)
    put(mural, -0.94, 52.04)
    unplaced = create_proposal(pot_south, title="Somewhere unsaid")
    hidden = create_proposal(pot_south, title="Hidden one")
    put(hidden, -0.93, 52.03)
    hidden.hidden_at = hidden.created_at
    gone = create_proposal(pot_south, title="Withdrawn one", status=ProposalStatus.WITHDRAWN)
    put(gone, -0.92, 52.02)
    unplaced.location = "By the station"
    db.session.commit()
    page = get_page(app.test_client(), ROUND)
    svg = page.select_one("#proposals-map svg")
    # Not an image: its markers are links (an image's content is hidden from assistive
    # technology); named by its title and description.
    assert svg["role"] == "group"
    assert svg["aria-labelledby"] == "proposals-map-title proposals-map-desc"
    assert "The neighbourhoods drawn are North and South." in svg.select_one("desc").get_text()
    assert markers(page) == {
        "Benches on the green – North – £5,000": "proposal",
        "A mural – South – £2,500": "proposal",
    }
    links = [a["href"] for a in svg.select("a")]
    assert links == [f"{ROUND}/proposals/{benches.id}", f"{ROUND}/proposals/{mural.id}"]
    assert all(a["tabindex"] == "-1" for a in svg.select("a"))
    assert table(page) == [
        ["Benches on the green", "North", "1 Green Lane", "£5,000"],
        ["A mural", "South", "Not given", "£2,500"],
    ]
    assert (
        "1 proposal has no place on the map"
        in page.select_one("#proposals-map-unplaced").get_text()
    )
    legend = [li.get_text(strip=True) for li in page.select("#proposals-map-legend li")]
    assert legend == ["Proposal (circle)"]
    assert "Hidden one" not in page.select_one("#proposals-map").get_text()
    assert "Withdrawn one" not in str(page.select_one("#proposals-map"))


def test_no_map_without_boundaries_or_points_and_a_map_of_points_alone(app, db, mapton):
    page = get_page(app.test_client(), ROUND)
    assert page.select_one("#proposals-map") is None
    assert page.select_one("#proposals") is not None
    put(mapton["proposal"], -0.95, 52.15)
    db.session.commit()
    page = get_page(app.test_client(), ROUND)
    assert page.select("#proposals-map svg path") == []
    assert list(markers(page).values()) == ["proposal"]


def test_a_draft_round_shows_its_map_to_its_officers_only(app, db, mapton):
    with_boundaries(app, db)
    mapton["round"].phase = Phase.DRAFT
    put(mapton["proposal"], -0.95, 52.15)
    db.session.commit()
    assert app.test_client().get(ROUND).status_code == 404
    resident = client_of(app, "resident@mapton.example")
    assert resident.get(ROUND).status_code == 404
    officer = client_of(app, "officer@mapton.example")
    assert markers(get_page(officer, ROUND))


def results_world(db, *, phase=Phase.PUBLISHED, ballots=12):
    council = create_council(slug="counted", name="Counted")
    funding_round = closed_round(council, ballots=ballots, phase=phase)
    hood = council.neighbourhoods[0]
    hood.boundary = json.dumps({"type": "Polygon", "coordinates": square(-1.0, 52.0, -0.9, 52.1)})
    for i, proposal in enumerate(sorted(funding_round.proposals, key=lambda p: p.id)):
        proposal.title = f"Project {i + 1}"
        put(proposal, -0.98 + 0.02 * i, 52.05, hood)
    db.session.commit()
    return council, funding_round


def test_the_results_mark_funded_projects_by_shape_and_say_so_in_the_table(app, db):
    council, funding_round = results_world(db)
    url = f"/councils/counted/rounds/{funding_round.slug}"
    page = get_page(app.test_client(), url + "/results")
    hood = council.neighbourhoods[0].name
    assert markers(page) == {
        f"Project 1 – {hood} – £10,000 – Funded": "funded",
        f"Project 2 – {hood} – £20,000 – Funded": "funded",
        f"Project 3 – {hood} – £30,000 – Not funded": "not-funded",
    }
    # Funded stars are drawn last, on top.
    kinds = [m["data-kind"] for m in page.select("#proposals-map svg .devolve-map__marker")]
    assert kinds == ["not-funded", "funded", "funded"]
    assert [row[-1] for row in table(page)] == ["Funded", "Funded", "Not funded"]
    legend = [li.get_text(strip=True) for li in page.select("#proposals-map-legend li")]
    assert legend == ["Not funded (hollow circle)", "Funded (star)"]
    # The round page says the same once results are out; so does the pot's page.
    assert markers(get_page(app.test_client(), url)) == markers(page)
    pot = funding_round.pots[0].id
    assert markers(get_page(app.test_client(), f"{url}/results/{pot}")) == markers(page)


def test_before_publication_nothing_says_funded(app, db):
    _, funding_round = results_world(db, phase=Phase.CLOSED)
    url = f"/councils/counted/rounds/{funding_round.slug}"
    results = get_page(app.test_client(), url + "/results")
    assert results.select_one("#proposals-map") is None
    page = get_page(app.test_client(), url)
    assert set(markers(page).values()) == {"proposal"}
    assert "Funded" not in page.select_one("#proposals-map").get_text()
    assert "Funded" not in str(page.select_one("#proposals-map svg"))


def test_a_withheld_pots_projects_are_neither_funded_nor_not(app, db):
    _, funding_round = results_world(db, ballots=3)
    url = f"/councils/counted/rounds/{funding_round.slug}"
    for page in (get_page(app.test_client(), url + "/results"), get_page(app.test_client(), url)):
        assert set(markers(page).values()) == {"withheld"}
        assert {row[-1] for row in table(page)} == {"Not published: too few ballots in its pot"}
        text = page.select_one("#proposals-map").get_text()
        assert "Not funded" not in text and "– Funded" not in text


def test_a_council_wide_pots_projects_are_where_they_were_placed(app, db, mapton):
    from app.workflow.results import project_neighbourhoods

    funding_round = create_round(mapton["council"], slug="wide")
    proposal = create_proposal(funding_round.pots[0], title="Near the river")
    proposal.location = "By South park"
    db.session.flush()
    assert project_neighbourhoods(db.session, funding_round, [str(proposal.id)]) == {
        str(proposal.id): "South"
    }
    proposal.neighbourhood_id = mapton["north"].id
    db.session.flush()
    assert project_neighbourhoods(db.session, funding_round, [str(proposal.id)]) == {
        str(proposal.id): "North"
    }


def test_names_are_escaped_in_the_drawings(app, db, mapton):
    with_boundaries(app, db)
    mapton["north"].name = "North & <b>East</b>"
    put(mapton["proposal"], -0.95, 52.15, mapton["north"])
    mapton["proposal"].title = "Benches <script>"
    db.session.commit()
    resident = client_of(app, "resident@mapton.example")
    _, svg, _ = picker_of(get_page(resident, place_url(mapton)))
    assert svg.startswith("<svg ")
    assert "North &amp; &lt;b&gt;East&lt;/b&gt;" in svg and "<b>" not in svg
    page = app.test_client().get(ROUND).get_data(as_text=True)
    assert "Benches &lt;script&gt;" in page and "<script>" not in page.split("</head>")[1]
