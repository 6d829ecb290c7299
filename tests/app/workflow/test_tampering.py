"""Every part of a real export tampered with, as a careful forger would, and who catches it.

Each tampering is applied twice:

- ``sums``: the file(s) changed and ``SHA256SUMS`` rewritten, nothing else;
- ``full``: where it is possible, the forgery made consistent everywhere the public code can
  make it: ballot hashes, the whole chain and the close entry rebuilt, the pot recounted
  through ``votes``, ``results.json``, ``results.csv``, ``election.pb``, ``README.txt`` and
  ``SHA256SUMS`` written to agree.

Then ``verify_zip`` runs twice: alone (the export checked against itself) and with the
fingerprints the council published when voting opened and closed (the manifest hash and log
head, read from the database, not the export). The outcomes:

=====================================  ======  ============================================
tampering                              forger  caught by
=====================================  ======  ============================================
ballot edited                          sums    verifier: ballot does not match the log
ballot edited                          full    fingerprints only: log head
ballot deleted                         sums    verifier: log entry's ballot missing
ballot deleted (and its receipt)       full    fingerprints only: log head
ballot inserted                        sums    verifier: ballot not in the log
ballot inserted (and a receipt)        full    fingerprints only: log head
two ballots swapped                    sums    verifier: ballots do not match the log
two ballot entries swapped             full    fingerprints only: log head
manifest budget changed                sums    verifier: manifest hash / genesis
manifest budget changed                full    fingerprints only: manifest hash, log head
manifest cost changed                  sums    verifier: manifest hash / genesis
manifest cost changed                  full    fingerprints only: manifest hash, log head
manifest rule changed (greedy)         sums    verifier: manifest hash / genesis
manifest rule changed (greedy)         full    fingerprints only: manifest hash, log head
results.json rule greedy, recounted    sums    verifier: not the frozen rule
results.json rule greedy, recounted    full    verifier: not the frozen rule
close entry dropped                    sums    verifier: no close entry
close entry dropped                    full    verifier: no close entry
results.json selection edited          sums    verifier: recount differs
results.json votes edited              sums    verifier: recount differs
results.csv winner flipped             sums    verifier: CSV differs from results.json
results.csv and .json winner flipped   full    verifier: recount differs
election.pb a winner's ballots changed sums    verifier: .pb differs from the ballots
election.pb and ballots changed        full    fingerprints only: log head
a receipt removed                      sums    verifier: close entry's receipts
a receipt removed                      full    fingerprints only: log head
withheld flipped                       sums    verifier: frozen publishing minimum
withheld flipped (minimum changed)     full    fingerprints only: manifest hash, log head
=====================================  ======  ============================================

No tampering passes both. The test ids say the same: ``<tampering>-<forger>-<caught by>``.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import zipfile
from collections.abc import Callable

import pytest

from app.workflow import rounds
from app.workflow.exports import export_pot, results_csv
from app.workflow.models import Phase
from ballots import box
from tests.app.closed_round import closed_round
from votes.ballot import format_money
from votes.model import TieBreak
from votes.pabulib import dumps, read
from votes.rules import tally
from votes.verify import (
    ZERO_HASH,
    ballot_hash,
    canonical_json,
    close_payload,
    counted_ballot_ids,
    election_from_export,
    entry_hash,
    result_document,
    sha256,
    verify_zip,
)

MIN_BALLOTS = 10


@dataclasses.dataclass
class Export:
    """A parsed export a forger can change and reseal."""

    files: dict[str, bytes]
    manifest: dict
    ballots: list
    log: list
    receipts: list
    results: dict

    @classmethod
    def parse(cls, data: bytes) -> Export:
        z = zipfile.ZipFile(io.BytesIO(data))
        files = {n: z.read(n) for n in z.namelist()}
        return cls(
            files,
            *(
                json.loads(files[n])
                for n in ("manifest.json", "ballots.json", "log.json", "receipts.json")
            ),
            json.loads(files["results.json"]),
        )


def zipped(files: dict[str, bytes]) -> bytes:
    """The files with SHA256SUMS rewritten to match them."""
    files = {n: b for n, b in files.items() if n != "SHA256SUMS"}
    files["SHA256SUMS"] = "".join(f"{sha256(b)}  {n}\n" for n, b in sorted(files.items())).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for n in sorted(files):
            z.writestr(zipfile.ZipInfo(n, date_time=(1980, 1, 1, 0, 0, 0)), files[n])
    return out.getvalue()


def reseal(x: Export, *, rule: str | None = None) -> bytes:
    """Everything derivable rebuilt from the (changed) manifest, ballots and receipts with the
    public code: the chain, the close entry, the recount, results.json, the CSV, the .pb."""
    manifest_text = canonical_json(x.manifest)
    round_id = x.manifest["round"]["id"]
    by_id = {b["id"]: b for b in x.ballots}
    body = [e for e in x.log if e["kind"] in ("ballot", "supersede")]
    counted = counted_ballot_ids(body)
    log, previous = [], ZERO_HASH
    entries = [("genesis", None, sha256(manifest_text))]
    for e in body:
        b = by_id[e["ballot_id"]]
        entries.append((e["kind"], e["ballot_id"], ballot_hash(b["id"], b["pot_id"], b["content"])))
    entries.append(("close", None, close_payload(len(counted), len(x.receipts))))
    for sequence, (kind, ballot_id, payload) in enumerate(entries):
        h = entry_hash(round_id, sequence, kind, payload, previous)
        log.append(
            {
                "sequence": sequence,
                "kind": kind,
                "ballot_id": ballot_id,
                "payload_hash": payload,
                "previous_hash": previous,
                "entry_hash": h,
            }
        )
        previous = h
    pot_id = x.results["pot_id"]
    election = election_from_export(x.manifest, x.ballots, pot_id, counted)
    rule = rule or x.manifest["rule"]
    outcome = tally(election, rule, TieBreak(x.manifest["tie_break"]), money=format_money)
    old_manifest_hash, old_head = x.results["manifest_hash"], x.results["log_head_hash"]
    results = {
        **x.results,
        "rule": rule,
        "manifest_hash": sha256(manifest_text),
        "log_head_hash": previous,
        "ballot_count": len(election.ballots),
        "withheld": len(election.ballots) < x.manifest.get("min_ballots_to_publish", 0),
        "outcome": result_document(election, outcome),
    }
    meta = read(x.files["election.pb"]).meta
    pb = dataclasses.replace(
        election,
        ballots=tuple(
            dataclasses.replace(b, voter=str(i)) for i, b in enumerate(election.ballots, 1)
        ),
        meta=meta,
    )
    readme = (
        x.files["README.txt"]
        .decode()
        .replace(old_manifest_hash, results["manifest_hash"])
        .replace(old_head, previous)
        .replace(f"Counted with: {x.results['rule']}", f"Counted with: {rule}")
    )
    return zipped(
        {
            **x.files,
            "manifest.json": manifest_text.encode(),
            "ballots.json": canonical_json(x.ballots).encode(),
            "log.json": canonical_json(log).encode(),
            "receipts.json": canonical_json(sorted(x.receipts)).encode(),
            "results.json": canonical_json(results).encode(),
            "results.csv": results_csv(results["outcome"]),
            "election.pb": dumps(pb).encode(),
            "README.txt": readme.encode(),
        }
    )


def sums(x: Export, **changed) -> bytes:
    """Only the named files changed (as parsed values or bytes), SHA256SUMS rewritten."""
    files = dict(x.files)
    for name, value in changed.items():
        name = name.replace("__", ".")
        files[name] = value if isinstance(value, bytes) else canonical_json(value).encode()
    return zipped(files)


# --- The tamperings --------------------------------------------------------------------------


def _other_content(x: Export, content: str) -> str:
    """A valid ballot different from ``content`` (another project added or taken away)."""
    choices = json.loads(content)["choices"]
    ids = [str(p["id"]) for p in x.manifest["pots"][0]["proposals"]]
    new = sorted(set(ids) - set(choices))[:1] + choices[:-1] if len(choices) > 1 else ids[-1:]
    return canonical_json({"choices": sorted(new), "points": []})


def edit_ballot(x: Export) -> None:
    x.ballots[0]["content"] = _other_content(x, x.ballots[0]["content"])


def delete_ballot(x: Export) -> None:
    gone = x.ballots.pop(0)["id"]
    x.log[:] = [e for e in x.log if e["ballot_id"] != gone]


def insert_ballot(x: Export) -> None:
    new = {"id": "f" * 32, "pot_id": x.ballots[0]["pot_id"], "content": x.ballots[0]["content"]}
    x.ballots.append(new)
    last = x.log[-2]
    x.log.insert(
        len(x.log) - 1,
        {**last, "ballot_id": new["id"], "sequence": last["sequence"] + 1},
    )


def swap_ballots(x: Export) -> None:
    j = next(i for i, b in enumerate(x.ballots) if b["content"] != x.ballots[0]["content"])
    x.ballots[0]["content"], x.ballots[j]["content"] = (
        x.ballots[j]["content"],
        x.ballots[0]["content"],
    )


def swap_entries(x: Export) -> None:
    x.log[1], x.log[2] = x.log[2], x.log[1]


def budget(x: Export) -> None:
    x.manifest["pots"][0]["budget_pence"] += 2_000_000


def cost(x: Export) -> None:
    p = x.manifest["pots"][0]["proposals"][-1]
    p["final_cost_pence"] = p["cost_to_pot_pence"] = 1_000_000


def manifest_rule(x: Export) -> None:
    x.manifest["rule"] = "greedy"


def drop_close(x: Export) -> None:
    x.log.pop()


def drop_receipt(x: Export) -> None:
    x.receipts.pop(0)


def withheld_minimum(x: Export) -> None:
    # Raise the frozen minimum above the ballots so that "withheld" flips consistently.
    x.manifest["min_ballots_to_publish"] = 100


def flip_winner(outcome: dict) -> None:
    """The first funded project shown unfunded and the first unfunded shown funded."""
    funded = next(p for p in outcome["projects"] if p["funded"])
    unfunded = next(p for p in outcome["projects"] if not p["funded"])
    funded["funded"], unfunded["funded"] = False, True
    outcome["selected"] = [unfunded["id"] if s == funded["id"] else s for s in outcome["selected"]]


def csv_flipped(x: Export) -> bytes:
    rows = list(csv.reader(io.StringIO(x.files["results.csv"].decode(), newline="")))
    yes = next(r for r in rows[1:] if r[3] == "yes")
    no = next(r for r in rows[1:] if r[3] == "no")
    yes[3], no[3] = "no", "yes"
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode()


def winners_ballots(x: Export) -> None:
    """Every ballot naming the first winner loses it (in ballots.json; the .pb follows)."""
    winner = x.results["outcome"]["selected"][0]
    for b in x.ballots:
        content = json.loads(b["content"])
        if winner in content["choices"] and len(content["choices"]) > 1:
            content["choices"].remove(winner)
            b["content"] = canonical_json(content)


def pb_winners_ballots(x: Export) -> bytes:
    winner = x.results["outcome"]["selected"][0]
    pb = read(x.files["election.pb"])
    changed = tuple(
        dataclasses.replace(b, choices=tuple(c for c in b.choices if c != winner))
        if winner in b.choices and len(b.choices) > 1
        else b
        for b in pb.ballots
    )
    return dumps(dataclasses.replace(pb, ballots=changed)).encode()


def changed(x: Export, change: Callable[[Export], None]) -> Export:
    change(x)
    return x


def _results(x: Export, change: Callable[[dict], None]) -> dict:
    change(x.results)
    return x.results


def _votes(results: dict) -> None:
    results["outcome"]["projects"][0]["votes"] += 1


def _selection(results: dict) -> None:
    results["outcome"]["selected"] = results["outcome"]["selected"][:1]


def _rule(results: dict) -> None:
    results["rule"] = "greedy"


def _withheld(results: dict) -> None:
    results["withheld"] = not results["withheld"]


def _full_results_and_csv(x: Export) -> bytes:
    flip_winner(x.results["outcome"])
    return sums(x, results__json=x.results, results__csv=results_csv(x.results["outcome"]))


VERIFIER, FINGERPRINTS = "verifier", "fingerprints-only"
CASES: list[tuple[str, str, Callable[[Export], bytes], str, str]] = [
    ("ballot-edited", "sums", lambda x: sums(x, ballots__json=changed(x, edit_ballot).ballots),
     VERIFIER, "does not match the log (the ballot was changed)"),
    ("ballot-edited", "full", lambda x: reseal(changed(x, edit_ballot)),
     FINGERPRINTS, "log head"),
    ("ballot-deleted", "sums", lambda x: sums(x, ballots__json=x.ballots[1:]),
     VERIFIER, "its ballot is missing from ballots.json"),
    ("ballot-deleted", "full",
     lambda x: reseal(changed(changed(x, delete_ballot), drop_receipt)),
     FINGERPRINTS, "log head"),
    ("ballot-inserted", "sums",
     lambda x: sums(x, ballots__json=[*x.ballots, {**x.ballots[0], "id": "f" * 32}]),
     VERIFIER, "is not in the log (it was added)"),
    ("ballot-inserted", "full",
     lambda x: reseal(changed(changed(x, insert_ballot), lambda y: y.receipts.append("e" * 64))),
     FINGERPRINTS, "log head"),
    ("ballots-swapped", "sums", lambda x: sums(x, ballots__json=changed(x, swap_ballots).ballots),
     VERIFIER, "does not match the log (the ballot was changed)"),
    ("entries-swapped", "full", lambda x: reseal(changed(x, swap_entries)),
     FINGERPRINTS, "log head"),
    ("budget", "sums", lambda x: sums(x, manifest__json=changed(x, budget).manifest),
     VERIFIER, "the genesis entry does not commit to this manifest"),
    ("budget", "full", lambda x: reseal(changed(x, budget)), FINGERPRINTS, "manifest hash"),
    ("cost", "sums", lambda x: sums(x, manifest__json=changed(x, cost).manifest),
     VERIFIER, "results.json names a different manifest hash"),
    ("cost", "full", lambda x: reseal(changed(x, cost)), FINGERPRINTS, "manifest hash"),
    ("manifest-rule", "sums", lambda x: sums(x, manifest__json=changed(x, manifest_rule).manifest),
     VERIFIER, "the genesis entry does not commit to this manifest"),
    ("manifest-rule", "full", lambda x: reseal(changed(x, manifest_rule)),
     FINGERPRINTS, "manifest hash"),
    ("results-rule", "sums", lambda x: sums(x, results__json=_results(x, _rule)),
     VERIFIER, "results.json names the rule 'greedy', but the manifest frozen"),
    ("results-rule", "full", lambda x: reseal(x, rule="greedy"),
     VERIFIER, "results.json names the rule 'greedy', but the manifest frozen"),
    ("close-dropped", "sums", lambda x: sums(x, log__json=x.log[:-1]),
     VERIFIER, "the log has no close entry"),
    ("close-dropped", "full",
     lambda x: sums(
         x,
         log__json=x.log[:-1],
         results__json={**x.results, "log_head_hash": x.log[-2]["entry_hash"]},
         README__txt=x.files["README.txt"].replace(
             x.log[-1]["entry_hash"].encode(), x.log[-2]["entry_hash"].encode()
         ),
     ),
     VERIFIER, "the log has no close entry"),
    ("results-selection", "sums", lambda x: sums(x, results__json=_results(x, _selection)),
     VERIFIER, "the recount does not reproduce the published result"),
    ("results-votes", "sums", lambda x: sums(x, results__json=_results(x, _votes)),
     VERIFIER, "the published figures or explanations differ"),
    ("csv-winner", "sums", lambda x: sums(x, results__csv=csv_flipped(x)),
     VERIFIER, "funded is 'no'; results.json says 'yes'"),
    ("csv-winner", "full", _full_results_and_csv,
     VERIFIER, "the recount does not reproduce the published result"),
    ("pb-winner-ballots", "sums", lambda x: sums(x, election__pb=pb_winners_ballots(x)),
     VERIFIER, "of its ballots differ from the counted ballots"),
    ("pb-winner-ballots", "full", lambda x: reseal(changed(x, winners_ballots)),
     FINGERPRINTS, "log head"),
    ("receipt-removed", "sums", lambda x: sums(x, receipts__json=x.receipts[1:]),
     VERIFIER, "the close entry does not commit to the 12 counted ballots and the 11 receipts"),
    ("receipt-removed", "full", lambda x: reseal(changed(x, drop_receipt)),
     FINGERPRINTS, "log head"),
    ("withheld", "sums", lambda x: sums(x, results__json=_results(x, _withheld)),
     VERIFIER, "results.json says withheld=true, but 12 counted ballots"),
    ("withheld", "full", lambda x: reseal(changed(x, withheld_minimum)),
     FINGERPRINTS, "manifest hash"),
]  # fmt: skip


@pytest.fixture
def sealed(db, monkeypatch):
    """A published approval round counted with Equal Shares: its export and the fingerprints
    the council published (from the database, not the export)."""
    build = rounds.build_manifest

    def with_minimum(session, funding_round):
        # The publishing minimum belongs in the manifest; where this version does not put it
        # there yet, freeze it as the round's own value so withheld can be checked.
        manifest = build(session, funding_round)
        manifest.setdefault("min_ballots_to_publish", MIN_BALLOTS)
        return manifest

    # Patched where opening voting looks it up.
    monkeypatch.setattr(rounds.manifest, "build_manifest", with_minimum)
    funding_round = closed_round(
        kind="approval", rule="mes", phase=Phase.PUBLISHED, min_ballots=MIN_BALLOTS
    )
    data = export_pot(db.session, funding_round, funding_round.pots[0].id)
    published = {
        "manifest_hash": funding_round.manifest_hash,
        "log_head": box.log_head(db.session, funding_round.id).entry_hash,
    }
    return data, published


def test_the_honest_export_passes_alone_and_with_the_fingerprints(sealed):
    data, published = sealed
    alone = verify_zip(data)
    assert alone.ok, alone.problems
    assert not alone.fingerprints_checked
    assert (alone.manifest_hash, alone.log_head) == (
        published["manifest_hash"],
        published["log_head"],
    )
    checked = verify_zip(data, **published)
    assert checked.ok and checked.fingerprints_checked
    assert (
        json.loads(zipfile.ZipFile(io.BytesIO(data)).read("manifest.json"))[
            "min_ballots_to_publish"
        ]
        == MIN_BALLOTS
    )


def test_a_reseal_of_the_untouched_export_gives_the_same_files(sealed):
    """The full forgeries are real ones: resealing changes nothing but what was tampered."""
    data, _ = sealed
    honest = zipfile.ZipFile(io.BytesIO(data))
    again = zipfile.ZipFile(io.BytesIO(reseal(Export.parse(data))))
    for name in honest.namelist():
        assert again.read(name) == honest.read(name), name


@pytest.mark.parametrize(
    ("name", "forger", "forge", "caught_by", "why"),
    CASES,
    ids=[f"{name}-{forger}-{caught}" for name, forger, _, caught, _ in CASES],
)
def test_every_tampering_is_caught(sealed, name, forger, forge, caught_by, why):
    data, published = sealed
    forged = forge(Export.parse(data))
    alone = verify_zip(forged)
    checked = verify_zip(forged, **published)
    assert not checked.ok, f"{name} ({forger}) passes even the published fingerprints"
    if caught_by == VERIFIER:
        assert not alone.ok
        assert any(why in p for p in alone.problems), alone.problems
    else:
        assert alone.ok, alone.problems
        sealed_problems = [p for p in checked.problems if "not the files the council sealed" in p]
        assert any(why in p for p in sealed_problems), checked.problems


def test_the_cli_names_which_fingerprint_differs_and_both_values(sealed, tmp_path, capsys):
    from votes.cli import main

    data, published = sealed
    path = tmp_path / "forged.zip"
    path.write_bytes(reseal(changed(Export.parse(data), budget)))
    args = ["verify", str(path)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "verified against itself only" in out and "FINGERPRINTS" in out
    head = ["--manifest-hash", published["manifest_hash"], "--log-head", published["log_head"]]
    assert main([*args, *head]) == 1
    out = capsys.readouterr().out
    forged = verify_zip(path.read_bytes())
    assert (
        f"the manifest hash of this export is {forged.manifest_hash}, not the published "
        f"{published['manifest_hash']}" in out
    )
    assert f"the log head of this export is {forged.log_head}" in out
    assert "NOT verified" in out

    honest = tmp_path / "honest.zip"
    honest.write_bytes(data)
    assert main(["verify", str(honest), *head]) == 0
    last = capsys.readouterr().out.splitlines()[-1]
    assert last.endswith(
        "verified: the published result is reproduced, from the files the council sealed."
    )
    with pytest.raises(SystemExit):
        main(["verify", str(honest), "--log-head", "not-a-hash"])
