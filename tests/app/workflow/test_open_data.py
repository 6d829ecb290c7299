"""Open data (docs/open-data.md): a published pot's .pb recounts to its published result with
votes' own reader and with pabutools; voters' details appear only where a round froze them,
small groups suppressed, never in an encrypted round; withheld pots give their ballot count
only; the network's ZIP holds exactly the in-network published pots; built files are rebuilt
only when what they show changes."""

from __future__ import annotations

import contextlib
import io
import json
import os
import zipfile
from datetime import date

import pytest

from app.web.extensions import db
from app.workflow import exports, open_data, rounds
from app.workflow.models import Phase, Proposal
from app.workflow.results import results_for
from ballots import box
from ballots.paper import ballot_paper
from tests.app import secret_round as sr
from tests.app.closed_round import NOW, closed_round, officer
from tests.ballots.helpers import place
from tests.factories import create_council
from votes.model import TieBreak
from votes.pabulib import read
from votes.recipes import pabutools_script
from votes.rules import tally
from votes.verify import sha256, verify_zip


@pytest.fixture(autouse=True)
def _fresh_cache():
    open_data.clear_cache()
    yield
    open_data.clear_cache()


def files_of(funding_round) -> open_data.PotFiles:
    pot = open_data.published_pot(
        db.session, funding_round.council, funding_round.slug, funding_round.pots[0].id
    )
    assert pot is not None
    return open_data.pot_files(db.session, pot)


def published_selection(funding_round) -> list[str]:
    [result] = results_for(db.session, funding_round)
    return json.loads(result.outcome_json)["selected"]


# kinds and rules: every ballot kind the app has, with the rules pabulib files are counted by.
KINDS_AND_RULES = [
    ("approval", "greedy"),
    ("approval", "mes"),
    ("approval", "mes-add1"),
    ("approval", "phragmen"),
    ("knapsack", "mes"),
    ("single-choice", "greedy"),
    ("cumulative", "greedy"),
    ("cumulative", "mes"),
    ("ranked", "greedy"),
    ("ranked", "mes"),
]


@pytest.mark.parametrize(("kind", "rule"), KINDS_AND_RULES)
def test_the_pb_recounts_to_the_published_result_with_votes_own_reader(db, kind, rule):
    r = closed_round(kind=kind, rule=rule, phase=Phase.PUBLISHED)
    files = files_of(r)
    election = read(files.pb, name="open-data.pb")
    meta = dict(election.meta)
    assert (meta["devolve_rule"], meta["tie_break"], meta["num_votes"]) == (
        rule,
        "cost-votes",
        "12",
    )
    assert election.kind.value == kind
    outcome = tally(election, meta["devolve_rule"], TieBreak(meta["tie_break"]))
    assert sorted(outcome.selected) == sorted(published_selection(r))
    # The ballots are the counted ones, numbered 1..n, with no ballot box ids.
    stored = box.stored_election(db.session, ballot_paper(r.manifest_json), r.pots[0].id)
    assert sorted((b.choices, b.points) for b in election.ballots) == sorted(
        (b.choices, b.points) for b in stored.ballots
    )
    assert [b.voter for b in election.ballots] == [str(i) for i in range(1, 13)]


def run_script(script: str, folder) -> list[str]:
    out = io.StringIO()
    here = os.getcwd()
    os.chdir(folder)
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(script, "recount.py", "exec"), {"__name__": "__main__"})  # noqa: S102
    finally:
        os.chdir(here)
    return out.getvalue().split()


# mes-add1 is left to votes' own reader above: pabutools' add-one search in pence runs one
# count per penny of every voter's share.
@pytest.mark.parametrize(("kind", "rule"), [kr for kr in KINDS_AND_RULES if kr[1] != "mes-add1"])
def test_pabutools_reads_the_pb_and_funds_what_was_published(db, tmp_path, kind, rule):
    pytest.importorskip("pabutools")
    from pabutools.election import parse_pabulib

    r = closed_round(kind=kind, rule=rule, phase=Phase.PUBLISHED)
    files = files_of(r)
    (tmp_path / "election.pb").write_bytes(files.pb)
    instance, profile = parse_pabulib(str(tmp_path / "election.pb"))
    assert len(profile) == 12 and len(instance) == 3
    assert instance.meta["currency"] == "GBP pence"
    rules = read(files.pb).rules
    funded = run_script(pabutools_script(rules, rule, "cost-votes"), tmp_path)
    assert funded == sorted(published_selection(r))


