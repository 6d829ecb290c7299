"""Recount a pot from a Devolve auditor export, without Devolve: ``python -m votes verify``.

An export is a ZIP holding ``manifest.json`` (the round as frozen when voting opened),
``ballots.json`` (every ballot of the round, sorted by its random id, no voter data),
``log.json`` (the round's hash-chained ballot log), ``receipts.json``, ``results.json`` and
``results.csv`` (the pot's published result), ``election.pb`` (the pot in pabulib format) and
``SHA256SUMS``. The format, every hash input and every counting rule are specified in
``docs/export-format.md`` (summarised in ``votes/README.md``); each file is checked against the
others, the recount uses the rules frozen in the manifest, and only the fingerprints the
council published (``manifest_hash``, ``log_head``) show the files are the council's.

:func:`result_document` is also what Devolve stores as a pot's result, so "the published
result is reproduced" means the recount gives the same document, key for key.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sys
import zipfile
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from votes.canonical import canonical_json
from votes.csv_cells import unescape
from votes.i18n import ENGLISH, available, translator
from votes.i18n import languages as catalogues
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
from votes.text import join_list, plural

__all__ = [
    "RESULT_FORMAT",
    "ZERO_HASH",
    "Report",
    "ballot_hash",
    "canonical_json",
    "close_payload",
    "count_facts",
    "election_from_contents",
    "election_from_export",
    "election_from_rows",
    "entry_hash",
    "result_document",
    "same_count",
    "sha256",
    "translated_languages",
    "verify_zip",
]

ZERO_HASH = "0" * 64
# The version of ``result_document``: 2 since explanations agree with the figures and Equal
# Shares results carry their shares and effective support (earlier documents have no key).
RESULT_FORMAT = 2


def sha256(data: str | bytes) -> str:
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


def entry_hash(round_id: int, sequence: int, kind: str, payload_hash: str, previous: str) -> str:
    return sha256(f"{round_id}|{sequence}|{kind}|{payload_hash}|{previous}")


def ballot_hash(ballot_id: str, pot_id: int, content: str) -> str:
    return sha256(f"{ballot_id}|{pot_id}|{content}")


def close_payload(ballots: int, receipts: int | None = None) -> str:
    """The close entry's payload hash: ``close|ballots={N}|receipts={R}``, N the round's
    counted ballots, R the receipts given out; logs sealed before receipts were committed to
    have ``close|ballots={N}`` (``receipts`` None)."""
    if receipts is None:
        return sha256(f"close|ballots={ballots}")
    return sha256(f"close|ballots={ballots}|receipts={receipts}")


def _pence(value: Fraction) -> int | str:
    f = Fraction(value)
    return f.numerator if f.denominator == 1 else f"{f.numerator}/{f.denominator}"


def result_document(
    election: Election, outcome: Outcome, languages: Iterable[str] | None = None
) -> dict[str, Any]:
    """A pot's result as plain JSON: the rule, the selection (in order), and per project its
    cost in pence, whether funded, its votes (ballots naming it), its points and the
    plain-English explanation.

    ``translations``: the explanations in other languages, ``{code: {project id: text}}``, for
    each of ``languages`` (default: every language ``votes`` has a catalogue for besides
    English, ``votes.i18n.languages()``); left out when there are none, as in documents stored
    before there were.

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

    document: dict[str, Any] = {
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
    if languages is None:
        languages = [code for code in catalogues() if code != ENGLISH]
    codes = list(dict.fromkeys(languages))
    if codes:
        document["translations"] = {
            code: {
                p.id: reasons[p.id].reason_in(code) if p.id in reasons else ""
                for p in election.projects
            }
            for code in codes
        }
    return document


def translated_languages(document: Mapping[str, Any]) -> list[str]:
    """The languages a result document gives its explanations in besides English."""
    kept = document.get("translations")
    return [str(code) for code in kept] if isinstance(kept, Mapping) else []


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
    """A recount reproduces a stored result: every key of a current one (its explanations in
    the languages the stored one has, none for one stored before there were translations),
    or the counted facts of one stored before ``format`` 2."""
    if stored.get("format") == RESULT_FORMAT:
        return canonical_json(_as_stored(recount, stored)) == canonical_json(stored)
    if "format" in stored:
        return False
    return canonical_json(count_facts(recount)) == canonical_json(count_facts(stored))


def _as_stored(recount: Mapping[str, Any], stored: Mapping[str, Any]) -> dict[str, Any]:
    """The recount with the translations the stored document has: in its languages, or none."""
    out = {k: v for k, v in recount.items() if k != "translations"}
    if "translations" in stored:
        mine = recount.get("translations") or {}
        kept = stored["translations"]
        out["translations"] = {c: mine.get(c) for c in kept} if isinstance(kept, Mapping) else mine
    return out


def _without_translations(document: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k != "translations"}


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
    return election_from_rows(
        manifest, ((b["id"], b["pot_id"], b["content"]) for b in ballots), pot_id, counted
    )


def election_from_rows(
    manifest: Mapping[str, Any],
    rows: Iterable[tuple[str, int, str]],
    pot_id: int,
    counted: set[str] | None = None,
) -> Election:
    """:func:`election_from_export` from ``(id, pot_id, content)`` rows, as a database or
    ballots.json gives them. Ballots with the same content are one (immutable) object:
    a pot of 250,000 ballots has far fewer distinct ones, each decoded once."""
    pot = next((p for p in manifest["pots"] if p["id"] == pot_id), None)
    if pot is None:
        raise ValueError(f"pot {pot_id} is not in the manifest")
    projects = manifest_projects(pot)
    mine = sorted(
        (r for r in rows if r[1] == pot_id and (counted is None or r[0] in counted)),
        key=lambda r: r[0],
    )
    decoded: dict[str, Ballot] = {}
    chosen = []
    for _, _, text in mine:
        ballot = decoded.get(text)
        if ballot is None:
            content = json.loads(text)
            ballot = decoded[text] = Ballot(tuple(content["choices"]), tuple(content["points"]))
        chosen.append(ballot)
    return Election(
        budget=Fraction(pot["budget_pence"]),
        projects=projects,
        ballots=tuple(chosen),
        rules=manifest_rules(manifest),
    )


def election_from_contents(
    manifest: Mapping[str, Any], pot_id: int, contents: Iterable[Mapping[str, Any]]
) -> Election:
    """The pot's election from its ballots' contents in the order given: an encrypted round's
    decrypted ballots, in the last mix's order (``secrecy/pot-N/ballots.json``). Ballots alike
    are one object, as in :func:`election_from_rows`."""
    pot = next((p for p in manifest["pots"] if p["id"] == pot_id), None)
    if pot is None:
        raise ValueError(f"pot {pot_id} is not in the manifest")
    decoded: dict[tuple, Ballot] = {}
    chosen = []
    for content in contents:
        key = (tuple(content["choices"]), tuple(content["points"]))
        ballot = decoded.get(key)
        if ballot is None:
            ballot = decoded[key] = Ballot(*key)
        chosen.append(ballot)
    return Election(
        budget=Fraction(pot["budget_pence"]),
        projects=manifest_projects(pot),
        ballots=tuple(chosen),
        rules=manifest_rules(manifest),
    )


@dataclass
class Report:
    """What verification found: ``problems`` empty means everything checked out.

    ``notes``: what a reader must know about what was reproduced (a pot withheld, results
    not yet published). ``published``: results.json says the result is published in full.
    ``manifest_hash`` and ``log_head``: the export's fingerprints, which prove nothing until
    compared with the ones the council published (``fingerprints_checked``).
    """

    checked: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    published: bool = False
    # The export's own fingerprints (None when they could not be computed), and whether both
    # were compared with values given from outside the export.
    manifest_hash: str | None = None
    log_head: str | None = None
    fingerprints_checked: bool = False

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


class _Members:
    """Every member of an export read (decompressed) once: its SHA-256 for SHA256SUMS, and
    its text, which the checks read next (reading each member twice cost a second pass over
    hundreds of MB on a large pot)."""

    def __init__(self, z: zipfile.ZipFile, keep: Callable[[str], bool] = lambda name: True) -> None:
        self.names = list(dict.fromkeys(z.namelist()))
        self.digests: dict[str, str] = {}
        self.texts: dict[str, str] = {}
        self.errors: dict[str, Exception] = {}  # could not be read from the ZIP
        self.undecodable: dict[str, Exception] = {}  # read, but not UTF-8
        for name in self.names:
            try:
                data = z.read(name)
            except _UNREADABLE as e:
                self.errors[name] = e
                continue
            self.digests[name] = sha256(data)
            if not keep(name):
                # Read again when needed, one at a time (``_Secret``): an encrypted pot's mixes
                # and decryptions are the largest files of an export.
                continue
            try:
                self.texts[name] = data.decode("utf-8")
            except UnicodeDecodeError as e:
                self.undecodable[name] = e
            del data


def _read(members: _Members, name: str, report: Report) -> str | None:
    """A member's text, or None with the reason noted (missing, damaged, not UTF-8)."""
    if name in members.texts:
        return members.texts[name]
    error = members.errors.get(name) or members.undecodable.get(name)
    if error is not None:
        report.problems.append(f"{name} cannot be read from the ZIP: {error}")
    else:
        report.problems.append(f"{name} is missing from the export")
    return None


# An encrypted round's per-pot files (docs/secrecy.md), read one at a time by ``_Secret``.
_POTS = "secrecy/pot-"


class _Secret:
    """The export's ``secrecy/`` files, read from the ZIP when a step needs them."""

    def __init__(self, z: zipfile.ZipFile, members: _Members) -> None:
        self._z = z
        self._texts = members.texts
        self.names = frozenset(n for n in members.names if n.startswith("secrecy/"))

    def load(self, name: str, step: str, report: Report) -> Any:
        """The file's JSON, or ``_UNLOADED`` with a problem naming ``step``."""
        if name not in self.names:
            report.problems.append(f"{step}: {name} is missing from the export")
            return _UNLOADED
        try:
            text = self._texts.get(name)
            if text is None:
                text = self._z.read(name).decode("utf-8")
            return json.loads(text)
        except UnicodeDecodeError as e:
            report.problems.append(f"{step}: {name} is not UTF-8 text: {e}")
        except ValueError as e:  # not JSON (json.JSONDecodeError is a ValueError)
            report.problems.append(f"{step}: {name} is not valid JSON: {e}")
        except _UNREADABLE as e:
            report.problems.append(f"{step}: {name} cannot be read from the ZIP: {e}")
        return _UNLOADED


# What _load gives for a file that is missing or not JSON (a file may hold JSON ``null``).
_UNLOADED = object()


def _load(text: str | None, name: str, report: Report) -> Any:
    if text is None:
        return _UNLOADED
    try:
        return json.loads(text)
    except ValueError as e:
        report.problems.append(f"{name} is not valid JSON: {e}")
        return _UNLOADED


def verify_zip(
    source: str | bytes,
    *,
    tally: Callable[..., Outcome] | None = None,
    manifest_hash: str | None = None,
    log_head: str | None = None,
    workers: int | None = None,
) -> Report:
    """Check an export (a path or the ZIP's bytes): checksums, the hash chain, the ballots
    against the log, the receipts and the close entry, a recount with the rules frozen in the
    manifest, ``results.csv`` and ``election.pb`` against what they restate, and, when given,
    the fingerprints the council published (``manifest_hash`` when voting opened, ``log_head``
    when it closed). Without them the export is only checked against itself: anyone holding
    the data can rewrite it consistently, so ``Report.fingerprints_checked`` stays False.

    An encrypted round's export (the manifest has ``secrecy``) is checked through the steps of
    docs/secrecy.md first: the key, the ciphertexts, each mix, the trustees' decryptions and the
    plaintexts, every problem naming its step; the recount (step 6) is then of the decrypted
    ballots. ``workers``: processes for those proofs (default: one per CPU).

    An export that is not a ZIP, is damaged or truncated, lacks a file, holds a file that is
    not JSON or lacks a key the checks need is reported as a problem, never raised; only a
    path that cannot be read raises (``OSError``)."""
    report = Report()
    if isinstance(source, bytes):
        file, start = io.BytesIO(source), source[:2]
    else:
        # Read from the file as needed, not all into memory first.
        file = Path(source).open("rb")  # noqa: SIM115 - closed below, whatever happens
        start = file.read(2)
        file.seek(0)
    with file:
        try:
            z = zipfile.ZipFile(file)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as e:
            if start == b"PK":
                report.problems.append(f"a damaged or truncated ZIP file: {e}")
            else:
                report.problems.append("not a ZIP file")
            return report
        return _verify_open_zip(z, report, tally, manifest_hash, log_head, workers)


def _verify_open_zip(
    z: zipfile.ZipFile, report: Report, tally, manifest_hash, log_head, workers
) -> Report:
    with z:
        members = _Members(z, keep=lambda name: not name.startswith(_POTS))
        _checksums(members, report)
        names = (
            "manifest.json",
            "ballots.json",
            "log.json",
            "receipts.json",
            "results.json",
            "results.csv",
            "election.pb",
        )
        texts = {n: _read(members, n, report) for n in names}
        readme = _read_optional(members, "README.txt")
        secret = _Secret(z, members)
        del members  # the texts are all the checks need
        return _verify_texts(texts, readme, secret, report, tally, manifest_hash, log_head, workers)


def _verify_texts(texts, readme, secret, report, tally, manifest_hash, log_head, workers) -> Report:
    names = tuple(texts)
    loaded = {n: _load(texts[n], n, report) for n in names if n.endswith(".json")}
    if texts["manifest.json"] is not None:
        report.manifest_hash = sha256(texts["manifest.json"])
    log = loaded["log.json"]
    if isinstance(log, list) and log and isinstance(log[-1], dict):
        head = log[-1].get("entry_hash")
        report.log_head = head if isinstance(head, str) else None
    _fingerprints(report, manifest_hash, log_head)
    if any(v is _UNLOADED for v in loaded.values()) or None in texts.values():
        return report
    # Parsed: the checks read the lists, not the text (hundreds of MB on a large pot).
    texts["ballots.json"] = texts["log.json"] = ""
    try:
        _check_shape(loaded["manifest.json"], loaded["ballots.json"], log, loaded["results.json"])
        _check(texts, loaded, report, tally, secret, workers)
        if readme is not None:
            _check_readme(readme, report)
    except _Malformed as e:
        report.problems.append(f"the export is not in the documented format: {e}")
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        # A value of the wrong type somewhere the shape check does not look (a list where
        # an id belongs, say): still a malformed export, reported rather than raised.
        report.problems.append(f"the export is not in the documented format: {e!r}")
    return report


def _read_optional(members: _Members, name: str) -> str | None:
    return members.texts.get(name)


def _fingerprints(report: Report, manifest_hash: str | None, log_head: str | None) -> None:
    """Compare the export's fingerprints with the published ones given on the command line."""
    matched = 0
    for what, given, found in (
        ("manifest hash", manifest_hash, report.manifest_hash),
        ("log head", log_head, report.log_head),
    ):
        if given is None:
            continue
        given = given.strip().lower()
        if given != found:
            report.problems.append(
                f"the {what} of this export is {found or '(none)'}, not the published "
                f"{given}: these are not the files the council sealed"
            )
        else:
            matched += 1
            report.checked.append(f"the {what} is the published one: {given}")
    report.fingerprints_checked = matched == 2


def _check(
    texts: Mapping[str, str],
    loaded: Mapping[str, Any],
    report: Report,
    tally,
    secret: _Secret | None = None,
    workers: int | None = None,
) -> None:
    if tally is None:
        from votes.rules import tally
    from votes.ballot import format_money

    manifest, ballots, log, results = (
        loaded["manifest.json"],
        loaded["ballots.json"],
        loaded["log.json"],
        loaded["results.json"],
    )
    manifest_hash = sha256(texts["manifest.json"])
    if results["manifest_hash"] != manifest_hash:
        report.problems.append("results.json names a different manifest hash")
    broken = check_chain(manifest["round"]["id"], manifest_hash, log)
    if broken:
        report.problems.append(f"hash chain broken at {broken}")
    else:
        report.checked.append(f"hash chain intact: {len(log)} entries")
    _check_ballots(ballots, log, report)
    _check_voter_details(manifest, ballots, report)
    if log and log[-1]["entry_hash"] != results["log_head_hash"]:
        report.problems.append("the log's head is not the head the result was counted from")
    counted = counted_ballot_ids(log)
    _check_receipts_and_close(loaded["receipts.json"], log, counted, report)
    rule, tie_break = _frozen_rules(manifest, results, report)
    pot_id = results["pot_id"]
    encrypted = "secrecy" in manifest
    # In an encrypted round the recount is step 6 of docs/secrecy.md, and says so.
    step = "step 6 (the recount): " if encrypted else ""
    decrypted = None
    if encrypted:
        decrypted = _check_secrecy(
            manifest, manifest_hash, ballots, log, counted, pot_id, secret, report, workers
        )
        if decrypted is None:
            report.problems.append(f"{step}cannot recount without the decrypted ballots")
            return
    try:
        if encrypted:
            election = election_from_contents(manifest, pot_id, decrypted)
            del decrypted
        else:
            election = election_from_export(manifest, ballots, pot_id, counted)
        _check_valid(election, report, step)
        outcome = tally(election, rule, TieBreak(tie_break), money=format_money)
    except KeyError as e:
        report.problems.append(f"{step}cannot recount: the export has no {e}")
        return
    except (TypeError, ValueError) as e:
        report.problems.append(f"{step}cannot recount: {e}")
        return
    stored = results["outcome"]
    # The explanations in the languages the stored result gives them in, that this copy of
    # votes can write (each language's catalogue).
    wanted = translated_languages(stored) if isinstance(stored, dict) else []
    recount = result_document(election, outcome, [c for c in wanted if available(c)])
    if results["ballot_count"] != len(election.ballots):
        report.problems.append(
            f"{step}results.json says {results['ballot_count']} ballots; the export has "
            f"{len(election.ballots)} counted ballots for this pot"
        )
    _check_withheld(manifest, results, len(election.ballots), report)
    _check_pb(
        texts["election.pb"], election, report, "the last mix's order" if encrypted else "id order"
    )
    if isinstance(stored, dict):
        _check_csv(texts["results.csv"], stored, report)
    if not isinstance(stored, dict) or not same_count(
        _without_translations(recount), _without_translations(stored)
    ):
        report.problems.append(
            step + _difference(recount, stored if isinstance(stored, dict) else {})
        )
        return
    if stored.get("format") != RESULT_FORMAT:
        report.notes.append(
            "results.json was stored by an earlier version, whose explanations were worded "
            "differently: the count (selection, costs and votes) is compared, not the wording"
        )
    report.checked.append(
        f"{step}recount with {rule} (ties: {tie_break}), the rule frozen in manifest.json, "
        f"reproduces the result in results.json: {len(outcome.selected)} funded from "
        f"{plural(len(election.ballots), 'ballot')}"
    )
    if stored.get("format") == RESULT_FORMAT:
        _check_translations(recount, stored, step, report)
    _publication(results, report)


def _check_translations(
    recount: Mapping[str, Any], stored: Mapping[str, Any], step: str, report: Report
) -> None:
    """The stored result's explanations in other languages against the recount's, language
    by language (results stored before there were translations have none to compare)."""
    if "translations" not in stored:
        return
    kept = stored["translations"]
    if not isinstance(kept, Mapping) or not all(isinstance(t, Mapping) for t in kept.values()):
        report.problems.append(
            f"{step}results.json's translations are not in the documented format (an object "
            "of languages, each an object of project ids and explanations)"
        )
        return
    mine = recount.get("translations") or {}
    ids = [str(p["id"]) for p in recount["projects"]]
    for code, texts in kept.items():
        if code not in mine:
            report.notes.append(
                f"the explanations in {code!r} were not checked: this copy of votes has no "
                f"catalogue for that language (votes/locale/{code}/LC_MESSAGES/votes.mo)"
            )
            continue
        language = f"{translator(code).name} ({code})"
        wrong = [pid for pid in ids if texts.get(pid) != mine[code].get(pid)]
        wrong += sorted(str(k) for k in texts if str(k) not in ids)
        if wrong:
            which = ("project " if len(wrong) == 1 else "projects ") + join_list(wrong)
            report.problems.append(
                f"{step}the explanations in {language} in results.json are not the recount's "
                f"for {which}"
            )
        else:
            report.checked.append(
                f"{step}the explanations in {language} are the recount's, for every one of "
                f"the {plural(len(ids), 'project')}"
            )


def _check_secrecy(
    manifest: Mapping[str, Any],
    manifest_hash: str,
    ballots: list[Mapping[str, Any]],
    log: list[Mapping[str, Any]],
    counted: set[str],
    pot_id: int,
    secret: _Secret,
    report: Report,
    workers: int | None,
) -> list[Mapping[str, Any]] | None:
    """Steps 1 to 5 of docs/secrecy.md for the pot, each problem naming its step; returns the
    decrypted ballots (``secrecy/pot-N/ballots.json``) for step 6, None when unreadable.

    A step that fails stops the steps after it (each rests on the one before). Mixes and
    decryptions are read and checked one at a time, so at most two lists of ciphertexts and
    t trustees' shares are held at once."""
    from votes.secrecy import bundle, encoding, parallel
    from votes.secrecy.decryption import share_problem
    from votes.secrecy.elgamal import Context
    from votes.secrecy.group import SecrecyError
    from votes.secrecy.keys import read_key_document
    from votes.secrecy.shuffle import shuffle_problem

    # What a crafted file can raise from the parsers and proofs, beyond their own SecrecyError.
    wrong = (SecrecyError, KeyError, TypeError, ValueError, AttributeError, IndexError)
    workers = parallel.default_workers() if workers is None else workers
    folder = f"{_POTS}{pot_id}"
    plain = _decrypted_ballots(secret, f"{folder}/ballots.json", report)

    # Step 1: the key, as frozen in the manifest and restated in secrecy/key.json.
    frozen = manifest["secrecy"]
    step = "step 1 (the key)"
    if not isinstance(frozen, Mapping) or not isinstance(frozen.get("key"), Mapping):
        report.problems.append(f"{step}: manifest.json's secrecy holds no key")
        return plain
    try:
        key, verification_keys, threshold = read_key_document(frozen["key"])
        ceremony = frozen["key"]["ceremony_hash"]
    except wrong as e:
        report.problems.append(f"{step}: {e}")
        return plain
    copy = secret.load("secrecy/key.json", step, report)
    if copy is _UNLOADED:
        return plain
    if canonical_json(copy) != canonical_json(frozen["key"]):
        report.problems.append(f"{step}: secrecy/key.json is not the key frozen in manifest.json")
        return plain
    trustee_mixes = frozen.get("trustee_mixes") or 0
    if not isinstance(trustee_mixes, int) or isinstance(trustee_mixes, bool) or trustee_mixes < 0:
        report.problems.append(f"{step}: manifest.json's trustee_mixes is not a whole number")
        return plain
    report.checked.append(
        f"step 1 (the key): every trustee's proofs hold, the key needs {threshold} of "
        f"{len(verification_keys)} trustees to decrypt, and secrecy/key.json is manifest.json's"
    )

    # Step 2: the pot's counted ballots, in log order, are ciphertexts whose proofs hold.
    pot = next((p for p in manifest["pots"] if p["id"] == pot_id), None)
    if pot is None:
        report.problems.append(f"step 2 (the ciphertexts): pot {pot_id} is not in the manifest")
        return plain
    rules = manifest_rules(manifest)
    project_ids = [p.id for p in manifest_projects(pot)]
    width = encoding.width(rules, len(project_ids))
    context = Context(manifest_hash, str(pot_id))
    step = "step 2 (the ciphertexts)"
    by_id = {b["id"]: b for b in ballots}
    rows = []
    for e in log:
        b = by_id.get(e["ballot_id"]) if e["kind"] == "ballot" else None
        if b is None or e["ballot_id"] not in counted or b["pot_id"] != pot_id:
            continue  # a logged ballot missing from ballots.json is the ballot check's
        try:
            content = json.loads(b["content"])
        except (TypeError, ValueError):
            content = None
        if not isinstance(content, dict):
            report.problems.append(f"{step}: ballot {b['id']} is not a ciphertext (not JSON)")
            return plain
        rows.append({**content, "ballot": b["id"]})
    del by_id
    try:
        ciphertexts = bundle.ciphertexts_from_json(rows, "ballot", width=width, workers=workers)
        del rows
        problems = bundle.ciphertext_problems(ciphertexts, key, context, width, workers=workers)
    except wrong as e:
        report.problems.append(f"{step}: {e}")
        return plain
    if problems:
        report.problems.extend(problems[:5])
        if len(problems) > 5:
            report.problems.append(f"{step}: ... {len(problems)} ciphertexts in all fail")
        return plain
    current = [c.pairs for _, c in ciphertexts]
    del ciphertexts
    report.checked.append(
        f"{step}: the pot's {len(current)} counted ballots are ciphertexts for this round and "
        "pot, each with its proof"
    )

    mixes = sorted(_numbered(secret.names, f"{folder}/mix-"))
    decryptions = sorted(_numbered(secret.names, f"{folder}/decryption-"))
    if not current:
        if mixes or decryptions:
            report.problems.append(
                "step 3 (the mixes): the pot has no ballots, but the export has mixes or "
                "decryptions for it"
            )
        elif plain:
            report.problems.append(
                f"step 5 (the plaintexts): the pot has no ballots, but {folder}/ballots.json "
                f"lists {len(plain)}"
            )
        return plain

    # Step 3: mixes 1..K, each shuffling the one before, as many as the round requires.
    needed = 1 + trustee_mixes
    for number in range(1, max(mixes[-1] if mixes else 0, needed) + 1):
        if number not in mixes:
            report.problems.append(
                f"step 3 (mix {number}): {folder}/mix-{number}.json is missing from the "
                f"export (the round requires {needed} mixes: the server's and "
                f"{plural(trustee_mixes, 'trustee mix', 'trustee mixes')})"
            )
            return plain
    for number in mixes:
        step = f"step 3 (mix {number})"
        document = secret.load(f"{folder}/mix-{number}.json", step, report)
        if document is _UNLOADED:
            return plain
        try:
            outputs, proof = bundle.read_mix_result(
                document, context, number, width=width, workers=workers
            )
            del document
            problem = shuffle_problem(
                current, outputs, proof, key, context, number, workers=workers
            )
        except wrong as e:
            problem = str(e)
        if problem:
            report.problems.append(f"{step}: {problem}")
            return plain
        current = outputs
    report.checked.append(
        f"step 3 (the mixes): {plural(len(mixes), 'mix', 'mixes')} of the {len(current)} "
        "ciphertexts, each shuffling the one before it, every proof holds"
    )

    # Step 4: at least t trustees' partial decryptions of the last mix, every proof holding.
    chosen: dict[int, Any] = {}
    for trustee in decryptions:
        step = f"step 4 (trustee {trustee}'s decryption)"
        document = secret.load(f"{folder}/decryption-{trustee}.json", step, report)
        if document is _UNLOADED:
            return plain
        try:
            who, shares = bundle.read_decryption_result(document, ceremony, context, width=width)
            del document
            if who != trustee:
                problem = f"the file is trustee {who}'s"
            elif trustee not in verification_keys:
                problem = f"trustee {trustee} has no verification key in the round's key"
            else:
                problem = share_problem(
                    current,
                    shares,
                    verification_keys[trustee],
                    trustee,
                    context,
                    workers=workers,
                )
        except wrong as e:
            problem = str(e)
        if problem:
            report.problems.append(f"{step}: {problem}")
            return plain
        if len(chosen) < threshold:
            chosen[trustee] = shares
        del shares
    if len(decryptions) < threshold:
        report.problems.append(
            f"step 4 (the decryptions): {plural(len(decryptions), 'trustee')} decrypted "
            f"the pot; the key needs {threshold}"
        )
        return plain
    report.checked.append(
        f"step 4 (the decryptions): trustees {', '.join(str(j) for j in decryptions)} decrypted "
        f"the last mix, every proof holds ({threshold} are needed)"
    )

    # Step 5: those decryptions give exactly the ballots file, position by position.
    if plain is None:
        return None
    step = "step 5 (the plaintexts)"
    try:
        problems = bundle.plaintext_problems(
            current,
            chosen,
            [Ballot(tuple(b["choices"]), tuple(b["points"])) for b in plain],
            rules,
            project_ids,
            workers=workers,
        )
    except wrong as e:
        problems = [f"{step}: {e}"]
    report.problems.extend(problems[:5])
    if len(problems) > 5:
        report.problems.append(f"{step}: ... {len(problems)} ballots in all differ")
    if not problems:
        report.checked.append(
            f"{step}: the last mix decrypts to exactly the {len(plain)} ballots of "
            f"{folder}/ballots.json, in order"
        )
        report.checked.append(
            f"the ballots were encrypted: the key, the {len(current)} ciphertexts, "
            f"{plural(len(mixes), 'mix', 'mixes')} and the decryptions of trustees "
            f"{', '.join(str(j) for j in decryptions)} were checked; the recount is of the "
            "ballots they decrypt to"
        )
    return plain


def _numbered(names: Iterable[str], prefix: str) -> set[int]:
    """The K of every ``{prefix}K.json`` among ``names`` (K a whole number from 1)."""
    found = set()
    for name in names:
        if name.startswith(prefix) and name.endswith(".json"):
            middle = name[len(prefix) : -len(".json")]
            if middle.isdigit() and middle.isascii() and not middle.startswith("0"):
                found.add(int(middle))
    return found


def _decrypted_ballots(
    secret: _Secret, name: str, report: Report
) -> list[Mapping[str, Any]] | None:
    """``secrecy/pot-N/ballots.json``: a list of ``{"choices": [...], "points": [...]}``."""
    step = "step 5 (the plaintexts)"
    plain = secret.load(name, step, report)
    if plain is _UNLOADED:
        return None
    if not isinstance(plain, list):
        report.problems.append(f"{step}: {name} is not a JSON list")
        return None
    for i, b in enumerate(plain, 1):
        if not (
            isinstance(b, dict)
            and isinstance(b.get("choices"), list)
            and isinstance(b.get("points"), list)
            and all(isinstance(c, str) for c in b["choices"])
            and all(isinstance(p, int) and not isinstance(p, bool) for p in b["points"])
        ):
            report.problems.append(
                f'{step}: {name} item {i} is not a ballot ({{"choices": [...], "points": [...]}})'
            )
            return None
    return plain


def _frozen_rules(
    manifest: Mapping[str, Any], results: Mapping[str, Any], report: Report
) -> tuple[str, str]:
    """The rule and tie-break frozen in the manifest (the only ones a recount uses), with a
    problem for each that results.json names differently."""
    if "rule" not in manifest or "tie_break" not in manifest:
        raise _Malformed("manifest.json has no 'rule' or 'tie_break'")
    rule, tie_break = manifest["rule"], manifest["tie_break"]
    for what, frozen, named in (
        ("rule", rule, results["rule"]),
        ("tie-break", tie_break, results["tie_break"]),
    ):
        if named != frozen:
            report.problems.append(
                f"results.json names the {what} {named!r}, but the manifest frozen when voting "
                f"opened says {frozen!r}: the pot was not counted with its frozen rules"
            )
    return rule, tie_break


def _check_withheld(
    manifest: Mapping[str, Any], results: Mapping[str, Any], ballots: int, report: Report
) -> None:
    least = manifest.get("min_ballots_to_publish")
    withheld = results.get("withheld")
    if least is None:
        report.notes.append(
            "manifest.json has no min_ballots_to_publish (frozen before it was recorded): "
            f"whether the pot should be withheld could not be checked (results.json says "
            f"withheld={canonical_json(withheld)})"
        )
        return
    if not isinstance(least, int) or isinstance(least, bool):
        raise _Malformed("manifest.json min_ballots_to_publish is not a whole number")
    expected = ballots < least
    if withheld is not expected:
        report.problems.append(
            f"results.json says withheld={canonical_json(withheld)}, but {ballots} counted "
            f"ballots against the frozen minimum of {least} means withheld="
            f"{canonical_json(expected)}"
        )
    else:
        report.checked.append(
            f"withheld={canonical_json(expected)}: {ballots} counted ballots, the frozen minimum "
            f"for publishing is {least}"
        )


def _check_valid(election: Election, report: Report, step: str = "") -> None:
    """Every counted ballot is valid under the frozen rules (a forged one need not be)."""
    from votes.ballot import validate_ballot

    projects = {p.id: p for p in election.projects}
    bad = 0
    # Ballots filled in alike are one object (``election_from_rows``), checked once: most of
    # a large pot repeats. By identity, so a malformed choice cannot fail the lookup.
    seen: dict[int, list] = {}
    for i, ballot in enumerate(election.ballots, 1):
        problems = seen.get(id(ballot))
        if problems is None:
            problems = seen[id(ballot)] = validate_ballot(
                ballot, election.rules, projects, election.budget
            )
        if problems:
            bad += 1
            if bad <= 5:
                report.problems.append(
                    f"{step}counted ballot {i} of the pot breaks the frozen ballot rules: "
                    f"{problems[0].message}"
                )
    if bad > 5:
        report.problems.append(f"{step}... {bad} counted ballots break the frozen ballot rules")


_HEX = frozenset("0123456789abcdef")


def _is_hash(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 64 and set(value) <= _HEX


def _check_receipts_and_close(
    receipts: Any, log: list[Mapping[str, Any]], counted: set[str], report: Report
) -> None:
    """receipts.json against the log, and the close entry against the ballots counted.

    Each online ballot logged (superseded ones included) got one receipt; paper ballots
    none. The close entry commits to N, the round's counted ballots, and R, the receipts
    given out, so the number of paper ballots (logged less R) is fixed when voting closes
    without saying which they are."""
    if not isinstance(receipts, list):
        raise _Malformed("receipts.json is not a JSON list")
    bad = [r for r in receipts if not _is_hash(r)]
    if bad:
        report.problems.append(
            f"receipts.json: {len(bad)} entries are not 64 lower-case hex digits"
        )
    duplicates = len(receipts) - len({r for r in receipts if isinstance(r, str)})
    if duplicates:
        report.problems.append(f"receipts.json: {duplicates} receipt hashes are listed twice")
    if receipts != sorted(receipts, key=str):
        report.problems.append("receipts.json is not sorted (the order could say who voted when)")
    logged = [e for e in log if e["kind"] == "ballot"]
    online = _known_online(log)
    r = len(receipts)
    if r > len(logged):
        report.problems.append(
            f"receipts.json lists {r} receipts, more than the {len(logged)} ballots logged"
        )
    if r < len(online):
        report.problems.append(
            f"receipts.json lists {r} receipts, but the log shows at least {len(online)} "
            "online ballots (every replaced ballot and its replacement were cast online)"
        )
    if not log or log[-1]["kind"] != "close":
        report.problems.append("the log has no close entry: voting was not sealed")
        return
    closes = [e["sequence"] for e in log if e["kind"] == "close"]
    if len(closes) > 1:
        report.problems.append(f"the log has {len(closes)} close entries; only the last may be")
    payload = log[-1]["payload_hash"]
    n = len(counted)
    if payload == close_payload(n, r):
        report.checked.append(
            f"the close entry commits to the {n} counted ballots and the {r} receipts in "
            f"receipts.json ({len(logged) - r} of {len(logged)} ballots logged were on paper)"
        )
    elif payload == close_payload(n):
        report.notes.append(
            f"the close entry commits to the {n} counted ballots but was sealed before it "
            "committed to the number of receipts: receipts.json could not be matched to the log"
        )
    else:
        report.problems.append(
            f"the close entry does not commit to the {n} counted ballots and the {r} receipts "
            "in receipts.json (a ballot or a receipt was added or removed)"
        )


def _known_online(log: list[Mapping[str, Any]]) -> set[str]:
    """Ballots the log shows were cast online: each superseded ballot, and the ballot logged
    right after its supersede entry (a replacement is logged in the same transaction)."""
    online = set()
    for i, e in enumerate(log):
        if e["kind"] == "supersede":
            online.add(e["ballot_id"])
            if i + 1 < len(log) and log[i + 1]["kind"] == "ballot":
                online.add(log[i + 1]["ballot_id"])
    return online


CSV_HEADER = ["project_id", "title", "cost_pence", "funded", "votes", "points", "reason"]


def _check_csv(text: str, outcome: Mapping[str, Any], report: Report) -> None:
    """results.csv against results.json: every row, every column, as a spreadsheet reads it."""
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows or rows[0] != CSV_HEADER:
        report.problems.append(f"results.csv does not start with the header {','.join(CSV_HEADER)}")
        return
    projects = [p for p in outcome.get("projects") or [] if isinstance(p, Mapping)]
    body = rows[1:]
    if len(body) != len(projects):
        report.problems.append(
            f"results.csv has {len(body)} project rows; results.json has {len(projects)}"
        )
    wrong = 0
    for number, (row, p) in enumerate(zip(body, projects, strict=False), start=2):
        want = [
            str(p.get("id")),
            str(p.get("name")),
            str(p.get("cost_pence")),
            "yes" if p.get("funded") else "no",
            str(p.get("votes")),
            "" if p.get("points") is None else str(p.get("points")),
            str(p.get("explanation")),
        ]
        got = [unescape(c) for c in row]
        if len(got) != len(want):
            report.problems.append(f"results.csv line {number} has {len(got)} columns, not 7")
            wrong += 1
            continue
        for column, g, w in zip(CSV_HEADER, got, want, strict=True):
            if g != w:
                wrong += 1
                report.problems.append(
                    f"results.csv line {number} (project {want[0]}) {column} is {g!r}; "
                    f"results.json says {w!r}"
                )
    if not wrong and len(body) == len(projects):
        report.checked.append(f"results.csv agrees with results.json: {len(body)} rows")


def _check_pb(text: str, election: Election, report: Report, order: str = "id order") -> None:
    """election.pb against the manifest and the ballots: projects and costs, budget, ballot
    kind and rules, and the counted ballots in the same order with the same choices."""
    from votes.pabulib import PabulibError, read

    try:
        pb = read(text.encode("utf-8"), name="election.pb")
    except PabulibError as e:
        report.problems.append(f"election.pb cannot be read: {e}")
        return
    found = []
    if pb.budget != election.budget:
        found.append(f"its budget is {pb.budget}, the manifest's {election.budget}")
    want = [(p.id, p.cost) for p in election.projects]
    got = [(p.id, p.cost) for p in pb.projects]
    if got != want:
        found.append(f"its projects and costs {_pairs(got)} are not the manifest's {_pairs(want)}")
    if pb.kind is not election.kind:
        found.append(f"its ballot kind is {pb.kind}, the manifest's {election.kind}")
    elif election.kind is BallotKind.RANKED:
        if pb.rules.max_choices != election.rules.max_choices:
            found.append(
                f"it allows {pb.rules.max_choices} ranks, the manifest {election.rules.max_choices}"
            )
        if pb.rules.ranked_scoring is not election.rules.ranked_scoring:
            found.append(
                f"it scores ranks {pb.rules.ranked_scoring}, the manifest "
                f"{election.rules.ranked_scoring}"
            )
    elif election.kind is BallotKind.CUMULATIVE and (
        (pb.rules.points, pb.rules.max_points_per_project)
        != (election.rules.points, election.rules.max_points_per_project)
    ):
        found.append("its points rules are not the manifest's")
    if len(pb.ballots) != len(election.ballots):
        found.append(f"it has {len(pb.ballots)} ballots; the export counts {len(election.ballots)}")
    differ = [
        i
        for i, (a, b) in enumerate(zip(pb.ballots, election.ballots, strict=False), 1)
        if (a.choices, tuple(a.points)) != (b.choices, tuple(b.points))
    ]
    if differ:
        found.append(
            f"{len(differ)} of its ballots differ from the counted ballots in {order} "
            f"(the first is ballot {differ[0]})"
        )
    for f in found:
        report.problems.append(f"election.pb does not match the export: {f}")
    if not found:
        report.checked.append(
            f"election.pb matches the manifest and the {len(pb.ballots)} counted ballots"
        )


def _pairs(pairs: list[tuple[str, Fraction]]) -> str:
    return ", ".join(f"{i}={_pence(c)}" for i, c in pairs) or "(none)"


def _check_readme(text: str, report: Report) -> None:
    """README.txt restates the fingerprints: it must restate these ones."""
    for what, value in (("manifest hash", report.manifest_hash), ("log head", report.log_head)):
        if value and value not in text:
            report.problems.append(f"README.txt does not give this export's {what} {value}")


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


def _checksums(members: _Members, report: Report) -> None:
    text = _read(members, "SHA256SUMS", report)
    if text is None:
        return
    listed = {}
    for line in text.splitlines():
        digest, _, name = line.partition("  ")
        listed[name] = digest
    for name in sorted(set(members.names) - {"SHA256SUMS"}):
        if name in members.errors:
            report.problems.append(f"{name} cannot be read from the ZIP: {members.errors[name]}")
        elif listed.get(name) != members.digests[name]:
            report.problems.append(f"{name} does not match its SHA256SUMS line")
    for name in sorted(set(listed) - set(members.names)):
        report.problems.append(f"SHA256SUMS lists {name}, which is not in the export")


def _check_ballots(ballots: list[Mapping[str, Any]], log, report: Report) -> None:
    """Every ballot entry has its ballot, unchanged; every ballot is logged once; every
    supersede entry names an earlier, not yet superseded ballot with its payload hash."""
    by_id = {b["id"]: b for b in ballots}
    if len(by_id) != len(ballots):
        report.problems.append(
            f"ballots.json lists {len(ballots) - len(by_id)} ballot ids more than once"
        )
    seen: dict[str, Mapping[str, Any]] = {}
    replaced: set[str] = set()
    for e in log:
        if e["kind"] == "ballot":
            if e["ballot_id"] in seen:
                report.problems.append(
                    f"log entry {e['sequence']}: ballot {e['ballot_id']} is logged twice"
                )
            seen[e["ballot_id"]] = e
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
        elif e["kind"] == "supersede":
            earlier = seen.get(e["ballot_id"])
            if earlier is None or e["ballot_id"] in replaced:
                report.problems.append(
                    f"log entry {e['sequence']}: supersedes a ballot not logged before it "
                    "or already replaced"
                )
            elif earlier["payload_hash"] != e["payload_hash"]:
                report.problems.append(
                    f"log entry {e['sequence']}: supersedes ballot {e['ballot_id']} with "
                    "another payload hash"
                )
            replaced.add(e["ballot_id"])
    for b in ballots:
        if b["id"] not in seen:
            report.problems.append(f"ballot {b['id']} is not in the log (it was added)")


def _check_voter_details(
    manifest: Mapping[str, Any], ballots: list[Mapping[str, Any]], report: Report
) -> None:
    """What the ballots keep about their voters, against what the manifest froze.

    A manifest with ``voter_details`` (its ``age_bands`` and ``neighbourhoods``) means every
    ballot's content has ``"voter": {"age_band", "neighbourhood"}``, the band one of those
    bands or ``"unknown"``, the neighbourhood one of those slugs or ``null``, and nothing
    more; a manifest without it means no ballot keeps anything about its voter. An encrypted
    round never keeps them (they would follow a ballot through the shuffle)."""
    frozen = manifest.get("voter_details")
    if "secrecy" in manifest:
        if frozen is not None:
            report.problems.append(
                "manifest.json has both secrecy and voter_details: an encrypted round must "
                "not keep voters' details beside its ballots"
            )
        return
    if frozen is not None:
        if not isinstance(frozen, Mapping):
            raise _Malformed("manifest.json voter_details is not a JSON object")
        _require(frozen, ("age_bands", "neighbourhoods"), "manifest.json voter_details")
        bands = set(frozen["age_bands"]) | {"unknown"}
        slugs = {h.get("slug") for h in frozen["neighbourhoods"] if isinstance(h, Mapping)}
        slugs.add(None)
    wrong = 0
    seen: dict[str, str | None] = {}
    for b in ballots:
        text = b["content"]
        problem = seen.get(text, "")
        if problem == "":
            try:
                voter = json.loads(text).get("voter") if isinstance(text, str) else None
            except (ValueError, AttributeError):
                voter = None  # not a ballot at all: the recount says so
            if frozen is None:
                problem = (
                    None
                    if voter is None
                    else "keeps details of its voter, which the manifest does not provide for"
                )
            elif not isinstance(voter, Mapping) or set(voter) != {"age_band", "neighbourhood"}:
                problem = "does not keep its voter's neighbourhood and age band"
            elif voter["age_band"] not in bands:
                problem = f"gives the age band {voter['age_band']!r}, not one of the manifest's"
            elif voter["neighbourhood"] not in slugs:
                problem = (
                    f"gives the neighbourhood {voter['neighbourhood']!r}, not one of the manifest's"
                )
            else:
                problem = None
            seen[text] = problem
        if problem is not None:
            wrong += 1
            if wrong <= 5:
                report.problems.append(f"ballot {b['id']} {problem}")
    if wrong > 5:
        report.problems.append(f"... {wrong} ballots in all do not keep what the manifest says")
    if frozen is not None and not wrong:
        report.checked.append(
            f"every one of the {plural(len(ballots), 'ballot')} keeps its voter's neighbourhood "
            "and age band, as manifest.json's voter_details says, and nothing more"
        )


def _difference(recount: Mapping[str, Any], published: Mapping[str, Any]) -> str:
    if recount.get("selected") != published.get("selected"):
        return (
            "the recount does not reproduce the published result: it funds "
            f"{', '.join(recount['selected']) or 'nothing'}; the result says "
            f"{', '.join(published.get('selected') or []) or 'nothing'}"
        )
    return "the recount funds the same projects, but the published figures or explanations differ"


def main(path: str, *, manifest_hash: str | None = None, log_head: str | None = None) -> int:
    """Print what was checked, every problem and the export's fingerprints; 0 when
    reproduced, 1 when not (including an export that is damaged or not in the documented
    format, or whose fingerprints are not the published ones given), 2 when the file cannot
    be opened.

    Without both published fingerprints the verdict says the files agree with each other
    only: whoever holds the data can rewrite ballots, re-chain the log and recount, and only
    the fingerprints published when voting opened and closed tell the real files apart."""
    from votes import members

    if members.is_item_export(path):
        return members.main(path, manifest_hash=manifest_hash, log_head=log_head)
    try:
        report = verify_zip(path, manifest_hash=manifest_hash, log_head=log_head)
    except OSError as e:
        print(f"{path}: cannot open: {e.strerror or e}", file=sys.stderr)
        return 2
    for line in report.checked:
        print(f"OK: {line}")
    for line in report.notes:
        print(f"NOTE: {line}")
    for line in report.problems:
        print(f"PROBLEM: {line}")
    print()
    print("FINGERPRINTS")
    print(f"  manifest hash    {report.manifest_hash or '(cannot be computed)'}")
    print(f"  ballot log head  {report.log_head or '(cannot be computed)'}")
    if report.fingerprints_checked:
        print("Both are the published values given with --manifest-hash and --log-head.")
    else:
        print(
            "Compare both with the values the council published on the round page when voting\n"
            "opened (manifest hash) and closed (ballot log head), or re-run with\n"
            "--manifest-hash H --log-head H. Anyone holding the data can rewrite it, re-chain\n"
            "the log and recount: only the published fingerprints show these are the real files."
        )
    print()
    if not report.ok:
        print(f"{path}: NOT verified: {len(report.problems)} problem(s).")
        return 1
    what = (
        "the published result is reproduced"
        if report.published
        else "the count in results.json is reproduced, but it is not a published result (see NOTE)"
    )
    if report.fingerprints_checked:
        print(f"{path}: verified: {what}, from the files the council sealed.")
    else:
        print(
            f"{path}: verified against itself only: {what}; these are the council's files "
            "only if the FINGERPRINTS above are the ones it published."
        )
    return 0
