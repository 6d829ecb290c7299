"""The trustees' key generation without a dealer: 3 trustees, threshold 2.

- Every honest upload and every honest check is accepted; the public key is the sum of the
  trustees' first commitments, and each verification key is s_j·B for the share s_j in trustee
  j's key file.
- The key document reads back to the same keys, and changing a commitment, a proof, the ceremony
  hash, the threshold, the public key or a verification key in it is refused.
- A trustee who sends a wrong share draws a complaint that is upheld; a complaint about a right
  share, with the real pair key, is rejected; a complaint whose key opens nothing is undecided.
- The proof that a share is still held verifies, and only for its challenge, trustee, ceremony
  and key.
- An upload made for another ceremony is refused, and a ceremony that is not well formed is
  refused before any key is made.
"""

from __future__ import annotations

import copy

import pytest
from nacl.public import Box, PrivateKey, PublicKey

from tests.votes.secrecy.conftest import run_ceremony, trio
from votes.secrecy import group as g
from votes.secrecy import keys

NAMES = ("Returning officer", "Auditor", "Community rep")


def fresh(round_label: str = "lambeth/13", threshold: int = 2):
    """States, ceremony and keygen uploads of a new ceremony, before any check."""
    states = [keys.new_trustee(n) for n in NAMES]
    ceremony = keys.make_ceremony(
        round_label,
        threshold,
        [{"name": s["name"], "transport_key": keys.transport_key(s)} for s in states],
    )
    return states, ceremony, [keys.keygen(s, ceremony) for s in states]


def pair_box(sender: dict, receiver: dict) -> Box:
    return Box(
        PrivateKey(bytes.fromhex(sender["transport_secret"])),
        PublicKey(bytes.fromhex(keys.transport_key(receiver))),
    )


def test_uploads_and_checks_are_accepted() -> None:
    c = trio()
    assert c.ceremony["trustees"][1] == {
        "index": 2,
        "name": "Auditor",
        "transport_key": keys.transport_key(c.states[1]),
    }
    assert [keys.keygen_problem(c.ceremony, u) for u in c.uploads] == [None] * 3
    assert [u["trustee"] for u in c.uploads] == [1, 2, 3]
    assert all(
        len(u["commitments"]) == 2 and set(u["shares"]) == {"1", "2", "3"} - {str(u["trustee"])}
        for u in c.uploads
    )
    assert [keys.check_problem(c.ceremony, c.uploads, r) for r in c.checks] == [None] * 3
    assert all("complaint" not in r for r in c.checks)


def test_public_key_is_the_sum_of_the_first_commitments() -> None:
    c = trio()
    expected = g.total(bytes.fromhex(u["commitments"][0]) for u in c.uploads)
    assert keys.public_key(c.ceremony, c.uploads) == expected == c.key
    assert c.document["public_key"] == expected.hex()
    # The constant terms in the key files add up to the secret key of Y.
    digest = c.document["ceremony_hash"]
    constant = sum(g.scalar(s["ceremonies"][digest]["coefficients"][0], "a") for s in c.states)
    assert g.base(constant) == c.key


def test_verification_keys_are_the_shares_times_base() -> None:
    c = trio()
    digest = c.document["ceremony_hash"]
    by = {u["trustee"]: u for u in c.uploads}
    for state in c.states:
        entry = state["ceremonies"][digest]
        j, share = entry["index"], g.scalar(entry["share"], "share")
        assert g.base(share) == c.verification_keys[j] == keys.verification_key(by, j)
        assert c.checks[j - 1]["verification_key"] == g.base(share).hex()
    assert len(set(c.verification_keys.values())) == 3
    # The shares are points of one polynomial whose constant is the secret key.
    lam = {j: g.lagrange_at_zero([1, 3], j) for j in (1, 3)}
    assert g.base(sum(lam[j] * c.secrets[j] for j in (1, 3))) == c.key


