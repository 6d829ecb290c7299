"""The residents' voting pages, without JavaScript: verify, choose, check, cast, receipt."""

import json
from datetime import UTC, date, datetime

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from app.workflow import rounds
from app.workflow.models import Phase, Role
from ballots import box, roll
from ballots.models import LogEntry, Receipt, StoredBallot, VoterMark
from tests.app.pages import error_messages, get_page, sign_in, submit
from tests.ballots.helpers import enrol, place, voting_round
from tests.factories import PASSWORD, create_council, create_user


def stored(db) -> dict:
    db.session.rollback()
    return {
        m.__name__: db.session.scalar(select(func.count()).select_from(m))
        for m in (VoterMark, StoredBallot, Receipt, LogEntry)
    }


def setup(db, *, kind="approval", verified=True, born=None, **config):
    council = create_council(slug="home")
    hood = place(council)
    user = create_user(email="voter@example.org", roles={council: Role.RESIDENT}, home=hood)
    funding_round, paper = voting_round(council, kind=kind, **config)
    funding_round.slug = "vote"
    db.session.commit()
    entry = enrol(council, hood, user=user if verified else None, born=born, reference="R1")
    return council, funding_round, paper, entry


BASE = "/councils/home/rounds/vote"


def ballot_url(paper):
    return f"{BASE}/vote/{paper.pots[0].id}"


def vote_through_pages(client, paper, data):
    """Continue from the ballot page, then cast from the check page (its hidden fields)."""
    url = ballot_url(paper)
    response = submit(client, url, {"action": "continue", **data})
    assert response.status_code == 200
    check = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    form = check.select_one("main form[method=post]")
    assert form["action"].endswith("/confirm"), check.h1.get_text()
    fields = [(i["name"], i.get("value", "")) for i in form.select("input[type=hidden]")]
    return client.post(form["action"], data=MultiDict(fields))


def test_a_resident_votes_without_javascript_and_sees_the_receipt_once(app, client, db):
    _, funding_round, paper, _ = setup(db)
    sign_in(client, "voter@example.org", PASSWORD)
    page = get_page(client, f"{BASE}/vote")
    assert page.select_one("#pots a")["href"] == ballot_url(paper)
    page = get_page(client, ballot_url(paper))
    assert len(page.select("input[name=choices]")) == 3
    a, b, _ = [p.id for p in paper.pots[0].projects]
    response = vote_through_pages(client, paper, {"choices": [b, a]})
    assert response.status_code == 302
    cast = get_page(client, response.headers["Location"])
    code = cast.select_one("#receipt-code").get_text(strip=True)
    assert len(box.normalise_receipt(code)) == 26
    assert stored(db) == {"VoterMark": 1, "StoredBallot": 1, "Receipt": 1, "LogEntry": 2}
    again = client.get(response.headers["Location"])  # shown once: now the list of pots
    assert again.status_code == 302 and again.headers["Location"].endswith("/vote")
    assert "Voted" in get_page(client, f"{BASE}/vote").select_one("#pots").get_text()
    # The receipt check finds it, and says nothing of what it says.
    result = submit(client, f"{BASE}/receipt", {"receipt": code}, follow=True)
    page = BeautifulSoup(result.get_data(as_text=True), "html.parser")
    text = page.select_one("#receipt-result").get_text(" ", strip=True)
    assert "Your ballot is in the count" in text and "Log entry 1" in text
    for p in paper.pots[0].projects:
        assert p.name not in text
    # And a second ballot cannot be cast.
    response = vote_through_pages_direct(client, paper, {"choices": [a]})
    assert response.status_code == 302
    assert stored(db)["StoredBallot"] == 1
    del funding_round


def vote_through_pages_direct(client, paper, data):
    token = BeautifulSoup(client.get("/auth/sign-in").get_data(as_text=True), "html.parser")
    csrf = token.select_one("input[name=csrf_token]")["value"]
    return client.post(ballot_url(paper) + "/confirm", data={"csrf_token": csrf, **data})


