"""What the rules say, in the reader's language: a refusal on a Welsh page is in Welsh (beside
its field, as its own page, as a flash), so are an error page, the API's details, the codes
letter file's headings, and each email, which is in its recipient's language whatever the
page it was asked for on."""

import csv
import io

import pytest
from sqlalchemy import select

from app.web.extensions import mail
from app.web.presenters.formatting import long_date
from app.workflow.clock import in_london
from app.workflow.models import Phase, Role, User
from ballots.models import VerificationCode
from tests.app.pages import error_messages, get_page, sign_in, soup, submit
from tests.ballots.helpers import enrol, place, voting_round
from tests.ballots.test_officer_pages import upload
from tests.ballots.test_pages import vote_through_pages
from tests.factories import PASSWORD, create_council, create_neighbourhood, create_user

ROUND = "/councils/lambeth/rounds/r"


def idea(pot, **overrides):
    return {
        "title": "Late-night youth club",
        "summary": "Open until 10pm.",
        "description": "Fridays and Saturdays.",
        "pot": str(pot.id),
        "category": "Youth",
        "estimated_cost": "18,000",
        "location": "Brixton",
        **overrides,
    }


def in_welsh(client, url: str):
    """Choose Welsh with the switch (the cookie, and the account of whoever is signed in)."""
    response = client.get(url + ("&" if "?" in url else "?") + "lang=cy")
    assert response.status_code in (200, 302)
    return response


def banner_text(page) -> str:
    return " ".join(page.select_one(".govuk-notification-banner").get_text().split())


# --- Refusals beside a field, on their own page, as a flash -----------------------------------


def test_a_wrong_phase_refusal_beside_its_field_is_in_welsh(client, db, lambeth, open_round):
    sign_in(client, "resident@lambeth.example", PASSWORD)
    in_welsh(client, f"{ROUND}/propose")
    page = client.get(f"{ROUND}/propose")
    open_round.phase = Phase.REVIEW
    db.session.commit()
    token = soup(page).select_one("main form input[name=csrf_token]")["value"]
    response = client.post(
        f"{ROUND}/propose", data={"csrf_token": token, **idea(open_round.pots[0])}
    )
    message = error_messages(soup(response))["title"]
    assert message == (
        "Dim ond tra bo'r cynigion ar agor y gallwch gynnig prosiectau; mae'r cylch hwn yn y "
        "cam ‘adolygu’"
    )
    assert "only while proposals are open" not in response.get_data(as_text=True)


def test_a_workflow_field_error_names_the_money_in_the_pages_language(
    client, db, lambeth, open_round
):
    sign_in(client, "resident@lambeth.example", PASSWORD)
    pot = open_round.pots[1]  # Clapham, £10,000
    too_dear = idea(pot, estimated_cost="10,000.01")
    english = submit(client, f"{ROUND}/propose", too_dear)
    assert error_messages(soup(english))["estimated_cost"] == (
        f"The cost must not be more than the {pot.name} pot's budget of £10,000"
    )
    in_welsh(client, f"{ROUND}/propose")
    welsh = submit(client, f"{ROUND}/propose", too_dear)
    assert error_messages(soup(welsh))["estimated_cost"] == (
        f"Rhaid i'r gost beidio â bod yn fwy na chyllideb cronfa {pot.name}, sef £10,000"
    )


def test_reporting_a_proposal_twice_is_refused_beside_the_field_in_welsh(
    client, db, lambeth, open_round
):
    from tests.factories import create_proposal

    theirs = create_proposal(open_round.pots[0], author=lambeth.resident)
    db.session.commit()
    sign_in(client, "neighbour@lambeth.example", PASSWORD)
    url = f"{ROUND}/proposals/{theirs.id}/report"
    assert submit(client, url, {"reason": "Spam"}).status_code == 302
    in_welsh(client, url)
    again = submit(client, url, {"reason": "Spam"})
    assert error_messages(soup(again))["reason"] == (
        "Rydych chi eisoes wedi rhoi gwybod am y cynnig hwn"
    )


def voting_setup(db):
    council = create_council(slug="home", name="Home Council")
    hood = place(council)
    voter = create_user(email="voter@example.org", roles={council: Role.RESIDENT}, home=hood)
    funding_round, paper = voting_round(council)
    funding_round.slug = "vote"
    db.session.commit()
    enrol(council, hood, user=voter, reference="R1")
    return council, funding_round, paper


def test_already_voted_is_said_in_welsh_with_the_pots_name(app, client, db):
    _, _, paper = voting_setup(db)
    pot = paper.pots[0]
    sign_in(client, "voter@example.org", PASSWORD)
    in_welsh(client, "/councils/home/rounds/vote/vote")
    a = pot.projects[0].id
    assert vote_through_pages(client, paper, {"choices": [a]}).status_code == 302
    # Back to the ballot: refused, and sent to the list of pots with the reason.
    again = client.get(f"/councils/home/rounds/vote/vote/{pot.id}")
    assert again.status_code == 302
    page = get_page(client, again.headers["Location"])
    assert (
        f"Rydych chi eisoes wedi pleidleisio yn {pot.name}. Eich papur pleidleisio cyntaf sy'n "
        "cyfrif."
    ) in banner_text(page)


