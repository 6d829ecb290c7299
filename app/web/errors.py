"""Error pages in the GOV.UK style: 400, 403, 404, 405, 413, 429 and 500; JSON under /api/.

Each page is in the request's language (``?lang=``, the account's choice, the cookie, the
browser's Accept-Language: ``app.web.i18n``). Under /api/ the ``error`` is a fixed code in
English (``not found``) for programs to read; ``detail``, when there is one, is a sentence for
people, in the request's language."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from ballots.refusals import N_, Refusal, Text

MESSAGES = {
    400: (_l("There is a problem with your request"), _l("Go back and try again.")),
    403: (
        _l("You do not have permission to see this page"),
        _l("Sign in with an account that has access, or go back."),
    ),
    404: (
        _l("Page not found"),
        _l(
            "If you typed the web address, check it is correct. "
            "If you pasted the web address, check you copied the entire address."
        ),
    ),
    405: (_l("There is a problem with your request"), _l("This page cannot be used that way.")),
    413: (_l("The file is too large"), _l("Choose a smaller file and try again.")),
    429: (_l("Too many attempts"), _l("Wait a minute, then try again.")),
    500: (
        _l("Sorry, there is a problem with the service"),
        _l("Try again later. Nothing you sent has been saved."),
    ),
}

CSRF_FAILED = N_(
    "The form could not be sent because it had expired or was not from this site. "
    "Go back, reload the page and try again. Nothing has been changed."
)

NAMES = {
    400: "bad request",
    403: "forbidden",
    404: "not found",
    405: "method not allowed",
    413: "too large",
    429: "too many requests",
    500: "server error",
}


def _detail(detail) -> str | None:
    """An error's own sentence, in the page's language when it is a ``Text``."""
    from app.web.views import say

    return say(detail) if detail else None


def register(app: Flask) -> None:
    def render(status: int, detail: str | None = None):
        title, body = MESSAGES.get(status, MESSAGES[500 if status >= 500 else 400])
        detail = _detail(detail)
        if request.path.startswith("/api/"):
            # The open data API answers in JSON, even for an address that matches no route.
            out = {"error": NAMES.get(status, "bad request" if status < 500 else "server error")}
            if detail:
                out["detail"] = detail
            return jsonify(out), status
        return render_template(
            "errors/error.html", title=str(title), body=detail or str(body)
        ), status

    @app.errorhandler(CSRFError)
    def csrf_error(e: CSRFError):
        return render(400, Text(CSRF_FAILED))

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException):
        if e.code is None or e.code < 400:
            return e
        return render(e.code, e.description if getattr(e, "show_description", False) else None)

    @app.errorhandler(Refusal)
    def refused(e: Refusal):
        # A refusal no view caught: whatever it had begun is rolled back, and the person
        # reads why, with the status the refusal means (never a 5xx for a rule's answer).
        from app.web.extensions import db
        from app.web.views import refusal_page, say

        db.session.rollback()
        if request.path.startswith("/api/"):
            return jsonify({"error": NAMES.get(e.status, "refused"), "detail": say(e)}), e.status
        return refusal_page(e)

    @app.errorhandler(500)
    def internal_error(e: Exception):
        # Reached only when exceptions are not propagated (not in tests or the debugger).
        from app.web.extensions import db

        db.session.rollback()
        return render(500)
