"""Officers open a round, split its budget, schedule it, configure voting and move it through
its phases; once voting opens everything a ballot depends on is frozen and refusals logged."""

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.web.forms.fields import MoneyField
from app.workflow import rounds
from app.workflow.errors import Conflict, DomainError, Frozen, WrongPhase
from app.workflow.models import AuditEvent, FundingRound, Phase, ProposalStatus, SplitMethod
from tests.app.pages import error_messages, get_page, sign_in, soup, submit, summary_errors
from tests.factories import PASSWORD, create_proposal, create_round

NEW = "/officers/lambeth/rounds/new"
# The schedules below are in January of next year, so they stay ahead of the real clock.
Y = datetime.now(UTC).year + 1


def events(db, action=None):
    query = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        query = query.where(AuditEvent.action == action)
    return list(db.session.scalars(query))


@pytest.mark.parametrize(
    "typed, pence",
    [
        ("1500", 150000),
        ("1,500", 150000),
        ("1500.50", 150050),
        ("£1,234,567.5", 123456750),
        ("0.01", 1),
        (" 12 ", 1200),
    ],
)
def test_money_is_typed_in_pounds_and_kept_in_exact_pence(app, typed, pence):
    class F(__import__("flask_wtf").FlaskForm):
        amount = MoneyField("Budget", message="Enter the budget in pounds, like 1500 or 1500.50")

    with app.test_request_context(method="POST", data={"amount": typed}):
        form = F(meta={"csrf": False})
        assert form.validate(), form.errors
        assert form.amount.data == pence


@pytest.mark.parametrize(
    "typed, message",
    [
        ("-5", "Budget must not be negative"),
        ("12.345", "no more than 2 decimal places"),
        ("twelve", "Enter the budget in pounds, like 1500 or 1500.50"),
        ("1,50", "Enter the budget"),
    ],
)
def test_bad_money_gets_a_message(app, typed, message):
    class F(__import__("flask_wtf").FlaskForm):
        amount = MoneyField("Budget", message="Enter the budget in pounds, like 1500 or 1500.50")

    with app.test_request_context(method="POST", data={"amount": typed}):
        form = F(meta={"csrf": False})
        assert not form.validate()
        assert message in form.amount.errors[0]


def test_officer_previews_a_need_weighted_split_then_creates_the_round(client, db, lambeth):
    sign_in(client, "officer@lambeth.example", PASSWORD)
    data = {
        "title": "Youth services 2026",
        "description": "For 11 to 25 year olds.",
        "total_budget": "1,000.00",
        "method": "need",
        "council_wide": "100",
    }
    response = submit(client, NEW, {**data, "preview": "Preview the split"})
    assert response.status_code == 200
    page = __import__("bs4").BeautifulSoup(response.get_data(as_text=True), "html.parser")
    rows = [[c.get_text(strip=True) for c in tr.select("th, td")] for tr in page.select("tbody tr")]
    # £900 by need weight 1.6 : 0.7 : 1.1 (total 3.4) = 423.529..., 185.294..., 291.176...
    assert rows == [
        ["Council-wide", "£100.00"],
        ["Brixton", "£423.53"],
        ["Clapham", "£185.29"],
        ["Norwood", "£291.18"],
        ["Total", "£1,000.00"],
    ]
    note = page.select_one("#split-note").get_text()
    assert "the 2 pennies left over went one each to Brixton and Norwood" in note
    assert (
        db.session.scalar(select(FundingRound)) is None
        or db.session.scalar(
            select(FundingRound).where(FundingRound.title == "Youth services 2026")
        )
        is None
    )

    response = submit(client, NEW, data)
    assert response.status_code == 302
    funding_round = db.session.scalar(
        select(FundingRound).where(FundingRound.slug == "youth-services-2026")
    )
    assert funding_round.phase == Phase.DRAFT
    assert funding_round.split_method == SplitMethod.NEED
    assert [p.budget_pence for p in funding_round.pots] == [100_00, 423_53, 185_29, 291_18]
    assert sum(p.budget_pence for p in funding_round.pots) == funding_round.total_budget_pence
    [created] = events(db, "round.created")
    assert created.actor_id == lambeth.officer.id and created.after["total_budget_pence"] == 1000_00
    get_page(client, response.headers["Location"])


@pytest.mark.parametrize(
    "data, field, message",
    [
        (
            {"method": "explicit", "pot_{0}": "500", "pot_{1}": "300", "pot_{2}": "150"},
            "pot_{0}",
            "The neighbourhood amounts add up to £950, which is £50.00 less than the £1,000 "
            "in the budget",
        ),
        (
            {"method": "explicit", "pot_{0}": "500", "pot_{1}": "300", "pot_{2}": "200.01"},
            "pot_{0}",
            "which is £0.01 more than",
        ),
        (
            {"method": "equal", "council_wide": "1000"},
            "council_wide",
            "The council-wide pot must be less than the total budget of £1,000",
        ),
        (
            {"method": "equal", "total_budget": "-10"},
            "total_budget",
            "Total budget must not be negative",
        ),
        (
            {"method": "equal", "total_budget": "0"},
            "total_budget",
            "Enter a total budget of more than £0",
        ),
        ({"method": "sideways"}, "method", "Select how the budget is split from the list"),
        ({"method": ""}, "method", "Select how the budget is split into pots"),
    ],
)
def test_bad_splits_are_refused_beside_the_field(client, db, lambeth, data, field, message):
    sign_in(client, "officer@lambeth.example", PASSWORD)
    ids = [h.id for h in lambeth.hoods]
    data = {k.format(*ids): v for k, v in data.items()}
    form = {"title": "Round", "description": "d", "total_budget": "1000", **data}
    response = submit(client, NEW, form)
    assert response.status_code == 200
    page = __import__("bs4").BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert message in error_messages(page)[field.format(*ids)]
    assert summary_errors(page)
    assert page.title.get_text().startswith("Error: ")
    assert db.session.scalar(select(FundingRound).where(FundingRound.title == "Round")) is None
    assert events(db) == []


