"""Register, sign in, sign out: through the forms, with CSRF, as a person would."""

import re

import pytest
from sqlalchemy import func, select

from app import create_app
from app.web import security
from app.web.extensions import db as _db
from app.web.extensions import limiter
from app.workflow.models import Role, User
from tests.app.conftest import make_config
from tests.app.pages import error_messages, get_page, sign_in, submit, summary_errors
from tests.factories import PASSWORD, create_council, create_neighbourhood, create_user


@pytest.fixture
def brixton(db):
    council = create_council(slug="lambeth", name="Lambeth Council")
    hood = create_neighbourhood(council, name="Brixton")
    db.session.commit()
    return hood


def registration(hood, **overrides):
    data = {
        "email": "Jo@Example.org",
        "display_name": "Jo Bloggs",
        "home_neighbourhood": str(hood.id),
        "date_of_birth": ["14", "5", "2008"],
        "password": "a long enough password",
        "confirm_password": "a long enough password",
    }
    data.update(overrides)
    return data


def user_count(db):
    return db.session.scalar(select(func.count()).select_from(User))


def test_register_creates_a_resident_of_the_home_council_then_sign_in(client, db, brixton):
    response = submit(client, "/auth/register", registration(brixton))
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/auth/sign-in")
    user = db.session.scalar(select(User))
    assert user.email == "jo@example.org"
    assert user.home_neighbourhood_id == brixton.id
    assert user.date_of_birth.isoformat() == "2008-05-14"
    assert user.role_in(brixton.council_id) == Role.RESIDENT
    assert user.password_hash.startswith("$argon2id$")
    assert "a long enough password" not in user.password_hash

    response = sign_in(client, "jo@example.org", "a long enough password")
    assert response.status_code == 302
    page = get_page(client, "/account/")
    assert "Jo Bloggs" in page.select_one("main").get_text()


def test_registering_an_existing_email_looks_the_same_and_changes_nothing(client, db, brixton):
    create_user(email="jo@example.org", display_name="Original")
    db.session.commit()
    fresh = submit(client, "/auth/register", registration(brixton, email="new@example.org"))
    again = submit(
        client,
        "/auth/register",
        registration(brixton, email="JO@example.org", display_name="Impostor"),
    )
    assert again.status_code == fresh.status_code == 302
    assert again.headers["Location"] == fresh.headers["Location"]
    assert user_count(db) == 2
    assert (
        db.session.scalar(select(User.display_name).where(User.email == "jo@example.org"))
        == "Original"
    )
    # The impostor's password does not open the original account.
    assert sign_in(client, "jo@example.org", "a long enough password").status_code == 200


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"email": ""}, "email", "Enter your email address"),
        (
            {"email": "not-an-email"},
            "email",
            "Enter an email address in the correct format, like name@example.com",
        ),
        ({"display_name": ""}, "display_name", "Enter your name"),
        ({"display_name": "x" * 101}, "display_name", "Your name must be 100 characters or fewer"),
        ({"home_neighbourhood": ""}, "home_neighbourhood", "Select your neighbourhood"),
        (
            {"home_neighbourhood": "999999"},
            "home_neighbourhood",
            "Select your neighbourhood from the list",
        ),
        (
            {"home_neighbourhood": "<script>"},
            "home_neighbourhood",
            "Select your neighbourhood from the list",
        ),
        (
            {"date_of_birth": ["31", "2", "2008"]},
            "date_of_birth",
            "Date of birth must be a real date",
        ),
        ({"date_of_birth": ["", "2", "2008"]}, "date_of_birth", "Date of birth must include a day"),
        (
            {"date_of_birth": ["1", "1", "08"]},
            "date_of_birth",
            "Date of birth must be a real date, with a 4-digit year",
        ),
        (
            {"date_of_birth": ["1", "1", "2999"]},
            "date_of_birth",
            "Date of birth must be in the past",
        ),
        (
            {"password": "short", "confirm_password": "short"},
            "password",
            "Password must be between 10 and 256 characters",
        ),
        (
            {"confirm_password": "something else entirely"},
            "confirm_password",
            "The passwords do not match",
        ),
    ],
)
def test_bad_registration_says_what_is_wrong_beside_the_field_and_stores_nothing(
    client, db, brixton, overrides, field, message
):
    response = submit(client, "/auth/register", registration(brixton, **overrides))
    assert response.status_code == 200
    page = get_page_from(response)
    assert page.title.get_text().strip().startswith("Error: ")
    assert message in summary_errors(page)
    assert error_messages(page).get(field) == message, error_messages(page)
    assert user_count(db) == 0


def test_no_date_of_birth_is_fine(client, db, brixton):
    response = submit(client, "/auth/register", registration(brixton, date_of_birth=["", "", ""]))
    assert response.status_code == 302
    assert db.session.scalar(select(User.date_of_birth)) is None


def get_page_from(response):
    from bs4 import BeautifulSoup

    from tests.app.pages import check_page

    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    check_page(soup)
    return soup


@pytest.fixture
def resident(db, brixton):
    user = create_user(
        email="sam@example.org", home=brixton, roles={brixton.council: Role.RESIDENT}
    )
    db.session.commit()
    return user


