"""Every query a public page runs finds its rows through an index: on PostgreSQL, with tables
filled by several rounds and analysed, the plan of each statement the pages actually ran (with
their parameters) must not read a large table from start to end.

Planner settings are left alone (``enable_seqscan`` stays on): a missing index shows as the
sequential scan the planner really chooses.

The comparison of rules is left out: it counts each pot again from all its stored ballots, so
it reads them whichever way the planner finds cheaper.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import event, insert

from app.web.extensions import db
from app.workflow.models import AuditEvent, Phase
from bench.pages import NOW, build_round
from tests.app.web.test_page_statements import request, round_pages, signed_in, token
from tests.conftest import owner_connection

# The tables that grow with ballots, voters, proposals and time.
LARGE_TABLES = {
    "ballots",
    "ballot_log",
    "receipts",
    "voter_marks",
    "roll_entries",
    "proposals",
    "supports",
    "contributions",
    "audit_events",
    "verifications",
}


def seq_scans(plan: dict) -> list[str]:
    """The large tables a plan reads by sequential scan."""
    found = []
    if plan.get("Node Type") == "Seq Scan" and plan.get("Relation Name") in LARGE_TABLES:
        found.append(plan["Relation Name"])
    for child in plan.get("Plans", ()):
        found += seq_scans(child)
    return found


class Capture:
    """The SELECT statements run, with their parameters."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, str, object]] = []
        self.url = ""

    def __call__(self, conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ARG002, PLR0913
        if statement.lstrip().upper().startswith("SELECT") and not executemany:
            self.statements.append((self.url, statement, parameters))


def fill(session) -> None:
    """Other councils' rounds, so that one round's rows are a small part of every table."""
    for i in range(4):
        build_round(
            session,
            name=f"other-{i}",
            ballots=3_000,
            proposals=500,
            supports=50_000,
            contributions=3_000,
            residents=2_000,
            phase=Phase.PUBLISHED,
        )
    events = [
        {
            "council_id": None,
            "round_id": None,
            "action": "account.signed_in",
            "subject_type": "user",
            "created_at": NOW,
        }
        for _ in range(20_000)
    ]
    session.execute(insert(AuditEvent), events)
    session.commit()


@pytest.mark.slow
def test_public_pages_use_an_index_for_every_query_on_large_tables(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip(
            "query plans are checked on PostgreSQL only (set DATABASE_URL): SQLite's planner "
            "says little about what a server with large tables would do"
        )
    fill(db.session)
    voting = build_round(
        db.session,
        name="voting",
        ballots=400,
        proposals=120,
        supports=60,
        contributions=20,
        phase=Phase.VOTING,
    )
    published = build_round(
        db.session,
        name="published",
        ballots=400,
        proposals=120,
        supports=60,
        contributions=20,
    )
    db.session.commit()
    with owner_connection() as conn:  # only the tables' owner may ANALYZE them
        conn.exec_driver_sql("ANALYZE")
    db.session.remove()

    capture = Capture()
    event.listen(db.engine, "before_cursor_execute", capture)

    def visit(client, method: str, url: str, **kwargs):
        capture.url = f"{method} {url}"
        return request(client, method, url, **kwargs)

    try:
        for built, pages in (
            (voting, ("round", "receipt", "api round", "api proposals")),
            (
                published,
                (
                    "round",
                    "receipt",
                    "results",
                    "figures",
                    "pot",
                    "api round",
                    "api proposals",
                    "api results",
                ),
            ),
        ):
            urls = round_pages(built)
            anonymous = app.test_client()
            for page in pages:
                assert visit(anonymous, "GET", urls[page]).status_code == 200, urls[page]
            base = urls["round"]
            assert visit(anonymous, "GET", base + "?page=2").status_code == 200
            capture.url = "the receipt form, for its token"
            csrf = token(anonymous, urls["receipt"])
            found = visit(
                anonymous,
                "POST",
                urls["receipt"],
                data={"csrf_token": csrf, "receipt": built.receipt},
            )
            assert "Your ballot is in the count" in found.get_data(as_text=True)
            capture.url = "signing in"
            resident = signed_in(app, built)
            assert visit(resident, "GET", base).status_code == 200
            if built is voting:  # the resident's own page of pots to vote in
                assert visit(resident, "GET", base + "/vote").status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)

    problems = []
    with db.engine.connect() as conn:
        for url, statement, parameters in capture.statements:
            plan = conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters).scalar()
            plan = json.loads(plan) if isinstance(plan, str) else plan
            scans = seq_scans(plan[0]["Plan"])
            if scans:
                problems.append(
                    f"{url}: sequential scan of {', '.join(scans)}:\n{statement}\n{parameters}"
                )
    assert capture.statements
    assert not problems, "\n\n".join(problems)
