"""The one base class of every refusal in the project (the ballot box's and the council
workflow's), and the sentences they carry, in any language.

A refusal is a request the rules turn down with nothing changed. It carries a sentence the
person can act on, the form field it belongs beside (if any), and the HTTP status it means,
as a plain number: nothing here imports HTTP, and the web layer decides the page.

The sentence is a :class:`Text`: its English msgid with named ``%(name)s`` placeholders and
the values that fill them, so the web layer can show it in the reader's language. A Text *is*
its English sentence (a ``str``), so the ballot box, the workflow, the audit trail, the command
line and the tests read it as they always have. Nothing here translates: ``N_`` only marks a
sentence for ``make messages`` to extract, and the web layer translates when it shows one
(``app.web.views.say``).

Values are inserted as they are (a council's or a pot's name, a reference: never translated),
except these, which are written in the reader's language when the sentence is shown:

- :class:`Text`: a nested phrase to translate (a phase's name, "3 minutes");
- :class:`Money` (pence), :class:`Day` (a date), :class:`Number` (a count);
- :class:`Joined`: several values, each shown as above, with a separator;
- :class:`Listed`: several values as a list in a sentence ("a, b and c").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, ClassVar, Protocol

__all__ = [
    "NP_",
    "N_",
    "Day",
    "Joined",
    "Language",
    "Listed",
    "Money",
    "Nn_",
    "Number",
    "Refusal",
    "Text",
    "sentences",
]


def N_(message: str) -> str:
    """Mark ``message`` for translation (``make messages`` extracts it); returns it unchanged.

    A refusal given a marked sentence is shown translated: ``DomainError(N_("Enter a name"))``;
    with values, ``DomainError(N_("%(name)s is already a trustee"), name=name)``."""
    return message


class Language(Protocol):
    """How a page's language translates and writes values (the web layer provides one)."""

    def gettext(self, message: str) -> str: ...

    def pgettext(self, context: str, message: str) -> str: ...

    def ngettext(self, singular: str, plural: str, n: int) -> str: ...

    def money(self, pence: int, *, always_pence: bool = False) -> str: ...

    def day(self, value: date) -> str: ...

    def number(self, n: int) -> str: ...

    def listing(self, items: list[str]) -> str: ...


class _English:
    """The language the msgids are written in: nothing to translate."""

    def gettext(self, message: str) -> str:
        return message

    def pgettext(self, context: str, message: str) -> str:
        return message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return singular if n == 1 else plural

    def money(self, pence: int, *, always_pence: bool = False) -> str:
        from votes.text import money

        return money(pence, always_pence=always_pence)

    def day(self, value: date) -> str:
        if isinstance(value, datetime):
            value = value.date()
        return f"{value.day} {value:%B %Y}"

    def number(self, n: int) -> str:
        return f"{n:,}"

    def listing(self, items: list[str]) -> str:
        from votes.text import join_list

        return join_list(items)


ENGLISH: Language = _English()


@dataclass(frozen=True)
class Money:
    """An amount in pence, shown in pounds in the reader's language (with its pence even when
    whole, for ``always_pence``)."""

    pence: int
    always_pence: bool = False


@dataclass(frozen=True)
class Day:
    """A date, written out in the reader's language ("2 December 2026")."""

    value: date


@dataclass(frozen=True)
class Number:
    """A count, written with the reader's digit grouping ("1,204")."""

    n: int


@dataclass(frozen=True)
class Joined:
    """Several values (each as a sentence's value would be), joined by ``separator``."""

    items: tuple[Any, ...]
    separator: str = ", "

    def __init__(self, items, separator: str = ", ") -> None:
        object.__setattr__(self, "items", tuple(items))
        object.__setattr__(self, "separator", separator)


@dataclass(frozen=True)
class Listed:
    """Several values (each as a sentence's value would be) as a list in a sentence, in the
    reader's language: "a, b and c"."""

    items: tuple[Any, ...]

    def __init__(self, items) -> None:
        object.__setattr__(self, "items", tuple(items))


def _value(value: Any, language: Language) -> str:
    if isinstance(value, Text):
        return value.render(language)
    if isinstance(value, Money):
        return language.money(value.pence, always_pence=value.always_pence)
    if isinstance(value, Day):
        return language.day(value.value)
    if isinstance(value, Number):
        return language.number(value.n)
    if isinstance(value, Joined):
        return value.separator.join(_value(v, language) for v in value.items)
    if isinstance(value, Listed):
        return language.listing([_value(v, language) for v in value.items])
    return str(value)


