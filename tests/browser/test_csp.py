"""The Content-Security-Policy in Chromium: the main journeys raise no violation, and GOV.UK
Frontend's JavaScript (which the policy must let run) still initialises."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import LAMBETH_OFFICER, RESIDENT, sign_in_from_anywhere

pytestmark = pytest.mark.browser

# Added before any page script runs: every violation the browser reports, kept on the window.
LISTEN = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"}`);
});
"""


@pytest.fixture
def watched(page: Page):
    """The page, with CSP violations and console errors collected as it goes."""
    page.add_init_script(LISTEN)
    console: list[str] = []
    page.on(
        "console",
        lambda m: console.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.console_reports = console
    return page


def violations(page: Page) -> list[str]:
    return page.evaluate("window.__violations") + page.console_reports


def check_js_ran(page: Page) -> None:
    # The GOV.UK template's inline script (allowed by its nonce) marks the body, and initAll
    # (an external module) runs.
    expect(page.locator("body")).to_have_class(re.compile(r"\bgovuk-frontend-supported\b"))
    expect(page.locator("body")).to_have_class(re.compile(r"\bjs-enabled\b"))


def test_the_listener_sees_what_the_policy_blocks(watched: Page):
    """Without this the other tests could not fail: an injected inline script is blocked."""
    watched.goto("/")
    watched.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.__ran = 1'; document.body.append(s); }"
    )
    watched.wait_for_function("window.__violations.length > 0")
    assert watched.evaluate("window.__ran") is None
    assert any("script-src" in v for v in violations(watched))


def test_public_pages_and_the_council_colour_raise_no_violation(watched: Page):
    page = watched
    page.goto("/")
    check_js_ran(page)
    page.get_by_role("link", name="Lambeth Council").click()
    expect(page).to_have_url(re.compile(r"/councils/lambeth$"))
    # The council's colour arrives through the nonced style element.
    colour = page.locator(".devolve-header").evaluate("e => getComputedStyle(e).backgroundColor")
    assert colour == "rgb(0, 89, 79)"  # Lambeth's #00594f
    page.goto("/councils/lambeth/rounds/youth-services-2026")
    check_js_ran(page)
    assert violations(page) == []


def test_an_error_summary_takes_focus_without_a_violation(watched: Page):
    page = watched
    page.goto("/auth/sign-in")
    page.get_by_role("button", name="Sign in", exact=True).click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    # GOV.UK Frontend's ErrorSummary moves focus to the summary when it initialises.
    expect(summary).to_be_focused()
    # ... and the skip link, also initialised by initAll, moves focus to the main content.
    page.locator(".govuk-skip-link").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#main-content")).to_be_focused()
    assert violations(page) == []


def test_signed_in_journeys_raise_no_violation(watched: Page):
    page = watched
    sign_in_from_anywhere(page, RESIDENT)
    page.goto("/account/")
    page.goto("/councils/lambeth/rounds/youth-services-2026/vote")
    page.get_by_role("link", name="Vote in Brixton").click()
    # The ballot's running totals (its own script file) work, so its "Update totals" is hidden.
    page.locator("input[name=choices]").nth(0).check()
    expect(page.locator("#running-total")).to_contain_text("You have chosen 1 project")
    expect(page.get_by_role("button", name="Update totals")).to_be_hidden()
    check_js_ran(page)
    page.get_by_role("button", name="Sign out").click()
    sign_in_from_anywhere(page, LAMBETH_OFFICER)
    page.goto("/officers/lambeth")
    check_js_ran(page)
    assert violations(page) == []
