"""The network's figures: every council of the deployment that is in the network, its
published rounds side by side, and what each round achieved.

Two kinds of figure, both from stored rows and never from counting ballots on a request:

- **counted** once, when a pot is counted (``tally_round``), and stored beside its result in
  ``pot_figures`` (``figures_document``): how many ballots chose something, and under the
  round's rule and, for contrast, under greedy (most votes first), which projects are funded,
  the money they take and how many of those ballots have at least one of their choices
  funded. A pot withheld for too few ballots gets none: its figures stay withheld here too.
- **live**, read from the tables that change after publication: the turnout stored on closing
  (``round_turnout``), partners' pledges (``contributions``), delivery updates and the
  neighbourhoods' populations.

``network_rounds`` reads all of them for every published round in a handful of statements and
keeps the answer until anything it reads changes (``fingerprint``): the comparison pages ask
for it on every request.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from app.workflow.clock import london_date
from app.workflow.models import (
    AuditEvent,
    Contribution,
    ContributionKind,
    Council,
    DeliveryStatus,
    DeliveryUpdate,
    FundingRound,
    Neighbourhood,
    Phase,
    PhaseDates,
    Pot,
    PotFigures,
    PotResult,
    Proposal,
    RoundTurnout,
    User,
)
from votes.model import Election, TieBreak
from votes.rules import tally
from votes.verify import canonical_json

PUBLISHED = (Phase.PUBLISHED, Phase.DELIVERY)
CONTRAST_RULE = "greedy"
FIGURES_VERSION = 1


def is_equal_shares(rule: str) -> bool:
    """The Method of Equal Shares in any of its completions (``mes``, ``mes-add1``, ...)."""
    return rule.startswith("mes")


# --- Counted once, with the result -------------------------------------------------------------


def figures_document(election: Election, rule: str, tie_break: TieBreak) -> dict[str, Any]:
    """What a pot's ballots say beyond its result: the ballots choosing at least one project
    (``voters``; blank ballots are left out), and for the round's rule and greedy (once if the
    round's rule is greedy) the projects funded, the money they take, how many voters have at
    least one choice funded (``satisfied``) and the funded choices summed over voters; and what
    the pot pays for each of those projects (``costs``)."""
    cost = {p.id: int(p.cost) for p in election.projects}
    choices = [frozenset(c for c in b.choices if c) for b in election.ballots]
    choices = [c for c in choices if c]
    rules = [rule] + ([CONTRAST_RULE] if rule != CONTRAST_RULE else [])
    counted = []
    for name in rules:
        funded = frozenset(tally(election, name, tie_break).selected)
        hits = [len(c & funded) for c in choices]
        counted.append(
            {
                "rule": name,
                "funded": sorted(funded, key=_project_order),
                "spent_pence": sum(cost[p] for p in funded),
                "satisfied": sum(1 for h in hits if h),
                "choices_funded": sum(hits),
            }
        )
    every = sorted({p for c in counted for p in c["funded"]}, key=_project_order)
    return {
        "version": FIGURES_VERSION,
        "ballots": len(election.ballots),
        "voters": len(choices),
        "rules": counted,
        # What the pot pays for each project funded under any of the rules.
        "costs": {p: cost[p] for p in every},
    }


def _project_order(project_id: str) -> tuple[int, str]:
    return (int(project_id), "") if project_id.isdigit() else (0, project_id)


def store_pot_figures(
    session: Session,
    funding_round: FundingRound,
    pot_id: int,
    election: Election,
    rule: str,
    tie_break: TieBreak,
    now: datetime,
) -> PotFigures:
    """Store a counted pot's figures once (kept if stored: they are never changed)."""
    existing = session.scalar(
        select(PotFigures).where(
            PotFigures.round_id == funding_round.id, PotFigures.pot_id == pot_id
        )
    )
    if existing is not None:
        return existing
    row = PotFigures(
        round_id=funding_round.id,
        pot_id=pot_id,
        document=canonical_json(figures_document(election, rule, tie_break)),
        computed_at=now,
    )
    session.add(row)
    return row


