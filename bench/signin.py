"""What signing in costs in-process: Argon2id at production's parameters against the previous
ones (RFC 9106's low-memory profile: 64 MiB, 3 passes, 4 lanes), side by side.

1. ``accounts.authenticate`` (find the account, verify its hash), alternating the two settings
   call by call on one SQLite database, for a known email and an unknown one (the dummy hash);
   the median and the ratio.
2. The sign-in and verify forms through the test client (GET each page, POST it with its
   CSRF token) at production's parameters: what the views add to the hash, and what checking
   a posted code costs.
3. Peak resident memory of a process in which 16 sign-ins verify their hash at the same time
   (16 threads; Argon2 runs outside the GIL), in a fresh process for each setting.

    .venv/bin/python bench/signin.py
    .venv/bin/python bench/signin.py --repeats 30
"""

from __future__ import annotations

import argparse
import logging
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.web.sessions import policy  # noqa: E402
from config import ProductionConfig, TestingConfig  # noqa: E402

PASSWORD = "a resident's password"  # noqa: S105 - bench only
NEW = dict(ProductionConfig.PASSWORD_HASH_PARAMETERS)
# argon2.profiles.RFC_9106_LOW_MEMORY, what production used before.
OLD = {"memory_cost": 64 * 1024, "time_cost": 3, "parallelism": 4, "hash_len": 32, "salt_len": 16}
SETTINGS = {"new": NEW, "old": OLD}


def describe(params: dict) -> str:
    mib, t, p = params["memory_cost"] // 1024, params["time_cost"], params["parallelism"]
    return f"{mib} MiB, t={t}, p={p}"


def make_app(url: str, params: dict):
    from app import create_app

    config = type(
        "BenchConfig",
        (TestingConfig,),
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "PASSWORD_HASH_PARAMETERS": params,
            # The test client signs in from 127.0.0.1 far more than 10 times a minute.
            "RATE_LIMIT_EXEMPT_ADDRESSES": "127.0.0.1",
        },
    )
    return create_app(config)


def authenticate_side_by_side(repeats: int) -> None:
    from flask_migrate import upgrade

    from app.web.extensions import db
    from app.workflow import accounts
    from app.workflow.models import User

    url = f"sqlite:///{tempfile.mkdtemp(prefix='devolve-bench-signin-')}/signin.sqlite3"
    apps = {name: make_app(url, params) for name, params in SETTINGS.items()}
    logging.disable(logging.INFO)  # the migrations' progress
    with apps["new"].app_context():
        upgrade()
    logging.disable(logging.NOTSET)
    for name, app in apps.items():
        with app.app_context():
            db.session.add(
                User(
                    email=f"{name}@example.org",
                    password_hash=accounts.hash_password(policy(), PASSWORD),
                    display_name=name,
                )
            )
            db.session.commit()

    times: dict[tuple[str, str], list[float]] = {}
    for _ in range(repeats):
        for name, app in apps.items():  # alternating: the machine's load falls on both alike
            for who, email in (("known", f"{name}@example.org"), ("unknown", "no@example.org")):
                with app.app_context():
                    start = time.perf_counter()
                    user = accounts.authenticate(db.session, policy(), email, PASSWORD)
                    times.setdefault((name, who), []).append(time.perf_counter() - start)
                    assert (user is not None) == (who == "known")
                    # Nothing to upgrade: each app's account was hashed with its own setting.
                    assert not db.session.dirty
                    db.session.rollback()

    print(f"1. accounts.authenticate, median of {repeats}, alternating")
    print(f"   {'setting':<22} {'known ms':>9} {'unknown ms':>11}")
    for name, params in SETTINGS.items():
        known = statistics.median(times[(name, "known")]) * 1000
        unknown = statistics.median(times[(name, "unknown")]) * 1000
        print(f"   {name + ': ' + describe(params):<22} {known:>9.1f} {unknown:>11.1f}")
    ratio = statistics.median(times[("old", "known")]) / statistics.median(times[("new", "known")])
    print(f"   old / new: {ratio:.1f}x")

    app = apps["new"]
    client = app.test_client()
    csrf = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
    pages, posts = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        page = client.get("/auth/sign-in").get_data(as_text=True)
        pages.append(time.perf_counter() - start)
        token = csrf.search(page).group(1)
        start = time.perf_counter()
        response = client.post(
            "/auth/sign-in",
            data={"csrf_token": token, "email": "new@example.org", "password": PASSWORD},
        )
        posts.append(time.perf_counter() - start)
        assert response.status_code == 302, response.status_code
        client.delete_cookie("session")
    verify_pages, verifies = verify_steps(app, repeats, csrf)
    print(f"\n2. sign in and verify through the test client, {describe(NEW)}, median of {repeats}")
    print(f"   GET /auth/sign-in          {statistics.median(pages) * 1000:6.1f} ms")
    print(f"   POST /auth/sign-in         {statistics.median(posts) * 1000:6.1f} ms (signed in)")
    print(f"   GET /councils/…/verify     {statistics.median(verify_pages) * 1000:6.1f} ms")
    print(f"   POST /councils/…/verify    {statistics.median(verifies) * 1000:6.1f} ms (verified)")


