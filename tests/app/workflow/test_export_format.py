"""docs/export-format.md is enough to check an export: a verifier written from it alone
(``tests.app.stranger``, standard library only) agrees with ``votes verify`` on real exports of
every ballot kind, catches tampering, and the document's worked example is what ``votes``
computes, so the document cannot drift from the code."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import date
from fractions import Fraction
from pathlib import Path

import pytest

from app.workflow import rounds
from app.workflow.exports import export_pot
from app.workflow.models import Phase
from ballots import box
from ballots.models import Channel
from tests.app import stranger
from tests.app.closed_round import CONFIG, NOW, closed_round
from tests.ballots.helpers import enrol, place, voting_round
from tests.factories import create_council
from votes.ballot import format_money
from votes.model import Ballot, TieBreak
from votes.rules import tally
from votes.verify import election_from_export, result_document, verify_zip

DOC = Path(__file__).resolve().parents[3] / "docs" / "export-format.md"


def doc() -> str:
    return DOC.read_text(encoding="utf-8")


def example() -> dict:
    """The worked example's data block (the last ```json block of the document)."""
    return json.loads(re.findall(r"```json\n(.*?)\n```", doc(), re.S)[-1])


def test_the_document_states_the_rules_the_stranger_follows():
    """Each definition the stranger's verifier uses, as the document writes it."""
    text = doc()
    for rule in (
        'sha256("{id}|{pot_id}|{content}")',
        'sha256("{round_id}|{sequence}|{kind}|{payload_hash}|{previous_hash}")',
        'sha256("close|ballots={N}|receipts={R}")',
        'sha256("close|ballots={N}")',
        'json.dumps(value, sort_keys=True, separators=(",", ":"),\n  ensure_ascii=False)',
        "keep only the characters\n`A`–`Z`, `a`–`z` and `0`–`9`",
        "then upper-case `a`–`z`",
        "the file's SHA-256, two spaces, the name, LF",
        "a reader\nundoes it by dropping the first `'` of a cell that starts with one or more `'` "
        "and then one of\nthose characters",
    ):
        assert rule in text, rule
    assert "docs/export-format.md" in (DOC.parents[1] / "votes" / "README.md").read_text()
    from votes.rules import RULES

    counting = text.split("## Counting", 1)[1].split("## A worked example", 1)[0]
    # Each rule is defined in a paragraph whose bold lead names it.
    leads = " ".join(re.findall(r"^\*\*(.+?)\*\*", counting, re.M))
    for rule in sorted({r for rules in RULES.values() for r in rules}):
        assert f"`{rule}`" in leads, f"the document does not define {rule}"


@pytest.mark.parametrize("kind", sorted(CONFIG))
def test_a_verifier_written_from_the_document_passes_a_real_export(db, kind):
    funding_round = closed_round(kind=kind, phase=Phase.PUBLISHED)
    data = export_pot(db.session, funding_round, funding_round.pots[0].id)
    published = {
        "manifest_hash": funding_round.manifest_hash,
        "log_head": box.log_head(db.session, funding_round.id).entry_hash,
    }
    assert stranger.check(data, **published) == []
    assert verify_zip(data, **published).ok