def missing_figures(session: Session) -> list[FundingRound]:
    """Counted rounds with a published (not withheld) pot result but no stored figures for it:
    rounds counted before figures were stored, for ``flask network-figures``."""
    stored = select(PotFigures.pot_id).where(PotFigures.round_id == PotResult.round_id)
    ids = session.scalars(
        select(PotResult.round_id)
        .where(PotResult.withheld.is_(False), PotResult.pot_id.not_in(stored))
        .distinct()
    ).all()
    return list(session.scalars(select(FundingRound).where(FundingRound.id.in_(ids))))


def fill_missing_figures(session: Session, now: datetime) -> int:
    """Count again, from the stored ballots and the frozen manifest, each counted pot that has
    a result but no figures, and store them; the number of pots done. A command's work (``flask
    network-figures``), never a page's."""
    from app.workflow import results
    from ballots import box
    from ballots.paper import ballot_paper

    done = 0
    for funding_round in missing_figures(session):
        paper = ballot_paper(funding_round.manifest_json)
        stored = set(
            session.scalars(
                select(PotFigures.pot_id).where(PotFigures.round_id == funding_round.id)
            )
        )
        for row in results.results_for(session, funding_round):
            if row.withheld or row.pot_id in stored:
                continue  # decoded only for a pot that has no figures yet
            election = box.stored_election(session, paper, row.pot_id)
            store_pot_figures(
                session, funding_round, row.pot_id, election, row.rule, TieBreak(row.tie_break), now
            )
            done += 1
    session.flush()
    return done


# --- Read for the pages ------------------------------------------------------------------------


@dataclass(frozen=True)
class Named:
    """A council's or round's texts as written (``app.workflow.languages.shown`` reads them),
    kept apart from the database row so figures can be kept between requests."""

    id: int
    slug: str
    name: str
    language: str
    translations: Mapping[str, Any]

    @property
    def title(self) -> str:  # a round's name is its title
        return self.name


@dataclass(frozen=True)
class Spread:
    """Money a round funded in one neighbourhood (under its rule), and the people there."""

    neighbourhood: Named | None  # None: projects whose neighbourhood is not known
    population: int
    allocated_pence: int

    @property
    def per_resident(self) -> Fraction | None:
        return Fraction(self.allocated_pence, self.population) if self.population else None


class Shares:
    """The shares the pages show, each one count over another (None when there is nothing
    to share): of one round, or summed over rounds (``rounds_counted``, ``funded_count``)."""

    voted: int
    roll: int
    residents: int
    budget_pence: int
    available_pence: int
    allocated_pence: int
    partner_pence: int
    voters: int
    satisfied: int
    delivered: int
    spent_pence: int

    @property
    def rounds_counted(self) -> int:
        return 1

    @property
    def funded_count(self) -> int:
        return len(self.funded)  # type: ignore[attr-defined]

    @property
    def turnout(self) -> Fraction | None:
        return Fraction(self.voted, self.roll) if self.roll else None

    @property
    def per_thousand(self) -> Fraction | None:
        """Voters per 1,000 residents in a round (on average over the rounds)."""
        if not self.residents or not self.rounds_counted:
            return None
        return Fraction(1000 * self.voted, self.residents * self.rounds_counted)

    @property
    def per_resident_pence(self) -> Fraction | None:
        return Fraction(self.budget_pence, self.residents) if self.residents else None

    @property
    def partner_share(self) -> Fraction | None:
        whole = self.allocated_pence + self.partner_pence
        return Fraction(self.partner_pence, whole) if whole else None

    @property
    def satisfied_share(self) -> Fraction | None:
        return Fraction(self.satisfied, self.voters) if self.voters else None

    @property
    def allocated_share(self) -> Fraction | None:
        whole = self.available_pence
        return Fraction(self.allocated_pence, whole) if whole else None

    @property
    def delivered_share(self) -> Fraction | None:
        return Fraction(self.delivered, self.funded_count) if self.funded_count else None

    @property
    def spent_share(self) -> Fraction | None:
        whole = self.allocated_pence
        return Fraction(self.spent_pence, whole) if whole else None


