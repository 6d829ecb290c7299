"""Every refusal of the ballot box is a ``Refusal``: a sentence, an optional form field and the
status its class intends, with the messages residents and officers see today."""

import inspect
from datetime import timedelta

import pytest

from ballots import errors, roll
from ballots.errors import (
    AlreadyOnRoll,
    AlreadyRegistered,
    AlreadyVoted,
    BallotError,
    CheckedIn,
    CodeBusy,
    CodeError,
    CodeExpired,
    CodeInvalid,
    CodeSpent,
    CodeUnreachable,
    CodeUsed,
    ContactInvalid,
    GazetteerInvalid,
    InvalidBallot,
    NotDecrypted,
    NotEligible,
    NotVerified,
    ReceiptNotFound,
    RegistrationDecided,
    RegistrationNotFound,
    RegistrationRefused,
    RollInvalid,
    RoundClosed,
    SecrecyFileRefused,
    TooManyTries,
    VoteChangeNotAllowed,
    VotingOpen,
    WrongStep,
)
from ballots.refusals import Refusal
from votes.ballot import Problem

PROBLEMS = [
    Problem("too_many", "Choose at most 3 projects."),
    Problem("over_budget", "Your choices cost more than the pot.", "p1"),
]

# Each ballot error, built as its callers build it, with the message and status it must have.
CASES = [
    (BallotError("Something was refused."), "Something was refused.", 422),
    (
        NotEligible("You are not on this council's roll."),
        "You are not on this council's roll.",
        403,
    ),
    (NotVerified("Verify your account first."), "Verify your account first.", 403),
    (AlreadyVoted(), "A ballot has already been cast for you in this pot.", 409),
    (
        CheckedIn(),
        "You have checked in at a voting event in this round: vote at one of its kiosks.",
        409,
    ),
    (RoundClosed("Voting is not open in this round."), "Voting is not open in this round.", 409),
    (
        VotingOpen("Ballots are counted only after voting closes: there is no running tally."),
        "Ballots are counted only after voting closes: there is no running tally.",
        409,
    ),
    (
        InvalidBallot(PROBLEMS),
        "Choose at most 3 projects. Your choices cost more than the pot.",
        422,
    ),
    (
        ReceiptNotFound("No ballot in this round has that receipt code."),
        "No ballot in this round has that receipt code.",
        404,
    ),
    (
        VoteChangeNotAllowed("This round does not allow changing your vote."),
        "This round does not allow changing your vote.",
        403,
    ),
    (RollInvalid([(2, "No reference."), (5, "Bad date.")]), "2 problems in the roll", 422),
    (GazetteerInvalid([(2, "No UPRN.")]), "1 problem in the address list", 422),
    (RegistrationRefused("Enter your name."), "Enter your name.", 422),
    (AlreadyRegistered("You have already registered."), "You have already registered.", 409),
    (
        AlreadyOnRoll(),
        "Someone with this name and date of birth is already on this roll at this address. "
        "A person can be on the roll once.",
        409,
    ),
    (RegistrationNotFound(), "That registration is not one of this council's.", 404),
    (
        RegistrationDecided("That registration has been decided."),
        "That registration has been decided.",
        409,
    ),
    (
        SecrecyFileRefused("That mix cannot be used: the shuffle proof does not hold."),
        "That mix cannot be used: the shuffle proof does not hold.",
        422,
    ),
    (
        NotDecrypted("The trustees have not decrypted the ballots of Council-wide yet."),
        "The trustees have not decrypted the ballots of Council-wide yet.",
        409,
    ),
    (
        WrongStep("No more mixes are needed for Council-wide."),
        "No more mixes are needed for Council-wide.",
        409,
    ),
    (CodeError("That reference is not on the roll."), "That reference is not on the roll.", 422),
    (
        CodeInvalid(),
        "The reference or code is not right. Check your letter and try again.",
        422,
    ),
    (
        ContactInvalid(field=None),
        "Enter a UK mobile number, like 07700 900123, or an email address, like name@example.org.",
        422,
    ),
    (
        CodeSpent(field=None),
        "This code has been tried wrongly too many times, so it no longer works. Ask for a "
        "new code.",
        429,
    ),
    (
        CodeBusy(field=None),
        "Another try with this code is being checked. Wait a moment, then enter it again.",
        429,
    ),
    (CodeExpired(), "This code has expired. Ask the council for a new one.", 422),
    (
        CodeUnreachable(roll.UNREACHABLE_ONE["address"], reference="A1"),
        "A1 has no postal address on the roll: download their code to post it yourselves, "
        "or add their address to the roll.",
        422,
    ),
    (
        CodeUsed(),
        "This code has already been used. Each code verifies one account.",
        409,
    ),
    (
        TooManyTries(timedelta(seconds=30)),
        "There have been too many wrong tries with this reference, so it is slowed down. "
        "Wait 30 seconds, then enter your reference and code again: your code still works.",
        429,
    ),
]


def ballot_error_classes() -> set[type]:
    return {
        cls
        for _, cls in inspect.getmembers(errors, inspect.isclass)
        if issubclass(cls, BallotError) and cls.__module__ == errors.__name__
    }


def test_every_ballot_error_has_a_case():
    # A new error class without a row here would escape the checks below.
    assert {type(error) for error, _, _ in CASES} == ballot_error_classes()


@pytest.mark.parametrize(("error", "message", "status"), CASES, ids=lambda v: type(v).__name__)
def test_a_ballot_error_is_a_refusal_with_its_message_and_status(error, message, status):
    assert isinstance(error, Refusal)
    assert error.message == message
    assert str(error) == message
    assert error.status == status
    assert error.field is None


