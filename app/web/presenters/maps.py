"""Maps drawn on the server as SVG, in the page's language: a council's neighbourhoods
(labelled) and a round's proposals as markers, funded and not funded told apart by shape and
named in a legend (never by colour alone), each marker a link to its proposal with a title.

A map is never the only way to the information: every page that draws one lists the same
proposals beside it (``PlaceRow``: the proposal, its neighbourhood, its address or location,
its cost and, once results are out, whether it was funded), and the drawing's description
names the neighbourhoods. No tiles, no JavaScript, nothing fetched from elsewhere.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from flask import render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.web.i18n import in_page_language
from app.web.presenters import formatting
from app.web.presenters.methods import ngettext
from app.workflow import places
from app.workflow.languages import Shown
from app.workflow.models import Council, FundingRound, Neighbourhood, Proposal

# How a proposal is marked: its shape on the map, and its words in the legend and the list.
FUNDED, NOT_FUNDED, WITHHELD = places.FUNDED, places.NOT_FUNDED, places.WITHHELD
PROPOSAL, HERE = "proposal", "here"
LEGEND = {
    PROPOSAL: _l("Proposal (circle)"),
    FUNDED: _l("Funded (star)"),
    NOT_FUNDED: _l("Not funded (hollow circle)"),
    WITHHELD: _l("Result not published for its pot (hollow square)"),
    HERE: _l("This proposal (large red circle)"),
}
RESULT_WORDS = {
    FUNDED: _l("Funded"),
    NOT_FUNDED: _l("Not funded"),
    WITHHELD: _l("Not published: too few ballots in its pot"),
}
# Drawn last, so a funded project's star is never under another marker.
ORDER = {NOT_FUNDED: 0, WITHHELD: 1, PROPOSAL: 2, FUNDED: 3, HERE: 4}


@dataclass(frozen=True)
class DrawnArea:
    path: str
    name: Shown
    label_x: float
    label_y: float


@dataclass(frozen=True)
class Marker:
    x: float
    y: float
    kind: str
    title: str
    href: str | None


@dataclass(frozen=True)
class MapView:
    """A map ready to draw (``templates/components/map.html``)."""

    id: str
    width: int
    height: int
    areas: tuple[DrawnArea, ...]
    markers: tuple[Marker, ...]
    title: str
    description: str
    legend: tuple[tuple[str, str], ...]

    @property
    def has_links(self) -> bool:
        return any(m.href for m in self.markers)


@dataclass(frozen=True)
class PlaceRow:
    """A proposal as the list beside a map gives it."""

    proposal: Proposal
    title: Shown
    href: str | None
    neighbourhood: Shown | None
    where: str
    cost_pence: int
    kind: str
    cost: str  # the cost as the page writes money
    result: str | None  # funded, not funded or not published, once results are out


def _names(hoods: Iterable[Neighbourhood]) -> dict[int, Shown]:
    return {h.id: in_page_language(h, "name") for h in hoods}


def _listing(items: Sequence[str]) -> str:
    """Names as a list in the page's language ("A, B and C"; in Welsh "a", or "ac" before a
    vowel)."""
    from app.web.presenters.results import names

    return names(tuple(items))


def _areas(shapes, frame, names: Mapping[int, Shown]) -> tuple[DrawnArea, ...]:
    return tuple(
        DrawnArea(a.path, names[a.neighbourhood_id], a.label_x, a.label_y)
        for a in places.drawn_areas(shapes, frame)
    )


def _where(proposal: Proposal, addresses: Mapping[str, str]) -> str:
    address = addresses.get(proposal.address_uprn or "")
    return address or proposal.location or ""


def proposals_map(
    council: Council,
    funding_round: FundingRound,
    proposals: Sequence[Proposal],
    *,
    session,
    outcome: Mapping[int, str] | None = None,
    map_id: str = "proposals-map",
) -> tuple[MapView | None, list[PlaceRow], int]:
    """The map of a round's ``proposals`` (those to show: the page has already left out what
    it hides) over the council's neighbourhoods; the list of the proposals it draws, in the
    same order as the page's lists (by pot, then title); and how many of ``proposals`` have
    no point. ``outcome`` (proposal id -> ``FUNDED``, ``NOT_FUNDED`` or ``WITHHELD``), once
    results are published, marks each. No map (None) when the council has no boundaries and
    no proposal has a point."""
    shapes = places.boundaries(session, council)
    pots = {p.id: p for p in funding_round.pots}
    hood_names = _names(council.neighbourhoods)
    shown = [p for p in proposals if not p.is_hidden]
    placed = [p for p in shown if p.latitude is not None]
    unplaced = len(shown) - len(placed)
    frame = places.frame_around(shapes, [(float(p.longitude), float(p.latitude)) for p in placed])
    if frame is None:
        return None, [], unplaced
    addresses = places.addresses_by_uprn(session, council.id, [p.address_uprn for p in placed])
    placed.sort(key=lambda p: (pots[p.pot_id].position, p.pot_id, p.title, p.id))
    rows, markers = [], []
    # Words and links worked out once, not once a proposal (a round can have hundreds).
    results = {kind: str(words) for kind, words in RESULT_WORDS.items()}
    base = url_for("public.funding_round", slug=council.slug, round_slug=funding_round.slug)
    for p in placed:
        kind = (outcome or {}).get(p.id, PROPOSAL if outcome is None else WITHHELD)
        hood_id = p.neighbourhood_id or pots[p.pot_id].neighbourhood_id
        title = in_page_language(p, "title")
        # As url_for("public.proposal", ...) would write it.
        href = f"{base}/proposals/{p.id}"
        row = PlaceRow(
            proposal=p,
            title=title,
            href=href,
            neighbourhood=hood_names.get(hood_id) if hood_id else None,
            where=_where(p, addresses),
            cost_pence=p.cost_pence,
            kind=kind,
            cost=formatting.money(p.cost_pence),
            result=results.get(kind),
        )
        rows.append(row)
        x, y = frame.to_xy(p.longitude, p.latitude)
        markers.append(Marker(round(x, 1), round(y, 1), kind, _marker_title(row), href))
    markers.sort(key=lambda m: ORDER[m.kind])
    areas = _areas(shapes, frame, hood_names)
    view = MapView(
        id=map_id,
        width=frame.width,
        height=frame.height,
        areas=areas,
        markers=tuple(markers),
        title=_(
            "Map of the proposals in %(round)s", round=in_page_language(funding_round, "title")
        ),
        description=_description(areas, len(rows)),
        legend=_legend({m.kind for m in markers}),
    )
    return view, rows, unplaced


def _marker_title(row: PlaceRow) -> str:
    parts = [row.title.text]
    if row.neighbourhood is not None:
        parts.append(row.neighbourhood.text)
    parts.append(row.cost)
    if row.result:
        parts.append(row.result)
    return " – ".join(parts)


def _description(areas: Sequence[DrawnArea], count: int) -> str:
    said = []
    if areas:
        said.append(
            ngettext(
                "The neighbourhood drawn is %(names)s.",
                "The neighbourhoods drawn are %(names)s.",
                len(areas),
                names=_listing([a.name.text for a in areas]),
            )
        )
    said.append(
        ngettext(
            "%(num)s proposal is marked. The same information is in the table below the map.",
            "%(num)s proposals are marked. The same information is in the table below the map.",
            count,
        )
    )
    return " ".join(said)


def _legend(kinds: set[str]) -> tuple[tuple[str, str], ...]:
    return tuple((k, str(LEGEND[k])) for k in sorted(kinds, key=lambda k: ORDER[k]))


# --- The map to click on when placing a proposal --------------------------------------------


@dataclass(frozen=True)
class Picker:
    """The council's map as the image of an ``<input type="image">``: its source (an SVG as
    a data URL, drawn at exactly ``width`` by ``height`` pixels, so a click's pixels are the
    drawing's), the frame a click is read with (``key``) and its text alternative."""

    src: str
    width: int
    height: int
    key: str
    alt: str


