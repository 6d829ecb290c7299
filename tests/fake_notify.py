"""A local stand-in for the GOV.UK Notify API (v2), for tests, benchmarks and CI.

It answers what ``notifications_python_client`` sends, checks each request by Notify's rules
(JSON Web Token, request schema, templates and their personalisation, recipients, letter
addresses) and answers in Notify's shapes, with Notify's error messages, so that code tested
against it meets the same refusals as it would in production. Nothing is delivered: what was
accepted is kept in ``fake.sent``, every request with its answer in ``fake.requests``.

In a test (``tests/conftest.py`` serves one per test worker)::

    def test_code_by_text(fake_notify):
        fake_notify.add_template(TEMPLATE_ID, "sms", fields=["code"])
        client = NotificationsAPIClient(fake_notify.api_key, base_url=fake_notify.base_url)
        ...
        assert fake_notify.sent[0]["personalisation"] == {"code": "ABCD-1234"}

    fake_notify.fail_next(429)        # the next request is rate limited, then normal service

From a shell (CI, benchmarks)::

    python -m tests.fake_notify --port 8025 --templates templates.json   # prints its URL
    python -m tests.fake_notify --api-key                               # prints the key it expects
    curl http://127.0.0.1:8025/_fake/sent       # what it accepted, as JSON (the fake's own)

``GET /_fake/sent`` is not part of Notify's API: it is the fake's own, for a check from another
process (the production recipe's test), and needs no key. It answers ``{"sent": [...]}``, the
accepted messages as ``fake.sent`` lists them, ``received_at`` in ISO 8601.

The rules mirror GOV.UK Notify's API documentation (docs.notifications.service.gov.uk) for a
live service without international text messages, landlines or international letters. Not
served: precompiled letters, file uploads, scheduled sending, the template endpoints.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import re
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

CHANNELS = ("email", "sms", "letter")
KEY_NAME = "devolve_test"
SERVICE_ID = "e28f245a-1002-4aa5-b824-dc74509d7a81"
SECRET = "df29d8c9-f011-44ab-8258-cccc5580ae23"
EMAIL_FROM = "devolve.test@notifications.service.gov.uk"
SMS_FROM = "GOVUK"
TOKEN_BOUND_SECONDS = 30
TOKEN_HELP = (
    "Invalid token: make sure your API token matches the example at "
    "https://docs.notifications.service.gov.uk/rest-api.html#authorisation-header"
)

# What ``fail_next(status)`` answers unless told otherwise: Notify's own error for each.
FAILURES = {
    400: ("BadRequestError", "An error occurred"),
    403: ("AuthError", "Invalid token: API key not found"),
    429: (
        "RateLimitError",
        "Exceeded rate limit for key type TEST of 3000 requests per 60 seconds",
    ),
    500: ("Exception", "Internal server error"),
    503: ("Exception", "Service unavailable"),
}


def fake_key(name: str = KEY_NAME, service_id: str = SERVICE_ID, secret: str = SECRET) -> str:
    """An API key of Notify's shape, ``{name}-{service id}-{secret}``; by default the one a
    ``FakeNotify()`` expects."""
    return f"{name}-{service_id}-{secret}"


class NotifyError(Exception):
    """A refusal, answered as Notify's v2 error body."""

    def __init__(self, status: int, error: str, *messages: str) -> None:
        super().__init__(f"{status} {error}: {'; '.join(messages)}")
        self.status = status
        self.body = {
            "status_code": status,
            "errors": [{"error": error, "message": message} for message in messages],
        }


def _bad_request(message: str, status: int = 400) -> NotifyError:
    return NotifyError(status, "BadRequestError", message)


def _invalid(*messages: str) -> NotifyError:
    return NotifyError(400, "ValidationError", *messages)


def _is_uuid(value: object) -> bool:
    try:
        uuid.UUID(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, AttributeError):
        return False
    return True


def _key(name: str) -> str:
    """Notify matches personalisation to placeholders ignoring case, spaces, ``_`` and ``-``."""
    return re.sub(r"[ _-]", "", name).lower()


