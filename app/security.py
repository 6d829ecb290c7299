"""Response headers every page carries, and what templates need on every page."""

from __future__ import annotations

from flask import Flask, g


def register(app: Flask) -> None:
    @app.after_request
    def headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        return response

    @app.context_processor
    def page_context():
        # The council whose page this is (set by the view) brands the header.
        return {"brand": getattr(g, "council", None)}
