"""The round's key, made by the trustees without a dealer (docs/secrecy.md, "Keys").

Pedersen's distributed key generation: every trustee runs Feldman's verifiable secret sharing
at once. The server only relays files. The steps, each a pure function here:

1. :func:`new_trustee` makes a trustee's transport key pair (X25519); the public half is
   registered on the trustee page.
2. :func:`keygen` (trustee i, offline): a random polynomial f_i of degree t − 1, the
   commitments C_{i,k} = a_{i,k}·B, a proof of knowledge of a_{i,0}, and the share f_i(j) for
   every other trustee j, encrypted and authenticated with the pair's transport keys.
3. :func:`check` (trustee j, offline): decrypts the shares sent to j and checks each against
   its sender's commitments. Accepted: j's verification key Y_j = s_j·B with a proof of
   knowledge of s_j = Σ_i f_i(j). Otherwise a complaint, carrying the pair's transport key so
   that anyone can decrypt that one share and see it is wrong (:func:`judge_complaint`).

The public key is Y = Σ_i C_{i,0}; anyone can recompute Y_j from the commitments
(:func:`verification_key`). Every proof is bound to the ceremony's hash: the round, t and the
trustees with their transport keys.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from nacl.exceptions import CryptoError
from nacl.public import Box, PrivateKey, PublicKey

from votes.secrecy.group import (
    GROUP,
    L,
    SecrecyError,
    Transcript,
    base,
    mul,
    point_hex,
    random_scalar,
    scalar,
    scalar_hex,
    sub,
    total,
)

__all__ = [
    "ceremony_hash",
    "ceremony_problem",
    "make_ceremony",
    "transport_key",
    "check",
    "check_problem",
    "judge_complaint",
    "key_document",
    "keygen",
    "keygen_problem",
    "new_trustee",
    "prove_held",
    "held_ok",
    "public_key",
    "read_key_document",
    "verification_key",
]

CEREMONY = "devolve-key-ceremony/v1"
KEYGEN = "devolve-keygen/v1"
KEYCHECK = "devolve-keycheck/v1"
KEY = "devolve-key/v1"


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def make_ceremony(
    round_label: str, threshold: int, registrations: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """The ceremony for a round, from the trustees' registrations in the officer's order."""
    ceremony = {
        "format": CEREMONY,
        "round": round_label,
        "threshold": threshold,
        "trustees": [
            {"index": i, "name": r.get("name"), "transport_key": r.get("transport_key")}
            for i, r in enumerate(registrations, start=1)
        ],
    }
    problem = ceremony_problem(ceremony)
    if problem:
        raise SecrecyError(f"the key ceremony: {problem}")
    return ceremony


def ceremony_problem(ceremony: Any) -> str | None:
    """What is wrong with a ceremony description; None when it is well formed."""
    if not isinstance(ceremony, Mapping) or ceremony.get("format") != CEREMONY:
        return "not a key ceremony of this version"
    trustees = ceremony.get("trustees")
    t = ceremony.get("threshold")
    if not isinstance(ceremony.get("round"), str) or not ceremony["round"]:
        return "the ceremony names no round"
    if not isinstance(trustees, list) or len(trustees) < 2:
        return "a ceremony needs at least 2 trustees"
    if not isinstance(t, int) or isinstance(t, bool) or not 1 <= t <= len(trustees):
        return f"the threshold must be a number from 1 to {len(trustees)}"
    for position, trustee in enumerate(trustees, start=1):
        if not isinstance(trustee, Mapping) or trustee.get("index") != position:
            return f"trustee {position} must have index {position}"
        if not isinstance(trustee.get("name"), str) or not trustee["name"].strip():
            return f"trustee {position} has no name"
        key = trustee.get("transport_key")
        if not isinstance(key, str) or len(key) != 64:
            return f"trustee {position}'s transport key must be 64 hexadecimal digits"
        try:
            bytes.fromhex(key)
        except ValueError:
            return f"trustee {position}'s transport key must be 64 hexadecimal digits"
    keys = [t["transport_key"] for t in trustees]
    if len(set(keys)) != len(keys):
        return "two trustees have the same transport key"
    return None


def ceremony_hash(ceremony: Mapping[str, Any]) -> str:
    problem = ceremony_problem(ceremony)
    if problem:
        raise SecrecyError(f"the key ceremony: {problem}")
    return hashlib.sha256(_canonical(dict(ceremony))).hexdigest()


def _prove(secret: int, public: bytes, purpose: str, ceremony: str, index: int) -> list[str]:
    w = random_scalar()
    c = _key_challenge(public, base(w), purpose, ceremony, index)
    return [scalar_hex(c), scalar_hex((w + c * secret) % L)]


def _key_challenge(
    public: bytes, commitment: bytes, purpose: str, ceremony: str, index: int
) -> int:
    t = Transcript("key-proof/v1").text(purpose).text(ceremony).number(index)
    return t.absorb(public).absorb(commitment).challenge()


def _proof_ok(
    proof: Any, public: bytes, purpose: str, ceremony: str, index: int, where: str
) -> bool:
    if not isinstance(proof, list) or len(proof) != 2:
        raise SecrecyError(f"{where}: a proof is a challenge and a response")
    c, z = scalar(proof[0], f"{where}, proof"), scalar(proof[1], f"{where}, proof")
    return _key_challenge(public, sub(base(z), mul(c, public)), purpose, ceremony, index) == c


def new_trustee(name: str) -> dict[str, Any]:
    """A trustee's secret state: their name and a fresh transport key pair."""
    if not name.strip():
        raise SecrecyError("a trustee needs a name")
    return {
        "format": "devolve-trustee-secret/v1",
        "name": name.strip(),
        "transport_secret": bytes(PrivateKey.generate()).hex(),
        "ceremonies": {},
    }


