"""The messages outbox at a city's scale: queueing a round's reminder to 100,000 residents in
one transaction, and the worker delivering through GOV.UK Notify (a fake one, served locally).

Three parts, on SQLite in a temporary file and, when DATABASE_URL points at PostgreSQL, on
PostgreSQL too (in a database of its own, ``<name>_bench_messages``, dropped at the end):

1. queue: ``--residents`` residents of one council (a few of whom opted out of reminders) are
   written in bulk first. Then a voting reminder is queued to each with ``outbox.queue_many``
   in one transaction, the residents chosen by one query as the app chooses them; timed with
   its commit; then as the scheduler queues it (``notices.queue_reminder``: every verified
   resident, one in ten of whom has voted, who has not voted in a pot they can vote in, chosen
   and queued in the one transaction). Two baselines are timed in the same run, from the same
   query, with the same rows: one ORM ``Message`` object added at a time (what a loop of
   ``outbox.queue`` does), and a plain executemany of the rows through SQLAlchemy Core (the
   floor: no ORM at all). The outbox is emptied between them. Target: under 30 s for 100,000.
2. deliver: ``--emails`` confirmation emails are queued, then ``worker.deliver_due`` runs in
   a loop, as ``flask send-messages`` does, through the real ``NotifyGateway`` (the
   notifications-python-client) to ``tests.fake_notify`` served on a local port, with the
   rate per channel raised out of the way; messages a second, and a check that the fake
   received each message once, its reference the row's id.
3. cap: with ``MESSAGE_RATES`` email at ``--rate`` (600) a minute, one worker, then two
   (``--cap-workers 1,2``: threads, each with its own session, as workers on two hosts), deliver
   for ``--cap-seconds`` seconds from an outbox holding more than the cap. The most the fake
   received in any 60 seconds must not exceed the cap, with one worker or several (each
   channel's minute is counted and claimed under one lock).

    make bench-messages                                   # SQLite, about 4 minutes
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python bench/messages.py
    .venv/bin/python bench/messages.py --residents 20000 --emails 500 --cap-seconds 0  # quick
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import threading
import time
from bisect import bisect_left
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import delete, func, insert, select  # noqa: E402

TEMPLATE_ID = "0b6c3f0e-5a4d-4c1b-9e2f-7d8a6b5c4e31"
TARGET_SECONDS = 30.0


def build_app(url: str, notify_url: str, api_key: str):
    from app import create_app
    from config import TestingConfig

    settings = {
        "SQLALCHEMY_DATABASE_URI": url,
        "RATELIMIT_ENABLED": False,
        "TESTING": False,
        "MESSAGES_IN_PROCESS": False,
        "PUBLIC_URL": "https://pb.council.example",
        "NOTIFY_API_KEY": api_key,
        "NOTIFY_BASE_URL": notify_url,
        "NOTIFY_TEMPLATES": json.dumps({"confirm_email": {"en": TEMPLATE_ID}}),
        "EMAIL_GATEWAY": "notify",
        "MESSAGE_RATES": {"email": 10**9, "sms": 10**9, "letter": 10**9},
    }
    app = create_app(type("BenchConfig", (TestingConfig,), settings))
    with app.app_context():
        from flask_migrate import upgrade

        logging.disable(logging.INFO)  # the migrations' log, each time
        try:
            upgrade(directory=str(ROOT / "migrations"))
        finally:
            logging.disable(logging.NOTSET)
    # Each failure is logged; a bench run that logs none has nothing to say there.
    logging.getLogger("devolve.messages").setLevel(logging.ERROR)
    return app


def databases():
    """(label, url, drop) for SQLite and, with DATABASE_URL on PostgreSQL, PostgreSQL."""
    from sqlalchemy import create_engine, make_url, text

    from config import database_url

    folder = tempfile.mkdtemp(prefix="devolve-bench-messages-")

    def drop_sqlite() -> None:
        for p in Path(folder).glob("*"):
            p.unlink()
        Path(folder).rmdir()

    yield "SQLite", f"sqlite:///{Path(folder) / 'bench.sqlite3'}", drop_sqlite
    env = os.environ.get("DATABASE_URL", "")
    if not env.startswith(("postgres://", "postgresql://", "postgresql+psycopg://")):
        return
    base = make_url(database_url(env))
    name = f"{base.database}_bench_messages"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop_postgres() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    yield "PostgreSQL", base.set(database=name).render_as_string(hide_password=False), drop_postgres


# --- Set-up, not timed ---------------------------------------------------------------------------


def seed(app, residents: int) -> tuple[int, int]:
    """A council with ``residents`` residents (one in fifty opted out of reminders) and a
    round; returns (council id, round id)."""
    from datetime import timedelta

    from app.web.extensions import db
    from app.workflow.models import Membership, MessageOptOut, Role, User
    from ballots.db import utcnow
    from ballots.models import RollEntry, Verification, VoterMark
    from tests.ballots.helpers import place, voting_round
    from tests.factories import create_council

    with app.app_context():
        council = create_council(slug="bench", name="Bench Borough Council")
        hood = place(council)
        funding_round, paper = voting_round(council)
        funding_round.slug = "reminded"
        funding_round.reminder_days = 3
        db.session.commit()
        council_id, round_id = council.id, funding_round.id
        now = utcnow()
        step = 10_000
        for start in range(0, residents, step):
            rows = [
                {
                    "email": f"resident{i}@example.org",
                    "password_hash": "-",
                    "display_name": f"Resident {i}",
                    "session_token": f"bench-{i}",
                    "created_at": now,
                    "email_confirmed_at": now,
                    "language": "cy" if i % 5 == 0 else "en",
                }
                for i in range(start, min(start + step, residents))
            ]
            db.session.execute(insert(User), rows)
        ids = list(db.session.scalars(select(User.id).order_by(User.id)))
        for start in range(0, len(ids), step):
            db.session.execute(
                insert(Membership),
                [
                    {"user_id": uid, "council_id": council_id, "role": Role.RESIDENT}
                    for uid in ids[start : start + step]
                ],
            )
        db.session.execute(
            insert(MessageOptOut),
            [{"user_id": uid, "topic": "reminders", "created_at": now} for uid in ids[::50]],
        )
        # Each resident verified on the council's roll, and one in ten has voted already:
        # what the reminder as the scheduler queues it (``notices.queue_reminder``) reads.
        for start in range(0, len(ids), step):
            chunk = ids[start : start + step]
            db.session.execute(
                insert(RollEntry),
                [
                    {
                        "council_id": council_id,
                        "scope": "council",
                        "reference": f"B{uid:07d}",
                        "reference_key": f"B{uid:07d}",
                        "neighbourhood_id": hood.id,
                        "created_at": now,
                    }
                    for uid in chunk
                ],
            )
        entries = dict(db.session.execute(select(RollEntry.reference, RollEntry.id)).all())
        for start in range(0, len(ids), step):
            chunk = ids[start : start + step]
            db.session.execute(
                insert(Verification),
                [
                    {
                        "user_id": uid,
                        "roll_entry_id": entries[f"B{uid:07d}"],
                        "council_id": council_id,
                        "scope": "council",
                        "verified_on": now.date(),
                    }
                    for uid in chunk
                ],
            )
        pot = paper.pots[0].id
        db.session.execute(
            insert(VoterMark),
            [
                {
                    "id": f"{uid:032x}",
                    "roll_entry_id": entries[f"B{uid:07d}"],
                    "round_id": round_id,
                    "pot_id": pot,
                    "channel": "online",
                }
                for uid in ids[::10]
            ],
        )
        from app.workflow.models import Phase, PhaseDates

        db.session.add(
            PhaseDates(
                round_id=round_id,
                phase=Phase.VOTING,
                starts_at=now - timedelta(days=10),
                ends_at=now + timedelta(days=2),
            )
        )
        db.session.commit()
    return council_id, round_id


def reminder_recipients(session, council_id: int):
    """The council's residents who still want reminders, chosen in one query."""
    from app.workflow import outbox
    from app.workflow.models import Membership, Role, User

    rows = session.execute(
        select(User.id, User.email, User.language)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.council_id == council_id,
            Membership.role == Role.RESIDENT,
            outbox.not_opted_out(User.id, "reminders"),
        )
    ).all()
    return [
        outbox.Recipient(to=email, language=lang or "en", user_id=uid) for uid, email, lang in rows
    ]


