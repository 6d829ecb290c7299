"""The council's address list (gazetteer) and becoming eligible by address or in person: every
row checked before anything is stored, registering at once up to the limit per address or
waiting for an officer, a person on a roll once, and every refusal changing nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ballots import gazetteer, registration
from ballots.errors import (
    AlreadyOnRoll,
    AlreadyRegistered,
    GazetteerInvalid,
    RegistrationDecided,
    RegistrationNotFound,
    RegistrationRefused,
)
from ballots.models import (
    COUNCIL_SCOPE,
    GazetteerAddress,
    Registration,
    RegistrationState,
    RollEntry,
    RollSource,
    Verification,
    round_scope,
)
from tests.ballots.helpers import enrol
from tests.factories import create_council, create_neighbourhood, create_round, create_user

EXAMPLE = (Path(__file__).parent / "gazetteer_example.csv").read_text(encoding="utf-8")
TODAY = date(2026, 11, 23)
BORN = date(1990, 4, 1)


def spellings(council) -> dict[str, int]:
    out = {}
    for hood in council.neighbourhoods:
        out[hood.name.lower()] = hood.id
        out[hood.slug] = hood.id
    return out


@pytest.fixture
def town(db):
    council = create_council(slug="exampleton", name="Exampleton")
    create_neighbourhood(council, name="Centre")
    create_neighbourhood(council, name="Riverside")
    db.session.commit()
    db.session.refresh(council)
    added = gazetteer.import_gazetteer(
        db.session, council_id=council.id, text=EXAMPLE, neighbourhoods=spellings(council)
    )
    db.session.commit()
    assert (int(added), added.added, added.updated) == (6, 6, 0)
    return council


def address(db, town, uprn: str) -> GazetteerAddress:
    return db.session.scalar(
        select(GazetteerAddress).where(
            GazetteerAddress.council_id == town.id, GazetteerAddress.uprn == uprn
        )
    )


def counts(db) -> dict[str, int]:
    db.session.rollback()
    return {
        m.__name__: db.session.scalar(select(func.count()).select_from(m))
        for m in (GazetteerAddress, Registration, RollEntry, Verification)
    }


def register(db, town, user, uprn="100023000001", *, name="Siân O'Neill", born=BORN, limit=2):
    return registration.register(
        db.session,
        council_id=town.id,
        scope=COUNCIL_SCOPE,
        round_id=None,
        user_id=user.id,
        address_id=address(db, town, uprn).id,
        name=name,
        date_of_birth=born,
        today=TODAY,
        per_address=limit,
    )


# --- The address list -------------------------------------------------------------------------


def test_an_llpg_extract_is_imported_with_its_addresses_joined(db, town):
    flat = address(db, town, "100023000003")
    assert flat.address == "Flat 1, Mill House, 12 Orchard Row, Exampleton"
    assert (flat.postcode, flat.postcode_key) == ("EX1 2AB", "EX12AB")
    odd = address(db, town, "100023000005")
    assert (odd.address, odd.postcode) == ("9A Orchard Row, Exampleton", "EX1 2AB")
    cottage = address(db, town, "100023000006")
    assert cottage.address == "Lock Keeper's Cottage, Canal Side, Riverbank, Exampleton"
    hoods = {h.name: h.id for h in town.neighbourhoods}
    assert cottage.neighbourhood_id == hoods["Riverside"]
    assert odd.neighbourhood_id == hoods["Centre"]  # by slug, lower case


def test_addresses_at_a_postcode_are_in_natural_order_and_the_councils_own(db, town):
    other = create_council(slug="elsewhere")
    hood = create_neighbourhood(other, name="Centre")
    gazetteer.import_gazetteer(
        db.session,
        council_id=other.id,
        text="uprn,address,postcode,neighbourhood\n5,1 Orchard Row,EX1 2AB,Centre\n",
        neighbourhoods={"centre": hood.id},
    )
    found = gazetteer.addresses_at(db.session, town.id, " ex1  2ab ")
    assert [a.address for a in found] == [
        "2 Orchard Row, Exampleton",
        "9A Orchard Row, Exampleton",
        "10 Orchard Row, Exampleton",
        "Flat 1, Mill House, 12 Orchard Row, Exampleton",
        "Flat 2, Mill House, 12 Orchard Row, Exampleton",
    ]
    assert gazetteer.addresses_at(db.session, town.id, "") == []
    assert [a.uprn for a in gazetteer.addresses_at(db.session, other.id, "EX12AB")] == ["5"]


def test_a_whole_address_column_and_lower_case_headers(db, town):
    text = (
        'postcode,Neighbourhood,address,UPRN\nEX1 3BD,riverside,"3 Canal Side, Exampleton",0007\n'
    )
    added = gazetteer.import_gazetteer(
        db.session, council_id=town.id, text=text, neighbourhoods=spellings(town)
    )
    assert (added.added, added.updated) == (1, 0)
    assert address(db, town, "7").address == "3 Canal Side, Exampleton"


def test_every_bad_row_is_listed_and_nothing_is_stored(db, town):
    before = counts(db)
    text = "\n".join(
        [
            "UPRN,ADDRESS,POSTCODE,WARD",
            "12AB,1 High Street,EX1 2AB,Centre",
            "1234567890123,2 High Street,EX1 2AB,Centre",
            "55,3 High Street,NOT A CODE,Centre",
            "56,4 High Street,EX1 2AB,Moon",
            "57,,EX1 2AB,Centre",
            "58,5 High Street,EX1 2AB,Centre",
            "58,6 High Street,EX1 2AB,Centre",
            "59,7 High Street,EX1 2AB,Centre,extra",
            "000,8 High Street,EX1 2AB,Centre",
            "60,9 High Street,,Centre",
        ]
    )
    with pytest.raises(GazetteerInvalid) as refused:
        gazetteer.import_gazetteer(
            db.session, council_id=town.id, text=text, neighbourhoods=spellings(town)
        )
    problems = [(row, str(p)) for row, p in refused.value.problems]
    assert problems == [
        (2, "UPRN '12AB' is not digits only"),
        (3, "UPRN '1234567890123' is longer than 12 digits"),
        (4, "postcode 'NOT A CODE' is not a real UK postcode"),
        (5, "neighbourhood 'Moon' is not one of the council's"),
        (6, "has no address"),
        (8, "repeats UPRN 58 from row 7"),
        (9, "has 5 columns; the header has 4"),
        (10, "UPRN '000' is not a property's number"),
        (11, "has no postcode"),
    ]
    assert str(refused.value) == "9 problems in the address list"
    assert counts(db) == before


@pytest.mark.parametrize(
    ("text", "missing"),
    [
        ("", "UPRN, POSTCODE, NEIGHBOURHOOD, ADDRESS"),
        ("UPRN,ADDRESS,WARD\n1,a,Centre", "POSTCODE"),
        ("UPRN,POSTCODE,WARD\n1,EX1 2AB,Centre", "ADDRESS"),
        ("ADDRESS,POSTCODE,WARD\na,EX1 2AB,Centre", "UPRN"),
    ],
)
def test_a_header_without_a_needed_column_is_refused(db, town, text, missing):
    with pytest.raises(GazetteerInvalid) as refused:
        gazetteer.import_gazetteer(
            db.session, council_id=town.id, text=text, neighbourhoods=spellings(town)
        )
    ((row, problem),) = refused.value.problems
    assert row == 1 and str(problem).endswith(f"it has no {missing}")


def test_a_header_naming_a_column_twice_and_a_file_of_no_addresses(db, town):
    for text, expected in [
        ("UPRN,uprn,ADDRESS,POSTCODE,WARD\n", "The header names uprn more than once"),
        ("UPRN,ADDRESS,POSTCODE,WARD\n\n", "The address list has no addresses in it"),
    ]:
        with pytest.raises(GazetteerInvalid) as refused:
            gazetteer.import_gazetteer(
                db.session, council_id=town.id, text=text, neighbourhoods=spellings(town)
            )
        assert [str(p) for _, p in refused.value.problems] == [expected]


def test_importing_again_updates_by_uprn_and_adds_the_new_ones(db, town):
    text = "\n".join(
        [
            "UPRN,ADDRESS,POSTCODE,WARD",
            "100023000001,2 Orchard Row; Exampleton,EX1 2AB,Centre",  # address changed
            '100023000002,"10 Orchard Row, Exampleton",EX1 2AB,Centre',  # as it was
            '100023000006,"Lock Keeper\'s Cottage, Canal Side, Riverbank, Exampleton",'
            "EX1 3BD,Centre",  # moved neighbourhood
            "100023000099,1 New Street,EX1 4EF,Riverside",  # new
        ]
    )
    again = gazetteer.import_gazetteer(
        db.session, council_id=town.id, text=text, neighbourhoods=spellings(town)
    )
    db.session.commit()
    assert (int(again), again.added, again.updated, again.unchanged) == (4, 1, 2, 1)
    assert address(db, town, "100023000001").address == "2 Orchard Row; Exampleton"
    assert address(db, town, "100023000006").neighbourhood_id == town.neighbourhoods[0].id
    assert address(db, town, "100023000099").postcode == "EX1 4EF"
    # Addresses left out of the new file stay.
    assert counts(db)["GazetteerAddress"] == 7


# --- Registering at an address -----------------------------------------------------------


def test_registering_is_approved_at_once_up_to_the_limit_then_waits(db, town):
    first, second, third = (create_user() for _ in range(3))
    one = register(db, town, first, name="Ann Able", limit=2)
    two = register(db, town, second, name="Ben Baker", limit=2)
    three = register(db, town, third, name="Cat Cole", limit=2)
    db.session.commit()
    assert [r.state for r in (one, two, three)] == [
        RegistrationState.APPROVED,
        RegistrationState.APPROVED,
        RegistrationState.PENDING,
    ]
    entry = db.session.get(RollEntry, one.roll_entry_id)
    assert entry.source == RollSource.REGISTERED
    assert (entry.name, entry.name_key, entry.uprn) == ("Ann Able", "ann able", "100023000001")
    assert entry.date_of_birth == BORN and entry.scope == COUNCIL_SCOPE
    assert entry.neighbourhood_id == address(db, town, "100023000001").neighbourhood_id
    assert entry.reference.startswith("EXA-") and len(entry.reference) == 13
    verified = db.session.scalar(select(Verification).where(Verification.user_id == first.id))
    assert (verified.roll_entry_id, verified.verified_on) == (entry.id, TODAY)
    assert three.roll_entry_id is None
    assert db.session.scalar(select(Verification).where(Verification.user_id == third.id)) is None


@pytest.mark.parametrize("limit", [None, 0])
def test_with_no_limit_everyone_waits_for_an_officer(db, town, limit):
    waiting = register(db, town, create_user(), limit=limit)
    assert waiting.state == RegistrationState.PENDING
    assert counts(db)["RollEntry"] == 0


def test_a_round_roll_registration_is_on_the_rounds_roll(db, town):
    funding_round = create_round(town)
    user = create_user()
    done = registration.register(
        db.session,
        council_id=town.id,
        scope=round_scope(funding_round.id),
        round_id=funding_round.id,
        user_id=user.id,
        address_id=address(db, town, "100023000006").id,
        name="Dee Dunn",
        date_of_birth=BORN,
        today=TODAY,
        per_address=1,
    )
    entry = db.session.get(RollEntry, done.roll_entry_id)
    assert (entry.scope, entry.round_id) == (round_scope(funding_round.id), funding_round.id)
    assert done.round_id == funding_round.id


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"name": "  "}, "name", "Enter the person's full name."),
        ({"name": "'-."}, "name", "Enter the person's full name."),
        ({"name": "x" * 201}, "name", "The name must be 200 characters or fewer."),
        ({"born": None}, "date_of_birth", "Enter the date of birth."),
        ({"born": date(2026, 11, 24)}, "date_of_birth", "The date of birth must be in the past."),
        (
            {"born": date(1900, 1, 1)},
            "date_of_birth",
            "Enter a real date of birth: that would be over 120 years ago.",
        ),
    ],
)
def test_a_registration_without_a_real_name_or_date_of_birth_is_refused(
    db, town, change, field, message
):
    before = counts(db)
    with pytest.raises(RegistrationRefused) as refused:
        register(db, town, create_user(), **change)
    assert (refused.value.field, str(refused.value)) == (field, message)
    assert counts(db) == before


def test_an_address_not_in_the_councils_list_is_refused(db, town):
    other = create_council(slug="elsewhere")
    hood = create_neighbourhood(other, name="Centre")
    gazetteer.import_gazetteer(
        db.session,
        council_id=other.id,
        text="uprn,address,postcode,neighbourhood\n5,1 Far Lane,EX9 9ZZ,Centre\n",
        neighbourhoods={"centre": hood.id},
    )
    theirs = db.session.scalar(select(GazetteerAddress).where(GazetteerAddress.uprn == "5"))
    user = create_user()
    db.session.commit()
    before = counts(db)
    for address_id in (theirs.id, 999_999):
        with pytest.raises(RegistrationRefused) as refused:
            registration.register(
                db.session,
                council_id=town.id,
                scope=COUNCIL_SCOPE,
                round_id=None,
                user_id=user.id,
                address_id=address_id,
                name="Eve",
                date_of_birth=BORN,
                today=TODAY,
                per_address=5,
            )
        assert refused.value.field == "address"
        assert counts(db) == before


def test_an_account_registers_once_per_roll(db, town):
    user = create_user()
    register(db, town, user, limit=0)
    db.session.commit()
    before = counts(db)
    with pytest.raises(AlreadyRegistered, match="an officer will check it"):
        register(db, town, user, "100023000002", name="Other Name")
    assert counts(db) == before


def test_an_account_verified_on_the_roll_cannot_register_on_it(db, town):
    user = create_user()
    enrol(town, town.neighbourhoods[0], user=user)
    before = counts(db)
    with pytest.raises(AlreadyRegistered, match="already verified on this roll"):
        register(db, town, user)
    assert counts(db) == before


@pytest.mark.parametrize("written", ["SIAN O'NEILL", "sian oneill", "Siân  O’Neill"])
def test_a_person_is_on_the_roll_once_whatever_the_case_or_accents(db, town, written):
    register(db, town, create_user(), name="Siân O'Neill", limit=5)
    db.session.commit()
    before = counts(db)
    with pytest.raises(AlreadyOnRoll):
        register(db, town, create_user(), name=written, limit=5)
    assert counts(db) == before
    # Someone of the same name and birthday at another address is another person.
    elsewhere = register(db, town, create_user(), "100023000002", name=written, limit=5)
    assert elsewhere.state == RegistrationState.APPROVED


def test_the_unique_index_is_the_last_word_when_two_register_at_once(db, town, monkeypatch):
    register(db, town, create_user(), name="Fay Fox", limit=5)
    db.session.commit()
    before = counts(db)
    # As if the other request had not committed yet when this one looked.
    monkeypatch.setattr(registration, "on_roll", lambda *a, **k: None)
    with pytest.raises(AlreadyOnRoll):
        register(db, town, create_user(), name="FAY FOX", limit=5)
    assert counts(db) == before


# --- Officers' decisions ------------------------------------------------------------------


def test_an_officer_approves_a_waiting_registration(db, town):
    officer, user = create_user(), create_user()
    waiting = register(db, town, user, limit=0)
    db.session.commit()
    entry = registration.approve(db.session, waiting.id, officer.id, TODAY, council_id=town.id)
    db.session.commit()
    assert waiting.state == RegistrationState.APPROVED
    assert (waiting.decided_by_id, waiting.decided_on) == (officer.id, TODAY)
    assert waiting.roll_entry_id == entry.id and entry.source == RollSource.REGISTERED
    verified = db.session.scalar(select(Verification).where(Verification.user_id == user.id))
    assert verified.roll_entry_id == entry.id
    before = counts(db)
    with pytest.raises(RegistrationDecided, match="already approved"):
        registration.approve(db.session, waiting.id, officer.id, TODAY, council_id=town.id)
    with pytest.raises(RegistrationDecided):
        registration.refuse(db.session, waiting.id, officer.id, "no", TODAY, council_id=town.id)
    assert counts(db) == before


def test_an_officer_refuses_with_a_reason(db, town):
    officer = create_user()
    waiting = register(db, town, create_user(), limit=0)
    db.session.commit()
    before = counts(db)
    with pytest.raises(RegistrationRefused) as refused:
        registration.refuse(db.session, waiting.id, officer.id, "  ", TODAY, council_id=town.id)
    assert refused.value.field == "reason"
    db.session.rollback()
    assert waiting.state == RegistrationState.PENDING
    registration.refuse(
        db.session, waiting.id, officer.id, "Not at this address", TODAY, council_id=town.id
    )
    db.session.commit()
    assert (waiting.state, waiting.reason) == (RegistrationState.REFUSED, "Not at this address")
    assert counts(db) == before
    with pytest.raises(RegistrationDecided, match="already refused"):
        registration.approve(db.session, waiting.id, officer.id, TODAY, council_id=town.id)


def test_another_councils_registration_is_not_found(db, town):
    other = create_council()
    waiting = register(db, town, create_user(), limit=0)
    db.session.commit()
    for call in (
        lambda: registration.approve(db.session, waiting.id, 1, TODAY, council_id=other.id),
        lambda: registration.refuse(db.session, waiting.id, 1, "x", TODAY, council_id=other.id),
        lambda: registration.approve(db.session, 999_999, 1, TODAY, council_id=town.id),
    ):
        with pytest.raises(RegistrationNotFound):
            call()
    db.session.rollback()
    assert waiting.state == RegistrationState.PENDING


def test_approving_someone_on_the_roll_by_now_is_refused(db, town):
    waiting = register(db, town, create_user(), name="Gil Grey", limit=0)
    db.session.commit()
    registration.register_in_person(
        db.session,
        council_id=town.id,
        scope=COUNCIL_SCOPE,
        round_id=None,
        officer_id=1,
        name="gil grey",
        date_of_birth=BORN,
        address_id=waiting.address_id,
        today=TODAY,
    )
    db.session.commit()
    before = counts(db)
    with pytest.raises(AlreadyOnRoll):
        registration.approve(db.session, waiting.id, 1, TODAY, council_id=town.id)
    assert counts(db) == before


def test_the_queue_shows_possible_duplicates(db, town):
    at_once = register(db, town, create_user(), name="Hal Hunt", limit=1)
    same_address = register(db, town, create_user(), name="Ivy Ives", limit=1)
    same_person = register(db, town, create_user(), "100023000002", name="HAL HUNT", limit=0)
    other = register(db, town, create_user(), "100023000006", name="Jo Jay", limit=0)
    db.session.commit()
    assert at_once.state == RegistrationState.APPROVED
    queue = {w.registration.id: w for w in registration.duplicates(db.session, town.id)}
    assert list(queue) == [same_address.id, same_person.id, other.id]
    assert queue[same_address.id].others_at_address == 1  # Hal, on the roll there
    assert not queue[same_address.id].duplicated
    hal = queue[same_person.id]
    assert [r.id for r in hal.same_registrations] == [at_once.id]
    assert [e.id for e in hal.same_entries] == [at_once.roll_entry_id]
    assert hal.duplicated and hal.others_at_address == 0
    assert hal.address.uprn == "100023000002"
    assert queue[other.id].others_at_address == 0
    assert registration.waiting_count(db.session, town.id) == 3


# --- Registered in person ---------------------------------------------------------------


def in_person(db, town, **given):
    values = {
        "council_id": town.id,
        "scope": COUNCIL_SCOPE,
        "round_id": None,
        "officer_id": 1,
        "name": "Kim Kay",
        "date_of_birth": BORN,
        "today": TODAY,
    }
    return registration.register_in_person(db.session, **{**values, **given})


def test_an_officer_registers_someone_in_person_at_an_address_or_a_neighbourhood(db, town):
    at = address(db, town, "100023000006")
    entry = in_person(db, town, address_id=at.id)
    assert (entry.source, entry.uprn, entry.neighbourhood_id) == (
        RollSource.IN_PERSON,
        at.uprn,
        at.neighbourhood_id,
    )
    assert entry.id is not None and entry.reference.startswith("EXA-")
    hood = town.neighbourhoods[0]
    nowhere = in_person(db, town, name="Lee Lamb", neighbourhood_id=hood.id)
    assert (nowhere.uprn, nowhere.neighbourhood_id) == (None, hood.id)
    db.session.commit()
    assert counts(db)["Verification"] == 0  # no account needed


def test_in_person_refusals_change_nothing(db, town):
    other = create_council()
    theirs = create_neighbourhood(other, name="Far")
    at = address(db, town, "100023000001")
    in_person(db, town, address_id=at.id)
    in_person(db, town, name="Mo May", neighbourhood_id=town.neighbourhoods[0].id)
    db.session.commit()
    before = counts(db)
    for given, refusal in [
        ({"name": "KIM KAY", "address_id": at.id}, AlreadyOnRoll),
        # With no address, the same name and birthday anywhere on the roll is the same person.
        ({"name": "kim kay", "neighbourhood_id": town.neighbourhoods[1].id}, AlreadyOnRoll),
        # At an address, someone of that name on the roll with none is the same person.
        ({"name": "Mo May", "address_id": at.id}, AlreadyOnRoll),
        ({"name": "Ned"}, RegistrationRefused),
        ({"name": "Ned", "neighbourhood_id": theirs.id}, RegistrationRefused),
        ({"name": "", "address_id": at.id}, RegistrationRefused),
    ]:
        with pytest.raises(refusal):
            in_person(db, town, **given)
        assert counts(db) == before
    with pytest.raises(AlreadyOnRoll, match="reference"):
        in_person(db, town, neighbourhood_id=town.neighbourhoods[1].id)


def test_a_scope_that_is_not_the_rounds_roll_is_a_mistake(db, town):
    with pytest.raises(ValueError, match="is not the roll of round"):
        in_person(db, town, scope="round:5", round_id=6)


def test_reference_prefix():
    assert registration.reference_prefix("lambeth") == "LAM"
    assert registration.reference_prefix("st-helens") == "STH"
    assert registration.reference_prefix("42") == "REG"