def test_a_refusal_page_is_in_welsh_with_its_status(app, client, db):
    council, _, _ = voting_setup(db)
    elsewhere = create_council(slug="away", name="Away Council")
    create_user(
        email="stranger@example.org",
        roles={elsewhere: Role.RESIDENT},
        home=create_neighbourhood(elsewhere, name="Far"),
    )
    db.session.commit()
    sign_in(client, "stranger@example.org", PASSWORD)
    english = client.get("/councils/home/rounds/vote/vote")
    welsh = client.get("/councils/home/rounds/vote/vote?lang=cy")
    assert english.status_code == welsh.status_code == 403
    assert soup(english).h1.get_text(strip=True) == "You cannot vote in this round"
    page = soup(welsh)
    assert page.html["lang"] == "cy"
    assert page.h1.get_text(strip=True) == "Ni allwch bleidleisio yn y cylch hwn"
    assert f"Dim ond preswylwyr {council.name} sy'n gallu pleidleisio." in page.main.get_text()


def test_the_problems_before_opening_voting_are_listed_in_welsh(client, db, lambeth, open_round):
    sign_in(client, "officer@lambeth.example", PASSWORD)
    open_round.phase = Phase.REVIEW
    db.session.commit()
    page = get_page(client, "/officers/lambeth/rounds/r?lang=cy")
    problems = page.select_one("#phase-problems").get_text(" ", strip=True)
    assert "Ni all unrhyw gynnig gyrraedd y papur pleidleisio" in problems
    assert "No proposal can reach the ballot" not in problems


# --- Error pages and the API --------------------------------------------------------------------


def test_a_404_page_in_welsh(client, db):
    response = client.get("/councils/nowhere?lang=cy")
    assert response.status_code == 404
    page = get_page(client, "/councils/nowhere?lang=cy", status=404)
    assert page.html["lang"] == "cy"
    assert page.h1.get_text(strip=True) == "Heb ddod o hyd i'r dudalen"
    main = page.main.get_text()
    assert "Os gwnaethoch deipio'r cyfeiriad gwe, gwiriwch ei fod yn gywir." in main
    assert "Ewch i'r rhestr o gynghorau" in main
    english = get_page(client, "/councils/nowhere?lang=en", status=404)
    assert english.h1.get_text(strip=True) == "Page not found"


def test_an_api_error_has_a_welsh_detail_and_the_same_status(client, db):
    english = client.get("/api/v1/councils?x=%00")
    by_address = client.get("/api/v1/councils?x=%00&lang=cy")
    client.delete_cookie("devolve_lang")
    by_header = client.get("/api/v1/councils?x=%00", headers={"Accept-Language": "cy"})
    assert english.status_code == by_address.status_code == by_header.status_code == 400
    assert english.get_json()["detail"].startswith("The web address or the form contained")
    for response in (by_address, by_header):
        body = response.get_json()
        assert body["error"] == "bad request"  # the code programs read stays the same
        assert body["detail"] == (
            "Roedd nod rheoli (fel beit NUL) yn y cyfeiriad gwe neu'r ffurflen, ac nid oes dim "
            "yma'n ei dderbyn. Nid oes dim wedi newid."
        )


def test_an_api_refusal_is_answered_in_the_requests_language(app, client, db):
    from app.workflow.errors import WrongPhase
    from ballots.refusals import N_

    def refused():
        raise WrongPhase(N_("The comparison is available once the results are published."))

    app.add_url_rule("/api/v1/refused-for-the-test", "refused_for_the_test", refused)
    english = client.get("/api/v1/refused-for-the-test")
    welsh = client.get("/api/v1/refused-for-the-test", headers={"Accept-Language": "cy"})
    assert english.status_code == welsh.status_code == 409
    assert english.get_json()["detail"] == (
        "The comparison is available once the results are published."
    )
    assert welsh.get_json() == {
        "error": "refused",
        "detail": "Mae'r gymhariaeth ar gael unwaith y bydd y canlyniadau wedi'u cyhoeddi.",
    }


def test_the_apis_phase_label_follows_the_request(client, db, lambeth, open_round):
    english = client.get(f"/api/v1/rounds/{open_round.id}").get_json()
    welsh = client.get(f"/api/v1/rounds/{open_round.id}?lang=cy").get_json()
    assert (english["phase"], english["phase_label"]) == ("proposals", "Proposals open")
    assert (welsh["phase"], welsh["phase_label"]) == ("proposals", "Cynigion ar agor")


# --- Emails, in the recipient's language --------------------------------------------------------


def ask_for_reset(client, url: str = "/auth/reset-password"):
    with mail.record_messages() as outbox:
        response = submit(client, url, {"email": "jo@example.org"}, post_to="/auth/reset-password")
    assert response.status_code == 302
    return outbox


