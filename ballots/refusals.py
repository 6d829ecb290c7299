"""The one base class of every refusal in the project: the ballot box's and the council
workflow's.

A refusal is a request the rules turn down with nothing changed. It carries a sentence the
person can act on, the form field it belongs beside (if any), and the HTTP status it means,
as a plain number: nothing here imports HTTP, and the web layer decides the page.
"""

from __future__ import annotations

from typing import ClassVar


def N_(message: str) -> str:
    """Marks ``message`` as a text to translate (`make messages` extracts it) and returns it
    as it is: these layers have no translations, the web layer translates when it shows it."""
    return message


class Refusal(Exception):
    """A request the rules refuse. Nothing has been changed.

    ``message`` is a sentence a person can act on; ``field`` is the form field it belongs
    beside, or None for the page as a whole. ``status`` is the HTTP status a refusal of this
    class intends; subclasses override it:

    - 409 the request conflicts with the current state, or it has already been done;
    - 422 the input is understood but breaks the rules (400 when it cannot be read at all);
    - 403 this person is not allowed to do it;
    - 404 what it names does not exist (or is not theirs to see);
    - 429 too many tries: wait, then try again.

    The base class is 422: a refusal of what was asked, as asked.
    """

    status: ClassVar[int] = 422

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