@dataclass(frozen=True)
class RoundFigures(Shares):
    council: Named
    round: Named
    year: int
    closed_on: Any  # the last day of voting (London)
    ballot_kind: str
    rule: str
    budget_pence: int
    residents: int  # the council's neighbourhoods' populations
    voted: int  # people on the roll who voted
    roll: int  # people on the roll
    pots: int
    withheld_pots: int
    ballots: int  # ballots in pots whose figures are published
    voters: int  # of those, ballots that chose at least one project
    satisfied: int  # of those, ballots with at least one choice funded
    funded: tuple[str, ...]  # project (proposal) ids funded by the round's rule
    available_pence: int  # the budgets of the pots whose figures are published
    allocated_pence: int
    greedy: Contrast | None  # the same under greedy, for Equal Shares rounds
    partner_pence: int  # partners' money pledged to funded projects
    delivered: int  # funded projects delivered
    spent_pence: int  # spent so far on funded projects (their latest updates)
    updated: int  # funded projects with at least one delivery update
    spread: tuple[Spread, ...] = field(default=())

    @property
    def reached(self) -> int:
        """Neighbourhoods (known ones) where the round funded something."""
        return sum(1 for s in self.spread if s.neighbourhood is not None and s.allocated_pence)


@dataclass(frozen=True)
class Contrast:
    """A pot's figures had greedy counted its ballots."""

    satisfied: int
    funded: tuple[str, ...]
    allocated_pence: int
    gained: tuple[str, ...]  # funded by the round's rule, not by greedy
    dropped: tuple[str, ...]  # funded by greedy, not by the round's rule

    def satisfied_share(self, voters: int) -> Fraction | None:
        return Fraction(self.satisfied, voters) if voters else None


@dataclass(frozen=True)
class CouncilFigures:
    council: Named
    in_network: bool
    public_rounds: int
    residents: int
    rounds: tuple[RoundFigures, ...]  # published, oldest first

    @property
    def devolved_pence(self) -> int:
        return sum(r.budget_pence for r in self.rounds)

    @property
    def voted(self) -> int:
        return sum(r.voted for r in self.rounds)

    @property
    def funded(self) -> int:
        return sum(len(r.funded) for r in self.rounds)

    @property
    def delivered(self) -> int:
        return sum(r.delivered for r in self.rounds)

    @property
    def allocated_pence(self) -> int:
        return sum(r.allocated_pence for r in self.rounds)

    @property
    def spent_pence(self) -> int:
        return sum(r.spent_pence for r in self.rounds)


@dataclass(frozen=True)
class Network:
    councils: tuple[CouncilFigures, ...]  # every council, by name

    @property
    def members(self) -> tuple[CouncilFigures, ...]:
        return tuple(c for c in self.councils if c.in_network)

    @property
    def rounds(self) -> tuple[RoundFigures, ...]:
        """Every published round of the councils in the network."""
        return tuple(r for c in self.members for r in c.rounds)


def _named(row, field_name: str) -> Named:
    return Named(
        id=row.id,
        slug=row.slug,
        name=getattr(row, field_name),
        language=row.language or "en",
        translations=dict(row.translations or {}),
    )


def _closed_on(voting_ends: datetime | None, opened: datetime | None, created: datetime):
    if voting_ends is not None:
        return london_date(voting_ends - timedelta(seconds=1))
    return london_date(opened or created)


