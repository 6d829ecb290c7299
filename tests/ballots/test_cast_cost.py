"""A cast costs the same at any round size: the confirm step issues the same SQL statements
whether the round already holds 10 ballots or 1,000 (no read of the whole log, no query per
ballot or per mark), and the ballot page and receipt after it do too."""

from __future__ import annotations

import re
from contextlib import contextmanager

from sqlalchemy import event
from werkzeug.datastructures import MultiDict

from app.web.extensions import db as flask_db
from app.workflow.models import Role
from ballots import box
from ballots.models import COUNCIL_SCOPE, RollEntry
from tests.app.pages import sign_in, soup
from tests.ballots.helpers import enrol, place, voting_round
from tests.factories import PASSWORD, create_council, create_user
from votes.model import Ballot

BASE = "/councils/home/rounds/vote"


class Work(list):
    """The statements sent while a block ran, and the database's work for them: on
    PostgreSQL the rows they returned or changed, on SQLite its virtual machine's steps (in
    tens), which grow with every row a query reads, returned or not."""

    work = 0

    def __init__(self):
        super().__init__()
        self.per = []


@contextmanager
def statements():
    """Every SQL statement sent while the block runs, in order, and the work they cost."""
    sent = Work()
    engine = flask_db.engine

    def steps():
        sent.work += 1
        return 0

    def before(conn, cursor, statement, parameters, context, executemany):  # noqa: ARG001
        sent.append(statement)
        sent.per.append(sent.work)
        if conn.dialect.name == "sqlite":
            conn.connection.driver_connection.set_progress_handler(steps, 10)

    def after(conn, cursor, statement, parameters, context, executemany):  # noqa: ARG001
        if conn.dialect.name == "sqlite":
            conn.connection.driver_connection.set_progress_handler(None, 0)
        elif cursor.rowcount > 0:
            sent.work += cursor.rowcount

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)


def others_vote(council, hood, funding_round, paper, n: int, *, start: int) -> None:
    """``n`` other residents on the roll cast a ballot each, through the ballot box."""
    pot = paper.pots[0]
    first = pot.projects[0].id
    entries = [
        RollEntry(
            council_id=council.id,
            round_id=None,
            scope=COUNCIL_SCOPE,
            reference=f"OTHER{start + i:06d}",
            neighbourhood_id=hood.id,
        )
        for i in range(n)
    ]
    flask_db.session.add_all(entries)
    flask_db.session.commit()
    for entry in entries:
        box.cast(flask_db.session, paper, entry, pot.id, Ballot((first,)), today=_today())
        flask_db.session.commit()


def _today():
    from app.workflow.clock import london_today

    return london_today()


def one_cast(client, paper, email: str) -> dict[str, Work]:
    """Sign in as ``email`` and cast through the pages: the statements of each step."""
    sign_in(client, email, PASSWORD)
    url = f"{BASE}/vote/{paper.pots[0].id}"
    steps = {}
    with statements() as sent:
        page = client.get(url)
    steps["ballot"] = sent
    assert page.status_code == 200
    token = soup(page).select_one("input[name=csrf_token]")["value"]
    a = paper.pots[0].projects[0].id
    with statements() as sent:
        response = client.post(
            url + "/confirm", data=MultiDict({"csrf_token": token, "choices": a})
        )
    steps["confirm"] = sent
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    with statements() as sent:
        receipt = client.get(response.headers["Location"])
    steps["receipt"] = sent
    assert receipt.status_code == 200
    assert soup(receipt).select_one("#receipt-code")
    client.post("/auth/sign-out", data={"csrf_token": token})
    return steps


def shape(sql: str) -> str:
    """A statement with its literal numbers taken out (LIMIT and OFFSET values included)."""
    return re.sub(r"\b\d+\b", "N", " ".join(sql.split()))


def test_the_statements_of_a_cast_do_not_grow_with_the_round(app, client, db):
    council = create_council(slug="home")
    hood = place(council)
    funding_round, paper = voting_round(council)
    funding_round.slug = "vote"
    db.session.commit()
    for n in (1, 2):
        user = create_user(email=f"voter{n}@example.org", roles={council: Role.RESIDENT}, home=hood)
        enrol(council, hood, user=user, reference=f"VOTER{n}")

    others_vote(council, hood, funding_round, paper, 10, start=0)
    small = one_cast(client, paper, "voter1@example.org")
    others_vote(council, hood, funding_round, paper, 989, start=10)
    large = one_cast(client, paper, "voter2@example.org")

    for step in ("ballot", "confirm", "receipt"):
        assert [shape(s) for s in small[step]] == [shape(s) for s in large[step]], step
        # 100 times the ballots: at most a deeper index to walk, never a row per ballot.
        assert large[step].work <= small[step].work * 1.5 + 10, (step, _costs(large[step]))
    # And few: a cast is a handful of statements, not one per ballot.
    assert len(large["confirm"]) <= 16, "\n".join(large["confirm"])
    assert box.verify_log(db.session, funding_round.id) == []


def _costs(w: Work) -> list[tuple[int, str]]:
    """Each statement with the work it cost, for the failure message."""
    marks = w.per + [w.work]
    return [
        (marks[i + 1] - marks[i], shape(s)[:60] + " ... " + shape(s)[-90:]) for i, s in enumerate(w)
    ]
