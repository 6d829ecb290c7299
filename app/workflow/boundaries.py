"""A council's neighbourhood boundaries from a GeoJSON file (docs/maps.md).

The file is a FeatureCollection with one feature per neighbourhood: its geometry a Polygon or
MultiPolygon in longitude and latitude (WGS 84, as GeoJSON requires), its properties naming
the neighbourhood, by name or slug, in the property the officer names or else in one of the
usual ones (``name``, ``neighbourhood``, ``ward``, ``ward_name``, ``slug``, or an ONS code's
name such as ``WD24NM`` or its Welsh ``WD24NMW``), any case.

Everything is checked before anything is stored; on any problem ``BoundariesInvalid`` lists
each, by feature (numbered from 1 in the file's order; 0 for the file as a whole), and nothing
changes. Each neighbourhood a file names gets its boundary, replacing the one it had; the
others keep theirs. A boundary is stored simplified to at most ``STORED_POINTS`` points (the
pages draw fewer still), as canonical JSON with 6 decimal places (about 0.1 m).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

import shapely
from shapely.validation import explain_validity
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.workflow import audit
from app.workflow.errors import DomainError
from app.workflow.models import Council, Neighbourhood, User
from app.workflow.places import point_count
from ballots.refusals import N_, Nn_, Number, Text

# Under the app's limit for a whole request (5 MB): a council's generalised ward boundaries
# (the ONS's "BGC" files) are a few hundred KB; full-resolution ones should be simplified.
MAX_BYTES = 4 * 1024 * 1024
MAX_FEATURES = 500
STORED_POINTS = 2000
# The properties that may name a neighbourhood, when the officer names none (lower case).
NAME_PROPERTIES = ("name", "neighbourhood", "neighborhood", "ward", "ward_name", "wardname", "slug")
# An ONS Open Geography name column: WD24NM (ward), WD24NMW (its Welsh name), PAR23NM, ...
ONS_NAME = re.compile(r"^[a-z]{2,5}\d{2}nmw?$")


class BoundariesInvalid(DomainError):
    """A boundaries file with problems: ``problems`` are (feature number, message), 0 for the
    file as a whole; nothing is stored."""

    def __init__(self, problems: list[tuple[int, Text]], field: str | None = "boundaries"):
        super().__init__(
            Nn_(
                "%(num)s problem in the boundaries file",
                "%(num)s problems in the boundaries file",
                len(problems),
            ),
            field,
        )
        self.problems = problems


def _spelling(text: str) -> str:
    return " ".join(text.split()).casefold()


def spellings(session: Session, council: Council) -> dict[str, Neighbourhood]:
    """Each way a file may name one of the council's neighbourhoods: its name and slug, and
    its name in each language it is written in, without regard to case or spacing."""
    out: dict[str, Neighbourhood] = {}
    hoods = session.scalars(select(Neighbourhood).where(Neighbourhood.council_id == council.id))
    for hood in hoods:
        names = [hood.name, hood.slug]
        names += [t.get("name") for t in (hood.translations or {}).values() if t.get("name")]
        for name in names:
            out.setdefault(_spelling(name), hood)
    return out


def _named_by(properties: Mapping[str, Any], chosen: str | None) -> list[tuple[str, str]]:
    """The (property, value) pairs that may name the neighbourhood."""
    if chosen:
        wanted = chosen.strip().casefold()
        return [
            (k, str(v))
            for k, v in properties.items()
            if k.casefold() == wanted and isinstance(v, str | int)
        ]
    return [
        (k, v)
        for k, v in properties.items()
        if isinstance(v, str) and (k.casefold() in NAME_PROPERTIES or ONS_NAME.match(k.casefold()))
    ]


def _position_problem(position: Any) -> Text | None:
    if not isinstance(position, list) or len(position) < 2:
        return Text(N_("has a position that is not a pair of numbers"))
    lon, lat = position[0], position[1]
    for v in (lon, lat):
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            return Text(N_("has a position that is not a pair of numbers"))
    if abs(lon) > 180 or abs(lat) > 90:
        return Text(
            N_(
                "has coordinates such as %(position)s, which are not longitude and latitude: "
                "they look like metres in a projected grid such as British National Grid. "
                "Export the file in WGS 84 (EPSG:4326)"
            ),
            position=f"[{lon}, {lat}]",
        )
    if 49 <= lon <= 61 and -9 <= lat <= 2:
        return Text(
            N_(
                "has a position %(position)s that looks like latitude then longitude: GeoJSON "
                "gives longitude first"
            ),
            position=f"[{lon}, {lat}]",
        )
    return None


def _ring_problems(ring: Any) -> list[Text]:
    if not isinstance(ring, list):
        return [Text(N_("has a ring that is not a list of positions"))]
    for position in ring:
        problem = _position_problem(position)
        if problem is not None:
            return [problem]
    if len(ring) < 4:
        return [Text(N_("has a ring of fewer than 4 positions"))]
    if ring[0][:2] != ring[-1][:2]:
        return [Text(N_("has a ring that is not closed: its last position must be its first"))]
    return []


def _polygon_problems(rings: Any) -> list[Text]:
    if not isinstance(rings, list) or not rings:
        return [Text(N_("has a polygon with no rings"))]
    problems: list[Text] = []
    for ring in rings:
        problems += _ring_problems(ring)
        if problems:
            break
    return problems


def _geometry(geometry: Any) -> tuple[Any, list[Text]]:
    """The feature's shapely geometry, or its problems."""
    if not isinstance(geometry, dict):
        return None, [Text(N_("has no geometry"))]
    kind = geometry.get("type")
    coordinates = geometry.get("coordinates")
    if kind == "Polygon":
        problems = _polygon_problems(coordinates)
    elif kind == "MultiPolygon":
        if not isinstance(coordinates, list) or not coordinates:
            problems = [Text(N_("has a MultiPolygon with no polygons"))]
        else:
            problems = []
            for polygon in coordinates:
                problems += _polygon_problems(polygon)
                if problems:
                    break
    else:
        return None, [
            Text(
                N_("is a %(type)s: each neighbourhood must be a Polygon or a MultiPolygon"),
                type=str(kind) if isinstance(kind, str) else "?",
            )
        ]
    if problems:
        return None, problems
    shape = shapely.geometry.shape({"type": kind, "coordinates": coordinates})
    if not shape.is_valid:
        return None, [
            Text(
                N_(
                    "is not a valid shape (%(reason)s): its edges must not cross each other. "
                    "GIS software can repair it (in QGIS, Fix geometries)"
                ),
                reason=explain_validity(shape),
            )
        ]
    if shape.area <= 0:
        return None, [Text(N_("has no area"))]
    return shape, []


