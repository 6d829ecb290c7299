"""An encrypted round's trustees, its key, and the steps of its count after the close
(docs/secrecy.md).

Before voting opens the officer chooses encryption, the threshold t and the trustee mixes
required, and adds the trustees (each gets a link to their page, shown once). Each trustee
registers their transport key; the officer starts the key ceremony; each trustee uploads their
part of the key, then their acceptance (or a complaint). Once every trustee has accepted, the
key document is stored and goes into the manifest when voting opens. Nothing uploaded here is
secret: the trustees' shares never leave their key files.

After the close the server shuffles each pot (``ballots.secrecy.server_mix``); trustees add
the mixes the round requires, then at least t trustees upload their partial decryptions. The
upload that decrypts the last pot counts the round. Every step is audited.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.workflow import audit
from app.workflow.clock import utcnow
from app.workflow.errors import Conflict, DomainError, WrongPhase
from app.workflow.models import FundingRound, Phase, RoundSecrecy, RoundTrustee, User
from app.workflow.rounds.common import ensure_not_frozen, lock_round
from ballots import secrecy as box_secrecy
from ballots.paper import BallotPaper, PotPaper, ballot_paper
from ballots.refusals import N_, Joined, Nn_, Text
from votes.canonical import canonical_json
from votes.secrecy import keys
from votes.secrecy.group import SecrecyError

__all__ = [
    "Stage",
    "TrusteeView",
    "add_trustee",
    "at_close",
    "configure",
    "key_parts",
    "manifest_secrecy",
    "opening_problems",
    "status",
]

MAX_TRUSTEES = 9
REGISTRATION = "devolve-trustee-registration/v1"


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def secrecy_of(session: Session, funding_round: FundingRound) -> RoundSecrecy | None:
    return session.get(RoundSecrecy, funding_round.id)


def trustees_of(session: Session, funding_round: FundingRound) -> list[RoundTrustee]:
    return list(
        session.scalars(
            select(RoundTrustee)
            .where(RoundTrustee.round_id == funding_round.id)
            .order_by(RoundTrustee.position)
        )
    )


def trustee_by_link(session: Session, token: str) -> RoundTrustee | None:
    """The trustee whose page link carries ``token``; None for any other text."""
    if not token or len(token) > 100:
        return None
    return session.scalar(select(RoundTrustee).where(RoundTrustee.token_hash == _token_hash(token)))


def _require_encrypted(session: Session, funding_round: FundingRound) -> RoundSecrecy:
    found = secrecy_of(session, funding_round)
    if found is None:
        raise DomainError(N_("This round's ballots are not encrypted, so it has no trustees."))
    return found


def _before_voting(
    session: Session, funding_round: FundingRound, actor, action: str, what: str
) -> None:
    ensure_not_frozen(session, funding_round, actor=actor, action=action, what=what)


def _ceremony_started(found: RoundSecrecy) -> None:
    if found.ceremony is not None:
        raise Conflict(
            N_(
                "Making the round's key has started, so the trustees and the threshold are fixed. "
                "Start the key again to change them."
            )
        )


# --- The officer's settings and the trustee list -------------------------------------------------


def configure(
    session: Session,
    funding_round: FundingRound,
    *,
    encrypted: bool,
    threshold: int | None,
    trustee_mixes: int,
    actor: User,
) -> None:
    """Encrypt the round's ballots (or not), with the threshold t and trustee mixes required."""
    _before_voting(session, funding_round, actor, "secrecy.configured", N_("Ballot encryption"))
    found = secrecy_of(session, funding_round)
    before = (
        None
        if found is None
        else {"threshold": found.threshold, "trustee_mixes": found.trustee_mixes}
    )
    if not encrypted:
        if found is not None:
            _ceremony_started(found)
            for trustee in trustees_of(session, funding_round):
                session.delete(trustee)
            session.delete(found)
        after = None
    else:
        n = len(trustees_of(session, funding_round))
        if trustee_mixes < 0 or trustee_mixes > MAX_TRUSTEES:
            raise DomainError(
                N_("Trustee mixes must be a number from 0 to %(most)s."),
                "trustee_mixes",
                most=MAX_TRUSTEES,
            )
        if threshold is None or threshold < 2 or threshold > MAX_TRUSTEES:
            raise DomainError(
                N_(
                    "The number of trustees needed to decrypt must be from 2 to %(most)s: "
                    "with 1, a single trustee could read every ballot."
                ),
                "threshold",
                most=MAX_TRUSTEES,
            )
        if n and threshold > n:
            raise DomainError(
                Nn_(
                    "The round has %(num)s trustee, so no more than %(num)s can be needed to "
                    "decrypt.",
                    "The round has %(num)s trustees, so no more than %(num)s can be needed to "
                    "decrypt.",
                    n,
                ),
                "threshold",
            )
        if found is None:
            found = RoundSecrecy(
                round_id=funding_round.id, threshold=threshold, trustee_mixes=trustee_mixes
            )
            session.add(found)
        else:
            if (found.threshold, found.trustee_mixes) != (threshold, trustee_mixes):
                _ceremony_started(found)
            found.threshold, found.trustee_mixes = threshold, trustee_mixes
        after = {"threshold": threshold, "trustee_mixes": trustee_mixes}
    session.flush()
    audit.record(
        session,
        action="secrecy.configured",
        actor=actor,
        round=funding_round,
        subject=funding_round,
        before={"encrypted": found is not None and before is not None, **(before or {})},
        after={"encrypted": encrypted, **(after or {})},
    )


