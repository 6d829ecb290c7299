"""The fake GOV.UK Notify, driven through the real notifications-python-client.

Each refusal is checked by its status, error type and Notify's message, so that a fake which
stopped checking (or answered in other words) fails here.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from pathlib import Path

import jwt
import pytest
import requests
from notifications_python_client import NotificationsAPIClient, authentication
from notifications_python_client.errors import HTTPError

from tests.fake_notify import SERVICE_ID, FakeNotify, fake_key, serve

ROOT = Path(__file__).resolve().parent.parent
EMAIL = "3f5e2b0c-3d39-4c51-9d2e-8a1f9b6c7d01"
SMS = "8c2d6e4a-1b7f-4f0e-a3c5-2e9d7b1a6f02"
LETTER = "5a9b1c3d-7e2f-4a6b-8c0d-4f1e3a5b7c03"
ADDRESS = {
    "address_line_1": "The Occupier",
    "address_line_2": "1 High Street",
    "address_line_3": "Cardiff",
    "address_line_4": "cf10 1aa",
}


@pytest.fixture
def notify(fake_notify):
    fake_notify.add_template(EMAIL, "email", body="Hello ((name)), your code is ((code)).")
    fake_notify.add_template(SMS, "sms", fields=["code"])
    fake_notify.add_template(LETTER, "letter", fields=["name"])
    client = NotificationsAPIClient(fake_notify.api_key, base_url=fake_notify.base_url)
    yield client
    client.request_session.close()


def refusal(call, *args, **kwargs) -> tuple[int, list[dict]]:
    """The status and Notify's error list of a call the fake refuses."""
    with pytest.raises(HTTPError) as info:
        call(*args, **kwargs)
    return info.value.status_code, info.value.message


def only(error: str, message: str) -> list[dict]:
    return [{"error": error, "message": message}]


def test_an_email_is_accepted_answered_and_recorded(notify, fake_notify):
    answer = notify.send_email_notification(
        "Resident@Example.org",
        EMAIL,
        personalisation={"Name": "Ffion", "code": "ABCD-1234"},
        reference="ballot-1",
        one_click_unsubscribe_url="https://devolve.example/unsubscribe?u=1",
    )

    uuid.UUID(answer["id"])
    assert answer["reference"] == "ballot-1"
    assert answer["content"]["body"] == "Hello Ffion, your code is ABCD-1234."
    assert answer["content"]["subject"]
    assert answer["content"]["one_click_unsubscribe_url"].endswith("?u=1")
    assert answer["uri"] == f"{fake_notify.base_url}/v2/notifications/{answer['id']}"
    assert answer["template"] == {
        "id": EMAIL,
        "version": 1,
        "uri": f"{fake_notify.base_url}/services/{SERVICE_ID}/templates/{EMAIL}",
    }
    assert answer["scheduled_for"] is None
    [sent] = fake_notify.sent
    assert sent["id"] == answer["id"]
    assert sent["channel"] == "email"
    assert sent["to"] == "Resident@Example.org"
    assert sent["template_id"] == EMAIL
    assert sent["personalisation"] == {"Name": "Ffion", "code": "ABCD-1234"}
    assert sent["reference"] == "ballot-1"
    assert sent["received_at"].tzinfo is not None
    assert [(r["method"], r["path"], r["status"]) for r in fake_notify.requests] == [
        ("POST", "/v2/notifications/email", 201)
    ]


@pytest.mark.parametrize("number", ["07700 900123", "+44 7700 900123", "+44 (0)7700-900-123"])
def test_a_text_message_to_a_uk_mobile_is_accepted(notify, fake_notify, number):
    answer = notify.send_sms_notification(number, SMS, personalisation={"code": "X1"})

    assert answer["content"] == {"body": "X1", "from_number": "GOVUK"}
    assert [(s["channel"], s["to"], s["body"]) for s in fake_notify.sent] == [("sms", number, "X1")]