def _simplified(shape):
    """The shape with at most ``STORED_POINTS`` points, kept valid."""
    tolerance, out = 0.000005, shape
    while point_count(out) > STORED_POINTS and tolerance < 1:
        out = shape.simplify(tolerance, preserve_topology=True)
        tolerance *= 2
    return out


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, list | tuple):
        return [_rounded(v) for v in value]
    return value


def canonical(shape) -> str:
    """A geometry as stored: GeoJSON, keys sorted, no spaces, 6 decimal places."""
    mapping = shapely.geometry.mapping(shape)
    document = {"type": mapping["type"], "coordinates": _rounded(mapping["coordinates"])}
    return json.dumps(document, sort_keys=True, separators=(",", ":"))


def read(
    text: str, hoods: Mapping[str, Neighbourhood], *, name_property: str | None = None
) -> dict[int, str]:
    """The boundaries in a GeoJSON file, as they will be stored: neighbourhood id -> canonical
    GeoJSON. ``hoods`` maps each spelling (``spellings``) to its neighbourhood. Raises
    ``BoundariesInvalid`` with every problem, by feature."""
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise BoundariesInvalid(
            [
                (
                    0,
                    Text(
                        N_(
                            "The file is larger than %(most)s MB. Use generalised boundaries "
                            "(such as the ONS's BGC files), or simplify them first"
                        ),
                        most=Number(round(MAX_BYTES / (1024 * 1024), 1)),
                    ),
                )
            ]
        )
    try:
        document = json.loads(text)
    except ValueError as error:
        line = getattr(error, "lineno", None)
        raise BoundariesInvalid(
            [(0, Text(N_("The file is not JSON (line %(line)s could not be read)"), line=line))]
        ) from None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise BoundariesInvalid(
            [
                (
                    0,
                    Text(
                        N_(
                            "The file is not a GeoJSON FeatureCollection: it must have "
                            '"type": "FeatureCollection" and a list of "features"'
                        )
                    ),
                )
            ]
        )
    crs = json.dumps(document.get("crs") or {})
    if "27700" in crs:
        raise BoundariesInvalid(
            [
                (
                    0,
                    Text(
                        N_(
                            "The file is in British National Grid (EPSG:27700). Export it in "
                            "WGS 84 (EPSG:4326), longitude and latitude"
                        )
                    ),
                )
            ]
        )
    features = document.get("features")
    if not isinstance(features, list) or not features:
        raise BoundariesInvalid([(0, Text(N_("The file has no features")))])
    if len(features) > MAX_FEATURES:
        raise BoundariesInvalid(
            [
                (
                    0,
                    Text(
                        N_("The file has %(count)s features; it can have at most %(most)s"),
                        count=len(features),
                        most=MAX_FEATURES,
                    ),
                )
            ]
        )
    problems: list[tuple[int, Text]] = []
    found: dict[int, str] = {}
    feature_of: dict[int, int] = {}
    for number, feature in enumerate(features, start=1):
        wrong: list[Text] = []
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            problems.append((number, Text(N_("is not a GeoJSON Feature"))))
            continue
        properties = feature.get("properties")
        named = _named_by(properties if isinstance(properties, dict) else {}, name_property)
        matched = {
            hoods[_spelling(v)].id: hoods[_spelling(v)] for _, v in named if _spelling(v) in hoods
        }
        hood = None
        if not named:
            wrong.append(
                Text(
                    N_("has no property naming its neighbourhood (%(properties)s)"),
                    properties=name_property or "name, ward, WD24NM…",
                )
            )
        elif not matched:
            wrong.append(
                Text(
                    N_("names %(names)s, which is not one of the council's neighbourhoods"),
                    names=", ".join(repr(v) for _, v in named),
                )
            )
        elif len(matched) > 1:
            wrong.append(
                Text(
                    N_("names more than one neighbourhood: %(names)s"),
                    names=", ".join(sorted(h.name for h in matched.values())),
                )
            )
        else:
            (hood,) = matched.values()
            if hood.id in feature_of:
                wrong.append(
                    Text(
                        N_("is a second boundary for %(neighbourhood)s (feature %(first)s is one)"),
                        neighbourhood=hood.name,
                        first=feature_of[hood.id],
                    )
                )
                hood = None
            else:
                feature_of[hood.id] = number
        shape, shape_problems = _geometry(feature.get("geometry"))
        wrong += shape_problems
        problems.extend((number, w) for w in wrong)
        if not wrong and hood is not None:
            found[hood.id] = canonical(_simplified(shape))
    if problems:
        raise BoundariesInvalid(problems)
    return found


def import_boundaries(
    session: Session,
    council: Council,
    *,
    actor: User,
    text: str,
    name_property: str | None = None,
) -> int:
    """Store the boundaries in a GeoJSON file for the council's neighbourhoods it names
    (``read``), audited (``boundaries.uploaded``: how many neighbourhoods, how many had one
    before, how many points stored; never the shapes). Returns how many were stored. Refused
    with ``BoundariesInvalid``: nothing changes."""
    hoods = spellings(session, council)
    found = read(text, hoods, name_property=name_property)
    by_id = {h.id: h for h in hoods.values()}
    replaced = 0
    points = 0
    for hood_id, boundary in found.items():
        hood = by_id[hood_id]
        replaced += hood.boundary is not None
        hood.boundary = boundary
        points += point_count(shapely.from_geojson(boundary))
    session.flush()
    audit.record(
        session,
        action="boundaries.uploaded",
        actor=actor,
        council=council,
        after={"neighbourhoods": len(found), "replaced": replaced, "points": points},
    )
    return len(found)
