"""Password hashes at production's Argon2id parameters, and old hashes upgraded at sign-in.

These tests build the app with production's parameters (the suite's own are the cheapest
there are), so each hash here costs what it costs a council: a few tenths of a second in all.
"""

import pytest
from argon2 import PasswordHasher, Type, extract_parameters
from flask import g
from sqlalchemy import select

from app import create_app
from app.web.extensions import db as _db
from app.web.extensions import limiter
from app.workflow.models import User
from config import ProductionConfig
from tests.app.pages import sign_in
from tests.conftest import TEMPLATE_CACHE, make_config
from tests.factories import PASSWORD, create_council, create_neighbourhood, create_user

# What the previous releases hashed with: argon2.profiles.RFC_9106_LOW_MEMORY.
OLD = PasswordHasher(
    time_cost=3, memory_cost=64 * 1024, parallelism=4, hash_len=32, salt_len=16, type=Type.ID
)
PRODUCTION = ProductionConfig.PASSWORD_HASH_PARAMETERS


@pytest.fixture
def app(database, tmp_path):
    config = type(
        "ProductionHashing",
        (make_config(database.fresh(tmp_path)),),
        {"PASSWORD_HASH_PARAMETERS": PRODUCTION},
    )
    app = create_app(config)
    app.jinja_env.bytecode_cache = TEMPLATE_CACHE

    # This app context outlives each request, and Flask-Login and Flask-WTF keep the signed-in
    # user and the CSRF token in ``g``: forget them, so that each client is seen as itself.
    @app.before_request
    def forget_the_last_client():
        g.pop("_login_user", None)
        g.pop("csrf_token", None)

    with app.app_context():
        limiter.reset()
        yield app
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture
def jo(db):
    council = create_council(slug="lambeth", name="Lambeth Council")
    create_neighbourhood(council, name="Brixton")
    user = create_user(email="jo@example.org")
    user.password_hash = OLD.hash(PASSWORD)
    db.session.commit()
    return user


def stored_hash(db) -> str:
    db.session.expire_all()
    return db.session.scalar(select(User.password_hash).where(User.email == "jo@example.org"))


def test_production_hashes_with_owasps_first_argon2id_parameters(app, db):
    user = create_user(email="new@example.org")
    params = extract_parameters(user.password_hash)
    assert user.password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert (params.memory_cost, params.time_cost, params.parallelism) == (19456, 2, 1)
    assert (params.hash_len, params.salt_len) == (32, 16)
    # Unknown emails are checked against a hash of the same cost.
    dummy = extract_parameters(app.extensions["devolve.accounts"].dummy_hash)
    assert dummy == params


def test_an_old_hash_is_upgraded_at_the_next_sign_in_and_the_password_still_works(client, db, jo):
    old = stored_hash(db)
    assert extract_parameters(old).memory_cost == 65536

    response = sign_in(client, "jo@example.org", PASSWORD)
    assert response.status_code == 302

    upgraded = stored_hash(db)
    assert upgraded != old
    params = extract_parameters(upgraded)
    assert (params.memory_cost, params.time_cost, params.parallelism) == (19456, 2, 1)
    assert PasswordHasher().verify(upgraded, PASSWORD)

    # In another browser the same password opens the account with its new hash, which stays.
    other_browser = client.application.test_client()
    assert sign_in(other_browser, "jo@example.org", PASSWORD).status_code == 302
    assert stored_hash(db) == upgraded


def test_a_wrong_password_does_not_upgrade_the_hash(client, db, jo):
    old = stored_hash(db)
    response = sign_in(client, "jo@example.org", "not the password")
    assert response.status_code == 200
    assert "Enter a correct email address and password" in response.get_data(as_text=True)
    assert stored_hash(db) == old
