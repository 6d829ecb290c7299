"""How a round's pages say where it is going next."""

from __future__ import annotations

from flask_babel import gettext as _

from app.web.presenters.formatting import long_date
from app.workflow import rounds
from app.workflow.models import FundingRound


def what_happens_next(funding_round: FundingRound) -> str:
    """Sentences for a round's pages: the next phase, what it is, and when it is due, in the
    page's language (whole sentences: word order differs between languages)."""
    target = rounds.next_phase(funding_round)
    if target is None:
        return _("This is the round's last phase.")
    current = funding_round.dates_for(funding_round.phase)
    upcoming = funding_round.dates_for(target)
    phase = _(target.label).lower()
    description = _(rounds.PHASE_DESCRIPTIONS[target])
    if upcoming is not None:
        return _(
            "Next: %(phase)s. %(description)s It is due to start on %(day)s.",
            phase=phase,
            description=description,
            day=long_date(rounds.first_day(upcoming)),
        )
    if current is not None:
        return _(
            "Next: %(phase)s. %(description)s %(current)s is due to end on %(day)s.",
            phase=phase,
            description=description,
            current=_(funding_round.phase.label),
            day=long_date(rounds.last_day(current)),
        )
    return _("Next: %(phase)s. %(description)s", phase=phase, description=description)
