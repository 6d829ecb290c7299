"""What residents and officers are told (app.workflow.notices), through the paths that cause it:
casting a ballot, the scheduler (reminders, held-up rounds, officers' daily notices),
publishing results, reviewing a proposal, recording delivery. Each message is read as the
person gets it, from the mail gateway."""

import re
from datetime import timedelta

from sqlalchemy import func, select

from app.web.extensions import mail
from app.workflow import delivery, notices, outbox, proposals, rounds
from app.workflow.models import (
    DeliveryStatus,
    Message,
    MessageState,
    Phase,
    PhaseDates,
    Proposal,
    ProposalStatus,
    Role,
    Support,
)
from ballots import box
from ballots.db import utcnow
from tests.app.pages import get_page, sign_in
from tests.app.web.test_cast_errors import failing_after_the_mark
from tests.ballots.helpers import enrol, place, voting_round
from tests.ballots.test_pages import vote_through_pages
from tests.factories import PASSWORD, create_council, create_proposal, create_round, create_user
from votes.model import Ballot


def count(db, **where) -> int:
    db.session.expire_all()
    query = select(func.count()).select_from(Message)
    for name, value in where.items():
        query = query.where(getattr(Message, name) == value)
    return db.session.scalar(query)


def send_all(runner, *first: list[str]) -> list:
    """Run the ``first`` commands, then the worker once: the emails that went (a command's
    own messages go as it ends, in development and tests)."""
    with mail.record_messages() as sent:
        for args in first:
            runner.invoke(args=args)
        result = runner.invoke(args=["send-messages", "--once"])
    assert result.exit_code == 0, result.output
    return sent


def world(db):
    council = create_council(slug="home", name="Home Council")
    hood = place(council)
    voter = create_user(
        email="voter@example.org", display_name="Val", roles={council: Role.RESIDENT}, home=hood
    )
    officer = create_user(email="officer@example.org", roles={council: Role.OFFICER})
    funding_round, paper = voting_round(council)
    funding_round.slug = "vote"
    db.session.commit()
    entry = enrol(council, hood, user=voter, reference="R1")
    return council, hood, voter, officer, funding_round, paper, entry


# --- A vote's confirmation ---------------------------------------------------------------------


def test_casting_emails_you_voted_in_the_pot_and_nothing_of_the_ballot(app, client, db):
    _, _, _, _, funding_round, paper, _ = world(db)
    sign_in(client, "voter@example.org", PASSWORD)
    a, b, _ = [p.id for p in paper.pots[0].projects]
    with mail.record_messages() as sent:
        response = vote_through_pages(client, paper, {"choices": [a, b]})
        assert sent == []  # not while the page is being answered
        response.close()  # what the server does once the response is sent
    assert response.status_code == 302
    receipt = get_page(client, response.headers["Location"]).select_one("#receipt-code")
    [email] = sent
    assert email.recipients == ["voter@example.org"]
    assert email.subject == f"Your vote in {paper.pots[0].name}"
    today = utcnow().strftime("%-d %B %Y")  # noon-safe: tests do not run at midnight
    assert f"You voted in {paper.pots[0].name} on " in email.body and today[-4:] in email.body
    # Nothing that would tie the mailbox to the ballot: no receipt, no choice, no log entry.
    assert receipt.get_text(strip=True) not in email.body
    titles = db.session.scalars(select(Proposal.title).where(Proposal.round_id == funding_round.id))
    assert not any(t in email.body for t in titles)
    assert not re.search(r"[0-9a-f]{64}", email.body)
    # Sent, and gone: a vote's confirmation is not kept.
    assert count(db) == 0


def test_a_cast_that_fails_queues_no_confirmation(app, client, db, monkeypatch):
    _, _, _, _, _, paper, _ = world(db)
    sign_in(client, "voter@example.org", PASSWORD)
    a = paper.pots[0].projects[0].id
    failing_after_the_mark(monkeypatch)
    with mail.record_messages() as sent:
        vote_through_pages(client, paper, {"choices": [a]}).close()
    assert sent == [] and count(db) == 0


def test_no_confirmation_to_an_address_not_confirmed_or_after_opting_out(app, client, db):
    _, _, voter, _, _, paper, _ = world(db)
    outbox.set_opt_out(db.session, voter, "confirmations", out=True)
    db.session.commit()
    sign_in(client, "voter@example.org", PASSWORD)
    with mail.record_messages() as sent:
        vote_through_pages(client, paper, {"choices": [paper.pots[0].projects[0].id]}).close()
    assert sent == [] and count(db) == 0


# --- Reminders -----------------------------------------------------------------------------------