def _shown(value: object) -> str:
    """A value as Notify's schema messages show it (Python's repr without quotes)."""
    return repr(value).replace("'", "")


# ---------------------------------------------------------------------------------------------
# Recipients


_INTERNATIONAL = "international"


def _uk_mobile_problem(number: str) -> str | None:
    """Why ``number`` is not a UK mobile number, in Notify's words, or None.

    Notify takes 07..., 447..., +447..., +44 (0)7... with spaces, brackets and dashes. A number
    with another country code is "international", refused later (the service may not send
    abroad); a landline is "Not a UK mobile number" (the service may not text landlines).
    """
    if any(not (c in "0123456789()-+" or c.isspace()) for c in number):
        return "Must not contain letters or symbols"
    digits = "".join(c for c in number if c.isdigit())
    if number.strip().startswith(("+", "00")):
        digits = digits.removeprefix("00")
        if not digits.startswith("44"):
            return _INTERNATIONAL
        digits = digits[2:]
    elif digits.startswith("44") and len(digits) >= 12:
        digits = digits[2:]
    digits = digits.lstrip("0")
    if not digits:
        return "Not enough digits"
    if not digits.startswith("7"):
        return "Not a UK mobile number"
    if len(digits) > 10:
        return "Too many digits"
    if len(digits) < 10:
        return "Not enough digits"
    return None


_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@([^.@\s][^@\s]+)")
_HOST_LABEL = re.compile(r"[a-z0-9]+(-+[a-z0-9]+)*", re.IGNORECASE)
_TOP_LEVEL = re.compile(r"[a-z]{2,63}|xn--[a-z0-9-]+", re.IGNORECASE)


def _is_email(address: str) -> bool:
    """Notify's email rule: a plain local part (no quotes or semicolons), no ``..``, a host of
    at least two dot-separated labels of letters, digits and inner hyphens, a real-looking
    top-level domain, and no more than 320 characters."""
    address = address.strip()
    match = _EMAIL.fullmatch(address)
    if not match or len(address) > 320 or ".." in address:
        return False
    try:
        host = match.group(1).encode("idna").decode("ascii")
    except UnicodeError:
        return False
    labels = host.split(".")
    return (
        len(host) <= 253
        and len(labels) >= 2
        and all(len(label) <= 63 and _HOST_LABEL.fullmatch(label) for label in labels)
        and bool(_TOP_LEVEL.fullmatch(labels[-1]))
    )


# Royal Mail's postcode areas; a postcode is an area, a district and an inward code.
_POSTCODE_AREAS = (
    "AB AL B BA BB BD BF BH BL BN BR BS BT CA CB CF CH CM CO CR CT CV CW DA DD DE DG DH DL DN "
    "DT DY E EC EH EN EX FK FY G GL GU GY HA HD HG HP HR HS HU HX IG IM IP IV JE KA KT KW KY L "
    "LA LD LE LL LN LS LU M ME MK ML N NE NG NN NP NR NW OL OX PA PE PH PL PO PR RG RH RM S SA "
    "SE SG SK SL SM SN SO SP SR SS ST SW SY TA TD TF TN TQ TR TS TW UB W WA WC WD WF WN WR WS "
    "WV YO ZE"
)
_POSTCODE = re.compile(
    rf"(?:{_POSTCODE_AREAS.replace(' ', '|')})"
    r"[0-9][0-9A-Z]?[0-9][ABD-HJLNP-UW-Z]{2}"
)
_UK_NAMES = {
    "uk",
    "united kingdom",
    "great britain",
    "england",
    "scotland",
    "wales",
    "northern ireland",
}
_ADDRESS_KEYS = [f"address_line_{n}" for n in range(1, 7)]
_BAD_LINE_STARTS = tuple('@()=[]"\\/,<>~')


def _postcode(line: str) -> str | None:
    """``line`` as a printed UK postcode ("SW1A 1AA"), or None if it is not a real-looking one."""
    squashed = "".join(line.split()).upper()
    return f"{squashed[:-3]} {squashed[-3:]}" if _POSTCODE.fullmatch(squashed) else None