def test_running_totals_without_javascript(app, client, db):
    _, _, paper, _ = setup(db, kind="knapsack")
    sign_in(client, "voter@example.org", PASSWORD)
    a, b, _ = [p.id for p in paper.pots[0].projects]
    response = submit(client, ballot_url(paper), {"action": "update", "choices": [a, b]})
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    total = page.select_one("#running-total").get_text(" ", strip=True)
    assert "£30,000 of £50,000" in total and "£20,000 left" in total
    assert not error_messages(page)


def test_cumulative_points_left(app, client, db):
    _, _, paper, _ = setup(db, kind="cumulative", points=10)
    sign_in(client, "voter@example.org", PASSWORD)
    a = paper.pots[0].projects[0].id
    response = submit(client, ballot_url(paper), {"action": "update", f"points_{a}": "4"})
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert "6 left" in page.select_one("#running-total").get_text(" ", strip=True)


@pytest.mark.parametrize(
    ("kind", "config", "data", "codes"),
    [
        ("approval", {"max_choices": 1}, lambda a, b, c: {"choices": [a, b]}, ["too_many"]),
        ("approval", {}, lambda a, b, c: {"choices": [a, "99999"]}, ["unknown_project"]),
        ("knapsack", {}, lambda a, b, c: {"choices": [a, b, c]}, ["over_budget"]),
        ("single-choice", {}, lambda a, b, c: {"choices": [a, b]}, ["too_many"]),
        ("ranked", {"max_choices": 3}, lambda a, b, c: {"rank_1": a, "rank_3": b}, ["rank_gap"]),
        (
            "cumulative",
            {"points": 5, "max_points_per_project": 3},
            lambda a, b, c: {f"points_{a}": "4", f"points_{b}": "1"},
            ["points_cap"],
        ),
    ],
)
def test_tampered_or_wrong_ballots_show_votes_messages_and_change_nothing(
    app, client, db, kind, config, data, codes
):
    from votes.ballot import validate_ballot

    _, _, paper, _ = setup(db, kind=kind, **config)
    sign_in(client, "voter@example.org", PASSWORD)
    a, b, c = [p.id for p in paper.pots[0].projects]
    sent = data(a, b, c)
    before = stored(db)
    for response in (
        submit(client, ballot_url(paper), {"action": "continue", **sent}),
        vote_through_pages_direct(client, paper, sent),  # straight to the last step
    ):
        assert response.status_code == 200
        page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
        assert page.title.get_text().strip().startswith("Error:")
        shown = set(error_messages(page).values())
        form_ballot = _ballot_from(kind, sent, paper)
        expected = validate_ballot(
            form_ballot, paper.rules, paper.pots[0].projects, paper.pots[0].budget_pence
        )
        assert [p.code for p in expected] == codes
        for problem in expected:
            assert any(problem.message in s for s in shown), (problem.message, shown)
    assert stored(db) == before


def _ballot_from(kind, sent, paper):
    from votes.model import Ballot

    if kind == "ranked":
        return Ballot(tuple(sent.get(f"rank_{i}", "") for i in (1, 2, 3)))
    if kind == "cumulative":
        pairs = [(p.id, int(sent.get(f"points_{p.id}", 0))) for p in paper.pots[0].projects]
        pairs = [(x, n) for x, n in pairs if n]
        return Ballot(tuple(x for x, _ in pairs), tuple(n for _, n in pairs))
    return Ballot(tuple(sent["choices"]))


