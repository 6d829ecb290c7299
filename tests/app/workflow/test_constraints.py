"""Each rule the schema states is refused by the constraint named for it, on SQLite and
PostgreSQL alike: a test names the constraint it expects, so a row refused for another reason
(a missing neighbourhood, a second council-wide pot) does not pass for the rule under test."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import pytest
from sqlalchemy import UniqueConstraint
from sqlalchemy.exc import IntegrityError

from app.workflow.models import (
    BALLOT_KINDS,
    RULE_NAMES,
    TIE_BREAKS,
    Contribution,
    ContributionKind,
    DeliveryStatus,
    DeliveryUpdate,
    FundingRound,
    Phase,
    PotResult,
    ProposalReport,
)
from ballots.db import Base
from ballots.models import COUNCIL_SCOPE, Channel, RollEntry, StoredBallot, VoterMark
from tests.factories import create_council, create_neighbourhood, create_proposal, create_round

POSTGRES_CONSTRAINT = re.compile(r'violates (?:check|foreign key|unique) constraint "([^"]+)"')
SQLITE_CHECK = re.compile(r"CHECK constraint failed: (\w+)")
SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (\w+)\.(\w+(?:, \w+\.\w+)*)")


def _unique_named_by_columns(table: str, columns: list[str]) -> list[str]:
    """SQLite names a refused UNIQUE by its columns: the declared constraints, unique indexes
    and primary key on exactly those."""
    declared = Base.metadata.tables[table]
    found = [
        c.name
        for c in declared.constraints
        if isinstance(c, UniqueConstraint) and [col.name for col in c.columns] == columns
    ]
    found += [
        i.name for i in declared.indexes if i.unique and [c.name for c in i.columns] == columns
    ]
    if [c.name for c in declared.primary_key.columns] == columns:
        found.append(declared.primary_key.name)
    return found


def _sqlite_foreign_keys_broken(raw, error: IntegrityError) -> list[str]:
    """SQLite says only "FOREIGN KEY constraint failed": run the refused statement again with
    the foreign keys deferred, and ask SQLite which of the table's keys the row breaks."""
    table = re.match(r"\s*(?:INSERT INTO|UPDATE)\s+(\w+)", error.statement).group(1)
    cursor = raw.cursor()
    cursor.execute("PRAGMA defer_foreign_keys = ON")
    cursor.execute(error.statement, error.params)
    broken = {row[3] for row in cursor.execute(f"PRAGMA foreign_key_check({table})")}
    keys: dict[int, list[str]] = {}
    for fk_id, _seq, _parent, column, *_ in cursor.execute(f"PRAGMA foreign_key_list({table})"):
        keys.setdefault(fk_id, []).append(column)
    declared = {
        tuple(c.name for c in fk.columns): fk.name
        for fk in Base.metadata.tables[table].foreign_key_constraints
    }
    return sorted(declared[tuple(keys[fk_id])] for fk_id in broken)


def violated_constraints(raw, error: IntegrityError) -> list[str]:
    """The names of the constraints the database says ``error`` broke."""
    message = str(error.orig)
    if match := POSTGRES_CONSTRAINT.search(message):
        return [match.group(1)]
    if match := SQLITE_CHECK.search(message):
        return [match.group(1)]
    if match := SQLITE_UNIQUE.search(message):
        columns = [c.split(".")[-1] for c in match.group(2).split(", ")]
        return _unique_named_by_columns(match.group(1), columns)
    if "FOREIGN KEY constraint failed" in message:
        return _sqlite_foreign_keys_broken(raw, error)
    return []


@contextmanager
def expect_violation(session, constraint: str) -> Iterator[None]:
    """The writes in the block (flushed at its end) are refused by ``constraint``, and by
    that constraint alone; the session is rolled back after."""
    raw = session.connection().connection.driver_connection
    with pytest.raises(IntegrityError) as caught:
        yield
        session.flush()
    try:
        assert violated_constraints(raw, caught.value) == [constraint], str(caught.value.orig)
    finally:
        session.rollback()


# --- Rounds -------------------------------------------------------------------------------------


def _frozen(funding_round: FundingRound) -> None:
    funding_round.manifest_json = "{}"
    funding_round.manifest_hash = "a" * 64


