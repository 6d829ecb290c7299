"""The network's figures and pages: each counted pot's figures stored once with its result
(under the round's rule and greedy), the network home, councils side by side (charts and
tables, filters, councils leaving the network view), what worked (rounds in order of their
outcomes, with a summary for a report), all from stored rows: nothing is counted on a
request, nothing unpublished or withheld shows."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction

import pytest
from sqlalchemy import select

from app.web.extensions import db
from app.workflow import delivery, network, rounds
from app.workflow.models import (
    Contribution,
    ContributionKind,
    DeliveryStatus,
    Neighbourhood,
    Phase,
    PhaseDates,
    PotFigures,
    Proposal,
    Role,
)
from ballots import box
from tests.app.closed_round import officer
from tests.app.pages import get_page, sign_in, submit
from tests.ballots.helpers import enrol, voting_round
from tests.factories import PASSWORD, create_council, create_neighbourhood, create_user
from votes.model import Ballot

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def published_round(
    council=None,
    *,
    rule: str = "mes",
    voters: tuple[tuple[int, ...], ...] = ((0, 1),) * 6 + ((2,),) * 4,
    roll: int = 20,
    min_ballots: int = 5,
    closed: date | None = None,
    phase: Phase = Phase.PUBLISHED,
    population: int = 2000,
):
    """A round of one neighbourhood pot of £100 (projects A £50, B £50, C £36) whose voters
    choose ``voters`` (project positions); ``roll`` people on its roll. Six want A and B, four
    only C: greedy funds A and B (six of ten have a choice funded), Equal Shares A and C (all
    ten)."""
    council = council or create_council()
    hood = db.session.scalar(
        select(Neighbourhood).where(Neighbourhood.council_id == council.id)
    ) or create_neighbourhood(council, name=f"Ward {council.slug}", population=population)
    funding_round, paper = voting_round(
        council,
        rule=rule,
        costs=((50_00, 50_00, 36_00),),
        budgets=(100_00,),
        neighbourhoods=(hood,),
        min_ballots_to_publish=min_ballots,
    )
    if closed is not None:
        dates = funding_round.dates_for(Phase.VOTING)
        end = datetime(closed.year, closed.month, closed.day, tzinfo=UTC) + timedelta(days=1)
        if dates is None:
            funding_round.phase_dates.append(
                PhaseDates(phase=Phase.VOTING, starts_at=end - timedelta(days=14), ends_at=end)
            )
        else:
            dates.starts_at, dates.ends_at = end - timedelta(days=14), end
    db.session.commit()
    pot = paper.pots[0]
    ids = [p.id for p in pot.projects]
    box.open_log(db.session, funding_round.id, funding_round.manifest_hash)
    for i in range(roll):
        entry = enrol(council, hood, reference=f"N{funding_round.id}-{i}")
        if i < len(voters):
            ballot = Ballot(tuple(ids[j] for j in voters[i]))
            box.cast(db.session, paper, entry, pot.id, ballot, today=date(2026, 5, 1))
    db.session.commit()
    rounds.change_phase(
        db.session,
        funding_round,
        target=Phase.CLOSED,
        expected=funding_round.phase,
        actor=None,
        now=NOW,
    )
    db.session.commit()
    if phase.index >= Phase.PUBLISHED.index:
        rounds.publish_results(
            db.session, funding_round, actor=officer(council), now=NOW, confirmed=True
        )
        db.session.commit()
    return funding_round


def project(funding_round, position: int) -> Proposal:
    return sorted(funding_round.proposals, key=lambda p: p.id)[position]


def to_delivery(funding_round) -> None:
    rounds.change_phase(
        db.session,
        funding_round,
        target=Phase.DELIVERY,
        expected=funding_round.phase,
        actor=officer(funding_round.council),
        now=NOW,
    )


def update(proposal, status: DeliveryStatus, percent: int, spent: int, day: date) -> None:
    """An officer's delivery update on ``proposal``, recorded the day after ``day``."""
    delivery.record_update(
        db.session,
        proposal,
        status=status,
        percent_complete=percent,
        spent_pence=spent,
        note=f"{status.value} on {day}",
        happened_on=day,
        actor=officer(proposal.round.council),
        today=day + timedelta(days=1),
    )


def row_of(page, table: str, label: str) -> str:
    """The text of the row of table ``table`` whose header names ``label``."""
    for tr in page.select(f"#{table} tbody tr"):
        if label in tr.select_one("th, td").get_text():
            return " ".join(tr.get_text(" ").split())
    raise AssertionError(f"no row for {label!r} in #{table}")


