"""Time the encrypted ballot: casting, the shuffle at the close, the trustees' decryption, and
verifying it all, for one pot of 100,000 ballots on this machine's cores.

The phases, each timed (wall clock) with the worker processes given by ``--workers``:

- cast: encoding, embedding and encrypting one ballot with its proof, as the ballot box does
  inside the casting transaction (one process; the figure is per ballot, against the 20 ms
  target). The baseline is what a cast already does with a plaintext ballot: its canonical JSON
  and SHA-256;
- shuffle: one mix of the pot with its Terelius–Wikström proof;
- decrypt: each of ``--threshold`` trustees' partial decryptions with Chaum–Pedersen proofs;
- combine: the plaintexts from those shares, decoded into ballots;
- the target for the three together: under 10 minutes;
- verify: reading the files as an auditor has them (every point checked), then the
  ciphertexts' proofs, the shuffle proof, every partial decryption's proof and the plaintexts
  against the ballots (``votes.secrecy.bundle.pot_problems``, steps 2 to 5): under 10 minutes.

Each phase is also given in libsodium point multiplications per ballot, from the cost of one
measured at the start of the same run (the ``unit``).

    .venv/bin/python bench/secrecy.py                       # 100,000 ballots, 2 workers
    .venv/bin/python bench/secrecy.py --ballots 5000 --projects 40 --workers 1
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from votes.model import Ballot, BallotKind, BallotRules  # noqa: E402
from votes.secrecy import bundle, encoding, keys, parallel  # noqa: E402
from votes.secrecy.decryption import combine, decrypt_share  # noqa: E402
from votes.secrecy.elgamal import Ciphertext, Context, encrypt  # noqa: E402
from votes.secrecy.group import base, mul, random_scalar, scalar  # noqa: E402
from votes.secrecy.shuffle import shuffle  # noqa: E402

TARGET_CAST_MS = 20.0
TARGET_SECONDS = 600.0


def _ballots(count: int, projects: list[str], seed: int) -> list[Ballot]:
    rng = random.Random(seed)
    return [
        Ballot(choices=tuple(sorted(rng.sample(projects, rng.randint(1, 5)), key=projects.index)))
        for _ in range(count)
    ]


def _encrypt(task: tuple) -> list[Ciphertext]:
    ballots, first, rules, projects, key, context = task
    return [
        encrypt(encoding.to_points(b, rules, projects), key, context, f"b{first + i}")
        for i, b in enumerate(ballots)
    ]


def _unit() -> float:
    s, p = random_scalar(), base(random_scalar())
    start = time.perf_counter()
    for _ in range(2000):
        p = mul(s, p)
    return (time.perf_counter() - start) / 2000


def _trustees(threshold: int, count: int) -> tuple[bytes, dict[int, bytes], dict[int, int], str]:
    states = [keys.new_trustee(f"Trustee {i}") for i in range(1, count + 1)]
    registrations = [{"name": s["name"], "transport_key": keys.transport_key(s)} for s in states]
    ceremony = keys.make_ceremony("bench/1", threshold, registrations)
    uploads = [keys.keygen(s, ceremony) for s in states]
    checks = [keys.check(s, ceremony, uploads) for s in states]
    document = keys.key_document(ceremony, uploads, checks)
    key, verification_keys, _ = keys.read_key_document(document)
    digest = document["ceremony_hash"]
    secrets = {
        i: scalar(s["ceremonies"][digest]["share"], "share") for i, s in enumerate(states, start=1)
    }
    return key, verification_keys, secrets, digest


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ballots", type=int, default=100_000)
    parser.add_argument("--projects", type=int, default=30, help="projects in the pot")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--trustees", type=int, default=3)
    parser.add_argument("--threshold", type=int, default=2)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    unit = _unit()
    projects = [f"p{i}" for i in range(args.projects)]
    rules = BallotRules(kind=BallotKind.APPROVAL, max_choices=5)
    width = encoding.width(rules, len(projects))
    context = Context(hashlib.sha256(b"bench").hexdigest(), "1")
    key, verification_keys, secrets, digest = _trustees(args.threshold, args.trustees)
    ballots = _ballots(args.ballots, projects, 2026)
    print(
        f"{args.ballots:,} approval ballots of {len(projects)} projects (width {width}), "
        f"{args.workers} workers, {args.threshold} of {args.trustees} trustees; "
        f"unit: one point multiplication = {unit * 1e6:.0f} µs"
    )
    figures: dict[str, float] = {"unit_us": unit * 1e6}

    # Casting, one ballot at a time as the box does it, against the plaintext path.
    sample = ballots[:500]
    start = time.perf_counter()
    for i, b in enumerate(sample):
        content = json.dumps({"choices": list(b.choices), "points": []}, separators=(",", ":"))
        hashlib.sha256(f"b{i}|1|{content}".encode()).hexdigest()
    plain = (time.perf_counter() - start) / len(sample)
    start = time.perf_counter()
    for i, b in enumerate(sample):
        c = encrypt(encoding.to_points(b, rules, projects), key, context, f"b{i}")
        content = json.dumps(c.to_json(), sort_keys=True, separators=(",", ":"))
        hashlib.sha256(f"b{i}|1|{content}".encode()).hexdigest()
    cast = (time.perf_counter() - start) / len(sample)
    figures |= {"cast_ms": cast * 1e3, "cast_plain_ms": plain * 1e3}
    print(
        f"cast     {cast * 1e3:8.2f} ms a ballot encrypted, {plain * 1e3:.3f} ms plaintext "
        f"(adds {(cast - plain) * 1e3:.2f} ms; target under {TARGET_CAST_MS:.0f} ms; "
        f"{cast / unit:.0f} units)"
    )

    tasks = [
        (ballots[a:b], a, rules, projects, key, context)
        for a, b in parallel.slices(len(ballots), args.workers)
    ]
    start = time.perf_counter()
    ciphertexts = [c for part in parallel.run(_encrypt, tasks, args.workers) for c in part]
    print(f"(setup: {len(ciphertexts):,} ciphertexts made in {time.perf_counter() - start:.0f} s)")
    vectors = [c.pairs for c in ciphertexts]

    def timed(name: str, fn):
        start = time.perf_counter()
        value = fn()
        seconds = time.perf_counter() - start
        figures[f"{name}_s"] = seconds
        per = seconds / len(ballots)
        print(f"{name:8} {seconds:8.1f} s  ({per * 1e3:.2f} ms, {per / unit:.1f} units a ballot)")
        return value

    outputs, proof = timed(
        "shuffle", lambda: shuffle(vectors, key, context, 1, workers=args.workers)
    )
    chosen = sorted(secrets)[: args.threshold]
    shares = {}
    for j in chosen:
        shares[j] = timed(
            f"decrypt{j}",
            lambda j=j: decrypt_share(outputs, secrets[j], j, context, workers=args.workers),
        )
    plaintexts = timed(
        "combine",
        lambda: [
            encoding.from_points(m, rules, projects)
            for m in combine(outputs, shares, workers=args.workers)
        ],
    )
    total = (
        figures["shuffle_s"] + sum(figures[f"decrypt{j}_s"] for j in chosen) + figures["combine_s"]
    )
    figures["close_total_s"] = total
    print(
        f"shuffle, decrypt and combine: {total:.0f} s "
        f"(target under {TARGET_SECONDS:.0f} s: {'met' if total < TARGET_SECONDS else 'MISSED'})"
    )
    assert sorted(plaintexts, key=repr) == sorted(ballots, key=repr), (
        "the ballots came back changed"
    )

    # What an auditor has: the files, as JSON text. Reading them checks every point.
    files = {
        "ciphertexts": json.dumps(
            bundle.ciphertexts_to_json([(f"b{i}", c) for i, c in enumerate(ciphertexts)])
        ),
        "mix": json.dumps(bundle.mix_result(context, 1, outputs, proof)),
        **{
            f"decryption-{j}": json.dumps(bundle.decryption_result(digest, context, j, shares[j]))
            for j in chosen
        },
    }

    def verify() -> list[str]:
        read = bundle.ciphertexts_from_json(
            json.loads(files["ciphertexts"]), "ciphertext", width=width, workers=args.workers
        )
        mixed = bundle.read_mix_result(
            json.loads(files["mix"]), context, 1, width=width, workers=args.workers
        )
        decryptions = dict(
            bundle.read_decryption_result(
                json.loads(files[f"decryption-{j}"]), digest, context, width=width
            )
            for j in chosen
        )
        return bundle.pot_problems(
            key=key,
            verification_keys=verification_keys,
            threshold=args.threshold,
            context=context,
            ciphertexts=read,
            mixes=[mixed],
            decryptions=decryptions,
            ballots=plaintexts,
            rules=rules,
            project_ids=projects,
            workers=args.workers,
        )

    problems = timed("verify", verify)
    assert problems == [], problems
    print(
        f"verify: {figures['verify_s']:.0f} s (target under {TARGET_SECONDS:.0f} s: "
        f"{'met' if figures['verify_s'] < TARGET_SECONDS else 'MISSED'})"
    )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