class Text(str):
    """A sentence for a person: equal to its English wording, and able to be written in any
    language (``render``).

    ``Text(N_("Only residents of %(council)s can vote."), council=name)``; for a sentence
    whose wording depends on a number, :func:`Nn_`; for a short text that needs a context to
    translate, :func:`NP_`. ``lowered()``: the same sentence with its first letter small, for a
    name used inside another sentence ("in voting closed").
    """

    msgid: str
    plural: str | None
    n: int | None
    params: dict[str, Any]
    lower_first: bool
    context: str | None

    def __new__(cls, msgid: str, /, **params: Any) -> Text:
        return cls._make(msgid, params=params)

    @classmethod
    def _make(
        cls,
        msgid: str,
        *,
        plural: str | None = None,
        n: int | None = None,
        params: dict[str, Any] | None = None,
        lower_first: bool = False,
        context: str | None = None,
    ) -> Text:
        self = super().__new__(cls, str(msgid))
        self.msgid = str(msgid)
        self.plural = plural
        self.n = n
        self.params = dict(params or {})
        self.lower_first = lower_first
        self.context = context
        english = self._wording(ENGLISH)
        if english == self.msgid:
            return self
        # A str's value is fixed when it is made: made again with the English wording.
        out = super().__new__(cls, english)
        out.__dict__.update(self.__dict__)
        return out

    def __getnewargs__(self) -> tuple[str]:
        # Copied or pickled: made again as its English wording, then given its parts back.
        return (str(self),)

    def lowered(self) -> Text:
        """This sentence with its first letter small (in every language)."""
        return Text._make(
            self.msgid,
            plural=self.plural,
            n=self.n,
            params=self.params,
            lower_first=True,
            context=self.context,
        )

    def render(self, language: Language = ENGLISH) -> str:
        """The sentence in ``language``; its English wording when the translation cannot
        be filled in (a translator's placeholder that does not match)."""
        try:
            return self._wording(language)
        except (KeyError, ValueError, TypeError):
            return self._wording(ENGLISH)

    def _wording(self, language: Language) -> str:
        values = {name: _value(v, language) for name, v in self.params.items()}
        if self.plural is not None:
            values.setdefault("num", language.number(self.n))
            wording = language.ngettext(self.msgid, self.plural, self.n)
        elif self.context is not None:
            wording = language.pgettext(self.context, self.msgid)
        else:
            wording = language.gettext(self.msgid)
        out = wording % values if values else wording
        if self.lower_first:
            out = out[:1].lower() + out[1:]
        return out


def Nn_(singular: str, plural: str, n: int, /, **params: Any) -> Text:  # noqa: N802
    """A sentence whose wording depends on the number ``n`` (``%(num)s`` is ``n``, written
    in the reader's language): ``Nn_("%(num)s problem", "%(num)s problems", len(found))``.
    Marked for ``make messages`` like ``N_``; Welsh has six forms, English two."""
    return Text._make(singular, plural=plural, n=n, params=params)


def NP_(context: str, message: str) -> Text:  # noqa: N802
    """A short text whose meaning needs ``context`` to translate (a column's heading, "code"
    on a letter): a :class:`Text`, marked for ``make messages`` with its context."""
    return Text._make(message, context=context)


def sentences(*parts: str, separator: str = " ") -> Text:
    """Whole sentences one after another (each a Text, translated on its own)."""
    msgid = separator.replace("%", "%%").join(f"%(part{i})s" for i in range(len(parts)))
    return Text(msgid, **{f"part{i}": part for i, part in enumerate(parts)})


def as_text(message: str, **params: Any) -> Text:
    """``message`` as a Text (itself when it already is one and has no values to add)."""
    if isinstance(message, Text) and not params:
        return message
    return Text(message, **params)


class Refusal(Exception):
    """A request the rules refuse. Nothing has been changed.

    ``message`` is a sentence a person can act on (a :class:`Text`: the English sentence,
    which the web layer shows in the reader's language); ``field`` is the form field it
    belongs beside, or None for the page as a whole. Values for the sentence's placeholders
    come as keywords: ``Refusal(N_("%(name)s is not on this roll."), name=reference)``.
    ``status`` is the HTTP status a refusal of this class intends; subclasses override it:

    - 409 the request conflicts with the current state, or it has already been done;
    - 422 the input is understood but breaks the rules (400 when it cannot be read at all);
    - 403 this person is not allowed to do it;
    - 404 what it names does not exist (or is not theirs to see);
    - 429 too many tries: wait, then try again.

    The base class is 422: a refusal of what was asked, as asked.
    """

    status: ClassVar[int] = 422

    def __init__(self, message: str, field: str | None = None, **params: Any) -> None:
        text = as_text(message, **params)
        super().__init__(text)
        self.message = text
        self.field = field
