"""docs/export-format.md's "Encrypted rounds" is enough to check an encrypted round's export: the
stranger's pure-Python edwards25519 (``tests.app.stranger_secrecy``, standard library only)
agrees with libsodium, a real encrypted export passes the stranger's verifier, each tampering
``votes verify`` catches the stranger catches too, and the section's worked example is what
``votes.secrecy`` computes."""

from __future__ import annotations

import hashlib
import json
import random
import re

import pytest
from nacl import bindings as na

from tests.app import stranger
from tests.app import stranger_secrecy as s
from tests.app.workflow.test_export_format import DOC
from tests.app.workflow.test_secret_export import (  # noqa: F401 (exports is a fixture)
    _pot_file,
    dump,
    exports,
    load,
    tampered,
    unzip,
)
from votes.secrecy import group
from votes.secrecy.shuffle import generator_seed
from votes.verify import canonical_json

RANDOM = random.Random(20261201)


def _bytes(n: int) -> bytes:
    return RANDOM.getrandbits(8 * n).to_bytes(n, "little")


def test_the_strangers_modules_import_only_the_standard_library():
    import ast
    import sys
    from pathlib import Path

    for module in (stranger, s):
        tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert top in sys.stdlib_module_names or name in (
                    "__future__",
                    "tests.app",
                ), (module.__name__, name)
    assert "stranger_secrecy" in Path(stranger.__file__).read_text(encoding="utf-8")


def test_the_strangers_group_agrees_with_libsodium_on_random_inputs():
    for _ in range(200):
        r = _bytes(32)
        g = s.from_uniform(r)
        assert s.encode(g) == na.crypto_core_ed25519_from_uniform(r), r.hex()
        a, b = RANDOM.randrange(1, s.L), RANDOM.randrange(1, s.L)
        p, q = s.base(a), s.encode(s.mul(b, g))
        assert s.encode(p) == na.crypto_scalarmult_ed25519_base_noclamp(a.to_bytes(32, "little"))
        assert q == na.crypto_scalarmult_ed25519_noclamp(b.to_bytes(32, "little"), s.encode(g))
        assert s.encode(s.add(p, s.decode(q))) == na.crypto_core_ed25519_add(s.encode(p), q)
        assert s.encode(s.sub(p, s.decode(q))) == na.crypto_core_ed25519_sub(s.encode(p), q)
        assert s.encode(s.decode(q)) == q
        # Validity: a group element, a random 32 bytes, and an element plus a torsion point.
        junk = _bytes(32)
        assert (s.valid(junk) is not None) == bool(na.crypto_core_ed25519_is_valid_point(junk))
        assert s.valid(q) is not None and na.crypto_core_ed25519_is_valid_point(q)
    # The small-order points, the identity, and a non-canonical y are refused by both.
    torsion = s.decode(
        bytes.fromhex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa")
    )
    assert torsion is not None and s.same(s.mul_any(8, torsion), s.IDENTITY)
    mixed = s.encode(s.add(s.base(5), torsion))
    for raw in (
        s.encode(torsion),
        mixed,
        s.encode(s.IDENTITY),
        bytes([0xEC]) + bytes([0xFF] * 30) + bytes([0x7F]),  # p - 1, the order-2 point
        bytes([0xEE]) + bytes([0xFF] * 30) + bytes([0x7F]),  # y = p + 1: not canonical
        (2**255 - 1).to_bytes(32, "little"),
        bytes(32),
    ):
        assert s.valid(raw) is None and not na.crypto_core_ed25519_is_valid_point(raw), raw.hex()


def test_the_strangers_transcript_generators_and_scalars_are_the_codes():
    seed = generator_seed(type("C", (), {"manifest_hash": "e" * 64, "pot": "3"}))
    assert seed == s.generator_seed("e" * 64, "3")
    assert [s.encode(g) for g in s.generators(seed, 5)] == group.generators(seed, 0, 5)
    assert s.derived_scalars(seed, "shuffle/u", 4) == group.derived_scalars(seed, "shuffle/u", 4)
    ours = s.Transcript("ballot/v1").text("ab").number(12).points([s.BASE, s.base(2)])
    theirs = group.Transcript("ballot/v1").text("ab").number(12)
    theirs.points([group.BASE, group.base(2)])
    assert ours.digest() == theirs.digest() and ours.challenge() == theirs.challenge()
    assert s.lagrange([1, 3], 1) == group.lagrange_at_zero([1, 3], 1)


def test_a_real_encrypted_export_passes_the_strangers_verifier(exports):  # noqa: F811
    assert stranger.check(exports["a"], **exports["published"]) == []
    # The counting checks read secrecy/pot-N/ballots.json: another order there is caught.
    name = _pot_file(exports, "ballots.json")

    def reorder(files):
        plain = load(files, name)
        first = next(i for i, b in enumerate(plain) if b != plain[0])
        plain[0], plain[first] = plain[first], plain[0]
        files[name] = canonical_json(plain).encode()

    found = stranger.check(tampered(exports["a"], reorder))
    assert any(p.startswith("step 5: ballot 1 decrypts to another") for p in found), found
    assert "election.pb ballots" in found


