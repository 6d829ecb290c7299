"""Open data: every published pot as pabulib ``.pb``, CSV and JSON, and the network's
published pots as one ZIP (docs/open-data.md).

What a download holds comes from what is stored once and never changed: the pot's result as
counted (``pot_results``: names, costs, votes, points, funded, explanations) and its counted
ballots (``ballots.box.stored_election``: in an encrypted round, the trustees' decryption of
the last mix). Only descriptions that officers may still correct come from the live tables: a
project's category, its point on the map and its neighbourhood, the council's and the round's
names.

- Nothing about a round exists here before its results are published (``PUBLISHED``): an
  unpublished round's pot is "not found", as a pot that does not exist.
- A pot withheld for too few ballots (``PotResult.withheld``) gives its ballot count and
  nothing else: no ballots, no per-project figures, no ``.pb`` and no CSV.
- A round that froze voters' details (``ballots.voter_details``) gives each ballot's voter's
  neighbourhood and age band, except where a group of ballots sharing them is smaller than
  the round's minimum for publishing (:func:`suppress`); other rounds give no voter columns.
- Ballots are listed in an order that says nothing about who cast them or when (sorted by
  what they say), numbered from 1, without the ballot box's ids: a receipt cannot be followed
  to a row of open data.

Building a large network's files from nothing takes tens of seconds (bench/open_data.py), so
built files are kept, each under a fingerprint of everything it is made from
(:func:`pot_fingerprint`, :func:`network_fingerprint`), in this process and, given a
:class:`Store`, in a folder every worker shares: a file is rebuilt only when something it
shows has changed. The database alone decides what is published; a kept file only saves
building the same bytes again.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import os
import tempfile
import threading
import zipfile
from collections import Counter, OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from app.workflow import audit
from app.workflow.clock import london_date
from app.workflow.exports import zip_with_sums
from app.workflow.languages import own_language
from app.workflow.models import (
    Council,
    FundingRound,
    Neighbourhood,
    Phase,
    Pot,
    PotResult,
    Proposal,
    User,
)
from app.workflow.results import PUBLISHED, publishing_minimum
from ballots import box
from ballots.paper import BallotPaper, ballot_paper
from ballots.voter_details import UNKNOWN_AGE
from votes import csv_cells
from votes.canonical import canonical_json
from votes.model import Ballot, BallotKind, Election, Project
from votes.pabulib import dumps

_log = logging.getLogger(__name__)

# The version of these files' layout: part of every fingerprint, so a new layout is rebuilt.
FORMAT = "devolve-open-data/1"
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
# How pabulib names Devolve's rules (META ``rule``); others keep Devolve's name.
PABULIB_RULES = {
    "greedy": "greedy",
    "mes": "equalshares",
    "mes-add1": "equalshares/add1",
    "mes-greedy": "equalshares/greedy",
    "phragmen": "phragmen",
}
# A neighbourhood the round's manifest does not name (created after voting opened).
UNKNOWN_NEIGHBOURHOOD = "unknown"
LICENCE = (
    "Published by the council named in each file, under the council's own terms for its "
    "open data: the council decides the licence; ask it before reusing the data if its "
    "website does not say."
)
CSV_TYPE = "text/csv; charset=utf-8"
PB_TYPE = "text/plain; charset=utf-8"
JSON_TYPE = "application/json"
ZIP_TYPE = "application/zip"


# --- Which pots are published ------------------------------------------------------------


@dataclass(frozen=True)
class PublishedPot:
    """A pot of a published round, with its stored result."""

    council: Council
    funding_round: FundingRound
    result: PotResult

    @property
    def pot_id(self) -> int:
        return self.result.pot_id

    @property
    def withheld(self) -> bool:
        return self.result.withheld


def published_pot(
    session: Session, council: Council, round_slug: str, pot_id: int
) -> PublishedPot | None:
    """The council's round's pot if its results are published; None for anything else (an
    unknown council, round or pot, another council's pot, a round not yet published)."""
    row = session.execute(
        select(FundingRound, PotResult)
        .join(PotResult, PotResult.round_id == FundingRound.id)
        .where(
            FundingRound.council_id == council.id,
            FundingRound.slug == round_slug,
            FundingRound.phase.in_(PUBLISHED),
            PotResult.pot_id == pot_id,
        )
    ).one_or_none()
    if row is None:
        return None
    return PublishedPot(council, row[0], row[1])


def published_pots(session: Session, *, network_only: bool = True) -> list[PublishedPot]:
    """Every published pot, by council (slug), round (oldest first) and pot order: of the
    councils in the network view only (``Council.in_network``) unless ``network_only`` is
    false."""
    query = (
        select(PotResult, FundingRound, Council, Pot)
        .join(FundingRound, FundingRound.id == PotResult.round_id)
        .join(Council, Council.id == FundingRound.council_id)
        .join(Pot, Pot.id == PotResult.pot_id)
        .where(FundingRound.phase.in_(PUBLISHED))
        .order_by(Council.slug, FundingRound.id, Pot.position, Pot.id)
        .options(selectinload(FundingRound.phase_dates))
    )
    if network_only:
        query = query.where(Council.in_network.is_(True))
    return [PublishedPot(c, r, result) for result, r, c, _ in session.execute(query)]


# --- Voters' details ----------------------------------------------------------------------


Cell = tuple[str | None, str | None]  # (neighbourhood, age band); None: suppressed


def suppress(cells: Sequence[tuple[str, str]], least: int) -> list[Cell]:
    """Each ballot's (neighbourhood, age band) as it may be published: every combination
    given is shared by at least ``least`` ballots of the pot, so no small group's ballots
    can be picked out.

    1. A (neighbourhood, age band) shared by ``least`` ballots or more is given as it is.
    2. The others give their neighbourhood only (age band suppressed), where that leaves at
       least ``least`` ballots with the neighbourhood and no age band; the rest give neither.
    3. When 1 to ``least - 1`` ballots give neither, someone who knows a voter's small group
       could still find their ballot among so few: the smallest groups given are suppressed
       too, one after another, until at least ``least`` ballots give neither.

    ``least`` is the round's minimum for publishing a pot; a pot with fewer ballots than that
    is withheld altogether, so step 3 always ends."""
    if least <= 1:
        return list(cells)
    pairs = Counter(cells)
    out: list[Cell] = [c if pairs[c] >= least else None for c in cells]  # type: ignore[misc]
    hoods = Counter(c[0] for c, o in zip(cells, out, strict=True) if o is None)
    out = [
        o if o is not None else ((c[0], None) if hoods[c[0]] >= least else (None, None))
        for c, o in zip(cells, out, strict=True)
    ]
    blank = sum(1 for o in out if o == (None, None))
    if 0 < blank < least:
        given = Counter(o for o in out if o != (None, None))
        for key, size in sorted(given.items(), key=lambda kv: (kv[1], str(kv[0]))):
            if blank >= least:
                break
            out = [(None, None) if o == key else o for o in out]
            blank += size
    return out


# --- One pot's data ---------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectFacts:
    id: int
    title: str  # as counted (frozen when voting opened)
    cost_pence: int  # what the pot paid: the cost it was counted with
    votes: int
    points: int | None
    funded: bool
    explanation: str  # in English
    category: str | None
    neighbourhood: str | None
    latitude: str | None  # decimal degrees, as stored (WGS 84)
    longitude: str | None
    # The explanation in the other languages the stored result gives it in: {"cy": "..."}.
    explanations: dict[str, str] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Vote:
    """One counted ballot as published: choices (project ids; ranked: best first), points
    (cumulative only), and its voter's neighbourhood (name) and age band, or None where
    suppressed or not kept."""

    choices: tuple[int, ...]
    points: tuple[int, ...]
    neighbourhood: str | None = None
    age_band: str | None = None


@dataclass(frozen=True)
class VoterColumns:
    """What a round gives about voters: its bands and neighbourhoods as frozen, the minimum
    a group must have, and how many ballots had a detail suppressed."""

    age_bands: tuple[str, ...]
    neighbourhoods: tuple[tuple[str, str], ...]  # (slug, name)
    least: int
    age_band_suppressed: int
    both_suppressed: int


@dataclass(frozen=True)
class PotData:
    council_slug: str
    council_name: str
    round_id: int
    round_slug: str
    round_title: str
    language: str  # what the round's and pot's names are written in
    ballot_kind: str
    rule: str
    tie_break: str
    min_ballots: int
    manifest_hash: str
    log_head_hash: str
    voting_opened_at: datetime | None
    voting_ends_at: datetime | None
    pot_id: int
    pot_name: str
    pot_neighbourhood: str | None
    budget_pence: int
    ballots: int
    withheld: bool
    allocated_pence: int | None
    election: Election | None  # what the .pb holds; None when withheld
    projects: tuple[ProjectFacts, ...] = ()
    votes: tuple[Vote, ...] = ()
    voters: VoterColumns | None = None

    @property
    def counts_points(self) -> bool:
        return any(p.points is not None for p in self.projects)


def pot_data(session: Session, pot: PublishedPot) -> PotData:
    """Everything the pot's files say, from its stored result and stored ballots."""
    funding_round, result = pot.funding_round, pot.result
    paper = ballot_paper(funding_round.manifest_json)
    pot_paper = paper.pot(result.pot_id)
    document = json.loads(result.outcome_json)
    voting = funding_round.dates_for(Phase.VOTING)
    base = PotData(
        council_slug=pot.council.slug,
        council_name=pot.council.name,
        round_id=funding_round.id,
        round_slug=funding_round.slug,
        round_title=funding_round.title,
        language=own_language(funding_round),
        ballot_kind=paper.kind.value,
        rule=result.rule,
        tie_break=result.tie_break,
        min_ballots=publishing_minimum(funding_round),
        manifest_hash=result.manifest_hash,
        log_head_hash=result.log_head_hash,
        voting_opened_at=funding_round.voting_opened_at,
        voting_ends_at=voting.ends_at if voting is not None else None,
        pot_id=result.pot_id,
        pot_name=pot_paper.name if pot_paper is not None else result.pot.name,
        pot_neighbourhood=_pot_neighbourhood(result.pot),
        budget_pence=int(document["budget_pence"]),
        ballots=result.ballot_count,
        withheld=result.withheld,
        allocated_pence=None,
        election=None,
    )
    if result.withheld:
        return base
    projects = _projects(session, document, result.pot)
    election = box.stored_election(session, paper, result.pot_id, voters=True)
    votes, voters = _votes(election, paper, base.min_ballots)
    return replace(
        base,
        allocated_pence=int(document["total_cost_pence"]),
        election=_pb_election(base, document, projects, election, votes, voters is not None),
        projects=projects,
        votes=votes,
        voters=voters,
    )


def _pot_neighbourhood(pot: Pot) -> str | None:
    return pot.neighbourhood.name if pot.neighbourhood is not None else None


def _projects(session: Session, document: dict, pot: Pot) -> tuple[ProjectFacts, ...]:
    """The result's projects, in the manifest's order, with their descriptions now (none for
    a proposal whose text moderators hid, as on its page)."""
    ids = [int(p["id"]) for p in document["projects"]]
    translated = document.get("translations") or {}
    rows = {
        row.id: row
        for row in session.scalars(
            select(Proposal).where(Proposal.id.in_(ids)).options(joinedload(Proposal.neighbourhood))
        )
    }
    out = []
    for p in document["projects"]:
        row = rows.get(int(p["id"]))
        shown = row is not None and not row.is_hidden
        place = None
        if shown and row.neighbourhood is not None:
            place = row.neighbourhood.name
        elif pot.neighbourhood is not None:
            place = pot.neighbourhood.name  # a neighbourhood's own pot: its projects are there
        out.append(
            ProjectFacts(
                id=int(p["id"]),
                title=p["name"],
                cost_pence=int(p["cost_pence"]),
                votes=p["votes"],
                points=p["points"],
                funded=p["funded"],
                explanation=p["explanation"],
                category=(row.category or None) if shown else None,
                neighbourhood=place,
                latitude=_degrees(row.latitude) if shown else None,
                longitude=_degrees(row.longitude) if shown else None,
                explanations={
                    code: texts[p["id"]]
                    for code, texts in sorted(translated.items())
                    if isinstance(texts, dict) and texts.get(p["id"])
                },
            )
        )
    return tuple(out)


def _degrees(value) -> str | None:
    return None if value is None else format(value, "f")


def _votes(
    election: Election, paper: BallotPaper, least: int
) -> tuple[tuple[Vote, ...], VoterColumns | None]:
    """The counted ballots as published, sorted by what they say, with their voters'
    details suppressed where a group is too small (:func:`suppress`)."""
    details = paper.voter_details
    # Ballots filled in alike are one object (``box.election_from_contents``) and, with the
    # same details, one published vote: each is made once, the rest share it.
    made: dict[tuple, Vote] = {}

    def vote(b: Ballot, hood: str | None = None, band: str | None = None) -> Vote:
        key = (id(b), hood, band)
        found = made.get(key)
        if found is None:
            found = made[key] = Vote(tuple(int(c) for c in b.choices), b.points, hood, band)
        return found

    if details is None:
        return tuple(sorted((vote(b) for b in election.ballots), key=_order)), None
    names = details.names()
    cell_of: dict[int, tuple[str, str]] = {}
    cells = []
    for b in election.ballots:
        cell = cell_of.get(id(b))
        if cell is None:
            kept = dict(b.extra)
            hood = names.get(kept.get("neighbourhood") or "", UNKNOWN_NEIGHBOURHOOD)
            cell = cell_of[id(b)] = (hood, kept.get("age_band") or UNKNOWN_AGE)
        cells.append(cell)
    released = suppress(cells, least)
    votes = [
        vote(b, hood, band) for b, (hood, band) in zip(election.ballots, released, strict=True)
    ]
    columns = VoterColumns(
        age_bands=details.age_bands,
        neighbourhoods=tuple((slug, name) for _, slug, name in details.neighbourhoods),
        least=least,
        age_band_suppressed=sum(1 for h, b in released if h is not None and b is None),
        both_suppressed=sum(1 for h, b in released if h is None and b is None),
    )
    return tuple(sorted(votes, key=_order)), columns


def _order(vote: Vote) -> tuple:
    # Suppressed details sort last; then by what the ballot says.
    return (
        vote.neighbourhood is None,
        vote.neighbourhood or "",
        vote.age_band is None,
        vote.age_band or "",
        vote.choices,
        vote.points,
    )


def _pb_election(
    data: PotData,
    document: dict,
    projects: tuple[ProjectFacts, ...],
    counted: Election,
    votes: tuple[Vote, ...],
    with_voters: bool,
) -> Election:
    """The pot as pabulib reads it: the counted projects (cost = what the pot paid) and
    ballots under the frozen ballot rules, so any pabulib reader counting it with the same
    rule funds what the result funds; pabulib's project columns (votes, score, category,
    selected, latitude, longitude, neighborhood) and, for rounds that give them, the voters'
    ``neighborhood`` and ``age_band``."""
    points = any(p.points is not None for p in projects)

    def extra(p: ProjectFacts) -> tuple[tuple[str, str], ...]:
        cells = [("votes", str(p.votes))]
        if points:
            cells.append(("score", "" if p.points is None else str(p.points)))
        cells += [
            ("category", p.category or ""),
            ("selected", "1" if p.funded else "0"),
            ("latitude", p.latitude or ""),
            ("longitude", p.longitude or ""),
            ("neighborhood", p.neighbourhood or ""),
        ]
        return tuple(cells)

    costs = {str(p["id"]): Fraction(p["cost_pence"]) for p in document["projects"]}
    pb_projects = tuple(Project(str(p.id), costs[str(p.id)], p.title, extra(p)) for p in projects)
    ballots = []
    parts: dict[int, tuple] = {}  # votes alike are one object: their fields made once
    for number, v in enumerate(votes, 1):
        made = parts.get(id(v))
        if made is None:
            cells: tuple[tuple[str, str], ...] = ()
            if with_voters:
                cells = (("neighborhood", v.neighbourhood or ""), ("age_band", v.age_band or ""))
            made = parts[id(v)] = (tuple(str(c) for c in v.choices), cells)
        ballots.append(Ballot(made[0], v.points, str(number), made[1]))
    meta = [
        ("description", f"{data.council_name}: {data.round_title}: {data.pot_name}"),
        ("country", "United Kingdom"),
        ("unit", data.council_name),
        ("instance", data.round_title),
        ("district", data.pot_name),
        ("num_projects", str(len(pb_projects))),
        ("num_votes", str(len(ballots))),
        ("budget", str(data.budget_pence)),
        ("currency", "GBP pence"),
        ("vote_type", _vote_type(counted.kind)),
        ("rule", PABULIB_RULES.get(data.rule, data.rule)),
        ("devolve_rule", data.rule),
        ("tie_break", data.tie_break),
    ]
    if data.voting_opened_at is not None:
        meta.append(("date_begin", _pabulib_date(data.voting_opened_at)))
    if data.voting_ends_at is not None:
        meta.append(("date_end", _pabulib_date(data.voting_ends_at)))
    meta += [("language", data.language), ("comment", _comment(data, with_voters))]
    return Election(
        budget=Fraction(data.budget_pence),
        projects=pb_projects,
        ballots=tuple(ballots),
        rules=counted.rules,
        meta=tuple(meta),
    )


def _vote_type(kind: BallotKind) -> str:
    return {
        BallotKind.SINGLE: "choose-1",
        BallotKind.CUMULATIVE: "cumulative",
        BallotKind.RANKED: "ordinal",
    }.get(kind, "approval")


def _pabulib_date(value: datetime) -> str:
    return london_date(value).strftime("%d.%m.%Y")


def _comment(data: PotData, with_voters: bool) -> str:
    notes = [
        "Amounts are in pence (1/100 of a pound).",
        "Project costs are what the pot paid (the final cost less partners' money), as counted.",
        f"Counted with Devolve's {data.rule}, ties broken by {data.tie_break}.",
        "Ballots are numbered in an order that says nothing about who cast them or when.",
    ]
    if with_voters:
        notes.append(
            "neighborhood and age_band are the voter's on the day of voting; either is blank "
            f"where fewer than {data.min_ballots} ballots share it."
        )
    return " ".join(f"#{i}: {n}" for i, n in enumerate(notes, 1))


# --- The files --------------------------------------------------------------------------


@dataclass(frozen=True)
class PotFiles:
    """A pot's open data files; the ``.pb`` and CSVs are None for a withheld pot."""

    stem: str  # "{council}-{round}-pot-{id}": the download's file name without its ending
    pb: bytes | None
    projects_csv: bytes | None
    ballots_csv: bytes | None
    json: bytes
    ballots: int = 0
    withheld: bool = False

    def named(self) -> list[tuple[str, str, bytes]]:
        """(kind, file ending, bytes) of each file the pot has."""
        files = [("json", ".json", self.json)]
        if self.pb is not None:
            files += [
                ("pb", ".pb", self.pb),
                ("projects_csv", "-projects.csv", self.projects_csv or b""),
                ("ballots_csv", "-ballots.csv", self.ballots_csv or b""),
            ]
        return files


def build_files(data: PotData) -> PotFiles:
    """The pot's ``.pb``, projects CSV, ballots CSV and JSON (only the JSON when withheld)."""
    stem = f"{data.council_slug}-{data.round_slug}-pot-{data.pot_id}"  # as ``_stem``
    document = canonical_json(pot_document(data)).encode("utf-8")
    if data.withheld or data.election is None:
        return PotFiles(stem, None, None, None, document, data.ballots, True)
    return PotFiles(
        stem,
        dumps(data.election).encode("utf-8"),
        projects_csv(data),
        ballots_csv(data),
        document,
        data.ballots,
        False,
    )


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def pot_document(data: PotData) -> dict[str, Any]:
    """The pot's JSON document (docs/open-data.md)."""
    voters = None
    if data.voters is not None:
        voters = {
            "age_bands": list(data.voters.age_bands),
            "neighbourhoods": [{"slug": s, "name": n} for s, n in data.voters.neighbourhoods],
            "suppressed_below": data.voters.least,
            "ballots_with_age_band_suppressed": data.voters.age_band_suppressed,
            "ballots_with_both_suppressed": data.voters.both_suppressed,
        }
    return {
        "format": FORMAT,
        "licence": LICENCE,
        "council": {"slug": data.council_slug, "name": data.council_name},
        "round": {
            "id": data.round_id,
            "slug": data.round_slug,
            "title": data.round_title,
            "language": data.language,
            "ballot_kind": data.ballot_kind,
            "rule": data.rule,
            "tie_break": data.tie_break,
            "min_ballots_to_publish": data.min_ballots,
            "manifest_hash": data.manifest_hash,
            "log_head_hash": data.log_head_hash,
            "voting_opened_at": _iso(data.voting_opened_at),
        },
        "pot": {
            "id": data.pot_id,
            "name": data.pot_name,
            "neighbourhood": data.pot_neighbourhood,
            "budget_pence": data.budget_pence,
        },
        "currency": "GBP",
        "ballots": data.ballots,
        "withheld": data.withheld,
        "allocated_pence": data.allocated_pence,
        "projects": [
            {
                "id": p.id,
                "title": p.title,
                "category": p.category,
                "neighbourhood": p.neighbourhood,
                "latitude": None if p.latitude is None else float(p.latitude),
                "longitude": None if p.longitude is None else float(p.longitude),
                "cost_pence": p.cost_pence,
                "votes": p.votes,
                "points": p.points,
                "funded": p.funded,
                "explanation": p.explanation,
                "explanation_translations": p.explanations,
            }
            for p in data.projects
        ],
        "voter_details": voters,
        "votes": _votes_json(data.votes, data.voters is not None),
    }


def _votes_json(votes: Sequence[Vote], voters: bool) -> list[dict[str, Any]]:
    made: dict[int, dict[str, Any]] = {}  # votes alike are one object: one dict each
    out = []
    for vote in votes:
        found = made.get(id(vote))
        if found is None:
            found = made[id(vote)] = _vote_json(vote, voters)
        out.append(found)
    return out


def _vote_json(vote: Vote, voters: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"choices": list(vote.choices), "points": list(vote.points)}
    if voters:
        out["neighbourhood"] = vote.neighbourhood
        out["age_band"] = vote.age_band
    return out


PROJECTS_HEADER = [
    "project_id",
    "title",
    "category",
    "neighbourhood",
    "latitude",
    "longitude",
    "cost_pence",
    "cost_gbp",
    "votes",
    "points",
    "funded",
    "explanation",
]


def _csv(rows: Iterable[Iterable[object]]) -> bytes:
    out = io.StringIO(newline="")
    # Every cell escaped, so that a spreadsheet never runs one as a formula.
    csv_cells.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL).writerows(rows)
    return out.getvalue().encode("utf-8")


