"""Voting in Chromium: running totals update as boxes are ticked, and every voting page passes
axe. (Everything also works without JavaScript: see tests/ballots/test_pages.py.)"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import RESIDENT, check_accessibility, sign_in, sign_in_from_anywhere

pytestmark = pytest.mark.browser


# The resident's demo ballot in Brixton can be cast once: the tests that only fill it in come
# first, the one that casts it last (and test_reflow.py, which runs before this file, only
# fills it in).


def test_update_totals_is_hidden_when_the_page_works_them_out_itself(page: Page):
    sign_in_from_anywhere(page, RESIDENT)
    page.goto("/councils/lambeth/rounds/youth-services-2026/vote")
    page.get_by_role("link", name="Vote in Brixton").click()
    expect(page.locator("#running-total")).to_contain_text("You have chosen 0 projects")
    expect(page.get_by_role("button", name="Update totals")).to_be_hidden()
    check_accessibility(page)
    page.get_by_role(
        "button", name=re.compile(r"^Read more about this project\W+Late-night")
    ).click()
    expect(page.get_by_role("link", name="Back to your ballot").first).to_be_visible()
    check_accessibility(page)


def test_a_choice_made_before_the_script_runs_is_counted_when_it_does(page: Page):
    # The script is held back while a box is ticked, then allowed to run: the total it shows
    # counts that box without waiting for another change.
    sign_in_from_anywhere(page, RESIDENT)
    page.route("**/static/ballot.js", lambda route: route.abort())
    page.goto("/councils/lambeth/rounds/youth-services-2026/vote")
    page.get_by_role("link", name="Vote in Brixton").click()
    page.locator("input[name=choices]").nth(0).check()
    total = page.locator("#running-total")
    expect(total).to_contain_text("You have chosen 0 projects")
    page.unroute("**/static/ballot.js")
    page.add_script_tag(url="/static/ballot.js", type="module")
    expect(total).to_contain_text("You have chosen 1 project.")
    expect(page.get_by_role("button", name="Update totals")).to_be_hidden()


def test_without_javascript_reading_a_project_keeps_the_ballot(page_without_js: Page):
    page = page_without_js
    page.goto("/auth/sign-in")
    sign_in(page, RESIDENT)
    page.goto("/councils/lambeth/rounds/youth-services-2026/vote")
    page.get_by_role("link", name="Vote in Brixton").click()
    expect(page.get_by_role("button", name="Update totals")).to_be_visible()
    boxes = page.locator("input[name=choices]")
    boxes.nth(0).check()
    boxes.nth(2).check()
    expect(page.locator("main")).to_contain_text("Two youth workers meeting young people")
    page.get_by_role(
        "button", name=re.compile(r"^Read more about this project\W+Music studio")
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Music studio for young people")
    page.get_by_role("link", name="Back to your ballot").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your ballot: Brixton")
    expect(boxes.nth(0)).to_be_checked()
    expect(boxes.nth(1)).not_to_be_checked()
    expect(boxes.nth(2)).to_be_checked()
    expect(page.locator("#running-total")).to_contain_text("You have chosen 2 projects")


def test_vote_with_running_totals_and_accessible_pages(page: Page):
    sign_in_from_anywhere(page, RESIDENT)
    page.goto("/councils/lambeth/rounds/youth-services-2026")
    page.get_by_role("link", name="Vote", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vote in Youth services 2026")
    check_accessibility(page)
    page.get_by_role("link", name="Vote in Brixton").click()
    total = page.locator("#running-total")
    expect(total).to_contain_text("You have chosen 0 projects")
    # ballot.js has run once it hides "Update totals": from then on the total follows changes.
    expect(page.get_by_role("button", name="Update totals")).to_be_hidden()
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