def test_the_projects_csv_and_json_restate_the_stored_result(db):
    r = closed_round(kind="cumulative", phase=Phase.PUBLISHED)
    files = files_of(r)
    stored = json.loads(results_for(db.session, r)[0].outcome_json)
    rows = files.projects_csv.decode().splitlines()
    assert rows[0].split(",")[:3] == ["project_id", "title", "category"]
    assert len(rows) == 1 + len(stored["projects"])
    document = json.loads(files.json)
    assert document["ballots"] == 12 and document["withheld"] is False
    assert [p["funded"] for p in document["projects"]] == [p["funded"] for p in stored["projects"]]
    assert [p["points"] for p in document["projects"]] == [p["points"] for p in stored["projects"]]
    assert document["voter_details"] is None
    assert all(set(v) == {"choices", "points"} for v in document["votes"])
    ballots = files.ballots_csv.decode().splitlines()
    ids = [p["id"] for p in stored["projects"]]
    assert ballots[0] == "ballot," + ",".join(f"project_{i}" for i in ids)
    # Cumulative: the points given to each project; every ballot gives all 6.
    assert all(sum(int(c) for c in line.split(",")[1:]) == 6 for line in ballots[1:])


def test_a_projects_description_now_is_given_with_the_counted_figures(db):
    r = closed_round(phase=Phase.PUBLISHED)
    proposal = db.session.get(Proposal, int(json.loads(files_of(r).json)["projects"][0]["id"]))
    proposal.category = "Parks"
    proposal.latitude, proposal.longitude = 51.5, -0.1
    db.session.commit()
    first = json.loads(files_of(r).json)["projects"][0]
    assert (first["category"], first["latitude"], first["longitude"]) == ("Parks", 51.5, -0.1)
    pb = read(files_of(r).pb)
    assert dict(pb.projects[0].extra)["category"] == "Parks"
    assert dict(pb.projects[0].extra)["latitude"] == "51.500000"


def test_nothing_is_downloadable_before_publication_or_for_another_council(db):
    closed = closed_round()
    assert (
        open_data.published_pot(db.session, closed.council, closed.slug, closed.pots[0].id) is None
    )
    published = closed_round(phase=Phase.PUBLISHED)
    other = create_council()
    for council, slug, pot_id in (
        (other, published.slug, published.pots[0].id),
        (published.council, published.slug, 999_999),
        (published.council, "nowhere", published.pots[0].id),
        (published.council, published.slug, closed.pots[0].id),
    ):
        assert open_data.published_pot(db.session, council, slug, pot_id) is None
    assert [p.funding_round.id for p in open_data.published_pots(db.session)] == [published.id]


def test_a_withheld_pot_gives_its_ballot_count_and_nothing_else(db):
    r = closed_round(ballots=3, phase=Phase.PUBLISHED)
    files = files_of(r)
    assert (files.pb, files.projects_csv, files.ballots_csv) == (None, None, None)
    document = json.loads(files.json)
    assert (document["withheld"], document["ballots"]) == (True, 3)
    assert (document["projects"], document["votes"], document["allocated_pence"]) == ([], [], None)
    assert [kind for kind, _, _ in files.named()] == ["json"]


# --- Voters' details ----------------------------------------------------------------------


def detailed_round(council, voters, *, ballots=None, min_ballots=3, kind="approval"):
    return closed_round(
        council,
        kind=kind,
        ballots=ballots or len(voters),
        phase=Phase.PUBLISHED,
        min_ballots=min_ballots,
        voters=voters,
    )


