"""axe-core on every kind of page: any WCAG 2.0/2.1/2.2 A or AA violation fails."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from app.demo import COUNCILS, coop
from tests.browser.helpers import (
    LAMBETH_OFFICER,
    RESIDENT,
    check_accessibility,
    coop_paths,
    sign_in_from_anywhere,
)

pytestmark = pytest.mark.browser

# (name, path, who is signed in, expected h1)
PAGES = [
    ("home", "/", None, "Participatory budgeting in your council"),
    ("council", "/councils/lambeth", None, "Lambeth Council"),
    ("round", "/councils/lambeth/rounds/youth-services-2026", None, "Youth services 2026"),
    # Every demo council: each brands the header with its own colour, under white text.
    *[
        (f"council {slug}", f"/councils/{slug}", None, name)
        for slug, name, *_ in COUNCILS
        if slug != "lambeth"
    ],
    (
        "results compared",
        "/councils/oldham/rounds/community-dividend-2025/results/compare",
        None,
        "Other ways of counting: Community dividend fund 2025",
    ),
    # The network's pages: eight charts drawn on the server, each with its table.
    ("councils side by side", "/network/compare", None, "Councils side by side"),
    (
        "rounds side by side",
        "/network/compare?view=rounds&year=2024",
        None,
        "Councils side by side",
    ),
    ("what worked", "/network/what-worked?order=delivered", None, "What worked"),
    ("the network setting", "/officers/lambeth/network", "admin@devolve.example", "The network"),
    ("sign in", "/auth/sign-in", None, "Sign in"),
    ("register", "/auth/register", None, "Create an account"),
    ("reset password", "/auth/reset-password", None, "Reset your password"),
    ("reset link unusable", "/auth/reset-password/not-a-link", None, "This link cannot be used"),
    ("account", "/account/", RESIDENT, "Your account"),
    ("officer dashboard", "/officers/lambeth", LAMBETH_OFFICER, "Manage Lambeth Council"),
    # The secret ballot rehearsal: its officers' trustees page and a trustee's own page.
    (
        "trustees",
        "/officers/oldham/rounds/secret-ballot-2026/trustees",
        "sam.officer@devolve.example",
        "Ballot encryption and trustees",
    ),
    (
        "trustee",
        "/trustee/demo-secret-ballot-2026-trustee-2",
        None,
        "Trustee 2: Independent auditor (demo)",
    ),
    # The demo co-operative's general meeting (its paths' numbers filled in from its
    # database): a member's page with the open resolution, the officers' meeting and live
    # turnout, and the declared election. The resolution's declaration is checked by
    # test_meeting.py, which declares it.
    ("meeting, a member's page", "{meeting}/vote", RESIDENT, coop.MEETING_TITLE),
    ("meeting, its chair's page", "{meeting}", coop.CHAIR, coop.MEETING_TITLE),
    (
        "meeting, live turnout",
        "{motion}/turnout",
        coop.SECRETARY,
        f"Turnout: {coop.RULE_CHANGE}",
    ),
    (
        "election declaration",
        "{election}/declaration",
        None,
        f"Declaration: {coop.ELECTION_TITLE}",
    ),
    ("not found", "/no-such-page", None, "Page not found"),
    ("not found in a council", "/councils/lambeth/rounds/no-such-round", None, "Page not found"),
]


@pytest.mark.parametrize(("path", "who", "h1"), [p[1:] for p in PAGES], ids=[p[0] for p in PAGES])
def test_page_has_no_accessibility_violations(page: Page, live_server, path, who, h1):
    if who:
        sign_in_from_anywhere(page, who)
    page.goto(path.format(**coop_paths(live_server)) if "{" in path else path)
    expect(page.get_by_role("heading", level=1)).to_have_text(h1)
    check_accessibility(page)


def test_register_with_errors_has_no_accessibility_violations(page: Page):
    page.goto("/auth/register")
    page.get_by_label("Email address").fill("not an email")
    page.get_by_role("group", name="Date of birth (optional)").get_by_label("Day").fill("31")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    expect(page.locator(".govuk-error-message").first).to_be_visible()
    check_accessibility(page)


def test_sign_in_with_errors_has_no_accessibility_violations(page: Page):
    page.goto("/auth/sign-in")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter your email address")
    check_accessibility(page)


def test_the_security_code_page_with_an_error_has_no_accessibility_violations(page: Page):
    from app.demo import DEMO_PASSWORD

    page.goto("/auth/sign-in")
    page.get_by_label("Email address").fill(LAMBETH_OFFICER)
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your security code")
    check_accessibility(page)
    page.get_by_label("Security code").fill("12")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the 6-digit code")
    check_accessibility(page)


def test_the_check_catches_a_violation(page: Page):
    """The checks above prove something only if a real problem fails them."""
    page.set_content(
        '<html lang="en"><head><title>Bad page</title></head>'
        '<body><main><h1>Bad page</h1><img src="data:,"><a href="/"></a></main></body></html>'
    )
    with pytest.raises(AssertionError) as failure:
        check_accessibility(page)
    report = str(failure.value)
    assert "image-alt" in report
    assert "link-name" in report
