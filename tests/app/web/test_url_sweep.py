"""No address and no form gets a 5xx: every rule of the URL map, every method, anonymous and
signed in as a resident and as an officer, with out-of-range numbers, NUL bytes and other
control characters in each of its arguments and in the query string."""

from __future__ import annotations

import logging

import pytest
from werkzeug.routing import IntegerConverter, PathConverter

from tests.app.hardening import (
    ENDS_THE_SESSION,
    OFFICER,
    RESIDENT,
    build,
    build_world,
    csrf,
    methods,
    real_values,
    sign_in_as,
)
from tests.app.pages import soup

# What an attacker (or a mistyped letter) puts where an id goes: beyond PostgreSQL's integer,
# beyond SQLite's, negative, zero, and longer than Python converts by default.
BAD_IDS = ["2147483648", "99999999999999999999", "-1", "0", "1" * 5000]
# ... and where a slug goes: NUL, other control characters, DEL, bytes that are not UTF-8.
BAD_SLUGS = ["%00", "a%00b", "%01", "x%0Ay", "%7F", "%FF%FE", "%C0%80", "x" * 3000]
BAD_PATHS = ["%00", "..%2F..%2Fconfig.py", "govuk%00.css"]
BAD_QUERIES = [
    "page=%00",
    "page=99999999999999999999",
    "page=-1",
    "page=2147483648",
    "ballot=99999999999999999999",
    "next=%00",
    "next=%0D%0ALocation:%20x",
    "%00=1",
]


def bad_values(converter) -> list[str]:
    if isinstance(converter, IntegerConverter):
        return BAD_IDS
    if isinstance(converter, PathConverter):
        return BAD_PATHS
    return BAD_SLUGS


def addresses(app, world):
    """(method, url) for every rule: each argument in turn replaced by each bad value, then the
    real address with each bad query string."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        real = real_values(rule, world)
        for method in methods(rule):
            for name, converter in rule._converters.items():
                for value in bad_values(converter):
                    yield method, rule.endpoint, build(rule, {**real, name: value})
            url = build(rule, real)
            for query in BAD_QUERIES:
                yield method, rule.endpoint, f"{url}?{query}"


def sweep(app, client, world, who: str) -> tuple[list, int]:
    """Every address, sent; the ones answered with a 5xx (or an exception)."""
    failures, sent = [], 0
    token = csrf(client)
    for method, endpoint, url in addresses(app, world):
        if endpoint in ENDS_THE_SESSION and who != "anonymous":
            continue  # it would end the walk for the signed-in
        data = {"csrf_token": token} if method == "POST" else None
        try:
            response = client.open(url, method=method, data=data)
        except Exception as error:  # noqa: BLE001 - any exception is a 500 in production
            failures.append((method, url, repr(error)[:200]))
            continue
        finally:
            sent += 1
        response.close()
        if response.status_code >= 500:
            failures.append((method, url, response.status_code))
        if method == "POST":
            # A form posted with a NUL in it is refused before anything reads it.
            response = client.post(url, data={"csrf_token": token, "title": "a\x00b"})
            response.close()
            sent += 1
            if response.status_code >= 500:
                failures.append((method, url + " (NUL in form)", response.status_code))
    return failures, sent


@pytest.mark.parametrize("who", ["anonymous", "resident", "officer"])
def test_no_address_in_the_url_map_answers_with_a_5xx(app, client, db, who, caplog):
    world = build_world()
    if who != "anonymous":
        sign_in_as(client, {"resident": RESIDENT, "officer": OFFICER}[who])
    caplog.set_level(logging.ERROR)
    failures, sent = sweep(app, client, world, who)
    assert sent > 2000
    assert failures == []
    # No traceback in the log either.
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_the_examples_from_the_issue_get_a_404_or_a_400_page_saying_why(app, client, db):
    build_world()
    response = client.get("/api/v1/rounds/2147483648")
    assert response.status_code == 404 and response.get_json() == {"error": "not found"}
    for url in ("/councils/home/rounds/open/proposals/99999999999999999999", "/councils/-1"):
        response = client.get(url)
        assert response.status_code == 404
        assert soup(response).h1.get_text(strip=True) == "Page not found"
    for url in ("/councils/%00", "/councils/home/rounds/open?page=%00"):
        response = client.get(url)
        assert response.status_code == 400
        page = soup(response)
        assert page.h1.get_text(strip=True) == "There is a problem with your request"
        assert "control character" in page.select_one("main").get_text()
    assert client.get("/councils/home/rounds/open?page=99999999999999999999").status_code == 404
    response = client.get("/api/v1/councils?x=%00")
    assert response.status_code == 400 and response.get_json()["error"] == "bad request"


def test_a_form_with_a_nul_byte_is_refused_and_changes_nothing(app, client, db):
    from sqlalchemy import func, select

    from app.workflow.models import Proposal

    build_world()
    sign_in_as(client, RESIDENT)
    before = db.session.scalar(select(func.count()).select_from(Proposal))
    response = client.post(
        "/councils/home/rounds/open/propose",
        data={
            "csrf_token": csrf(client),
            "title": "Skate\x00park",
            "summary": "s",
            "description": "d",
            "estimated_cost": "100",
        },
    )
    assert response.status_code == 400
    assert "Nothing has been changed" in soup(response).select_one("main").get_text()
    assert db.session.scalar(select(func.count()).select_from(Proposal)) == before
    # Line breaks and tabs in a text area are not control characters to refuse.
    response = client.post(
        "/councils/home/rounds/open/propose",
        data={"csrf_token": csrf(client), "description": "line one\r\n\tline two"},
    )
    assert response.status_code == 200


def test_an_amount_beyond_any_budget_is_refused_by_the_form_not_the_database(app, client, db):
    from sqlalchemy import func, select

    from app.workflow.models import FundingRound
    from tests.app.pages import error_messages

    build_world()
    sign_in_as(client, OFFICER)
    before = db.session.scalar(select(func.count()).select_from(FundingRound))
    response = client.post(
        "/officers/home/rounds/new",
        data={
            "csrf_token": csrf(client),
            "title": "Huge",
            "description": "d",
            "total_budget": "99999999999999999999",
            "method": "council",
        },
    )
    assert response.status_code == 200
    assert error_messages(soup(response))["total_budget"] == (
        "Total budget must be £100,000,000,000 or less"
    )
    assert db.session.scalar(select(func.count()).select_from(FundingRound)) == before
