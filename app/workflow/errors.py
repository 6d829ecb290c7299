"""Typed errors the domain modules raise, each with a reason a person can act on.

``field`` names the form field the message belongs beside (or None when it concerns the whole
request). Views turn them into GOV.UK error messages; nothing here knows about HTTP.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A request the rules refuse. Nothing has been changed."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class WrongPhase(DomainError):
    """The round is not in a phase that allows this (proposals closed, supports not open, ...)."""


class Conflict(DomainError):
    """Someone else changed the same thing first (a compare-and-set found another state)."""


class Frozen(DomainError):
    """Voting has opened: the pots, costs, proposal list and voting rules can no longer change.

    Carries what was attempted, so the refusal can be written to the audit trail.
    """

    def __init__(
        self,
        message: str,
        *,
        round: Any,
        action: str,
        actor: Any,
        subject: Any = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message, field)
        self.round = round
        self.action = action
        self.actor = actor
        self.subject = subject
