"""The trustee's key file, and ``python -m votes trustee …`` run as real subprocesses.

- ``store.save``/``store.load`` round-trip a state; the file has mode 0600; a wrong passphrase,
  a changed byte or a damaged file is refused with SecrecyError, and the passphrase never
  appears in the file.
- The whole rehearsal: three trustees register, make their parts of the key and check them; two
  mixes shuffle the pot, the second on the first's output; trustees 1 and 3 decrypt. The pot
  then has no problems at any step, and the decrypted ballots are the cast ballots (as
  multisets).
- Mistakes end with exit status 2 and one line on stderr, never a traceback: a wrong
  passphrase, no passphrase, a missing file, a file that is not JSON, an ``--out`` that already
  exists, and a key file that is not one of the ceremony's trustees.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.votes.secrecy.conftest import CONTEXT, PROJECTS, RULES, approval_ballots, encrypt_all
from votes.secrecy import bundle, decryption, encoding, keys, store
from votes.secrecy import group as g

PASSPHRASE = "correct horse battery staple"
ENV = "DEVOLVE_TRUSTEE_PASSPHRASE"


def environment(passphrase: str | None = PASSPHRASE) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != ENV}
    if passphrase is not None:
        env[ENV] = passphrase
    return env


def command(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "votes", "trustee", *map(str, args)]


def run(*args: str | Path, passphrase: str | None = PASSPHRASE) -> subprocess.CompletedProcess:
    return subprocess.run(
        command(*args),
        cwd=ROOT,
        env=environment(passphrase),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


def run_together(*calls: tuple) -> list[subprocess.CompletedProcess]:
    """Runs several trustee commands at once (each trustee works on their own machine)."""
    processes = [
        subprocess.Popen(
            command(*call),
            cwd=ROOT,
            env=environment(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for call in calls
    ]
    done = []
    for call, process in zip(calls, processes, strict=True):
        stdout, stderr = process.communicate(timeout=120)
        done.append(subprocess.CompletedProcess(call, process.returncode, stdout, stderr))
    return done


def ok(done: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return done


def refused(done: subprocess.CompletedProcess, text: str) -> None:
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1 and done.stderr.endswith("\n"), done.stderr
    assert text in done.stderr, done.stderr


def read(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def write(path: Path, document) -> Path:
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


# The key file.


def test_key_file_round_trip_and_mode(tmp_path: Path) -> None:
    state = keys.new_trustee("Auditor")
    state["ceremonies"]["ab" * 32] = {"index": 2, "share": g.scalar_hex(12345)}
    path = tmp_path / "auditor.key"
    store.save(path, state, PASSPHRASE, strength="interactive")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert store.load(path, PASSPHRASE) == state
    text = path.read_text()
    assert PASSPHRASE not in text and state["transport_secret"] not in text
    assert json.loads(text)["format"] == store.FORMAT
    assert [p.name for p in tmp_path.iterdir()] == ["auditor.key"]  # no temporary left behind
    # Saving again replaces the file, still 0600, with a fresh salt.
    store.save(path, state, PASSPHRASE, strength="interactive")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text())["salt"] != json.loads(text)["salt"]


def test_key_file_wrong_passphrase_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "k.key"
    store.save(path, keys.new_trustee("A"), PASSPHRASE, strength="interactive")
    with pytest.raises(g.SecrecyError, match="passphrase is wrong"):
        store.load(path, PASSPHRASE + "!")


def test_key_file_short_passphrase_is_refused(tmp_path: Path) -> None:
    with pytest.raises(g.SecrecyError, match="at least 8"):
        store.save(tmp_path / "k.key", keys.new_trustee("A"), "short", strength="interactive")
    assert not (tmp_path / "k.key").exists()


def _damage(document: dict, how: str) -> dict | str:
    if how == "a byte of the sealed state":
        sealed = bytearray(bytes.fromhex(document["sealed"]))
        sealed[len(sealed) // 2] ^= 1
        document["sealed"] = sealed.hex()
    elif how == "a byte of the salt":
        salt = bytearray(bytes.fromhex(document["salt"]))
        salt[0] ^= 1
        document["salt"] = salt.hex()
    elif how == "the sealed state cut short":
        document["sealed"] = document["sealed"][:40]
    elif how == "the sealed state not hex":
        document["sealed"] = "not hex"
    elif how == "no salt":
        del document["salt"]
    elif how == "an unknown strength":
        document["opslimit"] = 1
    elif how == "another format":
        document["format"] = "devolve-trustee-key/v0"
    elif how == "not JSON":
        return "{ this is not json"
    elif how == "a list":
        return "[]"
    return document


@pytest.mark.parametrize(
    "how",
    [
        "a byte of the sealed state",
        "a byte of the salt",
        "the sealed state cut short",
        "the sealed state not hex",
        "no salt",
        "an unknown strength",
        "another format",
        "not JSON",
        "a list",
    ],
)
def test_a_damaged_key_file_is_refused(tmp_path: Path, how: str) -> None:
    path = tmp_path / "k.key"
    store.save(path, keys.new_trustee("A"), PASSPHRASE, strength="interactive")
    damaged = _damage(json.loads(path.read_text()), how)
    path.write_text(damaged if isinstance(damaged, str) else json.dumps(damaged))
    with pytest.raises(g.SecrecyError, match=str(path)):
        store.load(path, PASSPHRASE)


def test_an_unknown_strength_is_named(tmp_path: Path) -> None:
    path = tmp_path / "k.key"
    store.save(path, keys.new_trustee("A"), PASSPHRASE, strength="interactive")
    document = json.loads(path.read_text())
    document["opslimit"] = 1
    path.write_text(json.dumps(document))
    with pytest.raises(g.SecrecyError, match="unknown key-file strength"):
        store.load(path, PASSPHRASE)


def test_a_missing_key_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(g.SecrecyError, match="not a trustee key file"):
        store.load(tmp_path / "nothing.key", PASSPHRASE)


# The rehearsal.


def test_full_rehearsal_through_the_command_line(tmp_path: Path) -> None:
    names = ("Returning officer", "Auditor", "Community rep")
    key_files = [tmp_path / f"trustee-{i}.key" for i in (1, 2, 3)]
    registrations = [tmp_path / f"registration-{i}.json" for i in (1, 2, 3)]
    for done in run_together(
        *(
            ("register", "--name", n, k, "--out", r)
            for n, k, r in zip(names, key_files, registrations, strict=True)
        )
    ):
        assert "Upload" in ok(done).stdout
    for path in key_files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    registered = [read(r) for r in registrations]
    assert [r["name"] for r in registered] == list(names)
    ceremony_file = write(
        tmp_path / "ceremony.json", keys.make_ceremony("lambeth/12", 2, registered)
    )
    ceremony = read(ceremony_file)

    parts = [tmp_path / f"part-{i}.json" for i in (1, 2, 3)]
    for i, done in enumerate(
        run_together(
            *(
                ("keygen", k, ceremony_file, "--out", p)
                for k, p in zip(key_files, parts, strict=True)
            )
        ),
        start=1,
    ):
        assert f"as trustee {i}" in ok(done).stdout
    uploads = [read(p) for p in parts]
    assert [keys.keygen_problem(ceremony, u) for u in uploads] == [None] * 3
    parts_file = write(tmp_path / "parts.json", uploads)

    checks = [tmp_path / f"check-{i}.json" for i in (1, 2, 3)]
    for done in run_together(
        *(
            ("check", k, ceremony_file, parts_file, "--out", c)
            for k, c in zip(key_files, checks, strict=True)
        )
    ):
        assert "Every share checks out" in ok(done).stdout
    results = [read(c) for c in checks]
    document = keys.key_document(ceremony, uploads, results)
    key, verification_keys, threshold = keys.read_key_document(document)
    assert threshold == 2 and set(verification_keys) == {1, 2, 3}
    assert stat.S_IMODE(key_files[0].stat().st_mode) == 0o600  # rewritten with the share

    challenge = write(
        tmp_path / "challenge.json",
        {
            "format": "devolve-still-held-challenge/v1",
            "ceremony": document["ceremony_hash"],
            "challenge": "fresh-0001",
        },
    )
    ok(run("still-held", key_files[1], challenge, "--out", tmp_path / "held.json"))
    held = read(tmp_path / "held.json")
    assert keys.held_ok(held, document["ceremony_hash"], "fresh-0001", verification_keys[2], 2)

    ballots = approval_ballots(8)
    ciphertexts = encrypt_all(ballots, key)
    vectors = [c.pairs for _, c in ciphertexts]
    mixes = []
    current = vectors
    for number in (1, 2):
        task = write(
            tmp_path / f"mix-task-{number}.json", bundle.mix_task(CONTEXT, key, number, current)
        )
        out = tmp_path / f"mix-{number}.json"
        assert (
            f"Shuffled 8 ballots (mix {number})"
            in ok(run("mix", task, "--out", out, "--workers", "1")).stdout
        )
        outputs, proof = bundle.read_mix_result(read(out), CONTEXT, number, width=1)
        mixes.append((outputs, proof))
        current = outputs
    assert current != vectors

    task = write(
        tmp_path / "decryption-task.json",
        bundle.decryption_task(document["ceremony_hash"], CONTEXT, current),
    )
    outs = {j: tmp_path / f"decryption-{j}.json" for j in (1, 3)}
    for done in run_together(
        *(("decrypt", key_files[j - 1], task, "--out", outs[j], "--workers", "1") for j in (1, 3))
    ):
        ok(done)
    decryptions = {}
    for j, out in outs.items():
        trustee, shares = bundle.read_decryption_result(
            read(out), document["ceremony_hash"], CONTEXT, width=1
        )
        assert trustee == j
        decryptions[j] = shares

    plain = decryption.combine(current, decryptions)
    decrypted = [encoding.from_points(m, RULES, PROJECTS) for m in plain]
    assert Counter(decrypted) == Counter(ballots)
    arguments = {
        "key": key,
        "verification_keys": verification_keys,
        "threshold": threshold,
        "context": CONTEXT,
        "ciphertexts": ciphertexts,
        "mixes": mixes,
        "decryptions": decryptions,
        "rules": RULES,
        "project_ids": PROJECTS,
    }
    assert bundle.pot_problems(ballots=decrypted, **arguments) == []
    # The ballots in cast order are not the ballots in the mixes' order.
    if decrypted != ballots:
        assert bundle.pot_problems(ballots=ballots, **arguments) != []


# Mistakes: exit status 2 and one line.


@pytest.fixture
def small_ceremony(tmp_path: Path):
    """A ceremony file and a key file of one of its trustees (quick to open)."""
    states = [keys.new_trustee(n) for n in ("A", "B")]
    ceremony = keys.make_ceremony(
        "lambeth/99",
        2,
        [{"name": s["name"], "transport_key": keys.transport_key(s)} for s in states],
    )
    key_file = tmp_path / "a.key"
    store.save(key_file, states[0], PASSPHRASE, strength="interactive")
    return write(tmp_path / "ceremony.json", ceremony), key_file


def test_wrong_passphrase(tmp_path: Path, small_ceremony) -> None:
    ceremony, key_file = small_ceremony
    done = run(
        "keygen",
        key_file,
        ceremony,
        "--out",
        tmp_path / "part.json",
        passphrase="not the passphrase",
    )
    refused(done, "the passphrase is wrong")
    assert not (tmp_path / "part.json").exists()


def test_no_passphrase(tmp_path: Path, small_ceremony) -> None:
    ceremony, key_file = small_ceremony
    done = run("keygen", key_file, ceremony, "--out", tmp_path / "part.json", passphrase=None)
    refused(done, f"no passphrase: run at a terminal, or set {ENV}")


def test_missing_files(tmp_path: Path, small_ceremony) -> None:
    ceremony, key_file = small_ceremony
    refused(
        run("keygen", key_file, tmp_path / "absent.json", "--out", tmp_path / "p.json"),
        "absent.json",
    )
    refused(
        run("keygen", tmp_path / "absent.key", ceremony, "--out", tmp_path / "p.json"), "absent.key"
    )
    refused(run("mix", tmp_path / "absent-task.json", "--out", tmp_path / "m.json"), "cannot open")
    assert not (tmp_path / "p.json").exists() and not (tmp_path / "m.json").exists()


def test_a_file_that_is_not_json(tmp_path: Path, small_ceremony) -> None:
    _, key_file = small_ceremony
    bad = tmp_path / "ceremony.txt"
    bad.write_text("round: lambeth/12\n")
    refused(run("keygen", key_file, bad, "--out", tmp_path / "p.json"), "not JSON")
    refused(run("mix", bad, "--out", tmp_path / "m.json"), "not JSON")


def test_an_out_that_exists(tmp_path: Path, small_ceremony) -> None:
    ceremony, key_file = small_ceremony
    existing = tmp_path / "existing.json"
    existing.write_text("keep me\n")
    refused(run("register", "--name", "C", tmp_path / "c.key", "--out", existing), "already exists")
    assert not (tmp_path / "c.key").exists()
    refused(
        run("register", "--name", "C", key_file, "--out", tmp_path / "r.json"), "already exists"
    )
    refused(run("keygen", key_file, ceremony, "--out", existing), "already exists")
    assert existing.read_text() == "keep me\n"
    # The refused keygen left the key file as it was: it can still make its part.
    state = store.load(key_file, PASSPHRASE)
    assert state["ceremonies"] == {}


def test_a_key_file_not_of_the_ceremony(tmp_path: Path, small_ceremony) -> None:
    ceremony, _ = small_ceremony
    outsider = tmp_path / "outsider.key"
    store.save(outsider, keys.new_trustee("Outsider"), PASSPHRASE, strength="interactive")
    refused(
        run("keygen", outsider, ceremony, "--out", tmp_path / "p.json"),
        "this key file is not one of the ceremony's trustees",
    )
    task = write(
        tmp_path / "task.json",
        bundle.decryption_task(keys.ceremony_hash(read(ceremony)), CONTEXT, []),
    )
    refused(run("decrypt", outsider, task, "--out", tmp_path / "d.json"), "holds no share")
    assert not (tmp_path / "p.json").exists() and not (tmp_path / "d.json").exists()


def test_a_parts_file_of_the_wrong_shape(tmp_path: Path) -> None:
    states = [keys.new_trustee(n) for n in ("A", "B")]
    ceremony = keys.make_ceremony(
        "lambeth/98",
        2,
        [{"name": s["name"], "transport_key": keys.transport_key(s)} for s in states],
    )
    keys.keygen(states[0], ceremony)
    key_file = tmp_path / "a.key"
    store.save(key_file, states[0], PASSPHRASE, strength="interactive")
    ceremony_file = write(tmp_path / "ceremony.json", ceremony)
    parts = write(tmp_path / "parts.json", [1, 2])
    refused(run("check", key_file, ceremony_file, parts, "--out", tmp_path / "c.json"), "trustee")
