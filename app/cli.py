"""Command-line tasks: `flask --app wsgi COMMAND`."""

from __future__ import annotations

import os

import click
from flask import Flask, current_app

from app.web.extensions import db
from app.web.sessions import policy
from app.workflow.text import plural


def register_cli(app: Flask) -> None:
    from app.web.messages import commands as message_commands

    message_commands.register(app)

    @app.cli.command("seed-demo")
    def seed_demo_command() -> None:
        """Load the demo councils, rounds and accounts (safe to run again)."""
        from app.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET, seed_demo

        if current_app.config.get("ENV_NAME") == "production":
            raise click.ClickException(
                "seed-demo is for development only: its accounts' password and second factor "
                "are printed for anyone to use. Nothing was loaded."
            )
        from pathlib import Path

        from app.demo import secret

        trustee_keys = Path(
            current_app.config.get("DEMO_TRUSTEE_KEYS")
            or Path(current_app.instance_path) / "demo-trustees"
        )
        logins = seed_demo(db.session, policy(), trustee_keys)
        db.session.commit()
        click.echo(f"Demo data is ready. Demo logins (password for all: {DEMO_PASSWORD}):")
        for login in logins:
            click.echo(f"  {login.email:<38} {login.role}")
        click.echo(
            f"Staff (officers, administrators, auditors) also enter a code from an authenticator "
            f"app with the secret {DEMO_TOTP_SECRET}, or print one with:\n"
            f"  .venv/bin/python -c \"import pyotp; print(pyotp.TOTP('{DEMO_TOTP_SECRET}').now())\""
        )
        base = f"http://127.0.0.1:{os.environ.get('PORT', '5000')}"
        for line in secret.notes(trustee_keys, base):
            click.echo(line)

    @app.cli.command("advance-phases")
    def advance_phases_command() -> None:
        """Move rounds on whose schedule says so (run it from cron, e.g. every 10 minutes).

        Exits 1 when a round's move failed with an error (logged with its traceback and shown
        on the round's officer page); the other rounds are moved all the same."""
        import logging

        from app.web.notices import send_fingerprints
        from app.workflow.clock import utcnow
        from app.workflow.models import Phase
        from app.workflow.rounds import advance_due_rounds

        failed = 0
        stuck = []
        for move in advance_due_rounds(db.session, utcnow()):
            name = (
                f"{move.round.council.slug}/{move.round.slug}"
                if move.round is not None
                else f"round {move.round_id}"
            )
            for phase in move.moved_to:
                click.echo(f"{name}: now in {phase.label.lower()}")
            if Phase.CLOSED in move.moved_to:
                try:
                    sent = send_fingerprints(move.round)
                except Exception:
                    # The round is closed and counted; the email is what failed.
                    db.session.rollback()
                    logging.getLogger(__name__).exception(
                        "round %s closed, but emailing its fingerprints failed", move.round.id
                    )
                    click.echo(f"{name}: closed, but emailing the fingerprints failed", err=True)
                    failed += 1
                else:
                    click.echo(f"{name}: fingerprints emailed to {plural(len(sent), 'auditor')}")
            if move.problem:
                click.echo(f"{name}: not moved: {move.problem}", err=True)
                if move.round is not None:
                    stuck.append((move.round, move.problem))
            failed += move.failed
        # Closed encrypted rounds too large to shuffle in the closing request.
        from app.workflow import secrecy
        from votes.secrecy.parallel import default_workers

        for funding_round in secrecy.mix_pending(db.session, workers=default_workers()):
            click.echo(
                f"{funding_round.council.slug}/{funding_round.slug}: ballots shuffled by the server"
            )
        from app.web.messages import worker
        from app.workflow import notices
        from app.workflow.clock import london_date

        now = utcnow()
        for line in notices.send_scheduled(db.session, now, london_date(now), stuck):
            click.echo(line)
        worker.deliver_noted(app)
        if failed:
            click.echo(f"{plural(failed, 'round')} failed: see the log", err=True)
            raise SystemExit(1)

    @app.cli.command("tally")
    @click.argument("round_id", metavar="ROUND", type=int)
    def tally_command(round_id: int) -> None:
        """Count a closed round's pots (ROUND is its id, as the API gives it). A re-run checks
        that the count gives the stored result again."""
        from app.workflow.clock import utcnow
        from app.workflow.errors import DomainError
        from app.workflow.models import FundingRound
        from app.workflow.results import tally_round

        funding_round = db.session.get(FundingRound, round_id)
        if funding_round is None:
            raise click.ClickException(f"No round has the id {round_id}.")
        try:
            rows = tally_round(db.session, funding_round, utcnow())
            db.session.commit()
        except DomainError as e:
            db.session.rollback()
            raise click.ClickException(e.message) from None
        for row in rows:
            state = " (withheld: too few ballots to publish figures)" if row.withheld else ""
            click.echo(
                f"{row.pot.name}: {plural(row.ballot_count, 'ballot')}, {row.rule}, "
                f"log head {row.log_head_hash}{state}"
            )

    @app.cli.command("network-figures")
    def network_figures_command() -> None:
        """Store the network's figures for every counted pot that lacks them (pots counted
        before they were stored with each result): counted once from the stored ballots, as
        closing voting does, so the network's pages never count ballots."""
        from app.workflow.clock import utcnow
        from app.workflow.network import fill_missing_figures

        done = fill_missing_figures(db.session, utcnow())
        db.session.commit()
        click.echo(
            f"{plural(done, 'pot')} given figures" if done else "Every counted pot has its figures"
        )

    @app.cli.command("export")
    @click.argument("round_id", metavar="ROUND", type=int)
    @click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False))
    def export_command(round_id: int, out_dir: str) -> None:
        """Write the auditor export of each pot of a closed round (ROUND is its id) to DIR."""
        from pathlib import Path

        from app.workflow.errors import DomainError
        from app.workflow.exports import export_files
        from app.workflow.models import FundingRound

        funding_round = db.session.get(FundingRound, round_id)
        if funding_round is None:
            raise click.ClickException(f"No round has the id {round_id}.")
        out = Path(out_dir)
        try:
            # Each pot's ZIP is written as soon as it is made, not all held until the end.
            for name, data in export_files(db.session, funding_round):
                out.mkdir(parents=True, exist_ok=True)
                (out / name).write_bytes(data)
                click.echo(str(out / name))
        except DomainError as e:
            raise click.ClickException(e.message) from None

    @app.cli.command("open-data")
    @click.option("--out", "out_file", type=click.Path(dir_okay=False), help="Also write it here.")
    def open_data_command(out_file: str | None) -> None:
        """Build the network's open data ZIP and every published pot's files now, into
        OPEN_DATA_DIR (default instance/open-data), so that no request builds them from
        nothing: after a deployment, or from the scheduler after results are published."""
        from pathlib import Path

        from app.web.open_data import store
        from app.workflow import open_data

        kept = store()
        data = open_data.network_zip(db.session, kept)
        pots = len(open_data.published_pots(db.session))
        where = f" in {kept.folder}" if kept is not None else " (OPEN_DATA_DIR is empty: not kept)"
        click.echo(f"open data: {plural(pots, 'pot')}, {len(data):,} bytes{where}")
        if out_file:
            Path(out_file).write_bytes(data)
            click.echo(out_file)

    @app.cli.command("network-admin")
    @click.argument("email")
    @click.option("--remove", is_flag=True, help="Take it away instead.")
    def network_admin_command(email: str, remove: bool) -> None:
        """Make the account EMAIL an administrator of the network, who may host organisations
        that belong to no council (or, with --remove, no longer one). Recorded in the audit
        trail."""
        from app.workflow.accounts import find_by_email, set_network_admin

        user = find_by_email(db.session, email)
        if user is None:
            raise click.ClickException(f"No account has the email address {email}.")
        changed = set_network_admin(db.session, user, admin=not remove)
        db.session.commit()
        state = "no longer" if remove else "now"
        click.echo(
            f"{user.email} is {state} a network administrator" + ("" if changed else " (as before)")
        )

    @app.cli.command("create-app-role")
    @click.argument("name", required=False)
    @click.option("--print-sql", is_flag=True, help="Print the statements instead of running them.")
    def create_app_role_command(name: str | None, print_sql: bool) -> None:
        """Create the app's PostgreSQL role NAME, or bring its rights up to date (idempotent).

        Connects as the tables' owner (MIGRATION_DATABASE_URL, else DATABASE_URL). NAME
        defaults to DATABASE_URL's user, whose password (if the URL has one) the role gets.
        The role may read and insert into the ballot box, the ballot log, the results and the
        audit trail, never update, delete or truncate them; run this again after each
        `flask db upgrade`."""
        from sqlalchemy import create_engine, make_url, text
        from sqlalchemy.pool import NullPool

        from app.workflow.database_roles import (
            RoleError,
            check_role_name,
            create_app_role,
            grant_statements,
            tables_owner,
        )

        app_url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
        owner_url = app.config.get("MIGRATION_DATABASE_URL") or app_url
        if name is None:
            if not app.config.get("MIGRATION_DATABASE_URL") or not app_url.username:
                raise click.ClickException(
                    "Give the role's NAME, or set MIGRATION_DATABASE_URL to the tables' owner "
                    "and DATABASE_URL to the app's role (whose user is then the NAME)."
                )
            name = app_url.username
        password = app_url.password if app_url.username == name else None
        engine = create_engine(owner_url, poolclass=NullPool)
        if engine.dialect.name != "postgresql":
            raise click.ClickException("create-app-role is for PostgreSQL: SQLite has no roles.")
        try:
            check_role_name(name)
            with engine.begin() as conn:
                if print_sql:
                    if not conn.execute(
                        text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": name}
                    ).scalar():
                        click.echo(f"CREATE ROLE {name} LOGIN PASSWORD '...';")
                    for statement in grant_statements(conn, name, tables_owner(conn)):
                        click.echo(statement + ";")
                    return
                ran = create_app_role(conn, name, password)
        except RoleError as e:
            raise click.ClickException(str(e)) from None
        finally:
            engine.dispose()
        for statement in ran:
            click.echo(statement + ";")
        click.echo(
            f"{name} can read and insert into the append-only tables and nothing more; "
            "run this again after each `flask db upgrade`."
        )
