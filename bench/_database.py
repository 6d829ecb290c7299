"""What the benchmarks share: the database they build in (``DATABASE_URL``, an empty
PostgreSQL database, or else a SQLite file in a temporary folder) and the app on it."""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path


def database() -> tuple[str, tempfile.TemporaryDirectory | None]:
    """The database's URL, and the temporary folder holding it (None for ``DATABASE_URL``):
    keep the folder until the benchmark ends."""
    from config import database_url

    url = os.environ.get("DATABASE_URL")
    if url:
        return database_url(url), None
    folder = tempfile.TemporaryDirectory()
    return f"sqlite:///{Path(folder.name) / 'bench.sqlite3'}", folder


def bench_app(url: str, **settings):
    """The app on ``url`` as the tests configure it, without rate limits (and ``settings``)."""
    from app import create_app
    from config import TestingConfig

    values = {"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False, **settings}
    return create_app(type("BenchConfig", (TestingConfig,), values))


def migrated(app) -> None:
    """Bring the app's database to the newest migration, quietly (inside its app context)."""
    from flask_migrate import upgrade

    logging.disable(logging.INFO)  # the migrations' progress
    upgrade()
    logging.disable(logging.NOTSET)


def ballot_entry(
    round_id: int, sequence: int, ballot_id: str, pot_id: int, content: str, previous: str
) -> dict:
    """The ballot log's row for a ballot bulk-inserted by a benchmark: hashed and chained to
    ``previous`` (the entry hash before it) as ``ballots.box`` does."""
    from ballots import box
    from ballots.models import LogKind

    payload = box.ballot_hash(ballot_id, pot_id, content)
    return {
        "round_id": round_id,
        "sequence": sequence,
        "kind": LogKind.BALLOT,
        "ballot_id": ballot_id,
        "payload_hash": payload,
        "previous_hash": previous,
        "entry_hash": box.entry_hash(round_id, sequence, LogKind.BALLOT.value, payload, previous),
    }