def empty_outbox(app) -> None:
    from app.web.extensions import db
    from app.workflow.models import Message

    with app.app_context():
        db.session.execute(delete(Message))
        db.session.commit()


def count_messages(app) -> int:
    from app.web.extensions import db
    from app.workflow.models import Message

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Message))


# --- 1. Queueing ---------------------------------------------------------------------------------


def _rows(recipients, council_id: int, round_id: int) -> list[dict]:
    """The rows ``queue_many`` writes, for the baselines."""
    from app.workflow.models import MessageChannel, MessageState
    from ballots.db import utcnow
    from ballots.models import random_key

    now = utcnow()
    return [
        {
            "id": random_key(),
            "kind": "voting_reminder",
            "channel": MessageChannel.EMAIL,
            "state": MessageState.QUEUED,
            "recipient": r.to,
            "language": r.language,
            "data": {"round_id": round_id},
            "user_id": r.user_id,
            "council_id": council_id,
            "attempts": 0,
            "last_error": "",
            "created_at": now,
        }
        for r in recipients
    ]


def queue_with_queue_many(session, council_id, round_id) -> int:
    from app.workflow import outbox

    return outbox.queue_many(
        session,
        "voting_reminder",
        reminder_recipients(session, council_id),
        data={"round_id": round_id},
        council_id=council_id,
    )


