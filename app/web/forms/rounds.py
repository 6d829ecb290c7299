"""Officers' forms: opening a round and splitting its budget, schedule, voting configuration,
phase changes, review decisions, merging, moderation and partner contributions."""

from __future__ import annotations

from collections.abc import Sequence

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
from app.web.presenters.methods import KIND_LABELS, RULE_LABELS
from app.workflow.models import ContributionKind, Neighbourhood, Phase, SplitMethod
from app.workflow.results import TIE_BREAK_LABELS
from app.workflow.rounds import CONFIG_FIELDS, SCHEDULED_PHASES
from votes.model import BallotKind, TieBreak
from votes.rules import RULES

MONEY_HINT = "In pounds, like 1500 or 1500.50"


class SplitForm(FlaskForm):
    """The budget and how it is split into pots. Neighbourhood amounts are added per council
    by ``with_neighbourhoods``."""

    total_budget = MoneyField(
        "Total budget",
        description=MONEY_HINT,
        validators=[InputRequired(message="Enter the total budget")],
        message="Enter the total budget in pounds, like 1500 or 1500.50",
    )
    method = RadioChoiceField(
        "How is the budget split into pots?",
        choices=options((m.value, m.label) for m in SplitMethod),
        required_message="Select how the budget is split into pots",
        invalid_choice_message="Select how the budget is split from the list",
    )
    council_wide = MoneyField(
        "Council-wide pot (optional)",
        description="For splits between neighbourhoods: an amount taken off the top for "
        "projects anyone in the council can vote for. " + MONEY_HINT,
        validators=[Optional()],
        message="Enter the council-wide pot in pounds, like 1500 or 1500.50",
    )
    preview = SubmitField("Preview the split", widget=GovSubmitInput())

    neighbourhood_fields: Sequence[tuple[str, Neighbourhood]] = ()

    def explicit_amounts(self) -> dict[int, int | None]:
        return {hood.id: self[name].data for name, hood in self.neighbourhood_fields}


class RoundForm(SplitForm):
    title = StringField(
        "Title",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter a title"),
            Length(max=200, message="The title must be 200 characters or fewer"),
        ],
    )
    description = TextAreaField(
        "Description",
        description="What the round is for and who can take part. Shown to residents.",
        widget=GovTextArea(),
        validators=[
            InputRequired(message="Enter a description"),
            Length(max=5000, message="The description must be 5,000 characters or fewer"),
        ],
    )
    submit = SubmitField("Create round", widget=GovSubmitInput())


class PotsForm(SplitForm):
    submit = SubmitField("Save budget and pots", widget=GovSubmitInput())


def with_neighbourhoods(form_class: type[SplitForm], hoods: Sequence[Neighbourhood]):
    """A subclass of ``form_class`` with one amount field per neighbourhood."""
    attrs = {}
    names = []
    for hood in hoods:
        name = f"pot_{hood.id}"
        attrs[name] = MoneyField(
            hood.name,
            validators=[Optional()],
            message=f"Enter {hood.name}'s amount in pounds, like 1500 or 1500.50",
        )
        names.append((name, hood))
    attrs["neighbourhood_fields"] = tuple(names)
    return type(form_class.__name__, (form_class,), attrs)


class DetailsForm(FlaskForm):
    title = RoundForm.title
    description = RoundForm.description
    submit = SubmitField("Save details", widget=GovSubmitInput())

    def arguments(self) -> dict:
        """The workflow's keyword arguments (``rounds.update_details``)."""
        return {"title": self.title.data, "description": self.description.data}


class ScheduleForm(FlaskForm):
    """One first-day and last-day pair per phase (built by ``schedule_form_class``)."""

    submit = SubmitField("Save schedule", widget=GovSubmitInput())


