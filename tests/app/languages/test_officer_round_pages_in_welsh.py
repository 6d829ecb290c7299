"""The officers' pages for setting up and running a round, in Welsh: the dashboard, opening a
round (with its field errors), the round's overview in each phase, its details, budget and pots,
merging pots, the schedule (and, once voting opens, extending it), the voting configuration,
opening voting and checking the results. Every page answers in Welsh, and no English sentence
of these pages' catalogue entries is left on it."""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

import pytest
from bs4 import BeautifulSoup

from app.workflow import rounds
from app.workflow.models import Phase, ProposalStatus, Role
from tests.app.closed_round import closed_round
from tests.app.languages.catalogues import ROOT, read
from tests.app.pages import check_page, error_messages, sign_in, soup, submit, summary_errors
from tests.factories import PASSWORD, create_proposal, create_round, create_user

# The files whose texts these pages show: their catalogue entries must all be in Welsh here.
AREA = {
    "app/web/forms/fields.py",
    "app/web/forms/rounds.py",
    "app/web/officers/__init__.py",
    "app/web/officers/rounds.py",
    "app/workflow/rounds/phases.py",
    *(
        f"templates/officers/{name}.html"
        for name in (
            "_macros",
            "check_results",
            "dashboard",
            "edit_details",
            "edit_pots",
            "edit_schedule",
            "edit_voting",
            "extend_voting",
            "merge_pots",
            "new_round",
            "open_voting",
            "round",
        )
    ),
}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")
OFFICER = "officer@lambeth.example"
MANAGE = "/officers/lambeth"


def _words(text: str) -> int:
    return len(re.findall(r"[^\W\d_]+(?:['’][^\W\d_]+)?", PLACEHOLDER.sub(" ", text)))


def _pattern(msgid: str) -> re.Pattern:
    """The English text as a page shows it: its markup gone, any value in place of each
    placeholder."""
    text = " ".join(re.sub(r"<[^>]+>", "", msgid).split())
    pieces = [re.escape(p) for p in PLACEHOLDER.split(text)]
    return re.compile(r".+?".join(pieces), re.S)


@lru_cache(maxsize=1)
def english_sentences() -> tuple[tuple[str, re.Pattern], ...]:
    """Every English text of 3 or more words in these pages' files that Welsh says otherwise."""
    catalogue = read(ROOT / "app/web/translations/cy/LC_MESSAGES/messages.po")
    found = []
    for message in catalogue:
        if not message.id or not any(loc in AREA for loc, _ in message.locations):
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for msgid in ids:
            if _words(msgid) >= 3 and msgid not in strings:
                found.append((msgid, _pattern(msgid)))
    return tuple(found)


def page_text(page: BeautifulSoup) -> list[str]:
    """What a person reads or hears on the page: its text (with and without a space between
    elements) and the attributes read out."""
    for hidden in page.select("script, style"):
        hidden.decompose()
    attributes = [
        value
        for el in page.find_all(True)
        for key in ("aria-label", "title", "alt", "placeholder", "data-label")
        if (value := el.get(key))
    ]
    attributes += [el.get("value", "") for el in page.select("input[type=submit], button")]
    return [
        " ".join(page.get_text(" ").split()),
        " ".join(page.get_text().split()),
        " ".join(attributes),
    ]


def assert_welsh(response, *welsh: str, status: int = 200) -> BeautifulSoup:
    """The page answered with ``status``, in Welsh, with each of ``welsh`` on it and none of
    these pages' English sentences."""
    html = response.get_data(as_text=True)
    assert response.status_code == status, html[:500]
    assert '<html lang="cy"' in html
    page = soup(response)
    texts = page_text(page)
    if status == 200:
        # As every page must be (the English "Error: " before a form's title is Welsh here).
        title = page.title.string.replace("Gwall: ", "Error: ", 1)
        page.title.string.replace_with(title)
        check_page(page)
    for words in welsh:
        assert any(words in t for t in texts), f"{words!r} is not on the page"
    left = [
        msgid for msgid, pattern in english_sentences() if any(pattern.search(t) for t in texts)
    ]
    assert not left, f"English left on {response.request.path}: {left}"
    return page


