"""Where messages go out: GOV.UK Notify (email, text messages, letters), an SMTP server
(email), or, in development and tests, the log.

Which one a channel uses follows the settings (``config.py``; docs/notify.md):

- with ``NOTIFY_API_KEY``, every channel goes through Notify, email too unless
  ``EMAIL_GATEWAY=smtp``;
- without it, email goes to ``MAIL_SERVER`` (written to the log when there is none) and text
  messages and letters are written to the log (production refuses letters and texts then:
  ``available``).

A gateway either sends a message (returning its own id for it, if it gives one) or raises
``Undelivered``, saying whether trying again may work (``permanent``).
"""

from __future__ import annotations

import json
import logging
import re
import smtplib
from dataclasses import dataclass
from html import escape

from flask import Flask, current_app
from flask_mail import Message as MailMessage

from app.web.extensions import mail
from app.web.messages.wording import Worded
from app.workflow.models import Message, MessageChannel

log = logging.getLogger("devolve.messages")

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class Undelivered(Exception):
    def __init__(self, reason: str, *, permanent: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


class SettingsError(ValueError):
    """The gateways' settings cannot be used (the message says which and why)."""


def notify_templates(value) -> dict[str, dict[str, str]]:
    """``NOTIFY_TEMPLATES``: ``{kind: {language: template id}}``, as JSON or as the path of a
    JSON file (``@/etc/devolve/notify.json``). A kind sent by more than one channel (a voting
    code, by letter or text) has a template per channel: ``"voting_code.letter"``,
    ``"voting_code.sms"``. Raises ``SettingsError`` naming what is wrong: an unknown kind or
    channel, a language that is not a code, an id that is not a Notify id."""
    from app.workflow.outbox import KINDS

    if not value:
        return {}
    if isinstance(value, str):
        text = value
        if value.startswith("@"):
            try:
                with open(value[1:], encoding="utf-8") as f:
                    text = f.read()
            except OSError as e:
                raise SettingsError(f"NOTIFY_TEMPLATES: cannot read {value[1:]}: {e}") from e
        try:
            value = json.loads(text)
        except ValueError as e:
            raise SettingsError(f"NOTIFY_TEMPLATES is not JSON: {e}") from e
    if not isinstance(value, dict):
        raise SettingsError("NOTIFY_TEMPLATES must map each kind to {language: template id}")
    out: dict[str, dict[str, str]] = {}
    for kind, by_language in value.items():
        name, _, channel = str(kind).partition(".")
        if name not in KINDS:
            known = ", ".join(sorted(KINDS))
            raise SettingsError(f"NOTIFY_TEMPLATES names an unknown kind {kind!r} ({known})")
        if channel and channel not in {c.value for c in KINDS[name].channels}:
            raise SettingsError(
                f"NOTIFY_TEMPLATES names {kind!r}: {name} messages are not sent by {channel!r}"
            )
        if not isinstance(by_language, dict):
            raise SettingsError(f"NOTIFY_TEMPLATES[{kind!r}] must map languages to template ids")
        for language, template_id in by_language.items():
            if not re.fullmatch(r"[a-z]{2,3}", str(language)):
                raise SettingsError(f"NOTIFY_TEMPLATES[{kind!r}]: {language!r} is not a language")
            if not isinstance(template_id, str) or not UUID.fullmatch(template_id):
                raise SettingsError(
                    f"NOTIFY_TEMPLATES[{kind!r}][{language!r}] is not a Notify template id"
                )
        out[kind] = dict(by_language)
    return out


def letter_lines(address: str) -> list[str]:
    """A postal address's lines, blank ones left out (the postcode last)."""
    return [line.strip() for line in (address or "").splitlines() if line.strip()]


@dataclass
class MailGateway:
    """Email through Flask-Mail to ``MAIL_SERVER``; with none (development, tests) the email
    is written to the log instead, as it would have been sent."""

    app: Flask

    def send(self, message: Message, worded: Worded) -> str | None:
        mail_message = MailMessage(
            subject=worded.subject,
            recipients=[message.recipient],
            body=worded.body,
            html=as_html(worded.body, worded.subject, message.language),
            extra_headers=_unsubscribe_headers(worded),
        )
        if self.app.config.get("MAIL_SUPPRESS_SEND"):
            log.warning(
                "Email to %s not sent (no MAIL_SERVER):\n%s", message.recipient, worded.body
            )
        try:
            mail.send(mail_message)
        except smtplib.SMTPRecipientsRefused as e:
            raise Undelivered(f"the mail server refused the address: {e}", permanent=True) from e
        except (OSError, smtplib.SMTPException) as e:
            raise Undelivered(f"the mail server did not take it: {e}", permanent=False) from e
        return None


LINK = re.compile(r"https?://[^\s<>\"]+")


def as_html(text: str, title: str, language: str = "en") -> str:
    """The email's HTML part, made from its plain text (which comes first, so mail programs
    and screen readers that prefer it get it): a paragraph per paragraph, lines kept, links
    that can be followed, and nothing else (no images, no tracking, no styles that hide)."""
    paragraphs = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = [
            LINK.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escape(line))
            for line in block.splitlines()
        ]
        paragraphs.append("<p>" + "<br>\n".join(lines) + "</p>")
    return (
        f'<!DOCTYPE html>\n<html lang="{escape(language)}"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title></head>\n<body>\n"
        + "\n".join(paragraphs)
        + "\n</body></html>\n"
    )


