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
from fractions import Fraction
from functools import wraps

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
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.datastructures import MultiDict

from app.web.extensions import db, limiter
from app.web.forms.ballots import ConfirmForm, ReceiptForm, VerifyForm, ballot_form
from app.web.public import bp as public_bp
from app.web.public import council_and_round_or_404, council_or_404, round_or_404
from app.web.residents import bp
from app.workflow import proposals
from app.workflow.clock import london_today, utcnow
from app.workflow.models import FundingRound, Phase, Role
from ballots import box, roll
from ballots.errors import (
    AlreadyVoted,
    CodeError,
    CodeInvalid,
    InvalidBallot,
    NotEligible,
    NotVerified,
    ReceiptNotFound,
    RoundClosed,
    TooManyTries,
    VoteChangeNotAllowed,
    wait_words,
)
from ballots.models import COUNCIL_SCOPE, Channel
from ballots.paper import BallotPaper, ballot_paper
from votes.ballot import validate_ballot
from votes.model import BallotKind

ROUND = "/councils/<slug>/rounds/<round_slug>"


def code_key() -> bytes:
    """The HMAC key for verification codes: its own setting, else derived from SECRET_KEY."""
    key = current_app.config.get("VERIFICATION_CODE_KEY") or current_app.config["SECRET_KEY"]
    return hmac.new(key.encode(), b"devolve verification codes", hashlib.sha256).digest()


def paper_for(funding_round: FundingRound) -> BallotPaper | None:
    return ballot_paper(funding_round.manifest_json) if funding_round.manifest_json else None


def refuse(status: int, title: str, body: str):
    return render_template("errors/error.html", title=title, body=body), status


def _closed():
    return refuse(
        409,
        "Voting is not open",
        "This round is not taking votes now. Check the round page for its dates.",
    )


class _Stop(Exception):
    def __init__(self, response) -> None:
        self.response = response


def _voter(slug: str, round_slug: str):
    """The council, round, ballot paper and the resident's roll entry, or a page saying why not."""
    council, funding_round = council_and_round_or_404(slug, round_slug)
    if not current_user.has_role(council, Role.RESIDENT):
        raise _Stop(
            refuse(
                403,
                "You cannot vote in this round",
                f"Only residents of {council.name} can vote.",
            )
        )
    paper = paper_for(funding_round)
    if funding_round.phase != Phase.VOTING or paper is None:
        raise _Stop(_closed())
    try:
        entry = roll.roll_entry_for(
            db.session,
            user_id=current_user.id,
            council_id=council.id,
            round_id=funding_round.id,
        )
        pots = roll.eligible_pots(db.session, paper, entry, london_today())
    except NotVerified as error:
        flash(error.message, "important")
        raise _Stop(redirect(url_for("residents.verify", slug=slug, next=request.path))) from None
    except NotEligible as error:
        raise _Stop(refuse(403, "You cannot vote in this round", error.message)) from None
    return council, funding_round, paper, entry, pots


def _pot(paper: BallotPaper, pots, pot_id: int):
    for pot in pots:
        if pot.id == pot_id:
            return pot
    if paper.pot(pot_id) is None:
        raise _Stop(refuse(404, "Page not found", "That pot is not part of this round."))
    if not paper.pot(pot_id).projects:
        raise _Stop(
            refuse(
                404,
                "Page not found",
                f"There is nothing to vote for in {paper.pot(pot_id).name}: no project is on "
                "its ballot.",
            )
        )
    raise _Stop(
        refuse(
            403,
            "You cannot vote in this pot",
            f"You can vote only in your own neighbourhood's pot; {paper.pot(pot_id).name} is "
            "not yours.",
        )
    )