def test_an_unverified_resident_is_sent_to_verify(app, client, db):
    council, _, paper, _ = setup(db, verified=False)
    sign_in(client, "voter@example.org", PASSWORD)
    client.get("/")  # shows the signed-in message
    response = client.get(f"{BASE}/vote")
    assert response.status_code == 302
    assert "/councils/home/verify" in response.headers["Location"]
    codes = roll.issue_codes(
        db.session,
        council_id=council.id,
        scope="council",
        key=_key(app),
        now=__import__("ballots.db", fromlist=["utcnow"]).utcnow(),
    )
    db.session.commit()
    page = get_page(client, "/councils/home/verify")
    assert page.select_one("input[name=code]")
    wrong = submit(client, "/councils/home/verify", {"reference": "R1", "code": "AAAAA-AAAAA"})
    assert (
        "not right"
        in error_messages(BeautifulSoup(wrong.get_data(as_text=True), "html.parser"))["code"]
    )
    response = submit(client, "/councils/home/verify", {"reference": "R1", "code": codes[0].code})
    assert response.status_code == 302
    get_page(client, f"{BASE}/vote")
    del paper


def _key(app):
    from app.web.residents.voting import code_key

    with app.test_request_context():
        return code_key()


def test_age_and_closed_rounds_are_refused_on_the_server(app, client, db):
    _, funding_round, paper, _ = setup(db, born=date(2015, 1, 1), min_age=16)
    sign_in(client, "voter@example.org", PASSWORD)
    page = get_page(client, f"{BASE}/vote", status=403)
    assert "at least 16" in page.get_text()
    assert (
        vote_through_pages_direct(
            client, paper, {"choices": [paper.pots[0].projects[0].id]}
        ).status_code
        == 403
    )
    funding_round.phase = Phase.CLOSED
    db.session.commit()
    get_page(client, f"{BASE}/vote", status=409)
    assert (
        vote_through_pages_direct(
            client, paper, {"choices": [paper.pots[0].projects[0].id]}
        ).status_code
        == 409
    )
    assert stored(db)["StoredBallot"] == 0


def test_changing_a_vote_with_the_receipt(app, client, db):
    _, funding_round, paper, _ = setup(db, allow_vote_change=True)
    sign_in(client, "voter@example.org", PASSWORD)
    a, b, _ = [p.id for p in paper.pots[0].projects]
    first = vote_through_pages(client, paper, {"choices": [a]})
    code = (
        get_page(client, first.headers["Location"]).select_one("#receipt-code").get_text(strip=True)
    )
    page = get_page(client, ballot_url(paper))
    assert page.h1.get_text(strip=True).startswith("Change your vote")
    wrong = vote_through_pages_direct(client, paper, {"receipt": "nope", "choices": [b]})
    assert (
        "not for a ballot"
        in error_messages(BeautifulSoup(wrong.get_data(as_text=True), "html.parser"))["receipt"]
    )
    second = vote_through_pages(client, paper, {"receipt": code, "choices": [b]})
    assert second.status_code == 302
    new_code = (
        get_page(client, second.headers["Location"])
        .select_one("#receipt-code")
        .get_text(strip=True)
    )
    assert box.check_receipt(db.session, funding_round.id, code).superseded_at == 2
    assert box.check_receipt(db.session, funding_round.id, new_code).superseded_at is None
    assert stored(db) == {"VoterMark": 1, "StoredBallot": 2, "Receipt": 2, "LogEntry": 4}


def test_the_round_page_shows_the_log_head_and_a_vote_button(app, client, db):
    _, funding_round, paper, entry = setup(db)
    page = get_page(client, BASE)
    assert page.select_one("#ballot-log-head") is None  # no ballot yet, no log yet
    result = box.cast(
        db.session,
        paper,
        entry,
        paper.pots[0].id,
        box.decode_ballot(json.dumps({"choices": [paper.pots[0].projects[0].id], "points": []})),
        today=date(2026, 11, 23),
    )
    db.session.commit()
    page = get_page(client, BASE)
    assert page.select_one("#ballot-log-head").get_text(strip=True) == result.entry_hash
    sign_in(client, "voter@example.org", PASSWORD)
    page = get_page(client, BASE)
    assert page.find("a", string="Vote")["href"] == f"{BASE}/vote"
    del funding_round