def cy(url: str) -> str:
    return url + ("&" if "?" in url else "?") + "lang=cy"


@pytest.fixture
def officer(client, lambeth):
    sign_in(client, OFFICER, PASSWORD)
    return client


def test_the_catalogue_has_english_sentences_of_these_pages():
    # The check below is only as good as what it compares with.
    sentences = {msgid for msgid, _ in english_sentences()}
    assert "Open a funding round" in sentences
    assert "Check the results before publishing" in sentences
    assert "%(name)s must include a day" in sentences
    assert len(sentences) > 150


def test_the_check_finds_english(db, lambeth, officer):
    create_round(lambeth.council, slug="r", phase=Phase.DRAFT)
    db.session.commit()
    texts = page_text(soup(officer.get(MANAGE + "/rounds/r?lang=en")))
    left = {
        msgid for msgid, pattern in english_sentences() if any(pattern.search(t) for t in texts)
    }
    assert {
        "Move to %(phase)s now",
        "Officers are preparing the round. Residents cannot see it yet.",
        "Proposals and records",
    } <= left


def test_the_dashboard_in_welsh(db, lambeth, officer):
    create_round(lambeth.council, slug="r", phase=Phase.DRAFT)
    db.session.commit()
    assert_welsh(officer.get(cy(MANAGE)), "Rheoli Lambeth Council", "Cylchoedd cyllido", "Cynigion")


def test_opening_a_round_in_welsh_with_field_errors(db, lambeth, officer):
    url = cy(MANAGE + "/rounds/new")
    assert_welsh(
        officer.get(url),
        "Agor cylch cyllido",
        "Cyfanswm y gyllideb",
        "Sut mae’r gyllideb yn cael ei rhannu’n gronfeydd?",
        "Wedi'i rannu yn ôl poblogaeth",
        "Symiau ar gyfer pob cymdogaeth",
        "Rhagweld y rhaniad",
        "Creu cylch",
    )
    response = submit(officer, url, {"title": "", "description": "", "total_budget": "twelve"})
    page = assert_welsh(response, "Mae problem wedi codi", "Gwall:")
    errors = error_messages(page)
    assert errors["title"] == "Rhowch deitl"
    assert errors["description"] == "Rhowch ddisgrifiad"
    assert errors["total_budget"] == (
        "Rhowch gyfanswm y gyllideb mewn punnoedd, fel 1500 neu 1500.50"
    )
    assert errors["method"] == "Dewiswch sut mae’r gyllideb yn cael ei rhannu’n gronfeydd"
    assert "Rhowch deitl" in summary_errors(page)

    response = submit(
        officer, url, {"title": "T", "description": "D", "total_budget": "-5", "method": "equal"}
    )
    errors = error_messages(assert_welsh(response))
    assert errors["total_budget"] == "Ni all ‘Cyfanswm y gyllideb’ fod yn swm negatif"
    response = submit(
        officer,
        url,
        {"title": "T", "description": "D", "total_budget": "1000", "method": "equal",
         "council_wide": "10.555"},
    )  # fmt: skip
    errors = error_messages(assert_welsh(response))
    assert errors["council_wide"] == (
        "Rhowch y gronfa i’r cyngor cyfan mewn punnoedd, fel 1500 neu 1500.50: "
        "dim mwy na 2 le degol"
    )


def test_previewing_and_creating_a_round_in_welsh(db, lambeth, officer):
    url = cy(MANAGE + "/rounds/new")
    data = {"title": "Ieuenctid", "description": "Ar gyfer pobl ifanc.", "total_budget": "900"}
    data["method"] = "equal"
    response = submit(officer, url, {**data, "preview": "y"})
    assert_welsh(response, "Rhagolwg o’r cronfeydd", "Cyfanswm", "Cronfa", "Cyllideb")
    response = submit(officer, url, data, follow=True)
    assert_welsh(response, "Mae “Ieuenctid” ar agor fel drafft", "Llwyddiant", "Drafft")


