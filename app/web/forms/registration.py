"""Forms for becoming eligible by address or in person: the officers' address list upload,
the ways to become eligible (the council's and a round's), their decision on a waiting
registration and registering someone in person; a resident's postcode and registration.

Dates of birth and names are checked again by the ballot box (``ballots.registration``),
whose refusals are shown beside the same fields."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectMultipleField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, Optional

from app.web.forms.fields import (
    ChoiceField,
    DayMonthYearField,
    GovCheckboxesInput,
    GovFileInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
    RadioChoiceField,
    WholeNumberField,
    options,
)
from app.workflow import eligibility

NO_ADDRESS = "none"


def way_choices():
    return options((way, _l(eligibility.WAY_NAMES[way])) for way in eligibility.WAYS)


class GazetteerForm(FlaskForm):
    gazetteer = FileField(_l("Address list (CSV)"), widget=GovFileInput())
    submit = SubmitField(_l("Upload address list"), widget=GovSubmitInput())


def _ways_field(label):
    # Not checked against the choices here: an unknown way is the workflow's to refuse.
    return SelectMultipleField(label, widget=GovCheckboxesInput(), validate_choice=False)


class EligibilityForm(FlaskForm):
    ways = _ways_field(_l("How can people become eligible to vote?"))
    per_address = WholeNumberField(
        _l("How many people can register at one address and vote at once (optional)"),
        description=_l(
            "Those after them wait for an officer to approve them. Leave empty, or 0, for an "
            "officer to approve everyone who registers at an address."
        ),
        validators=[Optional()],
        message=_l("Enter the limit per address as a whole number, like 4"),
    )
    submit = SubmitField(_l("Save"), widget=GovSubmitInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.ways.choices = way_choices()


class RoundEligibilityForm(FlaskForm):
    which = RadioChoiceField(
        _l("Which ways does this round use?"),
        choices=options(
            [
                ("council", _l("The council's")),
                ("own", _l("Its own, chosen below")),
            ]
        ),
        required_message=_l("Select whether the round uses the council's ways or its own"),
    )
    ways = _ways_field(_l("The round's own ways"))
    submit = SubmitField(_l("Save"), widget=GovSubmitInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.ways.choices = way_choices()


class DecisionForm(FlaskForm):
    """An officer's decision on one waiting registration (each has its own form, named by a
    prefix, so the queue's fields have ids of their own). Its CSRF token is the page's,
    written out once per form and checked for every POST by the app's CSRF protection."""

    class Meta:
        csrf = False

    reason = StringField(
        _l("Reason, if you refuse"),
        description=_l("The resident is shown it. Do not write their name or date of birth."),
        widget=GovTextInput(),
        validators=[Length(max=500, message=_l("The reason must be 500 characters or fewer"))],
    )
    approve = SubmitField(_l("Approve"), widget=GovSubmitInput())
    refuse = SubmitField(_l("Refuse"), widget=GovSubmitInput())


class PostcodeForm(FlaskForm):
    """The postcode whose addresses are listed (sent with GET: no token, nothing changes)."""

    class Meta:
        csrf = False

    postcode = StringField(
        _l("Postcode"),
        description=_l("For example, SE11 5AB"),
        widget=GovTextInput(),
        validators=[
            InputRequired(message=_l("Enter a postcode")),
            Length(max=10, message=_l("A postcode is 10 characters or fewer")),
        ],
    )
    find = SubmitField(_l("Find addresses"), widget=GovSubmitInput())


NAME = {
    "widget": GovTextInput(),
    "validators": [
        InputRequired(message=_l("Enter the full name")),
        Length(max=200, message=_l("The name must be 200 characters or fewer")),
    ],
}


class AddressRegistrationForm(FlaskForm):
    """A resident registering at one of the addresses at their postcode."""

    address = RadioChoiceField(
        _l("Your address"),
        required_message=_l("Select your address"),
        invalid_choice_message=_l("Select your address from the list"),
    )
    name = StringField(
        _l("Your full name"), description=_l("As the council would have it on its records"), **NAME
    )
    date_of_birth = DayMonthYearField(
        _l("Your date of birth"),
        description=_l("For example, 27 3 2007"),
        validators=[InputRequired(message=_l("Enter your date of birth"))],
        display_name=_l("Date of birth"),
    )
    submit = SubmitField(_l("Register"), widget=GovSubmitInput())

    def __init__(self, *args, addresses=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.address.choices = options((a.id, a.address) for a in addresses)


class InPersonForm(FlaskForm):
    """An officer registering someone they have seen: at one of the addresses at the
    postcode, or (not listed) in a neighbourhood."""

    name = StringField(_l("Full name"), **NAME)
    date_of_birth = DayMonthYearField(
        _l("Date of birth"),
        description=_l("For example, 27 3 2007"),
        validators=[InputRequired(message=_l("Enter the date of birth"))],
        display_name=_l("Date of birth"),
    )
    address = RadioChoiceField(
        _l("Address"),
        required_message=_l("Select the address, or that it is not listed"),
        invalid_choice_message=_l("Select the address from the list"),
    )
    neighbourhood = ChoiceField(
        _l("Neighbourhood, if the address is not listed"),
        widget=GovSelect(),
        invalid_choice_message=_l("Select the neighbourhood from the list"),
    )
    submit = SubmitField(_l("Register"), widget=GovSubmitInput())

    def __init__(self, *args, addresses=(), neighbourhoods=(), **kwargs):
        """``addresses``: those at the postcode looked up; ``neighbourhoods``: (id, name)."""
        super().__init__(*args, **kwargs)
        self.address.choices = options(
            [*((a.id, a.address) for a in addresses), (NO_ADDRESS, _l("Not listed, or none"))]
        )
        self.neighbourhood.choices = options([("", _l("Select a neighbourhood")), *neighbourhoods])

    def chosen(self) -> tuple[int | None, int | None]:
        """The address's id (None: not listed) and, without one, the neighbourhood's."""
        if self.address.data != NO_ADDRESS:
            return int(self.address.data), None
        return None, int(self.neighbourhood.data) if self.neighbourhood.data else None
