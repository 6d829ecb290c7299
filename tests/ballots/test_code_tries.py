"""Wrong tries never lock out the rightful owner: a reference under attack slows down (waits
stored in the database, claimed by compare-and-set), the right code entered after the wait
still works, references match without regard to case, spaces or punctuation, and the
officers see which references are being tried."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.web.residents.voting import code_key
from app.workflow.models import Phase, Role
from ballots import roll
from ballots.errors import CodeInvalid, RollInvalid, TooManyTries
from ballots.models import CodeTries, RollEntry, Verification
from tests.app.pages import error_messages, get_page, sign_in, soup, submit
from tests.ballots.helpers import place, voting_round
from tests.ballots.test_roll import KEY, import_text, issue, verify
from tests.factories import PASSWORD, create_council, create_user

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)


@pytest.fixture
def council(db):
    council = create_council(slug="home")
    centre = place(council, "Centre")
    db.session.commit()
    council.hoods = {"centre": centre.id}
    return council


def tries(db, council, reference):
    db.session.rollback()
    return db.session.scalar(
        select(CodeTries).where(
            CodeTries.council_id == council.id,
            CodeTries.reference_key == roll.reference_key(reference),
        )
    )


def test_the_waits_grow_from_30_seconds_and_stop_at_15_minutes():
    waits = [roll.wait_after(n) for n in range(1, 12)]
    assert waits[:2] == [timedelta(0)] * 2
    assert [w.total_seconds() for w in waits[2:]] == [30, 60, 120, 240, 480, 900, 900, 900, 900]
    assert roll.wait_after(10**6) == timedelta(minutes=15)


def test_wrong_tries_slow_a_reference_down_and_the_right_code_still_works(db, council):
    import_text(db, council, "reference,neighbourhood\nA1,Centre\n")
    code = issue(db, council)["A1"]
    owner, attacker = create_user(), create_user()
    for _ in range(2):
        with pytest.raises(CodeInvalid) as wrong:
            verify(db, council, attacker, "A1", "WRONG-CODE1")
        assert "wait" not in wrong.value.message
    with pytest.raises(CodeInvalid) as third:
        verify(db, council, attacker, "A1", "WRONG-CODE1")
    assert "the next try must wait 30 seconds" in third.value.message
    # Within the wait nothing is checked, not even the right code, and nothing is counted.
    for who, attempt in ((attacker, "WRONG-CODE1"), (owner, code)):
        with pytest.raises(TooManyTries) as waiting:
            verify(db, council, who, "A1", attempt, now=NOW + timedelta(seconds=10))
        assert waiting.value.wait == timedelta(seconds=20)
        assert "Wait 20 seconds" in waiting.value.message
        assert "your code still works" in waiting.value.message
    assert tries(db, council, "A1").wrong_tries == 3
    # The attacker goes on, each try waiting longer, for many hours.
    at = NOW
    for n in range(3, 40):
        at += roll.wait_after(n)
        with pytest.raises(CodeInvalid):
            verify(db, council, attacker, "A1", "WRONG-CODE1", now=at)
    row = tries(db, council, "A1")
    assert row.wrong_tries == 40
    assert row.next_try_at - row.last_wrong_at == timedelta(minutes=15)
    assert (row.first_wrong_at, row.last_wrong_at) == (NOW, at)
    # The owner, 15 minutes after the latest wrong try, verifies with the code in the letter.
    entry = verify(db, council, owner, "A1", code, now=at + timedelta(minutes=15))
    assert entry.reference == "A1"
    assert db.session.scalar(select(Verification.user_id)) == owner.id
    assert tries(db, council, "A1") is None  # the right code clears the count


def test_an_unknown_reference_waits_just_like_a_real_one(db, council):
    import_text(db, council, "reference,neighbourhood\nA1,Centre\n")
    issue(db, council)
    user = create_user()
    messages = {}
    for reference in ("A1", "NOBODY"):
        for _ in range(3):
            with pytest.raises(CodeInvalid) as wrong:
                verify(db, council, user, reference, "WRONG-CODE1")
        with pytest.raises(TooManyTries) as waiting:
            verify(db, council, user, reference, "WRONG-CODE1")
        messages[reference] = (wrong.value.message, waiting.value.message)
    assert messages["A1"] == messages["NOBODY"]


def test_concurrent_tries_for_one_reference_are_checked_one_at_a_time(app, db, council):
    """Five wrong tries at once for a reference with two wrong tries already: one is counted
    and checked; the others are told to wait, unchecked (compare-and-set in the database)."""
    import_text(db, council, "reference,neighbourhood\nA1,Centre\n")
    issue(db, council)
    user = create_user()
    for _ in range(2):
        with pytest.raises(CodeInvalid):
            verify(db, council, user, "A1", "WRONG-CODE1")
    council_id, user_id = council.id, user.id
    db.session.close()
    engine = db.engine
    start = threading.Barrier(5)
    outcomes = []

    def guess():
        with Session(engine) as session:
            start.wait()
            try:
                roll.verify(
                    session,
                    council_id=council_id,
                    user_id=user_id,
                    reference="A1",
                    code="WRONG-CODE2",
                    key=KEY,
                    now=NOW,
                    today=NOW.date(),
                )
            except CodeInvalid:
                session.commit()
                outcomes.append("checked")
            except TooManyTries:
                session.rollback()
                outcomes.append("wait")

    threads = [threading.Thread(target=guess) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["checked"] + ["wait"] * 4
    assert tries(db, council, "A1").wrong_tries == 3


@pytest.mark.parametrize("typed", ["wlk-002", "WLK 002", " Wlk002 ", "wlk.002"])
def test_a_reference_matches_without_regard_to_case_spaces_or_punctuation(db, council, typed):
    import_text(db, council, "reference,neighbourhood\nWLK-002,Centre\n")
    code = issue(db, council)["WLK-002"]
    assert verify(db, council, create_user(), typed, code).reference == "WLK-002"
    stored = db.session.execute(select(RollEntry.reference, RollEntry.reference_key)).one()
    assert tuple(stored) == ("WLK-002", "WLK002")


def test_a_roll_whose_references_match_each_other_is_refused(db, council):
    with pytest.raises(RollInvalid) as clash:
        import_text(db, council, "reference,neighbourhood\nWLK-002,Centre\nwlk 002,Centre\n")
    assert clash.value.problems == [
        (
            3,
            "has reference 'wlk 002', the same as 'WLK-002' from row 2 (references are matched "
            "without regard to case, spaces or punctuation)",
        )
    ]
    import_text(db, council, "reference,neighbourhood\nWLK-002,Centre\n")
    db.session.commit()
    with pytest.raises(RollInvalid) as again:
        import_text(db, council, "reference,neighbourhood\nWlk002,Centre\n---,Centre\n")
    assert [p for _, p in again.value.problems] == [
        "has reference 'Wlk002', the same as 'WLK-002' already on this roll (references are "
        "matched without regard to case, spaces or punctuation)",
        "has a reference '---' with no letter or digit",
    ]
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(RollEntry)) == 1


def test_a_code_is_reissued_for_a_reference_typed_differently(db, council):
    import_text(db, council, "reference,neighbourhood\nWLK-002,Centre\n")
    issue(db, council)
    again = roll.reissue_code(
        db.session, council_id=council.id, scope="council", reference="wlk 002", key=KEY, now=NOW
    )
    db.session.commit()
    assert again.reference == "WLK-002"
    assert verify(db, council, create_user(), "WLK-002", again.code).reference == "WLK-002"


def test_demo_references_are_not_a_sequence():
    references = {roll.new_reference("LAM") for _ in range(200)}
    assert len(references) == 200
    assert all(r.startswith("LAM-") and len(r) == 13 for r in references)


# --- The pages -------------------------------------------------------------------------------


def officer_and_round(db, council):
    create_user(email="officer@example.org", roles={council: Role.OFFICER})
    funding_round, _ = voting_round(council)
    funding_round.slug = "vote"
    db.session.commit()
    return funding_round


def issue_for_the_app(app, db, council, scope="council"):
    """Codes under the app's key, as an officer issues them now, to be entered on its pages
    (which read the real clock: codes issued at ``NOW`` would expire as the months pass)."""
    with app.test_request_context():
        key = code_key()
    codes = roll.issue_codes(
        db.session, council_id=council.id, scope=scope, key=key, now=datetime.now(UTC)
    )
    db.session.commit()
    return {c.reference: c.code for c in codes}


def test_the_voters_page_warns_of_references_with_many_wrong_tries(app, client, db, council):
    officer_and_round(db, council)
    import_text(db, council, "reference,neighbourhood\nWLK-002,Centre\nWLK-003,Centre\n")
    issue(db, council)
    user = create_user()
    at = NOW
    for n in range(roll.WARN_AT):
        at += roll.wait_after(n)
        with pytest.raises(CodeInvalid):
            verify(db, council, user, "wlk 002", "WRONG-CODE1", now=at)
    for _ in range(2):  # a few typos are no attack
        with pytest.raises(CodeInvalid):
            verify(db, council, user, "WLK-003", "WRONG-CODE1")
    sign_in(client, "officer@example.org", PASSWORD)
    page = get_page(client, "/officers/home/rounds/vote/voters")
    assert "guessing the codes" in page.select_one(".govuk-warning-text").get_text()
    rows = [
        [td.get_text(" ", strip=True) for td in tr.select("td")]
        for tr in page.select("#wrong-tries-table tbody tr")
    ]
    assert rows == [
        [
            "WLK-002",
            "The council's",
            str(roll.WARN_AT),
            "23 November 2026 at 12:00pm",
            "23 November 2026 at 12:" + f"{int((at - NOW).total_seconds() // 60):02d}" + "pm",
        ]
    ]


def test_the_verify_page_says_how_long_to_wait_and_which_rounds_it_covers(app, client, db, council):
    funding_round = officer_and_round(db, council)
    other, _ = voting_round(council)
    other.title = "Parks 2027"
    db.session.commit()
    # The other round has a roll of its own: the council's roll does not cover it.
    import_text(db, council, "reference,neighbourhood\nP-1,Centre\n", round_id=other.id)
    import_text(db, council, "reference,neighbourhood\nWLK-002,Centre\n")
    code = issue_for_the_app(app, db, council)["WLK-002"]
    create_user(email="voter@example.org", roles={council: Role.RESIDENT})
    sign_in(client, "voter@example.org", PASSWORD)
    for _ in range(3):
        response = submit(
            client, "/councils/home/verify", {"reference": "WLK-002", "code": "WRONG-CODE1"}
        )
        assert response.status_code == 200
    waiting = submit(client, "/councils/home/verify", {"reference": "wlk 002", "code": code})
    assert waiting.status_code == 429
    message = error_messages(soup(waiting))["code"]
    assert "Wait 30 seconds" in message and "your code still works" in message
    assert tries(db, council, "WLK-002").wrong_tries == 3
    db.session.execute(
        CodeTries.__table__.update().values(next_try_at=datetime.now(UTC) - timedelta(seconds=1))
    )
    db.session.commit()
    done = submit(
        client, "/councils/home/verify", {"reference": "wlk 002", "code": code}, follow=True
    )
    banner = soup(done).select_one(".govuk-notification-banner--success").get_text(" ", strip=True)
    assert f"you can vote in its rounds that use the council's roll ({funding_round.title})" in (
        banner
    )
    assert "It does not cover Parks 2027, which has its own roll." in banner


def test_a_round_roll_verification_says_it_covers_that_round_only(app, client, db, council):
    funding_round = officer_and_round(db, council)
    import_text(db, council, "reference,neighbourhood\nR-9,Centre\n", round_id=funding_round.id)
    code = issue_for_the_app(app, db, council, scope=f"round:{funding_round.id}")["R-9"]
    create_user(email="voter@example.org", roles={council: Role.RESIDENT})
    sign_in(client, "voter@example.org", PASSWORD)
    done = submit(client, "/councils/home/verify", {"reference": "r9", "code": code}, follow=True)
    banner = soup(done).select_one(".govuk-notification-banner--success").get_text(" ", strip=True)
    assert f"verified on the roll of {funding_round.title}: you can vote in that round only" in (
        banner
    )
    assert funding_round.phase == Phase.VOTING


def test_wrong_tries_are_limited_per_account_whatever_the_address(app, client, db, council):
    create_user(email="voter@example.org", roles={council: Role.RESIDENT})
    sign_in(client, "voter@example.org", PASSWORD)
    statuses = []
    for i in range(11):  # a different reference and address each time
        client.environ_base["REMOTE_ADDR"] = f"192.0.2.{i + 1}"
        statuses.append(
            submit(
                client, "/councils/home/verify", {"reference": f"X{i}", "code": "WRONG-CODE1"}
            ).status_code
        )
    assert statuses == [200] * 10 + [429]
    # The refused try was not checked: no count for its reference.
    assert tries(db, council, "X10") is None and tries(db, council, "X9").wrong_tries == 1


def test_wrong_tries_are_limited_per_address_whatever_the_account(
    app, client, db, council, monkeypatch
):
    # A clock moving a minute every 8 posts, so the address's 10 a minute does not stop it.
    import time as clock

    start, posts = clock.time(), [0]
    monkeypatch.setattr(clock, "time", lambda: start + 60 * (posts[0] // 8))
    client.environ_base["REMOTE_ADDR"] = "192.0.2.200"
    statuses = []
    for account in range(4):
        email = f"v{account}@example.org"
        create_user(email=email, roles={council: Role.RESIDENT})
        sign_in(client, email, PASSWORD)
        for i in range(8):
            posts[0] += 1
            statuses.append(
                submit(
                    client,
                    "/councils/home/verify",
                    {"reference": f"Y{account}-{i}", "code": "WRONG-CODE1"},
                ).status_code
            )
        client.post("/auth/sign-out", data={"csrf_token": _csrf(client)})
    assert statuses == [200] * 30 + [429, 429]


def _csrf(client):
    page = soup(client.get("/auth/sign-in"))
    return page.select_one("input[name=csrf_token]")["value"]


# --- The migration ---------------------------------------------------------------------------


def _roll_at_0010(references, wrong_tries):
    from sqlalchemy import text

    from app.web.extensions import db as flask_db

    with flask_db.engine.begin() as conn:
        conn.execute(text("INSERT INTO councils VALUES (1, 'x', 'X', '#000000', '', '2026-01-01')"))
        conn.execute(text("INSERT INTO neighbourhoods VALUES (1, 1, 'c', 'Centre', 10, NULL)"))
        conn.execute(
            text(
                "INSERT INTO users (id, email, password_hash, display_name, session_token, "
                "created_at) VALUES (1, 'a@example.org', 'x', 'A', 't', '2026-01-01')"
            )
        )
        for i, (reference, wrong) in enumerate(zip(references, wrong_tries, strict=True), 1):
            conn.execute(
                text(
                    "INSERT INTO roll_entries (id, council_id, scope, reference, "
                    "neighbourhood_id, created_at) VALUES (:i, 1, 'council', :r, 1, '2026-01-01')"
                ),
                {"i": i, "r": reference},
            )
            conn.execute(
                text(
                    "INSERT INTO verification_codes (roll_entry_id, code_hash, expires_at, "
                    "wrong_tries, created_at) VALUES (:i, :h, '2027-01-01', :w, '2026-01-01')"
                ),
                {"i": i, "h": f"{i:064d}", "w": wrong},
            )
        conn.execute(
            text(
                "INSERT INTO verifications (user_id, roll_entry_id, council_id, scope, "
                "created_at) VALUES (1, 1, 1, 'council', '2026-01-01')"
            )
        )


def test_0012_keys_existing_references_and_carries_their_wrong_tries(tmp_path):
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    from app.web.extensions import db as flask_db
    from tests.app.workflow.test_migrations import database_at

    with database_at(tmp_path, "0010"):
        _roll_at_0010(["wlk-002", "ABC 1"], [0, 7])
        upgrade(revision="0012_code_tries")
        with flask_db.engine.connect() as conn:
            keys = conn.execute(
                text("SELECT reference, reference_key FROM roll_entries ORDER BY id")
            ).all()
            assert [tuple(k) for k in keys] == [("wlk-002", "WLK002"), ("ABC 1", "ABC1")]
            carried = conn.execute(text("SELECT reference_key, wrong_tries FROM code_tries")).all()
            assert [tuple(c) for c in carried] == [("ABC1", 7)]
            # Nothing cascaded: the codes and the verification are all still there.
            assert conn.execute(text("SELECT count(*) FROM verification_codes")).scalar() == 2
            assert conn.execute(text("SELECT count(*) FROM verifications")).scalar() == 1
        downgrade(revision="0010")
        with flask_db.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM verification_codes")).scalar() == 2
            assert conn.execute(text("SELECT count(*) FROM roll_entries")).scalar() == 2
        upgrade(revision="0012_code_tries")


def test_0012_stops_on_references_that_would_become_the_same(tmp_path, capfd):
    from flask_migrate import upgrade
    from sqlalchemy import inspect, text

    from app.web.extensions import db as flask_db
    from tests.app.workflow.test_migrations import database_at

    with database_at(tmp_path, "0010"):
        _roll_at_0010(["WLK-002", "wlk 002"], [0, 0])
        with pytest.raises(SystemExit):  # how Flask-Migrate reports the migration's error
            upgrade(revision="0012_code_tries")
        printed = capfd.readouterr().err
        assert "[['WLK-002', 'wlk 002']]" in printed and "correct them first" in printed
        # Nothing changed, so once the council corrects the roll the upgrade runs.
        assert "code_tries" not in inspect(flask_db.engine).get_table_names()
        with flask_db.engine.begin() as conn:
            conn.execute(text("UPDATE roll_entries SET reference = 'WLK-003' WHERE id = 2"))
        upgrade(revision="0012_code_tries")
        assert "code_tries" in inspect(flask_db.engine).get_table_names()


def test_the_wait_after_too_many_wrong_tries_is_in_the_page_language(app, client, db, council):
    create_user(email="voter@example.org", roles={council: Role.RESIDENT})
    sign_in(client, "voter@example.org", PASSWORD)
    last = None
    for i in range(11):
        client.environ_base["REMOTE_ADDR"] = f"192.0.2.{i + 1}"
        last = client.post(
            "/councils/home/verify?lang=cy",
            data={"csrf_token": _csrf(client), "reference": f"X{i}", "code": "WRONG-CODE1"},
        )
    assert last.status_code == 429
    text = " ".join(soup(last).select_one("main").get_text(" ").split())
    assert "munud" in text and "minute" not in text


def _csrf(client):
    page = soup(client.get("/councils/home/verify"))
    return page.select_one("main form[method=post] input[name=csrf_token]")["value"]
