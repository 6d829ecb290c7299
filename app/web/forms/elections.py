"""The forms of elections at general meetings: adding one (and a constituency), a nomination,
and the ranked ballot (a number box per candidate), online or entered from paper."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput
from wtforms import SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError

from app.web.forms.events import clock_time
from app.web.forms.fields import (
    DayMonthYearField,
    GovCheckboxesInput,
    GovTextArea,
    GovTextInput,
    RadioChoiceField,
    WholeNumberField,
    options,
)
from app.workflow.clock import LONDON
from app.workflow.governance.elections import ConstituencySpec


def _clock(form, field) -> None:
    if clock_time(field.data) is None:
        raise ValidationError(
            _l("Enter the time as hours and minutes on the 24-hour clock, like 17:00")
        )


def _when(day, clock) -> datetime | None:
    if day.data is None or clock_time(clock.data) is None:
        return None
    return datetime.combine(day.data, clock_time(clock.data), tzinfo=LONDON).astimezone(UTC)


def _day_given(message):
    def check(form, field) -> None:
        if field.data is None and not field.process_errors:
            raise ValidationError(message)

    return check


class _ConstituencyFields:
    name = StringField(
        _l("Constituency"),
        description=_l("Who the seats are for, like Tenant board members"),
        validators=[InputRequired(_l("Enter the constituency's name")), Length(max=200)],
        widget=GovTextInput(),
    )
    seats = WholeNumberField(
        _l("Seats"),
        message=_l("Enter the seats as a whole number, like 3"),
        validators=[InputRequired(_l("Enter how many seats there are"))],
    )
    classes = SelectMultipleField(
        _l("Membership classes that vote in it"),
        description=_l("A class votes in one constituency of an election only"),
        widget=GovCheckboxesInput(),
        validators=[InputRequired(_l("Choose the classes that vote in this constituency"))],
    )

    def spec(self) -> ConstituencySpec:
        return ConstituencySpec(self.name.data, self.seats.data, self.classes.data or [])


class ConstituencyForm(_ConstituencyFields, FlaskForm):
    submit = SubmitField(_l("Add the constituency"), widget=GovSubmitInput())


class ElectionForm(_ConstituencyFields, FlaskForm):
    title = StringField(
        _l("Title"),
        description=_l("For example, Election of the board"),
        validators=[InputRequired(_l("Enter the election's title")), Length(max=200)],
        widget=GovTextInput(),
    )
    rule = RadioChoiceField(
        _l("How the votes are counted"),
        choices=options(
            [
                ("scottish", _l("Scottish STV: the rules of Scottish council elections")),
                (
                    "meek",
                    _l(
                        "Meek STV: the reference rule of the Proportional Representation Foundation"
                    ),
                ),
            ]
        ),
        default="scottish",
    )
    nominations_day = DayMonthYearField(
        _l("Nominations close on"),
        description=_l("For example, 20 12 2026"),
        validators=[_day_given(_l("Enter the day nominations close"))],
    )
    nominations_time = StringField(
        _l("Nominations close at"),
        description=_l("24-hour clock, UK time, like 17:00"),
        validators=[InputRequired(_l("Enter when nominations close")), _clock],
        widget=GovTextInput(),
    )
    withdrawals_day = DayMonthYearField(
        _l("Withdrawals close on"),
        description=_l("Candidates can withdraw until then. For example, 27 12 2026"),
        validators=[_day_given(_l("Enter the day withdrawals close"))],
    )
    withdrawals_time = StringField(
        _l("Withdrawals close at"),
        description=_l("24-hour clock, UK time, like 17:00"),
        validators=[InputRequired(_l("Enter when withdrawals close")), _clock],
        widget=GovTextInput(),
    )
    submit = SubmitField(_l("Add the election"), widget=GovSubmitInput())

    def deadlines(self) -> dict:
        return {
            "nominations_close_at": _when(self.nominations_day, self.nominations_time),
            "withdrawals_close_at": _when(self.withdrawals_day, self.withdrawals_time),
        }


def with_classes(form, classes):
    form.classes.choices = options((c.code, c.name) for c in classes)
    return form


class NominationForm(FlaskForm):
    constituency = RadioChoiceField(
        _l("Constituency"), required_message=_l("Choose the constituency")
    )
    member = StringField(
        _l("Candidate's member number"),
        validators=[InputRequired(_l("Enter the candidate's member number")), Length(max=32)],
        widget=GovTextInput(),
    )
    statement = TextAreaField(
        _l("Candidate's statement"),
        description=_l("What members will read about them, as the candidate wrote it"),
        validators=[InputRequired(_l("Enter the candidate's statement"))],
        widget=GovTextArea(),
    )
    proposer = StringField(
        _l("Proposer's member number"),
        validators=[InputRequired(_l("Enter the proposer's member number")), Length(max=32)],
        widget=GovTextInput(),
    )
    seconder = StringField(
        _l("Seconder's member number"),
        validators=[InputRequired(_l("Enter the seconder's member number")), Length(max=32)],
        widget=GovTextInput(),
    )
    submit = SubmitField(_l("Enter the nomination"), widget=GovSubmitInput())


def nomination_form(item) -> NominationForm:
    form = NominationForm()
    form.constituency.choices = options((c.id, c.name) for c in item.constituencies)
    return form


class _Ballot(FlaskForm):
    submit = SubmitField(_l("Cast your vote"), widget=GovSubmitInput())

    def numbers(self) -> dict[str, str]:
        """Each candidate's id and the number typed beside them (text, checked by the
        workflow)."""
        return {
            name[1:]: (field.data or "")
            for name, field in self._fields.items()
            if name.startswith("c") and name != "csrf_token"
        }


def ballot_form(candidates: list[dict], *, paper: bool = False) -> _Ballot:
    """A number box for each candidate, in ballot order (``c<candidate id>``); for a paper
    ballot, the member number of the member who handed it in first."""

    class Ballot(_Ballot):
        pass

    if paper:
        Ballot.member_number = StringField(
            _l("Member number of the member who voted"),
            validators=[InputRequired(_l("Enter the member number")), Length(max=32)],
            widget=GovTextInput(),
        )
        Ballot.submit = SubmitField(_l("Record the paper ballot"), widget=GovSubmitInput())
    for candidate in candidates:
        setattr(
            Ballot,
            f"c{candidate['id']}",
            # Checked by the workflow, which says what a number must be.
            StringField(candidate["name"], widget=GovTextInput()),
        )
    return Ballot()