def test_voters_details_are_given_where_the_council_chose_them_before_voting(db):
    council = create_council()
    council.open_data_voter_details = True
    north, south = place(council, "North"), place(council, "South")
    # Ages on 1 May 2026, the day the test ballots are cast.
    voters = [(north, date(2000, 1, 1))] * 4 + [(south, date(1950, 1, 1))] * 4
    r = detailed_round(council, voters)
    document = json.loads(files_of(r).json)
    assert document["voter_details"]["suppressed_below"] == 3
    assert document["voter_details"]["age_bands"][0] == "0-10"
    assert sorted((v["neighbourhood"], v["age_band"]) for v in document["votes"]) == sorted(
        [("North", "25-34")] * 4 + [("South", "65+")] * 4
    )
    pb = read(files_of(r).pb)
    assert {dict(b.extra)["neighborhood"] for b in pb.ballots} == {"North", "South"}
    header = files_of(r).ballots_csv.decode().splitlines()[0]
    assert header.startswith("ballot,neighbourhood,age_band,project_")


def test_small_groups_of_voters_are_suppressed(db):
    council = create_council()
    council.open_data_voter_details = True
    north, south = place(council, "North"), place(council, "South")
    voters = (
        [(north, date(2000, 1, 1))] * 4  # North 25-34: 4, given
        + [(north, date(2010, 1, 1)), (north, date(2012, 1, 1))]  # 16-17 and 11-15: 1 each
        + [(north, date(1950, 1, 1))]  # North 65+: 1; with the two above, North alone: 3
        + [(south, date(1950, 1, 1))] * 2  # South 65+: 2, South alone: 2, so neither
        + [(south, None)] * 3  # South unknown age: 3, given
    )
    r = detailed_round(council, voters)
    document = json.loads(files_of(r).json)
    cells = sorted((v["neighbourhood"] or "", v["age_band"] or "") for v in document["votes"])
    # North's three small groups give North alone (3 ballots); South's 65+ (2) gives
    # neither, too few to hide in, so the smallest group given, North alone (3), joins them.
    assert cells == sorted([("North", "25-34")] * 4 + [("South", "unknown")] * 3 + [("", "")] * 5)
    details = document["voter_details"]
    assert details["ballots_with_age_band_suppressed"] == 0
    assert details["ballots_with_both_suppressed"] == 5
    # Suppressed rows sort last and are blank in the CSV and the .pb alike.
    rows = files_of(r).ballots_csv.decode().splitlines()[1:]
    assert [row.split(",")[1:3] for row in rows[-5:]] == [["", ""]] * 5
    assert [dict(b.extra) for b in read(files_of(r).pb).ballots][-1] == {
        "neighborhood": "",
        "age_band": "",
    }


@pytest.mark.parametrize(
    ("cells", "least", "released"),
    [
        ([("a", "1")] * 3, 3, [("a", "1")] * 3),
        # One ballot left blank would be found by anyone knowing its voter's group: all are.
        ([("a", "1")] * 3 + [("a", "2")], 3, [(None, None)] * 4),
        # The lone blank is too few to hide in: the smallest group given joins it.
        (
            [("a", "1")] * 3 + [("b", "1")] * 4 + [("c", "2")],
            3,
            [(None, None)] * 3 + [("b", "1")] * 4 + [(None, None)],
        ),
        ([("a", "1"), ("a", "2"), ("a", "3")], 3, [("a", None)] * 3),
        ([("a", "1"), ("b", "1")], 1, [("a", "1"), ("b", "1")]),
    ],
)
def test_suppress(cells, least, released):
    assert open_data.suppress(cells, least) == released


def test_a_round_opened_before_the_choice_gives_no_voter_columns(db):
    council = create_council()
    north = place(council, "North")
    r = detailed_round(council, [(north, date(2000, 1, 1))] * 4)
    council.open_data_voter_details = True
    db.session.commit()
    files = files_of(r)
    assert json.loads(files.json)["voter_details"] is None
    assert files.ballots_csv.decode().startswith("ballot,project_")
    assert all(b.extra == () for b in read(files.pb).ballots)


def test_an_encrypted_round_never_keeps_voters_details_and_gives_its_decrypted_ballots(db):
    council = create_council()
    council.open_data_voter_details = True
    db.session.commit()
    made = sr.secret_round(council=council)
    r = made.funding_round
    assert "voter_details" not in json.loads(r.manifest_json)
    rounds.publish_results(db.session, r, actor=officer(council), now=NOW, confirmed=True)
    db.session.commit()
    files = files_of(r)
    document = json.loads(files.json)
    assert document["voter_details"] is None and len(document["votes"]) == 12
    election = read(files.pb)
    outcome = tally(election, "greedy", TieBreak.COST_VOTES)
    assert sorted(outcome.selected) == sorted(published_selection(r))


