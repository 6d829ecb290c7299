"""The migrations keep existing rows: SQLite rebuilds tables to alter them, and must neither
cascade into pots and proposals nor trip over the audit trail that refers to a round."""

from contextlib import contextmanager

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from app import create_app
from app.web.extensions import db
from tests.app.conftest import make_config


@contextmanager
def database_at(tmp_path, revision: str):
    """In the context of an app on a new SQLite file, migrated up to ``revision``."""
    app = create_app(make_config(f"sqlite:///{tmp_path / 'm.sqlite3'}"))
    with app.app_context():
        upgrade(revision=revision)
        yield
        db.engine.dispose()


def test_0002_upgrades_and_downgrades_a_database_with_rows(tmp_path):
    with database_at(tmp_path, "0001"):
        with db.engine.begin() as conn:
            conn.execute(
                text("INSERT INTO councils VALUES (1, 'x', 'X', '#000000', '', '2026-01-01')")
            )
            conn.execute(
                text(
                    "INSERT INTO rounds VALUES (1, 1, 'r', 'R', '', 100, 'supports', 'approval', "
                    "'greedy', 'cost-votes', NULL, '2026-01-01')"
                )
            )
            conn.execute(text("INSERT INTO pots VALUES (1, 1, NULL, 'p', 100, 0)"))
            conn.execute(
                text(
                    "INSERT INTO proposals VALUES (1, 1, 1, NULL, 't', 's', 'd', 'c', 'l', 50, "
                    "NULL, 'submitted', '2026-01-01', '2026-01-01')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO audit_events (council_id, round_id, action, subject_type, "
                    "created_at) VALUES (1, 1, 'x', '', '2026-01-01')"
                )
            )
        upgrade()
        with db.engine.connect() as conn:
            row = conn.execute(
                text("SELECT phase, min_ballots_to_publish, split_method FROM rounds")
            ).one()
            assert tuple(row) == ("supports", 10, "council")
            assert conn.execute(text("SELECT count(*) FROM proposals")).scalar() == 1
            assert conn.execute(text("SELECT count(*) FROM pots")).scalar() == 1
        downgrade(revision="0001")
        upgrade()
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM proposals")).scalar() == 1
            assert conn.execute(text("SELECT count(*) FROM audit_events")).scalar() == 1


def test_0006_takes_existing_accounts_as_confirmed(tmp_path):
    """People who could propose before addresses were confirmed are not stopped by it."""
    with database_at(tmp_path, "0005"):
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO users (id, email, password_hash, display_name, session_token, "
                    "created_at) VALUES (1, 'jo@example.org', 'x', 'Jo', 't', "
                    "'2026-01-02 03:04:05')"
                )
            )
        upgrade()
        with db.engine.connect() as conn:
            confirmed = conn.execute(text("SELECT email_confirmed_at FROM users")).scalar()
            assert str(confirmed).startswith("2026-01-02 03:04:05")
        downgrade(revision="0005")
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM users")).scalar() == 1
        upgrade()


def test_0008_takes_a_closed_rounds_sealed_head_from_its_log_and_fixes_it(tmp_path):
    with database_at(tmp_path, "0001"):
        with db.engine.begin() as conn:
            conn.execute(
                text("INSERT INTO councils VALUES (1, 'x', 'X', '#000000', '', '2026-01-01')")
            )
            for round_id in (1, 2):
                conn.execute(
                    text(
                        "INSERT INTO rounds VALUES (:id, 1, :slug, 'R', '', 100, 'closed', "
                        "'approval', 'greedy', 'cost-votes', NULL, '2026-01-01')"
                    ),
                    {"id": round_id, "slug": f"r{round_id}"},
                )
        upgrade(revision="0007")
        with db.engine.begin() as conn:
            conn.execute(
                text("UPDATE rounds SET manifest_hash = :h, manifest_json = '{}'"), {"h": "a" * 64}
            )
            for sequence, kind, entry in ((0, "genesis", "g" * 64), (1, "close", "c" * 64)):
                conn.execute(
                    text("INSERT INTO ballot_log VALUES (1, :s, :k, NULL, 'p', 'q', :e)"),
                    {"s": sequence, "k": kind, "e": entry},
                )
        upgrade()
        with db.engine.connect() as conn:
            heads = conn.execute(text("SELECT id, log_head_hash FROM rounds ORDER BY id")).all()
            assert [tuple(h) for h in heads] == [(1, "c" * 64), (2, None)]
        for change in (
            "UPDATE rounds SET log_head_hash = 'x' WHERE id = 1",
            "UPDATE rounds SET manifest_hash = upper(manifest_hash) WHERE id = 1",
            "UPDATE rounds SET manifest_json = 'x' WHERE id = 1",
        ):
            try:
                with db.engine.begin() as conn:
                    conn.execute(text(change))
            except Exception as error:  # noqa: BLE001 - the driver's error for a trigger
                assert "cannot change" in str(error)
            else:
                raise AssertionError(f"{change} was allowed")
        downgrade(revision="0007")
        upgrade()
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT log_head_hash FROM rounds WHERE id = 1")).scalar()


