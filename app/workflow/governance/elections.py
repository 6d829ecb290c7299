"""Elections at an organisation's general meetings (docs/governance.md, "Elections"): an
officer adds an election to a draft meeting with its constituencies (seats, and the membership
classes voting in each), enters nominations and withdrawals before their deadlines, the chair
opens voting (drawing the ballot order from a random seed written into the manifest) and
closes it, and the result is counted by ``votes.stv`` and declared.

Every function takes a session, the actor and the time, refuses with a ``DomainError`` (or the
ballot box's refusals) saying why, changes nothing when it refuses, and never commits.

**Ballot order.** When an election opens, a seed of 32 random bytes is drawn
(``secrets.token_hex(32)``), stored in ``ballot_seed`` and in the manifest. Each
constituency's candidates are put in the order of ``sha256("<seed>|<constituency id>|<candidate
id>")`` as a hexadecimal string, smallest first (:func:`ballot_order`): anyone with the manifest
can redraw it. The same order is the count's lot (``votes.stv``: earlier in the lot is
favoured).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import secrets
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.workflow import audit
from app.workflow.clock import london_date
from app.workflow.errors import Conflict, DomainError
from app.workflow.governance import proxies
from app.workflow.governance.exports import item_export
from app.workflow.governance.meetings import (
    audit_item,
    is_chair,
    next_position,
    open_item,
    seal_item,
    start_voting,
)
from app.workflow.governance.models import (
    ONE_CLASS_PER_ELECTION,
    ONE_NOMINATION,
    Constituency,
    ConstituencyClass,
    ItemKind,
    ItemState,
    Meeting,
    MeetingItem,
    MeetingState,
    MeetingVoter,
    Nomination,
)
from app.workflow.governance.motions import attendance, quorum_spec
from app.workflow.models import Role, User
from app.workflow.organisations import (
    Member,
    MembershipClass,
    NotAllowed,
    classes_of,
    may_oversee,
    may_run,
    member_by_number,
)
from app.workflow.organisations.common import squashed, unprintable
from ballots import members as box
from ballots.box import violates
from ballots.db import begin_write
from ballots.errors import AlreadyVoted, InvalidBallot
from ballots.models import MemberChannel, MemberLogEntry
from ballots.refusals import N_, Day, Listed
from votes import members as members_count
from votes.blt import write_blt
from votes.canonical import canonical_json

RULES = ("scottish", "meek")
LONGEST_TITLE = 200
LONGEST_STATEMENT = 5000
MOST_SEATS = 100


class NotAVoter(DomainError):
    """This person has no vote in this election. Status 403."""

    status = 403


class WrongState(DomainError):
    """The election is not at the stage this needs. Status 409."""

    status = 409


# --- Who may do what -------------------------------------------------------------------------


def _require_officer(actor: User, meeting: Meeting) -> None:
    if not may_run(actor, meeting.organisation):
        raise NotAllowed(
            N_("Only the officers of %(organisation)s can do this."),
            organisation=meeting.organisation.name,
        )


def may_audit(user: User | None, meeting: Meeting) -> bool:
    """The organisation's officers, its host's officers and its host's auditors."""
    organisation = meeting.organisation
    if may_oversee(user, organisation):
        return True
    council = organisation.council
    return bool(
        council is not None
        and user is not None
        and user.is_authenticated
        and user.has_role(council, Role.AUDITOR)
    )


def find_election(session: Session, organisation_id: int, item_id: int) -> MeetingItem | None:
    """The organisation's election with this id, or None (a motion, or another's)."""
    item = session.get(MeetingItem, item_id)
    if item is None or item.kind is not ItemKind.ELECTION:
        return None
    if item.meeting.organisation_id != organisation_id:
        return None
    return item


# --- Adding an election ----------------------------------------------------------------------


@dataclass(frozen=True)
class ConstituencySpec:
    """A constituency as an officer describes it: its name, seats and the codes of the
    membership classes voting in it."""

    name: str
    seats: int | None
    classes: Sequence[str]


