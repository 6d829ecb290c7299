"""A general meeting in Chromium: the demo co-operative's annual general meeting, under way with
its special resolution open (24 paper votes in) and its representative body's election declared.
A member votes online and is refused a proxy while the item is open; the secretary watches the
turnout; the chair closes the vote and declares it; anyone reads the election's declaration, at
320 pixels too. Every page passes axe.

The journeys change the demo's data for good, as a meeting does: they run in this order, in one
test worker (``xdist_group``), and no other browser test reads the co-operative.
"""

from __future__ import annotations

import json
import random
import re
from fractions import Fraction
from math import ceil

import pytest
from playwright.sync_api import Page, expect

from app.demo import coop
from tests.browser.helpers import (
    RESIDENT,
    WIDTH,
    check_accessibility,
    coop_paths,
    scroll_width,
    sign_in_from_anywhere,
    too_wide,
)

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("meeting")]

VOTERS = coop.TENANTS + coop.EMPLOYEES  # everyone on the register on the record date
WORDING = (
    "That rule 12 be changed so that the representative body may appoint up to two "
    "independent members, who are not tenants or employees, for two years at a time."
)
TURNOUT = re.compile(r"^(\d+) members of (\d+) have voted$")


@pytest.fixture(scope="module")
def paths(live_server) -> dict[str, str]:
    return coop_paths(live_server)


def voted_count(page: Page, selector: str) -> int:
    """The N of "N members of M have voted", checking M is the meeting's voters."""
    locator = page.locator(selector)
    expect(locator).to_have_text(TURNOUT)
    voted, of = TURNOUT.match(locator.inner_text().strip()).groups()
    assert int(of) == VOTERS
    return int(voted)


def test_a_member_votes_online_and_cannot_change_a_proxy_while_the_item_is_open(page: Page, paths):
    sign_in_from_anywhere(page, RESIDENT)
    page.goto(f"{paths['meeting']}/vote")
    expect(page.get_by_role("heading", level=1)).to_have_text(coop.MEETING_TITLE)
    expect(page.locator("#open-item")).to_have_text(f"Voting is open: {coop.RULE_CHANGE}")
    expect(page.locator(".govuk-inset-text")).to_have_text(WORDING)
    before = voted_count(page, "#turnout")
    assert before >= 24  # the demo's paper votes
    expect(page.get_by_text("You have not appointed a proxy.")).to_be_visible()
    check_accessibility(page)

    page.get_by_role("group", name="Vote").get_by_role("radio", name="For").check()
    page.get_by_role("button", name="Cast the vote").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your vote is cast")
    receipt = page.locator("#receipt")
    expect(receipt).to_have_text(re.compile(r"^[A-Z2-7]{5}(-[A-Z2-7]{1,5}){5}$"))
    code = receipt.inner_text().strip()
    expect(page.locator("main")).to_contain_text("It is shown only once.")
    check_accessibility(page)

    page.get_by_role("link", name="Back to the meeting").click()
    expect(page.locator("#voted")).to_have_text("You have voted on this item.")
    expect(page.get_by_role("button", name="Cast the vote")).to_have_count(0)
    assert voted_count(page, "#turnout") == before + 1
    expect(page.locator("main")).not_to_contain_text(code)

    # A proxy for the whole meeting cannot be appointed while an item is open: the refusal is
    # beside the field, and nothing changes.
    page.get_by_label("Their proxy").fill("T0002")
    expect(page.get_by_label("For", exact=True).locator("option:checked")).to_have_text(
        "The whole meeting"
    )
    page.get_by_role("button", name="Appoint the proxy").click()
    refusal = "Proxies for the whole meeting cannot change while an item is open for voting."
    expect(page.locator(".govuk-error-message")).to_contain_text(refusal)
    expect(page.get_by_text("You have not appointed a proxy.")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("^Revoke"))).to_have_count(0)
    expect(page.locator("#voted")).to_have_text("You have voted on this item.")
    assert voted_count(page, "#turnout") == before + 1
    check_accessibility(page)
    page.goto(f"{paths['meeting']}/vote")
    expect(page.get_by_text("You have not appointed a proxy.")).to_be_visible()