def test_the_statuses_are_the_ones_a_refusal_may_intend():
    assert {cls.status for cls in ballot_error_classes()} <= {400, 403, 404, 409, 422, 429}


def test_a_caller_may_name_the_field_a_refusal_belongs_beside():
    assert CodeInvalid(field="code").field == "code"
    assert CodeInvalid(field="code").message == CodeInvalid().message
    assert ReceiptNotFound("Enter your receipt code.", field="receipt").field == "receipt"
    assert AlreadyVoted(field="reference").field == "reference"
    assert TooManyTries(timedelta(minutes=15), field="code").field == "code"
    assert InvalidBallot(PROBLEMS, field="choices").problems == PROBLEMS


def test_the_errors_keep_what_they_carry_besides_the_message():
    assert InvalidBallot(PROBLEMS).problems == PROBLEMS
    assert RollInvalid([(2, "No reference.")]).problems == [(2, "No reference.")]
    assert TooManyTries(timedelta(seconds=90)).wait == timedelta(seconds=90)
    assert "Wait 2 minutes," in TooManyTries(timedelta(seconds=90)).message


def test_a_refusal_is_caught_as_one_whatever_its_kind():
    with pytest.raises(Refusal) as caught:
        raise CodeUsed()
    assert isinstance(caught.value, CodeError)
    assert caught.value.status == 409


def test_a_plain_refusal_has_a_message_a_field_and_the_default_status():
    refusal = Refusal("Choose a pot.", "pot")
    assert (refusal.message, refusal.field, refusal.status) == ("Choose a pot.", "pot", 422)
    assert Refusal("Choose a pot.").field is None


# --- A refusal's sentence in any language -----------------------------------------------------


class Pirate:
    """A language for the tests: its own words for a few msgids, and its own way of writing
    money, dates, numbers and lists."""

    WORDS = {
        "You have already voted in %(pot)s.": "Ye've voted in %(pot)s already.",
        "%(num)s minute": "%(num)s turn o' the glass",
        "%(num)s minutes": "%(num)s turns o' the glass",
        "Voting closed": "Votin' be closed",
        "Broken %(nothing)s": "Broken %(missing)s",
    }

    def gettext(self, message):
        return self.WORDS.get(message, message)

    def pgettext(self, context, message):
        return f"{context}:{self.WORDS.get(message, message)}"

    def ngettext(self, singular, plural, n):
        return self.WORDS.get(singular if n == 1 else plural, singular if n == 1 else plural)

    def money(self, pence, *, always_pence=False):
        return f"{pence} doubloons" + (" exactly" if always_pence else "")

    def day(self, value):
        return f"day {value.toordinal()}"

    def number(self, n):
        return f"#{n}"

    def listing(self, items):
        return " & ".join(items)


def test_a_refusal_keeps_its_msgid_and_values_and_reads_as_english():
    from ballots.refusals import N_

    refusal = AlreadyVoted(N_("You have already voted in %(pot)s."), pot="Centre")
    assert refusal.message == str(refusal) == "You have already voted in Centre."
    assert refusal.message.msgid == "You have already voted in %(pot)s."
    assert refusal.message.params == {"pot": "Centre"}
    assert refusal.message.render(Pirate()) == "Ye've voted in Centre already."


def test_values_are_written_in_the_readers_language():
    from datetime import date

    from ballots.refusals import Day, Listed, Money, Number, Text

    text = Text(
        "%(a)s, %(b)s, %(c)s on %(d)s to %(e)s",
        a=Money(125050),
        b=Money(500, always_pence=True),
        c=Number(1204),
        d=Day(date(2026, 12, 2)),
        e=Listed(["A", "B", "C"]),
    )
    assert text == "£1,250.50, £5.00, 1,204 on 2 December 2026 to A, B and C"
    assert text.render(Pirate()) == (
        f"125050 doubloons, 500 doubloons exactly, #1204 on day {date(2026, 12, 2).toordinal()} "
        "to A & B & C"
    )


def test_plural_context_lowered_and_nested_texts():
    from ballots.refusals import NP_, Nn_, Text

    one, many = (Nn_("%(num)s minute", "%(num)s minutes", n) for n in (1, 1500))
    assert (one, many) == ("1 minute", "1,500 minutes")
    assert many.render(Pirate()) == "#1500 turns o' the glass"
    assert NP_("letter heading", "code") == "code"
    assert NP_("letter heading", "code").render(Pirate()) == "letter heading:code"
    phase = Text("in %(phase)s", phase=Text("Voting closed").lowered())
    assert phase == "in voting closed"
    assert phase.render(Pirate()) == "in votin' be closed"
    # A user's words are never looked up: only Texts are translated.
    assert Text("%(name)s", name="Voting closed").render(Pirate()) == "Voting closed"


def test_a_translation_that_does_not_fit_falls_back_to_english():
    from ballots.refusals import Text

    assert Text("Broken %(nothing)s", nothing="x").render(Pirate()) == "Broken x"


def test_a_text_copied_or_pickled_keeps_its_parts():
    import copy
    import pickle

    refusal = TooManyTries(timedelta(minutes=2))
    pickled = pickle.loads(pickle.dumps(refusal.message))  # noqa: S301 - our own bytes
    for again in (copy.deepcopy(refusal.message), pickled):
        assert again == refusal.message
        assert again.msgid == refusal.message.msgid
        assert again.render(Pirate()) == refusal.message.render(Pirate())
    assert "Wait #2 turns o' the glass," in refusal.message.render(Pirate())
