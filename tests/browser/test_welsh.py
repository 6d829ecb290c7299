"""The main journeys in Welsh, in Chromium: the demo's Welsh council (Cyngor Sir Ynys Môn,
Welsh first) visited, registering, proposing, verifying, voting with every ballot kind, the
receipt, the results with their explanations, an officer setting up a round and an auditor's
export. On every page: `<html lang="cy">`, no English sentence of either catalogue, texts in
another language marked with their own `lang`, and no WCAG 2.2 AA violation (axe).

Expected words come from the Welsh catalogue itself (``cy("Sign in")``), so the test checks
that the pages use it, not a copy of its translations.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from functools import cache

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.web.extensions import db
from app.workflow.models import FundingRound, User
from tests.app.languages.catalogues import DOMAINS, po_files, read
from tests.browser.helpers import check_accessibility, cy, sign_in_in_welsh
from votes.i18n import translator

pytestmark = pytest.mark.browser

COUNCIL = "/councils/ynys-mon"
RESIDENT = "preswylydd@ynysmon.devolve.example"  # chose Welsh
NEWCOMER = "dysgwr@ynysmon.devolve.example"  # chose no language, not on the roll yet
OFFICER = "swyddog@ynysmon.devolve.example"  # chose Welsh
ADMIN = "admin@devolve.example"  # chose no language


PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w*\}|<[^>]*>")


@cache
def english_sentences() -> tuple[str, ...]:
    """Every run of three or more English words in either catalogue whose Welsh is different:
    none of them may be on a Welsh page."""
    found = set()
    for domain, folder, _ in DOMAINS:
        for po in po_files(domain, folder):
            if po.parent.parent.name != "cy":
                continue
            for message in read(po):
                if not message.id:
                    continue
                ids = message.id if isinstance(message.id, tuple | list) else (message.id,)
                strings = (
                    message.string
                    if isinstance(message.string, tuple | list)
                    else (message.string,)
                )
                welsh = " ".join(strings)
                for msgid in ids:
                    for part in PLACEHOLDER.split(msgid):
                        part = " ".join(part.split()).strip(" .,:;()–-")
                        if len(part.split()) >= 3 and part not in welsh:
                            found.add(part)
    return tuple(sorted(found))


# The page's text, without what is marked as written in another language (a proposal in
# English only, inside an element with lang="en").
VISIBLE_WELSH = """() => {
  const body = document.body.cloneNode(true);
  const other = '[lang]:not([lang="cy"]), script, style, [hidden]';
  body.querySelectorAll(other).forEach(e => e.remove());
  return body.textContent.replace(/\\s+/g, ' ');
}"""


def check_welsh(page: Page) -> None:
    """The page is in Welsh: its lang, no English sentence left, and accessible."""
    expect(page.locator("html")).to_have_attribute("lang", "cy")
    text = page.evaluate(VISIBLE_WELSH)
    left = [s for s in english_sentences() if s in text]
    assert not left, f"English on the Welsh page {page.url}: {left[:10]}"
    check_accessibility(page)


def sign_in(page: Page, email: str) -> None:
    """Through the Welsh sign-in form, as the person would; each page on the way checked."""
    sign_in_in_welsh(page, email)
    check_welsh(page)


def test_a_visitor_gets_the_welsh_first_council_in_welsh_and_can_switch(page: Page):
    page.goto(COUNCIL)
    check_welsh(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Cyngor Sir Ynys Môn")
    switch = page.locator(".devolve-language-switch a")
    expect(switch).to_have_text("English")
    expect(switch).to_have_attribute("lang", "en")
    expect(page.locator('link[rel=alternate][hreflang="en"]')).to_have_count(1)
    page.goto(COUNCIL + "/rounds/grantiau-cymunedol-2026")
    check_welsh(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Grantiau cymunedol 2026")

    # A proposal written in English only: on the Welsh page it keeps its own lang, with a note.
    page.get_by_role("link", name="Beach clean-up kit library").first.click()
    check_welsh(page)
    expect(page.locator("h1 [lang=en], h1[lang=en]")).to_have_count(1)
    expect(page.locator(".devolve-elsewhere").first).to_contain_text(
        cy("This is written in %(language)s only.", language="Saesneg")
    )

    # The same page in English, by the switch; then back.
    page.locator(".devolve-language-switch a").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator(".devolve-language-switch a")).to_have_text("Cymraeg")
    page.goto(COUNCIL)
    expect(page.get_by_role("heading", level=1)).to_have_text("Isle of Anglesey County Council")
    page.locator(".devolve-language-switch a").click()
    expect(page.locator("html")).to_have_attribute("lang", "cy")


def test_register_in_welsh_keeps_welsh_on_the_new_account(page: Page, live_server):
    page.goto("/auth/register?lang=cy")
    check_welsh(page)
    page.get_by_role("button", name=cy("Create account")).click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(cy("There is a problem"))
    check_welsh(page)
    page.get_by_label(cy("Email address")).fill("cymraeg@example.org")
    page.get_by_label(cy("Your name")).fill("Siân Newydd")
    page.get_by_label(cy("Your neighbourhood")).select_option(index=1)
    page.get_by_label(cy("Password"), exact=True).fill("cyfrinair hir iawn")
    page.get_by_label(cy("Confirm password")).fill("cyfrinair hir iawn")
    page.get_by_role("button", name=cy("Create account")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(cy("Sign in"))
    check_welsh(page)
    with live_server.app.app_context():
        user = db.session.scalar(select(User).where(User.email == "cymraeg@example.org"))
        assert user.language == "cy"
        db.session.remove()


def test_propose_in_welsh(page: Page):
    sign_in(page, RESIDENT)
    # The account's choice: Welsh, with no ?lang on the address.
    page.goto("/account/")
    check_welsh(page)
    propose = COUNCIL + "/rounds/syniadau-2027/propose"
    page.goto(propose)
    check_welsh(page)
    page.locator("main form button[type=submit], main form input[type=submit]").last.click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(cy("There is a problem"))
    check_welsh(page)


def test_verify_in_welsh(page: Page):
    sign_in(page, NEWCOMER)
    page.goto(COUNCIL + "/verify")
    check_welsh(page)
    page.locator("main form input[type=text]").first.fill("NOT-A-CODE")
    page.locator("main form button[type=submit]").last.click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    check_welsh(page)


# (round, how the ballot is filled in)
BALLOTS = [
    ("grantiau-cymunedol-2026", "approval"),
    ("cronfa-ieuenctid-2026", "cumulative"),
    ("blaenoriaethau-2026", "ranked"),
    ("cyllideb-y-dref-2026", "knapsack"),
    ("un-prosiect-mawr-2026", "single"),
]


def _fill(page: Page, how: str) -> None:
    if how in ("approval", "knapsack") or how == "single":
        page.locator("input[name=choices]").first.check()
    elif how == "ranked":
        select = page.locator("#ranks select").first
        select.select_option(index=1)
    else:
        page.locator("#points input").first.fill("5")
        page.locator("#points input").nth(1).fill("5")


def test_vote_with_every_ballot_kind_in_welsh_and_read_the_receipt(page: Page):
    sign_in(page, RESIDENT)
    for round_slug, how in BALLOTS:
        page.goto(f"{COUNCIL}/rounds/{round_slug}/vote")
        check_welsh(page)
        page.locator("main a[href*='/vote/']").first.click()
        check_welsh(page)
        _fill(page, how)
        page.get_by_role("button", name=cy("Continue")).click()
        expect(page.get_by_role("button", name=cy("Change my choices"))).to_be_visible()
        check_welsh(page)
        page.get_by_role("button", name=cy("Cast my ballot")).click()
        expect(page).to_have_url(re.compile(r"/vote/\d+/cast$"))
        expect(page.locator("#receipt-code")).to_have_text(
            re.compile(r"^[A-Z2-7]{5}(-[A-Z2-7]{1,5}){5}$")
        )
        check_welsh(page)
    page.goto(f"{COUNCIL}/rounds/grantiau-cymunedol-2026/receipt")
    check_welsh(page)


def test_results_and_their_explanations_in_welsh(page: Page, live_server):
    results = COUNCIL + "/rounds/grantiau-cymunedol-2025/results"
    page.goto(results)
    check_welsh(page)
    # Every project's explanation is the count's own Welsh (votes' catalogue), not English.
    funded = translator("cy").gettext("Funded in round %(round)s.") % {"round": 1}
    # (Each pot's section's projects: not the map's legend, above them.)
    items = page.locator("main section li")
    assert items.count() >= 14
    expect(items.first).to_contain_text(funded)
    expect(items.first).to_contain_text(cy("Funded"))
    with live_server.app.app_context():
        funding_round = db.session.scalar(
            select(FundingRound).where(FundingRound.slug == "grantiau-cymunedol-2025")
        )
        pot_ids = [p.id for p in funding_round.pots]
        db.session.remove()
    for pot_id in pot_ids[:2]:
        page.goto(f"{results}/{pot_id}")
        check_welsh(page)
    for path in ("/figures", "/compare"):
        page.goto(results + path)
        check_welsh(page)


def test_an_officer_sets_up_a_round_in_welsh(page: Page):
    sign_in(page, OFFICER)
    page.goto("/officers/ynys-mon")
    check_welsh(page)
    page.goto("/officers/ynys-mon/rounds/new")
    check_welsh(page)
    page.locator("main form button[type=submit]").last.click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(cy("There is a problem"))
    check_welsh(page)
    page.goto("/officers/ynys-mon/rounds/grantiau-cymunedol-2026")
    check_welsh(page)


def test_an_auditor_exports_a_round_in_welsh(page: Page):
    sign_in(page, ADMIN)
    page.goto("/auditors/ynys-mon?lang=cy")
    check_welsh(page)
    page.goto("/auditors/ynys-mon/rounds/grantiau-cymunedol-2025")
    check_welsh(page)
    link = page.locator("main a[href*='/export']").first
    response = page.request.get(link.get_attribute("href"))
    assert response.status == 200
    archive = zipfile.ZipFile(io.BytesIO(response.body()))
    results = json.loads(archive.read("results.json"))
    assert results