def queue_as_the_scheduler_does(session, council_id, round_id) -> int:
    """What `flask advance-phases` runs: who is verified and has not voted in a pot they can
    vote in, chosen and queued in one transaction."""
    from app.workflow import notices
    from app.workflow.models import FundingRound
    from app.workflow.voting import paper_for
    from ballots.db import utcnow

    funding_round = session.get(FundingRound, round_id)
    funding_round.reminder_queued_at = None
    session.flush()
    now = utcnow()
    return notices.queue_reminder(session, funding_round, paper_for(funding_round), now, now.date())


def queue_one_object_at_a_time(session, council_id, round_id) -> int:
    from app.workflow.models import Message

    rows = _rows(reminder_recipients(session, council_id), council_id, round_id)
    for row in rows:
        session.add(Message(**row))
    return len(rows)


def queue_with_core_executemany(session, council_id, round_id) -> int:
    from app.workflow.models import Message

    rows = _rows(reminder_recipients(session, council_id), council_id, round_id)
    session.execute(insert(Message.__table__), rows)
    return len(rows)


WAYS = (
    ("outbox.queue_many", queue_with_queue_many),
    ("notices.queue_reminder", queue_as_the_scheduler_does),
    ("one ORM object at a time", queue_one_object_at_a_time),
    ("Core executemany", queue_with_core_executemany),
)


def bench_queue(app, council_id: int, round_id: int) -> dict[str, tuple[float, int]]:
    from app.web.extensions import db

    out = {}
    for name, way in WAYS:
        empty_outbox(app)
        with app.app_context():
            started = time.perf_counter()
            n = way(db.session, council_id, round_id)
            db.session.commit()
            out[name] = (time.perf_counter() - started, n)
        held = count_messages(app)
        assert held == n, f"{name}: {held} rows for {n} queued"
    empty_outbox(app)
    return out


# --- 2. Delivering -------------------------------------------------------------------------------


def queue_confirmations(app, count: int) -> list[str]:
    """``count`` confirmation emails to the first residents, as registering queues them."""
    from app.web.extensions import db
    from app.workflow import outbox
    from app.workflow.models import User

    with app.app_context():
        users = db.session.execute(select(User.id, User.email).order_by(User.id).limit(count)).all()
        assert len(users) == count, f"only {len(users)} residents for {count} emails"
        recipients = [
            outbox.Recipient(to=email, language="en", user_id=uid) for uid, email in users
        ]
        data = {"link": "https://pb.council.example/auth/confirm/TOKEN", "lasts_seconds": 604800}
        outbox.queue_many(db.session, "confirm_email", recipients, data=data)
        db.session.commit()
        from app.workflow.models import Message

        return list(db.session.scalars(select(Message.id)))


def deliver_all(app, batch: int) -> tuple[float, Counter]:
    from app.web.messages import worker

    done: Counter = Counter()
    started = time.perf_counter()
    while True:
        with app.app_context():
            this = worker.deliver_due(app, batch=batch)
        done.update(this)
        if not sum(n for k, n in this.items() if k != "held"):
            break
    return time.perf_counter() - started, done


def bench_deliver(app, fake, emails: int, batch: int) -> tuple[float, Counter]:
    empty_outbox(app)
    fake.reset()
    fake.add_template(TEMPLATE_ID, "email", fields=["name", "link", "lasts"])
    ids = queue_confirmations(app, emails)
    elapsed, done = deliver_all(app, batch)
    references = Counter(n["reference"] for n in fake.sent)
    assert done["sent"] == emails, f"sent {dict(done)} of {emails}"
    assert set(references) == set(ids) and max(references.values()) == 1, "references differ"
    return elapsed, done


# --- 3. The rate cap -----------------------------------------------------------------------------


def most_in_any_window(times: list[float], width: float) -> int:
    """The most of ``times`` (seconds, sorted) within any ``width`` seconds."""
    return max((bisect_left(times, t + width) - i for i, t in enumerate(times)), default=0)


