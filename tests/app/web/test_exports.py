"""Auditor exports: who may download them, byte-identical twice, CSV that cannot run formulas,
the same files from the CLI, and `python -m votes verify` catching each kind of tampering."""

import io
import json
import zipfile

import pytest
from sqlalchemy import select

from app.web.extensions import db
from app.workflow.models import AuditEvent, Phase, Role
from tests.app.closed_round import CONFIG, closed_round
from tests.app.pages import get_page, sign_in
from tests.factories import PASSWORD, create_council, create_user
from votes.cli import main as votes_main
from votes.verify import canonical_json, entry_hash, sha256, verify_zip


@pytest.fixture
def world(db):
    council = create_council(slug="home")
    other = create_council(slug="away")
    create_user(email="auditor@example.org", roles={council: Role.AUDITOR})
    create_user(email="officer@example.org", roles={council: Role.OFFICER})
    create_user(email="resident@example.org", roles={council: Role.RESIDENT})
    create_user(email="away@example.org", roles={other: Role.AUDITOR})
    funding_round = closed_round(council, kind="ranked", phase=Phase.PUBLISHED)
    pot = funding_round.pots[0]
    url = f"/auditors/home/rounds/{funding_round.slug}/export/{pot.id}"
    return funding_round, pot, url


def test_auditors_and_officers_download_and_it_is_logged(client, world):
    funding_round, pot, url = world
    for email in ("auditor@example.org", "officer@example.org"):
        sign_in(client, email, PASSWORD)
        page = get_page(client, f"/auditors/home/rounds/{funding_round.slug}")
        assert page.select_one("#exports a")["href"] == url
        response = client.get(url)
        assert response.status_code == 200
        assert response.mimetype == "application/zip"
        assert verify_zip(response.data).ok
        client.post("/auth/sign-out")
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "results.exported"))
    assert len(events.all()) == 2


def test_everyone_else_is_refused(client, world):
    _, pot, url = world
    assert client.get(url).status_code == 302
    for email in ("resident@example.org", "away@example.org"):
        sign_in(client, email, PASSWORD)
        assert client.get(url).status_code == 403
        client.post("/auth/sign-out")
    sign_in(client, "auditor@example.org", PASSWORD)
    assert client.get(url.replace(f"/{pot.id}", "/999")).status_code == 404
    assert (
        db.session.scalar(select(AuditEvent).where(AuditEvent.action == "results.exported")) is None
    )
    # Only the resident's refusal is an event of this council's: the auditor of another council
    # has no role here, and is only in the server log.
    [refused] = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "results.export_refused")
    ).all()
    assert (refused.round_id, refused.subject_type, refused.subject_id) == (
        pot.round_id,
        "pot",
        pot.id,
    )
    assert refused.after == {"pot_id": pot.id}


@pytest.mark.parametrize("kind", sorted(CONFIG))
def test_every_ballot_kind_exports_and_verifies_through_the_clis(
    runner, db, tmp_path, kind, capsys
):
    funding_round = closed_round(kind=kind, phase=Phase.PUBLISHED)
    out = tmp_path / "out"
    result = runner.invoke(args=["export", str(funding_round.id), "--out", str(out)])
    assert result.exit_code == 0, result.output
    [written] = list(out.iterdir())
    assert votes_main(["verify", str(written)]) == 0
    assert "the published result is reproduced" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("phase", "min_ballots", "note"),
    [
        (Phase.CLOSED, 10, "results.json says the round's results are not published"),
        (Phase.PUBLISHED, 20, "this pot's result is withheld"),
    ],
    ids=["closed-not-published", "published-but-withheld"],
)
def test_an_export_of_an_unpublished_result_is_not_called_published(
    runner, db, tmp_path, capsys, phase, min_ballots, note
):
    funding_round = closed_round(kind="ranked", phase=phase, min_ballots=min_ballots)
    out = tmp_path / "out"
    result = runner.invoke(args=["export", str(funding_round.id), "--out", str(out)])
    assert result.exit_code == 0, result.output
    [written] = list(out.iterdir())
    results = json.loads(zipfile.ZipFile(written).read("results.json"))
    assert results["published"] is (phase == Phase.PUBLISHED)
    assert votes_main(["verify", str(written)]) == 0
    printed = capsys.readouterr().out
    assert f"NOTE: {note}" in printed
    assert "the published result is reproduced" not in printed