def add_election(
    session: Session,
    meeting: Meeting,
    *,
    actor: User,
    title: str,
    rule: str = "scottish",
    constituencies: Sequence[ConstituencySpec],
    nominations_close_at: datetime | None,
    withdrawals_close_at: datetime | None,
    now: datetime,
) -> MeetingItem:
    """A new election at the end of a draft meeting's agenda, audited.

    Refused (beside the field it concerns) for anyone but the organisation's officers, a
    meeting not in draft, an empty or overlong title, a rule other than ``scottish`` or
    ``meek``, no constituency, a constituency without a name, with seats outside 1 to 100 or
    no class, a class the organisation does not have, a class in two constituencies (the
    constraint ``uq_constituency_classes_item_id_class_id``), a nominations deadline missing,
    past or not before the meeting, a withdrawal deadline before the nominations deadline or
    not before the meeting."""
    _require_officer(actor, meeting)
    begin_write(session)
    if meeting.state is not MeetingState.DRAFT:
        raise WrongState(N_("Elections can be added only while the meeting is a draft."))
    title = squashed(title)
    if not title:
        raise DomainError(N_("Enter the election's title."), "title")
    if len(title) > LONGEST_TITLE or unprintable(title):
        raise DomainError(
            N_("The title must be %(most)s printable characters or fewer."),
            "title",
            most=LONGEST_TITLE,
        )
    if rule not in RULES:
        raise DomainError(N_("Choose Scottish STV or Meek STV."), "rule")
    _check_deadlines(meeting, nominations_close_at, withdrawals_close_at, now)
    if not constituencies:
        raise DomainError(N_("Add at least one constituency."), "name")
    known = {c.code: c for c in classes_of(session, meeting.organisation)}
    checked = [_checked_constituency(spec, known) for spec in constituencies]
    _one_constituency_per_class([classes for _, _, classes in checked])
    item = MeetingItem(
        meeting=meeting,
        position=next_position(session, meeting),
        kind=ItemKind.ELECTION,
        title=title,
        rule=rule,
        nominations_close_at=nominations_close_at,
        withdrawals_close_at=withdrawals_close_at,
    )
    session.add(item)
    session.flush()
    for name, seats, classes in checked:
        _store_constituency(session, item, name, seats, classes)
    audit.record(
        session,
        action="election.created",
        actor=actor,
        organisation=meeting.organisation,
        subject=item,
        after={
            "meeting": meeting.id,
            "title": title,
            "rule": rule,
            "nominations_close_at": nominations_close_at,
            "withdrawals_close_at": withdrawals_close_at,
            "constituencies": [
                {"name": n, "seats": s, "classes": [c.code for c in cs]} for n, s, cs in checked
            ],
        },
    )
    return item


def add_constituency(
    session: Session, item: MeetingItem, *, actor: User, spec: ConstituencySpec, now: datetime
) -> Constituency:
    """One more constituency of a draft election at a draft meeting, audited; refused as
    ``add_election`` refuses one, and for a class already voting in another of its
    constituencies."""
    meeting = item.meeting
    _require_officer(actor, meeting)
    begin_write(session)
    if meeting.state is not MeetingState.DRAFT or item.state is not ItemState.DRAFT:
        raise WrongState(N_("Constituencies can be added only while the meeting is a draft."))
    known = {c.code: c for c in classes_of(session, meeting.organisation)}
    name, seats, classes = _checked_constituency(spec, known)
    taken = [[cc.membership_class for cc in c.classes] for c in item.constituencies]
    _one_constituency_per_class([*taken, classes])
    constituency = _store_constituency(session, item, name, seats, classes)
    audit.record(
        session,
        action="election.constituency_added",
        actor=actor,
        organisation=meeting.organisation,
        subject=item,
        after={"name": name, "seats": seats, "classes": [c.code for c in classes]},
    )
    return constituency


def _check_deadlines(meeting, nominations, withdrawals, now) -> None:
    if nominations is None:
        raise DomainError(N_("Enter when nominations close."), "nominations_day")
    if nominations <= now:
        raise DomainError(N_("Nominations must close in the future."), "nominations_day")
    if nominations >= meeting.starts_at:
        raise DomainError(
            N_("Nominations must close before the meeting, on %(day)s."),
            "nominations_day",
            day=Day(london_date(meeting.starts_at)),
        )
    if withdrawals is None:
        raise DomainError(N_("Enter when withdrawals close."), "withdrawals_day")
    if withdrawals < nominations:
        raise DomainError(
            N_("Withdrawals must close when nominations close or after."), "withdrawals_day"
        )
    if withdrawals >= meeting.starts_at:
        raise DomainError(
            N_("Withdrawals must close before the meeting, on %(day)s."),
            "withdrawals_day",
            day=Day(london_date(meeting.starts_at)),
        )


