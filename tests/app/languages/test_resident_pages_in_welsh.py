"""The public, sign-in and resident pages in Welsh.

Each page asked for with ``?lang=cy`` (and every page after it: the choice is remembered) is
in Welsh: ``<html lang="cy">``, its own Welsh words, and not one English sentence of these
pages' catalogue entries left on it. The English sentences are read from the Welsh catalogue
itself: every text of these pages of three words or more whose Welsh differs from it (the
parts of it between placeholders and markup).
"""

from __future__ import annotations

import json
import re
from functools import lru_cache

import pytest
from bs4 import BeautifulSoup
from flask import current_app
from werkzeug.datastructures import MultiDict

from app.workflow.models import Role
from ballots import box
from tests.app import pages
from tests.app.languages.catalogues import ROOT, read
from tests.ballots.helpers import enrol, place, voting_round
from tests.factories import PASSWORD, create_council, create_proposal, create_user

CATALOGUE = ROOT / "app/web/translations/cy/LC_MESSAGES/messages.po"
# The pages' own texts: their templates and the Python that writes their words.
OURS = (
    "templates/public/",
    "templates/auth/",
    "templates/residents/",
    "templates/components/",
    "app/web/forms/auth.py",
    "app/web/forms/proposals.py",
    "app/web/forms/ballots.py",
    "app/web/forms/fields.py",
    "app/web/forms/__init__.py",
    "app/web/auth.py",
    "app/web/two_factor.py",
    "app/web/public.py",
    "app/web/residents/",
)
PLACEHOLDER_OR_MARKUP = re.compile(r"%\(\w+\)s|%%|<[^>]+>")
WORD = re.compile(r"[^\W\d_]+")
SHOWN_ATTRIBUTES = ("aria-label", "title", "alt", "placeholder")


def _tidy(text: str) -> str:
    return " ".join(text.split())


@lru_cache(maxsize=1)
def english_sentences() -> tuple[str, ...]:
    """The English of every text of these pages, three words or more, that Welsh says
    differently: each run of it between placeholders and markup, of three words or more."""
    found = set()
    for message in read(CATALOGUE):
        if not message.id or not any(f.startswith(OURS) for f, _ in message.locations):
            continue
        ids = message.id if isinstance(message.id, tuple | list) else (message.id,)
        strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
        if set(ids) == set(strings):
            continue
        for msgid in ids:
            if len(WORD.findall(PLACEHOLDER_OR_MARKUP.sub(" ", msgid))) < 3:
                continue
            for part in PLACEHOLDER_OR_MARKUP.split(msgid):
                part = _tidy(part).strip(" ,;:.()")
                if len(WORD.findall(part)) >= 3:
                    found.add(part)
    return tuple(sorted(found))


def test_the_english_of_these_pages_is_known():
    sentences = english_sentences()
    assert len(sentences) > 200
    assert "Participatory budgeting in your council" in sentences
    assert "Choose the projects you want funded" in sentences


def shown_text(page: BeautifulSoup) -> str:
    """What a person reads or hears on the page: its text and its labelling attributes."""
    parts = [page.get_text(" ")]
    for attribute in SHOWN_ATTRIBUTES:
        parts += [el[attribute] for el in page.select(f"[{attribute}]")]
    # Text split at markup ("<strong>£50 left</strong>.") reads as one sentence.
    return re.sub(r" ([.,;:)])", r"\1", _tidy(" ".join(parts)))


def in_welsh(response, *words: str, status: int = 200, others=()) -> BeautifulSoup:
    """The response is a Welsh page with ``words`` on it and none of these pages' English
    (but in the elements ``others`` selects, whose words come from elsewhere)."""
    html = response.get_data(as_text=True)
    assert response.status_code == status, (response.status_code, html[:300])
    assert '<html lang="cy"' in html
    page = BeautifulSoup(html, "html.parser")
    text = shown_text(page)
    missing = [w for w in words if w not in text]
    assert not missing, f"not on the page: {missing}\n{text[:3000]}"
    ours = BeautifulSoup(html, "html.parser")
    for selector in others:
        for el in ours.select(selector):
            el.decompose()
    text = shown_text(ours)
    english = [s for s in english_sentences() if s in text]
    assert not english, f"English left on the Welsh page: {english}"
    return page


