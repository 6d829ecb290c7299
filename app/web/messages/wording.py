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
from datetime import date, datetime

from flask import current_app, g, has_request_context, request
from flask_babel import force_locale, gettext, ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session
from werkzeug.routing import BuildError

from app.web.i18n import DEFAULT
from app.web.presenters.formatting import london_time, long_date, long_date_in
from app.workflow import accounts, languages, outbox
from app.workflow.clock import in_london
from app.workflow.models import (
    Council,
    DeliveryUpdate,
    FundingRound,
    Message,
    MessageChannel,
    Phase,
    Proposal,
    User,
)
from ballots.contact_codes import CONTACT_CODE_LIFETIME

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
    """``path`` on this site, for a message: under ``PUBLIC_URL`` (always set in production:
    the worker has no request to take a host from, and a Host header alone is whatever the
    asker chose). Without it (development, tests): the request's host, or that of the request
    whose messages are being sent in-process, else localhost."""
    base = current_app.config.get("PUBLIC_URL") or ""
    if not base and has_request_context():
        base = request.host_url
    if not base:
        base = g.get("devolve_site_url") or "http://localhost"
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


def _row(session: Session, model, key, what: str):
    """The row ``key`` names, or ``NotWorded`` saying that ``what`` has gone."""
    row = session.get(model, key) if isinstance(key, int) else None
    if row is None:
        raise NotWorded(f"the {what} this message is about no longer exists")
    return row


def _round(session: Session, message: Message) -> FundingRound:
    return _row(session, FundingRound, (message.data or {}).get("round_id"), "round")


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