def test_results_are_published_per_project_only_above_the_minimum(app, client, db):
    council = create_council(slug="home")
    north, south = place(council, "North"), place(council, "South")
    funding_round, paper = voting_round(
        council,
        costs=((1_000_00, 2_000_00), (1_000_00, 2_000_00)),
        budgets=(2_500_00, 2_500_00),
        neighbourhoods=(north, south),
        home_pot_only=True,
        min_ballots_to_publish=3,
    )
    funding_round.slug = "vote"
    db.session.commit()
    big, small = paper.pots
    for hood, pot, n in ((north, big, 3), (south, small, 2)):
        for _ in range(n):
            box.cast(
                db.session,
                paper,
                enrol(council, hood),
                pot.id,
                box.decode_ballot(f'{{"choices":["{pot.projects[0].id}"],"points":[]}}'),
                today=date(2026, 11, 23),
            )
    db.session.commit()
    page = get_page(client, BASE + "/results")
    assert page.select_one("#not-published")  # voting: nothing
    # Closing seals the log and counts every pot; publishing shows the stored count.
    closing = datetime(2026, 11, 30, 12, tzinfo=UTC)
    rounds.change_phase(
        db.session,
        funding_round,
        target=Phase.CLOSED,
        expected=Phase.VOTING,
        actor=None,
        now=closing,
    )
    db.session.commit()
    assert get_page(client, BASE + "/results").select_one("#not-published")  # counted, not out
    rounds.publish_results(
        db.session,
        funding_round,
        actor=create_user(roles={council: Role.OFFICER}),
        now=closing,
        confirmed=True,
    )
    db.session.commit()
    page = get_page(client, BASE + "/results")
    north_section = page.select_one(f"section[aria-labelledby=pot-{big.id}]").get_text(" ")
    south_section = page.select_one(f"section[aria-labelledby=pot-{small.id}]").get_text(" ")
    assert "Funded" in north_section and big.projects[0].name in north_section
    assert "3 ballots counted" in north_section
    assert "2 ballots counted" in south_section and "not published" in south_section
    for p in small.projects:
        assert p.name not in south_section


def test_another_rounds_pot_or_project_and_someone_elses_neighbourhood(app, client, db):
    council = create_council(slug="home")
    north, south = place(council, "North"), place(council, "South")
    user = create_user(email="voter@example.org", roles={council: Role.RESIDENT}, home=north)
    funding_round, paper = voting_round(
        council,
        costs=((1_000_00,), (1_000_00,)),
        budgets=(2_500_00, 2_500_00),
        neighbourhoods=(north, south),
        home_pot_only=True,
    )
    funding_round.slug = "vote"
    other_round, other = voting_round(council)
    db.session.commit()
    enrol(council, north, user=user)
    mine, theirs = paper.pots
    sign_in(client, "voter@example.org", PASSWORD)
    assert [a["href"] for a in get_page(client, f"{BASE}/vote").select("#pots a")] == [
        f"{BASE}/vote/{mine.id}"
    ]
    page = get_page(client, f"{BASE}/vote/{theirs.id}", status=403)
    assert "South is not yours" in page.get_text()
    assert (
        vote_through_pages_direct_to(client, theirs.id, {"choices": [theirs.projects[0].id]}) == 403
    )
    get_page(client, f"{BASE}/vote/{other.pots[0].id}", status=404)
    response = submit(
        client,
        f"{BASE}/vote/{mine.id}",
        {"action": "continue", "choices": [other.pots[0].projects[0].id]},
    )
    messages = error_messages(BeautifulSoup(response.get_data(as_text=True), "html.parser"))
    assert "is not a project in this vote" in messages["choices"]
    assert stored(db)["StoredBallot"] == 0
    del other_round


def vote_through_pages_direct_to(client, pot_id, data):
    token = BeautifulSoup(client.get("/auth/sign-in").get_data(as_text=True), "html.parser")
    csrf = token.select_one("input[name=csrf_token]")["value"]
    return client.post(
        f"{BASE}/vote/{pot_id}/confirm", data={"csrf_token": csrf, **data}
    ).status_code


