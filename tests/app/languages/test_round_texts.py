"""Officers write a round's title and description in each of the council's languages, and its
pots are named in each of them (a neighbourhood's pot as the neighbourhood is, the council-wide
pot from the catalogue); the officers' pages show each in the reader's language, or mark the
one it is written in and say so. A council that speaks English only keeps its one title and one
description field."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.workflow import languages
from app.workflow.models import AuditEvent, FundingRound, Phase
from tests.app.pages import error_messages, get_page, sign_in, soup, submit
from tests.factories import PASSWORD, create_round

NEW = "/officers/lambeth/rounds/new"
OFFICER = "officer@lambeth.example"
WELSH_NAMES = {"Brixton": "Bricstwn", "Clapham": "Clapam", "Norwood": "Coed y Gogledd"}
TEXTS = {
    "title_cy": "Gwasanaethau ieuenctid 2026",
    "title_en": "Youth services 2026",
    "description_cy": "Ar gyfer pobl ifanc 11 i 25 oed.",
    "description_en": "For 11 to 25 year olds.",
}


@pytest.fixture
def welsh_first(client, db, lambeth):
    """Lambeth speaking Welsh first, its neighbourhoods named in Welsh and English (as its
    languages page stores them), and its officer signed in."""
    lambeth.council.languages = "cy en"
    for hood in lambeth.hoods:
        languages.set_texts(hood, {"name": {"cy": WELSH_NAMES[hood.name], "en": hood.name}})
    db.session.commit()
    sign_in(client, OFFICER, PASSWORD)
    return lambeth


def created(db) -> FundingRound | None:
    db.session.expire_all()
    return db.session.scalar(
        select(FundingRound).where(FundingRound.slug != "environment")  # Liverpool's
    )


def events(db, action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_the_form_asks_for_each_text_in_welsh_then_english(client, welsh_first):
    page = get_page(client, NEW + "?lang=cy")
    titles = page.select("input[name^=title_]")
    assert [i["name"] for i in titles] == ["title_cy", "title_en"]
    assert [i["lang"] for i in titles] == ["cy", "en"]
    descriptions = page.select("textarea[name^=description_]")
    assert [t["name"] for t in descriptions] == ["description_cy", "description_en"]
    assert page.select_one("input[name=title]") is None
    labels = [" ".join(page.select_one(f"label[for={n}]").get_text().split()) for n in TEXTS]
    assert labels == [
        "Teitl (Cymraeg)",
        "Teitl (English)",
        "Disgrifiad (Cymraeg)",
        "Disgrifiad (English)",
    ]


def test_an_officer_opens_a_round_in_welsh_and_english(client, db, welsh_first):
    data = {**TEXTS, "total_budget": "900", "method": "equal", "council_wide": "300"}
    response = submit(client, NEW + "?lang=cy", data)
    assert response.status_code == 302
    funding_round = created(db)
    # Its own columns are in Welsh, the council's first language; the English is a translation.
    assert funding_round.language == "cy"
    assert funding_round.title == "Gwasanaethau ieuenctid 2026"
    assert funding_round.description == "Ar gyfer pobl ifanc 11 i 25 oed."
    assert funding_round.translations == {
        "en": {"title": "Youth services 2026", "description": "For 11 to 25 year olds."}
    }
    assert funding_round.slug == "gwasanaethau-ieuenctid-2026"
    [event] = events(db, "round.created")
    assert event.after["title"] == {
        "cy": "Gwasanaethau ieuenctid 2026",
        "en": "Youth services 2026",
    }
    assert event.after["description"] == {
        "cy": "Ar gyfer pobl ifanc 11 i 25 oed.",
        "en": "For 11 to 25 year olds.",
    }
    # The pots: the council-wide pot named in both languages, each neighbourhood's as it is.
    names = [languages.texts(p, "name") for p in funding_round.pots]
    assert names == [
        {"cy": "Y cyngor cyfan", "en": "Council-wide"},
        {"cy": "Bricstwn", "en": "Brixton"},
        {"cy": "Clapam", "en": "Clapham"},
        {"cy": "Coed y Gogledd", "en": "Norwood"},
    ]
    assert all(p.language == "cy" for p in funding_round.pots)

    overview = f"/officers/lambeth/rounds/{funding_round.slug}"
    welsh = get_page(client, overview + "?lang=cy")
    assert welsh.h1.get_text(strip=True) == "Gwasanaethau ieuenctid 2026"
    assert welsh.select_one("#title-elsewhere") is None
    assert "Ar gyfer pobl ifanc 11 i 25 oed." in welsh.get_text()
    pots = [tr.select_one("th").get_text(strip=True) for tr in welsh.select("tbody tr")][:4]
    assert pots == ["Y cyngor cyfan", "Bricstwn", "Clapam", "Coed y Gogledd"]
    english = get_page(client, overview + "?lang=en")
    assert english.h1.get_text(strip=True) == "Youth services 2026"
    assert english.title.get_text().startswith("Youth services 2026")
    assert "For 11 to 25 year olds." in english.get_text()
    assert "Ar gyfer pobl ifanc" not in english.get_text()
    assert [tr.select_one("th").get_text(strip=True) for tr in english.select("tbody tr")][:4] == [
        "Council-wide",
        "Brixton",
        "Clapham",
        "Norwood",
    ]
    dashboard = get_page(client, "/officers/lambeth?lang=en")
    assert "Youth services 2026" in dashboard.select_one("main table").get_text()


def test_the_preview_names_the_pots_in_the_page_language(client, welsh_first):
    data = {**TEXTS, "total_budget": "900", "method": "equal", "council_wide": "300"}
    response = submit(client, NEW + "?lang=cy", {**data, "preview": "Rhagweld"})
    assert response.status_code == 200
    rows = [tr.select_one("th").get_text(strip=True) for tr in soup(response).select("tbody tr")]
    assert rows[:4] == ["Y cyngor cyfan", "Bricstwn", "Clapam", "Coed y Gogledd"]


def test_a_title_in_english_only_is_shown_marked_english_on_the_welsh_page(client, db, welsh_first):
    data = {"title_en": "Youth services 2026", "description_en": "For 11 to 25 year olds."}
    response = submit(client, NEW + "?lang=cy", {**data, "total_budget": "900", "method": "equal"})
    assert response.status_code == 302
    funding_round = created(db)
    assert funding_round.language == "en" and funding_round.title == "Youth services 2026"
    assert funding_round.translations == {}
    page = get_page(client, f"/officers/lambeth/rounds/{funding_round.slug}?lang=cy")
    marked = page.h1.select_one("[lang=en]")
    assert marked is not None and marked.get_text() == "Youth services 2026"
    note = page.select_one("#title-elsewhere").get_text(strip=True)
    assert note == "Mae hwn wedi’i ysgrifennu yn Saesneg yn unig."
    # The caption of its other pages marks it too.
    details = get_page(client, f"/officers/lambeth/rounds/{funding_round.slug}/details?lang=cy")
    assert details.select_one(".govuk-caption-l [lang=en]").get_text() == "Youth services 2026"


def test_a_round_with_no_title_is_refused_beside_the_first_field(client, db, welsh_first):
    data = {
        "title_cy": "  ",
        "title_en": "",
        "description_cy": "Disgrifiad",
        "description_en": "",
        "total_budget": "900",
        "method": "equal",
    }
    response = submit(client, NEW + "?lang=en", data)
    assert response.status_code == 200
    errors = error_messages(soup(response))
    assert "at least one language" in errors["title_cy"]
    assert "title_en" not in errors
    assert created(db) is None
    assert events(db, "round.created") == []


def test_a_description_is_needed_in_one_language(client, db, welsh_first):
    data = {"title_cy": "Teitl", "description_cy": "", "description_en": " "}
    response = submit(client, NEW + "?lang=cy", {**data, "total_budget": "900", "method": "equal"})
    assert response.status_code == 200
    assert error_messages(soup(response))["description_cy"] == "Rhowch ddisgrifiad"
    assert created(db) is None


def test_details_change_in_each_language(client, db, welsh_first):
    funding_round = create_round(welsh_first.council, slug="ieuenctid", phase=Phase.PROPOSALS)
    languages.set_texts(
        funding_round,
        {"title": {"cy": "Ieuenctid", "en": "Youth"}, "description": {"cy": "Hen", "en": "Old"}},
    )
    db.session.commit()
    url = "/officers/lambeth/rounds/ieuenctid/details"
    page = get_page(client, url + "?lang=cy")
    assert page.select_one("input[name=title_cy]")["value"] == "Ieuenctid"
    assert page.select_one("input[name=title_en]")["value"] == "Youth"
    assert page.select_one("textarea[name=description_en]").get_text(strip=True) == "Old"
    data = {
        "title_cy": "Ieuenctid 2026",
        "title_en": "Youth 2026",
        "description_cy": "Newydd",
        "description_en": "",
    }
    assert submit(client, url + "?lang=cy", data).status_code == 302
    db.session.expire_all()
    assert languages.texts(funding_round, "title") == {"cy": "Ieuenctid 2026", "en": "Youth 2026"}
    assert languages.texts(funding_round, "description") == {"cy": "Newydd"}
    assert funding_round.slug == "ieuenctid"
    [event] = events(db, "round.details_changed")
    assert event.before["title"] == {"cy": "Ieuenctid", "en": "Youth"}
    assert event.after["title"] == {"cy": "Ieuenctid 2026", "en": "Youth 2026"}
    assert event.after["description"] == {"cy": "Newydd"}

    # Without a title in either language nothing changes.
    response = submit(client, url + "?lang=en", {**data, "title_cy": "", "title_en": ""})
    assert "at least one language" in error_messages(soup(response))["title_cy"]
    db.session.expire_all()
    assert funding_round.title == "Ieuenctid 2026"


def test_pots_made_again_keep_the_neighbourhoods_names_in_both_languages(client, db, welsh_first):
    data = {**TEXTS, "total_budget": "900", "method": "council"}
    assert submit(client, NEW + "?lang=cy", data).status_code == 302
    funding_round = created(db)
    [pot] = funding_round.pots
    assert languages.texts(pot, "name") == {"cy": "Y cyngor cyfan", "en": "Council-wide"}
    url = f"/officers/lambeth/rounds/{funding_round.slug}/pots"
    response = submit(client, url + "?lang=cy", {"total_budget": "900", "method": "equal"})
    assert response.status_code == 302
    db.session.expire_all()
    assert [languages.texts(p, "name") for p in funding_round.pots] == [
        {"cy": "Bricstwn", "en": "Brixton"},
        {"cy": "Clapam", "en": "Clapham"},
        {"cy": "Coed y Gogledd", "en": "Norwood"},
    ]
    assert funding_round.pots[0].name == "Bricstwn" and funding_round.pots[0].language == "cy"
    merge = get_page(client, url + "/merge?lang=en")
    assert "Brixton" in merge.select_one("table").get_text()


def test_an_english_only_councils_form_is_as_it_was(client, db, lambeth):
    sign_in(client, OFFICER, PASSWORD)
    page = get_page(client, NEW)
    assert page.select_one("input[name=title]") is not None
    assert page.select_one("textarea[name=description]") is not None
    assert not page.select("input[name^=title_], textarea[name^=description_]")
    assert " ".join(page.select_one("label[for=title]").get_text().split()) == "Title"
    data = {"title": "Youth", "description": "d", "total_budget": "900", "method": "council"}
    assert submit(client, NEW, data).status_code == 302
    funding_round = created(db)
    assert funding_round.language == "en" and funding_round.translations == {}
    assert [(p.name, p.language, p.translations) for p in funding_round.pots] == [
        ("Council-wide", "en", {})
    ]
    [event] = events(db, "round.created")
    assert event.after["title"] == {"en": "Youth"}
    response = submit(client, NEW, {**data, "title": ""})
    assert error_messages(soup(response))["title"] == "Enter a title"