@pytest.mark.parametrize("phase", [Phase.VOTING, Phase.CLOSED, Phase.PUBLISHED, Phase.DELIVERY])
def test_a_round_in_voting_or_later_has_a_manifest(db, phase):
    funding_round = create_round(create_council(), phase=Phase.SUPPORTS)
    db.session.commit()
    with expect_violation(db.session, "ck_rounds_voting_has_manifest"):
        funding_round.phase = phase
    funding_round = db.session.get(FundingRound, funding_round.id)
    funding_round.phase = phase
    _frozen(funding_round)
    db.session.commit()
    assert db.session.get(FundingRound, funding_round.id).phase == phase


def test_a_round_before_voting_needs_no_manifest(db):
    funding_round = create_round(create_council(), phase=Phase.SUPPORTS)
    db.session.commit()
    assert funding_round.manifest_json is None


@pytest.mark.parametrize(
    ("column", "value", "constraint"),
    [
        ("ballot_kind", "plumping", "ck_rounds_ballot_kind_known"),
        ("rule", "borda", "ck_rounds_rule_known"),
        ("tie_break", "coin-toss", "ck_rounds_tie_break_known"),
    ],
)
def test_a_round_counts_only_with_names_votes_knows(db, column, value, constraint):
    funding_round = create_round(create_council())
    db.session.commit()
    with expect_violation(db.session, constraint):
        setattr(funding_round, column, value)


def test_every_ballot_kind_rule_and_tie_break_of_votes_can_be_stored(db):
    from votes.model import BallotKind, TieBreak
    from votes.rules import RULES

    assert sorted(k.value for k in BallotKind) == BALLOT_KINDS
    assert sorted(t.value for t in TieBreak) == TIE_BREAKS
    funding_round = create_round(create_council())
    db.session.commit()
    for kind, rules in RULES.items():
        for rule in rules:
            for tie_break in TieBreak:
                funding_round.ballot_kind, funding_round.rule = kind.value, rule
                funding_round.tie_break = tie_break.value
                db.session.flush()
    assert set(RULE_NAMES) == {rule for rules in RULES.values() for rule in rules}


def test_a_points_cap_is_at_most_the_points(db):
    funding_round = create_round(create_council())
    funding_round.ballot_kind, funding_round.rule = "cumulative", "mes"
    funding_round.points, funding_round.max_points_per_project = 10, 10
    db.session.commit()
    with expect_violation(db.session, "ck_rounds_points_cap_within_points"):
        funding_round.max_points_per_project = 11


def test_choice_limits_are_in_order(db):
    funding_round = create_round(create_council())
    db.session.commit()
    with expect_violation(db.session, "ck_rounds_choices_in_order"):
        funding_round.min_choices, funding_round.max_choices = 3, 2


# --- Pots of their round ----------------------------------------------------------------------


def _two_rounds(db):
    council = create_council()
    hood = create_neighbourhood(council)
    mine, other = create_round(council), create_round(council)
    for funding_round in (mine, other):
        funding_round.phase = Phase.VOTING
        _frozen(funding_round)
    db.session.commit()
    return council, hood, mine, other


def test_a_ballot_is_in_a_pot_of_its_round(db):
    _, _, mine, other = _two_rounds(db)
    db.session.add(StoredBallot(round_id=mine.id, pot_id=mine.pots[0].id, content="{}"))
    db.session.commit()
    with expect_violation(db.session, "fk_ballots_pot_in_round"):
        db.session.add(StoredBallot(round_id=mine.id, pot_id=other.pots[0].id, content="{}"))


def test_a_voter_mark_is_in_a_pot_of_its_round(db):
    council, hood, mine, other = _two_rounds(db)
    entry = RollEntry(
        council_id=council.id, scope=COUNCIL_SCOPE, reference="A1", neighbourhood_id=hood.id
    )
    db.session.add(entry)
    db.session.flush()
    db.session.add(
        VoterMark(
            roll_entry_id=entry.id, round_id=mine.id, pot_id=mine.pots[0].id, channel=Channel.ONLINE
        )
    )
    db.session.commit()
    with expect_violation(db.session, "fk_voter_marks_pot_in_round"):
        db.session.add(
            VoterMark(
                roll_entry_id=entry.id,
                round_id=mine.id,
                pot_id=other.pots[0].id,
                channel=Channel.ONLINE,
            )
        )


def _result(funding_round: FundingRound, pot_id: int, **changes) -> PotResult:
    fields = {
        "round_id": funding_round.id,
        "pot_id": pot_id,
        "rule": "mes-add1",
        "tie_break": "cost-votes",
        "manifest_hash": "a" * 64,
        "log_head_hash": "b" * 64,
        "ballot_count": 0,
        "outcome_json": "{}",
    }
    return PotResult(**{**fields, **changes})


