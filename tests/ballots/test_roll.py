"""The roll: importing it all or nothing, one-time codes, verification and its limits."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from ballots import roll
from ballots.errors import (
    CodeExpired,
    CodeInvalid,
    CodeUsed,
    NotVerified,
    RollInvalid,
)
from ballots.models import RollEntry, Verification, VerificationCode
from tests.ballots.helpers import place, voting_round
from tests.factories import create_council, create_user

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
KEY = b"k" * 32


@pytest.fixture
def council(db):
    council = create_council()
    centre, north = place(council, "Centre"), place(council, "North")
    db.session.commit()
    council.hoods = {"centre": centre.id, "north": north.id}
    return council


def import_text(db, council, text, round_id=None):
    return roll.import_roll(
        db.session,
        council_id=council.id,
        round_id=round_id,
        text=text,
        neighbourhoods=council.hoods,
        today=NOW.date(),
    )


def test_a_good_roll_is_imported(db, council):
    added = import_text(
        db, council, "reference,neighbourhood,date_of_birth\nA1,Centre,2000-01-31\nA2,north,\n"
    )
    db.session.commit()
    assert added == 2
    rows = db.session.execute(
        select(RollEntry.reference, RollEntry.neighbourhood_id, RollEntry.date_of_birth).order_by(
            RollEntry.reference
        )
    ).all()
    assert rows == [
        ("A1", council.hoods["centre"], date(2000, 1, 31)),
        ("A2", council.hoods["north"], None),
    ]


def test_a_roll_with_any_bad_row_stores_nothing_and_names_every_row(db, council):
    import_text(db, council, "reference,neighbourhood\nOLD,Centre\n")
    db.session.commit()
    text = (
        "reference,neighbourhood,date_of_birth\n"
        "A1,Centre,2000-01-31\n"  # 2: fine
        ",Centre,\n"  # 3
        "A1,Centre,\n"  # 4
        "A4,Atlantis,\n"  # 5
        "A5,North,31/01/2000\n"  # 6
        "A6,North,2099-01-01\n"  # 7
        "OLD,North,\n"  # 8
        "A8,North,,extra\n"  # 9
    )
    with pytest.raises(RollInvalid) as caught:
        import_text(db, council, text)
    assert [n for n, _ in caught.value.problems] == [3, 4, 5, 6, 7, 8, 9]
    assert "Atlantis" in dict(caught.value.problems)[5]
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(RollEntry)) == 1


def test_a_roll_needs_its_header(db, council):
    with pytest.raises(RollInvalid) as caught:
        import_text(db, council, "A1,Centre\n")
    assert caught.value.problems[0][0] == 1


def issue(db, council, scope="council", now=NOW):
    codes = roll.issue_codes(db.session, council_id=council.id, scope=scope, key=KEY, now=now)
    db.session.commit()
    return {c.reference: c.code for c in codes}


def verify(db, council, user, reference, code, now=NOW):
    try:
        entry = roll.verify(
            db.session,
            council_id=council.id,
            user_id=user.id,
            reference=reference,
            code=code,
            key=KEY,
            now=now,
            today=now.date(),
        )
        db.session.commit()
        return entry
    except CodeInvalid:
        db.session.commit()  # the wrong try counts
        raise
    except Exception:
        db.session.rollback()
        raise


def test_codes_are_random_long_enough_and_stored_only_as_hashes(db, council):
    import_text(db, council, "reference,neighbourhood\nA1,Centre\nA2,Centre\n")
    codes = issue(db, council)
    assert set(codes) == {"A1", "A2"}
    for code in codes.values():
        assert len(roll.normalise_code(code)) * 5 >= 40
    stored = db.session.scalars(select(VerificationCode.code_hash)).all()
    assert len(stored) == 2
    for code in codes.values():
        assert roll.normalise_code(code) not in stored and code not in stored
    assert issue(db, council) == {}  # a live code is not issued again


def test_a_valid_code_verifies_one_account_once(db, council):
    import_text(db, council, "reference,neighbourhood\nA1,Centre\n")
    code = issue(db, council)["A1"]
    alice, mallory = create_user(), create_user()
    entry = verify(db, council, alice, "A1", code.lower().replace("-", " "))
    assert entry.reference == "A1"
    funding_round, _ = voting_round(council)
    assert (
        roll.roll_entry_for(
            db.session, user_id=alice.id, council_id=council.id, round_id=funding_round.id
        )
        == entry
    )
    with pytest.raises(CodeUsed):
        verify(db, council, mallory, "A1", code)
    with pytest.raises(NotVerified):
        roll.roll_entry_for(
            db.session, user_id=mallory.id, council_id=council.id, round_id=funding_round.id
        )
    # A new code for a verified entry is not issued, so the entry stays with one account.
    assert issue(db, council) == {}


def test_one_account_is_one_entry_per_roll(db, council):
    import_text(db, council, "reference,neighbourhood\nA1,Centre\nA2,Centre\n")
    codes = issue(db, council)
    alice = create_user()
    verify(db, council, alice, "A1", codes["A1"])
    with pytest.raises(CodeUsed):
        verify(db, council, alice, "A2", codes["A2"])
    assert db.session.scalar(select(func.count()).select_from(Verification)) == 1


def test_an_expired_code_is_refused(db, council):
    import_text(db, council, "reference,neighbourhood\nA1,Centre\n")
    code = issue(db, council)["A1"]
    with pytest.raises(CodeExpired):
        verify(db, council, create_user(), "A1", code, now=NOW + timedelta(days=43))


def test_an_unknown_reference_looks_like_a_wrong_code(db, council):
    import_text(db, council, "reference,neighbourhood\nA1,Centre\n")
    code = issue(db, council)["A1"]
    with pytest.raises(CodeInvalid) as unknown:
        verify(db, council, create_user(), "NOBODY", code)
    with pytest.raises(CodeInvalid) as wrong:
        verify(db, council, create_user(), "A1", "AAAAA-AAAAA")
    assert unknown.value.message == wrong.value.message


def test_another_councils_code_does_not_work_here(db, council):
    import_text(db, council, "reference,neighbourhood\nA1,Centre\n")
    code = issue(db, council)["A1"]
    other = create_council()
    with pytest.raises(CodeInvalid):
        verify(db, other, create_user(), "A1", code)


def test_a_round_with_its_own_roll_uses_it(db, council):
    funding_round, _ = voting_round(council)
    import_text(db, council, "reference,neighbourhood\nC1,Centre\n")
    import_text(db, council, "reference,neighbourhood\nR1,Centre\n", round_id=funding_round.id)
    db.session.commit()
    council_code = issue(db, council)["C1"]
    round_code = issue(db, council, scope=f"round:{funding_round.id}")["R1"]
    alice, bob = create_user(), create_user()
    verify(db, council, alice, "C1", council_code)
    verify(db, council, bob, "R1", round_code)
    with pytest.raises(NotVerified):  # on the council roll, not on this round's
        roll.roll_entry_for(
            db.session, user_id=alice.id, council_id=council.id, round_id=funding_round.id
        )
    entry = roll.roll_entry_for(
        db.session, user_id=bob.id, council_id=council.id, round_id=funding_round.id
    )
    assert entry.reference == "R1"


def test_one_persons_code_can_be_reissued_until_they_verify(db, council):
    import_text(db, council, "reference,neighbourhood\nA1,Centre\nA2,Centre\n")
    old = issue(db, council)["A1"]
    new = roll.reissue_code(
        db.session, council_id=council.id, scope="council", reference="A1", key=KEY, now=NOW
    ).code
    db.session.commit()
    user = create_user()
    db.session.commit()
    with pytest.raises(CodeExpired):  # the lost letter's code no longer works
        verify(db, council, user, "A1", old)
    assert verify(db, council, user, "A1", new).reference == "A1"
    with pytest.raises(CodeUsed):
        roll.reissue_code(
            db.session, council_id=council.id, scope="council", reference="A1", key=KEY, now=NOW
        )
    with pytest.raises(CodeInvalid):
        roll.reissue_code(
            db.session, council_id=council.id, scope="council", reference="ZZ", key=KEY, now=NOW
        )


def test_a_verification_keeps_the_london_day_and_no_time(db, council):
    """Verified at 00:30 on a summer morning in London (23:30 UTC the day before): the
    verification and the code keep 1 July, and nothing finer, so the verifications cannot be
    put in the order their people went on to vote in."""
    from app.workflow.voting import verify_account

    import_text(db, council, "reference,neighbourhood\nA1,Centre\n")
    code = issue(db, council)["A1"]
    at = datetime(2026, 6, 30, 23, 30, 5, tzinfo=UTC)
    entry = verify_account(db.session, council, create_user(), "A1", code, key=KEY, now=at)
    db.session.commit()
    assert entry.reference == "A1"
    verification = db.session.scalar(select(Verification))
    assert verification.verified_on == date(2026, 7, 1)
    used = db.session.scalar(select(VerificationCode))
    assert used.used_on == date(2026, 7, 1)
    kept = {c.name: c.type for c in Verification.__table__.columns}
    kept |= {f"code.{c.name}": c.type for c in VerificationCode.__table__.columns}
    # Only the code's issue and expiry are times: an officer's act, the same for a whole roll.
    timed = sorted(name for name, kind in kept.items() if "DateTime" in repr(kind))
    assert timed == ["code.created_at", "code.expires_at"]


def test_a_roll_may_give_email_addresses_kept_with_small_letter_domains(db, council):
    added = import_text(
        db,
        council,
        "reference,neighbourhood,email,phone\n"
        "A1,Centre,Jo.Bloggs@Example.ORG,07700 900123\n"
        "A2,Centre,,\n",
    )
    db.session.commit()
    assert added == 2
    rows = db.session.execute(
        select(RollEntry.reference, RollEntry.email, RollEntry.phone).order_by(RollEntry.reference)
    ).all()
    assert rows == [("A1", "Jo.Bloggs@example.org", "+447700900123"), ("A2", None, None)]


def test_a_bad_email_address_adds_nobody_and_says_which_row(db, council):
    with pytest.raises(RollInvalid) as caught:
        import_text(
            db, council, "reference,neighbourhood,email\nA1,Centre,jo@example.org\nA2,Centre,jo@\n"
        )
    assert caught.value.problems == [
        (3, "email 'jo@' is not an email address (like name@example.org)")
    ]
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(RollEntry)) == 0


def test_the_email_column_may_be_named_once_only(db, council):
    with pytest.raises(RollInvalid) as caught:
        import_text(db, council, "reference,neighbourhood,email,email\nA1,Centre,a@b.org,c@d.org\n")
    assert "email" in caught.value.problems[0][1]
