"""The rules that live in the database: constraints hold whatever the code does."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.workflow.models import (
    AuditEvent,
    FundingRound,
    Membership,
    Pot,
    Proposal,
    Role,
    Support,
    User,
)
from tests.app.workflow.test_constraints import expect_violation
from tests.conftest import owner_connection
from tests.factories import (
    create_council,
    create_neighbourhood,
    create_proposal,
    create_round,
    create_user,
)


def expect_integrity_error(db, obj, constraint: str):
    """Adding ``obj`` is refused by ``constraint``."""
    with expect_violation(db.session, constraint):
        db.session.add(obj)


def test_one_role_per_person_per_council_but_different_roles_in_different_councils(db):
    lambeth, oldham = create_council(), create_council()
    user = create_user(roles={lambeth: Role.OFFICER, oldham: Role.RESIDENT})
    db.session.commit()
    assert user.role_in(lambeth) == Role.OFFICER
    assert user.role_in(oldham) == Role.RESIDENT
    expect_integrity_error(
        db,
        Membership(user_id=user.id, council_id=lambeth.id, role=Role.AUDITOR),
        "uq_memberships_user_id_council_id",
    )


def test_emails_are_unique_and_lower_case(db):
    create_user(email="sam@example.org")
    db.session.commit()
    expect_integrity_error(
        db, User(email="sam@example.org", password_hash="x", display_name="Sam"), "uq_users_email"
    )
    expect_integrity_error(
        db,
        User(email="Other@example.org", password_hash="x", display_name="Sam"),
        "ck_users_email_lower_case",
    )


def test_money_must_be_positive(db):
    council = create_council()
    hood = create_neighbourhood(council)
    funding_round = create_round(council)
    db.session.commit()
    expect_integrity_error(
        db,
        Proposal(
            round_id=funding_round.id,
            pot_id=funding_round.pots[0].id,
            title="Free",
            summary="s",
            estimated_cost_pence=0,
        ),
        "ck_proposals_estimated_cost_positive",
    )
    # A neighbourhood's pot: a second council-wide pot would be refused for being a second.
    expect_integrity_error(
        db,
        Pot(round_id=funding_round.id, neighbourhood_id=hood.id, name="Minus", budget_pence=-1),
        "ck_pots_budget_not_negative",
    )
    expect_integrity_error(
        db,
        FundingRound(council_id=council.id, slug="nothing", title="Nothing", total_budget_pence=0),
        "ck_rounds_budget_positive",
    )


def test_one_council_wide_pot_and_one_pot_per_neighbourhood(db):
    council = create_council()
    hood = create_neighbourhood(council)
    funding_round = create_round(council, pots=[(None, 100), (hood, 100)])
    db.session.commit()
    expect_integrity_error(
        db, Pot(round_id=funding_round.id, name="Again", budget_pence=1), "uq_pots_council_wide"
    )
    expect_integrity_error(
        db,
        Pot(round_id=funding_round.id, neighbourhood_id=hood.id, name="Again", budget_pence=1),
        "uq_pots_round_id_neighbourhood_id",
    )


def test_a_proposal_pot_must_belong_to_its_round(db):
    council = create_council()
    round_a, round_b = create_round(council), create_round(council)
    db.session.commit()
    expect_integrity_error(
        db,
        Proposal(
            round_id=round_a.id,
            pot_id=round_b.pots[0].id,
            title="Mixed",
            summary="s",
            estimated_cost_pence=100,
        ),
        "fk_proposals_pot_in_round",
    )


def test_one_support_per_resident_per_proposal(db):
    council = create_council()
    proposal = create_proposal(create_round(council).pots[0])
    user = create_user()
    db.session.add(Support(proposal_id=proposal.id, user_id=user.id))
    db.session.commit()
    expect_integrity_error(
        db, Support(proposal_id=proposal.id, user_id=user.id), "uq_supports_proposal_id_user_id"
    )


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_events SET action = 'rewritten'", "DELETE FROM audit_events"]
)
def test_audit_events_are_append_only_in_the_database(db, statement):
    council = create_council()
    db.session.add(AuditEvent(council_id=council.id, action="round.created", after={"title": "x"}))
    db.session.commit()
    # As the tables' owner: the trigger stops even a console that could switch it off (the
    # app's own role is stopped before it, by its grants: tests/app/workflow/test_app_role.py).
    with pytest.raises(DBAPIError, match="append-only"), owner_connection() as conn:
        conn.execute(text(statement))
    db.session.rollback()
    assert db.session.scalar(text("SELECT action FROM audit_events")) == "round.created"


def test_times_come_back_in_utc(db):
    from datetime import UTC, datetime, timedelta, timezone

    council = create_council()
    db.session.add(
        AuditEvent(
            council_id=council.id,
            action="x",
            created_at=datetime(2026, 6, 1, 12, 0, tzinfo=timezone(timedelta(hours=1))),
        )
    )
    db.session.commit()
    db.session.expire_all()
    event = db.session.query(AuditEvent).one()
    assert event.created_at == datetime(2026, 6, 1, 11, 0, tzinfo=UTC)
    assert event.created_at.tzinfo is not None