def test_a_used_code_and_too_many_guesses_on_the_page(app, client, db):
    council, _, _, _ = setup(db, verified=False)
    sign_in(client, "voter@example.org", PASSWORD)
    client.get("/")
    from ballots.db import utcnow

    (issued,) = roll.issue_codes(
        db.session, council_id=council.id, scope="council", key=_key(app), now=utcnow()
    )
    db.session.commit()
    assert (
        submit(
            client, "/councils/home/verify", {"reference": "R1", "code": issued.code}
        ).status_code
        == 302
    )
    client.get("/")
    other = create_user(email="other@example.org", roles={council: Role.RESIDENT})
    db.session.commit()
    client.post("/auth/sign-out", data={"csrf_token": _csrf(client)})
    sign_in(client, "other@example.org", PASSWORD)
    client.get("/")
    response = submit(client, "/councils/home/verify", {"reference": "R1", "code": issued.code})
    assert (
        "already been used"
        in error_messages(BeautifulSoup(response.get_data(as_text=True), "html.parser"))["code"]
    )
    statuses = [
        submit(
            client, "/councils/home/verify", {"reference": "R1", "code": "AAAAA-AAAAA"}
        ).status_code
        for _ in range(10)
    ]
    assert 429 in statuses  # the reference slowed down, and the page's own rate limits
    del other


def _csrf(client):
    page = BeautifulSoup(client.get("/auth/sign-in").get_data(as_text=True), "html.parser")
    return page.select_one("input[name=csrf_token]")["value"]


# --- Reading a project's page from the ballot, the choices kept ------------------------------

KEPT = {
    "approval": ({}, lambda a, b, c: {"choices": [a, c]}),
    "single-choice": ({}, lambda a, b, c: {"choices": b}),
    "ranked": ({"max_choices": 3}, lambda a, b, c: {"rank_1": c, "rank_2": a}),
    "cumulative": (
        {"points": 10, "max_points_per_project": 6},
        lambda a, b, c: {f"points_{a}": "6", f"points_{b}": "x"},  # a typo is kept as typed
    ),
}


def chosen(page, kind) -> dict:
    if kind in ("approval", "single-choice"):
        return {"choices": [i["value"] for i in page.select("input[name=choices][checked]")]}
    if kind == "ranked":
        return {
            s["name"]: s.select_one("option[selected]")["value"]
            for s in page.select("select[name^=rank_]")
            if s.select_one("option[selected]") and s.select_one("option[selected]")["value"]
        }
    return {i["name"]: i["value"] for i in page.select("input[name^=points_]") if i.get("value")}


@pytest.mark.parametrize("kind", sorted(KEPT))
def test_every_project_shows_its_summary_and_reading_it_keeps_the_choices(app, client, db, kind):
    config, data = KEPT[kind]
    _, funding_round, paper, _ = setup(db, kind=kind, **config)
    sign_in(client, "voter@example.org", PASSWORD)
    a, b, c = [p.id for p in paper.pots[0].projects]
    page = get_page(client, ballot_url(paper))
    for pid in (a, b, c):
        assert page.select_one(f"#summary-{pid}").get_text(strip=True) == "A summary."
        assert page.select_one(f"main form button[name=read][value='{pid}']")
    # Enter in a field still continues: the form's first button is continue, not a project.
    first = page.select_one("main form button")
    assert (first["name"], first["value"]) == ("action", "continue")
    sent = data(a, b, c)
    response = submit(client, ballot_url(paper), {"read": b, **sent})
    assert response.status_code == 303
    target = response.headers["Location"]
    assert target == f"{BASE}/proposals/{b}?ballot={paper.pots[0].id}"
    proposal = get_page(client, target)
    assert proposal.select_one("#back-to-ballot")["href"] == ballot_url(paper)
    back = get_page(client, ballot_url(paper))
    expected = {"choices": [sent["choices"]]} if kind == "single-choice" else sent
    assert chosen(back, kind) == expected
    # Nothing is cast by reading.
    assert stored(db) == {"VoterMark": 0, "StoredBallot": 0, "Receipt": 0, "LogEntry": 0}
    del funding_round


