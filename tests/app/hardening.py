"""What the URL sweep, the header checks and the fuzz share: a council with a round in each
kind of phase, one person of each kind, signing them in, and every rule of the URL map turned
into addresses with real ids (or with bad ones in their place)."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

from bs4 import BeautifulSoup

from app.web.extensions import db
from app.workflow.models import Contribution, ContributionKind, Phase, Role
from tests.app.closed_round import closed_round
from tests.app.election_world import draft_election
from tests.app.pages import sign_in
from tests.ballots.helpers import enrol, place, voting_round
from tests.factories import PASSWORD, create_council, create_proposal, create_round, create_user

RESIDENT = "resident@example.org"
OFFICER = "officer@example.org"
AUDITOR = "auditor@example.org"
STRANGER = "stranger@example.org"  # signed in, with no role in the council


def sign_in_as(client, email: str) -> None:
    """Sign ``email`` in through the real form. Staff and residents alike come through here,
    so a second step at sign-in (a code from an authenticator) is added in one place."""
    response = sign_in(client, email, PASSWORD)
    assert response.status_code == 302, f"{email} could not sign in"


# Endpoints that end the walker's own session: walked by the anonymous only.
ENDS_THE_SESSION = {
    "auth.sign_out",
    "residents.sign_out_everywhere",
    "officers.event_kiosk",
    "room.make_kiosk",
}


def csrf(client) -> str:
    """A CSRF token for this client's session."""
    page = BeautifulSoup(client.get("/auth/sign-in").get_data(as_text=True), "html.parser")
    return page.select_one("input[name=csrf_token]")["value"]


def build_world() -> SimpleNamespace:
    """Council "home" with a round taking proposals ("open", with a proposal and a partner's
    contribution), one taking votes ("vote", the resident verified on its roll) and one
    published ("done"); its resident, officer and auditor; and someone with no role."""
    home = create_council(slug="home")
    away = create_council(slug="away")
    hood = place(home, name="Centre")
    resident = create_user(email=RESIDENT, roles={home: Role.RESIDENT}, home=hood)
    officer = create_user(email=OFFICER, roles={home: Role.OFFICER})
    create_user(email=AUDITOR, roles={home: Role.AUDITOR})
    create_user(email=STRANGER, roles={away: Role.RESIDENT})
    open_round = create_round(home, slug="open", phase=Phase.PROPOSALS)
    proposal = create_proposal(open_round.pots[0], author=resident, cost_pence=1_000_00)
    contribution = Contribution(
        proposal=proposal, partner_name="Co-op", kind=ContributionKind.MONEY, amount_pence=100
    )
    db.session.add(contribution)
    db.session.commit()
    voting, paper = voting_round(home, kind="approval")
    voting.slug = "vote"
    db.session.commit()
    enrol(home, hood, user=resident, reference="HOME-7Q2X")
    event = _event(voting, officer)
    done = closed_round(home, phase=Phase.PUBLISHED)
    done.slug = "done"
    db.session.commit()
    away_round = create_round(away, slug="theirs", phase=Phase.PROPOSALS)
    organisation, member = _organisation(home, officer)
    meeting, item, motion_proposal = _meeting(organisation, officer, member)
    db.session.commit()
    election = draft_election(home, officer)
    return SimpleNamespace(
        organisation=organisation.id,
        member=member.id,
        meeting=meeting.id,
        item=item.id,
        motion_proposal=motion_proposal.id,
        election=election,
        home=home,
        open=open_round,
        vote=voting,
        paper=paper,
        done=done,
        away_round=away_round,
        proposal=proposal.id,
        contribution=contribution.id,
        resident=resident.id,
        event=event.id,
    )


def _organisation(council, officer):
    """A housing co-operative the council hosts, its officer its secretary, with a member."""
    from datetime import date

    from app.workflow import organisations

    organisation = organisations.create_organisation(
        db.session, council, actor=officer, name="Co-op", kind="housing_cooperative"
    )
    member = organisations.add_member(
        db.session,
        organisation,
        actor=officer,
        member_number="1",
        name="Ama",
        membership_class="tenant",
        joined_on="2020-01-01",
        today=date(2026, 1, 1),
    )
    return organisation, member


