"""A housing co-operative with members, a general meeting and the steps to it, for the
meetings' workflow and page tests. The meeting is on 10 January 2027; everything before it
happens on 1 December 2026 (notice: 28 days, so 29 December is the earliest day allowed)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from app.web.extensions import db
from app.workflow import organisations
from app.workflow.governance import meetings, motions, proxies  # noqa: F401  (for the tests)
from app.workflow.models import Role
from tests.factories import create_council, create_user

MEETING_AT = datetime(2027, 1, 10, 18, tzinfo=UTC)
DEADLINE = datetime(2026, 12, 20, 17, tzinfo=UTC)
BEFORE = datetime(2026, 12, 1, 12, tzinfo=UTC)
TODAY = date(2026, 12, 1)
ON_THE_DAY = datetime(2027, 1, 10, 18, 5, tzinfo=UTC)


@dataclass
class Coop:
    council: object
    officer: object
    organisation: object
    members: list


def coop(*, members: int = 12, council=None, officer=None, name="Hollins Housing", **rules) -> Coop:
    council = council or create_council()
    officer = officer or create_user(
        email=f"secretary-{name.split()[0].lower()}@example.org", roles={council: Role.OFFICER}
    )
    org = organisations.create_organisation(
        db.session, council, actor=officer, name=name, kind="housing_cooperative"
    )
    for key, value in rules.items():
        setattr(org, key, value)
    people = [add_member(org, officer, i + 1) for i in range(members)]
    db.session.commit()
    return Coop(council, officer, org, people)


def add_member(org, officer, n: int, joined_on: date = date(2020, 1, 1)):
    return organisations.add_member(
        db.session,
        org,
        actor=officer,
        member_number=str(n),
        name=f"Member {n}",
        membership_class="tenant",
        joined_on=joined_on,
        email=f"member{n}-{org.id}@example.org",
        today=max(TODAY, joined_on),
    )


def new_meeting(c: Coop, **kwargs):
    values = {
        "title": "Annual general meeting 2027",
        "kind": "annual",
        "starts_at": MEETING_AT,
        "place": "The community hall",
        "online_voting": True,
        "motions_deadline": DEADLINE,
        "now": BEFORE,
    }
    meeting = meetings.create_meeting(
        db.session, c.organisation, actor=c.officer, **{**values, **kwargs}
    )
    db.session.commit()
    return meeting


def table(c: Coop, meeting, *, title="Change rule 12", threshold="special", amends=None, **kw):
    item = motions.table_motion(
        db.session,
        meeting,
        actor=c.officer,
        title=title,
        wording=kw.pop("wording", "That rule 12 be changed."),
        threshold=threshold,
        proposer_id=c.members[0].id,
        seconder_id=c.members[1].id,
        amends_id=amends.id if amends is not None else None,
        now=BEFORE,
        **kw,
    )
    db.session.commit()
    return item


def give_notice(c: Coop, meeting, now=BEFORE):
    meetings.give_notice(db.session, meeting, actor=c.officer, now=now)
    db.session.commit()


def start(c: Coop, meeting):
    meetings.start_meeting(
        db.session, meeting, actor=c.officer, chair_id=c.officer.id, now=ON_THE_DAY
    )
    db.session.commit()


def ready(c: Coop, **kwargs):
    """A meeting with one special motion, notice given and under way."""
    meeting = new_meeting(c)
    item = table(c, meeting, **kwargs)
    give_notice(c, meeting)
    start(c, meeting)
    return meeting, item


def open_item(c: Coop, item, now=ON_THE_DAY):
    motions.open_voting(db.session, item, actor=c.officer, now=now)
    db.session.commit()


def close_item(c: Coop, item, now=ON_THE_DAY + timedelta(minutes=10)):
    motions.close_voting(db.session, item, actor=c.officer, now=now)
    db.session.commit()


def check_in(c: Coop, meeting, member):
    meetings.check_in(
        db.session, meeting, actor=c.officer, member_number=member.member_number, now=ON_THE_DAY
    )
    db.session.commit()


def paper(c: Coop, meeting, item, votes: dict):
    """Check in and enter a paper ballot for each member in ``votes`` (member -> choice)."""
    for member, choice in votes.items():
        voter = meetings.voter_of(db.session, meeting, member)
        if voter.present_at is None:
            check_in(c, meeting, member)
        motions.record_paper(
            db.session,
            item,
            actor=c.officer,
            member_number=member.member_number,
            choice=choice,
            now=ON_THE_DAY,
        )
        db.session.commit()


def declare(c: Coop, item, casting_vote=None):
    result = motions.declare(
        db.session, item, actor=c.officer, casting_vote=casting_vote, now=ON_THE_DAY
    )
    db.session.commit()
    return result


def account_for(c: Coop, member, email=None):
    """An account linked to ``member``, who can then vote online."""
    user = create_user(email=email or f"own-{member.id}@example.org")
    meetings.link_account(db.session, c.organisation, member.id, actor=c.officer, email=user.email)
    db.session.commit()
    return user