def _pounds(pence: int) -> str:
    return f"{pence // 100}.{pence % 100:02d}"


def projects_csv(data: PotData) -> bytes:
    """A row per project, funded or not: what it cost the pot, its votes and points, whether
    it was funded and why."""
    rows: list[list[object]] = [PROJECTS_HEADER]
    for p in data.projects:
        rows.append(
            [
                p.id,
                p.title,
                p.category,
                p.neighbourhood,
                p.latitude,
                p.longitude,
                p.cost_pence,
                _pounds(p.cost_pence),
                p.votes,
                p.points,
                "yes" if p.funded else "no",
                p.explanation,
            ]
        )
    return _csv(rows)


def ballots_csv(data: PotData) -> bytes:
    """A row per counted ballot and a column per project (``project_<id>``): 1 or 0 for the
    projects an approval, knapsack or single-choice ballot chose; the points given on a
    cumulative ballot (0 for none); the rank on a ranked ballot (1 is first; empty for a
    project not ranked). With the voters' ``neighbourhood`` and ``age_band`` first, for a
    round that gives them."""
    ids = [p.id for p in data.projects]
    voters = data.voters is not None
    header: list[object] = ["ballot"]
    if voters:
        header += ["neighbourhood", "age_band"]
    header += [f"project_{i}" for i in ids]
    kind = BallotKind(data.ballot_kind)
    # A row is its number and then what its vote says: the same for votes alike (one
    # object, ``_votes``), so each distinct vote's cells are made and escaped once.
    tails: dict[int, list[str]] = {}
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([csv_cells.escape(h) for h in header])
    for number, v in enumerate(data.votes, 1):
        tail = tails.get(id(v))
        if tail is None:
            cells: list[object] = [v.neighbourhood, v.age_band] if voters else []
            if kind is BallotKind.RANKED:
                ranks = {c: r for r, c in enumerate(v.choices, 1)}
                cells += [ranks.get(i) for i in ids]
            elif kind is BallotKind.CUMULATIVE:
                given = dict(zip(v.choices, v.points, strict=True))
                cells += [given.get(i, 0) for i in ids]
            else:
                chosen = set(v.choices)
                cells += [1 if i in chosen else 0 for i in ids]
            # Numbers are never escaped (none is negative): only the texts need it.
            tail = tails[id(v)] = [csv_cells.escape(c) if isinstance(c, str) else c for c in cells]
        writer.writerow([number, *tail])
    return out.getvalue().encode("utf-8")


