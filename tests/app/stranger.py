"""A second verifier, written from docs/export-format.md alone: it imports nothing from Devolve
or ``votes``, only the standard library, so the document (not the code) is what it trusts.

``check(data, manifest_hash=None, log_head=None)`` returns the problems found (empty: the
export agrees with itself and, when given, with the published fingerprints). It checks
everything but the recount, which is another implementation's job (pabutools on
``election.pb``, say). An encrypted round's ``secrecy/`` files are checked by
``tests.app.stranger_secrecy``, written from the same document.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile

from tests.app import stranger_secrecy

ZERO = "0" * 64
HEX = set("0123456789abcdef")
RECEIPT_CHARACTERS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
FORMULA = ("=", "+", "-", "@", "\t", "\r")
HEADER = ["project_id", "title", "cost_pence", "funded", "votes", "points", "reason"]


def sha256(text: str | bytes) -> str:
    return hashlib.sha256(text.encode("utf-8") if isinstance(text, str) else text).hexdigest()


def canonical(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def ballot_hash(ballot_id: str, pot_id: int, content: str) -> str:
    return sha256(f"{ballot_id}|{pot_id}|{content}")


def entry_hash(round_id: int, sequence: int, kind: str, payload: str, previous: str) -> str:
    return sha256(f"{round_id}|{sequence}|{kind}|{payload}|{previous}")


def close_payload(ballots: int, receipts: int) -> str:
    return sha256(f"close|ballots={ballots}|receipts={receipts}")


def receipt_hash(code: str) -> str:
    return sha256("".join(c for c in code if c in RECEIPT_CHARACTERS).upper())


def spreadsheet(cell: str) -> str:
    return cell[1:] if cell.startswith("'") and cell.lstrip("'").startswith(FORMULA) else cell


def check(data: bytes, manifest_hash: str | None = None, log_head: str | None = None) -> list[str]:
    problems: list[str] = []
    z = zipfile.ZipFile(io.BytesIO(data))
    files = {name: z.read(name) for name in z.namelist()}

    # SHA256SUMS: every other file, sorted by name, "hash  name\n".
    expected = "".join(f"{sha256(b)}  {n}\n" for n, b in sorted(files.items()) if n != "SHA256SUMS")
    if files.get("SHA256SUMS", b"").decode() != expected:
        problems.append("SHA256SUMS")

    manifest_text = files["manifest.json"].decode("utf-8")
    manifest = json.loads(manifest_text)
    ballots = json.loads(files["ballots.json"])
    log = json.loads(files["log.json"])
    receipts = json.loads(files["receipts.json"])
    results = json.loads(files["results.json"])
    found_manifest = sha256(manifest_text)
    found_head = log[-1]["entry_hash"] if log else None

    # The fingerprints the council published.
    if manifest_hash is not None and manifest_hash != found_manifest:
        problems.append("manifest hash is not the published one")
    if log_head is not None and log_head != found_head:
        problems.append("log head is not the published one")

    # The chain.
    round_id, previous = manifest["round"]["id"], ZERO
    for i, e in enumerate(log):
        if e["sequence"] != i or e["previous_hash"] != previous:
            problems.append(f"chain: entry {i} out of place")
            break
        if e["entry_hash"] != entry_hash(round_id, i, e["kind"], e["payload_hash"], previous):
            problems.append(f"chain: entry {i} hash")
            break
        previous = e["entry_hash"]
    if not log or log[0]["kind"] != "genesis" or log[0]["payload_hash"] != found_manifest:
        problems.append("genesis does not commit to the manifest")

    # Ballots against the log.
    by_id = {b["id"]: b for b in ballots}
    logged = [e["ballot_id"] for e in log if e["kind"] == "ballot"]
    superseded = [e["ballot_id"] for e in log if e["kind"] == "supersede"]
    if (
        len(by_id) != len(ballots)
        or sorted(logged) != sorted(by_id)
        or len(set(logged)) != len(logged)
    ):
        problems.append("ballots.json and the log list different ballots")
    for e in log:
        if e["kind"] in ("ballot", "supersede"):
            b = by_id.get(e["ballot_id"])
            if b is None or ballot_hash(b["id"], b["pot_id"], b["content"]) != e["payload_hash"]:
                problems.append(f"ballot of entry {e['sequence']} does not match the log")
    counted = set(logged) - set(superseded)

    # Receipts against the close entry.
    if any(not (isinstance(r, str) and len(r) == 64 and set(r) <= HEX) for r in receipts):
        problems.append("a receipt hash is malformed")
    if len(set(receipts)) != len(receipts) or receipts != sorted(receipts):
        problems.append("receipts repeated or unsorted")
    if len(receipts) > len(logged):
        problems.append("more receipts than ballots")
    close = [e for e in log if e["kind"] == "close"]
    if len(close) != 1 or log[-1]["kind"] != "close":
        problems.append("the log is not sealed by one close entry")
    elif log[-1]["payload_hash"] != close_payload(len(counted), len(receipts)):
        problems.append("the close entry does not commit to these ballots and receipts")

    # results.json against the manifest and the log.
    pot_id = results["pot_id"]
    pot_ballots = [b for b in sorted(ballots, key=lambda b: b["id"]) if b["pot_id"] == pot_id]
    pot_counted = [b for b in pot_ballots if b["id"] in counted]
    # The contents counted: in an encrypted round, ballots.json holds ciphertexts, and the
    # counted ballots are the decrypted ones of secrecy/pot-N/ballots.json, in the last mix's
    # order ("Encrypted rounds").
    contents = [json.loads(b["content"]) for b in pot_counted]
    if "secrecy" in manifest:
        found, plain = stranger_secrecy.check(files, manifest_text, ballots, log, counted, pot_id)
        problems += found
        contents = plain or []
    if results["manifest_hash"] != found_manifest or results["log_head_hash"] != found_head:
        problems.append("results.json names other fingerprints")
    if (results["rule"], results["tie_break"]) != (manifest["rule"], manifest["tie_break"]):
        problems.append("results.json names another rule than the manifest")
    if results["ballot_count"] != len(contents):
        problems.append("ballot count")
    if "min_ballots_to_publish" in manifest and results["withheld"] != (
        len(contents) < manifest["min_ballots_to_publish"]
    ):
        problems.append("withheld")
    outcome = results["outcome"]
    pot = next(p for p in manifest["pots"] if p["id"] == pot_id)
    costs = [
        p["final_cost_pence"] if p.get("cost_to_pot_pence") is None else p["cost_to_pot_pence"]
        for p in pot["proposals"]
    ]
    if [(p["id"], p["cost_pence"]) for p in outcome["projects"]] != [
        (str(p["id"]), c) for p, c in zip(pot["proposals"], costs, strict=True)
    ] or outcome["budget_pence"] != pot["budget_pence"]:
        problems.append("results.json projects, costs or budget are not the manifest's")
    for p in outcome["projects"]:
        named = sum(p["id"] in c["choices"] for c in contents)
        if p["votes"] != named:
            problems.append(f"votes for {p['id']}")
    # The explanations in other languages, if any: one text per project, for every project.
    ids = sorted(p["id"] for p in outcome["projects"])
    translations = outcome.get("translations", {})
    if not isinstance(translations, dict) or any(
        not isinstance(texts, dict)
        or sorted(texts) != ids
        or not all(isinstance(t, str) and t for t in texts.values())
        for texts in translations.values()
    ):
        problems.append("results.json translations are not one explanation per project")

    # results.csv against results.json, cell by cell, as a spreadsheet shows it.
    rows = list(csv.reader(io.StringIO(files["results.csv"].decode("utf-8"), newline="")))
    want = [HEADER] + [
        [
            p["id"],
            p["name"],
            str(p["cost_pence"]),
            "yes" if p["funded"] else "no",
            str(p["votes"]),
            "" if p["points"] is None else str(p["points"]),
            p["explanation"],
        ]
        for p in outcome["projects"]
    ]
    if [[spreadsheet(c) for c in r] for r in rows] != want:
        problems.append("results.csv differs from results.json")
    if not files["results.csv"].endswith(b"\r\n") or b"\n" in files["results.csv"].replace(
        b"\r\n", b""
    ):
        problems.append("results.csv lines are not CRLF")

    # election.pb: projects, costs, budget and the counted ballots in id order.
    sections: dict[str, list[list[str]]] = {}
    current = None
    for row in csv.reader(
        io.StringIO(files["election.pb"].decode("utf-8"), newline=""), delimiter=";"
    ):
        if len(row) == 1 and row[0] in ("META", "PROJECTS", "VOTES"):
            current = row[0]
            sections[current] = []
        elif current:
            sections[current].append(row)
    meta = {r[0]: r[1] for r in sections["META"][1:]}
    projects = sections["PROJECTS"][1:]
    votes = sections["VOTES"][1:]
    if meta.get("budget") != str(pot["budget_pence"]):
        problems.append("election.pb budget")
    if [(r[0], r[1]) for r in projects] != [
        (str(p["id"]), str(c)) for p, c in zip(pot["proposals"], costs, strict=True)
    ]:
        problems.append("election.pb projects or costs")
    if [r[1:3] if len(r) > 2 else r[1:2] for r in votes] != [
        [",".join(c["choices"]), *([",".join(map(str, c["points"]))] if c["points"] else [])]
        for c in contents
    ]:
        problems.append("election.pb ballots")
    if [r[0] for r in votes] != [str(i) for i in range(1, len(contents) + 1)]:
        problems.append("election.pb voter ids")

    # README.txt restates the fingerprints.
    readme = files.get("README.txt", b"").decode("utf-8")
    if found_manifest not in readme or (found_head or "") not in readme:
        problems.append("README.txt gives other fingerprints")
    return problems
