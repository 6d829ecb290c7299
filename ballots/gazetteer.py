"""The council's address list (gazetteer): importing it from a CSV in the shape of a local
land and property gazetteer (LLPG) extract, and the addresses at a postcode, for residents
registering at their address.

The file's header names its columns, in any order and any case:

- ``UPRN``: the unique property reference number, digits only, at most 12 (leading zeros
  are dropped: ``000100023336956`` is ``100023336956``);
- ``POSTCODE`` or ``POSTCODE_LOCATOR``: a real UK postcode;
- ``NEIGHBOURHOOD`` or ``WARD``: one of the council's neighbourhoods, by name or slug;
- the address: either ``ADDRESS``, written whole, or its parts as an LLPG extract gives them:
  ``SAO_START_NUMBER``, ``SAO_START_SUFFIX``, ``SAO_TEXT`` (a flat), ``PAO_START_NUMBER``,
  ``PAO_START_SUFFIX``, ``PAO_END_NUMBER``, ``PAO_END_SUFFIX``, ``PAO_TEXT`` (a building),
  ``STREET_DESCRIPTION``, ``LOCALITY``, ``TOWN_NAME``, joined as an address is written
  ("Flat 2, Rose Court, 12A-14 High Street, Kennington, London"). ``ADDRESS`` wins when both
  are there;
- where it is, optionally: ``LATITUDE`` and ``LONGITUDE`` (WGS 84 degrees), or ``X_COORDINATE``
  and ``Y_COORDINATE`` (or ``EASTING`` and ``NORTHING``), British National Grid metres as
  an LLPG extract gives them, turned into latitude and longitude with PROJ (``pyproj``;
  within a few metres, which is finer than a map on a page). Latitude and longitude win
  when both are there. A row gives both numbers or neither.

Other columns are ignored.

Every row is checked before anything is stored: on any problem, ``GazetteerInvalid`` lists
each by row (the header is row 1) and nothing changes. Importing again updates the addresses
whose UPRN is already in the list and adds the others; an address left out of a later file
stays (people may have registered at it).
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from ballots import contacts
from ballots.errors import GazetteerInvalid
from ballots.models import GazetteerAddress, postcode_key
from ballots.refusals import N_, Text

UPRN_DIGITS = 12
POSTCODE_COLUMNS = ("postcode", "postcode_locator")
NEIGHBOURHOOD_COLUMNS = ("neighbourhood", "ward")
# The parts of an address as an LLPG extract gives them.
PART_COLUMNS = (
    "sao_start_number",
    "sao_start_suffix",
    "sao_text",
    "pao_start_number",
    "pao_start_suffix",
    "pao_end_number",
    "pao_end_suffix",
    "pao_text",
    "street_description",
    "locality",
    "town_name",
)
LATITUDE_COLUMNS = ("latitude", "lat")
LONGITUDE_COLUMNS = ("longitude", "long", "lon", "lng")
EASTING_COLUMNS = ("x_coordinate", "easting")
NORTHING_COLUMNS = ("y_coordinate", "northing")
POINT_COLUMNS = (*LATITUDE_COLUMNS, *LONGITUDE_COLUMNS, *EASTING_COLUMNS, *NORTHING_COLUMNS)
KNOWN_COLUMNS = (
    "uprn",
    "address",
    *POSTCODE_COLUMNS,
    *NEIGHBOURHOOD_COLUMNS,
    *PART_COLUMNS,
    *POINT_COLUMNS,
)
# British National Grid's extent (metres): a larger number is not an easting or northing.
GRID_EXTENT = (700_000, 1_300_000)
PLACES = Decimal("0.000001")
HEADER_EXAMPLE = (
    "UPRN,SAO_TEXT,PAO_START_NUMBER,PAO_TEXT,STREET_DESCRIPTION,TOWN_NAME,POSTCODE,WARD"
)


class Imported(int):
    """How many addresses a file held (the number itself), and of them how many were
    ``added`` to the list, ``updated`` (already there by UPRN, with something changed) and
    ``unchanged``."""

    added: int
    updated: int

    def __new__(cls, added: int, updated: int, unchanged: int) -> Imported:
        self = super().__new__(cls, added + updated + unchanged)
        self.added = added
        self.updated = updated
        return self

    @property
    def unchanged(self) -> int:
        return int(self) - self.added - self.updated


def _number(start: str, start_suffix: str, end: str = "", end_suffix: str = "") -> str:
    """``12``, ``12A``, ``12-14``, ``12A-14B``: an LLPG number range as written."""
    first = f"{start}{start_suffix}"
    last = f"{end}{end_suffix}"
    return f"{first}-{last}" if first and last else first or last


def joined_address(cell: Mapping[str, str]) -> str:
    """An address from an LLPG extract's parts (``cell``: column -> text, blank when absent):
    the flat, the building, the number with the street, the locality and the town, the
    present ones joined by commas."""
    sao = " ".join(
        p
        for p in (
            cell.get("sao_text", ""),
            _number(cell.get("sao_start_number", ""), cell.get("sao_start_suffix", "")),
        )
        if p
    )
    number = _number(
        cell.get("pao_start_number", ""),
        cell.get("pao_start_suffix", ""),
        cell.get("pao_end_number", ""),
        cell.get("pao_end_suffix", ""),
    )
    street = " ".join(p for p in (number, cell.get("street_description", "")) if p)
    parts = (
        sao,
        cell.get("pao_text", ""),
        street,
        cell.get("locality", ""),
        cell.get("town_name", ""),
    )
    return ", ".join(p for p in parts if p)


def _header(row: list[str]) -> tuple[dict[str, int], list[tuple[int, Text]]]:
    """Each known column's place in the header, and what is wrong with the header."""
    names = [h.strip().lower() for h in row]
    twice = sorted({n for n in names if n in KNOWN_COLUMNS and names.count(n) > 1})
    if twice:
        return {}, [
            (1, Text(N_("The header names %(columns)s more than once"), columns=", ".join(twice)))
        ]
    column = {name: i for i, name in enumerate(names) if name in KNOWN_COLUMNS}
    missing = []
    if "uprn" not in column:
        missing.append("UPRN")
    if not any(c in column for c in POSTCODE_COLUMNS):
        missing.append("POSTCODE")
    if not any(c in column for c in NEIGHBOURHOOD_COLUMNS):
        missing.append("NEIGHBOURHOOD")
    if "address" not in column and not any(c in column for c in PART_COLUMNS):
        missing.append("ADDRESS")
    halves = [
        ("LATITUDE", "LONGITUDE", LATITUDE_COLUMNS, LONGITUDE_COLUMNS),
        ("X_COORDINATE", "Y_COORDINATE", EASTING_COLUMNS, NORTHING_COLUMNS),
    ]
    for first, second, one, other in halves:
        has_one = any(c in column for c in one)
        has_other = any(c in column for c in other)
        if has_one != has_other:
            return {}, [
                (
                    1,
                    Text(
                        N_("The header has %(given)s without %(missing)s: give both or neither"),
                        given=first if has_one else second,
                        missing=second if has_one else first,
                    ),
                )
            ]
    if missing:
        return {}, [
            (
                1,
                Text(
                    N_(
                        "The first row must be the header, with the columns UPRN, POSTCODE (or "
                        "POSTCODE_LOCATOR), NEIGHBOURHOOD (or WARD) and ADDRESS (or the "
                        "address's parts, such as PAO_START_NUMBER and STREET_DESCRIPTION); it "
                        "has no %(columns)s"
                    ),
                    columns=", ".join(missing),
                ),
            )
        ]
    return column, []


