"""The application factory and its configuration."""

import pytest

from app import create_app
from config import ProductionConfig, TestingConfig, database_url


def test_testing_config_is_used(app):
    assert app.testing
    assert app.config["WTF_CSRF_ENABLED"], "CSRF stays on in tests, as users have it"


def test_session_cookie_is_httponly_and_lax(app):
    assert app.config["SESSION_COOKIE_HTTPONLY"]
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_production_cookies_are_secure():
    assert ProductionConfig.SESSION_COOKIE_SECURE
    assert ProductionConfig.REMEMBER_COOKIE_SECURE


@pytest.mark.parametrize(
    "settings, problem",
    [
        ({"SECRET_KEY": None, "SQLALCHEMY_DATABASE_URI": "sqlite://"}, "SECRET_KEY"),
        ({"SECRET_KEY": "short", "SQLALCHEMY_DATABASE_URI": "sqlite://"}, "SECRET_KEY"),
        ({"SECRET_KEY": "x" * 40, "SQLALCHEMY_DATABASE_URI": None}, "DATABASE_URL"),
        (
            {"SECRET_KEY": "x" * 40, "SQLALCHEMY_DATABASE_URI": "sqlite://", "MAIL_SERVER": None},
            "MAIL_SERVER",
        ),
        (
            {
                "SECRET_KEY": "x" * 40,
                "SQLALCHEMY_DATABASE_URI": "sqlite://",
                "MAIL_SERVER": "smtp.example.org",
                "PUBLIC_URL": "http://pb.example.org",
            },
            "PUBLIC_URL",
        ),
    ],
)
def test_production_refuses_to_start_without_real_settings(settings, problem):
    config = type("Prod", (ProductionConfig,), settings)
    with pytest.raises(RuntimeError, match=problem):
        create_app(config)


def test_production_starts_with_real_settings():
    config = type(
        "Prod",
        (ProductionConfig,),
        {
            "SECRET_KEY": "x" * 40,
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "MAIL_SERVER": "smtp.example.org",
            "PUBLIC_URL": "https://pb.example.org",
        },
    )
    app = create_app(config)
    assert not app.testing
    assert app.config["SESSION_COOKIE_SECURE"]
    assert not app.config.get("MAIL_SUPPRESS_SEND")


def test_a_mapping_is_laid_over_the_environment_config(monkeypatch):
    monkeypatch.setenv("DEVOLVE_ENV", "testing")
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SIGN_IN_RATE_LIMIT": "1 per day"})
    assert app.testing
    assert app.config["SIGN_IN_RATE_LIMIT"] == "1 per day"


def test_unknown_environment_is_refused(monkeypatch):
    monkeypatch.setenv("DEVOLVE_ENV", "staging-ish")
    with pytest.raises(RuntimeError, match="DEVOLVE_ENV"):
        create_app()


@pytest.mark.parametrize(
    "given, expected",
    [
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql://u@h:5432/db", "postgresql+psycopg://u@h:5432/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_postgres_urls_use_psycopg3(given, expected):
    assert database_url(given) == expected


def test_tests_run_on_the_database_they_were_given(app, db):
    """A run pointed at PostgreSQL that quietly used SQLite would prove nothing."""
    import os

    expected = (
        "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"
    )
    assert db.engine.dialect.name == expected
    assert TestingConfig.TESTING


def test_status_reports_the_database(client):
    response = client.get("/_status")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_production_refuses_to_start_with_a_catalogue_not_compiled(monkeypatch, tmp_path):
    """A language whose catalogue was never compiled would show its pages in English."""
    from app.web import i18n

    po = tmp_path / "cy" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    po.write_text("")
    monkeypatch.setattr(i18n, "TRANSLATIONS", tmp_path)
    assert i18n.uncompiled() == [po]
    config = type(
        "Prod",
        (ProductionConfig,),
        {
            "SECRET_KEY": "x" * 40,
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "MAIL_SERVER": "smtp.example.org",
            "PUBLIC_URL": "https://pb.example.org",
        },
    )
    with pytest.raises(RuntimeError, match="make translations"):
        create_app(config)
