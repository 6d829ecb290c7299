"""Languages: every sentence ``votes`` writes for a person, in English or in any language it has
a catalogue for.

The sentences are written in English, and each language is a gettext catalogue of its own
(domain ``votes``): ``votes/locale/<code>/LC_MESSAGES/votes.mo``, compiled from the ``.po``
beside it (``make translations``). Nothing here names a language but English: adding one is
adding its catalogue. Only the standard library's ``gettext`` reads them.

Sentences are built before they are put into words: the rules, the ballot checks and the word
helpers make a :class:`Message` (a sentence, its placeholders filled with numbers, money,
names, or other messages), and a :class:`Translator` renders it in one language. So a count is
explained in every language without counting again: ``ProjectExplanation.reason`` is the
sentence in the language asked for, ``ProjectExplanation.message`` the sentence itself.

In ``votes`` code, ``_``, ``ngettext``, ``pgettext`` and ``npgettext`` from this module mark a
text for the catalogue (``make messages`` extracts them, as gettext does) and return a
:class:`Message`, translated only when it is rendered::

    _("Funded in round %(round)s.", round=2)
    ngettext("%(num)s voter chose it.", "%(num)s voters chose it.", n)  # num: n, as "1,204"

Placeholders are named (``%(round)s``), so a translator can put them in any order; a plural
gets ``num`` (the number, with thousands separators) unless it is given. A translator's
comment goes on the line before, beginning ``# Translators:``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = [
    "DOMAIN",
    "ENGLISH",
    "LOCALE",
    "Items",
    "Message",
    "Ordinal",
    "Sentences",
    "Text",
    "Translator",
    "_",
    "available",
    "languages",
    "ngettext",
    "npgettext",
    "number",
    "pgettext",
    "translator",
    "unnamed",
]

DOMAIN = "votes"
LOCALE = Path(__file__).resolve().parent / "locale"
ENGLISH = "en"  # the language the sentences are written in: it needs no catalogue


@dataclass(frozen=True, slots=True)
class Message:
    """One text to translate, with its placeholders' values.

    ``msgid``: the English (the singular, for a plural); ``plural`` and ``n``: the English
    plural and the number that chooses the form; ``context``: gettext's message context.
    ``params``: the placeholders' values: strings (money, names, numbers already formatted),
    ints (written as they are), or other texts, rendered in the same language first.
    """

    msgid: str
    plural: str | None = None
    n: int | None = None
    context: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)

    def render(self, t: Translator) -> str:
        if self.plural is None:
            if self.context is None:
                text = t.gettext(self.msgid)
            else:
                text = t.pgettext(self.context, self.msgid)
        elif self.context is None:
            text = t.ngettext(self.msgid, self.plural, self.n)
        else:
            text = t.npgettext(self.context, self.msgid, self.plural, self.n)
        if not self.params:
            return text
        values = {k: t.render(v) for k, v in self.params.items()}
        try:
            return text % values
        except (KeyError, ValueError, TypeError):
            # A translation with a placeholder the sentence does not have: the English.
            english = self.msgid if self.plural is None or self.n == 1 else self.plural
            return english % values


@dataclass(frozen=True, slots=True)
class Sentences:
    """Whole sentences said one after another (each translated on its own), joined by a
    space; empty parts are left out."""

    parts: tuple[Text | None, ...]

    def render(self, t: Translator) -> str:
        return " ".join(s for s in (t.render(p) for p in self.parts if p is not None) if s)


@dataclass(frozen=True, slots=True)
class Items:
    """A list, "a, b and c", joined the way the language joins one (see ``Translator.join``)."""

    items: tuple[Text, ...]
    conjunction: str = "and"

    def render(self, t: Translator) -> str:
        return t.join([t.render(i) for i in self.items], self.conjunction)


@dataclass(frozen=True, slots=True)
class Ordinal:
    """A place, "3rd", as the language writes it (see ``Translator.ordinal``)."""

    n: int

    def render(self, t: Translator) -> str:
        return t.ordinal(self.n)


# What a translator renders: a string as it is, an int in digits, the rest in words.
Text = str | int | Message | Sentences | Items | Ordinal


# --- Marking texts: each returns a Message, translated when rendered -------------------------


def _(msgid: str, /, **params: Any) -> Message:
    """A sentence to translate (gettext)."""
    return Message(msgid, params=params)


def ngettext(singular: str, plural: str, n: int, /, **params: Any) -> Message:
    """A sentence whose form depends on ``n``; ``num`` is ``n`` with thousands separators."""
    params.setdefault("num", number(n))
    return Message(singular, plural, n, params=params)


def pgettext(context: str, msgid: str, /, **params: Any) -> Message:
    """A sentence to translate in a context (a short text that could mean several things)."""
    return Message(msgid, context=context, params=params)


def npgettext(context: str, singular: str, plural: str, n: int, /, **params: Any) -> Message:
    """``ngettext`` in a context."""
    params.setdefault("num", number(n))
    return Message(singular, plural, n, context, params)


# Translators: how the language writes a place ("1st", "2nd", "3rd") after its number: rules
# tried in order, separated by spaces, the first that matches the number giving its ending.
# "N=x": the number N; "A-B=x": any number from A to B; "*D=x": a number whose last digits are
# D; "*=x": any number. Write only the endings, never the numbers' words; keep the form.
_ORDINAL = pgettext("ordinal endings", "*11=th *12=th *13=th *1=st *2=nd *3=rd *=th")
# Translators: between the items of a list but the last two ("a, b, c and d").
_SEPARATOR = pgettext("list separator", ", ")
# Translators: the letters (and digits) that, beginning a list's last item, make the list end
# with the "before a vowel" form of "and" or "or"; lower case, no spaces.
_VOWELS = pgettext("vowels", "aeiou")


# --- Translating -------------------------------------------------------------------------------


class Translator:
    """One language's gettext, ngettext, pgettext and npgettext, and the word helpers that
    depend on the language (lists, places, "once"). ``render`` puts a text into words.

    ``catalogue`` is a ``gettext.GNUTranslations`` (or anything with its four methods); None
    is English, the texts as they are written."""

    def __init__(self, code: str, catalogue: Any = None) -> None:
        self.code = code
        self._catalogue = catalogue
        self._ordinals: list[tuple[str, str]] | None = None

    def __repr__(self) -> str:
        return f"Translator({self.code!r})"

    @property
    def translated(self) -> bool:
        """Whether a catalogue stands behind it (English and a missing language: no)."""
        return self._catalogue is not None

    def gettext(self, msgid: str) -> str:
        return msgid if self._catalogue is None else self._catalogue.gettext(msgid)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        if self._catalogue is None:
            return singular if n == 1 else plural
        return self._catalogue.ngettext(singular, plural, n)

    def pgettext(self, context: str, msgid: str) -> str:
        return msgid if self._catalogue is None else self._catalogue.pgettext(context, msgid)

    def npgettext(self, context: str, singular: str, plural: str, n: int) -> str:
        if self._catalogue is None:
            return singular if n == 1 else plural
        return self._catalogue.npgettext(context, singular, plural, n)

    def render(self, text: Text | None) -> str:
        """``text`` in this language: a string as it is, an int in digits, a message
        translated with its placeholders filled."""
        if text is None:
            return ""
        if isinstance(text, str):
            return text
        if isinstance(text, int):
            return str(text)
        return text.render(self)

    @property
    def name(self) -> str:
        """The language's name in itself: "English", "Cymraeg"."""
        # Translators: this language's name, in this language ("English", "Cymraeg").
        return self.render(pgettext("language name", "English"))

    def join(self, items: Iterable[str], conjunction: str = "and") -> str:
        """ "a", "a and b", "a, b and c" in this language (``conjunction``: "and" or "or";
        another word is used as it is)."""
        items = list(items)
        if len(items) <= 1:
            return "".join(items)
        head = self.render(_SEPARATOR).join(items[:-1])
        last = items[-1]
        if conjunction not in ("and", "or"):
            return f"{head} {conjunction} {last}"
        vowel = bool(last) and last[:1].lower() in self.render(_VOWELS)
        if conjunction == "and" and vowel:
            # Translators: as "%(items)s and %(last)s", when the last item begins with a vowel
            # (see "vowels"), for a language whose "and" changes before one.
            pattern = pgettext(
                "list, before a vowel", "%(items)s and %(last)s", items=head, last=last
            )
        elif conjunction == "and":
            # Translators: the last two items of a list; items: those before, already joined.
            pattern = pgettext("list", "%(items)s and %(last)s", items=head, last=last)
        elif vowel:
            # Translators: as "%(items)s or %(last)s", when the last item begins with a vowel.
            pattern = pgettext(
                "list, before a vowel", "%(items)s or %(last)s", items=head, last=last
            )
        else:
            # Translators: the last two of a list of alternatives ("a, b or c").
            pattern = pgettext("list", "%(items)s or %(last)s", items=head, last=last)
        return self.render(pattern)

    def ordinal(self, n: int) -> str:
        """A place, "3rd", by the catalogue's ordinal endings."""
        if self._ordinals is None:
            self._ordinals = _ordinal_rules(self.render(_ORDINAL))
        digits = str(abs(n))
        for key, ending in self._ordinals:
            if key == "*" or (key.startswith("*") and digits.endswith(key[1:])):
                return f"{n}{ending}"
            if key.isdigit() and int(key) == n:
                return f"{n}{ending}"
            low, dash, high = key.partition("-")
            if dash and low.isdigit() and high.isdigit() and int(low) <= n <= int(high):
                return f"{n}{ending}"
        return str(n)

    def times(self, n: int) -> str:
        """ "once", "twice", "3 times"."""
        if n == 1:
            # Translators: as in "the code was used once".
            return self.render(pgettext("how many times", "once"))
        if n == 2:
            # Translators: as in "the code was used twice".
            return self.render(pgettext("how many times", "twice"))
        # Translators: how many times something happened: "3 times"; num: the number.
        return self.render(npgettext("how many times", "%(num)s time", "%(num)s times", n))


