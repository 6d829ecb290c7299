"""Recount a pot from a Devolve auditor export, without Devolve: ``python -m votes verify``.

An export is a ZIP holding ``manifest.json`` (the round as frozen when voting opened),
``ballots.json`` (every ballot of the round, sorted by its random id, no voter data),
``log.json`` (the round's hash-chained ballot log), ``receipts.json``, ``results.json`` and
``results.csv`` (the pot's published result), ``election.pb`` (the pot in pabulib format) and
``SHA256SUMS``. The chain format is documented in ``votes/README.md``; it is re-implemented here
from that description alone.

:func:`result_document` is also what Devolve stores as a pot's result, so "the published
result is reproduced" means the recount gives the same document, key for key.
"""

from __future__ import annotations

import hashlib
import io
import json
import sys
import zipfile
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from votes.model import (
    Ballot,
    BallotKind,
    BallotRules,
    Election,
    Outcome,
    Project,
    RankedScoring,
    TieBreak,
)

__all__ = [
    "RESULT_FORMAT",
    "ZERO_HASH",
    "Report",
    "ballot_hash",
    "canonical_json",
    "count_facts",
    "election_from_export",
    "entry_hash",
    "result_document",
    "same_count",
    "sha256",
    "verify_zip",
]

ZERO_HASH = "0" * 64
# The version of ``result_document``: 2 since explanations agree with the figures and Equal
# Shares results carry their shares and effective support (earlier documents have no key).
RESULT_FORMAT = 2


def sha256(data: str | bytes) -> str:
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


