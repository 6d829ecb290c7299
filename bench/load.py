"""Devolve under load, run as the README's production section runs it, measured through HTTP.

Creates a bench database on PostgreSQL, migrates it with ``flask --app wsgi db upgrade``, seeds
a council with one round open for voting (approval, three projects, one council-wide pot) and
voters on its roll, starts ``gunicorn --workers N`` with ``DEVOLVE_ENV=production`` and the rate
limits counted in Redis, then drives it from this process with 16 clients (threads, plain
``http.client``, CSRF tokens read with a regex) for a fixed time.

Scenarios (each voter is used once: one ballot in the round's only pot):

``cast``     voters already signed in and verified (done in setup, not timed: their session
             cookies are made by Flask-Login and Flask's own session signer with the server's
             key), each then: GET the ballot page, POST confirm with the page's CSRF token,
             GET the receipt page.
``journey``  the whole resident journey: GET and POST sign in (Argon2id at production's
             parameters), GET and POST verify with the code posted to the voter, then the
             three steps of ``cast``.
``floor``    three GETs of ``/_status`` (the whole app and one ``SELECT 1``, no page, no
             session) per item, through the same server and clients: the most items of three
             requests a second this machine can serve, whatever a page costs. A cast's three
             requests each do more than that, so ``cast`` cannot exceed it.

For each scenario it also prints the CPU time spent per item by the gunicorn workers, by
PostgreSQL's processes and by the load generator itself (all on the same cores).

Just before each scenario ``pgbench`` runs on the same server with 16 clients, each
transaction locking and updating one hot row; the scenario's rate is printed as a ratio to it.
Any status other than the expected one, or a page without what it should show, is an error:
counted, and the first few printed. The load generator's address is exempt from the rate limits
through the documented ``RATE_LIMIT_EXEMPT_ADDRESSES`` setting, as an operator would set it for
a load test; the limits stay on.

    .venv/bin/python bench/load.py                          # both scenarios, 180 s each
    .venv/bin/python bench/load.py --scenario cast --seconds 30
    .venv/bin/python bench/load.py --workers 4 --clients 16 --pgbench-seconds 15

The database (default ``postgresql://postgres@127.0.0.1:5432/devolve_bench_load_<pid>``, or
``--database-url``) is dropped and created at the start and dropped at the end. Needs
PostgreSQL, Redis (``--redis``, default ``redis://127.0.0.1:6379``) and ``pgbench`` on the
PATH.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from app.web.sessions import policy

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "bench voter password 1"  # noqa: S105 - the seeded voters' password, bench only
USER_AGENT = "devolve-bench-load"
CSRF = re.compile(rb'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
COUNCIL = "bench"
ROUND = "load"


# --- The server -------------------------------------------------------------------------------


def server_env(database_url: str, redis_url: str) -> dict[str, str]:
    """The environment of the README's production recipe, for a local run."""
    env = dict(os.environ)
    env.update(
        DEVOLVE_ENV="production",
        DATABASE_URL=database_url,
        SECRET_KEY=secrets.token_urlsafe(48),
        RATELIMIT_STORAGE_URI=redis_url,
        PUBLIC_URL="https://pb.bench.invalid",
        MAIL_SERVER="smtp.bench.invalid",  # nothing here sends email
        RATE_LIMIT_EXEMPT_ADDRESSES="127.0.0.1",
    )
    return env


def recreate_database(database_url: str) -> None:
    import psycopg

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        sys.exit(f"bench database name {name!r}: use lower-case letters, digits and _")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(database_url: str) -> None:
    import psycopg

    parts = urlsplit(database_url)
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{parts.path.lstrip("/")}" WITH (FORCE)')


def venv_bin(name: str) -> str:
    path = Path(sys.executable).parent / name
    return str(path) if path.exists() else name