def test_the_kept_choices_are_forgotten_once_the_ballot_is_cast(app, client, db):
    _, _, paper, _ = setup(db, allow_vote_change=True)
    sign_in(client, "voter@example.org", PASSWORD)
    a, b, _ = [p.id for p in paper.pots[0].projects]
    submit(client, ballot_url(paper), {"read": a, "choices": [a, b]})
    with client.session_transaction() as session:
        assert list(session["ballot_drafts"].values()) == [[["choices", a], ["choices", b]]]
    assert vote_through_pages(client, paper, {"choices": [a, b]}).status_code == 302
    with client.session_transaction() as session:
        assert session["ballot_drafts"] == {}
    # Changing the vote starts from an empty ballot again.
    page = get_page(client, ballot_url(paper))
    assert chosen(page, "approval") == {"choices": []}


def test_another_person_on_the_same_browser_does_not_see_kept_choices(app, client, db):
    council, _, paper, _ = setup(db)
    sign_in(client, "voter@example.org", PASSWORD)
    a = paper.pots[0].projects[0].id
    submit(client, ballot_url(paper), {"read": a, "choices": [a]})
    client.post("/auth/sign-out", data={"csrf_token": csrf(client)})
    other = create_user(email="other@example.org", roles={council: Role.RESIDENT})
    enrol(council, place(council, name="Elsewhere"), user=other, reference="R2")
    sign_in(client, "other@example.org", PASSWORD)
    assert chosen(get_page(client, ballot_url(paper)), "approval") == {"choices": []}


def csrf(client) -> str:
    page = BeautifulSoup(client.get("/auth/sign-in").get_data(as_text=True), "html.parser")
    return page.select_one("input[name=csrf_token]")["value"]


def test_a_hidden_proposal_is_on_the_ballot_without_its_text_or_link(app, client, db):
    from app.workflow.models import Proposal

    _, _, paper, _ = setup(db)
    a = paper.pots[0].projects[0].id
    db.session.get(Proposal, int(a)).hidden_at = datetime(2026, 5, 1, tzinfo=UTC)
    db.session.commit()
    sign_in(client, "voter@example.org", PASSWORD)
    page = get_page(client, ballot_url(paper))
    assert "hidden by moderators" in page.select_one(f"#summary-{a}").get_text()
    assert page.select_one(f"button[name=read][value='{a}']") is None


def test_reading_a_project_from_another_pot_is_not_a_way_out(app, client, db):
    _, _, paper, _ = setup(db)
    sign_in(client, "voter@example.org", PASSWORD)
    response = submit(client, ballot_url(paper), {"read": "99999", "action": "update"})
    assert response.status_code == 200
    with client.session_transaction() as session:
        assert not session.get("ballot_drafts")


def test_the_back_link_is_only_for_a_ballot_being_filled_in(app, client, db):
    _, funding_round, paper, _ = setup(db)
    a = paper.pots[0].projects[0].id
    url = f"{BASE}/proposals/{a}?ballot={paper.pots[0].id}"
    assert get_page(client, url).select_one("#back-to-ballot") is None  # not signed in
    sign_in(client, "voter@example.org", PASSWORD)
    assert get_page(client, url).select_one("#back-to-ballot")
    assert (
        get_page(client, f"{BASE}/proposals/{a}?ballot=999").select_one("#back-to-ballot") is None
    )
    funding_round.phase = Phase.CLOSED
    db.session.commit()
    assert get_page(client, url).select_one("#back-to-ballot") is None


def test_the_update_totals_button_is_marked_for_the_script_to_hide(app, client, db):
    _, _, paper, _ = setup(db, kind="knapsack")
    sign_in(client, "voter@example.org", PASSWORD)
    page = get_page(client, ballot_url(paper))
    button = page.select_one("button.devolve-update-totals")
    assert button.get_text(strip=True) == "Update totals" and not button.has_attr("hidden")
