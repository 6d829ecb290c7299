"""Properties that hold for every input, checked with Hypothesis.

- Encoding then decoding gives the ballot back, for every kind of ballot, and every ballot of a
  pot encodes to the same number of bytes and points, whatever it holds.
- Re-encryption keeps the plaintext.
- Honest proofs verify: the ballot proof, the shuffle proof, the partial decryptions and the
  key-generation proofs.
- Changing any one byte of a serialized proof, or of the statement it proves, makes
  verification fail (or the file is refused when it is read).
- Any t of n trustees decrypt correctly; t − 1 do not.
"""

from __future__ import annotations

import copy
import itertools
from functools import cache

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.votes.secrecy.conftest import (
    CONTEXT,
    OTHER_MANIFEST,
    PROJECTS,
    RULES,
    run_ceremony,
    trio,
)
from votes.model import Ballot, BallotKind, BallotRules
from votes.secrecy import decryption, elgamal, encoding, keys, shuffle
from votes.secrecy import group as g

FEW = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SOME = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def project_ids(count: int) -> tuple[str, ...]:
    return tuple(f"project-{i}" for i in range(count))


@st.composite
def set_ballots(draw, kind: BallotKind):
    count = draw(st.integers(1, 70))
    ids = project_ids(count)
    chosen = draw(st.sets(st.integers(0, count - 1), max_size=count))
    if kind is BallotKind.SINGLE:
        chosen = set(list(chosen)[:1])
    rules = BallotRules(kind=kind)
    return rules, ids, Ballot(choices=tuple(ids[p] for p in sorted(chosen)))


@st.composite
def ranked_ballots(draw):
    count = draw(st.sampled_from([1, 2, 5, 12, 40, 254, 255, 300]))
    ids = project_ids(count)
    k = draw(st.integers(1, min(count, 12)))
    order = draw(st.permutations(range(count))) if count <= 40 else None
    if order is None:
        order = draw(st.lists(st.integers(0, count - 1), unique=True, min_size=k, max_size=k))
    length = draw(st.integers(0, k))
    rules = BallotRules(kind=BallotKind.RANKED, max_choices=k)
    return rules, ids, Ballot(choices=tuple(ids[p] for p in order[:length]))


@st.composite
def cumulative_ballots(draw):
    count = draw(st.integers(1, 30))
    ids = project_ids(count)
    total = draw(st.sampled_from([1, 5, 10, 100, 300, 70000]))
    cap = draw(st.one_of(st.none(), st.integers(1, total)))
    largest = total if cap is None else cap
    chosen = sorted(draw(st.sets(st.integers(0, count - 1), max_size=count)))
    left, points = total, []
    for _ in chosen:
        given_points = draw(st.integers(0, min(largest, left)))
        points.append(given_points)
        left -= given_points
    rules = BallotRules(kind=BallotKind.CUMULATIVE, points=total, max_points_per_project=cap)
    return rules, ids, Ballot(choices=tuple(ids[p] for p in chosen), points=tuple(points))


ANY_BALLOT = st.one_of(
    set_ballots(BallotKind.APPROVAL),
    set_ballots(BallotKind.KNAPSACK),
    set_ballots(BallotKind.SINGLE),
    ranked_ballots(),
    cumulative_ballots(),
)


@SOME
@given(ANY_BALLOT)
def test_encode_decode_round_trip_every_kind(case) -> None:
    rules, ids, ballot = case
    data = encoding.encode(ballot, rules, ids)
    assert len(data) == encoding.width(rules, len(ids)) * encoding.CHUNK
    assert encoding.decode(data, rules, ids) == ballot
    points = encoding.to_points(ballot, rules, ids)
    assert len(points) == encoding.width(rules, len(ids))
    assert all(g.is_point(p) for p in points)
    assert encoding.from_points(points, rules, ids) == ballot


@FEW
@given(ANY_BALLOT, st.data())
def test_every_ballot_of_a_pot_has_the_same_width(case, data) -> None:
    rules, ids, ballot = case
    empty = Ballot(choices=(), points=())
    if rules.kind is BallotKind.CUMULATIVE:
        full = Ballot(choices=ids, points=tuple(0 for _ in ids))
    elif rules.kind is BallotKind.RANKED:
        full = Ballot(choices=ids[: rules.max_choices])
    else:
        full = Ballot(choices=ids)
    sizes = {len(encoding.encode(b, rules, ids)) for b in (ballot, empty, full)}
    assert sizes == {encoding.width(rules, len(ids)) * encoding.CHUNK}
    key = g.base(7)
    widths = {
        len(elgamal.encrypt(encoding.to_points(b, rules, ids), key, CONTEXT, "b").pairs)
        for b in (ballot, empty, full)
    }
    assert widths == {encoding.width(rules, len(ids))}