def test_need_weight_split_without_weights_is_refused(client, db, lambeth):
    for h in lambeth.hoods:
        h.need_weight = None
    db.session.commit()
    sign_in(client, "officer@lambeth.example", PASSWORD)
    response = submit(
        client, NEW, {"title": "R", "description": "d", "total_budget": "10", "method": "need"}
    )
    page = __import__("bs4").BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert "No neighbourhood in Lambeth Council has a need weight" in error_messages(page)["method"]


def test_council_wide_only_and_explicit_splits(client, db, lambeth):
    sign_in(client, "officer@lambeth.example", PASSWORD)
    submit(
        client,
        NEW,
        {"title": "One pot", "description": "d", "total_budget": "250", "method": "council"},
    )
    one = db.session.scalar(select(FundingRound).where(FundingRound.slug == "one-pot"))
    assert [(p.name, p.budget_pence, p.neighbourhood_id) for p in one.pots] == [
        ("Council-wide", 250_00, None)
    ]
    ids = [h.id for h in lambeth.hoods]
    submit(
        client,
        NEW,
        {
            "title": "Typed",
            "description": "d",
            "total_budget": "1000",
            "method": "explicit",
            f"pot_{ids[0]}": "600",
            f"pot_{ids[1]}": "400",
            f"pot_{ids[2]}": "",
        },
    )
    typed = db.session.scalar(select(FundingRound).where(FundingRound.slug == "typed"))
    # A neighbourhood with nothing gets no pot.
    assert [(p.name, p.budget_pence) for p in typed.pots] == [
        ("Brixton", 600_00),
        ("Clapham", 400_00),
    ]


def test_split_by_population_adds_up_to_the_penny(lambeth):
    plan = rounds.plan_pots(lambeth.council, total_pence=100, method=SplitMethod.POPULATION)
    # 300 : 200 : 100 of 100p = 50, 33.33, 16.67: the leftover penny goes to Norwood (0.67).
    assert [p.budget_pence for p in plan.pots] == [50, 33, 17]
    assert "went one each to Norwood" in plan.note


def test_another_councils_officer_cannot_open_or_see_a_round(client, db, lambeth):
    sign_in(client, "officer@liverpool.example", PASSWORD)
    get_page(client, NEW, status=403)
    response = client.post(NEW, data={"title": "x", "total_budget": "1", "method": "council"})
    assert response.status_code in (400, 403)
    draft = create_round(lambeth.council, slug="draft", phase=Phase.DRAFT)
    db.session.commit()
    assert client.get("/councils/lambeth/rounds/draft").status_code == 404
    assert client.get("/officers/lambeth/rounds/draft").status_code == 403
    # Liverpool's own management pages do not reach Lambeth's round either.
    assert client.get("/officers/liverpool/rounds/draft").status_code == 404
    assert (
        client.get(f"/officers/liverpool/rounds/environment/proposals/{draft.id}").status_code
        == 404
    )


# --- Schedule -------------------------------------------------------------------------------


def schedule(**phases):
    data = {}
    for phase, (start, end) in phases.items():
        for key, day in (("start", start), ("end", end)):
            if day:
                data[f"{phase}_{key}"] = day.split("/")
    return data


def test_schedule_is_saved_in_london_time_and_shown(client, db, lambeth):
    r = create_round(lambeth.council, slug="r", phase=Phase.PROPOSALS)
    db.session.commit()
    sign_in(client, "officer@lambeth.example", PASSWORD)
    url = "/officers/lambeth/rounds/r/schedule"
    response = submit(
        client,
        url,
        schedule(
            proposals=("1/6/2026", "30/6/2026"),
            review=("1/7/2026", "14/7/2026"),
            voting=("15/7/2026", "31/7/2026"),
        ),
    )
    assert response.status_code == 302
    db.session.refresh(r)
    proposals = r.dates_for(Phase.PROPOSALS)
    # Midnight in London in June is 11pm UTC the day before (British Summer Time).
    assert proposals.starts_at == datetime(2026, 5, 31, 23, tzinfo=UTC)
    assert proposals.ends_at == datetime(2026, 6, 30, 23, tzinfo=UTC)
    page = get_page(client, "/councils/lambeth/rounds/r")
    assert "1 June 2026 to 30 June 2026" in page.get_text()
    assert "Next: review" in page.select_one("#what-next").get_text()
    assert "due to start on 1 July 2026" in page.select_one("#what-next").get_text()
    assert events(db, "round.schedule_changed")[0].after["voting"] == ["2026-07-15", "2026-07-31"]


@pytest.mark.parametrize(
    "data, field, message",
    [
        (
            schedule(proposals=("10/6/2026", "1/6/2026")),
            "proposals_end",
            "Proposals open must end on or after the day it starts",
        ),
        (
            schedule(proposals=("1/6/2026", "30/6/2026"), review=("30/6/2026", "5/7/2026")),
            "review_start",
            "Review must start after proposals open ends (30 June 2026)",
        ),
        (schedule(voting=("1/6/2026", None)), "voting_end", "Enter the date voting ends"),
        (schedule(voting=("31/2/2026", "1/3/2026")), "voting_start", "must be a real date"),
    ],
)
def test_dates_out_of_order_are_refused(client, db, lambeth, data, field, message):
    create_round(lambeth.council, slug="r", phase=Phase.PROPOSALS)
    db.session.commit()
    sign_in(client, "officer@lambeth.example", PASSWORD)
    response = submit(client, "/officers/lambeth/rounds/r/schedule", data)
    page = __import__("bs4").BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert message in error_messages(page)[field]
    assert events(db, "round.schedule_changed") == []


def test_the_reminder_is_set_on_the_schedule_page_and_audited(client, db, lambeth):
    r = create_round(lambeth.council, slug="r", phase=Phase.PROPOSALS)
    r.reminder_days = 3
    db.session.commit()
    sign_in(client, "officer@lambeth.example", PASSWORD)
    url = "/officers/lambeth/rounds/r/schedule"
    page = get_page(client, url)
    assert page.select_one("input[name=reminder_days]")["value"] == "3"
    for typed, message in (
        ("0", "from 1 to 60 days"),
        ("61", "from 1 to 60 days"),
        ("x", "whole number"),
    ):
        response = submit(
            client, url, {**schedule(voting=("15/7/2026", "31/7/2026")), "reminder_days": typed}
        )
        assert message in error_messages(soup(response))["reminder_days"]
    db.session.refresh(r)
    assert r.reminder_days == 3 and events(db, "round.schedule_changed") == []
    response = submit(
        client, url, {**schedule(voting=("15/7/2026", "31/7/2026")), "reminder_days": "5"}
    )
    assert response.status_code == 302
    db.session.refresh(r)
    assert r.reminder_days == 5
    [event] = events(db, "round.schedule_changed")
    assert event.before["reminder_days"] == 3 and event.after["reminder_days"] == 5
    submit(client, url, {**schedule(voting=("15/7/2026", "31/7/2026")), "reminder_days": ""})
    db.session.refresh(r)
    assert r.reminder_days is None


