"""votes.verify on an export built here from the documented format alone (no Devolve)."""

import csv
import io
import json
import zipfile

import pytest

from votes.ballot import format_money
from votes.cli import main as votes_main
from votes.model import TieBreak
from votes.pabulib import dumps
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
    "min_ballots_to_publish": 3,
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
# Three of the five ballots were cast online (a receipt each), two on paper.
RECEIPTS = sorted(sha256(code) for code in ("AAAAA", "BBBBB", "CCCCC"))


def results_csv(outcome) -> bytes:
    """results.csv as the format describes it (no cell here needs the formula escape)."""
    out = io.StringIO(newline="")
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(["project_id", "title", "cost_pence", "funded", "votes", "points", "reason"])
    for p in outcome["projects"]:
        points = "" if p["points"] is None else p["points"]
        funded = "yes" if p["funded"] else "no"
        row = [p["id"], p["name"], p["cost_pence"], funded, p["votes"], points]
        w.writerow([*row, p["explanation"]])
    return out.getvalue().encode()


def build(
    choices=CHOICES, manifest_value=MANIFEST, receipts=RECEIPTS, close=None
) -> dict[str, bytes]:
    manifest = canonical_json(manifest_value)
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
    add("close", sha256(close or f"close|ballots={len(ballots)}|receipts={len(receipts)}"))
    election = election_from_export(manifest_value, ballots, 3)
    outcome = tally(election, "greedy", TieBreak.COST_VOTES, money=format_money)
    results = {
        "pot_id": 3,
        "rule": "greedy",
        "tie_break": "cost-votes",
        "manifest_hash": sha256(manifest),
        "log_head_hash": previous,
        "ballot_count": len(ballots),
        "withheld": len(ballots) < manifest_value.get("min_ballots_to_publish", 0),
        "outcome": result_document(election, outcome),
    }
    return {
        "manifest.json": manifest.encode(),
        "ballots.json": canonical_json(ballots).encode(),
        "log.json": canonical_json(log).encode(),
        "receipts.json": canonical_json(receipts).encode(),
        "results.json": canonical_json(results).encode(),
        "results.csv": results_csv(results["outcome"]),
        "election.pb": dumps(election).encode(),
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


# --- Through the command line: damaged exports and what a reproduced result is ---------------


def cli(capsys, tmp_path, data: bytes) -> tuple[int, str]:
    path = tmp_path / "export.zip"
    path.write_bytes(data)
    status = votes_main(["verify", str(path)])
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err
    return status, out.out


def without(files: dict[str, bytes], name: str) -> dict[str, bytes]:
    return {n: b for n, b in files.items() if n != name}


def edit_json(files: dict[str, bytes], name: str, change) -> dict[str, bytes]:
    value = json.loads(files[name])
    change(value)
    return {**files, name: canonical_json(value).encode()}


def damaged_member() -> bytes:
    """A ZIP whose central directory is intact but one member's compressed bytes are not."""
    data = bytearray(zipped(build()))
    z = zipfile.ZipFile(io.BytesIO(bytes(data)))
    info = z.getinfo("log.json")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    for i in range(start, start + 8):
        data[i] ^= 0xFF
    return bytes(data)


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda: b"\x00garbage, not a zip" * 10, "not a ZIP file"),
        (lambda: zipped(build())[:700], "a damaged or truncated ZIP file"),
        (damaged_member, "log.json cannot be read from the ZIP"),
        (lambda: zipped(without(build(), "log.json")), "log.json is missing from the export"),
        (
            lambda: zipped({**build(), "results.json": b'{"pot_id": 3,'}),
            "results.json is not valid JSON",
        ),
        (
            lambda: zipped({**build(), "manifest.json": b"[1, 2"}),
            "manifest.json is not valid JSON",
        ),
        (
            lambda: zipped({**build(), "receipts.json": b"null"}),
            "receipts.json is not a JSON list",
        ),
        (
            lambda: zipped({**build(), "manifest.json": b"null"}),
            "manifest.json is not a JSON object",
        ),
        (
            lambda: zipped(edit_json(build(), "manifest.json", lambda m: m.pop("round"))),
            "manifest.json has no 'round'",
        ),
        (
            lambda: zipped(edit_json(build(), "manifest.json", lambda m: m["pots"][0].pop("id"))),
            "manifest.json pots item 0 has no 'id'",
        ),
        (
            lambda: zipped(edit_json(build(), "results.json", lambda r: r.pop("rule"))),
            "results.json has no 'rule'",
        ),
        (
            lambda: zipped(edit_json(build(), "log.json", lambda log: log[1].pop("kind"))),
            "log.json item 1 has no 'kind'",
        ),
        (
            lambda: zipped(
                edit_json(build(), "ballots.json", lambda b: b[0].update(id=["not", "an id"]))
            ),
            "the export is not in the documented format",
        ),
    ],
    ids=[
        "corrupt",
        "truncated",
        "damaged-member",
        "missing-member",
        "results-not-json",
        "manifest-not-json",
        "receipts-null",
        "manifest-null",
        "manifest-no-round",
        "manifest-pot-no-id",
        "results-no-rule",
        "log-entry-no-kind",
        "ballot-id-a-list",
    ],
)
def test_a_damaged_export_is_not_verified_and_says_why(capsys, tmp_path, make, reason):
    status, out = cli(capsys, tmp_path, make())
    assert status == 1
    assert "NOT verified" in out
    assert reason in out


