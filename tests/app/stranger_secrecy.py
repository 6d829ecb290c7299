"""The stranger's check of an encrypted round's ``secrecy/`` files, written from
docs/export-format.md ("Encrypted rounds") alone: standard library only, plain Python integers
for edwards25519, slow and simple.

``check(files, manifest_text, ballots, log, counted, pot_id)`` returns (problems, plain): the
problems found in steps 1 to 5, and the decrypted ballots of ``secrecy/pot-N/ballots.json``
(None when that file cannot be read), which stand in for ``ballots.json`` in the counting checks.
"""

from __future__ import annotations

import hashlib
import json

# The field and the curve: -x^2 + y^2 = 1 + d x^2 y^2 over GF(p).
P = 2**255 - 19
D = -121665 * pow(121666, -1, P) % P
L = 2**252 + 27742317777372353535851937790883648493
SQRT_M1 = pow(2, (P - 1) // 4, P)
A = 486662  # Curve25519's Montgomery coefficient
GROUP = "edwards25519-prime-order/v1"


def _sqrt(a: int) -> int | None:
    """A square root of a mod p, or None."""
    a %= P
    x = pow(a, (P + 3) // 8, P)
    if x * x % P != a:
        x = x * SQRT_M1 % P
    return x if x * x % P == a else None


# Points in extended coordinates (X, Y, Z, T), x = X/Z, y = Y/Z, xy = T/Z.
IDENTITY = (0, 1, 1, 0)


def affine(x: int, y: int) -> tuple[int, int, int, int]:
    return (x % P, y % P, 1, x * y % P)


def add(p, q):
    """The complete addition law of RFC 8032, section 5.1.4."""
    x1, y1, z1, t1 = p
    x2, y2, z2, t2 = q
    a = (y1 - x1) * (y2 - x2) % P
    b = (y1 + x1) * (y2 + x2) % P
    c = 2 * D * t1 * t2 % P
    d = 2 * z1 * z2 % P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def neg(p):
    x, y, z, t = p
    return (-x % P, y, z, -t % P)


def sub(p, q):
    return add(p, neg(q))


def mul(s: int, p):
    """s·P for P in the prime-order subgroup (so s mod L is enough)."""
    return mul_any(s % L, p)


def mul_any(s: int, p):
    """s·P for any point and any s ≥ 0 (no reduction)."""
    result = IDENTITY
    while s:
        if s & 1:
            result = add(result, p)
        p = add(p, p)
        s >>= 1
    return result


def same(p, q) -> bool:
    return (p[0] * q[2] - q[0] * p[2]) % P == 0 and (p[1] * q[2] - q[1] * p[2]) % P == 0


def encode(p) -> bytes:
    x, y, z, _ = p
    inverse = pow(z, -1, P)
    x, y = x * inverse % P, y * inverse % P
    return (y | (x & 1) << 255).to_bytes(32, "little")


def decode(raw: bytes):
    """The point with this encoding, or None when it encodes no point of the curve."""
    if len(raw) != 32:
        return None
    n = int.from_bytes(raw, "little")
    y, sign = n & (2**255 - 1), n >> 255
    if y >= P:
        return None  # not canonical
    x = _sqrt((y * y - 1) * pow(D * y * y + 1, -1, P))
    if x is None or (x == 0 and sign):
        return None
    if x & 1 != sign:
        x = P - x
    return affine(x, y)


def valid(raw: object):
    """The point if ``raw`` is 32 bytes encoding a group element other than the identity."""
    if not isinstance(raw, bytes):
        return None
    p = decode(raw)
    if p is None or same(p, IDENTITY) or not same(mul_any(L, p), IDENTITY):
        return None
    return p


BASE = decode(bytes.fromhex("5866666666666666666666666666666666666666666666666666666666666666"))


def base(s: int):
    return mul(s, BASE)


def total(points):
    result = IDENTITY
    for p in points:
        result = add(result, p)
    return result


def from_uniform(r: bytes):
    """libsodium's crypto_core_ed25519_from_uniform, as the document describes it."""
    sign = r[31] >> 7
    u0 = int.from_bytes(r[:31] + bytes([r[31] & 0x7F]), "little") % P
    x1 = -A * pow(1 + 2 * u0 * u0, -1, P) % P
    g = (x1 * x1 * x1 + A * x1 * x1 + x1) % P
    u = (-x1 - A) % P if pow(g, (P - 1) // 2, P) == P - 1 else x1
    v = _sqrt(u * u * u + A * u * u + u)
    if (u + 1) * v % P == 0:
        point = IDENTITY
    else:
        x = _sqrt(-A - 2) * u * pow(v, -1, P) % P
        y = (u - 1) * pow(u + 1, -1, P) % P
        if x & 1 != sign:
            x = -x % P
        point = affine(x, y)
    return mul_any(8, point)


class Transcript:
    def __init__(self, label: str) -> None:
        self.h = hashlib.sha512()
        self.field(b"devolve/" + label.encode())
        self.field(GROUP.encode())

    def field(self, data: bytes) -> Transcript:
        self.h.update(len(data).to_bytes(8, "big") + data)
        return self

    def text(self, value: str) -> Transcript:
        return self.field(value.encode("utf-8"))

    def number(self, value: int) -> Transcript:
        return self.text(str(value))

    def points(self, points) -> Transcript:
        return self.field(b"".join(encode(p) for p in points))

    def digest(self) -> bytes:
        return self.h.copy().digest()

    def challenge(self) -> int:
        return int.from_bytes(self.digest(), "little") % L


def derived_scalars(seed: bytes, label: str, count: int) -> list[int]:
    prefix = label.encode() + b"\x00" + seed
    return [
        int.from_bytes(hashlib.sha512(prefix + i.to_bytes(8, "big")).digest(), "little") % L
        for i in range(count)
    ]


def generators(seed: bytes, count: int) -> list:
    prefix = b"devolve/generator/v1\x00" + seed
    return [
        from_uniform(hashlib.sha512(prefix + i.to_bytes(8, "big")).digest()[:32])
        for i in range(count)
    ]


def generator_seed(manifest_hash: str, pot: str) -> bytes:
    return hashlib.sha512(
        b"devolve/shuffle-generators/v1\x00" + manifest_hash.encode() + b"\x00" + pot.encode()
    ).digest()


def lagrange(indices: list[int], i: int) -> int:
    num, den = 1, 1
    for j in indices:
        if j != i:
            num, den = num * j % L, den * (j - i) % L
    return num * pow(den, -1, L) % L


class Bad(Exception):
    """A file that is not what the document says."""


HEX = set("0123456789abcdef")


def hex32(text: object, where: str) -> bytes:
    """The 32 bytes written as 64 lower-case hexadecimal digits."""
    if not isinstance(text, str) or len(text) != 64 or not set(text) <= HEX:
        raise Bad(f"{where}: not 64 lower-case hex digits")
    return bytes.fromhex(text)


def point_of(text: object, where: str):
    p = valid(hex32(text, where))
    if p is None:
        raise Bad(f"{where}: not a point of the group")
    return p


def scalar_of(text: object, where: str) -> int:
    value = int.from_bytes(hex32(text, where), "little")
    if value >= L:
        raise Bad(f"{where}: a scalar not below L")
    return value


def whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def canonical(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


# ---- the key (step 1)


def key_proof_ok(proof, public, purpose: str, ceremony: str, index: int, where: str) -> bool:
    if not isinstance(proof, list) or len(proof) != 2:
        raise Bad(f"{where}: a proof is [c, z]")
    c, z = scalar_of(proof[0], where), scalar_of(proof[1], where)
    commitment = sub(base(z), mul(c, public))
    t = Transcript("key-proof/v1").text(purpose).text(ceremony).number(index)
    return t.points([public]).points([commitment]).challenge() == c


def ceremony_ok(ceremony) -> bool:
    if not isinstance(ceremony, dict) or ceremony.get("format") != "devolve-key-ceremony/v1":
        return False
    trustees, t = ceremony.get("trustees"), ceremony.get("threshold")
    if not isinstance(ceremony.get("round"), str) or not ceremony["round"]:
        return False
    if not isinstance(trustees, list) or len(trustees) < 2:
        return False
    if not whole(t) or not 1 <= t <= len(trustees):
        return False
    for i, trustee in enumerate(trustees, 1):
        if not isinstance(trustee, dict) or trustee.get("index") != i:
            return False
        if not isinstance(trustee.get("name"), str) or not trustee["name"].strip():
            return False
        key = trustee.get("transport_key")
        if not isinstance(key, str) or len(key) != 64:
            return False
        try:
            bytes.fromhex(key)
        except ValueError:
            return False
    keys = [trustee["transport_key"] for trustee in trustees]
    return len(set(keys)) == len(keys)


def read_key(document) -> tuple:
    """(Y, {j: Y_j}, t, ceremony hash), or raises Bad."""
    if not isinstance(document, dict) or document.get("format") != "devolve-key/v1":
        raise Bad("not a key of this version")
    ceremony = document.get("ceremony")
    if not ceremony_ok(ceremony):
        raise Bad("the ceremony is malformed")
    digest = hashlib.sha256(canonical(ceremony).encode("utf-8")).hexdigest()
    if document.get("ceremony_hash") != digest:
        raise Bad("the ceremony hash")
    t, n = ceremony["threshold"], len(ceremony["trustees"])
    if document.get("threshold") != t:
        raise Bad("the threshold")
    parts = document.get("keygen")
    if not isinstance(parts, list):
        raise Bad("no keygen list")
    commitments: dict[int, list] = {}
    for part in parts:
        if not isinstance(part, dict) or part.get("format") != "devolve-keygen/v1":
            raise Bad("a keygen entry of another version")
        if part.get("ceremony") != digest:
            raise Bad("a keygen entry of another ceremony")
        i = part.get("trustee")
        if not whole(i) or not 1 <= i <= n or i in commitments:
            raise Bad("a keygen entry's trustee")
        cs = part.get("commitments")
        if not isinstance(cs, list) or len(cs) != t:
            raise Bad(f"trustee {i}: not t commitments")
        points = [point_of(c, f"trustee {i}'s commitment") for c in cs]
        if not key_proof_ok(part.get("proof"), points[0], "constant", digest, i, f"trustee {i}"):
            raise Bad(f"trustee {i}'s proof of the constant term")
        commitments[i] = points
    if len(commitments) != n:
        raise Bad("not a part from every trustee")
    key = total(commitments[i][0] for i in sorted(commitments))
    if document.get("public_key") != encode(key).hex():
        raise Bad("the public key is not the sum of the first commitments")
    checks = document.get("checks")
    if not isinstance(checks, list):
        raise Bad("no checks list")
    keys = {}
    for check in checks:
        j = check.get("trustee") if isinstance(check, dict) else None
        if j not in commitments or j in keys:
            raise Bad("a check's trustee")
        y_j = total(
            mul(pow(j, k, L), c) for i in sorted(commitments) for k, c in enumerate(commitments[i])
        )
        if check.get("verification_key") != encode(y_j).hex():
            raise Bad(f"trustee {j}'s verification key")
        if not key_proof_ok(check.get("proof"), y_j, "share", digest, j, f"trustee {j}"):
            raise Bad(f"trustee {j}'s proof of the share")
        keys[j] = y_j
    if set(keys) != set(commitments):
        raise Bad("not every trustee accepted the key")
    return key, keys, t, digest


# ---- the ballot encoding


def widths(manifest: dict, projects: int) -> tuple[int, int, int]:
    """(payload bytes, slot bytes, ranks) for the manifest's ballot kind."""
    kind = manifest["ballot_kind"]
    if kind in ("approval", "knapsack", "single-choice"):
        return (projects + 7) // 8, 1, 0
    if kind == "ranked":
        k = manifest.get("max_choices")
        ranks = max(0, min(projects if k is None else k, projects))
        slot = max(1, (projects.bit_length() + 7) // 8)
        return ranks * slot, slot, ranks
    caps = [manifest.get(k) for k in ("points", "max_points_per_project")]
    caps = [c for c in caps if c is not None]
    largest = (min(caps) if caps else 255) + 1
    slot = max(1, (largest.bit_length() + 7) // 8)
    return projects * slot, slot, 0


TAGS = {"approval": 1, "knapsack": 2, "single-choice": 3, "ranked": 4, "cumulative": 5}


def width(manifest: dict, projects: int) -> int:
    return -(-(2 + widths(manifest, projects)[0]) // 29)


def decode_ballot(data: bytes, manifest: dict, ids: list[str]) -> tuple[list, list]:
    kind, n = manifest["ballot_kind"], len(ids)
    size, slot, _ = widths(manifest, n)
    if data[0] != 1 or data[1] != TAGS[kind]:
        raise Bad("version or kind byte")
    body, padding = data[2 : 2 + size], data[2 + size :]
    if any(padding):
        raise Bad("padding not zero")
    if TAGS[kind] <= 3:
        if n % 8 and body and body[-1] >> (n % 8):
            raise Bad("a bit beyond the projects")
        return [pid for p, pid in enumerate(ids) if body[p // 8] >> (p % 8) & 1], []
    values = [int.from_bytes(body[i : i + slot], "little") for i in range(0, size, slot)]
    if kind == "ranked":
        if any(v > n for v in values):
            raise Bad("a rank beyond the projects")
        while values and values[-1] == 0:
            values.pop()
        return [ids[v - 1] if v else "" for v in values], []
    chosen = [(ids[p], v - 1) for p, v in enumerate(values) if v]
    return [c for c, _ in chosen], [v for _, v in chosen]


def same_ballot(kind: str, decoded: tuple[list, list], listed: dict) -> bool:
    choices, points = listed["choices"], listed["points"]
    if kind == "ranked":
        x, y = list(decoded[0]), list(choices)
        while x and x[-1] == "":
            x.pop()
        while y and y[-1] == "":
            y.pop()
        return x == y and not points
    if kind == "cumulative":
        if len(choices) != len(points):
            return False
        mine = dict(zip(*decoded, strict=True))
        theirs = {c: p for c, p in zip(choices, points, strict=True) if p}
        return {c: p for c, p in mine.items() if p} == theirs and len(theirs) == sum(
            1 for p in points if p
        )
    return set(decoded[0]) == set(choices) and len(set(choices)) == len(choices) and not points


# ---- the proofs


def vectors(rows, w: int, where: str) -> list:
    if not isinstance(rows, list):
        raise Bad(f"{where}: not a list")
    out = []
    for i, row in enumerate(rows, 1):
        if not isinstance(row, list) or len(row) != w:
            raise Bad(f"{where} {i}: not {w} pairs")
        vector = []
        for pair in row:
            if not isinstance(pair, list) or len(pair) != 2:
                raise Bad(f"{where} {i}: a pair is two points")
            vector.append((point_of(pair[0], f"{where} {i}"), point_of(pair[1], f"{where} {i}")))
        out.append(vector)
    return out


def ballot_proof_ok(pairs, proof, key, manifest_hash: str, pot: str, ballot_id: str) -> bool:
    if not isinstance(proof, dict) or not isinstance(proof.get("responses"), list):
        return False
    c = scalar_of(proof.get("challenge"), "ballot proof")
    zs = [scalar_of(z, "ballot proof") for z in proof["responses"]]
    if len(zs) != len(pairs) or not pairs:
        return False
    commitments = [sub(base(z), mul(c, r)) for (r, _), z in zip(pairs, zs, strict=True)]
    t = Transcript("ballot/v1").text(manifest_hash).text(pot).text(ballot_id)
    t.points([key]).points([p for pair in pairs for p in pair]).points(commitments)
    return t.challenge() == c


def shuffle_ok(inputs, outputs, proof, key, manifest_hash: str, pot: str, number: int) -> bool:
    n, w = len(inputs), len(inputs[0])
    if len(outputs) != n:
        return False
    if not isinstance(proof, dict) or proof.get("proof") != "terelius-wikstrom/v1":
        raise Bad("not a terelius-wikstrom/v1 proof")
    for name in ("commitments", "chain", "s4", "s_hat", "s_prime"):
        if not isinstance(proof.get(name), list):
            raise Bad(f"the proof's {name}")
    cs = [point_of(x, "commitment") for x in proof["commitments"]]
    chain = [point_of(x, "chain") for x in proof["chain"]]
    c = scalar_of(proof.get("challenge"), "challenge")
    s1, s2, s3 = (scalar_of(proof.get(k), k) for k in ("s1", "s2", "s3"))
    s4 = [scalar_of(x, "s4") for x in proof["s4"]]
    s_hat = [scalar_of(x, "s_hat") for x in proof["s_hat"]]
    s_prime = [scalar_of(x, "s_prime") for x in proof["s_prime"]]
    if not (len(cs) == len(chain) == len(s_hat) == len(s_prime) == n) or len(s4) != w:
        return False
    seed = generator_seed(manifest_hash, pot)
    gens = generators(seed, n + 1)
    h, hs = gens[0], gens[1:]
    st = Transcript("shuffle/v1").text(manifest_hash).text(pot).number(number)
    st.points([key]).number(n).number(w).field(seed)
    st.points([p for v in inputs for pair in v for p in pair])
    st.points([p for v in outputs for pair in v for p in pair])
    st.points(cs)
    u = derived_scalars(st.digest(), "shuffle/u", n)
    u_product = 1
    for x in u:
        u_product = u_product * x % L
    t1 = sub(base(s1), mul(c, sub(total(cs), total(hs))))
    t2 = sub(base(s2), mul(c, sub(chain[-1], mul(u_product, h))))
    c_tilde = total(mul(x, cj) for x, cj in zip(u, cs, strict=True))
    sum_h = total(mul(s, hi) for s, hi in zip(s_prime, hs, strict=True))
    t3 = sub(add(base(s3), sum_h), mul(c, c_tilde))
    t4 = []
    for k in range(w):
        out_s = total(mul(s, v[k][1]) for s, v in zip(s_prime, outputs, strict=True))
        out_r = total(mul(s, v[k][0]) for s, v in zip(s_prime, outputs, strict=True))
        in_s = total(mul(x, v[k][1]) for x, v in zip(u, inputs, strict=True))
        in_r = total(mul(x, v[k][0]) for x, v in zip(u, inputs, strict=True))
        t4.append(sub(sub(out_s, mul(s4[k], key)), mul(c, in_s)))
        t4.append(sub(sub(out_r, base(s4[k])), mul(c, in_r)))
    previous = [h, *chain[:-1]]
    t_hat = [
        sub(add(base(a), mul(b, p)), mul(c, q))
        for a, b, p, q in zip(s_hat, s_prime, previous, chain, strict=True)
    ]
    st.points(chain).points([t1, t2, t3]).points(t4).points(t_hat)
    return st.challenge() == c


def share_ok(vector, share, y_j, j, position, manifest_hash, pot) -> list:
    """The factors D_k of one ballot's partial decryption, or raises Bad."""
    if not isinstance(share, dict) or not whole(share.get("trustee")) or share["trustee"] != j:
        raise Bad("a share of another trustee")
    factors, proofs = share.get("factors"), share.get("proofs")
    if not isinstance(factors, list) or not isinstance(proofs, list):
        raise Bad("a share without factors and proofs")
    if len(factors) != len(vector) or len(proofs) != len(vector):
        raise Bad("a share of the wrong width")
    ds = [point_of(d, "factor") for d in factors]
    for k, ((r, _), d, proof) in enumerate(zip(vector, ds, proofs, strict=True)):
        if not isinstance(proof, list) or len(proof) != 2:
            raise Bad("a decryption proof is [c, z]")
        c, z = scalar_of(proof[0], "proof"), scalar_of(proof[1], "proof")
        a1 = sub(base(z), mul(c, y_j))
        a2 = sub(mul(z, r), mul(c, d))
        t = Transcript("decryption/v1").text(manifest_hash).text(pot)
        t.number(j).number(position).number(k).points([y_j]).points([r, d, a1, a2])
        if t.challenge() != c:
            raise Bad(f"ballot {position + 1}, element {k + 1}: the proof does not hold")
    return ds


def same_context(context, manifest_hash: str, pot: str) -> bool:
    """The file's context names this manifest hash and pot (other keys are not read)."""
    return (
        isinstance(context, dict)
        and context.get("manifest_hash") == manifest_hash
        and context.get("pot") == pot
    )


def numbered(names, prefix: str) -> set[int]:
    found = set()
    for name in names:
        if name.startswith(prefix) and name.endswith(".json"):
            middle = name[len(prefix) : -len(".json")]
            if middle.isascii() and middle.isdigit() and not middle.startswith("0"):
                found.add(int(middle))
    return found


def read_plain(files: dict, name: str) -> list | None:
    try:
        plain = json.loads(files[name])
    except (KeyError, ValueError):
        return None
    if not isinstance(plain, list):
        return None
    for b in plain:
        if not (
            isinstance(b, dict)
            and isinstance(b.get("choices"), list)
            and isinstance(b.get("points"), list)
            and all(isinstance(c, str) for c in b["choices"])
            and all(whole(p) for p in b["points"])
        ):
            return None
    return plain


def check(files, manifest_text, ballots, log, counted, pot_id) -> tuple[list[str], list | None]:
    manifest = json.loads(manifest_text)
    manifest_hash = hashlib.sha256(manifest_text.encode("utf-8")).hexdigest()
    pot = str(pot_id)
    folder = f"secrecy/pot-{pot_id}"
    plain = read_plain(files, f"{folder}/ballots.json")
    problems = [] if plain is not None else ["step 5: the decrypted ballots cannot be read"]

    # Step 1: the key.
    try:
        frozen = manifest["secrecy"]
        key, keys, t, ceremony = read_key(frozen["key"])
        if canonical(json.loads(files["secrecy/key.json"])) != canonical(frozen["key"]):
            raise Bad("secrecy/key.json is not the manifest's key")
        trustee_mixes = frozen.get("trustee_mixes") or 0
        if not whole(trustee_mixes) or trustee_mixes < 0:
            raise Bad("trustee_mixes")
    except (Bad, KeyError, TypeError, ValueError, AttributeError) as e:
        return [*problems, f"step 1: {e}"], plain

    # Step 2: the pot's counted ballots, in log order, with their proofs.
    proposals = next(p for p in manifest["pots"] if p["id"] == pot_id)["proposals"]
    ids = [str(p["id"]) for p in proposals]
    w = width(manifest, len(ids))
    by_id = {b["id"]: b for b in ballots}
    current = []
    try:
        for e in log:
            b = by_id.get(e["ballot_id"]) if e["kind"] == "ballot" else None
            if b is None or b["id"] not in counted or b["pot_id"] != pot_id:
                continue
            content = json.loads(b["content"])
            if not isinstance(content, dict):
                raise Bad(f"ballot {b['id']} is not a ciphertext")
            [pairs] = vectors([content.get("pairs")], w, f"ballot {b['id']}")
            if not ballot_proof_ok(pairs, content.get("proof"), key, manifest_hash, pot, b["id"]):
                raise Bad(f"ballot {b['id']}: its proof does not hold")
            current.append(pairs)
    except (Bad, KeyError, TypeError, ValueError) as e:
        return [*problems, f"step 2: {e}"], plain

    names = [n for n in files if n.startswith(folder + "/")]
    mixes = sorted(numbered(names, f"{folder}/mix-"))
    decryptions = sorted(numbered(names, f"{folder}/decryption-"))
    if not current:
        if mixes or decryptions or plain:
            problems.append("step 3: mixes, decryptions or ballots for a pot with no ballots")
        return problems, plain

    # Step 3: the mixes 1 .. K, K at least 1 + trustee_mixes.
    for number in range(1, max([*mixes, 1 + trustee_mixes]) + 1):
        if number not in mixes:
            return [*problems, f"step 3 (mix {number}): missing"], plain
        try:
            mix = json.loads(files[f"{folder}/mix-{number}.json"])
            if not isinstance(mix, dict) or mix.get("format") != "devolve-mix/v1":
                raise Bad("not a mix of this version")
            if not same_context(mix.get("context"), manifest_hash, pot):
                raise Bad("for another round or pot")
            if mix.get("number") != number:
                raise Bad("another number")
            outputs = vectors(mix.get("outputs"), w, "output")
            if not shuffle_ok(current, outputs, mix.get("proof"), key, manifest_hash, pot, number):
                raise Bad("the shuffle proof does not hold")
        except (Bad, TypeError, ValueError, AttributeError) as e:
            return [*problems, f"step 3 (mix {number}): {e}"], plain
        current = outputs

    # Step 4: the partial decryptions of the last mix; the first t (by trustee) are used.
    chosen: dict[int, list] = {}
    for j in decryptions:
        try:
            document = json.loads(files[f"{folder}/decryption-{j}.json"])
            if not isinstance(document, dict) or document.get("format") != "devolve-decryption/v1":
                raise Bad("not a decryption of this version")
            if document.get("ceremony") != ceremony or not same_context(
                document.get("context"), manifest_hash, pot
            ):
                raise Bad("for another round or pot")
            shares = document.get("shares")
            who = document.get("trustee")
            if not whole(who) or who != j or j not in keys or not isinstance(shares, list):
                raise Bad("another trustee's, or no shares")
            if len(shares) != len(current):
                raise Bad("not one share per ballot")
            factors = [
                share_ok(v, s, keys[j], j, i, manifest_hash, pot)
                for i, (v, s) in enumerate(zip(current, shares, strict=True))
            ]
        except (Bad, TypeError, ValueError, AttributeError) as e:
            return [*problems, f"step 4 (trustee {j}): {e}"], plain
        if len(chosen) < t:
            chosen[j] = factors
    if len(chosen) < t:
        return [*problems, f"step 4: {len(chosen)} trustees decrypted, {t} needed"], plain

    # Step 5: combine, decode, compare position by position.
    if plain is None:
        return problems, plain
    if len(plain) != len(current):
        return [*problems, "step 5: not as many decrypted ballots as ciphertexts"], plain
    lambdas = {j: lagrange(sorted(chosen), j) for j in chosen}
    for i, (vector, listed) in enumerate(zip(current, plain, strict=True)):
        data = b""
        for k, (_, s) in enumerate(vector):
            m = encode(sub(s, total(mul(lambdas[j], chosen[j][i][k]) for j in sorted(chosen))))
            if m[31] != 0:
                problems.append(f"step 5: ballot {i + 1} does not decrypt to a chunk")
                break
            data += m[:29]
        else:
            try:
                decoded = decode_ballot(data, manifest, ids)
            except Bad as e:
                problems.append(f"step 5: ballot {i + 1}: {e}")
                continue
            if not same_ballot(manifest["ballot_kind"], decoded, listed):
                problems.append(f"step 5: ballot {i + 1} decrypts to another ballot")
    return problems, plain
