"""``votes`` installs on its own (pyproject.toml): the wheel holds only the ``votes`` package
and its compiled language catalogues, needs only numpy and PyNaCl, and verifies a real Devolve
export (its Welsh explanations too) from another directory with nothing but that wheel (and
numpy and PyNaCl) importable.

The wheel is built offline (``pip wheel --no-build-isolation``) with the interpreter named by
$BUILD_PYTHON, else this one; that needs setuptools 70.1 or later, or the ``wheel`` package.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from app.workflow.models import Phase
from ballots import box
from tests.app.closed_round import closed_round
from tests.conftest import ROOT, require_or_skip

CAN_BUILD = (
    "import importlib.util, sys, setuptools; "
    "new = tuple(int(x) for x in setuptools.__version__.split('.')[:2]) >= (70, 1); "
    "sys.exit(0 if new or importlib.util.find_spec('wheel') else 1)"
)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    python = os.environ.get("BUILD_PYTHON") or sys.executable
    able = subprocess.run([python, "-c", CAN_BUILD], capture_output=True, timeout=60)
    require_or_skip(
        able.returncode == 0,
        f"an interpreter that builds wheels offline ({python}: setuptools>=70.1 or wheel; "
        "BUILD_PYTHON)",
        "REQUIRE_WHEEL_BUILD",
    )
    # Built from a copy: setuptools writes build/ and *.egg-info next to pyproject.toml. The
    # catalogues are compiled there, as `make translations` does, from the .po files alone.
    src = tmp_path_factory.mktemp("src")
    shutil.copy(ROOT / "pyproject.toml", src)
    shutil.copytree(
        ROOT / "votes", src / "votes", ignore=shutil.ignore_patterns("__pycache__", "*.mo")
    )
    for po in (src / "votes/locale").glob("*/LC_MESSAGES/votes.po"):
        buffer = BytesIO()
        with po.open("rb") as f:
            write_mo(buffer, read_po(f, locale=po.parent.parent.name, domain="votes"))
        po.with_suffix(".mo").write_bytes(buffer.getvalue())
    dist = tmp_path_factory.mktemp("dist")
    done = subprocess.run(
        [python, "-m", "pip", "wheel", str(src), "--no-deps", "--no-build-isolation"]
        + ["--no-index", "-q", "-w", str(dist)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    [built] = dist.glob("devolve_votes-*.whl")
    return built


def test_the_wheel_holds_votes_alone_and_requires_numpy_and_pynacl(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    meta = [n for n in names if n.split("/")[0].endswith(".dist-info")]
    package = [n for n in names if n not in meta]
    assert package and all(n.startswith("votes/") for n in package)
    assert {"votes/__main__.py", "votes/verify.py", "votes/reference.py"} <= set(package)
    assert {"votes/rules/mes/__init__.py", "votes/rules/mes/engine.py"} <= set(package)
    assert {"votes/secrecy/shuffle.py", "votes/secrecy/cli.py"} <= set(package)
    catalogues = {n for n in package if n.startswith("votes/locale/")}
    assert "votes/locale/cy/LC_MESSAGES/votes.mo" in catalogues
    assert all(n.endswith("/LC_MESSAGES/votes.mo") for n in catalogues)
    assert all(n.endswith(".py") for n in set(package) - catalogues if n != "votes/README.md")
    metadata = zipfile.ZipFile(wheel).read(next(n for n in meta if n.endswith("METADATA")))
    requires = [
        line for line in metadata.decode().splitlines() if line.startswith("Requires-Dist:")
    ]
    assert requires == ["Requires-Dist: numpy", "Requires-Dist: PyNaCl>=1.5"]


def test_the_installed_package_verifies_an_export_from_anywhere(wheel, runner, db, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)  # a pure-Python wheel, unpacked, is installed
    funding_round = closed_round(kind="ranked", phase=Phase.PUBLISHED)
    out = tmp_path / "exports"
    result = runner.invoke(args=["export", str(funding_round.id), "--out", str(out)])
    assert result.exit_code == 0, result.output
    [export] = list(out.iterdir())
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"PYTHONPATH": str(site)}

    def python(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, *args],
            cwd=elsewhere,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    where = python("-c", "import votes; print(votes.__file__)")
    assert Path(where.stdout.strip()).is_relative_to(site), where.stderr
    assert python("-c", "import app").returncode != 0  # the web app is not there
    head = box.log_head(db.session, funding_round.id).entry_hash
    fingerprints = ("--manifest-hash", funding_round.manifest_hash, "--log-head", head)
    done = python("-m", "votes", "verify", str(export), *fingerprints)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1].endswith(
        "verified: the published result is reproduced, from the files the council sealed."
    )
    # The Welsh explanations were written again from the wheel's own catalogue, and agree.
    assert "OK: the explanations in Cymraeg (cy) are the recount's" in done.stdout
    # And it still refuses a tampered export from there.
    data = bytearray(export.read_bytes())
    data[len(data) // 2] ^= 0xFF
    (elsewhere / "tampered.zip").write_bytes(bytes(data))
    bad = python("-m", "votes", "verify", "tampered.zip")
    assert bad.returncode == 1 and "NOT verified" in bad.stdout
    assert "Traceback" not in bad.stderr