def test_wrong_password_and_unknown_email_get_the_same_generic_message(client, resident):
    wrong = sign_in(client, "sam@example.org", "not the password")
    unknown = sign_in(client, "nobody@example.org", "not the password")
    assert wrong.status_code == unknown.status_code == 200
    for response in (wrong, unknown):
        page = get_page_from(response)
        assert summary_errors(page) == ["Enter a correct email address and password"]
    # Apart from the CSRF token and the response's CSP nonce, the two answers are the same page.
    strip = lambda r: re.sub(  # noqa: E731
        r'nonce="[^"]+"', "", r.get_data(as_text=True).split('name="csrf_token"')[0]
    )
    assert strip(wrong) == strip(unknown)
    assert get_page(client, "/account/", status=302) is None or True
    assert client.get("/account/").status_code == 302


def test_sign_in_is_case_insensitive_on_email_and_follows_a_safe_next(client, resident):
    response = submit(
        client, "/auth/sign-in?next=/account/", {"email": " SAM@example.org ", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/"


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "javascript:alert(1)"]
)
def test_sign_in_does_not_redirect_off_site(client, resident, target):
    response = submit(
        client, f"/auth/sign-in?next={target}", {"email": "sam@example.org", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_sign_out_needs_a_post_with_csrf(client, resident):
    sign_in(client, "sam@example.org", PASSWORD)
    assert client.get("/auth/sign-out").status_code == 405
    # A cross-site POST without the token is refused and the person stays signed in.
    refused = client.post("/auth/sign-out")
    assert refused.status_code == 400
    assert client.get("/account/").status_code == 200
    response = submit(
        client,
        "/account/",
        {},
        post_to="/auth/sign-out",
        form_selector="form[action='/auth/sign-out']",
    )
    assert response.status_code == 302
    assert client.get("/account/").status_code == 302


def test_a_post_without_csrf_token_changes_nothing(client, db, brixton):
    response = client.post("/auth/register", data=registration(brixton))
    assert response.status_code == 400
    page = get_page_from(response)
    assert "Nothing has been changed" in page.get_text()
    assert user_count(db) == 0


def test_sign_in_is_rate_limited(app, client, resident):
    app.config["SIGN_IN_RATE_LIMIT"] = "3 per minute"
    for _ in range(3):
        assert sign_in(client, "sam@example.org", "wrong password!").status_code == 200
    limited = sign_in(client, "sam@example.org", PASSWORD)
    assert limited.status_code == 429
    assert "Too many tries: try again in 1 minute." in limited.get_data(as_text=True)


def test_addresses_set_as_exempt_are_not_counted_by_the_rate_limits(app, client, resident):
    app.config["SIGN_IN_RATE_LIMIT"] = "3 per minute"
    # As create_app reads RATE_LIMIT_EXEMPT_ADDRESSES; the test client comes from 127.0.0.1.
    app.extensions[security.EXEMPT] = security.exempt_networks("10.0.0.5, 127.0.0.0/8")
    for _ in range(5):
        assert sign_in(client, "sam@example.org", "wrong password!").status_code == 200
    assert sign_in(client, "sam@example.org", PASSWORD).status_code == 302
    # Another address is still limited.
    client.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    statuses = [sign_in(client, "sam@example.org", "wrong password!").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_an_exempt_address_that_is_not_one_stops_the_app_starting():
    config = type(
        "BadExempt", (make_config("sqlite://"),), {"RATE_LIMIT_EXEMPT_ADDRESSES": "10.0.0.5 pc-3"}
    )
    with pytest.raises(RuntimeError, match="'pc-3' is not an IP address or network"):
        create_app(config)


@pytest.mark.parametrize("proxies", [0, 1])
def test_behind_trusted_proxies_each_client_is_limited_by_its_own_address(
    database, tmp_path, proxies
):
    config = type(
        "BehindProxy",
        (make_config(database.fresh(tmp_path)),),
        {"SIGN_IN_RATE_LIMIT": "2 per minute", "TRUSTED_PROXIES": str(proxies)},
    )
    app = create_app(config)
    with app.app_context():
        limiter.reset()
    client = app.test_client()  # every request comes from the proxy, 127.0.0.1

    def attempts(forwarded_for: str) -> list[int]:
        client.environ_base["HTTP_X_FORWARDED_FOR"] = forwarded_for
        return [sign_in(client, "sam@example.org", "wrong password!").status_code for _ in "abc"]

    try:
        first = attempts("198.51.100.1")
        second = attempts("198.51.100.2")
        # Spoofed hops before the one the proxy added are not trusted.
        spoofed = attempts("203.0.113.9, 198.51.100.1")
    finally:
        with app.app_context():
            _db.engine.dispose()
    assert first == [200, 200, 429]
    if proxies:
        assert second == [200, 200, 429]
        assert spoofed == [429, 429, 429]
    else:
        # Without the setting the header is ignored: everyone is the proxy.
        assert second == spoofed == [429, 429, 429]


def test_trusted_proxies_that_is_not_a_number_stops_the_app_starting():
    config = type("BadProxies", (make_config("sqlite://"),), {"TRUSTED_PROXIES": "yes"})
    with pytest.raises(RuntimeError, match="TRUSTED_PROXIES: 'yes' is not 0 or the number"):
        create_app(config)


def test_session_cookie_flags(client, resident):
    response = sign_in(client, "sam@example.org", PASSWORD)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_signed_in_people_are_sent_from_register_to_their_account(client, resident):
    sign_in(client, "sam@example.org", PASSWORD)
    response = client.get("/auth/register")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/account/")
