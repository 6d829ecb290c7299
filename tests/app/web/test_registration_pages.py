"""The pages for becoming eligible by address or in person, through the test client: the
officers' address list, ways to become eligible, queue and in-person registration; a resident
registering by postcode, and then voting through the ordinary voting pages."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from flask import g
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from app.workflow.models import AuditEvent, Council, Event, FundingRound, Phase, Role
from ballots.models import (
    GazetteerAddress,
    Registration,
    RegistrationState,
    RollEntry,
    RollSource,
    Verification,
    VoterMark,
)
from tests.app.pages import csrf_token, error_messages, get_page, sign_in, soup
from tests.ballots.helpers import voting_round
from tests.factories import PASSWORD, create_council, create_neighbourhood, create_user

EXAMPLE = (Path(__file__).parents[2] / "ballots" / "gazetteer_example.csv").read_bytes()
OFFICERS = "/officers/town"
ROUND = "/councils/town/rounds/vote"
REGISTER = ROUND + "/register"
IN_PERSON = OFFICERS + "/rounds/vote/register-in-person"


@pytest.fixture
def town(app, db):
    # The tests' app context outlives each request, and Flask-Login and Flask-WTF keep the
    # signed-in user and the CSRF token in ``g``: forget them at each request, so that each
    # client (an officer's, residents') is seen as itself.
    @app.before_request
    def forget_the_last_client():
        g.pop("_login_user", None)
        g.pop("csrf_token", None)

    council = create_council(slug="town", name="Exampleton")
    centre = create_neighbourhood(council, name="Centre")
    create_neighbourhood(council, name="Riverside")
    council.eligibility = "code register in_person"
    council.registrations_per_address = 1
    create_user(email="officer@example.org", roles={council: Role.OFFICER})
    for n in (1, 2, 3):
        create_user(email=f"resident{n}@example.org", roles={council: Role.RESIDENT}, home=centre)
    funding_round, paper = voting_round(council)
    funding_round.slug = "vote"
    db.session.commit()
    return council, funding_round, paper


def submit(client, url: str, data, *, form_selector: str = "main form[method=post]"):
    """GET ``url``, take its form's CSRF token, POST ``data`` (pairs, or a dict) to it: a
    field may be sent more than once (ticked boxes, a date's three boxes)."""
    token = csrf_token(client, url, form_selector)
    pairs = list(data.items(multi=True) if isinstance(data, MultiDict) else data.items())
    return client.post(url, data=MultiDict([("csrf_token", token), *pairs]), buffered=True)


def officer_client(app):
    client = app.test_client()
    assert sign_in(client, "officer@example.org", PASSWORD).status_code == 302
    return client


def resident_client(app, n: int = 1):
    client = app.test_client()
    assert sign_in(client, f"resident{n}@example.org", PASSWORD).status_code == 302
    return client


def upload(client, content: bytes):
    page = soup(client.get(OFFICERS + "/gazetteer"))
    token = page.select_one("form[enctype] input[name=csrf_token]")["value"]
    return client.post(
        OFFICERS + "/gazetteer",
        data={"csrf_token": token, "gazetteer": (io.BytesIO(content), "llpg.csv")},
        content_type="multipart/form-data",
    )


def counted(db, model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def listed(app, db, town):
    """The town with its address list uploaded by its officer; the officer's client."""
    officer = officer_client(app)
    assert upload(officer, EXAMPLE).status_code == 302
    return officer


def audit_events(db, action: str) -> list[AuditEvent]:
    db.session.rollback()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def register(client, postcode="EX1 2AB", *, address="2 Orchard Row", name="Siân O'Neill"):
    """Find the addresses at the postcode, then register at the one whose label starts with
    ``address``."""
    page = get_page(client, f"{REGISTER}?postcode={postcode}")
    labels = {
        label.get_text(strip=True): page.select_one(f"#{label['for']}")["value"]
        for label in page.select("form[method=post] .govuk-radios__label")
    }
    chosen = next(v for k, v in labels.items() if k.startswith(address))
    return submit(
        client,
        f"{REGISTER}?postcode={postcode}",
        MultiDict(
            [
                ("address", chosen),
                ("name", name),
                ("date_of_birth", "1"),
                ("date_of_birth", "4"),
                ("date_of_birth", "1990"),
            ]
        ),
    )


def vote(client, paper) -> int:
    """Cast a ballot for the first project in the round's pot through the voting pages: the
    ballot page, the check page, its confirm form. The status of the confirm step."""
    pot = paper.pots[0]
    url = f"{ROUND}/vote/{pot.id}"
    response = submit(client, url, {"action": "continue", "choices": pot.projects[0].id})
    check = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    form = check.select_one("main form[method=post]")
    assert form["action"].endswith("/confirm"), check.h1.get_text()
    fields = [(i["name"], i.get("value", "")) for i in form.select("input[type=hidden]")]
    return client.post(form["action"], data=MultiDict(fields)).status_code


# --- The address list ---------------------------------------------------------------------


def test_an_officer_uploads_the_address_list_and_sees_it_by_neighbourhood(app, db, listed):
    page = get_page(listed, OFFICERS + "/gazetteer")
    rows = [r.get_text(" ", strip=True) for r in page.select("#address-counts tbody tr")]
    assert rows == ["Centre 5", "Riverside 1", "All neighbourhoods 6"]
    (event,) = audit_events(db, "gazetteer.imported")
    assert event.actor.email == "officer@example.org"
    assert event.after == {"addresses": 6, "added": 6, "updated": 0, "unchanged": 6 - 6}
    # Uploading again changes nothing and says so.
    response = upload(listed, EXAMPLE)
    page = get_page(listed, response.headers["Location"])
    assert "0 added, 0 updated, 6 unchanged" in page.get_text(" ", strip=True)


def test_a_bad_address_list_is_listed_by_row_and_changes_nothing(app, db, listed):
    before = counted(db, GazetteerAddress)
    bad = b"UPRN,ADDRESS,POSTCODE,WARD\n1,1 High St,EX1 2AB,Moon\nx,2 High St,EX1 2AB,Centre\n"
    response = upload(listed, bad)
    assert response.status_code == 200
    page = soup(response)
    assert page.title.get_text().strip().startswith("Error:")
    assert "2 problems" in error_messages(page)["gazetteer"]
    rows = [li.get_text(" ", strip=True) for li in page.select("#gazetteer-problems + ul li")]
    assert rows == [
        "Row 2 neighbourhood 'Moon' is not one of the council's",
        "Row 3 UPRN 'x' is not digits only",
    ]
    assert counted(db, GazetteerAddress) == before
    assert len(audit_events(db, "gazetteer.imported")) == 1
    assert "Select a CSV file" in error_messages(soup(upload_nothing(listed)))["gazetteer"]


def upload_nothing(client):
    return submit(client, OFFICERS + "/gazetteer", {}, form_selector="form[enctype]")


# --- The ways to become eligible ----------------------------------------------------------


def test_an_officer_chooses_the_councils_ways_and_limit(app, db, town):
    council, *_ = town
    officer = officer_client(app)
    page = get_page(officer, OFFICERS + "/eligibility")
    ticked = {i["value"] for i in page.select("input[name=ways][checked]")}
    assert ticked == {"code", "register", "in_person"}
    response = submit(
        officer,
        OFFICERS + "/eligibility",
        MultiDict([("ways", "contact"), ("ways", "register"), ("per_address", "4")]),
    )
    assert response.status_code == 302
    db.session.refresh(council)
    assert (council.eligibility, council.registrations_per_address) == ("contact register", 4)
    (event,) = audit_events(db, "council.eligibility_changed")
    assert event.after == {"ways": "contact register", "per_address": 4}
    for data, field, message in [
        ([("ways", "carrier-pigeon")], "ways", "carrier-pigeon is not a way"),
        ([], "ways", "Choose at least one way"),
        ([("ways", "code"), ("per_address", "-1")], "per_address", "from 0 to 100"),
        ([("ways", "code"), ("per_address", "lots")], "per_address", "whole number"),
    ]:
        refused = submit(officer, OFFICERS + "/eligibility", MultiDict(data))
        assert refused.status_code == 200
        assert message in error_messages(soup(refused))[field]
    db.session.refresh(council)
    assert (council.eligibility, council.registrations_per_address) == ("contact register", 4)


def test_a_round_uses_its_own_ways_or_the_councils_until_voting_is_over(app, db, town):
    _, funding_round, _ = town
    officer = officer_client(app)
    url = OFFICERS + "/rounds/vote/eligibility"
    assert get_page(officer, url).select_one("input[name=which][checked]")["value"] == "council"
    submit(officer, url, MultiDict([("which", "own"), ("ways", "in_person")]))
    db.session.refresh(funding_round)
    assert funding_round.eligibility == "in_person"
    # Registering at an address is then not this round's way.
    assert resident_client(app).get(REGISTER).status_code == 403
    submit(officer, url, {"which": "council"})
    db.session.refresh(funding_round)
    assert funding_round.eligibility is None
    assert [e.after for e in audit_events(db, "round.eligibility_changed")] == [
        {"ways": "in_person"},
        {"ways": None},
    ]
    funding_round.phase = Phase.CLOSED
    db.session.commit()
    assert get_page(officer, url).select_one("#eligibility-closed")
    token = soup(officer.get("/auth/sign-in")).select_one("input[name=csrf_token]")["value"]
    refused = officer.post(url, data={"csrf_token": token, "which": "own", "ways": "code"})
    assert refused.status_code == 409
    assert "once voting is over" in soup(refused).get_text()
    db.session.refresh(funding_round)
    assert funding_round.eligibility is None


# --- A resident registers ----------------------------------------------------------------


def test_a_resident_registers_by_postcode_and_votes_at_once(app, db, listed, town):
    _, _, paper = town
    resident = resident_client(app)
    page = get_page(resident, REGISTER)
    assert page.select_one("form[method=get] input[name=postcode]")
    assert not page.select("input[name=address]")
    page = get_page(resident, f"{REGISTER}?postcode=ex12ab")
    labels = [label.get_text(strip=True) for label in page.select(".govuk-radios__label")]
    assert labels == [
        "2 Orchard Row, Exampleton",
        "9A Orchard Row, Exampleton",
        "10 Orchard Row, Exampleton",
        "Flat 1, Mill House, 12 Orchard Row, Exampleton",
        "Flat 2, Mill House, 12 Orchard Row, Exampleton",
    ]
    response = register(resident)
    assert response.status_code == 302
    page = get_page(resident, REGISTER)
    assert page.select_one("#registration-state").get_text(strip=True) == "You are registered"
    assert page.select_one("#vote-link")["href"] == ROUND + "/vote"
    entry = db.session.scalar(select(RollEntry))
    assert (entry.source, entry.uprn, entry.name) == (
        RollSource.REGISTERED,
        "100023000001",
        "Siân O'Neill",
    )
    assert vote(resident, paper) == 302
    assert counted(db, VoterMark) == 1
    # Nothing of a resident's own registration goes in the audit trail.
    assert not audit_events(db, "registration.approved")


def test_an_unknown_postcode_says_so(app, db, listed):
    resident = resident_client(app)
    page = get_page(resident, f"{REGISTER}?postcode=EX9+9ZZ")
    assert "No address in Exampleton's address list" in error_messages(page)["postcode"]
    page = get_page(resident, f"{REGISTER}?postcode=nonsense!")
    assert not page.select("input[name=address]")


def test_past_the_limit_an_officer_approves_and_then_the_resident_votes(app, db, listed, town):
    _, _, paper = town
    first, second = resident_client(app, 1), resident_client(app, 2)
    register(first, name="Ann Able")
    register(second, name="Ben Baker")  # the limit is 1 at this address
    page = get_page(second, REGISTER)
    assert "An officer will check" in page.select_one("#registration-state").get_text()
    # Not on the roll yet: the vote page sends them to verify, which offers registering.
    response = second.get(ROUND + "/vote")
    assert "/verify" in response.headers["Location"]
    verify = get_page(second, response.headers["Location"])
    assert verify.select_one("#register-links a")["href"] == REGISTER
    queue = get_page(listed, OFFICERS + "/registrations")
    waiting = db.session.scalar(
        select(Registration).where(Registration.state == RegistrationState.PENDING)
    )
    card = queue.select_one(f"#registration-{waiting.id}")
    text = card.get_text(" ", strip=True)
    assert "Ben Baker" in text and "1 April 1990" in text and "2 Orchard Row" in text
    assert "1 other person is on the roll or waiting at this address" in text
    response = submit(
        listed,
        OFFICERS + "/registrations",
        {"registration": waiting.id, f"r{waiting.id}-approve": "Approve"},
        form_selector=f"#registration-{waiting.id} form",
    )
    assert response.status_code == 302
    db.session.refresh(waiting)
    assert waiting.state == RegistrationState.APPROVED
    (event,) = audit_events(db, "registration.approved")
    assert event.actor.email == "officer@example.org" and event.subject_id == waiting.id
    assert "Ben" not in json.dumps(event.after) and "1990" not in json.dumps(event.after)
    assert get_page(second, REGISTER).select_one("#vote-link")
    assert vote(second, paper) == 302
    assert counted(db, VoterMark) == 1
    assert "Nobody is waiting" in get_page(listed, OFFICERS + "/registrations").get_text()


def test_the_queue_warns_of_the_same_person_and_a_refusal_needs_a_reason(app, db, listed):
    council = db.session.scalar(select(Council).where(Council.slug == "town"))
    register(resident_client(app, 1), name="Cat Cole")
    council.registrations_per_address = 0
    db.session.commit()
    # The same person (as matched) at another address, from another account.
    second = resident_client(app, 2)
    register(second, address="10 Orchard Row", name="CAT COLE")
    db.session.rollback()
    approved, waiting = db.session.scalars(select(Registration).order_by(Registration.id)).all()
    assert approved.state == RegistrationState.APPROVED  # the first at its address
    assert waiting.state == RegistrationState.PENDING
    page = get_page(listed, OFFICERS + "/registrations")
    warning = page.select_one(f"#duplicates-{waiting.id}").find_next("ul").get_text(" ")
    entry = db.session.get(RollEntry, approved.roll_entry_id)
    assert entry.reference in warning and f"registration {approved.id}" in warning
    url = OFFICERS + "/registrations"
    selector = f"#registration-{waiting.id} form"
    refused = submit(
        listed,
        url,
        {"registration": waiting.id, f"r{waiting.id}-refuse": "Refuse"},
        form_selector=selector,
    )
    assert refused.status_code == 200
    assert "Say why" in error_messages(soup(refused))[f"r{waiting.id}-reason"]
    db.session.refresh(waiting)
    assert waiting.state == RegistrationState.PENDING
    done = submit(
        listed,
        url,
        {
            "registration": waiting.id,
            f"r{waiting.id}-refuse": "Refuse",
            f"r{waiting.id}-reason": "Already on the roll at another address",
        },
        form_selector=selector,
    )
    assert done.status_code == 302
    db.session.refresh(waiting)
    assert waiting.state == RegistrationState.REFUSED
    page = get_page(second, REGISTER)
    assert "Already on the roll at another address" in page.select_one("#refusal-reason").text
    (event,) = audit_events(db, "registration.refused")
    assert "Already" not in json.dumps(event.after)
    assert (
        db.session.scalar(select(Verification).where(Verification.user_id == waiting.user_id))
        is None
    )


def test_a_person_is_on_the_roll_once_whatever_the_case_or_accents(app, db, listed):
    register(resident_client(app, 1), name="Siân O'Neill")
    second = resident_client(app, 2)
    before = counted(db, Registration)
    response = register(second, name="SIAN O’NEILL")
    assert response.status_code == 200
    assert "already on this roll at this address" in error_messages(soup(response))["name"]
    assert counted(db, Registration) == before
    assert counted(db, RollEntry) == 1


def test_a_round_past_voting_or_not_taking_registrations_refuses(app, db, listed, town):
    council, funding_round, _ = town
    resident = resident_client(app)
    funding_round.phase = Phase.CLOSED
    db.session.commit()
    assert resident.get(REGISTER).status_code == 409
    assert "has closed" in soup(resident.get(REGISTER)).get_text()
    funding_round.phase = Phase.VOTING
    council.eligibility = "code"
    db.session.commit()
    assert resident.get(REGISTER).status_code == 403
    assert not get_page(resident, "/councils/town/verify").select("#register-links")
    assert counted(db, Registration) == 0


def test_the_vote_page_links_to_registering_for_others_at_the_address(app, db, listed, town):
    _, _, paper = town
    resident = resident_client(app)
    register(resident)
    page = get_page(resident, ROUND + "/vote")
    assert page.select_one("#register-link a")["href"] == REGISTER


# --- Registered in person by an officer ---------------------------------------------------


def in_person(client, data, query=""):
    return submit(client, IN_PERSON + query, MultiDict(data))


PERSON = [
    ("name", "Dee Dunn"),
    ("date_of_birth", "2"),
    ("date_of_birth", "3"),
    ("date_of_birth", "1980"),
]


def test_an_officer_registers_someone_in_person_audited_with_their_name(app, db, listed, town):
    page = get_page(listed, IN_PERSON + "?postcode=EX1+3BD")
    (option,) = page.select("input[name=address]:not([value=none])")
    response = in_person(
        listed, [*PERSON, ("address", option["value"]), ("neighbourhood", "")], "?postcode=EX1+3BD"
    )
    assert response.status_code == 302
    page = get_page(listed, response.headers["Location"])
    entry = db.session.scalar(select(RollEntry))
    assert entry.reference in page.select_one("#new-reference").get_text()
    assert (entry.source, entry.uprn, entry.name) == (
        RollSource.IN_PERSON,
        "100023000006",
        "Dee Dunn",
    )
    assert not get_page(listed, IN_PERSON).select("#new-reference")  # shown once
    (event,) = audit_events(db, "roll.registered_in_person")
    assert event.actor.email == "officer@example.org"
    assert event.round_id == town[1].id and event.subject_id == entry.id
    assert event.after["reference"] == entry.reference
    assert "Dee" not in json.dumps(event.after) and "1980" not in json.dumps(event.after)
    # Again: the same person is refused, and nothing changes.
    again = in_person(
        listed, [*PERSON, ("address", "none"), ("neighbourhood", str(entry.neighbourhood_id))]
    )
    assert again.status_code == 200
    assert "already on this roll" in error_messages(soup(again))["name"]
    assert counted(db, RollEntry) == 1


def test_without_an_address_a_neighbourhood_is_needed(app, db, listed, town):
    council, _, _ = town
    page = get_page(listed, IN_PERSON)
    assert page.select_one("input[type=hidden][name=address]")["value"] == "none"
    response = in_person(listed, [*PERSON, ("address", "none"), ("neighbourhood", "")])
    assert "neighbourhood" in error_messages(soup(response))["neighbourhood"]
    hood = council.neighbourhoods[1]
    response = in_person(listed, [*PERSON, ("address", "none"), ("neighbourhood", str(hood.id))])
    assert response.status_code == 302
    entry = db.session.scalar(select(RollEntry))
    assert (entry.uprn, entry.neighbourhood_id) == (None, hood.id)


def event_of(db, funding_round) -> Event:
    now = datetime.now(UTC)
    event = Event(
        council_id=funding_round.council_id,
        round_id=funding_round.id,
        name="Decision day",
        place="Town hall",
        starts_at=now,
        ends_at=now + timedelta(hours=4),
    )
    db.session.add(event)
    db.session.commit()
    return event


def test_from_an_events_desk_the_officer_goes_back_to_it_with_the_reference(app, db, town):
    council, funding_round, _ = town
    event = event_of(db, funding_round)
    if "officers.event_desk" not in app.view_functions:
        # The desk is another page's; stand in for it here.
        app.add_url_rule(
            "/officers/<slug>/rounds/<round_slug>/events/<int:event_id>/desk",
            endpoint="officers.event_desk",
            view_func=lambda **_: "desk",
        )
    officer = officer_client(app)
    hood = council.neighbourhoods[0]
    data = [*PERSON, ("address", "none"), ("neighbourhood", str(hood.id))]
    response = in_person(officer, data, f"?event={event.id}")
    entry = db.session.scalar(select(RollEntry))
    location = response.headers["Location"]
    assert f"/events/{event.id}/" in location and f"reference={entry.reference}" in location


def test_another_rounds_event_is_ignored_and_the_reference_shown_here(app, db, town):
    council, funding_round, _ = town
    other_round = FundingRound(council_id=council.id, slug="other", title="Other")
    other_round = voting_round(council)[0]
    event = event_of(db, other_round)
    officer = officer_client(app)
    data = [*PERSON, ("address", "none"), ("neighbourhood", str(council.neighbourhoods[0].id))]
    response = in_person(officer, data, f"?event={event.id}")
    assert response.headers["Location"].endswith(IN_PERSON)
    assert get_page(officer, response.headers["Location"]).select_one("#new-reference")


def test_in_person_when_the_round_does_not_take_it_or_is_closed(app, db, listed, town):
    council, funding_round, _ = town
    council.eligibility = "code"
    db.session.commit()
    assert get_page(listed, IN_PERSON).select_one("#not-allowed")
    token = soup(listed.get("/auth/sign-in")).select_one("input[name=csrf_token]")["value"]
    data = MultiDict(
        [
            ("csrf_token", token),
            *PERSON,
            ("address", "none"),
            ("neighbourhood", str(council.neighbourhoods[0].id)),
        ]
    )
    assert listed.post(IN_PERSON, data=data).status_code == 403
    council.eligibility = "in_person"
    funding_round.phase = Phase.CLOSED
    db.session.commit()
    assert get_page(listed, IN_PERSON).select_one("#closed")
    assert listed.post(IN_PERSON, data=data).status_code == 409
    assert counted(db, RollEntry) == 0


# --- Another council's -----------------------------------------------------------------


def test_another_councils_registrations_and_addresses_are_not_found(app, db, listed, town):
    away = create_council(slug="away")
    away_hood = create_neighbourhood(away, name="Far")
    away.eligibility = "register"
    away.registrations_per_address = 0
    away_resident = create_user(email="far@example.org", roles={away: Role.RESIDENT})
    away_round = voting_round(away)[0]
    address = GazetteerAddress(
        council_id=away.id,
        uprn="9",
        address="1 Far Lane",
        postcode="EX9 9ZZ",
        postcode_key="EX99ZZ",
        neighbourhood_id=away_hood.id,
    )
    db.session.add(address)
    db.session.flush()
    theirs = Registration(
        council_id=away.id,
        scope="council",
        round_id=away_round.id,
        user_id=away_resident.id,
        address_id=address.id,
        name="Far Person",
        name_key="far person",
        date_of_birth=datetime(1990, 1, 1).date(),
        state=RegistrationState.PENDING,
        reason="",
        created_on=datetime(2026, 1, 1).date(),
    )
    db.session.add(theirs)
    db.session.commit()
    token = soup(listed.get("/auth/sign-in")).select_one("input[name=csrf_token]")["value"]
    response = listed.post(
        OFFICERS + "/registrations",
        data={"csrf_token": token, "registration": theirs.id, f"r{theirs.id}-approve": "Approve"},
    )
    assert response.status_code == 404
    db.session.refresh(theirs)
    assert theirs.state == RegistrationState.PENDING
    # The officer of one council is not an officer of the other's pages.
    assert listed.get("/officers/away/registrations").status_code == 403
    # Another council's address, posted to this council's register page, is refused.
    resident = resident_client(app)
    refused = resident.post(
        f"{REGISTER}?postcode=EX1+2AB",
        data=MultiDict(
            [
                ("csrf_token", token_of(resident)),
                ("address", str(address.id)),
                ("name", "Eve"),
                ("date_of_birth", "1"),
                ("date_of_birth", "1"),
                ("date_of_birth", "1990"),
            ]
        ),
    )
    assert refused.status_code == 200
    assert "from the list" in error_messages(soup(refused))["address"]
    assert counted(db, Registration) == 1


def token_of(client) -> str:
    return soup(client.get("/auth/sign-in")).select_one("input[name=csrf_token]")["value"]


def test_approving_someone_registered_in_person_since_is_refused_with_why(app, db, listed):
    council = db.session.scalar(select(Council).where(Council.slug == "town"))
    council.registrations_per_address = 0
    db.session.commit()
    register(resident_client(app), name="Gil Grey")
    waiting = db.session.scalar(select(Registration))
    data = [
        ("name", "GIL GREY"),
        ("date_of_birth", "1"),
        ("date_of_birth", "4"),
        ("date_of_birth", "1990"),
        ("address", "none"),
        ("neighbourhood", str(council.neighbourhoods[0].id)),
    ]
    assert in_person(listed, data).status_code == 302
    response = submit(
        listed,
        OFFICERS + "/registrations",
        {"registration": waiting.id, f"r{waiting.id}-approve": "Approve"},
        form_selector=f"#registration-{waiting.id} form",
    )
    assert response.status_code == 302
    page = get_page(listed, response.headers["Location"])
    assert "already on this roll" in page.select_one(".govuk-notification-banner").get_text()
    db.session.refresh(waiting)
    assert waiting.state == RegistrationState.PENDING
    assert not audit_events(db, "registration.approved")
