"""The messages' commands: ``flask --app wsgi send-messages`` (the worker) and
``flask --app wsgi notify-templates`` (the text of each GOV.UK Notify template to create)."""

from __future__ import annotations

import logging

import click
from flask import Flask

from app.web.messages import worker
from app.web.messages.gateways import SettingsError, gateways


def register(app: Flask) -> None:
    @app.cli.command("send-messages")
    @click.option("--once", is_flag=True, help="Send what is due now, then stop.")
    @click.option(
        "--batch",
        default=50,
        show_default=True,
        type=click.IntRange(1, 1000),
        help="Messages claimed at a time, per channel.",
    )
    def send_messages_command(once: bool, batch: int) -> None:
        """Send the outbox's messages, with retries (run beside gunicorn, on any number of
        hosts: each message is claimed by one worker). Ctrl-C stops it between messages."""
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
        try:
            gateways(app)
        except SettingsError as e:
            raise click.ClickException(str(e)) from None
        if app.config.get("MESSAGES_IN_PROCESS") and not once:
            click.echo("Sending messages (also sent by the web process: MESSAGES_IN_PROCESS).")
        try:
            done = worker.run(app, once=once, batch=batch)
        except KeyboardInterrupt:
            click.echo("Stopped.")
            return
        click.echo(worker.summary(done))

    @app.cli.command("notify-templates")
    @click.option("--language", default=None, help="Only this language (en, cy).")
    def notify_templates_command(language: str | None) -> None:
        """Print each GOV.UK Notify template to create, kind by kind and language by
        language: its channel, subject, text with ((fields)), and where its id goes
        (NOTIFY_TEMPLATES; docs/notify.md)."""
        from app.web import i18n
        from app.web.messages.wording import WORDINGS, notify_text

        languages = [language] if language else list(i18n.languages())
        if language and not i18n.valid(language):
            raise click.ClickException(
                f"{language!r} is not one of the service's languages: {', '.join(i18n.languages())}"
            )
        for kind, w in WORDINGS.items():
            for channel in w.templates:
                for code in languages:
                    subject, body = notify_text(kind, channel, code)
                    click.echo(f"=== {kind} ({channel.value}, {code}) ===")
                    if channel.value != "sms":
                        click.echo(f"Subject: {subject}")
                    click.echo(body)
        click.echo('Put each id in NOTIFY_TEMPLATES: {"kind": {"en": "<id>", "cy": "<id>"}, ...}')
        click.echo('A kind sent more than one way has one per channel: "voting_code.letter", ...')