def transport_key(state: Mapping[str, Any]) -> str:
    """The public half of the trustee's transport key, to register on the trustee page."""
    return bytes(PrivateKey(bytes.fromhex(state["transport_secret"])).public_key).hex()


def _me(state: Mapping[str, Any], ceremony: Mapping[str, Any]) -> int:
    mine = transport_key(state)
    for trustee in ceremony["trustees"]:
        if trustee["transport_key"] == mine:
            return trustee["index"]
    raise SecrecyError("this key file is not one of the ceremony's trustees")


def _box(state: Mapping[str, Any], other: str) -> Box:
    return Box(
        PrivateKey(bytes.fromhex(state["transport_secret"])), PublicKey(bytes.fromhex(other))
    )


def _evaluate(coefficients: Sequence[int], x: int) -> int:
    value = 0
    for a in reversed(coefficients):
        value = (value * x + a) % L
    return value


def keygen(state: dict[str, Any], ceremony: Mapping[str, Any]) -> dict[str, Any]:
    """Trustee's step 2: records the polynomial in ``state`` and returns the upload."""
    digest = ceremony_hash(ceremony)
    me = _me(state, ceremony)
    entry = state["ceremonies"].get(digest)
    if entry and entry.get("coefficients"):
        raise SecrecyError("this key file has already made its part of this round's key")
    t = ceremony["threshold"]
    coefficients = [random_scalar() for _ in range(t)]
    commitments = [base(a) for a in coefficients]
    shares = {}
    for trustee in ceremony["trustees"]:
        j = trustee["index"]
        if j != me:
            plain = scalar_hex(_evaluate(coefficients, j)).encode()
            shares[str(j)] = _box(state, trustee["transport_key"]).encrypt(plain).hex()
    state["ceremonies"][digest] = {
        "index": me,
        "round": ceremony["round"],
        "coefficients": [scalar_hex(a) for a in coefficients],
        "share": None,
    }
    return {
        "format": KEYGEN,
        "ceremony": digest,
        "trustee": me,
        "commitments": [c.hex() for c in commitments],
        "proof": _prove(coefficients[0], commitments[0], "constant", digest, me),
        "shares": shares,
    }