def _checked_constituency(
    spec: ConstituencySpec, known: Mapping[str, MembershipClass]
) -> tuple[str, int, list[MembershipClass]]:
    name = squashed(spec.name)
    if not name:
        raise DomainError(N_("Enter the constituency's name."), "name")
    if len(name) > LONGEST_TITLE or unprintable(name):
        raise DomainError(
            N_("The name must be %(most)s printable characters or fewer."),
            "name",
            most=LONGEST_TITLE,
        )
    if spec.seats is None or not 1 <= spec.seats <= MOST_SEATS:
        raise DomainError(
            N_("Enter the seats as a whole number from 1 to %(most)s."), "seats", most=MOST_SEATS
        )
    codes = list(dict.fromkeys(c.strip().lower() for c in spec.classes if c.strip()))
    if not codes:
        raise DomainError(
            N_("Choose the membership classes that vote in %(name)s."), "classes", name=name
        )
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise DomainError(N_("There is no class %(classes)s."), "classes", classes=Listed(unknown))
    return name, spec.seats, [known[c] for c in codes]


def _one_constituency_per_class(groups: list[list[MembershipClass]]) -> None:
    seen = Counter(c.id for group in groups for c in group)
    twice = [c.name for group in groups for c in group if seen[c.id] > 1]
    if twice:
        raise DomainError(
            N_(
                "A class votes in one constituency of an election only, so no member votes "
                "twice: %(classes)s is in two."
            ),
            "classes",
            classes=Listed(dict.fromkeys(twice)),
        )


def _store_constituency(session, item, name, seats, classes) -> Constituency:
    position = max((c.position for c in item.constituencies), default=0) + 1
    constituency = Constituency(item=item, position=position, name=name, seats=seats)
    session.add(constituency)
    session.flush()
    for membership_class in classes:
        session.add(
            ConstituencyClass(
                constituency_id=constituency.id,
                item_id=item.id,
                membership_class_id=membership_class.id,
            )
        )
    try:
        session.flush()
    except IntegrityError as error:
        # Two officers adding the same class at once: the database's key is the last word.
        if violates(error, ONE_CLASS_PER_ELECTION):
            raise Conflict(
                N_(
                    "A class votes in one constituency of an election only, so no member "
                    "votes twice."
                ),
                "classes",
            ) from None
        raise
    session.refresh(constituency)
    return constituency


# --- Nominations -----------------------------------------------------------------------------


def class_ids(constituency: Constituency) -> set[int]:
    return {cc.membership_class_id for cc in constituency.classes}


def _voter_in(session: Session, constituency: Constituency, member: Member | None) -> bool:
    """Whether ``member`` is a member of the constituency's classes: on the meeting's frozen
    list once notice is given, else on the register now."""
    if member is None or member.organisation_id != constituency.item.meeting.organisation_id:
        return False
    meeting = constituency.item.meeting
    if meeting.state is MeetingState.DRAFT:
        return member.left_on is None and member.membership_class_id in class_ids(constituency)
    voter = session.get(MeetingVoter, (meeting.id, member.id))
    return voter is not None and voter.membership_class_id in class_ids(constituency)