def _uprn(text: str) -> tuple[str | None, Text | None]:
    if not text:
        return None, Text(N_("has no UPRN"))
    if not text.isascii() or not text.isdigit():
        return None, Text(N_("UPRN %(uprn)s is not digits only"), uprn=repr(text))
    kept = text.lstrip("0")
    if not kept:
        return None, Text(N_("UPRN %(uprn)s is not a property's number"), uprn=repr(text))
    if len(kept) > UPRN_DIGITS:
        return None, Text(
            N_("UPRN %(uprn)s is longer than %(most)s digits"), uprn=repr(text), most=UPRN_DIGITS
        )
    return kept, None


def _first(row: list[str], column: Mapping[str, int], names: tuple[str, ...]) -> str:
    for name in names:
        if name in column:
            return row[column[name]]
    return ""


@lru_cache(maxsize=1)
def _from_grid():
    # Imported when first needed: most address lists give no coordinates.
    from pyproj import Transformer

    return Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)


def grid_to_degrees(easting: float, northing: float) -> tuple[float, float]:
    """(longitude, latitude) in WGS 84 of a British National Grid point (metres)."""
    return _from_grid().transform(easting, northing)


def _degrees(value: float) -> Decimal:
    return Decimal(str(value)).quantize(PLACES, rounding=ROUND_HALF_EVEN)