def test_the_secretary_watches_the_turnout_by_channel_only(page: Page, paths):
    page.clock.install()  # the page's timers run when the test says
    sign_in_from_anywhere(page, coop.SECRETARY)
    page.goto(paths["meeting"])
    expect(page.get_by_role("heading", level=1)).to_have_text(coop.MEETING_TITLE)
    check_accessibility(page)
    page.get_by_role("row", name=re.compile(re.escape(coop.RULE_CHANGE))).get_by_role(
        "link", name="Turnout"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Turnout: {coop.RULE_CHANGE}")
    voted = voted_count(page, "#voted")

    table = page.locator("#by-channel")
    expect(table.locator("thead th")).to_have_text(["Channel", "Members"])
    by_channel = dict(
        zip(
            table.locator("tbody td:first-child").all_inner_texts(),
            [int(n) for n in table.locator("tbody td:last-child").all_inner_texts()],
            strict=True,
        )
    )
    assert set(by_channel) == {
        "Online",
        "At a kiosk in the room",
        "On paper in the room",
        "By proxy",
    }
    assert by_channel["On paper in the room"] == 24
    assert by_channel["At a kiosk in the room"] == by_channel["By proxy"] == 0
    assert sum(by_channel.values()) == voted
    # How many, never how: no totals for or against exist while voting is open.
    main = page.locator("main")
    for word in ("Votes for", "Against", "Abstain"):
        expect(main).not_to_contain_text(word)

    expect(page.locator("#live")).to_contain_text(
        "While voting is open this page refreshes itself every 15 seconds."
    )
    check_accessibility(page)
    # Every 15 seconds the counts are read again and changed in place: the page is not
    # reloaded (what was put on it stays) and the count shown is the server's again.
    page.evaluate("window.stillHere = true")
    page.locator("#voted").evaluate("(p) => { p.textContent = 'out of date'; }")
    turnout = page.url
    with page.expect_request(lambda r: r.url == turnout and r.resource_type == "fetch"):
        page.clock.run_for(15_000)
    expect(page.locator("#voted")).to_have_text(f"{voted} members of {VOTERS} have voted")
    assert page.evaluate("window.stillHere")

    page.get_by_role("link", name="Stop refreshing it").click()
    expect(page.locator("#live")).to_contain_text("This page does not refresh itself.")
    expect(page.locator("#refresh")).to_have_attribute("href", re.compile(r"refresh=off"))
    read_again = []
    page.on("request", lambda r: read_again.append(r.url) if "/turnout" in r.url else None)
    page.clock.run_for(30_000)
    assert read_again == []
    check_accessibility(page)


def paper_votes() -> dict[str, int]:
    """The demo's paper ballots on the resolution, as ``coop.meeting`` draws them."""
    present = [f"T{i:04d}" for i in range(2, 31)] + [f"E{i:04d}" for i in range(1, 12)]
    rng = random.Random(12)
    tally = {"for": 0, "against": 0, "abstain": 0}
    for _ in present[:24]:
        tally[rng.choices(["for", "against", "abstain"], weights=[8, 2, 1])[0]] += 1
    return tally


def figures(page: Page) -> dict[str, str]:
    """The declaration's summary list: {what: how many}."""
    rows = page.locator("#figures .govuk-summary-list__row")
    keys = rows.locator(".govuk-summary-list__key").all_inner_texts()
    values = rows.locator(".govuk-summary-list__value").all_inner_texts()
    return dict(zip(map(str.strip, keys), map(str.strip, values), strict=True))


def test_the_chair_closes_and_declares_the_special_resolution(page: Page, paths):
    sign_in_from_anywhere(page, coop.CHAIR)
    # Online votes so far (the member's, For, if the first journey ran): read before closing.
    page.goto(f"{paths['motion']}/turnout?refresh=off")
    online = int(
        page.locator("#by-channel tbody tr", has_text="Online").locator("td").last.inner_text()
    )
    page.goto(paths["meeting"])
    row = page.get_by_role("row", name=re.compile(re.escape(coop.RULE_CHANGE)))
    expect(row).to_contain_text("Voting open")
    row.get_by_role("button", name="Close voting").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Voting is closed")
    expect(row).to_contain_text("Voting closed: result not yet declared")
    check_accessibility(page)

    row.get_by_role("link", name="Declare the result").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Declare the result: {coop.RULE_CHANGE}"
    )
    expect(page.get_by_role("radio", name="No casting vote")).to_be_checked()
    check_accessibility(page)
    page.get_by_role("button", name="Declare the result").click()

    expect(page).to_have_url(re.compile(r"/items/\d+/declaration$"))
    expect(page.locator(".govuk-notification-banner")).to_contain_text("The result is declared")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Result: {coop.RULE_CHANGE}")
    expect(page.locator("#wording")).to_have_text(WORDING)
    shown = figures(page)
    paper = paper_votes()
    votes_for, against, abstain = paper["for"] + online, paper["against"], paper["abstain"]
    cast = votes_for + against  # abstentions are not votes cast
    needed = ceil(3 * cast / 4)  # a special resolution: three quarters of the votes cast
    assert shown["Votes for"] == str(votes_for)
    assert shown["Votes against"] == str(against)
    assert shown["Abstentions"] == str(abstain)
    assert shown["Votes cast"] == str(cast)
    assert shown["Threshold"] == "a special resolution"
    assert shown["Votes needed to carry it"] == str(needed)
    assert shown["Members with a vote"] == str(VOTERS)
    margin = votes_for - needed
    percent = f"{float(round(Fraction(100 * votes_for, cast), 1)):g}"
    if margin > 0:
        expected = (
            f"Carried: {votes_for} of {cast} votes for ({percent}%), {margin} more than the "
            f"{needed} needed for a special resolution."
        )
    elif margin == 0:
        expected = (
            f"Carried: {votes_for} of {cast} votes for ({percent}%), exactly the {needed} "
            "needed for a special resolution."
        )
    else:
        expected = (
            f"Not carried: {votes_for} of {cast} votes for ({percent}%), {-margin} fewer than "
            f"the {needed} needed for a special resolution."
        )
    expect(page.locator("#sentence")).to_have_text(expected)
    check_accessibility(page)

    pdf_link = page.get_by_role("link", name="The declaration as a PDF for the minutes")
    response = page.request.get(pdf_link.get_attribute("href"))
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF-")