def compute(session: Session, council_id: int | None = None) -> Network:
    """Every council's figures (or one council's), from the stored rows (no ballot is
    read)."""
    which = select(Council).order_by(Council.name)
    places = select(Neighbourhood)
    if council_id is not None:
        which = which.where(Council.id == council_id)
        places = places.where(Neighbourhood.council_id == council_id)
    councils = session.scalars(which).all()
    hoods = {h.id: h for h in session.scalars(places)}
    residents: dict[int, int] = {}
    for h in hoods.values():
        residents[h.council_id] = residents.get(h.council_id, 0) + (h.population or 0)
    # Every public round (for the councils' counts) with the day its voting ends; the columns
    # the figures name, not the manifest.
    public = session.execute(
        select(
            FundingRound.id,
            FundingRound.council_id,
            FundingRound.slug,
            FundingRound.title,
            FundingRound.language,
            FundingRound.translations,
            FundingRound.phase,
            FundingRound.ballot_kind,
            FundingRound.rule,
            FundingRound.total_budget_pence,
            FundingRound.voting_opened_at,
            FundingRound.created_at,
            PhaseDates.ends_at,
        )
        .outerjoin(
            PhaseDates,
            and_(PhaseDates.round_id == FundingRound.id, PhaseDates.phase == Phase.VOTING),
        )
        .where(
            FundingRound.phase != Phase.DRAFT,
            *([FundingRound.council_id == council_id] if council_id is not None else []),
        )
        .order_by(FundingRound.id)
    ).all()
    public_counts: dict[int, int] = {}
    for r in public:
        public_counts[r.council_id] = public_counts.get(r.council_id, 0) + 1
    rounds = [r for r in public if r.phase in PUBLISHED]
    round_ids = [r.id for r in rounds]
    ends = {r.id: r.ends_at for r in rounds}
    turnout = {
        rid: (int(v or 0), int(n or 0))
        for rid, v, n in session.execute(
            select(RoundTurnout.round_id, func.sum(RoundTurnout.voted), func.sum(RoundTurnout.roll))
            .where(RoundTurnout.round_id.in_(round_ids))
            .group_by(RoundTurnout.round_id)
        )
    }
    pots = session.execute(
        select(Pot.id, Pot.round_id, Pot.neighbourhood_id, Pot.budget_pence).where(
            Pot.round_id.in_(round_ids)
        )
    ).all()
    pot_hood = {pid: hood for pid, _rid, hood, _budget in pots}
    pot_budget = {pid: int(budget) for pid, _rid, _hood, budget in pots}
    pot_count: dict[int, int] = {}
    for _pid, rid, _hood, _budget in pots:
        pot_count[rid] = pot_count.get(rid, 0) + 1
    # Each counted pot's result and, unless withheld, its stored figures.
    withheld: dict[int, set[int]] = {}
    documents: dict[int, list[tuple[int, dict]]] = {}
    for rid, pid, held, text in session.execute(
        select(PotResult.round_id, PotResult.pot_id, PotResult.withheld, PotFigures.document)
        .outerjoin(
            PotFigures,
            and_(PotFigures.round_id == PotResult.round_id, PotFigures.pot_id == PotResult.pot_id),
        )
        .where(PotResult.round_id.in_(round_ids))
    ):
        if held:
            withheld.setdefault(rid, set()).add(pid)
        elif text is not None:
            documents.setdefault(rid, []).append((pid, json.loads(text)))
    funded_ids = {
        int(p)
        for docs in documents.values()
        for _pid, d in docs
        for p in d["rules"][0]["funded"]
        if p.isdigit()
    }
    partner = _partner_money(session, funded_ids)
    latest = _latest_updates(session, funded_ids)
    # Only a council-wide pot's projects need placing: a neighbourhood's pot's are in it.
    placed = _project_places(
        session,
        {
            int(p)
            for docs in documents.values()
            for pid, d in docs
            if pot_hood.get(pid) is None
            for p in d["rules"][0]["funded"]
            if p.isdigit()
        },
    )
    cost_of = _funded_costs(documents)

    by_council: dict[int, list[RoundFigures]] = {}
    council_of = {c.id: c for c in councils}
    for r in rounds:
        council = council_of[r.council_id]
        closed_on = _closed_on(ends.get(r.id), r.voting_opened_at, r.created_at)
        docs = documents.get(r.id, [])
        own_funded: list[str] = []
        allocated = satisfied = voters = ballots = available = 0
        greedy_funded: list[str] = []
        greedy_satisfied = greedy_allocated = 0
        spread: dict[int | None, int] = {}
        for pid, d in docs:
            own = d["rules"][0]
            available += pot_budget.get(pid, 0)
            ballots += d["ballots"]
            voters += d["voters"]
            satisfied += own["satisfied"]
            allocated += own["spent_pence"]
            own_funded += own["funded"]
            contrast = d["rules"][1] if len(d["rules"]) > 1 else own
            greedy_funded += contrast["funded"]
            greedy_satisfied += contrast["satisfied"]
            greedy_allocated += contrast["spent_pence"]
            for project in own["funded"]:
                hood = pot_hood.get(pid)
                if hood is None and project.isdigit():
                    hood = placed.get(int(project))
                spread[hood] = spread.get(hood, 0) + cost_of.get((pid, project), 0)
        greedy = None
        if is_equal_shares(r.rule) and docs:
            own_set, greedy_set = set(own_funded), set(greedy_funded)
            greedy = Contrast(
                satisfied=greedy_satisfied,
                funded=tuple(greedy_funded),
                allocated_pence=greedy_allocated,
                gained=tuple(p for p in own_funded if p not in greedy_set),
                dropped=tuple(p for p in greedy_funded if p not in own_set),
            )
        council_hoods = [h for h in hoods.values() if h.council_id == council.id]
        rows = [
            Spread(_named(h, "name"), h.population, spread.get(h.id, 0))
            for h in sorted(council_hoods, key=lambda h: h.name)
        ]
        known = {h.id for h in council_hoods}
        unknown = sum(v for k, v in spread.items() if k not in known)
        if unknown:
            rows.append(Spread(None, 0, unknown))
        numeric = [int(p) for p in own_funded if p.isdigit()]
        updates = [latest[p] for p in numeric if p in latest]
        voted, roll = turnout.get(r.id, (0, 0))
        by_council.setdefault(council.id, []).append(
            RoundFigures(
                council=_named(council, "name"),
                round=_named(r, "title"),
                year=closed_on.year,
                closed_on=closed_on,
                ballot_kind=r.ballot_kind,
                rule=r.rule,
                budget_pence=r.total_budget_pence,
                residents=int(residents.get(council.id, 0)),
                voted=voted,
                roll=roll,
                pots=pot_count.get(r.id, 0),
                withheld_pots=len(withheld.get(r.id, ())),
                ballots=ballots,
                voters=voters,
                satisfied=satisfied,
                funded=tuple(own_funded),
                available_pence=available,
                allocated_pence=allocated,
                greedy=greedy,
                partner_pence=sum(partner.get(p, 0) for p in numeric),
                delivered=sum(1 for u in updates if u[0] == DeliveryStatus.DELIVERED),
                spent_pence=sum(u[1] for u in updates),
                updated=len(updates),
                spread=tuple(rows),
            )
        )
    out = []
    for c in councils:
        mine = sorted(by_council.get(c.id, []), key=lambda f: (f.closed_on, f.round.id))
        out.append(
            CouncilFigures(
                council=_named(c, "name"),
                in_network=bool(c.in_network),
                public_rounds=int(public_counts.get(c.id, 0)),
                residents=int(residents.get(c.id, 0)),
                rounds=tuple(mine),
            )
        )
    return Network(tuple(out))