def test_a_letter_is_accepted_with_its_address_as_printed(notify, fake_notify):
    answer = notify.send_letter_notification(
        LETTER, {**ADDRESS, "address_line_5": "Wales", "name": "Ffion"}, reference="letter-1"
    )

    assert answer["content"]["body"] == "Ffion"
    assert answer["scheduled_for"] is None
    assert "postage" not in answer  # templated letters: only a precompiled one answers postage
    [sent] = fake_notify.sent
    assert sent["to"] == "The Occupier\n1 High Street\nCardiff\nCF10 1AA"
    assert sent["postage"] == "second"


def test_a_sent_message_can_be_looked_up(notify, fake_notify):
    sent = notify.send_sms_notification("07700900123", SMS, personalisation={"code": "X1"})

    found = notify.get_notification_by_id(sent["id"])
    assert (found["type"], found["phone_number"], found["status"]) == (
        "sms",
        "07700900123",
        "delivered",
    )
    fake_notify.set_status(sent["id"], "permanent-failure")
    assert notify.get_notification_by_id(sent["id"])["status"] == "permanent-failure"
    assert refusal(notify.get_notification_by_id, str(uuid.uuid4())) == (
        404,
        only("NoResultFound", "No result found"),
    )
    assert refusal(notify.get_notification_by_id, "nope") == (
        400,
        only("ValidationError", "notification_id is not a valid UUID"),
    )


# -- authorisation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "message"),
    [
        (fake_key(secret=str(uuid.uuid4())), "Invalid token: API key not found"),
        (fake_key(service_id=str(uuid.uuid4())), "Invalid token: service not found"),
    ],
    ids=["wrong-secret", "wrong-service"],
)
def test_a_wrong_key_is_refused(fake_notify, key, message):
    fake_notify.add_template(SMS, "sms")
    client = NotificationsAPIClient(key, base_url=fake_notify.base_url)

    try:
        assert refusal(client.send_sms_notification, "07700900123", SMS) == (
            403,
            only("AuthError", message),
        )
    finally:
        client.request_session.close()
    assert fake_notify.sent == []


@pytest.mark.parametrize("skew", [-40, 40], ids=["expired", "future"])
def test_a_token_issued_more_than_30_seconds_away_is_refused(
    notify, fake_notify, monkeypatch, skew
):
    monkeypatch.setattr(authentication, "epoch_seconds", lambda: int(time.time()) + skew)

    assert refusal(notify.send_sms_notification, "07700900123", SMS, {"code": "1"}) == (
        403,
        only("AuthError", "Error: Your system clock must be accurate to within 30 seconds"),
    )
    assert fake_notify.sent == []


def test_a_token_a_few_seconds_off_is_accepted(notify, monkeypatch):
    monkeypatch.setattr(authentication, "epoch_seconds", lambda: int(time.time()) - 20)

    assert notify.send_sms_notification("07700900123", SMS, {"code": "1"})["id"]


def post(fake, path, body, token=None, headers=None):
    return requests.post(
        fake.base_url + path,
        data=body if isinstance(body, str) else json.dumps(body),
        headers=headers if headers is not None else {"Authorization": f"Bearer {token}"},
        timeout=10,
    )


def token(secret: str = fake_key()[-36:], algorithm="HS256", **claims) -> str:
    claims = {"iss": SERVICE_ID, "iat": int(time.time())} | claims
    return jwt.encode(claims, secret, algorithm=algorithm)


@pytest.mark.parametrize(
    ("headers", "status", "message"),
    [
        ({}, 401, "Unauthorized: authentication token must be provided"),
        ({"Authorization": "Basic abc"}, 401, "Unauthorized: authentication bearer scheme must be used"),  # noqa: E501
        ({"Authorization": f"Bearer {token(secret='s' * 64, algorithm='HS512')}"}, 403, "Invalid token: algorithm used is not HS256"),  # noqa: E501
        ({"Authorization": f"Bearer {token(iss='not-a-service-id')}"}, 403, "Invalid token: service id is not the right data type"),  # noqa: E501
        ({"Authorization": "Bearer not.a.token"}, 403, None),
    ],
    ids=["no-header", "not-bearer", "not-hs256", "iss-not-uuid", "not-a-jwt"],
)  # fmt: skip
def test_an_unusable_authorisation_header_is_refused(fake_notify, headers, status, message):
    answer = post(fake_notify, "/v2/notifications/sms", {}, headers=headers)

    assert answer.status_code == status
    [error] = answer.json()["errors"]
    assert error["error"] == "AuthError"
    assert error["message"] == message or message is None and "Invalid token" in error["message"]


