"""Places on a map: the council's neighbourhood boundaries, which neighbourhood a point is in,
where a proposal is, and the projection that draws them on a page and turns a click on the
drawing back into a point.

Boundaries are GeoJSON geometries (Polygon or MultiPolygon, longitude and latitude in WGS 84),
one per neighbourhood, uploaded by the council's officers (``app.workflow.boundaries`` reads
and checks the file); a council without them still works: proposals are then placed from its
address list alone, and pages draw no map unless some proposal has a point.

The drawing is equirectangular: longitude scaled by the cosine of the middle latitude, so a
council's shapes keep their proportions (the error across a borough is far below a pixel),
fitted into a box of ``MAP_WIDTH`` by at most ``MAP_MAX_HEIGHT``. ``Frame`` goes both ways:
``to_xy`` for drawing and ``to_lonlat`` for a click on an ``<input type="image">`` of the same
drawing, which the browser sends as whole pixels from its top left corner.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache

import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.workflow import audit
from app.workflow.errors import DomainError
from app.workflow.models import Council, FundingRound, Neighbourhood, Proposal, Role, User
from app.workflow.rounds import ensure_not_frozen
from ballots.models import GazetteerAddress
from ballots.refusals import N_

# The drawing's size in pixels: its width always, its height as the place's shape needs (a
# tall council gets a narrower drawing centred in the width instead of a taller page).
MAP_WIDTH = 640
MAP_MAX_HEIGHT = 560
MAP_MIN_HEIGHT = 240
MAP_MARGIN = 16
# A single point, or points all in one spot, is drawn in a box this wide (degrees of
# latitude, about 1 km), so it sits in the middle of something.
SMALLEST_SPAN = 0.01
# Each neighbourhood is drawn with at most this many points: a page with a council's map
# stays small whatever resolution the uploaded boundaries had.
DRAWN_POINTS = 300
# Coordinates are kept to 6 decimal places (about 0.1 m), as the columns hold them.
PLACES = Decimal("0.000001")


def coordinate(value: float | Decimal | str) -> Decimal:
    """A latitude or longitude as stored: 6 decimal places."""
    return Decimal(str(value)).quantize(PLACES, rounding=ROUND_HALF_EVEN)


# --- Shapes ---------------------------------------------------------------------------------


# A council's boundaries are a few hundred KB at most: a few councils' worth kept per process.
@lru_cache(maxsize=128)
def _shape(boundary: str):
    return shapely.from_geojson(boundary)


def shape_of(boundary: str):
    """The shapely geometry of a stored boundary (parsed once per process and text)."""
    return _shape(boundary)


def boundaries(session: Session, council: Council | int) -> list[tuple[Neighbourhood, str]]:
    """The council's neighbourhoods that have a boundary, with it, by name."""
    council_id = council if isinstance(council, int) else council.id
    rows = session.scalars(
        select(Neighbourhood)
        .where(Neighbourhood.council_id == council_id, Neighbourhood.boundary.is_not(None))
        .order_by(Neighbourhood.name, Neighbourhood.id)
    ).all()
    return [(h, h.boundary) for h in rows]


def neighbourhood_at(
    shapes: Sequence[tuple[Neighbourhood, str]], longitude: float, latitude: float
) -> Neighbourhood | None:
    """The neighbourhood whose boundary covers the point (its edge included), the first by
    name where boundaries overlap; None when the point is outside all of them."""
    point = shapely.Point(float(longitude), float(latitude))
    for hood, boundary in shapes:
        if shape_of(boundary).covers(point):
            return hood
    return None


