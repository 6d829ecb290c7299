"""The demo's places: neighbourhood boundaries for each demo council, a few addresses with
their coordinates in Lambeth's address list, and a point for each demo proposal, so the round
and results pages show their maps.

The boundaries are of our own drawing, not any real ward's: each council's outline is a
wavy ring about 9 km across around a point near the council's real location, cut into one
piece per neighbourhood (a Voronoi tiling of points spread round the centre). The addresses
are made up too (all at the postcode ``DEMO_POSTCODE``). Idempotent, like the rest of the
demo: a neighbourhood that has a boundary, an address already listed and a proposal that has
a point are left as they are.
"""

from __future__ import annotations

import math

import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.demo import bilingual
from app.workflow import boundaries, places
from app.workflow.models import Council, FundingRound, Neighbourhood, Proposal
from ballots.models import GazetteerAddress, postcode_key

# Near, not at, each council's real place (latitude, longitude).
CENTRES = {
    "lambeth": (51.455, -0.118),
    "liverpool": (53.415, -2.955),
    "rochdale": (53.610, -2.160),
    "oldham": (53.545, -2.110),
    bilingual.SLUG: (53.280, -4.400),
    # The councils of the network's history (app.demo.network).
    "salford": (53.487, -2.290),
    "stevenage": (51.903, -0.196),
}
# The outline's radius, in degrees of latitude (about 4.5 km).
RADIUS = 0.04
DEMO_POSTCODE = "SW9 8ZZ"
# Lambeth's made-up addresses: (UPRN, address, neighbourhood).
ADDRESSES = [
    ("990000000001", "1 Orchard Row, Brixton", "Brixton"),
    ("990000000002", "Community Hall, 5 Orchard Row, Brixton", "Brixton"),
    ("990000000003", "2 Windmill Walk, Clapham", "Clapham"),
    ("990000000004", "The Pavilion, Hilltop Park, Norwood", "Norwood"),
    ("990000000005", "3 Canal Mews, Stockwell", "Stockwell"),
    ("990000000006", "Library, 8 Station Parade, Streatham", "Streatham"),
    ("990000000007", "4 Riverside Steps, Vauxhall", "Vauxhall"),
]


def _outline(latitude: float, longitude: float):
    """A wavy ring round the centre, round on the ground (longitude stretched by latitude)."""
    stretch = 1 / math.cos(math.radians(latitude))
    ring = []
    for i in range(72):
        angle = 2 * math.pi * i / 72
        r = RADIUS * (1 + 0.12 * math.sin(3 * angle) + 0.07 * math.cos(5 * angle + 1))
        ring.append((longitude + r * math.cos(angle) * stretch, latitude + r * math.sin(angle)))
    return shapely.Polygon(ring)


def _seeds(latitude: float, longitude: float, n: int) -> list[tuple[float, float]]:
    """Where each neighbourhood's piece grows from: one in the middle (five or more
    neighbourhoods), the rest spread round it."""
    stretch = 1 / math.cos(math.radians(latitude))
    middle = n >= 5
    around = n - 1 if middle else n
    seeds = [(longitude, latitude)] if middle else []
    for i in range(around):
        angle = 2 * math.pi * i / around + 0.4
        r = RADIUS * (0.62 + 0.08 * (i % 2))
        seeds.append((longitude + r * math.cos(angle) * stretch, latitude + r * math.sin(angle)))
    return seeds


def tiling(latitude: float, longitude: float, n: int) -> list:
    """``n`` polygons that together cover the council's made-up outline, in the seeds'
    order."""
    outline = _outline(latitude, longitude)
    seeds = _seeds(latitude, longitude, n)
    cells = shapely.voronoi_polygons(shapely.MultiPoint(seeds), extend_to=outline, ordered=True)
    pieces = [cell.intersection(outline) for cell in cells.geoms]
    # The order of the cells is the seeds' (``ordered``); checked, as nothing else says so.
    return [next(p for p in pieces if p.covers(shapely.Point(s))) for s in seeds]


