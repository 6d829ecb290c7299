"""Browser-side hardening on every route of the URL map, anonymous and signed in: a
Content-Security-Policy without 'unsafe-inline' whose nonce is on the page's only inline
script and style, no framing, HSTS in production only, and Cache-Control: no-store on every
page for someone signed in and on every download."""

from __future__ import annotations

import re

import pytest

from app import create_app
from config import ProductionConfig
from tests.app.hardening import (
    AUDITOR,
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


def policy(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy")
    assert header, f"{response.request.path}: no Content-Security-Policy"
    out = {}
    for part in header.split(";"):
        name, *values = part.split()
        out[name] = values
    return out


def check_policy(url: str, response) -> None:
    csp = policy(response)
    assert "'unsafe-inline'" not in csp["script-src"] + csp["style-src"], url
    assert "'unsafe-eval'" not in csp["script-src"], url
    assert csp["frame-ancestors"] == ["'none'"], url
    assert csp["object-src"] == ["'none'"], url
    assert csp["base-uri"] == ["'self'"], url
    assert csp["form-action"] == ["'self'"], url
    assert "Strict-Transport-Security" not in response.headers, url  # not outside production
    if response.mimetype != "text/html":
        return
    page = soup(response)
    nonces = {n for n in csp["script-src"] if n.startswith("'nonce-")}
    for script in page.select("script"):
        if not script.get("src"):
            assert f"'nonce-{script.get('nonce')}'" in nonces, f"{url}: inline script, no nonce"
    for style in page.select("style"):
        assert f"'nonce-{style.get('nonce')}'" in csp["style-src"], f"{url}: style, no nonce"
    # Nothing the policy would block: no style attributes, no inline event handlers.
    assert not page.select("[style]"), f"{url}: a style attribute"
    handlers = [a for el in page.find_all(True) for a in el.attrs if a.startswith("on")]
    assert handlers == [], f"{url}: event handler attributes {handlers}"


def walk(app, client, world, *, who: str):
    """Every rule, every method, with real ids; GETs of each page and POSTs with a token."""
    token = csrf(client)
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint in ENDS_THE_SESSION:
            continue
        url = build(rule, real_values(rule, world))
        for method in methods(rule):
            data = {"csrf_token": token} if method == "POST" else None
            response = client.open(url, method=method, data=data)
            response.close()
            yield rule, method, url, response


@pytest.mark.parametrize("who", ["anonymous", "resident", "officer", "auditor"])
def test_every_route_sends_the_policy_and_signed_in_pages_are_not_stored(app, client, db, who):
    world = build_world()
    email = {"resident": RESIDENT, "officer": OFFICER, "auditor": AUDITOR}.get(who)
    if email:
        sign_in_as(client, email)
    seen = 0
    for rule, method, url, response in walk(app, client, world, who=who):
        seen += 1
        check_policy(f"{method} {url}", response)
        cache = response.headers.get("Cache-Control", "")
        download = "attachment" in response.headers.get("Content-Disposition", "")
        if download:
            assert cache == "no-store", url
        if email and rule.endpoint != "static":
            assert cache == "no-store", f"{method} {url} ({response.status_code}) for {who}"
    assert seen >= len(list(app.url_map.iter_rules()))


def test_public_pages_for_a_first_visit_may_be_cached_but_no_download_is(app, client, db):
    world = build_world()
    for url in ("/", "/councils/home", "/councils/home/rounds/open", "/api/v1/councils"):
        response = client.get(url)
        assert response.status_code == 200
        assert "no-store" not in response.headers.get("Cache-Control", ""), url
    static = client.get("/static/devolve.css")
    assert "no-store" not in static.headers.get("Cache-Control", "")
    static.close()
    # The auditor's ZIP and the officer's codes CSV, the two files people download.
    sign_in_as(client, AUDITOR)
    pot = world.done.pots[0].id
    response = client.get(f"/auditors/home/rounds/done/export/{pot}")
    assert response.mimetype == "application/zip"
    assert response.headers["Cache-Control"] == "no-store"
    client.post("/auth/sign-out", data={"csrf_token": csrf(client)})
    sign_in_as(client, OFFICER)
    response = client.post(
        "/officers/home/rounds/vote/voters/codes",
        data={"csrf_token": csrf(client), "which": "council"},
    )
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"


def test_each_response_has_its_own_nonce_and_the_page_uses_it(app, client, db):
    build_world()
    first, second = client.get("/councils/home"), client.get("/councils/home")
    nonces = []
    for response in (first, second):
        [nonce] = re.findall(r"'nonce-([^']+)'", dict(policy(response))["script-src"][1])
        page = soup(response)
        # GOV.UK's one-line script that marks the body for its JavaScript, and the colour.
        assert page.select_one("body > script")["nonce"] == nonce
        assert page.select_one("head style")["nonce"] == nonce
        nonces.append(nonce)
    assert nonces[0] != nonces[1] and len(nonces[0]) >= 22


def test_hsts_is_sent_in_production_only(app, client, db):
    assert "Strict-Transport-Security" not in client.get("/").headers
    settings = {
        "SECRET_KEY": "x" * 40,
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "MAIL_SERVER": "smtp.example",
        "PUBLIC_URL": "https://pb.example",
    }
    production = create_app(type("Prod", (ProductionConfig,), settings))
    with production.app_context():
        try:
            response = production.test_client().get("/_status")
        finally:
            db.session.remove()
            db.engine.dispose()  # this app's own pool, not the fixture's
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