# --- Voting configuration ---------------------------------------------------------------------

VOTING = {"ballot_kind": "approval", "rule": "mes-add1", "tie_break": "cost-votes"}


def test_voting_configuration_is_saved_and_explained_in_plain_english(client, db, lambeth):
    create_round(lambeth.council, slug="r", phase=Phase.PROPOSALS)
    db.session.commit()
    sign_in(client, "officer@lambeth.example", PASSWORD)
    data = {**VOTING, "max_choices": "3", "min_age": "11", "max_age": "25", "home_pot_only": "y"}
    assert submit(client, "/officers/lambeth/rounds/r/voting", data).status_code == 302
    r = db.session.scalar(select(FundingRound).where(FundingRound.slug == "r"))
    assert (r.rule, r.max_choices, r.min_age, r.max_age, r.home_pot_only) == (
        "mes-add1",
        3,
        11,
        25,
        True,
    )
    page = get_page(client, "/councils/lambeth/rounds/r")
    assert "Method of Equal Shares with completion" in page.get_text()
    assert (
        "supporters can pay for it from their shares"
        in page.select_one("#counting-method").get_text()
    )
    assert "at most 3 projects" in page.select_one("#ballot-method").get_text()
    assert (
        page.select_one("#eligibility")
        .get_text()
        .startswith(
            "Residents aged 11 to 25 can vote. You vote only in your own neighbourhood's pot"
        )
    )
    [event] = events(db, "round.voting_configured")
    assert event.before["min_age"] is None and event.after["min_age"] == 11
    # Left empty: vote changing stays off and the publishing minimum is the default 10.
    assert (r.allow_vote_change, r.min_ballots_to_publish) == (False, 10)


def test_vote_changing_and_the_publishing_minimum_are_configurable(client, db, lambeth):
    create_round(lambeth.council, slug="r", phase=Phase.PROPOSALS)
    db.session.commit()
    sign_in(client, "officer@lambeth.example", PASSWORD)
    data = {**VOTING, "allow_vote_change": "y", "min_ballots_to_publish": "25"}
    assert submit(client, "/officers/lambeth/rounds/r/voting", data).status_code == 302
    r = db.session.scalar(select(FundingRound).where(FundingRound.slug == "r"))
    assert (r.allow_vote_change, r.min_ballots_to_publish) == (True, 25)
    [event] = events(db, "round.voting_configured")
    assert event.after["allow_vote_change"] is True
    assert event.after["min_ballots_to_publish"] == 25


@pytest.mark.parametrize(
    "data, field, message",
    [
        (
            {"ballot_kind": "cumulative", "rule": "phragmen"},
            "rule",
            "Points ballots cannot be counted that way",
        ),
        (
            {"ballot_kind": "cumulative", "rule": "mes"},
            "points",
            "Enter how many points each voter shares out",
        ),
        (
            {"ballot_kind": "ranked", "rule": "irv"},
            "max_choices",
            "Enter how many projects a voter can rank",
        ),
        (
            {"min_age": "30", "max_age": "11"},
            "min_age",
            "The minimum age must not be more than the maximum age",
        ),
        ({"max_age": "150"}, "max_age", "Enter an age between 0 and 120"),
        (
            {"min_choices": "4", "max_choices": "2"},
            "min_choices",
            "The fewest choices must not be more than",
        ),
        ({"max_choices": "two"}, "max_choices", "Enter the most choices as a whole number"),
        ({"rule": "coin-toss"}, "rule", "Select a counting method from the list"),
        (
            {"support_threshold": "-1", "supports_enabled": "y"},
            "support_threshold",
            "must be 0 or more",
        ),
        ({"min_ballots_to_publish": "0"}, "min_ballots_to_publish", "between 1 and 1,000"),
        (
            {"min_ballots_to_publish": "ten"},
            "min_ballots_to_publish",
            "Enter the fewest ballots as a whole number",
        ),
    ],
)
def test_invalid_voting_configurations_are_refused(client, db, lambeth, data, field, message):
    create_round(lambeth.council, slug="r", phase=Phase.PROPOSALS)
    db.session.commit()
    sign_in(client, "officer@lambeth.example", PASSWORD)
    response = submit(client, "/officers/lambeth/rounds/r/voting", {**VOTING, **data})
    page = __import__("bs4").BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert message in error_messages(page)[field]
    assert events(db) == []


# --- Phases -----------------------------------------------------------------------------------


def move(client, target, expected, slug="r"):
    token_page = f"/officers/lambeth/rounds/{slug}"
    return submit(
        client,
        token_page,
        {"target": target, "expected": expected},
        post_to=f"{token_page}/phase",
        form_selector=f"form[action='{token_page}/phase']",
    )


def open_voting(client, slug="r", confirm=True):
    """Open voting through the confirmation page, ticking that proposals not yet reviewed
    will be left off the ballot."""
    url = f"/officers/lambeth/rounds/{slug}/open-voting"
    page = get_page(client, url)
    form = page.select_one(f"form[action='{url}']")
    assert form is not None, "no form to open voting"
    data = {i["name"]: i.get("value", "") for i in form.select("input[type=hidden]")}
    if confirm:
        data["confirm"] = "y"
    return client.post(url, data=data)


@pytest.fixture
def reviewable(db, lambeth):
    r = create_round(lambeth.council, slug="r", phase=Phase.REVIEW, total_budget_pence=100_000_00)
    create_proposal(
        r.pots[0], title="Youth club", cost_pence=10_000_00, status=ProposalStatus.FEASIBLE
    )
    create_proposal(
        r.pots[0], title="Skate park", cost_pence=20_000_00, status=ProposalStatus.SUBMITTED
    )
    db.session.commit()
    return r