# --- Fingerprints and the cache ---------------------------------------------------------


def _digest(value: Any) -> str:
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


def _proposal_marks(session: Session, pot_ids: Sequence[int]) -> dict[int, list]:
    """Per pot, when its proposals last changed and how many there are: a proposal's
    category or point changes its ``updated_at``."""
    if not pot_ids:
        return {}
    rows = session.execute(
        select(Proposal.pot_id, func.max(Proposal.updated_at), func.count())
        .where(Proposal.pot_id.in_(list(pot_ids)))
        .group_by(Proposal.pot_id)
    )
    return {pot_id: [_iso_any(latest), n] for pot_id, latest, n in rows}


def _iso_any(value) -> str | None:
    return None if value is None else str(value)


def _neighbourhood_marks(session: Session, council_ids: Iterable[int]) -> dict[int, list]:
    """Per council, its neighbourhoods' ids and names (a project's neighbourhood is shown by
    name)."""
    ids = sorted(set(council_ids))
    out: dict[int, list] = {i: [] for i in ids}
    if not ids:
        return out
    for council_id, hood_id, name in session.execute(
        select(Neighbourhood.council_id, Neighbourhood.id, Neighbourhood.name)
        .where(Neighbourhood.council_id.in_(ids))
        .order_by(Neighbourhood.id)
    ):
        out[council_id].append([hood_id, name])
    return out


