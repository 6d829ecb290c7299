"""The link in a message that stops that kind of message: a signed (person, topic), with no
expiry (an old email's link must still work) and nothing else in it. Anyone holding the link
can use it, which is the point: it must work without signing in."""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

SALT = "devolve.unsubscribe"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def token(user_id: int, topic: str) -> str:
    return _serializer().dumps([user_id, topic])


def read(value: str) -> tuple[int, str] | None:
    """The (person, topic) a link's token names, or None for a token we did not sign."""
    try:
        user_id, topic = _serializer().loads(value)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(user_id, int) or not isinstance(topic, str):
        return None
    return user_id, topic
