"""A decision-day event in Chromium: the Lambeth officer checks the demo's walk-in voter in at
the desk, makes the device a kiosk, and the voter votes there without JavaScript; every page
passes axe."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import LAMBETH_OFFICER, check_accessibility, sign_in_from_anywhere

pytestmark = pytest.mark.browser

EVENTS = "/officers/lambeth/rounds/youth-services-2026/events"


def _officer_at_the_event(page: Page) -> None:
    sign_in_from_anywhere(page, LAMBETH_OFFICER)
    page.goto(EVENTS)
    expect(page.get_by_role("heading", level=1)).to_have_text("Voting events")
    check_accessibility(page)
    page.get_by_role("link", name="Youth decision day").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Youth decision day")
    check_accessibility(page)


def test_check_in_and_vote_at_a_kiosk(page: Page):
    _officer_at_the_event(page)
    event_page = page.url
    page.get_by_role("link", name="Open the check-in desk").click()
    page.get_by_label("Reference or name").fill("amara")
    page.get_by_role("button", name="Find on the roll").click()
    expect(page.locator("#people")).to_contain_text("Amara Okafor")
    check_accessibility(page)
    page.locator("#people").get_by_role("button", name="Check in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your voting token")
    token = page.locator("#token").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}", token)
    expect(page.locator(".devolve-qr-box svg")).to_be_visible()
    expect(page.get_by_role("button", name="Print the slip")).to_be_visible()
    check_accessibility(page)
    # This device becomes a kiosk: the officer is signed out on it.
    page.goto(event_page)
    page.get_by_role("button", name="Make this device a kiosk").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vote here")
    check_accessibility(page)
    page.goto("/officers/lambeth")
    expect(page).to_have_url(re.compile(r"/kiosk/$"))
    page.get_by_label("Your voting token").fill(token.lower())
    page.get_by_role("button", name="Start voting").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your ballot: Brixton")
    check_accessibility(page)
    page.locator("input[name=choices]").nth(0).check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your ballot: Brixton")
    check_accessibility(page)
    page.get_by_role("button", name="Cast my ballot").click()
    expect(page.locator("#receipt-code")).to_be_visible()
    expect(page.get_by_role("button", name="Print my receipt")).to_be_visible()
    check_accessibility(page)
    page.get_by_role("button", name="Finish").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vote here")
    # The token is used up: the kiosk says so.
    page.get_by_label("Your voting token").fill(token)
    page.get_by_role("button", name="Start voting").click()
    expect(page.locator(".govuk-error-message")).to_contain_text("has been used")
    check_accessibility(page)


def test_the_kiosk_start_screen_works_without_javascript(page_without_js: Page):
    page = page_without_js
    _officer_at_the_event_without_axe(page)
    page.get_by_role("button", name="Make this device a kiosk").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vote here")
    expect(page.get_by_role("button", name="Print my receipt")).to_have_count(0)
    page.get_by_label("Your voting token").fill("ABCD-EFGH")
    page.get_by_role("button", name="Start voting").click()
    expect(page.locator(".govuk-error-message")).to_contain_text("not right")


def _officer_at_the_event_without_axe(page: Page) -> None:
    sign_in_from_anywhere(page, LAMBETH_OFFICER)
    page.goto(EVENTS)
    page.get_by_role("link", name="Youth decision day").click()
