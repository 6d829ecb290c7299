"""Typed refusals of the ballot box, each with a reason a resident or officer can act on.

Nothing here knows about HTTP: the web app chooses the page and the status.
"""

from __future__ import annotations

import math
from datetime import timedelta

from votes.ballot import Problem


class BallotError(Exception):
    """A request the ballot box refuses. Nothing has been changed."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotEligible(BallotError):
    """This person may not vote in this pot (age, neighbourhood, not on the roll)."""


class NotVerified(NotEligible):
    """The account is not verified against the round's roll."""


class AlreadyVoted(BallotError):
    def __init__(
        self, message: str = "A ballot has already been cast for you in this pot."
    ) -> None:
        super().__init__(message)


class RoundClosed(BallotError):
    """The round is not in its voting phase."""


class VotingOpen(BallotError):
    """Counts are refused while voting is open: nobody sees a running tally."""


class InvalidBallot(BallotError):
    """The ballot breaks the round's rules; ``problems`` are votes' problems, in its words."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(" ".join(p.message for p in problems))
        self.problems = problems


class ReceiptNotFound(BallotError):
    pass


class VoteChangeNotAllowed(BallotError):
    pass


class RollInvalid(BallotError):
    """A roll file with problems: ``problems`` are (row number, message), nothing is stored."""

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        super().__init__(f"{len(problems)} problems in the roll")
        self.problems = problems


class CodeError(BallotError):
    pass


class CodeInvalid(CodeError):
    def __init__(
        self, message: str = "The reference or code is not right. Check your letter and try again."
    ) -> None:
        super().__init__(message)


class CodeExpired(CodeError):
    def __init__(
        self, message: str = "This code has expired. Ask the council for a new one."
    ) -> None:
        super().__init__(message)


class CodeUsed(CodeError):
    def __init__(
        self, message: str = "This code has already been used. Each code verifies one account."
    ) -> None:
        super().__init__(message)


def wait_words(wait: timedelta) -> str:
    """``30 seconds``, ``1 minute``, ``15 minutes``: a wait rounded up."""
    seconds = max(1, math.ceil(wait.total_seconds()))
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


class TooManyTries(CodeError):
    """Too many wrong tries for this reference lately: the next one is checked only after
    ``wait``. The code itself still works."""

    def __init__(self, wait: timedelta) -> None:
        super().__init__(
            "There have been too many wrong tries with this reference, so it is slowed down. "
            f"Wait {wait_words(wait)}, then enter your reference and code again: your code "
            "still works."
        )
        self.wait = wait
