"""Officers' forms: opening a round and splitting its budget, schedule, voting configuration,
phase changes, review decisions, merging, moderation and partner contributions.

A round's title and description are asked for in each of its council's languages
(``with_texts``): a council that speaks one language gets the ``title`` and ``description``
fields it always had, a bilingual one a field per language (``title_cy``, ``title_en``...)."""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import BooleanField, HiddenField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from app.web.forms.fields import (
    ChoiceField,
    DayMonthYearField,
    MoneyField,
    RadioChoiceField,
    WholeNumberField,
    options,
)
from app.web.forms.languages import add_texts, fill, text_field, written
from app.web.presenters.methods import KIND_LABELS, RULE_LABELS
from app.workflow import languages
from app.workflow.models import (
    ContributionKind,
    Council,
    FundingRound,
    Neighbourhood,
    Phase,
    SplitMethod,
)
from app.workflow.results import TIE_BREAK_LABELS
from app.workflow.rounds import CONFIG_FIELDS, SCHEDULED_PHASES
from votes.model import BallotKind, TieBreak
from votes.rules import RULES

MONEY_HINT = _l("In pounds, like 1500 or 1500.50")


class SplitForm(FlaskForm):
    """The budget and how it is split into pots. Neighbourhood amounts are added per council
    by ``with_neighbourhoods``."""

    total_budget = MoneyField(
        _l("Total budget"),
        description=MONEY_HINT,
        validators=[InputRequired(message=_l("Enter the total budget"))],
        message=_l("Enter the total budget in pounds, like 1500 or 1500.50"),
    )
    method = RadioChoiceField(
        _l("How is the budget split into pots?"),
        choices=options((m.value, _l(m.label)) for m in SplitMethod),
        required_message=_l("Select how the budget is split into pots"),
        invalid_choice_message=_l("Select how the budget is split from the list"),
    )
    council_wide = MoneyField(
        _l("Council-wide pot (optional)"),
        description=_l(
            "For splits between neighbourhoods: an amount taken off the top for projects "
            "anyone in the council can vote for. In pounds, like 1500 or 1500.50"
        ),
        validators=[Optional()],
        message=_l("Enter the council-wide pot in pounds, like 1500 or 1500.50"),
    )
    preview = SubmitField(_l("Preview the split"), widget=GovSubmitInput())

    neighbourhood_fields: Sequence[tuple[str, Neighbourhood]] = ()

    def explicit_amounts(self) -> dict[int, int | None]:
        return {hood.id: self[name].data for name, hood in self.neighbourhood_fields}


TITLE_TOO_LONG = _l("The title must be 200 characters or fewer")
DESCRIPTION_TOO_LONG = _l("The description must be 5,000 characters or fewer")
DESCRIPTION_HINT = _l("What the round is for and who can take part. Shown to residents.")
# A council that speaks one language: the round's title and description, as they always were.
TITLE = StringField(
    _l("Title"),
    widget=GovTextInput(),
    validators=[
        InputRequired(message=_l("Enter a title")),
        Length(max=200, message=TITLE_TOO_LONG),
    ],
)
DESCRIPTION = TextAreaField(
    _l("Description"),
    description=DESCRIPTION_HINT,
    widget=GovTextArea(),
    validators=[
        InputRequired(message=_l("Enter a description")),
        Length(max=5000, message=DESCRIPTION_TOO_LONG),
    ],
)
ROUND_TEXTS = ("title", "description")


class RoundTexts:
    """A round's title and description in each of ``languages`` (the council's, in its
    order; the fields are added by ``with_texts``). In several languages a title may be left
    empty but one (the workflow's rule) and a description is needed in one at least."""

    languages: tuple[str, ...] = ("en",)

    def texts(self) -> dict[str, dict[str, str]]:
        """The workflow's keyword arguments: ``{"title": {language: text}, "description":
        ...}``."""
        return {text: written(self, text, self.languages) for text in ROUND_TEXTS}

    def first(self, text: str) -> str:
        """The name of the field for ``text`` in the council's first language."""
        return text_field(self, text, self.languages[0])

    def fields_for(self, text: str) -> list:
        """The fields for ``text``, one per language, in the council's order."""
        return [self[text_field(self, text, code)] for code in self.languages]

    def fill_from(self, funding_round: FundingRound) -> None:
        for text in ROUND_TEXTS:
            fill(self, text, languages.texts(funding_round, text))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        descriptions = written(self, "description", self.languages).values()
        if len(self.languages) > 1 and not any(text.strip() for text in descriptions):
            self[self.first("description")].errors.append(_("Enter a description"))
            return False
        return valid