def _letter_address(personalisation: Mapping[str, Any]) -> list[str]:
    """The address lines of a letter, as Notify checks and prints them.

    Lines 1 to 6 and then ``address_line_7``, or ``postcode`` in a template that still uses it;
    blank lines dropped, spaces squashed, trailing commas and a trailing "United Kingdom"
    (or England, Wales...) removed. Then Notify's rules in its order: 3 to 7 lines, letters or
    digits in the first two, a real UK postcode last (no international letters), no line
    starting with a character the printer refuses, no "no fixed abode".
    """
    if "address_line_1" not in personalisation:
        raise _invalid("personalisation address_line_1 is a required property")
    last = "address_line_7" if "address_line_7" in personalisation else "postcode"
    text = "\n".join(str(personalisation.get(key) or "") for key in [*_ADDRESS_KEYS, last])
    lines = [" ".join(line.split()).rstrip(" ,") for line in text.splitlines()]
    lines = [line for line in lines if line]
    while lines and lines[-1].lower() in _UK_NAMES:
        lines.pop()
    if len(lines) < 3:
        raise _invalid("Address must be at least 3 lines")
    if len(lines) > 7:
        raise _invalid("Address must be no more than 7 lines")
    if not all(re.search(r"[A-Za-z0-9]", line) for line in lines[:2]):
        raise _invalid(
            "The first 2 lines of the address must both include at least one alphanumeric character"
        )
    postcode = _postcode(lines[-1])
    if postcode is None:
        raise _invalid("Must be a real UK postcode")
    if any(line.startswith(_BAD_LINE_STARTS) for line in lines):
        raise _invalid(
            "Address lines must not start with any of the following characters: "
            "@ ( ) = [ ] \u201d \\ / , < >"
        )
    if any(line.lower() == "nfa" for line in lines) or re.search(
        r"no fixed (abode|address)", "\n".join(lines), re.IGNORECASE
    ):
        raise _invalid("Must be a real address")
    return [*lines[:-1], postcode]


# ---------------------------------------------------------------------------------------------
# Request bodies

# Each endpoint's fields in the order Notify's schema lists them (its errors come in that
# order), their kind, and the required ones. Anything else is refused.
_SCHEMAS: dict[str, tuple[dict[str, str], tuple[str, ...]]] = {
    "email": (
        {
            "reference": "reference",
            "email_address": "email",
            "template_id": "uuid",
            "personalisation": "object",
            "email_reply_to_id": "uuid",
            "one_click_unsubscribe_url": "https",
            "sanitise_content_for": "array",
        },
        ("email_address", "template_id"),
    ),
    "sms": (
        {
            "reference": "reference",
            "phone_number": "phone",
            "template_id": "uuid",
            "personalisation": "object",
            "sms_sender_id": "uuid",
        },
        ("phone_number", "template_id"),
    ),
    "letter": (
        {"reference": "reference", "template_id": "uuid", "personalisation": "object"},
        ("template_id", "personalisation"),
    ),
}


def _field_problem(name: str, kind: str, value: object) -> str | None:
    """Notify's schema message for one field, or None if it passes."""
    if kind == "uuid":
        return None if isinstance(value, str) and _is_uuid(value) else f"{name} is not a valid UUID"
    if kind == "https":
        ok = isinstance(value, str) and value.startswith("https") and "://" in value
        return None if ok else f"{name} is not a valid https url"
    if kind == "object":
        return None if isinstance(value, dict) else f"{name} {_shown(value)} is not of type object"
    if kind == "array":
        ok = value is None or isinstance(value, list)
        return None if ok else f"{name} {_shown(value)} is not of type array, null"
    if not isinstance(value, str):
        return f"{name} {_shown(value)} is not of type string"
    if kind == "reference" and len(value) > 1000:
        return f"{name} {value} is too long"
    if kind == "email" and not _is_email(value):
        return f"{name} Not a valid email address"
    if kind == "phone" and (problem := _uk_mobile_problem(value)) not in (None, _INTERNATIONAL):
        return f"{name} {problem}"
    return None