def add_trustee(
    session: Session, funding_round: FundingRound, *, name: str, actor: User
) -> tuple[RoundTrustee, str]:
    """Adds a trustee; returns them and their page link's token, shown to the officer once."""
    _before_voting(session, funding_round, actor, "secrecy.trustee_added", N_("The trustees"))
    found = _require_encrypted(session, funding_round)
    _ceremony_started(found)
    name = " ".join(name.split())
    if not name:
        raise DomainError(N_("Enter the trustee's name."), "name")
    if len(name) > 120:
        raise DomainError(N_("The trustee's name must be 120 characters or fewer."), "name")
    existing = trustees_of(session, funding_round)
    if len(existing) >= MAX_TRUSTEES:
        raise DomainError(
            N_("A round can have at most %(most)s trustees."), "name", most=MAX_TRUSTEES
        )
    if any(t.name.casefold() == name.casefold() for t in existing):
        raise DomainError(N_("%(name)s is already a trustee of this round."), "name", name=name)
    token = secrets.token_urlsafe(24)
    trustee = RoundTrustee(
        round_id=funding_round.id,
        position=len(existing) + 1,
        name=name,
        token_hash=_token_hash(token),
    )
    session.add(trustee)
    session.flush()
    audit.record(
        session,
        action="secrecy.trustee_added",
        actor=actor,
        round=funding_round,
        subject=trustee,
        after={"name": name, "position": trustee.position},
    )
    return trustee, token


def remove_trustee(
    session: Session, funding_round: FundingRound, trustee_id: int, *, actor: User
) -> None:
    _before_voting(session, funding_round, actor, "secrecy.trustee_removed", N_("The trustees"))
    found = _require_encrypted(session, funding_round)
    _ceremony_started(found)
    trustees = trustees_of(session, funding_round)
    gone = next((t for t in trustees if t.id == trustee_id), None)
    if gone is None:
        raise DomainError(N_("That trustee is not one of this round's."))
    session.delete(gone)
    session.flush()
    # Positions stay 1..n: they are the trustees' numbers in the key.
    for position, trustee in enumerate((t for t in trustees if t.id != trustee_id), start=1):
        if trustee.position != position:
            trustee.position = position
            session.flush()
    if found.threshold > max(2, len(trustees) - 1):
        found.threshold = max(2, len(trustees) - 1)
    audit.record(
        session,
        action="secrecy.trustee_removed",
        actor=actor,
        round=funding_round,
        subject=funding_round,
        before={"name": gone.name, "position": gone.position},
    )


def renew_link(
    session: Session, funding_round: FundingRound, trustee_id: int, *, actor: User
) -> str:
    """A new page link for a trustee (the old one stops working); returns its token."""
    lock_round(session, funding_round)
    trustee = next((t for t in trustees_of(session, funding_round) if t.id == trustee_id), None)
    if trustee is None:
        raise DomainError(N_("That trustee is not one of this round's."))
    token = secrets.token_urlsafe(24)
    trustee.token_hash = _token_hash(token)
    session.flush()
    audit.record(
        session,
        action="secrecy.trustee_link_renewed",
        actor=actor,
        round=funding_round,
        subject=trustee,
        after={"name": trustee.name},
    )
    return token