def _pot_key(pot: PublishedPot, proposals: list | None, hoods: list) -> str:
    r, result = pot.funding_round, pot.result
    return _digest(
        [
            FORMAT,
            pot.council.id,
            pot.council.slug,
            pot.council.name,
            r.id,
            r.slug,
            r.title,
            _iso(r.voting_opened_at),
            _iso(r.dates_for(Phase.VOTING).ends_at) if r.dates_for(Phase.VOTING) else None,
            result.id,
            result.log_head_hash,
            result.withheld,
            result.pot.name,
            proposals,
            hoods,
        ]
    )


def pot_fingerprint(session: Session, pot: PublishedPot) -> str:
    """A digest of everything the pot's files are made from that could change: the result
    (never changes once stored), the council's and round's names, the pot's proposals' last
    change and the council's neighbourhoods' names."""
    proposals = _proposal_marks(session, [pot.pot_id]).get(pot.pot_id)
    hoods = _neighbourhood_marks(session, [pot.council.id])[pot.council.id]
    return _pot_key(pot, proposals, hoods)


class _Cache:
    """Built bytes by fingerprint, least recently used first out, up to ``limit`` bytes and
    ``items`` entries in all. Thread-safe; two requests building the same thing at once both
    build it (the same bytes), which is cheaper than making one wait on the other's lock."""

    def __init__(self, limit: int, items: int | None = None) -> None:
        self.limit = limit
        self.items = items
        self._items: OrderedDict[str, tuple[Any, int]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> Any:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            self._items.move_to_end(key)
            return item[0]

    def put(self, key: str, value: Any, size: int) -> None:
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._size -= old[1]
            self._items[key] = (value, size)
            self._size += size
            most = self.items if self.items is not None else len(self._items)
            while len(self._items) > 1 and (self._size > self.limit or len(self._items) > most):
                _, (_, dropped) = self._items.popitem(last=False)
                self._size -= dropped

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._size = 0


# Every pot's files, and the network's newest ZIP only (an older one is never asked for again).
_POTS = _Cache(limit=256 * 1024 * 1024)
_NETWORK = _Cache(limit=512 * 1024 * 1024, items=1)


def clear_cache() -> None:
    """Forget every built file (tests, and the benchmark's cold runs)."""
    _POTS.clear()
    _NETWORK.clear()


class Store:
    """Built files kept on disk under a folder, named by fingerprint, so that every worker
    and every restart of the app shares them and a pot is built once, ever, for what it
    shows (``OPEN_DATA_DIR``). Written to a temporary name and renamed into place, so a
    reader never sees half a file. A folder that cannot be written is used as far as it can
    be: the files are then built in the process, as without a store."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, name: str) -> Path:
        return self.folder / name

    def read(self, name: str) -> bytes | None:
        try:
            return self._path(name).read_bytes()
        except OSError:
            return None

    def write(self, name: str, data: bytes) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.folder, delete=False, suffix=".part") as f:
                f.write(data)
            os.replace(f.name, self._path(name))
        except OSError as error:
            _log.warning("open data: cannot keep %s in %s: %s", name, self.folder, error)

    def keep_only(self, prefix: str, names: set[str]) -> None:
        """Remove the files named ``prefix...`` that are not among ``names`` (out of date)."""
        try:
            stale = [p for p in self.folder.glob(prefix + "*") if p.name not in names]
            for path in stale:
                path.unlink(missing_ok=True)
        except OSError as error:
            _log.warning("open data: cannot tidy %s: %s", self.folder, error)


_MEMBERS = ("json", "pb", "projects_csv", "ballots_csv")


def _packed(files: PotFiles) -> bytes:
    """A pot's files as one file for the store: a ZIP of its members."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for member in _MEMBERS:
            data = getattr(files, member)
            if data is not None:
                info = zipfile.ZipInfo(member, date_time=ZIP_TIME)
                z.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=1)
    return buffer.getvalue()


