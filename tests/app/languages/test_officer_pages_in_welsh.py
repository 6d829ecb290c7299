"""The officers' voters, paper ballot, review, delivery, contributions, staff and trustees pages,
and a trustee's own page, in Welsh: each answers in Welsh (``<html lang="cy">``), its forms'
errors are Welsh, and no English sentence of these pages' catalogue entries is left on them.

"English sentence" is read from the Welsh catalogue: every text marked in these pages' templates
and code whose Welsh differs from it, cut at its placeholders and markup into runs of words; a
run of three words or more must not be on the page (unless the Welsh keeps it, like a command).
"""

from __future__ import annotations

import io
import json
import re
from functools import lru_cache

import pytest
from bs4 import BeautifulSoup
from flask import g
from sqlalchemy import select

from app.web.extensions import db as _db
from app.workflow import secrecy
from app.workflow.models import Phase, PotResult, ProposalReport, ProposalStatus, Role
from tests.app import secret_round as sr
from tests.app.closed_round import closed_round
from tests.app.languages.catalogues import ROOT, read
from tests.app.pages import csrf_token, error_messages, sign_in, submit
from tests.ballots.helpers import place, voting_round
from tests.factories import PASSWORD, create_council, create_proposal, create_round, create_user
from votes.model import Ballot
from votes.secrecy import keys

# The templates and code whose texts these pages show.
AREA = {
    "templates/officers/voters.html",
    "templates/officers/paper_ballot.html",
    "templates/officers/paper_pots.html",
    "templates/officers/review_queue.html",
    "templates/officers/review_proposal.html",
    "templates/officers/moderate_proposal.html",
    "templates/officers/merge_proposal.html",
    "templates/officers/_proposal_facts.html",
    "templates/officers/contributions.html",
    "templates/officers/delivery.html",
    "templates/officers/staff.html",
    "templates/officers/trustees.html",
    "templates/trustees/page.html",
    "app/web/forms/delivery.py",
    "app/web/forms/secrecy.py",
    "app/web/forms/ballots.py",
    "app/web/forms/rounds.py",
    "app/web/officers/voters.py",
    "app/web/officers/review.py",
    "app/web/officers/delivery.py",
    "app/web/officers/staff.py",
    "app/web/officers/secrecy.py",
    "app/web/trustees.py",
    "app/web/presenters/secrecy.py",
}
WELSH = ROOT / "app/web/translations/cy/LC_MESSAGES/messages.po"
PIECES = re.compile(r"%\(\w+\)s|<[^>]+>")
WORD = re.compile(r"[^\W\d_]+")


@lru_cache(maxsize=1)
def english_runs() -> tuple[str, ...]:
    """Each run of three or more English words of the area's texts that Welsh changes."""
    runs = set()
    for message in read(WELSH):
        if not message.id or not {path for path, _ in message.locations} & AREA:
            continue
        ids = message.id if isinstance(message.id, tuple | list) else (message.id,)
        strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
        welsh = " ".join(" ".join(s.split()) for s in strings)
        for msgid in ids:
            if msgid in strings:
                continue
            for piece in PIECES.split(msgid):
                run = " ".join(piece.split()).strip(" .,:;()“”'")
                if len(WORD.findall(run)) >= 3 and run not in welsh:
                    runs.add(run)
    return tuple(sorted(runs))


def test_the_area_has_english_to_look_for():
    runs = english_runs()
    assert len(runs) > 200
    assert "Upload a roll" in runs and "Ballot encryption and trustees" in runs


def page_text(response) -> str:
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    return " ".join(page.get_text(" ").split())


def in_welsh(response, status: int = 200, *welsh: str) -> BeautifulSoup:
    """The response is a Welsh page with ``welsh`` on it and no English of the area."""
    html = response.get_data(as_text=True)
    assert response.status_code == status, page_text(response)[:500]
    assert '<html lang="cy"' in html
    text = page_text(response)
    for words in welsh:
        assert words in text, (words, text[:2000])
    english = [run for run in english_runs() if run in text]
    assert not english, english
    return BeautifulSoup(html, "html.parser")


def errors_beside(page: BeautifulSoup) -> dict[str, str]:
    """{field id: message} beside the fields, without the hidden "Error:" before each."""
    return {k: v.removeprefix("Gwall: ") for k, v in error_messages(page).items()}


def cy(url: str) -> str:
    return url + ("&" if "?" in url else "?") + "lang=cy"


