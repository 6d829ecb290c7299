"""Voting: verifying with the code posted to you, the ballot for a pot, checking your answers,
casting, and the confirmation with your receipt (shown once). Also the public receipt check.

Everything works without JavaScript: running totals are worked out here and shown whenever the
page is sent ("Update totals"). Every rule is checked again when the ballot is cast, by
``votes`` through ``ballots``; a refused ballot changes nothing.

Beside each project the ballot has a "read more" button that sends the ballot as it stands:
its choices are kept in the resident's session (their own cookie, never the database) while
they read the project's page, which links back to the ballot, and the ballot shows them again
until it is cast. A plain link would lose them whenever the browser does not keep the form.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from datetime import timedelta
from functools import lru_cache

from babel import Locale
from flask import (
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from markupsafe import Markup
from werkzeug.datastructures import MultiDict

from app.web import i18n
from app.web.extensions import db, limiter
from app.web.forms.ballots import ConfirmForm, ReceiptForm, VerifyForm, ballot_form, rule_problems
from app.web.presenters import formatting
from app.web.public import bp as public_bp
from app.web.public import council_and_round_or_404, council_or_404, round_or_404
from app.web.residents import bp
from app.web.views import answers_refusals, attempt, paper_texts, say, show_error
from app.workflow import contact_codes, eligibility, registrations, voting
from app.workflow.clock import london_today, utcnow
from app.workflow.errors import NotSaved
from app.workflow.models import FundingRound
from app.workflow.voting import paper_for
from ballots import box
from ballots.errors import (
    CodeError,
    CodeInvalid,
    InvalidBallot,
    ReceiptNotFound,
    TooManyTries,
    VoteChangeNotAllowed,
    wait_words,
)
from votes.model import BallotKind

__all__ = ["code_key"]

ROUND = "/councils/<slug>/rounds/<round_slug>"


def code_key() -> bytes:
    """The HMAC key for verification codes: its own setting, else derived from SECRET_KEY."""
    key = current_app.config.get("VERIFICATION_CODE_KEY") or current_app.config["SECRET_KEY"]
    return hmac.new(key.encode(), b"devolve verification codes", hashlib.sha256).digest()


def _voter(council, funding_round) -> voting.Voter:
    return voting.voter(db.session, current_user, council, funding_round, london_today())


# Wrong tries at verifying, counted in the limiter's storage (Redis in production, so across
# workers and hosts), per account and per address: beside the reference's own slowing down
# (ballots.roll), these stop one person trying many references.
WRONG_TRIES_PER_ACCOUNT = "10 per hour"
WRONG_TRIES_PER_ADDRESS = "30 per hour"


def _account_key() -> str:
    # The account's id, not its session token: signing out everywhere must not reset it.
    return f"account:{getattr(current_user, 'id', None)}"


def _wrong_try(response) -> bool:
    """A verify form sent back with an error (a wrong reference or code) is a wrong try."""
    return response.status_code == 200


def _too_many_wrong_tries(limit):
    # The wait in the page's language ("30 eiliad"), as the sentence around it is.
    wait = say(wait_words(timedelta(seconds=max(1, limit.reset_at - time.time()))))
    if "account:" in limit.key:
        body = _(
            "There have been too many wrong references or codes from this account. Try "
            "again in %(wait)s. Nothing was checked or changed.",
            wait=wait,
        )
    else:
        body = _(
            "There have been too many wrong references or codes from this address. Try "
            "again in %(wait)s. Nothing was checked or changed.",
            wait=wait,
        )
    return Response(
        render_template("errors/error.html", title=_("Too many wrong tries"), body=body),
        429,
    )


@bp.route("/councils/<slug>/verify", methods=["GET", "POST"])
@login_required
@limiter.limit("10 per minute", methods=["POST"])
@limiter.limit(
    WRONG_TRIES_PER_ACCOUNT,
    key_func=_account_key,
    methods=["POST"],
    deduct_when=_wrong_try,
    on_breach=_too_many_wrong_tries,
)
@limiter.limit(
    WRONG_TRIES_PER_ADDRESS,
    methods=["POST"],
    deduct_when=_wrong_try,
    on_breach=_too_many_wrong_tries,
)
def verify(slug: str):
    council = council_or_404(slug)
    form = VerifyForm()
    target = request.args.get("next") or ""
    if not target.startswith("/") or target.startswith("//"):
        target = ""
    status = 200
    if form.validate_on_submit():
        try:
            entry = _verify(council, form)
            flash(say(voting.verified_for(db.session, council, entry)), "success")
            return redirect(target or url_for("public.council", slug=slug))
        except CodeError as error:
            show_error(form, error, "code")
            status = 429 if isinstance(error, TooManyTries) else 200
        except NotSaved:
            form.code.errors.append(str(NOT_CHECKED))
            status = 409
    page = render_template(
        "residents/verify.html",
        council=council,
        form=form,
        next=target,
        register_rounds=registrations.rounds_taking_registrations(db.session, council),
        by_contact=contact_codes.offered(db.session, council),
    )
    return page, status


NOT_CHECKED = _l("Nothing was checked or saved: the database did not answer. Please try again.")


def _verify(council, form):
    """Verify the account with the posted code. A wrong code is refused after its try is
    committed (it counts); every other refusal changes nothing."""
    outcome = attempt(
        voting.verify_account,
        council,
        current_user,
        form.reference.data,
        form.code.data,
        key=code_key(),
        now=utcnow(),
    )
    if isinstance(outcome, CodeInvalid):
        raise outcome
    return outcome


@bp.route(ROUND + "/vote")
@login_required
@answers_refusals
def vote(slug: str, round_slug: str):
    council, funding_round = council_and_round_or_404(slug, round_slug)
    voter = _voter(council, funding_round)
    return render_template(
        "residents/vote.html",
        council=council,
        round=funding_round,
        paper=voter.paper,
        pots=voter.pots,
        voted=voter.cast,
        pot_names=i18n.in_page_language_by_id(funding_round.pots, "name"),
        takes_registrations=eligibility.allows(council, funding_round, "register"),
    )


def _voting_in(slug: str, round_slug: str, pot_id: int):
    """The council, the round, the resident as its voter, one of their pots and whether a
    ballot there replaces theirs; refused (``AlreadyVoted`` too) when they cannot vote in it."""
    council, funding_round = council_and_round_or_404(slug, round_slug)
    voter = _voter(council, funding_round)
    pot = voter.pot(pot_id)
    return council, funding_round, voter, pot, voter.changing(pot)


def _ballot_page(
    council,
    funding_round,
    paper,
    pot,
    form,
    *,
    changing: bool,
    status: int = 200,
    fresh: bool = False,
):
    """The ballot; ``fresh`` when nothing has been chosen or sent yet (the usual first view)."""
    context = {
        "form": form,
        "paper": paper,
        "pot": pot,
        "totals": form.totals(),
        "kinds": BallotKind,
        **paper_texts(funding_round, [p.id for p in pot.projects], summaries=True),
    }
    return (
        render_template(
            "residents/ballot.html",
            council=council,
            round=funding_round,
            changing=changing,
            fields_html=_fresh_fields(context) if fresh else None,
            **context,
        ),
        status,
    )


@bp.app_template_global()
def plural_samples() -> dict[str, int]:
    """A number in each plural category of the page's language ({"one": 1, "other": 0} in
    English; zero, one, two, few, many and other in Welsh), for a template to give a script a
    sentence for each: the browser's ``Intl.PluralRules`` picks the category, as CLDR does."""
    return _plural_samples(str(formatting.locale()))


