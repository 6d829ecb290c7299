"""Proposals: residents propose, edit and withdraw; officers review, merge, hide and record
partners' contributions; residents support and report.

Every function changes nothing when it refuses, and raises a ``DomainError`` with a reason.
Changes that would alter the ballot are refused with ``Frozen`` once voting has opened (the
caller logs the refusal). Hiding abusive text is still allowed after voting opens: it hides
the text from the public pages but does not take the proposal off the ballot, whose manifest
is fixed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.workflow import audit, notices
from app.workflow.delivery import funded_ids
from app.workflow.errors import DomainError, WrongPhase
from app.workflow.languages import TRANSLATED_FIELDS, set_texts, texts
from app.workflow.models import (
    Contribution,
    ContributionKind,
    FundingRound,
    Phase,
    Pot,
    Proposal,
    ProposalReport,
    ProposalStatus,
    Role,
    Support,
    User,
)
from app.workflow.results import PUBLISHED
from app.workflow.rounds import ensure_not_frozen, lock_round
from ballots.refusals import N_, Money, Text

EDITABLE_FIELDS = (
    "title",
    "summary",
    "description",
    "pot_id",
    "category",
    "location",
    "estimated_cost_pence",
)


# A text in each language it is written in: ``{language: text}`` (an empty text or None: not
# written in that language), in the order the council shows its languages.
Texts = Mapping[str, str | None]
# The texts a proposal has in each language (``languages.TRANSLATED_FIELDS``).
WRITTEN_FIELDS = TRANSLATED_FIELDS["proposals"]


@dataclass(frozen=True)
class ProposalText:
    """What a resident writes. Plain text: it is shown as typed, never as markup. The title,
    summary and description are ``{language: text}`` in any of the council's languages, one or
    several (a title in one at least)."""

    title: Texts
    summary: Texts
    description: Texts
    category: str
    location: str
    estimated_cost_pence: int
    pot_id: int

    def written(self) -> dict[str, Texts]:
        return {"title": self.title, "summary": self.summary, "description": self.description}


def _snapshot(proposal: Proposal, fields=EDITABLE_FIELDS) -> dict:
    """The fields for the audit trail: the texts in every language they are written in."""
    return {f: texts(proposal, f) if f in WRITTEN_FIELDS else getattr(proposal, f) for f in fields}


def _pot_in_round(session: Session, funding_round: FundingRound, pot_id: int) -> Pot:
    pot = session.get(Pot, pot_id)
    if pot is None or pot.round_id != funding_round.id:
        raise DomainError(N_("Select a pot from the list"), "pot")
    return pot


def _check_cost(pot: Pot, cost: int, field: str = "estimated_cost") -> None:
    if cost <= 0:
        raise DomainError(N_("The cost must be more than £0"), field)
    if cost > pot.budget_pence:
        raise DomainError(
            N_("The cost must not be more than the %(pot)s pot's budget of %(budget)s"),
            field,
            pot=pot.name,
            budget=Money(pot.budget_pence),
        )


def _require_resident(user: User, funding_round: FundingRound) -> None:
    if not user.has_role(funding_round.council_id, Role.RESIDENT):
        raise DomainError(
            N_("Only residents of %(council)s can do this"), council=funding_round.council.name
        )


# Why an address must be confirmed first, by what the person was doing.
CONFIRM_FIRST = {
    "propose": N_(
        "Confirm your email address before you propose a project: open the link we emailed "
        "to %(email)s. Your account page can send it again."
    ),
    "support": N_(
        "Confirm your email address before you support proposals: open the link we emailed "
        "to %(email)s. Your account page can send it again."
    ),
}


def _require_confirmed_email(user: User, what: str, field: str | None = None) -> None:
    """Proposing and supporting wait for a confirmed address (see ``User.email_confirmed_at``);
    ``what``: "propose" or "support"."""
    if user.email_confirmed_at is None:
        raise DomainError(CONFIRM_FIRST[what], field, email=user.email)


# Why proposals cannot be made or changed now, by what the person was doing.
PROPOSALS_CLOSED = {
    "propose": N_(
        "You can propose projects only while proposals are open; this round is in %(phase)s"
    ),
    "change": N_(
        "You can change a proposal only while proposals are open; this round is in %(phase)s"
    ),
}


def _require_proposals_open(session: Session, funding_round: FundingRound, what: str) -> None:
    """``what``: "propose" or "change"."""
    phase = lock_round(session, funding_round)
    if phase != Phase.PROPOSALS:
        raise WrongPhase(PROPOSALS_CLOSED[what], "title", phase=Text(phase.label).lowered())


def submit_proposal(
    session: Session, funding_round: FundingRound, *, author: User, text: ProposalText
) -> Proposal:
    """A resident of the round's council proposes a project for one of its pots."""
    _require_resident(author, funding_round)
    _require_confirmed_email(author, "propose", "title")
    if funding_round.is_frozen:
        ensure_not_frozen(
            session,
            funding_round,
            actor=author,
            action="proposal.submitted",
            what=N_("The list of proposals"),
        )
    _require_proposals_open(session, funding_round, "propose")
    pot = _pot_in_round(session, funding_round, text.pot_id)
    _check_cost(pot, text.estimated_cost_pence)
    proposal = Proposal(
        round_id=funding_round.id,
        pot_id=pot.id,
        author_id=author.id,
        category=text.category.strip(),
        location=text.location.strip(),
        estimated_cost_pence=text.estimated_cost_pence,
    )
    set_texts(proposal, text.written())
    session.add(proposal)
    session.flush()
    audit.record(
        session,
        action="proposal.submitted",
        actor=author,
        round=funding_round,
        subject=proposal,
        after=_snapshot(proposal),
    )
    return proposal


