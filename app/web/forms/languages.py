"""Fields for texts written in each of a council's languages: a council's name, a round's
title, a pot's name, a proposal's title and summary.

Each text gets one field per language, named ``<text>_<code>`` and labelled with the
language's own name ("Name (Cymraeg)"), in the council's order: a council that speaks Welsh
first asks for the Welsh first. Which of them must be filled is the workflow's rule
(``app.workflow.languages.set_texts``: at least one, for a row's title or name).

A form may keep the one field it always had for a council that speaks one language (``alone``:
named ``<text>``, labelled as it was); the form class's ``text_fields`` then says which field
holds each text in each language, for ``written``, ``fill`` and ``text_field``.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSubmitInput
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import Length, Optional

# The fields' widgets say GOV.UK's hidden "Error" in the page's language.
from app.web.forms.fields import GovTextArea, GovTextInput, RadioChoiceField, options
from app.web.i18n import language_name, language_name_here


def field_name(text: str, code: str) -> str:
    return f"{text}_{code}"


def text_field(form: FlaskForm, text: str, code: str) -> str:
    """The name of ``form``'s field for ``text`` in language ``code``."""
    return getattr(form, "text_fields", {}).get(text, {}).get(code) or field_name(text, code)


def language_label(label, code: str):
    """``label`` followed by the language's own name: "Name (Cymraeg)"."""
    return _l("%(label)s (%(language)s)", label=label, language=language_name(code))


def add_texts(
    fields: dict,
    text: str,
    label,
    languages: Sequence[str],
    *,
    max_length: int,
    too_long,
    area: bool = False,
    hint=None,
    alone=None,
) -> None:
    """Add a field for ``text`` in each of ``languages`` to ``fields`` (a form class's dict);
    when ``languages`` is one language and ``alone`` is given, ``alone`` instead, named
    ``text``."""
    names = fields.setdefault("text_fields", {})
    if alone is not None and len(languages) == 1:
        fields[text] = alone
        names[text] = {languages[0]: text}
        return
    names[text] = {code: field_name(text, code) for code in languages}
    for code in languages:
        kind = TextAreaField if area else StringField
        fields[field_name(text, code)] = kind(
            language_label(label, code),
            description=hint,
            widget=GovTextArea() if area else GovTextInput(),
            validators=[Optional(), Length(max=max_length, message=too_long)],
            render_kw={"lang": code},
        )


def written(form: FlaskForm, text: str, languages: Sequence[str]) -> dict[str, str]:
    """``{code: what was typed}`` for ``text``, in ``languages``' order."""
    return {code: (getattr(form, text_field(form, text, code)).data or "") for code in languages}


def fill(form: FlaskForm, text: str, by_language: dict[str, str]) -> None:
    for code, value in by_language.items():
        field = getattr(form, text_field(form, text, code), None)
        if field is not None and not field.raw_data:
            field.data = value


def order_label(order: Sequence[str]):
    """How a way of speaking reads, in the page's language: "English only", "Welsh first,
    then English"."""
    names = [language_name_here(code) for code in order]
    if len(names) == 1:
        return _l("%(language)s only", language=names[0])
    return _l("%(first)s first, then %(second)s", first=names[0], second=names[1])


def council_form(council, available: Sequence[str], orders: Sequence[Sequence[str]]):
    """The administrators' form for how ``council`` speaks and its texts in its languages."""
    languages = council.spoken_languages
    fields: dict = {
        "languages": RadioChoiceField(
            _l("How the council speaks"),
            description=_l(
                "Bilingual councils show every page in both languages and ask for their texts "
                "in both. A council bound by the Welsh Language Standards speaks Welsh first."
            ),
            choices=options((" ".join(order), order_label(order)) for order in orders),
            required_message=_l("Select how the council speaks"),
            invalid_choice_message=_l("Select how the council speaks from the list"),
            widget=GovRadioInput(),
        ),
        "submit": SubmitField(_l("Save"), widget=GovSubmitInput()),
    }
    add_texts(
        fields,
        "name",
        _l("Council name"),
        languages,
        max_length=200,
        too_long=_l("The council's name must be 200 characters or fewer"),
    )
    add_texts(
        fields,
        "description",
        _l("Description"),
        languages,
        max_length=2000,
        too_long=_l("The description must be 2,000 characters or fewer"),
        area=True,
    )
    for hood in council.neighbourhoods:
        add_texts(
            fields,
            f"hood{hood.id}",
            _l("Neighbourhood name"),
            languages,
            max_length=200,
            too_long=_l("A neighbourhood's name must be 200 characters or fewer"),
        )
    return type("CouncilForm", (FlaskForm,), fields)()
