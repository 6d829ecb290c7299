"""The audit trail: who did what, when, with the changed fields before and after.

Rows are append-only in the database (triggers refuse UPDATE and DELETE). ``before`` and
``after`` hold only the fields that changed, as JSON-friendly values (money in pence, times as
ISO 8601 UTC, enums as their values).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.workflow.errors import Frozen
from app.workflow.models import AuditEvent, Council, FundingRound, User
from ballots.refusals import N_

# What each action means, for the audit log page (marked to translate: the page translates it).
ACTIONS = {
    "round.created": N_("Round opened"),
    "round.details_changed": N_("Details changed"),
    "round.pots_changed": N_("Budget and pots changed"),
    "round.schedule_changed": N_("Schedule changed"),
    "round.voting_configured": N_("Voting configuration changed"),
    "round.phase_changed": N_("Phase changed"),
    "round.scheduled_move_failed": N_("Scheduled phase change failed"),
    "round.pots_merged": N_("Pot merged into another"),
    "round.voting_extended": N_("Voting extended: closes later"),
    "round.fingerprints_sent": N_("Fingerprints emailed to the council's auditors"),
    "results.published": N_("Results published after an officer checked them"),
    "proposal.submitted": N_("Proposal submitted"),
    "proposal.edited": N_("Proposal edited by its author"),
    "proposal.withdrawn": N_("Proposal withdrawn by its author"),
    "proposal.reviewed": N_("Review decision"),
    "proposal.merged": N_("Merged into another proposal"),
    "proposal.hidden": N_("Hidden by moderators"),
    "proposal.unhidden": N_("Shown again by moderators"),
    "proposal.flagged": N_("Reported for moderation"),
    "proposal.placed": N_("Proposal placed on the map"),
    "contribution.recorded": N_("Partner contribution recorded"),
    "contribution.removed": N_("Partner contribution removed"),
    "voters.roll_imported": N_("Voter roll uploaded"),
    "voters.codes_issued": N_("Verification codes issued"),
    "ballot.paper_entered": N_("Paper ballot entered"),
    "event.created": N_("Voting event created"),
    "event.closed": N_("Voting at an event closed"),
    "event.checked_in": N_("Someone checked in at an event"),
    "event.token_replaced": N_("A lost kiosk token replaced at an event"),
    "event.check_in_released": N_("A check-in released at an event"),
    "event.kiosk_opened": N_("A device signed in as an event's kiosk"),
    "event.kiosk_stopped": N_("An event's kiosk stopped"),
    "gazetteer.imported": N_("Address list (gazetteer) uploaded"),
    "boundaries.uploaded": N_("Neighbourhood boundaries uploaded"),
    "registration.approved": N_("Registration at an address approved by an officer"),
    "registration.refused": N_("Registration at an address refused by an officer"),
    "roll.registered_in_person": N_("Person registered on the roll in person by an officer"),
    "council.eligibility_changed": N_("Ways to become eligible changed for the council"),
    "council.open_data_changed": N_(
        "Open data choice changed: whether ballots keep their voter's neighbourhood and age band"
    ),
    "round.eligibility_changed": N_("Ways to become eligible changed for the round"),
    "ballot.paper_batch_stored": N_("File of paper ballots stored"),
    "ballot.paper_batch_discarded": N_("File of paper ballots discarded"),
    "results.exported": N_("Auditor export downloaded"),
    "results.export_refused": N_("Export refused: no access"),
    "delivery.updated": N_("Delivery update recorded"),
    "messages.retried": N_("Failed messages tried again"),
    "refused": N_("Refused: voting had opened"),
    "account.password_reset": N_("Password changed through an emailed link"),
    "account.email_confirmed": N_("Email address confirmed"),
    "account.password_changed": N_("Password changed from the account page"),
    "account.two_factor_reset": N_("Second factor reset by an administrator"),
    "secrecy.configured": N_("Ballot encryption configured"),
    "secrecy.trustee_added": N_("Trustee added"),
    "secrecy.trustee_removed": N_("Trustee removed"),
    "secrecy.trustee_link_renewed": N_("Trustee's link renewed"),
    "secrecy.trustee_registered": N_("Trustee registered their transport key"),
    "secrecy.ceremony_started": N_("Making the round's key started"),
    "secrecy.key_part_uploaded": N_("Trustee's part of the key uploaded"),
    "secrecy.key_accepted": N_("Trustee accepted the key"),
    "secrecy.key_made": N_("The round's key was made"),
    "secrecy.key_restarted": N_("Making the round's key started again"),
    "secrecy.complaint": N_("Trustee complained about a share"),
    "secrecy.share_held": N_("Trustee proved they still hold their share"),
    "secrecy.trustee_lost_key": N_("Trustee recorded as having lost their key file"),
    "secrecy.trustee_found_key": N_("Trustee recorded as having their key file again"),
    "secrecy.mixed": N_("Ballots shuffled"),
    "secrecy.decrypted": N_("Trustee decrypted their share of the ballots"),
    "secrecy.pot_decrypted": N_("A pot's ballots were decrypted"),
    "account.network_admin_changed": N_("Network administrator given or taken away"),
    "meeting.created": N_("General meeting created"),
    "meeting.changed": N_("General meeting changed"),
    "meeting.notice_given": N_("Notice of a general meeting given: record date and voters fixed"),
    "meeting.started": N_("General meeting started, with its chair"),
    "meeting.closed": N_("General meeting closed"),
    "meeting.checked_in": N_("Member checked in at a general meeting"),
    "meeting.motion_tabled": N_("Motion or amendment tabled"),
    "meeting.item_opened": N_("Voting on a motion opened"),
    "meeting.item_closed": N_("Voting on a motion closed"),
    "meeting.paper_ballot_recorded": N_("Member's paper ballot on a motion entered by an officer"),
    "meeting.proxy_appointed": N_("Proxy appointed"),
    "meeting.proxy_revoked": N_("Proxy revoked"),
    "meeting.proxy_voted": N_("Proxy voted for a member"),
    "meeting.result_declared": N_("Result of a motion declared"),
    "meeting.card_given": N_("Voting card given to a member at a general meeting"),
    "meeting.card_replaced": N_("Member's lost voting card replaced: the old one stopped working"),
    "meeting.card_revoked": N_("Member's voting card taken back"),
    "meeting.kiosk_opened": N_("Device made a kiosk for a general meeting"),
    "meeting.kiosk_stopped": N_("Kiosk of a general meeting stopped"),
    "organisation.member_linked": N_("Member linked to the account they sign in with"),
    "organisation.member_claimed": N_("Member linked their account with a code emailed to them"),
    "organisation.created": N_("Organisation with members created"),
    "organisation.rules_changed": N_("Organisation's rules changed"),
    "organisation.officer_appointed": N_("Officer of an organisation appointed"),
    "organisation.officer_removed": N_("Officer of an organisation removed"),
    "organisation.class_added": N_("Membership class added"),
    "organisation.member_added": N_("Member added to the register"),
    "organisation.members_imported": N_("Members imported to the register from a file"),
    "organisation.member_left": N_("Member's leaving recorded"),
    "election.created": N_("Election added to a meeting's agenda"),
    "election.constituency_added": N_("Constituency added to an election"),
    "election.nominated": N_("Candidate nominated in an election"),
    "election.withdrawn": N_("Candidate's withdrawal from an election recorded"),
    "election.opened": N_("Voting in an election opened: ballot order drawn"),
    "election.closed": N_("Voting in an election closed"),
    "election.paper_ballot_entered": N_("Paper ballot in an election entered by an officer"),
    "election.declared": N_("Result of an election declared"),
}


def jsonable(value: Any) -> Any:
    """A value the JSON column can hold, exactly (no floats for money or weights)."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[dict, dict]:
    """Only the keys whose values differ, as (before, after)."""
    keys = [k for k in after if before.get(k) != after[k]]
    return {k: jsonable(before.get(k)) for k in keys}, {k: jsonable(after[k]) for k in keys}


