"""What every kind of kiosk's pages share (an event's, ``app.web.kiosk``, and a meeting's,
``app.web.room_kiosk``): a browser that holds a kiosk's secret in its session reaches only that
kiosk's pages and the static files, and wrong codes typed at it are counted per kiosk."""

from __future__ import annotations

from collections.abc import Callable

from flask import redirect, request, session, url_for

from app.workflow.events import kiosk_secret_hash


def keep_to_the_kiosk(session_key: str, blueprint: str) -> Callable[[], object]:
    """A ``before_app_request`` hook: a browser that is a kiosk (``session_key`` in its
    session) sees ``blueprint``'s pages and static files, and is sent to its start otherwise."""

    def only_the_kiosk():
        if session_key not in session:
            return None
        endpoint = request.endpoint or ""
        if endpoint == "static" or endpoint.startswith(f"{blueprint}."):
            return None
        return redirect(url_for(f"{blueprint}.start"), 303)

    return only_the_kiosk


def kiosk_limit_key(session_key: str) -> Callable[[], str]:
    """The rate limiter's key for wrong codes at this browser's kiosk (its secret's hash)."""

    def key() -> str:
        return f"{session_key}:{kiosk_secret_hash(session.get(session_key) or '')}"

    return key