def _own_open_proposal(
    session: Session, proposal: Proposal, author: User, action: str
) -> FundingRound:
    funding_round = proposal.round
    if proposal.author_id != author.id:
        raise DomainError(N_("Only the person who made a proposal can change it"))
    if funding_round.is_frozen:
        ensure_not_frozen(
            session,
            funding_round,
            actor=author,
            action=action,
            subject=proposal,
            what=N_("The list of proposals"),
        )
    _require_proposals_open(session, funding_round, "change")
    if not _changeable(proposal):
        raise DomainError(CANNOT_CHANGE[proposal.status])
    return funding_round


def check_author_may_change(
    session: Session, proposal: Proposal, author: User, action: str
) -> FundingRound:
    """Refuse unless ``author`` made the proposal and may still change it (proposals open, not
    yet reviewed or hidden); a refusal of a frozen round is logged as ``action``. Returns the
    proposal's round."""
    return _own_open_proposal(session, proposal, author, action)


# Why a proposal cannot be changed by its author, by its status.
CANNOT_CHANGE = {
    ProposalStatus.SUBMITTED: N_("This proposal is submitted and cannot be changed"),
    ProposalStatus.WITHDRAWN: N_("This proposal is withdrawn and cannot be changed"),
    ProposalStatus.FEASIBLE: N_("This proposal is feasible and cannot be changed"),
    ProposalStatus.NOT_FEASIBLE: N_("This proposal is not feasible and cannot be changed"),
    ProposalStatus.MERGED: N_("This proposal is merged and cannot be changed"),
    ProposalStatus.HIDDEN: N_("This proposal is hidden and cannot be changed"),
}
# Proposals withdrawn or merged are past review, merging and pledges: why, by status.
CANNOT_REVIEW = {
    ProposalStatus.WITHDRAWN: N_("This proposal was withdrawn and cannot be reviewed"),
    ProposalStatus.MERGED: N_("This proposal was merged and cannot be reviewed"),
}
CANNOT_MERGE_INTO = {
    ProposalStatus.WITHDRAWN: N_("“%(title)s” was withdrawn: choose another"),
    ProposalStatus.MERGED: N_("“%(title)s” was merged: choose another"),
}
ALREADY_GONE = {
    ProposalStatus.WITHDRAWN: N_("This proposal was already withdrawn"),
    ProposalStatus.MERGED: N_("This proposal was already merged"),
}
NO_PLEDGES = {
    ProposalStatus.WITHDRAWN: N_("This proposal is withdrawn"),
    ProposalStatus.MERGED: N_("This proposal is merged"),
    ProposalStatus.NOT_FEASIBLE: N_("This proposal is not feasible"),
}