def unsummed(files: dict[str, bytes]) -> bytes:
    """The files zipped as they are: SHA256SUMS left as it was."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name in sorted(files):
            z.writestr(name, files[name])
    return out.getvalue()


def test_the_strangers_verifier_catches_what_the_document_says_it_must(db):
    from tests.app.workflow import test_tampering as t

    funding_round = closed_round(kind="approval", rule="mes", phase=Phase.PUBLISHED)
    data = export_pot(db.session, funding_round, funding_round.pots[0].id)
    published = {
        "manifest_hash": funding_round.manifest_hash,
        "log_head": box.log_head(db.session, funding_round.id).entry_hash,
    }
    cases = {
        "SHA256SUMS": lambda x: unsummed({**x.files, "results.csv": t.csv_flipped(x)}),
        "chain: entry": lambda x: t.sums(x, log__json=[x.log[0], *x.log[2:]]),
        "does not match the log": lambda x: t.sums(
            x, ballots__json=t.changed(x, t.edit_ballot).ballots
        ),
        "close entry does not commit": lambda x: t.sums(x, receipts__json=x.receipts[1:]),
        "results.csv differs": lambda x: t.sums(x, results__csv=t.csv_flipped(x)),
        "another rule": lambda x: t.sums(x, results__json={**x.results, "rule": "greedy"}),
        "translations are not one explanation per project": lambda x: t.sums(
            x,
            results__json={
                **x.results,
                "outcome": {**x.results["outcome"], "translations": {"cy": {"1": "Newid."}}},
            },
        ),
        "election.pb ballots": lambda x: t.sums(x, election__pb=t.pb_winners_ballots(x)),
        "is not the published one": lambda x: t.reseal(t.changed(x, t.budget)),
    }
    for expected, forge in cases.items():
        problems = stranger.check(forge(t.Export.parse(data)), **published)
        assert any(expected in p for p in problems), (expected, problems)


def test_the_worked_example_hashes_recompute_by_the_document():
    x = example()
    manifest = x["manifest_json"]
    assert stranger.canonical(json.loads(manifest)) == manifest
    assert stranger.sha256(manifest) == x["manifest_hash"]
    assert f"(canonical JSON, {len(manifest.encode())} bytes)" in doc()
    assert manifest in doc()
    for b in x["ballots"]:
        assert stranger.ballot_hash(b["id"], x["pot_id"], b["content"]) == b["ballot_hash"]
    payloads = [x["manifest_hash"], *(b["ballot_hash"] for b in x["ballots"])]
    payloads.append(stranger.sha256(x["close_payload"]))
    previous = stranger.ZERO
    for i, (e, payload) in enumerate(zip(x["log"], payloads, strict=True)):
        assert e["payload_hash"] == payload
        assert e["entry_hash"] == stranger.entry_hash(
            x["round_id"], i, e["kind"], payload, previous
        )
        previous = e["entry_hash"]
    assert previous == x["log_head"]
    assert x["close_payload"] == f"close|ballots={len(x['ballots'])}|receipts={len(x['receipts'])}"
    assert sorted(stranger.receipt_hash(c) for c in x["receipt_codes"]) == x["receipts"]
    assert [box.receipt_hash(c) for c in x["receipt_codes"]] == [
        stranger.receipt_hash(c) for c in x["receipt_codes"]
    ]
    assert stranger.receipt_hash("abcde fghij-klmno pqrst uvwxy z") == stranger.sha256(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    )


def test_the_ballot_hash_example_in_the_text_is_exact():
    count, text = re.search(r"hashes the (\d+) bytes\n`([^`]+)`", doc()).groups()
    assert len(text.encode()) == int(count)
    first = example()["ballots"][0]
    assert text == f"{first['id']}|{example()['pot_id']}|{first['content']}"
    assert stranger.sha256(text) == first["ballot_hash"]


def election():
    x = example()
    manifest = json.loads(x["manifest_json"])
    ballots = [
        {"id": b["id"], "pot_id": x["pot_id"], "content": b["content"]} for b in x["ballots"]
    ]
    return x, election_from_export(manifest, ballots, x["pot_id"])


def test_the_worked_example_counts_are_what_votes_computes():
    x, e = election()
    for rule, selected in x["selected"].items():
        assert list(tally(e, rule, TieBreak.COST_VOTES).selected) == selected, rule
    mes = result_document(e, tally(e, "mes", TieBreak.COST_VOTES, money=format_money))
    assert mes["selected"] == x["mes"]["selected"]
    assert mes["total_cost_pence"] == x["mes"]["total_cost_pence"]
    assert mes["equal_shares"]["share_pence"] == x["mes"]["share_pence"]
    assert {p["id"]: p["effective_support"] for p in mes["projects"]} == x["mes"][
        "effective_support"
    ]
    add1 = result_document(e, tally(e, "mes-add1", TieBreak.COST_VOTES, money=format_money))
    assert add1["selected"] == x["mes_add1"]["selected"]
    assert add1["equal_shares"]["share_pence"] == x["mes_add1"]["share_pence"]
    assert add1["equal_shares"]["first_share_pence"] == x["mes_add1"]["first_share_pence"]


def test_the_worked_example_steps_are_what_the_reference_computes():
    """Each round's payments, and the share at which mes-add1 first costs too much."""
    from votes import reference

    x, e = election()
    cost = {p.id: p.cost for p in e.projects}
    sat = [{p: Fraction(cost[p]) for p in b.choices} for b in e.ballots]
    order = reference.tie_order(e, TieBreak.COST_VOTES)
    money = {b["id"]: Fraction(x["mes"]["share_pence"]) for b in x["ballots"]}
    for step in x["mes"]["rounds"]:
        assert sum(step["paid"].values()) == cost[step["funded"]]
        for ballot_id, paid in step["paid"].items():
            assert paid <= money[ballot_id]
            money[ballot_id] -= paid
    assert [s["funded"] for s in x["mes"]["rounds"]] == reference.run(
        e, sat, Fraction(x["mes"]["share_pence"]), order
    )
    dear = x["mes_add1"]["first_too_dear"]
    assert reference.run(e, sat, Fraction(dear["share_pence"]), order) == dear["selected"]
    assert sum(cost[p] for p in dear["selected"]) == dear["cost_pence"] > e.budget
    for share in range(x["mes_add1"]["first_share_pence"] + 1, dear["share_pence"]):
        assert reference.run(e, sat, Fraction(share), order) == x["mes_add1"]["selected"]