def test_hand_computed_layouts() -> None:
    ids = project_ids(10)
    approval = encoding.encode(
        Ballot(choices=(ids[0], ids[9])), BallotRules(BallotKind.APPROVAL), ids
    )
    assert approval[:4] == bytes([1, 1, 0b1, 0b10]) and not any(approval[4:])
    ranked = encoding.encode(
        Ballot(choices=(ids[3], ids[0])), BallotRules(BallotKind.RANKED, max_choices=3), ids
    )
    assert ranked[:5] == bytes([1, 4, 4, 1, 0]) and not any(ranked[5:])
    cumulative = encoding.encode(
        Ballot(choices=(ids[1], ids[2]), points=(3, 0)),
        BallotRules(BallotKind.CUMULATIVE, points=5),
        ids,
    )
    assert cumulative[:12] == bytes([1, 5, 0, 4, 1, 0, 0, 0, 0, 0, 0, 0])
    wide = project_ids(300)
    two_bytes = encoding.encode(
        Ballot(choices=(wide[299],)), BallotRules(BallotKind.RANKED, max_choices=2), wide
    )
    assert two_bytes[:6] == bytes([1, 4]) + (300).to_bytes(2, "little") + bytes(2)


@FEW
@given(ANY_BALLOT, st.integers(1, g.L - 1))
def test_reencryption_keeps_the_plaintext(case, secret) -> None:
    rules, ids, ballot = case
    key = g.base(secret)
    message = encoding.to_points(ballot, rules, ids)
    ciphertext = elgamal.encrypt(message, key, CONTEXT, "b1")
    again = elgamal.reencrypt(ciphertext.pairs, key, [g.random_scalar() for _ in message])
    assert all(a != b for a, b in zip(again, ciphertext.pairs, strict=True))
    plain = [g.sub(s, g.mul(secret, r)) for r, s in again]
    assert plain == message
    assert encoding.from_points(plain, rules, ids) == ballot


# Flipping one byte of a hex field.


def flip(text: str, position: int, mask: int) -> str:
    raw = bytearray(bytes.fromhex(text))
    raw[position % len(raw)] ^= mask
    return raw.hex()


MASK = st.integers(1, 255)
POSITION = st.integers(0, 31)


@cache
def ballot_case():
    c = trio()
    message = encoding.to_points(Ballot(choices=("p1", "p2")), RULES, PROJECTS)
    return c.key, elgamal.encrypt(message, c.key, CONTEXT, "ballot-7")


def test_honest_ballot_proof_verifies() -> None:
    key, ciphertext = ballot_case()
    assert elgamal.ballot_proof_ok(ciphertext, key, CONTEXT, "ballot-7")
    parsed = elgamal.Ciphertext.from_json(ciphertext.to_json(), "here", width=1)
    assert parsed == ciphertext
    assert elgamal.ballot_proof_ok(parsed, key, CONTEXT, "ballot-7")


@SOME
@given(st.sampled_from(["R", "S", "challenge", "response", "key"]), POSITION, MASK)
def test_one_byte_changed_breaks_the_ballot_proof(field, position, mask) -> None:
    key, ciphertext = ballot_case()
    data = copy.deepcopy(ciphertext.to_json())
    if field == "R":
        data["pairs"][0][0] = flip(data["pairs"][0][0], position, mask)
    elif field == "S":
        data["pairs"][0][1] = flip(data["pairs"][0][1], position, mask)
    elif field == "challenge":
        data["proof"]["challenge"] = flip(data["proof"]["challenge"], position, mask)
    elif field == "response":
        data["proof"]["responses"][0] = flip(data["proof"]["responses"][0], position, mask)
    else:
        key = bytes.fromhex(flip(key.hex(), position, mask))
        if not g.is_point(key):
            return  # a key that is not a point is refused when the key is read
    try:
        parsed = elgamal.Ciphertext.from_json(data, "here")
    except g.SecrecyError:
        return
    assert not elgamal.ballot_proof_ok(parsed, key, CONTEXT, "ballot-7")


@FEW
@given(st.sampled_from(["ballot", "pot", "manifest"]), st.text(min_size=1, max_size=8))
def test_ballot_proof_is_bound_to_its_place(field, other) -> None:
    key, ciphertext = ballot_case()
    ballot_id, context = "ballot-7", CONTEXT
    if field == "ballot":
        ballot_id = ballot_id + other
    elif field == "pot":
        context = elgamal.Context(CONTEXT.manifest_hash, CONTEXT.pot + other)
    else:
        context = elgamal.Context(OTHER_MANIFEST, CONTEXT.pot)
    assert not elgamal.ballot_proof_ok(ciphertext, key, context, ballot_id)


