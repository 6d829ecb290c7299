"""Residents' forms: proposing a project, supporting and reporting proposals."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, SubmitField, TextAreaField
from wtforms.validators import AnyOf, InputRequired, Length, Optional

from app.web.forms.fields import (
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
    MoneyField,
    RadioChoiceField,
    options,
)


def _text(label, required, max_len: int, too_long, description=None, area=False):
    """A text box: ``required`` its message when left empty (None: optional), ``too_long`` its
    message past ``max_len`` characters."""
    validators = [InputRequired(message=required)] if required else [Optional()]
    validators.append(Length(max=max_len, message=too_long))
    field = TextAreaField if area else StringField
    return field(
        label,
        description=description,
        widget=GovTextArea() if area else GovTextInput(),
        validators=validators,
    )


class ProposalForm(FlaskForm):
    title = _text(
        _l("Title"), _l("Enter a title"), 120, _l("Title must be 120 characters or fewer")
    )
    summary = _text(
        _l("Summary"),
        _l("Enter a summary"),
        300,
        _l("Summary must be 300 characters or fewer"),
        _l("One or two sentences"),
    )
    description = _text(
        _l("Description"),
        _l("Enter a description"),
        5000,
        _l("Description must be 5,000 characters or fewer"),
        _l("What you would do, for whom, and why"),
        area=True,
    )
    pot = RadioChoiceField(
        _l("Which pot is it for?"),
        required_message=_l("Select a pot"),
        invalid_choice_message=_l("Select a pot from the list"),
    )
    category = _text(
        _l("Category (optional)"),
        None,
        64,
        _l("Category must be 64 characters or fewer"),
        _l("For example, youth, parks, transport"),
    )
    estimated_cost = MoneyField(
        _l("Estimated cost"),
        description=_l("In pounds, like 1500 or 1500.50. It must fit the pot's budget."),
        validators=[InputRequired(message=_l("Enter the estimated cost"))],
        message=_l("Enter the estimated cost in pounds, like 1500 or 1500.50"),
        display_name=_l("Estimated cost"),
    )
    location = _text(
        _l("Location (optional)"),
        None,
        200,
        _l("Location must be 200 characters or fewer"),
        _l("A street, park or building"),
    )
    submit = SubmitField(_l("Send proposal"), widget=GovSubmitInput())

    def __init__(self, *args, pots=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.pot.choices = options(
            (p.id, _("%(pot)s (budget %(budget)s)", pot=p.name, budget=_pounds(p.budget_pence)))
            for p in pots
        )


def _pounds(pence: int) -> str:
    from app.web.presenters.formatting import money

    return money(pence)


class SupportForm(FlaskForm):
    action = HiddenField(
        validators=[AnyOf(["support", "unsupport"], message=_l("Choose to support or not"))]
    )
    submit = SubmitField(_l("Support this proposal"), widget=GovSubmitInput())


class ReportForm(FlaskForm):
    reason = _text(
        _l("Why does this proposal need a moderator?"),
        _l("Enter why this proposal needs a moderator"),
        2000,
        _l("Your reason must be 2,000 characters or fewer"),
        _l("For example, it is abusive, or shares someone's personal details"),
        area=True,
    )
    submit = SubmitField(_l("Report proposal"), widget=GovSubmitInput())
