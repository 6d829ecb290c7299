"""A co-operative with tenants and employees, a draft annual meeting, and the steps the meetings'
own pages will take (giving notice, opening the meeting) done directly, for the elections'
tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from app.web.extensions import db
from app.workflow import organisations
from app.workflow.governance import elections
from app.workflow.governance.models import Meeting, MeetingKind, MeetingState, MeetingVoter
from app.workflow.models import Role
from tests.factories import create_council, create_user

# The meeting is on 10 January 2027; the election's deadlines are in December 2026.
MEETING_AT = datetime(2027, 1, 10, 18, tzinfo=UTC)
NOMINATIONS_CLOSE = datetime(2026, 12, 20, 17, tzinfo=UTC)
WITHDRAWALS_CLOSE = datetime(2026, 12, 27, 17, tzinfo=UTC)
BEFORE = datetime(2026, 12, 1, 12, tzinfo=UTC)
TODAY = date(2026, 12, 1)


@dataclass
class Coop:
    council: object
    officer: object
    organisation: object
    meeting: object
    tenants: list
    employees: list


def coop(*, tenants: int = 6, employees: int = 5, council=None, officer=None) -> Coop:
    council = council or create_council()
    officer = officer or create_user(roles={council: Role.OFFICER})
    org = organisations.create_organisation(
        db.session, council, actor=officer, name="Hollins Housing", kind="housing_cooperative"
    )
    organisations.add_class(db.session, org, actor=officer, code="employee", name="Employee")

    def member(n, cls):
        return organisations.add_member(
            db.session,
            org,
            actor=officer,
            member_number=f"{cls[0].upper()}{n}",
            name=f"{cls.title()} {n}",
            membership_class=cls,
            joined_on=date(2020, 1, 1),
            today=TODAY,
        )

    ts = [member(i + 1, "tenant") for i in range(tenants)]
    es = [member(i + 1, "employee") for i in range(employees)]
    meeting = Meeting(
        organisation=org,
        slug="agm",
        title="Annual general meeting 2027",
        kind=MeetingKind.ANNUAL,
        starts_at=MEETING_AT,
    )
    db.session.add(meeting)
    db.session.commit()
    return Coop(council, officer, org, meeting, ts, es)


def two_constituencies() -> list[elections.ConstituencySpec]:
    return [
        elections.ConstituencySpec("Tenant board members", 2, ["tenant"]),
        elections.ConstituencySpec("Employee board member", 1, ["employee"]),
    ]


def add_election(c: Coop, **kwargs):
    values = {
        "title": "Board election",
        "rule": "scottish",
        "constituencies": two_constituencies(),
        "nominations_close_at": NOMINATIONS_CLOSE,
        "withdrawals_close_at": WITHDRAWALS_CLOSE,
        "now": BEFORE,
    }
    item = elections.add_election(db.session, c.meeting, actor=c.officer, **{**values, **kwargs})
    db.session.commit()
    return item


def nominate(c: Coop, constituency, candidate, proposer, seconder, statement="I will serve."):
    nomination = elections.nominate(
        db.session,
        constituency,
        actor=c.officer,
        member_id=candidate.id,
        statement=statement,
        proposer_id=proposer.id,
        seconder_id=seconder.id,
        now=BEFORE,
    )
    db.session.commit()
    return nomination


def give_notice(c: Coop, *, open_meeting: bool = True) -> None:
    """What giving notice does (the meetings' workflow): fix the record date and the voters."""
    meeting = c.meeting
    meeting.state = MeetingState.OPEN if open_meeting else MeetingState.NOTICE
    meeting.notice_given_at = BEFORE - timedelta(days=1)
    meeting.record_date = TODAY
    for m in organisations.eligible_members(db.session, c.organisation, TODAY):
        db.session.add(
            MeetingVoter(
                meeting_id=meeting.id, member_id=m.id, membership_class_id=m.membership_class_id
            )
        )
    db.session.commit()


def nominated_election(c: Coop, rule: str = "scottish"):
    """An election with three tenants standing for two seats and two employees for one."""
    item = add_election(c, rule=rule)
    tenants, employees = item.constituencies
    t, e = c.tenants, c.employees
    nominate(c, tenants, t[0], t[3], t[4])
    nominate(c, tenants, t[1], t[3], t[4])
    nominate(c, tenants, t[2], t[4], t[5])
    nominate(c, employees, e[0], e[2], e[3])
    nominate(c, employees, e[1], e[2], e[3])
    return item


def draft_election(council, officer) -> dict[str, int]:
    """For the walks of every route: a co-operative ``officer`` is the secretary of, its draft
    meeting 40 days from now and on it a draft election taking nominations (tenants, one
    seat), with one candidate. Its ids by the name the walks fill in."""
    from app.workflow.clock import utcnow

    c = coop(tenants=4, employees=1, council=council, officer=officer)
    now = utcnow()
    c.meeting.starts_at = now + timedelta(days=40)
    item = elections.add_election(
        db.session,
        c.meeting,
        actor=officer,
        title="Board election",
        constituencies=[elections.ConstituencySpec("Tenants", 1, ["tenant"])],
        nominations_close_at=now + timedelta(days=10),
        withdrawals_close_at=now + timedelta(days=12),
        now=now,
    )
    t = c.tenants
    nomination = elections.nominate(
        db.session,
        item.constituencies[0],
        actor=officer,
        member_id=t[0].id,
        statement="I will serve.",
        proposer_id=t[1].id,
        seconder_id=t[2].id,
        now=now,
    )
    db.session.commit()
    return {
        "org": c.organisation.id,
        "meeting": c.meeting.id,
        "item": item.id,
        "constituency": item.constituencies[0].id,
        "nomination": nomination.id,
    }
