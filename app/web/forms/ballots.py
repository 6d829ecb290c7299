"""Forms for voting: verifying with a posted code or one texted or emailed, the ballot itself
(built per pot from the frozen ballot paper), checking a receipt, and the officers' roll upload,
codes and paper ballots.

The ballot's fields accept whatever is sent: a tampered value is not refused here but passed to
``votes`` validation, so the resident sees exactly its message (an unknown project, a
duplicate, too many...). Only a value that is not a number of points at all is refused here.
"""

from __future__ import annotations

from fractions import Fraction

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import RadioField, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import AnyOf, InputRequired, Length

from app.web.forms.fields import (
    GovFileInput,
    GovSubmitInput,
    GovTextInput,
    RadioChoiceField,
    WholeNumberField,
    lazy_text,
    options,
)
from app.web.i18n import current as current_language
from app.web.views import show_error
from ballots.errors import InvalidBallot
from ballots.paper import BallotPaper, PotPaper
from ballots.refusals import N_, Refusal
from votes.ballot import Problem, format_money, validate_ballot
from votes.model import Ballot, BallotKind


class VerifyForm(FlaskForm):
    reference = StringField(
        _l("Your reference"),
        description=_l("It is on the letter, above the code"),
        widget=GovTextInput(),
        validators=[
            InputRequired(message=_l("Enter the reference from your letter")),
            Length(max=64, message=_l("The reference is 64 characters or fewer")),
        ],
    )
    code = StringField(
        _l("Your code"),
        description=_l("10 letters and numbers, like ABCDE-23456"),
        widget=GovTextInput(),
        validators=[
            InputRequired(message=_l("Enter the code from your letter")),
            Length(max=40, message=_l("The code is 10 letters and numbers, like ABCDE-23456")),
        ],
    )
    submit = SubmitField(_l("Verify"), widget=GovSubmitInput())


class ContactForm(FlaskForm):
    """Where to send a six-digit code: the mobile number or email address on the roll."""

    contact = StringField(
        _l("Mobile number or email address"),
        description=_l("The one the council has for you, like 07700 900123 or name@example.org"),
        widget=GovTextInput(),
        validators=[
            InputRequired(message=_l("Enter your mobile number or email address")),
            Length(max=254, message=_l("An email address is 254 characters or fewer")),
        ],
    )
    submit = SubmitField(_l("Send a code"), widget=GovSubmitInput())


class ContactCodeForm(FlaskForm):
    code = StringField(
        _l("Your code"),
        description=_l("6 digits, like 123456, from the text message or email"),
        widget=GovTextInput(),
        validators=[
            InputRequired(message=_l("Enter the code from the text message or email")),
            Length(max=20, message=_l("The code is 6 digits, like 123456")),
        ],
    )
    submit = SubmitField(_l("Verify"), widget=GovSubmitInput())


class ReceiptForm(FlaskForm):
    receipt = StringField(
        _l("Your receipt code"),
        description=_l("The code shown when you voted, like ABCDE-FGHIJ-…"),
        widget=GovTextInput(),
        validators=[
            InputRequired(message=_l("Enter your receipt code")),
            Length(max=80, message=_l("A receipt code is 26 letters and numbers")),
        ],
    )
    submit = SubmitField(_l("Check my receipt"), widget=GovSubmitInput())


class RollForm(FlaskForm):
    roll = FileField(_l("Roll file (CSV)"), widget=GovFileInput())
    scope = RadioChoiceField(
        _l("Who is this roll for?"),
        choices=options(
            [
                ("round", _l("This round only (replaces the council roll for this round)")),
                ("council", _l("The council's roll, for every round without its own")),
            ]
        ),
        required_message=_l("Select who the roll is for"),
        invalid_choice_message=_l("Select who the roll is for from the list"),
    )
    submit = SubmitField(_l("Upload roll"), widget=GovSubmitInput())


class PaperBatchForm(FlaskForm):
    """A file of paper ballots for one pot (docs/paper-ballots.md)."""

    batch = FileField(_l("File of paper ballots (CSV)"), widget=GovFileInput())
    submit = SubmitField(_l("Check the file"), widget=GovSubmitInput())


class BatchDecisionForm(FlaskForm):
    """Store a checked file's accepted ballots, check it again, or discard it: the button
    pressed is ``action``."""

    action = StringField(
        validators=[
            AnyOf(("store", "discard", "recheck"), message=_l("Choose to store or discard")),
        ]
    )