# --- Counted once, with the result ---------------------------------------------------------------


def test_counting_a_pot_stores_its_figures_under_the_rule_and_under_greedy(app):
    funding_round = published_round()
    stored = db.session.scalars(
        select(PotFigures).where(PotFigures.round_id == funding_round.id)
    ).all()
    assert len(stored) == 1
    document = json.loads(stored[0].document)
    a, b, c = (str(project(funding_round, i).id) for i in range(3))
    mes, greedy = document["rules"]
    assert (document["ballots"], document["voters"]) == (10, 10)
    assert (mes["rule"], mes["funded"], mes["spent_pence"], mes["satisfied"]) == (
        "mes",
        [a, c],
        86_00,
        10,
    )
    assert (greedy["rule"], greedy["funded"], greedy["spent_pence"], greedy["satisfied"]) == (
        "greedy",
        [a, b],
        100_00,
        6,
    )
    assert document["costs"] == {a: 50_00, b: 50_00, c: 36_00}


def test_a_greedy_round_stores_its_figures_once(app):
    funding_round = published_round(rule="greedy")
    document = json.loads(
        db.session.scalar(
            select(PotFigures.document).where(PotFigures.round_id == funding_round.id)
        )
    )
    assert [r["rule"] for r in document["rules"]] == ["greedy"]


def test_a_withheld_pot_gets_no_figures_and_stays_withheld_on_the_network(app, client):
    funding_round = published_round(min_ballots=11, voters=((0,),) * 10)
    assert (
        db.session.scalars(select(PotFigures).where(PotFigures.round_id == funding_round.id)).all()
        == []
    )
    figures = network.round_figures(network.compute(db.session), funding_round.id)
    assert figures.withheld_pots == 1
    assert (figures.voters, figures.funded, figures.allocated_pence) == (0, (), 0)
    page = get_page(client, "/network/what-worked")
    summary = page.select_one(f"#round-{funding_round.id}").get_text(" ")
    assert "1 pot had too few ballots for its figures to be published" in " ".join(summary.split())


def test_the_command_gives_figures_to_pots_counted_before_they_were_stored(app, monkeypatch):
    with monkeypatch.context() as patched:
        patched.setattr(network, "store_pot_figures", lambda *a, **k: None)
        funding_round = published_round()
    assert network.missing_figures(db.session) == [funding_round]
    result = app.test_cli_runner().invoke(args=["network-figures"])
    assert result.exit_code == 0, result.output
    assert "1 pot given figures" in result.output
    assert network.missing_figures(db.session) == []
    again = app.test_cli_runner().invoke(args=["network-figures"])
    assert "Every counted pot has its figures" in again.output


# --- The figures ---------------------------------------------------------------------------------


def test_a_rounds_figures_come_from_its_turnout_results_pledges_and_delivery(app):
    funding_round = published_round()
    a, c = project(funding_round, 0), project(funding_round, 2)
    db.session.add(
        Contribution(
            proposal_id=a.id, partner_name="Co-op", kind=ContributionKind.MONEY, amount_pence=20_00
        )
    )
    db.session.add(
        Contribution(proposal_id=c.id, partner_name="Volunteers", kind=ContributionKind.IN_KIND)
    )
    db.session.commit()
    to_delivery(funding_round)
    update(a, DeliveryStatus.IN_PROGRESS, 50, 10_00, date(2026, 6, 2))
    update(a, DeliveryStatus.DELIVERED, 100, 50_00, date(2026, 7, 1))
    db.session.commit()
    f = network.round_figures(network.compute(db.session), funding_round.id)
    assert (f.voted, f.roll, f.turnout) == (10, 20, Fraction(1, 2))
    assert f.per_thousand == 5  # 10 voters, 2,000 residents
    assert f.per_resident_pence == Fraction(100_00, 2000)
    assert (f.partner_pence, f.partner_share) == (20_00, Fraction(20_00, 106_00))
    assert (f.satisfied_share, f.greedy.satisfied_share(f.voters)) == (1, Fraction(3, 5))
    assert (f.greedy.gained, f.greedy.dropped) == (
        (str(c.id),),
        (str(project(funding_round, 1).id),),
    )
    # The latest update counts: A delivered, £50 of the £86 allocated spent; C not started.
    assert (f.delivered, f.delivered_share, f.spent_pence) == (1, Fraction(1, 2), 50_00)
    assert f.spent_share == Fraction(50_00, 86_00)
    assert [(s.neighbourhood.name, s.allocated_pence) for s in f.spread] == [
        (funding_round.pots[0].neighbourhood.name, 86_00)
    ]