def test_phases_move_one_step_and_back_only_before_voting(client, db, lambeth):
    r = create_round(lambeth.council, slug="r", phase=Phase.DRAFT)
    db.session.commit()
    sign_in(client, "officer@lambeth.example", PASSWORD)
    page = get_page(client, "/officers/lambeth/rounds/r")
    assert "Next: proposals open" in page.select_one("#what-next").get_text()
    assert move(client, "proposals", "draft").status_code == 302
    assert move(client, "review", "proposals").status_code == 302
    assert move(client, "proposals", "review").status_code == 302  # reopen proposals
    db.session.refresh(r)
    assert r.phase == Phase.PROPOSALS
    # Skipping ahead is refused: review comes first; supports are skipped when not used.
    response = move(client, "voting", "proposals")
    assert "phases go one step at a time" in client.get(response.headers["Location"]).get_data(
        as_text=True
    )
    db.session.refresh(r)
    assert r.phase == Phase.PROPOSALS
    assert [e.after["phase"] for e in events(db, "round.phase_changed")] == [
        "proposals",
        "review",
        "proposals",
    ]


def test_a_stale_phase_change_is_refused_by_compare_and_set(client, db, lambeth):
    create_round(lambeth.council, slug="r", phase=Phase.PROPOSALS)
    db.session.commit()
    sign_in(client, "officer@lambeth.example", PASSWORD)
    move(client, "review", "proposals")
    response = move(client, "review", "proposals")  # a second click from the old page
    assert "has moved to review since the page was loaded" in client.get(
        response.headers["Location"]
    ).get_data(as_text=True)
    assert len(events(db, "round.phase_changed")) == 1


def test_compare_and_set_in_the_domain(db, lambeth):
    r = create_round(lambeth.council, slug="r", phase=Phase.PROPOSALS)
    db.session.commit()
    rounds.change_phase(
        db.session,
        r,
        target=Phase.REVIEW,
        expected=Phase.PROPOSALS,
        actor=lambeth.officer,
        now=datetime.now(UTC),
    )
    db.session.commit()
    with pytest.raises(Conflict):
        rounds.change_phase(
            db.session,
            r,
            target=Phase.REVIEW,
            expected=Phase.PROPOSALS,
            actor=lambeth.officer,
            now=datetime.now(UTC),
        )


def test_voting_cannot_open_without_a_proposal_that_reaches_the_ballot(client, db, lambeth):
    r = create_round(lambeth.council, slug="r", phase=Phase.REVIEW)
    create_proposal(r.pots[0], status=ProposalStatus.SUBMITTED)
    db.session.commit()
    sign_in(client, "officer@lambeth.example", PASSWORD)
    page = get_page(client, "/officers/lambeth/rounds/r")
    assert "No proposal can reach the ballot" in page.select_one("#phase-problems").get_text()
    # The confirmation page says why and offers no button; a forced POST is refused too.
    page = get_page(client, "/officers/lambeth/rounds/r/open-voting")
    assert "No proposal can reach the ballot" in page.select_one("#voting-problems").get_text()
    assert page.select_one("form[action$='/open-voting']") is None
    response = move(client, "voting", "review")
    assert "No proposal can reach the ballot" in client.get(response.headers["Location"]).get_data(
        as_text=True
    )
    db.session.refresh(r)
    assert r.phase == Phase.REVIEW and r.manifest_hash is None
    assert events(db, "round.phase_changed") == []


def test_opening_voting_lists_unreviewed_proposals_and_needs_confirmation(
    client, db, lambeth, reviewable
):
    sign_in(client, "officer@lambeth.example", PASSWORD)
    page = get_page(client, "/officers/lambeth/rounds/r")
    # The round page links to the check instead of moving straight to voting.
    assert page.select_one("#open-voting")["href"] == "/officers/lambeth/rounds/r/open-voting"
    page = get_page(client, "/officers/lambeth/rounds/r/open-voting")
    assert "Skate park" in page.select_one("#unreviewed").get_text()
    assert "Youth club" in page.get_text()
    assert "1 proposal has not been reviewed" in page.get_text()
    # Without the tick: refused beside the checkbox, nothing changes.
    response = open_voting(client, confirm=False)
    assert response.status_code == 200
    assert (
        "Confirm that the 1 proposal not yet reviewed will not be on the ballot"
        in (error_messages(soup(response))["confirm"])
    )
    db.session.refresh(reviewable)
    assert reviewable.phase == Phase.REVIEW and reviewable.manifest_json is None
    # The generic phase change cannot skip the confirmation either.
    response = move(client, "voting", "review")
    assert "not yet reviewed" in client.get(response.headers["Location"]).get_data(as_text=True)
    db.session.refresh(reviewable)
    assert reviewable.phase == Phase.REVIEW
    assert events(db, "round.phase_changed") == []
    # Confirmed: voting opens without the unreviewed proposal.
    assert open_voting(client).status_code == 302
    db.session.refresh(reviewable)
    assert reviewable.phase == Phase.VOTING
    titles = [p["title"] for p in json.loads(reviewable.manifest_json)["pots"][0]["proposals"]]
    assert titles == ["Youth club"]
    [opened] = events(db, "round.phase_changed")
    assert opened.actor_id == lambeth.officer.id and opened.after["phase"] == "voting"


def test_a_proposal_submitted_after_the_list_was_shown_stops_voting_opening(
    client, db, lambeth, reviewable
):
    sign_in(client, "officer@lambeth.example", PASSWORD)
    url = "/officers/lambeth/rounds/r/open-voting"
    page = get_page(client, url)
    data = {i["name"]: i.get("value", "") for i in page.select("form input[type=hidden]")}
    create_proposal(reviewable.pots[0], title="Late idea", status=ProposalStatus.SUBMITTED)
    db.session.commit()
    response = client.post(url, data={**data, "confirm": "y"})
    assert response.status_code == 200
    assert "More proposals are waiting for review" in error_messages(soup(response))["confirm"]
    db.session.refresh(reviewable)
    assert reviewable.phase == Phase.REVIEW and events(db, "round.phase_changed") == []