def test_an_unreadable_path_exits_2(capsys, tmp_path):
    assert votes_main(["verify", str(tmp_path / "absent.zip")]) == 2
    assert "cannot open" in capsys.readouterr().err


def with_results(**changes) -> bytes:
    return zipped(edit_json(build(), "results.json", lambda r: r.update(changes)))


def test_a_published_result_is_called_published_only_with_the_fingerprints_caveat(capsys, tmp_path):
    status, out = cli(capsys, tmp_path, with_results(published=True, withheld=False))
    assert status == 0
    assert out.splitlines()[-1].endswith(
        "verified against itself only: the published result is reproduced; these are the "
        "council's files only if the FINGERPRINTS above are the ones it published."
    )
    assert "NOTE" not in out
    assert "FINGERPRINTS" in out and "Compare both with the values the council published" in out


WITHHELD = {**MANIFEST, "min_ballots_to_publish": 6}


@pytest.mark.parametrize(
    ("manifest", "changes", "note"),
    [
        (
            MANIFEST,
            {"published": False, "withheld": False},
            "results.json says the round's results are not",
        ),
        (WITHHELD, {"published": True, "withheld": True}, "this pot's result is withheld"),
        (MANIFEST, {"withheld": False}, "results.json does not say whether the result is"),
    ],
    ids=["not-yet-published", "withheld", "not-said"],
)
def test_an_unpublished_result_is_reproduced_without_calling_it_published(
    capsys, tmp_path, manifest, changes, note
):
    files = edit_json(build(manifest_value=manifest), "results.json", lambda r: r.update(changes))
    status, out = cli(capsys, tmp_path, zipped(files))
    assert status == 0, out
    assert "published result is reproduced" not in out
    assert f"NOTE: {note}" in out
    assert "OK: recount with greedy (ties: cost-votes), the rule frozen in manifest.json" in out
    assert "but it is not a published result" in out.splitlines()[-1]


def legacy(change_outcome) -> bytes:
    """An export whose result was stored before result documents had a ``format``."""

    def edit(results):
        results.update(published=True, withheld=False)
        del results["outcome"]["format"]
        change_outcome(results["outcome"])

    files = edit_json(build(), "results.json", edit)
    outcome = json.loads(files["results.json"])["outcome"]
    return zipped({**files, "results.csv": results_csv(outcome)})


def test_a_result_stored_by_an_earlier_version_is_checked_on_its_count(capsys, tmp_path):
    def reworded(outcome):
        for p in outcome["projects"]:
            p["explanation"] = "Worded as an earlier version worded it."
            p.pop("effective_support")
        outcome.pop("equal_shares")

    status, out = cli(capsys, tmp_path, legacy(reworded))
    assert status == 0, out
    assert "NOTE: results.json was stored by an earlier version" in out