def edit_proposal(
    session: Session, proposal: Proposal, *, author: User, text: ProposalText
) -> None:
    """The author changes their proposal, until review starts; its texts in languages
    ``text`` does not name keep what they were."""
    funding_round = _own_open_proposal(session, proposal, author, "proposal.edited")
    pot = _pot_in_round(session, funding_round, text.pot_id)
    _check_cost(pot, text.estimated_cost_pence)
    before = _snapshot(proposal)
    set_texts(proposal, {f: _kept(proposal, f, given) for f, given in text.written().items()})
    proposal.category = text.category.strip()
    proposal.location, proposal.estimated_cost_pence = (
        text.location.strip(),
        text.estimated_cost_pence,
    )
    proposal.pot_id = pot.id
    session.flush()
    audit.record_changes(
        session,
        action="proposal.edited",
        actor=author,
        round=funding_round,
        subject=proposal,
        before=before,
        after=_snapshot(proposal),
    )


def _kept(proposal: Proposal, field: str, given: Texts) -> dict[str, str | None]:
    """``given``, then the texts of ``field`` in the languages it does not name (a council
    that stopped speaking a language keeps what its author wrote in it)."""
    out = dict(given)
    for code, written in texts(proposal, field).items():
        out.setdefault(code, written)
    return out


def withdraw_proposal(session: Session, proposal: Proposal, *, author: User) -> None:
    funding_round = _own_open_proposal(session, proposal, author, "proposal.withdrawn")
    proposal.status = ProposalStatus.WITHDRAWN
    session.flush()
    audit.record(
        session,
        action="proposal.withdrawn",
        actor=author,
        round=funding_round,
        subject=proposal,
        before={"status": "submitted"},
        after={"status": "withdrawn"},
    )


# --- Officers' review -------------------------------------------------------------------------


def _require_review_stage(
    session: Session,
    funding_round: FundingRound,
    actor: User,
    action: str,
    proposal: Proposal,
    what: str,
    field: str,
) -> None:
    ensure_not_frozen(
        session, funding_round, actor=actor, action=action, subject=proposal, what=what, field=field
    )
    if funding_round.phase == Phase.DRAFT:
        raise WrongPhase(N_("The round is still a draft"), field)


def _resolve_reports(proposal: Proposal, now: datetime) -> None:
    for report in proposal.reports:
        if report.resolved_at is None:
            report.resolved_at = now


def review_proposal(
    session: Session,
    proposal: Proposal,
    *,
    actor: User,
    feasible: bool,
    reason: str,
    final_cost_pence: int | None,
    now: datetime,
) -> None:
    """Mark a proposal feasible (with its final cost) or not feasible, with a public reason."""
    funding_round = proposal.round
    _require_review_stage(
        session,
        funding_round,
        actor,
        "proposal.reviewed",
        proposal,
        N_("Review decisions"),
        "decision",
    )
    if proposal.status in (ProposalStatus.WITHDRAWN, ProposalStatus.MERGED):
        raise DomainError(CANNOT_REVIEW[proposal.status], "decision")
    if not reason.strip():
        raise DomainError(N_("Enter the reason for your decision: residents will see it"), "reason")
    fields = ("status", "final_cost_pence", "review_reason")
    before = _snapshot(proposal, fields)
    if feasible:
        if final_cost_pence is None:
            raise DomainError(N_("Enter the final cost of a feasible proposal"), "final_cost")
        _check_cost(proposal.pot, final_cost_pence, "final_cost")
        pledged = proposal.money_pledged_pence
        if pledged >= final_cost_pence:
            raise DomainError(
                N_("Partners have pledged %(pledged)s: the final cost must be more than that"),
                "final_cost",
                pledged=Money(pledged),
            )
        proposal.status = ProposalStatus.FEASIBLE
        proposal.final_cost_pence = final_cost_pence
    else:
        proposal.status = ProposalStatus.NOT_FEASIBLE
        proposal.final_cost_pence = final_cost_pence
    proposal.review_reason = reason.strip()
    proposal.reviewed_at = now
    _resolve_reports(proposal, now)
    session.flush()
    b, a = audit.changes(before, _snapshot(proposal, fields))
    audit.record(
        session,
        action="proposal.reviewed",
        actor=actor,
        round=funding_round,
        subject=proposal,
        before=b,
        after=a or {"status": proposal.status},
    )
    if "status" in a or "review_reason" in a:
        notices.proposal_changed(
            session,
            proposal,
            "feasible" if feasible else "not_feasible",
            reason=proposal.review_reason,
        )