def canonical_json(value: Any) -> str:
    """Sorted keys, no spaces, UTF-8: the same value always gives the same text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(round_id: int, sequence: int, kind: str, payload_hash: str, previous: str) -> str:
    return sha256(f"{round_id}|{sequence}|{kind}|{payload_hash}|{previous}")


def ballot_hash(ballot_id: str, pot_id: int, content: str) -> str:
    return sha256(f"{ballot_id}|{pot_id}|{content}")


def _pence(value: Fraction) -> int | str:
    f = Fraction(value)
    return f.numerator if f.denominator == 1 else f"{f.numerator}/{f.denominator}"


def result_document(election: Election, outcome: Outcome) -> dict[str, Any]:
    """A pot's result as plain JSON: the rule, the selection (in order), and per project its
    cost in pence, whether funded, its votes (ballots naming it), its points and the
    plain-English explanation.

    ``points`` are what the rule counted, when it counted points: on cumulative ballots the
    points given; on ranked ballots the points the rule scored from the ranks (its
    explanation's ``details["points"]``); ``None`` otherwise (approval ballots, and ranked
    ballots counted by one-winner rules, which count votes).

    Method of Equal Shares rules add ``equal_shares``: the share each voter held in the
    count (``share_pence``), the equal share B/n the budget search started from
    (``first_share_pence``, ``mes-add1`` only), the number of ballots, and what the
    completion step spent (``completion_pence``, ``mes-greedy`` only); and per project its
    ``effective_support`` (supporters' money over cost, exact, see
    ``votes.rules.mes.equal_shares``). Other rules have ``equal_shares`` ``None`` and
    ``effective_support`` ``None``."""
    votes: dict[str, int] = {p.id: 0 for p in election.projects}
    points: dict[str, int] = {p.id: 0 for p in election.projects}
    for ballot in election.ballots:
        for i, choice in enumerate(dict.fromkeys(ballot.choices)):
            if choice in votes:
                votes[choice] += 1
                if ballot.points:
                    points[choice] += ballot.points[i]
    cumulative = election.kind is BallotKind.CUMULATIVE
    reasons = {e.project_id: e for e in outcome.explanations}

    def counted_points(pid: str) -> int | None:
        if cumulative:
            return points[pid]
        details = reasons[pid].details if pid in reasons else {}
        return details.get("points") if election.kind is BallotKind.RANKED else None

    def effective_support(pid: str) -> str | None:
        value = reasons[pid].details.get("effective_support") if pid in reasons else None
        return None if value is None else str(value)

    return {
        "format": RESULT_FORMAT,
        "rule": outcome.rule,
        "tie_break": TieBreak(outcome.tie_break).value,
        "budget_pence": _pence(outcome.budget),
        "ballots": len(election.ballots),
        "selected": list(outcome.selected),
        "total_cost_pence": _pence(outcome.total_cost),
        "projects": [
            {
                "id": p.id,
                "name": p.name,
                "cost_pence": _pence(p.cost),
                "funded": p.id in outcome.selected,
                "votes": votes[p.id],
                "points": counted_points(p.id),
                "effective_support": effective_support(p.id),
                "explanation": reasons[p.id].reason if p.id in reasons else "",
            }
            for p in election.projects
        ],
        "equal_shares": _equal_shares(election, outcome),
    }


def count_facts(document: Mapping[str, Any]) -> dict[str, Any]:
    """What a result document says was counted, without the words around it: the rule, the
    tie-break, the budget, the ballots, the selection in order, the total cost, and per
    project its cost, whether funded and its votes. Results stored before ``format`` 2 (whose
    explanations were worded differently) are compared with a recount on these alone."""
    return {
        "rule": document.get("rule"),
        "tie_break": document.get("tie_break"),
        "budget_pence": document.get("budget_pence"),
        "ballots": document.get("ballots"),
        "selected": document.get("selected"),
        "total_cost_pence": document.get("total_cost_pence"),
        "projects": [
            [p.get("id"), p.get("cost_pence"), p.get("funded"), p.get("votes")]
            for p in document.get("projects") or []
            if isinstance(p, Mapping)
        ],
    }


def same_count(recount: Mapping[str, Any], stored: Mapping[str, Any]) -> bool:
    """A recount reproduces a stored result: every key of a current one, or the counted facts
    of one stored before ``format`` 2."""
    if stored.get("format") == RESULT_FORMAT:
        return canonical_json(recount) == canonical_json(stored)
    if "format" in stored:
        return False
    return canonical_json(count_facts(recount)) == canonical_json(count_facts(stored))


def _equal_shares(election: Election, outcome: Outcome) -> dict[str, Any] | None:
    """The pot-wide facts of an Equal Shares count, from its explanations' details."""
    common = next((e.details for e in outcome.explanations if "share_per_voter" in e.details), None)
    if common is None:
        return None
    first = common.get("first_share_per_voter")
    completion = [
        Fraction(election.project(e.project_id).cost)
        for e in outcome.explanations
        if e.funded and e.details.get("phase") == "completion"
    ]
    return {
        "ballots": len(election.ballots),
        "share_pence": _pence(Fraction(str(common["share_per_voter"]))),
        "first_share_pence": None if first is None else _pence(Fraction(str(first))),
        "completion_pence": _pence(sum(completion, Fraction(0)))
        if outcome.rule == "mes-greedy"
        else None,
    }


def manifest_rules(manifest: Mapping[str, Any]) -> BallotRules:
    """What a valid ballot looks like, from a round manifest (the same for every pot)."""
    kind = BallotKind(manifest["ballot_kind"])
    cumulative = kind is BallotKind.CUMULATIVE
    # Manifests frozen before these keys existed were counted with pabutools' Borda scoring
    # and accepted blank ballots: an absent key means exactly that, so they recount the same.
    scoring = manifest.get("ranked_scoring") or RankedScoring.BORDA
    allow_blank = manifest.get("allow_blank_ballots")
    return BallotRules(
        kind=kind,
        min_choices=manifest.get("min_choices"),
        max_choices=manifest.get("max_choices"),
        points=manifest.get("points") if cumulative else None,
        max_points_per_project=manifest.get("max_points_per_project") if cumulative else None,
        require_all_points=True,
        ranked_scoring=RankedScoring(scoring),
        allow_blank=True if allow_blank is None else bool(allow_blank),
    )


def manifest_projects(pot: Mapping[str, Any]) -> tuple[Project, ...]:
    """A manifest pot's ballot projects; the cost is what the pot pays (the final cost less
    partners' money)."""
    return tuple(
        Project(
            id=str(p["id"]),
            cost=Fraction(
                p["cost_to_pot_pence"]
                if p.get("cost_to_pot_pence") is not None
                else p["final_cost_pence"]
            ),
            name=p["title"],
        )
        for p in pot["proposals"]
    )


