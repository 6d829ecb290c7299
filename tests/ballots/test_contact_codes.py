"""Six-digit codes texted or emailed to the number or address on the roll: 6 digits, only
their HMAC kept, 10 minutes, 5 wrong tries, a new one replaces the last, at most 3 sent to
one roll entry in 15 minutes, nothing stored (and nothing said) for a number or address not
on the roll; the right one verifies as a posted code does, and its person can then vote."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ballots import box, contact_codes, roll
from ballots.contact_codes import check_code, request_code
from ballots.errors import (
    AlreadyVoted,
    CodeBusy,
    CodeExpired,
    CodeInvalid,
    CodeSpent,
    CodeUsed,
    ContactInvalid,
)
from ballots.models import COUNCIL_SCOPE, ContactCode, RollEntry, Verification, round_scope
from tests.ballots.helpers import place, voting_round
from tests.ballots.test_roll import KEY
from tests.factories import create_council, create_user
from votes.model import Ballot

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
ROLL = (
    "reference,neighbourhood,phone,email\n"
    "A1,Centre,07700 900123,\n"
    "A2,Centre,,Jo.Bloggs@Example.org\n"
    "A3,Centre,,\n"
)


@pytest.fixture
def council(db):
    council = create_council(slug="home")
    centre = place(council, "Centre")
    db.session.commit()
    roll.import_roll(
        db.session,
        council_id=council.id,
        round_id=None,
        text=ROLL,
        neighbourhoods={"centre": centre.id},
        today=NOW.date(),
    )
    db.session.commit()
    return council


def ask(db, council, user, contact, now=NOW, scope=COUNCIL_SCOPE):
    """Ask for a code as the web does: committed, or rolled back when refused."""
    try:
        issued = request_code(
            db.session,
            council_id=council.id,
            scope=scope,
            user_id=user.id,
            contact=contact,
            key=KEY,
            now=now,
        )
    except Exception:
        db.session.rollback()
        raise
    db.session.commit()
    return issued


def check(db, council, user, code, now=NOW, session=None):
    """Check a code as the web does: a wrong one committed (it counts), any other refusal
    rolled back."""
    session = session or db.session
    try:
        entry = check_code(
            session,
            council_id=council.id,
            user_id=user.id,
            code=code,
            key=KEY,
            now=now,
            today=now.date(),
        )
    except CodeInvalid:
        session.commit()
        raise
    except Exception:
        session.rollback()
        raise
    session.commit()
    return entry


def codes(db) -> list[ContactCode]:
    db.session.expire_all()
    return list(db.session.scalars(select(ContactCode).order_by(ContactCode.id)))


def count(db, model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def test_a_code_is_six_random_digits_kept_only_as_its_hmac_for_ten_minutes(db, council):
    user = create_user()
    issued = ask(db, council, user, "07700-900-123")
    assert issued.code.isdigit() and len(issued.code) == 6
    assert (issued.channel, issued.to) == ("sms", "+447700900123")
    assert issued.expires_at == NOW + timedelta(minutes=10)
    [stored] = codes(db)
    assert stored.code_hash == roll.code_hash(issued.code, KEY)
    assert issued.code not in stored.code_hash
    assert (stored.channel, stored.wrong_tries, stored.user_id) == ("sms", 0, user.id)
    assert stored.expires_at == NOW + timedelta(minutes=10)
    made = {contact_codes.new_code() for _ in range(200)}
    assert all(len(c) == 6 and c.isdigit() for c in made) and len(made) > 150
    assert any(c.startswith("0") for c in made)  # leading zeros are kept


def test_an_email_address_is_matched_without_regard_to_case(db, council):
    issued = ask(db, council, create_user(), " jo.bloggs@EXAMPLE.ORG ")
    assert (issued.channel, issued.to) == ("email", "Jo.Bloggs@example.org")
    assert db.session.get(RollEntry, issued.roll_entry_id).reference == "A2"


def test_the_right_code_verifies_for_the_day_and_leaves_no_code_and_no_time(db, council):
    user = create_user()
    issued = ask(db, council, user, "07700900123")
    entry = check(db, council, user, f"{issued.code[:3]} {issued.code[3:]}")
    assert entry.reference == "A1"
    verification = db.session.scalar(select(Verification))
    assert (verification.user_id, verification.roll_entry_id) == (user.id, entry.id)
    assert verification.verified_on == NOW.date()
    assert codes(db) == []
    # It works once: nothing is waiting any more.
    with pytest.raises(CodeExpired):
        check(db, council, user, issued.code)


def test_a_verified_person_can_then_cast_exactly_once(db, council):
    funding_round, paper = voting_round(council)
    user = create_user()
    issued = ask(db, council, user, "jo.bloggs@example.org")
    check(db, council, user, issued.code)
    entry = roll.roll_entry_for(
        db.session, user_id=user.id, council_id=council.id, round_id=funding_round.id
    )
    assert entry.reference == "A2"
    pot = paper.pots[0]
    choice = Ballot((pot.projects[0].id,))
    box.cast(db.session, paper, entry, pot.id, choice, today=NOW.date())
    db.session.commit()
    with pytest.raises(AlreadyVoted):
        box.cast(db.session, paper, entry, pot.id, choice, today=NOW.date())


def test_a_wrong_code_counts_and_the_fifth_kills_it(db, council):
    user = create_user()
    issued = ask(db, council, user, "07700900123")
    for left in (4, 3, 2, 1):
        with pytest.raises(CodeInvalid) as caught:
            check(db, council, user, wrong(issued.code))
        assert f"{left} more tr" in caught.value.message
        assert codes(db)[0].wrong_tries == 5 - left
    with pytest.raises(CodeInvalid) as fifth:
        check(db, council, user, wrong(issued.code))
    assert "no longer works" in fifth.value.message
    # Dead: even the right code is refused now, and nothing more is counted.
    with pytest.raises(CodeSpent) as dead:
        check(db, council, user, issued.code)
    assert "Ask for a new code" in dead.value.message
    assert codes(db)[0].wrong_tries == 5
    assert count(db, Verification) == 0


def test_the_right_code_on_the_fifth_try_still_works(db, council):
    user = create_user()
    issued = ask(db, council, user, "07700900123")
    for _ in range(4):
        with pytest.raises(CodeInvalid):
            check(db, council, user, wrong(issued.code))
    assert check(db, council, user, issued.code).reference == "A1"


def test_a_code_expires_after_ten_minutes(db, council):
    user = create_user()
    issued = ask(db, council, user, "07700900123")
    assert check(db, council, user, issued.code, now=NOW + timedelta(minutes=9, seconds=59))
    other = create_user()
    later = ask(db, council, other, "jo.bloggs@example.org")
    with pytest.raises(CodeExpired) as caught:
        check(db, council, other, later.code, now=NOW + timedelta(minutes=10))
    assert "10 minutes" in caught.value.message
    assert codes(db)[0].wrong_tries == 0  # an expired code's try changes nothing


def test_a_new_code_replaces_the_last(db, council):
    user = create_user()
    first = ask(db, council, user, "07700900123")
    second = ask(db, council, user, "07700900123", now=NOW + timedelta(minutes=1))
    if first.code == second.code:  # one in a million: the old one is dead all the same
        pytest.skip("the same six digits twice")
    with pytest.raises(CodeInvalid):
        check(db, council, user, first.code, now=NOW + timedelta(minutes=2))
    assert check(db, council, user, second.code, now=NOW + timedelta(minutes=2)).reference == "A1"


def test_a_number_or_address_not_on_the_roll_gets_none_and_stores_nothing(db, council):
    user = create_user()
    for contact in ("07700 900999", "nobody@example.org", "bloggs@example.org"):
        assert ask(db, council, user, contact) is None
    assert codes(db) == []
    assert ask(db, council, user, "07700900123 ") is not None


def test_another_councils_roll_does_not_answer(db, council):
    away = create_council(slug="away")
    db.session.commit()
    assert ask(db, away, create_user(), "07700900123") is None
    assert codes(db) == []


def test_what_is_neither_a_mobile_nor_an_email_is_refused_before_anything(db, council):
    for typed in ("029 2087 2087", "jo@", "hello"):
        with pytest.raises(ContactInvalid) as caught:
            ask(db, council, create_user(), typed)
        assert caught.value.field == "contact"
    assert codes(db) == []


def test_a_verified_entry_gets_none_and_a_verified_account_is_told(db, council):
    user = create_user()
    issued = ask(db, council, user, "07700900123")
    check(db, council, user, issued.code)
    assert ask(db, council, create_user(), "07700900123") is None
    with pytest.raises(CodeUsed) as caught:
        ask(db, council, user, "jo.bloggs@example.org")
    assert "already verified" in caught.value.message
    assert codes(db) == []


def test_people_sharing_a_number_each_verify_in_turn(db):
    council = create_council(slug="shared")
    centre = place(council, "Centre")
    db.session.commit()
    roll.import_roll(
        db.session,
        council_id=council.id,
        round_id=None,
        text="reference,neighbourhood,phone\nB1,Centre,07700900200\nB2,Centre,07700900200\n",
        neighbourhoods={"centre": centre.id},
        today=NOW.date(),
    )
    db.session.commit()
    first, second = create_user(), create_user()
    code = ask(db, council, first, "07700900200").code
    assert check(db, council, first, code).reference == "B1"
    code = ask(db, council, second, "07700900200").code
    assert check(db, council, second, code).reference == "B2"
    assert ask(db, council, create_user(), "07700900200") is None


def test_one_roll_entry_is_sent_at_most_three_codes_in_fifteen_minutes(db, council):
    users = [create_user() for _ in range(5)]
    for minute, user in enumerate(users[:3]):
        assert ask(db, council, user, "07700900123", now=NOW + timedelta(minutes=minute))
    # The fourth within 15 minutes of the first: nothing sent, nothing stored, and the
    # answer is the same as for a number not on the roll.
    assert ask(db, council, users[3], "07700900123", now=NOW + timedelta(minutes=14)) is None
    assert count(db, ContactCode) == 3
    # Other entries are not held back.
    assert ask(db, council, users[3], "jo.bloggs@example.org", now=NOW + timedelta(minutes=14))
    # 15 minutes after the first, one place is free again; the first's row is forgotten.
    again = NOW + timedelta(minutes=15)
    assert ask(db, council, users[4], "07700900123", now=again)
    assert ask(db, council, users[4], "07700900123", now=again) is None


def test_replaced_and_dead_codes_still_count_towards_the_limit(db, council):
    user = create_user()
    for minute in range(3):
        assert ask(db, council, user, "07700900123", now=NOW + timedelta(minutes=minute))
    assert ask(db, council, user, "07700900123", now=NOW + timedelta(minutes=3)) is None
    assert [c.wrong_tries for c in codes(db)] == [5, 5, 0]  # the last one still works


def test_spent_codes_are_forgotten(db, council):
    user = create_user()
    ask(db, council, user, "07700900123")
    assert contact_codes.forget_spent(db.session, now=NOW + timedelta(minutes=14)) == 0
    assert contact_codes.forget_spent(db.session, now=NOW + timedelta(minutes=15)) == 1
    db.session.commit()
    assert codes(db) == []


def test_no_code_waiting_is_refused_and_another_councils_code_does_not_work(db, council):
    user = create_user()
    db.session.commit()
    with pytest.raises(CodeExpired) as caught:
        check(db, council, user, "123456")
    assert "Ask for a code first" in caught.value.message
    issued = ask(db, council, user, "07700900123")
    away = create_council(slug="away")
    db.session.commit()
    with pytest.raises(CodeExpired):
        check(db, away, user, issued.code)
    assert codes(db)[0].wrong_tries == 0


def test_an_entry_verified_by_someone_else_meanwhile_refuses_and_changes_nothing(db, council):
    mine, theirs = create_user(), create_user()
    my_code = ask(db, council, mine, "07700900123").code
    their_code = ask(db, council, theirs, "07700900123").code
    check(db, council, theirs, their_code)
    assert codes(db) == []  # every code for the entry went with the verification
    with pytest.raises(CodeExpired):
        check(db, council, mine, my_code)
    assert count(db, Verification) == 1


def test_an_account_verified_meanwhile_is_refused_with_nothing_changed(db, council):
    user = create_user()
    issued = ask(db, council, user, "07700900123")
    entry = db.session.get(RollEntry, issued.roll_entry_id)
    other = db.session.scalar(select(RollEntry).where(RollEntry.reference == "A3"))
    db.session.add(
        Verification(
            user_id=user.id,
            roll_entry_id=other.id,
            council_id=council.id,
            scope=entry.scope,
            verified_on=NOW.date(),
        )
    )
    db.session.commit()
    with pytest.raises(CodeUsed):
        check(db, council, user, issued.code)
    assert codes(db)[0].wrong_tries == 0  # rolled back: not even the try was kept
    assert count(db, Verification) == 1


def test_a_rounds_own_roll_is_asked_by_its_scope(db, council):
    funding_round, _ = voting_round(council)
    centre = db.session.scalar(select(RollEntry.neighbourhood_id))
    roll.import_roll(
        db.session,
        council_id=council.id,
        round_id=funding_round.id,
        text="reference,neighbourhood,phone\nR1,Centre,07700900300\n",
        neighbourhoods={"centre": centre},
        today=NOW.date(),
    )
    db.session.commit()
    user = create_user()
    assert ask(db, council, user, "07700900300") is None  # not on the council's roll
    issued = ask(db, council, user, "07700900300", scope=round_scope(funding_round.id))
    assert check(db, council, user, issued.code).scope == round_scope(funding_round.id)


def test_wrong_tries_at_once_are_each_counted_or_refused_unchecked(app, db, council):
    """Four wrong tries at the same moment: each is counted before it is checked, by
    compare-and-set, so the count is exactly the number told the code is wrong; any other
    was refused without being checked (PostgreSQL) and nothing is lost or counted twice."""
    user = create_user()
    issued = ask(db, council, user, "07700900123")
    council_id, user_id = council.id, user.id
    db.session.close()
    engine = db.engine
    start = threading.Barrier(4)
    outcomes = []

    def guess(n: int):
        with Session(engine) as session:
            start.wait()
            try:
                check_code(
                    session,
                    council_id=council_id,
                    user_id=user_id,
                    code=f"{(int(issued.code) + n) % 10**6:06d}",
                    key=KEY,
                    now=NOW,
                    today=NOW.date(),
                )
            except CodeInvalid:
                session.commit()
                outcomes.append("counted")
            except CodeBusy:
                session.rollback()
                outcomes.append("busy")

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(1, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(outcomes) == 4 and "counted" in outcomes
    assert codes(db)[0].wrong_tries == outcomes.count("counted")
    if db.engine.dialect.name == "sqlite":
        assert outcomes == ["counted"] * 4  # one writer at a time: each waits, then counts