def record_lost(
    session: Session, funding_round: FundingRound, trustee_id: int, *, lost: bool, actor: User
) -> None:
    """Record that a trustee has lost their key file or its passphrase (or found it again).
    The round's page then says whether enough trustees are left to decrypt the count."""
    lock_round(session, funding_round)
    _require_encrypted(session, funding_round)
    trustee = next((t for t in trustees_of(session, funding_round) if t.id == trustee_id), None)
    if trustee is None:
        raise DomainError(N_("That trustee is not one of this round's."))
    if lost == (trustee.lost_at is not None):
        return
    trustee.lost_at = utcnow() if lost else None
    session.flush()
    audit.record(
        session,
        action="secrecy.trustee_lost_key" if lost else "secrecy.trustee_found_key",
        actor=actor,
        round=funding_round,
        subject=trustee,
        after={"name": trustee.name, "position": trustee.position},
    )


# --- The key ceremony ------------------------------------------------------------------------


# Why an uploaded file cannot be read, by what it should have been.
NOT_JSON = {
    "registration": N_("That file is not a trustee registration: it is not JSON."),
    "key part": N_("That file is not a part of the key: it is not JSON."),
    "key check": N_("That file is not a check of the key: it is not JSON."),
    "held": N_("That file is not a proof that your share is still held: it is not JSON."),
    "mix": N_("That file is not a mix: it is not JSON."),
    "decryption": N_("That file is not a decryption: it is not JSON."),
}


def _load(text: str | bytes, what: str) -> Any:
    """The uploaded JSON document; ``what`` names it (a key of ``NOT_JSON``)."""
    try:
        return json.loads(text)
    except (ValueError, UnicodeDecodeError):
        raise DomainError(NOT_JSON[what], "file") from None


def register(session: Session, trustee: RoundTrustee, upload: str | bytes) -> None:
    """The trustee's registration file (``votes trustee register``): their transport key."""
    funding_round = session.get(FundingRound, trustee.round_id)
    _before_voting(session, funding_round, None, "secrecy.trustee_registered", N_("The trustees"))
    found = _require_encrypted(session, funding_round)
    _ceremony_started(found)
    document = _load(upload, "registration")
    if not isinstance(document, dict) or document.get("format") != REGISTRATION:
        raise DomainError(
            N_("That file is not a trustee registration from `votes trustee register`."), "file"
        )
    key = document.get("transport_key")
    try:
        if not isinstance(key, str) or len(bytes.fromhex(key)) != 32:
            raise ValueError
    except ValueError:
        raise DomainError(
            N_("The registration's transport key must be 64 hexadecimal digits."), "file"
        ) from None
    others = [t for t in trustees_of(session, funding_round) if t.id != trustee.id]
    if any(t.transport_key == key for t in others):
        raise DomainError(
            N_("Another trustee has registered that same key file: each needs their own."), "file"
        )
    trustee.transport_key = key
    session.flush()
    audit.record(
        session,
        action="secrecy.trustee_registered",
        actor=None,
        round=funding_round,
        subject=trustee,
        after={"name": trustee.name, "transport_key": key},
    )


def _round_label(funding_round: FundingRound) -> str:
    return f"{funding_round.council.slug}/{funding_round.slug} (round {funding_round.id})"


def start_ceremony(session: Session, funding_round: FundingRound, *, actor: User) -> None:
    """Freezes the trustees, their keys and t into the ceremony every key part is bound to."""
    _before_voting(session, funding_round, actor, "secrecy.ceremony_started", N_("The round's key"))
    found = _require_encrypted(session, funding_round)
    _ceremony_started(found)
    trustees = trustees_of(session, funding_round)
    if len(trustees) < 2:
        raise DomainError(N_("A round needs at least 2 trustees before its key can be made."))
    waiting = [t.name for t in trustees if t.transport_key is None]
    if waiting:
        raise DomainError(
            N_("Every trustee must register first; waiting for %(names)s."),
            names=Joined(waiting),
        )
    if found.threshold > len(trustees):
        raise DomainError(
            N_("The round has %(trustees)s trustees: fewer than the %(needed)s needed to decrypt."),
            trustees=len(trustees),
            needed=found.threshold,
        )
    ceremony = keys.make_ceremony(
        _round_label(funding_round),
        found.threshold,
        [{"name": t.name, "transport_key": t.transport_key} for t in trustees],
    )
    found.ceremony = canonical_json(ceremony)
    session.flush()
    audit.record(
        session,
        action="secrecy.ceremony_started",
        actor=actor,
        round=funding_round,
        subject=funding_round,
        after={
            "ceremony": keys.ceremony_hash(ceremony),
            "threshold": found.threshold,
            "trustees": len(trustees),
        },
    )