class IssueCodesForm(FlaskForm):
    which = RadioChoiceField(
        _l("Codes for which roll?"),
        choices=options(
            [("round", _l("This round's roll")), ("council", _l("The council's roll"))]
        ),
        required_message=_l("Select which roll"),
        invalid_choice_message=_l("Select which roll from the list"),
    )
    reference = StringField(
        _l("Only for this reference (optional)"),
        description=_l("To replace one person's lost code: their old code stops working"),
        widget=GovTextInput(),
        validators=[Length(max=64, message=_l("A roll reference is 64 characters or fewer"))],
    )
    # Left out of a post (a form from before there was a choice): the download, as it was.
    how = RadioChoiceField(
        _l("How should the codes go?"),
        choices=options(
            [
                ("download", _l("Download a CSV to print and post ourselves")),
                ("letter", _l("Post each code as a letter through GOV.UK Notify")),
                ("sms", _l("Text each code to the person's mobile")),
            ]
        ),
        default="download",
        description=_l(
            "A letter or a text goes only to those with a postal address or a mobile number "
            "on the roll; download the others' codes afterwards."
        ),
        required_message=_l("Select how the codes should go"),
        invalid_choice_message=_l("Select how the codes should go from the list"),
    )
    submit = SubmitField(_l("Issue codes"), widget=GovSubmitInput())


class ConfirmForm(FlaskForm):
    submit = SubmitField(_l("Cast my ballot"), widget=GovSubmitInput())


class BallotForm(FlaskForm):
    """A ballot for one pot. Subclassed per pot by :func:`ballot_form`."""

    paper: BallotPaper
    pot: PotPaper
    main_field: str

    def to_ballot(self) -> Ballot:
        kind = self.paper.kind
        if kind in (BallotKind.APPROVAL, BallotKind.KNAPSACK):
            return Ballot(tuple(self.choices.data or ()))
        if kind is BallotKind.SINGLE:
            # Every value sent, not just the first: two (a tampered form) is "too many".
            return Ballot(tuple(self.choices.raw_data or ()))
        if kind is BallotKind.RANKED:
            return Ballot(tuple(self[f"rank_{i}"].data or "" for i in range(1, self.ranks + 1)))
        given = [(p.id, self[f"points_{p.id}"].data or 0) for p in self.pot.projects]
        given = [(pid, n) for pid, n in given if n]
        return Ballot(tuple(pid for pid, _ in given), tuple(n for _, n in given))

    def hidden_values(self) -> list[tuple[str, str]]:
        """The choices as (name, value) pairs, for the check-your-answers page to send on."""
        kind = self.paper.kind
        if kind in (BallotKind.APPROVAL, BallotKind.KNAPSACK):
            return [("choices", v) for v in self.choices.data or ()]
        if kind is BallotKind.SINGLE:
            return [("choices", v) for v in self.choices.raw_data or ()]
        if kind is BallotKind.RANKED:
            return [(f"rank_{i}", self[f"rank_{i}"].data or "") for i in range(1, self.ranks + 1)]
        return [
            (f"points_{p.id}", str(self[f"points_{p.id}"].data or 0)) for p in self.pot.projects
        ]

    def choice_names(self) -> list[str]:
        """The names of the fields that hold the resident's choices."""
        kind = self.paper.kind
        if kind in (BallotKind.APPROVAL, BallotKind.KNAPSACK, BallotKind.SINGLE):
            return ["choices"]
        if kind is BallotKind.RANKED:
            return [f"rank_{i}" for i in range(1, self.ranks + 1)]
        return [f"points_{p.id}" for p in self.pot.projects]

    def field_for(self, problem: Problem) -> str:
        kind = self.paper.kind
        pid = problem.project_id
        if kind is BallotKind.CUMULATIVE and pid and f"points_{pid}" in self._fields:
            return f"points_{pid}"
        if kind is BallotKind.RANKED and pid:
            for i in range(1, self.ranks + 1):
                if self[f"rank_{i}"].data == pid:
                    return f"rank_{i}"
        return self.main_field

    def show_problems(self, problems: list[Problem]) -> None:
        """Each problem beside its field, in votes' words, in the page's language."""
        language = current_language()
        for problem in problems:
            field = self[self.field_for(problem)]
            if not isinstance(field.errors, list):
                field.errors = list(field.errors)
            message = problem.in_language(language)
            if message not in field.errors:
                field.errors.append(message)

    def show_refusal(self, error: Refusal, default: str) -> None:
        """A refused ballot on the form: an invalid ballot's problems each beside its own
        field, any other refusal beside its field (or ``default``)."""
        if isinstance(error, InvalidBallot):
            self.show_problems(error.problems)
        else:
            show_error(self, error, default)

    def totals(self) -> dict[str, object]:
        """Running totals for the page, worked out here so they show without JavaScript."""
        ballot = self.to_ballot()
        if self.paper.kind is BallotKind.KNAPSACK:
            chosen = {pid for pid in ballot.choices if self.pot.project(pid)}
            spent = sum(self.pot.project(pid).cost for pid in chosen)
            left = self.pot.budget_pence - spent
            return {
                "spent": format_money(spent),
                "left": format_money(left) if left >= 0 else "-" + format_money(-left),
                "over": left < 0,
                "budget": format_money(self.pot.budget_pence),
            }
        if self.paper.kind is BallotKind.CUMULATIVE:
            used = sum(ballot.points)
            total = self.paper.rules.points or 0
            return {"used": used, "left": total - used, "over": used > total, "points": total}
        return {"chosen": len({c for c in ballot.choices if c})}