def _funded_costs(documents: Mapping[int, list[tuple[int, dict]]]) -> dict[tuple[int, str], int]:
    """(pot, project) -> what the pot pays for a project funded under the round's rule or
    greedy, as stored with the pot's figures."""
    return {
        (pid, project): int(cost)
        for docs in documents.values()
        for pid, d in docs
        for project, cost in d.get("costs", {}).items()
    }


def _partner_money(session: Session, proposal_ids: set[int]) -> dict[int, int]:
    if not proposal_ids:
        return {}
    return {
        pid: int(total or 0)
        for pid, total in session.execute(
            select(Contribution.proposal_id, func.sum(Contribution.amount_pence))
            .where(
                Contribution.proposal_id.in_(proposal_ids),
                Contribution.kind == ContributionKind.MONEY,
            )
            .group_by(Contribution.proposal_id)
        )
    }


def _latest_updates(
    session: Session, proposal_ids: set[int]
) -> dict[int, tuple[DeliveryStatus, int]]:
    """Each project's newest delivery update: (status, money spent so far)."""
    if not proposal_ids:
        return {}
    out: dict[int, tuple[DeliveryStatus, int]] = {}
    for pid, status, spent in session.execute(
        select(DeliveryUpdate.proposal_id, DeliveryUpdate.status, DeliveryUpdate.spent_pence)
        .where(DeliveryUpdate.proposal_id.in_(proposal_ids))
        .order_by(DeliveryUpdate.happened_on, DeliveryUpdate.created_at, DeliveryUpdate.id)
    ):
        out[pid] = (status, int(spent))
    return out


