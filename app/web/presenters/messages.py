"""How the officers' messages page says things: each kind of message, channel and state by a
readable name, and whom a message is to with the address hidden (officers need to tell two
messages apart, not to read a resident's address)."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l

from app.workflow.models import Message, MessageChannel, MessageState

KIND_NAMES = {
    "confirm_email": _l("Email address confirmation"),
    "password_reset": _l("New password link"),
    "account_exists": _l("Account already exists"),
    "fingerprints": _l("Round fingerprints"),
    "voting_code": _l("Voting code"),
    "contact_code": _l("Six-digit code by text or email"),
    "member_code": _l("Code to link an account to a member of an organisation"),
    "second_request": _l("A request to second a member's motion"),
    "vote_confirmation": _l("Vote confirmation"),
    "voting_reminder": _l("Voting reminder"),
    "results_published": _l("Results published"),
    "proposal_status": _l("News of a proposal"),
    "delivery_update": _l("Progress of a funded project"),
    "officer_review": _l("Officers: proposals to review"),
    "phase_stuck": _l("Officers: a round needs attention"),
    "messages_failed": _l("Officers: messages could not be sent"),
}

CHANNEL_NAMES = {
    MessageChannel.EMAIL: _l("Email"),
    MessageChannel.SMS: _l("Text message"),
    MessageChannel.LETTER: _l("Letter"),
}

STATE_NAMES = {
    MessageState.QUEUED: _l("Waiting to be sent"),
    MessageState.SENDING: _l("Being sent"),
    MessageState.SENT: _l("Sent"),
    MessageState.FAILED: _l("Could not be sent"),
    MessageState.CANCELLED: _l("Cancelled: the person chose not to get them"),
}

HIDDEN = "•••"

# A UK postcode, anywhere in a line ("SW2 1RW", "sw21rw").
POSTCODE = re.compile(r"\b([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})\b", re.IGNORECASE)


def kind_name(kind: str) -> str:
    return str(KIND_NAMES.get(kind, kind))


def masked(message: Message) -> str:
    """Whom ``message`` is to, with most of it hidden: an email's first letter and its domain
    (``j•••@example.org``), a text message's last 3 digits, a letter's postcode only."""
    to = (message.recipient or "").strip()
    if not to:
        return HIDDEN
    if message.channel == MessageChannel.EMAIL:
        local, at, domain = to.rpartition("@")
        return f"{local[:1]}{HIDDEN}@{domain}" if at and local else HIDDEN
    if message.channel == MessageChannel.SMS:
        digits = re.sub(r"\D", "", to)
        return HIDDEN + digits[-3:] if len(digits) > 3 else HIDDEN
    found = POSTCODE.findall(to)
    return " ".join(found[-1]).upper() if found else HIDDEN