def test_exporting_twice_gives_identical_bytes_and_the_cli_writes_the_same(
    client, runner, world, tmp_path
):
    funding_round, pot, url = world
    sign_in(client, "auditor@example.org", PASSWORD)
    first, second = client.get(url).data, client.get(url).data
    assert first == second
    out = tmp_path / "out"
    result = runner.invoke(args=["export", str(funding_round.id), "--out", str(out)])
    assert result.exit_code == 0, result.output
    [written] = list(out.iterdir())
    assert written.read_bytes() == first
    z = zipfile.ZipFile(io.BytesIO(first))
    assert z.namelist() == sorted(z.namelist())
    assert set(z.namelist()) == {
        "README.txt",
        "SHA256SUMS",
        "ballots.json",
        "election.pb",
        "log.json",
        "manifest.json",
        "receipts.json",
        "results.csv",
        "results.json",
    }
    assert all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in z.infolist())
    ballots = json.loads(z.read("ballots.json"))
    assert len(ballots) == 12 and set(ballots[0]) == {"id", "pot_id", "content"}
    assert len(json.loads(z.read("receipts.json"))) == 12
    assert z.read("results.csv").count(b"\r\n") == 4
    assert b"currency;GBP pence" in z.read("election.pb")


def test_the_cli_refuses_a_round_not_yet_counted(runner, db):
    from tests.ballots.helpers import voting_round

    funding_round, _ = voting_round()
    result = runner.invoke(args=["export", str(funding_round.id), "--out", "unused"])
    assert result.exit_code == 1
    assert "not been counted" in result.output


# --- Tampering --------------------------------------------------------------------------------


def rewrite(data: bytes, name: str, change) -> bytes:
    """The export with one file changed and SHA256SUMS recomputed, as a careful forger would."""
    z = zipfile.ZipFile(io.BytesIO(data))
    files = {n: z.read(n) for n in z.namelist()}
    files[name] = change(files[name])
    files["SHA256SUMS"] = "".join(
        f"{sha256(b)}  {n}\n" for n, b in sorted(files.items()) if n != "SHA256SUMS"
    ).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as new:
        for n in sorted(files):
            new.writestr(n, files[n])
    return out.getvalue()


def edit_log(change):
    def apply(raw: bytes) -> bytes:
        log = json.loads(raw)
        change(log)
        return canonical_json(log).encode()

    return apply


def _edit(log):
    log[3]["payload_hash"] = "f" * 64


def _delete(log):
    del log[3]


def _insert(log):
    log.insert(3, dict(log[3]))


def _reorder(log):
    log[3], log[4] = log[4], log[3]


@pytest.mark.parametrize(
    "change, expected",
    [
        (_edit, "hash chain broken at entry 3: its hash does not match"),
        (_delete, "hash chain broken at entry 3: expected sequence 3, found 4"),
        (_insert, "hash chain broken at entry 4: expected sequence 4, found 3"),
        (_reorder, "hash chain broken at entry 3: expected sequence 3, found 4"),
    ],
    ids=["edited", "deleted", "inserted", "reordered"],
)
def test_verify_reports_the_first_broken_link(client, world, tmp_path, capsys, change, expected):
    _, _, url = world
    sign_in(client, "auditor@example.org", PASSWORD)
    good = client.get(url).data
    path = tmp_path / "good.zip"
    path.write_bytes(good)
    assert votes_main(["verify", str(path)]) == 0
    assert "the published result is reproduced" in capsys.readouterr().out
    bad = tmp_path / "bad.zip"
    bad.write_bytes(rewrite(good, "log.json", edit_log(change)))
    assert votes_main(["verify", str(bad)]) == 1
    assert expected in capsys.readouterr().out


