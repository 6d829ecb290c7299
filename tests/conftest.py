"""Settings shared by every test folder."""

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def pabulib_dir() -> Path:
    """Where the shared pabulib elections live: $PABULIB_DIR, else ../shared/pabulib."""
    return Path(os.environ.get("PABULIB_DIR") or ROOT.parent / "shared" / "pabulib")


def require_or_skip(available: bool, what: str, env: str) -> None:
    """Skip with a reason when something optional is missing, unless $env=1 makes it required.

    CI sets the REQUIRE_* variables so that a missing dependency fails the run instead of
    quietly skipping the tests that need it.
    """
    if available:
        return
    if os.environ.get(env) == "1":
        pytest.fail(f"{what} is required ({env}=1) but missing", pytrace=False)
    pytest.skip(f"{what} is missing; set {env}=1 to make this a failure")
