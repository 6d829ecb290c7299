"""Forms for every page. Each page's main form is called ``form`` in its template, so the base
template can put "Error: " in the title and show the error summary by itself."""

from app.forms.auth import (
    MIN_PASSWORD_LENGTH,
    NewPasswordForm,
    RegisterForm,
    RequestPasswordResetForm,
    SendConfirmationForm,
    SignInForm,
    SignOutForm,
)
from app.forms.fields import ChoiceField, DayMonthYearField, GovEmailInput, MoneyField

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "ChoiceField",
    "DayMonthYearField",
    "GovEmailInput",
    "MoneyField",
    "NewPasswordForm",
    "RegisterForm",
    "RequestPasswordResetForm",
    "SendConfirmationForm",
    "SignInForm",
    "SignOutForm",
]