def merge_proposal(
    session: Session, proposal: Proposal, *, actor: User, into_id: int, reason: str, now: datetime
) -> None:
    """Merge a duplicate into another proposal of the same round; it leaves the ballot."""
    funding_round = proposal.round
    _require_review_stage(
        session, funding_round, actor, "proposal.merged", proposal, N_("Merging proposals"), "into"
    )
    target = session.get(Proposal, into_id)
    if target is None or target.round_id != funding_round.id or target.id == proposal.id:
        raise DomainError(N_("Select a proposal of this round to merge into"), "into")
    if target.status in (ProposalStatus.WITHDRAWN, ProposalStatus.MERGED):
        raise DomainError(CANNOT_MERGE_INTO[target.status], "into", title=target.title)
    if proposal.status in (ProposalStatus.WITHDRAWN, ProposalStatus.MERGED):
        raise DomainError(ALREADY_GONE[proposal.status], "into")
    if not reason.strip():
        raise DomainError(N_("Enter the reason for merging: residents will see it"), "reason")
    before = {"status": proposal.status, "merged_into_id": None}
    proposal.status = ProposalStatus.MERGED
    proposal.merged_into_id = target.id
    proposal.review_reason = reason.strip()
    proposal.reviewed_at = now
    session.flush()
    audit.record(
        session,
        action="proposal.merged",
        actor=actor,
        round=funding_round,
        subject=proposal,
        before=before,
        after={
            "status": proposal.status,
            "merged_into_id": target.id,
            "review_reason": proposal.review_reason,
        },
    )
    notices.proposal_changed(session, proposal, "merged", reason=proposal.review_reason)


def hide_proposal(
    session: Session, proposal: Proposal, *, actor: User, reason: str, now: datetime
) -> None:
    """Hide abusive content with a reason its author is told. Allowed after voting opens,
    when it hides the text only: the proposal stays on the fixed ballot."""
    funding_round = proposal.round
    lock_round(session, funding_round)
    if not reason.strip():
        raise DomainError(N_("Enter the reason for hiding it: its author will be told"), "reason")
    if proposal.hidden_at is not None:
        raise DomainError(N_("This proposal is already hidden"), "reason")
    proposal.hidden_at = now
    proposal.hidden_reason = reason.strip()
    _resolve_reports(proposal, now)
    session.flush()
    audit.record(
        session,
        action="proposal.hidden",
        actor=actor,
        round=funding_round,
        subject=proposal,
        before={"hidden": False},
        after={"hidden": True, "hidden_reason": proposal.hidden_reason},
    )
    notices.proposal_changed(session, proposal, "hidden", reason=proposal.hidden_reason)