def _ballot_round(db, lambeth, kind="approval", costs=(10_000_00,), budget=100_000_00, **config):
    r = create_round(lambeth.council, slug="r", phase=Phase.REVIEW, total_budget_pence=budget)
    r.ballot_kind = kind
    r.rule = "greedy"
    for name, value in config.items():
        setattr(r, name, value)
    for i, cost in enumerate(costs):
        create_proposal(
            r.pots[0], title=f"Project {i}", cost_pence=cost, status=ProposalStatus.FEASIBLE
        )
    db.session.commit()
    return r


@pytest.mark.parametrize(
    "kind, costs, budget, config, message",
    [
        (
            "cumulative",
            (10_00,),
            100_00,
            {"points": 10, "max_points_per_project": 5},
            "every voter must use all 10 points, at most 5 on one project, but only 1 project "
            "can take points (5 at most)",
        ),
        (
            "approval",
            (10_00, 20_00),
            100_00,
            {"min_choices": 3},
            "every voter must choose at least 3 projects, but only 2 projects are on the ballot",
        ),
        (
            "ranked",
            (10_00, 20_00),
            100_00,
            {"min_choices": 3, "max_choices": 3},
            "every voter must rank at least 3 projects, but only 2 projects are on the ballot",
        ),
        (
            "knapsack",
            (60_00, 70_00),
            100_00,
            {"min_choices": 2},
            "every voter must choose at least 2 projects that fit the pot's £100, but the 2 "
            "cheapest cost £130",
        ),
    ],
)
def test_voting_cannot_open_on_ballot_rules_no_ballot_could_satisfy(
    client, db, lambeth, kind, costs, budget, config, message
):
    r = _ballot_round(db, lambeth, kind, costs, budget, **config)
    sign_in(client, "officer@lambeth.example", PASSWORD)
    page = get_page(client, "/officers/lambeth/rounds/r/open-voting")
    assert message in page.select_one("#voting-problems").get_text()
    assert page.select_one("form[action$='/open-voting']") is None
    response = submit(
        client,
        "/officers/lambeth/rounds/r",
        {"expected": "review", "leave_off": "", "confirm": "y"},
        post_to="/officers/lambeth/rounds/r/open-voting",
        form_selector="form[action='/officers/lambeth/rounds/r/phase']",
    )
    assert response.status_code == 200
    assert any(message in e for e in summary_errors(soup(response)))
    db.session.refresh(r)
    assert r.phase == Phase.REVIEW and r.manifest_json is None
    assert events(db) == []


def test_satisfiable_rules_of_each_kind_open(client, db, lambeth):
    r = _ballot_round(
        db, lambeth, "cumulative", (10_00, 20_00), 100_00, points=10, max_points_per_project=5
    )
    sign_in(client, "officer@lambeth.example", PASSWORD)
    assert open_voting(client).status_code == 302
    db.session.refresh(r)
    assert r.phase == Phase.VOTING


def test_a_pot_with_no_project_on_the_ballot_stops_voting_opening(client, db, lambeth):
    brixton, clapham = lambeth.hoods[:2]
    r = create_round(
        lambeth.council,
        slug="r",
        phase=Phase.REVIEW,
        total_budget_pence=200_000_00,
        pots=[(brixton, 100_000_00), (clapham, 100_000_00)],
    )
    create_proposal(r.pots[0], title="Youth club", status=ProposalStatus.FEASIBLE)
    create_proposal(r.pots[1], title="Too dear", status=ProposalStatus.NOT_FEASIBLE)
    db.session.commit()
    sign_in(client, "officer@lambeth.example", PASSWORD)
    page = get_page(client, "/officers/lambeth/rounds/r/open-voting")
    problems = page.select_one("#voting-problems").get_text()
    assert "The Clapham pot has no project on the ballot" in problems
    assert "merge the pot into another" in problems
    assert "Too dear (Clapham): it is not feasible" in page.select_one("#left-off").get_text()
    response = move(client, "voting", "review")
    assert "Clapham pot has no project" in client.get(response.headers["Location"]).get_data(
        as_text=True
    )
    db.session.refresh(r)
    assert r.phase == Phase.REVIEW and r.manifest_json is None


def test_merging_an_empty_pot_keeps_its_money_and_proposals_and_lets_voting_open(
    client, db, lambeth
):
    brixton, clapham = lambeth.hoods[:2]
    r = create_round(
        lambeth.council,
        slug="r",
        phase=Phase.REVIEW,
        total_budget_pence=200_000_00,
        pots=[(brixton, 120_000_00), (clapham, 80_000_00)],
    )
    kept = create_proposal(r.pots[0], title="Youth club", status=ProposalStatus.FEASIBLE)
    dear = create_proposal(r.pots[1], title="Too dear", status=ProposalStatus.NOT_FEASIBLE)
    db.session.commit()
    brixton_pot, clapham_pot = r.pots[0].id, r.pots[1].id
    sign_in(client, "officer@lambeth.example", PASSWORD)
    page = get_page(client, "/officers/lambeth/rounds/r/pots")
    assert page.select_one("#merge-pots")["href"] == "/officers/lambeth/rounds/r/pots/merge"
    url = "/officers/lambeth/rounds/r/pots/merge"
    # Refusals, each changing nothing.
    for data, field, message in [
        ({"source": str(clapham_pot), "into": str(clapham_pot)}, "into", "into itself"),
        ({"source": "", "into": str(brixton_pot)}, "source", "Select the pot to merge"),
        ({"source": "99999", "into": str(brixton_pot)}, "source", "Select a pot"),
    ]:
        response = submit(client, url, data)
        assert response.status_code == 200
        assert message in error_messages(soup(response))[field]
        db.session.expire_all()
        assert sorted(p.budget_pence for p in r.pots) == [80_000_00, 120_000_00]
    assert events(db, "round.pots_merged") == []
    response = submit(client, url, {"source": str(clapham_pot), "into": str(brixton_pot)})
    assert response.status_code == 302
    db.session.expire_all()
    assert [(p.id, p.budget_pence) for p in r.pots] == [(brixton_pot, 200_000_00)]
    assert r.total_budget_pence == 200_000_00
    assert {kept.id, dear.id} == {p.id for p in r.pots[0].proposals}
    [event] = events(db, "round.pots_merged")
    assert event.after["merged"] == {"pot": "Clapham", "into": "Brixton", "proposals": [dear.id]}
    assert open_voting(client).status_code == 302
    db.session.refresh(r)
    assert r.phase == Phase.VOTING
    # Once voting has opened the pots are fixed: the page says so and the merge is refused.
    page = get_page(client, url)
    assert "Voting has opened: the pots are fixed." in page.get_text()
    assert page.select_one("main form[method=post]") is None
    with pytest.raises(Frozen):
        rounds.merge_pot(
            db.session, r, source_id=brixton_pot, into_id=brixton_pot, actor=lambeth.officer
        )
    db.session.rollback()
    assert [(p.id, p.budget_pence) for p in r.pots] == [(brixton_pot, 200_000_00)]


