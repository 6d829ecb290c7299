"""Tallies: counting every pot of a closed round with ``votes`` and storing the result.

A pot's result records what it was counted from (the manifest hash and the ballot log's head,
after the close entry), the rule and tie-breaking, the number of ballots and the outcome as
canonical JSON (``votes.verify.result_document``), explanations included. Counting is
deterministic, so a re-run must give the same outcome byte for byte; a stored result is never
overwritten.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.workflow import network
from app.workflow.errors import DomainError, WrongPhase
from app.workflow.models import FundingRound, Phase, PotResult
from app.workflow.text import money as format_money
from ballots import box
from ballots.models import LogEntry, LogKind
from ballots.paper import PotPaper, ballot_paper
from ballots.phases import COUNTABLE
from ballots.refusals import N_, Text
from votes.model import BallotKind, Election, TieBreak
from votes.rules import RULES, tally
from votes.rules.explain import percent
from votes.verify import canonical_json, result_document, same_count

# How the pages and the officers' checks name each tie-break.
TIE_BREAK_LABELS = {
    TieBreak.COST_VOTES: N_("Cheaper project first, then more votes"),
    TieBreak.LEXICOGRAPHIC: N_("Lower project number first"),
}

PUBLISHED = (Phase.PUBLISHED, Phase.DELIVERY)


def results_for(session: Session, funding_round: FundingRound) -> list[PotResult]:
    """The round's stored pot results, in pot order."""
    rows = session.scalars(select(PotResult).where(PotResult.round_id == funding_round.id)).all()
    order = {p.id: (p.position, p.id) for p in funding_round.pots}
    return sorted(rows, key=lambda r: order.get(r.pot_id, (0, r.pot_id)))


def missing_results(session: Session, funding_round: FundingRound) -> list[str]:
    """Names of the round's pots that have no stored result."""
    done = {r.pot_id for r in results_for(session, funding_round)}
    return [p.name for p in funding_round.pots if p.id not in done]


def _count(
    session: Session, funding_round: FundingRound, pot_id: int
) -> tuple[Election, dict[str, Any]]:
    # The frozen manifest's rule and tie-break, never the round's live settings: what voters
    # were told when voting opened is how their ballots are counted.
    paper = ballot_paper(funding_round.manifest_json)
    election = box.stored_election(session, paper, pot_id)
    outcome = tally(election, paper.rule, TieBreak(paper.tie_break), money=format_money)
    return election, result_document(election, outcome)


def publishing_minimum(funding_round: FundingRound) -> int:
    """The fewest ballots for a pot's figures to be published: as frozen in the manifest
    (manifests frozen before it was recorded: the round's setting, fixed since voting
    opened)."""
    frozen = json.loads(funding_round.manifest_json).get("min_ballots_to_publish")
    return funding_round.min_ballots_to_publish if frozen is None else int(frozen)


def publish_head(session: Session, funding_round: FundingRound) -> LogEntry:
    """Store the sealed log's head as the round's published fingerprint (once; the database
    refuses to change it after), or refuse if the log has changed since it was published."""
    head = box.log_head(session, funding_round.id)
    if head is None:
        raise DomainError(N_("This round has no ballot log, so there is nothing to count."))
    if head.kind is not LogKind.CLOSE:
        raise DomainError(N_("The ballot log is not sealed yet, so there is nothing to count."))
    if funding_round.log_head_hash is None:
        # Published from now on: the round page, the results, the API and every export show
        # it, and the database refuses to change it.
        session.execute(
            update(FundingRound)
            .where(FundingRound.id == funding_round.id, FundingRound.log_head_hash.is_(None))
            .values(log_head_hash=head.entry_hash)
            .execution_options(synchronize_session=False)
        )
        session.refresh(funding_round, ["log_head_hash"])
    if funding_round.log_head_hash != head.entry_hash:
        raise DomainError(
            N_(
                "The ballot log's head is not the one published when voting closed: the log has "
                "changed since."
            )
        )
    return head