def bounds_of(texts: Iterable[str]) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) around every boundary, or None for none."""
    boxes = [shape_of(t).bounds for t in texts]
    if not boxes:
        return None
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def point_count(geometry) -> int:
    return int(shapely.get_num_coordinates(geometry))


# --- The projection -------------------------------------------------------------------------


@dataclass(frozen=True)
class Frame:
    """How a place is drawn: pixels from the top left of a ``width`` by ``height`` drawing.
    ``west`` and ``north`` are the longitude and latitude at (``left``, ``top``); ``kx`` the
    cosine of the middle latitude; ``scale`` pixels per degree of latitude."""

    west: float
    north: float
    kx: float
    scale: float
    left: float
    top: float
    width: int
    height: int

    def to_xy(self, longitude: float, latitude: float) -> tuple[float, float]:
        x = self.left + (float(longitude) - self.west) * self.kx * self.scale
        y = self.top + (self.north - float(latitude)) * self.scale
        return x, y

    def to_lonlat(self, x: float, y: float) -> tuple[float, float]:
        longitude = self.west + (float(x) - self.left) / (self.kx * self.scale)
        latitude = self.north - (float(y) - self.top) / self.scale
        return longitude, latitude

    @property
    def key(self) -> str:
        """A short fingerprint of the frame: a click is read with the frame it was drawn
        with, or not at all (the map changed while the page was open)."""
        text = json.dumps(
            [round(v, 9) for v in (self.west, self.north, self.kx, self.scale, self.left, self.top)]
            + [self.width, self.height]
        )
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def frame_for(
    bounds: tuple[float, float, float, float],
    *,
    width: int = MAP_WIDTH,
    max_height: int = MAP_MAX_HEIGHT,
    min_height: int = MAP_MIN_HEIGHT,
    margin: int = MAP_MARGIN,
) -> Frame:
    """The frame that fits ``bounds`` (west, south, east, north) into a drawing ``width``
    wide, as tall as the shape needs between ``min_height`` and ``max_height``, centred."""
    west, south, east, north = (float(v) for v in bounds)
    middle = (south + north) / 2
    kx = max(math.cos(math.radians(middle)), 0.01)
    span_x = (east - west) * kx
    span_y = north - south
    if max(span_x, span_y) < SMALLEST_SPAN:
        grow_x = (SMALLEST_SPAN - span_x) / 2 / kx
        grow_y = (SMALLEST_SPAN - span_y) / 2
        west, east = west - max(grow_x, 0), east + max(grow_x, 0)
        south, north = south - max(grow_y, 0), north + max(grow_y, 0)
        span_x, span_y = (east - west) * kx, north - south
    inner_w = width - 2 * margin
    scale = inner_w / span_x if span_x > 0 else math.inf
    if span_y * scale > max_height - 2 * margin or span_x <= 0:
        scale = (max_height - 2 * margin) / span_y
    height = max(min_height, min(max_height, math.ceil(span_y * scale + 2 * margin)))
    left = (width - span_x * scale) / 2
    top = (height - span_y * scale) / 2
    return Frame(
        west=west, north=north, kx=kx, scale=scale, left=left, top=top, width=width, height=height
    )


def council_frame(shapes: Sequence[tuple[Neighbourhood, str]]) -> Frame | None:
    """The frame of the council's boundaries (what a click on its map is read with)."""
    bounds = bounds_of(text for _, text in shapes)
    return None if bounds is None else frame_for(bounds)


def frame_around(
    shapes: Sequence[tuple[Neighbourhood, str]], points: Iterable[tuple[float, float]]
) -> Frame | None:
    """The frame of the boundaries and the points (longitude, latitude) together."""
    bounds = bounds_of(text for _, text in shapes)
    points = list(points)
    if points:
        lons = [p[0] for p in points]
        lats = [p[1] for p in points]
        around = (min(lons), min(lats), max(lons), max(lats))
        bounds = (
            around
            if bounds is None
            else (
                min(bounds[0], around[0]),
                min(bounds[1], around[1]),
                max(bounds[2], around[2]),
                max(bounds[3], around[3]),
            )
        )
    return None if bounds is None else frame_for(bounds)


@dataclass(frozen=True)
class Area:
    """A neighbourhood as drawn: its SVG path and where its label goes."""

    neighbourhood_id: int
    path: str
    label_x: float
    label_y: float


def _number(v: float) -> str:
    text = f"{v:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _path(polygon) -> str:
    rings = [polygon.exterior, *polygon.interiors]
    parts = []
    for ring in rings:
        coords = list(ring.coords)[:-1]
        if len(coords) < 3:
            continue
        first, *rest = coords
        parts.append(
            f"M{_number(first[0])} {_number(first[1])}"
            + "".join(f"L{_number(x)} {_number(y)}" for x, y in rest)
            + "Z"
        )
    return "".join(parts)


@lru_cache(maxsize=512)
def _drawn(boundary: str, frame: Frame) -> tuple[str, float, float] | None:
    geometry = shape_of(boundary)
    projected = shapely.transform(
        geometry,
        lambda c: _project_many(c, frame),
    )
    tolerance, drawn = 0.5, projected.simplify(0.5, preserve_topology=True)
    while point_count(drawn) > DRAWN_POINTS and tolerance < 64:
        tolerance *= 2
        drawn = projected.simplify(tolerance, preserve_topology=True)
    polygons = [p for p in getattr(drawn, "geoms", [drawn]) if not p.is_empty]
    path = "".join(_path(p) for p in polygons)
    if not path:
        return None
    label = projected.point_on_surface()
    return path, round(label.x, 1), round(label.y, 1)