def bench_cap(app, fake, rate: int, seconds: float, workers: int, batch: int) -> dict:
    from app.web.messages import worker

    empty_outbox(app)
    fake.reset()
    fake.add_template(TEMPLATE_ID, "email", fields=["name", "link", "lasts"])
    queued = int(rate * (seconds / 60 + 1)) + batch * workers
    queue_confirmations(app, queued)
    app.config["MESSAGE_RATES"] = {**app.config["MESSAGE_RATES"], "email": rate}
    stop = time.monotonic() + seconds
    started = time.time()
    errors: list[BaseException] = []

    def work() -> None:
        try:
            while time.monotonic() < stop:
                with app.app_context():
                    done = worker.deliver_due(app, batch=batch)
                if not done.get("sent"):
                    time.sleep(0.2)
        except BaseException as e:  # noqa: BLE001 (reported below)
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    times = sorted(n["received_at"].timestamp() for n in fake.sent)
    first = [t for t in times if t < started + 60]
    return {
        "queued": queued,
        "sent": len(times),
        "first minute": len(first),
        "most in 60 s": most_in_any_window(times, 60.0),
        "seconds to the cap": (first[rate - 1] - started) if len(first) >= rate else None,
    }


# --- Running it ----------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--residents", type=int, default=100_000)
    parser.add_argument("--emails", type=int, default=2_000, help="delivered, part 2")
    parser.add_argument("--batch", type=int, default=50, help="claimed at a time (--batch)")
    parser.add_argument("--rate", type=int, default=600, help="email a minute, part 3")
    parser.add_argument("--cap-seconds", type=float, default=75.0, help="0: skip part 3")
    parser.add_argument(
        "--cap-workers",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[1, 2],
        help="workers (threads) in part 3, one run each: 1,2",
    )
    args = parser.parse_args()

    from tests.fake_notify import FakeNotify, serve

    fake = FakeNotify()
    ok = True
    with serve(fake) as notify_url:
        for label, url, drop in databases():
            try:
                app = build_app(url, notify_url, fake.api_key)
                started = time.perf_counter()
                council_id, round_id = seed(app, args.residents)
                print(
                    f"\n{label}: {args.residents:,} residents written in "
                    f"{time.perf_counter() - started:.1f} s (not timed below)"
                )

                queued = bench_queue(app, council_id, round_id)
                floor = queued["outbox.queue_many"][0]
                print(
                    f"  1. a round's reminder, one transaction "
                    f"(target: under {TARGET_SECONDS:.0f} s)"
                )
                for name, (seconds, n) in queued.items():
                    print(
                        f"     {name:<26} {n:>8,} rows {seconds:7.2f} s {n / seconds:>9,.0f} rows/s"
                        f"  {seconds / floor:5.2f}x queue_many's time"
                    )
                slowest = max(queued["outbox.queue_many"][0], queued["notices.queue_reminder"][0])
                met = slowest < TARGET_SECONDS * args.residents / 100_000
                ok &= met
                print(f"     target met: {'yes' if met else 'NO'}")

                elapsed, done = bench_deliver(app, fake, args.emails, args.batch)
                print(
                    f"  2. delivery through NotifyGateway to the fake Notify, one worker, batch "
                    f"{args.batch}: {done['sent']:,} sent in {elapsed:.1f} s, "
                    f"{done['sent'] / elapsed:,.0f} messages/s; each received once, referenced "
                    "by its row id"
                )

                for workers in args.cap_workers if args.cap_seconds > 0 else ():
                    cap = bench_cap(app, fake, args.rate, args.cap_seconds, workers, args.batch)
                    over = cap["most in 60 s"] - args.rate
                    # The minute is counted and claimed under one lock per channel: however
                    # many workers, the cap holds exactly.
                    bound = 0
                    ok &= over <= bound
                    to_cap = cap["seconds to the cap"]
                    held = "yes" if over <= 0 else f"over by {over} (bound {bound})"
                    print(
                        f"  3. MESSAGE_RATES email={args.rate}, {workers} worker(s), "
                        f"{args.cap_seconds:.0f} s, {cap['queued']:,} queued: {cap['sent']:,} "
                        f"sent; first minute {cap['first minute']:,} (the cap reached after "
                        f"{'-' if to_cap is None else f'{to_cap:.1f} s'}); most in any 60 s: "
                        f"{cap['most in 60 s']:,}; cap held: {held}"
                    )
            finally:
                from app.web.extensions import db

                if "app" in locals():
                    with app.app_context():
                        db.engine.dispose()
                drop()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
