"""What the browser tests do again and again: sign in through the form, check a page with axe."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from app.demo import DEMO_PASSWORD

RESIDENT = "resident@devolve.example"
LAMBETH_OFFICER = "officer.lambeth@devolve.example"

# WCAG 2.0, 2.1 and 2.2 at levels A and AA: what UK public sector bodies must meet.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def sign_in(page: Page, email: str, password: str = DEMO_PASSWORD) -> None:
    """Fill in and send the real sign-in form (the page must be showing it)."""
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


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