def test_a_token_signed_with_the_secret_is_accepted_and_nothing_else(fake_notify):
    fake_notify.add_template(SMS, "sms")
    body = {"phone_number": "07700900123", "template_id": SMS}

    assert post(fake_notify, "/v2/notifications/sms", body, token()).status_code == 201
    wrong = post(fake_notify, "/v2/notifications/sms", body, token(secret=str(uuid.uuid4())))
    assert wrong.status_code == 403
    no_iat = jwt.encode({"iss": SERVICE_ID}, fake_key()[-36:], algorithm="HS256")
    assert post(fake_notify, "/v2/notifications/sms", body, no_iat).status_code == 403
    assert len(fake_notify.sent) == 1


# -- what Notify refuses -------------------------------------------------------------------


def test_missing_personalisation_is_refused(notify, fake_notify):
    assert refusal(notify.send_email_notification, "a@example.org", EMAIL, {"name": "F"}) == (
        400,
        only("BadRequestError", "Missing personalisation: code"),
    )
    assert refusal(notify.send_email_notification, "a@example.org", EMAIL) == (
        400,
        only("BadRequestError", "Missing personalisation: name, code"),
    )
    assert fake_notify.sent == []


@pytest.mark.parametrize(
    "address", ["resident.example.org", "a@b", "a..b@example.org", "a b@example.org", "a@-x.org"]
)
def test_a_bad_email_address_is_refused(notify, fake_notify, address):
    assert refusal(notify.send_email_notification, address, EMAIL, {"name": "F", "code": "1"}) == (
        400,
        only("ValidationError", "email_address Not a valid email address"),
    )
    assert fake_notify.sent == []


@pytest.mark.parametrize(
    ("number", "error", "message"),
    [
        ("07700 90012", "ValidationError", "phone_number Not enough digits"),
        ("077009001234", "ValidationError", "phone_number Too many digits"),
        ("029 2087 2087", "ValidationError", "phone_number Not a UK mobile number"),
        ("07700 9OO123", "ValidationError", "phone_number Must not contain letters or symbols"),
        ("+33 6 12 34 56 78", "BadRequestError", "Cannot send to international mobile numbers"),
    ],
)
def test_a_bad_phone_number_is_refused(notify, fake_notify, number, error, message):
    assert refusal(notify.send_sms_notification, number, SMS, {"code": "1"}) == (
        400,
        only(error, message),
    )
    assert fake_notify.sent == []


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ({"address_line_1": "The Occupier", "address_line_2": "CF10 1AA"},
         "Address must be at least 3 lines"),
        ({f"address_line_{n}": f"Line {n}" for n in range(1, 7)} | {"postcode": "CF10 1AA",
          "address_line_7": "CF10 1AA", "address_line_3": "A\nB"},
         "Address must be no more than 7 lines"),
        ({**ADDRESS, "address_line_4": "CF10 1A"}, "Must be a real UK postcode"),
        ({**ADDRESS, "address_line_4": "ZZ1 1ZZ"}, "Must be a real UK postcode"),
        ({**ADDRESS, "address_line_4": "France"}, "Must be a real UK postcode"),
        ({"address_line_2": "1 High Street", "address_line_3": "Cardiff", "postcode": "CF10 1AA"},
         "personalisation address_line_1 is a required property"),
        ({**ADDRESS, "address_line_2": "No fixed abode"}, "Must be a real address"),
    ],
    ids=["two-lines", "eight-lines", "short-postcode", "no-such-area", "abroad", "no-line-1", "nfa"],  # noqa: E501
)  # fmt: skip
def test_a_bad_letter_address_is_refused(notify, fake_notify, address, message):
    assert refusal(notify.send_letter_notification, LETTER, {**address, "name": "F"}) == (
        400,
        only("ValidationError", message),
    )
    assert fake_notify.sent == []