def nominate(
    session: Session,
    constituency: Constituency,
    *,
    actor: User,
    member_id: int | None,
    statement: str,
    proposer_id: int | None,
    seconder_id: int | None,
    now: datetime,
) -> Nomination:
    """Enter a nomination, audited: the candidate, their statement, and the members who
    proposed and seconded them.

    Refused for anyone but the organisation's officers; after the nominations deadline or
    once voting has opened; beside ``member`` for someone not a member of the constituency's
    classes (not on the meeting's list once notice is given) or already nominated; beside
    ``proposer`` or ``seconder`` for someone not a member of those classes, or the same person
    twice; beside ``statement`` for an empty or overlong statement."""
    item = constituency.item
    meeting = item.meeting
    _require_officer(actor, meeting)
    begin_write(session)
    if item.state is not ItemState.DRAFT or now >= item.nominations_close_at:
        raise WrongState(N_("Nominations for this election have closed."))
    candidate = session.get(Member, member_id) if member_id else None
    if not _voter_in(session, constituency, candidate):
        raise DomainError(
            N_("The candidate must be a member who votes in %(name)s."),
            "member",
            name=constituency.name,
        )
    for field, person_id, message in (
        ("proposer", proposer_id, N_("The proposer must be a member who votes in %(name)s.")),
        ("seconder", seconder_id, N_("The seconder must be a member who votes in %(name)s.")),
    ):
        person = session.get(Member, person_id) if person_id else None
        if not _voter_in(session, constituency, person):
            raise DomainError(message, field, name=constituency.name)
    if proposer_id == member_id or seconder_id == member_id:
        raise DomainError(N_("A candidate cannot propose or second themselves."), "proposer")
    if proposer_id == seconder_id:
        raise DomainError(N_("The seconder must be someone other than the proposer."), "seconder")
    statement = (statement or "").strip()
    if not statement:
        raise DomainError(N_("Enter the candidate's statement."), "statement")
    if len(statement) > LONGEST_STATEMENT:
        raise DomainError(
            N_("The statement must be %(most)s characters or fewer."),
            "statement",
            most=LONGEST_STATEMENT,
        )
    if any(n.member_id == member_id for n in constituency.nominations):
        raise DomainError(
            N_("%(name)s is already nominated in %(constituency)s."),
            "member",
            name=candidate.name,
            constituency=constituency.name,
        )
    nomination = Nomination(
        constituency=constituency,
        member_id=member_id,
        statement=statement,
        proposer_id=proposer_id,
        seconder_id=seconder_id,
        nominated_at=now,
    )
    session.add(nomination)
    try:
        session.flush()
    except IntegrityError as error:
        if violates(error, ONE_NOMINATION):
            raise Conflict(N_("That member has just been nominated by someone else.")) from None
        raise
    audit.record(
        session,
        action="election.nominated",
        actor=actor,
        organisation=meeting.organisation,
        subject=nomination,
        after={"constituency": constituency.id, "member_number": candidate.member_number},
    )
    return nomination


def nominate_by_numbers(
    session: Session,
    item: MeetingItem,
    *,
    actor: User,
    constituency_id: int | str | None,
    member: str,
    proposer: str,
    seconder: str,
    statement: str,
    now: datetime,
) -> Nomination:
    """``nominate`` with the candidate, proposer and seconder given by member number, as an
    officer types them; an unknown number is refused beside its field."""
    _require_officer(actor, item.meeting)
    constituency = next((c for c in item.constituencies if str(c.id) == str(constituency_id)), None)
    if constituency is None:
        raise DomainError(N_("Choose the constituency."), "constituency")
    found = {}
    for field, number in (("member", member), ("proposer", proposer), ("seconder", seconder)):
        person = member_by_number(session, item.meeting.organisation_id, number)
        if person is None:
            raise DomainError(
                N_("No member has the member number %(number)s."), field, number=number
            )
        found[field] = person.id
    return nominate(
        session,
        constituency,
        actor=actor,
        member_id=found["member"],
        statement=statement,
        proposer_id=found["proposer"],
        seconder_id=found["seconder"],
        now=now,
    )


def withdraw(session: Session, nomination: Nomination, *, actor: User, now: datetime) -> Nomination:
    """Record a candidate's withdrawal (by an officer, at their word), audited; refused after
    the withdrawal deadline, once voting has opened, or when already withdrawn."""
    item = nomination.constituency.item
    _require_officer(actor, item.meeting)
    begin_write(session)
    if item.state is not ItemState.DRAFT or now >= item.withdrawals_close_at:
        raise WrongState(N_("Withdrawals from this election have closed."))
    if nomination.withdrawn_at is not None:
        raise WrongState(N_("%(name)s has already withdrawn."), name=nomination.member.name)
    nomination.withdrawn_at = now
    session.flush()
    audit.record(
        session,
        action="election.withdrawn",
        actor=actor,
        organisation=item.meeting.organisation,
        subject=nomination,
        after={"member_number": nomination.member.member_number, "withdrawn_at": now},
    )
    return nomination


def standing(constituency: Constituency) -> list[Nomination]:
    """The constituency's candidates who have not withdrawn, in the order nominated."""
    return [n for n in constituency.nominations if n.withdrawn_at is None]


