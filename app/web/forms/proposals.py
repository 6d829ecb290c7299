"""Residents' forms: proposing a project, supporting and reporting proposals."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextArea, GovTextInput
from wtforms import HiddenField, StringField, SubmitField, TextAreaField
from wtforms.validators import AnyOf, InputRequired, Length, Optional

from app.web.forms.fields import MoneyField, RadioChoiceField, options


def _text(label, required: str | None, max_len: int, description=None, area=False):
    validators = [InputRequired(message=required)] if required else [Optional()]
    validators.append(
        Length(
            max=max_len, message=f"{label.split(' (')[0]} must be {max_len:,} characters or fewer"
        )
    )
    field = TextAreaField if area else StringField
    return field(
        label,
        description=description,
        widget=GovTextArea() if area else GovTextInput(),
        validators=validators,
    )


class ProposalForm(FlaskForm):
    title = _text("Title", "Enter a title", 120)
    summary = _text("Summary", "Enter a summary", 300, "One or two sentences")
    description = _text(
        "Description",
        "Enter a description",
        5000,
        "What you would do, for whom, and why",
        area=True,
    )
    pot = RadioChoiceField(
        "Which pot is it for?",
        required_message="Select a pot",
        invalid_choice_message="Select a pot from the list",
    )
    category = _text("Category (optional)", None, 64, "For example, youth, parks, transport")
    estimated_cost = MoneyField(
        "Estimated cost",
        description="In pounds, like 1500 or 1500.50. It must fit the pot's budget.",
        validators=[InputRequired(message="Enter the estimated cost")],
        message="Enter the estimated cost in pounds, like 1500 or 1500.50",
    )
    location = _text("Location (optional)", None, 200, "A street, park or building")
    submit = SubmitField("Send proposal", widget=GovSubmitInput())

    def __init__(self, *args, pots=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.pot.choices = options(
            (p.id, f"{p.name} (budget {_pounds(p.budget_pence)})") for p in pots
        )


def _pounds(pence: int) -> str:
    from app.web.presenters.formatting import money

    return money(pence)


class SupportForm(FlaskForm):
    action = HiddenField(
        validators=[AnyOf(["support", "unsupport"], message="Choose to support or not")]
    )
    submit = SubmitField("Support this proposal", widget=GovSubmitInput())


class ReportForm(FlaskForm):
    reason = _text(
        "Why does this proposal need a moderator?",
        "Enter why this proposal needs a moderator",
        2000,
        "For example, it is abusive, or shares someone's personal details",
        area=True,
    )
    submit = SubmitField("Report proposal", widget=GovSubmitInput())
