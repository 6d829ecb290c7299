"""An encrypted round's box after the close: the shuffles, the trustees' partial decryptions
and the decrypted ballots (docs/secrecy.md).

At the close each pot's counted ciphertexts, in log order, are shuffled once by the server
(:func:`server_mix`; its permutation and randomness are never stored). The trustees may add
mixes of their own (:func:`add_mix`), as many as the round requires. Then at least t trustees
each upload a partial decryption of the last mix (:func:`add_decryption`); the one that brings
the count to t decrypts the pot, storing its ballots in the last mix's order
(``decrypted_ballots``). Every uploaded file is checked here, proof and all, before anything is
stored; a file that does not prove what it must is refused with the reason.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from ballots.box import _counted, _require_closed, election_from_contents, encode_ballot
from ballots.errors import NotDecrypted, SecrecyFileRefused, WrongStep
from ballots.models import (
    BallotDecryption,
    BallotMix,
    DecryptedBallot,
    LogEntry,
    LogKind,
    StoredBallot,
)
from ballots.paper import BallotPaper, PotPaper
from ballots.refusals import N_
from votes.ballot import validate_ballot
from votes.model import Election
from votes.secrecy import bundle, encoding
from votes.secrecy.decryption import combine, share_problem
from votes.secrecy.elgamal import Ciphertext, Context
from votes.secrecy.group import SecrecyError
from votes.secrecy.shuffle import shuffle, shuffle_problem

__all__ = [
    "PotSecrecy",
    "add_decryption",
    "add_mix",
    "ciphertexts",
    "decryption_task",
    "decrypted_election",
    "mix_task",
    "pot_secrecy",
    "server_mix",
]

SERVER = "the server"


def context(paper: BallotPaper, pot: PotPaper) -> Context:
    return Context(paper.manifest_hash, str(pot.id))


def _width(paper: BallotPaper, pot: PotPaper) -> int:
    return encoding.width(paper.rules, len(pot.projects))


def _secret(paper: BallotPaper):
    if paper.secrecy is None:
        raise WrongStep(N_("This round's ballots are not encrypted."))
    return paper.secrecy


def ciphertexts(
    session: Session, paper: BallotPaper, pot: PotPaper
) -> list[tuple[str, Ciphertext]]:
    """The pot's counted ciphertexts (superseded ones left out), in log order."""
    logged = aliased(LogEntry)
    rows = session.execute(
        select(StoredBallot.id, StoredBallot.content)
        .join(logged, (logged.ballot_id == StoredBallot.id) & (logged.kind == LogKind.BALLOT))
        .where(_counted(paper.round_id, pot.id))
        .order_by(logged.sequence)
    )
    width = _width(paper, pot)
    return [
        (ballot_id, Ciphertext.from_json(json.loads(content), f"ballot {ballot_id}", width=width))
        for ballot_id, content in rows
    ]


def _mixes(session: Session, paper: BallotPaper, pot: PotPaper) -> list[BallotMix]:
    return list(
        session.scalars(
            select(BallotMix)
            .where(BallotMix.round_id == paper.round_id, BallotMix.pot_id == pot.id)
            .order_by(BallotMix.number)
        )
    )


def _decryptions(session: Session, paper: BallotPaper, pot: PotPaper) -> list[BallotDecryption]:
    return list(
        session.scalars(
            select(BallotDecryption)
            .where(BallotDecryption.round_id == paper.round_id, BallotDecryption.pot_id == pot.id)
            .order_by(BallotDecryption.trustee)
        )
    )


def _decrypted(session: Session, paper: BallotPaper, pot: PotPaper) -> bool:
    """Whether the pot's decrypted ballots are stored (they are stored all at once)."""
    found = session.scalar(
        select(DecryptedBallot.position)
        .where(DecryptedBallot.round_id == paper.round_id, DecryptedBallot.pot_id == pot.id)
        .limit(1)
    )
    return found is not None


def _last(
    session: Session, paper: BallotPaper, pot: PotPaper, mixes: list[BallotMix], workers: int
):
    """The last mix's outputs (parsed and checked), or the ciphertexts when nothing is mixed."""
    width = _width(paper, pot)
    if not mixes:
        return [c.pairs for _, c in ciphertexts(session, paper, pot)]
    outputs, _ = bundle.read_mix_result(
        json.loads(mixes[-1].document),
        context(paper, pot),
        mixes[-1].number,
        width=width,
        workers=workers,
    )
    return outputs


@dataclass(frozen=True)
class PotSecrecy:
    """Where a closed encrypted pot's count stands."""

    ballots: int  # counted ciphertexts
    mixes: tuple[str, ...]  # who made each mix, in order
    mixes_needed: int  # the server's and the trustee mixes the round requires
    decrypted_by: tuple[int, ...]  # trustees whose partial decryption is in
    threshold: int
    decrypted: bool

    @property
    def mixing(self) -> bool:
        return self.ballots > 0 and len(self.mixes) < self.mixes_needed

    @property
    def decrypting(self) -> bool:
        return self.ballots > 0 and not self.mixing and not self.decrypted


