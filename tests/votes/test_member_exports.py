"""A meeting item's export re-checked without Devolve: ``python -m votes verify ITEM.zip``
recounts a motion or an election and finds every tampering."""

from __future__ import annotations

import hashlib
import json
import zipfile

import pytest

from votes.canonical import canonical_json
from votes.cli import main
from votes.members import (
    FORMAT,
    ballot_hash,
    close_payload,
    count_election,
    decide_motion,
    decision_document,
    entry_hash,
    verify_item_zip,
)

MOTION = {
    "format": FORMAT,
    "version": 1,
    "item": 7,
    "kind": "motion",
    "title": "Change rule 12",
    "threshold": {"share": "3/4", "more_than": False, "name": "special"},
    "abstentions_count": False,
    "casting_vote": True,
    "quorum": {"members": 5, "share": None, "counts_proxies": True},
}
ELECTION = {
    "format": FORMAT,
    "version": 1,
    "item": 8,
    "kind": "election",
    "rule": "scottish",
    "constituencies": [
        {
            "id": 1,
            "name": "Tenants",
            "seats": 2,
            "candidates": [
                {"id": "a", "name": "Ann"},
                {"id": "b", "name": "Bob"},
                {"id": "c", "name": "Cat"},
            ],
        },
        {
            "id": 2,
            "name": "Staff",
            "seats": 1,
            "candidates": [{"id": "d", "name": "Dee"}, {"id": "e", "name": "Eve"}],
        },
    ],
}


def build(manifest, contents, result=None, *, superseded=0, facts=None):
    """An export of ``contents`` ((constituency, ballot) in casting order); the first
    ``superseded`` of them replaced by later ones (as a member's own vote replaces a proxy's)."""
    manifest_text = canonical_json(manifest)
    item = manifest["item"]
    ballots, log = [], []

    def add(kind, payload, ballot_id=None):
        previous = log[-1]["entry_hash"] if log else "0" * 64
        n = len(log)
        log.append(
            {
                "sequence": n,
                "kind": kind,
                "ballot_id": ballot_id,
                "payload_hash": payload,
                "previous_hash": previous,
                "entry_hash": entry_hash(item, n, kind, payload, previous),
            }
        )

    add("genesis", hashlib.sha256(manifest_text.encode()).hexdigest())
    for i, (constituency, ballot) in enumerate(contents):
        bid = f"{i:032x}"
        content = canonical_json(ballot)
        ballots.append({"id": bid, "constituency": constituency, "content": content})
        add("ballot", ballot_hash(bid, constituency, content), bid)
    for b in ballots[:superseded]:
        add("supersede", ballot_hash(b["id"], b["constituency"], b["content"]), b["id"])
    counted = ballots[superseded:]
    add("close", close_payload(len(counted), len(ballots)))
    kept = [(b["constituency"], json.loads(b["content"])) for b in counted]
    if result is None:
        if manifest["kind"] == "election":
            result = count_election(manifest, kept)
        else:
            facts = facts or {"present": 6, "by_proxy": 1, "eligible": 20, "casting_vote": None}
            decision = decide_motion(manifest, [c for _, c in kept], **facts)
            result = {**facts, "decision": decision_document(decision)}
    files = {
        "manifest.json": manifest_text,
        "ballots.json": json.dumps(sorted(ballots, key=lambda b: b["id"])),
        "log.json": json.dumps(log),
        "receipts.json": json.dumps({"receipts": len(ballots)}),
        "result.json": json.dumps(result),
    }
    return files


def write(tmp_path, files, name="item.zip"):
    sums = "".join(
        f"{hashlib.sha256(t.encode()).hexdigest()}  {n}\n"
        for n, t in sorted(files.items())
        if n != "SHA256SUMS"
    )
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as z:
        for n, t in files.items():
            z.writestr(n, t)
        if "SHA256SUMS" not in files:
            z.writestr("SHA256SUMS", sums)
    return str(path)


