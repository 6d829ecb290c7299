"""A round's voting configuration: the ballot kind, counting rule, limits, eligibility and
supports, what makes a configuration valid, and setting it until voting opens."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from app.workflow import audit
from app.workflow.errors import DomainError
from app.workflow.models import FundingRound, Phase, User
from app.workflow.rounds.common import ensure_not_frozen
from ballots.refusals import N_, Text
from votes.model import BallotKind, TieBreak
from votes.rules import RULES

CONFIG_FIELDS = (
    "ballot_kind",
    "rule",
    "tie_break",
    "min_choices",
    "max_choices",
    "points",
    "max_points_per_project",
    "home_pot_only",
    "min_age",
    "max_age",
    "supports_enabled",
    "support_threshold",
    "allow_vote_change",
    "allow_blank_ballots",
    "min_ballots_to_publish",
)
BOOLEAN_CONFIG_FIELDS = (
    "home_pot_only",
    "supports_enabled",
    "allow_vote_change",
    "allow_blank_ballots",
)
DEFAULT_MIN_BALLOTS_TO_PUBLISH = 10


# A counting rule that does not fit the ballot kind, by kind.
CANNOT_BE_COUNTED_THAT_WAY = {
    BallotKind.APPROVAL: N_(
        "Approval ballots cannot be counted that way: choose one of the counting methods "
        "listed for them"
    ),
    BallotKind.KNAPSACK: N_(
        "Budget ballots cannot be counted that way: choose one of the counting methods "
        "listed for them"
    ),
    BallotKind.CUMULATIVE: N_(
        "Points ballots cannot be counted that way: choose one of the counting methods "
        "listed for them"
    ),
    BallotKind.RANKED: N_(
        "Ranked ballots cannot be counted that way: choose one of the counting methods "
        "listed for them"
    ),
    BallotKind.SINGLE: N_(
        "Single choice ballots cannot be counted that way: choose one of the counting "
        "methods listed for them"
    ),
}
# The kinds of ballot whose number of choices is fixed.
NO_CHOICES_FOR = {
    BallotKind.SINGLE: N_("Leave the number of choices empty for single choice ballots"),
    BallotKind.CUMULATIVE: N_("Leave the number of choices empty for points ballots"),
}


def voting_config_problems(config: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every way ``config`` is not a valid voting configuration, as (field, message)."""
    problems: list[tuple[str, str]] = []
    try:
        kind = BallotKind(config.get("ballot_kind"))
    except ValueError:
        return [("ballot_kind", Text(N_("Select a kind of ballot from the list")))]
    rule = config.get("rule")
    if rule not in RULES[kind]:
        problems.append(("rule", Text(CANNOT_BE_COUNTED_THAT_WAY[kind])))
    if config.get("tie_break") not in {t.value for t in TieBreak}:
        problems.append(("tie_break", Text(N_("Select how ties are broken"))))
    lo, hi = config.get("min_choices"), config.get("max_choices")
    points, cap = config.get("points"), config.get("max_points_per_project")
    if kind == BallotKind.RANKED and not hi:
        problems.append(("max_choices", Text(N_("Enter how many projects a voter can rank"))))
    if kind in (BallotKind.SINGLE, BallotKind.CUMULATIVE):
        if lo is not None or hi is not None:
            field = "min_choices" if lo is not None else "max_choices"
            problems.append((field, Text(NO_CHOICES_FOR[kind])))
    else:
        if lo is not None and lo < 0:
            problems.append(("min_choices", Text(N_("The fewest choices must be 0 or more"))))
        if hi is not None and hi < 1:
            problems.append(("max_choices", Text(N_("The most choices must be 1 or more"))))
        if lo is not None and hi is not None and lo > hi:
            problems.append(
                (
                    "min_choices",
                    Text(N_("The fewest choices must not be more than the most choices")),
                )
            )
    if kind == BallotKind.CUMULATIVE:
        if not points or points < 1:
            problems.append(
                ("points", Text(N_("Enter how many points each voter shares out, 1 or more")))
            )
        elif cap is not None and not 1 <= cap <= points:
            problems.append(
                (
                    "max_points_per_project",
                    Text(
                        N_("The most points for one project must be between 1 and %(points)s"),
                        points=points,
                    ),
                )
            )
    elif points is not None or cap is not None:
        field = "points" if points is not None else "max_points_per_project"
        problems.append((field, Text(N_("Leave points empty: only points ballots use them"))))
    ages = {"min_age": config.get("min_age"), "max_age": config.get("max_age")}
    for field, age in ages.items():
        if age is not None and not 0 <= age <= 120:
            problems.append((field, Text(N_("Enter an age between 0 and 120"))))
    if (
        ages["min_age"] is not None
        and ages["max_age"] is not None
        and ages["min_age"] > ages["max_age"]
    ):
        problems.append(
            ("min_age", Text(N_("The minimum age must not be more than the maximum age")))
        )
    threshold = config.get("support_threshold") or 0
    if threshold < 0:
        problems.append(
            ("support_threshold", Text(N_("The number of supports needed must be 0 or more")))
        )
    least = config.get("min_ballots_to_publish")
    if least is not None and not 1 <= least <= 1000:
        problems.append(
            (
                "min_ballots_to_publish",
                Text(N_("Enter the fewest ballots for per-project results between 1 and 1,000")),
            )
        )
    return problems


def kind_name(kind: BallotKind) -> str:
    """The name officers and residents see for a ballot kind."""
    return {
        BallotKind.APPROVAL: "Approval",
        BallotKind.KNAPSACK: "Budget",
        BallotKind.CUMULATIVE: "Points",
        BallotKind.RANKED: "Ranked",
        BallotKind.SINGLE: "Single choice",
    }[kind]


def voting_config(funding_round: FundingRound) -> dict[str, Any]:
    """The round's voting configuration, one entry per ``CONFIG_FIELDS`` name."""
    return {name: getattr(funding_round, name) for name in CONFIG_FIELDS}


def configure_voting(
    session: Session, funding_round: FundingRound, *, actor: User, config: Mapping[str, Any]
) -> None:
    """Set the ballot kind, counting rule, limits, eligibility and supports."""
    ensure_not_frozen(
        session,
        funding_round,
        actor=actor,
        action="round.voting_configured",
        subject=funding_round,
        what=N_("The voting rules"),
        field="ballot_kind",
    )
    problems = voting_config_problems(config)
    if problems:
        field, message = problems[0]
        raise DomainError(message, field)
    if funding_round.phase == Phase.SUPPORTS and not config.get("supports_enabled"):
        raise DomainError(
            N_("The round is collecting supports now: move it on before turning supports off"),
            "supports_enabled",
        )
    if (
        config.get("supports_enabled")
        and not funding_round.supports_enabled
        and funding_round.phase.index > Phase.SUPPORTS.index
    ):
        raise DomainError(N_("The supports phase has passed for this round"), "supports_enabled")
    before = voting_config(funding_round)
    for name in CONFIG_FIELDS:
        value = config.get(name)
        if name in BOOLEAN_CONFIG_FIELDS:
            value = bool(value)
        if name == "support_threshold":
            value = value or 0
        if name == "min_ballots_to_publish" and value is None:
            value = DEFAULT_MIN_BALLOTS_TO_PUBLISH
        setattr(funding_round, name, value)
    session.flush()
    audit.record_changes(
        session,
        action="round.voting_configured",
        actor=actor,
        round=funding_round,
        subject=funding_round,
        before=before,
        after=voting_config(funding_round),
    )
