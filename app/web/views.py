"""What every view shares: running one domain function in a transaction, putting its
refusal beside the right form field, and refusing a request that names nothing the person may
see (logged for the operators and rate-limited, never written to the audit trail)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

from flask import abort, current_app, request
from flask_limiter.util import get_remote_address
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from app.web.extensions import db, limiter
from app.workflow import audit
from app.workflow.errors import Conflict, DomainError, Frozen
from app.workflow.models import FundingRound, Proposal

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
