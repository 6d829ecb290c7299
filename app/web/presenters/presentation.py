"""The results on the big screen: a counted round's slides (the start, then one pot each in
the order the results pages list them), where each slide leads (previous, next, the start,
back to the results), in which colours, and the start's figures in words.

The same slides serve the public once the results are published and the round's officers
before, between the count at the close and the publication: only the endpoints differ."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from flask import url_for
from flask_babel import gettext as _

from app.web.presenters import formatting
from app.web.presenters.methods import ngettext
from app.web.presenters.results import percent
from app.workflow.results import PotView, Turnout

# ``?scheme=light``: black on white, for a bright room where a projector washes out a dark
# screen; otherwise white on near-black. Any other value is the default.
LIGHT = "light"


@dataclass(frozen=True)
class Endpoints:
    """The presentation's pages for one audience: the start, a pot's slide, and the page the
    presenter leaves to (Escape): the round's results, or the officers' check."""

    start: str
    pot: str
    leave: str


PUBLIC = Endpoints("results.present", "results.present_pot", "results.round_results")
OFFICERS = Endpoints(
    "officers.present_results", "officers.present_results_pot", "officers.check_results"
)


@dataclass(frozen=True)
class Deck:
    """Where one slide leads. ``position`` is 0 for the start and n for the nth pot, of
    ``total`` slides (the start included); ``previous`` and ``next`` are None at the ends."""

    position: int
    total: int
    previous: str | None
    next: str | None
    start: str
    leave: str
    light: bool
    other_scheme: str  # this slide in the other colours
    pots: tuple[tuple[int, str], ...]  # each pot's id and its slide's address, in order

    @property
    def number(self) -> str:
        """ "Slide 2 of 7", in the page's language."""
        return ngettext(
            "Slide %(at)s of %(num)s",
            "Slide %(at)s of %(num)s",
            self.total,
            at=formatting.number(self.position + 1),
        )


def deck(
    endpoints: Endpoints,
    pot_ids: Sequence[int],
    pot_id: int | None,
    *,
    scheme: str | None,
    slug: str,
    round_slug: str,
) -> Deck:
    """The slide of ``pot_id`` (None: the start) among the start and ``pot_ids`` (a pot of
    the round, which the caller has checked). Every address keeps the colours chosen."""
    light = scheme == LIGHT
    where = {"slug": slug, "round_slug": round_slug}

    def address(index: int, *, light: bool = light) -> str:
        colours = {"scheme": LIGHT} if light else {}
        if index == 0:
            return url_for(endpoints.start, **where, **colours)
        return url_for(endpoints.pot, **where, pot_id=pot_ids[index - 1], **colours)

    position = 0 if pot_id is None else list(pot_ids).index(pot_id) + 1
    total = len(pot_ids) + 1
    return Deck(
        position=position,
        total=total,
        previous=address(position - 1) if position > 0 else None,
        next=address(position + 1) if position + 1 < total else None,
        start=address(0),
        leave=url_for(endpoints.leave, **where),
        light=light,
        other_scheme=address(position, light=not light),
        pots=tuple((p, address(i)) for i, p in enumerate(pot_ids, start=1)),
    )


def turnout_text(turnout: Sequence[Turnout]) -> str | None:
    """ "3,120 of 10,400 people on the roll voted (30%)"; without a roll, how many voted;
    None when nothing was recorded."""
    if not turnout:
        return None
    voted = sum(t.voted for t in turnout)
    roll = sum(t.roll for t in turnout)
    if not roll:
        return ngettext("%(num)s person voted", "%(num)s people voted", voted)
    return ngettext(
        "%(voted)s of %(num)s person on the roll voted (%(percent)s)",
        "%(voted)s of %(num)s people on the roll voted (%(percent)s)",
        roll,
        voted=formatting.number(voted),
        percent=percent(Fraction(voted, roll)),
    )


def ballots_text(views: Sequence[PotView]) -> str:
    """How many ballots were counted in all the pots together."""
    return ngettext(
        "%(num)s ballot counted", "%(num)s ballots counted", sum(v.ballots for v in views)
    )


def support_text(row, counts_points: bool) -> str:
    """A funded project's support as the count saw it: "12 votes", or "12 votes, 40 points"
    where the ballots gave points."""
    votes = ngettext("%(num)s vote", "%(num)s votes", row.votes)
    if not counts_points:
        return votes
    points = ngettext("%(num)s point", "%(num)s points", row.points or 0)
    return _("%(votes)s, %(points)s", votes=votes, points=points)
