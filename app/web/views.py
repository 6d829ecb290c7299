"""What every view shares: the one way a POST changes something (``attempt``: run a workflow
function in a transaction, commit, or roll back and answer with the refusal), the one table of
how each kind of refusal is answered when it belongs beside no form field (``REFUSAL_TITLES``,
with the status each refusal class carries), and refusing a request that names nothing the
person may see (logged for the operators and rate-limited, never written to the audit trail).

A database failure (a lock timeout, a dropped connection) is rolled back whole and answered
"nothing was saved, please try again" (``NotSaved``), never as a rule's answer: a failed
commit is not "already voted".

A refusal's sentence (and any ``ballots.refusals.Text`` the workflow writes: the problems
listed before a phase change, a roll file's problems) is shown in the page's language by
``say``, here and nowhere else: its page, a form field's error, a flash, the API's JSON."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any, NoReturn, TypeVar

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_number, get_translations
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_login import current_user
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from app.web import i18n
from app.web.extensions import db, limiter
from app.workflow import audit, proposals, voting
from app.workflow.errors import Conflict, Frozen, NotSaved, WrongPhase
from app.workflow.models import FundingRound, Proposal
from ballots.errors import (
    AlreadyVoted,
    CheckedIn,
    NotEligible,
    NotVerified,
    RoundClosed,
    VotingOpen,
)
from ballots.refusals import N_, Refusal, Text

T = TypeVar("T")

refusal_log = logging.getLogger("devolve.refusals")


def _refusal_key() -> str:
    """Refusals are counted per account when signed in (so changing address does not help),
    else per client address."""
    if current_user.is_authenticated:
        return f"account-{current_user.id}"
    return get_remote_address() or "unknown"


def _refused(response) -> bool:
    return response.status_code in (403, 404)


# For views whose refusals would otherwise be free to repeat without end (the audit pages and
# exports): only refused requests count, so the people with access are never slowed down; past
# the limit every request gets the "Too many attempts" page before the view runs.
refusals_limited = limiter.shared_limit(
    lambda: current_app.config["REFUSAL_RATE_LIMIT"],
    scope="refused",
    key_func=_refusal_key,
    deduct_when=_refused,
)


class PageLanguage:
    """The page's language for ``Text``: its catalogue, and its way of writing money, dates,
    numbers and lists (``app.web.presenters.formatting``)."""

    def gettext(self, message: str) -> str:
        return get_translations().gettext(message)

    def pgettext(self, context: str, message: str) -> str:
        return get_translations().pgettext(context, message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return get_translations().ngettext(singular, plural, n)

    def money(self, pence: int, *, always_pence: bool = False) -> str:
        from app.web.presenters.formatting import money

        return money(pence, always_pence=always_pence)

    def day(self, value) -> str:
        from app.web.presenters.formatting import long_date

        return long_date(value)

    def number(self, n: int) -> str:
        return format_number(n)

    def listing(self, items: list[str]) -> str:
        if len(items) <= 1:
            return "".join(items)
        # "a, b and c": no comma before the last, GOV.UK style.
        return _("%(items)s and %(last)s", items=", ".join(items[:-1]), last=items[-1])


PAGE_LANGUAGE = PageLanguage()


def say(text: Refusal | str) -> str:
    """A refusal's sentence, or a ``Text``, in the page's language; any other string (a
    name, an English sentence nobody marked) as it is."""
    problems = getattr(text, "problems", None)
    if isinstance(text, Refusal) and problems and hasattr(problems[0], "in_language"):
        # An invalid ballot: votes' own problems, each in the page's language.
        from app.web.i18n import current

        return " ".join(problem.in_language(current()) for problem in problems)
    if isinstance(text, Refusal):
        text = text.message
    if isinstance(text, Text):
        return text.render(PAGE_LANGUAGE)
    return str(text)


def refuse(status: int, reason: str) -> NoReturn:
    """Abort with ``status`` after a line in the server log naming the account, the method, the
    path and why: for requests about things that do not exist or that the person has no role
    near, which the audit trail (a record of what happened in a council) does not take."""
    # The id, never get_id(): that is the session token, a secret.
    account = current_user.id if current_user.is_authenticated else None
    refusal_log.warning(
        "refused %s %r with %d for account %s: %s",
        request.method,
        request.path,
        status,
        account,
        reason,
    )
    abort(status)


def attempt(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call ``fn(db.session, ...)`` and commit: the one way a view changes something.

    On a refusal everything is rolled back (a refusal of a frozen round is then written to the
    audit trail) and the refusal is raised for the view to show, beside a form field
    (``show_error``) or as a page (``refusal_page``, also what an uncaught refusal becomes).
    A database rule that catches a race the checks could not see becomes ``Conflict``; any
    other database failure, before or during the commit, becomes ``NotSaved``."""
    try:
        result = fn(db.session, *args, **kwargs)
        db.session.commit()
        return result
    except Frozen as error:
        db.session.rollback()
        audit.record_refusal(db.session, error)
        db.session.commit()
        raise
    except Refusal:
        db.session.rollback()
        raise
    except IntegrityError:
        # A database rule caught a race the checks above could not see (e.g. two requests at
        # once): nothing is saved and the person is asked to look again.
        db.session.rollback()
        raise Conflict(
            N_("Someone else changed this at the same time. Check it and try again.")
        ) from None
    except SQLAlchemyError:
        db.session.rollback()
        current_app.logger.exception(
            "%s failed in the database; rolled back", getattr(fn, "__qualname__", fn)
        )
        raise NotSaved() from None


