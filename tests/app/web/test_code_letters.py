"""Voting codes by post and by text (issue #17): a roll with postal addresses, mobile numbers
and languages; codes issued and queued as letters or texts in one transaction, sent through
GOV.UK Notify (the fake) by `flask send-messages`, in each person's language, and forgotten
once sent; refused where Notify is not set up in production; the CSV download as before."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime

import pytest
from flask import g
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from app.web.extensions import db as flask_db
from app.web.residents.voting import code_key
from app.workflow.clock import in_london
from app.workflow.models import (
    AuditEvent,
    Message,
    MessageChannel,
    MessageState,
    Role,
)
from ballots import roll
from ballots.models import RollEntry, Verification, VerificationCode
from tests.app.pages import get_page, sign_in, soup, submit
from tests.ballots.helpers import place, voting_round
from tests.ballots.test_officer_pages import upload
from tests.factories import PASSWORD, create_council, create_user

M = "/officers/home/rounds/vote"
FIELDS = ["council", "round", "reference", "code", "expires", "vote_at"]
LETTER_EN = "0b6f5a4e-6f0c-4d55-9a51-1c2d3e4f5a01"
LETTER_CY = "0b6f5a4e-6f0c-4d55-9a51-1c2d3e4f5a02"
SMS_EN = "0b6f5a4e-6f0c-4d55-9a51-1c2d3e4f5a03"
SMS_CY = "0b6f5a4e-6f0c-4d55-9a51-1c2d3e4f5a04"

HEADER = (
    "reference,neighbourhood,address_line_1,address_line_2,address_line_3,postcode,phone,language"
)
ROLL = (
    f"{HEADER}\n"
    "A1,Centre,The Occupier,1 High Street,Cardiff,cf10  1aa,07700 900123,\n"
    "A2,Centre,Y Preswylydd,2 Stryd Fawr,Caerdydd,CF101AB,+44 (0)7700-900-124,CY\n"
    "A3,Centre,,,,,,\n"
)


@pytest.fixture
def home(db):
    council = create_council(slug="home", name="Home Council")
    council.languages = "en cy"
    place(council, "Centre")
    create_user(email="officer@example.org", roles={council: Role.OFFICER})
    funding_round, _ = voting_round(council, title="Parks")
    funding_round.slug = "vote"
    db.session.commit()
    return council, funding_round


@pytest.fixture
def notify(app, fake_notify):
    """The app sending letters and texts through the fake GOV.UK Notify, with a template
    for voting codes in English and Welsh for each channel."""
    for template_id, channel in [
        (LETTER_EN, "letter"),
        (LETTER_CY, "letter"),
        (SMS_EN, "sms"),
        (SMS_CY, "sms"),
    ]:
        fake_notify.add_template(template_id, channel, fields=FIELDS)
    app.config.update(
        NOTIFY_API_KEY=fake_notify.api_key,
        NOTIFY_BASE_URL=fake_notify.base_url,
        NOTIFY_TEMPLATES=json.dumps(
            {
                "voting_code.letter": {"en": LETTER_EN, "cy": LETTER_CY},
                "voting_code.sms": {"en": SMS_EN, "cy": SMS_CY},
            }
        ),
    )
    return fake_notify


def officer(client):
    sign_in(client, "officer@example.org", PASSWORD)


def issue(client, how: str | None, **more):
    data = {"which": "round", **more}
    if how is not None:
        data["how"] = how
    return submit(
        client,
        M + "/voters",
        data,
        post_to=M + "/voters/codes",
        form_selector="form[action$='/voters/codes']",
    )


def banner(client) -> str:
    page = soup(client.get(M + "/voters"))
    return " ".join(
        " ".join(b.get_text().split()) for b in page.select(".govuk-notification-banner")
    )


def count(model) -> int:
    return flask_db.session.scalar(select(func.count()).select_from(model))


def entries() -> dict[str, RollEntry]:
    return {e.reference: e for e in flask_db.session.scalars(select(RollEntry))}


def messages() -> list[Message]:
    flask_db.session.expire_all()
    return list(flask_db.session.scalars(select(Message).order_by(Message.language)))


def send_messages(runner) -> None:
    flask_db.session.rollback()
    result = runner.invoke(args=["send-messages", "--once"])
    assert result.exit_code == 0, result.output


# -- The roll ------------------------------------------------------------------------------


def test_a_roll_with_addresses_phones_and_languages_is_kept_normalised(client, db, home):
    officer(client)
    page = get_page(client, M + "/voters")
    hint = page.select_one("#roll-columns").find_next("ul").get_text(" ", strip=True)
    for column in ("address_line_1", "address_line_7", "postcode", "phone", "email", "language"):
        assert column in hint
    assert "en, cy" in hint

    assert upload(client, ROLL).status_code == 302

    found = entries()
    assert found["A1"].address == "The Occupier\n1 High Street\nCardiff\nCF10 1AA"
    assert (found["A1"].phone, found["A1"].language) == ("+447700900123", None)
    assert found["A2"].address == "Y Preswylydd\n2 Stryd Fawr\nCaerdydd\nCF10 1AB"
    assert (found["A2"].phone, found["A2"].language) == ("+447700900124", "cy")
    assert (found["A3"].address, found["A3"].phone, found["A3"].language) == (None, None, None)


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ("A2,Centre,1 High St,Cardiff,,ZZ1 1ZZ,,", "postcode 'ZZ1 1ZZ' is not a real UK postcode"),
        ("A2,Centre,1 High St,Cardiff,,CF10 1A,,", "postcode 'CF10 1A' is not a real UK postcode"),
        ("A2,Centre,1 High St,Cardiff,,,,", "has an address but no postcode"),
        ("A2,Centre,1 High St,,,CF10 1AA,,", "has an address of 1 line before the postcode"),
        ("A2,Centre,=1 High St,Cardiff,,CF10 1AA,,", "address_line_1 starts with ="),
        ("A2,Centre,,,,,029 2087 2087,", "phone '029 2087 2087' is not a UK mobile number"),
        ("A2,Centre,,,,,07700 90012,", "phone '07700 90012' is not a UK mobile number"),
        ("A2,Centre,,,,,+33 6 12 34 56 78,", "phone '+33 6 12 34 56 78' is not a UK mobile"),
        ("A2,Centre,,,,,,fr", "language 'fr' is not one of the service's languages: en, cy"),
    ],
    ids=[
        "no-such-area",
        "short-postcode",
        "no-postcode",
        "one-line",
        "formula",
        "landline",
        "short-phone",
        "abroad",
        "language",
    ],
)
def test_a_bad_address_phone_or_language_adds_nobody(client, db, home, row, problem):
    officer(client)
    text = (
        "reference,neighbourhood,address_line_1,address_line_2,address_line_3,postcode,phone,"
        f"language\nA1,Centre,The Occupier,1 High Street,Cardiff,CF10 1AA,07700900123,en\n{row}\n"
    )

    response = upload(client, text)

    assert response.status_code == 200
    rows = [li.get_text(" ", strip=True) for li in soup(response).select("#roll-problems + ul li")]
    assert len(rows) == 1 and rows[0].startswith("Row 3 ")
    assert problem in rows[0]
    assert count(RollEntry) == 0


def test_a_roll_without_the_new_columns_imports_as_before(client, db, home):
    officer(client)
    text = "reference,neighbourhood,notes,date_of_birth\nB1,Centre,anything,2001-02-03\n"

    assert upload(client, text).status_code == 302

    (entry,) = entries().values()
    assert entry.date_of_birth.isoformat() == "2001-02-03"
    assert (entry.address, entry.phone, entry.language) == (None, None, None)


# -- Letters -------------------------------------------------------------------------------


def test_codes_posted_as_letters_through_notify_in_each_language(
    app, client, runner, db, home, notify
):
    council, funding_round = home
    officer(client)
    upload(client, ROLL)
    page = get_page(client, M + "/voters")
    due = [td.get_text(strip=True) for td in page.select("#codes-due-round dd")]
    assert due == ["3", "2", "2"]

    assert issue(client, "letter").status_code == 302

    said = banner(client)
    assert "2 codes issued, to be posted as letters through GOV.UK Notify" in said
    assert "1 person who needs a code has no postal address on the roll" in said
    # Two letters, queued with the two codes (A3 has no address: no code yet).
    letters = messages()
    assert count(VerificationCode) == 2
    assert [(m.kind, m.channel, m.state, m.language) for m in letters] == [
        ("voting_code", MessageChannel.LETTER, MessageState.QUEUED, "cy"),
        ("voting_code", MessageChannel.LETTER, MessageState.QUEUED, "en"),
    ]
    found = entries()
    assert [m.recipient for m in letters] == [found["A2"].address, found["A1"].address]
    assert all(m.council_id == council.id for m in letters)
    assert all(set(m.data) == {"reference", "code", "expires", "round_id"} for m in letters)
    assert {m.data["round_id"] for m in letters} == {funding_round.id}
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "voters.codes_issued"))
    assert event.after == {"scope": "round", "codes": 2, "channel": "letter"}
    assert not any(m.data["code"] in json.dumps(event.after) for m in letters)

    send_messages(runner)

    sent = {s["personalisation"]["reference"]: s for s in notify.sent}
    assert sorted(sent) == ["A1", "A2"]
    english, welsh = sent["A1"], sent["A2"]
    assert (english["channel"], english["template_id"]) == ("letter", LETTER_EN)
    assert welsh["template_id"] == LETTER_CY
    assert english["to"] == "The Occupier\n1 High Street\nCardiff\nCF10 1AA"
    assert {k: v for k, v in english["personalisation"].items() if k.startswith("address")} == {
        "address_line_1": "The Occupier",
        "address_line_2": "1 High Street",
        "address_line_3": "Cardiff",
        "address_line_4": "CF10 1AA",
    }
    fields = english["personalisation"]
    assert (fields["council"], fields["round"]) == ("Home Council", "Parks")
    assert fields["vote_at"] == "http://localhost/councils/home/rounds/vote/vote"
    assert welsh["personalisation"]["vote_at"].endswith("/councils/home/rounds/vote/vote?lang=cy")
    # The code in the letter is one the roll holds, and its expiry day is London's.
    codes = {c.roll_entry_id: c for c in db.session.scalars(select(VerificationCode))}
    issued = codes[found["A1"].id]
    assert issued.code_hash == roll.code_hash(fields["code"], code_key())
    day = in_london(issued.expires_at).date()
    assert fields["expires"] == f"{day.day} {day:%B %Y}"
    assert welsh["personalisation"]["expires"] != fields["expires"]  # written in Welsh
    # Nothing about the vote itself.
    assert set(fields) == {*FIELDS, *(f"address_line_{n}" for n in range(1, 5))}
    # Sent: what the letter said, and where it went, is forgotten.
    for message in messages():
        assert message.state == MessageState.SENT
        assert (message.recipient, message.data) == (None, None)
        assert message.provider_id

    # The one without an address: their code downloaded, as before.
    response = issue(client, "download")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["reference"] for r in rows] == ["A3"]

    # The resident verifies with the code from the letter.
    g.pop("csrf_token", None)  # the test's app context is shared by both browsers
    resident = app.test_client()
    create_user(email="a1@example.org", roles={council: Role.RESIDENT})
    db.session.commit()
    sign_in(resident, "a1@example.org", PASSWORD)
    answer = submit(resident, "/councils/home/verify", {"reference": "A1", "code": fields["code"]})
    assert answer.status_code == 302
    assert count(Verification) == 1


def test_codes_texted_through_notify(app, client, runner, db, home, notify):
    officer(client)
    upload(client, ROLL)

    assert issue(client, "sms").status_code == 302

    assert "2 codes issued, to be sent as text messages" in banner(client)
    texts = messages()
    assert [(m.channel, m.recipient, m.language) for m in texts] == [
        (MessageChannel.SMS, "+447700900124", "cy"),
        (MessageChannel.SMS, "+447700900123", "en"),
    ]

    send_messages(runner)

    sent = {s["personalisation"]["reference"]: s for s in notify.sent}
    assert (sent["A1"]["channel"], sent["A1"]["to"], sent["A1"]["template_id"]) == (
        "sms",
        "+447700900123",
        SMS_EN,
    )
    assert sent["A2"]["template_id"] == SMS_CY
    assert set(sent["A1"]["personalisation"]) == set(FIELDS)
    assert all((m.recipient, m.data) == (None, None) for m in messages())


def test_letters_to_nobody_with_an_address_are_refused_naming_them(client, db, home, notify):
    officer(client)
    upload(client, "reference,neighbourhood\nN1,Centre\nN2,Centre\n")

    assert issue(client, "letter").status_code == 302

    said = banner(client)
    assert "None of the 2 people who need a code has a postal address" in said
    assert "N1 and N2" in said
    assert (count(VerificationCode), count(Message)) == (0, 0)
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "voters.codes_issued"
    )) == 0  # fmt: skip


def test_one_persons_code_by_text_needs_their_number(client, db, home, notify):
    officer(client)
    upload(client, ROLL)

    issue(client, "sms", reference="A3")
    assert "A3 has no mobile number on the roll" in banner(client)
    assert (count(VerificationCode), count(Message)) == (0, 0)

    issue(client, "sms", reference="a1")
    (text,) = messages()
    assert (text.recipient, text.data["reference"]) == ("+447700900123", "A1")
    assert count(VerificationCode) == 1


def test_a_failed_commit_issues_no_codes_and_queues_no_letters(
    client, db, home, notify, monkeypatch
):
    officer(client)
    upload(client, ROLL)
    real = flask_db.session.commit

    def lock_timeout():
        raise OperationalError("COMMIT", {}, Exception("canceling statement: lock timeout"))

    monkeypatch.setattr(flask_db.session, "commit", lock_timeout)
    response = issue(client, "letter")
    monkeypatch.setattr(flask_db.session, "commit", real)

    assert response.status_code == 302
    assert "Nothing was saved" in banner(client)
    assert (count(VerificationCode), count(Message)) == (0, 0)


def test_production_without_notify_refuses_letters_and_texts_but_downloads(app, client, db, home):
    officer(client)
    upload(client, ROLL)
    app.config.update(ENV_NAME="production", NOTIFY_API_KEY=None)

    issue(client, "letter")
    assert "Letters need GOV.UK Notify: set NOTIFY_API_KEY" in banner(client)
    issue(client, "sms")
    assert "Text messages need GOV.UK Notify: set NOTIFY_API_KEY" in banner(client)
    assert (count(VerificationCode), count(Message)) == (0, 0)

    response = issue(client, None)  # a form from before the choice: the download
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["reference"] for r in rows] == ["A1", "A2", "A3"]
    assert count(Message) == 0


def test_a_tampered_choice_issues_nothing(client, db, home):
    officer(client)
    upload(client, ROLL)

    issue(client, "pigeon")

    assert "Select how the codes should go from the list" in banner(client)
    assert count(VerificationCode) == 0


def test_the_expiry_is_an_iso_time(client, db, home, notify):
    officer(client)
    upload(client, ROLL)
    issue(client, "letter")

    for message in messages():
        assert datetime.fromisoformat(message.data["expires"]).tzinfo is not None


def test_notify_templates_name_a_channel_only_one_the_kind_is_sent_by():
    from app.web.messages.gateways import SettingsError, notify_templates

    both = {"voting_code.letter": {"en": LETTER_EN}, "voting_code.sms": {"cy": SMS_CY}}
    assert notify_templates(json.dumps(both)) == both
    for wrong in ("voting_code.email", "fingerprints.sms"):
        with pytest.raises(SettingsError, match="not sent by"):
            notify_templates({wrong: {"en": LETTER_EN}})
    with pytest.raises(SettingsError, match="unknown kind"):
        notify_templates({"posted_code.letter": {"en": LETTER_EN}})