def verify_steps(app, repeats: int, csrf: re.Pattern) -> tuple[list[float], list[float]]:
    """Residents on a council's roll with posted codes (made by ``ballots.roll``), each signed
    in and then verifying with their code: the times of the verify page and of the POST."""
    from datetime import date

    from app.web.extensions import db
    from app.web.residents.voting import code_key
    from app.workflow import accounts
    from app.workflow.models import Council, Neighbourhood, Role, User
    from ballots import roll
    from ballots.db import utcnow
    from ballots.models import COUNCIL_SCOPE

    with app.app_context():
        council = Council(slug="bench", name="Bench Council")
        hood = Neighbourhood(council=council, name="Centre", slug="centre", population=100)
        db.session.add_all([council, hood])
        db.session.flush()
        password_hash = accounts.hash_password(policy(), PASSWORD)
        for i in range(repeats):
            user = User(
                email=f"voter{i}@example.org",
                password_hash=password_hash,
                display_name=f"Voter {i}",
                home_neighbourhood=hood,
            )
            db.session.add(user)
            db.session.flush()
            accounts.grant_role(db.session, user, council, Role.RESIDENT)
        text = "reference,neighbourhood\n" + "".join(f"R{i},centre\n" for i in range(repeats))
        roll.import_roll(
            db.session,
            council_id=council.id,
            round_id=None,
            text=text,
            neighbourhoods={"centre": hood.id},
            today=date.today(),
        )
        issued = roll.issue_codes(
            db.session, council_id=council.id, scope=COUNCIL_SCOPE, key=code_key(), now=utcnow()
        )
        db.session.commit()
    pages, posts = [], []
    for i, code in enumerate(sorted(issued, key=lambda c: int(c.reference[1:]))):
        client = app.test_client()
        page = client.get("/auth/sign-in").get_data(as_text=True)
        client.post(
            "/auth/sign-in",
            data={
                "csrf_token": csrf.search(page).group(1),
                "email": f"voter{i}@example.org",
                "password": PASSWORD,
            },
        )
        start = time.perf_counter()
        page = client.get("/councils/bench/verify").get_data(as_text=True)
        pages.append(time.perf_counter() - start)
        start = time.perf_counter()
        response = client.post(
            "/councils/bench/verify",
            data={
                "csrf_token": csrf.search(page).group(1),
                "reference": code.reference,
                "code": code.code,
            },
        )
        posts.append(time.perf_counter() - start)
        assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return pages, posts


def peak_rss_child(name: str, concurrent: int) -> None:
    """In a fresh process: peak RSS before and after ``concurrent`` simultaneous verifications."""
    from argon2 import PasswordHasher, Type

    hasher = PasswordHasher(type=Type.ID, **SETTINGS[name])
    stored = hasher.hash(PASSWORD)
    before = vm_hwm()
    barrier = threading.Barrier(concurrent)

    def sign_in() -> None:
        barrier.wait()
        hasher.verify(stored, PASSWORD)

    threads = [threading.Thread(target=sign_in) for _ in range(concurrent)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    print(f"{before} {vm_hwm()} {elapsed:.3f}")


def vm_hwm() -> int:
    """The process's peak resident set so far, in KiB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


def peak_rss(concurrent: int) -> None:
    print(f"\n3. {concurrent} sign-ins verifying at once in one process (fresh process each)")
    print(f"   {'setting':<22} {'peak before':>12} {'peak during':>12} {'added':>9} {'wall s':>7}")
    for name, params in SETTINGS.items():
        out = subprocess.run(
            [sys.executable, __file__, "--rss-child", name, "--concurrent", str(concurrent)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        before, during, elapsed = int(out[0]), int(out[1]), float(out[2])
        print(
            f"   {name + ': ' + describe(params):<22} {before / 1024:>9.0f} MiB "
            f"{during / 1024:>8.0f} MiB {(during - before) / 1024:>5.0f} MiB {elapsed:>7.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--concurrent", type=int, default=16)
    parser.add_argument("--rss-child", choices=sorted(SETTINGS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rss_child:
        peak_rss_child(args.rss_child, args.concurrent)
        return
    authenticate_side_by_side(args.repeats)
    peak_rss(args.concurrent)


if __name__ == "__main__":
    main()
