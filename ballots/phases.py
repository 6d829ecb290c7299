"""A round's phases: the values stored in ``rounds.phase``, declared once.

The ballot box reads a round's phase to decide whether it takes ballots and whether they may
be counted; the council workflow moves rounds through the phases. Both use this enum, so a
renamed or removed phase is a name that no longer imports, not a string that silently stops
matching. ``tests/ballots/test_phases.py`` checks it against the migrated schema's constraint.
"""

from __future__ import annotations

import enum

from ballots.refusals import N_


class Phase(enum.StrEnum):
    """A round's phases, in order. A round moves forward only once voting has opened."""

    DRAFT = "draft"
    PROPOSALS = "proposals"
    REVIEW = "review"
    SUPPORTS = "supports"
    VOTING = "voting"
    CLOSED = "closed"
    PUBLISHED = "published"
    DELIVERY = "delivery"

    @property
    def label(self) -> str:
        """The phase's name in a sentence or on a page ("Proposals open"), in English: marked
        for translation, so the web layer shows it with ``_(phase.label)``."""
        return _LABELS[self]

    @property
    def index(self) -> int:
        """Its place in the order above, from 0 (draft)."""
        return _ORDER.index(self)


_LABELS = {
    Phase.DRAFT: N_("Draft"),
    Phase.PROPOSALS: N_("Proposals open"),
    Phase.REVIEW: N_("Review"),
    Phase.SUPPORTS: N_("Supports"),
    Phase.VOTING: N_("Voting"),
    Phase.CLOSED: N_("Voting closed"),
    Phase.PUBLISHED: N_("Results published"),
    Phase.DELIVERY: N_("Delivery"),
}
_ORDER = list(Phase)

# The one phase in which the ballot box takes ballots.
OPEN_FOR_VOTING = Phase.VOTING
# The phases after voting: a round's ballots may be counted (and its turnout read).
COUNTABLE = frozenset({Phase.CLOSED, Phase.PUBLISHED, Phase.DELIVERY})