def keygen_problem(ceremony: Mapping[str, Any], upload: Any) -> str | None:
    """What is wrong with a trustee's keygen upload; None when its shape and proof hold."""
    digest = ceremony_hash(ceremony)
    if not isinstance(upload, Mapping) or upload.get("format") != KEYGEN:
        return "not a key upload of this version"
    if upload.get("ceremony") != digest:
        return "the upload is for another round's key ceremony"
    n, t = len(ceremony["trustees"]), ceremony["threshold"]
    i = upload.get("trustee")
    if not isinstance(i, int) or isinstance(i, bool) or not 1 <= i <= n:
        return "the upload names no trustee of this ceremony"
    commitments = upload.get("commitments")
    if not isinstance(commitments, list) or len(commitments) != t:
        return f"the upload must carry {t} commitments"
    shares = upload.get("shares")
    expected = {str(j) for j in range(1, n + 1) if j != i}
    if not isinstance(shares, Mapping) or set(shares) != expected:
        return "the upload must carry one encrypted share for each other trustee"
    try:
        points = [point_hex(c, f"commitment {k + 1}") for k, c in enumerate(commitments)]
        if not _proof_ok(upload.get("proof"), points[0], "constant", digest, i, "the proof"):
            return "the proof of knowledge does not hold"
        for j, share in shares.items():
            if not isinstance(share, str):
                return f"the share for trustee {j} is not hexadecimal"
            bytes.fromhex(share)
    except (SecrecyError, ValueError) as error:
        return str(error)
    return None


def _uploads_by_trustee(ceremony: Mapping[str, Any], uploads: Sequence[Any]) -> dict[int, Mapping]:
    by = {}
    for upload in uploads:
        problem = keygen_problem(ceremony, upload)
        if problem:
            who = upload.get("trustee", "?") if isinstance(upload, Mapping) else "?"
            raise SecrecyError(f"trustee {who}'s key upload: {problem}")
        if upload["trustee"] in by:
            raise SecrecyError(f"trustee {upload['trustee']} has two key uploads")
        by[upload["trustee"]] = upload
    missing = [t["index"] for t in ceremony["trustees"] if t["index"] not in by]
    if missing:
        raise SecrecyError(f"no key upload yet from trustee {', '.join(map(str, missing))}")
    return by


def _feldman(commitments: Sequence[str], j: int) -> bytes:
    return total(mul(pow(j, k, L), point_hex(c, "commitment")) for k, c in enumerate(commitments))


def check(
    state: dict[str, Any], ceremony: Mapping[str, Any], uploads: Sequence[Any]
) -> dict[str, Any]:
    """Trustee's step 3: accepts (recording s_j in ``state``) or complains about a sender."""
    digest = ceremony_hash(ceremony)
    me = _me(state, ceremony)
    entry = state["ceremonies"].get(digest)
    if not entry or not entry.get("coefficients"):
        raise SecrecyError("this key file has not made its part of this round's key yet")
    by = _uploads_by_trustee(ceremony, uploads)
    own = [scalar(a, "the key file") for a in entry["coefficients"]]
    if [c.hex() for c in map(base, own)] != list(by[me]["commitments"]):
        raise SecrecyError(
            "the key uploads carry a part for this trustee that this key file did not make"
        )
    trustees = {t["index"]: t for t in ceremony["trustees"]}
    share = _evaluate(own, me)
    for i, upload in sorted(by.items()):
        if i == me:
            continue
        box = _box(state, trustees[i]["transport_key"])
        try:
            value = scalar(box.decrypt(bytes.fromhex(upload["shares"][str(me)])).decode(), "share")
            good = base(value) == _feldman(upload["commitments"], me)
            reason = "the share does not match the sender's commitments"
        except (CryptoError, SecrecyError, UnicodeDecodeError, ValueError):
            good, reason = False, "the share cannot be decrypted"
        if not good:
            return {
                "format": KEYCHECK,
                "ceremony": digest,
                "trustee": me,
                "complaint": {"against": i, "reason": reason, "shared_key": box.shared_key().hex()},
            }
        share = (share + value) % L
    entry["share"] = scalar_hex(share)
    key = base(share)
    return {
        "format": KEYCHECK,
        "ceremony": digest,
        "trustee": me,
        "verification_key": key.hex(),
        "proof": _prove(share, key, "share", digest, me),
    }