def _unpacked(pot: PublishedPot, data: bytes) -> PotFiles | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            found = {m: z.read(m) for m in z.namelist() if m in _MEMBERS}
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    if "json" not in found:
        return None
    return PotFiles(
        _stem(pot),
        found.get("pb"),
        found.get("projects_csv"),
        found.get("ballots_csv"),
        found["json"],
        pot.result.ballot_count,
        pot.withheld,
    )


def _stem(pot: PublishedPot) -> str:
    return f"{pot.council.slug}-{pot.funding_round.slug}-pot-{pot.pot_id}"


def _files_for(session: Session, pot: PublishedPot, key: str, store: Store | None) -> PotFiles:
    files = _POTS.get(key)
    if files is None and store is not None:
        kept = store.read(f"pot-{key}.zip")
        files = _unpacked(pot, kept) if kept is not None else None
    if files is None:
        files = build_files(pot_data(session, pot))
        if store is not None:
            store.write(f"pot-{key}.zip", _packed(files))
    _POTS.put(key, files, sum(len(b) for _, _, b in files.named()))
    return files


def _built(pot: PublishedPot, key: str, store: Store | None) -> PotFiles | None:
    """The pot's files if already built (in this process, else in ``store``); never builds."""
    files = _POTS.get(key)
    if files is None and store is not None:
        kept = store.read(f"pot-{key}.zip")
        files = _unpacked(pot, kept) if kept is not None else None
        if files is not None:
            _POTS.put(key, files, sum(len(b) for _, _, b in files.named()))
    return files


