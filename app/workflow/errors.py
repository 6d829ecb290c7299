"""The workflow's refusals, each with a reason a person can act on.

Every refusal in Devolve derives from ``ballots.refusals.Refusal`` (the ballot box's errors
too): ``message`` is the sentence to show, ``field`` the form field it belongs beside (or None
when it concerns the whole request), ``status`` the HTTP status it means. The web layer turns
them into pages in one place (``app.web.views``); nothing here knows about HTTP.

The sentence is marked with ``N_`` and carries its values, so the page shows it in the reader's
language: ``DomainError(N_("Only residents of %(council)s can do this"), council=name)``; money
as ``Money(pence)``, dates as ``Day(date)``, a phase's name as ``Text(phase.label).lowered()``
(``ballots.refusals``).
"""

from __future__ import annotations

from typing import Any

from ballots.refusals import N_, Refusal

__all__ = ["Conflict", "DomainError", "Frozen", "NotSaved", "Refusal", "WrongPhase"]


class DomainError(Refusal):
    """A request the council workflow's rules refuse. Nothing has been changed."""


class WrongPhase(DomainError):
    """The round is not in a phase that allows this (proposals closed, supports not open, ...)."""

    status = 409


class Conflict(DomainError):
    """Someone else changed the same thing first (a compare-and-set found another state)."""

    status = 409


class NotSaved(Refusal):
    """The database failed part-way (a lock timeout, a dropped connection): everything was
    rolled back, nothing was saved, and trying again may work. Never a rule's answer."""

    status = 503

    def __init__(
        self,
        message: str = N_("Nothing was saved: there was a problem on our side. Please try again."),
        field: str | None = None,
        **params: Any,
    ) -> None:
        super().__init__(message, field, **params)


class Frozen(DomainError):
    """Voting has opened: the pots, costs, proposal list and voting rules can no longer change.

    Carries what was attempted, so the refusal can be written to the audit trail.
    """

    status = 409

    def __init__(
        self,
        message: str,
        *,
        round: Any,
        action: str,
        actor: Any,
        subject: Any = None,
        field: str | None = None,
        **params: Any,
    ) -> None:
        super().__init__(message, field, **params)
        self.round = round
        self.action = action
        self.actor = actor
        self.subject = subject