def test_a_welsh_accounts_reset_email_is_welsh_though_asked_for_in_english(client, db):
    jo = create_user(email="jo@example.org", display_name="Jo Bloggs")
    jo.language = "cy"
    db.session.commit()
    [message] = ask_for_reset(client, "/auth/reset-password?lang=en")
    # The page was English...
    page = get_page(client, "/auth/sign-in")
    assert "If jo@example.org has an account" in banner_text(page)
    # ...and the email is in Jo's language.
    assert message.subject == "Dewiswch gyfrinair newydd ar gyfer Devolve"
    assert message.body.startswith("Helo Jo Bloggs,")
    assert "Mae'r ddolen yn gweithio am 1 awr, a hynny unwaith yn unig." in message.body
    assert "The link works" not in message.body


def test_an_email_without_a_chosen_language_is_in_the_pages(client, db):
    create_user(email="jo@example.org", display_name="Jo Bloggs")
    db.session.commit()
    [english] = ask_for_reset(client)
    assert english.subject == "Choose a new password for Devolve"
    assert "The link works for 1 hour, and only once." in english.body
    [welsh] = ask_for_reset(client, "/auth/reset-password?lang=cy")
    assert welsh.subject == "Dewiswch gyfrinair newydd ar gyfer Devolve"
    assert welsh.body.startswith("Helo Jo Bloggs,")


def test_an_english_accounts_email_stays_english_on_a_welsh_page(client, db):
    jo = create_user(email="jo@example.org", display_name="Jo Bloggs")
    jo.language = "en"
    db.session.commit()
    [message] = ask_for_reset(client, "/auth/reset-password?lang=cy")
    assert message.subject == "Choose a new password for Devolve"
    assert message.body.startswith("Hello Jo Bloggs,")


@pytest.fixture
def brixton(db):
    council = create_council(slug="lambeth", name="Lambeth Council")
    hood = create_neighbourhood(council, name="Brixton")
    db.session.commit()
    return hood


def registration(hood, email="jo@example.org"):
    return {
        "email": email,
        "display_name": "Jo Bloggs",
        "home_neighbourhood": str(hood.id),
        "date_of_birth": ["14", "5", "2008"],
        "password": "a long enough password",
        "confirm_password": "a long enough password",
    }


def test_registering_on_a_welsh_page_keeps_welsh_and_writes_in_it(client, db, brixton):
    with mail.record_messages() as outbox:
        response = submit(
            client, "/auth/register?lang=cy", registration(brixton), post_to="/auth/register"
        )
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "jo@example.org"))
    assert user.language == "cy"
    [confirm] = outbox
    assert confirm.subject == "Cadarnhewch eich cyfeiriad e-bost ar gyfer Devolve"
    assert confirm.body.startswith("Helo Jo Bloggs,")


def test_registering_on_an_english_page_keeps_english(client, db, brixton):
    submit(client, "/auth/register?lang=en", registration(brixton), post_to="/auth/register")
    user = db.session.scalar(select(User).where(User.email == "jo@example.org"))
    assert user.language == "en"


def test_the_account_exists_email_is_in_its_owners_language(client, db, brixton):
    owner = create_user(email="jo@example.org", display_name="Original")
    owner.language = "cy"
    db.session.commit()
    with mail.record_messages() as outbox:
        submit(client, "/auth/register?lang=en", registration(brixton), post_to="/auth/register")
    [message] = outbox
    assert message.subject == "Mae gennych gyfrif Devolve yn barod"
    assert message.body.startswith("Helo,")


# --- The codes letter file --------------------------------------------------------------------


def codes_file(client) -> list[list[str]]:
    response = submit(
        client,
        "/officers/home/rounds/vote/voters",
        {"which": "round"},
        post_to="/officers/home/rounds/vote/voters/codes",
        form_selector="form[action$='/voters/codes']",
    )
    assert response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_the_codes_letter_file_has_welsh_headings_on_a_welsh_page(app, client, db):
    council = create_council(slug="home")
    place(council, "Centre")
    create_user(email="officer@example.org", roles={council: Role.OFFICER})
    funding_round, _ = voting_round(council)
    funding_round.slug = "vote"
    db.session.commit()
    sign_in(client, "officer@example.org", PASSWORD)
    assert upload(client, "reference,neighbourhood\nA1,Centre\nB2,Centre\n").status_code == 302
    in_welsh(client, "/officers/home/rounds/vote/voters")
    rows = codes_file(client)
    assert rows[0] == ["cyfeirnod", "cymdogaeth", "cod", "yn dod i ben"]
    assert sorted(r[0] for r in rows[1:]) == ["A1", "B2"]
    # The expiry day is written as a Welsh page writes a date.
    expires = db.session.scalar(select(VerificationCode.expires_at))
    with app.test_request_context("/?lang=cy"):
        assert {r[3] for r in rows[1:]} == {long_date(in_london(expires).date())}
    # On an English page, the headings the letters' mail merge has always read.
    client.get("/officers/home/rounds/vote/voters?lang=en")
    assert codes_file(client)[0] == ["reference", "neighbourhood", "code", "expires"]