def test_verify_catches_a_re_hashed_chain_a_changed_ballot_and_a_changed_result(client, world):
    funding_round, _, url = world
    sign_in(client, "auditor@example.org", PASSWORD)
    good = client.get(url).data

    def rehash_after_edit(log):
        # A forger who recomputes every later hash still changes the head the result names.
        log[2]["payload_hash"] = "e" * 64
        previous = log[1]["entry_hash"]
        for e in log[2:]:
            e["previous_hash"] = previous
            e["entry_hash"] = entry_hash(
                funding_round.id, e["sequence"], e["kind"], e["payload_hash"], previous
            )
            previous = e["entry_hash"]

    report = verify_zip(rewrite(good, "log.json", edit_log(rehash_after_edit)))
    assert "the log's head is not the head the result was counted from" in report.problems

    def change_ballot(raw):
        ballots = json.loads(raw)
        content = json.loads(ballots[0]["content"])
        content["choices"] = list(reversed(content["choices"])) + ["x"]
        ballots[0]["content"] = canonical_json(content)
        return canonical_json(ballots).encode()

    report = verify_zip(rewrite(good, "ballots.json", change_ballot))
    assert any("does not match the log (the ballot was changed)" in p for p in report.problems)

    def change_result(raw):
        results = json.loads(raw)
        results["outcome"]["selected"] = list(reversed(results["outcome"]["selected"]))[:1]
        return canonical_json(results).encode()

    report = verify_zip(rewrite(good, "results.json", change_result))
    assert any("does not reproduce the published result" in p for p in report.problems)

    untouched = zipfile.ZipFile(io.BytesIO(good))
    files = {n: untouched.read(n) for n in untouched.namelist()}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for n, b in files.items():
            z.writestr(n, b + b" " if n == "results.csv" else b)
    assert "results.csv does not match its SHA256SUMS line" in verify_zip(out.getvalue()).problems


def recount_script(readme: str) -> str:
    from app.workflow.exports import RECOUNT_END, RECOUNT_START

    return readme.split(RECOUNT_START + "\n", 1)[1].split("\n" + RECOUNT_END, 1)[0] + "\n"


RECOUNTS = [
    (kind, rule)
    for kind in sorted(CONFIG)
    for rule in __import__("votes.rules", fromlist=["RULES"]).RULES[
        __import__("votes.model", fromlist=["BallotKind"]).BallotKind(kind)
    ]
    if rule not in ("plurality", "irv", "max-welfare")
]


@pytest.mark.parametrize(("kind", "rule"), RECOUNTS, ids=[f"{k}-{r}" for k, r in RECOUNTS])
def test_the_readme_recounts_the_pot_with_pabutools(db, tmp_path, kind, rule):
    """A stranger with only the export and pabutools gets the published selection by
    following README.txt: save its script beside election.pb and run it."""
    import subprocess
    import sys

    from app.workflow.exports import export_pot

    pytest.importorskip("pabutools")
    # The add-one search runs one count per penny of each voter's share: a pot in pence, not
    # pounds, keeps it to a few hundred pabutools counts.
    scale = 1 if rule == "mes-add1" else 100
    funding_round = closed_round(kind=kind, rule=rule, phase=Phase.PUBLISHED, scale=scale)
    pot = funding_round.pots[0]
    z = zipfile.ZipFile(io.BytesIO(export_pot(db.session, funding_round, pot.id)))
    z.extractall(tmp_path)
    readme = z.read("README.txt").decode("utf-8")
    assert funding_round.manifest_hash in readme
    assert f"Counted with: {rule}" in readme
    (tmp_path / "recount.py").write_text(recount_script(readme), encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "recount.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    published = json.loads(z.read("results.json"))["outcome"]["selected"]
    assert published, "a recount of nothing funded would prove little"
    assert run.stdout.split() == sorted(published)


def test_the_readme_of_a_single_winner_pot_says_how_to_count_it_by_hand(db):
    from app.workflow.exports import export_pot

    funding_round = closed_round(kind="ranked", rule="irv", phase=Phase.PUBLISHED)
    data = export_pot(db.session, funding_round, funding_round.pots[0].id)
    readme = zipfile.ZipFile(io.BytesIO(data)).read("README.txt").decode("utf-8")
    assert "pabutools has no irv count" in readme
    assert "more than half" in readme
    assert "recount.py: from this line" not in readme
