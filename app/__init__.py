"""The Devolve web application: ``create_app`` builds it, nothing happens at import time."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader
from sqlalchemy import event
from sqlalchemy.engine import Engine

from config import Config, config_from_env

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: type[Config] | Mapping[str, Any] | None = None) -> Flask:
    """Build the application.

    ``config`` is a config class, or a mapping of settings laid over the class that
    DEVOLVE_ENV chooses (development by default); ``None`` takes the environment's class alone.
    """
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
    )
    if isinstance(config, type):
        app.config.from_object(config)
    else:
        app.config.from_object(config_from_env())
        if config:
            app.config.update(config)
    _finish_config(app)

    from app.web import security

    security.register_converters(app)  # before the blueprints add their routes

    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(str(ROOT / "templates")),
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    from app.web.extensions import csrf, db, limiter, login_manager, mail, migrate, wtforms_helpers
    from app.workflow import models  # noqa: F401  (registers the tables with the metadata)
    from ballots import models as _ballot_tables  # noqa: F401  (and the ballot box's)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    mail.init_app(app)
    limiter.init_app(app)
    wtforms_helpers.init_app(app)

    from app.cli import register_cli
    from app.web import auth, errors, i18n, sessions, two_factor
    from app.web.api import bp as api_bp
    from app.web.auditors import bp as auditors_bp
    from app.web.elections import bp as elections_bp
    from app.web.kiosk import bp as kiosk_bp
    from app.web.meetings import bp as meetings_bp
    from app.web.network import bp as network_bp
    from app.web.officers import bp as officers_bp
    from app.web.open_data import bp as open_data_bp
    from app.web.organisations import bp as organisations_bp
    from app.web.presenters import formatting as filters
    from app.web.public import bp as public_bp
    from app.web.residents import bp as residents_bp
    from app.web.results import bp as results_bp
    from app.web.room import bp as room_bp
    from app.web.room_kiosk import bp as room_kiosk_bp
    from app.web.status import bp as status_bp
    from app.web.trustees import bp as trustees_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(residents_bp)
    app.register_blueprint(officers_bp)
    app.register_blueprint(auditors_bp)
    app.register_blueprint(status_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(results_bp)
    app.register_blueprint(trustees_bp)
    app.register_blueprint(kiosk_bp)
    app.register_blueprint(organisations_bp)
    app.register_blueprint(meetings_bp)
    app.register_blueprint(room_bp)
    app.register_blueprint(room_kiosk_bp)
    app.register_blueprint(elections_bp)
    app.register_blueprint(network_bp)
    app.register_blueprint(open_data_bp)
    i18n.init_app(app)
    auth.init_login(login_manager)
    auth.init_app(app)
    sessions.init_app(app)
    two_factor.init_app(app)
    errors.register(app)
    filters.register(app)
    security.register(app)
    from app.web.messages import worker as message_worker

    message_worker.register(app)
    register_cli(app)
    return app


def _check_messages(app: Flask) -> None:
    """Refuse message settings that cannot work, naming the setting: an unknown gateway, a
    malformed NOTIFY_TEMPLATES, SMTP for email without a server."""
    from app.web.messages.gateways import SettingsError, notify_client, notify_templates

    if app.config.get("EMAIL_GATEWAY") not in ("notify", "smtp"):
        raise RuntimeError("EMAIL_GATEWAY must be notify or smtp")
    try:
        notify_templates(app.config.get("NOTIFY_TEMPLATES"))
        if app.config.get("NOTIFY_API_KEY"):
            notify_client(app)
    except SettingsError as e:
        raise RuntimeError(str(e)) from None
    production = app.config.get("ENV_NAME") == "production"
    if (
        app.config.get("EMAIL_GATEWAY") == "smtp"
        and production
        and not app.config.get("MAIL_SERVER")
    ):
        raise RuntimeError("EMAIL_GATEWAY=smtp needs MAIL_SERVER")


def _finish_config(app: Flask) -> None:
    """Fill in what depends on the instance folder, and refuse unsafe production settings."""
    env = app.config.get("ENV_NAME")
    if env == "production":
        key = app.config.get("SECRET_KEY") or ""
        if len(key) < 32:
            raise RuntimeError("SECRET_KEY must be set to a random value of 32+ characters")
        if not app.config.get("SQLALCHEMY_DATABASE_URI"):
            raise RuntimeError("DATABASE_URL must be set in production")
        if not app.config.get("MAIL_SERVER") and not app.config.get("NOTIFY_API_KEY"):
            raise RuntimeError(
                "NOTIFY_API_KEY or MAIL_SERVER must be set in production: they send the emails"
            )
        _check_messages(app)
        if not str(app.config.get("PUBLIC_URL") or "").startswith("https://"):
            raise RuntimeError("PUBLIC_URL must be the site's https:// address in production")
        from app.web.i18n import uncompiled

        if uncompiled():
            names = ", ".join(f"{p.parent.parent.name}/{p.name}" for p in uncompiled())
            raise RuntimeError(f"compile the language catalogues (make translations): {names}")
        return
    # Nothing leaves the machine without a mail server: the mail gateway logs each email.
    app.config["MAIL_SUPPRESS_SEND"] = not app.config.get("MAIL_SERVER")
    _check_messages(app)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        db_file = Path(app.instance_path) / "devolve.sqlite3"
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{db_file}"
    if not app.config.get("SECRET_KEY"):
        # Generated once per checkout so sessions survive restarts of `make run`.
        key_file = Path(app.instance_path) / "secret_key"
        if not key_file.exists():
            key_file.write_text(secrets.token_urlsafe(48))
            key_file.chmod(0o600)
        app.config["SECRET_KEY"] = key_file.read_text().strip()


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:  # noqa: ARG001
    """SQLite leaves foreign keys off unless asked on every connection; the rules must hold."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()
