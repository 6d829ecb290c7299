"""A ballot as a fixed-width vector of group elements (docs/secrecy.md, "Ballot encoding").

The bytes: a version byte, the kind's tag, then the kind's payload, padded with zero bytes to
``width * CHUNK``. Projects are numbered by their position in the pot's list of project ids.

- approval, knapsack, single-choice: a bitmask of ceil(P/8) bytes (bit p of byte p // 8 set
  when the project at position p is chosen);
- ranked: k slots, k the number of ranks, each 1 byte (2 when P > 255, little-endian) holding
  position + 1 of the project at that rank, 0 for an unfilled rank;
- cumulative: P slots, one per project in position order, each wide enough for the largest
  number of points plus one, holding points + 1 for a project given points and 0 otherwise.

The width is fixed by the pot's rules and number of projects, so every ciphertext of a pot has
the same width whatever the ballot holds. Each 29-byte chunk becomes a point by
try-and-increment (:func:`embed`).
"""

from __future__ import annotations

from collections.abc import Sequence

from nacl import bindings as _na

from votes.model import Ballot, BallotKind, BallotRules
from votes.secrecy.group import SecrecyError

__all__ = [
    "CHUNK",
    "VERSION",
    "chunks",
    "decode",
    "embed",
    "encode",
    "extract",
    "from_points",
    "to_points",
    "width",
]

VERSION = 1
CHUNK = 29
_TAGS = {
    BallotKind.APPROVAL: 1,
    BallotKind.KNAPSACK: 2,
    BallotKind.SINGLE: 3,
    BallotKind.RANKED: 4,
    BallotKind.CUMULATIVE: 5,
}
_SETS = (BallotKind.APPROVAL, BallotKind.KNAPSACK, BallotKind.SINGLE)


def _ranks(rules: BallotRules, projects: int) -> int:
    k = rules.max_choices if rules.max_choices is not None else projects
    return max(0, min(k, projects))


def _slot(rules: BallotRules, projects: int) -> int:
    """Bytes per slot of a ranked or cumulative payload."""
    if rules.kind is BallotKind.RANKED:
        largest = projects  # position + 1
    else:
        caps = [v for v in (rules.points, rules.max_points_per_project) if v is not None]
        largest = (min(caps) if caps else 255) + 1
    return max(1, (largest.bit_length() + 7) // 8)


def _payload(rules: BallotRules, projects: int) -> int:
    if rules.kind in _SETS:
        return (projects + 7) // 8
    if rules.kind is BallotKind.RANKED:
        return _ranks(rules, projects) * _slot(rules, projects)
    return projects * _slot(rules, projects)


def width(rules: BallotRules, projects: int) -> int:
    """The number of group elements a ballot of this pot takes."""
    return -(-(2 + _payload(rules, projects)) // CHUNK)


def encode(ballot: Ballot, rules: BallotRules, project_ids: Sequence[str]) -> bytes:
    """The canonical bytes of a ballot already valid under ``rules`` (``width * CHUNK`` long)."""
    position = {pid: p for p, pid in enumerate(project_ids)}
    projects = len(project_ids)

    def at(pid: str) -> int:
        if pid not in position:
            raise SecrecyError(f"the ballot chooses {pid!r}, which is not a project of this pot")
        return position[pid]

    body = bytearray(_payload(rules, projects))
    if rules.kind in _SETS:
        for pid in ballot.choices:
            p = at(pid)
            body[p // 8] |= 1 << (p % 8)
    elif rules.kind is BallotKind.RANKED:
        size = _slot(rules, projects)
        choices = list(ballot.choices)
        while choices and choices[-1] == "":
            choices.pop()
        if len(choices) > _ranks(rules, projects):
            raise SecrecyError("the ballot has more ranks than the pot allows")
        for rank, pid in enumerate(choices):
            value = 0 if pid == "" else at(pid) + 1
            body[rank * size : (rank + 1) * size] = value.to_bytes(size, "little")
    else:
        size = _slot(rules, projects)
        if len(ballot.points) != len(ballot.choices):
            raise SecrecyError("the ballot does not give one number of points per project")
        for pid, points in zip(ballot.choices, ballot.points, strict=True):
            p = at(pid)
            if points < 0 or (points + 1).bit_length() > size * 8:
                raise SecrecyError(f"{points} points do not fit this pot's ballot")
            body[p * size : (p + 1) * size] = (points + 1).to_bytes(size, "little")
    data = bytes([VERSION, _TAGS[rules.kind]]) + bytes(body)
    return data + bytes(width(rules, projects) * CHUNK - len(data))


def decode(data: bytes, rules: BallotRules, project_ids: Sequence[str]) -> Ballot:
    """The ballot whose canonical bytes are ``data``; refuses bytes no honest ballot has."""
    projects = len(project_ids)
    w = width(rules, projects)
    if len(data) != w * CHUNK:
        raise SecrecyError(f"a ballot of this pot is {w * CHUNK} bytes, not {len(data)}")
    if data[0] != VERSION or data[1] != _TAGS[rules.kind]:
        raise SecrecyError("the ballot's version or kind is not this pot's")
    size = _payload(rules, projects)
    body, padding = data[2 : 2 + size], data[2 + size :]
    if any(padding):
        raise SecrecyError("the ballot's padding is not zero")
    if rules.kind in _SETS:
        if projects % 8 and body and body[-1] >> (projects % 8):
            raise SecrecyError("the ballot chooses a project position beyond the pot's list")
        chosen = tuple(pid for p, pid in enumerate(project_ids) if body[p // 8] >> (p % 8) & 1)
        return Ballot(choices=chosen)
    slot = _slot(rules, projects)
    values = [int.from_bytes(body[i : i + slot], "little") for i in range(0, size, slot)]
    if rules.kind is BallotKind.RANKED:
        if any(v > projects for v in values):
            raise SecrecyError("the ballot ranks a project position beyond the pot's list")
        while values and values[-1] == 0:
            values.pop()
        return Ballot(choices=tuple(project_ids[v - 1] if v else "" for v in values))
    choices, points = [], []
    for p, value in enumerate(values):
        if value:
            choices.append(project_ids[p])
            points.append(value - 1)
    return Ballot(choices=tuple(choices), points=tuple(points))


def chunks(data: bytes) -> list[bytes]:
    return [data[i : i + CHUNK] for i in range(0, len(data), CHUNK)]


def embed(chunk: bytes) -> bytes:
    """The point carrying a 29-byte chunk: its encoding is the chunk, a 2-byte counter and 0.

    The first counter giving a point of the prime-order subgroup is taken (about 1 in 16 does).
    """
    if len(chunk) != CHUNK:
        raise SecrecyError(f"a chunk is {CHUNK} bytes")
    for counter in range(65536):
        candidate = chunk + counter.to_bytes(2, "little") + b"\x00"
        if _na.crypto_core_ed25519_is_valid_point(candidate):
            return candidate
    raise SecrecyError("no counter embeds this chunk")  # probability below 2^-6000


def extract(p: bytes) -> bytes:
    """The chunk a point carries; refuses a point that no chunk embeds to."""
    if len(p) != 32 or p[31] != 0:
        raise SecrecyError("the decrypted element does not carry a ballot chunk")
    return p[:CHUNK]


def to_points(ballot: Ballot, rules: BallotRules, project_ids: Sequence[str]) -> list[bytes]:
    return [embed(c) for c in chunks(encode(ballot, rules, project_ids))]


def from_points(points: Sequence[bytes], rules: BallotRules, project_ids: Sequence[str]) -> Ballot:
    return decode(b"".join(extract(p) for p in points), rules, project_ids)