def _project_places(session: Session, proposal_ids: set[int]) -> dict[int, int | None]:
    """Where each project of a council-wide pot is: the neighbourhood its point is in, else its
    proposer's home neighbourhood."""
    if not proposal_ids:
        return {}
    return {
        pid: hood or home
        for pid, hood, home in session.execute(
            select(Proposal.id, Proposal.neighbourhood_id, User.home_neighbourhood_id)
            .outerjoin(User, User.id == Proposal.author_id)
            .where(Proposal.id.in_(proposal_ids))
        )
    }


# --- Kept between requests until something it reads changes ----------------------------------

_cache: dict[str, tuple[tuple, Network]] = {}
_lock = threading.Lock()


def fingerprint(session: Session) -> tuple:
    """What the figures depend on, in one statement of index lookups: every officer's change
    writes an audit event (a phase change, a pledge, a delivery update, a council leaving the
    network); the newest row of each table the figures read catches rows written without one
    (a command counting or storing figures, the demo); the neighbourhoods' populations and
    the councils in the network are small tables, read whole."""

    def most(column):
        return select(func.max(column)).scalar_subquery()

    row = session.execute(
        select(
            most(AuditEvent.id),
            most(PotResult.id),
            most(PotFigures.id),
            most(DeliveryUpdate.id),
            most(Contribution.id),
            most(FundingRound.id),
            select(func.coalesce(func.sum(Neighbourhood.population), 0)).scalar_subquery(),
            select(func.count())
            .select_from(Council)
            .where(Council.in_network.is_(True))
            .scalar_subquery(),
        )
    ).one()
    return tuple(row)


def forget() -> None:
    """Drop every kept answer (a database emptied and filled again, as the tests do, can give
    the same fingerprint to other rows)."""
    with _lock:
        _cache.clear()


def network(session: Session, key: str = "default", council_id: int | None = None) -> Network:
    """``compute``'s answer (for every council, or ``council_id``'s alone), kept until
    ``fingerprint`` changes (``key`` keeps one answer per database, for a process serving more
    than one)."""
    mark = fingerprint(session)
    kept_as = f"{key}#{council_id}"
    with _lock:
        kept = _cache.get(kept_as)
    if kept is not None and kept[0] == mark:
        return kept[1]
    answer = compute(session, council_id)
    with _lock:
        _cache[kept_as] = (mark, answer)
    return answer


# --- Choosing and comparing rounds -------------------------------------------------------------


def filtered(
    rounds: Iterable[RoundFigures],
    *,
    years: Sequence[int] = (),
    kinds: Sequence[str] = (),
    councils: Sequence[str] = (),
) -> list[RoundFigures]:
    return [
        r
        for r in rounds
        if (not years or r.year in years)
        and (not kinds or r.ballot_kind in kinds)
        and (not councils or r.council.slug in councils)
    ]