def _unsubscribe_headers(worded: Worded) -> dict[str, str]:
    if not worded.unsubscribe:
        return {}
    # RFC 8058: mail programs offer their own "unsubscribe" and post to the link.
    return {
        "List-Unsubscribe": f"<{worded.unsubscribe}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


@dataclass
class LogGateway:
    """Text messages and letters in development and tests: written to the log."""

    channel: MessageChannel

    def send(self, message: Message, worded: Worded) -> str | None:
        log.warning(
            "%s to %s not sent (no NOTIFY_API_KEY):\n%s",
            "Letter" if self.channel == MessageChannel.LETTER else "Text message",
            message.recipient.replace("\n", ", "),
            worded.body,
        )
        return None


@dataclass
class NotifyGateway:
    """GOV.UK Notify, through its Python client: one Notify template per kind and language
    (``NOTIFY_TEMPLATES``), our fields as its personalisation, the message's id as its
    reference."""

    channel: MessageChannel
    client: object
    templates: dict[str, dict[str, str]]
    email_reply_to_id: str | None = None
    sms_sender_id: str | None = None

    def template_for(self, message: Message) -> str:
        by_channel = f"{message.kind}.{self.channel.value}"
        template_id = self.templates.get(by_channel, {}).get(message.language) or (
            self.templates.get(message.kind, {}).get(message.language)
        )
        if template_id is None:
            raise Undelivered(
                f"no GOV.UK Notify template for {message.kind} ({self.channel.value}) in "
                f"{message.language}: add it to NOTIFY_TEMPLATES as {by_channel} or "
                f"{message.kind}",
                permanent=True,
            )
        return template_id

    def send(self, message: Message, worded: Worded) -> str | None:
        from notifications_python_client.errors import APIError

        template_id = self.template_for(message)
        try:
            if self.channel == MessageChannel.EMAIL:
                answer = self.client.send_email_notification(
                    email_address=message.recipient,
                    template_id=template_id,
                    personalisation=worded.fields,
                    reference=message.id,
                    email_reply_to_id=self.email_reply_to_id,
                    one_click_unsubscribe_url=worded.unsubscribe,
                )
            elif self.channel == MessageChannel.SMS:
                answer = self.client.send_sms_notification(
                    phone_number=message.recipient,
                    template_id=template_id,
                    personalisation=worded.fields,
                    reference=message.id,
                    sms_sender_id=self.sms_sender_id,
                )
            else:
                lines = letter_lines(message.recipient)
                address = {f"address_line_{i}": line for i, line in enumerate(lines[:7], 1)}
                answer = self.client.send_letter_notification(
                    template_id=template_id,
                    personalisation={**worded.fields, **address},
                    reference=message.id,
                )
        except APIError as e:
            status = getattr(e, "status_code", 0) or 0
            # 400: Notify will never take it as it is (a bad address, a missing field).
            # 403 (a key revoked), 429 (over the rate), 5xx, no answer: it may later.
            raise Undelivered(f"GOV.UK Notify answered {e}", permanent=status == 400) from e
        return str((answer or {}).get("id") or "") or None


def notify_client(app: Flask):
    from notifications_python_client.notifications import NotificationsAPIClient

    key = str(app.config["NOTIFY_API_KEY"])
    # A key is "{name}-{service id}-{secret}", the two last UUIDs (Notify's API keys page).
    if len(key) < 74 or not (UUID.fullmatch(key[-73:-37]) and UUID.fullmatch(key[-36:])):
        raise SettingsError(
            "NOTIFY_API_KEY is not a GOV.UK Notify API key (it ends with two UUIDs: the "
            "service id and the secret)"
        )
    return NotificationsAPIClient(
        key,
        base_url=app.config["NOTIFY_BASE_URL"],
        timeout=app.config["NOTIFY_TIMEOUT_SECONDS"],
    )


def gateways(app: Flask) -> dict[MessageChannel, object]:
    """Each channel's gateway, as the settings choose."""
    out: dict[MessageChannel, object] = {}
    if app.config.get("NOTIFY_API_KEY"):
        templates = notify_templates(app.config.get("NOTIFY_TEMPLATES"))
        client = notify_client(app)
        for channel in MessageChannel:
            out[channel] = NotifyGateway(
                channel,
                client,
                templates,
                email_reply_to_id=app.config.get("NOTIFY_EMAIL_REPLY_TO_ID") or None,
                sms_sender_id=app.config.get("NOTIFY_SMS_SENDER_ID") or None,
            )
        if app.config.get("EMAIL_GATEWAY") == "smtp":
            out[MessageChannel.EMAIL] = MailGateway(app)
        return out
    out[MessageChannel.EMAIL] = MailGateway(app)
    out[MessageChannel.SMS] = LogGateway(MessageChannel.SMS)
    out[MessageChannel.LETTER] = LogGateway(MessageChannel.LETTER)
    return out


def available(channel: MessageChannel, app: Flask | None = None) -> bool:
    """Whether messages of ``channel`` can really be sent: always in development (they are
    written to the log); in production, letters and texts need GOV.UK Notify."""
    app = app or current_app
    if channel == MessageChannel.EMAIL or app.config.get("NOTIFY_API_KEY"):
        return True
    return app.config.get("ENV_NAME") != "production"