def restart_key(
    session: Session, funding_round: FundingRound, *, actor: User | None, reason: str
) -> None:
    """Starts the key again: the ceremony, the parts and the acceptances go; registrations stay."""
    _before_voting(session, funding_round, actor, "secrecy.key_restarted", N_("The round's key"))
    found = _require_encrypted(session, funding_round)
    session.execute(
        update(RoundTrustee)
        .where(RoundTrustee.round_id == funding_round.id)
        .values(key_part=None, key_check=None, held_challenge=None, held_at=None)
        .execution_options(synchronize_session=False)
    )
    found.ceremony = None
    found.key_document = None
    session.flush()
    session.expire_all()
    audit.record(
        session,
        action="secrecy.key_restarted",
        actor=actor,
        round=funding_round,
        subject=funding_round,
        after={"reason": reason},
    )


def ceremony(found: RoundSecrecy) -> dict[str, Any]:
    if found.ceremony is None:
        raise DomainError(N_("Making the round's key has not started yet."))
    return json.loads(found.ceremony)


def upload_key_part(session: Session, trustee: RoundTrustee, upload: str | bytes) -> None:
    """The trustee's part of the key (``votes trustee keygen``), checked before it is kept."""
    funding_round = session.get(FundingRound, trustee.round_id)
    _before_voting(session, funding_round, None, "secrecy.key_part_uploaded", N_("The round's key"))
    found = _require_encrypted(session, funding_round)
    described = ceremony(found)
    if trustee.key_part is not None:
        raise Conflict(N_("Your part of the key is already in."))
    document = _load(upload, "key part")
    problem = keys.keygen_problem(described, document)
    if problem:
        raise DomainError(
            N_("That part of the key cannot be used: %(problem)s."), "file", problem=problem
        )
    if document["trustee"] != trustee.position:
        raise DomainError(
            N_("That part was made by trustee %(other)s's key file; you are trustee %(you)s."),
            "file",
            other=document["trustee"],
            you=trustee.position,
        )
    trustee.key_part = canonical_json(document)
    session.flush()
    audit.record(
        session,
        action="secrecy.key_part_uploaded",
        actor=None,
        round=funding_round,
        subject=trustee,
        after={"name": trustee.name, "position": trustee.position},
    )


def key_parts(session: Session, funding_round: FundingRound) -> list[dict[str, Any]]:
    """Every trustee's part of the key, for each to check (``votes trustee check``)."""
    trustees = trustees_of(session, funding_round)
    waiting = [t.name for t in trustees if t.key_part is None]
    if waiting:
        raise DomainError(
            N_("Waiting for the part of the key of %(names)s."), names=Joined(waiting)
        )
    return [json.loads(t.key_part) for t in trustees]


def upload_key_check(session: Session, trustee: RoundTrustee, upload: str | bytes) -> str:
    """The trustee's acceptance of the key, or their complaint about another's share.

    Returns "accepted", "key made" (the last acceptance), or "restarted" (a complaint the
    files uphold or cannot settle: the key is started again and the officer is told)."""
    funding_round = session.get(FundingRound, trustee.round_id)
    _before_voting(session, funding_round, None, "secrecy.key_accepted", N_("The round's key"))
    found = _require_encrypted(session, funding_round)
    described = ceremony(found)
    parts = key_parts(session, funding_round)
    if trustee.key_check is not None:
        raise Conflict(N_("Your check of the key is already in."))
    document = _load(upload, "key check")
    if not isinstance(document, dict) or document.get("trustee") != trustee.position:
        raise DomainError(
            N_("That file is not trustee %(you)s's check of this round's key."),
            "file",
            you=trustee.position,
        )
    if "complaint" in document:
        if document.get("ceremony") != keys.ceremony_hash(described):
            raise DomainError(N_("That complaint is about another round's key."), "file")
        verdict = keys.judge_complaint(described, parts, document)
        against = document["complaint"].get("against")
        if verdict == "rejected":
            raise DomainError(
                N_(
                    "The share from trustee %(other)s opens and is correct, so the complaint "
                    "does not hold. Check you used your own key file."
                ),
                "file",
                other=against,
            )
        audit.record(
            session,
            action="secrecy.complaint",
            actor=None,
            round=funding_round,
            subject=trustee,
            after={"by": trustee.position, "against": against, "verdict": verdict},
        )
        restart_key(
            session,
            funding_round,
            actor=None,
            reason=(
                f"trustee {trustee.position} complained about trustee {against}'s share ({verdict})"
            ),
        )
        return "restarted"
    try:
        problem = keys.check_problem(described, parts, document)
    except SecrecyError as error:
        problem = str(error)
    if problem:
        raise DomainError(N_("That check cannot be used: %(problem)s."), "file", problem=problem)
    trustee.key_check = canonical_json(document)
    session.flush()
    audit.record(
        session,
        action="secrecy.key_accepted",
        actor=None,
        round=funding_round,
        subject=trustee,
        after={"name": trustee.name, "verification_key": document["verification_key"]},
    )
    trustees = trustees_of(session, funding_round)
    if any(t.key_check is None for t in trustees):
        return "accepted"
    document = keys.key_document(described, parts, [json.loads(t.key_check) for t in trustees])
    found.key_document = canonical_json(document)
    session.flush()
    audit.record(
        session,
        action="secrecy.key_made",
        actor=None,
        round=funding_round,
        subject=funding_round,
        after={"public_key": document["public_key"], "ceremony": document["ceremony_hash"]},
    )
    return "key made"


