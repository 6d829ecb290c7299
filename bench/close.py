"""Time closing, exporting and verifying one pot of 250,000 ballots.

Builds a round in voting whose one pot holds ``--ballots`` approval ballots (30 projects, 1 to
5 choices each, the popular projects chosen more often; a few ballots replaced), written in
bulk with SQL as casting writes them (``tests/ballots/bulk.py``). Then each step runs in a
process of its own, timed, with that process's peak resident memory (its RSS high-water mark,
from ``os.wait4``):

- close: the officers' phase change to closed, which seals the ballot log and counts every
  pot in one transaction (``app.workflow.rounds.change_phase``);
- check: the officer's page before publishing, which counts again to find ties
  (``app.workflow.publication.check_round``);
- tally: ``flask tally``, which counts again and compares with the stored result;
- export: the auditor export as ``flask export`` writes it;
- verify: ``python -m votes verify`` on that export.

PostgreSQL when DATABASE_URL is set (in a database of its own, ``<name>_bench_close``,
dropped at the end), SQLite in a temporary file otherwise. Targets: close, export and verify
each under 30 s and 1 GB.

    .venv/bin/python bench/close.py                      # 250,000 ballots, SQLite
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python bench/close.py
    .venv/bin/python bench/close.py --ballots 50000 --rule greedy
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_SECONDS = 30.0
TARGET_BYTES = 1 << 30
TARGETS = ("close", "export", "verify")
PROJECTS = 30


def _app(url: str):
    from app import create_app
    from config import TestingConfig

    config = type("BenchConfig", (TestingConfig,), {"SQLALCHEMY_DATABASE_URI": url})
    return create_app(config)


def _now():
    from datetime import UTC, datetime

    return datetime(2026, 6, 1, 12, tzinfo=UTC)


# --- The steps, each run in a child process ----------------------------------------------------


def step_migrate(url: str, _args) -> str:
    from flask_migrate import upgrade

    with _app(url).app_context():
        upgrade()
    return "migrated"


def step_build(url: str, args) -> str:
    from app.web.extensions import db
    from tests.ballots.bulk import fill_pot
    from tests.ballots.helpers import place, voting_round
    from tests.factories import create_council

    with _app(url).app_context():
        council = create_council(slug="bench", name="Bench Borough Council")
        hood = place(council)
        costs = tuple(20_000_00 + 5_000_00 * (i % 12) for i in range(PROJECTS))
        funding_round, paper = voting_round(
            council,
            costs=(costs,),
            budgets=(1_000_000_00,),
            max_choices=5,
            rule=args.rule,
        )
        pot = paper.pots[0]
        fill_pot(
            db.session,
            paper,
            pot,
            neighbourhood_id=hood.id,
            ballots=args.ballots,
            replaced=args.ballots // 1000,
        )
        db.session.commit()
        return str(funding_round.id)


def _round(url: str, round_id: int):
    from app.web.extensions import db
    from app.workflow.models import FundingRound

    return db.session.get(FundingRound, round_id)


def step_close(url: str, args) -> str:
    from app.web.extensions import db
    from app.workflow import rounds
    from app.workflow.models import Phase

    with _app(url).app_context():
        funding_round = _round(url, args.round)
        rounds.change_phase(
            db.session,
            funding_round,
            target=Phase.CLOSED,
            expected=Phase.VOTING,
            actor=None,
            now=_now(),
        )
        db.session.commit()
        return f"closed, log head {funding_round.log_head_hash[:12]}"


def step_check(url: str, args) -> str:
    from app.web.extensions import db
    from app.workflow import publication

    with _app(url).app_context():
        checks = publication.check_round(db.session, _round(url, args.round))
        return f"{sum(len(c.warnings) for c in checks)} warning(s)"


def _cli(url: str, argv: list[str]) -> str:
    app = _app(url)
    with app.app_context():
        result = app.test_cli_runner().invoke(args=argv)
    if result.exit_code != 0:
        raise SystemExit(f"flask {' '.join(argv)} failed: {result.output}")
    return result.output.strip().splitlines()[-1]


def step_tally(url: str, args) -> str:
    return _cli(url, ["tally", str(args.round)])


def step_export(url: str, args) -> str:
    return Path(_cli(url, ["export", str(args.round), "--out", args.out])).name


STEPS = {
    "migrate": step_migrate,
    "build": step_build,
    "close": step_close,
    "check": step_check,
    "tally": step_tally,
    "export": step_export,
}


# --- The parent: runs each step in a child, with its time and peak memory ---------------------


def run(argv: list[str]) -> tuple[float, int, str]:
    """Run a child; its wall time, peak RSS in bytes and last line of output."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        child = subprocess.Popen(argv, stdout=out, stderr=err, text=True)
        # wait4, not wait: this child's own rusage, so ru_maxrss is its high-water mark.
        _, status, usage = os.wait4(child.pid, 0)
        elapsed = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        lines = out.read().strip().splitlines()
        errors = err.read().strip().splitlines()
    peak = usage.ru_maxrss * 1024
    if child.returncode != 0:
        detail = (errors or lines or ["(no output)"])[-1]
        return elapsed, peak, f"FAILED (exit {child.returncode}): {detail}"
    return elapsed, peak, lines[-1] if lines else ""


