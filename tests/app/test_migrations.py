"""The migrations keep existing rows: SQLite rebuilds tables to alter them, and must neither
cascade into pots and proposals nor trip over the audit trail that refers to a round."""

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from app import create_app
from app.extensions import db
from tests.app.conftest import make_config


def test_0002_upgrades_and_downgrades_a_database_with_rows(tmp_path):
    app = create_app(make_config(f"sqlite:///{tmp_path / 'm.sqlite3'}"))
    with app.app_context():
        upgrade(revision="0001")
        with db.engine.begin() as conn:
            conn.execute(
                text("INSERT INTO councils VALUES (1, 'x', 'X', '#000000', '', '2026-01-01')")
            )
            conn.execute(
                text(
                    "INSERT INTO rounds VALUES (1, 1, 'r', 'R', '', 100, 'voting', 'approval', "
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
            assert tuple(row) == ("voting", 10, "council")
            assert conn.execute(text("SELECT count(*) FROM proposals")).scalar() == 1
            assert conn.execute(text("SELECT count(*) FROM pots")).scalar() == 1
        downgrade(revision="0001")
        upgrade()
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM proposals")).scalar() == 1
            assert conn.execute(text("SELECT count(*) FROM audit_events")).scalar() == 1
        db.engine.dispose()
