"""The README's production recipe starts as written: its shell block, read from README.md
itself, runs against PostgreSQL, Redis and a fake GOV.UK Notify with only this machine's host
names, ports, database, role names, passwords, Notify key and templates file put in;
gunicorn's 4 workers answer /_status; a resident signs in through the real form over HTTP;
the sign-in limit is counted in Redis, which all the workers share; and an account registered
over HTTP gets its confirmation email from the messages worker the recipe starts beside
gunicorn, through Notify's API (the fake, ``python -m tests.fake_notify``, read back through
its own ``GET /_fake/sent``).

The session cookie is Secure, so an HTTP client would rightly never send it back over plain
http. Here the test stands in for the TLS terminator in front of gunicorn: it checks that the
cookie is Secure, HttpOnly and SameSite=Lax, then sends it back itself, over a plain
connection to 127.0.0.1.

Needs PostgreSQL (DATABASE_URL if it is postgresql://, else postgres@127.0.0.1:5432) able to
create databases and roles, and Redis (REDIS_URL, default redis://127.0.0.1:6379; database 13
unless the URL names one). Skips without them unless REQUIRE_POSTGRES=1 / REQUIRE_REDIS=1, as
.ci/run sets.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

from tests.conftest import ROOT, require_or_skip

pytestmark = pytest.mark.slow

# The README's hosts and placeholders, none of which may be left once this machine's are put
# in. Email goes through Notify: the fake one, served by the test.
README_HOSTS = ("db.internal", "cache.internal:6379", "0.0.0.0:8000", "LIVE_API_KEY", "/etc/")
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def production_block() -> str:
    """The first ```sh block of README.md's Production section."""
    text = (ROOT / "README.md").read_text()
    section = text.split("\n## Production\n", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```sh\n(.*?)```", section, re.S)
    assert match, "README.md's Production section has no ```sh block"
    return match.group(1)


def postgres_admin_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgresql://", "postgres://")):
        return url
    return "postgresql://postgres@127.0.0.1:5432/postgres"


def postgres_available(url: str) -> bool:
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=3):
            return True
    except psycopg.Error:
        return False


def redis_url() -> str:
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379")
    return url if urlsplit(url).path.strip("/") else url.rstrip("/") + "/13"


