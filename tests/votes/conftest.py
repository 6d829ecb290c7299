"""Fixtures for the counting library: the shared pabulib elections and their reference outcomes."""

import json
from pathlib import Path

import pytest

from tests.conftest import pabulib_dir, require_or_skip

FIXTURES = Path(__file__).parent / "fixtures"


def pabulib_files() -> list[str]:
    """Names of the .pb files in the pabulib folder, for parametrizing (empty when absent)."""
    d = pabulib_dir()
    return sorted(p.name for p in d.glob("*.pb")) if d.is_dir() else []


def vote_type(name: str) -> str | None:
    """A shared file's vote_type from its META section, without parsing the whole file."""
    with (pabulib_dir() / name).open(encoding="utf-8-sig") as f:
        for line in f:
            key, _, value = line.strip().partition(";")
            if key == "vote_type":
                return value.strip()
            if line.strip() == "PROJECTS":
                return None
    return None


@pytest.fixture(scope="session")
def pabulib() -> Path:
    """The pabulib folder; skips (or fails under REQUIRE_PABULIB=1) when it is absent."""
    d = pabulib_dir()
    require_or_skip(
        (d / "reference.json").is_file(),
        f"pabulib elections in {d} (PABULIB_DIR)",
        "REQUIRE_PABULIB",
    )
    return d


@pytest.fixture(scope="session")
def reference(pabulib: Path) -> dict:
    """reference.json keyed by file name: {file: instance record with 'results'}."""
    data = json.loads((pabulib / "reference.json").read_text(encoding="utf-8"))
    return {inst["file"]: inst for inst in data["instances"]}