def unhide_proposal(
    session: Session, proposal: Proposal, *, actor: User, reason: str, now: datetime
) -> None:
    funding_round = proposal.round
    lock_round(session, funding_round)
    if proposal.hidden_at is None:
        raise DomainError(N_("This proposal is not hidden"), "reason")
    if not reason.strip():
        raise DomainError(N_("Enter the reason for showing it again"), "reason")
    before = {"hidden": True, "hidden_reason": proposal.hidden_reason}
    proposal.hidden_at = None
    proposal.hidden_reason = ""
    _resolve_reports(proposal, now)
    session.flush()
    audit.record(
        session,
        action="proposal.unhidden",
        actor=actor,
        round=funding_round,
        subject=proposal,
        before=before,
        after={"hidden": False, "reason": reason.strip()},
    )
    notices.proposal_changed(session, proposal, "restored")


# --- Residents: reports and supports ----------------------------------------------------------


def report_proposal(
    session: Session, proposal: Proposal, *, user: User, reason: str
) -> ProposalReport:
    """Report a proposal for moderation: one report per resident per proposal, and never by
    its own author (who can change or withdraw it instead)."""
    funding_round = proposal.round
    _require_resident(user, funding_round)
    if proposal.author_id is not None and proposal.author_id == user.id:
        raise DomainError(
            N_(
                "You cannot report your own proposal. While proposals are open you can change or "
                "withdraw it from its page."
            ),
            "reason",
        )
    if not reason.strip():
        raise DomainError(N_("Enter why this proposal needs a moderator"), "reason")
    if session.scalar(
        select(ProposalReport.id).where(
            ProposalReport.proposal_id == proposal.id, ProposalReport.user_id == user.id
        )
    ):
        raise DomainError(N_("You have already reported this proposal"), "reason")
    report = ProposalReport(proposal_id=proposal.id, user_id=user.id, reason=reason.strip())
    try:
        with session.begin_nested():
            session.add(report)
    except IntegrityError:
        raise DomainError(N_("You have already reported this proposal"), "reason") from None
    audit.record(
        session,
        action="proposal.flagged",
        actor=user,
        round=funding_round,
        subject=proposal,
        after={"reason": report.reason},
    )
    return report


def on_paper(session: Session, funding_round: FundingRound, project_ids) -> list[Proposal]:
    """The round's proposals with these ids (a ballot paper's or a stored result's project
    ids), in one query: the pages show each one's own texts in the reader's language, where the
    paper and the result keep the one name frozen when voting opened. Whether a proposal's
    text is hidden by moderators is theirs to say (``Proposal.is_hidden``: its title stays
    on the fixed ballot, its summary does not)."""
    ids = [int(i) for i in project_ids]
    if not ids:
        return []
    return list(
        session.scalars(
            select(Proposal).where(Proposal.round_id == funding_round.id, Proposal.id.in_(ids))
        )
    )


def _supports_open(session: Session, proposal: Proposal, user: User) -> None:
    funding_round = proposal.round
    _require_resident(user, funding_round)
    phase = lock_round(session, funding_round)
    if not _taking_supports(funding_round, phase):
        raise WrongPhase(
            N_("You can support proposals only while the round is collecting supports")
        )
    if not _supportable(proposal):
        raise DomainError(N_("Only proposals found feasible can be supported"))


def support(session: Session, proposal: Proposal, *, user: User) -> bool:
    """Support a proposal; False if this resident already supports it (the database's unique
    constraint decides when two requests race)."""
    _supports_open(session, proposal, user)
    _require_confirmed_email(user, "support")
    try:
        with session.begin_nested():
            session.add(Support(proposal_id=proposal.id, user_id=user.id))
    except IntegrityError:
        return False
    return True


def supports(session: Session, proposal: Proposal, user: User) -> bool:
    """Whether this resident supports the proposal."""
    found = session.scalar(
        select(Support.id).where(Support.proposal_id == proposal.id, Support.user_id == user.id)
    )
    return found is not None


def unsupport(session: Session, proposal: Proposal, *, user: User) -> bool:
    _supports_open(session, proposal, user)
    existing = session.scalar(
        select(Support).where(Support.proposal_id == proposal.id, Support.user_id == user.id)
    )
    if existing is None:
        return False
    session.delete(existing)
    session.flush()
    return True