def counted_ballot_ids(log: list[Mapping[str, Any]]) -> set[str]:
    """Ballots the log says count: logged, and not superseded by a later ballot."""
    logged = {e["ballot_id"] for e in log if e["kind"] == "ballot"}
    replaced = {e["ballot_id"] for e in log if e["kind"] == "supersede"}
    return logged - replaced


def election_from_export(
    manifest: Mapping[str, Any],
    ballots: list[Mapping[str, Any]],
    pot_id: int,
    counted: set[str] | None = None,
) -> Election:
    """The pot's election: its projects from the manifest (cost = what the pot pays), its
    counted ballots in id order."""
    pot = next((p for p in manifest["pots"] if p["id"] == pot_id), None)
    if pot is None:
        raise ValueError(f"pot {pot_id} is not in the manifest")
    projects = manifest_projects(pot)
    chosen = []
    for b in sorted(ballots, key=lambda b: b["id"]):
        if b["pot_id"] != pot_id or (counted is not None and b["id"] not in counted):
            continue
        content = json.loads(b["content"])
        chosen.append(Ballot(tuple(content["choices"]), tuple(content["points"])))
    return Election(
        budget=Fraction(pot["budget_pence"]),
        projects=projects,
        ballots=tuple(chosen),
        rules=manifest_rules(manifest),
    )


@dataclass
class Report:
    """What verification found: ``problems`` empty means everything checked out.

    ``notes``: what a reader must know about what was reproduced (a pot withheld, results
    not yet published). ``published``: results.json says the result is published in full.
    """

    checked: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    published: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems


def check_chain(round_id: int, manifest_hash: str, log: list[Mapping[str, Any]]) -> str | None:
    """The first broken link of the chain, in words; None when every link holds."""
    previous = ZERO_HASH
    if not log:
        return "the ballot log is empty"
    for i, e in enumerate(log):
        where = f"entry {i}"
        if e.get("sequence") != i:
            return (
                f"{where}: expected sequence {i}, found {e.get('sequence')} "
                "(an entry was deleted, inserted or moved)"
            )
        if e["previous_hash"] != previous:
            return f"{where}: does not follow entry {i - 1} (previous hash differs)"
        expected = entry_hash(round_id, i, e["kind"], e["payload_hash"], e["previous_hash"])
        if e["entry_hash"] != expected:
            return f"{where}: its hash does not match its contents (the entry was edited)"
        if i == 0 and (e["kind"] != "genesis" or e["payload_hash"] != manifest_hash):
            return f"{where}: the genesis entry does not commit to this manifest"
        previous = e["entry_hash"]
    return None


class _Malformed(Exception):
    """The export is not in the documented format; the message says where."""


# The keys the checks read, per file (the format is documented in votes/README.md).
_LOG_KEYS = ("sequence", "kind", "ballot_id", "payload_hash", "previous_hash", "entry_hash")
_BALLOT_KEYS = ("id", "pot_id", "content")
_RESULT_KEYS = (
    "pot_id",
    "rule",
    "tie_break",
    "manifest_hash",
    "log_head_hash",
    "ballot_count",
    "outcome",
)


def _require(value: Any, keys: tuple[str, ...], where: str) -> None:
    if not isinstance(value, dict):
        raise _Malformed(f"{where} is not a JSON object")
    missing = [k for k in keys if k not in value]
    if missing:
        raise _Malformed(f"{where} has no {', '.join(repr(k) for k in missing)}")


def _require_list(value: Any, keys: tuple[str, ...], where: str) -> None:
    if not isinstance(value, list):
        raise _Malformed(f"{where} is not a JSON list")
    for i, item in enumerate(value):
        _require(item, keys, f"{where} item {i}")


