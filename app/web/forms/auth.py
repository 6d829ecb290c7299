"""Forms for registering, signing in and out, choosing a new password and asking for a link
to confirm an address."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import (
    Email,
    EqualTo,
    InputRequired,
    Length,
    ValidationError,
)

from app.web.forms.fields import (
    ChoiceField,
    DayMonthYearField,
    GovEmailInput,
    GovPasswordInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from app.workflow.clock import london_today

MIN_PASSWORD_LENGTH = 10


def _strip(value):
    """Spaces around a pasted email address are not a mistake worth an error."""
    return value.strip() if isinstance(value, str) else value


def email_field(description="") -> EmailField:
    """An email address someone types to identify themselves (registering, resetting)."""
    return EmailField(
        _l("Email address"),
        description=description,
        widget=GovEmailInput(),
        filters=[_strip],
        validators=[
            InputRequired(message=_l("Enter your email address")),
            Length(max=254, message=_l("Email address must be 254 characters or fewer")),
            Email(
                message=_l("Enter an email address in the correct format, like name@example.com"),
                check_deliverability=False,
            ),
        ],
    )


def new_password_field(label: str, missing: str) -> PasswordField:
    return PasswordField(
        label,
        description=_l("At least %(num)s characters", num=MIN_PASSWORD_LENGTH),
        widget=GovPasswordInput(),
        validators=[
            InputRequired(message=missing),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=256,
                message=_l(
                    "Password must be between %(min)s and %(max)s characters",
                    min=MIN_PASSWORD_LENGTH,
                    max=256,
                ),
            ),
        ],
    )


def confirm_password_field() -> PasswordField:
    return PasswordField(
        _l("Confirm password"),
        widget=GovPasswordInput(),
        validators=[
            InputRequired(message=_l("Enter your password again")),
            EqualTo("password", message=_l("The passwords do not match")),
        ],
    )


class SignInForm(FlaskForm):
    email = EmailField(
        _l("Email address"),
        widget=GovEmailInput(),
        validators=[InputRequired(message=_l("Enter your email address"))],
    )
    password = PasswordField(
        _l("Password"),
        widget=GovPasswordInput(),
        validators=[InputRequired(message=_l("Enter your password"))],
    )
    submit = SubmitField(_l("Sign in"), widget=GovSubmitInput())


class SignOutForm(FlaskForm):
    submit = SubmitField(_l("Sign out"), widget=GovSubmitInput())


class RegisterForm(FlaskForm):
    email = email_field()
    display_name = StringField(
        _l("Your name"),
        description=_l("Shown beside proposals you make"),
        widget=GovTextInput(),
        validators=[
            InputRequired(message=_l("Enter your name")),
            Length(max=100, message=_l("Your name must be 100 characters or fewer")),
        ],
    )
    home_neighbourhood = ChoiceField(
        _l("Your neighbourhood"),
        description=_l("Where you live: some rounds let you vote only for your own neighbourhood"),
        widget=GovSelect(),
        validators=[InputRequired(message=_l("Select your neighbourhood"))],
        invalid_choice_message=_l("Select your neighbourhood from the list"),
    )
    date_of_birth = DayMonthYearField(
        _l("Date of birth (optional)"),
        description=_l(
            "Some rounds are for an age group, such as 11 to 25. For example, 27 3 2007"
        ),
        display_name=_l("Date of birth"),
    )
    password = new_password_field(_l("Password"), _l("Enter a password"))
    confirm_password = confirm_password_field()
    submit = SubmitField(_l("Create account"), widget=GovSubmitInput())

    def __init__(self, *args, neighbourhood_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.home_neighbourhood.choices = [
            ("", _l("Select your neighbourhood")),
            *neighbourhood_choices,
        ]

    def validate_home_neighbourhood(self, field: SelectField) -> None:
        if field.data == "":
            raise ValidationError(_l("Select your neighbourhood"))

    def validate_date_of_birth(self, field: DateField) -> None:
        if field.data is None:
            return
        today = london_today()
        if field.data > today:
            raise ValidationError(_l("Date of birth must be in the past"))
        if field.data.year < today.year - 120:
            raise ValidationError(_l("Enter a real date of birth"))


class RequestPasswordResetForm(FlaskForm):
    email = email_field(_l("The one you registered with"))
    submit = SubmitField(_l("Send me a link"), widget=GovSubmitInput())


class NewPasswordForm(FlaskForm):
    password = new_password_field(_l("New password"), _l("Enter a new password"))
    confirm_password = confirm_password_field()
    submit = SubmitField(_l("Change password"), widget=GovSubmitInput())


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"),
        widget=GovPasswordInput(),
        validators=[InputRequired(message=_l("Enter your current password"))],
    )
    password = new_password_field(_l("New password"), _l("Enter a new password"))
    confirm_password = confirm_password_field()
    submit = SubmitField(_l("Change password"), widget=GovSubmitInput())


class SendConfirmationForm(FlaskForm):
    """Its CSRF token alone: the button is drawn in the account page's notice."""


def _squash(value):
    """Codes are read out and typed in groups: spaces and dashes are not part of them."""
    return "".join(value.split()).replace("-", "").upper() if isinstance(value, str) else value


class TwoFactorForm(FlaskForm):
    """The second step of signing in: a code from the authenticator, or a recovery code."""

    code = StringField(
        _l("Security code"),
        description=_l(
            "The 6-digit code your authenticator app shows now, or one of your recovery codes"
        ),
        widget=GovTextInput(),
        filters=[_squash],
        validators=[
            InputRequired(message=_l("Enter the code from your authenticator app")),
            Length(
                max=32, message=_l("Enter the 6-digit code, or a recovery code of 10 characters")
            ),
        ],
    )
    submit = SubmitField(_l("Continue"), widget=GovSubmitInput())


class SetUpTwoFactorForm(FlaskForm):
    code = StringField(
        _l("Security code"),
        description=_l("The 6-digit code your authenticator app shows for Devolve"),
        widget=GovTextInput(),
        filters=[_squash],
        validators=[
            InputRequired(message=_l("Enter the 6-digit code from your authenticator app")),
            Length(min=6, max=6, message=_l("Enter the 6-digit code from your authenticator app")),
        ],
    )
    submit = SubmitField(_l("Turn on two-factor sign-in"), widget=GovSubmitInput())

    def validate_code(self, field: StringField) -> None:
        if not field.data.isdigit():
            raise ValidationError(_l("The code is 6 digits, like 123456"))


class ConfirmForm(FlaskForm):
    """Its CSRF token alone: for a button whose page says what it does (sign out everywhere,
    reset a colleague's second factor, make new recovery codes)."""
