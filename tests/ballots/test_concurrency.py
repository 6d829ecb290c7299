"""Exactly once, by the database: one voter's final step sent 120 times at once to a real
gunicorn with 4 worker processes finds one ballot, one mark, one log entry and no server error.

Runs on a SQLite file (a copy of the migrated template) and, when DATABASE_URL is set, on
PostgreSQL: whichever database the ``app`` fixture was given.
"""

from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from app.workflow.models import Role
from ballots import box
from ballots.models import LogEntry, Receipt, StoredBallot, VoterMark
from tests.ballots.helpers import enrol, place, voting_round
from tests.factories import PASSWORD, create_council, create_user

ROOT = Path(__file__).resolve().parents[2]
REQUESTS = 120
WORKERS = 4


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    """Just enough of a browser over http.client: one cookie jar, no redirects followed."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: str | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        conn.close()
        return response.status, response.headers, text

    def csrf(self, path: str) -> str:
        status, _, text = self.request("GET", path)
        assert status == 200, (path, status)
        return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', text).group(1)


@pytest.fixture
def server(app, db):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    port = free_port()
    env = {
        **os.environ,
        "DEVOLVE_ENV": "testing",
        "DATABASE_URL": url,
        "RATELIMIT_STORAGE_URI": "memory://",
    }
    process = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "--workers",
            str(WORKERS),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if Browser(port).request("GET", "/_status")[0] == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(process.stderr.read().decode()[-2000:])
            time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stderr.close()


def count(db, model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def test_many_simultaneous_final_steps_cast_exactly_one_ballot(app, db, server):
    council = create_council(slug="race")
    hood = place(council)
    user = create_user(email="racer@example.org", roles={council: Role.RESIDENT}, home=hood)
    funding_round, paper = voting_round(council)
    enrol(council, hood, user=user, reference="RACE1")
    db.session.commit()
    pot = paper.pots[0]
    base = f"/councils/race/rounds/{funding_round.slug}/vote/{pot.id}"

    browser = Browser(server)
    token = browser.csrf("/auth/sign-in")
    status, _, _ = browser.request(
        "POST",
        "/auth/sign-in",
        urlencode({"csrf_token": token, "email": "racer@example.org", "password": PASSWORD}),
    )
    assert status == 302
    token = browser.csrf(base)  # the ballot page: signed in, eligible, not yet voted
    body = urlencode(
        {"csrf_token": token, "choices": [pot.projects[0].id, pot.projects[1].id]}, doseq=True
    )

    start = threading.Barrier(REQUESTS)

    def post(_):
        start.wait()
        status, headers, _ = browser_copy().request("POST", base + "/confirm", body)
        return status, headers.get("Location", "")

    def browser_copy():
        copy = Browser(server)
        copy.cookies = dict(browser.cookies)
        return copy

    began = time.monotonic()
    with ThreadPoolExecutor(max_workers=REQUESTS) as pool:
        results = list(pool.map(post, range(REQUESTS)))
    elapsed = time.monotonic() - began

    statuses = sorted({s for s, _ in results})
    assert all(s < 500 for s, _ in results), statuses
    cast = [loc for s, loc in results if s == 302 and loc.endswith("/cast")]
    assert len(cast) == 1, (statuses, len(cast))
    assert count(db, VoterMark) == 1
    assert count(db, StoredBallot) == 1
    assert count(db, Receipt) == 1
    assert count(db, LogEntry) == 2  # the genesis entry and the one ballot
    assert box.verify_log(db.session, funding_round.id) == []
    # Every other request was told its voter had already voted (a redirect), not refused.
    assert sum(1 for s, loc in results if s == 302 and loc.endswith("/vote")) == REQUESTS - 1
    print(
        f"\n{REQUESTS} simultaneous casts on {db.engine.dialect.name} with {WORKERS} workers: "
        f"{elapsed:.1f}s, statuses {statuses}, 1 ballot"
    )
    assert elapsed < 30
