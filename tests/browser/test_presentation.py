"""The results on the big screen in Chromium: the keys step through the slides as the links
do, the links work without JavaScript, and both colour schemes pass axe."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import check_accessibility

pytestmark = pytest.mark.browser

ROUND = "/councils/lambeth/rounds/youth-services-2025"
START = ROUND + "/results/present"


def slide_url(page: Page, rel: str) -> str:
    return page.locator(f'a[rel="{rel}"]').get_attribute("href")


def arrive(page: Page, path: str) -> None:
    """On ``path``, with its scripts run (a key pressed sooner would reach no listener)."""
    expect(page).to_have_url(re.compile(re.escape(path) + "$"))
    page.wait_for_load_state("domcontentloaded")


def test_the_keys_step_through_the_slides(page: Page):
    page.goto(START)
    expect(page.get_by_role("heading", level=1)).to_have_text("Youth services 2025")
    arrive(page, START)
    first = slide_url(page, "next")
    page.keyboard.press("ArrowRight")
    arrive(page, first)
    second = slide_url(page, "next")
    page.keyboard.press("PageDown")
    arrive(page, second)
    third = slide_url(page, "next")
    page.keyboard.press("Space")
    arrive(page, third)
    expect(page.locator("#slide-number")).to_have_text(re.compile(r"^Slide 4 of"))
    page.keyboard.press("ArrowLeft")
    arrive(page, second)
    page.keyboard.press("PageUp")
    arrive(page, first)
    page.keyboard.press("Home")
    arrive(page, START)
    # On the first slide there is nothing before it: the key does nothing.
    page.keyboard.press("ArrowLeft")
    expect(page.get_by_role("heading", level=1)).to_have_text("Youth services 2025")
    page.keyboard.press("Escape")
    expect(page).to_have_url(re.compile(re.escape(ROUND + "/results") + "$"))


def test_the_links_work_without_javascript(page_without_js: Page):
    page = page_without_js
    page.goto(ROUND + "/results")
    page.locator("#present-link").click()
    expect(page).to_have_url(re.compile(re.escape(START) + "$"))
    page.get_by_role("link", name="Next").click()
    expect(page.locator("#slide-number")).to_have_text(re.compile(r"^Slide 2 of"))
    page.get_by_role("link", name="Previous").click()
    expect(page).to_have_url(re.compile(re.escape(START) + "$"))


@pytest.mark.parametrize("scheme", ["", "?scheme=light"], ids=["dark", "light"])
def test_the_slides_pass_axe_in_both_colours(page: Page, scheme: str):
    page.emulate_media(reduced_motion="reduce")
    page.goto(START + scheme)
    check_accessibility(page)
    page.get_by_role("link", name="Next").click()
    expect(page.locator("#slide-number")).to_have_text(re.compile(r"^Slide 2 of"))
    check_accessibility(page)