def _project_many(coords, frame: Frame):
    out = coords.copy()
    out[:, 0] = frame.left + (coords[:, 0] - frame.west) * frame.kx * frame.scale
    out[:, 1] = frame.top + (frame.north - coords[:, 1]) * frame.scale
    return out


def drawn_areas(shapes: Sequence[tuple[Neighbourhood, str]], frame: Frame) -> list[Area]:
    """Each boundary projected into ``frame`` and simplified to at most ``DRAWN_POINTS``
    points (half a pixel's detail first), as SVG paths, with a point inside each for its
    label. Worked out once per boundary and frame in a process."""
    out = []
    for hood, boundary in shapes:
        drawn = _drawn(boundary, frame)
        if drawn is not None:
            out.append(Area(hood.id, *drawn))
    return out


# --- What a round's maps draw ---------------------------------------------------------------

# A proposal's mark once a round's results are published.
FUNDED, NOT_FUNDED, WITHHELD = "funded", "not-funded", "withheld"


def mapped_proposals(
    session: Session, funding_round: FundingRound, pot_id: int | None = None
) -> tuple[list[Proposal], dict[int, str] | None]:
    """The proposals a round's maps draw (of one pot, with ``pot_id``), and, once its results
    are published, each one's mark: ``FUNDED``, ``NOT_FUNDED``, or ``WITHHELD`` for a pot
    whose results were withheld for too few ballots (neither funded nor not is said of its
    projects); None before.

    Before voting, the proposals still in the running (submitted or feasible, not hidden by
    moderators); from voting on, those on the frozen ballot paper. Proposals without a point
    are returned too: the pages count them."""
    from app.workflow import proposals as proposing
    from app.workflow.models import ProposalStatus
    from app.workflow.results import published_views
    from ballots.paper import ballot_paper

    if not funding_round.is_frozen:
        query = select(Proposal).where(
            *proposing.public_in_round(funding_round),
            Proposal.status.in_([ProposalStatus.SUBMITTED, ProposalStatus.FEASIBLE]),
        )
        if pot_id is not None:
            query = query.where(Proposal.pot_id == pot_id)
        return list(session.scalars(query.order_by(Proposal.id))), None
    paper = ballot_paper(funding_round.manifest_json)
    pots = [p for p in paper.pots if pot_id is None or p.id == pot_id]
    ids = [int(project.id) for pot in pots for project in pot.projects]
    found = proposing.on_paper(session, funding_round, ids)
    if not proposing.results_published(funding_round):
        return found, None
    outcome: dict[int, str] = {}
    views = {v.result.pot_id: v for v in published_views(session, funding_round)}
    for pot in pots:
        view = views.get(pot.id)
        for project in pot.projects:
            if view is None or view.withheld:
                outcome[int(project.id)] = WITHHELD
        for row in view.projects if view is not None else ():
            outcome[row.id] = FUNDED if row.funded else NOT_FUNDED
    return found, outcome


def can_place(proposal: Proposal, user: User | None) -> bool:
    """Whether ``user`` may place the proposal now (what ``place_at_*`` would allow, read
    without taking the round's lock): its council's officers until voting opens, its author
    while they may change it."""
    from app.workflow.models import Phase, ProposalStatus

    funding_round = proposal.round
    if user is None or funding_round.is_frozen:
        return False
    if user.has_role(funding_round.council_id, Role.OFFICER):
        return True
    return (
        proposal.author_id == user.id
        and funding_round.phase == Phase.PROPOSALS
        and proposal.status == ProposalStatus.SUBMITTED
        and not proposal.is_hidden
    )


