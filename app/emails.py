"""Sending email: the links to choose a new password, and the note to someone whose email
was used to register again.

Messages go through Flask-Mail to ``MAIL_SERVER``. Without one (development, tests) nothing is
sent and each message is written to the log, so that a developer running the demo can still
follow a link.
"""

from __future__ import annotations

from flask import current_app, render_template
from flask_mail import Message

from app.extensions import mail


def send(to: str, subject: str, template: str, **context) -> Message:
    """Send a plain-text email rendered from ``templates/email/<template>``."""
    message = Message(
        subject=subject,
        recipients=[to],
        body=render_template(f"email/{template}", **context),
    )
    if current_app.config.get("MAIL_SUPPRESS_SEND"):
        current_app.logger.warning("Email to %s not sent (no MAIL_SERVER):\n%s", to, message.body)
    mail.send(message)
    return message