def cy(url: str) -> str:
    return url + ("&" if "?" in url else "?") + "lang=cy"


def get(client, url: str, *words: str, status: int = 200, others=()) -> BeautifulSoup:
    """GET ``url`` in Welsh (in an app context of its own: nothing of one request's ``g``
    reaches the next) and check it."""
    with current_app.app_context():
        response = client.get(cy(url))
        page = in_welsh(response, *words, status=status, others=others)
        if status == 200:
            pages.check_page(page)
        return page


def post(client, url: str, data: dict, *words: str, status: int = 200, post_to=None):
    """Send the form on ``url`` (asked for in Welsh) and check the Welsh page it answers
    with; a redirect is followed."""
    with current_app.app_context():
        response = pages.submit(client, cy(url), data, post_to=post_to)
    if response.status_code in (302, 303):
        with current_app.app_context():
            response = client.get(response.headers["Location"])
    with current_app.app_context():
        return in_welsh(response, *words, status=status)


def sign_in(client, email: str):
    with current_app.app_context():
        client.get("/?lang=cy")  # the choice, remembered for the sign-in pages
        return pages.sign_in(client, email, PASSWORD)


def errors(page: BeautifulSoup) -> dict[str, str]:
    return {
        key: " ".join(el.get_text().split())
        for key, el in (
            (msg.get("id", "").removesuffix("-error"), msg)
            for msg in page.select(".govuk-error-message")
        )
    }


# --- Anyone's pages ----------------------------------------------------------------------------


def test_home_council_round_and_proposal_pages_are_in_welsh(client, db, lambeth, supporting):
    get(client, "/", "Cyllidebu cyfranogol yn eich cyngor", "Cynghorau", "1 cylch")
    council = get(
        client, "/councils/lambeth", "Cylchoedd cyllido", "Cymdogaethau", "Poblogaeth", "Cefnogi"
    )
    assert council.select_one("nav.govuk-breadcrumbs")["aria-label"] == "Briwsion bara"
    get(
        client,
        "/councils/lambeth/rounds/r",
        "Pob cyngor",
        "Nawr: Cefnogi",
        "Cyfanswm y gyllideb",
        "Cam presennol",
        "Amserlen",
        "Cefnogi (nawr)",
        "Sut mae'r pleidleisio'n gweithio",
        "Pwy all bleidleisio",
        "Cronfeydd a chynigion",
        "Cost: £5,000",
        "0 cefnogwr",
    )
    get(
        client,
        f"/councils/lambeth/rounds/r/proposals/{supporting.id}",
        "Cost amcangyfrifedig",
        "Cost derfynol",
        "Arian a addawyd gan bartneriaid",
        "Cost i'r gronfa",
        "Cymorth mewn nwyddau neu wasanaethau",
        "Heb ei roi",
        "Adolygiad",
        "Cefnogwyr",
        "Ymarferol",
    )


def test_a_long_round_pages_its_proposals_in_welsh(client, db, lambeth, open_round):
    for i in range(51):
        create_proposal(open_round.pots[0], title=f"Idea {i:02d}")
    db.session.commit()
    page = get(
        client,
        "/councils/lambeth/rounds/r",
        "Yn dangos cynigion 1 i 50 o 51, yn ôl cronfa ac yna yn ôl teitl.",
        "Nesaf",
        "Cynigion ar agor",
        "Wedi'i gyflwyno",
    )
    nav = page.select_one("nav.govuk-pagination")
    assert nav["aria-label"] == "Llywio rhwng tudalennau"
    assert [a["aria-label"] for a in nav.select(".govuk-pagination__item a")] == [
        "Tudalen 1",
        "Tudalen 2",
    ]
    get(client, "/councils/lambeth/rounds/r?page=2", "Blaenorol", "Yn dangos cynigion 51 i 51")


# --- Signing in --------------------------------------------------------------------------------


