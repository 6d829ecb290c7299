"""What every view shares: running one domain function in a transaction, and putting its
refusal beside the right form field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import abort
from sqlalchemy.exc import IntegrityError

from app import audit
from app.extensions import db
from app.models import FundingRound, Proposal
from app.problems import Conflict, DomainError, Frozen

T = TypeVar("T")


def attempt(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call ``fn(db.session, ...)`` and commit. On a refusal roll everything back, write a
    refusal of a frozen round to the audit trail, and raise the error for the view to show."""
    try:
        result = fn(db.session, *args, **kwargs)
        db.session.commit()
        return result
    except Frozen as error:
        db.session.rollback()
        audit.record_refusal(db.session, error)
        db.session.commit()
        raise
    except DomainError:
        db.session.rollback()
        raise
    except IntegrityError:
        # A database rule caught a race the checks above could not see (e.g. two requests at
        # once): nothing is saved and the person is asked to look again.
        db.session.rollback()
        raise Conflict(
            "Someone else changed this at the same time. Check it and try again."
        ) from None


def show_error(form, error: DomainError, default: str) -> None:
    """Put the error beside its field (or ``default`` when it names none on this form)."""
    name = error.field if error.field and error.field in form._fields else default
    field = form[name]
    if not isinstance(field.errors, list):
        field.errors = list(field.errors)
    field.errors.append(error.message)


def proposal_in_round_or_404(funding_round: FundingRound, proposal_id: int) -> Proposal:
    """A proposal of this round; another round's (or council's) id is not found."""
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or proposal.round_id != funding_round.id:
        abort(404)
    return proposal