def test_the_reminder_goes_once_to_verified_residents_who_have_not_voted(app, db, runner):
    council, hood, voter, _, funding_round, paper, entry = world(db)
    now = utcnow()
    funding_round.phase_dates.append(
        PhaseDates(
            phase=Phase.VOTING, starts_at=now - timedelta(days=5), ends_at=now + timedelta(days=2)
        )
    )
    funding_round.reminder_days = 3
    has_voted = create_user(email="done@example.org", roles={council: Role.RESIDENT})
    unverified = create_user(email="unverified@example.org", roles={council: Role.RESIDENT})
    welsh = create_user(email="cymraeg@example.org", roles={council: Role.RESIDENT})
    welsh.language = "cy"
    db.session.commit()
    done = enrol(council, hood, user=has_voted, reference="R2")
    enrol(council, hood, user=welsh, reference="R3")
    pot = paper.pots[0]
    box.cast(db.session, paper, done, pot.id, Ballot((pot.projects[0].id,)), today=now.date())
    db.session.commit()
    assert unverified.id and entry.id

    result = runner.invoke(args=["advance-phases"])
    assert result.exit_code == 0, result.output
    assert "home/vote: voting reminders: 2 queued" in result.output
    sent = send_all(runner)
    assert sorted(m.recipients[0] for m in sent) == ["cymraeg@example.org", "voter@example.org"]
    english = next(m for m in sent if m.recipients == ["voter@example.org"])
    assert english.subject == f"Voting in {funding_round.title} closes soon"
    assert f"You have not voted yet in: {pot.name}." in english.body
    assert "http://localhost/councils/home/rounds/vote/vote" in english.body
    assert "http://localhost/unsubscribe/" in english.body
    assert english.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    welsh_mail = next(m for m in sent if m.recipients == ["cymraeg@example.org"])
    assert "Voting in" not in welsh_mail.subject
    # Once a round, however often the scheduler runs.
    again = runner.invoke(args=["advance-phases"])
    assert "voting reminders" not in again.output and count(db, kind="voting_reminder") == 2


# --- Results, proposals, delivery -------------------------------------------------------------


def published(db, council, voter, officer, funding_round, paper, entry):
    """The world's round with an author, a supporter and a voter, closed and published."""
    author = create_user(email="author@example.org", display_name="Ade")
    supporter = create_user(email="supporter@example.org")
    create_user(email="bystander@example.org", roles={council: Role.RESIDENT})
    first = db.session.get(Proposal, int(paper.pots[0].projects[0].id))
    first.author_id = author.id
    db.session.add(Support(proposal_id=first.id, user_id=supporter.id))
    db.session.commit()
    pot = paper.pots[0]
    box.cast(db.session, paper, entry, pot.id, Ballot((pot.projects[0].id,)), today=utcnow().date())
    db.session.commit()
    rounds.change_phase(
        db.session,
        funding_round,
        target=Phase.CLOSED,
        expected=Phase.VOTING,
        actor=officer,
        now=utcnow(),
    )
    db.session.commit()
    rounds.publish_results(db.session, funding_round, actor=officer, now=utcnow(), confirmed=True)
    db.session.commit()
    return first, author, supporter


def test_publishing_results_tells_everyone_who_took_part_and_the_winners(app, db, runner):
    council, _, voter, officer, funding_round, paper, entry = world(db)
    first, _, _ = published(db, council, voter, officer, funding_round, paper, entry)
    sent = send_all(runner)
    results = [m for m in sent if m.subject == f"Results of {funding_round.title}"]
    assert sorted(m.recipients[0] for m in results) == [
        "author@example.org",
        "supporter@example.org",
        "voter@example.org",
    ]
    assert "http://localhost/councils/home/rounds/vote/results" in results[0].body
    [funded] = [m for m in sent if m.subject.startswith("News of your proposal")]
    assert funded.recipients == ["author@example.org"] and first.title in funded.subject
    assert "It has been funded" in funded.body


def test_a_delivery_update_tells_who_proposed_or_supported_it(app, db, runner):
    council, _, voter, officer, funding_round, paper, entry = world(db)
    first, _, _ = published(db, council, voter, officer, funding_round, paper, entry)
    send_all(runner)
    delivery.record_update(
        db.session,
        first,
        actor=officer,
        status=DeliveryStatus.IN_PROGRESS,
        percent_complete=40,
        spent_pence=1_000_00,
        note="The builders have started.",
        happened_on=utcnow().date(),
        today=utcnow().date(),
    )
    db.session.commit()
    sent = send_all(runner)
    assert sorted(m.recipients[0] for m in sent) == ["author@example.org", "supporter@example.org"]
    assert (
        "In progress, 40% complete" in sent[0].body and "The builders have started." in sent[0].body
    )