def _contact_code(session: Session, message: Message) -> dict[str, str]:
    """A six-digit code asked for on the verify page: the council's name in the message's
    language, the code, and how long it works. No link: a message with a code and a link is
    what a fake one looks like, and the person is on the page that asked for it."""
    council = _council(session, message)
    minutes = int(CONTACT_CODE_LIFETIME.total_seconds() // 60)
    return {
        "council": shown(council, "name", message.language),
        "code": str((message.data or {})["code"]),
        "lasts": ngettext("%(num)s minute", "%(num)s minutes", minutes),
    }


def _member_code(session: Session, message: Message) -> dict[str, str]:
    """A six-digit code that links the account that asked for it to a member: the
    organisation's name, the member number, the code and how long it works. No link, as for
    ``contact_code``."""
    from app.workflow.governance.claims import CLAIM_LIFETIME

    data = message.data or {}
    minutes = int(CLAIM_LIFETIME.total_seconds() // 60)
    return {
        "organisation": str(data["organisation"]),
        "member_number": str(data["member_number"]),
        "code": str(data["code"]),
        "lasts": ngettext("%(num)s minute", "%(num)s minutes", minutes),
    }


def _email(template: str) -> dict[MessageChannel, str]:
    return {MessageChannel.EMAIL: f"messages/{template}.txt"}


def _second_request(session: Session, message: Message) -> dict[str, str]:
    """A member asks the addressee to second their motion: who, what, for which meeting, and
    the page where they second or decline it. Not worded once the request is answered."""
    from app.workflow.governance.models import MotionProposal, ProposalState

    proposal = _row(session, MotionProposal, _data(message).get("proposal_id"), "motion")
    if proposal.state is not ProposalState.WAITING:
        raise NotWorded("the motion has been seconded, declined or withdrawn since")
    meeting = proposal.meeting
    return {
        "name": proposal.seconder.name,
        "proposer": proposal.proposer.name,
        "motion": proposal.title,
        "meeting": meeting.title,
        "organisation": meeting.organisation.name,
        "page": link(
            "meetings.proposal",
            organisation_id=meeting.organisation_id,
            meeting_id=meeting.id,
            proposal_id=proposal.id,
        ),
    }


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
    "contact_code": Wording(
        _l("Your code for %(council)s"),
        _contact_code,
        ("council", "code", "lasts"),
        {
            MessageChannel.SMS: "messages/contact_code.sms.txt",
            MessageChannel.EMAIL: "messages/contact_code.txt",
        },
    ),
    "member_code": Wording(
        _l("Your code for %(organisation)s"),
        _member_code,
        ("organisation", "member_number", "code", "lasts"),
        _email("member_code"),
    ),
    "second_request": Wording(
        _l("%(proposer)s asks you to second a motion"),
        _second_request,
        ("name", "proposer", "motion", "meeting", "organisation", "page"),
        _email("second_request"),
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
    env = current_app.extensions.get("devolve_message_templates")
    if env is None:
        env = current_app.jinja_env.overlay(trim_blocks=False, lstrip_blocks=False)
        current_app.extensions["devolve_message_templates"] = env
    text = env.get_template(template).render(f=fields)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


# --- What residents and officers are told (app.workflow.notices) -------------------------------


def _data(message: Message) -> dict:
    return message.data or {}


def _round_fields(session: Session, message: Message) -> tuple[FundingRound, dict[str, str]]:
    funding_round = _round(session, message)
    return funding_round, {
        "name": _name(session, message),
        "council": shown(funding_round.council, "name", message.language),
        "round": shown(funding_round, "title", message.language),
    }


def _pot_name(funding_round: FundingRound, pot_id, language: str) -> str:
    for pot in funding_round.pots:
        if pot.id == pot_id:
            return shown(pot, "name", language)
    raise NotWorded("the pot this message is about is no longer in its round")


def _vote_confirmation(session: Session, message: Message) -> dict[str, str]:
    funding_round, fields = _round_fields(session, message)
    data = _data(message)
    pot = _pot_name(funding_round, data["pot_id"], message.language)
    day = long_date(date.fromisoformat(data["day"]))
    if data.get("changed"):
        said = gettext("You changed your vote in %(pot)s on %(day)s.", pot=pot, day=day)
    else:
        said = gettext("You voted in %(pot)s on %(day)s.", pot=pot, day=day)
    return fields | {
        "pot": pot,
        "voted": said,
        "page": _round_page(funding_round),
    }


def _round_page(funding_round: FundingRound) -> str:
    return link(
        "public.funding_round", slug=funding_round.council.slug, round_slug=funding_round.slug
    )


def _voting_reminder(session: Session, message: Message) -> dict[str, str]:
    funding_round, fields = _round_fields(session, message)
    dates = funding_round.dates_for(Phase.VOTING)
    if dates is None:
        raise NotWorded("the round has no closing date any more")
    pots = [_pot_name(funding_round, p, message.language) for p in _data(message).get("pots", [])]
    return fields | {
        "closes": london_time(dates.ends_at),
        "pots": ", ".join(pots),
        "vote": link(
            "residents.vote", slug=funding_round.council.slug, round_slug=funding_round.slug
        ),
    }


def _results_published(session: Session, message: Message) -> dict[str, str]:
    funding_round, fields = _round_fields(session, message)
    return fields | {
        "results": link(
            "results.round_results",
            slug=funding_round.council.slug,
            round_slug=funding_round.slug,
        )
    }


def _proposal(session: Session, message: Message) -> Proposal:
    return _row(session, Proposal, _data(message).get("proposal_id"), "proposal")


def _proposal_page(proposal: Proposal) -> str:
    return link(
        "public.proposal",
        slug=proposal.round.council.slug,
        round_slug=proposal.round.slug,
        proposal_id=proposal.id,
    )


NEWS = {
    "feasible": _l("Council officers have reviewed it and found it feasible."),
    "not_feasible": _l("Council officers have reviewed it and found it not feasible."),
    "merged": _l("It has been merged into another proposal of the round."),
    "hidden": _l("It has been hidden from the round's pages by a moderator."),
    "restored": _l("It is shown on the round's pages again."),
    "on_ballot": _l("It is on the ballot: voting has opened."),
    "funded": _l("It has been funded: it won in the published results."),
}


def _proposal_status(session: Session, message: Message) -> dict[str, str]:
    proposal = _proposal(session, message)
    change = _data(message).get("change")
    if change not in NEWS:
        raise NotWorded(f"no words for a proposal's change {change!r}")
    reason = _data(message).get("reason") or ""
    return {
        "name": _name(session, message),
        "proposal": shown(proposal, "title", message.language),
        "round": shown(proposal.round, "title", message.language),
        "news": str(NEWS[change]),
        "reason": gettext("The reason given: %(reason)s", reason=reason) if reason else "",
        "page": _proposal_page(proposal),
    }


def _delivery_update(session: Session, message: Message) -> dict[str, str]:
    proposal = _proposal(session, message)
    update = _row(session, DeliveryUpdate, _data(message).get("update_id"), "delivery update")
    if update.proposal_id != proposal.id:
        raise NotWorded("the delivery update this message is about no longer exists")
    return {
        "name": _name(session, message),
        "proposal": shown(proposal, "title", message.language),
        "round": shown(proposal.round, "title", message.language),
        "status": gettext(update.status.label),
        "percent": f"{update.percent_complete}%",
        "happened": long_date(update.happened_on),
        "note": update.note,
        "page": _proposal_page(proposal),
    }


def _council(session: Session, message: Message) -> Council:
    return _row(session, Council, _data(message).get("council_id"), "council")


def _officer_review(session: Session, message: Message) -> dict[str, str]:
    council = _council(session, message)
    data = _data(message)
    waiting, reported = int(data.get("waiting", 0)), int(data.get("reported", 0))
    return {
        "name": _name(session, message),
        "council": shown(council, "name", message.language),
        "waiting": ngettext(
            "%(num)s proposal is waiting for review.",
            "%(num)s proposals are waiting for review.",
            waiting,
        ),
        "reported": ngettext(
            "%(num)s reported proposal is waiting for a moderation decision.",
            "%(num)s reported proposals are waiting for a moderation decision.",
            reported,
        ),
        "page": link("officers.dashboard", slug=council.slug),
    }


def _phase_stuck(session: Session, message: Message) -> dict[str, str]:
    funding_round, fields = _round_fields(session, message)
    return fields | {
        "problem": _data(message).get("problem") or "",
        "page": link(
            "officers.round_overview",
            slug=funding_round.council.slug,
            round_slug=funding_round.slug,
        ),
    }


def _messages_failed(session: Session, message: Message) -> dict[str, str]:
    council = _council(session, message)
    failed = int(_data(message).get("failed", 0))
    try:
        page = link("officers.messages", slug=council.slug)
    except BuildError:
        page = link("officers.dashboard", slug=council.slug)
    return {
        "name": _name(session, message),
        "council": shown(council, "name", message.language),
        "failed": ngettext(
            "%(num)s message could not be sent in the last day.",
            "%(num)s messages could not be sent in the last day.",
            failed,
        ),
        "page": page,
    }


WORDINGS.update(
    {
        "vote_confirmation": Wording(
            _l("Your vote in %(pot)s"),
            _vote_confirmation,
            ("name", "council", "round", "pot", "voted", "page"),
            _email("vote_confirmation"),
        ),
        "voting_reminder": Wording(
            _l("Voting in %(round)s closes soon"),
            _voting_reminder,
            ("name", "council", "round", "closes", "pots", "vote"),
            _email("voting_reminder"),
        ),
        "results_published": Wording(
            _l("Results of %(round)s"),
            _results_published,
            ("name", "council", "round", "results"),
            _email("results_published"),
        ),
        "proposal_status": Wording(
            _l("News of your proposal %(proposal)s"),
            _proposal_status,
            ("name", "proposal", "round", "news", "reason", "page"),
            _email("proposal_status"),
        ),
        "delivery_update": Wording(
            _l("Progress of %(proposal)s"),
            _delivery_update,
            ("name", "proposal", "round", "status", "percent", "happened", "note", "page"),
            _email("delivery_update"),
        ),
        "officer_review": Wording(
            _l("Proposals are waiting for you in %(council)s"),
            _officer_review,
            ("name", "council", "waiting", "reported", "page"),
            _email("officer_review"),
        ),
        "phase_stuck": Wording(
            _l("%(round)s could not move on schedule"),
            _phase_stuck,
            ("name", "council", "round", "problem", "page"),
            _email("phase_stuck"),
        ),
        "messages_failed": Wording(
            _l("Messages from %(council)s could not be sent"),
            _messages_failed,
            ("name", "council", "failed", "page"),
            _email("messages_failed"),
        ),
    }
)
