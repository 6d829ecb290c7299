"""Partial decryptions by the trustees, with Chaum–Pedersen proofs, and their combination.

Trustee j holds s_j with verification key Y_j = s_j·B. For each element (R, S) of the final
mix it publishes D = s_j·R and a proof that log_B(Y_j) = log_R(D), in short form (c, z) with
c = H(context, trustee, position, Y_j, R, D, z·B − c·Y_j, z·R − c·D). Any t trustees' shares
combine, with Lagrange coefficients at zero, into M = S − Σ λ_j·D_j.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from votes.secrecy import parallel
from votes.secrecy.elgamal import Context, Pair
from votes.secrecy.group import (
    L,
    SecrecyError,
    Transcript,
    base,
    is_point,
    lagrange_at_zero,
    mul,
    point_hex,
    random_scalar,
    scalar,
    scalar_hex,
    sub,
    total,
)

__all__ = ["Share", "combine", "decrypt_share", "share_problem"]

Vector = tuple[Pair, ...]


@dataclass(frozen=True, slots=True)
class Share:
    """Trustee ``trustee``'s partial decryption of one ciphertext: D_k, c_k, z_k per element."""

    trustee: int
    factors: tuple[bytes, ...]
    challenges: tuple[int, ...]
    responses: tuple[int, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "trustee": self.trustee,
            "factors": [d.hex() for d in self.factors],
            "proofs": [
                [scalar_hex(c), scalar_hex(z)]
                for c, z in zip(self.challenges, self.responses, strict=True)
            ],
        }

    @classmethod
    def from_json(cls, data: Any, where: str, *, width: int) -> Share:
        if not isinstance(data, Mapping):
            raise SecrecyError(f"{where}: not a partial decryption")
        factors, proofs = data.get("factors"), data.get("proofs")
        trustee = data.get("trustee")
        if not isinstance(trustee, int) or isinstance(trustee, bool) or trustee < 1:
            raise SecrecyError(f"{where}: the trustee must be a number from 1")
        if not isinstance(factors, list) or not isinstance(proofs, list):
            raise SecrecyError(f"{where}: a partial decryption needs factors and proofs")
        if len(factors) != width or len(proofs) != width:
            raise SecrecyError(f"{where}: a partial decryption has {width} factors and proofs")
        for k, pair in enumerate(proofs):
            if not isinstance(pair, list) or len(pair) != 2:
                raise SecrecyError(f"{where}, proof {k + 1}: a proof is a challenge and a response")
        return cls(
            trustee,
            tuple(point_hex(d, f"{where}, factor {k + 1}") for k, d in enumerate(factors)),
            tuple(scalar(p[0], f"{where}, proof {k + 1}") for k, p in enumerate(proofs)),
            tuple(scalar(p[1], f"{where}, proof {k + 1}") for k, p in enumerate(proofs)),
        )


def _challenge(
    context: Context,
    trustee: int,
    position: int,
    element: int,
    verification_key: bytes,
    r: bytes,
    d: bytes,
    a1: bytes,
    a2: bytes,
) -> int:
    t = context.into(Transcript("decryption/v1")).number(trustee).number(position)
    return t.number(element).absorb(verification_key).points((r, d, a1, a2)).challenge()


def _decrypt(task: tuple) -> list[Share]:
    vectors, first, secret, trustee, verification_key, context = task
    shares = []
    for offset, vector in enumerate(vectors):
        factors, challenges, responses = [], [], []
        for k, (r, _) in enumerate(vector):
            d = mul(secret, r)
            w = random_scalar()
            c = _challenge(
                context, trustee, first + offset, k, verification_key, r, d, base(w), mul(w, r)
            )
            factors.append(d)
            challenges.append(c)
            responses.append((w + c * secret) % L)
        shares.append(Share(trustee, tuple(factors), tuple(challenges), tuple(responses)))
    return shares


def decrypt_share(
    vectors: Sequence[Vector],
    secret: int,
    trustee: int,
    context: Context,
    *,
    workers: int = 1,
) -> list[Share]:
    """Trustee ``trustee``'s partial decryptions of every ciphertext, with their proofs."""
    verification_key = base(secret)
    tasks = [
        (vectors[a:b], a, secret, trustee, verification_key, context)
        for a, b in parallel.slices(len(vectors), workers)
    ]
    return [s for part in parallel.run(_decrypt, tasks, workers) for s in part]


def _check(task: tuple) -> tuple[int, int] | None:
    vectors, shares, first, trustee, verification_key, context = task
    for offset, (vector, share) in enumerate(zip(vectors, shares, strict=True)):
        for k, ((r, _), d, c, z) in enumerate(
            zip(vector, share.factors, share.challenges, share.responses, strict=True)
        ):
            a1 = sub(base(z), mul(c, verification_key))
            a2 = sub(mul(z, r), mul(c, d))
            if _challenge(context, trustee, first + offset, k, verification_key, r, d, a1, a2) != c:
                return first + offset, k
    return None


def share_problem(
    vectors: Sequence[Vector],
    shares: Sequence[Share],
    verification_key: bytes,
    trustee: int,
    context: Context,
    *,
    workers: int = 1,
) -> str | None:
    """Why trustee ``trustee``'s partial decryptions are not proven; None when all are."""
    if len(shares) != len(vectors):
        return f"{len(shares)} partial decryptions for {len(vectors)} ballots"
    for i, (vector, share) in enumerate(zip(vectors, shares, strict=True)):
        if share.trustee != trustee:
            return f"ballot {i + 1}: the partial decryption is by trustee {share.trustee}"
        if len(share.factors) != len(vector):
            return f"ballot {i + 1}: the partial decryption has the wrong width"
        if not all(is_point(d) for d in share.factors):
            return f"ballot {i + 1}: a factor is not a group element"
    tasks = [
        (vectors[a:b], shares[a:b], a, trustee, verification_key, context)
        for a, b in parallel.slices(len(vectors), workers)
    ]
    for found in parallel.run(_check, tasks, workers):
        if found is not None:
            i, k = found
            return f"ballot {i + 1}, element {k + 1}: the proof of decryption does not hold"
    return None


def _combine(task: tuple) -> list[tuple[bytes, ...]]:
    vectors, factor_lists, coefficients = task
    out = []
    for i, vector in enumerate(vectors):
        out.append(
            tuple(
                sub(
                    s,
                    total(
                        mul(lam, factors[i][k])
                        for lam, factors in zip(coefficients, factor_lists, strict=True)
                    ),
                )
                for k, (_, s) in enumerate(vector)
            )
        )
    return out


def combine(
    vectors: Sequence[Vector],
    shares: Mapping[int, Sequence[Share]],
    *,
    workers: int = 1,
) -> list[tuple[bytes, ...]]:
    """The plaintext points, from the partial decryptions of a set of at least t trustees."""
    indices = sorted(shares)
    if not indices:
        raise SecrecyError("no partial decryptions to combine")
    coefficients = [lagrange_at_zero(indices, j) for j in indices]
    tasks = []
    for a, b in parallel.slices(len(vectors), workers):
        factor_lists = [[s.factors for s in shares[j][a:b]] for j in indices]
        tasks.append((vectors[a:b], factor_lists, coefficients))
    return [m for part in parallel.run(_combine, tasks, workers) for m in part]
