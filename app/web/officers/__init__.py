"""Pages for a council's officers: running rounds, reviewing proposals, voting and delivery;
and, for its administrators, its staff."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, NoReturn, TypeVar

from flask import Blueprint, abort, make_response, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select

from app.web.extensions import db
from app.web.public import council_or_404
from app.web.views import attempt, show_error
from app.workflow import outbox, registrations
from app.workflow.errors import DomainError
from app.workflow.models import Council, FundingRound, MessageState, Proposal, Role
from app.workflow.rounds import find_round

T = TypeVar("T")

bp = Blueprint("officers", __name__, url_prefix="/officers")


def officer_council_or_403(slug: str) -> Council:
    """The council, if the signed-in person is one of its officers (or an administrator)."""
    council = council_or_404(slug)
    if not current_user.has_role(council, Role.OFFICER):
        abort(403)
    return council


def answer(page: str, status: int) -> NoReturn:
    """Stop here and answer with ``page`` (already rendered) and ``status``."""
    abort(make_response(page, status))


def officer_round_or_404(slug: str, round_slug: str) -> tuple[Council, FundingRound]:
    """The council's round, for its officers: 403 for anyone else, 404 for an unknown round."""
    council = officer_council_or_403(slug)
    funding_round = find_round(db.session, council, round_slug)
    if funding_round is None:
        abort(404)
    return council, funding_round


@dataclass(frozen=True)
class Done(Generic[T]):
    """A step that was carried out, and what it returned (which may be None)."""

    value: T


def tried(form, default: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> Done[T] | None:
    """``attempt(fn, ..., actor=the signed-in officer)`` for a form already validated: what
    it returned, as ``Done``; or None when the workflow refused, with the refusal beside its
    field (or ``default``).

    Written ``form.validate_on_submit() and tried(form, ...)``, so the form's values are read
    only once they are valid. A refusal that is not the workflow's (nothing saved) becomes its
    page."""
    try:
        return Done(attempt(fn, *args, actor=current_user, **kwargs))
    except DomainError as error:
        show_error(form, error, default)
        return None


def officer_page(template: str, council: Council, funding_round: FundingRound, **context: Any):
    """An officers' page about one round of the council."""
    return render_template(template, council=council, round=funding_round, **context)


def to_round(slug: str, round_slug: str, endpoint: str = ".round_overview", **values: Any):
    """Back to one of the round's officers' pages (its overview unless ``endpoint`` says)."""
    return redirect(url_for(endpoint, slug=slug, round_slug=round_slug, **values))


@bp.route("/<slug>")
@login_required
def dashboard(slug: str):
    council = officer_council_or_403(slug)
    counts = dict(
        db.session.execute(
            select(Proposal.round_id, func.count())
            .where(Proposal.round_id.in_([r.id for r in council.rounds]))
            .group_by(Proposal.round_id)
        ).all()
    )
    failed = outbox.counts(db.session, council)[MessageState.FAILED]
    return render_template(
        "officers/dashboard.html",
        council=council,
        counts=counts,
        failed_messages=failed,
        waiting_registrations=registrations.waiting(db.session, council),
        is_admin=current_user.has_role(council, Role.ADMIN),
    )


from app.web.officers import (  # noqa: E402,F401  (registers their routes)
    boundaries,
    delivery,
    events,
    languages,
    messages,
    network,
    open_data,
    paper,
    presenting,
    registration,
    review,
    rounds,
    secrecy,
    staff,
    voters,
)