def on_ballot(item: MeetingItem, constituency: Constituency) -> list[Nomination]:
    """The constituency's candidates standing: in ballot order once voting has opened (as the
    manifest lists them), in the order nominated before."""
    people = standing(constituency)
    if item.manifest_json is None:
        return people
    place = next(p for p in manifest_of(item)["constituencies"] if p["id"] == constituency.id)
    position = {c["id"]: i for i, c in enumerate(place["candidates"])}
    return sorted(people, key=lambda n: position.get(str(n.id), len(position)))


# --- Ballot order, opening and closing -------------------------------------------------------


def order_key(seed: str, constituency_id: int, candidate_id: str) -> str:
    return hashlib.sha256(f"{seed}|{constituency_id}|{candidate_id}".encode()).hexdigest()


def ballot_order(seed: str, constituency_id: int, candidate_ids: Sequence[str]) -> list[str]:
    """The candidates in ballot order: by ``sha256("seed|constituency|candidate")`` as hex."""
    return sorted(candidate_ids, key=lambda c: order_key(seed, constituency_id, c))


def manifest_for(item: MeetingItem, seed: str, voters: Mapping[int, int]) -> dict:
    """The election's manifest, frozen as it opens: what the ballot offers (candidates in
    ballot order per constituency), the rule, the seed and the eligible voters' count."""
    places = []
    for constituency in item.constituencies:
        candidates = {str(n.id): n for n in standing(constituency)}
        order = ballot_order(seed, constituency.id, list(candidates))
        places.append(
            {
                "id": constituency.id,
                "name": constituency.name,
                "seats": constituency.seats,
                "classes": sorted(cc.membership_class.code for cc in constituency.classes),
                "voters": voters.get(constituency.id, 0),
                "candidates": [{"id": c, "name": candidates[c].member.name} for c in order],
            }
        )
    meeting = item.meeting
    return {
        "format": members_count.FORMAT,
        "version": 1,
        "kind": "election",
        "organisation": meeting.organisation.name,
        "meeting": meeting.title,
        "item": item.id,
        "title": item.title,
        "rule": item.rule,
        "seed": seed,
        "ballot_order": "sha256(seed|constituency id|candidate id), smallest first",
        "constituencies": places,
        "quorum": quorum_spec(meeting.organisation),
    }


def _voters_by_constituency(session: Session, item: MeetingItem) -> dict[int, int]:
    out = {}
    for constituency in item.constituencies:
        out[constituency.id] = session.scalar(
            select(func.count())
            .select_from(MeetingVoter)
            .where(
                MeetingVoter.meeting_id == item.meeting_id,
                MeetingVoter.membership_class_id.in_(class_ids(constituency)),
            )
        )
    return out


def open_election(
    session: Session, item: MeetingItem, *, actor: User, now: datetime, seed: str | None = None
) -> MeetingItem:
    """Open voting: draw the seed, freeze the manifest, start the item's log, audited.

    Refused for anyone but the organisation's officers; unless notice of the meeting has been
    given; unless the item is a draft; before withdrawals close; when a constituency has fewer
    candidates standing than seats. ``seed`` is for tests; otherwise 32 random bytes."""
    meeting = item.meeting
    _require_officer(actor, meeting)
    if meeting.state not in (MeetingState.NOTICE, MeetingState.OPEN):
        raise WrongState(N_("Voting can open once notice of the meeting has been given."))
    if box.lock_item(session, item.id) != ItemState.DRAFT.value:
        raise WrongState(N_("Voting on this election has already opened."))
    other = open_item(session, meeting)  # one item open at a time, motions and elections alike
    if other is not None:
        raise WrongState(N_("Close voting on %(title)s first."), title=other.title)
    if now < item.withdrawals_close_at:
        raise WrongState(N_("Voting can open once withdrawals have closed."))
    for constituency in item.constituencies:
        if len(standing(constituency)) < constituency.seats:
            raise WrongState(
                N_("%(name)s has fewer candidates than seats: it cannot be voted on."),
                name=constituency.name,
            )
    seed = seed or secrets.token_hex(32)
    item.ballot_seed = seed
    return start_voting(
        session,
        item,
        manifest_for(item, seed, _voters_by_constituency(session, item)),
        actor=actor,
        now=now,
        action="election.opened",
        audited={"seed": seed},
    )


