"""Residents' journeys through the real pages, in Chromium, by clicking what people click."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from app.web.extensions import mail
from tests.browser.helpers import RESIDENT, check_accessibility, sign_in

pytestmark = pytest.mark.browser


def nav(page: Page):
    return page.get_by_role("navigation", name="Menu")


def test_sign_in_and_out_through_the_form(page: Page):
    page.goto("/")
    nav(page).get_by_role("link", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")

    sign_in(page, RESIDENT)

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "Signed in as Jordan Resident"
    )
    expect(nav(page).get_by_role("link", name="Your account")).to_be_visible()
    expect(nav(page).get_by_role("button", name="Sign out")).to_be_visible()
    expect(nav(page).get_by_role("link", name="Sign in")).to_have_count(0)

    nav(page).get_by_role("link", name="Your account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
    expect(page.locator("main")).to_contain_text(RESIDENT)
    expect(page.locator("main")).to_contain_text("Brixton, Lambeth Council")

    nav(page).get_by_role("button", name="Sign out").click()

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator(".govuk-notification-banner")).to_contain_text("You have signed out")
    expect(nav(page).get_by_role("link", name="Sign in")).to_be_visible()
    expect(nav(page).get_by_role("link", name="Your account")).to_have_count(0)
    # Signed out for real: the account page sends people to sign in again.
    page.goto("/account/")
    expect(page).to_have_url(re.compile(r"/auth/sign-in\?next="))


def test_walk_from_home_to_a_round(page: Page):
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Participatory budgeting in your council"
    )
    expect(page).to_have_title("Participatory budgeting in your council – Devolve")

    page.get_by_role("link", name="Lambeth Council").click()

    expect(page).to_have_url(re.compile(r"/councils/lambeth$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Lambeth Council")
    expect(page.get_by_role("heading", level=2, name="Funding rounds")).to_be_visible()
    # The page wears the council's brand.
    expect(page.locator(".devolve-header")).to_contain_text("Lambeth Council")
    # Drafts are for officers only.
    expect(page.get_by_role("link", name="Parks and green spaces 2027")).to_have_count(0)

    page.get_by_role("link", name="Youth services 2026").click()

    expect(page).to_have_url(re.compile(r"/councils/lambeth/rounds/youth-services-2026$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Youth services 2026")
    expect(page).to_have_title("Youth services 2026 – Lambeth Council – Devolve")
    expect(page.get_by_role("heading", level=3, name=re.compile("^Brixton"))).to_be_visible()
    # In its pot's list (the map's table, above, names it too).
    brixton = page.get_by_role("region", name=re.compile("^Brixton"))
    expect(brixton.get_by_text("Late-night youth club")).to_be_visible()

    # And back up by the breadcrumbs.
    page.get_by_role("navigation", name="Breadcrumb").get_by_role(
        "link", name="Lambeth Council"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Lambeth Council")


def test_a_wrong_password_shows_the_errors_and_changes_nothing_else(page: Page):
    page.goto("/auth/sign-in")
    sign_in(page, RESIDENT, "not-the-password")

    expect(page).to_have_url(re.compile(r"/auth/sign-in$"))
    expect(page).to_have_title(re.compile(r"^Error: Sign in – "))
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("There is a problem")
    expect(
        summary.get_by_role("link", name="Enter a correct email address and password")
    ).to_have_attribute("href", "#email")
    # GOV.UK Frontend moves focus to the summary so screen readers announce it.
    expect(summary).to_be_focused()
    expect(page.locator("#email-error")).to_contain_text(
        "Enter a correct email address and password"
    )
    expect(page.get_by_label("Email address")).to_have_value(RESIDENT)
    expect(page.get_by_label("Password", exact=True)).to_have_value("")
    # Nothing else: still signed out, no banner, one error and no more.
    expect(page.locator(".govuk-notification-banner")).to_have_count(0)
    expect(page.locator(".govuk-error-message")).to_have_count(1)
    expect(nav(page).get_by_role("link", name="Sign in")).to_be_visible()
    expect(nav(page).get_by_role("link", name="Your account")).to_have_count(0)
    assert not [c for c in page.context.cookies() if c["name"] in ("remember_token",)]

    # The account is not locked: the right password still works.
    sign_in(page, RESIDENT)
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "Signed in as Jordan Resident"
    )


def test_the_pages_work_without_javascript(page_without_js: Page):
    page = page_without_js
    page.goto("/")
    # Proof that JavaScript is off: the GOV.UK template's inline script never ran.
    expect(page.locator("body")).not_to_have_class(re.compile("govuk-frontend-supported"))

    page.get_by_role("link", name="Lambeth Council").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Lambeth Council")
    page.get_by_role("link", name="Youth services 2026").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Youth services 2026")

    nav(page).get_by_role("link", name="Sign in").click()
    sign_in(page, RESIDENT, "not-the-password")
    expect(page.locator("#email-error")).to_contain_text(
        "Enter a correct email address and password"
    )
    sign_in(page, RESIDENT)
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "Signed in as Jordan Resident"
    )

    nav(page).get_by_role("link", name="Your account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
    nav(page).get_by_role("button", name="Sign out").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("You have signed out")


def test_a_forgotten_password_is_replaced_through_a_link_by_email(page: Page):
    """Register (the account page then asks for the address to be confirmed), forget the
    password, ask for a link, choose a new one, sign in with it: the address is confirmed."""
    page.goto("/auth/register")
    page.get_by_label("Email address").fill("forgetful@example.org")
    page.get_by_label("Your name").fill("Frankie Forgetful")
    page.get_by_label("Your neighbourhood").select_option(label="Brixton (Lambeth Council)")
    page.get_by_label("Password", exact=True).fill("first password of mine")
    page.get_by_label("Confirm password").fill("first password of mine")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    sign_in(page, "forgetful@example.org", "first password of mine")
    nav(page).get_by_role("link", name="Your account").click()
    notice = page.locator("#confirm-email")
    expect(notice).to_contain_text("Confirm your email address")
    expect(notice.get_by_role("button", name="Send the link again")).to_be_visible()
    check_accessibility(page)
    nav(page).get_by_role("button", name="Sign out").click()

    page.goto("/auth/sign-in")
    page.get_by_role("link", name="Forgotten your password?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reset your password")
    page.get_by_label("Email address").fill("Forgetful@example.org")
    # The live server runs in this process: its emails can be caught here.
    with mail.record_messages() as outbox:
        page.get_by_role("button", name="Send me a link").click()
        expect(page.locator(".govuk-notification-banner")).to_contain_text(
            "If forgetful@example.org has an account, we have sent it a link"
        )
        # It goes out once the server has sent the answer: wait for it.
        for _ in range(50):
            if outbox:
                break
            page.wait_for_timeout(100)
    [message] = outbox
    link = re.search(r"http://\S+/auth/reset-password/\S+", message.body).group()

    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a new password")
    page.get_by_label("New password").fill("second password of mine")
    page.get_by_label("Confirm password").fill("not the same at all")
    page.get_by_role("button", name="Change password").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("The passwords do not match")
    check_accessibility(page)
    page.get_by_label("New password").fill("second password of mine")
    page.get_by_label("Confirm password").fill("second password of mine")
    page.get_by_role("button", name="Change password").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "Your password has been changed"
    )

    sign_in(page, "forgetful@example.org", "second password of mine")
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "Signed in as Frankie Forgetful"
    )
    # Opening the emailed link showed the address is theirs.
    nav(page).get_by_role("link", name="Your account").click()
    expect(page.locator("#confirm-email")).to_have_count(0)