def build_round(session: Session, funding_round: FundingRound, store: Store | None = None) -> int:
    """Build the files of a newly published round's pots now (kept in ``store``), so neither
    the open data page nor the network's ZIP builds them on a request; the pots built."""
    pots = [
        p
        for p in published_pots(session, network_only=False)
        if p.funding_round.id == funding_round.id
    ]
    for pot, key in zip(pots, _keys(session, pots), strict=True):
        _files_for(session, pot, key, store)
    return len(pots)


def pot_files(session: Session, pot: PublishedPot, store: Store | None = None) -> PotFiles:
    """The pot's files, built once per fingerprint (kept in ``store`` too, when given)."""
    return _files_for(session, pot, pot_fingerprint(session, pot), store)


# --- The network -----------------------------------------------------------------------


@dataclass(frozen=True)
class Listed:
    """A published pot of the network as the open data page lists it."""

    pot: PublishedPot
    files: PotFiles | None  # None: not built yet (its sizes are not known until it is)


def _keys(session: Session, pots: list[PublishedPot]) -> list[str]:
    marks = _proposal_marks(session, [p.pot_id for p in pots])
    hoods = _neighbourhood_marks(session, [p.council.id for p in pots])
    return [_pot_key(p, marks.get(p.pot_id), hoods[p.council.id]) for p in pots]


