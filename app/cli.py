"""Command-line tasks: `flask --app wsgi COMMAND`."""

from __future__ import annotations

import click
from flask import Flask

from app.extensions import db


def register_cli(app: Flask) -> None:
    @app.cli.command("seed-demo")
    def seed_demo_command() -> None:
        """Load the demo councils, rounds and accounts (safe to run again)."""
        from app.demo import DEMO_PASSWORD, seed_demo

        logins = seed_demo(db.session)
        db.session.commit()
        click.echo(f"Demo data is ready. Demo logins (password for all: {DEMO_PASSWORD}):")
        for login in logins:
            click.echo(f"  {login.email:<38} {login.role}")

    @app.cli.command("advance-phases")
    def advance_phases_command() -> None:
        """Move rounds on whose schedule says so (run it from cron, e.g. every 10 minutes)."""
        from app.rounds import advance_due_rounds
        from ballots.db import utcnow

        for move in advance_due_rounds(db.session, utcnow()):
            council = move.round.council.slug
            for phase in move.moved_to:
                click.echo(f"{council}/{move.round.slug}: now in {phase.label.lower()}")
            if move.problem:
                click.echo(f"{council}/{move.round.slug}: not moved: {move.problem}", err=True)