def picker(council: Council, proposal: Proposal, *, session) -> Picker | None:
    """The council's neighbourhoods drawn for clicking on, with the proposal's point when it
    has one; None when the council has no boundaries (there is nothing to click on)."""
    shapes = places.boundaries(session, council)
    frame = places.council_frame(shapes)
    if frame is None:
        return None
    areas = _areas(shapes, frame, _names(council.neighbourhoods))
    markers = ()
    if proposal.latitude is not None:
        x, y = frame.to_xy(proposal.longitude, proposal.latitude)
        title = in_page_language(proposal, "title").text
        markers = (Marker(round(x, 1), round(y, 1), HERE, title, None),)
    view = MapView(
        id="place-map",
        width=frame.width,
        height=frame.height,
        areas=areas,
        markers=markers,
        title=_("Map of %(council)s's neighbourhoods", council=in_page_language(council, "name")),
        description=_description(areas, len(markers)),
        legend=_legend({m.kind for m in markers}),
    )
    svg = render_template("components/map_image.svg", map=view).strip()
    src = "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
    alt = _(
        "Map of %(council)s's neighbourhoods (%(names)s). Click where the project would be.",
        council=in_page_language(council, "name"),
        names=_listing([a.name.text for a in areas]),
    )
    return Picker(src=src, width=frame.width, height=frame.height, key=frame.key, alt=alt)