def with_texts(form_class: type, spoken: Sequence[str]):
    """A subclass of ``form_class`` (a ``RoundTexts``) asking for the round's title and
    description in each of ``spoken``."""
    attrs: dict = {"languages": tuple(spoken)}
    add_texts(
        attrs, "title", _l("Title"), spoken, max_length=200, too_long=TITLE_TOO_LONG, alone=TITLE
    )
    add_texts(
        attrs,
        "description",
        _l("Description"),
        spoken,
        max_length=5000,
        too_long=DESCRIPTION_TOO_LONG,
        area=True,
        hint=DESCRIPTION_HINT,
        alone=DESCRIPTION,
    )
    return type(form_class.__name__, (form_class,), attrs)


class RoundForm(RoundTexts, SplitForm):
    submit = SubmitField(_l("Create round"), widget=GovSubmitInput())


class PotsForm(SplitForm):
    submit = SubmitField(_l("Save budget and pots"), widget=GovSubmitInput())


def with_neighbourhoods(form_class: type[SplitForm], hoods: Sequence[Neighbourhood]):
    """A subclass of ``form_class`` with one amount field per neighbourhood."""
    attrs = {}
    names = []
    for hood in hoods:
        name = f"pot_{hood.id}"
        attrs[name] = MoneyField(
            hood.name,
            validators=[Optional()],
            message=_("Enter %(name)s's amount in pounds, like 1500 or 1500.50", name=hood.name),
        )
        names.append((name, hood))
    attrs["neighbourhood_fields"] = tuple(names)
    return type(form_class.__name__, (form_class,), attrs)


class DetailsForm(RoundTexts, FlaskForm):
    submit = SubmitField(_l("Save details"), widget=GovSubmitInput())


def new_round_form(council: Council) -> RoundForm:
    """The form for a new round of ``council``: its texts in the council's languages and an
    amount for each neighbourhood."""
    form_class = with_neighbourhoods(RoundForm, council.neighbourhoods)
    return with_texts(form_class, council.spoken_languages)()


def details_form(council: Council, funding_round: FundingRound) -> DetailsForm:
    """The round's title and description in the council's languages, filled in with what
    they are until the form is sent."""
    form = with_texts(DetailsForm, council.spoken_languages)()
    if not form.is_submitted():
        form.fill_from(funding_round)
    return form


class ScheduleForm(FlaskForm):
    """One first-day and last-day pair per phase (built by ``schedule_form_class``), and when
    residents who have not voted are reminded."""

    reminder_days = WholeNumberField(
        _l("Days before voting closes to remind residents who have not voted"),
        description=_l(
            "An email to each verified resident who has not yet voted in a pot they can vote "
            "in, sent once. From 1 to 60 days. Leave it empty for no reminder."
        ),
        validators=[Optional()],
        message=_l("Enter the number of days as a whole number, like 3"),
    )
    submit = SubmitField(_l("Save schedule"), widget=GovSubmitInput())


def schedule_form_class():
    attrs = {}
    for phase in SCHEDULED_PHASES:
        attrs[f"{phase.value}_start"] = DayMonthYearField(
            _("%(phase)s: first day", phase=_(phase.label)),
            description=_("For example, 1 4 2026"),
        )
        attrs[f"{phase.value}_end"] = DayMonthYearField(
            _("%(phase)s: last day", phase=_(phase.label))
        )
    return type("ScheduleForm", (ScheduleForm,), attrs)


def _reason(description: str, required_message: str) -> TextAreaField:
    """A decision's reason: required, plain text, at most 2,000 characters."""
    return TextAreaField(
        _l("Reason"),
        description=description,
        widget=GovTextArea(),
        validators=[
            InputRequired(message=required_message),
            Length(max=2000, message=_l("The reason must be 2,000 characters or fewer")),
        ],
    )


def _count(label: str, message: str, description: str | None = None) -> WholeNumberField:
    return WholeNumberField(
        label, description=description, validators=[Optional()], message=message
    )