def network_fingerprint(session: Session) -> str:
    """A digest of every in-network published pot's fingerprint: the network's ZIP is the
    same bytes while this is the same."""
    pots = published_pots(session)
    return _digest([FORMAT, _keys(session, pots)])


def network_listing(
    session: Session, store: Store | None = None, *, build: bool = True
) -> list[Listed]:
    """Every published pot of the councils in the network view, with its files (built once
    per fingerprint); ``build`` false: only those already built, the others' ``files`` None
    (the open data page, which must not spend a request building hundreds of pots)."""
    pots = published_pots(session)
    keys = _keys(session, pots)
    if not build:
        return [Listed(p, _built(p, key, store)) for p, key in zip(pots, keys, strict=True)]
    return [
        Listed(p, _files_for(session, p, key, store)) for p, key in zip(pots, keys, strict=True)
    ]


def network_zip(session: Session, store: Store | None = None) -> bytes:
    """The network's open data as one ZIP: README.txt, datapackage.json (every file, its
    size, SHA-256 and what it holds), SHA256SUMS and each published pot's files under
    ``{council}/{round}/``. The same published data gives the same bytes.

    Built once per fingerprint: from the pots' files already built (in this process, else in
    ``store``), building only the pots whose fingerprint is new; kept in this process and in
    ``store``, whose out-of-date files it removes."""
    pots = published_pots(session)
    keys = _keys(session, pots)
    key = _digest([FORMAT, keys])
    name = f"network-{key}.zip"
    cached = _NETWORK.get(key)
    if cached is None and store is not None:
        cached = store.read(name)
    if cached is not None:
        _NETWORK.put(key, cached, len(cached))
        return cached
    listing = [Listed(p, _files_for(session, p, k, store)) for p, k in zip(pots, keys, strict=True)]
    data = _zip(listing)
    _NETWORK.put(key, data, len(data))
    if store is not None:
        store.write(name, data)
        store.keep_only("network-", {name})
        # A pot of a council that left the network is not among these: built again if asked.
        store.keep_only("pot-", {f"pot-{k}.zip" for k in keys})
    return data


def _zip(listing: list[Listed]) -> bytes:
    files: dict[str, bytes] = {}
    resources = []
    for item in listing:
        pot, built = item.pot, item.files
        folder = f"{pot.council.slug}/{pot.funding_round.slug}"
        for kind, ending, data in built.named():
            path = f"{folder}/pot-{pot.pot_id}{ending}"
            files[path] = data
            resources.append(_resource(path, kind, data, pot))
    councils = sorted({item.pot.council.name for item in listing})
    files["datapackage.json"] = (
        json.dumps(_datapackage(resources, councils), indent=2, ensure_ascii=False) + "\n"
    ).encode("utf-8")
    files["README.txt"] = readme(listing).encode("utf-8")
    return zip_with_sums(files)


_KINDS = {
    "pb": ("pb", "text/plain", "The pot's counted ballots in pabulib format (amounts in pence)."),
    "projects_csv": ("csv", "text/csv", "A row per project: cost, votes, points, funded, why."),
    "ballots_csv": ("csv", "text/csv", "A row per counted ballot, a column per project."),
    "json": ("json", "application/json", "The pot's result and counted ballots in one document."),
}


def _resource(path: str, kind: str, data: bytes, pot: PublishedPot) -> dict[str, Any]:
    fmt, mediatype, what = _KINDS[kind]
    if pot.withheld:
        what = (
            "Withheld: fewer ballots than the round's minimum for publishing, so only the "
            "number of ballots is given."
        )
    resource: dict[str, Any] = {
        "name": path.replace("/", "-").rsplit(".", 1)[0].lower(),
        "path": path,
        "format": fmt,
        "mediatype": mediatype,
        "encoding": "utf-8",
        "bytes": len(data),
        "hash": "sha256:" + hashlib.sha256(data).hexdigest(),
        "description": what,
        "council": pot.council.slug,
        "round": pot.funding_round.slug,
        "round_id": pot.funding_round.id,
        "pot_id": pot.pot_id,
        "withheld": pot.withheld,
    }
    if kind == "projects_csv":
        resource["schema"] = {"fields": _PROJECT_FIELDS}
    return resource


_PROJECT_FIELDS = [
    {"name": "project_id", "type": "integer"},
    {"name": "title", "type": "string"},
    {"name": "category", "type": "string"},
    {"name": "neighbourhood", "type": "string"},
    {"name": "latitude", "type": "number"},
    {"name": "longitude", "type": "number"},
    {"name": "cost_pence", "type": "integer"},
    {"name": "cost_gbp", "type": "number"},
    {"name": "votes", "type": "integer"},
    {"name": "points", "type": "integer"},
    {"name": "funded", "type": "boolean", "trueValues": ["yes"], "falseValues": ["no"]},
    {"name": "explanation", "type": "string"},
]


