"""Verifying with a six-digit code texted or emailed to the number or address on the roll,
where the council (or one of its current rounds) offers it: the second way on the verify
page.

Asking answers the same whether or not the number or address is on the roll, so the roll
cannot be probed; what a code does and how often it is sent are ``ballots.contact_codes``.
Beside that, the limiter (Redis in production, so across workers and hosts) counts requests
for codes and wrong codes per account and per address, as the verify page does.
"""

from __future__ import annotations

import time
from datetime import timedelta

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from app.web.extensions import db, limiter
from app.web.forms.ballots import ContactCodeForm, ContactForm
from app.web.messages import gateways
from app.web.public import council_or_404
from app.web.residents import bp
from app.web.residents.voting import (
    WRONG_TRIES_PER_ACCOUNT,
    WRONG_TRIES_PER_ADDRESS,
    _account_key,
    code_key,
)
from app.web.views import answers_refusals, attempt, say, show_error
from app.workflow import contact_codes, voting
from app.workflow.clock import utcnow
from app.workflow.models import MessageChannel
from ballots.errors import CodeError, CodeInvalid, wait_words

VERIFY = "/councils/<slug>/verify/contact"

# Codes asked for, per account and per address: each sends a text or an email (and costs the
# council a text), so fewer than the wrong tries allowed.
ASKED_PER_ACCOUNT = "5 per hour"
ASKED_PER_ADDRESS = "20 per hour"

# The same whether or not a code went: the roll cannot be probed.
MAYBE_SENT = _l(
    "If that number or address is on the roll, we have sent a code to it. It works for 10 "
    "minutes. One number or address is sent at most 3 codes in 15 minutes."
)


def _asked(response) -> bool:
    """A request for a code that was taken (sent to the code page) counts, sent or not."""
    return response.status_code == 302


def _wrong_code(response) -> bool:
    """The code form sent back with an error (a wrong code) is a wrong try."""
    return response.status_code == 200


# What a breached limit says: (asking for codes?, counted per account?) -> the sentence.
_TOO_MANY = {
    (True, True): _l("This account has asked for many codes. Try again in %(wait)s."),
    (True, False): _l("Many codes have been asked for from this address. Try again in %(wait)s."),
    (False, True): _l("Too many wrong codes have come from this account. Try again in %(wait)s."),
    (False, False): _l("Too many wrong codes have come from this address. Try again in %(wait)s."),
}


def _too_many(limit, *, asking: bool):
    wait = say(wait_words(timedelta(seconds=max(1, limit.reset_at - time.time()))))
    sentence = _TOO_MANY[asking, "account:" in limit.key]
    body = f"{str(sentence) % {'wait': wait}} {_('Nothing was sent, checked or changed.')}"
    return Response(render_template("errors/error.html", title=_("Too many tries"), body=body), 429)


def _target() -> str:
    """Where to go once verified: a path on this site (``next``), else nowhere."""
    target = request.args.get("next") or ""
    return "" if not target.startswith("/") or target.startswith("//") else target


@bp.route(VERIFY, methods=["GET", "POST"])
@login_required
@limiter.limit("10 per minute", methods=["POST"])
@limiter.limit(
    ASKED_PER_ACCOUNT,
    key_func=_account_key,
    methods=["POST"],
    deduct_when=_asked,
    on_breach=lambda limit: _too_many(limit, asking=True),
)
@limiter.limit(
    ASKED_PER_ADDRESS,
    methods=["POST"],
    deduct_when=_asked,
    on_breach=lambda limit: _too_many(limit, asking=True),
)
@answers_refusals
def verify_by_contact(slug: str):
    council = council_or_404(slug)
    contact_codes.offered_scopes(db.session, council)
    form, target, status = ContactForm(), _target(), 200
    if form.validate_on_submit():
        try:
            attempt(
                contact_codes.request_code,
                council,
                current_user,
                form.contact.data,
                key=code_key(),
                now=utcnow(),
                by_text=gateways.available(MessageChannel.SMS),
            )
        except CodeError as error:
            show_error(form, error, "contact")
            status = error.status
        else:
            flash(str(MAYBE_SENT), "success")
            return redirect(url_for("residents.contact_code", slug=slug, next=target or None))
    page = render_template("residents/verify_contact.html", council=council, form=form, next=target)
    return page, status


@bp.route(VERIFY + "/code", methods=["GET", "POST"])
@login_required
@limiter.limit("10 per minute", methods=["POST"])
@limiter.limit(
    WRONG_TRIES_PER_ACCOUNT,
    key_func=_account_key,
    methods=["POST"],
    deduct_when=_wrong_code,
    on_breach=lambda limit: _too_many(limit, asking=False),
)
@limiter.limit(
    WRONG_TRIES_PER_ADDRESS,
    methods=["POST"],
    deduct_when=_wrong_code,
    on_breach=lambda limit: _too_many(limit, asking=False),
)
@answers_refusals
def contact_code(slug: str):
    council = council_or_404(slug)
    contact_codes.offered_scopes(db.session, council)
    form, target, status = ContactCodeForm(), _target(), 200
    if form.validate_on_submit():
        try:
            entry = _check(council, form.code.data)
            flash(say(voting.verified_for(db.session, council, entry)), "success")
            return redirect(target or url_for("public.council", slug=slug))
        except CodeError as error:
            show_error(form, error, "code")
            status = 200 if isinstance(error, CodeInvalid) else error.status
    page = render_template(
        "residents/verify_contact_code.html", council=council, form=form, next=target
    )
    return page, status


def _check(council, code: str):
    """Verify the account with its texted or emailed code. A wrong code is refused after its
    try is committed (it counts); every other refusal changes nothing."""
    outcome = attempt(
        contact_codes.verify_account, council, current_user, code, key=code_key(), now=utcnow()
    )
    if isinstance(outcome, CodeInvalid):
        raise outcome
    return outcome