def verification_key(uploads: Mapping[int, Mapping[str, Any]], j: int) -> bytes:
    """Y_j, from the commitments alone: Σ_i Σ_k j^k·C_{i,k}."""
    return total(_feldman(upload["commitments"], j) for _, upload in sorted(uploads.items()))


def public_key(ceremony: Mapping[str, Any], uploads: Sequence[Any]) -> bytes:
    """Y = Σ_i C_{i,0}, once every trustee's keygen upload is in and holds."""
    by = _uploads_by_trustee(ceremony, uploads)
    return total(point_hex(u["commitments"][0], "commitment") for _, u in sorted(by.items()))


def check_problem(ceremony: Mapping[str, Any], uploads: Sequence[Any], result: Any) -> str | None:
    """What is wrong with a trustee's acceptance; None when its key and proof hold.

    A complaint is not an acceptance: see :func:`judge_complaint`."""
    digest = ceremony_hash(ceremony)
    by = _uploads_by_trustee(ceremony, uploads)
    if not isinstance(result, Mapping) or result.get("format") != KEYCHECK:
        return "not a key check of this version"
    if result.get("ceremony") != digest:
        return "the check is for another round's key ceremony"
    j = result.get("trustee")
    if j not in by:
        return "the check names no trustee of this ceremony"
    if "complaint" in result:
        return "the trustee complains about another trustee's share"
    expected = verification_key(by, j)
    if result.get("verification_key") != expected.hex():
        return "the verification key does not match the commitments"
    try:
        if not _proof_ok(result.get("proof"), expected, "share", digest, j, "the proof"):
            return "the proof of knowledge of the share does not hold"
    except SecrecyError as error:
        return str(error)
    return None


def judge_complaint(
    ceremony: Mapping[str, Any], uploads: Sequence[Any], result: Mapping[str, Any]
) -> str:
    """ "upheld" when the revealed pair key opens the share and it is wrong; "rejected" when
    it opens and the share is right; "undecided" when the key does not open it (the files
    cannot tell who is at fault: the key generation is started again)."""
    by = _uploads_by_trustee(ceremony, uploads)
    complaint = result.get("complaint") or {}
    j, i = result.get("trustee"), complaint.get("against")
    if j not in by or i not in by or i == j:
        return "rejected"
    try:
        box = Box.decode(bytes.fromhex(complaint["shared_key"]))
        plain = box.decrypt(bytes.fromhex(by[i]["shares"][str(j)]))
    except (CryptoError, KeyError, ValueError, TypeError):
        return "undecided"
    try:
        value = scalar(plain.decode(), "share")
    except (SecrecyError, UnicodeDecodeError):
        return "upheld"
    return "upheld" if base(value) != _feldman(by[i]["commitments"], j) else "rejected"


def prove_held(state: Mapping[str, Any], ceremony_digest: str, challenge: str) -> dict[str, Any]:
    """A fresh proof that this key file still holds its share of the round's key."""
    entry = state["ceremonies"].get(ceremony_digest)
    if not entry or not entry.get("share"):
        raise SecrecyError("this key file holds no share of that round's key")
    share = scalar(entry["share"], "the key file")
    return {
        "format": "devolve-still-held/v1",
        "ceremony": ceremony_digest,
        "trustee": entry["index"],
        "challenge": challenge,
        "proof": _prove(share, base(share), "held:" + challenge, ceremony_digest, entry["index"]),
    }


def held_ok(proof: Any, ceremony_digest: str, challenge: str, key: bytes, trustee: int) -> bool:
    if not isinstance(proof, Mapping) or proof.get("challenge") != challenge:
        return False
    if proof.get("ceremony") != ceremony_digest or proof.get("trustee") != trustee:
        return False
    try:
        return _proof_ok(
            proof.get("proof"), key, "held:" + challenge, ceremony_digest, trustee, "proof"
        )
    except SecrecyError:
        return False