BEFORE_0014 = "0013_append_only_results"


def _one_of_everything_0014_alters() -> dict[str, int]:
    """Rows in each table 0014 rebuilds (at 0013, where moderation reports are proposal_flags)."""
    from app.workflow.models import (
        Contribution,
        ContributionKind,
        DeliveryStatus,
        DeliveryUpdate,
        Phase,
        PotResult,
    )
    from ballots.models import COUNCIL_SCOPE, Channel, RollEntry, StoredBallot, VoterMark
    from tests.factories import (
        create_council,
        create_neighbourhood,
        create_proposal,
        create_round,
        create_user,
    )

    council = create_council()
    hood = create_neighbourhood(council)
    voting = create_round(council, phase=Phase.SUPPORTS, pots=[(None, 500), (hood, 500)])
    voting.phase, voting.manifest_json, voting.manifest_hash = Phase.VOTING, "{}", "a" * 64
    proposal = create_proposal(voting.pots[1], cost_pence=400)
    user = create_user()
    entry = RollEntry(
        council_id=council.id, scope=COUNCIL_SCOPE, reference="A1", neighbourhood_id=hood.id
    )
    db.session.add(entry)
    db.session.flush()
    for pot in voting.pots:
        db.session.add(StoredBallot(round_id=voting.id, pot_id=pot.id, content="{}"))
        db.session.add(
            VoterMark(
                roll_entry_id=entry.id, round_id=voting.id, pot_id=pot.id, channel=Channel.ONLINE
            )
        )
        db.session.add(
            PotResult(
                round_id=voting.id,
                pot_id=pot.id,
                rule="mes-add1",
                tie_break="cost-votes",
                manifest_hash="a" * 64,
                log_head_hash="b" * 64,
                ballot_count=1,
                outcome_json="{}",
            )
        )
    db.session.add(
        Contribution(
            proposal_id=proposal.id,
            partner_name="Trust",
            kind=ContributionKind.MONEY,
            amount_pence=100,
        )
    )
    db.session.add(
        DeliveryUpdate(
            proposal_id=proposal.id,
            status=DeliveryStatus.DELIVERED,
            percent_complete=100,
            spent_pence=400,
            note="Done",
            happened_on=voting.created_at.date(),
        )
    )
    # The ids before the commit expires the rows: reading them again would ask for every
    # column the models have, some of which this revision's tables do not.
    ids = {"p": proposal.id, "u": user.id}
    db.session.commit()
    db.session.execute(
        text(
            "INSERT INTO proposal_flags (proposal_id, user_id, reason, created_at) "
            "VALUES (:p, :u, 'Abusive', '2026-01-01')"
        ),
        ids,
    )
    db.session.commit()
    db.session.remove()
    return {
        "rounds": 1,
        "pots": 2,
        "ballots": 2,
        "voter_marks": 2,
        "pot_results": 2,
        "contributions": 1,
        "delivery_updates": 1,
    }


def _counts(tables) -> dict[str, int]:
    with db.engine.connect() as conn:
        # Table names from this file, not from input.
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in tables}  # noqa: S608


def _refused(statement: str) -> str:
    try:
        with db.engine.begin() as conn:
            conn.execute(text(statement))
    except Exception as error:  # noqa: BLE001 - the driver's error for a trigger or constraint
        return str(error)
    raise AssertionError(f"{statement} was allowed")


def _table_sql(table: str) -> str:
    with db.engine.connect() as conn:
        return conn.execute(
            text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :t"), {"t": table}
        ).scalar_one()