def round_map(council: Council, funding_round: FundingRound, *, session, pot_id=None) -> dict:
    """What a round's page (or one pot's, with ``pot_id``) needs for its map: ``map`` (None:
    no map), ``map_rows`` (the table beside it), ``map_unplaced`` (proposals with no point)
    and ``map_results`` (whether each row says funded or not)."""
    shown, outcome = places.mapped_proposals(session, funding_round, pot_id)
    view, rows, unplaced = proposals_map(
        council, funding_round, shown, session=session, outcome=outcome
    )
    return {
        "map": view,
        "map_rows": rows,
        "map_unplaced": unplaced,
        "map_results": outcome is not None,
    }


def place_words(proposal: Proposal, *, session) -> str:
    """Where a proposal is, in words: its address from the council's list and its
    neighbourhood, or that it is a point on the map, or that it is not placed."""
    council_id = proposal.round.council_id
    address = places.addresses_by_uprn(session, council_id, [proposal.address_uprn]).get(
        proposal.address_uprn or ""
    )
    hood = proposal.neighbourhood
    name = in_page_language(hood, "name").text if hood is not None else None
    if address and name:
        return _("%(address)s, in %(neighbourhood)s", address=address, neighbourhood=name)
    if address:
        return address
    if proposal.latitude is not None:
        if name:
            return _("A point on the map in %(neighbourhood)s", neighbourhood=name)
        return _("A point on the map")
    if name:
        return _("In %(neighbourhood)s", neighbourhood=name)
    return _("Not placed on the map")


def council_map(council: Council, *, session) -> MapView | None:
    """The council's neighbourhoods as uploaded (the boundaries page's preview), or None."""
    shapes = places.boundaries(session, council)
    frame = places.council_frame(shapes)
    if frame is None:
        return None
    areas = _areas(shapes, frame, _names(council.neighbourhoods))
    return MapView(
        id="boundaries-map",
        width=frame.width,
        height=frame.height,
        areas=areas,
        markers=(),
        title=_("Map of %(council)s's neighbourhoods", council=in_page_language(council, "name")),
        description=_areas_description(areas),
        legend=(),
    )


def _areas_description(areas: Sequence[DrawnArea]) -> str:
    return ngettext(
        "The neighbourhood drawn is %(names)s.",
        "The neighbourhoods drawn are %(names)s.",
        len(areas),
        names=_listing([a.name.text for a in areas]),
    )
