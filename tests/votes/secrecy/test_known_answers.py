"""Known answers for the group and for every computation of the package.

- RFC 8032's first test vector: the public key is the clamped secret scalar times the base point;
  the base point, the identity and small multiples behave as the standard says.
- Lagrange coefficients at zero for small sets, by hand, and their reconstruction of f(0) for
  random polynomials from any t of n points.
- Frozen vectors (fixtures/known_answers.json): the generators for a fixed seed, the embedding
  of a fixed chunk, an encryption and its proof, a shuffle of 3 ballots with its proof, a partial
  decryption and a proof that a share is still held, all with seeded randomness. A change to any
  of these computations changes the file. ``REGENERATE=1`` rewrites it.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import random
from pathlib import Path

import pytest

from tests.votes.secrecy.conftest import CONTEXT, PROJECTS, RULES, Seeded
from votes.model import Ballot
from votes.secrecy import decryption, elgamal, encoding, keys, shuffle
from votes.secrecy import group as g

FROZEN = Path(__file__).parent / "fixtures" / "known_answers.json"

RFC8032_SECRET = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
RFC8032_PUBLIC = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"


def test_rfc8032_vector_1_public_key_is_clamped_scalar_times_base() -> None:
    a = bytearray(hashlib.sha512(bytes.fromhex(RFC8032_SECRET)).digest()[:32])
    a[0] &= 248
    a[31] &= 127
    a[31] |= 64
    assert g.base(int.from_bytes(a, "little")).hex() == RFC8032_PUBLIC


def test_base_point_identity_and_small_multiples() -> None:
    assert g.base(1) == g.BASE
    assert g.base(g.L) == g.IDENTITY
    assert g.base(0) == g.IDENTITY
    assert g.mul(2, g.BASE) == g.add(g.BASE, g.BASE) == g.base(2)
    assert g.mul(g.L - 1, g.BASE) == g.neg(g.BASE)
    assert g.add(g.BASE, g.neg(g.BASE)) == g.IDENTITY
    assert g.sub(g.base(5), g.base(3)) == g.base(2)
    assert g.total([g.base(1), g.base(2), g.base(3)]) == g.base(6)
    assert g.total([]) == g.IDENTITY
    assert g.is_point(g.BASE) and not g.is_point(g.IDENTITY)


@pytest.mark.parametrize(
    ("indices", "expected"),
    [
        ([1, 2], {1: 2, 2: g.L - 1}),
        ([1, 3], {1: 3 * pow(2, -1, g.L) % g.L, 3: (g.L - pow(2, -1, g.L)) % g.L}),
        ([2, 3], {2: 3, 3: g.L - 2}),
        ([1, 2, 3], {1: 3, 2: g.L - 3, 3: 1}),
        ([5], {5: 1}),
    ],
)
def test_lagrange_coefficients_by_hand(indices: list[int], expected: dict[int, int]) -> None:
    assert {i: g.lagrange_at_zero(indices, i) for i in indices} == expected
    assert sum(expected.values()) % g.L == 1  # they interpolate the constant polynomial 1


@pytest.mark.parametrize(("t", "n"), [(1, 2), (2, 3), (3, 5), (4, 4)])
def test_lagrange_reconstructs_f0_from_any_t_of_n(t: int, n: int) -> None:
    rng = random.Random(t * 100 + n)
    coefficients = [rng.randrange(g.L) for _ in range(t)]

    def f(x: int) -> int:
        return sum(a * pow(x, k, g.L) for k, a in enumerate(coefficients)) % g.L

    for subset in itertools.combinations(range(1, n + 1), t):
        got = sum(g.lagrange_at_zero(subset, i) * f(i) for i in subset) % g.L
        assert got == coefficients[0]
    if t > 1:  # t − 1 points interpolate a different constant
        subset = tuple(range(1, t))
        assert sum(g.lagrange_at_zero(subset, i) * f(i) for i in subset) % g.L != coefficients[0]


def _vectors_json(vectors) -> list:
    return [[[r.hex(), s.hex()] for r, s in v] for v in vectors]


def compute_known_answers() -> dict:
    """Every frozen value, from seeded randomness (the caller patches the package's generator)."""
    out: dict = {}
    seed = hashlib.sha512(b"devolve-tests/generators").digest()
    out["generators"] = [p.hex() for p in g.generators(seed, 0, 3)]

    chunk = bytes(range(1, 30))
    out["embed"] = {"chunk": chunk.hex(), "point": encoding.embed(chunk).hex()}

    secret = Seeded("devolve-tests/secret")()
    key = g.base(secret)
    out["key"] = {"secret": g.scalar_hex(secret), "public": key.hex()}

    ballot = Ballot(choices=("p1", "p4", "p9"))
    message = encoding.to_points(ballot, RULES, PROJECTS)
    out["encoding"] = {
        "ballot": list(ballot.choices),
        "bytes": encoding.encode(ballot, RULES, PROJECTS).hex(),
        "points": [p.hex() for p in message],
    }
    ciphertext = elgamal.encrypt(
        message, key, CONTEXT, "ballot-1", random=Seeded("devolve-tests/encrypt")
    )
    out["encryption"] = ciphertext.to_json()

    rng = Seeded("devolve-tests/ballots")
    inputs = [
        elgamal.encrypt(
            encoding.to_points(Ballot(choices=(p,)), RULES, PROJECTS),
            key,
            CONTEXT,
            f"b{i}",
            random=rng,
        ).pairs
        for i, p in enumerate(("p0", "p2", "p5"))
    ]
    outputs, proof = shuffle.shuffle(inputs, key, CONTEXT, 1)
    out["shuffle"] = {
        "inputs": _vectors_json(inputs),
        "outputs": _vectors_json(outputs),
        "proof": proof.to_json(),
    }

    shares = decryption.decrypt_share(outputs, secret, 1, CONTEXT)
    out["decryption"] = [s.to_json() for s in shares]

    state = {"ceremonies": {"ef" * 32: {"index": 1, "share": g.scalar_hex(secret)}}}
    out["still_held"] = keys.prove_held(state, "ef" * 32, "challenge-1")
    return out


def test_frozen_vectors(seeded) -> None:
    current = compute_known_answers()
    if os.environ.get("REGENERATE") == "1":
        FROZEN.write_text(json.dumps(current, indent=1, sort_keys=True) + "\n")
    frozen = json.loads(FROZEN.read_text())
    for name in frozen:
        assert current[name] == frozen[name], name
    assert set(current) == set(frozen)


def test_frozen_generators_are_group_elements_and_distinct() -> None:
    frozen = json.loads(FROZEN.read_text())
    points = [bytes.fromhex(p) for p in frozen["generators"]]
    assert len(set(points)) == 3
    assert all(g.is_point(p) and p != g.BASE for p in points)
    seed = hashlib.sha512(b"devolve-tests/generators").digest()
    assert g.generators(seed, 1, 2) == points[1:]  # generator i does not depend on ``start``
    assert all(g.is_point(p) for p in g.generators(b"another seed", 0, 30))


def test_frozen_values_still_verify() -> None:
    """The frozen proofs are proofs: they verify, so the file was not frozen from a broken run."""
    frozen = json.loads(FROZEN.read_text())
    key = bytes.fromhex(frozen["key"]["public"])
    assert g.base(g.scalar(frozen["key"]["secret"], "secret")) == key
    ciphertext = elgamal.Ciphertext.from_json(frozen["encryption"], "frozen")
    assert elgamal.ballot_proof_ok(ciphertext, key, CONTEXT, "ballot-1")
    inputs = [
        tuple((bytes.fromhex(r), bytes.fromhex(s)) for r, s in v)
        for v in frozen["shuffle"]["inputs"]
    ]
    outputs = [
        tuple((bytes.fromhex(r), bytes.fromhex(s)) for r, s in v)
        for v in frozen["shuffle"]["outputs"]
    ]
    proof = shuffle.ShuffleProof.from_json(frozen["shuffle"]["proof"], "frozen")
    assert shuffle.shuffle_problem(inputs, outputs, proof, key, CONTEXT, 1) is None
    shares = [decryption.Share.from_json(s, "frozen", width=1) for s in frozen["decryption"]]
    assert decryption.share_problem(outputs, shares, key, 1, CONTEXT) is None
    plain = decryption.combine(outputs, {1: shares})
    decoded = sorted(encoding.from_points(m, RULES, PROJECTS).choices for m in plain)
    assert decoded == [("p0",), ("p2",), ("p5",)]
    assert keys.held_ok(frozen["still_held"], "ef" * 32, "challenge-1", key, 1)
    point = bytes.fromhex(frozen["embed"]["point"])
    assert g.is_point(point)
    assert encoding.extract(point).hex() == frozen["embed"]["chunk"]