def test_the_auditor_export_of_a_round_with_voters_details_still_verifies(db):
    council = create_council()
    council.open_data_voter_details = True
    north = place(council, "North")
    r = detailed_round(council, [(north, date(2000, 1, 1))] * 4)
    data = exports.export_pot(db.session, r, r.pots[0].id)
    report = verify_zip(
        data,
        manifest_hash=r.manifest_hash,
        log_head=box.log_head(db.session, r.id).entry_hash,
    )
    assert report.ok, report.problems
    assert any("keeps its voter's neighbourhood and age band" in line for line in report.checked)
    # A ballot's details changed, the checksums rewritten: the ballot no longer matches the log.
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        files = {n: z.read(n) for n in z.namelist()}
    ballots = json.loads(files["ballots.json"])
    ballots[0]["content"] = ballots[0]["content"].replace('"north"', '"elsewhere"')
    files["ballots.json"] = json.dumps(ballots, sort_keys=True, separators=(",", ":")).encode()
    files["SHA256SUMS"] = "".join(
        f"{sha256(d)}  {n}\n" for n, d in sorted(files.items()) if n != "SHA256SUMS"
    ).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, content in sorted(files.items()):
            z.writestr(name, content)
    report = verify_zip(buffer.getvalue())
    assert any("does not match the log" in p for p in report.problems)
    assert any("'elsewhere', not one of the manifest's" in p for p in report.problems)


# --- The network --------------------------------------------------------------------------


def test_the_zip_holds_exactly_the_network_s_published_pots(db):
    inside = closed_round(phase=Phase.PUBLISHED)
    withheld = closed_round(ballots=3, phase=Phase.PUBLISHED)
    closed_round()  # closed, not published: not in the ZIP
    left = closed_round(phase=Phase.PUBLISHED)
    left.council.in_network = False
    db.session.commit()
    with zipfile.ZipFile(io.BytesIO(open_data.network_zip(db.session))) as z:
        names = set(z.namelist())
        package = json.loads(z.read("datapackage.json"))
        sums = z.read("SHA256SUMS").decode()
        readme = z.read("README.txt").decode()
        pot_files = {n: z.read(n) for n in names if n.endswith((".pb", ".csv", ".json"))}
    folder = f"{inside.council.slug}/{inside.slug}/pot-{inside.pots[0].id}"
    small = f"{withheld.council.slug}/{withheld.slug}/pot-{withheld.pots[0].id}"
    assert names == {
        "README.txt",
        "SHA256SUMS",
        "datapackage.json",
        f"{folder}.pb",
        f"{folder}-projects.csv",
        f"{folder}-ballots.csv",
        f"{folder}.json",
        f"{small}.json",
    }
    assert {r["path"] for r in package["resources"]} == names - {
        "README.txt",
        "SHA256SUMS",
        "datapackage.json",
    }
    for resource in package["resources"]:
        data = pot_files[resource["path"]]
        assert resource["bytes"] == len(data)
        assert resource["hash"] == "sha256:" + sha256(data)
    assert all(f"{sha256(d)}  {n}" in sums for n, d in pot_files.items())
    assert "WITHHELD" in readme and "LICENCE" in readme
    # The council that left keeps its own pot's downloads.
    pot = open_data.published_pot(db.session, left.council, left.slug, left.pots[0].id)
    assert pot is not None and open_data.pot_files(db.session, pot).pb


