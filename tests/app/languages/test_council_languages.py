"""A council's administrators choose how it speaks and write its texts in each language; the
pages show each text in the reader's language, or say it is only in the other."""

from __future__ import annotations

from sqlalchemy import select

from app.workflow import languages
from app.workflow.models import AuditEvent, Council, Role
from tests.app.pages import error_messages, get_page, sign_in, soup, submit
from tests.factories import PASSWORD, create_user

URL = "/officers/lambeth/languages"


def admin(lambeth):
    return create_user(
        email="admin@lambeth.example", display_name="Alex", roles={lambeth.council: Role.ADMIN}
    )


def test_only_administrators_reach_the_page(client, db, lambeth):
    sign_in(client, lambeth.officer.email, PASSWORD)
    assert client.get(URL).status_code == 403


def test_a_council_becomes_bilingual_welsh_first_and_names_itself_in_both(client, db, lambeth):
    sign_in(client, admin(lambeth).email, PASSWORD)
    page = get_page(client, URL)
    # English only to start: one name field, the choices include Welsh first.
    assert page.select_one("input[name=name_en]") is not None
    assert page.select_one("input[name=name_cy]") is None
    values = [i["value"] for i in page.select("input[name=languages]")]
    assert values == ["en", "en cy", "cy en"]

    keep = {f"hood{h.id}_en": h.name for h in lambeth.hoods}
    response = submit(
        client,
        URL,
        {"languages": "cy en", "name_en": "Lambeth Council", "description_en": "", **keep},
    )
    assert response.status_code == 302
    db.session.expire_all()
    council = db.session.scalar(select(Council).where(Council.slug == "lambeth"))
    assert council.spoken_languages == ("cy", "en")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "council.languages"))
    assert event.before["languages"] == "en" and event.after["languages"] == "cy en"

    # Now the form asks for Welsh first, then English, for every text.
    page = get_page(client, URL)
    names = [i["name"] for i in page.select("input[name^=name_]")]
    assert names == ["name_cy", "name_en"]
    assert page.select_one("input[name=name_cy]")["lang"] == "cy"
    hood_fields = [i["name"] for i in page.select(f"input[name^=hood{lambeth.hoods[0].id}_]")]
    assert hood_fields == [f"hood{lambeth.hoods[0].id}_cy", f"hood{lambeth.hoods[0].id}_en"]

    data = {
        "languages": "cy en",
        "name_cy": "Cyngor Lambeth",
        "name_en": "Lambeth Council",
        "description_cy": "",
        "description_en": "",
    }
    for hood in lambeth.hoods:
        data[f"hood{hood.id}_cy"] = ""
        data[f"hood{hood.id}_en"] = hood.name
    data[f"hood{lambeth.hoods[0].id}_cy"] = "Brixton (Cymraeg)"
    assert submit(client, URL, data).status_code == 302
    db.session.expire_all()
    council = db.session.scalar(select(Council).where(Council.slug == "lambeth"))
    assert languages.texts(council, "name") == {"cy": "Cyngor Lambeth", "en": "Lambeth Council"}
    assert council.language == "cy" and council.name == "Cyngor Lambeth"

    # A visitor who has not chosen gets the council's first language, Welsh.
    fresh = client.application.test_client()
    text = fresh.get("/councils/lambeth").get_data(as_text=True)
    assert '<html lang="cy"' in text
    assert "Cyngor Lambeth" in text
    english = fresh.get("/councils/lambeth?lang=en").get_data(as_text=True)
    assert '<html lang="en"' in english and "Lambeth Council" in english


def test_a_name_is_needed_in_one_language_at_least(client, db, lambeth):
    sign_in(client, admin(lambeth).email, PASSWORD)
    keep = {f"hood{h.id}_en": h.name for h in lambeth.hoods}
    response = submit(client, URL, {"languages": "en", "name_en": "  ", **keep})
    assert response.status_code == 200
    assert "at least one language" in error_messages(soup(response))["name_en"]
    # A neighbourhood left with no name in any language: the error is beside it.
    emptied = {**keep, f"hood{lambeth.hoods[1].id}_en": ""}
    response = submit(client, URL, {"languages": "en", "name_en": "Lambeth", **emptied})
    errors = error_messages(soup(response))
    assert "at least one language" in errors[f"hood{lambeth.hoods[1].id}_en"]
    db.session.expire_all()
    assert db.session.get(Council, lambeth.council.id).name == "Lambeth Council"


def test_a_made_up_way_of_speaking_is_refused(client, db, lambeth):
    sign_in(client, admin(lambeth).email, PASSWORD)
    response = submit(client, URL, {"languages": "fr en", "name_en": "Lambeth Council"})
    assert response.status_code == 200
    assert error_messages(soup(response))["languages"]
    db.session.expire_all()
    assert db.session.get(Council, lambeth.council.id).languages == "en"


def test_texts_move_between_columns_without_loss(db, lambeth):
    council = lambeth.council
    languages.set_texts(
        council, {"name": {"cy": "Cyngor", "en": "Council"}, "description": {"en": "Only English"}}
    )
    assert council.language == "cy" and council.name == "Cyngor" and council.description == ""
    assert languages.texts(council, "description") == {"en": "Only English"}
    shown = languages.shown(council, "description", "cy", ("cy", "en"))
    assert shown.text == "Only English" and shown.language == "en" and shown.elsewhere
    languages.set_texts(council, {"name": {"en": "Council", "cy": ""}})
    assert council.language == "en" and council.name == "Council"
    assert council.description == "Only English" and council.translations == {}
