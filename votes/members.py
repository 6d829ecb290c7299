"""Members' votes on an organisation's meeting items: the hashes of their logs, counting their
ballots, and re-checking an item's auditor export (``python -m votes verify ITEM.zip``).

An item's export (docs/governance.md, "The export") is a ZIP of:

- ``manifest.json``: the item as frozen when it opened; its SHA-256 is the manifest hash, the
  payload of the log's genesis entry. ``{"format": "devolve-member-vote", "version": 1,
  "item": id, "kind": "motion" | "election", ...}``. A motion's has ``threshold``
  (``{"share": "3/4", "more_than": false, "name": "special"}``), ``abstentions_count``,
  ``casting_vote`` (whether the chair has one) and ``quorum`` (``{"members": n, "share":
  "1/10" | null, "counts_proxies": bool}``); an election's has ``rule`` (``scottish`` or
  ``meek``) and ``constituencies`` (``[{"id", "name", "seats", "candidates": [{"id",
  "name"}, ...]}]``, candidates in ballot order, which is also the count's lot).
- ``ballots.json``: every ballot, ``{"id", "constituency", "content"}``, sorted by id; the
  content is canonical JSON, ``{"choice": ...}`` or ``{"ranking": [...]}``.
- ``log.json``: the item's hash chain, ``{"sequence", "kind", "ballot_id", "payload_hash",
  "previous_hash", "entry_hash"}`` in order; ``receipts.json``: how many receipts were given.
- ``result.json``: the declared result. A motion's: ``{"for", "against", "abstain",
  "present", "by_proxy", "eligible", "casting_vote", "decision": {...}}``; an election's:
  ``{"rule", "constituencies": [{"id", "name", "seats", "ballots", "count":
  votes.stv.result_to_json(...)}], "quorum": {"present", "by_proxy", "eligible", "required",
  "counted", "inquorate"}}`` (:func:`count_election`; ``quorum`` where the manifest froze
  one).
- ``SHA256SUMS``.

Hashes: entry = SHA-256 of ``item|{item}|{sequence}|{kind}|{payload_hash}|{previous_hash}``;
a ballot's payload = SHA-256 of ``{id}|{constituency}|{content}``; a supersede entry carries
the payload of the ballot it replaces; the close entry's payload = SHA-256 of
``close|ballots={counted}|receipts={receipts}``.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from votes.blt import BltElection
from votes.motions import Quorum, Tally, Threshold, decide
from votes.stv import count, result_to_json

__all__ = [
    "FORMAT",
    "ballot_hash",
    "close_payload",
    "count_election",
    "decide_motion",
    "decision_document",
    "election_quorum",
    "entry_hash",
    "blt_elections",
    "is_item_export",
    "labels",
    "main",
    "verify_item_zip",
]

FORMAT = "devolve-member-vote"
ZERO_HASH = "0" * 64


def _sha(text: str | bytes) -> str:
    return hashlib.sha256(text.encode("utf-8") if isinstance(text, str) else text).hexdigest()


def entry_hash(item: int, sequence: int, kind: str, payload: str, previous: str) -> str:
    """An item's log entry (``item|`` keeps it apart from every round's entries)."""
    return _sha(f"item|{item}|{sequence}|{kind}|{payload}|{previous}")


def ballot_hash(ballot_id: str, constituency: int, content: str) -> str:
    return _sha(f"{ballot_id}|{constituency}|{content}")


def close_payload(ballots: int, receipts: int) -> str:
    return _sha(f"close|ballots={ballots}|receipts={receipts}")


# --- Counting ---------------------------------------------------------------------------------


def _threshold(spec: Mapping[str, Any]) -> Threshold:
    return Threshold(Fraction(spec["share"]), bool(spec["more_than"]), spec.get("name", ""))


def quorum_of(manifest: Mapping[str, Any]) -> Quorum:
    """The quorum the item's manifest froze."""
    q = manifest["quorum"]
    return Quorum(
        members=int(q["members"]),
        share=None if q.get("share") is None else Fraction(q["share"]),
        counts_proxies=bool(q["counts_proxies"]),
    )


def election_quorum(
    manifest: Mapping[str, Any], *, present: int, by_proxy: int, eligible: int
) -> dict[str, Any]:
    """Whether an election was quorate, as its result records it: the attendance, the
    members required and counted, and ``inquorate``."""
    quorum = quorum_of(manifest)
    required = quorum.required(eligible)
    counted = quorum.counted(present, by_proxy)
    return {
        "present": present,
        "by_proxy": by_proxy,
        "eligible": eligible,
        "required": required,
        "counted": counted,
        "inquorate": counted < required,
    }


def decide_motion(
    manifest: Mapping[str, Any],
    ballots: list[Mapping[str, Any]],
    *,
    present: int,
    by_proxy: int,
    eligible: int,
    casting_vote: str | None = None,
):
    """Decide a motion from its counted ballots (``{"choice": ...}``) under its manifest's
    frozen rules: a :class:`votes.motions.Decision`."""
    choices = [b["choice"] for b in ballots]
    tally = Tally(choices.count("for"), choices.count("against"), choices.count("abstain"))
    quorum = quorum_of(manifest)
    return decide(
        tally,
        _threshold(manifest["threshold"]),
        abstentions_count=bool(manifest["abstentions_count"]),
        casting_vote=casting_vote,
        quorum=quorum,
        present=present,
        by_proxy=by_proxy,
        eligible=eligible,
    )