def test_a_result_is_for_a_pot_of_its_round(db):
    _, _, mine, other = _two_rounds(db)
    db.session.add(_result(mine, mine.pots[0].id))
    db.session.commit()
    with expect_violation(db.session, "fk_pot_results_pot_in_round"):
        db.session.add(_result(mine, other.pots[0].id))


@pytest.mark.parametrize(
    ("changes", "constraint"),
    [
        ({"rule": "borda"}, "ck_pot_results_rule_known"),
        ({"tie_break": "coin-toss"}, "ck_pot_results_tie_break_known"),
        ({"manifest_hash": "a" * 63}, "ck_pot_results_manifest_hash_sha256"),
        ({"log_head_hash": "b" * 63}, "ck_pot_results_log_head_hash_sha256"),
        ({"ballot_count": -1}, "ck_pot_results_ballot_count_not_negative"),
    ],
)
def test_a_result_names_what_it_counted(db, changes, constraint):
    _, _, mine, _ = _two_rounds(db)
    with expect_violation(db.session, constraint):
        db.session.add(_result(mine, mine.pots[0].id, **changes))


def test_one_result_per_pot(db):
    _, _, mine, _ = _two_rounds(db)
    db.session.add(_result(mine, mine.pots[0].id))
    db.session.commit()
    with expect_violation(db.session, "uq_pot_results_round_id_pot_id"):
        db.session.add(_result(mine, mine.pots[0].id))


# --- Proposals: reports, contributions, delivery ----------------------------------------------


def test_one_report_per_resident_per_proposal(db):
    from tests.factories import create_user

    proposal = create_proposal(create_round(create_council()).pots[0])
    user = create_user()
    db.session.add(ProposalReport(proposal_id=proposal.id, user_id=user.id, reason="Abusive"))
    db.session.commit()
    with expect_violation(db.session, "uq_proposal_reports_proposal_id_user_id"):
        db.session.add(ProposalReport(proposal_id=proposal.id, user_id=user.id, reason="Again"))


@pytest.mark.parametrize(
    ("amount", "constraint"),
    [(0, "ck_contributions_money_amount_positive"), (None, "ck_contributions_money_has_amount")],
)
def test_a_money_pledge_is_more_than_nothing(db, amount, constraint):
    proposal = create_proposal(create_round(create_council()).pots[0])
    db.session.commit()
    with expect_violation(db.session, constraint):
        db.session.add(
            Contribution(
                proposal_id=proposal.id,
                partner_name="Trust",
                kind=ContributionKind.MONEY,
                amount_pence=amount,
            )
        )


def test_in_kind_help_may_have_no_value(db):
    proposal = create_proposal(create_round(create_council()).pots[0])
    db.session.add(
        Contribution(proposal_id=proposal.id, partner_name="Trust", kind=ContributionKind.IN_KIND)
    )
    db.session.commit()
    assert proposal.contributions[0].amount_pence is None


def _update(proposal, **changes) -> DeliveryUpdate:
    fields = {
        "proposal_id": proposal.id,
        "status": DeliveryStatus.IN_PROGRESS,
        "percent_complete": 50,
        "spent_pence": 0,
        "note": "Work started",
        "happened_on": date(2026, 6, 1),
    }
    return DeliveryUpdate(**{**fields, **changes})


@pytest.mark.parametrize(
    ("changes", "constraint"),
    [
        ({"percent_complete": 101}, "ck_delivery_updates_percent_in_range"),
        ({"percent_complete": -1}, "ck_delivery_updates_percent_in_range"),
        ({"spent_pence": -1}, "ck_delivery_updates_spent_not_negative"),
        (
            {"status": DeliveryStatus.DELIVERED, "percent_complete": 90},
            "ck_delivery_updates_delivered_is_complete",
        ),
    ],
)
def test_delivery_updates_hold_the_limits_the_code_checks(db, changes, constraint):
    proposal = create_proposal(create_round(create_council()).pots[0])
    db.session.commit()
    with expect_violation(db.session, constraint):
        db.session.add(_update(proposal, **changes))


def test_a_delivered_project_at_100_percent_is_stored(db):
    proposal = create_proposal(create_round(create_council()).pots[0])
    db.session.add(_update(proposal, status=DeliveryStatus.DELIVERED, percent_complete=100))
    db.session.commit()
    assert db.session.query(DeliveryUpdate).one().status == DeliveryStatus.DELIVERED