@pytest.mark.parametrize(
    "phase, welsh",
    [
        (Phase.DRAFT, ["Mae swyddogion yn paratoi’r cylch.", "Nesaf: cynigion ar agor.",
                       "Symud i’r cam ‘cynigion ar agor’ nawr", "Newid yr amserlen"]),
        (Phase.PROPOSALS, ["Gall preswylwyr gynnig prosiectau ar gyfer cronfa.",
                           "Mynd yn ôl i’r cam ‘drafft’", "Caiff ei osod pan fydd"]),
        (Phase.REVIEW, ["Gwirio’r papur pleidleisio ac agor y pleidleisio",
                        "Adolygu cynigion"]),
        (Phase.VOTING, ["Mae preswylwyr yn pleidleisio.", "Ymestyn y pleidleisio",
                        "ni all y cylch fynd yn ôl i gam cynharach"]),
    ],
)  # fmt: skip
def test_the_round_page_in_welsh_in_each_phase(db, lambeth, officer, phase, welsh):
    create_round(lambeth.council, slug="r", phase=phase)
    db.session.commit()
    assert_welsh(
        officer.get(cy(MANAGE + "/rounds/r")),
        "Rheoli Lambeth Council",
        "Gosodiadau",
        "Cyfanswm y gyllideb",
        "Pwy all bleidleisio",
        "Amserlen",
        "Diwrnod cyntaf",
        "Cofnod archwilio",
        "Tudalen gyhoeddus y cylch",
        *welsh,
    )


def test_the_round_page_with_a_schedule_and_supports_in_welsh(db, lambeth, officer):
    r = create_round(lambeth.council, slug="r", phase=Phase.PROPOSALS)
    r.supports_enabled = True
    r.support_threshold = 3
    rounds.set_schedule(
        db.session,
        r,
        actor=lambeth.officer,
        days={Phase.PROPOSALS: (date(2026, 1, 1), date(2026, 1, 31))},
    )
    db.session.commit()
    assert_welsh(
        officer.get(cy(MANAGE + "/rounds/r")),
        "Mae disgwyl i’r cam ‘Cynigion ar agor’ ddod i ben ar 31 Ionawr 2026.",
        "Yn cael ei chasglu; mae angen 3 o gefnogwyr ar gynnig i gyrraedd y papur pleidleisio",
        "1 Ionawr 2026",
        "Heb ei amserlennu",
    )


def test_moving_a_round_on_says_so_in_welsh(db, lambeth, officer):
    create_round(lambeth.council, slug="r", phase=Phase.DRAFT)
    db.session.commit()
    url = cy(MANAGE + "/rounds/r")
    response = submit(
        officer,
        url,
        {"target": "proposals", "expected": "draft"},
        post_to=cy(MANAGE + "/rounds/r/phase"),
        form_selector="form[action$='/phase']",
        follow=True,
    )
    assert_welsh(response, "Mae’r cylch bellach yn y cam ‘cynigion ar agor’")