def tally_round(session: Session, funding_round: FundingRound, now: datetime) -> list[PotResult]:
    """Count every pot of a closed round and store each result (or check a stored one).

    Raises ``WrongPhase`` while voting is open (there is never a running tally) or before it,
    ``DomainError`` for a round that never froze a manifest, and ``DomainError`` if a re-run
    does not reproduce a stored result (which would mean the ballots or the log changed).
    """
    if funding_round.phase not in COUNTABLE:
        raise WrongPhase(
            N_("Votes are counted only after voting has closed: this round is in %(phase)s."),
            phase=Text(funding_round.phase.label).lowered(),
        )
    if not funding_round.manifest_json:
        raise DomainError(N_("This round never opened voting, so there is nothing to count."))
    head = publish_head(session, funding_round)
    stored = {r.pot_id: r for r in results_for(session, funding_round)}
    out = []
    paper_pots = [p.id for p in ballot_paper(funding_round.manifest_json).pots]
    for pot_id in paper_pots:
        election, document = _count(session, funding_round, pot_id)
        text = canonical_json(document)
        existing = stored.get(pot_id)
        withheld = document["ballots"] < publishing_minimum(funding_round)
        if not withheld:
            # What the network's pages read instead of counting again (a pot counted before
            # they were stored gets them now).
            network.store_pot_figures(
                session,
                funding_round,
                pot_id,
                election,
                document["rule"],
                TieBreak(document["tie_break"]),
                now,
            )
        if existing is not None:
            if (
                not same_count(document, json.loads(existing.outcome_json))
                or existing.log_head_hash != head.entry_hash
            ):
                raise DomainError(
                    N_(
                        "Counting pot %(pot)s again gave a different result from the one "
                        "stored on closing: the ballots or the ballot log have changed."
                    ),
                    pot=pot_id,
                )
            out.append(existing)
            continue
        row = PotResult(
            round_id=funding_round.id,
            pot_id=pot_id,
            rule=document["rule"],
            tie_break=document["tie_break"],
            manifest_hash=funding_round.manifest_hash,
            log_head_hash=head.entry_hash,
            ballot_count=document["ballots"],
            withheld=withheld,
            outcome_json=text,
            computed_at=now,
        )
        session.add(row)
        out.append(row)
    session.flush()
    record_turnout(session, funding_round)
    return out


@dataclass(frozen=True)
class Explained:
    """A project's explanation and the language it is written in."""

    text: str
    language: str


ENGLISH = "en"  # the language of ``ProjectRow.explanation``, as every result stores it


@dataclass(frozen=True)
class ProjectRow:
    id: int
    name: str
    cost_pence: int
    funded: bool
    votes: int  # ballots that chose it
    points: int | None  # what the rule counted, when it counted points
    explanation: str  # in English
    # Equal Shares only: its supporters' money over its cost when the count decided it.
    effective_support: Fraction | None = None
    # The explanation in each other language the stored result has (its ``translations``):
    # language code -> text. Results stored before there were translations have none.
    explanations: dict[str, str] = field(default_factory=dict, hash=False)

    @property
    def effective_support_text(self) -> str:
        return "–" if self.effective_support is None else percent(self.effective_support)

    def explanation_in(self, language: str) -> Explained:
        """The explanation in ``language`` when the stored result has it, else in English."""
        text = self.explanations.get(language) if language != ENGLISH else None
        if text:
            return Explained(text, language)
        return Explained(self.explanation, ENGLISH)


@dataclass(frozen=True)
class EqualSharesView:
    """How an Equal Shares count shared out the money: what each voter started with and,
    after the budget search, the share the count used; what the completion step spent."""

    ballots: int
    share_pence: Fraction  # the share each voter held in the count
    first_share_pence: Fraction | None  # mes-add1: B/n, where the search started
    completion_pence: Fraction | None  # mes-greedy: spent after Equal Shares stopped

    @property
    def started_pence(self) -> Fraction:
        """The share each voter started with: B/n (the pages show it as money in their
        language)."""
        return self.first_share_pence or self.share_pence

    @property
    def rose(self) -> bool:
        return self.first_share_pence is not None and self.share_pence > self.first_share_pence