def still_held_challenge(session: Session, trustee: RoundTrustee) -> dict[str, Any]:
    """A fresh challenge for the trustee to prove their share is still held."""
    found = session.get(RoundSecrecy, trustee.round_id)
    if found is None or found.key_document is None:
        raise DomainError(N_("The round's key has not been made yet."))
    trustee.held_challenge = secrets.token_hex(16)
    session.flush()
    return {
        "format": "devolve-still-held-challenge/v1",
        "ceremony": json.loads(found.key_document)["ceremony_hash"],
        "challenge": trustee.held_challenge,
    }


def prove_still_held(
    session: Session, trustee: RoundTrustee, upload: str | bytes, *, now: datetime
) -> None:
    found = session.get(RoundSecrecy, trustee.round_id)
    if found is None or found.key_document is None:
        raise DomainError(N_("The round's key has not been made yet."))
    if trustee.held_challenge is None:
        raise DomainError(N_("Download a challenge first: each proof answers a fresh one."), "file")
    document = _load(upload, "held")
    key_document = json.loads(found.key_document)
    _, verification_keys, _ = keys.read_key_document(key_document)
    if not keys.held_ok(
        document,
        key_document["ceremony_hash"],
        trustee.held_challenge,
        verification_keys[trustee.position],
        trustee.position,
    ):
        raise DomainError(
            N_(
                "That proof does not answer your latest challenge with your share of this "
                "round's key."
            ),
            "file",
        )
    trustee.held_challenge = None
    trustee.held_at = now
    session.flush()
    funding_round = session.get(FundingRound, trustee.round_id)
    audit.record(
        session,
        action="secrecy.share_held",
        actor=None,
        round=funding_round,
        subject=trustee,
        after={"name": trustee.name},
    )


# --- Voting and the manifest -------------------------------------------------------------------


def opening_problems(session: Session, funding_round: FundingRound) -> list[Text]:
    """Why voting cannot open yet for the round's encryption (empty when it can)."""
    found = secrecy_of(session, funding_round)
    if found is None:
        return []
    if found.key_document is None:
        return [
            Text(N_("The round's ballots are encrypted and its trustees have not made its key yet"))
        ]
    current = status(session, funding_round)
    if current is not None and current.cannot_decrypt:
        return [
            Text(
                N_(
                    "Only %(holding)s of the trustees still hold their share of the key and "
                    "%(needed)s are needed to decrypt: start the key again with trustees who can "
                    "keep their key files"
                ),
                holding=current.still_holding,
                needed=current.threshold,
            )
        ]
    return []


def manifest_secrecy(session: Session, funding_round: FundingRound) -> dict[str, Any] | None:
    """What the manifest freezes about encryption: the key document and the mixes required."""
    found = secrecy_of(session, funding_round)
    if found is None or found.key_document is None:
        return None
    return {
        "version": found.version,
        "trustee_mixes": found.trustee_mixes,
        "key": json.loads(found.key_document),
    }


# --- After the close ---------------------------------------------------------------------------