def test_an_unknown_or_wrong_template_is_refused(notify):
    unknown = str(uuid.uuid4())
    assert refusal(notify.send_sms_notification, "07700900123", unknown) == (
        400,
        only("BadRequestError", "Template not found"),
    )
    assert refusal(notify.send_sms_notification, "07700900123", EMAIL) == (
        400,
        only("BadRequestError", "email template is not suitable for sms notification"),
    )
    assert refusal(notify.send_sms_notification, "07700900123", "welcome") == (
        400,
        only("ValidationError", "template_id is not a valid UUID"),
    )


def test_an_unknown_sender_is_refused_and_a_known_one_used(notify, fake_notify):
    sender = str(uuid.uuid4())
    answer = refusal(notify.send_sms_notification, "07700900123", SMS, {"code": "1"}, None, sender)
    assert answer == (
        400,
        only(
            "BadRequestError",
            f"sms_sender_id {sender} does not exist in database for service id {SERVICE_ID}",
        ),
    )
    fake_notify.add_sender(sender, "sms", "Devolve")
    answer = notify.send_sms_notification("07700900123", SMS, {"code": "1"}, sms_sender_id=sender)
    assert answer["content"]["from_number"] == "Devolve"
    assert fake_notify.sent[0]["sms_sender_id"] == sender


def test_every_schema_error_is_listed_at_once(fake_notify):
    answer = post(fake_notify, "/v2/notifications/email", {"reference": 7, "extra": 1}, token())

    assert answer.status_code == 400
    assert answer.json() == {
        "status_code": 400,
        "errors": [
            {"error": "ValidationError", "message": m}
            for m in [
                "reference 7 is not of type string",
                "email_address is a required property",
                "template_id is a required property",
                "Additional properties are not allowed (extra was unexpected)",
            ]
        ],
    }
    invalid = post(fake_notify, "/v2/notifications/email", "{not json", token())
    assert invalid.json()["errors"] == only("BadRequestError", "Invalid JSON supplied in POST data")


# -- scripted failures and the rate limit --------------------------------------------------


def test_fail_next_429_then_normal_service(notify, fake_notify):
    fake_notify.fail_next(429)

    status, errors = refusal(notify.send_sms_notification, "07700900123", SMS, {"code": "1"})
    assert status == 429
    assert errors[0]["error"] == "RateLimitError"
    assert errors[0]["message"].startswith("Exceeded rate limit")
    assert notify.send_sms_notification("07700900123", SMS, {"code": "1"})["id"]
    assert [r["status"] for r in fake_notify.requests] == [429, 201]
    assert len(fake_notify.sent) == 1


def test_fail_next_500_twice_and_a_chosen_error(notify, fake_notify):
    fake_notify.fail_next(500, count=2)
    fake_notify.fail_next(
        429, error="TooManyRequestsError", message="Exceeded send limits (sms: 1)"
    )

    for _ in range(2):
        assert refusal(notify.send_sms_notification, "07700900123", SMS, {"code": "1"}) == (
            500,
            only("Exception", "Internal server error"),
        )
    assert refusal(notify.send_sms_notification, "07700900123", SMS, {"code": "1"}) == (
        429,
        only("TooManyRequestsError", "Exceeded send limits (sms: 1)"),
    )
    assert notify.send_sms_notification("07700900123", SMS, {"code": "1"})["id"]


