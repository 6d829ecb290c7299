"""What reaches the ballot: the supports each proposal has, why a proposal would be left off,
the proposals on the ballot (from the manifest once voting has opened), the proposals still
waiting for review, and whether any voter could fill in a valid ballot for a pot."""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.workflow.models import FundingRound, Pot, Proposal, ProposalStatus, Support
from ballots.refusals import N_, Money, Nn_, Number, Text
from votes.model import BallotKind


def support_counts(session: Session, funding_round: FundingRound) -> dict[int, int]:
    """How many supports each of the round's proposals has, by proposal id (none: absent)."""
    return dict(
        session.execute(
            select(Support.proposal_id, func.count())
            .join(Proposal, Proposal.id == Support.proposal_id)
            .where(Proposal.round_id == funding_round.id)
            .group_by(Support.proposal_id)
        ).all()
    )


# Why a proposal that is not feasible is not on the ballot, by its status.
NOT_FEASIBLE_NOW = {
    ProposalStatus.SUBMITTED: N_("it is submitted"),
    ProposalStatus.WITHDRAWN: N_("it is withdrawn"),
    ProposalStatus.NOT_FEASIBLE: N_("it is not feasible"),
    ProposalStatus.MERGED: N_("it is merged"),
    ProposalStatus.HIDDEN: N_("it is hidden"),
}


def ballot_problem(proposal: Proposal, funding_round: FundingRound, supports: int) -> Text | None:
    """Why a proposal would not be on the ballot, or None if it would."""
    if proposal.status != ProposalStatus.FEASIBLE:
        return Text(NOT_FEASIBLE_NOW[proposal.status])
    if proposal.final_cost_pence is None:
        return Text(N_("it has no final cost"))
    if proposal.hidden_at is not None and not funding_round.is_frozen:
        return Text(N_("it is hidden by moderators"))
    if funding_round.supports_enabled and supports < funding_round.support_threshold:
        needed = funding_round.support_threshold
        return Nn_(
            "it has %(supports)s of the %(num)s support needed",
            "it has %(supports)s of the %(num)s supports needed",
            needed,
            supports=Number(supports),
        )
    return None


def ballot_proposals(session: Session, funding_round: FundingRound) -> list[Proposal]:
    """The proposals that reach (or, once voting has opened, are on) the ballot."""
    if funding_round.manifest_json:
        ids = [
            p["id"]
            for pot in json.loads(funding_round.manifest_json)["pots"]
            for p in pot["proposals"]
        ]
        return list(
            session.scalars(select(Proposal).where(Proposal.id.in_(ids)).order_by(Proposal.id))
        )
    counts = support_counts(session, funding_round)
    candidates = session.scalars(
        select(Proposal)
        .where(Proposal.round_id == funding_round.id, Proposal.status == ProposalStatus.FEASIBLE)
        .order_by(Proposal.id)
    )
    return [p for p in candidates if ballot_problem(p, funding_round, counts.get(p.id, 0)) is None]


def impossible_ballot(
    funding_round: FundingRound, pot: Pot, on_ballot: Sequence[Proposal]
) -> Text | None:
    """Why no voter could fill in a valid ballot for ``pot``, or None if one could.

    A pot with nothing on its ballot is refused outright (it would only take blank ballots).
    Otherwise, by ballot kind: approval and ranked ballots need at least ``min_choices``
    projects (at least one when blank ballots are not allowed); budget ballots need that many
    whose costs together fit the pot; points ballots must use every point, so the projects
    must be able to take them all under the per-project limit. Single-choice ballots need one
    project, which the first check gives.
    """
    n = len(on_ballot)
    if n == 0:
        return Text(
            N_(
                "The %(pot)s pot has no project on the ballot, so its voters could only cast "
                "a blank ballot. Review its proposals, or merge the pot into another (Budget "
                "and pots, then Merge a pot into another), before voting opens"
            ),
            pot=pot.name,
        )
    kind = BallotKind(funding_round.ballot_kind)
    if kind == BallotKind.CUMULATIVE:
        points, cap = funding_round.points or 0, funding_round.max_points_per_project
        if cap is not None and n * cap < points:
            return Text(
                N_(
                    "In the %(pot)s pot no ballot could be valid: every voter must use all "
                    "%(points)s points, at most %(cap)s on one project, but only %(projects)s "
                    "can take points (%(most)s at most)"
                ),
                pot=pot.name,
                points=points,
                cap=cap,
                projects=_projects(n),
                most=n * cap,
            )
        return None
    if kind == BallotKind.SINGLE:
        return None
    need = funding_round.min_choices or 0
    if not funding_round.allow_blank_ballots:
        need = max(need, 1)
    if need > n:
        if kind == BallotKind.RANKED:
            return Nn_(
                "In the %(pot)s pot no ballot could be valid: every voter must rank at least "
                "%(need)s, but only %(projects)s is on the ballot",
                "In the %(pot)s pot no ballot could be valid: every voter must rank at least "
                "%(need)s, but only %(projects)s are on the ballot",
                n,
                pot=pot.name,
                need=_projects(need),
                projects=_projects(n),
            )
        return Nn_(
            "In the %(pot)s pot no ballot could be valid: every voter must choose at least "
            "%(need)s, but only %(projects)s is on the ballot",
            "In the %(pot)s pot no ballot could be valid: every voter must choose at least "
            "%(need)s, but only %(projects)s are on the ballot",
            n,
            pot=pot.name,
            need=_projects(need),
            projects=_projects(n),
        )
    if kind == BallotKind.KNAPSACK and need:
        cheapest = sorted(p.cost_to_pot_pence for p in on_ballot)[:need]
        if sum(cheapest) > pot.budget_pence:
            return Nn_(
                "In the %(pot)s pot no ballot could be valid: every voter must choose at least "
                "%(need)s that fit the pot's %(budget)s, but the cheapest project costs "
                "%(cost)s",
                "In the %(pot)s pot no ballot could be valid: every voter must choose at least "
                "%(need)s that fit the pot's %(budget)s, but the %(num)s cheapest cost %(cost)s",
                need,
                pot=pot.name,
                need=_projects(need),
                budget=Money(pot.budget_pence),
                cost=Money(sum(cheapest)),
            )
    return None


def _projects(n: int) -> Text:
    return Nn_("%(num)s project", "%(num)s projects", n)


def unreviewed_proposals(session: Session, funding_round: FundingRound) -> list[Proposal]:
    """Proposals still waiting for an officer's review: they cannot be on the ballot."""
    return list(
        session.scalars(
            select(Proposal)
            .where(
                Proposal.round_id == funding_round.id,
                Proposal.status == ProposalStatus.SUBMITTED,
            )
            .order_by(Proposal.pot_id, Proposal.id)
        )
    )


def left_off_ballot(session: Session, funding_round: FundingRound) -> list[tuple[Proposal, Text]]:
    """Reviewed proposals that will not be on the ballot and why (not feasible, merged, too
    few supports, hidden), for the officer confirming that voting opens."""
    counts = support_counts(session, funding_round)
    rows = session.scalars(
        select(Proposal)
        .where(
            Proposal.round_id == funding_round.id,
            Proposal.status.not_in([ProposalStatus.SUBMITTED, ProposalStatus.WITHDRAWN]),
        )
        .order_by(Proposal.pot_id, Proposal.id)
    )
    out = []
    for p in rows:
        why = ballot_problem(p, funding_round, counts.get(p.id, 0))
        if why:
            out.append((p, why))
    return out