def close_election(
    session: Session, item: MeetingItem, *, actor: User, now: datetime
) -> MeetingItem:
    """Close voting and seal the log, audited; refused unless voting is open."""
    _require_officer(actor, item.meeting)
    return seal_item(
        session,
        item,
        actor=actor,
        now=now,
        action="election.closed",
        not_open=N_("Voting on this election is not open."),
    )


def manifest_of(item: MeetingItem) -> dict:
    if item.manifest_json is None:
        raise WrongState(N_("Voting on this election has not opened."))
    return json.loads(item.manifest_json)


# --- Voting ----------------------------------------------------------------------------------

_WHOLE = re.compile(r"\d{1,3}")


def ranking_from_numbers(candidates: Sequence[str], numbers: Mapping[str, str]) -> list[str]:
    """The candidates in order of the numbers typed beside them (1 first; blanks unranked;
    gaps allowed, as 1, 2, 5 is still an order). Refused with a ``DomainError`` for a number
    that is not a whole number from 1, the same number twice, or no number at all."""
    given = {}
    for candidate in candidates:
        text = (numbers.get(candidate) or "").strip()
        if not text:
            continue
        if not _WHOLE.fullmatch(text) or int(text) < 1:
            raise DomainError(
                N_(
                    "Use whole numbers only, 1 for your first choice, 2 for your second, and so on."
                ),
                f"c{candidate}",
            )
        given[candidate] = int(text)
    if not given:
        raise DomainError(N_("Number at least one candidate: 1 for your first choice."))
    repeated = [n for n, times in Counter(given.values()).items() if times > 1]
    if repeated:
        first = next(c for c, n in given.items() if n in repeated)
        raise DomainError(
            N_("Give each number to one candidate only: %(numbers)s is used more than once."),
            f"c{first}",
            numbers=Listed(sorted(repeated)),
        )
    return sorted(given, key=given.__getitem__)


def member_of_account(session: Session, item: MeetingItem, user: User | None) -> Member | None:
    if user is None or not user.is_authenticated:
        return None
    return session.scalar(
        select(Member).where(
            Member.organisation_id == item.meeting.organisation_id, Member.account_id == user.id
        )
    )


@dataclass(frozen=True)
class Place:
    """Where a member votes in an election: the constituency's manifest entry."""

    member: Member
    constituency: dict


def place_of(session: Session, item: MeetingItem, member: Member | None) -> Place:
    """The constituency of the manifest the member votes in; ``NotAVoter`` if none: not on
    the meeting's list, or of a class voting in no constituency."""
    voter = session.get(MeetingVoter, (item.meeting_id, member.id)) if member else None
    if voter is None:
        raise NotAVoter(N_("You are not on the list of members who may vote at this meeting."))
    for constituency in item.constituencies:
        if voter.membership_class_id in class_ids(constituency):
            for place in manifest_of(item)["constituencies"]:
                if place["id"] == constituency.id:
                    return Place(member, place)
    raise NotAVoter(N_("Your membership class does not vote in this election."))


def voter_place(session: Session, item: MeetingItem, user: User | None) -> Place:
    """The signed-in member's place (their account linked to their member record)."""
    member = member_of_account(session, item, user)
    if member is None:
        raise NotAVoter(
            N_("Your account is not linked to a member of %(organisation)s."),
            organisation=item.meeting.organisation.name,
        )
    return place_of(session, item, member)


def ballot_for(session: Session, item: MeetingItem, user: User | None) -> Place:
    """The signed-in member's ballot: refused while voting is not open, at a meeting taking no
    online votes, for someone with no vote in it, and once they have voted."""
    if item.state is not ItemState.OPEN:
        raise WrongState(N_("Voting on this election is not open."))
    if not item.meeting.online_voting:
        raise NotAVoter(N_("This meeting takes votes in the room only."))
    place = voter_place(session, item, user)
    if box.has_voted(session, item.id, place.member.id) not in (None, MemberChannel.PROXY):
        raise AlreadyVoted(N_("You have already voted on this item."))
    return place