def _check_shape(manifest: Any, ballots: Any, log: Any, results: Any) -> None:
    """Raises ``_Malformed`` naming the first thing the checks need and cannot find."""
    _require(manifest, ("round", "pots", "ballot_kind"), "manifest.json")
    _require(manifest["round"], ("id",), "manifest.json round")
    _require_list(manifest["pots"], ("id", "budget_pence", "proposals"), "manifest.json pots")
    for pot in manifest["pots"]:
        _require_list(pot["proposals"], ("id", "title"), f"manifest.json pot {pot['id']}")
    _require_list(ballots, _BALLOT_KEYS, "ballots.json")
    _require_list(log, _LOG_KEYS, "log.json")
    _require(results, _RESULT_KEYS, "results.json")


_UNREADABLE = (zipfile.BadZipFile, zlib.error, EOFError, ValueError)


def _read(z: zipfile.ZipFile, name: str, report: Report) -> str | None:
    """A member's text, or None with the reason noted (missing, damaged, not UTF-8)."""
    try:
        return z.read(name).decode("utf-8")
    except KeyError:
        report.problems.append(f"{name} is missing from the export")
    except _UNREADABLE as e:
        report.problems.append(f"{name} cannot be read from the ZIP: {e}")
    return None


def _load(text: str | None, name: str, report: Report) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError as e:
        report.problems.append(f"{name} is not valid JSON: {e}")
        return None


def verify_zip(source: str | bytes, *, tally: Callable[..., Outcome] | None = None) -> Report:
    """Check an export (a path or the ZIP's bytes): checksums, the hash chain, the ballots
    against the log, the close entry, the log head, and a recount with the recorded rule.

    An export that is not a ZIP, is damaged or truncated, lacks a file, holds a file that is
    not JSON or lacks a key the checks need is reported as a problem, never raised; only a
    path that cannot be read raises (``OSError``)."""
    report = Report()
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as e:
        if data[:2] == b"PK":
            report.problems.append(f"a damaged or truncated ZIP file: {e}")
        else:
            report.problems.append("not a ZIP file")
        return report
    with z:
        _checksums(z, report)
        names = ("manifest.json", "ballots.json", "log.json", "results.json")
        texts = {n: _read(z, n, report) for n in names}
    manifest, ballots, log, results = (_load(t, n, report) for n, t in texts.items())
    if None in (manifest, ballots, log, results):
        return report
    try:
        _check_shape(manifest, ballots, log, results)
        _check(texts["manifest.json"], manifest, ballots, log, results, report, tally)
    except _Malformed as e:
        report.problems.append(f"the export is not in the documented format: {e}")
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        # A value of the wrong type somewhere the shape check does not look (a list where
        # an id belongs, say): still a malformed export, reported rather than raised.
        report.problems.append(f"the export is not in the documented format: {e!r}")
    return report


def _check(manifest_text: str, manifest, ballots, log, results, report: Report, tally) -> None:
    if tally is None:
        from votes.rules import tally
    from votes.ballot import format_money

    manifest_hash = sha256(manifest_text)
    if results["manifest_hash"] != manifest_hash:
        report.problems.append("results.json names a different manifest hash")
    broken = check_chain(manifest["round"]["id"], manifest_hash, log)
    if broken:
        report.problems.append(f"hash chain broken at {broken}")
    else:
        report.checked.append(f"hash chain intact: {len(log)} entries")
    _check_ballots(ballots, log, report)
    if log and log[-1]["entry_hash"] != results["log_head_hash"]:
        report.problems.append("the log's head is not the head the result was counted from")
    counted = counted_ballot_ids(log)
    if not log or log[-1]["kind"] != "close":
        report.problems.append("the log has no close entry: voting was not sealed")
    elif log[-1]["payload_hash"] != sha256(f"close|ballots={len(counted)}"):
        report.problems.append(
            f"the close entry does not commit to the {len(counted)} counted ballots"
        )
    try:
        election = election_from_export(manifest, ballots, results["pot_id"], counted)
        outcome = tally(
            election, results["rule"], TieBreak(results["tie_break"]), money=format_money
        )
    except KeyError as e:
        report.problems.append(f"cannot recount: the export has no {e}")
        return
    except (TypeError, ValueError) as e:
        report.problems.append(f"cannot recount: {e}")
        return
    recount = result_document(election, outcome)
    if results["ballot_count"] != len(election.ballots):
        report.problems.append(
            f"results.json says {results['ballot_count']} ballots; the export has "
            f"{len(election.ballots)} counted ballots for this pot"
        )
    stored = results["outcome"]
    if not isinstance(stored, dict) or not same_count(recount, stored):
        report.problems.append(_difference(recount, stored if isinstance(stored, dict) else {}))
        return
    if stored.get("format") != RESULT_FORMAT:
        report.notes.append(
            "results.json was stored by an earlier version, whose explanations were worded "
            "differently: the count (selection, costs and votes) is compared, not the wording"
        )
    report.checked.append(
        f"recount with {results['rule']} reproduces the result in results.json: "
        f"{len(outcome.selected)} funded from {len(election.ballots):,} "
        f"{'ballot' if len(election.ballots) == 1 else 'ballots'}"
    )
    _publication(results, report)


