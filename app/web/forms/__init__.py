"""Forms for every page. Each page's main form is called ``form`` in its template, so the base
template can put "Error: " in the title and show the error summary by itself."""

from app.web.forms.auth import (
    MIN_PASSWORD_LENGTH,
    ChangePasswordForm,
    ConfirmForm,
    NewPasswordForm,
    RegisterForm,
    RequestPasswordResetForm,
    SendConfirmationForm,
    SetUpTwoFactorForm,
    SignInForm,
    SignOutForm,
    TwoFactorForm,
)
from app.web.forms.fields import ChoiceField, DayMonthYearField, GovEmailInput, MoneyField

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "ChangePasswordForm",
    "ChoiceField",
    "ConfirmForm",
    "DayMonthYearField",
    "GovEmailInput",
    "MoneyField",
    "NewPasswordForm",
    "RegisterForm",
    "RequestPasswordResetForm",
    "SendConfirmationForm",
    "SetUpTwoFactorForm",
    "SignInForm",
    "SignOutForm",
    "TwoFactorForm",
]
