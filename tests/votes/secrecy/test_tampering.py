"""Tampering with any part of a pot's record is caught, and by the right check.

- A shuffle proof proves one statement: changing the key, the round (manifest hash), the pot,
  the mix's number, one input, one output, the order of two outputs, one permutation commitment
  or one chain element, while keeping the proof, makes the check fail; so does a proof made for
  another round.
- A ballot's proof fails under another ballot id, pot or round.
- A wrong partial decryption (a factor doubled, or computed with a wrong secret) is named with
  its ballot's position.
- ``pot_problems`` names the step that catches each change: a changed ciphertext (step 2), one
  ballot replaced in a mix's output (step 3, that mix), a wrong partial decryption (step 4, that
  trustee), too few trustees (step 4), a changed plaintext (step 5).
- Points outside the prime-order group (the identity, a point of small order, a point of mixed
  order, a non-canonical encoding, a point off the curve) are refused where they are read, and
  the message says where.
"""

from __future__ import annotations

import dataclasses

import pytest

from tests.votes.secrecy.conftest import (
    CONTEXT,
    OTHER_MANIFEST,
    PROJECTS,
    RULES,
    approval_ballots,
    encrypt_all,
    fresh_scalars,
    pot,
    trio,
)
from votes.model import Ballot
from votes.secrecy import bundle, decryption, elgamal, encoding, shuffle
from votes.secrecy import group as g

P = 2**255 - 19
D = (-121665 * pow(121666, -1, P)) % P
SMALL_ORDER = bytes.fromhex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05")