def test_key_document_round_trip() -> None:
    c = trio()
    key, verification_keys, threshold = keys.read_key_document(copy.deepcopy(c.document))
    assert (key, verification_keys, threshold) == (c.key, c.verification_keys, 2)
    assert c.document["ceremony_hash"] == keys.ceremony_hash(c.ceremony)
    assert all("shares" not in entry for entry in c.document["keygen"])


def _flip_hex(text: str) -> str:
    raw = bytearray(bytes.fromhex(text))
    raw[0] ^= 1
    return raw.hex()


def _tamper(document: dict, what: str) -> None:
    if what == "first commitment":
        document["keygen"][1]["commitments"][0] = g.base(12345).hex()
    elif what == "second commitment":
        document["keygen"][0]["commitments"][1] = g.base(12345).hex()
    elif what == "keygen proof":
        document["keygen"][2]["proof"][1] = _flip_hex(document["keygen"][2]["proof"][1])
    elif what == "check proof":
        document["checks"][0]["proof"][0] = _flip_hex(document["checks"][0]["proof"][0])
    elif what == "ceremony hash":
        document["ceremony_hash"] = "00" * 32
    elif what == "threshold":
        document["threshold"] = 3
    elif what == "ceremony's threshold":
        document["ceremony"]["threshold"] = 3
    elif what == "threshold everywhere":
        document["ceremony"]["threshold"] = 3
        document["threshold"] = 3
        document["ceremony_hash"] = keys.ceremony_hash(document["ceremony"])
    elif what == "verification key":
        document["checks"][1]["verification_key"] = g.base(777).hex()
    elif what == "public key":
        document["public_key"] = g.base(777).hex()
    elif what == "a trustee's name":
        document["ceremony"]["trustees"][0]["name"] = "Someone else"
    elif what == "a keygen part left out":
        del document["keygen"][2]
    elif what == "a keygen part twice":
        document["keygen"][2] = document["keygen"][1]
    elif what == "the format":
        document["format"] = "devolve-key/v0"
    else:
        raise AssertionError(what)


TAMPERINGS = [
    "first commitment",
    "second commitment",
    "keygen proof",
    "check proof",
    "ceremony hash",
    "threshold",
    "ceremony's threshold",
    "threshold everywhere",
    "verification key",
    "public key",
    "a trustee's name",
    "a keygen part left out",
    "a keygen part twice",
    "the format",
]


@pytest.mark.parametrize("what", TAMPERINGS)
def test_a_tampered_key_document_is_refused(what: str) -> None:
    document = copy.deepcopy(trio().document)
    _tamper(document, what)
    with pytest.raises(g.SecrecyError):
        keys.read_key_document(document)


def test_a_key_document_missing_a_trustees_acceptance_is_refused() -> None:
    document = copy.deepcopy(trio().document)
    del document["checks"][2]
    with pytest.raises(g.SecrecyError):
        keys.read_key_document(document)


def test_a_bad_share_draws_an_upheld_complaint() -> None:
    states, ceremony, uploads = fresh()
    sender, receiver = states[0], states[1]
    wrong = (keys._evaluate([1, 2], 2) + 1) % g.L  # any scalar but the right one will do
    uploads[0]["shares"]["2"] = (
        pair_box(sender, receiver).encrypt(g.scalar_hex(wrong).encode()).hex()
    )
    assert keys.keygen_problem(ceremony, uploads[0]) is None  # the server cannot see it
    result = keys.check(receiver, ceremony, uploads)
    assert result["trustee"] == 2
    assert result["complaint"]["against"] == 1
    assert result["complaint"]["reason"] == "the share does not match the sender's commitments"
    assert "verification_key" not in result
    assert keys.judge_complaint(ceremony, uploads, result) == "upheld"
    assert keys.check_problem(ceremony, uploads, result) == (
        "the trustee complains about another trustee's share"
    )
    digest = keys.ceremony_hash(ceremony)
    assert receiver["ceremonies"][digest]["share"] is None
    # Trustee 3 received right shares and accepts.
    assert "complaint" not in keys.check(states[2], ceremony, uploads)