@pytest.mark.parametrize(
    "change",
    [
        lambda o: o.update(selected=o["selected"][:1]),
        lambda o: o["projects"][0].update(votes=o["projects"][0]["votes"] + 1),
        lambda o: o["projects"][2].update(funded=True),
        lambda o: o.update(rule="mes"),
    ],
    ids=["selection", "votes", "funded", "rule"],
)
def test_an_earlier_versions_result_with_another_count_is_not_verified(capsys, tmp_path, change):
    status, out = cli(capsys, tmp_path, legacy(change))
    assert status == 1
    assert "NOT verified" in out


def test_a_result_of_an_unknown_format_is_not_verified(capsys, tmp_path):
    status, out = cli(capsys, tmp_path, with_results(published=True, withheld=False))
    assert status == 0
    data = zipped(edit_json(build(), "results.json", lambda r: r["outcome"].update(format=99)))
    status, out = cli(capsys, tmp_path, data)
    assert status == 1


# --- The frozen rules, the files against each other, the fingerprints ------------------------


def problems_of(files: dict[str, bytes]) -> list[str]:
    return verify_zip(zipped(files)).problems


def test_a_result_counted_with_another_rule_than_the_frozen_one_is_refused():
    files = build(manifest_value={**MANIFEST, "rule": "greedy-per-cost"})
    # results.json and its recount say greedy; the manifest froze greedy-per-cost.
    results = json.loads(files["results.json"])
    assert results["rule"] == "greedy"
    assert any(
        "results.json names the rule 'greedy', but the manifest frozen when voting opened says "
        "'greedy-per-cost'" in p
        for p in problems_of(files)
    )
    files = build(manifest_value={**MANIFEST, "tie_break": "lexicographic"})
    assert any("names the tie-break 'cost-votes'" in p for p in problems_of(files))


def test_withheld_is_checked_against_the_frozen_minimum_or_noted_when_there_is_none():
    files = edit_json(build(), "results.json", lambda r: r.update(withheld=True))
    assert any(
        "results.json says withheld=true, but 5 counted ballots against the frozen minimum of "
        "3 means withheld=false" in p
        for p in problems_of(files)
    )
    older = {k: v for k, v in MANIFEST.items() if k != "min_ballots_to_publish"}
    report = verify_zip(
        zipped(
            edit_json(
                build(manifest_value=older), "results.json", lambda r: r.update(withheld=True)
            )
        )
    )
    assert report.ok, report.problems
    assert any("could not be checked" in n for n in report.notes)


@pytest.mark.parametrize(
    ("receipts", "problem"),
    [
        (RECEIPTS[:2], "the close entry does not commit to the 5 counted ballots and the 2"),
        ([*RECEIPTS[:2], RECEIPTS[1]], "receipt hashes are listed twice"),
        ([*RECEIPTS[:2], RECEIPTS[2].upper()], "are not 64 lower-case hex digits"),
        (list(reversed(RECEIPTS)), "receipts.json is not sorted"),
        (sorted(sha256(str(i)) for i in range(6)), "more than the 5 ballots logged"),
    ],
    ids=["removed", "duplicated", "not-hex", "unsorted", "too-many"],
)
def test_receipts_are_checked_against_the_close_entry(receipts, problem):
    files = build()
    files["receipts.json"] = canonical_json(receipts).encode()
    assert any(problem in p for p in problems_of(files)), problems_of(files)


def test_a_log_sealed_before_receipts_were_counted_is_accepted_with_a_note():
    report = verify_zip(zipped(build(close=f"close|ballots={len(CHOICES)}")))
    assert report.ok, report.problems
    assert any("receipts.json could not be matched to the log" in n for n in report.notes)
    bad = verify_zip(zipped(build(close="close|ballots=4")))
    assert any("the close entry does not commit" in p for p in bad.problems)