def test_rounds_not_yet_published_are_not_in_the_network(app):
    closed = published_round(phase=Phase.CLOSED)
    shown = published_round()
    ids = {r.round.id for r in network.compute(db.session).rounds}
    assert shown.id in ids and closed.id not in ids


# --- The pages -----------------------------------------------------------------------------------


def test_the_pages_read_stored_figures_and_never_count_ballots(app, client, monkeypatch):
    funding_round = published_round()

    def refuse(*args, **kwargs):
        raise AssertionError("a page counted ballots")

    monkeypatch.setattr("votes.rules.tally", refuse)
    monkeypatch.setattr("app.workflow.network.tally", refuse)
    monkeypatch.setattr(box, "stored_election", refuse)
    for path in ("/", "/network/compare", "/network/compare?view=rounds", "/network/what-worked"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert funding_round.council.name in response.get_data(as_text=True), path


def test_the_home_lists_each_council_with_its_rounds_money_voters_and_delivery(app, client):
    council = create_council(name="Riverside Council")
    published_round(council)
    page = get_page(client, "/")
    row = row_of(page, "councils", "Riverside Council")
    assert "1 round" in row and "1 published" in row
    assert "£100" in row and " 10 " in f" {row} "
    assert "0 of 2 projects delivered; £0 of £86 spent" in row
    assert page.select_one("#network-links a[href='/network/compare']")


def test_councils_side_by_side_chart_each_figure_with_a_table_of_the_same(app, client):
    council = create_council(name="Riverside Council")
    published_round(council)
    page = get_page(client, "/network/compare")
    for key in ("turnout", "per-thousand", "per-resident", "partners", "satisfied", "delivered"):
        svg = page.select_one(f"#chart-{key}")
        assert svg is not None and svg.get("role") == "group", key
        assert svg.select_one(f"#chart-{key}-title") and svg.select_one(f"#chart-{key}-desc")
        # Each bar links to what is behind it.
        assert svg.select_one("a")["href"] == f"/councils/{council.slug}", key
        assert page.select_one(f"#table-{key}"), key
    assert "50%" in row_of(page, "table-turnout", "Riverside") and "10 of 20" in row_of(
        page, "table-turnout", "Riverside"
    )
    assert "5.0" in row_of(page, "table-per-thousand", "Riverside")
    assert "£0.05" in row_of(page, "table-per-resident", "Riverside")
    equal_shares = row_of(page, "table-equal-shares", "Riverside")
    assert "100%" in equal_shares and "60%" in equal_shares
    assert page.select_one("#chart-equal-shares text[font-size='13']").get_text().endswith("60%")
    methods = row_of(page, "table-methods", "Approval")
    assert "Method of Equal Shares" in methods and methods.endswith("1")


def test_by_round_each_bar_and_row_links_to_the_rounds_results(app, client):
    council = create_council(name="Riverside Council")
    funding_round = published_round(council)
    page = get_page(client, "/network/compare?view=rounds")
    href = f"/councils/{council.slug}/rounds/{funding_round.slug}/results"
    assert page.select_one("#chart-turnout a")["href"] == href
    assert page.select_one("#table-turnout tbody a")["href"] == href


def test_filters_by_year_ballot_and_council_and_say_what_they_leave_out(app, client):
    one = create_council(name="Riverside Council")
    other = create_council(name="Hillside Council")
    early = published_round(one, closed=date(2025, 3, 1))
    published_round(one, closed=date(2026, 3, 1))
    published_round(other, closed=date(2026, 4, 1))
    page = get_page(client, "/network/compare?view=rounds&year=2025")
    rows = page.select("#table-turnout tbody tr")
    assert len(rows) == 1 and early.title in rows[0].get_text()
    page = get_page(client, f"/network/compare?council={other.slug}")
    assert [tr.select_one("th a").get_text() for tr in page.select("#table-turnout tbody tr")] == [
        "Hillside Council"
    ]
    page = get_page(client, "/network/compare?year=1999&kind=nonsense&council=nowhere&view=x")
    said = page.select_one("#filter-problems").get_text(" ")
    assert "1999" in said and "nonsense" in said and "nowhere" in said
    # What names nothing is left out: every round is shown, by council.
    assert len(page.select("#table-turnout tbody tr")) == 2
    hostile = client.get("/network/compare?year=%3Cscript%3E&council=%27%22")
    assert hostile.status_code == 200 and b"<script>" not in hostile.data


def test_a_council_that_leaves_the_network_view_is_off_its_pages_but_keeps_its_own(app, client):
    council = create_council(name="Riverside Council")
    funding_round = published_round(council)
    admin = create_user(roles={council: Role.ADMIN})
    sign_in(client, admin.email, PASSWORD)
    page = get_page(client, f"/officers/{council.slug}/network")
    assert page.select_one("input[name='in_network'][value='yes']").has_attr("checked")
    response = submit(client, f"/officers/{council.slug}/network", {"in_network": "no"})
    assert response.status_code == 302
    db.session.refresh(council)
    assert council.in_network is False
    event = db.session.scalars(
        select(network.AuditEvent).where(network.AuditEvent.action == "council.network_view")
    ).one()
    assert event.after == {"in_network": False}
    # (The header still names the council its administrator works for.)
    for path in ("/network/compare", "/network/what-worked"):
        assert "Riverside Council" not in get_page(client, path).select_one("main").get_text()
    home = get_page(client, "/")
    assert "Riverside Council" in home.select_one("#others").get_text()
    assert (
        client.get(f"/councils/{council.slug}/rounds/{funding_round.slug}/results").status_code
        == 200
    )
    bad = submit(client, f"/officers/{council.slug}/network", {"in_network": "perhaps"})
    assert bad.status_code == 200 and b"Select an option from the list" in bad.data
    db.session.refresh(council)
    assert council.in_network is False


def test_what_worked_orders_rounds_and_summarises_each_for_a_report(app, client):
    council = create_council(name="Riverside Council")
    first = published_round(council, roll=40, closed=date(2025, 3, 1))
    # The roll is the council's: the second round's is both rounds' people, 70.
    second = published_round(
        council, roll=30, voters=((0, 1),) * 18 + ((2,),) * 12, closed=date(2026, 3, 1)
    )
    page = get_page(client, "/network/what-worked?order=turnout")
    order = [tr.select_one("th a")["href"] for tr in page.select("#rounds tbody tr")]
    assert order == [f"#round-{second.id}", f"#round-{first.id}"]
    summary = " ".join(page.select_one(f"#round-{second.id}").get_text(" ").split())
    assert "30 of the 70 people on the roll voted (43%)." in summary
    assert f"Turnout rose from 25% in {first.title}." in summary
    assert "£86 of £100 went to 2 projects." in summary
    assert "Counting rule: Method of Equal Shares." in summary
    assert "100% of voters had at least one of their choices funded, against 60% under greedy" in (
        summary
    )
    assert "1 project funded only under Equal Shares and 1 only under greedy" in summary
    change = row_of(page, "rounds", second.title)
    assert "+17.9 points" in change
    first_summary = page.select_one(f"#round-{first.id}").get_text(" ")
    assert "first published round" in first_summary
    bad = get_page(client, "/network/what-worked?order=sideways")
    assert "Rounds can be put in the orders listed" in bad.select_one("#filter-problems").get_text()


def test_a_new_delivery_update_shows_at_once(app, client):
    funding_round = published_round()
    get_page(client, "/network/compare")  # kept now
    to_delivery(funding_round)
    update(project(funding_round, 0), DeliveryStatus.DELIVERED, 100, 50_00, date(2026, 7, 1))
    db.session.commit()
    page = get_page(client, "/network/compare")
    assert "1 of 2" in row_of(page, "table-delivered", funding_round.council.name)


@pytest.mark.parametrize("path", ["/network/compare", "/network/what-worked", "/"])
def test_an_empty_network_says_so(app, client, path):
    assert client.get(path).status_code == 200


def test_a_rounds_results_page_gives_its_summary_for_reports(app, client):
    council = create_council(name="Riverside Council")
    funding_round = published_round(council)
    page = get_page(client, f"/councils/{council.slug}/rounds/{funding_round.slug}/results")
    summary = " ".join(page.select_one("#summary").get_text(" ").split())
    assert "10 of the 20 people on the roll voted (50%)." in summary
    assert "Counting rule: Method of Equal Shares." in summary
    closed = published_round(council, phase=Phase.CLOSED)
    page = get_page(client, f"/councils/{council.slug}/rounds/{closed.slug}/results")
    assert page.select_one("#summary") is None


def test_the_api_gives_the_comparison_figures_as_counts(app, client):
    council = create_council(name="Riverside Council")
    funding_round = published_round(council, closed=date(2026, 3, 1))
    hidden = published_round(council, phase=Phase.CLOSED)
    body = client.get("/api/v1/network/figures").get_json()
    [row] = body["rounds"]
    assert row["round_id"] == funding_round.id and row["year"] == 2026
    assert row["turnout"] == {"voted": 10, "roll": 20}
    assert row["voters"] == {"chose_something": 10, "at_least_one_funded": 10}
    assert row["greedy"]["at_least_one_funded"] == 6
    assert row["funded"]["allocated"] == {"amount_pence": 86_00, "currency": "GBP"}
    assert client.get(f"/api/v1/rounds/{funding_round.id}/figures").get_json() == row
    assert client.get(f"/api/v1/rounds/{hidden.id}/figures").status_code == 404
    assert client.get("/api/v1/rounds/999999/figures").status_code == 404
    assert client.get("/api/v1/network/figures?year=2026").get_json()["rounds"] == [row]
    bad = client.get("/api/v1/network/figures?year=1999")
    assert bad.status_code == 400 and bad.get_json()["known"] == ["2026"]


def test_reading_the_figures_takes_the_same_statements_for_one_round_or_many(app):
    """A fixed number of statements, one per table, whatever the number of rounds: the pages
    stay fast as the network grows."""
    from sqlalchemy import event

    def statements() -> int:
        seen = []

        def note(*args):
            seen.append(args[2])

        event.listen(db.engine, "before_cursor_execute", note)
        try:
            network.compute(db.session)
        finally:
            event.remove(db.engine, "before_cursor_execute", note)
        return len(seen)

    first = published_round()
    one = statements()
    for _ in range(3):
        published_round()
    to_delivery(first)
    db.session.commit()
    assert statements() == one


def test_money_allocated_is_compared_with_greedy_for_equal_shares_rounds(app, client):
    council = create_council(name="Riverside Council")
    published_round(council)
    published_round(create_council(name="Hillside Council"), rule="greedy")
    page = get_page(client, "/network/compare")
    assert "86%" in row_of(page, "table-allocated", "Riverside")
    assert "100%" in row_of(page, "table-allocated", "Hillside")
    contrast = row_of(page, "table-allocated-equal-shares", "Riverside")
    assert "£86 of £100 under Equal Shares, £100 of £100 under greedy" in contrast
    # A council counting by greedy alone has no Equal Shares figure to contrast.
    assert "Hillside" not in page.select_one("#table-allocated-equal-shares").get_text()
    assert len(page.select("#chart-methods rect")) == 2


def test_a_withheld_pots_funded_projects_are_not_told_by_their_delivery(app, client):
    """The council delivers what a withheld pot funded, but which projects those are is one of
    its withheld figures: neither the round's page nor the project's says so."""
    funding_round = published_round(min_ballots=11, voters=((0,),) * 10)
    to_delivery(funding_round)
    funded = project(funding_round, 0)
    assert funded.id in delivery.funded_ids(db.session, funding_round)
    update(funded, DeliveryStatus.IN_PROGRESS, 50, 10_00, date(2026, 7, 1))
    db.session.commit()
    base = f"/councils/{funding_round.council.slug}/rounds/{funding_round.slug}"
    assert get_page(client, base).select_one("#delivery-progress") is None
    page = get_page(client, f"{base}/proposals/{funded.id}")
    assert page.select_one("#delivery") is None
    assert "in_progress on" not in page.get_text()


def test_the_figures_download_as_a_spreadsheet_of_counts_and_shares(app, client):
    import csv
    import io

    council = create_council(name="=Riverside Council")
    funding_round = published_round(council, closed=date(2026, 3, 1))
    page = get_page(client, "/network/compare?year=2026")
    href = page.select_one("#csv-link a")["href"]
    assert href == "/network/compare.csv?year=2026"
    response = client.get(href)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "network-figures.csv" in response.headers["Content-Disposition"]
    [row] = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    # A name a spreadsheet would run as a formula is written as text.
    assert row["council"] == "'=Riverside Council"
    assert (row["round_id"], row["voted"], row["roll"], row["turnout"]) == (
        str(funding_round.id),
        "10",
        "20",
        "0.5000",
    )
    assert (row["share_with_a_choice_funded"], row["greedy_share_with_a_choice_funded"]) == (
        "1.0000",
        "0.6000",
    )
    assert (row["allocated_pence"], row["greedy_allocated_pence"]) == ("8600", "10000")
    refused = client.get("/network/compare.csv?year=1999")
    assert refused.status_code == 400 and b"1999" in refused.data