def _spot(shape, k: int) -> tuple[float, float]:
    """The ``k``th of a spiral of points inside ``shape``, from a point well inside it."""
    start = shape.representative_point()
    minx, miny, maxx, maxy = shape.bounds
    step = min(maxx - minx, maxy - miny) / 10
    for tries in range(40):
        # From the third point of the spiral: the first is where the label is drawn.
        i = k + 3 + tries * 7
        angle = i * 2.4
        r = step * math.sqrt(i) * 0.6
        point = shapely.Point(start.x + r * math.cos(angle), start.y + r * math.sin(angle))
        if shape.covers(point):
            return point.x, point.y
    return start.x, start.y


def seed(session: Session) -> None:
    councils = {c.slug: c for c in session.scalars(select(Council))}
    for slug, (latitude, longitude) in CENTRES.items():
        council = councils.get(slug)
        if council is None:
            continue
        hoods = sorted(council.neighbourhoods, key=lambda h: h.name)
        if all(h.boundary is None for h in hoods):
            for hood, shape in zip(hoods, tiling(latitude, longitude, len(hoods)), strict=True):
                hood.boundary = boundaries.canonical(shape)
    session.flush()
    _addresses(session, councils.get("lambeth"))
    session.flush()
    for slug in CENTRES:
        if slug in councils:
            _place_proposals(session, councils[slug])
    session.flush()


def _addresses(session: Session, council: Council | None) -> None:
    if council is None:
        return
    listed = set(
        session.scalars(
            select(GazetteerAddress.uprn).where(GazetteerAddress.council_id == council.id)
        )
    )
    hoods = {h.name: h for h in council.neighbourhoods}
    for n, (uprn, address, hood_name) in enumerate(ADDRESSES):
        hood = hoods.get(hood_name)
        if uprn in listed or hood is None or hood.boundary is None:
            continue
        longitude, latitude = _spot(places.shape_of(hood.boundary), 20 + n)
        session.add(
            GazetteerAddress(
                council_id=council.id,
                uprn=uprn,
                address=address,
                postcode=DEMO_POSTCODE,
                postcode_key=postcode_key(DEMO_POSTCODE),
                neighbourhood_id=hood.id,
                latitude=places.coordinate(latitude),
                longitude=places.coordinate(longitude),
            )
        )


def _place_proposals(session: Session, council: Council) -> None:
    """A point for each of the council's proposals that has none: in its pot's
    neighbourhood, or (a council-wide pot) in each neighbourhood in turn."""
    hoods = [h for h in sorted(council.neighbourhoods, key=lambda h: h.name) if h.boundary]
    if not hoods:
        return
    listed: dict[int, GazetteerAddress] = {}
    for address in session.scalars(
        select(GazetteerAddress)
        .where(GazetteerAddress.council_id == council.id, GazetteerAddress.latitude.is_not(None))
        .order_by(GazetteerAddress.uprn)
    ):
        listed.setdefault(address.neighbourhood_id, address)
    rounds = session.scalars(select(FundingRound).where(FundingRound.council_id == council.id))
    for funding_round in rounds:
        pots = {p.id: p for p in funding_round.pots}
        # The first proposal in each neighbourhood is at one of the address list's addresses.
        at_address = dict(listed)
        found = session.scalars(
            select(Proposal).where(Proposal.round_id == funding_round.id).order_by(Proposal.id)
        ).all()
        for k, proposal in enumerate(found):
            if proposal.latitude is not None:
                continue
            hood: Neighbourhood = (
                pots[proposal.pot_id].neighbourhood
                or proposal.neighbourhood
                or hoods[k % len(hoods)]
            )
            if hood.boundary is None:
                continue
            address = at_address.pop(hood.id, None)
            if address is not None:
                proposal.latitude, proposal.longitude = address.latitude, address.longitude
                proposal.address_uprn = address.uprn
            else:
                longitude, latitude = _spot(places.shape_of(hood.boundary), k)
                proposal.latitude = places.coordinate(latitude)
                proposal.longitude = places.coordinate(longitude)
            proposal.neighbourhood_id = hood.id