# --- What the public sees, and who may do what with a proposal -----------------------------

# Proposals a round lists publicly: not withdrawn, not hidden by their status. Merged ones
# stay, pointing to the proposal they joined.
PUBLIC_STATUSES = (
    ProposalStatus.SUBMITTED,
    ProposalStatus.FEASIBLE,
    ProposalStatus.NOT_FEASIBLE,
    ProposalStatus.MERGED,
)


def public_in_round(funding_round: FundingRound) -> list[ColumnElement[bool]]:
    """The conditions for a round's public proposals, which the round page, the proposal page
    and the open data API all list: a public status, and not hidden by moderators, except
    once voting has opened: a proposal hidden then stays on the fixed ballot (and in its
    results), so it stays listed by its title, with its text hidden."""
    conditions = [Proposal.round_id == funding_round.id, Proposal.status.in_(PUBLIC_STATUSES)]
    if not funding_round.is_frozen:
        conditions.append(Proposal.hidden_at.is_(None))
    return conditions


def is_public(proposal: Proposal) -> bool:
    """Whether a loaded proposal is among its round's public proposals (``public_in_round``)."""
    listed = proposal.status in PUBLIC_STATUSES
    return listed and (proposal.hidden_at is None or proposal.round.is_frozen)


def public_proposals(session: Session, funding_round: FundingRound) -> list[Proposal]:
    """A round's public proposals (``public_in_round``), by id."""
    return list(
        session.scalars(
            select(Proposal).where(*public_in_round(funding_round)).order_by(Proposal.id)
        )
    )


def results_published(funding_round: FundingRound) -> bool:
    """The round's results are public: published, and afterwards while projects are
    delivered."""
    return funding_round.phase in PUBLISHED


def is_funded(session: Session, proposal: Proposal) -> bool:
    """The proposal is funded in its round's published results, in a pot whose figures are
    published (a withheld pot's are not told)."""
    funding_round = proposal.round
    return results_published(funding_round) and proposal.id in funded_ids(
        session, funding_round, shown=True
    )


def _changeable(proposal: Proposal) -> bool:
    """Its author may still change or withdraw it (while proposals are open)."""
    return proposal.status == ProposalStatus.SUBMITTED and not proposal.is_hidden


def _supportable(proposal: Proposal) -> bool:
    return proposal.status == ProposalStatus.FEASIBLE and not proposal.is_hidden


def _taking_supports(funding_round: FundingRound, phase: Phase) -> bool:
    return funding_round.supports_enabled and phase == Phase.SUPPORTS


def can_propose(funding_round: FundingRound, user: User | None) -> bool:
    """Whether the round offers this person (None: not signed in) to propose a project."""
    is_resident = user is not None and user.has_role(funding_round.council_id, Role.RESIDENT)
    return is_resident and funding_round.phase == Phase.PROPOSALS


@dataclass(frozen=True)
class ProposalPermissions:
    """What one person (or the public) may see and do with one proposal, for the views and
    the templates alike."""

    is_author: bool
    is_resident: bool
    is_officer: bool
    can_see: bool  # its page
    shows_text: bool  # its summary and description (hidden by moderators otherwise)
    can_edit: bool  # change or withdraw it
    can_support: bool
    can_report: bool
    can_review: bool


def permissions(proposal: Proposal, user: User | None) -> ProposalPermissions:
    """What ``user`` (None: someone not signed in) may do with ``proposal``. Hidden and
    withdrawn proposals are their author's and the officers' business only."""
    funding_round = proposal.round
    council_id = funding_round.council_id
    is_author = user is not None and proposal.author_id == user.id
    is_officer = user is not None and user.has_role(council_id, Role.OFFICER)
    is_resident = user is not None and user.has_role(council_id, Role.RESIDENT)
    shows_text = not proposal.is_hidden
    return ProposalPermissions(
        is_author=is_author,
        is_resident=is_resident,
        is_officer=is_officer,
        can_see=is_author or is_officer or (is_public(proposal) and shows_text),
        shows_text=shows_text,
        can_edit=is_author and funding_round.phase == Phase.PROPOSALS and _changeable(proposal),
        can_support=is_resident
        and _taking_supports(funding_round, funding_round.phase)
        and _supportable(proposal),
        can_report=is_resident and not is_author and shows_text,
        can_review=is_officer,
    )