def proxy_ballot_for(
    session: Session, item: MeetingItem, user: User | None, member_id: int
) -> tuple[Place, int | None]:
    """The ballot ``user`` casts as the proxy of the member ``member_id``, and the holder to
    record (a member id, or None for the chair). Refused while voting is not open; at a
    meeting taking no online votes, unless ``user`` is its chair (who is in the room); for a
    proxy they do not hold for this election (``proxies.may_vote_for``); for a member of a
    class voting in no constituency; and once a ballot has been cast for the member (their
    own, or their proxy's)."""
    if item.state is not ItemState.OPEN:
        raise WrongState(N_("Voting on this election is not open."))
    meeting = item.meeting
    if not meeting.online_voting and not is_chair(user, meeting):
        raise NotAVoter(N_("This meeting takes votes in the room only."))
    voter = session.get(MeetingVoter, (meeting.id, member_id))
    if voter is None:
        raise NotAVoter(N_("That member has no vote at this meeting."))
    holder_id, _proxy = proxies.may_vote_for(session, item, user, member_id)
    place = place_of(session, item, voter.member)
    if box.has_voted(session, item.id, member_id) is not None:
        raise AlreadyVoted(
            N_("A ballot has already been cast for %(name)s in this election."),
            name=voter.member.name,
        )
    return place, holder_id


def cast_online(
    session: Session,
    item: MeetingItem,
    *,
    actor: User,
    numbers: Mapping[str, str],
    now: datetime,
    for_member_id: int | None = None,
) -> box.MemberCast:
    """The signed-in member's ranked ballot, cast once with a receipt. Refused for someone
    who has no vote in it, when the meeting takes no online votes, while voting is not open,
    for numbers that give no order (``ranking_from_numbers``) and after voting once.

    With ``for_member_id``, the ballot of a member whose proxy ``actor`` holds
    (``proxy_ballot_for`` says when that is refused), audited (who for whom, never how). The
    member's own vote later replaces it; it never replaces theirs."""
    if for_member_id is None:
        place = ballot_for(session, item, actor)
        return _cast(session, item, place, numbers, MemberChannel.ONLINE, None)
    place, holder_id = proxy_ballot_for(session, item, actor, for_member_id)
    cast = _cast(
        session, item, place, numbers, MemberChannel.PROXY, None, proxy_holder_id=holder_id
    )
    holder = session.get(Member, holder_id) if holder_id is not None else None
    audit_item(
        session,
        "election.proxy_voted",
        actor,
        item,
        {
            "member_number": place.member.member_number,
            "holder": proxies.CHAIR if holder is None else holder.member_number,
        },
    )
    return cast


def record_paper(
    session: Session,
    item: MeetingItem,
    *,
    actor: User,
    member_number: str,
    numbers: Mapping[str, str],
    now: datetime,
    constituency_id: int | None = None,
) -> box.MemberCast:
    """A paper ranked ballot handed in at the meeting, entered by an officer against the
    member who voted (so they cannot vote again), audited (who, never how). With
    ``constituency_id`` (the paper's constituency), a member who votes in another is refused."""
    _require_officer(actor, item.meeting)
    if item.state is not ItemState.OPEN:
        raise WrongState(N_("Voting on this election is not open."))
    member = member_by_number(session, item.meeting.organisation_id, member_number)
    if member is None:
        raise DomainError(N_("No member has that member number."), "member_number")
    try:
        place = place_of(session, item, member)
    except NotAVoter as error:
        raise DomainError(error.message, "member_number") from None
    if constituency_id is not None and place.constituency["id"] != constituency_id:
        raise DomainError(
            N_("%(name)s votes in %(constituency)s: use its ballot paper."),
            "member_number",
            name=member.name,
            constituency=place.constituency["name"],
        )
    try:
        cast = _cast(session, item, place, numbers, MemberChannel.PAPER, actor.id)
    except AlreadyVoted:
        raise DomainError(
            N_("%(name)s has already voted in this election."), "member_number", name=member.name
        ) from None
    audit_item(
        session,
        "election.paper_ballot_entered",
        actor,
        item,
        {"member_number": member.member_number},
    )
    return cast


def _cast(
    session, item, place: Place, numbers, channel, recorded_by_id, proxy_holder_id=None
) -> box.MemberCast:
    candidates = [c["id"] for c in place.constituency["candidates"]]
    ranking = ranking_from_numbers(candidates, numbers)
    return cast_ranking(
        session, item, place, ranking, channel, recorded_by_id, proxy_holder_id=proxy_holder_id
    )