def _schema_errors(form: object, channel: str) -> list[str]:
    """Every schema refusal of a request body at once, as Notify lists them."""
    if not isinstance(form, dict):
        return [f"{_shown(form)} is not of type object"]
    fields, required = _SCHEMAS[channel]
    errors = [
        problem
        for name, kind in fields.items()
        if name in form and (problem := _field_problem(name, kind, form[name]))
    ]
    errors += [f"{name} is a required property" for name in required if name not in form]
    if extra := sorted(name for name in form if name not in fields):
        verb = "was" if len(extra) == 1 else "were"
        errors.append(
            f"Additional properties are not allowed ({', '.join(extra)} {verb} unexpected)"
        )
    return errors


# ---------------------------------------------------------------------------------------------
# Templates

_PLACEHOLDER = re.compile(r"\(\(([^()]+)\)\)")
_FALSE_WORDS = {"", "no", "n", "false", "f", "0"}


@dataclass(frozen=True)
class Template:
    """A template registered with the fake: its channel, the placeholders it needs, and the
    content a message shows (``((name))`` placeholders, ``((name??text))`` optional text)."""

    id: str
    channel: str
    fields: tuple[str, ...]
    body: str
    subject: str | None
    version: int
    postage: str | None

    def missing(self, values: Mapping[str, Any]) -> list[str]:
        return [field for field in self.fields if values.get(_key(field)) is None]

    def render(self, text: str | None, values: Mapping[str, Any]) -> str | None:
        def fill(match: re.Match[str]) -> str:
            name, conditional, shown = match.group(1).partition("??")
            value = values.get(_key(name.strip()))
            if conditional:
                return shown if str(value).strip().lower() not in _FALSE_WORDS else ""
            if isinstance(value, list):
                return "\n".join(f"* {item}" for item in value)
            return str(value)

        return None if text is None else _PLACEHOLDER.sub(fill, text)


def _placeholders(*texts: str | None) -> list[str]:
    names: dict[str, str] = {}
    for text in texts:
        for match in _PLACEHOLDER.finditer(text or ""):
            name = match.group(1).partition("??")[0].strip()
            names.setdefault(_key(name), name)
    return list(names.values())


# ---------------------------------------------------------------------------------------------
# The service