def test_sign_in_register_and_password_reset_pages_are_in_welsh(client, db, lambeth):
    page = get(client, "/auth/sign-in", "Mewngofnodi", "Cyfeiriad e-bost", "Cyfrinair")
    toggle = page.select_one(".govuk-password-input__toggle")
    assert toggle.get_text(strip=True) == "Dangos" and toggle["aria-label"] == "Dangos y cyfrinair"
    assert page.select_one("[data-module=govuk-password-input]")["data-i18n.hide-password"] == (
        "Cuddio"
    )
    page = post(client, "/auth/sign-in", {}, "Mae problem wedi codi", "Gwall:")
    assert errors(page)["email"] == "Gwall: Rhowch eich cyfeiriad e-bost"
    assert page.title.get_text().startswith("Gwall: Mewngofnodi")
    page = post(
        client, "/auth/sign-in", {"email": "nobody@example.org", "password": "wrong password"}
    )
    assert errors(page)["email"] == "Gwall: Rhowch gyfeiriad e-bost a chyfrinair cywir"

    get(
        client,
        "/auth/register",
        "Creu cyfrif",
        "Eich enw",
        "Eich cymdogaeth",
        "Dewiswch eich cymdogaeth",
        "Dyddiad geni (dewisol)",
        "Diwrnod",
        "Mis",
        "Blwyddyn",
        "O leiaf 10 nod",
        "Cadarnhau'r cyfrinair",
    )
    page = post(
        client,
        "/auth/register",
        {"email": "not an address", "date_of_birth": ["", "3", "2007"], "password": "short"},
    )
    assert errors(page) == {
        "email": "Gwall: Rhowch gyfeiriad e-bost yn y fformat cywir, fel enw@example.com",
        "display_name": "Gwall: Rhowch eich enw",
        "home_neighbourhood": "Gwall: Dewiswch eich cymdogaeth",
        "date_of_birth": "Gwall: Rhaid i’r dyddiad ‘Dyddiad geni’ gynnwys diwrnod",
        "password": "Gwall: Rhaid i'r cyfrinair fod rhwng 10 a 256 nod",
        "confirm_password": "Gwall: Rhowch eich cyfrinair eto",
    }

    get(
        client,
        "/auth/reset-password",
        "Ailosod eich cyfrinair",
        "Mae'r ddolen yn gweithio am 1 awr, a dim ond unwaith.",
        "Wedi cofio?",
    )
    post(
        client,
        "/auth/reset-password",
        {"email": "resident@lambeth.example"},
        "Os oes cyfrif gan resident@lambeth.example, rydym wedi anfon dolen ato",
        "Llwyddiant",
    )
    # Why the link cannot be used is the account rules' sentence, not these pages'.
    get(
        client,
        "/auth/reset-password/not-a-token",
        "Nid oes modd defnyddio'r ddolen hon",
        "Gofyn am ddolen newydd",
        status=400,
        others=["#link-problem"],
    )


def test_the_two_factor_pages_are_in_welsh(client, db, lambeth):
    from tests.app.web.test_two_factor import unused_code

    with current_app.app_context():
        client.get("/?lang=cy")
        response = pages.submit(
            client, "/auth/sign-in", {"email": "officer@lambeth.example", "password": PASSWORD}
        )
    assert response.headers["Location"].endswith("/auth/two-factor/set-up")
    page = get(
        client,
        "/auth/two-factor/set-up",
        "Sefydlu mewngofnodi dau gam",
        "Mae swyddogion, gweinyddwyr ac archwilwyr yn mewngofnodi",
        "1. Ychwanegu Devolve at eich ap dilysu",
        "Cod diogelwch",
        "Troi mewngofnodi dau gam ymlaen",
        "Cod QR ar gyfer eich ap dilysu",
        "Mae angen i chi sefydlu mewngofnodi dau gam cyn parhau",
    )
    secret = "".join(page.select_one("#totp-secret").get_text().split())
    page = post(client, "/auth/two-factor/set-up", {"code": "12ab56"})
    assert errors(page)["code"] == "Gwall: Mae'r cod yn 6 digid, fel 123456"
    post(
        client,
        "/auth/two-factor/set-up",
        {"code": unused_code(secret, None)},
        "Eich codau adfer",
        "Rhybudd",
        "Dim ond unwaith y caiff y codau hyn eu dangos.",
        "Rwyf wedi cadw fy nghodau adfer",
        "Mae mewngofnodi dau gam ymlaen",
    )
    get(
        client,
        "/auth/two-factor/recovery-codes",
        "Mae gennych 10 cod adfer heb eu defnyddio.",
        "Creu codau adfer newydd",
    )
    get(client, "/account/", "Mewngofnodi dau gam", "Ymlaen:", "Swyddog: Lambeth Council")
    with current_app.app_context():
        pages.submit(client, "/account/", {}, post_to="/auth/sign-out")
        client.get("/?lang=cy")
        response = pages.submit(
            client, "/auth/sign-in", {"email": "officer@lambeth.example", "password": PASSWORD}
        )
    assert response.headers["Location"].endswith("/auth/two-factor")
    get(
        client,
        "/auth/two-factor",
        "Rhowch eich cod diogelwch",
        "Mae eich cyfrif yn defnyddio mewngofnodi dau gam.",
        "Wedi colli eich ap dilysu?",
    )
    page = post(client, "/auth/two-factor", {})
    assert errors(page)["code"] == "Gwall: Rhowch y cod o'ch ap dilysu"