def election_result(live_server) -> dict:
    from sqlalchemy import select

    from app.web.extensions import db
    from app.workflow.governance.models import MeetingItem

    with live_server.app.app_context():
        item = db.session.scalar(
            select(MeetingItem).where(MeetingItem.title == coop.ELECTION_TITLE)
        )
        result = json.loads(item.result_json)
        db.session.remove()
    return result


def test_the_election_declaration_shows_each_count_and_reflows(
    narrow_page: Page, live_server, paths
):
    page = narrow_page
    result = election_result(live_server)
    page.goto(f"{paths['election']}/declaration")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Declaration: {coop.ELECTION_TITLE}")
    expect(page.locator("main")).to_contain_text("Counted by Scottish STV.")
    quorum = result["quorum"]
    assert not quorum["inquorate"]
    expect(page.locator("#quorum")).to_have_text(
        f"Quorate: {quorum['counted']} members present or represented, against a quorum of "
        f"{quorum['required']}."
    )
    names = [c["name"] for c in result["constituencies"]]
    assert names == [name for name, *_ in coop.CONSTITUENCIES]
    for n, constituency in enumerate(result["constituencies"], start=1):
        count = constituency["count"]
        expect(page.locator(f"#constituency-{n}")).to_have_text(constituency["name"])
        summary = page.locator(f"#constituency-{n} + .govuk-summary-list")
        quota = summary.locator(".govuk-summary-list__row", has_text="Quota")
        expect(quota.locator(".govuk-summary-list__value")).to_have_text(count["quota"])
        seats = summary.locator(".govuk-summary-list__row", has_text="Seats")
        expect(seats.locator(".govuk-summary-list__value")).to_have_text(str(constituency["seats"]))
        expect(page.locator(f"#elected-{n} li")).to_have_text(count["elected"])
        assert len(count["elected"]) == constituency["seats"]
        stages = page.locator(f"#stages-{n}")
        # A row per candidate standing, then the quota and the two non-transferable rows.
        standing = [c for c in count["candidates"] if c not in count["withdrawn"]]
        expect(stages.locator("tbody > tr")).to_have_count(len(standing) + 3)
        expect(stages.locator("tbody > tr > th")).to_have_text(
            [
                *standing,
                "Quota",
                *[
                    "Non-transferable: exhausted",
                    "Non-transferable: rounding",
                ],
            ]
        )
        expect(stages.locator("thead th")).to_have_count(len(count["stages"]) + 1)
        # Each elected candidate's row says so at the stage they were elected.
        for name in count["elected"]:
            row = stages.locator("tbody > tr", has=page.locator("th", has_text=name))
            expect(row.locator(".govuk-tag--green")).to_have_text("Elected")
        # At 320 pixels the table stacks: its head is hidden, each cell labelled with its stage.
        expect(stages.locator("thead")).to_be_hidden()
        first = stages.locator("tbody > tr").first.locator("td").first
        assert first.get_attribute("data-label") == "Stage 1: First preferences"
    assert scroll_width(page) <= WIDTH, too_wide(page)
    check_accessibility(page)

    # On a wide screen the table keeps its columns: too wide for the page, it scrolls in its
    # own box (the keyboard can reach and scroll it), never the page.
    page.set_viewport_size({"width": 1024, "height": 768})
    expect(page.locator("#stages-1 thead")).to_be_visible()
    assert scroll_width(page) <= 1024
    box = page.locator(".devolve-table-scroll", has=page.locator("#stages-1"))
    assert box.evaluate("(box) => box.scrollWidth > box.clientWidth")
    box.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.activeElement.scrollLeft > 0")
    check_accessibility(page)

    pdf_link = page.get_by_role("link", name="The declaration as a PDF for the minutes")
    response = page.request.get(pdf_link.get_attribute("href"))
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