def pot_secrecy(session: Session, paper: BallotPaper, pot: PotPaper) -> PotSecrecy:
    secrecy = _secret(paper)
    ballots = session.scalar(
        select(func.count()).select_from(StoredBallot).where(_counted(paper.round_id, pot.id))
    )
    # Names and numbers only: a large pot's mix and decryption documents are tens of MB.
    mixes = session.scalars(
        select(BallotMix.mixed_by)
        .where(BallotMix.round_id == paper.round_id, BallotMix.pot_id == pot.id)
        .order_by(BallotMix.number)
    )
    decrypted_by = session.scalars(
        select(BallotDecryption.trustee)
        .where(BallotDecryption.round_id == paper.round_id, BallotDecryption.pot_id == pot.id)
        .order_by(BallotDecryption.trustee)
    )
    return PotSecrecy(
        ballots=ballots or 0,
        mixes=tuple(mixes),
        mixes_needed=1 + secrecy.trustee_mixes,
        decrypted_by=tuple(decrypted_by),
        threshold=secrecy.threshold,
        decrypted=(ballots or 0) == 0 or _decrypted(session, paper, pot),
    )


def server_mix(
    session: Session, paper: BallotPaper, pot: PotPaper, *, workers: int = 1
) -> BallotMix | None:
    """The server's shuffle of a closed pot (mix 1), made once; None for a pot with no
    ballots. The permutation and the re-encryption randomness exist only in this call."""
    _secret(paper)
    _require_closed(session, paper.round_id)
    mixes = _mixes(session, paper, pot)
    if mixes:
        return mixes[0]
    inputs = [c.pairs for _, c in ciphertexts(session, paper, pot)]
    if not inputs:
        return None
    ctx = context(paper, pot)
    outputs, proof = shuffle(inputs, paper.secrecy.key, ctx, 1, workers=workers)
    return _store_mix(session, paper, pot, 1, SERVER, bundle.mix_result(ctx, 1, outputs, proof))


def _store_mix(session, paper, pot, number: int, mixed_by: str, document: dict) -> BallotMix:
    mix = BallotMix(
        round_id=paper.round_id,
        pot_id=pot.id,
        number=number,
        mixed_by=mixed_by,
        document=json.dumps(document),
    )
    session.add(mix)
    session.flush()
    return mix


def _mixes_so_far(session: Session, paper: BallotPaper, pot: PotPaper) -> list[BallotMix]:
    """The pot's mixes, when a trustee's mix is what comes next (else ``WrongStep``)."""
    if not pot_secrecy(session, paper, pot).mixing:
        raise WrongStep(N_("No more mixes are needed for %(pot)s."), pot=pot.name)
    mixes = _mixes(session, paper, pot)
    if not mixes:
        raise WrongStep(
            N_(
                "The server has not shuffled %(pot)s yet: a large round is shuffled by the "
                "scheduler within minutes of the close. Try again shortly."
            ),
            pot=pot.name,
        )
    return mixes


def _decrypting(session: Session, paper: BallotPaper, pot: PotPaper) -> PotSecrecy:
    """Where the pot stands, when decryptions are what comes next (else ``WrongStep``)."""
    status = pot_secrecy(session, paper, pot)
    if not status.decrypting:
        if status.mixing:
            raise WrongStep(
                N_("%(pot)s still needs its mixes before it can be decrypted."), pot=pot.name
            )
        raise WrongStep(N_("%(pot)s needs no more decryptions."), pot=pot.name)
    return status


def mix_task(session: Session, paper: BallotPaper, pot: PotPaper) -> dict[str, Any]:
    """The file a trustee mixes: the last mix's outputs and the next mix's number."""
    secrecy = _secret(paper)
    mixes = _mixes_so_far(session, paper, pot)
    # The last mix's outputs as stored: they were checked, point by point, when stored.
    rows = json.loads(mixes[-1].document)["outputs"]
    return bundle.mix_task_from_rows(context(paper, pot), secrecy.key, len(mixes) + 1, rows)


def add_mix(
    session: Session,
    paper: BallotPaper,
    pot: PotPaper,
    document: Any,
    *,
    mixed_by: str,
    workers: int = 1,
) -> BallotMix:
    """Checks a trustee's mix against the last one, proof and all, and stores it."""
    secrecy = _secret(paper)
    _require_closed(session, paper.round_id)
    mixes = _mixes_so_far(session, paper, pot)
    number = len(mixes) + 1
    ctx = context(paper, pot)
    inputs = _last(session, paper, pot, mixes, workers)
    try:
        outputs, proof = bundle.read_mix_result(
            document, ctx, number, width=_width(paper, pot), workers=workers
        )
    except SecrecyError as error:
        raise SecrecyFileRefused(
            N_("That mix cannot be used: %(problem)s."), problem=str(error)
        ) from None
    problem = shuffle_problem(inputs, outputs, proof, secrecy.key, ctx, number, workers=workers)
    if problem:
        raise SecrecyFileRefused(N_("That mix cannot be used: %(problem)s."), problem=problem)
    return _store_mix(
        session, paper, pot, number, mixed_by, bundle.mix_result(ctx, number, outputs, proof)
    )