def decision_document(decision) -> dict[str, Any]:
    """The decision as JSON (fractions as ``"p/q"``)."""
    return {
        "for": decision.tally.for_,
        "against": decision.tally.against,
        "abstain": decision.tally.abstain,
        "cast": decision.cast,
        "needed": decision.needed,
        "margin": decision.margin,
        "carried": decision.carried,
        "tie": decision.tie,
        "casting_vote": decision.casting_vote,
        "inquorate": decision.inquorate,
        "quorum_required": decision.quorum_required,
        "quorum_counted": decision.quorum_counted,
        "share": None if decision.share is None else str(decision.share),
    }


def labels(candidates: list[Mapping[str, Any]]) -> list[str]:
    """The candidates' names as the count writes them: a name two candidates share gets its
    place on the ballot after it, so every row of the count is one candidate."""
    times: dict[str, int] = {}
    for c in candidates:
        times[c["name"]] = times.get(c["name"], 0) + 1
    return [
        c["name"] if times[c["name"]] == 1 else f"{c['name']} ({i + 1})"
        for i, c in enumerate(candidates)
    ]


def blt_elections(
    manifest: Mapping[str, Any], ballots: list[tuple[int, Mapping[str, Any]]]
) -> list[tuple[Mapping[str, Any], BltElection]]:
    """Each constituency's counted ballots as a BLT election: candidates in ballot order (so
    the lot is 0, 1, 2, ...), identical rankings counted together, in a fixed order."""
    out = []
    for place in manifest["constituencies"]:
        index = {c["id"]: i for i, c in enumerate(place["candidates"])}
        grouped: dict[tuple[int, ...], int] = {}
        for constituency, ballot in ballots:
            if constituency == place["id"]:
                prefs = tuple(index[c] for c in ballot["ranking"])
                grouped[prefs] = grouped.get(prefs, 0) + 1
        election = BltElection(
            candidates=tuple(labels(place["candidates"])),
            seats=int(place["seats"]),
            ballots=tuple((n, prefs) for prefs, n in sorted(grouped.items())),
            title=f"{manifest['title']}: {place['name']}",
        )
        out.append((place, election))
    return out