def previous_round(network: Network, figures: RoundFigures) -> RoundFigures | None:
    """The same council's published round before this one (by the day voting closed)."""
    for council in network.councils:
        if council.council.id != figures.council.id:
            continue
        earlier = [
            r
            for r in council.rounds
            if (r.closed_on, r.round.id) < (figures.closed_on, figures.round.id)
        ]
        return earlier[-1] if earlier else None
    return None


def round_figures(network: Network, round_id: int) -> RoundFigures | None:
    for council in network.councils:
        for r in council.rounds:
            if r.round.id == round_id:
                return r
    return None


# --- A council joins or leaves the network view -----------------------------------------------


def set_in_network(session: Session, council: Council, *, joined: bool, actor: User) -> bool:
    """An administrator shows ``council`` on the network's pages or takes it off them (its own
    pages stay as they are); audited. False when it was already so."""
    from app.workflow import audit

    if bool(council.in_network) == joined:
        return False
    council.in_network = joined
    session.flush()
    audit.record(
        session,
        action="council.network_view",
        actor=actor,
        council=council,
        subject=council,
        before={"in_network": not joined},
        after={"in_network": joined},
    )
    return True


# --- The figures as a spreadsheet ----------------------------------------------------------------

CSV_COLUMNS = (
    "council",
    "council_slug",
    "round",
    "round_id",
    "year",
    "voting_closed_on",
    "ballot_kind",
    "rule",
    "budget_pence",
    "residents",
    "voted",
    "roll",
    "turnout",
    "voters_per_1000_residents",
    "budget_per_resident_pence",
    "pots_counted",
    "pots_withheld",
    "ballots_choosing",
    "ballots_with_a_choice_funded",
    "share_with_a_choice_funded",
    "greedy_ballots_with_a_choice_funded",
    "greedy_share_with_a_choice_funded",
    "available_pence",
    "allocated_pence",
    "greedy_allocated_pence",
    "projects_funded",
    "greedy_projects_funded",
    "partner_pence",
    "partner_share",
    "projects_delivered",
    "delivered_share",
    "spent_pence",
    "spent_share",
)


def _decimal(share: Fraction | None, places: int = 4) -> str:
    return "" if share is None else f"{float(share):.{places}f}"


def figures_csv(rounds: Sequence[RoundFigures]) -> bytes:
    """The rounds' figures, a row each: the counts, and each share as a decimal (4 places)
    worked out from them; texts written as the council and round wrote them (their own
    language), escaped so that no spreadsheet runs them."""
    import csv
    import io

    from votes import csv_cells

    out = io.StringIO()
    writer = csv_cells.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(CSV_COLUMNS)
    for r in rounds:
        g = r.greedy
        writer.writerow(
            [
                r.council.name,
                r.council.slug,
                r.round.name,
                r.round.id,
                r.year,
                r.closed_on.isoformat(),
                r.ballot_kind,
                r.rule,
                r.budget_pence,
                r.residents,
                r.voted,
                r.roll,
                _decimal(r.turnout),
                _decimal(r.per_thousand, 1),
                _decimal(r.per_resident_pence, 2),
                r.pots - r.withheld_pots,
                r.withheld_pots,
                r.voters,
                r.satisfied,
                _decimal(r.satisfied_share),
                "" if g is None else g.satisfied,
                "" if g is None else _decimal(g.satisfied_share(r.voters)),
                r.available_pence,
                r.allocated_pence,
                "" if g is None else g.allocated_pence,
                len(r.funded),
                "" if g is None else len(g.funded),
                r.partner_pence,
                _decimal(r.partner_share),
                r.delivered,
                _decimal(r.delivered_share),
                r.spent_pence,
                _decimal(r.spent_share),
            ]
        )
    return out.getvalue().encode("utf-8")
