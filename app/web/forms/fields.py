"""Fields with GOV.UK error messages: money in pounds, dates as three boxes, plain choices."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from govuk_frontend_wtf.wtforms_widgets import GovDateInput, GovRadioInput, GovTextInput
from wtforms import DateField, Field, RadioField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import StopValidation, ValidationError


def options(pairs) -> list[SelectChoice]:
    """Choices for a select or radios, as WTForms wants them from 3.3 on."""
    return [SelectChoice(str(value), label) for value, label in pairs]


def choice_values(choices) -> set[str]:
    return {str(tuple(c)[0]) for c in choices or ()}


class GovEmailInput(GovTextInput):
    input_type = "email"


class ChoiceField(SelectField):
    """A select whose "not one of the choices" error speaks plainly (a tampered form gets it)."""

    def __init__(
        self, *args, invalid_choice_message: str = "Select an option from the list", **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.invalid_choice_message = invalid_choice_message

    def pre_validate(self, form):
        if self.data not in choice_values(self.choices):
            raise ValidationError(self.invalid_choice_message)


class DayMonthYearInput(GovDateInput):
    """GOV.UK's date input, its three boxes labelled in the page's language (the widget's own
    labels are English only)."""

    LABELS = {"Day": _l("Day"), "Month": _l("Month"), "Year": _l("Year")}

    def map_gov_params(self, field, **kwargs):
        params = super().map_gov_params(field, **kwargs)
        for item in params.get("items") or ():
            if item.get("label") in self.LABELS:
                item["label"] = str(self.LABELS[item["label"]])
        return params


class DayMonthYearField(DateField):
    """A date typed as day, month and year boxes, with the GOV.UK pattern's error messages.

    All three empty is no date (None). A missing part or an impossible date is an error that
    names what is wrong, rather than WTForms' generic "Not a valid date value".
    """

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("widget", DayMonthYearInput())
        super().__init__(label, validators, format="%d %m %Y", **kwargs)

    def process_formdata(self, valuelist):
        self.data = None
        # Three boxes, always: a request that left some out (a tampered form) re-renders too.
        self.raw_data = [*(valuelist or [])[:3], "", "", ""][:3]
        if not valuelist or not any(v.strip() for v in valuelist):
            return
        parts = [v.strip() for v in valuelist] + [""] * (3 - len(valuelist))
        missing = [
            name for name, v in zip(("day", "month", "year"), parts[:3], strict=True) if not v
        ]
        name = self.short_name.replace("_", " ").capitalize()
        if missing:
            raise ValueError(f"{name} must include a {' and '.join(missing)}")
        if not all(v.isdigit() for v in parts[:3]) or len(parts[2]) != 4:
            raise ValueError(f"{name} must be a real date, with a 4-digit year")
        try:
            self.data = date(int(parts[2]), int(parts[1]), int(parts[0]))
        except ValueError:
            raise ValueError(f"{name} must be a real date") from None


_POUNDS = re.compile(r"^(\d{1,3}(,\d{3})+|\d+)(\.\d{1,2})?$")
# Far beyond any council's budget, and far inside the database's 64-bit integers: a larger
# amount is a typing slip (or an attack), refused with a message rather than by the database.
MAX_PENCE = 100_000_000_000_00


class MoneyField(Field):
    """An amount typed in pounds ("1,500", "1500.50", "£1500"), held as integer pence.

    Converted exactly with ``Decimal`` (never a float). Empty is None; the caller's validators
    decide whether it is required. Negative amounts, more than two decimal places and anything
    that is not a number get ``message``.
    """

    widget = GovTextInput()

    def __init__(self, label=None, validators=None, *, message: str, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.message = message
        self.raw = ""

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        pounds, pence = divmod(self.data, 100)
        return f"{pounds}.{pence:02d}" if pence else str(pounds)

    def process_formdata(self, valuelist):
        self.data = None
        text = (valuelist[0] if valuelist else "").strip().replace(" ", "")
        if not text:
            return
        text = text.removeprefix("£")
        if text.startswith("-") or text.startswith("−"):
            raise ValueError(f"{self.label.text.split(' (')[0]} must not be negative")
        if not _POUNDS.match(text):
            if re.match(r"^[\d,]*\.\d{3,}$", text):
                raise ValueError(f"{self.message}: no more than 2 decimal places")
            raise ValueError(self.message)
        pence = int(Decimal(text.replace(",", "")) * 100)
        if pence > MAX_PENCE:
            name = self.label.text.split(" (")[0]
            raise ValueError(f"{name} must be £100,000,000,000 or less")
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
            raise ValueError(self.message)
        self.data = int(text)


class RadioChoiceField(RadioField):
    """Radios with plain errors: none chosen gets ``required_message``, a tampered value gets
    ``invalid_choice_message``."""

    def __init__(
        self,
        *args,
        required_message: str = "Select an option",
        invalid_choice_message: str = "Select an option from the list",
        **kwargs,
    ):
        kwargs.setdefault("widget", GovRadioInput())
        super().__init__(*args, **kwargs)
        self.required_message = required_message
        self.invalid_choice_message = invalid_choice_message

    def pre_validate(self, form):
        if self.data in (None, "", "None"):
            raise StopValidation(self.required_message)
        if self.data not in choice_values(self.choices):
            raise StopValidation(self.invalid_choice_message)
