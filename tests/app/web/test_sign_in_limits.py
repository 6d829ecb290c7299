"""Signing in is limited per account as well as per address, counted in the limiter's storage
(Redis in production, so across workers and hosts), and the address counted is the
connection's unless TRUSTED_PROXIES says how many proxies to believe in X-Forwarded-For."""

from __future__ import annotations

import os
import uuid

import pytest

from app import create_app
from app.web.extensions import db as _db
from app.web.extensions import limiter
from app.workflow import accounts
from tests.app.pages import csrf_token, soup
from tests.conftest import make_config, require_or_skip
from tests.factories import PASSWORD, create_council, create_neighbourhood, create_user

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379")


def address(n: int) -> str:
    return f"10.{n // 250}.{n % 250}.1"


@pytest.fixture
def checked(monkeypatch):
    """How many sign-ins got as far as checking a password."""
    calls = []
    real = accounts.authenticate

    def counting(*args, **kwargs):
        calls.append(args[2])
        return real(*args, **kwargs)

    monkeypatch.setattr(accounts, "authenticate", counting)
    return calls


def test_a_flood_against_one_account_from_200_addresses_stops_at_the_account_limit(
    app, client, db, lambeth, checked
):
    token = csrf_token(client, "/auth/sign-in")
    statuses = []
    for n in range(200):
        response = client.post(
            "/auth/sign-in",
            data={"csrf_token": token, "email": lambeth.officer.email, "password": f"guess {n}"},
            environ_overrides={"REMOTE_ADDR": address(n)},
        )
        statuses.append(response.status_code)
    # SIGN_IN_ACCOUNT_RATE_LIMIT is 10 per 15 minutes: ten guesses checked, 190 refused.
    assert statuses[:10] == [200] * 10 and set(statuses[10:]) == {429}
    assert len(checked) == 10
    page = soup(response)
    assert page.h1.get_text() == "Too many tries"
    assert "Too many tries: try again in 15 minutes. Nothing has been changed." in page.get_text()
    assert int(response.headers["Retry-After"]) > 14 * 60
    # The owner, from a new address, waits too (and is told how long), whatever the case.
    owner = client.post(
        "/auth/sign-in",
        data={"csrf_token": token, "email": lambeth.officer.email.upper(), "password": PASSWORD},
        environ_overrides={"REMOTE_ADDR": "192.0.2.77"},
    )
    assert owner.status_code == 429
    # Other accounts, from any of those addresses, are not held up.
    other = client.post(
        "/auth/sign-in",
        data={"csrf_token": token, "email": lambeth.resident.email, "password": PASSWORD},
        environ_overrides={"REMOTE_ADDR": address(3)},
    )
    assert other.status_code == 302


def app_with(database, tmp_path, **settings):
    config = type("LimitsConfig", (make_config(database.fresh(tmp_path)),), settings)
    return create_app(config)


def sign_in_statuses(app, posts: list[tuple[str, dict]]) -> list[int]:
    """POST the sign-in form once per (connection address, extra headers), each for a different
    account, with a wrong password; the statuses."""
    client = app.test_client()
    with app.app_context():
        token = csrf_token(client, "/auth/sign-in")
    statuses = []
    for n, (remote, headers) in enumerate(posts):
        with app.app_context():
            response = client.post(
                "/auth/sign-in",
                data={"csrf_token": token, "email": f"person{n}@example.org", "password": "x"},
                headers=headers,
                environ_overrides={"REMOTE_ADDR": remote},
            )
        statuses.append(response.status_code)
    return statuses


@pytest.mark.parametrize("proxies", ["0", "1"])
def test_x_forwarded_for_counts_only_when_trusted_proxies_says_so(database, tmp_path, proxies):
    app = app_with(database, tmp_path, TRUSTED_PROXIES=proxies, SIGN_IN_RATE_LIMIT="3 per minute")
    with app.app_context():
        limiter.reset()
    forged = [("198.51.100.5", {"X-Forwarded-For": f"203.0.113.{n}"}) for n in range(5)]
    same_client = [(f"198.51.100.{n}", {"X-Forwarded-For": "203.0.113.9"}) for n in range(5)]
    try:
        if proxies == "0":
            # Naming another address does not escape the limit: the connection's is counted.
            assert sign_in_statuses(app, forged) == [200, 200, 200, 429, 429]
            # (and different connections are different clients)
            assert sign_in_statuses(app, same_client) == [200] * 5
        else:
            # Behind one proxy, the address it saw is the client's.
            assert sign_in_statuses(app, forged) == [200] * 5
            assert sign_in_statuses(app, same_client) == [200, 200, 200, 429, 429]
    finally:
        with app.app_context():
            _db.engine.dispose()


def redis_available() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except Exception:  # noqa: BLE001 - any failure means "not reachable"
        return False


@pytest.mark.parametrize("storage", ["redis", "memory"])
def test_the_account_limit_holds_across_workers_counted_in_redis(database, tmp_path, storage):
    """Each try goes to a new app, as to another gunicorn worker or host that never saw the
    others: the limit holds only because the count is in Redis. With memory:// (the
    development default) each worker counts alone, and the same flood is never refused."""
    if storage == "redis":
        require_or_skip(redis_available(), f"Redis at {REDIS_URL}", "REQUIRE_REDIS")
    url = database.fresh(tmp_path)
    prefix = f"test-{uuid.uuid4().hex}"
    settings = {
        "RATELIMIT_STORAGE_URI": REDIS_URL if storage == "redis" else "memory://",
        "RATELIMIT_KEY_PREFIX": prefix,
        "SIGN_IN_ACCOUNT_RATE_LIMIT": "5 per 15 minutes",
    }
    config = type("Worker", (make_config(url),), settings)
    setup = create_app(config)
    with setup.app_context():
        council = create_council(slug="redis")
        hood = create_neighbourhood(council, name="Centre")
        create_user(email="target@example.org", home=hood)
        _db.session.commit()
        _db.session.remove()
        _db.engine.dispose()
    statuses = []
    try:
        for n in range(8):
            worker = create_app(config)  # its own limiter storage, as a new process has
            client = worker.test_client()
            with worker.app_context():
                token = csrf_token(client, "/auth/sign-in")
                response = client.post(
                    "/auth/sign-in",
                    data={"csrf_token": token, "email": "target@example.org", "password": "x"},
                    environ_overrides={"REMOTE_ADDR": address(n)},
                )
                _db.session.remove()
                _db.engine.dispose()
            statuses.append(response.status_code)
        if storage == "redis":
            assert statuses == [200] * 5 + [429] * 3
        else:
            assert statuses == [200] * 8
    finally:
        if storage == "redis":
            import redis

            store = redis.Redis.from_url(REDIS_URL)
            for key in store.scan_iter(f"*{prefix}*"):
                store.delete(key)
