"""Residents' forms: proposing a project, supporting and reporting proposals.

A proposal's title, summary and description are asked for in each of its council's languages
(``app.web.forms.languages``): a council that speaks one language gets the one field for each
it always had."""

from __future__ import annotations

from functools import lru_cache

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, SubmitField, TextAreaField
from wtforms.validators import AnyOf, InputRequired, Length, Optional

from app.web.forms.fields import (
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
    MoneyField,
    RadioChoiceField,
    options,
)
from app.web.forms.languages import add_texts, fill, text_field, written
from app.web.i18n import in_page_language
from app.workflow import languages


def _text(label, required, max_len: int, too_long, description=None, area=False):
    """A text box: ``required`` its message when left empty (None: optional), ``too_long`` its
    message past ``max_len`` characters."""
    validators = [InputRequired(message=required)] if required else [Optional()]
    validators.append(Length(max=max_len, message=too_long))
    field = TextAreaField if area else StringField
    return field(
        label,
        description=description,
        widget=GovTextArea() if area else GovTextInput(),
        validators=validators,
    )


TITLE_TOO_LONG = _l("Title must be 120 characters or fewer")
SUMMARY_TOO_LONG = _l("Summary must be 300 characters or fewer")
SUMMARY_HINT = _l("One or two sentences")
DESCRIPTION_TOO_LONG = _l("Description must be 5,000 characters or fewer")
DESCRIPTION_HINT = _l("What you would do, for whom, and why")
# The texts a resident writes in the council's languages, and what each needs in one at least.
WRITTEN = ("title", "summary", "description")
NEEDED = {
    "title": _l("Enter a title"),
    "summary": _l("Enter a summary"),
    "description": _l("Enter a description"),
}


class ProposalForm(FlaskForm):
    """A proposal: its title, summary and description in the council's languages (fields added
    by ``proposal_form_class``: one each for a council that speaks one language, as they always
    were; one per language for a bilingual council, any of which may be left empty as long as
    one title, one summary and one description are written), its pot, category, cost and
    location."""

    languages: tuple[str, ...] = ("en",)

    def __init__(self, *args, pots=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.pot.choices = options(
            (
                p.id,
                _(
                    "%(pot)s (budget %(budget)s)",
                    pot=in_page_language(p, "name").text,
                    budget=_pounds(p.budget_pence),
                ),
            )
            for p in pots
        )

    @property
    def bilingual(self) -> bool:
        return len(self.languages) > 1

    def texts(self) -> dict[str, dict[str, str]]:
        """``{"title": {language: text}, "summary": ..., "description": ...}``."""
        return {text: written(self, text, self.languages) for text in WRITTEN}

    def first(self, text: str) -> str:
        """The name of the field for ``text`` in the council's first language."""
        return text_field(self, text, self.languages[0])

    def fields_for(self, text: str) -> list:
        """The fields for ``text``, one per language, in the council's order."""
        return [self[text_field(self, text, code)] for code in self.languages]

    def fill_from(self, proposal) -> None:
        for text in WRITTEN:
            fill(self, text, languages.texts(proposal, text))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not self.bilingual:
            return valid
        for text, message in NEEDED.items():
            if not any(t.strip() for t in written(self, text, self.languages).values()):
                self[self.first(text)].errors.append(str(message))
                valid = False
        return valid


@lru_cache(maxsize=8)
def proposal_form_class(spoken: tuple[str, ...]) -> type[ProposalForm]:
    """The proposal form for a council speaking ``spoken`` (in its order). Every field is made
    here, in the order the page shows them, so the error summary lists them in that order."""
    attrs: dict = {"languages": spoken}
    add_texts(
        attrs,
        "title",
        _l("Title"),
        spoken,
        max_length=120,
        too_long=TITLE_TOO_LONG,
        alone=_text(_l("Title"), NEEDED["title"], 120, TITLE_TOO_LONG),
    )
    add_texts(
        attrs,
        "summary",
        _l("Summary"),
        spoken,
        max_length=300,
        too_long=SUMMARY_TOO_LONG,
        hint=SUMMARY_HINT,
        alone=_text(_l("Summary"), NEEDED["summary"], 300, SUMMARY_TOO_LONG, SUMMARY_HINT),
    )
    add_texts(
        attrs,
        "description",
        _l("Description"),
        spoken,
        max_length=5000,
        too_long=DESCRIPTION_TOO_LONG,
        area=True,
        hint=DESCRIPTION_HINT,
        alone=_text(
            _l("Description"),
            NEEDED["description"],
            5000,
            DESCRIPTION_TOO_LONG,
            DESCRIPTION_HINT,
            area=True,
        ),
    )
    attrs.update(_details())
    return type("ProposalForm", (ProposalForm,), attrs)


def _details() -> dict:
    """The fields after the texts: pot, category, cost and location."""
    return {
        "pot": RadioChoiceField(
            _l("Which pot is it for?"),
            required_message=_l("Select a pot"),
            invalid_choice_message=_l("Select a pot from the list"),
        ),
        "category": _text(
            _l("Category (optional)"),
            None,
            64,
            _l("Category must be 64 characters or fewer"),
            _l("For example, youth, parks, transport"),
        ),
        "estimated_cost": MoneyField(
            _l("Estimated cost"),
            description=_l("In pounds, like 1500 or 1500.50. It must fit the pot's budget."),
            validators=[InputRequired(message=_l("Enter the estimated cost"))],
            message=_l("Enter the estimated cost in pounds, like 1500 or 1500.50"),
            display_name=_l("Estimated cost"),
        ),
        "location": _text(
            _l("Location (optional)"),
            None,
            200,
            _l("Location must be 200 characters or fewer"),
            _l("A street, park or building"),
        ),
        "submit": SubmitField(_l("Send proposal"), widget=GovSubmitInput()),
    }


def proposal_form(council, pots, **kwargs) -> ProposalForm:
    """The proposal form in ``council``'s languages, for one of ``pots``."""
    return proposal_form_class(tuple(council.spoken_languages))(pots=pots, **kwargs)


def _pounds(pence: int) -> str:
    from app.web.presenters.formatting import money

    return money(pence)


class SupportForm(FlaskForm):
    action = HiddenField(
        validators=[AnyOf(["support", "unsupport"], message=_l("Choose to support or not"))]
    )
    submit = SubmitField(_l("Support this proposal"), widget=GovSubmitInput())


class ReportForm(FlaskForm):
    reason = _text(
        _l("Why does this proposal need a moderator?"),
        _l("Enter why this proposal needs a moderator"),
        2000,
        _l("Your reason must be 2,000 characters or fewer"),
        _l("For example, it is abusive, or shares someone's personal details"),
        area=True,
    )
    submit = SubmitField(_l("Report proposal"), widget=GovSubmitInput())