def stops(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except _Stop as stop:
            db.session.rollback()
            return stop.response

    return wrapped


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
    wait = timedelta(seconds=max(1, limit.reset_at - time.time()))
    who = "this account" if "account:" in limit.key else "this address"
    return Response(
        render_template(
            "errors/error.html",
            title="Too many wrong tries",
            body=f"There have been too many wrong references or codes from {who}. Try again "
            f"in {wait_words(wait)}. Nothing was checked or changed.",
        ),
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
            entry = roll.verify(
                db.session,
                council_id=council.id,
                user_id=current_user.id,
                reference=form.reference.data,
                code=form.code.data,
                key=code_key(),
                now=utcnow(),
            )
            db.session.commit()
            flash(_verified_for(council, entry), "success")
            return redirect(target or url_for("public.council", slug=slug))
        except CodeInvalid as error:
            db.session.commit()  # the wrong try counts
            form.code.errors.append(error.message)
        except TooManyTries as error:
            db.session.rollback()  # nothing was checked: not a try
            form.code.errors.append(error.message)
            status = 429
        except CodeError as error:
            db.session.rollback()
            form.code.errors.append(error.message)
        except SQLAlchemyError:
            db.session.rollback()
            current_app.logger.exception("Verifying an account failed; nothing was saved")
            form.code.errors.append(
                "Nothing was checked or saved: the database did not answer. Please try again."
            )
            status = 409
    page = render_template("residents/verify.html", council=council, form=form, next=target)
    return page, status


def _verified_for(council, entry) -> str:
    """What the verification covers, exactly: one round for a round's own roll; for the
    council's roll, its rounds without a roll of their own (named while they are not yet past
    voting), and not those with one."""
    if entry.scope != COUNCIL_SCOPE:
        only = db.session.get(FundingRound, entry.round_id)
        return (
            f"Your account is verified on the roll of {only.title}: you can vote in that round "
            f"only. {council.name}'s other rounds each use their own roll or the council's."
        )
    current = [
        r
        for r in council.rounds
        if r.phase not in (Phase.DRAFT, Phase.CLOSED, Phase.PUBLISHED, Phase.DELIVERY)
    ]
    own_roll = {r.id for r in current if roll.has_round_roll(db.session, r.id)}
    own = [r.title for r in current if r.id in own_roll]
    covered = [r.title for r in current if r.id not in own_roll]
    text = (
        f"Your account is verified on {council.name}'s roll: you can vote in its rounds "
        "that use the council's roll"
    )
    text += f" ({_and(covered)})." if covered else "."
    if own:
        text += (
            f" It does not cover {_and(own)}, which "
            f"{'has its' if len(own) == 1 else 'have their'} own roll."
        )
    return text


def _and(titles: list[str]) -> str:
    return titles[0] if len(titles) == 1 else ", ".join(titles[:-1]) + " and " + titles[-1]


@bp.route(ROUND + "/vote")
@login_required
@stops
def vote(slug: str, round_slug: str):
    council, funding_round, paper, entry, pots = _voter(slug, round_slug)
    voted = {pot.id: box.has_voted(db.session, entry, pot.id) for pot in pots}
    return render_template(
        "residents/vote.html",
        council=council,
        round=funding_round,
        paper=paper,
        pots=pots,
        voted=voted,
    )


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
    summaries = proposals.ballot_summaries(db.session, funding_round, [p.id for p in pot.projects])
    context = {
        "form": form,
        "paper": paper,
        "pot": pot,
        "totals": form.totals(),
        "kinds": BallotKind,
        "summaries": summaries,
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


# An empty ballot's fields are the same for every resident: they depend only on the frozen
# paper and on the summaries beside each project (read from the database on every request, so
# a summary hidden by moderators changes the key). Each process renders them once.
_FRESH_FIELDS: dict[tuple, Markup] = {}
_FRESH_FIELDS_MAX = 256


def _fresh_fields(context: dict) -> Markup:
    paper, pot, summaries = context["paper"], context["pot"], context["summaries"]
    key = (paper.manifest_hash, pot.id, tuple(sorted(summaries.items())))
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


def _changing(paper, entry, pot) -> bool | None:
    """None: may not vote again here; False: a first ballot; True: replacing one."""
    channel = box.has_voted(db.session, entry, pot.id)
    if channel is None:
        return False
    if channel == Channel.ONLINE and paper.allow_vote_change:
        return True
    return None


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
    )


@bp.route(ROUND + "/vote/<int:pot_id>", methods=["GET", "POST"])
@login_required
@stops
def ballot(slug: str, round_slug: str, pot_id: int):
    council, funding_round, paper, entry, pots = _voter(slug, round_slug)
    pot = _pot(paper, pots, pot_id)
    changing = _changing(paper, entry, pot)
    if changing is None:
        flash(f"You have already voted in {pot.name}.", "important")
        return redirect(url_for("residents.vote", slug=slug, round_slug=round_slug))
    draft = kept_draft(funding_round, pot.id) if request.method == "GET" else None
    form = ballot_form(paper, pot, with_receipt=changing, formdata=draft)
    read = request.form.get("read") if request.method == "POST" else None
    # Kept as typed, even a typo: the resident comes back to exactly what they had sent.
    if read is not None and pot.project(read) is not None:
        keep_draft(funding_round, pot.id, form)
        return redirect(
            url_for(
                "public.proposal",
                slug=slug,
                round_slug=round_slug,
                proposal_id=int(read),
                ballot=pot.id,
            ),
            303,
        )
    action = request.form.get("action", "continue")
    if request.method == "POST" and action == "continue" and form.validate_on_submit():
        problems = validate_ballot(
            form.to_ballot(), paper.rules, pot.projects, Fraction(pot.budget_pence)
        )
        if not problems:
            return _check_page(council, funding_round, paper, pot, form, ConfirmForm(), changing)
        form.show_problems(problems)
    elif request.method == "POST" and action != "continue":
        form.validate_on_submit()  # number-of-points typos still show; rules wait for continue
    fresh = request.method == "GET" and draft is None
    return _ballot_page(council, funding_round, paper, pot, form, changing=changing, fresh=fresh)


@bp.route(ROUND + "/vote/<int:pot_id>/confirm", methods=["POST"])
@login_required
@stops
def confirm_ballot(slug: str, round_slug: str, pot_id: int):
    council, funding_round, paper, entry, pots = _voter(slug, round_slug)
    pot = _pot(paper, pots, pot_id)
    changing = _changing(paper, entry, pot)
    if changing is None:
        flash(f"You have already voted in {pot.name}. Your first ballot counts.", "important")
        return redirect(url_for("residents.vote", slug=slug, round_slug=round_slug))
    form = ballot_form(paper, pot, with_receipt=changing)
    if not form.validate_on_submit():
        return _ballot_page(council, funding_round, paper, pot, form, changing=changing)
    draft = _draft_key(funding_round, pot.id)  # now: a commit expires what it names
    committing = False
    try:
        if changing:
            result = box.replace(
                db.session,
                paper,
                entry,
                pot.id,
                form.receipt.data,
                form.to_ballot(),
                today=london_today(),
            )
        else:
            result = box.cast(
                db.session, paper, entry, pot.id, form.to_ballot(), today=london_today()
            )
        committing = True
        db.session.commit()
    except InvalidBallot as error:
        db.session.rollback()
        form.show_problems(error.problems)
        return _ballot_page(council, funding_round, paper, pot, form, changing=changing)
    except (ReceiptNotFound, VoteChangeNotAllowed) as error:
        db.session.rollback()
        if "receipt" in form._fields:
            form.receipt.errors = [error.message]
        return _ballot_page(council, funding_round, paper, pot, form, changing=changing)
    except AlreadyVoted:
        db.session.rollback()
        flash(f"You have already voted in {pot.name}. Your first ballot counts.", "important")
        return redirect(url_for("residents.vote", slug=slug, round_slug=round_slug))
    except RoundClosed:
        db.session.rollback()
        return _closed()
    except NotEligible as error:
        db.session.rollback()
        return refuse(403, "You cannot vote in this pot", error.message)
    except SQLAlchemyError:
        # Not "already voted" (the cast turns that constraint's violation into AlreadyVoted):
        # a lock timeout, a dropped connection. The transaction is rolled back whole.
        db.session.rollback()
        current_app.logger.exception(
            "Casting a ballot in pot %s of round %s failed %s; rolled back",
            pot.id,
            funding_round.id,
            "while committing" if committing else "before committing: nothing was saved",
        )
        if committing and not changing and _saved_after_all(entry, pot.id):
            flash(
                f"Your ballot in {pot.name} was recorded, but its receipt could not be shown.",
                "important",
            )
            return redirect(url_for("residents.vote", slug=slug, round_slug=round_slug))
        confirm = ConfirmForm(formdata=None)
        confirm.submit.errors = [NOT_SAVED]
        return _check_page(council, funding_round, paper, pot, form, confirm, changing)
    forget_draft(draft)
    session["ballot_receipt"] = {
        "pot": pot.id,
        "code": result.receipt,
        "sequence": result.sequence,
        "entry_hash": result.entry_hash,
        "changed": bool(changing),
    }
    return redirect(
        url_for("residents.ballot_cast", slug=slug, round_slug=round_slug, pot_id=pot.id)
    )


NOT_SAVED = (
    "Your ballot was not cast: nothing was saved, because the database did not complete it. "
    "Please try again."
)


def _saved_after_all(entry, pot_id: int) -> bool:
    """After a failed commit, whether it took effect all the same (a connection lost while
    committing leaves that unknown): the voter's mark is read again, and if even that fails
    the answer is no, as the page then asks them to try again, which says if they have voted."""
    try:
        return box.has_voted(db.session, entry, pot_id) is not None
    except SQLAlchemyError:
        db.session.rollback()
        return False


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
            form.receipt.errors.append(error.message)
    return render_template(
        "public/check_receipt.html",
        council=council,
        round=funding_round,
        form=form,
        found=found,
        head=box.log_head(db.session, funding_round.id),
    )


@public_bp.app_context_processor
def _ballot_log():
    """``ballot_log_head(round)`` for the round page: the newest entry of its hash chain."""

    def ballot_log_head(funding_round):
        return box.log_head(db.session, funding_round.id)

    return {"ballot_log_head": ballot_log_head}
