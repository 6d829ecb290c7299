"""Residents write a proposal in any of the council's languages, one or several; every page
shows a proposal (and its round, pot and council) in the reader's language, or marks the one
it is written in and says so. The ballot and the results name their projects from the
proposals' rows, by the ids the frozen paper and the stored result keep. A council that speaks
English only keeps its one field for each text."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from app.workflow import languages, proposals, rounds
from app.workflow.errors import DomainError
from app.workflow.models import AuditEvent, Phase, Proposal, ProposalStatus, Role
from ballots.paper import ballot_paper
from tests.app.closed_round import closed_round
from tests.app.pages import error_messages, get_page, sign_in, soup, submit
from tests.ballots.helpers import enrol
from tests.factories import (
    PASSWORD,
    create_council,
    create_neighbourhood,
    create_proposal,
    create_round,
    create_user,
)

ROUND = "/councils/lambeth/rounds/r"
RESIDENT = "resident@lambeth.example"
WELSH_NAMES = {"Brixton": "Bricstwn", "Clapham": "Clapam", "Norwood": "Coed y Gogledd"}
BOTH = {
    "title_cy": "Clwb ieuenctid hwyr",
    "title_en": "Late-night youth club",
    "summary_cy": "Ar agor tan 10yh.",
    "summary_en": "Open until 10pm.",
    "description_cy": "Nos Wener a nos Sadwrn.",
    "description_en": "Fridays and Saturdays.",
}
EMPTY = {
    f"{text}_{code}": "" for text in ("title", "summary", "description") for code in ["cy", "en"]
}


@pytest.fixture
def welsh_first(client, db, lambeth, open_round):
    """Lambeth speaking Welsh first, its neighbourhoods and the open round's pots named in
    Welsh and English, and its resident signed in."""
    lambeth.council.languages = "cy en"
    for hood in lambeth.hoods:
        languages.set_texts(hood, {"name": {"cy": WELSH_NAMES[hood.name], "en": hood.name}})
    for pot in open_round.pots:
        languages.set_texts(pot, {"name": {"cy": WELSH_NAMES[pot.name], "en": pot.name}})
    languages.set_texts(
        open_round,
        {"title": {"cy": "Gwasanaethau ieuenctid", "en": "Youth services"}},
    )
    db.session.commit()
    sign_in(client, RESIDENT, PASSWORD)
    return lambeth


def idea(open_round, **texts) -> dict:
    return {
        **EMPTY,
        **texts,
        "pot": str(open_round.pots[0].id),
        "category": "Youth",
        "estimated_cost": "18,000",
        "location": "Brixton",
    }


def stored(db) -> list[Proposal]:
    db.session.expire_all()
    return list(db.session.scalars(select(Proposal).order_by(Proposal.id)))


def events(db, action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def text_of(element) -> str:
    return " ".join(element.get_text().split())


def test_the_form_asks_for_each_text_in_welsh_then_english(client, welsh_first):
    page = get_page(client, f"{ROUND}/propose?lang=cy")
    titles = page.select("input[name^=title_]")
    assert [i["name"] for i in titles] == ["title_cy", "title_en"]
    assert [i["lang"] for i in titles] == ["cy", "en"]
    assert [t["name"] for t in page.select("textarea[name^=description_]")] == [
        "description_cy",
        "description_en",
    ]
    assert page.select_one("input[name=title]") is None
    labels = [text_of(page.select_one(f"label[for={n}]")) for n in ("title_cy", "summary_en")]
    assert labels == ["Teitl (Cymraeg)", "Crynodeb (English)"]
    hint = text_of(page.select_one("#write-in-languages"))
    assert hint.startswith("Gallwch ysgrifennu eich cynnig yn y naill iaith")
    english = get_page(client, f"{ROUND}/propose?lang=en")
    assert "either language, or in both" in text_of(english.select_one("#write-in-languages"))
    # The pots are named in the page's language.
    assert "Bricstwn" in text_of(page.select_one("label[for=pot]"))  # the first pot's radio
    assert "Bricstwn" not in text_of(english.select_one("main form"))


def test_a_resident_proposes_in_welsh_and_english(client, db, welsh_first, open_round):
    response = submit(client, f"{ROUND}/propose?lang=cy", idea(open_round, **BOTH))
    assert response.status_code == 302
    [proposal] = stored(db)
    # Its own columns are in Welsh, the council's first language; the English is a translation.
    assert proposal.language == "cy"
    assert (proposal.title, proposal.summary, proposal.description) == (
        "Clwb ieuenctid hwyr",
        "Ar agor tan 10yh.",
        "Nos Wener a nos Sadwrn.",
    )
    assert proposal.translations == {
        "en": {
            "title": "Late-night youth club",
            "summary": "Open until 10pm.",
            "description": "Fridays and Saturdays.",
        }
    }
    [event] = events(db, "proposal.submitted")
    assert event.after["title"] == {"cy": "Clwb ieuenctid hwyr", "en": "Late-night youth club"}
    assert event.after["summary"] == {"cy": "Ar agor tan 10yh.", "en": "Open until 10pm."}
    assert event.after["description"] == {
        "cy": "Nos Wener a nos Sadwrn.",
        "en": "Fridays and Saturdays.",
    }
    # Each reader gets it in their language, unmarked: it is written in both.
    page = f"{ROUND}/proposals/{proposal.id}"
    welsh, english = get_page(client, page + "?lang=cy"), get_page(client, page + "?lang=en")
    assert text_of(welsh.h1) == "Clwb ieuenctid hwyr"
    assert text_of(english.h1) == "Late-night youth club"
    assert english.title.get_text().startswith("Late-night youth club – Lambeth Council")
    assert "Fridays and Saturdays." in text_of(english.select_one("#description"))
    assert "Nos Wener" not in english.get_text()
    assert not english.select("main [lang]") and not welsh.select("main [lang]")
    assert english.select_one("#title-elsewhere") is None


def test_a_welsh_only_proposal_on_the_english_page(client, db, welsh_first, open_round):
    welsh = {k: v for k, v in BOTH.items() if k.endswith("_cy")}
    assert submit(client, f"{ROUND}/propose?lang=cy", idea(open_round, **welsh)).status_code == 302
    [proposal] = stored(db)
    assert proposal.language == "cy" and proposal.translations == {}
    page = get_page(client, f"{ROUND}/proposals/{proposal.id}?lang=en")
    assert page.html["lang"] == "en"
    marked = page.h1.select_one("[lang=cy]")
    assert marked is not None and marked.get_text() == "Clwb ieuenctid hwyr"
    assert text_of(page.select_one("#title-elsewhere")) == "This is written in Welsh only."
    assert page.select_one("#description [lang=cy]").get_text() == "Nos Wener a nos Sadwrn."
    assert text_of(page.select_one("#text-elsewhere")) == "This is written in Welsh only."
    # Its pot and round are in English, their texts being written in it too.
    assert text_of(page.select_one(".govuk-caption-l")) == "Brixton"
    # The round page lists it, marked.
    listing = get_page(client, f"{ROUND}?lang=en")
    assert listing.select_one("#proposals ~ section [lang=cy]").get_text() == "Clwb ieuenctid hwyr"
    assert text_of(listing.h1) == "Youth services"


def test_an_english_only_proposal_on_the_welsh_page(client, db, welsh_first, open_round):
    english = {k: v for k, v in BOTH.items() if k.endswith("_en")}
    assert (
        submit(client, f"{ROUND}/propose?lang=en", idea(open_round, **english)).status_code == 302
    )
    [proposal] = stored(db)
    assert proposal.language == "en" and proposal.title == "Late-night youth club"
    assert proposal.translations == {}
    page = get_page(client, f"{ROUND}/proposals/{proposal.id}?lang=cy")
    assert page.html["lang"] == "cy"
    assert page.h1.select_one("[lang=en]").get_text() == "Late-night youth club"
    note = text_of(page.select_one("#title-elsewhere"))
    assert note == "Mae hwn wedi’i ysgrifennu yn Saesneg yn unig."
    assert text_of(page.select_one(".govuk-caption-l")) == "Bricstwn"
    # The resident's account lists it, marked, with the round in Welsh.
    account = get_page(client, "/account/?lang=cy")
    mine = account.select_one("#your-proposals")
    assert mine.select_one("a [lang=en]").get_text() == "Late-night youth club"
    assert "Gwasanaethau ieuenctid" in text_of(mine)


def test_a_proposal_with_no_title_is_refused_beside_the_first_field(
    client, db, welsh_first, open_round
):
    texts = {**BOTH, "title_cy": "  ", "title_en": ""}
    response = submit(client, f"{ROUND}/propose?lang=en", idea(open_round, **texts))
    assert response.status_code == 200
    errors = error_messages(soup(response))
    assert errors["title_cy"] == "Enter a title"
    assert "title_en" not in errors
    assert db.session.scalar(select(func.count()).select_from(Proposal)) == 0
    assert events(db, "proposal.submitted") == []
    # A summary and a description are needed in one language at least, beside the first.
    texts = {**EMPTY, "title_en": "Late-night youth club"}
    page = soup(submit(client, f"{ROUND}/propose?lang=cy", idea(open_round, **texts)))
    errors = error_messages(page)
    hidden = page.select_one("#summary_cy-error .govuk-visually-hidden").get_text(strip=True)
    assert hidden == "Gwall:"  # GOV.UK's hidden word, in the page's language
    assert errors["summary_cy"] == "Rhowch grynodeb"
    assert errors["description_cy"] == "Rhowch ddisgrifiad"
    assert db.session.scalar(select(func.count()).select_from(Proposal)) == 0


def test_the_workflow_refuses_a_proposal_without_a_title(db, welsh_first, open_round):
    text = proposals.ProposalText(
        title={"cy": " ", "en": ""},
        summary={"en": "Open until 10pm."},
        description={"en": "Fridays."},
        category="",
        location="",
        estimated_cost_pence=1_000_00,
        pot_id=open_round.pots[0].id,
    )
    with pytest.raises(DomainError) as refused:
        proposals.submit_proposal(db.session, open_round, author=welsh_first.resident, text=text)
    assert refused.value.field == "title"
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Proposal)) == 0


def test_editing_one_language_keeps_the_other(client, db, welsh_first, open_round):
    assert submit(client, f"{ROUND}/propose?lang=cy", idea(open_round, **BOTH)).status_code == 302
    [proposal] = stored(db)
    url = f"{ROUND}/proposals/{proposal.id}/edit?lang=cy"
    form = get_page(client, url).select_one("main form")
    assert form.select_one("input[name=title_en]")["value"] == "Late-night youth club"
    assert form.select_one("input[name=summary_cy]")["value"] == "Ar agor tan 10yh."
    # Sent as the form stands, with the Welsh title changed.
    sent = {
        field["name"]: field.get("value", "")
        for field in form.select("input")
        if field.get("type") not in ("radio", "submit") and field["name"] != "csrf_token"
    }
    sent.update({t["name"]: t.get_text().strip() for t in form.select("textarea")})
    sent.update(pot=str(proposal.pot_id), title_cy="Clwb ieuenctid gyda’r nos")
    assert submit(client, url, sent).status_code == 302
    [proposal] = stored(db)
    assert languages.texts(proposal, "title") == {
        "cy": "Clwb ieuenctid gyda’r nos",
        "en": "Late-night youth club",
    }
    assert languages.texts(proposal, "summary") == {
        "cy": "Ar agor tan 10yh.",
        "en": "Open until 10pm.",
    }
    [event] = events(db, "proposal.edited")
    assert event.before == {"title": {"cy": "Clwb ieuenctid hwyr", "en": "Late-night youth club"}}
    assert event.after == {
        "title": {"cy": "Clwb ieuenctid gyda’r nos", "en": "Late-night youth club"}
    }


def test_a_council_that_stops_speaking_welsh_keeps_a_proposals_welsh(
    client, db, welsh_first, open_round
):
    assert submit(client, f"{ROUND}/propose?lang=cy", idea(open_round, **BOTH)).status_code == 302
    welsh_first.council.languages = "en"
    db.session.commit()
    [proposal] = stored(db)
    url = f"{ROUND}/proposals/{proposal.id}/edit"
    page = get_page(client, url + "?lang=en")
    assert page.select_one("input[name=title]")["value"] == "Late-night youth club"
    data = {
        "title": "Late youth club",
        "summary": "Open until 10pm.",
        "description": "Fridays and Saturdays.",
        "pot": str(proposal.pot_id),
        "category": "Youth",
        "estimated_cost": "18,000",
        "location": "Brixton",
    }
    assert submit(client, url + "?lang=en", data).status_code == 302
    [proposal] = stored(db)
    assert languages.texts(proposal, "title") == {
        "cy": "Clwb ieuenctid hwyr",
        "en": "Late youth club",
    }


def test_an_english_only_councils_form_is_as_it_was(client, db, lambeth, open_round):
    sign_in(client, RESIDENT, PASSWORD)
    page = get_page(client, f"{ROUND}/propose")
    names = [f["name"] for f in page.select("main form input, main form textarea")]
    assert names[:4] == ["csrf_token", "title", "summary", "description"]
    assert not page.select("[name$=_en], [name$=_cy]")
    assert page.select_one("#write-in-languages") is None
    assert text_of(page.select_one("label[for=title]")) == "Title"
    data = {
        "title": "Late-night youth club",
        "summary": "Open until 10pm.",
        "description": "Fridays and Saturdays.",
        "pot": str(open_round.pots[0].id),
        "estimated_cost": "18,000",
    }
    assert submit(client, f"{ROUND}/propose", data).status_code == 302
    [proposal] = stored(db)
    assert (proposal.language, proposal.translations) == ("en", {})
    assert events(db, "proposal.submitted")[0].after["title"] == {"en": "Late-night youth club"}
    errors = error_messages(soup(submit(client, f"{ROUND}/propose", {**data, "title": ""})))
    assert errors["title"] == "Enter a title"


# --- The ballot and the results: names from the proposals' rows --------------------------------

# As the demo's Welsh council: a proposal in both languages, one in Welsh only, one in English
# only.
DEMO_TITLES = [
    {"cy": "Gardd gymunedol ger yr harbwr", "en": "Community garden by the harbour"},
    {"cy": "Ffilmiau yn yr awyr agored"},
    {"en": "Beach clean-up kit library"},
]


def _write(proposal, titles: dict[str, str]) -> None:
    languages.set_texts(
        proposal, {"title": titles, "summary": {code: f"{t}." for code, t in titles.items()}}
    )


def test_the_ballot_names_its_projects_in_the_readers_language(client, db):
    council = create_council(slug="ynys-mon", name="Cyngor Sir Ynys Môn")
    council.languages = "cy en"
    languages.set_texts(
        council, {"name": {"cy": "Cyngor Sir Ynys Môn", "en": "Isle of Anglesey County Council"}}
    )
    hood = create_neighbourhood(council, name="Caergybi")
    languages.set_texts(hood, {"name": {"cy": "Caergybi", "en": "Holyhead"}})
    voter = create_user(email="gwen@example.org", roles={council: Role.RESIDENT}, home=hood)
    # Written before voting opens, as residents write them: the paper freezes their names.
    funding_round = create_round(
        council, phase=Phase.SUPPORTS, total_budget_pence=50_000_00, pots=[(hood, 50_000_00)]
    )
    funding_round.ballot_kind, funding_round.rule = "approval", "greedy"
    [pot] = funding_round.pots
    languages.set_texts(pot, {"name": {"cy": "Caergybi", "en": "Holyhead"}})
    rows = []
    for titles in DEMO_TITLES:
        proposal = create_proposal(pot, cost_pence=1_000_00, status=ProposalStatus.FEASIBLE)
        _write(proposal, titles)
        rows.append(proposal)
    db.session.flush()
    db.session.refresh(funding_round)
    manifest = rounds.canonical_json(rounds.build_manifest(db.session, funding_round))
    funding_round.manifest_json = manifest
    funding_round.manifest_hash = rounds.manifest_hash(manifest)
    funding_round.phase = Phase.VOTING
    db.session.commit()
    paper = ballot_paper(manifest)
    enrol(council, hood, user=voter, reference="YM1")
    frozen = [p["title"] for p in json.loads(manifest)["pots"][0]["proposals"]]
    assert frozen == [
        "Gardd gymunedol ger yr harbwr",
        "Ffilmiau yn yr awyr agored",
        "Beach clean-up kit library",
    ]
    sign_in(client, "gwen@example.org", PASSWORD)
    url = f"/councils/ynys-mon/rounds/{funding_round.slug}/vote/{pot.id}"

    def labels(page) -> list:
        return [
            page.select_one(f"label[for={i['id']}]") for i in page.select("input[name=choices]")
        ]

    english = get_page(client, url + "?lang=en")
    names = labels(english)
    assert [text_of(n) for n in names] == [
        "Community garden by the harbour",
        "Ffilmiau yn yr awyr agored",
        "Beach clean-up kit library",
    ]
    assert [n.select_one("[lang]") and n.select_one("[lang]")["lang"] for n in names] == [
        None,
        "cy",
        None,
    ]
    assert text_of(english.h1) == "Your ballot: Holyhead"
    assert english.title.get_text().startswith(
        "Your ballot: Holyhead – Isle of Anglesey County Council"
    )
    assert "Community garden by the harbour." in text_of(
        english.select_one(f"#summary-{rows[0].id}")
    )

    welsh = get_page(client, url + "?lang=cy")
    names = labels(welsh)
    assert [text_of(n) for n in names] == [
        "Gardd gymunedol ger yr harbwr",
        "Ffilmiau yn yr awyr agored",
        "Beach clean-up kit library",
    ]
    assert [n.select_one("[lang]") and n.select_one("[lang]")["lang"] for n in names] == [
        None,
        None,
        "en",
    ]
    assert text_of(welsh.h1) == "Eich papur pleidleisio: Caergybi"
    # The frozen paper is as it was.
    db.session.expire_all()
    assert funding_round.manifest_json == manifest
    assert [p.name for p in paper.pots[0].projects] == frozen
    # The list of pots names them in the reader's language too.
    pots = get_page(client, f"/councils/ynys-mon/rounds/{funding_round.slug}/vote?lang=en")
    assert "Holyhead" in text_of(pots.select_one("#pots"))


def test_the_results_name_the_projects_in_the_readers_language(client, db):
    council = create_council()
    council.languages = "en cy"
    funding_round = closed_round(council, phase=Phase.PUBLISHED)
    rows = sorted(funding_round.proposals, key=lambda p: p.id)
    stored_names = [p.title for p in rows]
    welsh = ["Gardd gymunedol", "Ffilmiau yn yr awyr agored", None]
    for proposal, name in zip(rows, welsh, strict=True):
        if name:
            languages.set_texts(proposal, {"title": {"en": proposal.title, "cy": name}})
    db.session.commit()
    base = f"/councils/{council.slug}/rounds/{funding_round.slug}/results"
    pot_id = funding_round.pots[0].id

    english = get_page(client, f"{base}/{pot_id}?lang=en")
    named = {text_of(a) for a in english.select("#results-table tbody th a")}
    assert named == set(stored_names)
    page = get_page(client, f"{base}/{pot_id}?lang=cy")
    table = {text_of(a): a for a in page.select("#results-table tbody th a")}
    assert set(table) == {"Gardd gymunedol", "Ffilmiau yn yr awyr agored", stored_names[2]}
    assert table[stored_names[2]].select_one("[lang=en]") is not None
    assert table["Gardd gymunedol"].select_one("[lang]") is None
    labels = {b.get_text() for b in page.select("#support-chart text")}
    assert {"Gardd gymunedol", "Ffilmiau yn yr awyr agored"} <= labels
    funded = {text_of(li.strong) for li in page.select("#funded li, #unfunded li")}
    assert funded == set(table)
    # The round's results and the comparison of rules too.
    round_page = get_page(client, f"{base}?lang=cy")
    assert "Gardd gymunedol" in text_of(round_page.select_one("main"))
    compare = get_page(client, f"{base}/compare?lang=cy")
    assert "Ffilmiau yn yr awyr agored" in text_of(compare.select_one("main"))
    # The stored result keeps the names it was counted with.
    from app.workflow import results

    [view] = results.published_views(db.session, funding_round)
    assert {p.name for p in view.projects} == set(stored_names)


def test_the_api_gives_each_proposals_languages(client, db, welsh_first, open_round):
    assert submit(client, f"{ROUND}/propose?lang=cy", idea(open_round, **BOTH)).status_code == 302
    [proposal] = stored(db)
    proposal.status = ProposalStatus.FEASIBLE
    db.session.commit()
    body = client.get(f"/api/v1/rounds/{open_round.id}/proposals").get_json()
    [given] = body["proposals"]
    assert (given["title"], given["language"]) == ("Clwb ieuenctid hwyr", "cy")
    assert given["description"] == "Nos Wener a nos Sadwrn."
    assert given["translations"] == {
        "en": {
            "title": "Late-night youth club",
            "summary": "Open until 10pm.",
            "description": "Fridays and Saturdays.",
        }
    }
    round_body = client.get(f"/api/v1/rounds/{open_round.id}").get_json()
    assert round_body["translations"]["en"]["title"] == "Youth services"
    assert round_body["pots"][0]["translations"] == {"en": {"name": "Brixton"}}
    assert round_body["pots"][0]["language"] == "cy"
    councils = client.get("/api/v1/councils").get_json()["councils"]
    lambeth = next(c for c in councils if c["slug"] == "lambeth")
    assert lambeth["neighbourhoods"][0]["translations"] == {"en": {"name": "Brixton"}}