def _publication(results: Mapping[str, Any], report: Report) -> None:
    """Say what the reproduced result is: published, withheld, or not (yet) published."""
    withheld = results.get("withheld") is True
    if withheld:
        report.notes.append(
            "this pot's result is withheld (fewer ballots than the round's minimum for "
            "publishing): its per-project figures are not published"
        )
    published = results.get("published")
    if published is False:
        report.notes.append(
            "results.json says the round's results are not published: this is the count as "
            "stored, not a published result"
        )
    elif published is None:
        report.notes.append("results.json does not say whether the result is published")
    report.published = published is True and not withheld


def _checksums(z: zipfile.ZipFile, report: Report) -> None:
    text = _read(z, "SHA256SUMS", report)
    if text is None:
        return
    listed = {}
    for line in text.splitlines():
        digest, _, name = line.partition("  ")
        listed[name] = digest
    for name in sorted(set(z.namelist()) - {"SHA256SUMS"}):
        try:
            data = z.read(name)
        except _UNREADABLE as e:
            report.problems.append(f"{name} cannot be read from the ZIP: {e}")
            continue
        if listed.get(name) != sha256(data):
            report.problems.append(f"{name} does not match its SHA256SUMS line")


def _check_ballots(ballots: list[Mapping[str, Any]], log, report: Report) -> None:
    by_id = {b["id"]: b for b in ballots}
    logged = {e["ballot_id"]: e for e in log if e["kind"] == "ballot"}
    for e in log:
        if e["kind"] != "ballot":
            continue
        b = by_id.get(e["ballot_id"])
        if b is None:
            report.problems.append(
                f"log entry {e['sequence']}: its ballot is missing from ballots.json"
            )
        elif ballot_hash(b["id"], b["pot_id"], b["content"]) != e["payload_hash"]:
            report.problems.append(
                f"log entry {e['sequence']}: ballot {b['id']} does not match the log "
                "(the ballot was changed)"
            )
    for b in ballots:
        if b["id"] not in logged:
            report.problems.append(f"ballot {b['id']} is not in the log (it was added)")


def _difference(recount: Mapping[str, Any], published: Mapping[str, Any]) -> str:
    if recount.get("selected") != published.get("selected"):
        return (
            "the recount does not reproduce the published result: it funds "
            f"{', '.join(recount['selected']) or 'nothing'}; the result says "
            f"{', '.join(published.get('selected') or []) or 'nothing'}"
        )
    return "the recount funds the same projects, but the published figures or explanations differ"


def main(path: str) -> int:
    """Print what was checked and every problem; 0 when reproduced, 1 when not (including an
    export that is damaged or not in the documented format), 2 when the file cannot be
    opened."""
    try:
        report = verify_zip(path)
    except OSError as e:
        print(f"{path}: cannot open: {e.strerror or e}", file=sys.stderr)
        return 2
    for line in report.checked:
        print(f"OK: {line}")
    for line in report.notes:
        print(f"NOTE: {line}")
    for line in report.problems:
        print(f"PROBLEM: {line}")
    if not report.ok:
        print(f"{path}: NOT verified: {len(report.problems)} problem(s).")
        return 1
    if report.published:
        print(f"{path}: verified: the published result is reproduced.")
    else:
        print(
            f"{path}: verified: the count in results.json is reproduced, "
            "but it is not a published result (see NOTE)."
        )
    return 0