def schedule_form_class():
    attrs = {}
    for phase in SCHEDULED_PHASES:
        attrs[f"{phase.value}_start"] = DayMonthYearField(
            f"{phase.label}: first day", description="For example, 1 4 2026"
        )
        attrs[f"{phase.value}_end"] = DayMonthYearField(f"{phase.label}: last day")
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
        "Ballot",
        choices=options((k.value, KIND_LABELS[k]) for k in BallotKind),
        required_message="Select a kind of ballot",
        invalid_choice_message="Select a kind of ballot from the list",
    )
    rule = ChoiceField(
        "Counting method",
        description="Approval and budget ballots: any method but the one-winner ones. Points "
        "ballots: most votes, most per pound, or Equal Shares. Ranked ballots: those or a "
        "one-winner method.",
        widget=GovSelect(),
        choices=options(
            (r, RULE_LABELS.get(r, r))
            for r in dict.fromkeys(rule for rules in RULES.values() for rule in rules)
        ),
        invalid_choice_message="Select a counting method from the list",
    )
    tie_break = ChoiceField(
        "Breaking exact ties",
        widget=GovSelect(),
        choices=options((t.value, TIE_BREAK_LABELS[t]) for t in TieBreak),
        invalid_choice_message="Select how ties are broken from the list",
    )
    min_choices = _count(
        "Fewest projects a voter must choose (optional)",
        "Enter the fewest choices as a whole number, like 1",
        "Approval and budget ballots",
    )
    max_choices = _count(
        "Most projects a voter can choose or rank (optional)",
        "Enter the most choices as a whole number, like 5",
        "Approval and budget ballots; for ranked ballots, how many ranks (required)",
    )
    points = _count(
        "Points each voter shares out",
        "Enter the points as a whole number, like 10",
        "Points ballots only",
    )
    max_points_per_project = _count(
        "Most points for one project (optional)",
        "Enter the most points for one project as a whole number, like 5",
        "Points ballots only",
    )
    home_pot_only = BooleanField(
        "Residents vote only in their own neighbourhood's pot (and the council-wide pot)",
        widget=GovCheckboxInput(),
    )
    min_age = _count("Minimum age (optional)", "Enter the minimum age as a whole number, like 11")
    max_age = _count("Maximum age (optional)", "Enter the maximum age as a whole number, like 25")
    supports_enabled = BooleanField("Collect supports before the vote", widget=GovCheckboxInput())
    support_threshold = _count(
        "Supports a proposal needs to reach the ballot",
        "Enter the supports needed as a whole number, like 10",
        "Only when supports are collected. 0 means every feasible proposal reaches the ballot.",
    )
    allow_vote_change = BooleanField(
        "Residents may change their vote with their receipt code until voting closes",
        widget=GovCheckboxInput(),
    )
    allow_blank_ballots = BooleanField(
        "Accept blank ballots (a ballot that chooses no project, to take part without choosing)",
        widget=GovCheckboxInput(),
    )
    min_ballots_to_publish = _count(
        "Fewest ballots for per-project results",
        "Enter the fewest ballots as a whole number, like 10",
        "A pot with fewer ballots shows only how many there were, so nobody's vote can be "
        "worked out. Leave empty for 10.",
    )
    submit = SubmitField("Save voting configuration", widget=GovSubmitInput())

    def config(self) -> dict:
        return {name: self[name].data for name in CONFIG_FIELDS}


class PhaseForm(FlaskForm):
    """Move a round one phase on (or back). ``expected`` is the phase the officer saw."""

    target = HiddenField()
    expected = HiddenField()
    submit = SubmitField("Change phase", widget=GovSubmitInput())

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
        "I understand that the proposals listed as not yet reviewed will not be on the ballot",
        widget=GovCheckboxInput(),
    )
    submit = SubmitField("Open voting", widget=GovSubmitInput())

    def expected_phase(self) -> Phase | None:
        try:
            return Phase(self.expected.data)
        except ValueError:
            return None

    def leave_off_ids(self) -> set[int]:
        return {int(x) for x in (self.leave_off.data or "").split(",") if x.strip().isdigit()}


class PublishForm(FlaskForm):
    confirm = BooleanField(
        "I have read the warnings and the results are ready to publish",
        widget=GovCheckboxInput(),
    )
    submit = SubmitField("Publish the results", widget=GovSubmitInput())

    def arguments(self) -> dict:
        """The workflow's keyword arguments (``rounds.publish_results``)."""
        return {"confirmed": bool(self.confirm.data)}


class ExtendVotingForm(FlaskForm):
    """Once voting has opened, the schedule's one change: a later close of voting."""

    voting_end = DayMonthYearField(
        "New last day of voting",
        description="Voting closes at the end of this day, UK time. For example, 31 7 2026",
    )
    submit = SubmitField("Extend voting", widget=GovSubmitInput())

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
        self.into.choices = options([("", _l("Select a proposal")), *choices])

    def validate_into(self, field):
        from wtforms.validators import ValidationError

        if not field.data:
            raise ValidationError(_l("Select a proposal to merge into"))


class MergePotForm(FlaskForm):
    source = ChoiceField(
        "Pot to merge",
        widget=GovSelect(),
        invalid_choice_message="Select a pot of this round to merge",
    )
    into = ChoiceField(
        "Merge it into",
        widget=GovSelect(),
        invalid_choice_message="Select a pot of this round to merge it into",
    )
    submit = SubmitField("Merge pots", widget=GovSubmitInput())

    def arguments(self) -> dict:
        """The workflow's keyword arguments (``rounds.merge_pot``)."""
        return {"source_id": int(self.source.data), "into_id": int(self.into.data)}

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.source.choices = options([("", "Select a pot"), *choices])
        self.into.choices = options([("", "Select a pot"), *choices])

    def validate_source(self, field):
        from wtforms.validators import ValidationError

        if not field.data:
            raise ValidationError("Select the pot to merge")

    def validate_into(self, field):
        from wtforms.validators import ValidationError

        if not field.data:
            raise ValidationError("Select the pot to merge it into")


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

    submit = SubmitField("Confirm", widget=GovSubmitInput())