class VotingForm(FlaskForm):
    ballot_kind = RadioChoiceField(
        _l("Ballot"),
        choices=options((k.value, _l(KIND_LABELS[k])) for k in BallotKind),
        required_message=_l("Select a kind of ballot"),
        invalid_choice_message=_l("Select a kind of ballot from the list"),
    )
    rule = ChoiceField(
        _l("Counting method"),
        description=_l(
            "Approval and budget ballots: any method but the one-winner ones. Points ballots: "
            "most votes, most per pound, or Equal Shares. Ranked ballots: those or a "
            "one-winner method."
        ),
        widget=GovSelect(),
        choices=options(
            (r, _l(RULE_LABELS.get(r, r)))
            for r in dict.fromkeys(rule for rules in RULES.values() for rule in rules)
        ),
        invalid_choice_message=_l("Select a counting method from the list"),
    )
    tie_break = ChoiceField(
        _l("Breaking exact ties"),
        widget=GovSelect(),
        choices=options((t.value, _l(TIE_BREAK_LABELS[t])) for t in TieBreak),
        invalid_choice_message=_l("Select how ties are broken from the list"),
    )
    min_choices = _count(
        _l("Fewest projects a voter must choose (optional)"),
        _l("Enter the fewest choices as a whole number, like 1"),
        _l("Approval and budget ballots"),
    )
    max_choices = _count(
        _l("Most projects a voter can choose or rank (optional)"),
        _l("Enter the most choices as a whole number, like 5"),
        _l("Approval and budget ballots; for ranked ballots, how many ranks (required)"),
    )
    points = _count(
        _l("Points each voter shares out"),
        _l("Enter the points as a whole number, like 10"),
        _l("Points ballots only"),
    )
    max_points_per_project = _count(
        _l("Most points for one project (optional)"),
        _l("Enter the most points for one project as a whole number, like 5"),
        _l("Points ballots only"),
    )
    home_pot_only = BooleanField(
        _l("Residents vote only in their own neighbourhood's pot (and the council-wide pot)"),
        widget=GovCheckboxInput(),
    )
    min_age = _count(
        _l("Minimum age (optional)"), _l("Enter the minimum age as a whole number, like 11")
    )
    max_age = _count(
        _l("Maximum age (optional)"), _l("Enter the maximum age as a whole number, like 25")
    )
    supports_enabled = BooleanField(
        _l("Collect supports before the vote"), widget=GovCheckboxInput()
    )
    support_threshold = _count(
        _l("Supports a proposal needs to reach the ballot"),
        _l("Enter the supports needed as a whole number, like 10"),
        _l("Only when supports are collected. 0 means every feasible proposal reaches the ballot."),
    )
    allow_vote_change = BooleanField(
        _l("Residents may change their vote with their receipt code until voting closes"),
        widget=GovCheckboxInput(),
    )
    allow_blank_ballots = BooleanField(
        _l(
            "Accept blank ballots (a ballot that chooses no project, to take part without choosing)"
        ),
        widget=GovCheckboxInput(),
    )
    min_ballots_to_publish = _count(
        _l("Fewest ballots for per-project results"),
        _l("Enter the fewest ballots as a whole number, like 10"),
        _l(
            "A pot with fewer ballots shows only how many there were, so nobody's vote can "
            "be worked out. Leave empty for 10."
        ),
    )
    submit = SubmitField(_l("Save voting configuration"), widget=GovSubmitInput())

    def config(self) -> dict:
        return {name: self[name].data for name in CONFIG_FIELDS}


class PhaseForm(FlaskForm):
    """Move a round one phase on (or back). ``expected`` is the phase the officer saw."""

    target = HiddenField()
    expected = HiddenField()
    submit = SubmitField(_l("Change phase"), widget=GovSubmitInput())

    def phases(self) -> tuple[Phase, Phase] | None:
        try:
            return Phase(self.target.data), Phase(self.expected.data)
        except ValueError:
            return None


class OpenVotingForm(FlaskForm):
    """Open voting: the phase the officer saw and the proposals not yet reviewed they were
    shown (ids, comma-separated), which they confirm will not be on the ballot."""

    expected = HiddenField()
    leave_off = HiddenField()
    confirm = BooleanField(
        _l("I understand that the proposals listed as not yet reviewed will not be on the ballot"),
        widget=GovCheckboxInput(),
    )
    submit = SubmitField(_l("Open voting"), widget=GovSubmitInput())

    def expected_phase(self) -> Phase | None:
        try:
            return Phase(self.expected.data)
        except ValueError:
            return None

    def leave_off_ids(self) -> set[int]:
        return {int(x) for x in (self.leave_off.data or "").split(",") if x.strip().isdigit()}


class PublishForm(FlaskForm):
    confirm = BooleanField(
        _l("I have read the warnings and the results are ready to publish"),
        widget=GovCheckboxInput(),
    )
    submit = SubmitField(_l("Publish the results"), widget=GovSubmitInput())

    def arguments(self) -> dict:
        """The workflow's keyword arguments (``rounds.publish_results``)."""
        return {"confirmed": bool(self.confirm.data)}


class ExtendVotingForm(FlaskForm):
    """Once voting has opened, the schedule's one change: a later close of voting."""

    voting_end = DayMonthYearField(
        _l("New last day of voting"),
        description=_l("Voting closes at the end of this day, UK time. For example, 31 7 2026"),
    )
    submit = SubmitField(_l("Extend voting"), widget=GovSubmitInput())

    def arguments(self) -> dict:
        """The workflow's keyword arguments (``rounds.extend_voting``)."""
        return {"new_last_day": self.voting_end.data}