def _project_label(project, kind: BallotKind) -> str:
    return f"{project.name} ({format_money(project.cost)})"


def ballot_form(
    paper: BallotPaper,
    pot: PotPaper,
    *,
    with_reference: bool = False,
    with_receipt: bool = False,
    formdata=None,
) -> BallotForm:
    """A form for ``pot``'s ballot, read from ``formdata`` when given (choices kept while the
    resident read a project's page), else from the request (or empty on GET)."""
    cls = _ballot_form_class(paper, pot, with_reference, with_receipt)
    if formdata is None and request.method == "POST":
        formdata = request.form
    return cls(formdata=formdata)


# A pot's form class depends only on the frozen paper (never edited once voting opens), so
# each process builds it once per pot and kind of form rather than on every ballot page.
_FORM_CLASSES: dict[tuple, type[BallotForm]] = {}
_FORM_CLASSES_MAX = 256


def _ballot_form_class(
    paper: BallotPaper, pot: PotPaper, with_reference: bool, with_receipt: bool
) -> type[BallotForm]:
    key = (paper.manifest_hash, pot.id, with_reference, with_receipt)
    cls = _FORM_CLASSES.get(key)
    if cls is None:  # the manifest hash names the paper exactly
        if len(_FORM_CLASSES) >= _FORM_CLASSES_MAX:
            _FORM_CLASSES.clear()
        cls = _FORM_CLASSES[key] = _build_form_class(paper, pot, with_reference, with_receipt)
    return cls


def _build_form_class(
    paper: BallotPaper, pot: PotPaper, with_reference: bool, with_receipt: bool
) -> type[BallotForm]:
    kind = paper.kind
    attrs: dict[str, object] = {"paper": paper, "pot": pot}
    pairs = [(p.id, _project_label(p, kind)) for p in pot.projects]
    if with_reference:
        attrs["reference"] = StringField(
            _l("Roll reference"),
            description=_l("From the voter's poll card or the roll at the voting event"),
            widget=GovTextInput(),
            validators=[
                InputRequired(message=_l("Enter the voter's roll reference")),
                Length(max=64, message=_l("A roll reference is 64 characters or fewer")),
            ],
        )
    if with_receipt:
        attrs["receipt"] = StringField(
            _l("Receipt code of the ballot you are replacing"),
            description=_l("The code shown when you last voted in this pot"),
            widget=GovTextInput(),
            validators=[InputRequired(message=_l("Enter the receipt code of your ballot"))],
        )
    if kind in (BallotKind.APPROVAL, BallotKind.KNAPSACK):
        attrs["choices"] = SelectMultipleField(
            _l("Choose projects"), choices=options(pairs), validate_choice=False
        )
        attrs["main_field"] = "choices"
    elif kind is BallotKind.SINGLE:
        attrs["choices"] = RadioField(
            _l("Choose one project"), choices=options(pairs), validate_choice=False
        )
        attrs["main_field"] = "choices"
    elif kind is BallotKind.RANKED:
        ranks = paper.rules.max_choices or len(pot.projects)
        attrs["ranks"] = ranks
        for i in range(1, ranks + 1):
            attrs[f"rank_{i}"] = SelectField(
                _l("Choice %(num)s", num=i),
                choices=options([("", _l("No project"))] + pairs),
                validate_choice=False,
            )
        attrs["main_field"] = "rank_1"
    else:
        for p in pot.projects:
            attrs[f"points_{p.id}"] = WholeNumberField(
                lazy_text(N_("Points for %(name)s"), name=p.name),
                message=lazy_text(
                    N_("Enter the points for %(name)s as a whole number, like 2"), name=p.name
                ),
            )
        attrs["main_field"] = f"points_{pot.projects[0].id}" if pot.projects else "csrf_token"
    return type("PotBallotForm", (BallotForm,), attrs)


def rule_problems(form, paper: BallotPaper, pot: PotPaper) -> list[Problem]:
    """What the round's rules say of the ballot as filled in (empty: it may be cast), in the
    page's language: the check before the page that shows it back to the voter."""
    return validate_ballot(
        form.to_ballot(),
        paper.rules,
        pot.projects,
        Fraction(pot.budget_pence),
        language=current_language(),
    )