def test_every_csv_cell_is_checked_and_the_formula_escape_is_undone():
    manifest = json.loads(json.dumps(MANIFEST))
    manifest["pots"][0]["proposals"][0]["title"] = "=HYPERLINK(1)"
    files = build(manifest_value=manifest)
    from votes.csv_cells import unescape

    assert unescape("'=HYPERLINK(1)") == "=HYPERLINK(1)" and unescape("'Park") == "'Park"
    escaped = files["results.csv"].replace(b"=HYPERLINK(1)", b"'=HYPERLINK(1)")
    assert verify_zip(zipped({**files, "results.csv": escaped})).ok
    # Unescaped, the cell is still the title (a spreadsheet would run it, but it says the same).
    for old, new, column in (
        (b",yes,3,", b",no,3,", "funded"),
        (b",300,", b",301,", "cost_pence"),
        (b"Bins", b"Bonus", "title"),
        (b",yes,2,", b",yes,20,", "votes"),
    ):
        changed = {**files, "results.csv": escaped.replace(old, new, 1)}
        assert any(f") {column} is" in p for p in problems_of(changed)), column
    lines = escaped.split(b"\r\n")
    dropped = {**files, "results.csv": b"\r\n".join(lines[:2] + lines[3:])}
    assert any(
        "results.csv has 2 project rows; results.json has 3" in p for p in problems_of(dropped)
    )


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        (b"budget;500", b"budget;600", "its budget is 600, the manifest's 500"),
        (b"\r\n2;200;Bins", b"\r\n2;150;Bins", "its projects and costs"),
        (b"\r\n;1\r\n", b"\r\n;2\r\n", "1 of its ballots differ from the counted ballots"),
        (b"vote_type;approval", b"vote_type;cumulative", "election.pb"),
    ],
    ids=["budget", "cost", "ballot", "kind"],
)
def test_election_pb_is_checked_against_the_manifest_and_the_ballots(old, new, problem):
    files = build()
    assert old in files["election.pb"], files["election.pb"]
    changed = {**files, "election.pb": files["election.pb"].replace(old, new, 1)}
    assert any(problem in p for p in problems_of(changed)), problems_of(changed)


def test_a_supersede_entry_must_name_an_earlier_ballot_with_its_hash():
    files = build()
    log = json.loads(files["log.json"])
    close = log.pop()
    previous = log[-1]["entry_hash"]
    entry = {
        "sequence": len(log),
        "kind": "supersede",
        "ballot_id": log[1]["ballot_id"],
        "payload_hash": "a" * 64,
        "previous_hash": previous,
    }
    entry["entry_hash"] = entry_hash(7, entry["sequence"], "supersede", "a" * 64, previous)
    log.append(entry)
    close.update(sequence=len(log), previous_hash=entry["entry_hash"])
    close["entry_hash"] = entry_hash(
        7, close["sequence"], "close", close["payload_hash"], entry["entry_hash"]
    )
    log.append(close)
    files["log.json"] = canonical_json(log).encode()
    assert any("supersedes ballot" in p and "another payload hash" in p for p in problems_of(files))


def test_the_fingerprints_given_are_compared_and_named(capsys, tmp_path):
    data = zipped(edit_json(build(), "results.json", lambda r: r.update(published=True)))
    report = verify_zip(data)
    path = tmp_path / "export.zip"
    path.write_bytes(data)
    given = ["--manifest-hash", report.manifest_hash.upper(), "--log-head", report.log_head]
    assert votes_main(["verify", str(path), *given]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[-1].endswith(
        "verified: the published result is reproduced, from the files the council sealed."
    )
    other = "c" * 64
    assert (
        votes_main(["verify", str(path), "--manifest-hash", other, "--log-head", report.log_head])
        == 1
    )
    out = capsys.readouterr().out
    assert (
        f"PROBLEM: the manifest hash of this export is {report.manifest_hash}, not the "
        f"published {other}" in out
    )
    assert "log head of this export" not in out
    # One fingerprint is not both: still only checked against itself.
    assert votes_main(["verify", str(path), "--log-head", report.log_head]) == 0
    assert "verified against itself only" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit:
        votes_main(["verify", str(path), "--manifest-hash", "xyz"])
    assert exit.value.code == 2


def test_a_file_listed_in_sha256sums_but_left_out_of_the_zip_is_caught():
    data = zipped({**build(), "README.txt": b"fingerprints"})
    z = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as new:
        for n in z.namelist():
            if n != "README.txt":
                new.writestr(n, z.read(n))
    problems = verify_zip(out.getvalue()).problems
    assert "SHA256SUMS lists README.txt, which is not in the export" in problems