class ReviewForm(FlaskForm):
    decision = RadioChoiceField(
        _l("Is this proposal feasible?"),
        choices=options([("feasible", _l("Feasible")), ("not_feasible", _l("Not feasible"))]),
        required_message=_l("Select whether the proposal is feasible"),
        invalid_choice_message=_l("Select feasible or not feasible"),
    )
    final_cost = MoneyField(
        _l("Final cost"),
        description=_l(
            "What the council will pay, before any partner money. In pounds, like 1500 or 1500.50"
        ),
        validators=[Optional()],
        message=_l("Enter the final cost in pounds, like 1500 or 1500.50"),
    )
    reason = _reason(
        _l("Shown to residents with your decision"), _l("Enter the reason for your decision")
    )
    submit = SubmitField(_l("Save decision"), widget=GovSubmitInput())

    def arguments(self) -> dict:
        """The workflow's keyword arguments (``proposals.review_proposal``)."""
        return {
            "feasible": self.decision.data == "feasible",
            "reason": self.reason.data,
            "final_cost_pence": self.final_cost.data,
        }


class MergeForm(FlaskForm):
    into = ChoiceField(
        _l("Merge into"),
        widget=GovSelect(),
        invalid_choice_message=_l("Select a proposal of this round to merge into"),
    )
    reason = _reason(_l("Shown to residents"), _l("Enter the reason for merging"))
    submit = SubmitField(_l("Merge proposal"), widget=GovSubmitInput())

    def arguments(self) -> dict:
        """The workflow's keyword arguments (``proposals.merge_proposal``)."""
        return {"into_id": int(self.into.data), "reason": self.reason.data}

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.into.choices = options([("", _("Select a proposal")), *choices])

    def validate_into(self, field):
        from wtforms.validators import ValidationError

        if not field.data:
            raise ValidationError(_("Select a proposal to merge into"))


class MergePotForm(FlaskForm):
    source = ChoiceField(
        _l("Pot to merge"),
        widget=GovSelect(),
        invalid_choice_message=_l("Select a pot of this round to merge"),
    )
    into = ChoiceField(
        _l("Merge it into"),
        widget=GovSelect(),
        invalid_choice_message=_l("Select a pot of this round to merge it into"),
    )
    submit = SubmitField(_l("Merge pots"), widget=GovSubmitInput())

    def arguments(self) -> dict:
        """The workflow's keyword arguments (``rounds.merge_pot``)."""
        return {"source_id": int(self.source.data), "into_id": int(self.into.data)}

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.source.choices = options([("", _("Select a pot")), *choices])
        self.into.choices = options([("", _("Select a pot")), *choices])

    def validate_source(self, field):
        from wtforms.validators import ValidationError

        if not field.data:
            raise ValidationError(_("Select the pot to merge"))

    def validate_into(self, field):
        from wtforms.validators import ValidationError

        if not field.data:
            raise ValidationError(_("Select the pot to merge it into"))


class ModerationForm(FlaskForm):
    reason = _reason(_l("The proposal's author is told this reason"), _l("Enter the reason"))
    submit = SubmitField(_l("Hide proposal"), widget=GovSubmitInput())


class ContributionForm(FlaskForm):
    partner_name = StringField(
        _l("Partner"),
        widget=GovTextInput(),
        validators=[
            InputRequired(message=_l("Enter the partner's name")),
            Length(max=200, message=_l("The partner's name must be 200 characters or fewer")),
        ],
    )
    kind = RadioChoiceField(
        _l("Kind of contribution"),
        choices=options((k.value, _l(k.label)) for k in ContributionKind),
        required_message=_l("Select money or in kind"),
        invalid_choice_message=_l("Select money or in kind"),
    )
    amount = MoneyField(
        _l("Amount"),
        description=_l(
            "Money: the amount pledged, taken off what the pot pays. In kind: an estimated "
            "value, shown but not taken off (optional). In pounds, like 1500 or 1500.50"
        ),
        validators=[Optional()],
        message=_l("Enter the amount in pounds, like 1500 or 1500.50"),
    )
    description = TextAreaField(
        _l("What the partner gives (optional)"),
        widget=GovTextArea(),
        validators=[
            Length(max=2000, message=_l("The description must be 2,000 characters or fewer"))
        ],
    )
    submit = SubmitField(_l("Record contribution"), widget=GovSubmitInput())

    def arguments(self) -> dict:
        """The workflow's keyword arguments (``proposals.add_contribution``)."""
        return {
            "partner_name": self.partner_name.data,
            "kind": ContributionKind(self.kind.data),
            "amount_pence": self.amount.data,
            "description": self.description.data or "",
        }


class ButtonForm(FlaskForm):
    """A form that is only a button (remove, withdraw, support): CSRF is all it carries."""

    submit = SubmitField(_l("Confirm"), widget=GovSubmitInput())