@dataclass(frozen=True)
class PotView:
    """A pot's published result, shaped for pages and the API."""

    result: PotResult
    name: str
    budget_pence: int
    ballots: int
    withheld: bool
    allocated_pence: int
    projects: tuple[ProjectRow, ...]  # empty when withheld
    equal_shares: EqualSharesView | None = None  # Equal Shares rules, when not withheld

    @property
    def counts_points(self) -> bool:
        """The rule counted points (cumulative, or ranks turned into points)."""
        return any(p.points is not None for p in self.projects)

    @property
    def funded(self) -> list[ProjectRow]:
        return [p for p in self.projects if p.funded]

    @property
    def unfunded(self) -> list[ProjectRow]:
        return [p for p in self.projects if not p.funded]


def pot_view(result: PotResult) -> PotView:
    document = json.loads(result.outcome_json)
    translations = _translations(document)
    projects = tuple(
        sorted(
            (
                ProjectRow(
                    id=int(p["id"]),
                    name=p["name"],
                    cost_pence=int(p["cost_pence"]),
                    funded=p["funded"],
                    votes=p["votes"],
                    points=p["points"],
                    explanation=p["explanation"],
                    effective_support=_fraction(p.get("effective_support")),
                    explanations={
                        code: texts[p["id"]]
                        for code, texts in translations.items()
                        if isinstance(texts.get(p["id"]), str)
                    },
                )
                for p in document["projects"]
            ),
            key=lambda p: (not p.funded, -(p.points if p.points is not None else p.votes), p.id),
        )
    )
    return PotView(
        result=result,
        name=result.pot.name,
        budget_pence=int(document["budget_pence"]),
        ballots=result.ballot_count,
        withheld=result.withheld,
        allocated_pence=int(document["total_cost_pence"]),
        projects=() if result.withheld else projects,
        equal_shares=None if result.withheld else _equal_shares(document.get("equal_shares")),
    )