def key_document(
    ceremony: Mapping[str, Any], uploads: Sequence[Any], checks: Sequence[Any]
) -> dict[str, Any]:
    """The round's key as it goes into the manifest and the export's secrecy/key.json."""
    by = _uploads_by_trustee(ceremony, uploads)
    accepted = {}
    for result in checks:
        problem = check_problem(ceremony, uploads, result)
        if problem:
            who = result.get("trustee", "?") if isinstance(result, Mapping) else "?"
            raise SecrecyError(f"trustee {who}'s check: {problem}")
        accepted[result["trustee"]] = result
    missing = [j for j in by if j not in accepted]
    if missing:
        raise SecrecyError(f"trustee {', '.join(map(str, missing))} has not accepted the key yet")
    return {
        "format": KEY,
        "group": GROUP,
        "ceremony": dict(ceremony),
        "ceremony_hash": ceremony_hash(ceremony),
        "threshold": ceremony["threshold"],
        "keygen": [{k: v for k, v in by[i].items() if k != "shares"} for i in sorted(by)],
        "checks": [accepted[j] for j in sorted(accepted)],
        "public_key": public_key(ceremony, uploads).hex(),
    }


def read_key_document(document: Any) -> tuple[bytes, dict[int, bytes], int]:
    """Checks a key document (export step 1); returns (Y, {j: Y_j}, t). Raises naming the fault."""
    if not isinstance(document, Mapping) or document.get("format") != KEY:
        raise SecrecyError("secrecy/key.json is not a key of this version")
    if document.get("group") != GROUP:
        raise SecrecyError(f"the key is not for the group {GROUP}")
    ceremony = document.get("ceremony")
    digest = ceremony_hash(ceremony)
    if document.get("ceremony_hash") != digest:
        raise SecrecyError("the key's ceremony hash does not match its ceremony")
    if document.get("threshold") != ceremony["threshold"]:
        raise SecrecyError("the key's threshold is not its ceremony's")
    keygen_entries = document.get("keygen")
    if not isinstance(keygen_entries, list):
        raise SecrecyError("the key has no keygen list")
    by: dict[int, Mapping] = {}
    n = len(ceremony["trustees"])
    for entry in keygen_entries:
        # The shares are left out of the export; the rest is checked exactly as on upload.
        shaped = dict(entry) if isinstance(entry, Mapping) else {}
        i = shaped.get("trustee")
        shaped["shares"] = {str(j): "" for j in range(1, n + 1) if j != i}
        problem = keygen_problem(ceremony, shaped)
        if problem:
            raise SecrecyError(f"trustee {i}'s part of the key: {problem}")
        if i in by:
            raise SecrecyError(f"trustee {i} has two parts in the key")
        by[i] = shaped
    if len(by) != n:
        raise SecrecyError("the key does not have a part from every trustee")
    key = total(point_hex(by[i]["commitments"][0], "commitment") for i in sorted(by))
    if document.get("public_key") != key.hex():
        raise SecrecyError("the public key is not the sum of the trustees' first commitments")
    keys: dict[int, bytes] = {}
    checks = document.get("checks")
    if not isinstance(checks, list):
        raise SecrecyError("the key has no list of checks")
    for result in checks:
        j = result.get("trustee") if isinstance(result, Mapping) else None
        if j not in by:
            raise SecrecyError("a check names no trustee of the ceremony")
        if result.get("format") != KEYCHECK or result.get("ceremony") != digest:
            raise SecrecyError(f"trustee {j}'s check is not an acceptance of this ceremony's key")
        expected = verification_key(by, j)
        if result.get("verification_key") != expected.hex():
            raise SecrecyError(f"trustee {j}'s verification key does not match the commitments")
        if not _proof_ok(result.get("proof"), expected, "share", digest, j, f"trustee {j}'s check"):
            raise SecrecyError(f"trustee {j}'s proof of knowledge of their share does not hold")
        if j in keys:
            raise SecrecyError(f"trustee {j} accepted the key twice")
        keys[j] = expected
    if set(keys) != set(by):
        missing = ", ".join(str(j) for j in sorted(set(by) - set(keys)))
        raise SecrecyError(f"not every trustee accepted the key: none from trustee {missing}")
    return key, keys, ceremony["threshold"]