def migrate(env: dict[str, str]) -> None:
    subprocess.run(
        [venv_bin("flask"), "--app", "wsgi", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def start_gunicorn(env: dict[str, str], workers: int, port: int) -> subprocess.Popen:
    fd, log_path = tempfile.mkstemp(prefix="devolve-bench-gunicorn-", suffix=".log")
    with os.fdopen(fd, "wb") as log:
        proc = subprocess.Popen(
            [
                venv_bin("gunicorn"),
                "--workers",
                str(workers),
                "--bind",
                f"127.0.0.1:{port}",
                "wsgi:app",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    proc.log_path = log_path  # type: ignore[attr-defined]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"gunicorn stopped at start:\n{Path(log_path).read_text()}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/_status")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            pass
        time.sleep(0.3)
    stop(proc)
    sys.exit(f"gunicorn did not answer /_status in 60 s; its log: {log_path}")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


# --- Seeding ----------------------------------------------------------------------------------


@dataclass
class Seeded:
    pot_id: int
    project_id: int
    cast: list[str] = field(default_factory=list)  # session cookie values
    journey: list[tuple[str, str, str]] = field(default_factory=list)  # email, reference, code


def seed(env: dict[str, str], cast_voters: int, journey_voters: int) -> Seeded:
    """The council, its round open for voting and the voters, made with the app's own models
    and functions in this process (configured as the server is, so cookies and codes match).
    """
    os.environ.update(env)
    from flask import session as flask_session
    from flask_login import UserMixin, login_user
    from sqlalchemy import insert

    from app import create_app
    from app.web.extensions import db
    from app.web.residents.voting import code_key
    from app.workflow import accounts, sign_ins
    from app.workflow import rounds as round_flow
    from app.workflow.clock import london_date
    from app.workflow.models import (
        Council,
        FundingRound,
        Membership,
        Neighbourhood,
        Phase,
        Pot,
        Proposal,
        ProposalStatus,
        Role,
        SignIn,
        User,
    )
    from ballots import roll
    from ballots.db import utcnow
    from ballots.models import COUNCIL_SCOPE, RollEntry, Verification, VerificationCode

    app = create_app()
    with app.app_context():
        s = db.session
        now = utcnow()
        council = Council(slug=COUNCIL, name="Bench Council", colour="#00594f")
        hood = Neighbourhood(council=council, name="Centre", slug="centre", population=1000)
        officer = User(
            email="officer@bench.invalid",
            password_hash=accounts.hash_password(policy(), secrets.token_urlsafe(16)),
            display_name="Officer",
            email_confirmed_at=now,
        )
        s.add_all([council, hood, officer])
        s.flush()
        accounts.grant_role(s, officer, council, Role.OFFICER)
        funding_round = FundingRound(
            council=council,
            slug=ROUND,
            title="Load test",
            description="A round for the load benchmark.",
            total_budget_pence=50_000_00,
            phase=Phase.REVIEW,
            ballot_kind="approval",
            rule="greedy",
        )
        funding_round.pots.append(Pot(name="Council-wide", budget_pence=50_000_00, position=0))
        s.add(funding_round)
        s.flush()
        pot = funding_round.pots[0]
        projects = []
        for i, cost in enumerate((10_000_00, 20_000_00, 30_000_00), start=1):
            p = Proposal(
                round_id=funding_round.id,
                pot_id=pot.id,
                title=f"Project {i}",
                summary="A summary.",
                description="A description.",
                estimated_cost_pence=cost,
                final_cost_pence=cost,
                status=ProposalStatus.FEASIBLE,
            )
            s.add(p)
            projects.append(p)
        s.flush()
        round_flow.open_voting(
            s,
            funding_round,
            actor=officer,
            now=now,
            expected=Phase.REVIEW,
            leave_off=[],
            confirmed=True,
        )
        s.commit()
        seeded = Seeded(pot_id=pot.id, project_id=projects[0].id)

        # One hash for every voter: each sign-in still verifies it at full cost.
        password_hash = accounts.hash_password(policy(), PASSWORD)
        key = code_key()
        total = cast_voters + journey_voters
        tokens = [secrets.token_urlsafe(32) for _ in range(total)]
        user_ids = list(
            s.scalars(
                insert(User).returning(User.id, sort_by_parameter_order=True),
                [
                    {
                        "email": f"voter{i}@bench.invalid",
                        "password_hash": password_hash,
                        "display_name": f"Voter {i}",
                        "home_neighbourhood_id": hood.id,
                        "created_at": now,
                        "email_confirmed_at": now,
                    }
                    for i in range(total)
                ],
            )
        )
        s.execute(
            insert(Membership),
            [
                {"user_id": uid, "council_id": council.id, "role": Role.RESIDENT, "created_at": now}
                for uid in user_ids
            ],
        )
        entry_ids = list(
            s.scalars(
                insert(RollEntry).returning(RollEntry.id, sort_by_parameter_order=True),
                [
                    {
                        "council_id": council.id,
                        "round_id": None,
                        "scope": COUNCIL_SCOPE,
                        "reference": f"REF{i:06d}",
                        "neighbourhood_id": hood.id,
                        "created_at": now,
                    }
                    for i in range(total)
                ],
            )
        )
        if cast_voters:
            # Signed in as app.web.sessions signs people in: a sign-in row per voter whose token
            # the cookie carries (a resident needs no second factor).
            s.execute(
                insert(SignIn),
                [
                    {
                        "token_hash": sign_ins.token_hash(tokens[i]),
                        "user_id": user_ids[i],
                        "created_at": now,
                        "last_seen_at": now,
                        "user_agent": sign_ins.browser_summary(USER_AGENT),
                    }
                    for i in range(cast_voters)
                ],
            )
            s.execute(
                insert(Verification),
                [
                    {
                        "user_id": user_ids[i],
                        "roll_entry_id": entry_ids[i],
                        "council_id": council.id,
                        "scope": COUNCIL_SCOPE,
                        "verified_on": london_date(now),
                    }
                    for i in range(cast_voters)
                ],
            )
        codes = [roll.new_code() for _ in range(journey_voters)]
        if journey_voters:
            s.execute(
                insert(VerificationCode),
                [
                    {
                        "roll_entry_id": entry_ids[cast_voters + j],
                        "code_hash": roll.code_hash(code, key),
                        "expires_at": now + timedelta(days=1),
                        "created_at": now,
                    }
                    for j, code in enumerate(codes)
                ],
            )
        s.commit()
        seeded.journey = [
            (f"voter{cast_voters + j}@bench.invalid", f"REF{cast_voters + j:06d}", code)
            for j, code in enumerate(codes)
        ]

        # Signed in as Flask-Login signs people in, from the address and browser the clients
        # use, and signed by Flask's own session serializer with the server's key.
        class Account(UserMixin):
            def __init__(self, token: str) -> None:
                self.token = token

            def get_id(self) -> str:
                return self.token

        signer = app.session_interface.get_signing_serializer(app)
        with app.test_request_context(
            environ_base={"REMOTE_ADDR": "127.0.0.1"}, headers={"User-Agent": USER_AGENT}
        ):
            for token in tokens[:cast_voters]:
                flask_session.clear()
                login_user(Account(token))
                seeded.cast.append(signer.dumps(dict(flask_session)))
        db.engine.dispose()
    return seeded


# --- pgbench ----------------------------------------------------------------------------------

HOT_ROW = """\
BEGIN;
SELECT n FROM bench_hot_row WHERE id = 1 FOR UPDATE;
UPDATE bench_hot_row SET n = n + 1 WHERE id = 1;
COMMIT;
"""


def pgbench_hot_row(database_url: str, clients: int, seconds: int) -> float:
    """Transactions a second of ``pgbench`` on the same server, each locking one hot row."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_hot_row")
        conn.execute("CREATE TABLE bench_hot_row (id int PRIMARY KEY, n bigint NOT NULL)")
        conn.execute("INSERT INTO bench_hot_row VALUES (1, 0)")
    parts = urlsplit(database_url)
    with tempfile.NamedTemporaryFile("w", suffix=".sql") as script:
        script.write(HOT_ROW)
        script.flush()
        out = subprocess.run(
            [
                "pgbench",
                "-n",
                "-h",
                parts.hostname or "127.0.0.1",
                "-p",
                str(parts.port or 5432),
                "-U",
                parts.username or "postgres",
                "-c",
                str(clients),
                "-j",
                "2",
                "-T",
                str(seconds),
                "-f",
                script.name,
                parts.path.lstrip("/"),
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("DROP TABLE bench_hot_row")
    found = re.search(r"tps = ([\d.]+)", out)
    if not found:
        sys.exit(f"could not read pgbench's tps from:\n{out}")
    return float(found.group(1))


# --- The clients ------------------------------------------------------------------------------


class Unexpected(Exception):
    """A response that is not what a working site sends at that step."""


class Browser:
    """One resident's browser: cookies, and one connection per client thread, reused."""

    def __init__(self, conn: http.client.HTTPConnection) -> None:
        self.conn = conn
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, form: dict | None = None
    ) -> tuple[int, http.client.HTTPMessage, bytes]:
        headers = {"User-Agent": USER_AGENT, "Host": "127.0.0.1"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # gunicorn's sync workers close each connection after one response.
                self.conn.close()
                if attempt == 2:
                    raise
        # Production's cookies are Secure; this client sends them over plain http regardless.
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            value = rest.split(";", 1)[0]
            if value and "Expires=Thu, 01 Jan 1970" not in cookie:
                self.cookies[name.strip()] = value
            else:
                self.cookies.pop(name.strip(), None)
        if response.will_close:
            self.conn.close()
        return response.status, response.headers, data

    def page(self, path: str, marker: bytes) -> bytes:
        status, _, body = self.request("GET", path)
        if status != 200 or marker not in body:
            raise Unexpected(f"GET {path}: {status}, {snippet(body)}")
        return body

    def post(self, path: str, page: bytes, form: dict, to: str) -> None:
        found = CSRF.search(page)
        if not found:
            raise Unexpected(f"no CSRF token on the page before POST {path}")
        token = (found.group(1) or found.group(2)).decode()
        status, headers, body = self.request("POST", path, {"csrf_token": token, **form})
        location = headers.get("Location", "")
        if status not in (302, 303) or to not in location:
            raise Unexpected(f"POST {path}: {status} to {location!r}, {snippet(body)}")


def snippet(body: bytes) -> str:
    title = re.search(rb"<title>\s*(.*?)\s*</title>", body, re.S)
    text = title.group(1) if title else body[:120]
    return text.decode(errors="replace").replace("\n", " ")


@dataclass
class Run:
    deadline: float
    done: list[float] = field(default_factory=list)  # when each item finished
    steps: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def timed(self, name: str, fn: Callable[[], object]):
        start = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - start
        with self.lock:
            self.steps.setdefault(name, []).append(elapsed)
        return result


def vote(browser: Browser, run: Run, seeded: Seeded) -> None:
    base = f"/councils/{COUNCIL}/rounds/{ROUND}/vote/{seeded.pot_id}"
    page = run.timed("ballot page", lambda: browser.page(base, b"Your ballot"))
    run.timed(
        "confirm",
        lambda: browser.post(
            base + "/confirm", page, {"choices": str(seeded.project_id)}, to=base + "/cast"
        ),
    )
    run.timed("receipt", lambda: browser.page(base + "/cast", b'id="receipt-code"'))


def floor_item(browser: Browser, run: Run, seeded: Seeded, item: int) -> None:  # noqa: ARG001
    for _ in range(3):
        run.timed("status", lambda: browser.page("/_status", b'"ok"'))


def cast_item(browser: Browser, run: Run, seeded: Seeded, cookie: str) -> None:
    browser.cookies = {"session": cookie}
    vote(browser, run, seeded)


def journey_item(browser: Browser, run: Run, seeded: Seeded, voter: tuple[str, str, str]) -> None:
    email, reference, code = voter
    browser.cookies = {}
    page = run.timed("sign-in page", lambda: browser.page("/auth/sign-in", b"Sign in"))
    run.timed(
        "sign in",
        lambda: browser.post("/auth/sign-in", page, {"email": email, "password": PASSWORD}, to="/"),
    )
    verify = f"/councils/{COUNCIL}/verify"
    page = run.timed("verify page", lambda: browser.page(verify, b"Verify your account"))
    run.timed(
        "verify",
        lambda: browser.post(
            verify, page, {"reference": reference, "code": code}, to=f"/councils/{COUNCIL}"
        ),
    )
    vote(browser, run, seeded)


def drive(port: int, clients: int, seconds: float, items: list, step, seeded: Seeded) -> Run:
    """``clients`` threads taking the next voter until the time is up (or the voters run out)."""
    work = iter(items)
    take = threading.Lock()
    run = Run(deadline=time.perf_counter() + seconds)
    run.start = time.perf_counter()  # type: ignore[attr-defined]

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        browser = Browser(conn)
        while time.perf_counter() < run.deadline:
            with take:
                item = next(work, None)
            if item is None:
                with run.lock:
                    run.errors.append("ran out of seeded voters: give more with --voters")
                return
            start = time.perf_counter()
            try:
                step(browser, run, seeded, item)
            except (Unexpected, OSError, http.client.HTTPException) as error:
                with run.lock:
                    run.errors.append(str(error) or type(error).__name__)
                conn.close()
                continue
            with run.lock:
                run.steps.setdefault("whole", []).append(time.perf_counter() - start)
                run.done.append(time.perf_counter())

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return run


def cpu_seconds(command: list[str]) -> float:
    """CPU seconds (user and system, so far) of the processes ``ps`` lists for ``command``."""
    out = subprocess.run(
        ["ps", "-o", "cputimes=", *command], capture_output=True, text=True, check=False
    ).stdout
    return float(sum(int(x) for x in out.split()))


def cpu_now(server: subprocess.Popen) -> dict[str, float]:
    """CPU used so far by the gunicorn workers, the PostgreSQL server and this process."""
    return {
        "gunicorn workers": cpu_seconds(["--ppid", str(server.pid)]),
        "PostgreSQL": cpu_seconds(["-C", "postgres"]),
        "load generator": time.process_time(),
    }


def report_cpu(before: dict[str, float], after: dict[str, float], items: int, unit: str) -> None:
    # ps counts whole seconds: over a run of a minute or more the rounding is a few percent.
    if not items:
        return
    parts = [f"{name} {1000 * (after[name] - before[name]) / items:.1f} ms" for name in before]
    print(f"  CPU per {unit.rstrip('s')}: " + ", ".join(parts))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def report(name: str, unit: str, run: Run, seconds: float, pgbench_tps: float) -> float:
    start = run.start  # type: ignore[attr-defined]
    within = [t for t in run.done if t <= run.deadline]
    rate = len(within) / seconds
    print(f"\n{name}: {len(within)} {unit} in {seconds:.0f} s = {rate:.1f} {unit}/s")
    width = max(10.0, seconds / 6)
    buckets = []
    t = start
    while t < run.deadline - 1e-9:
        end = min(t + width, run.deadline)
        buckets.append(sum(1 for d in within if t < d <= end) / (end - t))
        t = end
    print(f"  per {width:.0f} s: " + ", ".join(f"{b:.1f}" for b in buckets))
    print(f"  {'step':<14} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for step, values in run.steps.items():
        if values:
            print(
                f"  {step:<14} {len(values):>6} {1000 * statistics.median(values):>8.1f} "
                f"{1000 * percentile(values, 95):>8.1f} {1000 * percentile(values, 99):>8.1f}"
            )
    print(f"  errors: {len(run.errors)}")
    for message in run.errors[:5]:
        print(f"    {message}")
    print(
        f"  pgbench, one hot-row lock per transaction, just before: {pgbench_tps:.0f} tps; "
        f"ratio {rate / pgbench_tps:.4f}"
    )
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scenario",
        choices=["cast", "journey", "floor", "both", "all"],
        default="both",
        help="both: cast and journey; all: floor, cast and journey",
    )
    parser.add_argument("--seconds", type=float, default=180)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (README: 4)")
    parser.add_argument("--port", type=int, default=8787)
    parser.add_argument(
        "--database-url",
        default=f"postgresql://postgres@127.0.0.1:5432/devolve_bench_load_{os.getpid()}",
        help="dropped and created again on every run (default: named after this process, so "
        "two runs on one server do not drop each other's)",
    )
    parser.add_argument("--redis", default="redis://127.0.0.1:6379")
    parser.add_argument("--pgbench-seconds", type=int, default=15)
    parser.add_argument(
        "--voters",
        type=int,
        help="voters per scenario (default: enough for 250 ballots or 80 journeys a second)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    args = parser.parse_args()
    if shutil.which("pgbench") is None:
        sys.exit("pgbench is not on the PATH (it comes with PostgreSQL's client tools)")

    scenarios = {"both": ["cast", "journey"], "all": ["floor", "cast", "journey"]}.get(
        args.scenario, [args.scenario]
    )
    cast_n = (args.voters or int(250 * args.seconds)) if "cast" in scenarios else 0
    journey_n = (args.voters or int(80 * args.seconds)) if "journey" in scenarios else 0
    env = server_env(args.database_url, args.redis)
    print(
        f"gunicorn --workers {args.workers}, DEVOLVE_ENV=production, PostgreSQL, limits in Redis;"
        f" {args.clients} clients for {args.seconds:.0f} s per scenario; {os.cpu_count()} cores"
    )
    started = time.perf_counter()
    recreate_database(args.database_url)
    migrate(env)
    seeded = seed(env, cast_n, journey_n)
    print(
        f"setup: migrated and seeded {cast_n} signed-in voters and {journey_n} with posted codes "
        f"in {time.perf_counter() - started:.0f} s"
    )
    server = start_gunicorn(env, args.workers, args.port)
    try:
        for scenario in scenarios:
            tps = pgbench_hot_row(args.database_url, args.clients, args.pgbench_seconds)
            before = os.getloadavg()[0]
            cpu_before = cpu_now(server)
            if scenario == "floor":
                items = itertools.count()
                name, unit, step = "floor (three GETs of /_status)", "items", floor_item
            elif scenario == "cast":
                items = seeded.cast
                name, unit, step = "cast (ballot page, confirm, receipt)", "ballots", cast_item
            else:
                items = seeded.journey
                name = "journey (sign in, verify, ballot page, confirm, receipt)"
                unit, step = "journeys", journey_item
            run = drive(args.port, args.clients, args.seconds, items, step, seeded)
            report(name, unit, run, args.seconds, tps)
            report_cpu(cpu_before, cpu_now(server), len(run.done), unit)
            # Other work on the machine takes cores from the server: say how much there was.
            print(f"  load average (1 min): {before:.1f} before, {os.getloadavg()[0]:.1f} after")
    finally:
        stop(server)
        if not args.keep:
            drop_database(args.database_url)
    print(f"\ngunicorn's log: {server.log_path}")  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