# --- A resident's account and proposals --------------------------------------------------------


def test_the_account_pages_are_in_welsh(client, db, lambeth):
    sign_in(client, "resident@lambeth.example")
    get(
        client,
        "/account/",
        "Eich cyfrif",
        "Enw",
        "Brixton, Lambeth Council",
        "Heb ei roi",
        "Eich rolau",
        "Preswylydd: Lambeth Council",
        "Newid eich cyfrinair",
        "I ffwrdd: mae eich cyfrinair ar ei ben ei hun yn eich mewngofnodi.",
        "Sefydlu mewngofnodi dau gam",
        "Ble rydych wedi mewngofnodi",
        "Mae sesiynau'n dod i ben ar ôl 14 diwrnod heb weithgarwch.",
        "Porwr",
        "Y porwr hwn",
        "Allgofnodi ym mhobman",
        "Nid ydych wedi gwneud unrhyw gynigion.",
    )
    get(client, "/account/password", "Newid eich cyfrinair", "Cyfrinair presennol")
    page = post(client, "/account/password", {})
    assert errors(page)["current_password"] == "Gwall: Rhowch eich cyfrinair presennol"
    get(client, "/auth/two-factor/set-up", "Ar ôl eich cyfrinair, bydd Devolve hefyd yn gofyn")
    post(
        client,
        "/account/",
        {},
        "Rydych wedi allgofnodi ym mhobman: daeth 1 sesiwn i ben",
        post_to="/account/sign-out-everywhere",
    )


def test_the_propose_form_and_its_errors_are_in_welsh(client, db, lambeth, open_round):
    sign_in(client, "resident@lambeth.example")
    url = "/councils/lambeth/rounds/r/propose"
    get(
        client,
        url,
        "Cynnig prosiect",
        "Bydd swyddogion yn gwirio bod eich cynnig yn ymarferol",
        "Teitl",
        "Un neu ddwy frawddeg",
        "Ar gyfer pa gronfa mae'r cynnig?",
        "Brixton (cyllideb £20,000)",
        "Categori (dewisol)",
        "Cost amcangyfrifedig",
        "Anfon y cynnig",
    )
    page = post(client, url, {}, "Mae problem wedi codi")
    assert page.title.get_text().startswith("Gwall: Cynnig prosiect")
    assert errors(page) == {
        "title": "Gwall: Rhowch deitl",
        "summary": "Gwall: Rhowch grynodeb",
        "description": "Gwall: Rhowch ddisgrifiad",
        "pot": "Gwall: Dewiswch gronfa",
        "estimated_cost": "Gwall: Rhowch y gost amcangyfrifedig",
    }
    page = post(client, url, {"title": "x" * 121, "estimated_cost": "-5"})
    assert errors(page)["title"] == "Gwall: Rhaid i'r teitl fod yn 120 nod neu lai"
    assert errors(page)["estimated_cost"] == (
        "Gwall: Ni all ‘Cost amcangyfrifedig’ fod yn swm negatif"
    )
    page = post(client, url, {"estimated_cost": "12.345"})
    assert errors(page)["estimated_cost"] == (
        "Gwall: Rhowch y gost amcangyfrifedig mewn punnoedd, fel 1500 neu 1500.50: "
        "dim mwy na 2 le degol"
    )
    brixton = open_round.pots[0]
    page = post(
        client,
        url,
        {
            "title": "Skate park",
            "summary": "A place to skate.",
            "description": "Ramps and rails.",
            "pot": str(brixton.id),
            "estimated_cost": "1500",
        },
        "Mae eich cynnig wedi'i anfon.",
        "Cynigiwyd gan Jordan",
        "Newid eich cynnig",
        "Tynnu eich cynnig yn ôl",
    )
    proposal = page.select_one("a[href$='/edit']")["href"].removesuffix("/edit")
    get(client, proposal + "/edit", "Newid eich cynnig", "Cadw'r newidiadau")
    get(client, proposal + "/withdraw", "Tynnu “Skate park” yn ôl", "Cadw eich cynnig")
    get(client, proposal + "/report", "Eich cynnig chi yw hwn, felly ni allwch roi gwybod amdano.")