def test_opening_voting_freezes_a_manifest_whose_hash_is_shown(client, db, lambeth, reviewable):
    sign_in(client, "officer@lambeth.example", PASSWORD)
    assert open_voting(client).status_code == 302
    db.session.refresh(reviewable)
    assert reviewable.phase == Phase.VOTING and reviewable.voting_opened_at is not None
    manifest = __import__("json").loads(reviewable.manifest_json)
    assert [p["title"] for p in manifest["pots"][0]["proposals"]] == ["Youth club"]
    assert manifest["pots"][0]["proposals"][0]["cost_to_pot_pence"] == 10_000_00
    assert rounds.manifest_hash(reviewable.manifest_json) == reviewable.manifest_hash
    assert rounds.canonical_json(manifest) == reviewable.manifest_json
    page = get_page(client, "/councils/lambeth/rounds/r")
    assert page.select_one("#manifest-hash").get_text() == reviewable.manifest_hash
    assert events(db, "round.phase_changed")[-1].after["manifest_hash"] == reviewable.manifest_hash


@pytest.mark.parametrize(
    "url, data, field",
    [
        ("/officers/lambeth/rounds/r/voting", {**VOTING, "rule": "greedy"}, "ballot_kind"),
        (
            "/officers/lambeth/rounds/r/pots",
            {"total_budget": "100000", "method": "council"},
            "total_budget",
        ),
        ("/officers/lambeth/rounds/r/details", {"title": "Renamed", "description": "d"}, "title"),
        (
            "/officers/lambeth/rounds/r/proposals/{p}",
            {"decision": "feasible", "final_cost": "5", "reason": "cheaper"},
            "decision",
        ),
        (
            "/officers/lambeth/rounds/r/proposals/{p}/merge",
            {"into": "{q}", "reason": "dupe"},
            "into",
        ),
        (
            "/officers/lambeth/rounds/r/proposals/{p}/contributions",
            {"partner_name": "Co-op", "kind": "money", "amount": "5"},
            "partner_name",
        ),
    ],
)
def test_changing_anything_frozen_after_voting_opened_is_refused_and_logged(
    client, db, lambeth, reviewable, url, data, field
):
    sign_in(client, "officer@lambeth.example", PASSWORD)
    open_voting(client)
    p, q = reviewable.proposals
    url = url.format(p=p.id)
    data = {k: v.format(q=q.id) for k, v in data.items()}
    db.session.refresh(reviewable)
    frozen = (
        reviewable.manifest_json,
        reviewable.rule,
        reviewable.title,
        [(x.id, x.budget_pence) for x in reviewable.pots],
        p.final_cost_pence,
        p.status,
    )
    response = submit(client, url, data, form_selector="main form[method=post]:last-of-type")
    page = __import__("bs4").BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert "Voting has opened" in error_messages(page)[field]
    db.session.expire_all()
    assert frozen == (
        reviewable.manifest_json,
        reviewable.rule,
        reviewable.title,
        [(x.id, x.budget_pence) for x in reviewable.pots],
        p.final_cost_pence,
        p.status,
    )
    [refused] = events(db, "refused")
    assert refused.actor_id == lambeth.officer.id and "Voting has opened" in refused.after["reason"]


def test_going_back_after_voting_opened_is_refused_and_logged(client, db, lambeth, reviewable):
    sign_in(client, "officer@lambeth.example", PASSWORD)
    open_voting(client)
    response = move(client, "review", "voting")
    assert "cannot go back" in client.get(response.headers["Location"]).get_data(as_text=True)
    db.session.refresh(reviewable)
    assert reviewable.phase == Phase.VOTING
    assert events(db, "refused")[0].after["attempted"] == "round.phase_changed"


def test_scheduled_phases_advance_by_date(db, runner, lambeth, reviewable):
    # The scheduler cannot confirm leaving a proposal off the ballot: review it first.
    skate = next(p for p in reviewable.proposals if p.title == "Skate park")
    skate.status = ProposalStatus.NOT_FEASIBLE
    rounds.set_schedule(
        db.session,
        reviewable,
        actor=lambeth.officer,
        days={
            Phase.REVIEW: (datetime(2026, 3, 1).date(), datetime(2026, 3, 10).date()),
            Phase.VOTING: (datetime(2026, 3, 11).date(), datetime(2026, 3, 20).date()),
        },
    )
    db.session.commit()
    assert rounds.advance_due_rounds(db.session, datetime(2026, 3, 10, 12, tzinfo=UTC)) == []
    [moved] = rounds.advance_due_rounds(db.session, datetime(2026, 3, 11, 0, 30, tzinfo=UTC))
    assert moved.moved_to == [Phase.VOTING] and moved.problem is None
    db.session.refresh(reviewable)
    assert reviewable.phase == Phase.VOTING and reviewable.manifest_hash
    # Voting has ended by the 21st: the CLI moves it on to closed (and no further).
    result = runner.invoke(args=["advance-phases"])
    assert "lambeth/r: now in voting closed" in result.output
    db.session.expire_all()
    assert reviewable.phase == Phase.CLOSED
    assert [e.actor_id for e in events(db, "round.phase_changed")] == [None, None]