@cache
def shuffle_case():
    c = trio()
    inputs = [
        elgamal.encrypt(
            encoding.to_points(Ballot(choices=(p,)), RULES, PROJECTS), c.key, CONTEXT, p
        ).pairs
        for p in PROJECTS[:4]
    ]
    outputs, proof = shuffle.shuffle(inputs, c.key, CONTEXT, 1)
    return c.key, inputs, outputs, proof


def vectors_from(rows) -> list:
    return [tuple((bytes.fromhex(r), bytes.fromhex(s)) for r, s in v) for v in rows]


def test_honest_shuffle_proof_verifies_and_round_trips() -> None:
    key, inputs, outputs, proof = shuffle_case()
    assert shuffle.shuffle_problem(inputs, outputs, proof, key, CONTEXT, 1) is None
    assert shuffle.shuffle_problem(inputs, outputs, proof, key, CONTEXT, 1, workers=2) is None
    again = shuffle.ShuffleProof.from_json(proof.to_json(), "here")
    assert again == proof
    assert sorted(outputs) != sorted(inputs)  # every element was re-encrypted


SHUFFLE_FIELDS = [
    "commitments",
    "chain",
    "challenge",
    "s1",
    "s2",
    "s3",
    "s4",
    "s_hat",
    "s_prime",
    "input",
    "output",
    "key",
]


@SOME
@given(st.sampled_from(SHUFFLE_FIELDS), st.integers(0, 3), st.integers(0, 1), POSITION, MASK)
def test_one_byte_changed_breaks_the_shuffle_proof(field, item, half, position, mask) -> None:
    key, inputs, outputs, proof = shuffle_case()
    data = copy.deepcopy(proof.to_json())
    rows_in = [[[r.hex(), s.hex()] for r, s in v] for v in inputs]
    rows_out = [[[r.hex(), s.hex()] for r, s in v] for v in outputs]
    if field == "input":
        rows_in[item][0][half] = flip(rows_in[item][0][half], position, mask)
    elif field == "output":
        rows_out[item][0][half] = flip(rows_out[item][0][half], position, mask)
    elif field == "key":
        key = bytes.fromhex(flip(key.hex(), position, mask))
        if not g.is_point(key):
            return  # a key that is not a point is refused when the mix task is read
    elif isinstance(data[field], list):
        data[field][item % len(data[field])] = flip(
            data[field][item % len(data[field])], position, mask
        )
    else:
        data[field] = flip(data[field], position, mask)
    try:
        parsed = shuffle.ShuffleProof.from_json(data, "here")
        ins, outs = vectors_from(rows_in), vectors_from(rows_out)
        if not all(g.is_point(p) for v in ins for pair in v for p in pair):
            return  # an input that is not a point is refused when the file is read
    except g.SecrecyError:
        return
    assert shuffle.shuffle_problem(ins, outs, parsed, key, CONTEXT, 1) is not None


@cache
def decryption_case():
    c = trio()
    _, inputs, outputs, _ = shuffle_case()
    shares = decryption.decrypt_share(outputs, c.secrets[2], 2, CONTEXT)
    return c.verification_keys[2], outputs, shares


def test_honest_partial_decryptions_verify() -> None:
    vk, vectors, shares = decryption_case()
    assert decryption.share_problem(vectors, shares, vk, 2, CONTEXT) is None
    again = [decryption.Share.from_json(s.to_json(), "here", width=1) for s in shares]
    assert again == shares


@SOME
@given(
    st.sampled_from(["factor", "challenge", "response", "R", "S", "vk"]),
    st.integers(0, 3),
    POSITION,
    MASK,
)
def test_one_byte_changed_breaks_a_partial_decryption(field, item, position, mask) -> None:
    vk, vectors, shares = decryption_case()
    rows = [[[r.hex(), s.hex()] for r, s in v] for v in vectors]
    data = [copy.deepcopy(s.to_json()) for s in shares]
    if field == "factor":
        data[item]["factors"][0] = flip(data[item]["factors"][0], position, mask)
    elif field == "challenge":
        data[item]["proofs"][0][0] = flip(data[item]["proofs"][0][0], position, mask)
    elif field == "response":
        data[item]["proofs"][0][1] = flip(data[item]["proofs"][0][1], position, mask)
    elif field == "R":
        rows[item][0][0] = flip(rows[item][0][0], position, mask)
    elif field == "S":
        rows[item][0][1] = flip(rows[item][0][1], position, mask)
    else:
        vk = bytes.fromhex(flip(vk.hex(), position, mask))
        if not g.is_point(vk):
            return  # a verification key that is not a point is refused when the key is read
    try:
        parsed = [decryption.Share.from_json(s, "here", width=1) for s in data]
        changed = vectors_from(rows)
        if not all(g.is_point(p) for v in changed for pair in v for p in pair):
            return
    except g.SecrecyError:
        return
    problem = decryption.share_problem(changed, parsed, vk, 2, CONTEXT)
    if field == "S":
        # S is not part of a partial decryption's statement: the proof still holds, and the
        # change shows up as a different plaintext instead.
        assert problem is None
        assert (
            decryption.combine(changed, {2: parsed})[item]
            != decryption.combine(vectors, {2: shares})[item]
        )
    else:
        # A changed verification key breaks every proof: the first ballot is the one named.
        first = 1 if field == "vk" else item + 1
        assert problem == f"ballot {first}, element 1: the proof of decryption does not hold"


