"""A real server of the app and Debian's Chromium, driven through Playwright.

Each test worker (pytest-xdist) gets its own SQLite file database, migrated and loaded with the
demo data, its own server on a free port of 127.0.0.1, and its own Chromium. Tests share the
server and the database, so they must leave the data as they found it (sign out, register no
one); each test gets a fresh browser context (cookies, storage) so no one is signed in.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from app import create_app
from app.demo import seed_demo
from app.web.extensions import db
from app.web.sessions import policy
from tests.app.conftest import make_config, migrate
from tests.conftest import require_or_skip

# Debian's fixed path; CHROMIUM points elsewhere if needed. Playwright's own downloads are not used.
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 10_000


class RequestHandler(WSGIRequestHandler):
    # Werkzeug writes the headers and the body separately; with Nagle's algorithm on, each
    # response then waits for a delayed ACK (~40 ms on loopback), which adds up over a suite.
    disable_nagle_algorithm = True


def closing(app):
    """The app, with each response read whole and closed before werkzeug writes it.

    Werkzeug's development server closes a response only after draining the request socket,
    and a browser that resets the connection first (Chromium does, now and then, on a
    redirect) makes it skip ``close``: the callbacks registered with ``call_on_close``, such as
    sending an email once the answer has gone, would then never run. gunicorn always closes.
    """

    def wsgi(environ, start_response):
        response = app(environ, start_response)
        try:
            body = b"".join(response)
        finally:
            if hasattr(response, "close"):
                response.close()
        return [body]

    return wsgi


class LiveServer:
    """The app served by werkzeug in a background thread."""

    def __init__(self, app) -> None:
        self.app = app
        self.server = make_server(
            "127.0.0.1", 0, closing(app), threaded=True, request_handler=RequestHandler
        )
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, name="live-server", daemon=True
        )

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> Iterator[LiveServer]:
    # Always SQLite: the browser tests check pages, the database suites check PostgreSQL.
    path = tmp_path_factory.mktemp("browser-db") / "devolve.sqlite3"
    url = f"sqlite:///{path}"
    migrate(url)
    # Every test signs in through the real form from the same address, most of them as the
    # same few demo accounts; the real limits (a handful a minute per address, ten in a quarter
    # of an hour per account) protect residents, not this test server.
    config = type(
        "BrowserConfig",
        (make_config(url),),
        {
            "SIGN_IN_RATE_LIMIT": "1000 per minute",
            "SIGN_IN_ACCOUNT_RATE_LIMIT": "1000 per minute",
            "TWO_FACTOR_ACCOUNT_RATE_LIMIT": "1000 per minute",
        },
    )
    app = create_app(config)
    with app.app_context():
        seed_demo(db.session, policy())
        db.session.commit()
        db.session.remove()
    try:
        with LiveServer(app) as server:
            yield server
    finally:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Checked before anything is built, so a missing browser skips (or fails) at once."""
    require_or_skip(Path(CHROMIUM).is_file(), f"Chromium ({CHROMIUM})", "REQUIRE_BROWSER")
    return CHROMIUM


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _new_context(browser, live_server, **options):
    context = browser.new_context(base_url=live_server.url, **options)
    context.set_default_timeout(TIMEOUT_MS)
    return context


# Fixture order matters: the server is started before Chromium, so it stops after it.
@pytest.fixture
def page(chromium_path, live_server, browser):
    """A page in a fresh context: no cookies, JavaScript on."""
    context = _new_context(browser, live_server)
    yield context.new_page()
    context.close()


@pytest.fixture
def page_without_js(chromium_path, live_server, browser):
    """A page in a fresh context with JavaScript switched off, as some residents browse."""
    context = _new_context(browser, live_server, java_script_enabled=False)
    yield context.new_page()
    context.close()


@pytest.fixture
def narrow_page(chromium_path, live_server, browser):
    """A page 320 CSS pixels wide, as a 1280-pixel screen zoomed to 400% (WCAG 1.4.10)."""
    from tests.browser.helpers import WIDTH

    context = _new_context(browser, live_server, viewport={"width": WIDTH, "height": 640})
    yield context.new_page()
    context.close()