def _changed_ciphertext(files):
    ballots = load(files, "ballots.json")
    a, b = json.loads(ballots[0]["content"]), json.loads(ballots[1]["content"])
    a["pairs"][0][0] = b["pairs"][0][0]
    ballots[0]["content"] = canonical_json(a)
    dump(files, "ballots.json", ballots)


def _case(exports, what):  # noqa: F811
    mix1, mix2 = _pot_file(exports, "mix-1.json"), _pot_file(exports, "mix-2.json")
    dec1, plain = _pot_file(exports, "decryption-1.json"), _pot_file(exports, "ballots.json")
    theirs = f"secrecy/pot-{exports['b-pot']}"
    other = unzip(exports["b"])

    def mix_output(files):
        mix = load(files, mix2)
        mix["outputs"][0] = load(files, mix1)["outputs"][0]
        dump(files, mix2, mix)

    def partial(files):
        document = load(files, dec1)
        document["shares"][2]["factors"][0] = document["shares"][3]["factors"][0]
        dump(files, dec1, document)

    def plaintext(files):
        ballots = load(files, plain)
        ballots[0] = next(b for b in ballots if b != ballots[0])
        dump(files, plain, ballots)

    def other_mix(rewrite):
        def change(files):
            copied = json.loads(other[f"{theirs}/mix-2.json"])
            if rewrite:
                copied["context"] = load(files, mix2)["context"]
            dump(files, mix2, copied)

        return change

    def other_decryption(files):
        copied = json.loads(other[f"{theirs}/decryption-1.json"])
        copied["context"] = load(files, dec1)["context"]
        copied["ceremony"] = load(files, dec1)["ceremony"]
        dump(files, dec1, copied)

    def no_mix(files):
        del files[mix2]

    def too_few(files):
        del files[_pot_file(exports, "decryption-3.json")]

    def other_key(files):
        files["secrecy/key.json"] = other["secrecy/key.json"]

    return {
        "changed ciphertext": (_changed_ciphertext, "step 2: "),
        "mix output replaced": (mix_output, "step 3 (mix 2): "),
        "wrong partial decryption": (partial, "step 4 (trustee 1): "),
        "changed plaintext": (plaintext, "step 5: ballot 1 decrypts to another"),
        "another round's mix": (other_mix(False), "step 3 (mix 2): "),
        "another round's mix, context rewritten": (other_mix(True), "step 3 (mix 2): "),
        "another round's decryption, rewritten": (other_decryption, "step 4 (trustee 1): "),
        "a missing mix": (no_mix, "step 3 (mix 2): missing"),
        "fewer decryptions than t": (too_few, "step 4: 1 trustees decrypted, 2 needed"),
        "another round's key.json": (other_key, "step 1: "),
    }[what]


@pytest.mark.parametrize(
    "what",
    [
        "changed ciphertext",
        "mix output replaced",
        "wrong partial decryption",
        "changed plaintext",
        "another round's mix",
        "another round's mix, context rewritten",
        "another round's decryption, rewritten",
        "a missing mix",
        "fewer decryptions than t",
        "another round's key.json",
    ],
)
def test_the_stranger_catches_each_tampering_votes_verify_catches(exports, what):  # noqa: F811
    from votes.verify import verify_zip

    change, expected = _case(exports, what)
    data = tampered(exports["a"], change)
    found = stranger.check(data)
    assert any(p.startswith(expected) for p in found), (what, found)
    assert not verify_zip(data, workers=1).ok


def _section() -> str:
    text = DOC.read_text(encoding="utf-8")
    return text.split("## Encrypted rounds", 1)[1].split("\n## ", 1)[0]


def _example() -> dict:
    return json.loads(re.findall(r"```json\n(.*?)\n```", _section(), re.S)[-1])


def test_the_encrypted_rounds_worked_example_is_what_the_code_computes():
    x = _example()
    seed = bytes.fromhex(x["generator_seed"])
    assert seed == s.generator_seed(x["manifest_hash"], x["pot"])
    assert (
        seed
        == hashlib.sha512(
            b"devolve/shuffle-generators/v1\x00"
            + x["manifest_hash"].encode()
            + b"\x00"
            + x["pot"].encode()
        ).digest()
    )
    assert seed == generator_seed(
        type("C", (), {"manifest_hash": x["manifest_hash"], "pot": x["pot"]})
    )
    for i, g in enumerate(x["generators"]):
        r = hashlib.sha512(b"devolve/generator/v1\x00" + seed + i.to_bytes(8, "big")).digest()
        assert r[:32].hex() == g["uniform"]
        assert s.encode(s.from_uniform(r[:32])).hex() == g["point"]
        assert group.generators(seed, i, 1)[0].hex() == g["point"]
    t = x["transcript"]
    fields = [f"devolve/{t['label']}".encode(), b"edwards25519-prime-order/v1"]
    fields += [v.encode() if k == "text" else bytes.fromhex(v) for k, v in t["fields"]]
    hashed = b"".join(len(f).to_bytes(8, "big") + f for f in fields)
    assert hashed.hex() == t["hashed"]
    ours, theirs = s.Transcript(t["label"]), group.Transcript(t["label"])
    for kind, value in t["fields"]:
        if kind == "text":
            ours.text(value)
            theirs.text(value)
        else:
            ours.points([s.decode(bytes.fromhex(value))])
            theirs.points([bytes.fromhex(value)])
    assert hashlib.sha512(hashed).hexdigest() == t["sha512"] == ours.digest().hex()
    assert theirs.digest().hex() == t["sha512"]
    challenge = int.from_bytes(hashlib.sha512(hashed).digest(), "little") % s.L
    assert group.scalar_hex(theirs.challenge()) == t["challenge"] == group.scalar_hex(challenge)