def test_honest_key_generation_proofs_verify() -> None:
    c = trio()
    assert all(keys.keygen_problem(c.ceremony, u) is None for u in c.uploads)
    assert all(keys.check_problem(c.ceremony, c.uploads, r) is None for r in c.checks)


@SOME
@given(
    st.sampled_from(["commitment", "keygen proof", "verification key", "check proof"]),
    st.integers(0, 2),
    st.integers(0, 1),
    POSITION,
    MASK,
)
def test_one_byte_changed_breaks_a_key_proof(field, who, half, position, mask) -> None:
    c = trio()
    uploads = copy.deepcopy(c.uploads)
    checks = copy.deepcopy(c.checks)
    if field == "commitment":
        commitments = uploads[who]["commitments"]
        commitments[half] = flip(commitments[half], position, mask)
    elif field == "keygen proof":
        uploads[who]["proof"][half] = flip(uploads[who]["proof"][half], position, mask)
    elif field == "verification key":
        checks[who]["verification_key"] = flip(checks[who]["verification_key"], position, mask)
    else:
        checks[who]["proof"][half] = flip(checks[who]["proof"][half], position, mask)
    if field in ("commitment", "keygen proof"):
        problem = keys.keygen_problem(c.ceremony, uploads[who])
        if field == "commitment" and half == 1 and problem is None:
            # C_{i,1} is not in the proof of knowledge of a_{i,0}: the shares show the change.
            problem = keys.check_problem(c.ceremony, uploads, checks[(who + 1) % 3])
        assert problem is not None
    else:
        assert keys.check_problem(c.ceremony, uploads, checks[who]) is not None


@FEW
@given(POSITION, MASK, st.sampled_from(["challenge", "response"]))
def test_one_byte_changed_breaks_a_still_held_proof(position, mask, part) -> None:
    c = trio()
    digest = c.document["ceremony_hash"]
    proof = keys.prove_held(c.states[0], digest, "fresh-challenge")
    assert keys.held_ok(proof, digest, "fresh-challenge", c.verification_keys[1], 1)
    changed = copy.deepcopy(proof)
    index = 0 if part == "challenge" else 1
    changed["proof"][index] = flip(changed["proof"][index], position, mask)
    assert not keys.held_ok(changed, digest, "fresh-challenge", c.verification_keys[1], 1)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(2, 5).flatmap(lambda n: st.tuples(st.just(n), st.integers(1, n))), st.data())
def test_any_t_of_n_decrypt_and_t_minus_1_do_not(shape, data) -> None:
    n, t = shape
    c = run_ceremony([f"Trustee {i}" for i in range(1, n + 1)], t, "round/tn")
    assert c.threshold == t and len(c.verification_keys) == n
    ballot = Ballot(choices=("p0", "p3", "p7"))
    message = encoding.to_points(ballot, RULES, PROJECTS)
    vectors = [elgamal.encrypt(message, c.key, CONTEXT, "b").pairs]
    shares = {j: decryption.decrypt_share(vectors, c.secrets[j], j, CONTEXT) for j in c.secrets}
    for j in shares:
        assert (
            decryption.share_problem(vectors, shares[j], c.verification_keys[j], j, CONTEXT) is None
        )
    for subset in itertools.combinations(range(1, n + 1), t):
        (plain,) = decryption.combine(vectors, {j: shares[j] for j in subset})
        assert list(plain) == message
        assert encoding.from_points(plain, RULES, PROJECTS) == ballot
    if t > 1:
        subset = data.draw(st.sets(st.integers(1, n), min_size=t - 1, max_size=t - 1))
        (plain,) = decryption.combine(vectors, {j: shares[j] for j in sorted(subset)})
        assert list(plain) != message
