"""Voting in Chromium: running totals update as boxes are ticked, and every voting page passes
axe. (Everything also works without JavaScript: see tests/ballots/test_pages.py.)"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import RESIDENT, check_accessibility, sign_in_from_anywhere

pytestmark = pytest.mark.browser


def test_vote_with_running_totals_and_accessible_pages(page: Page):
    sign_in_from_anywhere(page, RESIDENT)
    page.goto("/councils/lambeth/rounds/youth-services-2026")
    page.get_by_role("link", name="Vote", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vote in Youth services 2026")
    check_accessibility(page)
    page.get_by_role("link", name="Vote in Brixton").click()
    total = page.locator("#running-total")
    expect(total).to_contain_text("You have chosen 0 projects")
    boxes = page.locator("input[name=choices]")
    boxes.nth(0).check()
    expect(total).to_contain_text("You have chosen 1 project.")
    check_accessibility(page)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your ballot: Brixton")
    check_accessibility(page)
    page.get_by_role("button", name="Cast my ballot").click()
    expect(page).to_have_url(re.compile(r"/vote/\d+/cast$"))
    expect(page.locator("#receipt-code")).to_have_text(
        re.compile(r"^[A-Z2-7]{5}(-[A-Z2-7]{1,5}){5}$")
    )
    check_accessibility(page)
    page.get_by_role("link", name="Check a receipt").first.click()
    check_accessibility(page)
