"""votes.verify on an export built here from the documented format alone (no Devolve)."""

import io
import json
import zipfile

import pytest

from votes.ballot import format_money
from votes.model import TieBreak
from votes.rules import tally
from votes.verify import (
    ZERO_HASH,
    ballot_hash,
    canonical_json,
    check_chain,
    election_from_export,
    entry_hash,
    result_document,
    sha256,
    verify_zip,
)

MANIFEST = {
    "round": {"id": 7},
    "ballot_kind": "approval",
    "rule": "greedy",
    "tie_break": "cost-votes",
    "pots": [
        {
            "id": 3,
            "budget_pence": 500,
            "proposals": [
                {"id": 1, "title": "Benches", "final_cost_pence": 300, "cost_to_pot_pence": 300},
                {"id": 2, "title": "Bins", "final_cost_pence": 250, "cost_to_pot_pence": 200},
                {"id": 4, "title": "Lights", "final_cost_pence": 400, "cost_to_pot_pence": None},
            ],
        }
    ],
}
CHOICES = [["1"], ["1", "2"], ["2"], ["1", "4"], ["4"]]


def build(choices=CHOICES) -> dict[str, bytes]:
    manifest = canonical_json(MANIFEST)
    ballots = sorted(
        (
            {
                "id": f"{i:032x}",
                "pot_id": 3,
                "content": canonical_json({"choices": c, "points": []}),
            }
            for i, c in enumerate(choices)
        ),
        key=lambda b: b["id"],
    )
    log, previous = [], ZERO_HASH

    def add(kind, payload, ballot_id=None):
        nonlocal previous
        n = len(log)
        h = entry_hash(7, n, kind, payload, previous)
        log.append(
            {
                "sequence": n,
                "kind": kind,
                "ballot_id": ballot_id,
                "payload_hash": payload,
                "previous_hash": previous,
                "entry_hash": h,
            }
        )
        previous = h

    add("genesis", sha256(manifest))
    for b in ballots:
        add("ballot", ballot_hash(b["id"], 3, b["content"]), b["id"])
    add("close", sha256(f"close|ballots={len(ballots)}"))
    election = election_from_export(MANIFEST, ballots, 3)
    outcome = tally(election, "greedy", TieBreak.COST_VOTES, money=format_money)
    results = {
        "pot_id": 3,
        "rule": "greedy",
        "tie_break": "cost-votes",
        "manifest_hash": sha256(manifest),
        "log_head_hash": previous,
        "ballot_count": len(ballots),
        "outcome": result_document(election, outcome),
    }
    return {
        "manifest.json": manifest.encode(),
        "ballots.json": canonical_json(ballots).encode(),
        "log.json": canonical_json(log).encode(),
        "results.json": canonical_json(results).encode(),
    }


def zipped(files: dict[str, bytes]) -> bytes:
    files = dict(files)
    files["SHA256SUMS"] = "".join(f"{sha256(b)}  {n}\n" for n, b in sorted(files.items())).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for n in sorted(files):
            z.writestr(n, files[n])
    return out.getvalue()


def test_an_honest_export_is_reproduced():
    files = build()
    report = verify_zip(zipped(files))
    assert report.ok, report.problems
    outcome = json.loads(files["results.json"])["outcome"]
    assert outcome["selected"] == ["1", "2"]
    assert [p["votes"] for p in outcome["projects"]] == [3, 2, 2]
    assert outcome["projects"][1]["cost_pence"] == 200  # what the pot pays


def tampered(change) -> list[str]:
    files = build()
    log = json.loads(files["log.json"])
    change(log)
    files["log.json"] = canonical_json(log).encode()
    return verify_zip(zipped(files)).problems


@pytest.mark.parametrize(
    "change, first_break",
    [
        (lambda log: log[2].update(payload_hash="a" * 64), "entry 2: its hash does not match"),
        (lambda log: log.pop(2), "entry 2: expected sequence 2, found 3"),
        (lambda log: log.insert(2, dict(log[1])), "entry 2: expected sequence 2, found 1"),
        (lambda log: log.insert(1, log.pop(2)), "entry 1: expected sequence 1, found 2"),
    ],
    ids=["edited", "deleted", "inserted", "reordered"],
)
def test_each_kind_of_log_tampering_names_the_first_broken_link(change, first_break):
    problems = tampered(change)
    assert f"hash chain broken at {first_break}" in " ".join(problems)


def test_a_changed_ballot_and_a_changed_result_are_caught():
    files = build()
    ballots = json.loads(files["ballots.json"])
    ballots[0]["content"] = canonical_json({"choices": ["4"], "points": []})
    files["ballots.json"] = canonical_json(ballots).encode()
    assert any("the ballot was changed" in p for p in verify_zip(zipped(files)).problems)

    files = build()
    results = json.loads(files["results.json"])
    results["outcome"]["selected"] = ["4"]
    files["results.json"] = canonical_json(results).encode()
    assert any("does not reproduce" in p for p in verify_zip(zipped(files)).problems)


def test_a_broken_checksum_and_a_missing_close_are_caught():
    files = build()
    data = zipped(files)
    z = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as new:
        for n in z.namelist():
            new.writestr(n, z.read(n) + (b" " if n == "ballots.json" else b""))
    assert "ballots.json does not match its SHA256SUMS line" in verify_zip(out.getvalue()).problems
    assert verify_zip(b"not a zip").problems == ["not a ZIP file"]


def test_check_chain_on_an_intact_log():
    log = json.loads(build()["log.json"])
    assert check_chain(7, log[0]["payload_hash"], log) is None
    assert "genesis" in check_chain(7, "b" * 64, log)