def _meeting(organisation, officer, proposer):
    """A draft general meeting of the organisation, two months ahead, with one motion, and a
    motion its member proposed, waiting for the other member to second it (neither has an
    account, so nobody here may second, decline or withdraw it)."""
    from datetime import date, timedelta

    from app.workflow import organisations
    from app.workflow.clock import utcnow
    from app.workflow.governance import meetings, motions
    from app.workflow.governance.models import MotionProposal

    seconder = organisations.add_member(
        db.session,
        organisation,
        actor=officer,
        member_number="2",
        name="Ben",
        membership_class="tenant",
        joined_on="2020-01-01",
        today=date(2026, 1, 1),
    )
    now = utcnow()
    meeting = meetings.create_meeting(
        db.session,
        organisation,
        actor=officer,
        title="Annual general meeting",
        kind="annual",
        starts_at=now + timedelta(days=60),
        place="The hall",
        online_voting=True,
        motions_deadline=None,
        now=now,
    )
    item = motions.table_motion(
        db.session,
        meeting,
        actor=officer,
        title="Change rule 12",
        wording="That rule 12 be changed.",
        threshold="special",
        proposer_id=proposer.id,
        seconder_id=seconder.id,
        now=now,
    )
    proposal = MotionProposal(
        meeting=meeting,
        proposer=proposer,
        seconder=seconder,
        title="Paint the hall",
        wording="That the hall be painted.",
        threshold="ordinary",
        proposed_at=now,
    )
    db.session.add(proposal)
    db.session.flush()
    return meeting, item, proposal


def _event(funding_round, officer):
    """A voting event on now, with nobody at its desk: the walkers (not administrators) can
    see it and change nothing."""
    from datetime import timedelta

    from app.workflow import events
    from app.workflow.clock import utcnow

    now = utcnow()
    event = events.create_event(
        db.session,
        funding_round,
        name="Decision day",
        place="Hall",
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=2),
        pot_ids=[p.id for p in funding_round.pots],
        officer_ids=[],
        actor=officer,
    )
    db.session.commit()
    return event


@dataclass(frozen=True)
class Address:
    rule: str
    endpoint: str
    method: str
    url: str


def round_for(rule: str, world) -> object:
    """The round a rule is best walked with: its phase is the one the page is for."""
    if any(
        part in rule
        for part in ("/vote", "/paper", "/voters", "/verify", "/open-voting", "/events", "/kiosk")
    ):
        return world.vote
    if any(part in rule for part in ("/results", "/export", "/what-if", "/delivery", "/api/")):
        return world.done
    return world.open


def real_values(rule, world) -> dict[str, str]:
    """Values for each of the rule's arguments that name existing things."""
    funding_round = round_for(rule.rule, world)
    pot = funding_round.pots[0]
    proposal = world.proposal if funding_round is world.open else pot.proposals[0].id
    values = {
        "slug": "home",
        "round_slug": funding_round.slug,
        "round_id": funding_round.id,
        "pot_id": pot.id,
        # A round's proposal; at a meeting, the motion a member proposed.
        "proposal_id": world.motion_proposal if "/meetings/" in rule.rule else proposal,
        "contribution_id": world.contribution,
        "token": "not-a-token",
        # The trustee pages' steps and files; no trustee 1 exists, so nothing is changed.
        "trustee_id": 1,
        "step": "register",
        "kind": "mix",
        "task_name": "mix-task",
        "filename": "devolve.css",
        # A resident: resetting their second factor is refused, so the walk changes nothing.
        "user_id": world.resident,
        "event_id": world.event,
        "check_in_id": "not-a-check-in",
        "kiosk_id": 1,
        # A file of paper ballots: none is uploaded, so storing one is refused (404).
        "batch_id": "0" * 32,
        # An organisation with members and one of them (the officer is its secretary).
        "organisation_id": world.organisation,
        "member_id": world.member,
        # A draft meeting of it with one motion; no proxy 1 exists, so revoking is refused.
        "meeting_id": world.meeting,
        "item_id": world.item,
        "proxy_id": 1,
        # A co-operative's draft election, taking nominations (the officer is its secretary).
        "constituency_id": world.election["constituency"],
        "nomination_id": world.election["nomination"],
    }
    missing = set(rule.arguments) - set(values)
    assert not missing, f"{rule.rule}: no real value for {missing}; add one here"
    return {name: str(values[name]) for name in rule.arguments}


def build(rule, values: dict[str, str]) -> str:
    """The rule's address with ``values`` (already URL-encoded) in place of its arguments."""
    import re

    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: values[m.group(1)], rule.rule)


def methods(rule) -> list[str]:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})