def test_a_review_tells_the_author_with_the_reason(app, db, runner):
    council = create_council(slug="home")
    officer = create_user(email="officer@example.org", roles={council: Role.OFFICER})
    author = create_user(email="author@example.org", roles={council: Role.RESIDENT})
    funding_round = create_round(council, slug="parks", phase=Phase.REVIEW)
    proposal = create_proposal(funding_round.pots[0], title="A new bench", author=author)
    db.session.commit()
    proposals.review_proposal(
        db.session,
        proposal,
        actor=officer,
        feasible=False,
        reason="The land is not the council's.",
        final_cost_pence=None,
        now=utcnow(),
    )
    db.session.commit()
    [email] = send_all(runner)
    assert email.recipients == ["author@example.org"]
    assert email.subject == "News of your proposal A new bench"
    assert "found it not feasible" in email.body
    assert "The reason given: The land is not the council's." in email.body


def test_a_refused_review_tells_nobody(app, db, runner):
    council = create_council(slug="home")
    officer = create_user(email="officer@example.org", roles={council: Role.OFFICER})
    author = create_user(email="author@example.org", roles={council: Role.RESIDENT})
    funding_round = create_round(council, slug="parks", phase=Phase.REVIEW)
    proposal = create_proposal(funding_round.pots[0], author=author)
    db.session.commit()
    try:
        proposals.review_proposal(
            db.session, proposal, actor=officer, feasible=True, reason="Fine",
            final_cost_pence=None, now=utcnow(),
        )  # fmt: skip
    except Exception:  # noqa: BLE001 - the refusal is the point
        db.session.rollback()
    assert count(db) == 0 and send_all(runner) == []


# --- Officers ------------------------------------------------------------------------------------


def test_officers_hear_of_proposals_waiting_for_review_once_a_day(app, db, runner):
    council = create_council(slug="home", name="Home Council")
    create_user(email="officer@example.org", roles={council: Role.OFFICER})
    create_user(email="resident@example.org", roles={council: Role.RESIDENT})
    funding_round = create_round(council, slug="parks", phase=Phase.REVIEW)
    create_proposal(funding_round.pots[0])
    create_proposal(funding_round.pots[0], status=ProposalStatus.FEASIBLE)
    db.session.commit()
    [email] = send_all(runner, ["advance-phases"], ["advance-phases"])
    assert email.recipients == ["officer@example.org"]
    assert email.subject == "Proposals are waiting for you in Home Council"
    assert "1 proposal is waiting for review." in email.body
    assert "http://localhost/officers/home" in email.body


def test_a_round_that_cannot_move_on_schedule_tells_its_officers(app, db, runner):
    council, _, _, officer, funding_round, _, _ = world(db)
    now = utcnow()
    rounds.change_phase(
        db.session, funding_round, target=Phase.CLOSED, expected=Phase.VOTING, actor=officer,
        now=now,
    )  # fmt: skip
    funding_round.phase_dates.append(
        PhaseDates(
            phase=Phase.PUBLISHED,
            starts_at=now - timedelta(days=1),
            ends_at=now + timedelta(days=9),
        )
    )
    db.session.commit()
    sent = send_all(runner, ["advance-phases"], ["advance-phases"])
    sent = [m for m in sent if "could not move on schedule" in m.subject]
    [email] = sent
    assert email.recipients == ["officer@example.org"]
    assert "an officer must check them" in email.body
    assert "http://localhost/officers/home/rounds/vote" in email.body


def test_failed_messages_are_reported_to_the_councils_officers(app, db, runner):
    council = create_council(slug="home", name="Home Council")
    create_user(email="officer@example.org", roles={council: Role.OFFICER})
    db.session.commit()
    outbox.queue(db.session, "account_exists", to="x@example.org", language="en", council=council)
    db.session.commit()
    [m] = db.session.scalars(select(Message)).all()
    outbox.failed(db.session, m, "refused", permanent=True)
    db.session.commit()
    [email] = send_all(runner, ["advance-phases"])
    assert email.subject == "Messages from Home Council could not be sent"
    assert "1 message could not be sent in the last day." in email.body
    assert count(db, kind="messages_failed", state=MessageState.SENT) == 1


def test_bulk_notices_leave_out_those_who_opted_out(app, db):
    council, _, voter, officer, funding_round, paper, entry = world(db)
    outbox.set_opt_out(db.session, voter, "results", out=True)
    db.session.commit()
    published(db, council, voter, officer, funding_round, paper, entry)
    kinds = db.session.scalars(select(Message.recipient).where(Message.kind == "results_published"))
    assert "voter@example.org" not in list(kinds)
    assert notices.PROPOSAL_CHANGES
