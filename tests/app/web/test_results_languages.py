"""The results pages and the ballot page in the reader's language: each project's explanation
as the stored result gives it in that language (the English, marked lang="en", where it has
none), and a ballot's problems in votes' words in the page's language."""

from __future__ import annotations

import json

from flask import g
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app.web.extensions import db as _db
from app.workflow.models import Phase, PotResult, Role
from tests.app.closed_round import closed_round
from tests.app.hardening import RESIDENT, csrf, sign_in_as
from tests.app.pages import error_messages, get_page, soup
from tests.ballots.helpers import enrol, place, voting_round
from tests.factories import create_council, create_user


def published(**round_args):
    funding_round = closed_round(phase=Phase.PUBLISHED, **round_args)
    result = _db.session.scalar(select(PotResult).where(PotResult.round_id == funding_round.id))
    base = f"/councils/{funding_round.council.slug}/rounds/{funding_round.slug}/results"
    return base, result, json.loads(result.outcome_json)


def new_language() -> None:
    """Forget the language Flask-Babel kept for the test's application context, which every
    request of the test shares (in the app, each request has its own)."""
    g.pop("_flask_babel", None)


def explanation_items(page) -> dict[str, object]:
    """Project name -> the explanation's element (the text after the name and cost)."""
    out = {}
    for li in page.select("#funded li, #unfunded li"):
        if li.strong:
            out[li.strong.get_text()] = li
    return out


def said(li) -> str:
    return " ".join(li.br.next_sibling.get_text().split()) if li.br else ""


def test_the_pot_page_in_welsh_gives_the_welsh_explanations(client, db):
    base, result, document = published(kind="approval", rule="mes")
    welsh = document["translations"]["cy"]
    page = get_page(client, f"{base}/{result.pot_id}?lang=cy")
    items = explanation_items(page)
    assert set(items) == {p["name"] for p in document["projects"]}
    for p in document["projects"]:
        li = items[p["name"]]
        assert welsh[p["id"]] in " ".join(li.get_text().split())
        # The explanation is in the page's language: no mark needed. (The project's name is
        # its proposal's title, written in English only: marked lang="en".)
        assert [e for e in li.select("[lang]") if e.parent is not li.strong] == []
        assert li.strong.select_one("[lang=en]").get_text() == p["name"]
        assert p["explanation"] not in li.get_text()
    # The round's page lists them in Welsh too.
    round_page = get_page(client, f"{base}?lang=cy")
    text = " ".join(round_page.get_text().split())
    assert all(welsh[p["id"]] in text for p in document["projects"])


def test_the_pot_page_in_english_is_as_it_was(client, db):
    base, result, document = published(kind="cumulative", rule="greedy")
    for url in (f"{base}/{result.pot_id}", f"{base}/{result.pot_id}?lang=en"):
        page = get_page(client, url)
        items = explanation_items(page)
        for p in document["projects"]:
            li = items[p["name"]]
            assert str(li).endswith(f"<br/>{p['explanation']}</li>")
            assert li.select("[lang]") == []


def test_a_result_stored_before_translations_shows_the_english_marked_as_english(
    client, db, monkeypatch
):
    import votes.verify

    # Counted by a votes with no other catalogue: the stored document has no translations.
    monkeypatch.setattr(votes.verify, "catalogues", lambda: ("en",))
    base, result, document = published(kind="ranked", rule="irv")
    monkeypatch.undo()
    assert "translations" not in document
    page = get_page(client, f"{base}/{result.pot_id}?lang=cy")
    for p in document["projects"]:
        li = explanation_items(page)[p["name"]]
        # (The project's name, its proposal's English title, is marked too, in its strong.)
        [english] = li.find_all("span", lang="en", recursive=False)
        assert english.get_text() == p["explanation"]
    round_page = get_page(client, f"{base}?lang=cy")
    marked = [s.get_text() for s in round_page.select("main li > span[lang=en]")]
    assert sorted(marked) == sorted(p["explanation"] for p in document["projects"])


def test_a_ballots_problems_are_in_the_pages_language(app, client, db):
    council = create_council(slug="home")
    hood = place(council)
    user = create_user(email=RESIDENT, roles={council: Role.RESIDENT}, home=hood)
    funding_round, paper = voting_round(council, kind="ranked", max_choices=3)
    funding_round.slug = "vote"
    db.session.commit()
    enrol(council, hood, user=user, reference="HOME-7Q2X")
    pot = paper.pots[0]
    first, second = pot.projects[0], pot.projects[1]
    sign_in_as(client, RESIDENT)
    token = csrf(client)
    url = f"/councils/home/rounds/vote/vote/{pot.id}"
    fields = MultiDict(
        [("csrf_token", token), ("rank_1", first.id), ("rank_2", ""), ("rank_3", second.id)]
    )
    english = error_messages(soup(client.post(url, data=fields)))
    assert any(
        m.startswith("You left rank 2 empty but filled a later rank") for m in english.values()
    ), english
    new_language()
    response = client.post(url + "?lang=cy", data=fields)
    assert soup(response).html["lang"] == "cy"
    welsh = error_messages(soup(response))
    assert any(
        m.startswith("Rydych wedi gadael safle 2 yn wag ond wedi llenwi safle diweddarach")
        for m in welsh.values()
    ), welsh
    assert not any("You left rank" in m for m in welsh.values())
    # The same refused at the confirm step (the box's own check) is in Welsh too.
    confirm = error_messages(soup(client.post(url + "/confirm?lang=cy", data=fields)))
    assert any(m.startswith("Rydych wedi gadael safle 2 yn wag") for m in confirm.values()), confirm
