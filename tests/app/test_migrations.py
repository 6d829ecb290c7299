"""The migrations keep existing rows: SQLite rebuilds tables to alter them, and must neither
cascade into pots and proposals nor trip over the audit trail that refers to a round."""

from contextlib import contextmanager

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
