"""The public pages: home, a council, a round. Drafts are hidden from all but officers."""

import pytest

from app.workflow.models import Phase, ProposalStatus, Role
from tests.app.pages import get_page, sign_in
from tests.factories import (
    PASSWORD,
    create_council,
    create_neighbourhood,
    create_proposal,
    create_round,
    create_user,
)


@pytest.fixture
def lambeth(db):
    council = create_council(slug="lambeth", name="Lambeth Council", colour="#00594f")
    brixton = create_neighbourhood(council, name="Brixton", population=78000)
    clapham = create_neighbourhood(council, name="Clapham", population=64000)
    voting = create_round(
        council,
        slug="youth",
        title="Youth services 2026",
        phase=Phase.VOTING,
        total_budget_pence=300_000_00,
        pots=[(brixton, 200_000_00), (clapham, 100_000_00)],
    )
    create_proposal(
        voting.pots[0],
        title="Late-night youth club",
        cost_pence=18_000_00,
        status=ProposalStatus.FEASIBLE,
    )
    create_proposal(
        voting.pots[1],
        title="Careers mentoring",
        cost_pence=12_000_50,
        status=ProposalStatus.FEASIBLE,
    )
    create_proposal(voting.pots[1], title="Abusive thing", status=ProposalStatus.HIDDEN)
    create_proposal(voting.pots[1], title="Changed my mind", status=ProposalStatus.WITHDRAWN)
    create_round(council, slug="parks", title="Parks 2027", phase=Phase.DRAFT)
    create_round(council, slug="old", title="Youth services 2025", phase=Phase.PUBLISHED)
    db.session.commit()
    return council


def text_of(soup, selector="main"):
    node = soup if selector is None else soup.select_one(selector)
    return " ".join(node.get_text().split())


def test_home_lists_every_council(client, lambeth, db):
    create_council(slug="oldham", name="Oldham Council")
    db.session.commit()
    page = get_page(client, "/")
    links = {a.get_text(strip=True): a["href"] for a in page.select("main a")}
    assert links["Lambeth Council"] == "/councils/lambeth"
    assert links["Oldham Council"] == "/councils/oldham"


def test_council_page_lists_neighbourhoods_and_rounds_by_phase_without_drafts(client, lambeth):
    page = get_page(client, "/councils/lambeth")
    assert page.h1.get_text(strip=True) == "Lambeth Council"
    headings = [h.get_text(strip=True) for h in page.select("main h3")]
    assert headings == ["Voting", "Results published"]
    body = text_of(page)
    assert "Youth services 2026" in body and "Youth services 2025" in body
    assert "Parks 2027" not in body
    rows = [[c.get_text(strip=True) for c in tr.select("th, td")] for tr in page.select("tbody tr")]
    assert rows == [["Brixton", "78,000"], ["Clapham", "64,000"]]


def test_pages_carry_the_council_brand_and_no_crown(client, lambeth):
    page = get_page(client, "/councils/lambeth")
    header = page.select_one(".govuk-generic-header")
    assert "devolve-header" in header["class"] and not header.get("style")
    # The colour comes from a style element the Content-Security-Policy lets through by nonce.
    [style] = page.select("head style")
    assert ".devolve-header { background-color: #00594f;" in style.get_text()
    policy = client.get("/councils/lambeth").headers["Content-Security-Policy"]
    assert "style-src 'self' 'nonce-" in policy and "unsafe-inline" not in policy
    assert header.get_text(strip=True) == "Lambeth Council"
    assert "Crown copyright" not in page.get_text()
    assert "GOV.UK" not in page.title.get_text()


def test_round_page_shows_pots_with_their_public_proposals(client, lambeth):
    page = get_page(client, "/councils/lambeth/rounds/youth")
    assert page.h1.get_text(strip=True) == "Youth services 2026"
    pots = page.select("main section")
    assert [" ".join(p.h3.get_text().split()) for p in pots] == [
        "Brixton £200,000",
        "Clapham £100,000",
    ]
    clapham = text_of(pots[1], None)
    assert "Careers mentoring" in clapham and "£12,000.50" in clapham
    assert "Abusive thing" not in clapham and "Changed my mind" not in clapham
    assert "Voting" in text_of(page)


