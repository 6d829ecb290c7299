"""Finds text a person would see in a template that is not inside a translation call.

A template is read with Jinja's own lexer. What it finds:

- text between tags, and the attributes a person reads or hears (``alt``, ``title``,
  ``aria-label``, ``placeholder``, a button's ``value``...), outside ``{% trans %}`` blocks;
- string literals in expressions that read as words ("Continue", "Sign in") and are not
  an argument of ``_``/``gettext``/``ngettext``/``pgettext``/``npgettext``, a dict's key, or the
  value of a key that is not shown (``classes``, ``id``, ``href``...).

Text that is not words (punctuation, numbers, entities) and the service's own name pass.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

from jinja2 import Environment

TRANSLATORS = {"_", "gettext", "ngettext", "pgettext", "npgettext"}
# Keys of component parameters and attributes whose values are never shown or read out.
NOT_SHOWN = {
    "action",
    "attributes",
    "autocomplete",
    "class",
    "classes",
    "colour",
    "filename",
    "for",
    "format",
    "href",
    "id",
    "idPrefix",
    "inputmode",
    "method",
    "name",
    "pattern",
    "rel",
    "role",
    "spellcheck",
    "src",
    "style",
    "target",
    "titleId",
    "type",
    "value",
    "nonce",
    "lang",
    "hreflang",
    "headingLevel",
    "describedBy",
    "formGroup",
    "element",
    "inputType",
    "mode",
    "category",
    "kind",
    "step",
    "phase",
    "key",
    "endpoint",
    "policy",
}
# Attributes a person reads or hears.
SHOWN_ATTRIBUTES = {"alt", "title", "aria-label", "placeholder", "aria-description", "label"}
# Words that are the same in every language: the service's own name.
SAME_IN_EVERY_LANGUAGE = {"Devolve"}
PLACEHOLDER = "\x00"
# A command a person types, the same in every language.
COMMAND = re.compile(r"^(python -m votes|flask --app wsgi|make) ")
WORDS = re.compile(r"[^\W\d_]{2,}")


def reads_as_words(text: str) -> bool:
    text = text.replace(PLACEHOLDER, " ")
    text = re.sub(r"&[#\w]+;", " ", text)
    words = WORDS.findall(text)
    return any(w not in SAME_IN_EVERY_LANGUAGE for w in words)


def literal_reads_as_words(text: str) -> bool:
    """A string literal that is words for a person, not a name for the machine: it has a
    space between words, or is one capitalised word ("Continue")."""
    if not reads_as_words(text):
        return False
    if re.fullmatch(r"[A-Z][a-z]+[.:!?]?", text.strip()):
        return True
    return (
        bool(re.search(r"[^\W\d_]{2,}[^\S\n]+[^\W\d_]", text))
        and not re.search(r"^[\w.-]+(\s+[\w.-]+)*$", text)
        or bool(re.search(r"^[A-Z][a-z]+\s", text))
    )


@dataclass(frozen=True)
class Untranslated:
    template: str
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.template}:{self.line}: {self.text!r}"


def _unquoted(token: str) -> str:
    """A string literal's text: Jinja's lexer gives it with its quotes."""
    if len(token) >= 2 and token[0] == token[-1] and token[0] in "'\"":
        return token[1:-1]
    return token


def _tidy(text: str) -> str:
    return " ".join(text.replace(PLACEHOLDER, " ").split())


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.found: list[tuple[int, str]] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        is_button = tag == "input" and any(
            k == "type" and v in ("submit", "button", "reset") for k, v in attrs
        )
        for key, value in attrs:
            shown = key in SHOWN_ATTRIBUTES or (is_button and key == "value")
            if value and shown and reads_as_words(value):
                self.found.append((self.getpos()[0], _tidy(value)))

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if COMMAND.match(_tidy(data)):
            return
        if not self._skip and reads_as_words(data):
            self.found.append((self.getpos()[0], _tidy(data)))


def untranslated(source: str, name: str, env: Environment | None = None) -> list[Untranslated]:
    env = env or Environment(extensions=["jinja2.ext.i18n", "jinja2.ext.do"], autoescape=True)
    tokens = list(env.lex(source))
    found: list[Untranslated] = []
    # The template with everything Jinja does replaced by a placeholder, and the text inside
    # {% trans %} blocks too: what is left is what the template writes out as it is.
    out: list[str] = []
    in_trans = 0
    calls: list[str | None] = []  # the function each open bracket belongs to (None: not a call)
    previous: list[tuple[str, str]] = []
    pending_key: list[str | None] = []
    for i, (line, kind, value) in enumerate(tokens):
        if kind == "data":
            if in_trans:
                out.append(re.sub(r"[^\n]", " ", value))
            else:
                out.append(value)
            continue
        if kind in ("block_begin",):
            nxt = next((t for t in tokens[i + 1 :] if t[1] not in ("whitespace",)), None)
            if nxt and nxt[1] == "name" and nxt[2] == "trans":
                in_trans += 1
            elif nxt and nxt[1] == "name" and nxt[2] == "endtrans":
                in_trans = max(0, in_trans - 1)
        out.append(PLACEHOLDER if kind in ("variable_begin", "block_begin") else "")
        if "\n" in value and kind not in ("data",):
            out.append("\n" * value.count("\n"))
        if kind == "operator" and value in "([{":
            fn = None
            if value == "(" and previous and previous[-1][0] == "name":
                fn = previous[-1][1]
            calls.append(fn)
            pending_key.append(None)
        elif kind == "operator" and value in ")]}":
            if calls:
                calls.pop()
                pending_key.pop()
        elif kind == "operator" and value == ":" and previous and previous[-1][0] == "string":
            if pending_key:
                pending_key[-1] = _unquoted(previous[-1][1])
        elif kind == "operator" and value == ",":
            if pending_key:
                pending_key[-1] = None
        elif kind == "string":
            nxt = next((t for t in tokens[i + 1 :] if t[1] != "whitespace"), None)
            is_key = nxt is not None and nxt[1] == "operator" and nxt[2] == ":"
            translated = any(fn in TRANSLATORS for fn in calls)
            key = pending_key[-1] if pending_key else None
            shown = not is_key and not translated and key not in NOT_SHOWN
            if shown and literal_reads_as_words(_unquoted(value)):
                found.append(Untranslated(name, line, _unquoted(value)))
        if kind not in ("whitespace",):
            previous.append((kind, value))
    parser = _Text()
    parser.feed("".join(out))
    parser.close()
    found.extend(Untranslated(name, line, text) for line, text in parser.found)
    return sorted(found, key=lambda u: u.line)