# --- Partner contributions --------------------------------------------------------------------


def add_contribution(
    session: Session,
    proposal: Proposal,
    *,
    actor: User,
    partner_name: str,
    kind: ContributionKind,
    amount_pence: int | None,
    description: str,
) -> Contribution:
    """Record a partner's money (which the pot then need not pay) or in-kind help."""
    funding_round = proposal.round
    if kind == ContributionKind.MONEY or funding_round.is_frozen:
        ensure_not_frozen(
            session,
            funding_round,
            actor=actor,
            action="contribution.recorded",
            subject=proposal,
            what=N_("Partner money"),
            field="partner_name",
        )
    if not partner_name.strip():
        raise DomainError(N_("Enter the partner's name"), "partner_name")
    if proposal.status in (
        ProposalStatus.WITHDRAWN,
        ProposalStatus.MERGED,
        ProposalStatus.NOT_FEASIBLE,
    ):
        raise DomainError(NO_PLEDGES[proposal.status], "partner_name")
    if kind == ContributionKind.MONEY:
        if not amount_pence or amount_pence <= 0:
            raise DomainError(N_("Enter the amount pledged, more than £0"), "amount")
        cost = proposal.final_cost_pence or proposal.estimated_cost_pence
        pledged = proposal.money_pledged_pence + amount_pence
        if pledged >= cost:
            raise DomainError(
                N_(
                    "With this, partners would pledge %(pledged)s, which covers the whole cost "
                    "of %(cost)s: a proposal the pot need not pay for does not go to a vote"
                ),
                "amount",
                pledged=Money(pledged),
                cost=Money(cost),
            )
    elif amount_pence is not None and amount_pence < 0:
        raise DomainError(N_("The estimated value must not be negative"), "amount")
    contribution = Contribution(
        proposal=proposal,
        partner_name=partner_name.strip(),
        kind=kind,
        amount_pence=amount_pence,
        description=description.strip(),
        recorded_by_id=actor.id,
    )
    session.add(contribution)
    session.flush()
    audit.record(
        session,
        action="contribution.recorded",
        actor=actor,
        round=funding_round,
        subject=proposal,
        after={
            "partner_name": contribution.partner_name,
            "kind": kind,
            "amount_pence": amount_pence,
            "description": contribution.description,
        },
    )
    return contribution


def remove_contribution(session: Session, contribution: Contribution, *, actor: User) -> None:
    proposal = contribution.proposal
    funding_round = proposal.round
    if contribution.kind == ContributionKind.MONEY or funding_round.is_frozen:
        ensure_not_frozen(
            session,
            funding_round,
            actor=actor,
            action="contribution.removed",
            subject=proposal,
            what=N_("Partner money"),
        )
    before = {
        "partner_name": contribution.partner_name,
        "kind": contribution.kind,
        "amount_pence": contribution.amount_pence,
    }
    session.delete(contribution)
    session.flush()
    session.expire(proposal, ["contributions"])
    audit.record(
        session,
        action="contribution.removed",
        actor=actor,
        round=funding_round,
        subject=proposal,
        before=before,
    )


def merge_candidates(session: Session, proposal: Proposal) -> list[Proposal]:
    """The proposals ``proposal`` can be merged into: the others of its round, less those
    withdrawn or already merged (``merge_proposal`` refuses those), in the round's order."""
    return [
        p
        for p in proposal.round.proposals
        if p.id != proposal.id and p.status not in (ProposalStatus.WITHDRAWN, ProposalStatus.MERGED)
    ]
