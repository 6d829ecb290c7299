"""The results on the big screen: the start, then one slide per pot in the results' order,
with Previous and Next right at both ends; the winners, their figures and explanations as the
stored results give them (never counted again); a pot with too few ballots says so; the public
sees it once the results are published, the round's officers from the count at the close;
the strict Content-Security-Policy; colours of AAA contrast; the page's language."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from app.web.extensions import db
from app.workflow import rounds
from app.workflow.models import Phase, PotResult, Role
from ballots import box
from tests.app.closed_round import NOW, ballots_for, closed_round, officer
from tests.app.pages import get_page, sign_in, soup
from tests.app.web.test_headers import check_policy
from tests.app.web.test_results import without_result_triggers
from tests.ballots.helpers import enrol, place, voting_round
from tests.factories import PASSWORD, create_council, create_user

OFFICER = "presenter@example.org"
POUNDS = 100


def counted_round(*, phase: Phase = Phase.PUBLISHED, ballots=(12, 11, 3), council=None):
    """A round of three neighbourhoods' pots (Ash, Birch, Cedar: £50,000, £15,000 and
    £10,000) with ``ballots`` approval ballots in each, closed (which counts it) and published
    when ``phase`` says; pots with fewer than 10 ballots are withheld. An officer of its
    council signs in as OFFICER."""
    council = council or create_council()
    hoods = tuple(place(council, name=n) for n in ("Ash", "Birch", "Cedar"))
    funding_round, paper = voting_round(
        council,
        kind="approval",
        costs=(
            (10_000 * POUNDS, 20_000 * POUNDS, 30_000 * POUNDS),
            (5_000 * POUNDS, 15_000 * POUNDS),
            (8_000 * POUNDS, 9_000 * POUNDS),
        ),
        budgets=(50_000 * POUNDS, 15_000 * POUNDS, 10_000 * POUNDS),
        neighbourhoods=hoods,
        min_ballots_to_publish=10,
    )
    box.open_log(db.session, funding_round.id, funding_round.manifest_hash)
    for pot, hood, n in zip(paper.pots, hoods, ballots, strict=True):
        for i, ballot in enumerate(ballots_for("approval", [p.id for p in pot.projects], n)):
            entry = enrol(council, hood, reference=f"{funding_round.id}-{pot.id}-{i}")
            box.cast(db.session, paper, entry, pot.id, ballot, today=date(2026, 5, 1))
    db.session.commit()
    rounds.change_phase(
        db.session, funding_round, target=Phase.CLOSED, expected=Phase.VOTING, actor=None, now=NOW
    )
    db.session.commit()
    if phase == Phase.PUBLISHED:
        rounds.publish_results(
            db.session, funding_round, actor=officer(council), now=NOW, confirmed=True
        )
        db.session.commit()
    create_user(email=OFFICER, roles={council: Role.OFFICER})
    db.session.commit()
    return funding_round


def public(funding_round) -> str:
    return f"/councils/{funding_round.council.slug}/rounds/{funding_round.slug}/results/present"


def officers(funding_round) -> str:
    return f"/officers/{funding_round.council.slug}/rounds/{funding_round.slug}/results/present"


def stored(funding_round) -> dict[int, dict]:
    rows = db.session.scalars(select(PotResult).where(PotResult.round_id == funding_round.id))
    return {r.pot_id: json.loads(r.outcome_json) for r in rows}


def words(element) -> str:
    return " ".join(element.get_text().split())


def walk(client, start: str) -> list:
    """Every slide from ``start``, by its Next links."""
    pages = [get_page(client, start)]
    while link := pages[-1].select_one("a[rel=next]"):
        pages.append(get_page(client, link["href"]))
        assert len(pages) < 20
    return pages


def test_the_slides_step_through_every_pot_in_order(client, db):
    funding_round = counted_round()
    pots = [p.id for p in funding_round.pots]
    pages = walk(client, public(funding_round))
    assert len(pages) == 1 + len(pots)
    # The start: the round, its budget, its turnout, then its pots, each linking to its slide.
    start = pages[0]
    assert words(start.h1) == funding_round.title
    assert words(start.select_one("#budget")) == "Budget: £75,000"
    assert words(start.select_one("#turnout")) == "26 of 26 people on the roll voted (100%)"
    assert words(start.select_one("#ballots")) == "26 ballots counted"
    assert [words(a) for a in start.select("#pots a")] == ["Ash", "Birch", "Cedar"]
    assert [a["href"] for a in start.select("#pots a")] == [
        f"{public(funding_round)}/{p}" for p in pots
    ]
    assert start.select_one("a[rel=prev]") is None
    assert start.select_one("a[data-slide=start]") is None  # Home: already here
    # Each pot in the results' order; Previous goes back one, and Next is gone at the end.
    for i, (page, pot_id) in enumerate(zip(pages[1:], pots, strict=True), start=1):
        assert words(page.h1) == ["Ash", "Birch", "Cedar"][i - 1]
        before = public(funding_round) + (f"/{pots[i - 2]}" if i > 1 else "")
        assert page.select_one("a[rel=prev]")["href"] == before
        assert page.select_one("a[rel=prev]")["accesskey"] == ["p"]
        assert page.select_one("a[data-slide=start]")["href"] == public(funding_round)
        assert words(page.select_one("#slide-number")) == f"Slide {i + 1} of 4"
        assert page.select_one("#not-published") is None
        if i < len(pots):
            assert page.select_one("a[rel=next]")["href"] == f"{public(funding_round)}/{pots[i]}"
            assert page.select_one("a[rel=next]")["accesskey"] == ["n"]
        assert f"/{pot_id}" in page.select_one("#slide-nav a#scheme")["href"]
    assert pages[-1].select_one("a[rel=next]") is None
    # Escape's link: back to the round's results page, which links here.
    results = f"/councils/{funding_round.council.slug}/rounds/{funding_round.slug}/results"
    assert {p.select_one("a[data-slide=leave]")["href"] for p in pages} == {results}
    assert get_page(client, results).select_one("#present-link")["href"] == public(funding_round)


def test_winners_and_explanations_are_the_stored_results(client, db):
    funding_round = counted_round()
    documents = stored(funding_round)
    ash, birch, cedar = funding_round.pots
    for pot in (ash, birch):
        page = get_page(client, f"{public(funding_round)}/{pot.id}")
        funded = [p for p in documents[pot.id]["projects"] if p["funded"]]
        assert funded
        shown = page.select("#winners > li")
        assert len(shown) == len(funded)
        by_name = {words(li.h3): li for li in shown}
        for p in funded:
            li = by_name[p["name"]]
            cost = f"£{int(p['cost_pence']) // 100:,}"
            votes = f"{p['votes']} vote" + ("" if p["votes"] == 1 else "s")
            assert words(li.select_one(".devolve-slide__figures")) == f"Cost: {cost} · {votes}"
            assert words(li.select_one(".devolve-slide__why")) == " ".join(p["explanation"].split())
        spent = int(documents[pot.id]["total_cost_pence"]) // 100
        budget = int(documents[pot.id]["budget_pence"]) // 100
        assert words(page.select_one("#spend")) == f"£{spent:,} of £{budget:,} allocated."
        assert words(page.select_one("#pot-budget")) == (
            f"Budget: £{budget:,} · {documents[pot.id]['ballots']} ballots counted"
        )
    # Ash: £10,000 and £20,000 fund, £30,000 does not fit.
    page = get_page(client, f"{public(funding_round)}/{ash.id}")
    assert words(page.select_one("#not-funded")) == "1 project was not funded."
    # Cedar had 3 ballots: nothing about its projects.
    page = get_page(client, f"{public(funding_round)}/{cedar.id}")
    assert words(page.select_one("#withheld")) == "Too few ballots to publish"
    assert page.select_one("#winners") is None and page.select_one("#spend") is None
    assert "Fewer than 10 ballots were cast in this pot" in words(page)


def test_the_slides_show_what_was_stored_and_never_count_again(client, db):
    """Past the append-only trigger, an explanation is changed: the slide shows the change,
    so it reads the stored result (a count would have written the original)."""
    funding_round = counted_round()
    pot = funding_round.pots[0]
    first = next(p for p in stored(funding_round)[pot.id]["projects"] if p["funded"])
    assert first["explanation"].startswith("Funded. Ranked 1st by votes")
    without_result_triggers(
        "UPDATE pot_results SET outcome_json = replace(outcome_json, :was, :now)",
        was="Funded. Ranked 1st by votes",
        now="Stored words only",
    )
    db.session.expire_all()
    page = get_page(client, f"{public(funding_round)}/{pot.id}")
    assert "Stored words only" in words(page.select_one("#winners"))


def test_before_publication_only_the_rounds_officers_see_it_marked_not_published(client, db):
    funding_round = counted_round(phase=Phase.CLOSED)
    pots = [p.id for p in funding_round.pots]
    assert client.get(public(funding_round)).status_code == 404
    assert client.get(f"{public(funding_round)}/{pots[0]}").status_code == 404
    assert client.get(officers(funding_round)).status_code == 302  # to sign in
    create_user(email="someone@example.org", roles={funding_round.council: Role.RESIDENT})
    db.session.commit()
    sign_in(client, "someone@example.org", PASSWORD)
    assert client.get(officers(funding_round)).status_code == 403
    client.post("/auth/sign-out")
    sign_in(client, OFFICER, PASSWORD)
    pages = walk(client, officers(funding_round))
    assert [words(p.h1) for p in pages] == [funding_round.title, "Ash", "Birch", "Cedar"]
    assert all(words(p.select_one("#not-published")) == "Not yet published" for p in pages)
    assert pages[1].select_one("a[rel=prev]")["href"] == officers(funding_round)
    assert pages[1].select_one("a[rel=next]")["href"] == f"{officers(funding_round)}/{pots[1]}"
    documents = stored(funding_round)
    winners = [words(li.h3) for li in pages[1].select("#winners > li")]
    assert winners == [p["name"] for p in documents[pots[0]]["projects"] if p["funded"]]
    # Escape goes back to the officers' check, which links here.
    check = f"/officers/{funding_round.council.slug}/rounds/{funding_round.slug}/results/check"
    assert pages[2].select_one("a[data-slide=leave]")["href"] == check
    assert get_page(client, check).select_one("#present-link")["href"] == officers(funding_round)
    # Once published, the officers' addresses lead to the public slides (colours kept).
    rounds.publish_results(
        db.session, funding_round, actor=officer(funding_round.council), now=NOW, confirmed=True
    )
    db.session.commit()
    response = client.get(f"{officers(funding_round)}/{pots[1]}?scheme=light")
    assert response.status_code == 302
    assert response.headers["Location"] == f"{public(funding_round)}/{pots[1]}?scheme=light"
    assert (
        get_page(client, f"{public(funding_round)}/{pots[1]}").select_one("#not-published") is None
    )


def test_officers_wait_for_the_close_and_the_count(client, db):
    funding_round, _ = voting_round()
    create_user(email=OFFICER, roles={funding_round.council: Role.OFFICER})
    db.session.commit()
    sign_in(client, OFFICER, PASSWORD)
    page = get_page(client, officers(funding_round), status=409)
    assert words(page.h1) == "Voting has not closed"
    pot = funding_round.pots[0].id
    assert client.get(f"{officers(funding_round)}/{pot}").status_code == 409
    # Closed, but a pot's count is missing (a secret ballot waiting for its trustees).
    closed = closed_round(funding_round.council)
    without_result_triggers("DELETE FROM pot_results")
    db.session.expire_all()
    page = get_page(client, officers(closed), status=409)
    assert words(page.h1) == "The votes have not been counted yet"


def test_a_pot_of_another_round_or_council_is_not_found(client, db):
    funding_round = counted_round(phase=Phase.CLOSED)
    other = closed_round(funding_round.council, phase=Phase.PUBLISHED)
    elsewhere = closed_round(phase=Phase.PUBLISHED)
    mine = funding_round.pots[0].id
    for stranger in (mine, elsewhere.pots[0].id, 2_000_000):
        assert client.get(f"{public(other)}/{stranger}").status_code == 404
    assert client.get(f"{public(other)}/{other.pots[0].id}").status_code == 200
    sign_in(client, OFFICER, PASSWORD)
    for stranger in (other.pots[0].id, elsewhere.pots[0].id, 2_000_000):
        assert client.get(f"{officers(funding_round)}/{stranger}").status_code == 404
    assert client.get(f"{officers(funding_round)}/{mine}").status_code == 200
    # Another council's round, by its officers' address: not this officer's.
    assert client.get(officers(elsewhere)).status_code == 403


def test_the_policy_holds_and_nothing_is_inline(client, db):
    funding_round = counted_round()
    for url in (public(funding_round), f"{public(funding_round)}/{funding_round.pots[0].id}"):
        response = client.get(url)
        assert response.status_code == 200
        check_policy(url, response)
        page = soup(response)
        # The GOV.UK template's one-line nonced script, and the keyboard's file; no style
        # element but the council colour's (nonced, checked above); no header or footer.
        inline = [s for s in page.select("script") if not s.get("src")]
        assert len(inline) == 1 and inline[0].get("nonce")
        assert [s["src"] for s in page.select("script[src]")] == ["/static/present.js"]
        assert "/static/present.css" in [link["href"] for link in page.select("link")]
        assert page.select("header, footer, .govuk-service-navigation") == []
        assert "devolve-present" in page.html["class"]


def test_black_on_white_is_kept_from_slide_to_slide(client, db):
    funding_round = counted_round()
    page = get_page(client, public(funding_round) + "?scheme=light")
    assert "devolve-present--light" in page.html["class"]
    assert page.select_one("a[rel=next]")["href"].endswith("?scheme=light")
    assert words(page.select_one("#scheme")) == "White on black"
    assert "scheme" not in page.select_one("#scheme")["href"]
    dark = get_page(client, page.select_one("#scheme")["href"])
    assert "devolve-present--light" not in dark.html["class"]
    assert words(dark.select_one("#scheme")) == "Black on white"


def test_the_page_language_and_welsh_names(client, db):
    council = create_council()
    council.languages = "en cy"
    council.translations = {"cy": {"name": "Cyngor Prawf"}}
    funding_round = counted_round(council=council)
    funding_round.translations = {"cy": {"title": "Grantiau cymunedol"}}
    funding_round.pots[0].translations = {"cy": {"name": "Onnen"}}
    db.session.commit()
    start = get_page(client, public(funding_round) + "?lang=cy")
    assert start.html["lang"] == "cy"
    assert words(start.h1) == "Grantiau cymunedol"
    assert words(start.select_one(".devolve-slide__caption")) == "Cyngor Prawf"
    assert words(start.select_one("#pots a")) == "Onnen"
    # The switch back to English, on the slide itself (no site header here).
    english = start.select_one("#slide-nav a[hreflang=en]")
    assert english and "lang=en" in english["href"]
    pot = get_page(client, f"{public(funding_round)}/{funding_round.pots[0].id}?lang=cy")
    assert words(pot.h1) == "Onnen"
    # Birch has no Welsh name: it keeps its English one, marked as English.
    birch = get_page(client, f"{public(funding_round)}/{funding_round.pots[1].id}?lang=cy")
    assert birch.h1.select_one("[lang=en]").get_text() == "Birch"


# --- Colours ----------------------------------------------------------------------------------

CSS = Path(__file__).resolve().parents[3] / "app" / "static" / "present.css"
AAA = 7.0
# Foreground on background, as the slides use them.
PAIRS = [
    ("--present-text", "--present-background"),
    ("--present-quiet", "--present-background"),
    ("--present-focus-text", "--present-focus"),
    # A Next button under the pointer: the colours swap.
    ("--present-background", "--present-text"),
]


def luminance(colour: str) -> float:
    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)


def contrast(one: str, other: str) -> float:
    """The WCAG contrast ratio of two colours ("#rrggbb")."""
    lighter, darker = sorted((luminance(one), luminance(other)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def schemes() -> dict[str, dict[str, str]]:
    """Each scheme's custom properties, as present.css declares them."""
    text = CSS.read_text()
    out = {}
    for selector, body in re.findall(r"^(\.devolve-present[\w-]*) \{([^}]*)\}", text, re.M):
        out[selector] = dict(re.findall(r"(--present-[\w-]+):\s*(#[0-9a-fA-F]{6});", body))
    return out


def test_contrast_is_computed_as_wcag_says():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)


def test_both_colour_schemes_have_aaa_contrast():
    found = schemes()
    assert set(found) == {".devolve-present", ".devolve-present--light"}
    for selector, colours in found.items():
        assert {name for pair in PAIRS for name in pair} <= set(colours), selector
        for fg, bg in PAIRS:
            ratio = contrast(colours[fg], colours[bg])
            assert ratio >= AAA, f"{selector}: {fg} on {bg} is {ratio:.2f}:1"
    # Nothing in the file names a colour outside those properties.
    text = CSS.read_text()
    declared = {c.lower() for colours in found.values() for c in colours.values()}
    assert {c.lower() for c in re.findall(r"#[0-9a-fA-F]{6}\b", text)} == declared
    assert not re.search(r"#[0-9a-fA-F]{3}\b|rgb\(|hsl\(", text)


def test_the_motion_respects_the_readers_choice():
    text = CSS.read_text()
    assert "animation" in text
    outside = re.sub(r"@media \(prefers-reduced-motion: no-preference\) \{[^}]*\}\s*\}", "", text)
    assert "animation:" not in outside
