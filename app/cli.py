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
        click.echo("Demo data is ready. Demo logins (password for all: %s):" % DEMO_PASSWORD)
        for login in logins:
            click.echo(f"  {login.email:<38} {login.role}")
