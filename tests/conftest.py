"""Settings and fixtures shared by every test folder.

The app under test (tests/app, tests/ballots), on a database built by the migrations.

SQLite (the default): the migrations run once into a template file per test worker, and every
test gets a fresh copy. PostgreSQL (DATABASE_URL set): each worker gets its own database, built
by the migrations once as DATABASE_URL's user (the tables' owner); every test starts from empty
tables. The app under test connects as a role of its own made by `flask create-app-role`'s
code, as in production, so the suite proves the app works with only those rights; a test that
must do what only the owner can (switch a trigger off) uses ``owner_connection()``.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import current_app
from flask_migrate import upgrade
from jinja2 import BytecodeCache
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool
from werkzeug.routing import Rule

from app import create_app
from app.web.extensions import db as _db
from app.web.extensions import limiter
from app.workflow import network
from app.workflow.database_roles import create_app_role
from config import TestingConfig, database_url
from tests.fake_notify import FakeNotify, serve

ROOT = Path(__file__).resolve().parent.parent

# The language catalogues as `make translations` compiles them, for a run that did not go
# through make (a single test file, an editor).
from tests.app.languages.catalogues import compile_stale  # noqa: E402

compile_stale()


def pabulib_dir() -> Path:
    """Where the shared pabulib elections live: $PABULIB_DIR, else ../shared/pabulib."""
    return Path(os.environ.get("PABULIB_DIR") or ROOT.parent / "shared" / "pabulib")


def stv_dir() -> Path:
    """Where the shared Scottish STV elections live: $STV_DIR, else ../shared/stv."""
    return Path(os.environ.get("STV_DIR") or ROOT.parent / "shared" / "stv")


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


def make_config(url: str, owner_url: str | None = None) -> type[TestingConfig]:
    """A test config on ``url``; ``owner_url``: the tables' owner, when the app connects as
    a role of its own (PostgreSQL)."""
    return type(
        "TestConfig",
        (TestingConfig,),
        {"SQLALCHEMY_DATABASE_URI": url, "MIGRATION_DATABASE_URL": owner_url},
    )


@contextmanager
def owner_connection() -> Iterator[Connection]:
    """A connection with the tables' owner's rights, committed at the end: for what the app's
    role may not do (ANALYZE, switching a trigger off, creating a table), or to show that a
    trigger stops even the owner. SQLite has no roles: the app's session's own connection,
    committed with it (rolled back on an error)."""
    url = current_app.config.get("MIGRATION_DATABASE_URL")
    if url is None:
        try:
            yield _db.session.connection()
        except BaseException:
            _db.session.rollback()
            raise
        _db.session.commit()
        return
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            yield conn
    finally:
        engine.dispose()


def migrate(url: str) -> None:
    app = create_app(make_config(url))
    with app.app_context():
        upgrade()
        _db.engine.dispose()


class SqliteDatabase:
    dialect = "sqlite"

    def __init__(self, template: Path) -> None:
        self.template = template

    def fresh(self, tmp_path: Path) -> str:
        target = tmp_path / "devolve.sqlite3"
        shutil.copyfile(self.template, target)
        return f"sqlite:///{target}"


class PostgresDatabase:
    dialect = "postgresql"

    def __init__(self, url: str, owner_url: str) -> None:
        self.url = url
        self.owner_url = owner_url
        self.engine = create_engine(owner_url)
        with self.engine.connect() as conn:
            self.tables = conn.scalars(
                text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                    "AND tablename <> 'alembic_version'"
                )
            ).all()
            sequences = conn.scalars(
                text("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'")
            ).all()
        # A test's fresh database: the tables that hold rows (found in one quick query) are
        # emptied and every sequence starts again from 1. Emptying only those is what makes it
        # cheap, as TRUNCATE costs about as much for an empty table as for a full one, and
        # DELETE is quicker still for a test's few rows, with the triggers (the append-only
        # tables' own, and the foreign keys') off for the cleaning transaction: a superuser's
        # right. Without it, TRUNCATE.
        self.probe = text(
            " UNION ALL ".join(
                # The names are the schema's own tables, read above.
                f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM \"{t}\")"  # noqa: S608
                for t in self.tables
            )
        )
        self.restart = text(
            "SELECT " + ", ".join(f"setval('\"{s}\"', 1, false)" for s in sequences)
            if sequences
            else "SELECT 1"
        )
        try:
            with self.engine.begin() as conn:
                conn.execute(text("SET LOCAL session_replication_role = replica"))
            self.delete = True
        except DBAPIError:
            self.delete = False

    def fresh(self, tmp_path: Path) -> str:  # noqa: ARG002
        with self.engine.begin() as conn:
            full = [row[0] for row in conn.execute(self.probe)]
            if full and self.delete:
                conn.execute(text("SET LOCAL session_replication_role = replica"))
                for table in full:
                    conn.execute(text(f'DELETE FROM "{table}"'))  # noqa: S608
            elif full:
                conn.execute(text(f"TRUNCATE {', '.join(full)} CASCADE"))
            conn.execute(self.restart)
        return self.url


@pytest.fixture(scope="session")
def database(tmp_path_factory):
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    env_url = os.environ.get("DATABASE_URL")
    if not env_url:
        template = tmp_path_factory.mktemp("db") / "template.sqlite3"
        migrate(f"sqlite:///{template}")
        yield SqliteDatabase(template)
        return
    base = make_url(database_url(env_url))
    # The process id keeps two runs on one server (a developer's and CI's) from dropping each
    # other's databases.
    name = f"{base.database}_devolve_{worker}_{os.getpid()}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    owner_url = base.set(database=name).render_as_string(hide_password=False)
    migrate(owner_url)
    role = re.sub(r"[^a-z0-9_]", "_", name.lower())[:50] + "_app"
    owner = create_engine(owner_url)
    with owner.begin() as conn:
        conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        create_app_role(conn, role, password=base.password)
    owner.dispose()
    url = base.set(database=name, username=role, password=base.password).render_as_string(
        hide_password=False
    )
    pg = PostgresDatabase(url, owner_url)
    yield pg
    pg.engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
    admin.dispose()


class MemoryBytecodeCache(BytecodeCache):
    """Compiled templates shared by every app in this test process: each test builds a new app,
    and compiling the GOV.UK macros again for each would dominate the run."""

    def __init__(self) -> None:
        self.store: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        if bucket.key in self.store:
            bucket.bytecode_from_string(self.store[bucket.key])

    def dump_bytecode(self, bucket) -> None:
        self.store[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CACHE = MemoryBytecodeCache()


def _reuse_url_builders() -> None:
    """Every test builds a new app, and werkzeug compiles two URL builders (Python code made
    from an AST) for each of the app's routes as it adds them: most of the time a new app
    takes. A builder depends only on its rule's parts and defaults, so the tests' apps share
    them: each is compiled once per test process. (A wrong builder would give wrong URLs,
    which the tests would see at once.)"""
    original = Rule._compile_builder
    compiled: dict[tuple, object] = {}

    def compile_builder(self, append_unknown: bool = True):
        key = (
            append_unknown,
            self.rule,
            tuple(self._trace),
            tuple(sorted((k, repr(v)) for k, v in (self.defaults or {}).items())),
            tuple(sorted((k, type(c).__qualname__) for k, c in self._converters.items())),
        )
        if key not in compiled:
            compiled[key] = original(self, append_unknown)
        return compiled[key]

    Rule._compile_builder = compile_builder


_reuse_url_builders()


@pytest.fixture
def app(database, tmp_path):
    app = create_app(make_config(database.fresh(tmp_path), getattr(database, "owner_url", None)))
    app.jinja_env.bytecode_cache = TEMPLATE_CACHE
    # The demo's trustee key files (flask seed-demo), kept out of the checkout's instance/.
    app.config["DEMO_TRUSTEE_KEYS"] = str(tmp_path / "demo-trustees")
    # Each test's database is emptied and its ids start again: what the network's pages kept
    # for another test's rows could have the same fingerprint.
    network.forget()
    with app.app_context():
        limiter.reset()
        yield app
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture(scope="session")
def fake_notify_server() -> Iterator[FakeNotify]:
    """One fake GOV.UK Notify per test worker, served on a free local port."""
    fake = FakeNotify()
    with serve(fake):
        yield fake


@pytest.fixture
def fake_notify(fake_notify_server: FakeNotify) -> FakeNotify:
    """The worker's fake GOV.UK Notify, emptied for this test: no templates, messages or
    scripted failures. Its ``base_url`` and ``api_key`` are what a client needs."""
    fake_notify_server.reset()
    return fake_notify_server


@pytest.fixture
def lambeth(db):
    """Lambeth with three neighbourhoods (need weights), its officer, resident, auditor, and
    Liverpool with its own officer and round."""
    from decimal import Decimal
    from types import SimpleNamespace

    from app.workflow.models import Phase, Role
    from tests.factories import create_council, create_neighbourhood, create_round, create_user

    council = create_council(slug="lambeth", name="Lambeth Council")
    brixton = create_neighbourhood(
        council, name="Brixton", population=300, need_weight=Decimal("1.6")
    )
    clapham = create_neighbourhood(
        council, name="Clapham", population=200, need_weight=Decimal("0.7")
    )
    norwood = create_neighbourhood(
        council, name="Norwood", population=100, need_weight=Decimal("1.1")
    )
    liverpool = create_council(slug="liverpool", name="Liverpool City Council")
    everton = create_neighbourhood(liverpool, name="Everton")
    world = SimpleNamespace(
        council=council,
        hoods=[brixton, clapham, norwood],
        liverpool=liverpool,
        officer=create_user(
            email="officer@lambeth.example", display_name="Priya", roles={council: Role.OFFICER}
        ),
        resident=create_user(
            email="resident@lambeth.example",
            display_name="Jordan",
            home=brixton,
            roles={council: Role.RESIDENT},
        ),
        neighbour=create_user(
            email="neighbour@lambeth.example", home=clapham, roles={council: Role.RESIDENT}
        ),
        auditor=create_user(email="auditor@lambeth.example", roles={council: Role.AUDITOR}),
        scouse=create_user(email="officer@liverpool.example", roles={liverpool: Role.OFFICER}),
        scouse_resident=create_user(
            email="resident@liverpool.example", home=everton, roles={liverpool: Role.RESIDENT}
        ),
        scouse_round=create_round(liverpool, slug="environment", phase=Phase.PROPOSALS),
    )
    db.session.commit()
    return world
