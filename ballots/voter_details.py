"""The voter's neighbourhood and age band, kept with each ballot of a round that froze them.

A council may choose to give researchers each ballot's voter's neighbourhood and age band in
its open data (``councils.open_data_voter_details``). A round whose voting opens while the
choice is made freezes it in its manifest (``voter_details``: the age bands and the council's
neighbourhoods), and voters are told so on the ballot. The ballot box then stores, inside each
ballot's canonical content, ``"voter": {"age_band": ..., "neighbourhood": ...}``: the band
the voter's age falls in on the day the ballot is cast (from the roll entry's date of birth;
``"unknown"`` without one) and the slug of the roll entry's neighbourhood (``null`` for a
neighbourhood created after voting opened, which the manifest does not name). Being part of
the content, both are covered by the ballot's hash and so by the ballot log's chain. Nothing
finer is kept: no date of birth, no address, no name, no time.

An encrypted round never keeps them, even when the council chose them: details stored beside
an encrypted ballot would follow it into the shuffle's input, and anyone could match the
decrypted ballots of a small neighbourhood and age band back to their ciphertexts, undoing the
secrecy the encryption is for. The manifest builder leaves ``voter_details`` out of an
encrypted round's manifest, and :func:`voter_record` gives nothing for one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

# The age bands, youngest first: "A-B" is A to B years old inclusive, "A+" A or older. They
# follow the bands UK statistics commonly publish, split where participatory budgeting's age
# limits fall (11 and 16 for youth rounds, 18 for adults).
AGE_BANDS = ("0-10", "11-15", "16-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+")
UNKNOWN_AGE = "unknown"  # no date of birth on the roll entry


def band_limits(label: str) -> tuple[int, int | None]:
    """``"18-24"`` is (18, 24), ``"65+"`` is (65, None). Raises ``ValueError`` otherwise."""
    if label.endswith("+"):
        return int(label[:-1]), None
    low, _, high = label.partition("-")
    return int(low), int(high)


def age_band(born: date | None, day: date, bands: Iterable[str] = AGE_BANDS) -> str:
    """The band someone born on ``born`` is in on ``day``; ``"unknown"`` when ``born`` is not
    known or no band holds the age."""
    if born is None:
        return UNKNOWN_AGE
    age = day.year - born.year - ((day.month, day.day) < (born.month, born.day))
    for label in bands:
        low, high = band_limits(label)
        if age >= low and (high is None or age <= high):
            return label
    return UNKNOWN_AGE


@dataclass(frozen=True, slots=True)
class VoterDetailsPaper:
    """What a round froze about voters' details: its age bands, and its council's
    neighbourhoods by id (their slugs are what a ballot records)."""

    age_bands: tuple[str, ...]
    neighbourhoods: tuple[tuple[int, str, str], ...]  # (id, slug, name)

    def slug(self, neighbourhood_id: int) -> str | None:
        for hood_id, slug, _ in self.neighbourhoods:
            if hood_id == neighbourhood_id:
                return slug
        return None

    def names(self) -> dict[str, str]:
        """Slug -> name, as frozen."""
        return {slug: name for _, slug, name in self.neighbourhoods}


def from_manifest(frozen: Mapping[str, Any] | None) -> VoterDetailsPaper | None:
    """The manifest's ``voter_details``, or None for a round that did not freeze them."""
    if not frozen:
        return None
    return VoterDetailsPaper(
        age_bands=tuple(frozen["age_bands"]),
        neighbourhoods=tuple(
            (int(h["id"]), str(h["slug"]), str(h["name"])) for h in frozen["neighbourhoods"]
        ),
    )


def manifest_entry(neighbourhoods: Iterable[tuple[int, str, str]]) -> dict[str, Any]:
    """What a manifest freezes (``voter_details``): the age bands and the neighbourhoods
    ``(id, slug, name)``, by id."""
    return {
        "age_bands": list(AGE_BANDS),
        "neighbourhoods": [
            {"id": hood_id, "name": name, "slug": slug}
            for hood_id, slug, name in sorted(neighbourhoods)
        ],
    }


def voter_record(
    details: VoterDetailsPaper | None,
    neighbourhood_id: int,
    born: date | None,
    day: date,
    *,
    encrypted: bool = False,
) -> dict[str, str | None] | None:
    """What a ballot records about its voter (None when the round keeps nothing, and always
    for an encrypted round): the roll entry's neighbourhood's slug and the age band on
    ``day``."""
    if details is None or encrypted:
        return None
    return {
        "age_band": age_band(born, day, details.age_bands),
        "neighbourhood": details.slug(neighbourhood_id),
    }