def test_scheduled_advance_that_cannot_happen_reports_why(db, lambeth):
    r = create_round(lambeth.council, slug="r", phase=Phase.REVIEW)
    rounds.set_schedule(
        db.session,
        r,
        actor=lambeth.officer,
        days={Phase.REVIEW: (datetime(2026, 3, 1).date(), datetime(2026, 3, 10).date())},
    )
    db.session.commit()
    [stuck] = rounds.advance_due_rounds(db.session, datetime(2026, 4, 1, tzinfo=UTC))
    assert stuck.moved_to == [] and "No proposal can reach the ballot" in stuck.problem
    db.session.refresh(r)
    assert r.phase == Phase.REVIEW


def test_hiding_after_voting_opened_keeps_the_proposal_on_the_fixed_ballot(
    client, db, lambeth, reviewable
):
    sign_in(client, "officer@lambeth.example", PASSWORD)
    open_voting(client)
    db.session.refresh(reviewable)
    club = next(p for p in reviewable.proposals if p.title == "Youth club")
    frozen = reviewable.manifest_hash
    url = f"/officers/lambeth/rounds/r/proposals/{club.id}/moderation"
    assert submit(client, url, {"reason": "Abusive words"}).status_code == 302
    db.session.expire_all()
    assert club.hidden_at is not None and reviewable.manifest_hash == frozen
    assert [p.title for p in rounds.ballot_proposals(db.session, reviewable)] == ["Youth club"]
    text = get_page(client, "/councils/lambeth/rounds/r").get_text()
    assert "This proposal's text was hidden by moderators" in text


def test_officer_changes_the_split_before_voting(client, db, lambeth):
    ids = [h.id for h in lambeth.hoods]
    sign_in(client, "officer@lambeth.example", PASSWORD)
    submit(
        client, NEW, {"title": "R", "description": "d", "total_budget": "900", "method": "equal"}
    )
    r = db.session.scalar(select(FundingRound).where(FundingRound.slug == "r"))
    assert [p.budget_pence for p in r.pots] == [300_00, 300_00, 300_00]
    url = "/officers/lambeth/rounds/r/pots"
    data = {
        "total_budget": "1000",
        "method": "explicit",
        f"pot_{ids[0]}": "700",
        f"pot_{ids[1]}": "300",
        f"pot_{ids[2]}": "",
    }
    assert submit(client, url, data).status_code == 302
    db.session.expire_all()
    assert [(p.name, p.budget_pence) for p in r.pots] == [("Brixton", 700_00), ("Clapham", 300_00)]
    assert r.total_budget_pence == 1000_00
    [changed] = events(db, "round.pots_changed")
    assert changed.before["total_budget_pence"] == 900_00


# --- The schedule once voting has opened ------------------------------------------------------


@pytest.fixture
def scheduled_voting(client, db, lambeth, reviewable):
    """``reviewable`` scheduled (voting 1 to 14 January next year, results 18 to 20 January) and
    opened for voting by the officer, who stays signed in."""
    rounds.set_schedule(
        db.session,
        reviewable,
        actor=lambeth.officer,
        days={
            Phase.VOTING: (datetime(Y, 1, 1).date(), datetime(Y, 1, 14).date()),
            Phase.CLOSED: (datetime(Y, 1, 15).date(), datetime(Y, 1, 17).date()),
            Phase.PUBLISHED: (datetime(Y, 1, 18).date(), datetime(Y, 1, 20).date()),
        },
    )
    db.session.commit()
    sign_in(client, "officer@lambeth.example", PASSWORD)
    assert open_voting(client).status_code == 302
    db.session.refresh(reviewable)
    return reviewable


def test_the_schedule_is_frozen_once_voting_opens(client, db, lambeth, scheduled_voting):
    r = scheduled_voting
    before = rounds.schedule_snapshot(r)
    with pytest.raises(Frozen, match="the schedule is fixed"):
        rounds.set_schedule(
            db.session,
            r,
            actor=lambeth.officer,
            days={Phase.PUBLISHED: (datetime(Y, 2, 1).date(), datetime(Y, 2, 2).date())},
        )
    db.session.rollback()
    db.session.expire_all()
    assert rounds.schedule_snapshot(r) == before
    # Saving the schedule as it is changes nothing, so it is not refused.
    same = {
        Phase(k): tuple(datetime.fromisoformat(day).date() for day in days)
        for k, days in before.items()
        if k != "reminder_days"
    }
    rounds.set_schedule(db.session, r, actor=lambeth.officer, days=same)
    db.session.commit()
    assert rounds.schedule_snapshot(r) == before
    assert len(events(db, "round.schedule_changed")) == 1  # only the one before voting
    # The page offers only the extension: the old form's earlier close is refused.
    page = get_page(client, "/officers/lambeth/rounds/r/schedule")
    assert "the schedule is fixed" in page.select_one("#schedule-frozen").get_text()
    assert page.select_one("[name=proposals_start]") is None
    response = submit(
        client,
        "/officers/lambeth/rounds/r/schedule",
        schedule(voting=(f"1/1/{Y}", f"10/1/{Y}"), published=(f"1/2/{Y}", f"2/2/{Y}")),
    )
    assert (
        "Voting can only be extended, never shortened"
        in (error_messages(soup(response))["voting_end"])
    )
    db.session.expire_all()
    assert rounds.schedule_snapshot(r) == before
    assert events(db, "round.voting_extended") == []


@pytest.mark.parametrize(
    "day, message",
    [
        (f"10/1/{Y}", "Voting can only be extended, never shortened: choose a day after 14 "),
        (f"14/1/{Y}", f"choose a day after 14 January {Y}, its last day now"),
        (f"31/2/{Y}", "must be a real date"),
        ("", "Enter the new last day of voting"),
    ],
)
def test_voting_cannot_close_earlier(client, db, scheduled_voting, day, message):
    before = rounds.schedule_snapshot(scheduled_voting)
    data = {"voting_end": day.split("/")} if day else {}
    response = submit(client, "/officers/lambeth/rounds/r/schedule", data)
    assert message in error_messages(soup(response))["voting_end"]
    db.session.expire_all()
    assert rounds.schedule_snapshot(scheduled_voting) == before
    assert events(db, "round.voting_extended") == []


