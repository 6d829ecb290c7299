"""Forms for registering, signing in and out, choosing a new password and asking for a link
to confirm an address."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
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

from app.web.forms.fields import ChoiceField, DayMonthYearField, GovEmailInput
from app.workflow.clock import london_today

MIN_PASSWORD_LENGTH = 10


def _strip(value):
    """Spaces around a pasted email address are not a mistake worth an error."""
    return value.strip() if isinstance(value, str) else value


def email_field(description: str = "") -> EmailField:
    """An email address someone types to identify themselves (registering, resetting)."""
    return EmailField(
        "Email address",
        description=description,
        widget=GovEmailInput(),
        filters=[_strip],
        validators=[
            InputRequired(message="Enter your email address"),
            Length(max=254, message="Email address must be 254 characters or fewer"),
            Email(
                message="Enter an email address in the correct format, like name@example.com",
                check_deliverability=False,
            ),
        ],
    )


def new_password_field(label: str, missing: str) -> PasswordField:
    return PasswordField(
        label,
        description=f"At least {MIN_PASSWORD_LENGTH} characters",
        widget=GovPasswordInput(),
        validators=[
            InputRequired(message=missing),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=256,
                message=f"Password must be between {MIN_PASSWORD_LENGTH} and 256 characters",
            ),
        ],
    )


def confirm_password_field() -> PasswordField:
    return PasswordField(
        "Confirm password",
        widget=GovPasswordInput(),
        validators=[
            InputRequired(message="Enter your password again"),
            EqualTo("password", message="The passwords do not match"),
        ],
    )


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
    email = email_field()
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
    password = new_password_field("Password", "Enter a password")
    confirm_password = confirm_password_field()
    submit = SubmitField("Create account", widget=GovSubmitInput())

    def __init__(self, *args, neighbourhood_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.home_neighbourhood.choices = [
            ("", "Select your neighbourhood"),
            *neighbourhood_choices,
        ]

    def validate_home_neighbourhood(self, field: SelectField) -> None:
        if field.data == "":
            raise ValidationError("Select your neighbourhood")

    def validate_date_of_birth(self, field: DateField) -> None:
        if field.data is None:
            return
        today = london_today()
        if field.data > today:
            raise ValidationError("Date of birth must be in the past")
        if field.data.year < today.year - 120:
            raise ValidationError("Enter a real date of birth")


class RequestPasswordResetForm(FlaskForm):
    email = email_field("The one you registered with")
    submit = SubmitField("Send me a link", widget=GovSubmitInput())


class NewPasswordForm(FlaskForm):
    password = new_password_field("New password", "Enter a new password")
    confirm_password = confirm_password_field()
    submit = SubmitField("Change password", widget=GovSubmitInput())


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password",
        widget=GovPasswordInput(),
        validators=[InputRequired(message="Enter your current password")],
    )
    password = new_password_field("New password", "Enter a new password")
    confirm_password = confirm_password_field()
    submit = SubmitField("Change password", widget=GovSubmitInput())


class SendConfirmationForm(FlaskForm):
    """Its CSRF token alone: the button is drawn in the account page's notice."""


def _squash(value):
    """Codes are read out and typed in groups: spaces and dashes are not part of them."""
    return "".join(value.split()).replace("-", "").upper() if isinstance(value, str) else value


class TwoFactorForm(FlaskForm):
    """The second step of signing in: a code from the authenticator, or a recovery code."""

    code = StringField(
        "Security code",
        description="The 6-digit code your authenticator app shows now, or one of your "
        "recovery codes",
        widget=GovTextInput(),
        filters=[_squash],
        validators=[
            InputRequired(message="Enter the code from your authenticator app"),
            Length(max=32, message="Enter the 6-digit code, or a recovery code of 10 characters"),
        ],
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())


class SetUpTwoFactorForm(FlaskForm):
    code = StringField(
        "Security code",
        description="The 6-digit code your authenticator app shows for Devolve",
        widget=GovTextInput(),
        filters=[_squash],
        validators=[
            InputRequired(message="Enter the 6-digit code from your authenticator app"),
            Length(min=6, max=6, message="Enter the 6-digit code from your authenticator app"),
        ],
    )
    submit = SubmitField("Turn on two-factor sign-in", widget=GovSubmitInput())

    def validate_code(self, field: StringField) -> None:
        if not field.data.isdigit():
            raise ValidationError("The code is 6 digits, like 123456")


class ConfirmForm(FlaskForm):
    """Its CSRF token alone: for a button whose page says what it does (sign out everywhere,
    reset a colleague's second factor, make new recovery codes)."""