def _paper(funding_round: FundingRound) -> BallotPaper | None:
    if not funding_round.manifest_json:
        return None
    paper = ballot_paper(funding_round.manifest_json)
    return paper if paper.secrecy is not None else None


def is_encrypted(funding_round: FundingRound) -> bool:
    return _paper(funding_round) is not None


# Above this many ballots in a round, the closing request leaves the server's shuffle to the
# scheduler (`flask advance-phases`, every few minutes), so no web request runs for minutes.
INLINE_MIX_BALLOTS = 20_000


def at_close(
    session: Session,
    funding_round: FundingRound,
    *,
    workers: int = 1,
    whatever_the_size: bool = False,
) -> bool:
    """The server's shuffle of every pot, in the closing transaction; for a round of more
    than ``INLINE_MIX_BALLOTS`` ballots nothing yet, unless ``whatever_the_size``
    (``mix_pending`` does it). Returns whether the pots were shuffled."""
    paper = _paper(funding_round)
    if paper is None:
        return False
    if not whatever_the_size:
        ballots = sum(box_secrecy.pot_secrecy(session, paper, pot).ballots for pot in paper.pots)
        if ballots > INLINE_MIX_BALLOTS:
            return False
    for pot in paper.pots:
        if box_secrecy.pot_secrecy(session, paper, pot).mixes:
            continue  # shuffled already (by another host's scheduler, say)
        if box_secrecy.server_mix(session, paper, pot, workers=workers) is not None:
            audit.record(
                session,
                action="secrecy.mixed",
                actor=None,
                round=funding_round,
                subject=funding_round,
                after={"pot": pot.name, "mix": 1, "by": box_secrecy.SERVER},
            )
    return True


def mix_pending(session: Session, *, workers: int = 1) -> list[FundingRound]:
    """The server's shuffle of every closed encrypted round that is waiting for it (the ones
    too large to shuffle in the closing request). Returns the rounds shuffled."""
    done = []
    closed = session.scalars(
        select(FundingRound)
        .join(RoundSecrecy, RoundSecrecy.round_id == FundingRound.id)
        .where(FundingRound.phase == Phase.CLOSED)
    ).all()
    for funding_round in closed:
        paper = _paper(funding_round)
        if paper is None:
            continue
        waiting = [
            pot
            for pot in paper.pots
            if (s := box_secrecy.pot_secrecy(session, paper, pot)).ballots and not s.mixes
        ]
        if waiting:
            lock_round(session, funding_round)
            at_close(session, funding_round, workers=workers, whatever_the_size=True)
            session.commit()
            done.append(funding_round)
    return done


def _closed_paper(session: Session, funding_round: FundingRound) -> BallotPaper:
    paper = _paper(funding_round)
    if paper is None:
        raise DomainError(N_("This round's ballots are not encrypted."))
    if funding_round.phase not in (Phase.CLOSED,):
        raise WrongPhase(
            N_(
                "The ballots are shuffled and decrypted after voting closes, before results are "
                "published."
            )
        )
    return paper


def _pot(paper: BallotPaper, pot_id: int) -> PotPaper:
    pot = paper.pot(pot_id)
    if pot is None:
        raise DomainError(N_("That pot is not part of this round."))
    return pot


def decrypted(session: Session, funding_round: FundingRound) -> bool:
    """Every pot of an encrypted round decrypted (True for a plain round)."""
    paper = _paper(funding_round)
    if paper is None:
        return True
    return all(box_secrecy.pot_secrecy(session, paper, pot).decrypted for pot in paper.pots)


def mix_task(session: Session, funding_round: FundingRound, pot_id: int) -> dict[str, Any]:
    paper = _closed_paper(session, funding_round)
    return box_secrecy.mix_task(session, paper, _pot(paper, pot_id))


def upload_mix(session: Session, trustee: RoundTrustee, pot_id: int, upload: str | bytes) -> None:
    funding_round = session.get(FundingRound, trustee.round_id)
    lock_round(session, funding_round)
    paper = _closed_paper(session, funding_round)
    pot = _pot(paper, pot_id)
    mix = box_secrecy.add_mix(
        session,
        paper,
        pot,
        _load(upload, "mix"),
        mixed_by=f"trustee {trustee.position} ({trustee.name})",
    )
    audit.record(
        session,
        action="secrecy.mixed",
        actor=None,
        round=funding_round,
        subject=trustee,
        after={"pot": pot.name, "mix": mix.number, "by": mix.mixed_by},
    )


