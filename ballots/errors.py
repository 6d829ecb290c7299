"""Typed refusals of the ballot box, each with a reason a resident or officer can act on.

Every one is a :class:`ballots.refusals.Refusal`: ``message``, ``field`` (None unless the
caller names the form field it belongs beside) and the HTTP ``status`` its class intends.
Nothing here knows about HTTP: the web app chooses the page, and may choose another status.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from ballots.refusals import N_, Nn_, Refusal, Text
from votes.ballot import Problem


class BallotError(Refusal):
    """A request the ballot box refuses. Nothing has been changed. Status 422."""


class NotEligible(BallotError):
    """This person may not vote in this pot (age, neighbourhood, not on the roll). Status 403."""

    status = 403


class NotVerified(NotEligible):
    """The account is not verified against the round's roll. Status 403 (the page may send
    the person to verify instead)."""


class AlreadyVoted(BallotError):
    """A ballot has already been cast for this roll entry in this pot, online or on paper.
    Status 409."""

    status = 409

    def __init__(
        self,
        message: str = N_("A ballot has already been cast for you in this pot."),
        field: str | None = None,
        **params: Any,
    ) -> None:
        super().__init__(message, field, **params)


class CheckedIn(AlreadyVoted):
    """The person has checked in at a voting event of this round: they vote at its kiosks,
    and nowhere else (not online, not on paper). Status 409."""

    def __init__(
        self,
        message: str = N_(
            "You have checked in at a voting event in this round: vote at one of its kiosks."
        ),
        field: str | None = None,
        **params: Any,
    ) -> None:
        super().__init__(message, field, **params)


class RoundClosed(BallotError):
    """The round is not in its voting phase (or its log is sealed). Status 409."""

    status = 409


class VotingOpen(BallotError):
    """Counts are refused while voting is open: nobody sees a running tally. Status 409."""

    status = 409


class InvalidBallot(BallotError):
    """The ballot breaks the round's rules; ``problems`` are votes' problems, in its words.
    Status 422."""

    def __init__(self, problems: list[Problem], field: str | None = None) -> None:
        super().__init__(" ".join(p.message for p in problems), field)
        self.problems = problems


class ReceiptNotFound(BallotError):
    """No ballot of this round or pot has that receipt, or its ballot was already replaced.
    Status 404."""

    status = 404


class VoteChangeNotAllowed(BallotError):
    """The round does not allow changing a vote, or this voter has no online ballot in the
    pot to change. Status 403."""

    status = 403


class RollInvalid(BallotError):
    """A roll file with problems: ``problems`` are (row number, message), nothing is stored.
    Status 422."""

    def __init__(self, problems: list[tuple[int, str]], field: str | None = None) -> None:
        super().__init__(
            Nn_("%(num)s problem in the roll", "%(num)s problems in the roll", len(problems)),
            field,
        )
        self.problems = problems


class CodeError(BallotError):
    """A reference and verification code that cannot be used. Status 422."""


class CodeInvalid(CodeError):
    """The reference is not on the roll or the code is wrong: the try counts. Status 422."""

    def __init__(
        self,
        message: str = N_("The reference or code is not right. Check your letter and try again."),
        field: str | None = None,
        **params: Any,
    ) -> None:
        super().__init__(message, field, **params)


class CodeUnreachable(CodeError):
    """A code cannot be sent the way asked: the roll has no address (or mobile number) for
    the person, or for anyone who needs one. Nothing is issued. Status 422."""


class CodeExpired(CodeError):
    """The code is past its expiry: a new one must be issued. Status 422."""

    def __init__(
        self,
        message: str = N_("This code has expired. Ask the council for a new one."),
        field: str | None = None,
        **params: Any,
    ) -> None:
        super().__init__(message, field, **params)


class CodeUsed(CodeError):
    """The code, or the roll entry, has already verified an account. Status 409."""

    status = 409

    def __init__(
        self,
        message: str = N_("This code has already been used. Each code verifies one account."),
        field: str | None = None,
        **params: Any,
    ) -> None:
        super().__init__(message, field, **params)


def wait_words(wait: timedelta) -> Text:
    """``30 seconds``, ``1 minute``, ``15 minutes``: a wait rounded up (in any language)."""
    seconds = max(1, math.ceil(wait.total_seconds()))
    if seconds < 60:
        return Nn_("%(num)s second", "%(num)s seconds", seconds)
    minutes = math.ceil(seconds / 60)
    return Nn_("%(num)s minute", "%(num)s minutes", minutes)


class TooManyTries(CodeError):
    """Too many wrong tries for this reference lately: the next one is checked only after
    ``wait``. The code itself still works. Status 429."""

    status = 429

    def __init__(self, wait: timedelta, field: str | None = None) -> None:
        super().__init__(
            N_(
                "There have been too many wrong tries with this reference, so it is slowed "
                "down. Wait %(wait)s, then enter your reference and code again: your code "
                "still works."
            ),
            field,
            wait=wait_words(wait),
        )
        self.wait = wait


class ContactInvalid(CodeError):
    """What was typed to send a code to is neither a UK mobile number nor an email address.
    Nothing is looked up or sent. Status 422."""

    def __init__(
        self,
        message: str = N_(
            "Enter a UK mobile number, like 07700 900123, or an email address, like "
            "name@example.org."
        ),
        field: str | None = "contact",
        **params: Any,
    ) -> None:
        super().__init__(message, field, **params)


class CodeSpent(CodeError):
    """A texted or emailed code tried wrongly too many times: it no longer works, and a new
    one must be asked for. Nothing was checked. Status 429."""

    status = 429

    def __init__(
        self,
        message: str = N_(
            "This code has been tried wrongly too many times, so it no longer works. Ask for a "
            "new code."
        ),
        field: str | None = "code",
        **params: Any,
    ) -> None:
        super().__init__(message, field, **params)


class CodeBusy(CodeError):
    """Another try with the same code is being checked at this moment: this one was not
    checked or counted. Status 429."""

    status = 429

    def __init__(
        self,
        message: str = N_(
            "Another try with this code is being checked. Wait a moment, then enter it again."
        ),
        field: str | None = "code",
        **params: Any,
    ) -> None:
        super().__init__(message, field, **params)


class SecrecyFileRefused(BallotError):
    """A trustee's file (a mix, a partial decryption) that does not prove what it must, or is
    for another round, pot or step; the message names what is wrong. Nothing was stored.
    Status 422."""


class NotDecrypted(BallotError):
    """An encrypted pot whose ballots the trustees have not decrypted yet: nothing to count.
    Status 409."""

    status = 409


class WrongStep(BallotError):
    """A step of an encrypted round's count taken out of turn (decrypting before the mixes
    are in, mixing after the decryption has started, a second file from one trustee).
    Status 409."""

    status = 409


class GazetteerInvalid(RollInvalid):
    """An address list (gazetteer) file with problems: ``problems`` are (row number,
    message), nothing is stored. Status 422."""

    def __init__(self, problems: list[tuple[int, str]], field: str | None = None) -> None:
        BallotError.__init__(
            self,
            Nn_(
                "%(num)s problem in the address list",
                "%(num)s problems in the address list",
                len(problems),
            ),
            field,
        )
        self.problems = problems


class RegistrationRefused(BallotError):
    """A registration (by a resident at a gazetteer address, or by an officer in person)
    that breaks the rules: an address not in the council's list, no name, an impossible date
    of birth. The message says which; nothing is stored. Status 422."""


class AlreadyRegistered(RegistrationRefused):
    """The account has already registered on this roll, or is already verified on it.
    Status 409."""

    status = 409


class AlreadyOnRoll(RegistrationRefused):
    """Someone with this name, date of birth and address is already on this roll: a person
    is on a roll once. Status 409."""

    status = 409

    def __init__(
        self,
        message: str = N_(
            "Someone with this name and date of birth is already on this roll at this "
            "address. A person can be on the roll once."
        ),
        field: str | None = None,
        **params: Any,
    ) -> None:
        super().__init__(message, field, **params)


class RegistrationNotFound(RegistrationRefused):
    """No registration of this council has that id. Status 404."""

    status = 404

    def __init__(
        self,
        message: str = N_("That registration is not one of this council's."),
        field: str | None = None,
        **params: Any,
    ) -> None:
        super().__init__(message, field, **params)


class RegistrationDecided(RegistrationRefused):
    """The registration was already approved or refused: only a waiting one is decided.
    Status 409."""

    status = 409