class FakeNotify:
    """A WSGI app answering as GOV.UK Notify does for one service with one API key.

    ``api_key``: the key requests must be signed with (Notify's shape, see ``fake_key``).
    ``rate_limit_per_second``: refuse more than this many sends in any second with 429
    RateLimitError, like Notify's rate limit (None: no limit). ``clock``: seconds since the
    epoch, for the token's ``iat`` check, the rate limit and ``received_at``.

    Served: POST /v2/notifications/email, /sms, /letter and GET /v2/notifications/<id>; and
    the fake's own GET /_fake/sent (what it accepted, for another process to read).
    ``base_url`` is set while ``serve`` runs it. Thread-safe: one lock guards all state.
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        rate_limit_per_second: float | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.api_key = api_key or fake_key()
        self.service_id, self._secret = self.api_key[-73:-37], self.api_key[-36:]
        if not (
            len(self.api_key) > 74
            and self.api_key[-74] == "-"
            and self.api_key[-37] == "-"
            and all(_is_uuid(part) for part in (self.service_id, self._secret))
        ):
            raise ValueError("a Notify API key is {name}-{service id uuid}-{secret uuid}")
        self.rate_limit_per_second = self._rate_limit = rate_limit_per_second
        self.base_url: str | None = None
        self._clock = clock
        self._lock = threading.Lock()
        self._templates: dict[str, Template] = {}
        self._senders: dict[str, dict[str, str]] = {"email": {}, "sms": {}}
        self._sent: list[dict[str, Any]] = []
        self._requests: list[dict[str, Any]] = []
        self._failures: deque[list[Any]] = deque()
        self._window: deque[float] = deque()

    # -- set-up and inspection ------------------------------------------------------------

    def add_template(
        self,
        template_id: str,
        channel: str,
        fields: Iterable[str] = (),
        *,
        body: str | None = None,
        subject: str | None = None,
        version: int = 1,
        postage: str = "second",
    ) -> Template:
        """Register a template. It needs every ``field`` and every ``((placeholder))`` of
        ``body`` and ``subject`` (default body: the fields, one per line)."""
        if channel not in CHANNELS:
            raise ValueError(f"channel must be one of {', '.join(CHANNELS)}, not {channel!r}")
        if not _is_uuid(template_id):
            raise ValueError(f"a template id is a UUID, not {template_id!r}")
        fields = list(fields)
        if body is None:
            body = "\n".join(f"(({field}))" for field in fields)
        if subject is None and channel != "sms":
            subject = "Devolve test message"
        template = Template(
            id=str(uuid.UUID(template_id)),
            channel=channel,
            fields=tuple(_placeholders(subject, body, *(f"(({field}))" for field in fields))),
            body=body,
            subject=subject if channel != "sms" else None,
            version=version,
            postage=postage if channel == "letter" else None,
        )
        with self._lock:
            self._templates[template.id] = template
        return template

    def add_sender(self, sender_id: str, channel: str, sender: str | None = None) -> None:
        """Register an ``email_reply_to_id`` (channel "email") or ``sms_sender_id`` ("sms");
        Notify refuses ids the service has not set up. ``sender``: the address or name."""
        if channel not in self._senders or not _is_uuid(sender_id):
            raise ValueError("a sender is a UUID for the email or sms channel")
        default = "replies@devolve.example" if channel == "email" else SMS_FROM
        with self._lock:
            self._senders[channel][str(uuid.UUID(sender_id))] = sender or default

    def fail_next(
        self, status: int, count: int = 1, error: str | None = None, message: str | None = None
    ) -> None:
        """Answer the next ``count`` requests with ``status`` and Notify's error for it (or
        ``error``/``message``), before any other check; then serve normally. Calls queue up."""
        if count < 1:
            raise ValueError("count must be at least 1")
        default_error, default_message = FAILURES.get(
            status, ("Exception", "Internal server error")
        )
        with self._lock:
            self._failures.append(
                [status, error or default_error, message or default_message, count]
            )

    def set_status(self, notification_id: str, status: str) -> None:
        """Change what GET /v2/notifications/<id> says about a sent message."""
        with self._lock:
            for notification in self._sent:
                if notification["id"] == notification_id:
                    notification["status"] = status
                    return
        raise KeyError(notification_id)

    @property
    def sent(self) -> list[dict[str, Any]]:
        """The accepted messages, oldest first: id, channel, to, template_id, template_version,
        personalisation, reference, email_reply_to_id, sms_sender_id,
        one_click_unsubscribe_url, body, subject, postage, status, received_at (UTC)."""
        with self._lock:
            return list(self._sent)

    @property
    def requests(self) -> list[dict[str, Any]]:
        """Every request, oldest first: method, path, body (JSON, else text), status, answer,
        received_at."""
        with self._lock:
            return list(self._requests)

    def reset(self) -> None:
        """Forget templates, senders, messages, requests and scripted failures, and put the
        rate limit back to the one given at creation."""
        with self._lock:
            self._templates.clear()
            for senders in self._senders.values():
                senders.clear()
            self._sent.clear()
            self._requests.clear()
            self._failures.clear()
            self._window.clear()
            self.rate_limit_per_second = self._rate_limit

    # -- WSGI --------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        if request.path.rstrip("/") == "/_fake/sent":
            return self._own_sent(request)(environ, start_response)
        raw = request.get_data(as_text=True)
        with self._lock:
            status, answer = self._answer(request, raw)
            try:
                body: Any = json.loads(raw) if raw else None
            except ValueError:
                body = raw
            self._requests.append(
                {
                    "method": request.method,
                    "path": request.path,
                    "body": body,
                    "status": status,
                    "answer": answer,
                    "received_at": self._now(),
                }
            )
        response = Response(json.dumps(answer), status=status, mimetype="application/json")
        return response(environ, start_response)

    def _own_sent(self, request: Request) -> Response:
        """The fake's own GET /_fake/sent: what it accepted, oldest first (not recorded in
        ``requests``, which stays what a Notify client sent)."""
        if request.method != "GET":
            return Response(
                json.dumps({"result": "error", "message": "The method is not allowed"}),
                status=405,
                mimetype="application/json",
            )
        sent = [{**n, "received_at": n["received_at"].isoformat()} for n in self.sent]
        return Response(json.dumps({"sent": sent}), status=200, mimetype="application/json")

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    def _answer(self, request: Request, raw: str) -> tuple[int, dict[str, Any]]:
        path, method = request.path.rstrip("/"), request.method
        send = re.fullmatch(r"/v2/notifications/(email|sms|letter)", path)
        lookup = re.fullmatch(r"/v2/notifications/([^/]+)", path)
        if not (send and method == "POST") and not (lookup and method == "GET"):
            if send or lookup:
                return 405, {"result": "error", "message": "The method is not allowed"}
            return 404, {"result": "error", "message": "Not found"}
        try:
            if self._failures:
                failure = self._failures[0]
                failure[3] -= 1
                if failure[3] == 0:
                    self._failures.popleft()
                raise NotifyError(*failure[:3])
            self._check_token(request.headers.get("Authorization"))
            if send:
                return 201, self._send(send.group(1), raw, request.host_url)
            return 200, self._lookup(lookup.group(1), request.host_url)  # type: ignore[union-attr]
        except NotifyError as refusal:
            return refusal.status, refusal.body

    # -- Notify's checks ----------------------------------------------------------------------

    def _check_token(self, header: str | None) -> None:
        """Notify's authorisation header: ``Bearer <JWT>``, HS256, ``iss`` the service id,
        ``iat`` within 30 seconds of now, signed with the API key's secret. Missing or not
        Bearer: 401; anything else wrong: 403 AuthError with Notify's message for it."""
        if not header:
            raise NotifyError(
                401, "AuthError", "Unauthorized: authentication token must be provided"
            )
        if header[:7].title() != "Bearer ":
            raise NotifyError(
                401, "AuthError", "Unauthorized: authentication bearer scheme must be used"
            )
        try:
            head_part, claims_part, signature_part = header[7:].split(".")
            head, claims = (json.loads(_unbase64(part)) for part in (head_part, claims_part))
            signature = _unbase64(signature_part)
            if not (isinstance(head, dict) and isinstance(claims, dict)):
                raise ValueError("not a JSON object")
        except ValueError as e:
            raise NotifyError(403, "AuthError", TOKEN_HELP) from e
        if "iss" not in claims:
            raise NotifyError(403, "AuthError", "Invalid token: iss field not provided")
        if not _is_uuid(claims["iss"]):
            raise NotifyError(
                403, "AuthError", "Invalid token: service id is not the right data type"
            )
        if uuid.UUID(claims["iss"]) != uuid.UUID(self.service_id):
            raise NotifyError(403, "AuthError", "Invalid token: service not found")
        if head.get("alg") != "HS256":
            raise NotifyError(403, "AuthError", "Invalid token: algorithm used is not HS256")
        signed = f"{head_part}.{claims_part}".encode()
        expected = hmac.new(self._secret.encode(), signed, hashlib.sha256).digest()
        if not hmac.compare_digest(expected, signature) or "iat" not in claims:
            raise NotifyError(403, "AuthError", "Invalid token: API key not found")
        iat, now = claims["iat"], int(self._clock())
        if (
            isinstance(iat, bool)
            or not isinstance(iat, int | float)
            or abs(now - iat) > TOKEN_BOUND_SECONDS
        ):
            raise NotifyError(
                403, "AuthError", "Error: Your system clock must be accurate to within 30 seconds"
            )

    def _check_rate(self) -> None:
        """Notify's API rate limit (3,000 a minute for a live service), here per second."""
        limit = self.rate_limit_per_second
        if not limit:
            return
        now = self._clock()
        while self._window and self._window[0] <= now - 1:
            self._window.popleft()
        if len(self._window) >= limit:
            raise NotifyError(
                429,
                "RateLimitError",
                f"Exceeded rate limit for key type TEST of {limit:g} requests per 1 seconds",
            )
        self._window.append(now)

    def _template_for(self, form: Mapping[str, Any], channel: str) -> Template:
        """The template must be this service's, for this channel, with all its
        personalisation given (a value of null counts as missing)."""
        template = self._templates.get(str(uuid.UUID(form["template_id"])))
        if template is None:
            raise _bad_request("Template not found")
        if template.channel != channel:
            raise _bad_request(
                f"{template.channel} template is not suitable for {channel} notification"
            )
        values = {_key(k): v for k, v in (form.get("personalisation") or {}).items()}
        if missing := template.missing(values):
            raise _bad_request(f"Missing personalisation: {', '.join(missing)}")
        return template

    def _sender(self, form: Mapping[str, Any], field: str, channel: str) -> str | None:
        """A reply-to address or text message sender must be one the service has set up."""
        sender_id = form.get(field)
        if sender_id is None:
            return None
        sender = self._senders[channel].get(str(uuid.UUID(sender_id)))
        if sender is None:
            raise _bad_request(
                f"{field} {sender_id} does not exist in database for service id {self.service_id}"
            )
        return sender

    def _send(self, channel: str, raw: str, root: str) -> dict[str, Any]:
        """POST /v2/notifications/<channel>, checked in Notify's order: rate limit, JSON,
        schema, template and personalisation, sender, recipient or address."""
        self._check_rate()
        try:
            form = json.loads(raw) or {}
        except ValueError as e:
            raise _bad_request("Invalid JSON supplied in POST data") from e
        if errors := _schema_errors(form, channel):
            raise _invalid(*errors)
        template = self._template_for(form, channel)
        personalisation = form.get("personalisation") or {}
        values = {_key(k): v for k, v in personalisation.items()}
        if channel == "email":
            self._sender(form, "email_reply_to_id", "email")
            to = form["email_address"]
        elif channel == "sms":
            sms_from = self._sender(form, "sms_sender_id", "sms") or SMS_FROM
            if _uk_mobile_problem(form["phone_number"]) == _INTERNATIONAL:
                raise _bad_request("Cannot send to international mobile numbers")
            to = form["phone_number"]
        else:
            to = "\n".join(_letter_address(personalisation))
        notification = {
            "id": str(uuid.uuid4()),
            "channel": channel,
            "to": to,
            "template_id": template.id,
            "template_version": template.version,
            "personalisation": personalisation,
            "reference": form.get("reference"),
            "email_reply_to_id": form.get("email_reply_to_id"),
            "sms_sender_id": form.get("sms_sender_id"),
            "one_click_unsubscribe_url": form.get("one_click_unsubscribe_url"),
            "body": template.render(template.body, values),
            "subject": template.render(template.subject, values),
            "postage": template.postage,
            "status": "received" if channel == "letter" else "delivered",
            "received_at": self._now(),
        }
        self._sent.append(notification)
        content: dict[str, Any] = {"body": notification["body"]}
        if channel == "email":
            content |= {
                "subject": notification["subject"],
                "from_email": EMAIL_FROM,
                "one_click_unsubscribe_url": notification["one_click_unsubscribe_url"],
            }
        elif channel == "sms":
            content["from_number"] = sms_from
        else:
            content["subject"] = notification["subject"]
        return {
            "id": notification["id"],
            "reference": notification["reference"],
            "content": content,
            "uri": f"{root}v2/notifications/{notification['id']}",
            "template": {
                "id": template.id,
                "version": template.version,
                "uri": f"{root}services/{self.service_id}/templates/{template.id}",
            },
            "scheduled_for": None,
        }

    def _lookup(self, notification_id: str, root: str) -> dict[str, Any]:
        """GET /v2/notifications/<id>: a message this service sent, in Notify's shape."""
        if not _is_uuid(notification_id):
            raise _invalid("notification_id is not a valid UUID")
        found = next((n for n in self._sent if n["id"] == notification_id), None)
        if found is None:
            raise NotifyError(404, "NoResultFound", "No result found")
        created = found["received_at"].strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        lines = found["to"].split("\n") if found["channel"] == "letter" else []
        return {
            "id": found["id"],
            "reference": found["reference"],
            "email_address": found["to"] if found["channel"] == "email" else None,
            "phone_number": found["to"] if found["channel"] == "sms" else None,
            **{f"line_{n}": lines[n - 1] if n <= len(lines) else None for n in range(1, 8)},
            "postage": found["postage"],
            "type": found["channel"],
            "status": found["status"],
            "template": {
                "id": found["template_id"],
                "version": found["template_version"],
                "uri": f"{root}v2/template/{found['template_id']}/version/"
                f"{found['template_version']}",
            },
            "body": found["body"],
            "subject": found["subject"],
            "created_at": created,
            "created_by_name": None,
            "sent_at": created,
            "completed_at": created if found["status"] == "delivered" else None,
            "scheduled_for": None,
            "one_click_unsubscribe": found["one_click_unsubscribe_url"],
            "is_cost_data_ready": False,
            "cost_in_pounds": None,
            "cost_details": {},
        }