def decryption_task(session: Session, paper: BallotPaper, pot: PotPaper) -> dict[str, Any]:
    """The file trustees decrypt: the last mix's outputs."""
    secrecy = _secret(paper)
    _decrypting(session, paper, pot)
    # The last mix's outputs as stored: they were checked, point by point, when stored.
    rows = json.loads(_mixes(session, paper, pot)[-1].document)["outputs"]
    return bundle.decryption_task_from_rows(secrecy.ceremony_hash, context(paper, pot), rows)


def add_decryption(
    session: Session,
    paper: BallotPaper,
    pot: PotPaper,
    document: Any,
    *,
    trustee: int,
    workers: int = 1,
) -> bool:
    """Checks trustee ``trustee``'s partial decryption of the last mix and stores it. When it
    is the t-th, decrypts the pot and stores its ballots. Returns whether the pot is decrypted."""
    secrecy = _secret(paper)
    _require_closed(session, paper.round_id)
    status = _decrypting(session, paper, pot)
    if trustee in status.decrypted_by:
        raise WrongStep(N_("Your decryption of %(pot)s is already in."), pot=pot.name)
    verification_key = secrecy.verification_key(trustee)
    if verification_key is None:
        raise SecrecyFileRefused(N_("You are not one of this round's trustees."))
    mixes = _mixes(session, paper, pot)
    vectors = _last(session, paper, pot, mixes, workers)
    ctx = context(paper, pot)
    width = _width(paper, pot)
    try:
        who, shares = bundle.read_decryption_result(
            document, secrecy.ceremony_hash, ctx, width=width
        )
    except SecrecyError as error:
        raise SecrecyFileRefused(
            N_("That decryption cannot be used: %(problem)s."), problem=str(error)
        ) from None
    if who != trustee:
        raise SecrecyFileRefused(
            N_("That decryption was made with trustee %(trustee)s's key file, not yours."),
            trustee=who,
        )
    problem = share_problem(vectors, shares, verification_key, trustee, ctx, workers=workers)
    if problem:
        raise SecrecyFileRefused(
            N_("That decryption cannot be used: %(problem)s."), problem=problem
        )
    session.add(
        BallotDecryption(
            round_id=paper.round_id,
            pot_id=pot.id,
            trustee=trustee,
            document=json.dumps(
                bundle.decryption_result(secrecy.ceremony_hash, ctx, trustee, shares)
            ),
        )
    )
    session.flush()
    done = _decryptions(session, paper, pot)
    if len(done) < secrecy.threshold:
        return False
    chosen = {}
    for d in done[: secrecy.threshold]:
        if d.trustee == trustee:  # parsed and checked above
            chosen[d.trustee] = shares
            continue
        _, parsed = bundle.read_decryption_result(
            json.loads(d.document), secrecy.ceremony_hash, ctx, width=width
        )
        chosen[d.trustee] = parsed
    ids = [p.id for p in pot.projects]
    rows = []
    for position, points in enumerate(combine(vectors, chosen, workers=workers), start=1):
        try:
            ballot = encoding.from_points(points, paper.rules, ids)
        except SecrecyError as error:
            raise SecrecyFileRefused(
                N_(
                    "Ballot %(position)s of the last mix does not decrypt to a ballot "
                    "(%(problem)s): the stored ciphertexts have been tampered with."
                ),
                position=position,
                problem=str(error),
            ) from None
        problems = validate_ballot(ballot, paper.rules, pot.projects, Fraction(pot.budget_pence))
        if problems:
            raise SecrecyFileRefused(
                N_(
                    "Ballot %(position)s of the last mix decrypts to a ballot the round's rules "
                    "do not allow (%(problem)s): the stored ciphertexts have been tampered with."
                ),
                position=position,
                problem=problems[0].message,
            )
        rows.append(
            {
                "round_id": paper.round_id,
                "pot_id": pot.id,
                "position": position,
                "content": encode_ballot(ballot, paper.kind),
            }
        )
    if rows:
        session.execute(DecryptedBallot.__table__.insert(), rows)
    return True


def decrypted_election(session: Session, paper: BallotPaper, pot: PotPaper) -> Election:
    """The pot's decrypted ballots, in the last mix's order, as a ``votes`` election."""
    status = pot_secrecy(session, paper, pot)
    if not status.decrypted:
        raise NotDecrypted(
            N_("The trustees have not decrypted the ballots of %(pot)s yet."), pot=pot.name
        )
    contents = session.scalars(
        select(DecryptedBallot.content)
        .where(DecryptedBallot.round_id == paper.round_id, DecryptedBallot.pot_id == pot.id)
        .order_by(DecryptedBallot.position)
    )
    return election_from_contents(paper, pot, contents)
