"""Shared pieces for the secrecy tests: a seeded scalar generator, a small key ceremony, and
ballots encrypted to its key."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from types import SimpleNamespace
from typing import Any

import pytest

from votes.model import Ballot, BallotKind, BallotRules
from votes.secrecy import decryption, elgamal, encoding, keys, shuffle
from votes.secrecy import group as g

MANIFEST = "ab" * 32
OTHER_MANIFEST = "cd" * 32
CONTEXT = elgamal.Context(MANIFEST, "pot-1")
RULES = BallotRules(kind=BallotKind.APPROVAL, max_choices=3)
PROJECTS = tuple(f"p{i}" for i in range(10))


class Seeded:
    """A counter-based scalar generator: scalar n is SHA-512(label ‖ n) mod L (never 0)."""

    def __init__(self, label: str) -> None:
        self.label = label.encode()
        self.count = 0

    def __call__(self) -> int:
        while True:
            self.count += 1
            digest = hashlib.sha512(self.label + b"\x00" + self.count.to_bytes(8, "big")).digest()
            value = int.from_bytes(digest, "little") % g.L
            if value:
                return value


@pytest.fixture
def seeded(monkeypatch: pytest.MonkeyPatch) -> Iterator[Seeded]:
    """Makes every random choice of the package deterministic for the test."""
    rng = Seeded("devolve-tests/known-answers")
    for module in (elgamal, shuffle, decryption, keys):
        monkeypatch.setattr(module, "random_scalar", rng)
    monkeypatch.setattr(
        shuffle, "secrets", SimpleNamespace(SystemRandom=lambda: random.Random(20260101))
    )
    yield rng


@dataclass(frozen=True)
class Ceremony:
    states: list[dict[str, Any]]
    ceremony: dict[str, Any]
    uploads: list[dict[str, Any]]
    checks: list[dict[str, Any]]
    document: dict[str, Any]
    key: bytes
    verification_keys: dict[int, bytes]
    threshold: int
    secrets: dict[int, int]


def run_ceremony(names: Sequence[str], threshold: int, round_label: str) -> Ceremony:
    states = [keys.new_trustee(n) for n in names]
    ceremony = keys.make_ceremony(
        round_label,
        threshold,
        [{"name": s["name"], "transport_key": keys.transport_key(s)} for s in states],
    )
    uploads = [keys.keygen(s, ceremony) for s in states]
    checks = [keys.check(s, ceremony, uploads) for s in states]
    document = keys.key_document(ceremony, uploads, checks)
    key, verification_keys, t = keys.read_key_document(document)
    digest = document["ceremony_hash"]
    secrets = {
        s["ceremonies"][digest]["index"]: g.scalar(s["ceremonies"][digest]["share"], "share")
        for s in states
    }
    return Ceremony(states, ceremony, uploads, checks, document, key, verification_keys, t, secrets)


@cache
def trio() -> Ceremony:
    """Three trustees, threshold 2 (made once per process; the tests copy what they change)."""
    return run_ceremony(("Returning officer", "Auditor", "Community rep"), 2, "lambeth/12")


def approval_ballots(count: int) -> list[Ballot]:
    """``count`` different approval ballots of at most 3 of PROJECTS, in position order."""
    out = []
    for i in range(count):
        chosen = sorted({i % 10, (i * 3 + 1) % 10, (i * 7 + 2) % 10}) if i % 4 else [i % 10]
        out.append(Ballot(choices=tuple(PROJECTS[p] for p in chosen)))
    return out


def encrypt_all(
    ballots: Sequence[Ballot], key: bytes, context: elgamal.Context = CONTEXT
) -> list[tuple[str, elgamal.Ciphertext]]:
    return [
        (f"b{i}", elgamal.encrypt(encoding.to_points(b, RULES, PROJECTS), key, context, f"b{i}"))
        for i, b in enumerate(ballots)
    ]


def fresh_scalars(count: int) -> list[int]:
    return [g.random_scalar() for _ in range(count)]


@cache
def pot(count: int = 6) -> dict[str, Any]:
    """A whole pot under trio()'s key: ciphertexts, two mixes, decryptions by trustees 1 and 3."""
    c = trio()
    ballots = approval_ballots(count)
    ciphertexts = encrypt_all(ballots, c.key)
    vectors = [ct.pairs for _, ct in ciphertexts]
    out1, proof1 = shuffle.shuffle(vectors, c.key, CONTEXT, 1)
    out2, proof2 = shuffle.shuffle(out1, c.key, CONTEXT, 2)
    decryptions = {j: decryption.decrypt_share(out2, c.secrets[j], j, CONTEXT) for j in (1, 3)}
    plain = decryption.combine(out2, decryptions)
    decoded = [encoding.from_points(m, RULES, PROJECTS) for m in plain]
    return {
        "ballots": ballots,
        "ciphertexts": ciphertexts,
        "vectors": vectors,
        "mixes": [(out1, proof1), (out2, proof2)],
        "decryptions": decryptions,
        "decoded": decoded,
    }