def test_the_round_settings_pages_in_welsh(db, lambeth, officer):
    brixton, clapham, norwood = lambeth.hoods
    create_round(
        lambeth.council,
        slug="r",
        phase=Phase.PROPOSALS,
        total_budget_pence=30_000_00,
        pots=[(brixton, 20_000_00), (clapham, 10_000_00)],
    )
    db.session.commit()
    r = MANAGE + "/rounds/r"
    assert_welsh(officer.get(cy(r + "/details")), "Manylion y cylch", "Teitl", "Cadw’r manylion")
    assert_welsh(
        officer.get(cy(r + "/pots")),
        "Cyllideb a chronfeydd",
        "Cyfuno cronfa ag un arall",
        "Cadw’r gyllideb a’r cronfeydd",
    )
    assert_welsh(
        officer.get(cy(r + "/pots/merge")),
        "Cyfuno cronfeydd",
        "Y cronfeydd nawr",
        "Y gronfa i’w chyfuno",
        "Dewiswch gronfa",
    )
    response = submit(officer, cy(r + "/pots/merge"), {"source": "", "into": ""})
    errors = error_messages(assert_welsh(response))
    assert errors["source"] == "Dewiswch y gronfa i’w chyfuno"
    assert_welsh(
        officer.get(cy(r + "/voting")),
        "Gosodiadau pleidleisio",
        "Papur pleidleisio a’r cyfrif",
        "Sut mae papurau pleidleisio yn nhrefn blaenoriaeth yn cael eu cyfrif",
        "Isafswm oed (dewisol)",
        "Casglu cefnogaeth cyn y bleidlais",
        "Cadw’r gosodiadau pleidleisio",
    )
    response = submit(officer, cy(r + "/voting"), {"ballot_kind": "approval", "min_age": "x"})
    errors = error_messages(assert_welsh(response))
    assert errors["min_age"] == "Rhowch yr isafswm oed fel rhif cyfan, fel 11"


def test_the_schedule_in_welsh_with_date_errors(db, lambeth, officer):
    create_round(lambeth.council, slug="r", phase=Phase.PROPOSALS)
    db.session.commit()
    url = cy(MANAGE + "/rounds/r/schedule")
    page = assert_welsh(
        officer.get(url),
        "Mae pob cam yn rhedeg o ddechrau ei ddiwrnod cyntaf",
        "Pleidleisio: diwrnod cyntaf",
        "Cefnogi (dim ond os cesglir cefnogaeth)",
        "Er enghraifft, 1 4 2026",
        "Cadw’r amserlen",
    )
    labels = {label.get_text(strip=True) for label in page.select(".govuk-date-input label")}
    assert labels == {"Diwrnod", "Mis", "Blwyddyn"}
    response = submit(
        officer,
        url,
        {"voting_start": ["31", "2", "2026"], "voting_end": ["", "3", "2026"]},
    )
    errors = error_messages(assert_welsh(response))
    assert errors["voting_start"] == (
        "Rhaid i’r dyddiad ‘Pleidleisio: diwrnod cyntaf’ fod yn ddyddiad go iawn"
    )
    assert errors["voting_end"] == "Rhaid i’r dyddiad ‘Pleidleisio: diwrnod olaf’ gynnwys diwrnod"


@pytest.fixture
def reviewed(db, lambeth):
    """A round in review with one feasible proposal, one not reviewed and one not feasible,
    and a voting week."""
    r = create_round(lambeth.council, slug="r", phase=Phase.REVIEW)
    create_proposal(
        r.pots[0], title="Youth club", cost_pence=10_000_00, status=ProposalStatus.FEASIBLE
    )
    create_proposal(r.pots[0], title="Skate park", status=ProposalStatus.SUBMITTED)
    create_proposal(r.pots[0], title="Moon base", status=ProposalStatus.NOT_FEASIBLE)
    rounds.set_schedule(
        db.session,
        r,
        actor=lambeth.officer,
        days={Phase.VOTING: (date(2030, 1, 1), date(2030, 1, 14))},
    )
    db.session.commit()
    return r


def test_opening_voting_in_welsh(db, lambeth, officer, reviewed):
    url = cy(MANAGE + "/rounds/r/open-voting")
    page = assert_welsh(
        officer.get(url),
        "Agor y pleidleisio",
        "Pan fydd y pleidleisio’n agor, mae’r papur pleidleisio’n sefydlog",
        "Heb eu hadolygu eto",
        "Nid yw 1 cynnig wedi’i adolygu, felly ni fydd ar y papur pleidleisio.",
        "Ar y papur pleidleisio",
        "Wedi’u hadolygu, ond nid ar y papur pleidleisio",
        "Rwy’n deall na fydd y cynigion",
        "Yn ôl i’r cylch",
    )
    form = page.select_one("main form[method=post]")
    data = {i["name"]: i.get("value", "") for i in form.select("input[type=hidden]")}
    response = officer.post(url, data=data)
    assert_welsh(response)
    response = officer.post(url, data={**data, "confirm": "y"}, follow_redirects=True)
    assert_welsh(response, "Mae’r pleidleisio ar agor. Mae’r papur pleidleisio’n sefydlog.")


