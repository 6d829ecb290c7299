"""What the browser tests do again and again: sign in through the form, check a page with axe,
measure a page's width, find the demo co-operative's meeting."""

from __future__ import annotations

import time
from functools import cache

import pyotp
from babel.support import Translations
from playwright.sync_api import Page, expect

from app.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET

RESIDENT = "resident@devolve.example"
LAMBETH_OFFICER = "officer.lambeth@devolve.example"

# The width at which every page must reflow (WCAG 2.1 success criterion 1.4.10).
WIDTH = 320

# WCAG 2.0, 2.1 and 2.2 at levels A and AA: what UK public sector bodies must meet.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


# The last time step whose code each demo account used in this test process (one server and
# one database per process): a code works once, so the next sign-in needs a later one.
_LAST_STEP: dict[str, int] = {}


def sign_in(page: Page, email: str, password: str = DEMO_PASSWORD) -> None:
    """Fill in and send the real sign-in form (the page must be showing it); for demo staff,
    then the security code from the demo authenticator, as a person types it."""
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_load_state()
    if page.url.split("?")[0].endswith("/auth/two-factor"):
        enter_security_code(page, email)


def enter_security_code(page: Page, email: str) -> None:
    totp = pyotp.TOTP(DEMO_TOTP_SECRET)
    while True:
        step = totp.timecode(time.time())
        last = _LAST_STEP.get(email, 0)
        candidates = [s for s in (step, step + 1) if s > last]
        if candidates:
            break
        time.sleep(totp.interval - time.time() % totp.interval + 0.05)
    _LAST_STEP[email] = candidates[0]
    page.get_by_label("Security code").fill(totp.generate_otp(candidates[0]))
    page.get_by_role("button", name="Continue").click()


def sign_in_from_anywhere(page: Page, email: str) -> None:
    page.goto("/auth/sign-in")
    sign_in(page, email)
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Signed in as")


def format_violations(url: str, violations: list[dict]) -> str:
    lines = [f"{len(violations)} accessibility violation(s) on {url}:"]
    for v in violations:
        lines.append("")
        lines.append(f"- {v['id']} ({v.get('impact') or 'no impact given'}): {v['help']}")
        lines.append(f"  {v['helpUrl']}")
        for node in v["nodes"]:
            target = " ".join(str(t) for t in node["target"])
            lines.append(f"  * {target}")
            lines.append(f"    {' '.join(node['html'].split())[:300]}")
            for summary_line in (node.get("failureSummary") or "").splitlines():
                if summary_line.strip():
                    lines.append(f"      {summary_line.strip()}")
    return "\n".join(lines)


def check_accessibility(page: Page) -> None:
    """Fail, listing every problem, if axe-core finds any WCAG 2.x A or AA violation."""
    from axe_playwright_python.sync_playwright import Axe

    page.evaluate("document.fonts.ready.then(() => true)")
    results = Axe().run(
        page,
        options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]},
    )
    violations = results.response["violations"]
    assert not violations, format_violations(page.url, violations)


@cache
def _welsh() -> Translations:
    from app.web.i18n import TRANSLATIONS

    return Translations.load(str(TRANSLATIONS), ["cy"])


def cy(msgid: str, **values) -> str:
    """``msgid`` as the Welsh catalogue says it: tests find the page's words by the catalogue,
    not by a copy of its translations."""
    text = _welsh().gettext(msgid)
    return text % values if values else text


def sign_in_in_welsh(page: Page, email: str, password: str = DEMO_PASSWORD) -> None:
    """Through the sign-in form in Welsh; for staff, the security code too."""
    page.goto("/auth/sign-in?lang=cy")
    page.get_by_label(cy("Email address")).fill(email)
    page.get_by_label(cy("Password"), exact=True).fill(password)
    page.get_by_role("button", name=cy("Sign in"), exact=True).click()
    page.wait_for_load_state()
    if page.url.split("?")[0].endswith("/auth/two-factor"):
        totp = pyotp.TOTP(DEMO_TOTP_SECRET)
        step = totp.timecode(time.time())
        while step <= _LAST_STEP.get(email, 0):
            page.wait_for_timeout(1000)
            step = totp.timecode(time.time())
        _LAST_STEP[email] = step
        page.get_by_label(cy("Security code")).fill(totp.generate_otp(step))
        page.get_by_role("button", name=cy("Continue")).click()
        page.wait_for_load_state()
    expect(page.locator(".govuk-notification-banner").first).to_be_visible()


def scroll_width(page: Page) -> int:
    page.wait_for_load_state()  # a click may still be loading the next page
    return page.evaluate("document.documentElement.scrollWidth")


def too_wide(page: Page, width: int = WIDTH) -> list[str]:
    """The innermost elements that reach past the viewport's right edge, for the message."""
    return page.evaluate(
        r"""(width) => {
          const wide = [...document.querySelectorAll('body *')].filter(
            (el) => el.getBoundingClientRect().right > width + 0.5);
          return wide
            .filter((el) => !wide.some((other) => other !== el && el.contains(other)))
            .slice(0, 5)
            .map((el) => {
              const name = typeof el.className === 'string' ? el.className.trim() : '';
              return el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
                + (name ? '.' + name.split(/\s+/).join('.') : '')
                + ` (right edge ${Math.round(el.getBoundingClientRect().right)})`;
            });
        }""",
        width,
    )


def coop_paths(live_server) -> dict[str, str]:
    """The demo co-operative's pages, whose numbers only its database knows: ``organisation``,
    ``meeting`` (its annual general meeting), ``motion`` (the special resolution, under the
    meeting) and ``election`` (the representative body's, under the organisation)."""
    from sqlalchemy import select

    from app.demo import coop
    from app.web.extensions import db
    from app.workflow.governance.models import Meeting

    with live_server.app.app_context():
        agm = db.session.scalar(select(Meeting).where(Meeting.title == coop.MEETING_TITLE))
        organisation = f"/organisations/{agm.organisation_id}"
        meeting = f"{organisation}/meetings/{agm.id}"
        motion = next(i for i in agm.items if i.title == coop.RULE_CHANGE)
        election = next(i for i in agm.items if i.title == coop.ELECTION_TITLE)
        paths = {
            "organisation": organisation,
            "meeting": meeting,
            "motion": f"{meeting}/items/{motion.id}",
            "election": f"{organisation}/elections/{election.id}",
        }
        db.session.remove()
    return paths
