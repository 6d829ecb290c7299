"""The group: the prime-order subgroup of edwards25519, through libsodium (PyNaCl).

Points are their 32-byte encodings (``bytes``); scalars are Python ints below :data:`L`. Every
point that comes from outside (a file, an upload) goes through :func:`point` or
:func:`point_hex`, which refuse anything but a canonical encoding of a point of the prime-order
subgroup other than the identity. Arithmetic on points goes through libsodium; arithmetic on
scalars is ordinary integer arithmetic mod :data:`L`.

Fiat–Shamir challenges come from :class:`Transcript`: SHA-512 over length-prefixed fields,
reduced mod :data:`L`. See docs/secrecy.md.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Sequence

from nacl import bindings as _na

__all__ = [
    "BASE",
    "GROUP",
    "IDENTITY",
    "L",
    "SecrecyError",
    "Transcript",
    "add",
    "base",
    "derived_scalars",
    "generators",
    "is_point",
    "lagrange_at_zero",
    "mul",
    "neg",
    "point",
    "point_hex",
    "random_scalar",
    "scalar",
    "scalar_hex",
    "sub",
    "total",
]

GROUP = "edwards25519-prime-order/v1"
#: The order of the prime-order subgroup (RFC 8032's L).
L = 2**252 + 27742317777372353535851937790883648493
#: The standard base point B (RFC 8032), encoded.
BASE = bytes.fromhex("5866666666666666666666666666666666666666666666666666666666666666")
IDENTITY = bytes([1]) + bytes(31)


class SecrecyError(ValueError):
    """A file, proof or value that is not what it must be; the message says which and where."""


def random_scalar() -> int:
    """A uniform non-zero scalar from the operating system's generator."""
    while True:
        value = int.from_bytes(secrets.token_bytes(64), "little") % L
        if value:
            return value


def _bytes(value: int) -> bytes:
    return (value % L).to_bytes(32, "little")


def base(s: int) -> bytes:
    """s·B."""
    s %= L
    if not s:
        return IDENTITY
    return _na.crypto_scalarmult_ed25519_base_noclamp(_bytes(s))


def mul(s: int, p: bytes) -> bytes:
    """s·P, for P in the prime-order subgroup (or the identity)."""
    s %= L
    if not s or p == IDENTITY:
        return IDENTITY
    return _na.crypto_scalarmult_ed25519_noclamp(_bytes(s), p)


def add(p: bytes, q: bytes) -> bytes:
    return _na.crypto_core_ed25519_add(p, q)


def sub(p: bytes, q: bytes) -> bytes:
    return _na.crypto_core_ed25519_sub(p, q)


def neg(p: bytes) -> bytes:
    return _na.crypto_core_ed25519_sub(IDENTITY, p)


def total(points: Iterable[bytes]) -> bytes:
    """The sum of ``points`` (the identity when there are none)."""
    result = IDENTITY
    for p in points:
        result = _na.crypto_core_ed25519_add(result, p)
    return result


def is_point(p: object) -> bool:
    """Is ``p`` a canonical encoding of a point of the prime-order subgroup, not the identity?"""
    return isinstance(p, bytes) and len(p) == 32 and _na.crypto_core_ed25519_is_valid_point(p)


def point(p: object, where: str) -> bytes:
    if not is_point(p):
        raise SecrecyError(f"{where}: not a point of the group")
    return p  # type: ignore[return-value]


_HEX = frozenset("0123456789abcdef")


def _is_hex64(text: object) -> bool:
    """64 lower-case hexadecimal digits, as every point and scalar is written: one spelling."""
    return isinstance(text, str) and len(text) == 64 and _HEX.issuperset(text)


def point_hex(text: object, where: str) -> bytes:
    """The point whose 64-hex-digit encoding is ``text``; refuses anything else."""
    if not _is_hex64(text):
        raise SecrecyError(f"{where}: a point must be 64 lower-case hexadecimal digits")
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raise SecrecyError(f"{where}: a point must be 64 hexadecimal digits") from None
    return point(raw, where)


def scalar(text: object, where: str) -> int:
    """The scalar whose 32-byte little-endian hex encoding is ``text``; must be below L."""
    if not _is_hex64(text):
        raise SecrecyError(f"{where}: a scalar must be 64 lower-case hexadecimal digits")
    try:
        value = int.from_bytes(bytes.fromhex(text), "little")
    except ValueError:
        raise SecrecyError(f"{where}: a scalar must be 64 hexadecimal digits") from None
    if value >= L:
        raise SecrecyError(f"{where}: a scalar must be below the group order")
    return value


def scalar_hex(value: int) -> str:
    return (value % L).to_bytes(32, "little").hex()


class Transcript:
    """A Fiat–Shamir transcript: a domain label, then length-prefixed fields, hashed with SHA-512.

    ``challenge()`` reduces the digest of everything absorbed so far mod L; ``fork(i)`` gives
    the i-th scalar derived from the same digest (for vectors of challenges).
    """

    __slots__ = ("_hash",)

    def __init__(self, label: str) -> None:
        self._hash = hashlib.sha512()
        self.absorb(b"devolve/" + label.encode())
        self.absorb(GROUP.encode())

    def absorb(self, data: bytes) -> Transcript:
        self._hash.update(len(data).to_bytes(8, "big"))
        self._hash.update(data)
        return self

    def text(self, value: str) -> Transcript:
        return self.absorb(value.encode())

    def number(self, value: int) -> Transcript:
        return self.absorb(str(value).encode())

    def points(self, points: Iterable[bytes]) -> Transcript:
        """Absorbs a list of points as one field (points are 32 bytes, so the byte length fixes the
        count)."""
        chunk = b"".join(points)
        return self.absorb(chunk)

    def digest(self) -> bytes:
        return self._hash.copy().digest()

    def challenge(self) -> int:
        return int.from_bytes(self.digest(), "little") % L


def derived_scalars(seed: bytes, label: str, count: int) -> list[int]:
    """``count`` scalars from ``seed``: SHA-512(label ‖ 0x00 ‖ seed ‖ i as 8 bytes big-endian),
    read little-endian, mod L, for i = 0, 1, ..."""
    prefix = hashlib.sha512(label.encode() + b"\x00" + seed)
    out = []
    for i in range(count):
        h = prefix.copy()
        h.update(i.to_bytes(8, "big"))
        out.append(int.from_bytes(h.digest(), "little") % L)
    return out


def generators(seed: bytes, start: int, count: int) -> list[bytes]:
    """Independent generators number ``start`` ... ``start + count - 1`` for ``seed``.

    Generator i is libsodium's hash-to-group (Elligator 2, cofactor cleared) of the first 32
    bytes of SHA-512("devolve/generator/v1" ‖ 0x00 ‖ seed ‖ i as 8 bytes big-endian); nobody
    knows a discrete logarithm of one in terms of another or of B.
    """
    prefix = hashlib.sha512(b"devolve/generator/v1\x00" + seed)
    out = []
    for i in range(start, start + count):
        h = prefix.copy()
        h.update(i.to_bytes(8, "big"))
        out.append(_na.crypto_core_ed25519_from_uniform(h.digest()[:32]))
    return out


def lagrange_at_zero(indices: Sequence[int], i: int) -> int:
    """λ_i: the Lagrange coefficient at 0 of trustee ``i`` for the set ``indices`` (mod L)."""
    numerator, denominator = 1, 1
    for j in indices:
        if j != i:
            numerator = numerator * j % L
            denominator = denominator * (j - i) % L
    return numerator * pow(denominator, -1, L) % L