@lru_cache(maxsize=16)
def _plural_samples(code: str) -> dict[str, int]:
    rules = Locale.parse(code).plural_form
    wanted = rules.tags | {"other"}
    found: dict[str, int] = {}
    for n in range(1000):
        found.setdefault(rules(n), n)
        if len(found) == len(wanted):
            break
    return found


# An empty ballot's fields are the same for every resident: they depend only on the frozen
# paper, on the summaries beside each project (read from the database on every request, so
# a summary hidden by moderators changes the key) and on the page's language. Each process
# renders them once.
_FRESH_FIELDS: dict[tuple, Markup] = {}
_FRESH_FIELDS_MAX = 256


def _fresh_fields(context: dict) -> Markup:
    paper, pot = context["paper"], context["pot"]
    texts = (context["pot_names"].get(pot.id), *(context[k] for k in ("names", "summaries")))
    key = (paper.manifest_hash, pot.id, texts[0], *(tuple(sorted(t.items())) for t in texts[1:]))
    key += (i18n.current(),)
    html = _FRESH_FIELDS.get(key)
    if html is None:
        if len(_FRESH_FIELDS) >= _FRESH_FIELDS_MAX:
            _FRESH_FIELDS.clear()
        # Rendered by an autoescaping template, so already safe HTML.
        rendered = render_template("residents/_ballot_fields.html", **context)
        html = _FRESH_FIELDS[key] = Markup(rendered)  # noqa: S704
    return html


