"""The officers' form for a delivery update on a funded project."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextArea
from wtforms import SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length

from app.web.forms.fields import (
    DayMonthYearField,
    MoneyField,
    RadioChoiceField,
    WholeNumberField,
    options,
)
from app.workflow.models import DeliveryStatus


class DeliveryUpdateForm(FlaskForm):
    status = RadioChoiceField(
        _l("Status"),
        choices=options((s.value, _l(s.label)) for s in DeliveryStatus),
        required_message=_l("Select the project's status"),
        invalid_choice_message=_l("Select the project's status from the list"),
    )
    percent_complete = WholeNumberField(
        _l("Percentage complete"),
        description=_l("A whole number from 0 to 100"),
        validators=[InputRequired(message=_l("Enter the percentage complete"))],
        message=_l("Enter the percentage complete as a whole number, like 40"),
    )
    spent = MoneyField(
        _l("Money spent so far"),
        description=_l("In pounds, like 1500 or 1500.50"),
        validators=[InputRequired(message=_l("Enter the money spent so far"))],
        message=_l("Enter the money spent in pounds, like 1500 or 1500.50"),
    )
    happened_on = DayMonthYearField(
        _l("Date of the update"),
        description=_l("For example, 27 3 2027"),
        validators=[InputRequired(message=_l("Enter the date of the update"))],
    )
    note = TextAreaField(
        _l("What has happened"),
        widget=GovTextArea(),
        validators=[
            InputRequired(message=_l("Enter what has happened")),
            Length(max=2000, message=_l("What has happened must be 2,000 characters or fewer")),
        ],
    )
    submit = SubmitField(_l("Record update"), widget=GovSubmitInput())