def _translations(document: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """The stored explanations in other languages, by language (none in older results)."""
    kept = document.get("translations")
    if not isinstance(kept, Mapping):
        return {}
    return {str(code): texts for code, texts in kept.items() if isinstance(texts, Mapping)}


def _fraction(value: int | str | None) -> Fraction | None:
    return None if value is None else Fraction(value)


def _equal_shares(facts: dict[str, Any] | None) -> EqualSharesView | None:
    # Results stored before Equal Shares facts were recorded have none: the page then says
    # only what the explanations say.
    if not facts:
        return None
    return EqualSharesView(
        ballots=facts["ballots"],
        share_pence=Fraction(facts["share_pence"]),
        first_share_pence=_fraction(facts.get("first_share_pence")),
        completion_pence=_fraction(facts.get("completion_pence")),
    )


def published_views(session: Session, funding_round: FundingRound) -> list[PotView]:
    """Each pot's result once the round's results are published; nothing before."""
    if funding_round.phase not in PUBLISHED:
        return []
    return [pot_view(r) for r in results_for(session, funding_round)]


# --- Turnout ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Turnout:
    neighbourhood: str
    voted: int  # people on the roll who cast a ballot in at least one pot
    roll: int  # people on the roll that applies to the round
    # The neighbourhood's row, for its name in each language it is written in.
    place: Any = field(default=None, compare=False)

    @property
    def percent(self) -> str:
        return f"{100 * self.voted / self.roll:.1f}%" if self.roll else "–"


def _count_turnout(session: Session, funding_round: FundingRound) -> dict[int, tuple[int, int]]:
    """Neighbourhood id -> (voted, on the roll), counted from the marks and the roll."""
    from sqlalchemy import func

    from ballots.models import RollEntry, VoterMark
    from ballots.roll import roll_scope_for

    scope = roll_scope_for(session, funding_round.id)
    roll = dict(
        session.execute(
            select(RollEntry.neighbourhood_id, func.count())
            .where(RollEntry.council_id == funding_round.council_id, RollEntry.scope == scope)
            .group_by(RollEntry.neighbourhood_id)
        ).all()
    )
    voted = dict(
        session.execute(
            select(RollEntry.neighbourhood_id, func.count(func.distinct(VoterMark.roll_entry_id)))
            .join(RollEntry, RollEntry.id == VoterMark.roll_entry_id)
            .where(VoterMark.round_id == funding_round.id)
            .group_by(RollEntry.neighbourhood_id)
        ).all()
    )
    return {
        h: (voted.get(h, 0), roll.get(h, 0))
        for h in set(roll) | set(voted)
        if roll.get(h) or voted.get(h)
    }


def record_turnout(session: Session, funding_round: FundingRound) -> None:
    """Store the round's turnout by neighbourhood once voting has closed (kept if stored)."""
    from app.workflow.models import RoundTurnout

    if session.scalar(
        select(RoundTurnout.round_id).where(RoundTurnout.round_id == funding_round.id).limit(1)
    ):
        return
    for hood_id, (voted, roll) in sorted(_count_turnout(session, funding_round).items()):
        session.add(
            RoundTurnout(
                round_id=funding_round.id, neighbourhood_id=hood_id, voted=voted, roll=roll
            )
        )
    session.flush()


def turnout_by_neighbourhood(session: Session, funding_round: FundingRound) -> list[Turnout]:
    """How many people on the round's roll voted, per neighbourhood: counts only, from the
    voter marks (which say who voted, never how), as stored when voting closed (rounds closed
    before they were stored: counted now). Empty before results are published."""
    if funding_round.phase not in PUBLISHED:
        return []
    return counted_turnout(session, funding_round)


def counted_turnout(session: Session, funding_round: FundingRound) -> list[Turnout]:
    """``turnout_by_neighbourhood`` once voting has closed, published or not: for the
    officers, who may show the results (turnout first) before publishing them. Empty while
    voting is open or before."""
    from app.workflow.models import Neighbourhood, RoundTurnout

    if funding_round.phase not in COUNTABLE:
        return []
    stored = session.execute(
        select(Neighbourhood, RoundTurnout.voted, RoundTurnout.roll)
        .join(Neighbourhood, Neighbourhood.id == RoundTurnout.neighbourhood_id)
        .where(RoundTurnout.round_id == funding_round.id)
        .order_by(Neighbourhood.name)
    ).all()
    if stored:
        return [Turnout(h.name, voted, roll, h) for h, voted, roll in stored]
    counted = _count_turnout(session, funding_round)
    hoods = session.scalars(
        select(Neighbourhood)
        .where(Neighbourhood.id.in_(list(counted)))
        .order_by(Neighbourhood.name)
    )
    return [Turnout(h.name, *counted[h.id], h) for h in hoods]


# --- Ballots by channel ----------------------------------------------------------------------

# The ways a ballot is cast, in the order the pages give them.
CHANNELS = ("online", "event", "paper")


def turnout_by_channel(
    session: Session, funding_round: FundingRound
) -> dict[int | None, dict[str, int]]:
    """How many ballots were cast online, at a voting event and on paper: per pot of the
    round (every pot, with zeros) and for the whole round (key None). Counts of the voter
    marks only (which say who voted and how, never what), grouped in one statement. Empty
    until voting has closed: nobody sees a count while it is open."""
    from sqlalchemy import func

    from ballots.models import VoterMark

    if funding_round.phase.index <= Phase.VOTING.index:
        return {}
    out: dict[int | None, dict[str, int]] = {
        key: dict.fromkeys(CHANNELS, 0) for key in [*(p.id for p in funding_round.pots), None]
    }
    for pot_id, channel, n in session.execute(
        select(VoterMark.pot_id, VoterMark.channel, func.count())
        .where(VoterMark.round_id == funding_round.id)
        .group_by(VoterMark.pot_id, VoterMark.channel)
    ):
        out.setdefault(pot_id, dict.fromkeys(CHANNELS, 0))[str(channel)] += n
        out[None][str(channel)] += n
    return out


def shown_by_channel(
    session: Session, funding_round: FundingRound
) -> dict[int | None, dict[str, int]]:
    """``turnout_by_channel`` as the pages show it: the round's figures, and a pot's only
    when the pot has at least the round's ``min_ballots_to_publish`` ballots, as its
    results are (a smaller pot's figures are withheld, split by channel too)."""
    counts = turnout_by_channel(session, funding_round)
    least = (
        publishing_minimum(funding_round)
        if funding_round.manifest_json
        else funding_round.min_ballots_to_publish
    )
    return {
        key: by_channel
        for key, by_channel in counts.items()
        if key is None or sum(by_channel.values()) >= least
    }


def published_by_channel(
    session: Session, funding_round: FundingRound
) -> dict[int | None, dict[str, int]]:
    """``shown_by_channel`` once the round's results are published; nothing before."""
    if funding_round.phase not in PUBLISHED:
        return {}
    return shown_by_channel(session, funding_round)


# --- What if another rule had counted? --------------------------------------------------------

WHAT_IF_RULES = ("greedy", "mes", "phragmen")


@dataclass(frozen=True)
class WhatIfPot:
    name: str
    ballots: int
    rules: tuple[str, ...]  # the round's own rule first
    # name, cost, funded under each rule, and the project's id (its proposal's)
    projects: tuple[tuple[str, int, tuple[bool, ...], int], ...]
    pot_id: int = 0

    def differs(self, row: tuple[str, int, tuple[bool, ...], int], column: int) -> bool:
        return row[2][column] != row[2][0]


def what_if(session: Session, funding_round: FundingRound) -> list[WhatIfPot]:
    """Per pot, what the round's rule and greedy, Method of Equal Shares and Phragmén (those the
    ballot kind has) fund from the same stored ballots. Published rounds only."""
    from votes.rules import RULES

    if funding_round.phase not in PUBLISHED:
        raise WrongPhase(N_("The comparison is available once the results are published."))
    paper = ballot_paper(funding_round.manifest_json)
    out = []
    for pot in paper.pots:
        election = box.stored_election(session, paper, pot.id)
        valid = RULES.get(election.kind, ())
        names = (paper.rule,) + tuple(r for r in WHAT_IF_RULES if r in valid and r != paper.rule)
        chosen = [set(tally(election, r, TieBreak(paper.tie_break)).selected) for r in names]
        out.append(
            WhatIfPot(
                name=pot.name,
                ballots=len(election.ballots),
                rules=names,
                projects=tuple(
                    (p.name, int(p.cost), tuple(p.id in c for c in chosen), int(p.id))
                    for p in pot.projects
                ),
                pot_id=pot.id,
            )
        )
    return out


# --- The public comparison of rules ----------------------------------------------------------

# Beside the round's own rule: most votes first and Equal Shares for every ballot kind, and
# Phragmén where the ballot is a list of approved projects (it has no meaning for points or
# ranks).
COMPARED_RULES = ("greedy", "mes", "phragmen")
UNKNOWN_NEIGHBOURHOOD = N_("Neighbourhood not known")  # the pages translate it


@dataclass(frozen=True)
class RuleOutcome:
    """What one rule funds in a pot, and how the voters fare under it."""

    rule: str
    funded: frozenset[str]  # project ids
    spent_pence: int
    voters: int  # ballots that chose at least one project
    none_funded: int  # of those, ballots none of whose choices is funded
    choices_funded: int  # funded choices, summed over those ballots

    @property
    def none_funded_share(self) -> Fraction | None:
        return Fraction(self.none_funded, self.voters) if self.voters else None

    @property
    def average_funded(self) -> Fraction | None:
        return Fraction(self.choices_funded, self.voters) if self.voters else None


@dataclass(frozen=True)
class ComparedProject:
    id: str
    name: str
    cost_pence: int
    neighbourhood: str | None  # council-wide pots only: where the project is
    funded: tuple[bool, ...]  # under each rule, the round's own first

    def differs(self, column: int) -> bool:
        """Whether the rule in ``column`` decides this project differently from the round's."""
        return self.funded[column] != self.funded[0]


@dataclass(frozen=True)
class NeighbourhoodSpending:
    neighbourhood: str
    spent_pence: tuple[int, ...]  # under each rule, the round's own first

    @property
    def unknown(self) -> bool:
        """The projects whose neighbourhood is not known (``UNKNOWN_NEIGHBOURHOOD``)."""
        return self.neighbourhood == UNKNOWN_NEIGHBOURHOOD

    def differs(self, column: int) -> bool:
        return self.spent_pence[column] != self.spent_pence[0]


@dataclass(frozen=True)
class PotComparison:
    """One pot counted with the round's rule and the others of ``COMPARED_RULES`` its ballot
    kind has. A withheld pot (too few ballots to publish) has no outcomes and no projects."""

    pot_id: int
    name: str
    ballots: int
    budget_pence: int
    withheld: bool
    council_wide: bool
    rules: tuple[str, ...] = ()  # the round's own rule first
    outcomes: tuple[RuleOutcome, ...] = ()
    projects: tuple[ComparedProject, ...] = ()
    spending: tuple[NeighbourhoodSpending, ...] = ()  # council-wide pots only

    @property
    def agree(self) -> bool:
        """Every rule funds exactly what the round's rule funds."""
        return all(o.funded == self.outcomes[0].funded for o in self.outcomes)


def compared_rules(rule: str, kind: BallotKind) -> tuple[str, ...]:
    """The round's rule, then each of ``COMPARED_RULES`` the ballot kind has, without repeats."""
    valid = RULES.get(kind, ())
    return (rule,) + tuple(r for r in COMPARED_RULES if r in valid and r != rule)


def compare_pot(
    election: Election,
    pot: PotPaper,
    rule: str,
    tie_break: TieBreak,
    neighbourhoods: Mapping[str, str | None] | None = None,
) -> PotComparison:
    """Count one pot with the round's ``rule`` and the rules beside it, from the same ballots.

    ``neighbourhoods`` (project id -> neighbourhood name, None when not known) is given for a
    council-wide pot, whose spending is then summed by neighbourhood; None for a
    neighbourhood's own pot. A voter's choices are the projects their ballot names (ticked,
    ranked or given points); blank ballots are left out of the voters' figures.
    """
    rules = compared_rules(rule, election.kind)
    cost = {p.id: int(p.cost) for p in pot.projects}
    choices = [frozenset(c for c in b.choices if c) for b in election.ballots]
    choices = [c for c in choices if c]
    outcomes = []
    for name in rules:
        funded = frozenset(tally(election, name, tie_break).selected)
        hits = [len(c & funded) for c in choices]
        outcomes.append(
            RuleOutcome(
                rule=name,
                funded=funded,
                spent_pence=sum(cost[pid] for pid in funded),
                voters=len(choices),
                none_funded=sum(1 for h in hits if h == 0),
                choices_funded=sum(hits),
            )
        )
    council_wide = neighbourhoods is not None
    where = dict(neighbourhoods or {})
    projects = tuple(
        ComparedProject(
            id=p.id,
            name=p.name,
            cost_pence=cost[p.id],
            neighbourhood=where.get(p.id) if council_wide else None,
            funded=tuple(p.id in o.funded for o in outcomes),
        )
        for p in pot.projects
    )
    spending: list[NeighbourhoodSpending] = []
    if council_wide:
        names = sorted({where.get(p.id) or UNKNOWN_NEIGHBOURHOOD for p in pot.projects})
        # "not known" comes last, after the neighbourhoods in alphabetical order
        names.sort(key=lambda n: n == UNKNOWN_NEIGHBOURHOOD)
        for hood in names:
            ids = [p.id for p in pot.projects if (where.get(p.id) or UNKNOWN_NEIGHBOURHOOD) == hood]
            spending.append(
                NeighbourhoodSpending(
                    hood,
                    tuple(sum(cost[i] for i in ids if i in o.funded) for o in outcomes),
                )
            )
    return PotComparison(
        pot_id=pot.id,
        name=pot.name,
        ballots=len(election.ballots),
        budget_pence=pot.budget_pence,
        withheld=False,
        council_wide=council_wide,
        rules=rules,
        outcomes=tuple(outcomes),
        projects=projects,
        spending=tuple(spending),
    )


def project_neighbourhoods(
    session: Session, funding_round: FundingRound, project_ids: list[str]
) -> dict[str, str | None]:
    """Where each project of a council-wide pot is, by neighbourhood name (None: not known).

    A project placed on the map is in the neighbourhood its place is in
    (``Proposal.neighbourhood_id``, set from the address list or the boundaries); else in the
    neighbourhood its location names (one of the council's, as a whole word), else in the
    home neighbourhood of the resident who proposed it.
    """
    import re

    from app.workflow.models import Neighbourhood, Proposal

    hoods = session.scalars(
        select(Neighbourhood).where(Neighbourhood.council_id == funding_round.council_id)
    ).all()
    ids = [int(i) for i in project_ids]
    proposals = session.scalars(select(Proposal).where(Proposal.id.in_(ids))).all()
    out: dict[str, str | None] = {str(i): None for i in ids}
    by_id = {h.id: h for h in hoods}
    for proposal in proposals:
        placed = by_id.get(proposal.neighbourhood_id)
        if placed is not None:
            out[str(proposal.id)] = placed.name
            continue
        named = [
            h.name
            for h in hoods
            if re.search(rf"\b{re.escape(h.name)}\b", proposal.location or "", re.IGNORECASE)
        ]
        home = proposal.author.home_neighbourhood if proposal.author else None
        if len(named) == 1:
            out[str(proposal.id)] = named[0]
        elif home is not None and home.council_id == funding_round.council_id:
            out[str(proposal.id)] = home.name
    return out


def compare_rules(session: Session, funding_round: FundingRound) -> list[PotComparison]:
    """Per pot, what the round's rule and the rules beside it fund from the stored ballots and
    the frozen manifest, with the rule and tie-break each pot's published result was counted
    with. Published rounds only (``WrongPhase`` before); a pot withheld for too few ballots is
    not counted again, and a pot with no stored result is left out."""
    if funding_round.phase not in PUBLISHED:
        raise WrongPhase(N_("The comparison is available once the results are published."))
    paper = ballot_paper(funding_round.manifest_json)
    published = {r.pot_id: r for r in results_for(session, funding_round)}
    out = []
    for pot in paper.pots:
        result = published.get(pot.id)
        if result is None:
            continue
        if result.withheld:
            out.append(
                PotComparison(
                    pot_id=pot.id,
                    name=pot.name,
                    ballots=result.ballot_count,
                    budget_pence=pot.budget_pence,
                    withheld=True,
                    council_wide=pot.neighbourhood is None,
                )
            )
            continue
        election = box.stored_election(session, paper, pot.id)
        where = (
            project_neighbourhoods(session, funding_round, [p.id for p in pot.projects])
            if pot.neighbourhood is None
            else None
        )
        out.append(compare_pot(election, pot, result.rule, TieBreak(result.tie_break), where))
    return out
