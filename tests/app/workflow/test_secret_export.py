"""An encrypted round's auditor export (docs/secrecy.md, "The export"): it carries the key, the
ciphertexts, every mix and every trustee's decryption, and the decrypted ballots, and
``votes verify`` checks each proof and recounts. Each part tampered with, SHA256SUMS rewritten
so the checksums do not mask it, is caught by the step that checks it, and the problem says
which step."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from app.workflow import results, secrecy
from app.workflow.exports import export_pot
from ballots import box
from tests.app import secret_round as sr
from votes.verify import canonical_json, sha256, verify_zip

ROOT = Path(__file__).resolve().parents[3]

# Two real encrypted rounds' exports, made once for the module: the checks below read only the
# bytes (the second round is where a forger copies proofs from).
_MADE: dict[str, object] = {}


@pytest.fixture
def exports(db) -> dict[str, object]:
    if not _MADE:
        made = sr.secret_round()
        other = sr.secret_round()
        for m, name in ((made, "a"), (other, "b")):
            pot_id = m.funding_round.pots[0].id
            _MADE[name] = export_pot(db.session, m.funding_round, pot_id)
            _MADE[f"{name}-pot"] = pot_id
        _MADE["published"] = {
            "manifest_hash": made.funding_round.manifest_hash,
            "log_head": box.log_head(db.session, made.funding_round.id).entry_hash,
        }
    return _MADE


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n) for n in z.namelist()}


def rezip(files: dict[str, bytes]) -> bytes:
    """The files as an export, SHA256SUMS rewritten to match them."""
    files = {n: d for n, d in files.items() if n != "SHA256SUMS"}
    files["SHA256SUMS"] = "".join(f"{sha256(d)}  {n}\n" for n, d in sorted(files.items())).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name in sorted(files):
            z.writestr(name, files[name])
    return buffer.getvalue()


def tampered(data: bytes, change: Callable[[dict[str, bytes]], None]) -> bytes:
    files = unzip(data)
    change(files)
    return rezip(files)


def load(files: dict[str, bytes], name: str):
    return json.loads(files[name])


def dump(files: dict[str, bytes], name: str, value) -> None:
    files[name] = json.dumps(value).encode()


def problems(data: bytes) -> list[str]:
    report = verify_zip(data, workers=1)
    assert not report.ok
    return report.problems


def test_the_export_carries_the_key_mixes_decryptions_and_ballots_and_verifies(db, exports):
    data, pot = exports["a"], exports["a-pot"]
    files = unzip(data)
    folder = f"secrecy/pot-{pot}"
    assert sorted(n for n in files if n.startswith("secrecy/")) == [
        "secrecy/key.json",
        f"{folder}/ballots.json",
        f"{folder}/decryption-1.json",
        f"{folder}/decryption-3.json",
        f"{folder}/mix-1.json",
        f"{folder}/mix-2.json",
    ]
    manifest = load(files, "manifest.json")
    assert load(files, "secrecy/key.json") == manifest["secrecy"]["key"]
    listed = {line.split("  ")[1] for line in files["SHA256SUMS"].decode().splitlines()}
    assert {n for n in files if n.startswith("secrecy/")} <= listed
    # ballots.json holds the ciphertexts the log commits to; the plaintexts are apart from
    # them, in the last mix's order, with nothing linking the two.
    stored = load(files, "ballots.json")
    assert len(stored) == 12 and all(
        set(json.loads(b["content"])) == {"pairs", "proof"} for b in stored
    )
    plain = load(files, f"{folder}/ballots.json")
    assert len(plain) == 12 and all(set(b) == {"choices", "points"} for b in plain)
    assert files[f"{folder}/ballots.json"].decode() == canonical_json(plain)
    assert "SECRET BALLOT" in files["README.txt"].decode()
    pb = files["election.pb"].decode()
    assert pb.count("\n", pb.index("VOTES")) - 2 == 12

    report = verify_zip(data, workers=1, **exports["published"])
    assert report.ok, report.problems
    text = "\n".join(report.checked)
    for step in ("step 1 (the key)", "step 2 (the ciphertexts)", "step 3 (the mixes)"):
        assert step in text
    assert "step 4 (the decryptions): trustees 1, 3 decrypted" in text
    assert "step 5 (the plaintexts): the last mix decrypts to exactly the 12 ballots" in text
    assert "step 6 (the recount): recount with greedy" in text
    assert "the ballots were encrypted" in text and "2 mixes" in text
    # The default, a worker per CPU, gives the same report.
    assert verify_zip(data).checked == verify_zip(data, workers=1).checked


def test_flask_export_then_python_m_votes_verify(db, runner, tmp_path):
    made = sr.secret_round()
    out = tmp_path / "out"
    result = runner.invoke(args=["export", str(made.funding_round.id), "--out", str(out)])
    assert result.exit_code == 0, result.output
    [export] = list(out.iterdir())
    # The same round exported again is the same bytes.
    pot_id = made.funding_round.pots[0].id
    assert export_pot(db.session, made.funding_round, pot_id) == export.read_bytes()
    head = box.log_head(db.session, made.funding_round.id).entry_hash
    done = subprocess.run(
        [sys.executable, "-m", "votes", "verify", str(export)]
        + ["--manifest-hash", made.funding_round.manifest_hash, "--log-head", head],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (
        "OK: the ballots were encrypted: the key, the 12 ciphertexts, 2 mixes and the "
        "decryptions of trustees 1, 3 were checked" in done.stdout
    )
    assert "from the files the council sealed" in done.stdout.splitlines()[-1]
    # A changed plaintext, from the command line: named, exit 1, no traceback.
    folder = f"secrecy/pot-{made.funding_round.pots[0].id}"

    def change(files):
        plain = load(files, f"{folder}/ballots.json")
        plain[0], plain[-1] = plain[-1], plain[0]
        if plain[0] == plain[-1]:
            plain[0] = {"choices": [], "points": []}
        dump(files, f"{folder}/ballots.json", plain)

    bad = tmp_path / "bad.zip"
    bad.write_bytes(tampered(export.read_bytes(), change))
    done = subprocess.run(
        [sys.executable, "-m", "votes", "verify", str(bad)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1 and "PROBLEM: step 5 (the plaintexts)" in done.stdout
    assert "Traceback" not in done.stderr


def test_a_changed_ciphertext_is_caught_by_step_2_and_the_log(exports):
    def change(files):
        ballots = load(files, "ballots.json")
        a, b = json.loads(ballots[0]["content"]), json.loads(ballots[1]["content"])
        a["pairs"][0][0] = b["pairs"][0][0]  # another valid point
        ballots[0]["content"] = canonical_json(a)
        dump(files, "ballots.json", ballots)

    found = problems(tampered(exports["a"], change))
    assert any(p.startswith("step 2 (the ciphertexts): ballot ") for p in found), found
    assert any("does not match the log (the ballot was changed)" in p for p in found), found


def _pot_file(exports, name: str) -> str:
    return f"secrecy/pot-{exports['a-pot']}/{name}"


def test_one_ballot_replaced_in_a_mix_output_is_caught_by_step_3(exports):
    mix2 = _pot_file(exports, "mix-2.json")

    def change(files):
        mix = load(files, mix2)
        mix["outputs"][0] = load(files, _pot_file(exports, "mix-1.json"))["outputs"][0]
        dump(files, mix2, mix)

    found = problems(tampered(exports["a"], change))
    assert any(p.startswith("step 3 (mix 2): ") for p in found), found


def test_a_missing_mix_is_caught_by_step_3(exports):
    def change(files):
        del files[_pot_file(exports, "mix-2.json")]

    found = problems(tampered(exports["a"], change))
    assert any(p.startswith("step 3 (mix 2): ") and "missing" in p for p in found), found

    def first(files):
        del files[_pot_file(exports, "mix-1.json")]

    found = problems(tampered(exports["a"], first))
    assert any(p.startswith("step 3 (mix 1): ") and "missing" in p for p in found), found


def test_a_wrong_partial_decryption_is_caught_by_step_4(exports):
    name = _pot_file(exports, "decryption-1.json")

    def change(files):
        document = load(files, name)
        document["shares"][2]["factors"][0] = document["shares"][3]["factors"][0]
        dump(files, name, document)

    found = problems(tampered(exports["a"], change))
    assert any(p.startswith("step 4 (trustee 1's decryption): ") for p in found), found


def test_fewer_decryptions_than_the_threshold_are_caught_by_step_4(exports):
    def change(files):
        del files[_pot_file(exports, "decryption-3.json")]

    found = problems(tampered(exports["a"], change))
    assert "step 4 (the decryptions): 1 trustee decrypted the pot; the key needs 2" in found


def test_a_changed_plaintext_is_caught_by_step_5(exports):
    name = _pot_file(exports, "ballots.json")

    def change(files):
        plain = load(files, name)
        other = next(b for b in plain if b != plain[0])
        plain[0] = other
        dump(files, name, plain)

    found = problems(tampered(exports["a"], change))
    assert any(
        p.startswith("step 5 (the plaintexts): ballot 1 of the last mix decrypts to another")
        for p in found
    ), found


def test_a_key_json_other_than_the_manifests_is_caught_by_step_1(exports):
    def change(files):
        files["secrecy/key.json"] = unzip(exports["b"])["secrecy/key.json"]

    found = problems(tampered(exports["a"], change))
    assert "step 1 (the key): secrecy/key.json is not the key frozen in manifest.json" in found

    def missing(files):
        del files["secrecy/key.json"]

    found = problems(tampered(exports["a"], missing))
    assert "step 1 (the key): secrecy/key.json is missing from the export" in found


@pytest.mark.parametrize("rewrite_context", [False, True], ids=["as-is", "context-rewritten"])
def test_a_proof_copied_from_another_round_is_caught(exports, rewrite_context):
    """A mix or decryption from a second encrypted round: its context names the other
    round; rewritten to name this one, its proofs still fail, bound to the other manifest."""
    other = unzip(exports["b"])
    mine = unzip(exports["a"])
    theirs = f"secrecy/pot-{exports['b-pot']}"
    for file, step in (("mix-2.json", "step 3 (mix 2): "), ("decryption-1.json", "step 4 (")):
        copied = json.loads(other[f"{theirs}/{file}"])
        if rewrite_context:
            original = json.loads(mine[_pot_file(exports, file)])
            copied["context"] = original["context"]
            if "ceremony" in original:
                copied["ceremony"] = original["ceremony"]

        def change(files, file=file, copied=copied):
            dump(files, _pot_file(exports, file), copied)

        found = problems(tampered(exports["a"], change))
        assert any(p.startswith(step) for p in found), (file, found)


@pytest.mark.parametrize(
    "name, content, step",
    [
        ("mix-2.json", b"{not json", "step 3 (mix 2): "),
        ("mix-2.json", b'{"format": "devolve-mix/v1"}', "step 3 (mix 2): "),
        ("decryption-3.json", b"[1, 2]", "step 4 (trustee 3's decryption): "),
        ("ballots.json", b'[{"choices": "x"}]', "step 5 (the plaintexts): "),
        ("ballots.json", None, "step 5 (the plaintexts): "),
    ],
)
def test_malformed_secrecy_files_are_reported_not_raised(exports, name, content, step):
    def change(files):
        if content is None:
            del files[_pot_file(exports, name)]
        else:
            files[_pot_file(exports, name)] = content

    found = problems(tampered(exports["a"], change))
    assert any(p.startswith(step) for p in found), found
    if name == "ballots.json":
        assert "step 6 (the recount): cannot recount without the decrypted ballots" in found


def test_a_manifest_key_that_does_not_hold_is_caught_by_step_1(exports):
    def change(files):
        manifest = load(files, "manifest.json")
        manifest["secrecy"]["key"]["threshold"] = 1
        dump(files, "manifest.json", manifest)

    found = problems(tampered(exports["a"], change))
    assert any(p.startswith("step 1 (the key): ") for p in found), found


def test_a_pot_with_no_ballots_has_no_mixes_and_verifies(db):
    made = sr.make_key()
    sr.open_voting(made)
    sr.close(made)
    funding_round = made.funding_round
    pot = funding_round.pots[0]
    assert secrecy.is_encrypted(funding_round)
    # Nothing to decrypt, so the count is the one `flask tally` runs.
    results.tally_round(db.session, funding_round, sr.NOW)
    db.session.commit()
    data = export_pot(db.session, funding_round, pot.id)
    files = unzip(data)
    assert [n for n in files if n.startswith("secrecy/pot-")] == [
        f"secrecy/pot-{pot.id}/ballots.json"
    ]
    assert files[f"secrecy/pot-{pot.id}/ballots.json"] == b"[]"
    report = verify_zip(data, workers=1)
    assert report.ok, report.problems
    assert any("step 2 (the ciphertexts): the pot's 0 counted ballots" in c for c in report.checked)
    assert any("step 6 (the recount)" in c for c in report.checked)


def test_a_plain_round_export_has_no_secrecy_folder(db):
    from tests.app.closed_round import closed_round

    funding_round = closed_round(kind="approval", ballots=12)
    files = unzip(export_pot(db.session, funding_round, funding_round.pots[0].id))
    assert not any(n.startswith("secrecy/") for n in files)
    assert "SECRET BALLOT" not in files["README.txt"].decode()