@pytest.fixture(autouse=True)
def each_client_as_itself(app):
    """Each request is read afresh, as a server reads it: the tests' app context outlives each
    request, and Flask-Login, Flask-WTF and Flask-Babel keep the user, the token and the page's
    language in ``g``."""

    @app.before_request
    def forget_the_last_request():
        g.pop("_login_user", None)
        g.pop("csrf_token", None)
        g.pop("_flask_babel", None)


def post_file(client, url: str, form_selector: str, fields: dict, name: str, content, to=None):
    """POST ``content`` as the file ``name`` with ``fields``, with the CSRF token of the form
    on ``url`` (to ``to``, or ``url``)."""
    data = {"csrf_token": csrf_token(client, url, form_selector), **fields}
    if content is not None:
        data[name] = (io.BytesIO(content.encode()), "file.csv")
    return client.post(to or url, data=data, content_type="multipart/form-data", buffered=True)


# --- Voters and paper ballots ------------------------------------------------------------------


def test_the_voters_and_paper_ballot_pages_in_welsh(app, client, db):
    council = create_council(slug="home")
    place(council, "Centre")
    create_user(email="officer@example.org", roles={council: Role.OFFICER})
    funding_round, paper = voting_round(council)
    funding_round.slug = "vote"
    db.session.commit()
    sign_in(client, "officer@example.org", PASSWORD)
    voters = cy("/officers/home/rounds/vote/voters")

    in_welsh(
        client.get(voters),
        200,
        "Pleidleiswyr: Youth services",
        "Mae'r cylch hwn yn defnyddio rhestr pleidleiswyr y cyngor.",
        "Pobl ar y rhestr pleidleiswyr",
        "Uwchlwytho rhestr pleidleiswyr",
        "Ffeil y rhestr pleidleiswyr (CSV)",
        "Ar gyfer pwy mae'r rhestr pleidleiswyr hon?",
        "Postio codau dilysu",
        "Cofnodi papurau pleidleisio o ddigwyddiad pleidleisio",
    )
    # No file, then a file with two bad rows: the reasons beside the field are Welsh.
    response = post_file(client, voters, "form[enctype]", {"scope": "round"}, "roll", None)
    page = in_welsh(response, 200)
    assert errors_beside(page)["roll"] == "Dewiswch ffeil CSV o'r rhestr pleidleiswyr"
    response = post_file(client, voters, "form[enctype]", {}, "roll", "reference\nA1\n")
    page = in_welsh(response, 200)
    assert errors_beside(page)["scope"] == "Dewiswch ar gyfer pwy mae'r rhestr pleidleiswyr"
    bad = "reference,neighbourhood\nA1,Centre\nA2,Now%here\n,Centre\n"
    response = post_file(client, voters, "form[enctype]", {"scope": "round"}, "roll", bad)
    page = in_welsh(response, 200, "Problemau yn y ffeil", "Rhes 3:", "Rhes 4:")
    assert errors_beside(page)["roll"].startswith("Mae gan y rhestr pleidleiswyr 2 problem")
    response = post_file(
        client,
        voters,
        "form[enctype]",
        {"scope": "round"},
        "roll",
        "reference,neighbourhood\nA1,Centre\n",
    )
    assert response.status_code == 302
    in_welsh(client.get(voters), 200, "Ychwanegwyd 1 person at y rhestr pleidleiswyr")
    # Codes for no roll: refused with a Welsh message.
    response = submit(
        client,
        voters,
        {},
        post_to="/officers/home/rounds/vote/voters/codes",
        form_selector="form[action$='/voters/codes']",
        follow=True,
    )
    in_welsh(response, 200, "Dewiswch ar gyfer pa restr i gyhoeddi codau")

    in_welsh(
        client.get(cy("/officers/home/rounds/vote/paper")),
        200,
        "Cofnodi papurau pleidleisio",
        "Cofnodwch bob papur pleidleisio yn erbyn cyfeirnod y pleidleisiwr",
    )
    pot = paper.pots[0]
    ballot = cy(f"/officers/home/rounds/vote/paper/{pot.id}")
    in_welsh(
        client.get(ballot),
        200,
        f"Papur pleidleisio: {pot.name}",
        "Cyfeirnod ar y rhestr pleidleiswyr",
        "Cofnodi papur pleidleisio",
    )
    page = in_welsh(submit(client, ballot, {"reference": "", "action": "enter"}), 200)
    assert errors_beside(page)["reference"] == (
        "Rhowch gyfeirnod y pleidleisiwr ar y rhestr pleidleiswyr"
    )
    a = pot.projects[0].id
    # A1 is on the round's own roll, uploaded above.
    response = submit(client, ballot, {"reference": "A1", "choices": [a]}, follow=True)
    in_welsh(response, 200, f"Papur pleidleisio wedi'i gofnodi yn {pot.name} ar gyfer A1")