def test_0014_upgrades_and_downgrades_a_database_with_rows(tmp_path):
    with database_at(tmp_path, BEFORE_0014):
        expected = _one_of_everything_0014_alters()
        upgrade()
        assert _counts(expected) == expected
        assert _counts(["proposal_reports"]) == {"proposal_reports": 1}
        # The rebuilt tables keep their triggers and their random order on disk.
        for table in ("ballots", "voter_marks", "pot_results"):
            assert "append-only" in _refused(f"DELETE FROM {table}")  # noqa: S608
        assert "cannot change" in _refused("UPDATE rounds SET manifest_hash = '" + "c" * 64 + "'")
        for table in ("ballots", "voter_marks"):
            assert "WITHOUT ROWID" in _table_sql(table)
        assert "CONSTRAINT pk_proposal_reports PRIMARY KEY" in _table_sql("proposal_reports")
        # And the new rules hold: a ballot in the round's pot, named for another round, is not.
        assert "FOREIGN KEY" in _refused(
            "INSERT INTO ballots (id, round_id, pot_id, content) "
            "SELECT 'x', round_id + 1, pot_id, '{}' FROM ballots LIMIT 1"
        )
        assert "ck_rounds_voting_has_manifest" in _refused(
            "INSERT INTO rounds (council_id, slug, title, description, total_budget_pence, "
            "phase, ballot_kind, rule, tie_break, created_at) SELECT council_id, 'new', 't', "
            "'', 1, 'voting', 'approval', 'greedy', 'cost-votes', created_at FROM rounds"
        )

        downgrade(revision=BEFORE_0014)
        assert _counts(expected) == expected
        assert _counts(["proposal_flags"]) == {"proposal_flags": 1}
        assert "CONSTRAINT pk_proposal_flags PRIMARY KEY" in _table_sql("proposal_flags")
        assert "append-only" in _refused("DELETE FROM ballots")
        assert "WITHOUT ROWID" in _table_sql("ballots")
        upgrade()
        assert _counts(expected) == expected


def test_0014_names_the_voting_rounds_without_a_manifest_and_changes_nothing(tmp_path, capfd):
    with database_at(tmp_path, BEFORE_0014):
        _one_of_everything_0014_alters()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TRIGGER rounds_manifest_fixed"))
            conn.execute(text("UPDATE rounds SET manifest_json = NULL, manifest_hash = NULL"))
            round_id = conn.execute(text("SELECT id FROM rounds")).scalar_one()
        # Flask-Migrate logs the migration's error and exits.
        with pytest.raises(SystemExit):
            upgrade()
        assert f"without a manifest (ids {round_id})" in capfd.readouterr().err
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == (
                BEFORE_0014
            )
        assert "proposal_flags" in _table_sql("proposal_flags")


def test_0014_upgrades_and_downgrades_the_demo(tmp_path):
    with database_at(tmp_path, "head"):
        from flask import current_app

        assert current_app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
        db.session.remove()
        # The demo's housing co-operative is younger than 0020, which refuses to be undone while
        # the audit trail speaks of organisations: take its events out first (past the
        # append-only trigger, as only the tables' owner could).
        with db.engine.begin() as conn:
            trigger = conn.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE name = 'audit_events_no_delete'"
            ).scalar_one()
            conn.exec_driver_sql("DROP TRIGGER audit_events_no_delete")
            conn.exec_driver_sql("DELETE FROM audit_events WHERE organisation_id IS NOT NULL")
            conn.exec_driver_sql(trigger)
        tables = ["rounds", "pots", "ballots", "voter_marks", "pot_results", "proposal_reports"]
        before = _counts(tables)
        downgrade(revision=BEFORE_0014)
        upgrade()
        assert _counts(tables) == before