def on_curve(y: int) -> bool:
    """Has the curve a point with this y (is (y² − 1)/(d·y² + 1) a square mod p)?"""
    x2 = (y * y - 1) * pow(D * y * y + 1, -1, P) % P
    return x2 == 0 or pow(x2, (P - 1) // 2, P) == 1


def off_curve_encoding() -> bytes:
    y = next(y for y in range(2, 100) if not on_curve(y))
    return y.to_bytes(32, "little")


def non_canonical_encoding() -> bytes:
    """y + p for a small y on the curve: the same point as y, encoded with y ≥ p."""
    y = next(y for y in range(2, 19) if on_curve(y))
    return (y + P).to_bytes(32, "little")


BAD_POINTS = {
    "identity": g.IDENTITY,
    "identity with the sign bit": bytes([1]) + bytes(30) + bytes([0x80]),
    "order 8": SMALL_ORDER,
    "mixed order": g.add(g.BASE, SMALL_ORDER),
    "non-canonical": non_canonical_encoding(),
    "off the curve": off_curve_encoding(),
    "short": g.BASE[:31],
}


def test_the_bad_points_are_what_they_say() -> None:
    assert g.total([SMALL_ORDER] * 8) == g.IDENTITY
    assert g.total([SMALL_ORDER] * 4) != g.IDENTITY
    assert g.total([g.add(g.BASE, SMALL_ORDER)] * 8) == g.base(8)
    assert not on_curve(int.from_bytes(BAD_POINTS["off the curve"], "little"))
    assert int.from_bytes(BAD_POINTS["non-canonical"], "little") >= P


@pytest.mark.parametrize("name", sorted(BAD_POINTS))
def test_point_hex_refuses_points_outside_the_group(name: str) -> None:
    raw = BAD_POINTS[name]
    assert not g.is_point(raw)
    with pytest.raises(g.SecrecyError, match=r"^mix 2, output 7: "):
        g.point_hex(raw.hex(), "mix 2, output 7")
    with pytest.raises(g.SecrecyError, match=r"^the key file: "):
        g.point(raw, "the key file")


@pytest.mark.parametrize(
    "text",
    [None, 5, "", "zz" * 32, g.BASE.hex() + "00", g.BASE.hex()[:-1], g.base(2).hex().upper()],
)
def test_point_hex_refuses_what_is_not_64_hex_digits(text) -> None:
    with pytest.raises(
        g.SecrecyError, match=r"^here: a point must be 64 lower-case hexadecimal digits"
    ):
        g.point_hex(text, "here")


@pytest.mark.parametrize("name", sorted(BAD_POINTS))
@pytest.mark.parametrize("half", [0, 1])
def test_vectors_from_json_names_the_ballot_with_a_bad_point(name: str, half: int) -> None:
    rows = bundle.vectors_to_json(pot()["vectors"])
    rows[3][0][half] = BAD_POINTS[name].hex()
    with pytest.raises(g.SecrecyError, match=r"^the mix task, ballot 4: "):
        bundle.vectors_from_json(rows, "the mix task, ballot")
    with pytest.raises(g.SecrecyError, match=r"^the mix task, ballot 4: "):
        bundle.vectors_from_json(rows, "the mix task, ballot", workers=2)


@pytest.mark.parametrize("name", ["identity", "order 8", "off the curve"])
def test_proof_files_refuse_bad_points(name: str) -> None:
    bad = BAD_POINTS[name].hex()
    _, proof = pot()["mixes"][0]
    data = proof.to_json()
    data["chain"][2] = bad
    with pytest.raises(g.SecrecyError, match=r"^mix 1's proof, chain 3: "):
        shuffle.ShuffleProof.from_json(data, "mix 1's proof")
    share = pot()["decryptions"][1][0].to_json()
    share["factors"][0] = bad
    with pytest.raises(g.SecrecyError, match=r"^ballot 1, factor 1: "):
        decryption.Share.from_json(share, "ballot 1", width=1)
    ciphertext = pot()["ciphertexts"][0][1].to_json()
    ciphertext["pairs"][0][0] = bad
    with pytest.raises(g.SecrecyError, match=r"^ballot b0, pair 1: "):
        elgamal.Ciphertext.from_json(ciphertext, "ballot b0")


def test_a_non_canonical_scalar_is_refused() -> None:
    with pytest.raises(g.SecrecyError, match="below the group order"):
        g.scalar(g.L.to_bytes(32, "little").hex(), "s1")
    assert g.scalar((g.L - 1).to_bytes(32, "little").hex(), "s1") == g.L - 1


# The shuffle's statement.


def shuffle_statement():
    c = trio()
    inputs = pot()["vectors"]
    outputs, proof = pot()["mixes"][0]
    return c.key, list(inputs), list(outputs), proof


def test_the_untouched_shuffle_verifies() -> None:
    key, inputs, outputs, proof = shuffle_statement()
    assert shuffle.shuffle_problem(inputs, outputs, proof, key, CONTEXT, 1) is None


def _another_ballot(key: bytes) -> tuple:
    message = encoding.to_points(Ballot(choices=("p9",)), RULES, PROJECTS)
    return elgamal.encrypt(message, key, CONTEXT, "x").pairs


def _changes(key, inputs, outputs, proof):
    """(name, inputs, outputs, proof, key, context, number), each with one change."""
    other_key = g.base(g.random_scalar())
    yield "the key", inputs, outputs, proof, other_key, CONTEXT, 1
    yield (
        "the manifest hash",
        inputs,
        outputs,
        proof,
        key,
        dataclasses.replace(CONTEXT, manifest_hash=OTHER_MANIFEST),
        1,
    )
    yield "the pot", inputs, outputs, proof, key, dataclasses.replace(CONTEXT, pot="pot-2"), 1
    yield "the mix number", inputs, outputs, proof, key, CONTEXT, 2
    changed = list(inputs)
    changed[2] = _another_ballot(key)
    yield "one input", changed, outputs, proof, key, CONTEXT, 1
    changed = list(inputs)
    changed[2] = elgamal.reencrypt(inputs[2], key, fresh_scalars(1))
    yield "one input re-encrypted", changed, outputs, proof, key, CONTEXT, 1
    changed = list(outputs)
    changed[0] = elgamal.reencrypt(outputs[1], key, fresh_scalars(1))
    yield "one output replaced", inputs, changed, proof, key, CONTEXT, 1
    changed = list(outputs)
    changed[0], changed[3] = changed[3], changed[0]
    yield "two outputs swapped", inputs, changed, proof, key, CONTEXT, 1
    commitments = list(proof.commitments)
    commitments[1] = g.add(commitments[1], g.BASE)
    yield (
        "a commitment",
        inputs,
        outputs,
        dataclasses.replace(proof, commitments=tuple(commitments)),
        key,
        CONTEXT,
        1,
    )
    commitments = list(proof.commitments)
    commitments[0], commitments[1] = commitments[1], commitments[0]
    yield (
        "two commitments swapped",
        inputs,
        outputs,
        dataclasses.replace(proof, commitments=tuple(commitments)),
        key,
        CONTEXT,
        1,
    )
    for position in (0, len(proof.chain) - 1):
        chain = list(proof.chain)
        chain[position] = g.add(chain[position], g.BASE)
        yield (
            f"chain element {position + 1}",
            inputs,
            outputs,
            dataclasses.replace(proof, chain=tuple(chain)),
            key,
            CONTEXT,
            1,
        )
    yield "fewer outputs", inputs, outputs[:-1], proof, key, CONTEXT, 1


CHANGES = [c[0] for c in _changes(*shuffle_statement())]


@pytest.mark.parametrize("name", CHANGES)
def test_each_part_of_the_shuffle_statement_is_bound(name: str) -> None:
    for change in _changes(*shuffle_statement()):
        if change[0] == name:
            _, inputs, outputs, proof, key, context, number = change
            problem = shuffle.shuffle_problem(inputs, outputs, proof, key, context, number)
            assert isinstance(problem, str) and problem
            return
    raise AssertionError(name)


def test_a_shuffle_proof_from_another_round_fails() -> None:
    key, inputs, outputs, proof = shuffle_statement()
    other = dataclasses.replace(CONTEXT, manifest_hash=OTHER_MANIFEST)
    outputs2, proof2 = shuffle.shuffle(inputs, key, other, 1)
    assert shuffle.shuffle_problem(inputs, outputs2, proof2, key, other, 1) is None
    assert shuffle.shuffle_problem(inputs, outputs2, proof2, key, CONTEXT, 1) is not None
    # Nor does this round's proof carry over to the other round's outputs.
    assert shuffle.shuffle_problem(inputs, outputs2, proof, key, CONTEXT, 1) is not None


def test_a_shuffle_that_changes_a_ballot_cannot_be_proven() -> None:
    """A mix that swaps one ballot for another before proving is caught."""
    key, inputs, _, _ = shuffle_statement()
    outputs, proof = shuffle.shuffle(inputs, key, CONTEXT, 1)
    cheat = list(outputs)
    cheat[1] = _another_ballot(key)
    assert shuffle.shuffle_problem(inputs, cheat, proof, key, CONTEXT, 1) is not None


# The ballot proof.


@pytest.mark.parametrize(
    ("ballot_id", "context"),
    [
        ("b1", CONTEXT),
        ("b0 ", CONTEXT),
        ("b0", dataclasses.replace(CONTEXT, pot="pot-2")),
        ("b0", dataclasses.replace(CONTEXT, manifest_hash=OTHER_MANIFEST)),
    ],
)
def test_a_ballot_proof_fails_in_another_place(ballot_id: str, context) -> None:
    c = trio()
    ballot, ciphertext = pot()["ciphertexts"][0]
    assert ballot == "b0" and elgamal.ballot_proof_ok(ciphertext, c.key, CONTEXT, "b0")
    assert not elgamal.ballot_proof_ok(ciphertext, c.key, context, ballot_id)


def test_a_ballot_proof_fails_under_another_key_or_with_its_pairs_changed() -> None:
    c = trio()
    _, ciphertext = pot()["ciphertexts"][0]
    assert not elgamal.ballot_proof_ok(ciphertext, g.base(5), CONTEXT, "b0")
    ((r, s),) = ciphertext.pairs
    moved = dataclasses.replace(ciphertext, pairs=((r, g.add(s, g.BASE)),))
    assert not elgamal.ballot_proof_ok(moved, c.key, CONTEXT, "b0")
    assert not elgamal.ballot_proof_ok(
        dataclasses.replace(ciphertext, responses=()), c.key, CONTEXT, "b0"
    )


# Partial decryptions.


def test_a_doubled_factor_is_named_by_its_ballot() -> None:
    c = trio()
    vectors = pot()["mixes"][1][0]
    shares = list(pot()["decryptions"][3])
    wrong = shares[4]
    shares[4] = dataclasses.replace(wrong, factors=(g.mul(2, wrong.factors[0]),))
    problem = decryption.share_problem(vectors, shares, c.verification_keys[3], 3, CONTEXT)
    assert problem == "ballot 5, element 1: the proof of decryption does not hold"


def test_a_share_computed_with_a_wrong_secret_is_named_by_its_ballot() -> None:
    c = trio()
    vectors = pot()["mixes"][1][0]
    shares = list(pot()["decryptions"][1])
    forged = decryption.decrypt_share(vectors, (c.secrets[1] + 1) % g.L, 1, CONTEXT)
    shares[2] = forged[2]
    problem = decryption.share_problem(vectors, shares, c.verification_keys[1], 1, CONTEXT)
    assert problem == "ballot 3, element 1: the proof of decryption does not hold"
    # Honest under its own key, so only the key it is checked against tells it apart.
    assert decryption.share_problem(vectors, forged, g.base(c.secrets[1] + 1), 1, CONTEXT) is None


def test_shares_from_another_trustee_position_or_context_fail() -> None:
    c = trio()
    vectors = pot()["mixes"][1][0]
    shares = pot()["decryptions"][1]
    vk = c.verification_keys[1]
    assert decryption.share_problem(vectors, shares, vk, 1, CONTEXT) is None
    assert decryption.share_problem(vectors, shares, vk, 2, CONTEXT) == (
        "ballot 1: the partial decryption is by trustee 1"
    )
    swapped = list(shares)
    swapped[0], swapped[1] = swapped[1], swapped[0]
    assert decryption.share_problem(vectors, swapped, vk, 1, CONTEXT).startswith("ballot 1,")
    other = dataclasses.replace(CONTEXT, pot="pot-2")
    assert decryption.share_problem(vectors, shares, vk, 1, other) is not None
    assert decryption.share_problem(vectors, shares[:-1], vk, 1, CONTEXT) is not None


# pot_problems: each change is caught by its step.


def pot_arguments(**changes):
    c = trio()
    record = pot()
    arguments = {
        "key": c.key,
        "verification_keys": c.verification_keys,
        "threshold": c.threshold,
        "context": CONTEXT,
        "ciphertexts": list(record["ciphertexts"]),
        "mixes": list(record["mixes"]),
        "decryptions": dict(record["decryptions"]),
        "ballots": list(record["decoded"]),
        "rules": RULES,
        "project_ids": PROJECTS,
    }
    arguments.update(changes)
    return arguments


def test_an_untouched_pot_has_no_problems() -> None:
    record = pot()
    assert bundle.pot_problems(**pot_arguments()) == []
    assert sorted(record["decoded"], key=repr) == sorted(record["ballots"], key=repr)
    assert bundle.pot_problems(**pot_arguments(workers=2)) == []


def test_a_changed_ciphertext_is_step_2() -> None:
    ciphertexts = list(pot()["ciphertexts"])
    ballot_id, ciphertext = ciphertexts[2]
    ((r, s),) = ciphertext.pairs
    ciphertexts[2] = (ballot_id, dataclasses.replace(ciphertext, pairs=((r, g.add(s, g.BASE)),)))
    problems = bundle.pot_problems(**pot_arguments(ciphertexts=ciphertexts))
    assert len(problems) == 1
    assert problems[0].startswith("step 2 (the ciphertexts): ballot b2 (number 3 in log order)")


def test_a_ciphertext_under_another_ballot_id_is_step_2() -> None:
    ciphertexts = list(pot()["ciphertexts"])
    ciphertexts[0], ciphertexts[1] = (("b1", ciphertexts[0][1]), ("b0", ciphertexts[1][1]))
    problems = bundle.pot_problems(**pot_arguments(ciphertexts=ciphertexts))
    assert [p.split(":")[0] for p in problems] == ["step 2 (the ciphertexts)"] * 2


@pytest.mark.parametrize("number", [1, 2])
def test_one_ballot_replaced_in_a_mix_is_step_3_of_that_mix(number: int) -> None:
    c = trio()
    mixes = list(pot()["mixes"])
    outputs, proof = mixes[number - 1]
    changed = list(outputs)
    changed[1] = _another_ballot(c.key)
    mixes[number - 1] = (changed, proof)
    problems = bundle.pot_problems(**pot_arguments(mixes=mixes))
    assert problems == [f"step 3 (mix {number}): the shuffle proof does not hold"]


def test_a_missing_mix_is_step_3() -> None:
    problems = bundle.pot_problems(**pot_arguments(mixes=[]))
    assert problems == ["step 3 (the mixes): the pot's ciphertexts were never shuffled"]
    # The second mix alone does not start from the ciphertexts.
    problems = bundle.pot_problems(**pot_arguments(mixes=[pot()["mixes"][1]]))
    assert len(problems) == 1 and problems[0].startswith("step 3 (mix 1): ")


def test_a_wrong_partial_decryption_is_step_4_naming_the_trustee() -> None:
    decryptions = dict(pot()["decryptions"])
    shares = list(decryptions[3])
    shares[0] = dataclasses.replace(shares[0], factors=(g.mul(2, shares[0].factors[0]),))
    decryptions[3] = shares
    problems = bundle.pot_problems(**pot_arguments(decryptions=decryptions))
    assert problems == [
        "step 4 (trustee 3's decryption): ballot 1, element 1: "
        "the proof of decryption does not hold"
    ]


def test_fewer_than_t_decryptions_is_step_4() -> None:
    decryptions = {1: pot()["decryptions"][1]}
    problems = bundle.pot_problems(**pot_arguments(decryptions=decryptions))
    assert problems == ["step 4 (the decryptions): 1 trustees decrypted; 2 are needed"]
    problems = bundle.pot_problems(**pot_arguments(decryptions={}))
    assert len(problems) == 1 and problems[0].startswith("step 4 (the decryptions): 0 ")


def test_a_decryption_by_a_trustee_without_a_key_is_step_4() -> None:
    decryptions = dict(pot()["decryptions"])
    decryptions[4] = decryptions[3]
    problems = bundle.pot_problems(**pot_arguments(decryptions=decryptions))
    assert len(problems) == 1 and problems[0].startswith("step 4 ")


def test_a_changed_plaintext_is_step_5() -> None:
    ballots = list(pot()["decoded"])
    ballots[3] = Ballot(choices=("p9",) if ballots[3].choices != ("p9",) else ("p8",))
    problems = bundle.pot_problems(**pot_arguments(ballots=ballots))
    assert problems == [
        "step 5 (the plaintexts): ballot 4 of the last mix decrypts to another ballot than the "
        "ballots file holds"
    ]
    problems = bundle.pot_problems(**pot_arguments(ballots=ballots[:-1]))
    assert len(problems) == 1 and problems[0].startswith("step 5 (the plaintexts): ")
    swapped = list(pot()["decoded"])
    swapped[0], swapped[1] = swapped[1], swapped[0]
    problems = bundle.pot_problems(**pot_arguments(ballots=swapped))
    assert [p.split(":")[0] for p in problems] == ["step 5 (the plaintexts)"] * 2


def test_the_ballots_differ_in_the_test_pot() -> None:
    """The step 5 tests rely on the pot's ballots being different from one another."""
    ballots = approval_ballots(6)
    assert len(set(ballots)) == 6
    assert len(encrypt_all(ballots[:1], trio().key)) == 1