# --- Review, moderation, merging and contributions ---------------------------------------------


def test_the_review_pages_in_welsh(app, client, db, lambeth):
    funding_round = create_round(
        lambeth.council, slug="r", phase=Phase.REVIEW, pots=[(None, 30_000_00)]
    )
    park = create_proposal(funding_round.pots[0], title="Skate park")
    create_proposal(funding_round.pots[0], title="Skate ramp", status=ProposalStatus.FEASIBLE)
    db.session.add(ProposalReport(proposal_id=park.id, user_id=lambeth.resident.id, reason="Rude"))
    db.session.commit()
    sign_in(client, "officer@lambeth.example", PASSWORD)
    base = f"/officers/lambeth/rounds/r/proposals/{park.id}"

    in_welsh(
        client.get(cy("/officers/lambeth/rounds/r/proposals")),
        200,
        "Adolygu cynigion",
        "Daw'r cynigion yr adroddwyd amdanynt yn gyntaf",
        "Wedi'i gyflwyno · wedi'i adrodd unwaith",
        "Na: mae wedi'i gyflwyno",
        "Ar y papur pleidleisio",
    )
    review = cy(base)
    in_welsh(
        client.get(review),
        200,
        "Adolygu “Skate park”",
        "Adroddiadau gan breswylwyr",
        "Cost amcangyfrifedig",
        "Heb ei gosod eto",
        "Cefnogwyr: 0",
        "Eich penderfyniad",
        "Ydy’r cynnig hwn yn ymarferol?",
        "Cyfuno â chynnig arall",
    )
    page = in_welsh(submit(client, review, {}), 200)
    errors = errors_beside(page)
    assert errors["decision"] == "Dewiswch a yw’r cynnig yn ymarferol"
    assert errors["reason"] == "Rhowch y rheswm dros eich penderfyniad"
    page = in_welsh(submit(client, review, {"decision": "feasible", "final_cost": "lots"}), 200)
    assert errors_beside(page)["final_cost"] == (
        "Rhowch y gost derfynol mewn punnoedd, fel 1500 neu 1500.50"
    )

    merge = cy(base + "/merge")
    in_welsh(client.get(merge), 200, "Cyfuno “Skate park”", "Cyfuno â", "Dewiswch gynnig")
    page = in_welsh(submit(client, merge, {"into": ""}), 200)
    assert errors_beside(page)["into"] == "Dewiswch gynnig i’w gyfuno ag ef"
    assert errors_beside(page)["reason"] == "Rhowch y rheswm dros gyfuno"

    moderate = cy(base + "/moderation")
    in_welsh(client.get(moderate), 200, "Cuddio “Skate park”", "Cuddiwch gynnwys sarhaus")
    page = in_welsh(submit(client, moderate, {"reason": ""}), 200)
    assert errors_beside(page)["reason"] == "Rhowch y rheswm"
    response = submit(client, moderate, {"reason": "Abusive"}, follow=True)
    in_welsh(response, 200, "Mae “Skate park” wedi'i guddio", "Wedi'i guddio gan gymedrolwyr")
    in_welsh(client.get(moderate), 200, "Dangos “Skate park” eto", "Dangos y cynnig eto")

    contributions = cy(base + "/contributions")
    in_welsh(
        client.get(contributions),
        200,
        "Cyfraniadau partneriaid at “Skate park”",
        "Cost derfynol: heb ei gosod eto.",
        "Cofnodi cyfraniad",
        "Math o gyfraniad",
        "Yn ôl i adolygiad y cynnig",
    )
    page = in_welsh(submit(client, contributions, {}, form_selector="#contribution-form"), 200)
    errors = errors_beside(page)
    assert errors["partner_name"] == "Rhowch enw’r partner"
    assert errors["kind"] == "Dewiswch arian neu mewn nwyddau neu wasanaethau"
    response = submit(
        client,
        contributions,
        {"partner_name": "Rotary", "kind": "money", "amount": "100"},
        form_selector="#contribution-form",
        follow=True,
    )
    in_welsh(response, 200, "Mae cyfraniad Rotary wedi'i gofnodi", "Cyfraniadau wedi'u cofnodi")


# --- Delivery, and a closed round's voters page -------------------------------------------------