VOTES = [(0, {"choice": c}) for c in ["for"] * 7 + ["against"] * 2 + ["abstain"]]
RANKINGS = [
    (1, {"ranking": ["a", "b"]}),
    (1, {"ranking": ["a", "c"]}),
    (1, {"ranking": ["a"]}),
    (1, {"ranking": ["b", "a"]}),
    (1, {"ranking": ["c", "b"]}),
    (1, {"ranking": ["c"]}),
    (2, {"ranking": ["d"]}),
    (2, {"ranking": ["e", "d"]}),
    (2, {"ranking": ["d", "e"]}),
]


def test_a_motions_export_verifies_and_its_decision_is_recounted(tmp_path, capsys):
    files = build(MOTION, VOTES)
    result = json.loads(files["result.json"])
    # 7 for of 9 cast (abstentions not counted) is 77.8%: at least 7 needed for three quarters.
    assert (result["decision"]["needed"], result["decision"]["carried"]) == (7, True)
    checked, problems, _, head = verify_item_zip(write(tmp_path, files))
    assert problems == []
    assert "the recount reproduces the declared decision" in checked
    assert main(["verify", write(tmp_path, files, "again.zip")]) == 0
    assert "verified: the declared result is reproduced" in capsys.readouterr().out


def test_an_elections_export_verifies_and_each_constituency_is_recounted(tmp_path):
    files = build(ELECTION, RANKINGS)
    result = json.loads(files["result.json"])
    assert [c["result"]["elected"] for c in result["constituencies"]] == [["Ann", "Cat"], ["Dee"]]
    checked, problems, _, _ = verify_item_zip(write(tmp_path, files))
    assert problems == []
    assert "the recount of 2 constituencies reproduces the declared result" in checked


def test_a_superseded_proxy_ballot_is_not_counted(tmp_path):
    # The first ballot (for) was a proxy's, replaced by the member's own (the last, against).
    files = build(MOTION, [*VOTES, (0, {"choice": "against"})], superseded=1)
    assert json.loads(files["result.json"])["decision"]["for"] == 6
    assert verify_item_zip(write(tmp_path, files))[1] == []


def tampered(files, name, change):
    files = dict(files)
    files[name] = change(files[name])
    return files


@pytest.mark.parametrize(
    "change, problem",
    [
        (
            lambda f: tampered(
                f, "ballots.json", lambda t: t.replace('\\"for\\"', '\\"against\\"', 1)
            ),
            "its ballot is missing or was changed",
        ),
        (
            lambda f: tampered(
                f, "result.json", lambda t: t.replace('"carried": true', '"carried": false')
            ),
            "does not reproduce the declared decision",
        ),
        (
            lambda f: tampered(f, "log.json", lambda t: json.dumps(json.loads(t)[:-1])),
            "the log is not sealed",
        ),
        (
            lambda f: tampered(f, "manifest.json", lambda t: t.replace("3/4", "1/2")),
            "the log does not start from this manifest",
        ),
        (
            lambda f: tampered(
                f,
                "ballots.json",
                lambda t: json.dumps(
                    [
                        *json.loads(t),
                        {"id": "f" * 32, "constituency": 0, "content": '{"choice":"for"}'},
                    ]
                ),
            ),
            "is not in the log (it was added)",
        ),
    ],
)
def test_every_tampering_is_found(tmp_path, change, problem):
    files = change(build(MOTION, VOTES))
    problems = verify_item_zip(write(tmp_path, files))[1]
    assert any(problem in p for p in problems), problems


def test_a_file_changed_after_the_sums_were_made_is_named(tmp_path):
    files = build(MOTION, VOTES)
    path = tmp_path / "item.zip"
    good = write(tmp_path, files, "good.zip")
    with zipfile.ZipFile(good) as z, zipfile.ZipFile(path, "w") as out:
        for name in z.namelist():
            data = z.read(name)
            out.writestr(name, data + b" " if name == "result.json" else data)
    assert "result.json does not match its SHA256SUMS line" in verify_item_zip(str(path))[1]


def test_the_published_fingerprints_must_match(tmp_path, capsys):
    path = write(tmp_path, build(MOTION, VOTES))
    assert main(["verify", path, "--manifest-hash", "0" * 64]) == 1
    assert "is not the published" in capsys.readouterr().out
