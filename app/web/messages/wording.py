"""What each kind of message says: its subject, its text, and the fields that fill them in.

A message row keeps what it is about as JSON values (ids, numbers, a link); its words are
made when it is sent, in its recipient's language (``Wording.fields``). The same fields are a
GOV.UK Notify template's personalisation: one Notify template per kind and language, whose
text is ours with ``((field))`` in place of each value (``flask notify-templates`` prints them;
docs/notify.md lists them). Our own text (``templates/messages/<kind>.txt``, ``.sms.txt`` or
``.letter.txt``) is what SMTP sends and what the log shows in development.

Templates use nothing but ``f.<field>``, so that rendering one with ``((field))`` values gives
the Notify template word for word.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from app.web.i18n import DEFAULT
from app.web.presenters.formatting import long_date_in
from app.workflow import accounts, languages, outbox
from app.workflow.clock import in_london
from app.workflow.models import FundingRound, Message, MessageChannel, User

Fields = Callable[[Session, Message], dict[str, str]]


class NotWorded(Exception):
    """The message cannot be worded any more (what it is about has gone): it is given up."""


@dataclass(frozen=True)
class Wording:
    subject: object  # a lazy string with %(field)s placeholders (email only)
    fields: Fields
    # The fields a Notify template of this kind uses (in the order docs/notify.md lists them).
    names: tuple[str, ...] = ()
    templates: dict[MessageChannel, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Worded:
    """A message in words: the subject and plain text (our own channels) and the fields (a
    Notify template's personalisation)."""

    subject: str
    body: str
    fields: dict[str, str]
    unsubscribe: str | None


def site_url(path: str) -> str:
    """``path`` under ``PUBLIC_URL`` (always set in production): a message is worded by a
    worker that has no request to take a host from."""
    base = current_app.config.get("PUBLIC_URL") or "http://localhost"
    return base.rstrip("/") + path


def link(endpoint: str, **values) -> str:
    """The full address of a page, built without a request (a worker has none)."""
    adapter = current_app.url_map.bind("localhost", script_name="/")
    return site_url(adapter.build(endpoint, values))


def _user(session: Session, message: Message) -> User | None:
    return session.get(User, message.user_id) if message.user_id else None


def _name(session: Session, message: Message) -> str:
    user = _user(session, message)
    return user.display_name if user is not None else ""


def _round(session: Session, message: Message) -> FundingRound:
    funding_round = session.get(FundingRound, (message.data or {}).get("round_id"))
    if funding_round is None:
        raise NotWorded("the round this message is about no longer exists")
    return funding_round


def shown(row, name: str, language: str) -> str:
    """A council's, round's, pot's or proposal's ``name`` in ``language`` where it is written
    in it, else in the council's first language that has it."""
    council = getattr(row, "council", None) or getattr(getattr(row, "round", None), "council", None)
    order = council.spoken_languages if council is not None else ()
    return languages.shown(row, name, language, order).text


def _link_fields(session: Session, message: Message) -> dict[str, str]:
    data = message.data or {}
    return {
        "name": _name(session, message),
        "link": data["link"],
        "lasts": _say(accounts.lifetime(int(data["lasts_seconds"]))),
    }


def _say(text) -> str:
    from app.web.views import say

    return say(text)


def _account_exists(session: Session, message: Message) -> dict[str, str]:
    return {
        "sign_in": link("auth.sign_in"),
        "reset": link("auth.request_password_reset"),
    }


def _fingerprints(session: Session, message: Message) -> dict[str, str]:
    funding_round = _round(session, message)
    return {
        "name": _name(session, message),
        "council": shown(funding_round.council, "name", message.language),
        "round": shown(funding_round, "title", message.language),
        "manifest_hash": funding_round.manifest_hash or "",
        "log_head_hash": funding_round.log_head_hash or "",
        "page": link(
            "public.funding_round",
            slug=funding_round.council.slug,
            round_slug=funding_round.slug,
        ),
    }


def _voting_code(session: Session, message: Message) -> dict[str, str]:
    """A posted or texted code: the council and round, the person's reference and code, the
    day it expires (in London) and where to vote, the page in the message's language."""
    funding_round = _round(session, message)
    council = funding_round.council
    data = message.data or {}
    expires = in_london(datetime.fromisoformat(data["expires"])).date()
    where = {"slug": council.slug, "round_slug": funding_round.slug}
    if message.language != council.spoken_languages[0]:
        where["lang"] = message.language  # the council's pages are in its first already
    return {
        "council": shown(council, "name", message.language),
        "round": shown(funding_round, "title", message.language),
        "reference": str(data["reference"]),
        "code": str(data["code"]),
        "expires": long_date_in(expires, message.language or DEFAULT),
        "vote_at": link("residents.vote", **where),
    }


def _email(template: str) -> dict[MessageChannel, str]:
    return {MessageChannel.EMAIL: f"messages/{template}.txt"}


WORDINGS: dict[str, Wording] = {
    "confirm_email": Wording(
        _l("Confirm your email address for Devolve"),
        _link_fields,
        ("name", "link", "lasts"),
        _email("confirm_email"),
    ),
    "password_reset": Wording(
        _l("Choose a new password for Devolve"),
        _link_fields,
        ("name", "link", "lasts"),
        _email("password_reset"),
    ),
    "account_exists": Wording(
        _l("You already have a Devolve account"),
        _account_exists,
        ("sign_in", "reset"),
        _email("account_exists"),
    ),
    "fingerprints": Wording(
        _l("Fingerprints of %(round)s: keep this email"),
        _fingerprints,
        ("name", "council", "round", "manifest_hash", "log_head_hash", "page"),
        _email("fingerprints"),
    ),
    "voting_code": Wording(
        _l("Your code to vote in %(round)s"),
        _voting_code,
        ("council", "round", "reference", "code", "expires", "vote_at"),
        {
            MessageChannel.LETTER: "messages/voting_code.letter.txt",
            MessageChannel.SMS: "messages/voting_code.sms.txt",
        },
    ),
}


def wording(kind: str) -> Wording:
    try:
        return WORDINGS[kind]
    except KeyError:
        raise NotWorded(f"no wording for messages of kind {kind!r}") from None


def unsubscribe_link(message: Message) -> str | None:
    """The link that stops messages of this one's topic to its person (none for messages
    that answer their own action or that the council must send)."""
    topic = outbox.kind(message.kind).topic
    if topic is None or message.user_id is None:
        return None
    from app.web.messages import unsubscribe

    return link("public.unsubscribe", token=unsubscribe.token(message.user_id, topic))


def word(session: Session, message: Message) -> Worded:
    """``message`` in words, in its language: raises ``NotWorded`` when it cannot be."""
    w = wording(message.kind)
    template = w.templates.get(message.channel)
    if template is None:
        raise NotWorded(f"{message.kind} messages have no {message.channel.value} text")
    with force_locale(message.language or DEFAULT):
        try:
            fields = w.fields(session, message)
        except (KeyError, TypeError, ValueError) as e:
            raise NotWorded(f"the message is missing what it says: {e}") from e
        unsubscribe = unsubscribe_link(message)
        if unsubscribe:
            fields["unsubscribe"] = unsubscribe
        subject = str(w.subject) % fields if "%(" in str(w.subject) else str(w.subject)
        body = _render(template, fields)
    return Worded(subject=subject, body=body, fields=fields, unsubscribe=unsubscribe)


def notify_text(kind: str, channel: MessageChannel, language: str) -> tuple[str, str]:
    """The subject and text to paste into a GOV.UK Notify template of ``kind`` in
    ``language``: ours, with ``((field))`` for each field."""
    w = wording(kind)
    names = list(w.names)
    if outbox.kind(kind).topic is not None:
        names.append("unsubscribe")
    placeholders = {n: f"(({n}))" for n in names}
    with force_locale(language):
        subject = str(w.subject) % placeholders if "%(" in str(w.subject) else str(w.subject)
        body = _render(w.templates[channel], placeholders)
    return subject, body


def _render(template: str, fields: dict[str, str]) -> str:
    """A message's text: its template with each line as written (the pages' templates drop
    the newline after a tag, which would run a text's paragraphs together)."""
    env = current_app.jinja_env.overlay(trim_blocks=False, lstrip_blocks=False)
    text = env.get_template(template).render(f=fields)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
