"""The ballot paper: what a round's ballots may say, built from its frozen manifest.

Built from the manifest JSON stored when voting opened (not from the live tables), so every
ballot is checked against exactly what was frozen and hashed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache

from ballots.voter_details import VoterDetailsPaper, from_manifest
from votes.model import BallotKind, BallotRules, Project
from votes.verify import manifest_projects, manifest_rules


@dataclass(frozen=True, slots=True)
class PotPaper:
    id: int
    name: str
    neighbourhood: str | None  # the neighbourhood's slug; None for a council-wide pot
    budget_pence: int
    projects: tuple[Project, ...]  # cost = what the pot pays (final cost less partners' money)

    def project(self, project_id: str) -> Project | None:
        for p in self.projects:
            if p.id == project_id:
                return p
        return None


@dataclass(frozen=True, slots=True)
class SecrecyPaper:
    """An encrypted round's key, as frozen in its manifest (docs/secrecy.md)."""

    version: str  # "encrypted-v1"
    key: bytes  # the round's public key Y
    verification_keys: tuple[tuple[int, bytes], ...]  # (trustee, Y_j)
    threshold: int
    ceremony_hash: str
    trustee_mixes: int  # trustee mixes required after the server's

    def verification_key(self, trustee: int) -> bytes | None:
        return dict(self.verification_keys).get(trustee)


@dataclass(frozen=True, slots=True)
class BallotPaper:
    round_id: int
    council_id: int
    manifest_hash: str
    rules: BallotRules
    pots: tuple[PotPaper, ...]
    min_age: int | None
    max_age: int | None
    home_pot_only: bool
    allow_vote_change: bool
    rule: str = "greedy"  # how the pots are counted (votes.rules), as frozen
    tie_break: str = "cost-votes"
    # None for a round whose ballots are stored as they are (every round made before
    # encryption, and rounds that chose not to).
    secrecy: SecrecyPaper | None = None
    # The voters' neighbourhood and age band kept with each ballot (``ballots.voter_details``):
    # None for a round that did not freeze them, as every encrypted round.
    voter_details: VoterDetailsPaper | None = None

    @property
    def kind(self) -> BallotKind:
        return self.rules.kind

    def pot(self, pot_id: int) -> PotPaper | None:
        for p in self.pots:
            if p.id == pot_id:
                return p
        return None


@lru_cache(maxsize=64)
def ballot_paper(manifest_json: str) -> BallotPaper:
    """The ballot paper described by a round's manifest. The hash is of the exact text.

    A manifest never changes once frozen and the paper is immutable, so each process builds a
    round's paper once rather than on every ballot page and cast (the text is the key: an
    edited manifest is another paper)."""
    m = json.loads(manifest_json)
    rules = manifest_rules(m)
    pots = tuple(
        PotPaper(
            id=pot["id"],
            name=pot["name"],
            neighbourhood=pot.get("neighbourhood"),
            budget_pence=pot["budget_pence"],
            projects=manifest_projects(pot),
        )
        for pot in m["pots"]
    )
    return BallotPaper(
        round_id=m["round"]["id"],
        council_id=m["council"]["id"],
        manifest_hash=hashlib.sha256(manifest_json.encode("utf-8")).hexdigest(),
        rules=rules,
        pots=pots,
        min_age=m.get("min_age"),
        max_age=m.get("max_age"),
        home_pot_only=bool(m.get("home_pot_only")),
        allow_vote_change=bool(m.get("allow_vote_change")),
        rule=m.get("rule") or "greedy",
        tie_break=m.get("tie_break") or "cost-votes",
        secrecy=_secrecy(m.get("secrecy")),
        voter_details=None if m.get("secrecy") else from_manifest(m.get("voter_details")),
    )


def _secrecy(frozen: dict | None) -> SecrecyPaper | None:
    """The manifest's key, checked (every trustee's proof) once per process."""
    if not frozen:
        return None
    from votes.secrecy.keys import read_key_document

    key, verification_keys, threshold = read_key_document(frozen["key"])
    return SecrecyPaper(
        version=frozen["version"],
        key=key,
        verification_keys=tuple(sorted(verification_keys.items())),
        threshold=threshold,
        ceremony_hash=frozen["key"]["ceremony_hash"],
        trustee_mixes=int(frozen.get("trustee_mixes") or 0),
    )