def test_an_officer_extends_voting_and_the_public_page_says_so(client, db, scheduled_voting):
    from zoneinfo import ZoneInfo

    response = submit(
        client, "/officers/lambeth/rounds/r/schedule", {"voting_end": ["21", "1", str(Y)]}
    )
    assert response.status_code == 302
    db.session.expire_all()
    r = scheduled_voting
    # Voting closes at the end of 21 January (London); the later phases move a week on.
    assert r.dates_for(Phase.VOTING).ends_at == datetime(Y, 1, 22, tzinfo=UTC)
    assert rounds.schedule_snapshot(r)["closed"] == [f"{Y}-01-22", f"{Y}-01-24"]
    assert rounds.schedule_snapshot(r)["published"] == [f"{Y}-01-25", f"{Y}-01-27"]
    [event] = events(db, "round.voting_extended")
    assert event.before["voting"] == [f"{Y}-01-01", f"{Y}-01-14"]
    assert event.after["voting"] == [f"{Y}-01-01", f"{Y}-01-21"]
    assert event.actor.email == "officer@lambeth.example"
    today = datetime.now(ZoneInfo("Europe/London")).date()
    text = " ".join(get_page(client, "/councils/lambeth/rounds/r").get_text().split())
    assert (
        f"Voting was due to close on 14 January {Y}; on {today.day} {today:%B %Y} the council "
        f"extended it to 21 January {Y}." in text
    )
    assert "Voting extended" in get_page(client, "/auditors/lambeth/rounds/r").get_text()
    # The manifest, and so the ballot, is unchanged.
    assert rounds.manifest_hash(r.manifest_json) == r.manifest_hash


def test_voting_cannot_be_extended_once_closed(client, db, lambeth, scheduled_voting):
    r = scheduled_voting
    rounds.change_phase(
        db.session,
        r,
        target=Phase.CLOSED,
        expected=Phase.VOTING,
        actor=lambeth.officer,
        now=datetime.now(UTC),
    )
    db.session.commit()
    with pytest.raises(WrongPhase, match="Voting has closed"):
        rounds.extend_voting(
            db.session,
            r,
            actor=lambeth.officer,
            now=datetime.now(UTC),
            new_last_day=datetime(Y, 2, 1).date(),
        )
    db.session.rollback()
    page = get_page(client, "/officers/lambeth/rounds/r/schedule")
    assert "can no longer change" in page.select_one("#no-close").get_text()


def test_unscheduled_voting_has_no_close_to_extend(client, db, lambeth, reviewable):
    sign_in(client, "officer@lambeth.example", PASSWORD)
    open_voting(client)
    db.session.refresh(reviewable)
    with pytest.raises(DomainError, match="no scheduled close"):
        rounds.extend_voting(
            db.session,
            reviewable,
            actor=lambeth.officer,
            now=datetime.now(UTC),
            new_last_day=datetime(Y, 2, 1).date(),
        )
    page = get_page(client, "/officers/lambeth/rounds/r/schedule")
    assert "no scheduled close" in page.select_one("#no-close").get_text()


# --- How ranks become points ------------------------------------------------------------------


@pytest.mark.parametrize(
    "k, sentence",
    [
        (1, "With 1 rank, a 1st choice gets 1 point"),
        (2, "With 2 ranks, a 1st choice gets 2 points and a 2nd 1"),
        (3, "With 3 ranks, a 1st choice gets 3 points, a 2nd 2 and a 3rd 1"),
        (7, "With 7 ranks, a 1st choice gets 7 points, a 2nd 6, and so on down to 1 for a 7th"),
    ],
)
def test_rank_points_in_plain_english(k, sentence):
    from app.web.presenters.methods import rank_points_sentence

    assert rank_points_sentence(k) == sentence


def test_officers_and_residents_are_told_how_ranks_become_points(client, db, lambeth):
    create_round(lambeth.council, slug="r", phase=Phase.PROPOSALS)
    db.session.commit()
    sign_in(client, "officer@lambeth.example", PASSWORD)
    url = "/officers/lambeth/rounds/r/voting"
    assert "ranks become points" in get_page(client, url).select_one("#ranked-scoring").get_text()
    data = {"ballot_kind": "ranked", "rule": "mes", "tie_break": "cost-votes", "max_choices": "3"}
    assert submit(client, url, data).status_code == 302
    said = (
        "With 3 ranks, a 1st choice gets 3 points, a 2nd 2 and a 3rd 1; every counting method "
        "counts these points."
    )
    assert said in get_page(client, url).select_one("#this-round-scoring").get_text()
    assert said in get_page(client, "/officers/lambeth/rounds/r").get_text()
    assert (
        said
        in get_page(client, "/councils/lambeth/rounds/r").select_one("#ranked-scoring").get_text()
    )


def test_a_round_frozen_before_rank_points_says_it_is_counted_with_borda(client, db, lambeth):
    from tests.ballots.helpers import voting_round

    # As manifests were frozen before rank points: no ranked_scoring key.
    r, _ = voting_round(
        lambeth.council,
        kind="ranked",
        max_choices=3,
        rule="mes",
        manifest_without=("ranked_scoring",),
    )
    sign_in(client, "officer@lambeth.example", PASSWORD)
    text = get_page(client, f"/officers/lambeth/rounds/{r.slug}").get_text()
    assert "counted with Borda scoring: a ballot ranking L projects gives its 1st choice L−1" in (
        text
    )
    page = get_page(client, f"/officers/lambeth/rounds/{r.slug}/voting")
    assert "Borda scoring" in page.select_one("#this-round-scoring").get_text()


def test_the_scheduler_does_not_open_voting_while_proposals_wait_for_review(
    db, lambeth, reviewable
):
    rounds.set_schedule(
        db.session,
        reviewable,
        actor=lambeth.officer,
        days={Phase.VOTING: (datetime(2026, 3, 11).date(), datetime(2026, 3, 20).date())},
    )
    db.session.commit()
    [stuck] = rounds.advance_due_rounds(db.session, datetime(2026, 3, 11, 1, tzinfo=UTC))
    assert stuck.moved_to == []
    assert "1 proposal not yet reviewed (“Skate park”) would not be on the ballot" in stuck.problem
    db.session.refresh(reviewable)
    assert reviewable.phase == Phase.REVIEW and reviewable.manifest_json is None
