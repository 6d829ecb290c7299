"""A verifiable re-encryption shuffle of a pot's ciphertexts (docs/secrecy.md, "The shuffle").

The proof is Terelius and Wikström's proof of a shuffle, following the GenShuffleProof and
CheckShuffleProof algorithms of Haenni, Locher, Koenig and Dubuis (2017), written additively
and generalised to vectors of w ElGamal pairs. Output i is input π(i), re-encrypted.

- c_j = r_j·B + H_{π⁻¹(j)} commits to the permutation, column by column;
- the challenges u_j are derived from a hash of the whole statement (the context, the mix's
  number, the key, the generators' seed, every input, every output and every c_j);
- ĉ_0 … ĉ_{N-1} chain the permuted challenges u'_i = u_{π(i)} from ĉ_{-1} = H, which proves
  ∏u'_i = ∏u_j;
- the responses show knowledge of the openings, and that Σu'_i·e'_i − Σu_j·e_j is an
  encryption of zero.

The final challenge covers the same statement digest and every commitment. The proof is kept
in short form: the verifier recomputes the first-move commitments from the responses and
checks the challenge.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from votes.secrecy import parallel
from votes.secrecy.elgamal import Context, Pair
from votes.secrecy.group import (
    L,
    SecrecyError,
    Transcript,
    add,
    base,
    derived_scalars,
    generators,
    is_point,
    mul,
    neg,
    point_hex,
    random_scalar,
    scalar,
    scalar_hex,
    sub,
    total,
)

__all__ = ["ShuffleProof", "shuffle", "shuffle_ok"]

Vector = tuple[Pair, ...]


@dataclass(frozen=True, slots=True)
class ShuffleProof:
    commitments: tuple[bytes, ...]  # c_j, one per input
    chain: tuple[bytes, ...]  # ĉ_i, one per output
    challenge: int
    s1: int
    s2: int
    s3: int
    s4: tuple[int, ...]  # one per element of the vector
    s_hat: tuple[int, ...]
    s_prime: tuple[int, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "proof": "terelius-wikstrom/v1",
            "commitments": [c.hex() for c in self.commitments],
            "chain": [c.hex() for c in self.chain],
            "challenge": scalar_hex(self.challenge),
            "s1": scalar_hex(self.s1),
            "s2": scalar_hex(self.s2),
            "s3": scalar_hex(self.s3),
            "s4": [scalar_hex(s) for s in self.s4],
            "s_hat": [scalar_hex(s) for s in self.s_hat],
            "s_prime": [scalar_hex(s) for s in self.s_prime],
        }

    @classmethod
    def from_json(cls, data: Any, where: str) -> ShuffleProof:
        if not isinstance(data, Mapping) or data.get("proof") != "terelius-wikstrom/v1":
            raise SecrecyError(f"{where}: not a shuffle proof of this version")
        try:
            lists = {k: data[k] for k in ("commitments", "chain", "s4", "s_hat", "s_prime")}
        except KeyError as missing:
            raise SecrecyError(f"{where}: the proof has no {missing.args[0]}") from None
        for name, value in lists.items():
            if not isinstance(value, list):
                raise SecrecyError(f"{where}: {name} must be a list")
        return cls(
            tuple(
                point_hex(c, f"{where}, commitment {j + 1}")
                for j, c in enumerate(lists["commitments"])
            ),
            tuple(point_hex(c, f"{where}, chain {i + 1}") for i, c in enumerate(lists["chain"])),
            scalar(data.get("challenge"), f"{where}, challenge"),
            scalar(data.get("s1"), f"{where}, s1"),
            scalar(data.get("s2"), f"{where}, s2"),
            scalar(data.get("s3"), f"{where}, s3"),
            tuple(scalar(s, f"{where}, s4") for s in lists["s4"]),
            tuple(scalar(s, f"{where}, s_hat") for s in lists["s_hat"]),
            tuple(scalar(s, f"{where}, s_prime") for s in lists["s_prime"]),
        )


def generator_seed(context: Context) -> bytes:
    return hashlib.sha512(
        b"devolve/shuffle-generators/v1\x00"
        + context.manifest_hash.encode()
        + b"\x00"
        + str(context.pot).encode()
    ).digest()


def _statement(
    context: Context,
    number: int,
    key: bytes,
    inputs: Sequence[Vector],
    outputs: Sequence[Vector],
    commitments: Sequence[bytes],
) -> Transcript:
    width = len(inputs[0]) if inputs else 0
    t = context.into(Transcript("shuffle/v1")).number(number).absorb(key)
    t.number(len(inputs)).number(width).absorb(generator_seed(context))
    t.points(p for vector in inputs for pair in vector for p in pair)
    t.points(p for vector in outputs for pair in vector for p in pair)
    return t.points(commitments)


def _final(
    statement: Transcript,
    chain: Sequence[bytes],
    firsts: Sequence[bytes],
    t4: Sequence[bytes],
    t_hat: Sequence[bytes],
) -> int:
    return statement.points(chain).points(firsts).points(t4).points(t_hat).challenge()


# The work spread over processes: each takes and returns plain tuples of bytes and ints.


def _reencrypt(task: tuple) -> list[Vector]:
    vectors, key, randomness = task
    return [
        tuple((add(r, base(x)), add(s, mul(x, key))) for (r, s), x in zip(v, xs, strict=True))
        for v, xs in zip(vectors, randomness, strict=True)
    ]


def _commit(task: tuple) -> list[bytes]:
    rs, hs = task
    return [add(base(r), h) for r, h in zip(rs, hs, strict=True)]


def _chain(task: tuple) -> list[bytes]:
    a_coefficients, h_coefficients, h = task
    return [add(base(a), mul(p, h)) for a, p in zip(a_coefficients, h_coefficients, strict=True)]


def _weighted(task: tuple) -> tuple[bytes, list[bytes], list[bytes], list[bytes] | None]:
    """Σ w_i·H_i, Σ w_i·S_{i,k}, Σ w_i·R_{i,k} over a slice, and optionally Σ v_i·C_i."""
    weights, hs, vectors, width, extra = task
    sum_h = total(mul(w, h) for w, h in zip(weights, hs, strict=True)) if hs else None
    sum_s, sum_r = [], []
    for k in range(width):
        sum_s.append(total(mul(w, v[k][1]) for w, v in zip(weights, vectors, strict=True)))
        sum_r.append(total(mul(w, v[k][0]) for w, v in zip(weights, vectors, strict=True)))
    sum_extra = None
    if extra is not None:
        coefficients, points = extra
        sum_extra = total(mul(v, c) for v, c in zip(coefficients, points, strict=True))
    return sum_h, sum_s, sum_r, sum_extra


def _t_hat(task: tuple) -> list[bytes]:
    s_hat, s_prime, previous, chain, c = task
    if chain is None:  # the prover: ω̂_i·B + ω'_i·ĉ_{i-1}
        return [add(base(a), mul(b, p)) for a, b, p in zip(s_hat, s_prime, previous, strict=True)]
    return [
        sub(add(base(a), mul(b, p)), mul(c, q))
        for a, b, p, q in zip(s_hat, s_prime, previous, chain, strict=True)
    ]


def _valid(task: tuple) -> int:
    """The position in ``points`` of the first that is not a group element, or -1."""
    (points,) = task
    for i, p in enumerate(points):
        if not is_point(p):
            return i
    return -1


def _spread(fn, n: int, workers: int, make) -> list:
    tasks = [make(a, b) for a, b in parallel.slices(n, workers)]
    return parallel.run(fn, tasks, workers)


def _flat(parts: list[list]) -> list:
    return [x for part in parts for x in part]


def _sum_parts(parts, index: int, width: int | None = None):
    if width is None:
        return total(p[index] for p in parts)
    return [total(p[index][k] for p in parts) for k in range(width)]


def shuffle(
    inputs: Sequence[Vector],
    key: bytes,
    context: Context,
    number: int,
    *,
    workers: int = 1,
) -> tuple[list[Vector], ShuffleProof]:
    """Re-encrypts and permutes ``inputs``; returns the outputs and the proof.

    The permutation and the randomness are never returned or stored.
    """
    n = len(inputs)
    if n == 0:
        raise SecrecyError("there is nothing to shuffle")
    width = len(inputs[0])
    if any(len(v) != width for v in inputs):
        raise SecrecyError("every ciphertext of a pot has the same width")
    order = list(range(n))
    secrets.SystemRandom().shuffle(order)  # output i is input order[i]
    inverse = [0] * n
    for i, j in enumerate(order):
        inverse[j] = i
    rho = [[random_scalar() for _ in range(width)] for _ in range(n)]
    outputs = _flat(
        _spread(
            _reencrypt,
            n,
            workers,
            lambda a, b: ([inputs[order[i]] for i in range(a, b)], key, rho[a:b]),
        )
    )

    gens = generators(generator_seed(context), 0, n + 1)
    h, hs = gens[0], gens[1:]
    r = [random_scalar() for _ in range(n)]
    commitments = _flat(
        _spread(_commit, n, workers, lambda a, b: (r[a:b], [hs[inverse[j]] for j in range(a, b)]))
    )

    statement = _statement(context, number, key, inputs, outputs, commitments)
    u = derived_scalars(statement.digest(), "shuffle/u", n)
    u_prime = [u[order[i]] for i in range(n)]

    r_hat = [random_scalar() for _ in range(n)]
    a_coefficients, h_coefficients = [], []
    a_previous, h_previous = 0, 1
    for i in range(n):
        a_previous = (r_hat[i] + u_prime[i] * a_previous) % L
        h_previous = u_prime[i] * h_previous % L
        a_coefficients.append(a_previous)
        h_coefficients.append(h_previous)
    chain = _flat(
        _spread(_chain, n, workers, lambda a, b: (a_coefficients[a:b], h_coefficients[a:b], h))
    )

    r_bar = sum(r) % L
    r_hat_total = a_coefficients[-1]
    r_tilde = sum(x * y for x, y in zip(r, u, strict=True)) % L
    rho_total = [sum(u_prime[i] * rho[i][k] for i in range(n)) % L for k in range(width)]

    w1, w2, w3 = random_scalar(), random_scalar(), random_scalar()
    w4 = [random_scalar() for _ in range(width)]
    w_hat = [random_scalar() for _ in range(n)]
    w_prime = [random_scalar() for _ in range(n)]

    parts = _spread(
        _weighted, n, workers, lambda a, b: (w_prime[a:b], hs[a:b], outputs[a:b], width, None)
    )
    t3 = add(base(w3), _sum_parts(parts, 0))
    out_s, out_r = _sum_parts(parts, 1, width), _sum_parts(parts, 2, width)
    t4 = []
    for k in range(width):
        t4.append(sub(out_s[k], mul(w4[k], key)))
        t4.append(sub(out_r[k], base(w4[k])))
    previous = [h, *chain[:-1]]
    t_hat = _flat(
        _spread(_t_hat, n, workers, lambda a, b: (w_hat[a:b], w_prime[a:b], previous[a:b], None, 0))
    )
    c = _final(statement, chain, [base(w1), base(w2), t3], t4, t_hat)
    proof = ShuffleProof(
        commitments=tuple(commitments),
        chain=tuple(chain),
        challenge=c,
        s1=(w1 + c * r_bar) % L,
        s2=(w2 + c * r_hat_total) % L,
        s3=(w3 + c * r_tilde) % L,
        s4=tuple((w4[k] + c * rho_total[k]) % L for k in range(width)),
        s_hat=tuple((w_hat[i] + c * r_hat[i]) % L for i in range(n)),
        s_prime=tuple((w_prime[i] + c * u_prime[i]) % L for i in range(n)),
    )
    return outputs, proof


def shuffle_problem(
    inputs: Sequence[Vector],
    outputs: Sequence[Vector],
    proof: ShuffleProof,
    key: bytes,
    context: Context,
    number: int,
    *,
    workers: int = 1,
) -> str | None:
    """Why the proof does not show ``outputs`` is a re-encrypted permutation of ``inputs``;
    None when it does. The inputs must already be known to be group elements."""
    n = len(inputs)
    if n == 0:
        return "there is nothing to shuffle"
    width = len(inputs[0])
    if len(outputs) != n:
        return f"the mix has {len(outputs)} outputs for {n} inputs"
    if any(len(v) != width for v in inputs) or any(len(v) != width for v in outputs):
        return "every ciphertext of a pot has the same width"
    if (
        not (
            len(proof.commitments)
            == len(proof.chain)
            == len(proof.s_hat)
            == len(proof.s_prime)
            == n
        )
        or len(proof.s4) != width
    ):
        return "the proof's lists do not have one entry per ballot"
    flat_outputs = [p for v in outputs for pair in v for p in pair]
    for name, points in (
        ("output", flat_outputs),
        ("commitment", list(proof.commitments)),
        ("chain", list(proof.chain)),
    ):
        bad = _spread(_valid, len(points), workers, lambda a, b, points=points: (points[a:b],))
        offsets = parallel.slices(len(points), workers)
        for (start, _), found in zip(offsets, bad, strict=True):
            if found >= 0:
                return f"{name} point {start + found + 1} is not a group element"

    gens = generators(generator_seed(context), 0, n + 1)
    h, hs = gens[0], gens[1:]
    statement = _statement(context, number, key, inputs, outputs, proof.commitments)
    u = derived_scalars(statement.digest(), "shuffle/u", n)
    c = proof.challenge

    # Over the inputs: Σ u_j·S_j, Σ u_j·R_j and Σ u_j·c_j.
    parts_in = _spread(
        _weighted,
        n,
        workers,
        lambda a, b: (u[a:b], [], inputs[a:b], width, (u[a:b], proof.commitments[a:b])),
    )
    in_s, in_r = _sum_parts(parts_in, 1, width), _sum_parts(parts_in, 2, width)
    c_tilde = total(p[3] for p in parts_in)
    # Over the outputs: Σ s'_i·H_i, Σ s'_i·S'_i, Σ s'_i·R'_i.
    parts_out = _spread(
        _weighted, n, workers, lambda a, b: (proof.s_prime[a:b], hs[a:b], outputs[a:b], width, None)
    )
    sum_h = _sum_parts(parts_out, 0)
    out_s, out_r = _sum_parts(parts_out, 1, width), _sum_parts(parts_out, 2, width)

    c_bar = sub(total(proof.commitments), total(hs))
    u_product = 1
    for x in u:
        u_product = u_product * x % L
    c_hat = sub(proof.chain[-1], mul(u_product, h))
    t1 = sub(base(proof.s1), mul(c, c_bar))
    t2 = sub(base(proof.s2), mul(c, c_hat))
    t3 = sub(add(base(proof.s3), sum_h), mul(c, c_tilde))
    t4 = []
    for k in range(width):
        t4.append(sub(add(neg(mul(proof.s4[k], key)), out_s[k]), mul(c, in_s[k])))
        t4.append(sub(add(neg(base(proof.s4[k])), out_r[k]), mul(c, in_r[k])))
    previous = [h, *proof.chain[:-1]]
    t_hat = _flat(
        _spread(
            _t_hat,
            n,
            workers,
            lambda a, b: (proof.s_hat[a:b], proof.s_prime[a:b], previous[a:b], proof.chain[a:b], c),
        )
    )
    if _final(statement, proof.chain, [t1, t2, t3], t4, t_hat) != c:
        return "the shuffle proof does not hold"
    return None


def shuffle_ok(*args, **kwargs) -> bool:
    return shuffle_problem(*args, **kwargs) is None