def _unbase64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


# ---------------------------------------------------------------------------------------------
# Running it


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


@contextmanager
def serve(
    fake: FakeNotify, host: str = "127.0.0.1", port: int = 0, *, quiet: bool = True
) -> Iterator[str]:
    """Serve ``fake`` on ``host`` (a free port unless ``port``) in a daemon thread, threaded;
    yields its base URL (also ``fake.base_url``) and stops the server on leaving."""
    server = make_server(
        host, port, fake, threaded=True, request_handler=_QuietHandler if quiet else None
    )
    thread = threading.Thread(target=server.serve_forever, name="fake-notify", daemon=True)
    thread.start()
    fake.base_url = f"http://{host}:{server.server_port}"
    try:
        yield fake.base_url
    finally:
        fake.base_url = None
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.fake_notify",
        description="Serve a fake GOV.UK Notify API until killed; prints its URL first.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    parser.add_argument(
        "--templates",
        type=Path,
        help='JSON: {template_id: {"channel": "email|sms|letter", "fields": [...]}} '
        '(optional "body", "subject", "version", "postage")',
    )
    parser.add_argument(
        "--api-key",
        nargs="?",
        const="",
        help="the key requests must be signed with; given alone, print the default key and exit",
    )
    parser.add_argument(
        "--sender",
        action="append",
        default=[],
        metavar="CHANNEL:UUID",
        help="an email_reply_to_id (email:...) or sms_sender_id (sms:...) to accept; repeatable",
    )
    parser.add_argument("--rate-limit", type=float, metavar="PER_SECOND")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    if args.api_key == "":
        print(fake_key())
        return 0
    try:
        fake = FakeNotify(args.api_key, rate_limit_per_second=args.rate_limit)
        templates = json.loads(args.templates.read_text()) if args.templates else {}
        for template_id, spec in templates.items():
            fake.add_template(template_id, **spec)
        for sender in args.sender:
            channel, _, sender_id = sender.partition(":")
            fake.add_sender(sender_id, channel)
    except (OSError, ValueError, TypeError, AttributeError) as e:
        parser.error(str(e))
    with serve(fake, args.host, args.port, quiet=not args.verbose) as base_url:
        print(base_url, flush=True)
        print(
            f"fake GOV.UK Notify at {base_url}, {len(templates)} template(s), "
            f"API key {fake.api_key}",
            file=sys.stderr,
            flush=True,
        )
        with suppress(KeyboardInterrupt):
            threading.Event().wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