def test_the_delivery_page_and_a_closed_rounds_turnout_in_welsh(app, client, db):
    funding_round = closed_round(phase=Phase.PUBLISHED)
    create_user(email="officer@example.org", roles={funding_round.council: Role.OFFICER})
    db.session.commit()
    funded = int(json.loads(db.session.scalar(select(PotResult)).outcome_json)["selected"][0])
    council, slug = funding_round.council.slug, funding_round.slug
    sign_in(client, "officer@example.org", PASSWORD)
    url = cy(f"/officers/{council}/rounds/{slug}/delivery/{funded}")
    in_welsh(
        client.get(url),
        200,
        "Cofnodi diweddariad",
        "Canran wedi'i chwblhau",
        "Arian a wariwyd hyd yma",
        "Dyddiad y diweddariad",
        "Diwrnod Mis Blwyddyn",
        "Ar y gweill",
    )
    page = in_welsh(submit(client, url, {}, form_selector="#delivery-form"), 200)
    errors = errors_beside(page)
    assert errors["status"] == "Dewiswch statws y prosiect"
    assert errors["percent_complete"] == "Rhowch y ganran sydd wedi'i chwblhau"
    assert errors["spent"] == "Rhowch yr arian a wariwyd hyd yma"
    assert errors["note"] == "Rhowch beth sydd wedi digwydd"
    good = {
        "status": "in_progress",
        "percent_complete": "40",
        "spent": "1250.50",
        "happened_on": ["3", "2", "2026"],
        "note": "Work started.",
    }
    response = submit(client, url, good, form_selector="#delivery-form", follow=True)
    in_welsh(response, 200, "Mae'r diweddariad cyflawni wedi'i gofnodi")
    in_welsh(
        client.get(cy(f"/officers/{council}/rounds/{slug}/voters")),
        200,
        "Nifer a bleidleisiodd",
    )


# --- Staff --------------------------------------------------------------------------------------


def test_the_staff_page_in_welsh(app, client, db, lambeth):
    create_user(email="admin@lambeth.example", roles={lambeth.council: Role.ADMIN})
    db.session.commit()
    sign_in(client, "admin@lambeth.example", PASSWORD)
    url = cy("/officers/lambeth/staff")
    page = in_welsh(
        client.get(url),
        200,
        "Staff Lambeth Council",
        "Mewngofnodi dau gam",
        "Gweinyddwr",
        "Chi (gall gweinyddwr arall ailosod eich un chi)",
    )
    assert "Ailosod yr ail ffactor" in page.select_one("#staff button").get_text()
    response = submit(
        client,
        url,
        {},
        post_to=f"/officers/lambeth/staff/{lambeth.officer.id}/reset-two-factor",
        form_selector="#staff form",
        follow=True,
    )
    in_welsh(response, 200, "Mae ail ffactor Priya wedi'i ailosod")


# --- Trustees -----------------------------------------------------------------------------------