def test_0016_keeps_the_london_day_of_a_verification_and_of_its_code(tmp_path):
    """00:30 on a summer morning in London is 23:30 the evening before in UTC: the day kept is
    London's. A code not used stays not used. The downgrade gives the day's first instant."""
    with database_at(tmp_path, "0015_secret_ballot"):
        from ballots.models import COUNCIL_SCOPE, RollEntry
        from tests.factories import create_council, create_neighbourhood, create_user

        council = create_council()
        hood = create_neighbourhood(council)
        user = create_user()
        entries = [
            RollEntry(
                council_id=council.id, scope=COUNCIL_SCOPE, reference=ref, neighbourhood_id=hood.id
            )
            for ref in ("A1", "A2")
        ]
        db.session.add_all(entries)
        db.session.flush()
        # The ids before the commit expires the rows (see _one_of_everything_0014_alters).
        ids = {"c": council.id, "u": user.id, "e1": entries[0].id, "e2": entries[1].id}
        db.session.commit()
        db.session.remove()
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO verifications (user_id, roll_entry_id, council_id, scope, "
                    "created_at) VALUES (:u, :e1, :c, 'council', '2026-06-30 23:30:05.123456')"
                ),
                ids,
            )
            conn.execute(
                text(
                    "INSERT INTO verification_codes (roll_entry_id, code_hash, expires_at, "
                    "used_at, used_by_id, created_at) VALUES "
                    "(:e1, 'a', '2026-08-01 00:00:00', '2026-06-30 23:30:05', :u, '2026-06-01'),"
                    "(:e2, 'b', '2026-08-01 00:00:00', NULL, NULL, '2026-06-01')"
                ),
                ids,
            )
        upgrade()
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT verified_on FROM verifications")).scalar_one() == (
                "2026-07-01"
            )
            used = conn.execute(
                text("SELECT code_hash, used_on, used_by_id FROM verification_codes ORDER BY 1")
            ).all()
            assert [tuple(row) for row in used] == [
                ("a", "2026-07-01", ids["u"]),
                ("b", None, None),
            ]
        assert "created_at" not in _table_sql("verifications")
        assert "used_at" not in _table_sql("verification_codes")
        # Every row must have its day.
        assert "NOT NULL" in _refused(
            "INSERT INTO verifications (user_id, roll_entry_id, council_id, scope) "
            "SELECT user_id, roll_entry_id + 1, council_id, 'round:1' FROM verifications"
        )

        downgrade(revision="0015_secret_ballot")
        with db.engine.connect() as conn:
            created = conn.execute(text("SELECT created_at FROM verifications")).scalar_one()
            assert str(created).startswith("2026-06-30 23:00:00")  # London midnight, in BST
            used = conn.execute(
                text("SELECT used_at FROM verification_codes ORDER BY code_hash")
            ).all()
            assert [str(u)[:19] if u else None for (u,) in used] == ["2026-06-30 23:00:00", None]
        upgrade()
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT verified_on FROM verifications")).scalar_one() == (
                "2026-07-01"
            )


def test_0020_keeps_the_audit_trail_append_only_and_its_events_through_the_rebuild(tmp_path):
    with database_at(tmp_path, "0019_every_channel"):
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO councils (id, slug, name, colour, description, created_at) "
                    "VALUES (1, 'x', 'X', '#000000', '', '2026-01-01')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO audit_events (council_id, action, subject_type, created_at) "
                    "VALUES (1, 'x', '', '2026-01-01')"
                )
            )
        upgrade(revision="0020_organisations")
        assert "append-only" in _refused("DELETE FROM audit_events")
        assert "append-only" in _refused("UPDATE audit_events SET action = 'y'")
        with db.engine.begin() as conn:
            assert conn.execute(text("SELECT action FROM audit_events")).scalar_one() == "x"
            conn.execute(
                text(
                    "INSERT INTO organisations (id, council_id, slug, name, kind, notice_days, "
                    "proxy_cap, special_numerator, special_denominator, special_more_than, "
                    "ordinary_numerator, ordinary_denominator, ordinary_more_than, "
                    "quorum_members, quorum_counts_proxies, abstentions_count, "
                    "chair_casting_vote, created_at) VALUES (1, 1, 'coop', 'Co-op', 'other', "
                    "28, 5, 3, 4, 0, 1, 2, 1, 10, 1, 0, 1, '2026-01-01')"
                )
            )
            network = conn.execute(text("SELECT network_admin FROM users")).all()
            assert network == []
        assert "FOREIGN KEY" in _refused(
            "INSERT INTO audit_events (organisation_id, action, subject_type, created_at) "
            "VALUES (99, 'x', '', '2026-01-01')"
        )
        # Thresholds below one half are refused by the database itself.
        assert "ck_organisations_special_threshold_range" in _refused(
            "UPDATE organisations SET special_numerator = 1, special_denominator = 3"
        )
        downgrade(revision="0019_every_channel")
        assert "append-only" in _refused("DELETE FROM audit_events")
        assert "organisation_id" not in _table_sql("audit_events")
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM audit_events")).scalar_one() == 1
        upgrade()
