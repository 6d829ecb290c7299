"""The forms of decision-day events: creating one, the desk's search and check-in, and the
kiosk's token."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput
from wtforms import HiddenField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, ValidationError

from app.web.forms.fields import (
    DayMonthYearField,
    GovCheckboxesInput,
    GovTextInput,
    options,
)
from app.workflow.clock import LONDON

_CLOCK = re.compile(r"^\s*(\d{1,2})[:.](\d{2})\s*$")


def clock_time(text: str) -> time | None:
    """A time of day typed as 24-hour HH:MM (``9:30``, ``18.00``), or None."""
    match = _CLOCK.match(text or "")
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def _clock(form, field) -> None:
    if clock_time(field.data) is None:
        raise ValidationError(
            _("Enter the time as hours and minutes on the 24-hour clock, like 18:30")
        )


def _day_given(form, field) -> None:
    """A day is required; a day typed wrongly keeps its own message (from the field)."""
    if field.data is None and not field.process_errors:
        raise ValidationError(_("Enter the day of the event"))


class EventForm(FlaskForm):
    name = StringField(
        _l("Name of the event"),
        validators=[InputRequired(_l("Enter the event's name")), Length(max=200)],
        widget=GovTextInput(),
    )
    place = StringField(
        _l("Where it is"),
        description=_l("The venue and its address, as residents will look for it"),
        validators=[InputRequired(_l("Enter where the event is")), Length(max=300)],
        widget=GovTextInput(),
    )
    day = DayMonthYearField(
        _l("Day"),
        description=_l("For example, 14 3 2027"),
        validators=[_day_given],
    )
    starts = StringField(
        _l("Starts at"),
        description=_l("24-hour clock, UK time, like 17:30"),
        validators=[InputRequired(_l("Enter when the event starts")), _clock],
        widget=GovTextInput(),
    )
    ends = StringField(
        _l("Ends at"),
        description=_l("24-hour clock, UK time, like 21:00"),
        validators=[InputRequired(_l("Enter when the event ends")), _clock],
        widget=GovTextInput(),
    )
    pots = SelectMultipleField(
        _l("Pots it takes votes for"),
        widget=GovCheckboxesInput(),
        coerce=int,
        validators=[InputRequired(_l("Choose the pots the event takes votes for"))],
    )
    officers = SelectMultipleField(
        _l("Officers at the check-in desk"),
        description=_l("They can check people in and start kiosks. Administrators always can."),
        widget=GovCheckboxesInput(),
        coerce=int,
    )
    submit = SubmitField(_l("Create the event"), widget=GovSubmitInput())

    def times(self) -> tuple[datetime, datetime]:
        """When it starts and ends, in UTC (typed as UK time on its day)."""
        day = self.day.data
        start = datetime.combine(day, clock_time(self.starts.data), tzinfo=LONDON)
        end = datetime.combine(day, clock_time(self.ends.data), tzinfo=LONDON)
        return start.astimezone(UTC), end.astimezone(UTC)


def event_form(pots, officers) -> EventForm:
    form = EventForm()
    form.pots.choices = options((p.id, p.name) for p in pots)
    form.officers.choices = options((u.id, u.display_name) for u in officers)
    return form


class DeskSearchForm(FlaskForm):
    class Meta:
        csrf = False  # a search changes nothing

    q = StringField(
        _l("Reference or name"),
        description=_l("The reference on their letter, or part of the name they registered with"),
        validators=[InputRequired(_l("Enter a reference or a name")), Length(max=200)],
        widget=GovTextInput(),
    )


class CheckInForm(FlaskForm):
    entry = HiddenField()
    submit = SubmitField(_l("Check in and print a token"), widget=GovSubmitInput())


class ActionForm(FlaskForm):
    """A button that does one thing (close the event, start a kiosk, release a check-in)."""

    submit = SubmitField(_l("Continue"), widget=GovSubmitInput())


class TokenForm(FlaskForm):
    token = StringField(
        _l("Your voting token"),
        description=_l("Type the code on your slip, like ABCD-EFGH, or scan its QR code"),
        validators=[InputRequired(_l("Enter the code on your slip")), Length(max=40)],
        widget=GovTextInput(),
    )
    submit = SubmitField(_l("Start voting"), widget=GovSubmitInput())
