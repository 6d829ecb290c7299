"""Error pages in the GOV.UK style: 400, 403, 404, 405, 413, 429 and 500; JSON under /api/."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from ballots.refusals import Refusal

MESSAGES = {
    400: ("There is a problem with your request", "Go back and try again."),
    403: (
        "You do not have permission to see this page",
        "Sign in with an account that has access, or go back.",
    ),
    404: (
        "Page not found",
        "If you typed the web address, check it is correct. "
        "If you pasted the web address, check you copied the entire address.",
    ),
    405: ("There is a problem with your request", "This page cannot be used that way."),
    413: ("The file is too large", "Choose a smaller file and try again."),
    429: ("Too many attempts", "Wait a minute, then try again."),
    500: (
        "Sorry, there is a problem with the service",
        "Try again later. Nothing you sent has been saved.",
    ),
}

NAMES = {
    400: "bad request",
    403: "forbidden",
    404: "not found",
    405: "method not allowed",
    413: "too large",
    429: "too many requests",
    500: "server error",
}


def register(app: Flask) -> None:
    def render(status: int, detail: str | None = None):
        title, body = MESSAGES.get(status, MESSAGES[500 if status >= 500 else 400])
        if request.path.startswith("/api/"):
            # The open data API answers in JSON, even for an address that matches no route.
            out = {"error": NAMES.get(status, "bad request" if status < 500 else "server error")}
            if detail:
                out["detail"] = detail
            return jsonify(out), status
        return render_template("errors/error.html", title=title, body=detail or body), status

    @app.errorhandler(CSRFError)
    def csrf_error(e: CSRFError):
        return render(
            400,
            "The form could not be sent because it had expired or was not from this site. "
            "Go back, reload the page and try again. Nothing has been changed.",
        )

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
        from app.web.views import refusal_page

        db.session.rollback()
        if request.path.startswith("/api/"):
            return jsonify({"error": NAMES.get(e.status, "refused"), "detail": e.message}), e.status
        return refusal_page(e)

    @app.errorhandler(500)
    def internal_error(e: Exception):
        # Reached only when exceptions are not propagated (not in tests or the debugger).
        from app.web.extensions import db

        db.session.rollback()
        return render(500)