def test_extending_voting_in_welsh(db, lambeth, officer, reviewed):
    url = cy(MANAGE + "/rounds/r/open-voting")
    page = soup(officer.get(url))
    form = page.select_one("main form[method=post]")
    data = {i["name"]: i.get("value", "") for i in form.select("input[type=hidden]")}
    assert officer.post(url, data={**data, "confirm": "y"}).status_code == 302
    url = cy(MANAGE + "/rounds/r/schedule")
    assert_welsh(
        officer.get(url),
        "Mae’r pleidleisio wedi agor, felly mae’r amserlen yn sefydlog",
        "Diwrnod olaf newydd y pleidleisio",
        "14 Ionawr 2030",
        "Diwrnod",
    )
    response = submit(officer, url, {"voting_end": ["20", "", ""]})
    errors = error_messages(assert_welsh(response))
    assert errors["voting_end"] == (
        "Rhaid i’r dyddiad ‘Diwrnod olaf newydd y pleidleisio’ gynnwys mis a blwyddyn"
    )
    response = submit(officer, url, {"voting_end": ["20", "1", "2030"]}, follow=True)
    assert_welsh(response, "Mae’r pleidleisio wedi’i ymestyn.")
    assert_welsh(
        officer.get(cy(MANAGE + "/rounds/r/voting")),
        "Mae’r pleidleisio wedi agor: mae’r rheolau pleidleisio yn sefydlog.",
    )
    assert_welsh(
        officer.get(cy(MANAGE + "/rounds/r/pots")),
        "Mae’r pleidleisio wedi agor: mae’r gyllideb a’r cronfeydd yn sefydlog.",
    )


def test_voting_cannot_open_from_a_draft_says_so_in_welsh(db, lambeth, officer):
    create_round(lambeth.council, slug="r", phase=Phase.DRAFT)
    db.session.commit()
    assert_welsh(
        officer.get(cy(MANAGE + "/rounds/r/open-voting")),
        "Ni ellir agor y pleidleisio nawr",
        "Mae’r cylch hwn yn y cam ‘drafft’: mae’r pleidleisio’n agor ar ôl y cam adolygu.",
        status=409,
    )


def test_checking_and_publishing_results_in_welsh(db, lambeth, officer):
    r = closed_round(lambeth.council)
    create_user(email="second@lambeth.example", roles={lambeth.council: Role.OFFICER})
    db.session.commit()
    base = f"{MANAGE}/rounds/{r.slug}"
    assert_welsh(
        officer.get(cy(base)),
        "Mae’r pleidleisio wedi cau ac mae’r pleidleisiau’n cael eu cyfrif.",
        "Gwirio’r canlyniadau cyn eu cyhoeddi",
    )
    assert_welsh(
        officer.get(cy(base + "/results/check")),
        "Gwirio’r canlyniadau cyn eu cyhoeddi",
        "Ni all neb y tu allan i swyddogion y cyngor weld y canlyniadau hyn",
        "Rhybuddion",
        "Beth fydd yn cael ei gyhoeddi",
        "Rhagweld y dudalen ganlyniadau ar gyfer",
        "Rwyf wedi darllen y rhybuddion",
        "Cyhoeddi’r canlyniadau",
    )
    response = submit(
        officer,
        cy(base + "/results/check"),
        {"confirm": "y"},
        post_to=cy(base + "/results/publish"),
        follow=True,
    )
    assert_welsh(response, "Mae’r canlyniadau wedi’u cyhoeddi", "Canlyniadau wedi'u cyhoeddi")
    assert_welsh(
        officer.get(cy(base + "/results/check")),
        "Mae’r canlyniadau eisoes wedi’u cyhoeddi",
        status=409,
    )
