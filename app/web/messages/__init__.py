"""Messages to people: email, text messages and letters, through an outbox.

``send`` (web code) and ``app.workflow.outbox.queue`` (workflow code) write a message as a row
in the caller's transaction; the caller's commit is what makes it go. The worker
(``worker.run``, ``flask send-messages``) words each in its person's language (``wording``) and
hands it to its channel's gateway (``gateways``: GOV.UK Notify, SMTP, or the log). The design
is docs/messages.md; Notify's templates are docs/notify.md.
"""

from __future__ import annotations

from flask import has_request_context

from app.web import i18n
from app.web.extensions import db
from app.workflow import outbox
from app.workflow.models import Council, Message, MessageChannel, User


def language_for(user=None, *, acted: bool = True, fallback: str | None = None) -> str:
    """The language to write to someone in: their account's choice; else, when they acted on
    this page (``acted``: they asked for the message), the page's; else ``fallback`` (a
    council's first language); else English."""
    chosen = i18n.valid(getattr(user, "language", None))
    if chosen:
        return chosen
    if acted and has_request_context():
        return i18n.current()
    return i18n.valid(fallback) or i18n.DEFAULT


def send(
    kind: str,
    to: str,
    *,
    language: str,
    user: User | None = None,
    council: Council | None = None,
    channel: MessageChannel = MessageChannel.EMAIL,
    **data,
) -> Message | None:
    """Queue a message of ``kind`` to ``to`` in the request's transaction (the view commits);
    in development it is also sent by the same process once the response has gone."""
    return outbox.queue(
        db.session,
        kind,
        to=to,
        language=language,
        data=data,
        channel=channel,
        user=user,
        council=council,
    )