def test_the_zip_is_built_once_until_something_it_shows_changes(db, monkeypatch):
    r = closed_round(phase=Phase.PUBLISHED)
    first = open_data.network_zip(db.session)
    fingerprint = open_data.network_fingerprint(db.session)
    built = []
    real = open_data.build_files

    def counting(data):
        built.append(data.pot_id)
        return real(data)

    with monkeypatch.context() as patched:
        patched.setattr(open_data, "build_files", counting)
        assert open_data.network_zip(db.session) is first  # the same bytes, not rebuilt
        assert built == []
        proposal = db.session.get(Proposal, r.pots[0].proposals[0].id)
        proposal.category = "Youth"
        db.session.commit()
        assert open_data.network_fingerprint(db.session) != fingerprint
        second = open_data.network_zip(db.session)
        assert built == [r.pots[0].id] and second != first
        # A round published later is added; the first pot is not built again.
        other = closed_round(phase=Phase.PUBLISHED)
        open_data.network_zip(db.session)
        assert built == [r.pots[0].id, other.pots[0].id]
    # The same data gives the same bytes, cache or not.
    open_data.clear_cache()
    again = open_data.network_zip(db.session)
    open_data.clear_cache()
    assert again == open_data.network_zip(db.session)


def test_the_council_s_choice_is_audited(db):
    from app.workflow.models import AuditEvent

    council = create_council()
    actor = officer(council)
    assert open_data.set_voter_details(db.session, council, chosen=True, actor=actor)
    assert not open_data.set_voter_details(db.session, council, chosen=True, actor=actor)
    [event] = db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.action == "council.open_data_changed")
    ).all()
    assert (event.before, event.after) == (
        {"open_data_voter_details": False},
        {"open_data_voter_details": True},
    )


def test_every_published_pot_of_the_demo_downloads_and_recounts(db):
    from app.demo import seed_demo
    from app.web.sessions import policy

    seed_demo(db.session, policy())
    db.session.commit()
    pots = open_data.published_pots(db.session, network_only=False)
    assert pots
    for pot in pots:
        files = open_data.pot_files(db.session, pot)
        document = json.loads(files.json)
        assert document["ballots"] == pot.result.ballot_count
        if pot.withheld:
            assert files.pb is None
            continue
        election = read(files.pb)
        meta = dict(election.meta)
        outcome = tally(election, meta["devolve_rule"], TieBreak(meta["tie_break"]))
        assert sorted(outcome.selected) == sorted(json.loads(pot.result.outcome_json)["selected"])
    with zipfile.ZipFile(io.BytesIO(open_data.network_zip(db.session))) as z:
        assert z.testzip() is None


def test_files_kept_in_a_folder_are_shared_and_tidied(db, tmp_path, monkeypatch):
    r = closed_round(phase=Phase.PUBLISHED)
    store = open_data.Store(tmp_path / "open-data")
    first = open_data.network_zip(db.session, store)
    kept = sorted(p.name for p in store.folder.iterdir())
    assert [n.split("-")[0] for n in kept] == ["network", "pot"]
    # Another process (here: this one, its memory emptied) reads them instead of building.
    open_data.clear_cache()
    monkeypatch.setattr(open_data, "build_files", lambda data: pytest.fail("built again"))
    assert open_data.network_zip(db.session, store) == first
    open_data.clear_cache()
    pot = open_data.published_pot(db.session, r.council, r.slug, r.pots[0].id)
    assert open_data.pot_files(db.session, pot, store).pb
    monkeypatch.undo()
    # Something shown changes: new files, the old ones removed.
    proposal = db.session.get(Proposal, r.pots[0].proposals[0].id)
    proposal.category = "Youth"
    db.session.commit()
    assert open_data.network_zip(db.session, store) != first
    now = sorted(p.name for p in store.folder.iterdir())
    assert len(now) == 2 and not set(now) & set(kept)


def test_a_folder_that_cannot_be_written_is_no_obstacle(db, tmp_path):
    closed_round(phase=Phase.PUBLISHED)
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    data = open_data.network_zip(db.session, open_data.Store(blocked))
    assert zipfile.ZipFile(io.BytesIO(data)).testzip() is None


def test_the_command_builds_the_network_s_files_ahead(app, db, runner, tmp_path):
    closed_round(phase=Phase.PUBLISHED)
    app.config["OPEN_DATA_DIR"] = str(tmp_path / "kept")
    out = tmp_path / "network.zip"
    result = runner.invoke(args=["open-data", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "1 pot" in result.output and str(tmp_path / "kept") in result.output
    assert zipfile.ZipFile(out).testzip() is None
    assert any(p.name.startswith("network-") for p in (tmp_path / "kept").iterdir())