# --- Placing a proposal ---------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """Where a proposal is: a point (both coordinates or neither), the address list's entry
    it was chosen from, and the neighbourhood it is in."""

    latitude: Decimal | None = None
    longitude: Decimal | None = None
    address_uprn: str | None = None
    neighbourhood_id: int | None = None


NOWHERE = Place()


def place_of(proposal: Proposal) -> Place:
    return Place(
        proposal.latitude, proposal.longitude, proposal.address_uprn, proposal.neighbourhood_id
    )


def _check_may_place(session: Session, proposal: Proposal, actor: User) -> FundingRound:
    """Its council's officers may place any proposal of a round until voting opens; its
    author theirs while they may change it (``proposals.check_author_may_change``)."""
    from app.workflow import proposals

    funding_round = proposal.round
    if actor.has_role(funding_round.council_id, Role.OFFICER):
        ensure_not_frozen(
            session,
            funding_round,
            actor=actor,
            action="proposal.placed",
            subject=proposal,
            what=N_("Where proposals are"),
        )
        return funding_round
    return proposals.check_author_may_change(session, proposal, actor, "proposal.placed")


def _set(session: Session, proposal: Proposal, actor: User, place: Place) -> Place:
    funding_round = _check_may_place(session, proposal, actor)
    before = place_of(proposal)
    proposal.latitude, proposal.longitude = place.latitude, place.longitude
    proposal.address_uprn = place.address_uprn
    proposal.neighbourhood_id = place.neighbourhood_id
    session.flush()
    audit.record_changes(
        session,
        action="proposal.placed",
        actor=actor,
        round=funding_round,
        subject=proposal,
        before=before.__dict__,
        after=place.__dict__,
    )
    return place


def place_at_address(
    session: Session, proposal: Proposal, *, actor: User, address_id: int
) -> Place:
    """Place the proposal at an address of its council's list: the address's point (when the
    list gives one) and its neighbourhood. Refused for an address of another council."""
    address = session.get(GazetteerAddress, address_id)
    if address is None or address.council_id != proposal.round.council_id:
        raise DomainError(N_("Select an address from the list"), "address")
    return _set(
        session,
        proposal,
        actor,
        Place(
            latitude=address.latitude,
            longitude=address.longitude,
            address_uprn=address.uprn,
            neighbourhood_id=address.neighbourhood_id,
        ),
    )


def place_at_point(
    session: Session,
    proposal: Proposal,
    *,
    actor: User,
    longitude: float | Decimal,
    latitude: float | Decimal,
    field: str = "map",
) -> Place:
    """Place the proposal at a point (from the map, or typed): its neighbourhood is the one
    whose boundary covers it. Refused, beside ``field``, for a point off the earth, and, when
    the council has boundaries, for one outside all of them."""
    latitude, longitude = coordinate(latitude), coordinate(longitude)
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise DomainError(
            N_("A latitude is between -90 and 90, and a longitude between -180 and 180"), field
        )
    council = proposal.round.council
    shapes = boundaries(session, council)
    hood = neighbourhood_at(shapes, longitude, latitude)
    if shapes and hood is None:
        raise DomainError(
            N_(
                "That point is outside %(council)s's neighbourhoods: choose a place inside "
                "them, or an address from the council's list"
            ),
            field,
            council=council.name,
        )
    return _set(
        session,
        proposal,
        actor,
        Place(latitude=latitude, longitude=longitude, neighbourhood_id=hood.id if hood else None),
    )


def place_at_click(
    session: Session, proposal: Proposal, *, actor: User, x: int, y: int, frame_key: str
) -> Place:
    """Place the proposal where a click on the council's map (``council_frame``) landed.
    Refused when the map has changed since it was drawn (``frame_key``), for a click outside
    the drawing, and for (0, 0), which is what a browser sends when the map's button is
    pressed from the keyboard rather than clicked."""
    frame = council_frame(boundaries(session, proposal.round.council_id))
    if frame is None:
        raise DomainError(
            N_("This council has no map yet: choose an address from its list instead"), "map"
        )
    if frame.key != frame_key:
        raise DomainError(N_("The map changed while this page was open: click on it again"), "map")
    if (x, y) == (0, 0):
        raise DomainError(
            N_(
                "Click on the map where the project would be. If you cannot use the map, "
                "find an address or enter the latitude and longitude instead."
            ),
            "map",
        )
    if not (0 <= x <= frame.width and 0 <= y <= frame.height):
        raise DomainError(N_("Click inside the map"), "map")
    longitude, latitude = frame.to_lonlat(x, y)
    return place_at_point(session, proposal, actor=actor, longitude=longitude, latitude=latitude)


def unplace(session: Session, proposal: Proposal, *, actor: User) -> Place:
    """Take the proposal off the map (its free-text location stays)."""
    return _set(session, proposal, actor, NOWHERE)


def has_address_list(session: Session, council_id: int) -> bool:
    """Whether the council has an address list (gazetteer) to place proposals from."""
    found = session.scalar(
        select(GazetteerAddress.id).where(GazetteerAddress.council_id == council_id).limit(1)
    )
    return found is not None


def addresses_by_uprn(session: Session, council_id: int, uprns: Iterable[str]) -> dict[str, str]:
    """The written address of each of these UPRNs in the council's list (one query)."""
    wanted = sorted({u for u in uprns if u})
    if not wanted:
        return {}
    return dict(
        session.execute(
            select(GazetteerAddress.uprn, GazetteerAddress.address).where(
                GazetteerAddress.council_id == council_id, GazetteerAddress.uprn.in_(wanted)
            )
        ).all()
    )