@pytest.mark.parametrize(
    "url",
    ["/councils/nowhere", "/councils/lambeth/rounds/nothing", "/councils/lambeth/rounds/parks"],
)
def test_unknown_and_draft_pages_are_not_found_for_the_public(client, lambeth, url):
    page = get_page(client, url, status=404)
    assert page.h1.get_text(strip=True) == "Page not found"


def test_a_resident_cannot_see_a_draft_but_an_officer_of_the_council_can(client, lambeth, db):
    other = create_council(slug="liverpool")
    create_user(email="res@example.org", roles={lambeth: Role.RESIDENT})
    create_user(email="scouse.officer@example.org", roles={other: Role.OFFICER})
    create_user(email="officer@example.org", roles={lambeth: Role.OFFICER})
    db.session.commit()
    sign_in(client, "res@example.org", PASSWORD)
    assert client.get("/councils/lambeth/rounds/parks").status_code == 404
    sign_in(client, "scouse.officer@example.org", PASSWORD)
    assert client.get("/councils/lambeth/rounds/parks").status_code == 404
    sign_in(client, "officer@example.org", PASSWORD)
    page = get_page(client, "/councils/lambeth/rounds/parks")
    assert page.h1.get_text(strip=True) == "Parks 2027"
    assert "Draft" in [
        h.get_text(strip=True) for h in get_page(client, "/councils/lambeth").select("main h3")
    ]


def test_officer_dashboard_is_for_that_councils_officers_only(client, lambeth, db):
    other = create_council(slug="liverpool")
    create_user(email="res@example.org", roles={lambeth: Role.RESIDENT})
    create_user(email="scouse.officer@example.org", roles={other: Role.OFFICER})
    create_user(email="officer@example.org", roles={lambeth: Role.OFFICER})
    create_user(email="admin@example.org", roles={lambeth: Role.ADMIN})
    db.session.commit()
    anonymous = client.get("/officers/lambeth")
    assert anonymous.status_code == 302 and "/auth/sign-in" in anonymous.headers["Location"]
    sign_in(client, "res@example.org", PASSWORD)
    page = get_page(client, "/officers/lambeth", status=403)
    assert page.h1.get_text(strip=True) == "You do not have permission to see this page"
    sign_in(client, "scouse.officer@example.org", PASSWORD)
    get_page(client, "/officers/lambeth", status=403)
    for email in ("officer@example.org", "admin@example.org"):
        sign_in(client, email, PASSWORD)
        page = get_page(client, "/officers/lambeth")
        assert "Parks 2027" in text_of(page)
    get_page(client, "/officers/nowhere", status=404)


def test_account_page_lists_roles_in_each_council(client, lambeth, db):
    oldham = create_council(slug="oldham", name="Oldham Council")
    create_user(
        email="sam@example.org",
        display_name="Sam",
        roles={lambeth: Role.RESIDENT, oldham: Role.OFFICER},
    )
    db.session.commit()
    sign_in(client, "sam@example.org", PASSWORD)
    body = text_of(get_page(client, "/account/"))
    assert "Resident in Lambeth Council" in body
    assert "Officer in Oldham Council" in body


def test_several_messages_on_one_page_keep_ids_unique(app):
    from bs4 import BeautifulSoup
    from flask import flash, render_template

    from tests.app.pages import check_page

    with app.test_request_context("/"):
        flash("First thing done", "success")
        flash("Something to know", "info")
        html = render_template("public/home.html", councils=[], round_counts={})
    soup = BeautifulSoup(html, "html.parser")
    check_page(soup)
    assert len(soup.select(".govuk-notification-banner")) == 2