def step_argv(step: str, url: str, args, **extra) -> list[str]:
    argv = [sys.executable, __file__, "--step", step, "--url", url, "--rule", args.rule]
    argv += ["--ballots", str(args.ballots)]
    for key, value in extra.items():
        argv += [f"--{key}", str(value)]
    return argv


def _databases(args):
    """The database URL to use, and a function that removes it afterwards."""
    from sqlalchemy import create_engine, make_url, text

    from config import database_url

    env = os.environ.get("DATABASE_URL")
    if not env:
        folder = tempfile.mkdtemp(prefix="devolve-bench-close-")
        path = Path(folder) / "bench.sqlite3"

        def drop() -> None:
            for p in Path(folder).glob("*"):
                p.unlink()
            Path(folder).rmdir()

        return f"sqlite:///{path}", "SQLite", drop
    base = make_url(database_url(env))
    name = f"{base.database}_bench_close"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    url = base.set(database=name).render_as_string(hide_password=False)
    return url, "PostgreSQL", drop


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ballots", type=int, default=250_000)
    parser.add_argument("--rule", default="mes-add1")
    parser.add_argument("--step", choices=sorted(STEPS), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--round", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        print(STEPS[args.step](args.url, args))
        return 0

    url, engine, drop = _databases(args)
    out = tempfile.mkdtemp(prefix="devolve-bench-export-")
    figures: dict[str, tuple[float, int, str]] = {}
    try:
        print(
            f"{engine}: one pot of {args.ballots:,} approval ballots, {PROJECTS} projects, "
            f"rule {args.rule}"
        )
        for step, extra in (("migrate", {}), ("build", {})):
            figures[step] = run(step_argv(step, url, args, **extra))
            print(f"  {step:<8} {figures[step][0]:7.1f} s  {figures[step][2]}")
        round_id = figures["build"][2]
        if not round_id.isdigit():
            return 1
        for step in ("close", "check", "tally", "export"):
            figures[step] = run(step_argv(step, url, args, round=round_id, out=out))
        zips = sorted(Path(out).glob("*.zip"))
        if zips:
            figures["verify"] = run([sys.executable, "-m", "votes", "verify", str(zips[0])])
            size = zips[0].stat().st_size
        else:
            figures["verify"] = (0.0, 0, "FAILED: no export to verify")
            size = 0
    finally:
        for p in Path(out).glob("*"):
            p.unlink()
        Path(out).rmdir()
        drop()

    print()
    print(f"{'step':<8} {'seconds':>8} {'peak RSS':>10}  target  met  result")
    ok = True
    for step in ("close", "check", "tally", "export", "verify"):
        seconds, peak, line = figures[step]
        targeted = step in TARGETS
        met = not line.startswith("FAILED") and seconds < TARGET_SECONDS and peak < TARGET_BYTES
        ok &= met or not targeted
        target = "30 s, 1 GB" if targeted else "-"
        print(
            f"{step:<8} {seconds:8.1f} {peak / 2**20:8.0f} MB  {target:<10} "
            f"{('yes' if met else 'NO') if targeted else '   '}  {line[:70]}"
        )
    print(f"export zip: {size / 2**20:.1f} MB")
    print(json.dumps({k: [round(v[0], 2), v[1] // 2**20] for k, v in figures.items()}))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