def test_a_share_that_is_not_a_scalar_draws_an_upheld_complaint() -> None:
    states, ceremony, uploads = fresh()
    garbage = pair_box(states[2], states[0]).encrypt(b"not a scalar at all").hex()
    uploads[2]["shares"]["1"] = garbage
    result = keys.check(states[0], ceremony, uploads)
    assert result["complaint"]["against"] == 3
    assert keys.judge_complaint(ceremony, uploads, result) == "upheld"


def test_a_false_complaint_is_rejected() -> None:
    states, ceremony, uploads = fresh()
    digest = keys.ceremony_hash(ceremony)
    complaint = {
        "format": keys.KEYCHECK,
        "ceremony": digest,
        "trustee": 2,
        "complaint": {
            "against": 1,
            "reason": "the share does not match the sender's commitments",
            "shared_key": pair_box(states[1], states[0]).shared_key().hex(),
        },
    }
    assert keys.judge_complaint(ceremony, uploads, complaint) == "rejected"
    # Both ends of the pair compute the same key.
    assert (
        pair_box(states[0], states[1]).shared_key() == pair_box(states[1], states[0]).shared_key()
    )
    # A key that opens nothing leaves the judge undecided; a complaint against oneself is rejected.
    unopened = copy.deepcopy(complaint)
    unopened["complaint"]["shared_key"] = "11" * 32
    assert keys.judge_complaint(ceremony, uploads, unopened) == "undecided"
    against_self = copy.deepcopy(complaint)
    against_self["complaint"]["against"] = 2
    assert keys.judge_complaint(ceremony, uploads, against_self) == "rejected"
    assert "complaint" not in keys.check(states[1], ceremony, uploads)


def test_still_held_proof_round_trip() -> None:
    c = trio()
    digest = c.document["ceremony_hash"]
    proof = keys.prove_held(c.states[1], digest, "challenge-2026-12-01")
    assert proof["trustee"] == 2
    vk = c.verification_keys[2]
    assert keys.held_ok(proof, digest, "challenge-2026-12-01", vk, 2)
    assert not keys.held_ok(proof, digest, "challenge-2026-12-02", vk, 2)
    moved = dict(proof, challenge="challenge-2026-12-02")
    assert not keys.held_ok(moved, digest, "challenge-2026-12-02", vk, 2)
    assert not keys.held_ok(proof, digest, "challenge-2026-12-01", c.verification_keys[1], 2)
    assert not keys.held_ok(dict(proof, trustee=1), digest, "challenge-2026-12-01", vk, 1)
    assert not keys.held_ok(proof, "00" * 32, "challenge-2026-12-01", vk, 2)
    assert not keys.held_ok(None, digest, "challenge-2026-12-01", vk, 2)
    # Proofs are fresh each time.
    assert keys.prove_held(c.states[1], digest, "challenge-2026-12-01")["proof"] != proof["proof"]
    with pytest.raises(g.SecrecyError, match="holds no share"):
        keys.prove_held(c.states[1], "00" * 32, "challenge")


def test_an_upload_for_another_ceremony_is_refused() -> None:
    c = trio()
    states, ceremony, uploads = fresh("lambeth/14")
    assert keys.keygen_problem(ceremony, c.uploads[0]) == (
        "the upload is for another round's key ceremony"
    )
    assert keys.keygen_problem(c.ceremony, uploads[0]) == (
        "the upload is for another round's key ceremony"
    )
    mixed = [c.uploads[0], uploads[1], uploads[2]]
    with pytest.raises(g.SecrecyError, match="another round's key ceremony"):
        keys.check(states[1], ceremony, mixed)
    # A check made for one ceremony is not an acceptance in another.
    assert keys.check_problem(ceremony, uploads, c.checks[0]) == (
        "the check is for another round's key ceremony"
    )


