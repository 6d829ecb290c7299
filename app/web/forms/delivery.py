"""The officers' form for a delivery update on a funded project."""

from __future__ import annotations

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
        "Status",
        choices=options((s.value, s.label) for s in DeliveryStatus),
        required_message="Select the project's status",
        invalid_choice_message="Select the project's status from the list",
    )
    percent_complete = WholeNumberField(
        "Percentage complete",
        description="A whole number from 0 to 100",
        validators=[InputRequired(message="Enter the percentage complete")],
        message="Enter the percentage complete as a whole number, like 40",
    )
    spent = MoneyField(
        "Money spent so far",
        description="In pounds, like 1500 or 1500.50",
        validators=[InputRequired(message="Enter the money spent so far")],
        message="Enter the money spent in pounds, like 1500 or 1500.50",
    )
    happened_on = DayMonthYearField(
        "Date of the update",
        description="For example, 27 3 2027",
        validators=[InputRequired(message="Enter the date of the update")],
    )
    note = TextAreaField(
        "What has happened",
        widget=GovTextArea(),
        validators=[
            InputRequired(message="Enter what has happened"),
            Length(max=2000, message="What has happened must be 2,000 characters or fewer"),
        ],
    )
    submit = SubmitField("Record update", widget=GovSubmitInput())