def record(
    session: Session,
    *,
    action: str,
    actor: User | None,
    council: Council | None = None,
    round: FundingRound | None = None,
    organisation: Any = None,
    subject: Any = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Add one audit event (flushed with the rest of the caller's transaction).

    An event about a round belongs to the round's council, and an event about an
    organisation (``app.workflow.organisations``) to its host's (none for the network's);
    ``council`` is needed only for events about neither.
    """
    if round is not None:
        if council is not None and council.id != round.council_id:
            raise ValueError("an audit event's round must belong to its council")
        council = round.council
    if organisation is not None:
        if council is not None and council.id != organisation.council_id:
            raise ValueError("an audit event's organisation must belong to its council")
        council = organisation.council
    event = AuditEvent(
        council_id=council.id if council is not None else None,
        round_id=round.id if round is not None else None,
        organisation_id=organisation.id if organisation is not None else None,
        actor_id=actor.id if actor is not None else None,
        action=action,
        subject_type=type(subject).__name__.lower() if subject is not None else "",
        subject_id=getattr(subject, "id", None),
        before=jsonable(dict(before)) if before is not None else None,
        after=jsonable(dict(after)) if after is not None else None,
    )
    session.add(event)
    session.flush()
    return event


def record_changes(
    session: Session,
    *,
    action: str,
    actor: User | None,
    round: FundingRound,
    subject: Any,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
) -> AuditEvent | None:
    """Record an edit of ``subject`` in ``round`` with only the fields it changed; nothing
    when it changed none (saving a form as it was is not an event)."""
    b, a = changes(before, after)
    if not a:
        return None
    return record(
        session,
        action=action,
        actor=actor,
        round=round,
        subject=subject,
        before=b,
        after=a,
    )


def record_refusal(session: Session, error: Frozen) -> AuditEvent:
    """Log an attempt to change a frozen round, in its own transaction after the rollback."""
    funding_round = session.get(FundingRound, error.round.id)
    actor = session.get(User, error.actor.id) if error.actor is not None else None
    return record(
        session,
        action="refused",
        actor=actor,
        round=funding_round,
        subject=error.subject,
        after={"attempted": error.action, "reason": error.message},
    )


def events_for_round(session: Session, funding_round: FundingRound) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.round_id == funding_round.id)
            .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        )
    )