# How a refusal that belongs beside no form field is answered: the title of its page, by
# class (the nearest in the class's ancestry wins); the status is the class's own.
REFUSAL_TITLES: dict[type[Refusal], str] = {
    NotSaved: _l("Nothing was saved"),
    RoundClosed: _l("Voting is not open"),
    VotingOpen: _l("Voting is still open"),
    AlreadyVoted: _l("You have already voted"),
    CheckedIn: _l("You have checked in at a voting event"),
    NotEligible: _l("You cannot vote here"),
    WrongPhase: _l("This cannot be done at this stage of the round"),
    Conflict: _l("Someone else changed this first"),
    voting.NotAResident: _l("You cannot vote in this round"),
    voting.NotYourPot: _l("You cannot vote in this pot"),
    voting.NotOnThisBallot: _l("Page not found"),
    Refusal: _l("This cannot be done"),
}


def _nearest(table: dict[type[Refusal], T], error: Refusal) -> T | None:
    """The entry for the error's class, or for its nearest ancestor that has one."""
    return next((table[cls] for cls in type(error).__mro__ if cls in table), None)


def refusal_title(error: Refusal) -> str:
    return str(_nearest(REFUSAL_TITLES, error) or REFUSAL_TITLES[Refusal])


def refusal_page(error: Refusal, *, title: str | None = None):
    """The page for a refusal that belongs beside no form field, with its status."""
    return (
        render_template("errors/error.html", title=title or refusal_title(error), body=say(error)),
        error.status,
    )


def show_error(form, error: Refusal, default: str) -> None:
    """Put the error beside its field (or ``default`` when it names none on this form)."""
    name = error.field if error.field and error.field in form._fields else default
    field = form[name]
    if not isinstance(field.errors, list):
        field.errors = list(field.errors)
    field.errors.append(say(error))


def proposal_in_round_or_404(funding_round: FundingRound, proposal_id: int) -> Proposal:
    """A proposal of this round; another round's (or council's) id is not found."""
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or proposal.round_id != funding_round.id:
        abort(404)
    return proposal


# -- Refusals answered by a redirect
def _to_verify(error: Refusal) -> str:
    return url_for("residents.verify", slug=request.view_args["slug"], next=request.path)


def _to_own_ballots(error: Refusal) -> str:
    args = request.view_args
    return url_for("residents.vote", slug=args["slug"], round_slug=args["round_slug"])


# Refusals answered by sending the person where they can act, with the refusal's message as a
# flash, instead of by a page: the class (the nearest in the class's ancestry wins) -> where.
REFUSAL_REDIRECTS: dict[type[Refusal], Callable[[Refusal], str]] = {
    NotVerified: _to_verify,
    AlreadyVoted: _to_own_ballots,
}


def refusal_answer(error: Refusal):
    """How a refusal that belongs beside no form field is answered: a redirect with a flash
    for a class in ``REFUSAL_REDIRECTS``, else its page (``refusal_page``)."""
    where = _nearest(REFUSAL_REDIRECTS, error)
    if where is None or isinstance(error, CheckedIn):
        return refusal_page(error)
    flash(say(error), "important")
    return redirect(where(error))


def answers_refusals(view: Callable[..., Any]) -> Callable[..., Any]:
    """A view whose uncaught refusals are answered by ``refusal_answer`` (rolled back first)."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any):
        try:
            return view(*args, **kwargs)
        except Refusal as error:
            db.session.rollback()
            return refusal_answer(error)

    return wrapped


def paper_texts(funding_round: FundingRound, project_ids=(), *, summaries: bool = False) -> dict:
    """The round's pots' names and its projects' titles in the reader's language, for a page
    whose list comes from the frozen ballot paper or a stored result, which keep the one name
    each had when voting opened: ``pot_names`` (pot id -> Shown) and ``names`` (project id, as
    the paper writes it, a string -> its proposal's title); with ``summaries``, ``summaries``
    (project id -> its summary, None where moderators hid its text). A page shows the paper's
    or the result's name where a row is not found. Two queries, whatever the number of
    projects."""
    rows = proposals.on_paper(db.session, funding_round, project_ids)
    out = {
        "pot_names": i18n.in_page_language_by_id(funding_round.pots, "name"),
        "names": {str(i): shown for i, shown in i18n.in_page_language_by_id(rows, "title").items()},
    }
    if summaries:
        out["summaries"] = {
            str(p.id): None if p.is_hidden else i18n.in_page_language(p, "summary") for p in rows
        }
    return out
