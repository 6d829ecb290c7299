"""Public pages run the same number of SQL statements whatever the number of proposals and
ballots: a page that queried once per proposal, pot result row or ballot would show here as a
count that grows from the small round to the larger one.

The rounds are built as ``bench/pages.py`` builds them (the ballot box's rows bulk-inserted
with the hashes of ``ballots.box``, then closed and published through the app), so the
benchmark's data is checked here too: its log verifies and its receipts are found.
"""

from __future__ import annotations

import pytest
from flask import current_app
from sqlalchemy import event

from app.web.extensions import db
from app.workflow.models import Phase
from ballots import box
from bench.pages import PASSWORD, Built, build_round

SMALL = {"proposals": 4, "on_ballot": 2, "ballots": 5, "supports": 2, "contributions": 1}
# More proposals than fit on one round page, ten times the projects on each ballot.
LARGE = {"proposals": 60, "on_ballot": 10, "ballots": 300, "supports": 40, "contributions": 30}


class Statements:
    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ARG002, PLR0913
        self.seen.append(statement)


def request(client, method: str, url: str, **kwargs):
    """One request in an app context of its own, as a server runs it: the test's context (its
    ``g`` with the signed-in user and CSRF token, its session with what was loaded) would
    otherwise be shared by every request the test makes."""
    with current_app.app_context():
        response = client.open(url, method=method, **kwargs)
        response.get_data()
        return response


def count(client, method: str, url: str, **kwargs) -> tuple[int, list[str]]:
    """The statements one request runs."""
    seen = Statements()
    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        response = request(client, method, url, **kwargs)
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert response.status_code == 200, f"{method} {url}: {response.status_code}"
    return len(seen.seen), seen.seen


def token(client, url: str) -> str:
    from tests.app.pages import soup

    page = soup(request(client, "GET", url))
    return page.select_one("main form[method=post] input[name=csrf_token]")["value"]


def signed_in(app, built: Built):
    client = app.test_client()
    csrf = token(client, "/auth/sign-in")
    data = {"csrf_token": csrf, "email": built.resident_email, "password": PASSWORD}
    assert request(client, "POST", "/auth/sign-in", data=data).status_code == 302
    return client


def round_pages(built: Built) -> dict[str, str]:
    base = f"/councils/{built.council_slug}/rounds/{built.round_slug}"
    api = f"/api/v1/rounds/{built.round_id}"
    return {
        "round": base,
        "receipt": base + "/receipt",
        "results": base + "/results",
        "figures": base + "/results/figures",
        "pot": base + f"/results/{built.pot_id}",
        "compare": base + "/results/compare",
        "api round": api,
        "api proposals": api + "/proposals",
        "api results": api + "/results",
    }


def statement_counts(app, phase: Phase) -> tuple[dict, dict]:
    counts = {}
    for size, name in ((SMALL, "small"), (LARGE, "large")):
        built = build_round(db.session, name=name, phase=phase, **size)
        urls = round_pages(built)
        anonymous = app.test_client()
        resident = signed_in(app, built)
        pages = ["round", "receipt", "api round", "api proposals"]
        if phase == Phase.PUBLISHED:
            pages += ["results", "figures", "pot", "compare", "api results"]
        out = {p: count(anonymous, "GET", urls[p]) for p in pages}
        out["round (resident)"] = count(resident, "GET", urls["round"])
        last = -(-size["proposals"] // 50)
        out["round, last page"] = count(anonymous, "GET", urls["round"] + f"?page={last}")
        csrf = token(anonymous, urls["receipt"])
        out["receipt found"] = count(
            anonymous, "POST", urls["receipt"], data={"csrf_token": csrf, "receipt": built.receipt}
        )
        out["receipt not found"] = count(
            anonymous, "POST", urls["receipt"], data={"csrf_token": csrf, "receipt": "NOPE-0"}
        )
        counts[name] = out
        assert box.verify_log(db.session, built.round_id) == []
    return counts["small"], counts["large"]


@pytest.mark.parametrize("phase", [Phase.VOTING, Phase.PUBLISHED])
def test_public_pages_run_as_many_statements_for_60_proposals_and_300_ballots_as_for_4_and_5(
    app, phase
):
    small, large = statement_counts(app, phase)
    grew = {
        page: (small[page][0], large[page][0], large[page][1])
        for page in small
        if small[page][0] != large[page][0]
    }
    assert not grew, "statements per page grew with proposals and ballots: " + "; ".join(
        f"{page}: {a} -> {b}\n" + "\n".join(statements) for page, (a, b, statements) in grew.items()
    )
    # Bounded, not merely equal: a handful of queries per page.
    assert max(n for n, _ in large.values()) <= 20, str({p: n for p, (n, _) in large.items()})


def test_the_receipt_check_finds_a_bulk_built_ballot_and_the_round_page_pages_its_proposals(
    app, client
):
    from tests.app.pages import get_page, submit

    built = build_round(
        db.session, name="paged", phase=Phase.VOTING, **{**LARGE, "proposals": 120, "pots": 2}
    )
    base = f"/councils/{built.council_slug}/rounds/{built.round_slug}"
    page = get_page(client, base)
    assert "Showing proposals 1 to 50 of 120" in page.select_one("#proposals-shown").get_text()
    assert len(page.select("section[aria-labelledby^=pot-] li")) == 50
    assert page.select_one(".govuk-pagination__next a")["href"] == base + "?page=2#proposals"
    second = get_page(client, base + "?page=2")
    assert len(second.select("section[aria-labelledby^=pot-] li")) == 50
    # The first pot's list ends and the second's starts on page 2.
    assert len(second.select("section[aria-labelledby^=pot-]")) == 2
    third = get_page(client, base + "?page=3")
    assert len(third.select("section[aria-labelledby^=pot-] li")) == 20
    assert third.select_one(".govuk-pagination__prev a")["href"] == base + "?page=2#proposals"
    assert not third.select_one(".govuk-pagination__next")
    # Each pot's row gives its number of proposals and links to the page its list starts on.
    rows = page.select("#pot-list tbody tr")
    assert [r.select_one("td[data-label=Proposals]").get_text() for r in rows] == ["60", "60"]
    first_pot, second_pot = (r.select_one("a")["href"] for r in rows)
    assert first_pot == f"{base}#pot-{built.pot_id}"
    assert second_pot.startswith(base + "?page=2#pot-")
    assert second.select_one(second_pot.split("?page=2")[1])
    for bad in ("?page=4", "?page=0", "?page=-1"):
        assert client.get(base + bad).status_code == 404
    assert client.get(base + "?page=x").status_code == 200  # not a number: the first page
    found = submit(client, base + "/receipt", {"receipt": built.receipt})
    assert "Your ballot is in the count" in found.get_data(as_text=True)
