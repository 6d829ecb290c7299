"""Every page reflows at 320 CSS pixels (WCAG 2.1 success criterion 1.4.10): nothing makes the
page scroll sideways. A table that cannot reflow scrolls inside its own box, never the page.

Each kind of person walks the demo site from its entry pages by following links, a few pages
per route, and every page is measured at 320 pixels wide."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect
from werkzeug.exceptions import HTTPException

from tests.browser.helpers import (
    LAMBETH_OFFICER,
    RESIDENT,
    WIDTH,
    scroll_width,
    sign_in_from_anywhere,
    sign_in_in_welsh,
    too_wide,
)

pytestmark = pytest.mark.browser

# A few pages of each route in each round show its layout; all of them would only take longer.
PER_ROUTE = 2
ITEM_ARGS = {"pot_id", "proposal_id", "contribution_id"}
START = ["/", "/councils/lambeth", "/councils/oldham", "/no-such-page"]
# (who is signed in, where their walk starts besides START)
WALKERS = {
    "anyone": (
        None,
        [
            "/auth/sign-in",
            "/auth/register",
            "/auth/reset-password",
            "/councils/oldham/rounds/community-dividend-2025/results/compare",
        ],
    ),
    "resident": (RESIDENT, ["/account/", "/councils/lambeth/rounds/youth-services-2026/vote"]),
    "officer": (LAMBETH_OFFICER, ["/officers/lambeth"]),
    "oldham officer": ("sam.officer@devolve.example", ["/officers/oldham"]),
    "auditor": ("auditor@devolve.example", ["/auditors/lambeth", "/auditors/oldham"]),
    # In Welsh, whose words run longer: a visitor who chose it (the cookie keeps it), and the
    # Welsh council's resident and officer, who chose it on their accounts.
    "Welsh visitor": (None, ["/?lang=cy", "/auth/register", "/councils/ynys-mon"]),
    "Welsh resident": (
        "preswylydd@ynysmon.devolve.example",
        ["/account/", "/councils/ynys-mon/rounds/cronfa-ieuenctid-2026/vote"],
    ),
    "Welsh officer": ("swyddog@ynysmon.devolve.example", ["/officers/ynys-mon"]),
}
WELSH = {"preswylydd@ynysmon.devolve.example", "swyddog@ynysmon.devolve.example"}
# Links not to follow: they change something, download a file or answer in JSON. (Nor the
# language switch: for a signed-in person it changes their account's language.)
SKIP = ("/static/", "/api/", "/export/", "/auth/sign-out", "/auth/confirm-email")


def route(live_server, path: str) -> tuple | None:
    """The page's route and round: pages of one round and route look alike, whichever pot or
    proposal they show."""
    adapter = live_server.app.url_map.bind("localhost")
    try:
        name, args = adapter.match(path, method="GET")
    except HTTPException:
        return None
    return (name, *(v for k, v in sorted(args.items()) if k not in ITEM_ARGS))


def walk(page: Page, live_server, starts: list[str]) -> dict[str, int]:
    """Visit pages breadth first from ``starts``: {path: scroll width}."""
    seen_per_route: dict[tuple | None, int] = {}
    queue = list(dict.fromkeys(starts))
    queued = set(queue)
    widths = {}
    problems = {}
    while queue:
        path = queue.pop(0)
        page.goto(path)
        widths[path] = scroll_width(page)
        if widths[path] > WIDTH:
            problems[path] = too_wide(page)
        for href in page.eval_on_selector_all(
            # (Not a map's markers: an SVG link's href is no string, and the table after
            # every map has the same links.)
            "a[href]:not([download]):not([hreflang]):not(svg a)",
            "(links) => links.map((a) => a.href)",
        ):
            parts = urlsplit(href)
            if parts.netloc != urlsplit(live_server.url).netloc:
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if target in queued or parts.path.startswith(SKIP):
                continue
            key = route(live_server, parts.path)
            if seen_per_route.get(key, 0) >= PER_ROUTE:
                continue
            seen_per_route[key] = seen_per_route.get(key, 0) + 1
            queued.add(target)
            queue.append(target)
    assert not problems, "pages wider than 320 pixels:\n" + "\n".join(
        f"{path}: {widths[path]} px; {', '.join(els)}" for path, els in problems.items()
    )
    return widths


@pytest.mark.parametrize("who", list(WALKERS))
def test_every_page_reflows_at_320_pixels(narrow_page: Page, live_server, who):
    email, starts = WALKERS[who]
    if email in WELSH:
        sign_in_in_welsh(narrow_page, email)
    elif email:
        sign_in_from_anywhere(narrow_page, email)
    widths = walk(narrow_page, live_server, START + starts)
    assert len(widths) >= 5  # the walk went somewhere


def test_the_ballot_and_its_check_page_reflow_at_320_pixels(narrow_page: Page):
    page = narrow_page
    sign_in_from_anywhere(page, RESIDENT)
    page.goto("/councils/lambeth/rounds/youth-services-2026/vote")
    page.get_by_role("link", name="Vote in Brixton").click()
    assert scroll_width(page) <= WIDTH, too_wide(page)
    page.get_by_role("button", name="Continue").click()  # nothing chosen: the errors show
    assert scroll_width(page) <= WIDTH, too_wide(page)
    page.locator("input[name=choices]").first.check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your ballot: Brixton")
    assert scroll_width(page) <= WIDTH, too_wide(page)


def test_an_audit_log_with_events_reflows_at_320_pixels(narrow_page: Page):
    """The demo's logs start empty; an auditor's download is an event (the log is append-only,
    so this one stays: it is what auditors do) whose fingerprint is one long word."""
    page = narrow_page
    sign_in_from_anywhere(page, "auditor@devolve.example")
    page.goto("/auditors/oldham/rounds/community-dividend-2025")
    with page.expect_download():
        page.get_by_role("link", name="Download the export for").first.click()
    page.reload()
    expect(page.locator("#audit-log [data-action='results.exported']").first).to_be_visible()
    assert scroll_width(page) <= WIDTH, too_wide(page)


def test_the_check_fails_on_a_page_that_scrolls_sideways(narrow_page: Page):
    """The walk proves something only if a page too wide fails it."""
    narrow_page.set_content('<div style="width: 400px">wide</div>')
    assert scroll_width(narrow_page) > WIDTH
    assert too_wide(narrow_page) == ["div (right edge 408)"]