# Where the stranger, following the document, is stricter than ``votes``: each a failing test
# of the code, with the fix proposed in its reason.


def test_votes_verify_refuses_a_scalar_not_in_lower_case_hex(exports):  # noqa: F811
    from votes.verify import verify_zip

    mix1 = _pot_file(exports, "mix-1.json")

    def upper(files):
        mix = load(files, mix1)
        mix["proof"]["s1"] = mix["proof"]["s1"].upper()
        dump(files, mix1, mix)

    data = tampered(exports["a"], upper)
    assert any(p.startswith("step 3 (mix 1): ") for p in stranger.check(data))
    assert not verify_zip(data, workers=1).ok


def test_a_cumulative_item_naming_a_project_twice_is_not_the_decrypted_ballot():
    from votes.model import Ballot, BallotKind, BallotRules
    from votes.secrecy.bundle import same_ballot

    decoded = {"choices": ["1"], "points": [2]}
    listed = {"choices": ["1", "1"], "points": [2, 2]}
    assert not s.same_ballot("cumulative", (decoded["choices"], decoded["points"]), listed)
    rules = BallotRules(kind=BallotKind.CUMULATIVE, points=2)
    assert not same_ballot(rules, Ballot(("1",), (2,)), Ballot(("1", "1"), (2, 2)))


@pytest.mark.parametrize(
    "manifest, projects",
    [
        ({"ballot_kind": "approval"}, 9),
        ({"ballot_kind": "knapsack"}, 3),
        ({"ballot_kind": "single-choice"}, 16),
        ({"ballot_kind": "ranked", "max_choices": 3}, 5),
        ({"ballot_kind": "ranked", "max_choices": None}, 300),
        ({"ballot_kind": "cumulative", "points": 10, "max_points_per_project": 5}, 4),
        ({"ballot_kind": "cumulative", "points": None, "max_points_per_project": None}, 40),
        ({"ballot_kind": "cumulative", "points": 1000, "max_points_per_project": None}, 3),
    ],
)
def test_the_documents_ballot_layouts_decode_what_votes_encodes(manifest, projects):
    from votes.model import Ballot, BallotKind, BallotRules
    from votes.secrecy import encoding

    kind = BallotKind(manifest["ballot_kind"])
    rules = BallotRules(
        kind=kind,
        max_choices=manifest.get("max_choices"),
        points=manifest.get("points"),
        max_points_per_project=manifest.get("max_points_per_project"),
    )
    ids = [str(10 + p) for p in range(projects)]
    assert s.width(manifest, projects) == encoding.width(rules, projects)
    for _ in range(20):
        chosen = RANDOM.sample(ids, RANDOM.randrange(0, min(projects, 3) + 1))
        if kind is BallotKind.RANKED:
            ballot = Ballot(tuple(chosen))
        elif kind is BallotKind.CUMULATIVE:
            cap = min(v for v in (rules.points, rules.max_points_per_project, 255) if v)
            chosen = sorted(chosen, key=ids.index)
            ballot = Ballot(tuple(chosen), tuple(RANDOM.randrange(1, cap + 1) for _ in chosen))
        else:
            ballot = Ballot(tuple(sorted(chosen, key=ids.index)))
        data = encoding.encode(ballot, rules, ids)
        assert len(data) == 29 * s.width(manifest, projects)
        choices, points = s.decode_ballot(data, manifest, ids)
        assert (tuple(choices), tuple(points)) == (ballot.choices, ballot.points)
        listed = {"choices": list(ballot.choices), "points": list(ballot.points)}
        assert s.same_ballot(manifest["ballot_kind"], (choices, points), listed)
        # And what votes decodes the bytes to.
        again = encoding.decode(data, rules, ids)
        assert (again.choices, again.points) == (ballot.choices, ballot.points)


def test_an_encrypted_pot_with_no_ballots_passes_the_stranger(db):
    from app.workflow import results
    from app.workflow.exports import export_pot
    from tests.app import secret_round as sr

    made = sr.make_key()
    sr.open_voting(made)
    sr.close(made)
    results.tally_round(db.session, made.funding_round, sr.NOW)
    db.session.commit()
    data = export_pot(db.session, made.funding_round, made.funding_round.pots[0].id)
    assert stranger.check(data) == []
