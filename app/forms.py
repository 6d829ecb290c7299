"""Forms for every page. Each page's main form is called ``form`` in its template, so the base
template can put "Error: " in the title and show the error summary by itself."""

from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovDateInput,
    GovPasswordInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import DateField, EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import (
    Email,
    EqualTo,
    InputRequired,
    Length,
    ValidationError,
)

MIN_PASSWORD_LENGTH = 10


class GovEmailInput(GovTextInput):
    input_type = "email"


class ChoiceField(SelectField):
    """A select whose "not one of the choices" error speaks plainly (a tampered form gets it)."""

    def __init__(self, *args, invalid_choice_message: str = "Select an option from the list", **kwargs):
        super().__init__(*args, **kwargs)
        self.invalid_choice_message = invalid_choice_message

    def pre_validate(self, form):
        if self.data not in {str(value) for value, _ in self.choices}:
            raise ValidationError(self.invalid_choice_message)


class DayMonthYearField(DateField):
    """A date typed as day, month and year boxes, with the GOV.UK pattern's error messages.

    All three empty is no date (None). A missing part or an impossible date is an error that
    names what is wrong, rather than WTForms' generic "Not a valid date value".
    """

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("widget", GovDateInput())
        super().__init__(label, validators, format="%d %m %Y", **kwargs)

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist or not any(v.strip() for v in valuelist):
            return
        parts = [v.strip() for v in valuelist] + [""] * (3 - len(valuelist))
        missing = [name for name, v in zip(("day", "month", "year"), parts[:3]) if not v]
        name = self.short_name.replace("_", " ").capitalize()
        if missing:
            raise ValueError(f"{name} must include a {' and '.join(missing)}")
        if not all(v.isdigit() for v in parts[:3]) or len(parts[2]) != 4:
            raise ValueError(f"{name} must be a real date, with a 4-digit year")
        try:
            self.data = date(int(parts[2]), int(parts[1]), int(parts[0]))
        except ValueError:
            raise ValueError(f"{name} must be a real date") from None


class SignInForm(FlaskForm):
    email = EmailField(
        "Email address",
        widget=GovEmailInput(),
        validators=[InputRequired(message="Enter your email address")],
    )
    password = PasswordField(
        "Password",
        widget=GovPasswordInput(),
        validators=[InputRequired(message="Enter your password")],
    )
    submit = SubmitField("Sign in", widget=GovSubmitInput())


class SignOutForm(FlaskForm):
    submit = SubmitField("Sign out", widget=GovSubmitInput())


class RegisterForm(FlaskForm):
    email = EmailField(
        "Email address",
        widget=GovEmailInput(),
        validators=[
            InputRequired(message="Enter your email address"),
            Length(max=254, message="Email address must be 254 characters or fewer"),
            Email(
                message="Enter an email address in the correct format, like name@example.com",
                check_deliverability=False,
            ),
        ],
    )
    display_name = StringField(
        "Your name",
        description="Shown beside proposals you make",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter your name"),
            Length(max=100, message="Your name must be 100 characters or fewer"),
        ],
    )
    home_neighbourhood = ChoiceField(
        "Your neighbourhood",
        description="Where you live: some rounds let you vote only for your own neighbourhood",
        widget=GovSelect(),
        validators=[InputRequired(message="Select your neighbourhood")],
        invalid_choice_message="Select your neighbourhood from the list",
    )
    date_of_birth = DayMonthYearField(
        "Date of birth (optional)",
        description="Some rounds are for an age group, such as 11 to 25. For example, 27 3 2007",
    )
    password = PasswordField(
        "Password",
        description=f"At least {MIN_PASSWORD_LENGTH} characters",
        widget=GovPasswordInput(),
        validators=[
            InputRequired(message="Enter a password"),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=256,
                message=f"Password must be between {MIN_PASSWORD_LENGTH} and 256 characters",
            ),
        ],
    )
    confirm_password = PasswordField(
        "Confirm password",
        widget=GovPasswordInput(),
        validators=[
            InputRequired(message="Enter your password again"),
            EqualTo("password", message="The passwords do not match"),
        ],
    )
    submit = SubmitField("Create account", widget=GovSubmitInput())

    def __init__(self, *args, neighbourhood_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.home_neighbourhood.choices = [("", "Select your neighbourhood"), *neighbourhood_choices]

    def validate_home_neighbourhood(self, field: SelectField) -> None:
        if field.data == "":
            raise ValidationError("Select your neighbourhood")

    def validate_date_of_birth(self, field: DateField) -> None:
        if field.data is None:
            return
        today = date.today()
        if field.data > today:
            raise ValidationError("Date of birth must be in the past")
        if field.data.year < today.year - 120:
            raise ValidationError("Enter a real date of birth")