def redis_client():
    import redis

    client = redis.Redis.from_url(redis_url(), socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError:
        return None
    return client


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def notify_templates(folder: Path) -> tuple[Path, Path]:
    """A Notify template for every kind Devolve words, in English and Welsh, each needing the
    fields Devolve sends (docs/notify.md): the fake's templates file, and the
    NOTIFY_TEMPLATES file the recipe names."""
    from app.web.messages.wording import WORDINGS
    from app.workflow import outbox

    fake, ids = {}, {}
    for kind, wording in WORDINGS.items():
        fields = list(wording.names)
        if outbox.kind(kind).topic is not None:
            fields.append("unsubscribe")
        channel = next(iter(wording.templates)).value
        for language in ("en", "cy"):
            template_id = str(uuid.uuid4())
            fake[template_id] = {"channel": channel, "fields": fields}
            ids.setdefault(kind, {})[language] = template_id
    (folder / "fake-templates.json").write_text(json.dumps(fake))
    (folder / "notify-templates.json").write_text(json.dumps(ids))
    return folder / "fake-templates.json", folder / "notify-templates.json"


class FakeNotifyProcess:
    """The fake GOV.UK Notify in a process of its own, as CI would serve it."""

    def __init__(self, templates: Path, port: int) -> None:
        from tests.fake_notify import fake_key

        self.api_key = fake_key()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.fake_notify", "--port", str(port)]
            + ["--templates", str(templates)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.base_url = self.proc.stdout.readline().strip()
        assert self.base_url == f"http://127.0.0.1:{port}", self.proc.stderr.read()

    def sent(self) -> list[dict]:
        conn = http.client.HTTPConnection("127.0.0.1", urlsplit(self.base_url).port, timeout=10)
        try:
            conn.request("GET", "/_fake/sent")
            return json.loads(conn.getresponse().read())["sent"]
        finally:
            conn.close()

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()
        self.proc.stderr.close()


class Server:
    """gunicorn as the README starts it, reached over plain HTTP on 127.0.0.1."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        headers = {}
        if self.cookies:
            # What the TLS terminator's client would send back over https.
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
        finally:
            conn.close()
        set_cookies = response.headers.get_all("Set-Cookie") or []
        for header in set_cookies:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response, text, set_cookies

    def csrf(self, path: str) -> str:
        response, text, _ = self.request("GET", path)
        assert response.status == 200, (path, response.status)
        match = CSRF.search(text)
        assert match, f"no CSRF token on {path}"
        return match.group(1) or match.group(2)


@pytest.fixture
def recipe(tmp_path):
    admin_url = postgres_admin_url()
    require_or_skip(postgres_available(admin_url), "PostgreSQL", "REQUIRE_POSTGRES")
    redis = redis_client()
    require_or_skip(redis is not None, "Redis", "REQUIRE_REDIS")
    import psycopg

    tag = f"{os.getpid()}_{secrets.token_hex(3)}"
    database, owner, app_role = f"recipe_{tag}", f"recipe_owner_{tag}", f"recipe_app_{tag}"
    owner_password, app_password = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    admin = urlsplit(admin_url)
    pg_host = f"{admin.hostname or '127.0.0.1'}:{admin.port or 5432}"
    redis_parts = urlsplit(redis_url())
    port = free_port()
    fake_templates, templates_file = notify_templates(tmp_path)
    notify = FakeNotifyProcess(fake_templates, free_port())

    block = production_block()
    replacements = {
        "postgresql://devolve_app:APP_PASSWORD@db.internal/devolve": (
            f"postgresql://{app_role}:{app_password}@{pg_host}/{database}"
        ),
        "postgresql://devolve:OWNER_PASSWORD@db.internal/devolve": (
            f"postgresql://{owner}:{owner_password}@{pg_host}/{database}"
        ),
        "redis://cache.internal:6379": f"redis://{redis_parts.netloc}{redis_parts.path}",
        "NOTIFY_API_KEY=LIVE_API_KEY": f"NOTIFY_API_KEY={notify.api_key}",
        "NOTIFY_TEMPLATES=@/etc/devolve/notify-templates.json": (
            f"NOTIFY_TEMPLATES=@{templates_file}"
        ),
        "--bind 0.0.0.0:8000": f"--bind 127.0.0.1:{port}",
    }
    script = block
    for old, new in replacements.items():
        assert old in script, f"README's production block no longer says {old!r}"
        script = script.replace(old, new)
    for host in README_HOSTS:
        assert host not in script, f"{host} left in the recipe after substitution"
    assert "gunicorn --workers 4 " in script
    assert "flask --app wsgi send-messages &\n" in script

    before = set(redis.keys("*"))
    log = tmp_path / "recipe.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DEVOLVE_", "RATELIMIT_"))}
    env.pop("DATABASE_URL", None)
    env.pop("MIGRATION_DATABASE_URL", None)
    # Only the tests point Devolve at another Notify than GOV.UK's.
    env["NOTIFY_BASE_URL"] = notify.base_url
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    server = Server(port)
    proc = None
    try:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f"CREATE ROLE {owner} LOGIN CREATEROLE PASSWORD '{owner_password}'")
            conn.execute(f"CREATE DATABASE {database} OWNER {owner}")
        with log.open("wb") as out:
            proc = subprocess.Popen(
                ["bash", "-euo", "pipefail", "-c", script],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the recipe stopped (exit {proc.returncode}):\n{log.read_text()}")
            try:
                response, _, _ = server.request("GET", "/_status")
                if response.status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not answer /_status in 120 s:\n{log.read_text()}")
            time.sleep(0.3)
        server.log = log
        server.proc = proc
        server.env = {
            **env,
            "DEVOLVE_ENV": "production",
            "DATABASE_URL": replacements[
                "postgresql://devolve_app:APP_PASSWORD@db.internal/devolve"
            ],
            "SECRET_KEY": secrets.token_urlsafe(48),
            "PUBLIC_URL": "https://pb.council.example",
            "NOTIFY_API_KEY": notify.api_key,
            "NOTIFY_TEMPLATES": f"@{templates_file}",
        }
        server.notify = notify
        server.templates = json.loads(templates_file.read_text())
        server.owner_url = f"postgresql://{owner}:{owner_password}@{pg_host}/{database}"
        server.app_role = app_role
        server.owner = owner
        server.redis = redis
        server.redis_before = before
        yield server
    finally:
        notify.stop()
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        new_keys = set(redis.keys("*")) - before
        if new_keys:
            redis.delete(*new_keys)
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
            conn.execute(f"DROP ROLE IF EXISTS {app_role}")
            conn.execute(f"DROP ROLE IF EXISTS {owner}")


def demo_resident(env: dict[str, str]) -> tuple[str, str]:
    """Load the demo as the app's role (it casts and closes rounds) and return a resident's
    email and password from what it prints. ``seed-demo`` refuses to run in production (it
    prints its accounts' password and authenticator secret), so it runs as development, on the
    same database and as the same role."""
    result = subprocess.run(
        [str(Path(sys.executable).parent / "flask"), "--app", "wsgi", "seed-demo"],
        cwd=ROOT,
        env={**env, "DEVOLVE_ENV": "development"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    password = re.search(r"password for all: (\S+?)\)", result.stdout).group(1)
    for line in result.stdout.splitlines():
        fields = line.split(None, 1)
        resident = len(fields) == 2 and fields[1].startswith("Resident in ")
        if resident and "@" in fields[0] and "," not in fields[1]:
            return fields[0], password
    raise AssertionError(f"no resident among the demo logins:\n{result.stdout}")


def test_the_readme_production_recipe_starts_signs_in_and_limits_in_redis(recipe):
    import psycopg

    log = recipe.log.read_text()
    assert "Running upgrade" in log  # the migrations ran, as the owner
    assert f"GRANT SELECT, INSERT ON ballots TO {recipe.app_role}" in log
    booted = re.findall(r"Booting worker with pid: (\d+)", log)
    assert len(booted) == 4, log

    # The tables belong to the owner; the app's role cannot empty the ballot box.
    with psycopg.connect(recipe.owner_url) as conn:
        owners = conn.execute(
            "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'"
        )
        assert [r[0] for r in owners] == [recipe.owner]
    with (
        psycopg.connect(recipe.env["DATABASE_URL"]) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute("TRUNCATE ballots")

    email, password = demo_resident(recipe.env)

    response, _, _ = recipe.request("GET", "/account/")
    assert response.status == 302 and "/auth/sign-in" in response.headers["Location"]
    token = recipe.csrf("/auth/sign-in")
    response, _, set_cookies = recipe.request(
        "POST", "/auth/sign-in", {"csrf_token": token, "email": email, "password": password}
    )
    assert response.status == 302, response.status
    session_cookie = next(c for c in set_cookies if c.startswith("session="))
    attributes = {a.strip().lower() for a in session_cookie.split(";")[1:]}
    assert {"secure", "httponly", "samesite=lax"} <= attributes, session_cookie
    response, page, _ = recipe.request("GET", "/account/")
    assert response.status == 200
    assert email in page
    assert "Sign out" in page

    # Signing in is limited to 10 a minute per address (the sign-in above was the first),
    # counted in Redis, which every worker and host shares: the 10th try is refused, and the
    # count is in Redis itself. (Which worker takes each connection is the kernel's choice, so
    # the refusal alone would not prove the count is shared; the Redis key does.)
    statuses = []
    for _ in range(10):
        token = recipe.csrf("/auth/sign-in")
        response, _, _ = recipe.request(
            "POST",
            "/auth/sign-in",
            {"csrf_token": token, "email": "nobody@example.invalid", "password": "wrong"},
        )
        statuses.append(response.status)
    assert statuses == [200] * 9 + [429], statuses
    keys = [k for k in set(recipe.redis.keys("*")) - recipe.redis_before if b"sign_in" in k]
    assert keys, "no sign-in limit key in Redis"
    assert max(int(recipe.redis.get(k)) for k in keys if recipe.redis.type(k) == b"string") >= 10

    # Registering over HTTP queues the confirmation email with the account, in its
    # transaction; the worker beside gunicorn sends it through Notify (the web workers never
    # do in production), and empties the row once it went: the link in it signs the address.
    visitor = Server(recipe.port)
    _, page, _ = visitor.request("GET", "/auth/register")
    neighbourhood = re.search(r'<option value="(\d+)"', page).group(1)
    newcomer = f"newcomer.{secrets.token_hex(4)}@example.org"
    response, _, _ = visitor.request(
        "POST",
        "/auth/register",
        {
            "csrf_token": CSRF.search(page).group(1) or CSRF.search(page).group(2),
            "email": newcomer,
            "display_name": "Nia Newcomer",
            "home_neighbourhood": neighbourhood,
            "password": "a long enough password",
            "confirm_password": "a long enough password",
        },
    )
    assert response.status == 302, response.status
    deadline = time.monotonic() + 30
    while not (sent := [n for n in recipe.notify.sent() if n["to"] == newcomer]):
        assert time.monotonic() < deadline, f"no email to {newcomer}:\n{recipe.log.read_text()}"
        time.sleep(0.3)
    [email] = sent
    assert email["template_id"] == recipe.templates["confirm_email"]["en"]
    assert email["personalisation"]["name"] == "Nia Newcomer"
    assert email["personalisation"]["link"].startswith(
        "https://pb.council.example/auth/confirm-email/"
    )
    with psycopg.connect(recipe.owner_url) as conn:
        row = conn.execute(
            "SELECT kind, state, recipient, data, provider_id FROM messages WHERE id = %s",
            (email["reference"],),
        ).fetchone()
    assert row == ("confirm_email", "sent", None, None, email["id"]), row