def count_election(
    manifest: Mapping[str, Any],
    ballots: list[tuple[int, Mapping[str, Any]]],
    attendance: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """The election's result from its counted ballots ((constituency, ``{"ranking": [...]}``)):
    for each constituency the count by the manifest's rule (``votes.stv.result_to_json``),
    candidates and lot in ballot order.

    When the manifest froze a quorum, ``attendance`` (``present``, ``by_proxy``,
    ``eligible``) says who was there, and the result's ``quorum`` (:func:`election_quorum`)
    says whether the election was quorate. An inquorate election elects nobody: its counts
    are kept for the record, but the declaration says it made no decision."""
    results = []
    for place, election in blt_elections(manifest, ballots):
        result = count(election, manifest["rule"], lot=range(len(election.candidates)))
        results.append(
            {
                "id": place["id"],
                "name": place["name"],
                "seats": place["seats"],
                "ballots": election.total,
                "count": result_to_json(result),
            }
        )
    out: dict[str, Any] = {"rule": manifest["rule"], "constituencies": results}
    if "quorum" in manifest:
        if attendance is None:
            raise ValueError("an election with a quorum is counted with its attendance")
        out["quorum"] = election_quorum(
            manifest,
            present=int(attendance["present"]),
            by_proxy=int(attendance["by_proxy"]),
            eligible=int(attendance["eligible"]),
        )
    return out


# --- Verifying an export ----------------------------------------------------------------------


def verify_item_zip(path: str) -> tuple[list[str], list[str], str | None, str | None]:
    """Re-check an item's export: (checked, problems, manifest hash, log head)."""
    checked: list[str] = []
    problems: list[str] = []
    with zipfile.ZipFile(path) as z:
        files = {name: z.read(name) for name in z.namelist()}
    sums = files.get("SHA256SUMS", b"").decode("utf-8", "replace")
    listed = dict(
        (name, digest) for digest, _, name in (line.partition("  ") for line in sums.splitlines())
    )
    for name, data in sorted(files.items()):
        if name != "SHA256SUMS" and listed.get(name) != _sha(data):
            problems.append(f"{name} does not match its SHA256SUMS line")
    for name in sorted(set(listed) - set(files)):
        problems.append(f"SHA256SUMS lists {name}, which is not in the export")
    if not problems:
        checked.append("every file matches SHA256SUMS")
    try:
        manifest = json.loads(files["manifest.json"])
        ballots = json.loads(files["ballots.json"])
        log = json.loads(files["log.json"])
        receipts = int(json.loads(files["receipts.json"])["receipts"])
        result = json.loads(files["result.json"])
    except (KeyError, ValueError, TypeError) as e:
        problems.append(f"the export is not complete or not in the documented format: {e}")
        return checked, problems, None, None
    manifest_hash = _sha(files["manifest.json"])
    item = manifest.get("item")
    head = _check_chain(item, manifest_hash, log, problems)
    if head is not None:
        checked.append(f"the log's {len(log)} entries chain from the manifest to the close")
    counted = _check_ballots(ballots, log, problems)
    close = log[-1] if log else None
    if close is None or close.get("kind") != "close":
        problems.append("the log is not sealed: voting on the item has not closed")
    elif close["payload_hash"] != close_payload(len(counted), receipts):
        problems.append(
            f"the close entry does not commit to {len(counted)} counted ballots and "
            f"{receipts} receipts"
        )
    else:
        checked.append(f"the close entry commits to the {len(counted)} counted ballots")
    contents = [(b["constituency"], json.loads(b["content"])) for b in counted]
    if manifest.get("kind") == "election":
        seen = result.get("quorum") if isinstance(result, dict) else None
        try:
            recount = count_election(manifest, contents, seen)
        except (KeyError, TypeError, ValueError) as e:
            problems.append(f"the election's quorum cannot be recomputed: {e}")
            return checked, problems, manifest_hash, head
        if recount != result:
            problems.append("the recount does not reproduce the declared result")
        else:
            n = len(recount["constituencies"])
            places = "constituency" if n == 1 else "constituencies"
            checked.append(f"the recount of {n} {places} reproduces the declared result")
    else:
        decision = decide_motion(
            manifest,
            [c for _, c in contents],
            present=int(result["present"]),
            by_proxy=int(result["by_proxy"]),
            eligible=int(result["eligible"]),
            casting_vote=result.get("casting_vote"),
        )
        if decision_document(decision) != result.get("decision"):
            problems.append("the recount does not reproduce the declared decision")
        else:
            checked.append("the recount reproduces the declared decision")
    return checked, problems, manifest_hash, head


def _check_chain(item, manifest_hash: str, log: list, problems: list[str]) -> str | None:
    previous = ZERO_HASH
    for i, e in enumerate(log):
        if e["sequence"] != i or e["previous_hash"] != previous:
            problems.append(f"log entry {i} does not follow the one before it")
            return None
        if e["entry_hash"] != entry_hash(
            item, e["sequence"], e["kind"], e["payload_hash"], e["previous_hash"]
        ):
            problems.append(f"log entry {i} has the wrong hash")
            return None
        previous = e["entry_hash"]
    if not log or log[0]["kind"] != "genesis" or log[0]["payload_hash"] != manifest_hash:
        problems.append("the log does not start from this manifest")
        return None
    return previous


def _check_ballots(ballots: list, log: list, problems: list[str]) -> list:
    by_id = {b["id"]: b for b in ballots}
    logged: dict[str, str] = {}
    replaced: set[str] = set()
    for e in log:
        if e["kind"] == "ballot":
            b = by_id.get(e["ballot_id"])
            if (
                b is None
                or ballot_hash(b["id"], b["constituency"], b["content"]) != e["payload_hash"]
            ):
                problems.append(f"log entry {e['sequence']}: its ballot is missing or was changed")
            logged[e["ballot_id"]] = e["payload_hash"]
        elif e["kind"] == "supersede":
            if logged.get(e["ballot_id"]) != e["payload_hash"] or e["ballot_id"] in replaced:
                problems.append(f"log entry {e['sequence']}: supersedes no earlier ballot")
            replaced.add(e["ballot_id"])
    for b in ballots:
        if b["id"] not in logged:
            problems.append(f"ballot {b['id']} is not in the log (it was added)")
    return [b for b in ballots if b["id"] in logged and b["id"] not in replaced]


def is_item_export(path: str) -> bool:
    """Whether the ZIP at ``path`` is a meeting item's export (its manifest says so)."""
    try:
        with zipfile.ZipFile(path) as z:
            manifest = json.loads(z.read("manifest.json"))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return False
    return isinstance(manifest, dict) and manifest.get("format") == FORMAT


def main(path: str, *, manifest_hash: str | None = None, log_head: str | None = None) -> int:
    """``python -m votes verify`` for an item's export: what was checked, every problem and
    the fingerprints; 0 when the declared result is reproduced (and the fingerprints are the
    ones given), 1 when not."""
    checked, problems, found_manifest, found_head = verify_item_zip(path)
    for given, found, what in (
        (manifest_hash, found_manifest, "manifest hash"),
        (log_head, found_head, "log head"),
    ):
        if given is not None and given != found:
            problems.append(f"the export's {what} {found} is not the published {given}")
    for line in checked:
        print(f"OK: {line}")
    for line in problems:
        print(f"PROBLEM: {line}")
    print()
    print("FINGERPRINTS")
    print(f"  manifest hash    {found_manifest or '(cannot be computed)'}")
    print(f"  ballot log head  {found_head or '(cannot be computed)'}")
    print()
    if problems:
        print(f"{path}: NOT verified: {len(problems)} problem(s).")
        return 1
    print(f"{path}: verified: the declared result is reproduced.")
    return 0