def decryption_task(session: Session, funding_round: FundingRound, pot_id: int) -> dict[str, Any]:
    paper = _closed_paper(session, funding_round)
    return box_secrecy.decryption_task(session, paper, _pot(paper, pot_id))


def upload_decryption(
    session: Session, trustee: RoundTrustee, pot_id: int, upload: str | bytes, *, now: datetime
) -> bool:
    """Checks and keeps the trustee's partial decryption of a pot; the one that completes the
    round's last pot counts the round. Returns whether the pot is now decrypted."""
    funding_round = session.get(FundingRound, trustee.round_id)
    lock_round(session, funding_round)
    paper = _closed_paper(session, funding_round)
    pot = _pot(paper, pot_id)
    done = box_secrecy.add_decryption(
        session, paper, pot, _load(upload, "decryption"), trustee=trustee.position
    )
    audit.record(
        session,
        action="secrecy.decrypted",
        actor=None,
        round=funding_round,
        subject=trustee,
        after={"pot": pot.name, "trustee": trustee.position},
    )
    if done:
        audit.record(
            session,
            action="secrecy.pot_decrypted",
            actor=None,
            round=funding_round,
            subject=funding_round,
            after={"pot": pot.name},
        )
        if decrypted(session, funding_round):
            from app.workflow import results

            results.tally_round(session, funding_round, now)
    return done


# --- Where things stand, for the pages ------------------------------------------------------------


class Stage:
    TRUSTEES = "trustees"  # adding trustees, waiting for registrations
    KEY_PARTS = "key parts"  # the ceremony has started: waiting for parts
    KEY_CHECKS = "key checks"  # every part in: waiting for acceptances
    READY = "ready"  # the key is made


@dataclass(frozen=True)
class TrusteeView:
    id: int
    position: int
    name: str
    registered: bool
    key_part: bool
    accepted: bool
    held_at: datetime | None
    lost_at: datetime | None


@dataclass(frozen=True)
class Status:
    threshold: int
    trustee_mixes: int
    stage: str
    trustees: tuple[TrusteeView, ...]
    public_key: str | None

    @property
    def still_holding(self) -> int:
        """Trustees who accepted the key and have not been recorded as having lost it."""
        return sum(1 for t in self.trustees if t.accepted and t.lost_at is None)

    @property
    def cannot_decrypt(self) -> bool:
        """Too many key files lost: fewer trustees hold a share than are needed."""
        return self.stage == Stage.READY and self.still_holding < self.threshold

    @property
    def one_loss_from_failure(self) -> bool:
        """Exactly as many trustees hold a share as are needed: one more lost key file and the
        ballots can never be decrypted."""
        return self.stage == Stage.READY and self.still_holding == self.threshold

    @property
    def losses_allowed(self) -> int:
        """How many more key files can be lost with the count still decryptable."""
        return max(0, self.still_holding - self.threshold)


def status(session: Session, funding_round: FundingRound) -> Status | None:
    found = secrecy_of(session, funding_round)
    if found is None:
        return None
    trustees = trustees_of(session, funding_round)
    if found.key_document is not None:
        stage = Stage.READY
    elif found.ceremony is None:
        stage = Stage.TRUSTEES
    elif any(t.key_part is None for t in trustees):
        stage = Stage.KEY_PARTS
    else:
        stage = Stage.KEY_CHECKS
    views = tuple(
        TrusteeView(
            id=t.id,
            position=t.position,
            name=t.name,
            registered=t.transport_key is not None,
            key_part=t.key_part is not None,
            accepted=t.key_check is not None,
            held_at=t.held_at,
            lost_at=t.lost_at,
        )
        for t in trustees
    )
    public_key = json.loads(found.key_document)["public_key"] if found.key_document else None
    return Status(
        threshold=found.threshold,
        trustee_mixes=found.trustee_mixes,
        stage=stage,
        trustees=views,
        public_key=public_key,
    )


def pot_statuses(
    session: Session, funding_round: FundingRound
) -> list[tuple[PotPaper, box_secrecy.PotSecrecy]]:
    paper = _paper(funding_round)
    if paper is None:
        return []
    return [(pot, box_secrecy.pot_secrecy(session, paper, pot)) for pot in paper.pots]


def pots_waiting(session: Session, funding_round: FundingRound) -> Sequence[str]:
    return [pot.name for pot, s in pot_statuses(session, funding_round) if not s.decrypted]