def _decimal(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _point(
    row: list[str], column: Mapping[str, int]
) -> tuple[tuple[Decimal, Decimal] | None, Text | None]:
    """The row's (latitude, longitude), None when it gives none, or what is wrong."""
    lat_text = _first(row, column, LATITUDE_COLUMNS)
    lon_text = _first(row, column, LONGITUDE_COLUMNS)
    if lat_text or lon_text:
        if not (lat_text and lon_text):
            return None, Text(N_("gives a latitude or a longitude without the other"))
        lat, lon = _decimal(lat_text), _decimal(lon_text)
        if lat is None or lon is None:
            return None, Text(
                N_("latitude %(latitude)s or longitude %(longitude)s is not a number"),
                latitude=repr(lat_text),
                longitude=repr(lon_text),
            )
        if abs(lat) > 90 or abs(lon) > 180:
            return None, Text(
                N_(
                    "latitude %(latitude)s and longitude %(longitude)s are not on the earth "
                    "(British National Grid metres go in X_COORDINATE and Y_COORDINATE)"
                ),
                latitude=lat_text,
                longitude=lon_text,
            )
        return (_degrees(lat), _degrees(lon)), None
    x_text = _first(row, column, EASTING_COLUMNS)
    y_text = _first(row, column, NORTHING_COLUMNS)
    if not (x_text or y_text):
        return None, None
    if not (x_text and y_text):
        return None, Text(N_("gives an X or a Y coordinate without the other"))
    x, y = _decimal(x_text), _decimal(y_text)
    if x is None or y is None:
        return None, Text(
            N_("X coordinate %(x)s or Y coordinate %(y)s is not a number"),
            x=repr(x_text),
            y=repr(y_text),
        )
    if not (0 <= x <= GRID_EXTENT[0] and 0 <= y <= GRID_EXTENT[1]):
        return None, Text(
            N_(
                "X coordinate %(x)s and Y coordinate %(y)s are not in British National Grid "
                "(eastings up to 700000 and northings up to 1300000 metres)"
            ),
            x=x_text,
            y=y_text,
        )
    lon, lat = grid_to_degrees(x, y)
    return (_degrees(lat), _degrees(lon)), None


def _read(
    rows: list[list[str]],
    width: int,
    column: Mapping[str, int],
    neighbourhoods: Mapping[str, int],
) -> tuple[dict[str, dict], list[tuple[int, Text]]]:
    """The file's addresses by UPRN, as they will be stored, and each row's problems
    (``width``: the header's number of columns)."""
    problems: list[tuple[int, Text]] = []
    found: dict[str, dict] = {}
    rows_of: dict[str, int] = {}
    for number, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > width:
            # An address with a comma that was not quoted: its parts would land in the
            # wrong columns.
            problems.append(
                (
                    number,
                    Text(
                        N_("has %(columns)s columns; the header has %(header)s"),
                        columns=len(row),
                        header=width,
                    ),
                )
            )
            continue
        row = [" ".join(cell.split()) for cell in row] + [""] * (width - len(row))
        wrong: list[Text] = []
        uprn, problem = _uprn(row[column["uprn"]])
        if problem is not None:
            wrong.append(problem)
        elif uprn in rows_of:
            wrong.append(
                Text(N_("repeats UPRN %(uprn)s from row %(row)s"), uprn=uprn, row=rows_of[uprn])
            )
        else:
            rows_of[uprn] = number
        if "address" in column and row[column["address"]]:
            address = row[column["address"]].rstrip(" ,")
        else:
            address = joined_address({name: row[i] for name, i in column.items()})
        if not address:
            wrong.append(Text(N_("has no address")))
        code_text = _first(row, column, POSTCODE_COLUMNS)
        printed = contacts.postcode(code_text) if code_text else None
        if not code_text:
            wrong.append(Text(N_("has no postcode")))
        elif printed is None:
            wrong.append(
                Text(
                    N_("postcode %(postcode)s is not a real UK postcode"), postcode=repr(code_text)
                )
            )
        hood_text = _first(row, column, NEIGHBOURHOOD_COLUMNS)
        hood_id = neighbourhoods.get(hood_text.lower())
        if hood_id is None:
            wrong.append(
                Text(
                    N_("neighbourhood %(neighbourhood)s is not one of the council's"),
                    neighbourhood=repr(hood_text),
                )
            )
        point, problem = _point(row, column)
        if problem is not None:
            wrong.append(problem)
        problems.extend((number, w) for w in wrong)
        if not wrong:
            found[uprn] = {
                "uprn": uprn,
                "address": address,
                "postcode": printed,
                "postcode_key": postcode_key(printed),
                "neighbourhood_id": hood_id,
                "latitude": point[0] if point else None,
                "longitude": point[1] if point else None,
            }
    if not found and not problems:
        problems.append((2, Text(N_("The address list has no addresses in it"))))
    return found, problems


def import_gazetteer(
    session: Session, *, council_id: int, text: str, neighbourhoods: Mapping[str, int]
) -> Imported:
    """Add the addresses in a CSV gazetteer extract to the council's address list, and update
    those already in it (by UPRN). ``neighbourhoods`` maps each accepted spelling (lower-cased
    name or slug) to its id, as for a roll.

    Every row is checked; if any is wrong, ``GazetteerInvalid`` lists each problem by row
    number (the header is row 1) and nothing is stored. Returns how many addresses the file
    held, with how many were added and updated (``Imported``)."""
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    if not rows:
        rows = [[]]
    column, problems = _header(rows[0])
    if problems:
        raise GazetteerInvalid(problems)
    found, problems = _read(rows[1:], len(rows[0]), column, neighbourhoods)
    if problems:
        raise GazetteerInvalid(problems)
    existing = {
        row.uprn: row
        for row in session.execute(
            select(
                GazetteerAddress.id,
                GazetteerAddress.uprn,
                GazetteerAddress.address,
                GazetteerAddress.postcode,
                GazetteerAddress.neighbourhood_id,
                GazetteerAddress.latitude,
                GazetteerAddress.longitude,
            ).where(GazetteerAddress.council_id == council_id)
        )
    }
    compared = ("address", "postcode", "neighbourhood_id", "latitude", "longitude")
    new, changed, same = [], [], 0
    for uprn, values in found.items():
        old = existing.get(uprn)
        if old is None:
            new.append({"council_id": council_id, **values})
        elif tuple(_same(getattr(old, k)) for k in compared) != tuple(
            _same(values[k]) for k in compared
        ):
            changed.append({"id": old.id, **values})
        else:
            same += 1
    # Executed many at a time: a borough's list is tens of thousands of rows.
    if new:
        session.execute(insert(GazetteerAddress), new)
    if changed:
        session.execute(update(GazetteerAddress), changed)
    session.flush()
    return Imported(len(new), len(changed), same)


def _same(value):
    """A stored value as compared with the file's (SQLite gives back a coordinate as a float
    rounded to its 6 places, PostgreSQL as a Decimal)."""
    if isinstance(value, float | Decimal):
        return _degrees(float(value))
    return value


_CHUNKS = re.compile(r"(\d+)")


def natural_key(address: str) -> tuple:
    """An address as addresses are listed: numbers as numbers ("2 High Street" before "10
    High Street", "Flat 9" before "Flat 10"), then the words, without regard to case."""
    return tuple(
        (0, int(chunk), "") if chunk.isdigit() else (1, 0, chunk.casefold())
        for chunk in _CHUNKS.split(address)
        if chunk
    )


def addresses_at(session: Session, council_id: int, postcode: str) -> list[GazetteerAddress]:
    """The council's addresses at ``postcode`` (matched without regard to spaces or case),
    in natural order (by number, then text)."""
    key = postcode_key(postcode)
    if not key:
        return []
    found = session.scalars(
        select(GazetteerAddress).where(
            GazetteerAddress.council_id == council_id, GazetteerAddress.postcode_key == key
        )
    ).all()
    return sorted(found, key=lambda a: (natural_key(a.address), a.uprn))