def test_paper_ballots_and_a_changed_vote_are_counted_in_the_log_without_saying_which(db):
    """Three ballots online (one of them then changed online), two on paper: the close entry
    commits to 5 counted ballots and 4 receipts, so 2 of the 6 ballots logged were on paper,
    and nothing in the export says which."""
    council = create_council()
    hood = place(council, name="Ward")
    funding_round, paper = voting_round(council, allow_vote_change=True)
    pot = paper.pots[0]
    ids = [p.id for p in pot.projects]
    box.open_log(db.session, funding_round.id, funding_round.manifest_hash)
    today = date(2026, 5, 1)
    codes = []
    entries = [enrol(council, hood) for _ in range(5)]
    for i, entry in enumerate(entries):
        channel = Channel.PAPER if i >= 3 else Channel.ONLINE
        cast = box.cast(
            db.session, paper, entry, pot.id, Ballot((ids[i % 3],)), today=today, channel=channel
        )
        codes.append(cast.receipt)
        db.session.commit()
    box.replace(db.session, paper, entries[0], pot.id, codes[0], Ballot((ids[2],)), today=today)
    db.session.commit()
    rounds.change_phase(
        db.session, funding_round, target=Phase.CLOSED, expected=Phase.VOTING, actor=None, now=NOW
    )
    db.session.commit()
    data = export_pot(db.session, funding_round, pot.id)
    published = {
        "manifest_hash": funding_round.manifest_hash,
        "log_head": box.log_head(db.session, funding_round.id).entry_hash,
    }
    report = verify_zip(data, **published)
    assert report.ok, report.problems
    assert any(
        "the close entry commits to the 5 counted ballots and the 4 receipts in receipts.json "
        "(2 of 6 ballots logged were on paper)" in line
        for line in report.checked
    )
    assert stranger.check(data, **published) == []
    z = zipfile.ZipFile(io.BytesIO(data))
    log = json.loads(z.read("log.json"))
    assert log[-1]["payload_hash"] == stranger.sha256("close|ballots=5|receipts=4")
    assert [e["kind"] for e in log].count("supersede") == 1
    receipts = json.loads(z.read("receipts.json"))
    assert receipts == sorted(receipts) and len(receipts) == 4
    # The ballots do not say how they were cast: the same three keys for paper and online.
    assert {tuple(sorted(b)) for b in json.loads(z.read("ballots.json"))} == {
        ("content", "id", "pot_id")
    }
