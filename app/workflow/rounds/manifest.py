"""The manifest: everything a ballot depends on, frozen when voting opens as canonical JSON
with its SHA-256 hash, so the count and anyone checking it can tell it has not changed."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.workflow.models import FundingRound, Proposal
from app.workflow.rounds.ballot import ballot_proposals
from ballots import voter_details
from votes.model import BallotKind, RankedScoring
from votes.verify import canonical_json

MANIFEST_VERSION = 1


def build_manifest(session: Session, funding_round: FundingRound) -> dict[str, Any]:
    """Everything a ballot depends on, in a canonical order (pots by position, proposals by id)."""
    on_ballot = ballot_proposals(session, funding_round)
    by_pot: dict[int, list[Proposal]] = {}
    for p in on_ballot:
        by_pot.setdefault(p.pot_id, []).append(p)
    council = funding_round.council
    from app.workflow.secrecy import manifest_secrecy

    secrecy = manifest_secrecy(session, funding_round)
    manifest = {
        "version": MANIFEST_VERSION,
        "council": {"id": council.id, "slug": council.slug, "name": council.name},
        "round": {
            "id": funding_round.id,
            "slug": funding_round.slug,
            "title": funding_round.title,
            "total_budget_pence": funding_round.total_budget_pence,
        },
        "ballot_kind": funding_round.ballot_kind,
        "rule": funding_round.rule,
        "tie_break": funding_round.tie_break,
        "min_choices": funding_round.min_choices,
        "max_choices": funding_round.max_choices,
        "points": funding_round.points,
        "max_points_per_project": funding_round.max_points_per_project,
        "min_age": funding_round.min_age,
        "max_age": funding_round.max_age,
        "home_pot_only": funding_round.home_pot_only,
        "allow_vote_change": funding_round.allow_vote_change,
        "allow_blank_ballots": funding_round.allow_blank_ballots,
        # Below this many ballots a pot's per-project figures are withheld: frozen, so anyone
        # can check from the manifest alone whether a pot was rightly withheld.
        "min_ballots_to_publish": funding_round.min_ballots_to_publish,
        # Ranked rounds score rank points (k for a 1st choice ... 1 for a kth); frozen here so
        # the round is always counted the way it was when voting opened.
        "ranked_scoring": (
            RankedScoring.RANKS.value if funding_round.ballot_kind == BallotKind.RANKED else None
        ),
        "pots": [
            {
                "id": pot.id,
                "name": pot.name,
                "neighbourhood": pot.neighbourhood.slug if pot.neighbourhood else None,
                "budget_pence": pot.budget_pence,
                "proposals": [
                    {
                        "id": p.id,
                        "title": p.title,
                        "final_cost_pence": p.final_cost_pence,
                        "money_pledged_pence": p.money_pledged_pence,
                        "cost_to_pot_pence": p.cost_to_pot_pence,
                    }
                    for p in by_pot.get(pot.id, [])
                ],
            }
            for pot in sorted(funding_round.pots, key=lambda p: (p.position, p.id))
        ],
    }
    # An encrypted round's key (docs/secrecy.md); a plain round's manifest is as it always was.
    if secrecy is not None:
        manifest["secrecy"] = secrecy
    elif council.open_data_voter_details:
        # The council gives each ballot's voter's neighbourhood and age band in its open data:
        # frozen here, so every ballot of the round keeps them and voters are told so on the
        # ballot. Never in an encrypted round (ballots.voter_details says why).
        manifest["voter_details"] = voter_details.manifest_entry(
            (h.id, h.slug, h.name) for h in council.neighbourhoods
        )
    return manifest


def manifest_hash(manifest_json: str) -> str:
    """The SHA-256 of the manifest's canonical JSON, as hex: the round's published fingerprint."""
    return hashlib.sha256(manifest_json.encode("utf-8")).hexdigest()


def frozen_columns(session: Session, funding_round: FundingRound, now: datetime) -> dict[str, Any]:
    """The round's columns that freeze it as voting opens: the manifest as canonical JSON
    (``votes.verify.canonical_json``, the text the verifier hashes), its hash, and ``now`` as
    the time voting opened."""
    text = canonical_json(build_manifest(session, funding_round))
    return {"manifest_json": text, "manifest_hash": manifest_hash(text), "voting_opened_at": now}


# A round moved back to a phase before voting has nothing frozen.
UNFROZEN_COLUMNS: dict[str, Any] = {
    "manifest_json": None,
    "manifest_hash": None,
    "voting_opened_at": None,
}