def _datapackage(resources: list[dict], councils: list[str]) -> dict[str, Any]:
    return {
        "profile": "data-package",
        "name": "devolve-network-open-data",
        "title": "Participatory budgeting results of the councils in the network",
        "description": (
            "Every published pot of every council in the network view: its result and "
            "counted ballots, as pabulib .pb, CSV and JSON. See README.txt."
        ),
        "licenses": [{"name": "council-terms", "title": LICENCE}],
        "contributors": [{"title": name, "role": "publisher"} for name in councils],
        "resources": resources,
    }


def readme(listing: list[Listed]) -> str:
    """The ZIP's README.txt: what the files are, what is withheld, and the licence."""
    rounds = {(i.pot.council.slug, i.pot.funding_round.id) for i in listing}
    withheld = sum(1 for i in listing if i.pot.withheld)
    lines = [
        "Participatory budgeting: the network's open data",
        "",
        f"{len(listing)} published pots of {len(rounds)} rounds of "
        f"{len({i.pot.council.slug for i in listing})} councils"
        + (f" ({withheld} withheld for too few ballots)." if withheld else "."),
        "",
        "FILES",
        "  datapackage.json   every file below: its size, SHA-256 and what it holds",
        "                     (a Frictionless Data Package)",
        "  SHA256SUMS         checksums of the other files (sha256sum -c SHA256SUMS)",
        "  COUNCIL/ROUND/pot-N.pb             the pot's counted ballots in pabulib format,",
        "                                     for pabutools and equalshares.net",
        "  COUNCIL/ROUND/pot-N-projects.csv   a row per project: cost, votes, points, funded",
        "                                     and why",
        "  COUNCIL/ROUND/pot-N-ballots.csv    a row per counted ballot, a column per project",
        "  COUNCIL/ROUND/pot-N.json           the pot's result and ballots in one document",
        "",
        "WHAT THE FILES HOLD",
        "Only rounds whose results are published, from the result counted when voting",
        "closed and the ballots it was counted from: counting a .pb file with the round's",
        "rule (devolve_rule and tie_break in its META) funds what the result funds. Amounts",
        "are whole pence. A project's cost is what the pot paid: its final cost less",
        "partners' money. Ballots are numbered in an order that says nothing about who cast",
        "them or when; a ballot cannot be found from its receipt.",
        "",
        "WITHHELD",
        "A pot with fewer ballots than its round's minimum for publishing has only its",
        "JSON file, giving the number of ballots and nothing else: with so few ballots,",
        "how people voted could be worked out.",
        "",
        "VOTERS' NEIGHBOURHOOD AND AGE BAND",
        "Some councils give each ballot's voter's neighbourhood and age band (on the day of",
        "voting; unknown without a date of birth), for rounds whose voting opened after they",
        "chose to, and never for a round with encrypted ballots. Nothing finer is ever given.",
        "A neighbourhood and age band shared by fewer ballots of a pot than the round's",
        "minimum for publishing is left blank (the age band first, then both), and if too",
        "few ballots are left blank, more are, so that no small group's ballots can be",
        "picked out. Other rounds have no voter columns at all.",
        "",
        "LICENCE",
        LICENCE,
        "",
        "COUNCILS",
    ]
    for name in sorted({i.pot.council.name for i in listing}):
        lines.append(f"  {name}")
    return "\n".join(lines) + "\n"


# --- The council's choice -----------------------------------------------------------------


def set_voter_details(session: Session, council: Council, *, chosen: bool, actor: User) -> bool:
    """Choose whether the council's open data gives voters' neighbourhood and age band, for
    its rounds whose voting opens from now on (each freezes the choice in its manifest; rounds
    already voting or closed keep what they froze). Audited; returns whether it changed."""
    before = bool(council.open_data_voter_details)
    if before == chosen:
        return False
    council.open_data_voter_details = chosen
    session.flush()
    audit.record(
        session,
        action="council.open_data_changed",
        actor=actor,
        council=council,
        subject=council,
        before={"open_data_voter_details": before},
        after={"open_data_voter_details": chosen},
    )
    return True


def rounds_with_voter_details(session: Session, council: Council) -> list[FundingRound]:
    """The council's rounds whose manifest froze voters' details, newest first."""
    rows = session.scalars(
        select(FundingRound)
        .where(FundingRound.council_id == council.id, FundingRound.manifest_json.is_not(None))
        .order_by(FundingRound.id.desc())
    )
    # The manifest's own key (building the ballot paper would check an encrypted round's
    # key, which never has voters' details).
    return [r for r in rows if json.loads(r.manifest_json).get("voter_details")]


__all__ = [
    "CSV_TYPE",
    "FORMAT",
    "JSON_TYPE",
    "LICENCE",
    "PB_TYPE",
    "ZIP_TYPE",
    "Listed",
    "PotData",
    "PotFiles",
    "PublishedPot",
    "Store",
    "build_files",
    "clear_cache",
    "network_fingerprint",
    "network_listing",
    "network_zip",
    "pot_data",
    "pot_files",
    "pot_fingerprint",
    "published_pot",
    "published_pots",
    "rounds_with_voter_details",
    "set_voter_details",
    "suppress",
]
