"""Fields with GOV.UK error messages: money in pounds, dates as three boxes, plain choices; and
GOV.UK widgets whose own words (the hidden "Error:" before a message, a password's "Show" and
"Hide", a date's "Day", "Month" and "Year") are in the page's language."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from govuk_frontend_wtf import wtforms_widgets as gov
from wtforms import DateField, Field, RadioField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import StopValidation, ValidationError

from ballots.refusals import N_


def options(pairs) -> list[SelectChoice]:
    """Choices for a select or radios, as WTForms wants them from 3.3 on."""
    return [SelectChoice(str(value), label) for value, label in pairs]


def choice_values(choices) -> set[str]:
    return {str(tuple(c)[0]) for c in choices or ()}


class lazy_text:  # noqa: N801  (used like lazy_gettext)
    """A text translated when it is shown, for one that carries someone's words (a project's
    name): escaped wherever it is shown, as a plain string is. Flask-Babel's lazy strings are
    not (their ``__html__`` is the text as it is). Mark the msgid with ``N_``."""

    __slots__ = ("string", "variables")

    def __init__(self, string: str, **variables) -> None:
        self.string = string
        self.variables = variables

    def __str__(self) -> str:
        return _(self.string, **self.variables)

    def __repr__(self) -> str:
        return f"lazy_text({self.string!r})"

    def __eq__(self, other) -> bool:
        return str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))

    def __len__(self) -> int:
        return len(str(self))

    def __bool__(self) -> bool:
        return bool(self.string)


class _InPageLanguage:
    """GOV.UK's own words on a field, in the page's language: the hidden "Error" before its
    message (GOV.UK Frontend's default is English)."""

    def map_gov_params(self, field, **kwargs):
        params = super().map_gov_params(field, **kwargs)
        if params.get("errorMessage"):
            params["errorMessage"].setdefault("visuallyHiddenText", _("Error"))
        return params


class GovTextInput(_InPageLanguage, gov.GovTextInput):
    pass


class GovEmailInput(GovTextInput):
    input_type = "email"


class GovTextArea(_InPageLanguage, gov.GovTextArea):
    pass


class GovSelect(_InPageLanguage, gov.GovSelect):
    pass


class GovRadioInput(_InPageLanguage, gov.GovRadioInput):
    pass


class GovCheckboxesInput(_InPageLanguage, gov.GovCheckboxesInput):
    pass


class GovFileInput(_InPageLanguage, gov.GovFileInput):
    pass


class GovSubmitInput(gov.GovSubmitInput):
    pass


class GovPasswordInput(_InPageLanguage, gov.GovPasswordInput):
    """A password box whose "Show"/"Hide" button and announcements are in the page's
    language."""

    def map_gov_params(self, field, **kwargs):
        params = super().map_gov_params(field, **kwargs)
        for key, text in (
            ("showPasswordText", _("Show")),
            ("hidePasswordText", _("Hide")),
            ("showPasswordAriaLabelText", _("Show password")),
            ("hidePasswordAriaLabelText", _("Hide password")),
            ("passwordShownAnnouncementText", _("Your password is visible")),
            ("passwordHiddenAnnouncementText", _("Your password is hidden")),
        ):
            params.setdefault(key, text)
        return params


class GovDateInput(_InPageLanguage, gov.GovDateInput):
    """Day, month and year boxes labelled in the page's language."""

    def map_gov_params(self, field, **kwargs):
        params = super().map_gov_params(field, **kwargs)
        labels = {"day": _("Day"), "month": _("Month"), "year": _("Year")}
        for item in params.get("items") or []:
            part = str(item.get("id", "")).rsplit("-", 1)[-1]
            if part in labels:
                item["label"] = labels[part]
        return params


class ChoiceField(SelectField):
    """A select whose "not one of the choices" error speaks plainly (a tampered form gets it)."""

    def __init__(self, *args, invalid_choice_message: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.invalid_choice_message = invalid_choice_message or _l("Select an option from the list")

    def pre_validate(self, form):
        if self.data not in choice_values(self.choices):
            raise ValidationError(self.invalid_choice_message)


# A date with a part left out: what is missing, whole sentences for each (word order differs).
_MISSING = {
    ("day",): N_("%(name)s must include a day"),
    ("month",): N_("%(name)s must include a month"),
    ("year",): N_("%(name)s must include a year"),
    ("day", "month"): N_("%(name)s must include a day and month"),
    ("day", "year"): N_("%(name)s must include a day and year"),
    ("month", "year"): N_("%(name)s must include a month and year"),
}


class DayMonthYearField(DateField):
    """A date typed as day, month and year boxes, with the GOV.UK pattern's error messages.

    All three empty is no date (None). A missing part or an impossible date is an error that
    names what is wrong, rather than WTForms' generic "Not a valid date value".
    ``display_name`` is what the messages call the date ("Date of birth"); without it, the
    field's name.
    """

    def __init__(self, label=None, validators=None, *, display_name=None, **kwargs):
        kwargs.setdefault("widget", GovDateInput())
        super().__init__(label, validators, format="%d %m %Y", **kwargs)
        self.display_name = display_name

    def process_formdata(self, valuelist):
        self.data = None
        # Three boxes, always: a request that left some out (a tampered form) re-renders too.
        self.raw_data = [*(valuelist or [])[:3], "", "", ""][:3]
        if not valuelist or not any(v.strip() for v in valuelist):
            return
        parts = [v.strip() for v in valuelist] + [""] * (3 - len(valuelist))
        missing = tuple(
            name for name, v in zip(("day", "month", "year"), parts[:3], strict=True) if not v
        )
        name = str(self.display_name or str(self.label.text).split(" (")[0])
        if missing:
            raise ValueError(_(_MISSING[missing], name=name))
        if not all(v.isdigit() for v in parts[:3]) or len(parts[2]) != 4:
            raise ValueError(_("%(name)s must be a real date, with a 4-digit year", name=name))
        try:
            self.data = date(int(parts[2]), int(parts[1]), int(parts[0]))
        except ValueError:
            raise ValueError(_("%(name)s must be a real date", name=name)) from None


_POUNDS = re.compile(r"^(\d{1,3}(,\d{3})+|\d+)(\.\d{1,2})?$")
# Far beyond any council's budget, and far inside the database's 64-bit integers: a larger
# amount is a typing slip (or an attack), refused with a message rather than by the database.
MAX_PENCE = 100_000_000_000_00


class MoneyField(Field):
    """An amount typed in pounds ("1,500", "1500.50", "£1500"), held as integer pence.

    Converted exactly with ``Decimal`` (never a float). Empty is None; the caller's validators
    decide whether it is required. Negative amounts, more than two decimal places and anything
    that is not a number get ``message``. ``display_name`` is what the other messages call the
    amount; without it, the label up to any " (".
    """

    widget = GovTextInput()

    def __init__(self, label=None, validators=None, *, message: str, display_name=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.message = message
        self.display_name = display_name
        self.raw = ""

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        pounds, pence = divmod(self.data, 100)
        return f"{pounds}.{pence:02d}" if pence else str(pounds)

    def _name(self) -> str:
        return str(self.display_name or str(self.label.text).split(" (")[0])

    def process_formdata(self, valuelist):
        self.data = None
        text = (valuelist[0] if valuelist else "").strip().replace(" ", "")
        if not text:
            return
        text = text.removeprefix("£")
        if text.startswith("-") or text.startswith("−"):
            raise ValueError(_("%(name)s must not be negative", name=self._name()))
        if not _POUNDS.match(text):
            if re.match(r"^[\d,]*\.\d{3,}$", text):
                raise ValueError(
                    _("%(message)s: no more than 2 decimal places", message=str(self.message))
                )
            raise ValueError(str(self.message))
        pence = int(Decimal(text.replace(",", "")) * 100)
        if pence > MAX_PENCE:
            raise ValueError(_("%(name)s must be £100,000,000,000 or less", name=self._name()))
        self.data = pence


class WholeNumberField(Field):
    """A whole number typed in a text box; empty is None. ``message`` for anything else."""

    widget = GovTextInput()

    def __init__(self, label=None, validators=None, *, message: str, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.message = message

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else str(self.data)

    def process_formdata(self, valuelist):
        self.data = None
        text = (valuelist[0] if valuelist else "").strip()
        if not text:
            return
        if not re.fullmatch(r"-?\d{1,9}", text):
            raise ValueError(str(self.message))
        self.data = int(text)


class RadioChoiceField(RadioField):
    """Radios with plain errors: none chosen gets ``required_message``, a tampered value gets
    ``invalid_choice_message``."""

    def __init__(
        self,
        *args,
        required_message: str | None = None,
        invalid_choice_message: str | None = None,
        **kwargs,
    ):
        kwargs.setdefault("widget", GovRadioInput())
        super().__init__(*args, **kwargs)
        self.required_message = required_message or _l("Select an option")
        self.invalid_choice_message = invalid_choice_message or _l("Select an option from the list")

    def pre_validate(self, form):
        if self.data in (None, "", "None"):
            raise StopValidation(self.required_message)
        if self.data not in choice_values(self.choices):
            raise StopValidation(self.invalid_choice_message)
