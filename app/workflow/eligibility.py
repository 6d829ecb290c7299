"""The ways a resident may become eligible to vote, chosen per council and per round.

Every way ends in the same place: a roll entry (``ballots.models.RollEntry``) verified as the
resident's account, or checked in at an event, and then the same exactly-once cast.

- ``code``: the council imports its roll and sends each person a code (posted or texted);
  they type it with their reference on the verify page.
- ``contact``: a six-digit code texted or emailed, when asked for, to the mobile number or
  email address the person has on the roll (10 minutes, 5 tries).
- ``register``: a resident picks their address from the council's gazetteer and registers;
  they are eligible at once up to the council's limit per address, or once an officer
  approves them.
- ``in_person``: an officer registers someone they have seen (at an event's desk or a council
  office), audited with the officer's name.

A council's ways are ``councils.eligibility``; a round's own (``rounds.eligibility``), when it
has them, replace the council's for that round.
"""

from __future__ import annotations

from app.workflow.models import Council, FundingRound
from ballots.refusals import N_

# In the order they are offered.
WAYS = ("code", "contact", "register", "in_person")

# What each way is called on officers' pages.
WAY_NAMES = {
    "code": N_("Codes sent by the council to people on the imported roll"),
    "contact": N_("Six-digit codes texted or emailed to the number or address on the roll"),
    "register": N_("Registering at an address in the council's address list"),
    "in_person": N_("Registered in person by an officer"),
}


def parse(text: str | None) -> tuple[str, ...]:
    """Stored ways, in ``WAYS`` order (unknown words are left out)."""
    chosen = set((text or "").split())
    return tuple(way for way in WAYS if way in chosen)


def council_ways(council: Council) -> tuple[str, ...]:
    return parse(council.eligibility)


def ways(council: Council, funding_round: FundingRound | None = None) -> tuple[str, ...]:
    """The ways open for a round (its own when it has them, else the council's), or the
    council's when no round is given."""
    if funding_round is not None and funding_round.eligibility is not None:
        return parse(funding_round.eligibility)
    return council_ways(council)


def allows(council: Council, funding_round: FundingRound | None, way: str) -> bool:
    if way not in WAYS:
        raise ValueError(f"unknown way to become eligible: {way!r}")
    return way in ways(council, funding_round)