# --- Choices kept while a resident reads a project's page --------------------------------------

DRAFTS = "ballot_drafts"


def _draft_key(funding_round: FundingRound, pot_id: int) -> str:
    return f"{current_user.id}:{funding_round.id}:{pot_id}"


def keep_draft(funding_round: FundingRound, pot_id: int, form) -> None:
    """The ballot's choices as sent, kept until the ballot is cast (a receipt code is not)."""
    names = set(form.choice_names())
    pairs = [[k, v] for k, v in request.form.items(multi=True) if k in names]
    drafts = dict(session.get(DRAFTS) or {})
    drafts[_draft_key(funding_round, pot_id)] = pairs
    session[DRAFTS] = drafts


def kept_draft(funding_round: FundingRound, pot_id: int) -> MultiDict | None:
    pairs = (session.get(DRAFTS) or {}).get(_draft_key(funding_round, pot_id))
    return MultiDict([tuple(p) for p in pairs]) if pairs is not None else None


def forget_draft(key: str) -> None:
    """Forget the choices kept under ``key`` (from :func:`_draft_key`)."""
    drafts = dict(session.get(DRAFTS) or {})
    if drafts.pop(key, None) is not None:
        session[DRAFTS] = drafts


def _check_page(council, funding_round, paper, pot, form, confirm, changing: bool):
    """The page that shows a filled-in ballot back to the voter before it is cast."""
    return render_template(
        "residents/check_ballot.html",
        council=council,
        round=funding_round,
        paper=paper,
        pot=pot,
        ballot_form=form,
        form=confirm,
        ballot=form.to_ballot(),
        totals=form.totals(),
        changing=changing,
        kinds=BallotKind,
        **paper_texts(funding_round, [p.id for p in pot.projects]),
    )


@bp.route(ROUND + "/vote/<int:pot_id>", methods=["GET", "POST"])
@login_required
@answers_refusals
def ballot(slug: str, round_slug: str, pot_id: int):
    council, funding_round, voter, pot, changing = _voting_in(slug, round_slug, pot_id)
    draft = kept_draft(funding_round, pot.id) if request.method == "GET" else None
    form = ballot_form(voter.paper, pot, with_receipt=changing, formdata=draft)
    read = request.form.get("read") if request.method == "POST" else None
    # Kept as typed, even a typo: the resident comes back to exactly what they had sent.
    if read is not None and pot.project(read) is not None:
        keep_draft(funding_round, pot.id, form)
        return redirect(_reading(slug, round_slug, int(read), pot.id), 303)
    action = request.form.get("action", "continue")
    if request.method == "POST" and action == "continue" and form.validate_on_submit():
        problems = rule_problems(form, voter.paper, pot)
        if not problems:
            return _check_page(
                council, funding_round, voter.paper, pot, form, ConfirmForm(), changing
            )
        form.show_problems(problems)
    elif request.method == "POST" and action != "continue":
        form.validate_on_submit()  # number-of-points typos still show; rules wait for continue
    fresh = request.method == "GET" and draft is None
    page = _ballot_page(
        council, funding_round, voter.paper, pot, form, changing=changing, fresh=fresh
    )
    return page


def _reading(slug: str, round_slug: str, proposal_id: int, pot_id: int) -> str:
    return url_for(
        "public.proposal",
        slug=slug,
        round_slug=round_slug,
        proposal_id=proposal_id,
        ballot=pot_id,
    )