def test_supporting_and_reporting_a_proposal_are_in_welsh(client, db, lambeth, supporting):
    sign_in(client, "neighbour@lambeth.example")
    url = f"/councils/lambeth/rounds/r/proposals/{supporting.id}"
    get(client, url, "Cefnogi'r cynnig hwn", "Rhoi gwybod i gymedrolwr am y cynnig hwn")
    post(
        client,
        url,
        {"action": "support"},
        "Rydych yn cefnogi'r cynnig hwn",
        "Rhoi'r gorau i gefnogi",
        "Cefnogwyr 1",
        post_to=url + "/support",
    )
    get(client, url + "/report", "Rhoi gwybod am “Skate park”", "Bydd cymedrolwr yn darllen")
    page = post(client, url + "/report", {})
    assert errors(page)["reason"] == (
        "Gwall: Rhowch y rheswm pam mae angen i gymedrolwr weld y cynnig hwn"
    )
    post(client, url + "/report", {"reason": "Rude."}, "Diolch. Bydd cymedrolwr yn edrych")


# --- Voting ------------------------------------------------------------------------------------

BASE = "/councils/home/rounds/vote"
# The round page's account of who votes, how and how the votes are counted: the voting
# methods' own sentences, not these pages'.
METHODS = ["#eligibility", "#ballot-method", "#ranked-scoring", "#counting-method", "#tie-break"]
KINDS = {
    "approval": ({}, lambda a, b, c: {"choices": [a, b]}),
    "single-choice": ({}, lambda a, b, c: {"choices": a}),
    "knapsack": ({}, lambda a, b, c: {"choices": [a, b]}),
    "cumulative": ({"points": 10}, lambda a, b, c: {f"points_{a}": "4", f"points_{b}": "6"}),
    "ranked": ({"max_choices": 3}, lambda a, b, c: {"rank_1": c, "rank_2": a}),
}
# What each kind's ballot says, in Welsh.
BALLOT_WORDS = {
    "approval": [
        "Prosiectau yn Council-wide",
        "Dewiswch y prosiectau rydych am iddynt gael eu hariannu.",
        "Rydych wedi dewis 0 prosiect.",
    ],
    "single-choice": ["Prosiectau yn Council-wide", "Dewiswch un prosiect."],
    "knapsack": [
        "Dewiswch brosiectau nad ydynt, gyda'i gilydd, yn costio mwy na £50,000.",
        "Rydych wedi dewis prosiectau sy'n costio £0 o £50,000: £50,000 ar ôl.",
    ],
    "cumulative": [
        "Rhannwch eich 10 pwynt rhwng y prosiectau yn Council-wide",
        "Defnyddiwch bob un o'ch 10 pwynt. Gadewch flwch yn wag i roi dim pwyntiau.",
        "Pwyntiau ar gyfer",
        "Yn costio £10,000",
        "Rydych wedi defnyddio 0 o 10 pwynt: 10 ar ôl.",
    ],
    "ranked": [
        "Rhowch y prosiectau yn Council-wide yn nhrefn blaenoriaeth",
        "Gallwch roi hyd at 3 yn nhrefn blaenoriaeth",
        "Dewis 1",
        "Dewis 3",
        "Dim prosiect",
    ],
}
# What the page says once the choices above are made and the totals updated.
TOTALS = {
    "approval": "Rydych wedi dewis 2 brosiect.",
    "single-choice": "Rydych wedi dewis 1 prosiect.",
    "knapsack": "Rydych wedi dewis prosiectau sy'n costio £30,000 o £50,000: £20,000 ar ôl.",
    "cumulative": "Rydych wedi defnyddio 10 o 10 pwynt: 0 ar ôl.",
    "ranked": "Rydych wedi dewis 2 brosiect.",
}


