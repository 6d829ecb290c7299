"""Sending email: links to confirm an address or choose a new password, and the note to someone
whose address was used to register again.

Messages go through Flask-Mail to ``MAIL_SERVER``. Without one (development, tests) nothing is
sent and each message is written to the log, so that a developer running the demo can still
follow a link.

Each message is written in its recipient's language (``language_for``): the one they chose
(kept on their account), else the language of the page they acted on. Its subject and body are
rendered with that language in force, whatever the page's own.

A message is rendered during the request but delivered once the response has gone out: the
time a page takes then does not tell whether an email was sent, that is, whether an address
has an account. A failure to deliver is logged; the person has already had the same answer as
everyone else.
"""

from __future__ import annotations

import smtplib

from flask import (
    Flask,
    after_this_request,
    current_app,
    has_request_context,
    render_template,
    request,
)
from flask_babel import force_locale
from flask_mail import Message

from app.web import i18n
from app.web.extensions import mail
from ballots.refusals import Text


def site_url(path: str) -> str:
    """``path`` on this site, for an email: under ``PUBLIC_URL`` when it is set (always in
    production), never under the Host header alone, which whoever asks for the email chooses;
    only the path when neither is known (a command run without ``PUBLIC_URL``)."""
    base = current_app.config.get("PUBLIC_URL") or ""
    if not base and has_request_context():
        base = request.host_url
    return base.rstrip("/") + path


def language_for(user=None, *, acted: bool = True, fallback: str | None = None) -> str:
    """The language to write to someone in: their account's choice; else, when they acted on
    this page (``acted``: they asked for the email), the page's; else ``fallback`` (a council's
    first language); else English."""
    chosen = i18n.valid(getattr(user, "language", None))
    if chosen:
        return chosen
    if acted and has_request_context():
        return i18n.current()
    return i18n.valid(fallback) or i18n.DEFAULT


def send(to: str, subject, template: str, *, language: str, **context) -> Message:
    """Send a plain-text email rendered from ``templates/email/<template>`` in ``language``.

    ``subject`` is translated in that language too: a ``lazy_gettext`` string or a
    ``ballots.refusals.Text``."""
    from app.web.views import say

    with force_locale(language):
        # Sentences the workflow wrote (how long a link works) in the recipient's language.
        context = {k: say(v) if isinstance(v, Text) else v for k, v in context.items()}
        message = Message(
            subject=say(subject),
            recipients=[to],
            body=render_template(f"email/{template}", **context),
        )
    app = current_app._get_current_object()
    if has_request_context():

        @after_this_request
        def deliver_after_the_response(response):
            response.call_on_close(lambda: deliver(app, message))
            return response

    else:
        deliver(app, message)
    return message


def deliver(app: Flask, message: Message) -> None:
    with app.app_context():
        if app.config.get("MAIL_SUPPRESS_SEND"):
            app.logger.warning(
                "Email to %s not sent (no MAIL_SERVER):\n%s",
                ", ".join(message.recipients),
                message.body,
            )
        try:
            mail.send(message)
        except (OSError, smtplib.SMTPException):
            app.logger.exception("could not send %r", message.subject)