@bp.route(ROUND + "/vote/<int:pot_id>/confirm", methods=["POST"])
@login_required
@answers_refusals
def confirm_ballot(slug: str, round_slug: str, pot_id: int):
    council, funding_round, voter, pot, changing = _voting_in(slug, round_slug, pot_id)
    form = ballot_form(voter.paper, pot, with_receipt=changing)
    again = (council, funding_round, voter.paper, pot, form)
    if not form.validate_on_submit():
        return _ballot_page(*again, changing=changing)
    draft = _draft_key(funding_round, pot.id)  # now: a commit expires what it names
    try:
        cast = _cast(voter, pot, form, changing, funding_round)
    except InvalidBallot as error:
        form.show_problems(error.problems)
        return _ballot_page(*again, changing=changing)
    except (ReceiptNotFound, VoteChangeNotAllowed) as error:
        show_error(form, error, "receipt")
        return _ballot_page(*again, changing=changing)
    except NotSaved:
        return _not_saved(again, voter, changing)
    forget_draft(draft)
    _show_receipt_once(pot, cast, changing)
    return redirect(
        url_for("residents.ballot_cast", slug=slug, round_slug=round_slug, pot_id=pot.id)
    )


def _cast(voter: voting.Voter, pot, form, changing: bool, funding_round) -> box.Cast:
    receipt = form.receipt.data if changing else None
    ballot = form.to_ballot()
    return attempt(
        voting.cast_or_replace,
        voter,
        pot,
        ballot,
        receipt=receipt,
        today=london_today(),
        tell=(current_user._get_current_object(), funding_round),
    )


NOT_SAVED = _l(
    "Your ballot was not cast: nothing was saved, because the database did not complete it. "
    "Please try again."
)


def _not_saved(again, voter: voting.Voter, changing: bool):
    """The answer to a cast the database did not complete: "recorded, but no receipt" when
    the commit took effect after all (a first ballot only), else the check page again, with
    the ballot still on it, saying nothing was saved."""
    council, funding_round, _paper, pot, form = again
    saved = not changing and voting.saved_after_all(db.session, voter, pot)
    current_app.logger.error(
        "Casting a ballot in pot %s of round %s failed; %s",
        pot.id,
        funding_round.id,
        "it was recorded after all" if saved else "nothing was saved",
    )
    if saved:
        flash(
            _(
                "Your ballot in %(pot)s was recorded, but its receipt could not be shown.",
                pot=str(paper_texts(funding_round)["pot_names"].get(pot.id, pot.name)),
            ),
            "important",
        )
        return redirect(url_for("residents.vote", slug=council.slug, round_slug=funding_round.slug))
    confirm = ConfirmForm(formdata=None)
    confirm.submit.errors = [str(NOT_SAVED)]
    return _check_page(*again, confirm, changing)


def _show_receipt_once(pot, cast: box.Cast, changing: bool) -> None:
    session["ballot_receipt"] = {
        "pot": pot.id,
        "code": cast.receipt,
        "sequence": cast.sequence,
        "entry_hash": cast.entry_hash,
        "changed": bool(changing),
    }


@bp.route(ROUND + "/vote/<int:pot_id>/cast")
@login_required
def ballot_cast(slug: str, round_slug: str, pot_id: int):
    council, funding_round = council_and_round_or_404(slug, round_slug)
    receipt = session.pop("ballot_receipt", None)
    if receipt is None or receipt.get("pot") != pot_id:
        # Shown once: afterwards the list of pots says the ballot is cast.
        return redirect(url_for("residents.vote", slug=slug, round_slug=round_slug))
    paper = paper_for(funding_round)
    pot = paper.pot(pot_id) if paper else None
    return render_template(
        "residents/ballot_cast.html",
        council=council,
        round=funding_round,
        pot=pot,
        receipt=receipt,
        pot_names=i18n.in_page_language_by_id(funding_round.pots, "name"),
    )


# --- Anyone: is my ballot in the count? ------------------------------------------------------


@public_bp.route(ROUND + "/receipt", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
def check_receipt(slug: str, round_slug: str):
    council = council_or_404(slug)
    funding_round = round_or_404(council, round_slug)
    form = ReceiptForm()
    found = None
    if form.validate_on_submit():
        try:
            found = box.check_receipt(db.session, funding_round.id, form.receipt.data)
        except ReceiptNotFound as error:
            form.receipt.errors.append(say(error))
    return render_template(
        "public/check_receipt.html",
        council=council,
        round=funding_round,
        form=form,
        found=found,
        head=box.log_head(db.session, funding_round.id),
    )
