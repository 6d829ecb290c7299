"""The council workflow for funding rounds, one concern per module: ``budget`` (splitting a
budget into pots), ``details`` (opening a draft round, its title and description),
``schedule`` (phase dates), ``voting`` (the voting configuration), ``ballot`` (what reaches
the ballot), ``manifest`` (what voting freezes, and its hash), ``phases`` (moving a round
through its phases, by an officer or the scheduler) and ``common`` (the round lock and the
refusal once voting has opened).

Every function takes a SQLAlchemy session, changes nothing when it refuses, and raises a
``DomainError`` (``app.workflow.errors``) with a reason. The public API is re-exported here,
so callers import it from ``app.workflow.rounds``, and so are two helpers callers reach through
it: ``canonical_json`` (``votes.verify``'s, the text a manifest is hashed from) and
``london_midnight`` (``app.workflow.clock``).
"""

from app.workflow.clock import london_midnight
from app.workflow.rounds.ballot import (
    ballot_problem,
    ballot_proposals,
    impossible_ballot,
    left_off_ballot,
    support_counts,
    unreviewed_proposals,
)
from app.workflow.rounds.budget import (
    COUNCIL_WIDE_NAME,
    PlannedPot,
    PotPlan,
    merge_pot,
    plan_pots,
    replace_pots,
    split_budget,
)
from app.workflow.rounds.common import ensure_not_frozen, lock_round
from app.workflow.rounds.details import create_round, find_round, slug_for, update_details
from app.workflow.rounds.manifest import MANIFEST_VERSION, build_manifest, manifest_hash
from app.workflow.rounds.phases import (
    ERROR_TEXT_LIMIT,
    PHASE_DESCRIPTIONS,
    PUBLISH_ELSEWHERE,
    ScheduledMove,
    advance_due_rounds,
    change_phase,
    error_text,
    is_due,
    next_phase,
    open_voting,
    phase_change_problems,
    phases_of,
    previous_phase,
    publish_results,
    scheduled_move_failure,
)
from app.workflow.rounds.schedule import (
    SCHEDULED_PHASES,
    Extension,
    extend_voting,
    first_day,
    last_day,
    schedule_snapshot,
    set_schedule,
    voting_extensions,
)
from app.workflow.rounds.voting import (
    BOOLEAN_CONFIG_FIELDS,
    CONFIG_FIELDS,
    DEFAULT_MIN_BALLOTS_TO_PUBLISH,
    configure_voting,
    kind_name,
    voting_config,
    voting_config_problems,
)
from votes.verify import canonical_json

__all__ = [
    "find_round",
    "BOOLEAN_CONFIG_FIELDS",
    "CONFIG_FIELDS",
    "COUNCIL_WIDE_NAME",
    "DEFAULT_MIN_BALLOTS_TO_PUBLISH",
    "ERROR_TEXT_LIMIT",
    "MANIFEST_VERSION",
    "PHASE_DESCRIPTIONS",
    "PUBLISH_ELSEWHERE",
    "SCHEDULED_PHASES",
    "Extension",
    "PlannedPot",
    "PotPlan",
    "ScheduledMove",
    "advance_due_rounds",
    "ballot_problem",
    "ballot_proposals",
    "build_manifest",
    "canonical_json",
    "change_phase",
    "configure_voting",
    "create_round",
    "ensure_not_frozen",
    "error_text",
    "extend_voting",
    "first_day",
    "impossible_ballot",
    "is_due",
    "kind_name",
    "last_day",
    "left_off_ballot",
    "lock_round",
    "london_midnight",
    "manifest_hash",
    "merge_pot",
    "next_phase",
    "open_voting",
    "phase_change_problems",
    "phases_of",
    "plan_pots",
    "previous_phase",
    "publish_results",
    "replace_pots",
    "schedule_snapshot",
    "scheduled_move_failure",
    "set_schedule",
    "slug_for",
    "split_budget",
    "support_counts",
    "unreviewed_proposals",
    "update_details",
    "voting_config",
    "voting_config_problems",
    "voting_extensions",
]