def _ordinal_rules(table: str) -> list[tuple[str, str]]:
    rules = []
    for rule in table.split():
        key, eq, ending = rule.partition("=")
        if eq:
            rules.append((key, ending))
    return rules


ENGLISH_TRANSLATOR = Translator(ENGLISH)


# What a language code looks like ("cy", "pt_BR", "sr-Latn"): anything else has no catalogue,
# so a code read from a file never names a path.
_CODE = re.compile(r"[A-Za-z]{2,3}(?:[_-][A-Za-z0-9]{2,8})*")


@lru_cache(maxsize=64)
def _load(code: str) -> Translator:
    if code == ENGLISH:
        return ENGLISH_TRANSLATOR
    if not _CODE.fullmatch(code):
        return Translator(code)
    import gettext

    catalogue = gettext.translation(DOMAIN, localedir=LOCALE, languages=[code], fallback=True)
    if type(catalogue) is gettext.NullTranslations:
        return Translator(code)  # no catalogue: English
    return Translator(code, catalogue)


def translator(language: str | Translator | None = None) -> Translator:
    """The translator for a language code (cached), or ``language`` itself if it is one.
    None and "en" are English; a language with no catalogue is English too."""
    if isinstance(language, Translator):
        return language
    if not language or language == ENGLISH:
        return ENGLISH_TRANSLATOR
    return _load(str(language))


@lru_cache(maxsize=1)
def languages() -> tuple[str, ...]:
    """The language codes there are catalogues for, English first (it needs none)."""
    found = sorted(p.parent.parent.name for p in LOCALE.glob(f"*/LC_MESSAGES/{DOMAIN}.mo"))
    return (ENGLISH, *[code for code in found if code != ENGLISH])


def available(code: str) -> bool:
    """Whether sentences can be written in ``code``: English, or a language with a catalogue."""
    return code == ENGLISH or translator(code).translated


def unnamed(project_id: str) -> Message:
    """A project with no name, by its id: "project 12"."""
    # Translators: a project that has no name, by its number ("project 12").
    return _("project %(id)s", id=project_id)


def number(n: int) -> str:
    """A count as every sentence writes it, with thousands separators: "1,204"."""
    return f"{n:,}"