def voting(db, kind: str, **config):
    council = create_council(slug="home", name="Home Council")
    hood = place(council)
    user = create_user(email="voter@example.org", roles={council: Role.RESIDENT}, home=hood)
    funding_round, paper = voting_round(council, kind=kind, **config)
    funding_round.slug = "vote"
    db.session.commit()
    enrol(council, hood, user=user, reference="R1")
    return funding_round, paper


@pytest.mark.parametrize("kind", list(KINDS))
def test_voting_is_in_welsh_for_every_kind_of_ballot(client, db, kind):
    config, choose = KINDS[kind]
    _, paper = voting(db, kind, **config)
    pot = paper.pots[0]
    a, b, c = [p.id for p in pot.projects]
    sign_in(client, "voter@example.org")
    get(
        client,
        BASE,
        "Pleidleisio",
        "SHA-256 y maniffest",
        "Ôl bys popeth y mae'r papur pleidleisio yn dibynnu arno",
        "Pleidleisio (nawr)",
        "Dyddiadau i'w cyhoeddi",
        others=METHODS,
    )
    get(
        client,
        f"{BASE}/vote",
        "Pleidleisio yn Youth services",
        "Gallwch bleidleisio unwaith ym mhob cronfa isod.",
        "Pleidleisio yn Council-wide",
        "3 phrosiect",
        "Gwirio derbynneb",
    )
    url = f"{BASE}/vote/{pot.id}"
    page = get(
        client,
        url,
        "Eich papur pleidleisio: Council-wide",
        "Darllen rhagor am y prosiect hwn",
        "Parhau",
        "Diweddaru'r cyfansymiau",
        *BALLOT_WORDS[kind],
    )
    # The running total's sentences for the script, in Welsh: one for each plural category.
    texts = json.loads(page.select_one("#running-total")["data-texts"])
    if kind == "knapsack":
        assert set(texts) == {"within", "over"}
        assert texts["over"].endswith("<strong>{left} ar ôl</strong> (dros y gyllideb).")
    else:
        assert set(texts) == {"zero", "one", "two", "few", "many", "other"}
        noun = "pwynt" if kind == "cumulative" else "prosiect"
        assert noun in texts["one"] and "{num}" in texts["other"]
        assert texts["two"].count("{num}") == 1 and (
            "bwynt" in texts["two"] or "brosiect" in texts["two"]
        )
        assert "ph" in texts["few"] and "ph" in texts["many"]

    post(client, url, {"action": "update", **choose(a, b, c)}, TOTALS[kind])
    if kind == "cumulative":
        page = post(client, url, {"action": "continue", f"points_{a}": "four"})
        assert errors(page)[f"points_{a}"].startswith("Gwall: Rhowch y pwyntiau ar gyfer ")
        assert errors(page)[f"points_{a}"].endswith(" fel rhif cyfan, fel 2")

    check = post(
        client,
        url,
        {"action": "continue", **choose(a, b, c)},
        "Gwirio eich pleidlais: Council-wide",
        "Ar ôl i chi fwrw eich pleidlais, nid oes modd ei newid.",
        "Bwrw fy mhleidlais",
        "Newid fy newisiadau",
        *(["Dewis 1", "Dewis 2"] if kind == "ranked" else []),
        *(
            ["4 pwynt", "6 phwynt", "10 o 10 pwynt wedi'u defnyddio."]
            if kind == "cumulative"
            else []
        ),
        *(["Cyfanswm y gost £30,000 o £50,000; £20,000 ar ôl."] if kind == "knapsack" else []),
    )
    form = check.select_one("main form[method=post]")
    fields = [(i["name"], i.get("value", "")) for i in form.select("input[type=hidden]")]
    with current_app.app_context():
        response = client.post(form["action"], data=MultiDict(fields))
        assert response.status_code == 302
        cast = in_welsh(
            client.get(response.headers["Location"]),
            "Mae eich pleidlais wedi'i bwrw",
            "Cod eich derbynneb",
            "Ysgrifennwch neu cadwch god eich derbynneb nawr",
            "Eich pleidlais yw eitem 1 yng nghofnod pleidleisiau'r cylch",
            "Yn ôl i'r cronfeydd y gallwch bleidleisio ynddynt",
        )
    code = cast.select_one("#receipt-code").get_text(strip=True)
    assert len(box.normalise_receipt(code)) == 26
    get(client, f"{BASE}/vote", "Wedi pleidleisio")
    get(
        client,
        BASE,
        "Cofnod y pleidleisiau",
        "Ôl bys diweddaraf cofnod y pleidleisiau",
        "Gwirio eich derbynneb",
        others=METHODS,
    )
    get(
        client,
        f"{BASE}/receipt",
        "Gwirio bod eich pleidlais yn y cyfrif",
        "Cod eich derbynneb",
        "Gwirio fy nerbynneb",
        "Ôl bys diweddaraf y cofnod yw",
    )
    post(
        client,
        f"{BASE}/receipt",
        {"receipt": code},
        "Mae eich pleidlais yn y cyfrif.",
        "Eitem 1 yn y cofnod; ôl bys y bleidlais",
        "Nid yw'r dudalen hon byth yn dangos beth sydd ar bleidlais.",
    )
    page = post(client, f"{BASE}/receipt", {})
    assert errors(page)["receipt"] == "Gwall: Rhowch god eich derbynneb"