def test_the_rate_limit_refuses_beyond_its_cap_each_second():
    now = [time.time()]
    fake = FakeNotify(rate_limit_per_second=2, clock=lambda: now[0])
    fake.add_template(SMS, "sms")
    with serve(fake) as base_url:
        client = NotificationsAPIClient(fake.api_key, base_url=base_url)
        try:
            client.send_sms_notification("07700900123", SMS)
            client.send_sms_notification("07700900123", SMS)
            status, errors = refusal(client.send_sms_notification, "07700900123", SMS)
            now[0] += 1.01
            client.send_sms_notification("07700900123", SMS)
        finally:
            client.request_session.close()
    assert status == 429
    assert errors == only(
        "RateLimitError", "Exceeded rate limit for key type TEST of 2 requests per 1 seconds"
    )
    assert len(fake.sent) == 3


def test_reset_forgets_everything(notify, fake_notify):
    notify.send_sms_notification("07700900123", SMS, {"code": "1"})
    fake_notify.fail_next(500)
    fake_notify.reset()

    assert (fake_notify.sent, fake_notify.requests) == ([], [])
    assert refusal(notify.send_sms_notification, "07700900123", SMS, {"code": "1"}) == (
        400,
        only("BadRequestError", "Template not found"),
    )


def test_keys_and_templates_must_have_notifys_shape():
    name, service_id, secret = fake_key()[:-74], fake_key()[-73:-37], fake_key()[-36:]
    assert name == "devolve_test"
    assert uuid.UUID(service_id) and uuid.UUID(secret)
    for bad in ["", "devolve_test", f"{service_id}-{secret}", f"x-{service_id}-not-a-uuid"]:
        with pytest.raises(ValueError, match="Notify API key"):
            FakeNotify(bad or "x")
    with pytest.raises(ValueError, match="channel"):
        FakeNotify().add_template(SMS, "fax")
    with pytest.raises(ValueError, match="UUID"):
        FakeNotify().add_template("welcome", "sms")


# -- the command line ----------------------------------------------------------------------


def test_the_command_line_serves_until_killed(tmp_path):
    templates = tmp_path / "templates.json"
    templates.write_text(json.dumps({SMS: {"channel": "sms", "fields": ["code"]}}))
    key = fake_key(name="ci", secret=str(uuid.uuid4()))
    command = [sys.executable, "-m", "tests.fake_notify", "--port", "0"]
    command += ["--templates", str(templates), "--api-key", key]
    with subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as server:
        try:
            base_url = server.stdout.readline().strip()
            assert base_url.startswith("http://127.0.0.1:"), server.stderr.read()
            client = NotificationsAPIClient(key, base_url=base_url)
            try:
                assert client.send_sms_notification("07700900123", SMS, {"code": "1"})["id"]
                assert refusal(client.send_sms_notification, "07700900123", SMS) == (
                    400,
                    only("BadRequestError", "Missing personalisation: code"),
                )
            finally:
                client.request_session.close()
        finally:
            server.terminate()
            server.wait(timeout=10)

    printed = subprocess.run(
        [sys.executable, "-m", "tests.fake_notify", "--api-key"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    assert printed.stdout.strip() == fake_key()


def test_what_was_sent_can_be_read_from_another_process(notify, fake_notify):
    """GET /_fake/sent, the fake's own: what a test in another process reads."""
    assert requests.get(f"{fake_notify.base_url}/_fake/sent", timeout=10).json() == {"sent": []}
    answer = notify.send_sms_notification("07700 900123", SMS, {"code": "ABCD"}, reference="m1")
    listed = requests.get(f"{fake_notify.base_url}/_fake/sent/", timeout=10).json()["sent"]
    assert [(n["id"], n["to"], n["reference"], n["body"]) for n in listed] == [
        (answer["id"], "07700 900123", "m1", "ABCD")
    ]
    assert listed[0]["received_at"] == fake_notify.sent[0]["received_at"].isoformat()
    assert requests.post(f"{fake_notify.base_url}/_fake/sent", timeout=10).status_code == 405
    # Reading it is not a request to Notify.
    assert [r["path"] for r in fake_notify.requests] == ["/v2/notifications/sms"]