def test_the_trustees_pages_in_welsh_while_the_key_is_made(app, client, db, lambeth):
    funding_round = create_round(
        lambeth.council, slug="secret", phase=Phase.SUPPORTS, pots=[(None, 50_000_00)]
    )
    funding_round.ballot_kind, funding_round.rule = "approval", "greedy"
    funding_round.supports_enabled = True
    for cost in (10_000_00, 20_000_00):
        create_proposal(funding_round.pots[0], cost_pence=cost, status=ProposalStatus.FEASIBLE)
    db.session.commit()
    sign_in(client, "officer@lambeth.example", PASSWORD)
    url = "/officers/lambeth/rounds/secret/trustees"
    in_welsh(
        client.get(cy(url)),
        200,
        "Amgryptio pleidleisiau ac ymddiriedolwyr",
        "Pan fydd pleidleisiau cylch wedi'u hamgryptio",
        "Ydy pleidleisiau'r cylch hwn wedi'u hamgryptio?",
        "Cadw'r gosodiadau amgryptio",
    )
    page = in_welsh(submit(client, cy(url), {}, post_to=url + "/settings?lang=cy"), 422)
    assert errors_beside(page)["encrypted"] == "Dewiswch a yw'r pleidleisiau wedi'u hamgryptio"
    settings = {"encrypted": "yes", "threshold": "2", "trustee_mixes": "1"}
    response = submit(client, cy(url), settings, post_to=url + "/settings", follow=True)
    in_welsh(response, 200, "Mae'r gosodiadau amgryptio wedi'u cadw", "Dim ymddiriedolwyr eto.")
    page = in_welsh(submit(client, cy(url), {"name": ""}, post_to=url + "/add"), 422)
    assert errors_beside(page)["name"] == "Rhowch enw'r ymddiriedolwr"
    links = []
    for name in sr.NAMES:
        page = in_welsh(
            submit(client, cy(url), {"name": name}, post_to=url + "/add"),
            200,
            f"Dolen y dudalen ar gyfer {name}",
            "Dim ond unwaith y caiff ei dangos",
        )
        links.append("/trustee/" + page.select_one("#trustee-link").get_text().split("/")[-1])
    in_welsh(
        client.get(cy(url)),
        200,
        "Ymddiriedolwr 1: Returning officer",
        "Heb gofrestru",
        "Gyda 3 ymddiriedolwr",
        "Nid yw'r allwedd wedi'i gwneud eto.",
    )

    trustee = app.test_client()
    in_welsh(
        trustee.get(cy(links[0])),
        200,
        "Ymddiriedolwr 1: Returning officer",
        "Chi yw ymddiriedolwr 1",
        "Cofrestru",
        "Eich cofrestriad (registration.json)",
        "Uwchlwytho",
    )
    response = post_file(
        trustee, links[0], "form[enctype]", {}, "file", None, links[0] + "/register"
    )
    page = in_welsh(response, 422)
    assert errors_beside(page)["file"] == "Dewiswch y ffeil i'w huwchlwytho"
    state = keys.new_trustee(sr.NAMES[0])
    registration = {
        "format": "devolve-trustee-registration/v1",
        "name": sr.NAMES[0],
        "transport_key": keys.transport_key(state),
    }
    response = post_file(
        trustee,
        links[0],
        "form[enctype]",
        {},
        "file",
        json.dumps(registration),
        links[0] + "/register",
    )
    assert response.status_code == 302, page_text(response)
    in_welsh(
        trustee.get(links[0], follow_redirects=True),
        200,
        "Mae eich cofrestriad i mewn.",
        "Yn aros am y swyddog",
        "Rydych wedi cofrestru.",
    )
    in_welsh(client.get(cy(url)), 200, "Wedi cofrestru", "Heb gofrestru")
    # The round's overview words the encryption's state in Welsh too.
    overview = BeautifulSoup(
        client.get(cy("/officers/lambeth/rounds/secret")).get_data(as_text=True), "html.parser"
    )
    assert " ".join(overview.select_one("#encryption-status").get_text().split()) == (
        "Mae'r pleidleisiau wedi'u hamgryptio; 3 ymddiriedolwr wedi'u hychwanegu, 2 eto i "
        "gofrestru. Nid yw'r allwedd wedi'i gwneud eto."
    )


def test_the_trustees_pages_in_welsh_at_the_count(app, db):
    made = sr.make_key(create_council(slug="count"))
    sr.open_voting(made)
    ids = [p.id for p in made.paper.pots[0].projects]
    sr.cast_all(made, [Ballot(tuple(ids[: 1 + i % 3])) for i in range(4)])
    sr.close(made)
    pot = made.paper.pots[0]
    officer = app.test_client()
    sign_in(officer, made.officer.email, PASSWORD)
    url = cy(f"/officers/count/rounds/{made.funding_round.slug}/trustees")
    in_welsh(
        officer.get(url),
        200,
        "Y cyfrif",
        "Cymysgiadau",
        "1 o 2: gan y gweinydd",
        "Yn aros i ymddiriedolwr gymysgu'r pleidleisiau (cymysgiad 2 o 2).",
    )
    mixer = app.test_client()
    in_welsh(
        mixer.get(cy(f"/trustee/{made.links[1]}")),
        200,
        "Mae'r pleidleisio wedi cau",
        "Cymysgwch bleidleisiau'r gronfa hon",
        f"Lawrlwytho'r dasg gymysgu (mix-task-{pot.id}.json)",
        f"Eich cymysgiad (mix-{pot.id}.json)",
        f"python -m votes trustee mix mix-task-{pot.id}.json --out mix-{pot.id}.json",
    )
    secrecy.upload_mix(
        _db.session, made.trustees[1], pot.id, json.dumps(made.trustee_mix(2, pot.id))
    )
    _db.session.commit()
    decrypter = app.test_client()
    in_welsh(
        decrypter.get(cy(f"/trustee/{made.links[0]}")),
        200,
        "Dadgryptiwch eich cyfran chi",
        "0 o'r 2 sydd eu hangen",
        f"Eich dadgryptiad (decryption-{pot.id}.json)",
    )
    in_welsh(
        officer.get(url),
        200,
        "ymddiriedolwr 2 (Independent auditor)",
        "Yn aros am 2 dadgryptiad arall gan ymddiriedolwyr.",
    )