def test_changing_a_vote_and_reading_a_project_are_in_welsh(client, db):
    funding_round, paper = voting(db, "approval", allow_vote_change=True)
    pot = paper.pots[0]
    a = pot.projects[0].id
    sign_in(client, "voter@example.org")
    url = f"{BASE}/vote/{pot.id}"
    with current_app.app_context():
        response = pages.submit(client, cy(url), {"read": a, "choices": [a]})
        assert response.status_code == 303
        page = in_welsh(
            client.get(response.headers["Location"]),
            "Yn ôl i'ch papur pleidleisio",
        )
    assert page.select_one("#back-to-ballot").get_text(strip=True) == "Yn ôl i'ch papur pleidleisio"
    check = post(
        client,
        url,
        {"action": "continue", "choices": [a]},
        "Ar ôl i chi fwrw eich pleidlais, dim ond gyda'r cod derbynneb a ddangosir i chi",
    )
    form = check.select_one("main form[method=post]")
    fields = [(i["name"], i.get("value", "")) for i in form.select("input[type=hidden]")]
    with current_app.app_context():
        response = client.post(form["action"], data=MultiDict(fields))
        client.get(response.headers["Location"])
    get(client, f"{BASE}/vote", "Wedi pleidleisio", "Newid eich pleidlais")
    get(
        client,
        url,
        "Newid eich pleidlais: Council-wide",
        "Rydych eisoes wedi pleidleisio yn y gronfa hon.",
        "Cod derbynneb y bleidlais rydych yn ei disodli",
    )
    del funding_round


def test_verifying_to_vote_is_in_welsh(client, db):
    council = create_council(slug="home", name="Home Council")
    hood = place(council)
    create_user(email="voter@example.org", roles={council: Role.RESIDENT}, home=hood)
    db.session.commit()
    sign_in(client, "voter@example.org")
    url = "/councils/home/verify"
    get(
        client,
        url,
        "Dilysu eich cyfrif i bleidleisio",
        "Mae Home Council yn anfon llythyr drwy'r post",
        "Eich cyfeirnod",
        "Mae ar y llythyr, uwchben y cod",
        "10 llythyren a rhif, fel ABCDE-23456",
        "Dilysu",
    )
    page = post(client, url, {})
    assert errors(page) == {
        "reference": "Gwall: Rhowch y cyfeirnod o'ch llythyr",
        "code": "Gwall: Rhowch y cod o'ch llythyr",
    }


def test_the_pages_stay_english_without_a_choice(client, db, lambeth, supporting):
    """No ``?lang=``, no cookie, a browser that asks for nothing: English, as before."""
    response = client.get("/councils/lambeth/rounds/r")
    html = response.get_data(as_text=True)
    assert '<html lang="en"' in html
    assert "Pots and proposals" in html and "Cronfeydd a chynigion" not in html
    assert supporting.title in html
    # And the check the Welsh pages pass finds these pages' English where it is.
    text = shown_text(BeautifulSoup(html, "html.parser"))
    found = [s for s in english_sentences() if s in text]
    assert "Each pot's budget and proposals" in found and len(found) > 5