def test_a_key_file_takes_part_once_and_in_order() -> None:
    states, ceremony, uploads = fresh()
    with pytest.raises(g.SecrecyError, match="already made its part"):
        keys.keygen(states[0], ceremony)
    outsider = keys.new_trustee("Outsider")
    with pytest.raises(g.SecrecyError, match="not one of the ceremony's trustees"):
        keys.keygen(outsider, ceremony)
    other_states, _, _ = fresh("lambeth/15")
    with pytest.raises(g.SecrecyError, match="not one of the ceremony's trustees"):
        keys.check(other_states[0], ceremony, uploads)
    late = [keys.new_trustee(n) for n in NAMES]
    late_ceremony = keys.make_ceremony(
        "lambeth/17", 2, [{"name": s["name"], "transport_key": keys.transport_key(s)} for s in late]
    )
    with pytest.raises(g.SecrecyError, match="has not made its part"):
        keys.check(late[0], late_ceremony, [])
    with pytest.raises(g.SecrecyError, match="no key upload yet from trustee 3"):
        keys.check(states[0], ceremony, uploads[:2])
    with pytest.raises(g.SecrecyError, match="two key uploads"):
        keys.check(states[0], ceremony, [*uploads, uploads[2]])
    # Trustee 1's upload replaced by another made with the same index: its key file refuses it.
    swapped = copy.deepcopy(uploads)
    swapped[0]["commitments"] = list(reversed(swapped[0]["commitments"]))
    swapped[0]["proof"] = keys._prove(1, g.base(1), "constant", keys.ceremony_hash(ceremony), 1)
    swapped[0]["commitments"][0] = g.base(1).hex()
    assert keys.keygen_problem(ceremony, swapped[0]) is None
    with pytest.raises(g.SecrecyError, match="did not make"):
        keys.check(states[0], ceremony, swapped)


@pytest.mark.parametrize(
    ("threshold", "count", "message"),
    [
        (0, 3, "the threshold must be a number from 1 to 3"),
        (4, 3, "the threshold must be a number from 1 to 3"),
        (True, 3, "the threshold must be a number from 1 to 3"),
        (1, 1, "a ceremony needs at least 2 trustees"),
    ],
)
def test_a_malformed_ceremony_is_refused(threshold, count, message) -> None:
    states = [keys.new_trustee(n) for n in NAMES[:count]]
    registrations = [{"name": s["name"], "transport_key": keys.transport_key(s)} for s in states]
    with pytest.raises(g.SecrecyError, match=message):
        keys.make_ceremony("lambeth/16", threshold, registrations)


def test_a_ceremony_with_a_repeated_or_malformed_transport_key_is_refused() -> None:
    state = keys.new_trustee("Officer")
    registration = {"name": "Officer", "transport_key": keys.transport_key(state)}
    with pytest.raises(g.SecrecyError, match="same transport key"):
        keys.make_ceremony("r", 1, [registration, dict(registration, name="Twin")])
    with pytest.raises(g.SecrecyError, match="64 hexadecimal digits"):
        keys.make_ceremony("r", 1, [registration, {"name": "B", "transport_key": "zz" * 32}])
    with pytest.raises(g.SecrecyError, match="has no name"):
        keys.make_ceremony("r", 1, [registration, {"name": " ", "transport_key": "ab" * 32}])
    with pytest.raises(g.SecrecyError, match="names no round"):
        keys.make_ceremony("", 1, [registration, {"name": "B", "transport_key": "ab" * 32}])


def test_threshold_one_of_two() -> None:
    c = run_ceremony(("A", "B"), 1, "small/1")
    assert c.threshold == 1
    assert all(len(u["commitments"]) == 1 for u in c.uploads)
    # With t = 1 every share is the secret key itself.
    assert g.base(c.secrets[1]) == g.base(c.secrets[2]) == c.key


@pytest.mark.parametrize("where", ["check", "key_document"])
def test_an_upload_or_check_that_is_not_an_object_is_refused(where: str) -> None:
    states, ceremony, uploads = fresh()
    with pytest.raises(g.SecrecyError):
        if where == "check":
            keys.check(states[0], ceremony, [5, uploads[1], uploads[2]])
        else:
            keys.key_document(ceremony, uploads, ["not a check"])
