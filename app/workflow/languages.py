"""Texts in more than one language: what a council, neighbourhood, round, pot or proposal says
in each language it was written in, and which to show a reader.

A row's own text columns (``title``, ``name``, ``summary``...) are in ``row.language``; the same
texts in other languages are in ``row.translations`` as ``{"<code>": {"<column>": "<text>"}}``.
Officers write a council's texts in each language the council speaks; a resident may write a
proposal in any one of them, or several.

A council speaks one language or several, in the order it shows them (``Council.languages``):
``"en"``, ``"en cy"`` (English first) or ``"cy en"`` (Welsh first, which the Welsh Language
Standards require to be treated no less favourably: first, with the same prominence). Nothing
here names a language: the codes come from the catalogues the web layer has.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.workflow import audit
from app.workflow.errors import DomainError
from app.workflow.models import Council, Translated, User
from ballots.refusals import N_

# The columns each kind of row has in more than one language.
TRANSLATED_FIELDS = {
    "councils": ("name", "description"),
    "neighbourhoods": ("name",),
    "rounds": ("title", "description"),
    "pots": ("name",),
    "proposals": ("title", "summary", "description"),
}


@dataclass(frozen=True)
class Shown:
    """A text as a reader gets it: ``text`` is in ``language``, which is ``asked`` unless the
    text does not exist in that language (``elsewhere``: then the page says so)."""

    text: str
    language: str
    asked: str

    @property
    def elsewhere(self) -> bool:
        return bool(self.text) and self.language != self.asked

    def __str__(self) -> str:
        return self.text

    def __html__(self) -> str:  # printed as plain text in templates (escaped by them)
        from html import escape

        return escape(self.text)


# The language of a row's own texts until one is chosen: the column's default.
WRITTEN_IN = "en"


def own_language(row: Translated) -> str:
    """The language of the row's own text columns (a row not yet stored may not say)."""
    return row.language or WRITTEN_IN


def texts(row: Translated, field: str) -> dict[str, str]:
    """``{language: text}`` of every language ``field`` is written in (empty texts left out)."""
    out = {}
    own = getattr(row, field, None)
    if own:
        out[own_language(row)] = own
    for code, fields in (row.translations or {}).items():
        value = (fields or {}).get(field)
        if value and code not in out:
            out[code] = value
    return out


def shown(row: Translated, field: str, language: str, preference: Sequence[str] = ()) -> Shown:
    """``field`` of ``row`` in ``language`` if it is written in it; else in the first language
    of ``preference`` (the council's order) it is written in; else in the row's own."""
    written = texts(row, field)
    if language in written:
        return Shown(written[language], language, language)
    for code in preference:
        if code in written:
            return Shown(written[code], code, language)
    if written:
        code = own_language(row) if own_language(row) in written else next(iter(written))
        return Shown(written[code], code, language)
    return Shown("", language, language)


def set_texts(
    row: Translated, written: Mapping[str, Mapping[str, str | None]], *, refusal_field: str = ""
) -> None:
    """Store the row's texts: ``written`` is ``{field: {language: text}}`` (an empty text or
    None: not written in that language), each field's languages in the order they are shown.

    The row's own columns take the first language its first field (the title or name, which
    every row must have) is written in; the others go into ``translations``. A field not
    written in that language leaves its own column empty and is read from its translations.
    Fields not in ``written`` keep what they had. A refusal names ``refusal_field`` (else the
    title's or name's field) as the field it is about."""
    fields = TRANSLATED_FIELDS[row.__tablename__]
    current = {field: texts(row, field) for field in fields}
    for field, by_language in written.items():
        cleaned = {code: (text or "").strip() for code, text in by_language.items()}
        current[field] = {code: text for code, text in cleaned.items() if text}
    required = fields[0]
    if not current[required]:
        raise DomainError(
            N_("Enter the text in at least one language."), field=refusal_field or required
        )
    main = next(iter(current[required]))
    translations: dict[str, dict[str, str]] = {}
    for field in fields:
        setattr(row, field, current[field].get(main, ""))
        for code, text in current[field].items():
            if code != main:
                translations.setdefault(code, {})[field] = text
    row.language = main
    row.translations = translations


def orders(available: Iterable[str], first: str = "en") -> list[tuple[str, ...]]:
    """The ways a council can speak, given the languages there are: ``first`` alone, then
    each other language after and before it: [("en",), ("en", "cy"), ("cy", "en")]."""
    out: list[tuple[str, ...]] = [(first,)]
    for code in available:
        if code != first:
            out += [(first, code), (code, first)]
    return out


def choose_languages(council: Council, order: Sequence[str], available: Iterable[str]) -> None:
    """Set the languages ``council`` speaks, in the order it shows them."""
    allowed = orders(available)
    if tuple(order) not in allowed:
        raise DomainError(N_("Choose how the council speaks."), field="languages")
    council.languages = " ".join(order)


def update_council(
    session: Session,
    council: Council,
    *,
    order: Sequence[str],
    available: Iterable[str],
    written: Mapping[str, Mapping[str, str | None]],
    neighbourhoods: Mapping[int, Mapping[str, str | None]],
    actor: User,
) -> None:
    """An administrator sets how ``council`` speaks, its name and description in each of its
    languages, and its neighbourhoods' names (``{neighbourhood id: {language: name}}``)."""
    before = _council_texts(council)
    choose_languages(council, order, available)
    set_texts(council, written)
    hoods = {h.id: h for h in council.neighbourhoods}
    for hood_id, names in neighbourhoods.items():
        hood = hoods.get(hood_id)
        if hood is None:
            raise DomainError(N_("That neighbourhood is not one of the council's."))
        set_texts(hood, {"name": names}, refusal_field=f"hood{hood.id}")
    for code in council.spoken_languages:
        names = [texts(h, "name").get(code) for h in hoods.values()]
        names = [name for name in names if name]
        if len(set(names)) != len(names):
            raise DomainError(
                N_("Two neighbourhoods cannot have the same name."), field="neighbourhoods"
            )
    session.flush()
    audit.record(
        session,
        action="council.languages",
        actor=actor,
        council=council,
        subject=council,
        before=before,
        after=_council_texts(council),
    )


def _council_texts(council: Council) -> dict[str, object]:
    return {
        "languages": council.languages,
        "name": texts(council, "name"),
        "description": texts(council, "description"),
        "neighbourhoods": {str(h.id): texts(h, "name") for h in council.neighbourhoods},
    }
