"""Languages: which one a page is in, the switch to the others, and the person's choice.

Every language Devolve speaks is a gettext catalogue under ``app/web/translations/<code>/``
(English, the language the text is written in, needs none). Adding a language is adding its
catalogue (README, "Adding a language"); nothing here names one.

A request's language is, in order:

1. ``?lang=<code>`` on the address: every page has a URL in every language, and the switch at
   the top of each page links to the same page in the others;
2. the signed-in person's choice, stored on their account (and used for what is sent to them);
3. the choice remembered in a cookie from an earlier ``?lang=``;
4. on a council's pages, the council's first language (a council that speaks Welsh first shows
   Welsh to someone who has not chosen);
5. the browser's preference, among the languages there are;
6. English.

Choosing with ``?lang=`` remembers the choice in the cookie and, for a signed-in person, on
their account.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import suppress
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlencode

from babel import Locale
from flask import Flask, g, has_request_context, request
from flask_babel import Babel, force_locale, get_locale, gettext, refresh

from app.workflow.languages import Shown, shown

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
DEFAULT = "en"
COOKIE = "devolve_lang"
COOKIE_AGE = 365 * 24 * 3600

babel = Babel()


@lru_cache(maxsize=1)
def languages() -> tuple[str, ...]:
    """The language codes there are catalogues for, English first."""
    found = sorted(p.parent.parent.name for p in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"))
    return (DEFAULT, *[code for code in found if code != DEFAULT])


def uncompiled() -> list[Path]:
    """The catalogues (the app's and the counting library's) with no compiled .mo beside
    them: those languages would show English."""
    votes_locale = Path(__file__).resolve().parents[2] / "votes" / "locale"
    catalogues = [
        *TRANSLATIONS.glob("*/LC_MESSAGES/*.po"),
        *votes_locale.glob("*/LC_MESSAGES/*.po"),
    ]
    return [po for po in catalogues if not po.with_suffix(".mo").exists()]


def language_name(code: str) -> str:
    """A language's name in itself: "English", "Cymraeg"."""
    name = Locale.parse(code).get_display_name(code) or code
    return name[:1].upper() + name[1:]


def valid(code: str | None) -> str | None:
    """``code`` when it is a language there is, else None."""
    return code if code in languages() else None


def current() -> str:
    """The language of this request's page."""
    return str(get_locale() or DEFAULT)


def language_name_here(code: str) -> str:
    """A language's name in the page's language: "Welsh" on an English page, "Saesneg" on a
    Welsh one."""
    name = Locale.parse(code).get_display_name(current()) or code
    return name[:1].upper() + name[1:]


def in_page_language(row, field: str) -> Shown:
    """``row``'s ``field`` in the page's language if it is written in it, else in the first
    of the council's languages it is written in (``Shown.elsewhere`` then says so)."""
    brand = getattr(g, "council", None)
    preference = brand.spoken_languages if brand is not None else ()
    return shown(row, field, current(), preference)


def in_page_language_by_id(rows: Iterable, field: str) -> dict[int, Shown]:
    """``{row.id: in_page_language(row, field)}``, for a page whose list comes from a frozen or
    stored document (the ballot paper, a stored result) naming each row by its id: the page
    shows the row's own text in the reader's language instead of the name the document
    kept."""
    return {row.id: in_page_language(row, field) for row in rows}


def in_languages(message: str, codes: Iterable[str]) -> dict[str, str]:
    """A catalogue text (marked with ``N_`` where the workflow keeps it) in each language of
    ``codes``: ``{code: text}``, for a text the workflow stores in each of a council's
    languages, like the name of a council-wide pot."""
    out = {}
    for code in codes:
        with force_locale(code):
            out[code] = gettext(message)
    return out


def _council_first_language() -> str | None:
    brand = getattr(g, "council", None)
    spoken = getattr(brand, "spoken_languages", None) if brand is not None else None
    if spoken:
        return valid(spoken[0])
    return None


def select_locale() -> str:
    if not has_request_context():
        # A lazily translated text read outside any request (a command, a test reading a
        # form's label): English, the language the texts are written in.
        return DEFAULT
    chosen = valid(request.args.get("lang"))
    if chosen:
        return chosen
    from flask_login import current_user

    if current_user and getattr(current_user, "is_authenticated", False):
        stored = valid(getattr(current_user, "language", None))
        if stored:
            return stored
    remembered = valid(request.cookies.get(COOKIE))
    if remembered:
        return remembered
    first = _council_first_language()
    if first:
        return first
    return request.accept_languages.best_match(languages()) or DEFAULT


def url_in(code: str) -> str:
    """This page's address in language ``code``: the same path and query with ``lang`` set."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    args.append(("lang", code))
    return request.path + "?" + urlencode(args)


def switch() -> list[dict[str, str]]:
    """The other languages' links for the switch at the top of the page."""
    here = current()
    return [
        {"code": code, "name": language_name(code), "href": url_in(code)}
        for code in languages()
        if code != here
    ]


def alternates() -> list[dict[str, str]]:
    """Every language's address of this page, for ``<link rel="alternate" hreflang>``."""
    root = request.url_root.rstrip("/")
    return [{"code": code, "href": root + url_in(code)} for code in languages()]


def _remember_choice(response):
    chosen = valid(request.args.get("lang"))
    if chosen and request.cookies.get(COOKIE) != chosen:
        response.set_cookie(
            COOKIE,
            chosen,
            max_age=COOKIE_AGE,
            secure=request.is_secure,
            httponly=True,
            samesite="Lax",
        )
    return response


def _decide_afresh() -> None:
    """Each request decides its own language: Flask-Babel keeps its choice in ``g``, which a
    request inside an application context already pushed (a test's, a command's) shares."""
    refresh()


def _keep_choice_on_account() -> None:
    """A signed-in person who chooses a language keeps it on their account: the emails and
    letters sent to them are in it too."""
    chosen = valid(request.args.get("lang"))
    if not chosen:
        return
    from flask_login import current_user

    if not getattr(current_user, "is_authenticated", False) or current_user.language == chosen:
        return
    from app.web.views import attempt
    from app.workflow import accounts
    from ballots.refusals import Refusal

    # Not saved (the database was unavailable): the page is still shown in the language asked
    # for, and the cookie remembers it.
    with suppress(Refusal):
        attempt(accounts.choose_language, current_user, chosen)


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT)
    babel.init_app(app, locale_selector=select_locale)
    # Every {% trans %} block is read with its whitespace collapsed, as it is extracted.
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    # First of all: even a request refused before any view (a control character in its
    # address) is answered in its own language.
    app.before_request_funcs.setdefault(None, []).insert(0, _decide_afresh)
    app.before_request(_keep_choice_on_account)
    app.after_request(_remember_choice)

    app.add_template_filter(in_page_language, "in_page_language")
    app.add_template_global(language_name_here, "language_name_here")

    @app.context_processor
    def language_links():
        if not request:
            return {}
        return {
            "page_language": current(),
            "language_switch": switch(),
            "language_alternates": alternates(),
        }
