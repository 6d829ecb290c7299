"""ElGamal on the group, vector by vector, and the proof that binds a ballot to its place.

A ciphertext of width w is w pairs (R_k, S_k) = (r_k·B, M_k + r_k·Y). It travels with a
Schnorr proof of knowledge of r_1 ... r_w whose challenge covers the round manifest's hash, the
pot, the ballot id, the public key and the whole ciphertext: copied to another pot, round or
ballot id, the proof fails. The proof is kept in its short form (challenge, responses); the
verifier recomputes the commitments.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from votes.secrecy.group import (
    L,
    SecrecyError,
    Transcript,
    add,
    base,
    mul,
    point_hex,
    random_scalar,
    scalar,
    scalar_hex,
    sub,
)

__all__ = [
    "Ciphertext",
    "Context",
    "ballot_proof_ok",
    "encrypt",
    "reencrypt",
]

Pair = tuple[bytes, bytes]


@dataclass(frozen=True, slots=True)
class Context:
    """What every proof of a pot is bound to: the round manifest's hash and the pot's id."""

    manifest_hash: str
    pot: str

    def into(self, transcript: Transcript) -> Transcript:
        return transcript.text(self.manifest_hash).text(str(self.pot))


@dataclass(frozen=True, slots=True)
class Ciphertext:
    """One ballot's ciphertext: its pairs, and its proof (challenge, responses), or none."""

    pairs: tuple[Pair, ...]
    challenge: int = 0
    responses: tuple[int, ...] = ()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"pairs": [[r.hex(), s.hex()] for r, s in self.pairs]}
        if self.responses:
            out["proof"] = {
                "challenge": scalar_hex(self.challenge),
                "responses": [scalar_hex(z) for z in self.responses],
            }
        return out

    @classmethod
    def from_json(cls, data: Any, where: str, *, width: int | None = None) -> Ciphertext:
        if not isinstance(data, Mapping) or not isinstance(data.get("pairs"), list):
            raise SecrecyError(f"{where}: a ciphertext needs its pairs")
        pairs = data["pairs"]
        if width is not None and len(pairs) != width:
            raise SecrecyError(f"{where}: a ciphertext of this pot has {width} pairs")
        parsed = []
        for k, pair in enumerate(pairs):
            if not isinstance(pair, list) or len(pair) != 2:
                raise SecrecyError(f"{where}, pair {k + 1}: a pair is two points")
            parsed.append(
                (
                    point_hex(pair[0], f"{where}, pair {k + 1}"),
                    point_hex(pair[1], f"{where}, pair {k + 1}"),
                )
            )
        proof = data.get("proof")
        if proof is None:
            return cls(tuple(parsed))
        if not isinstance(proof, Mapping) or not isinstance(proof.get("responses"), list):
            raise SecrecyError(f"{where}: the proof needs a challenge and responses")
        return cls(
            tuple(parsed),
            scalar(proof.get("challenge"), f"{where}, proof"),
            tuple(scalar(z, f"{where}, proof") for z in proof["responses"]),
        )


def _ballot_transcript(
    context: Context, ballot_id: str, key: bytes, pairs: Sequence[Pair]
) -> Transcript:
    t = context.into(Transcript("ballot/v1")).text(ballot_id).absorb(key)
    return t.points(p for pair in pairs for p in pair)


def encrypt(
    message: Sequence[bytes],
    key: bytes,
    context: Context,
    ballot_id: str,
    *,
    random: Callable[[], int] = random_scalar,
) -> Ciphertext:
    """Encrypts the points of one ballot to ``key``, with the proof binding it to its place."""
    rs = [random() for _ in message]
    pairs = tuple((base(r), add(m, mul(r, key))) for m, r in zip(message, rs, strict=True))
    nonces = [random() for _ in message]
    t = _ballot_transcript(context, ballot_id, key, pairs).points(base(a) for a in nonces)
    c = t.challenge()
    return Ciphertext(pairs, c, tuple((a + c * r) % L for a, r in zip(nonces, rs, strict=True)))


def ballot_proof_ok(ciphertext: Ciphertext, key: bytes, context: Context, ballot_id: str) -> bool:
    """Does the ciphertext's proof hold for this key, round, pot and ballot id?"""
    if len(ciphertext.responses) != len(ciphertext.pairs) or not ciphertext.pairs:
        return False
    c = ciphertext.challenge
    commitments = [
        sub(base(z), mul(c, r))
        for (r, _), z in zip(ciphertext.pairs, ciphertext.responses, strict=True)
    ]
    t = _ballot_transcript(context, ballot_id, key, ciphertext.pairs).points(commitments)
    return t.challenge() == c


def reencrypt(pairs: Sequence[Pair], key: bytes, randomness: Sequence[int]) -> tuple[Pair, ...]:
    """The same plaintext under fresh randomness: (R + r'·B, S + r'·Y) for each pair."""
    return tuple(
        (add(r, base(x)), add(s, mul(x, key))) for (r, s), x in zip(pairs, randomness, strict=True)
    )
