"""Motions and resolutions: whether a vote of members carried, against its threshold and quorum.

    from votes.motions import SPECIAL, Quorum, Tally, decide
    decision = decide(Tally(for_=31, against=9, abstain=3), SPECIAL,
                      quorum=Quorum(members=10), present=45, by_proxy=4)
    decision.carried, decision.needed, decision.margin

The common co-operative model rules' thresholds are here: an **ordinary** resolution needs
more than half of the votes cast, a **special** resolution at least three quarters; an
organisation's rules may set another (:class:`Threshold`, for example two thirds). Whether an
abstention is a vote cast is the organisation's rule (``abstentions_count``): under the model
rules it is not, so it neither helps nor hinders.

A tie (as many for as against) under a simple majority is decided by the chair's casting
vote where the rules give one and the chair uses it; otherwise the motion is not carried (a
motion needs more than half). A casting vote can only break such a tie: it is refused
otherwise, as is a casting vote on a motion whose threshold is not a simple majority.

The quorum (:class:`Quorum`) is members present or voting, with proxies counted where the
rules say so, against the larger of a number of members and a share of those eligible. An
inquorate vote decides nothing: ``carried`` is ``None`` and ``inquorate`` is true, however
the votes went.

Everything is whole numbers and exact fractions: the share of votes for is a ``Fraction``,
``needed`` is the smallest number of votes for that would have carried the motion and
``margin`` how many more (or, negative, fewer) votes for there were than that.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import ceil, floor

__all__ = [
    "ORDINARY",
    "SPECIAL",
    "TWO_THIRDS",
    "Decision",
    "Quorum",
    "Tally",
    "Threshold",
    "decide",
    "needed_for",
]


@dataclass(frozen=True)
class Threshold:
    """A share of the votes cast: ``more_than`` (strictly more, as "more than half") or at
    least (as "at least three quarters")."""

    share: Fraction
    more_than: bool
    name: str = ""

    def __post_init__(self) -> None:
        if not Fraction(1, 2) <= self.share <= 1:
            raise ValueError("a threshold is a share of the votes from one half to all of them")
        if self.share == 1 and self.more_than:
            raise ValueError("no share of the votes is more than all of them")

    @property
    def simple_majority(self) -> bool:
        return self.share == Fraction(1, 2) and self.more_than


ORDINARY = Threshold(Fraction(1, 2), more_than=True, name="ordinary")
SPECIAL = Threshold(Fraction(3, 4), more_than=False, name="special")
TWO_THIRDS = Threshold(Fraction(2, 3), more_than=False, name="two thirds")


@dataclass(frozen=True)
class Tally:
    """The votes on a motion (proxies' votes included)."""

    for_: int
    against: int
    abstain: int = 0

    def __post_init__(self) -> None:
        if min(self.for_, self.against, self.abstain) < 0:
            raise ValueError("votes cannot be negative")


@dataclass(frozen=True)
class Quorum:
    """At least ``members`` present or voting, and at least ``share`` of those eligible when
    given; proxies count towards it when ``counts_proxies``."""

    members: int = 1
    share: Fraction | None = None
    counts_proxies: bool = True

    def __post_init__(self) -> None:
        if self.members < 0 or (self.share is not None and not 0 <= self.share <= 1):
            raise ValueError("a quorum is a number of members and a share from 0 to 1")

    def required(self, eligible: int | None) -> int:
        if self.share is None or eligible is None:
            return self.members
        return max(self.members, ceil(self.share * eligible))

    def counted(self, present: int, by_proxy: int) -> int:
        """The members who count towards it: those present or voting, and those represented
        only by a proxy where proxies count."""
        if min(present, by_proxy) < 0:
            raise ValueError("members present cannot be negative")
        return present + (by_proxy if self.counts_proxies else 0)


@dataclass(frozen=True)
class Decision:
    """What a motion's vote decided. ``carried`` is ``None`` when inquorate. ``cast`` is the
    votes that count towards the threshold (for and against, and abstentions where they
    count); ``share`` of them for (``None`` when none were cast); ``casting_vote`` is
    ``"for"``/``"against"`` when the chair's decided a tie."""

    tally: Tally
    threshold: Threshold
    cast: int
    share: Fraction | None
    needed: int
    margin: int
    carried: bool | None
    tie: bool
    casting_vote: str | None
    inquorate: bool
    quorum_required: int
    quorum_counted: int


def needed_for(cast: int, threshold: Threshold) -> int:
    """The fewest votes for, of ``cast``, that meet ``threshold`` (at least one)."""
    exact = threshold.share * cast
    needed = floor(exact) + 1 if threshold.more_than else ceil(exact)
    return max(needed, 1)


def decide(
    tally: Tally,
    threshold: Threshold = ORDINARY,
    *,
    abstentions_count: bool = False,
    casting_vote: str | None = None,
    quorum: Quorum | None = None,
    present: int = 0,
    by_proxy: int = 0,
    eligible: int | None = None,
) -> Decision:
    """Decide a motion (see the module's docstring). ``present`` is the members present or
    voting in person or online, ``by_proxy`` those represented only by a proxy, ``eligible``
    the members entitled to vote (for a quorum given as a share)."""
    if casting_vote not in (None, "for", "against"):
        raise ValueError("a casting vote is for or against")
    if min(present, by_proxy) < 0:
        raise ValueError("members present cannot be negative")
    cast = tally.for_ + tally.against + (tally.abstain if abstentions_count else 0)
    tie = tally.for_ == tally.against and tally.for_ > 0
    if casting_vote is not None:
        if not threshold.simple_majority:
            raise ValueError("a casting vote decides only a tie under a simple majority")
        if not tie:
            raise ValueError("a casting vote decides only a tie (as many for as against)")
    quorum = quorum or Quorum(members=0)
    counted = quorum.counted(present, by_proxy)
    required = quorum.required(eligible)
    inquorate = counted < required
    votes_for = tally.for_ + (1 if casting_vote == "for" else 0)
    base = cast + (1 if casting_vote is not None else 0)
    needed = needed_for(base, threshold) if base else 1
    meets = base > 0 and votes_for >= needed
    return Decision(
        tally=tally,
        threshold=threshold,
        cast=cast,
        share=Fraction(tally.for_, cast) if cast else None,
        needed=needed,
        margin=votes_for - needed,
        carried=None if inquorate else meets,
        tie=tie,
        casting_vote=casting_vote,
        inquorate=inquorate,
        quorum_required=required,
        quorum_counted=counted,
    )