def cast_ranking(
    session, item, place: Place, ranking: list[str], channel, recorded_by_id, proxy_holder_id=None
) -> box.MemberCast:
    """Cast a ranking (candidate ids, first choice first) for the member at ``place``; the
    ballot box checks it against the manifest."""
    return box.cast(
        session,
        item_id=item.id,
        manifest=manifest_of(item),
        member_id=place.member.id,
        ballot={"ranking": ranking},
        constituency=place.constituency["id"],
        channel=channel,
        proxy_holder_id=proxy_holder_id,
        recorded_by_id=recorded_by_id,
    )


# --- Counting and declaring ------------------------------------------------------------------


# How each constituency's ballots become a count: in votes.members, which python -m votes verify
# runs on the export, so the declaration and the recount are one piece of code.
labels = members_count.labels
blt_elections = members_count.blt_elections
count = members_count.count_election


def declare_election(
    session: Session, item: MeetingItem, *, actor: User, now: datetime
) -> MeetingItem:
    """Count the sealed ballots and declare the result, audited; refused unless voting has
    closed and the result is not yet declared."""
    _require_officer(actor, item.meeting)
    if box.lock_item(session, item.id) != ItemState.CLOSED.value:
        raise WrongState(N_("The result can be declared once voting has closed."))
    manifest = manifest_of(item)
    seen = attendance(session, item)
    result = count(
        manifest,
        box.counted_ballots(session, item.id),
        {"present": seen.present, "by_proxy": seen.by_proxy, "eligible": seen.eligible},
    )
    item.result_json = canonical_json(result)
    item.declared_at = now
    item.state = ItemState.DECLARED
    session.flush()
    audit_item(
        session,
        "election.declared",
        actor,
        item,
        {
            "elected": {c["name"]: c["count"]["elected"] for c in result["constituencies"]},
            "inquorate": result["quorum"]["inquorate"],
            "result_hash": hashlib.sha256(item.result_json.encode()).hexdigest(),
        },
    )
    return item


def result_of(item: MeetingItem) -> dict | None:
    return json.loads(item.result_json) if item.result_json else None


# --- The auditor's export --------------------------------------------------------------------

EXPORT_README = """\
Each constituency's counted ballots are also in constituency-N.blt (candidates numbered in
ballot order): python -m votes stv constituency-N.blt --rule RULE recounts one (the lot is the
file's candidate order, which is the ballot order). log.csv is log.json as a table.
"""


def export_zip(session: Session, item: MeetingItem, *, actor: User) -> bytes:
    """The auditor's export of a declared election (``governance.exports``), with each
    constituency's ballots as a BLT file and the log as CSV too. Refused for anyone who may
    not audit the organisation, and until the result is declared."""
    if not may_audit(actor, item.meeting):
        raise NotAllowed(
            N_("Only the officers and auditors of %(organisation)s can export its elections."),
            organisation=item.meeting.organisation.name,
        )
    if item.state is not ItemState.DECLARED:
        raise WrongState(N_("The export is ready once the result is declared."))
    ballots = box.counted_ballots(session, item.id)
    extra = {
        f"constituency-{place['id']}.blt": write_blt(election)
        for place, election in blt_elections(manifest_of(item), ballots)
    }
    log = [
        {
            "sequence": e.sequence,
            "kind": e.kind.value,
            "ballot_id": e.ballot_id or "",
            "payload_hash": e.payload_hash,
            "previous_hash": e.previous_hash,
            "entry_hash": e.entry_hash,
        }
        for e in session.scalars(
            select(MemberLogEntry)
            .where(MemberLogEntry.item_id == item.id)
            .order_by(MemberLogEntry.sequence)
        )
    ]
    extra["log.csv"] = _csv(log)
    return item_export(session, item, extra=extra, notes=EXPORT_README)


def _csv(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]) if rows else ["sequence"])
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


__all__ = [
    "ConstituencySpec",
    "InvalidBallot",
    "NotAVoter",
    "WrongState",
    "add_constituency",
    "add_election",
    "ballot_for",
    "ballot_order",
    "cast_online",
    "close_election",
    "count",
    "declare_election",
    "export_zip",
    "find_election",
    "manifest_for",
    "may_audit",
    "nominate",
    "on_ballot",
    "open_election",
    "ranking_from_numbers",
    "record_paper",
    "standing",
    "voter_place",
    "withdraw",
]
