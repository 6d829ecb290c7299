"""Nothing is published unseen: officers check a closed round's results, with warnings, on a
page of their own, and publish them from it in a separate, audited step. Until then the public
pages and the API show no result, and the scheduler stops at closed."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.web.extensions import db
from app.workflow import rounds
from app.workflow.models import AuditEvent, Phase, PhaseDates, Role
from ballots import box
from tests.app.closed_round import NOW, closed_round
from tests.app.pages import error_messages, get_page, sign_in, soup, submit
from tests.ballots.helpers import enrol, place, voting_round
from tests.factories import PASSWORD, create_council, create_user
from votes.model import Ballot


@pytest.fixture
def people(db):
    council = create_council(slug="home", name="Home Council")
    away = create_council(slug="away")
    create_user(email="officer@example.org", roles={council: Role.OFFICER})
    create_user(email="resident@example.org", roles={council: Role.RESIDENT})
    create_user(email="auditor@example.org", roles={council: Role.AUDITOR})
    create_user(email="other.officer@example.org", roles={away: Role.OFFICER})
    db.session.commit()
    return council


def urls(r):
    manage = f"/officers/{r.council.slug}/rounds/{r.slug}"
    return {
        "round": manage,
        "check": manage + "/results/check",
        "publish": manage + "/results/publish",
        "preview": f"{manage}/results/check/{r.pots[0].id}",
        "public": f"/councils/{r.council.slug}/rounds/{r.slug}",
    }


def events(action):
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


def publish(client, r, data):
    u = urls(r)
    return submit(client, u["check"], data, post_to=u["publish"])


def test_a_closed_round_shows_no_result_to_the_public_or_the_api(client, people):
    r = closed_round(people)
    u = urls(r)
    base = u["public"] + "/results"
    for who in (None, "officer@example.org"):
        if who:
            sign_in(client, who, PASSWORD)
        assert client.get(base + "/figures").status_code == 404
        assert client.get(f"{base}/{r.pots[0].id}").status_code == 404
        assert get_page(client, base).select_one("#not-published")
        assert "See the results" not in get_page(client, u["public"]).get_text()
        assert client.get(f"/api/v1/rounds/{r.id}/results").status_code == 404
        assert client.get(f"/api/v1/rounds/{r.id}").get_json()["results_url"] is None


def test_the_check_page_is_for_the_councils_officers_only(client, people):
    r = closed_round(people)
    u = urls(r)
    assert client.get(u["check"]).status_code == 302
    for email in ("resident@example.org", "auditor@example.org", "other.officer@example.org"):
        sign_in(client, email, PASSWORD)
        for url in (u["check"], u["preview"]):
            assert client.get(url).status_code == 403, (email, url)
        client.post("/auth/sign-out")
    sign_in(client, "officer@example.org", PASSWORD)
    token = get_page(client, u["check"]).select_one("form input[name=csrf_token]")["value"]
    client.post("/auth/sign-out")
    for email in ("resident@example.org", "auditor@example.org", "other.officer@example.org"):
        sign_in(client, email, PASSWORD)
        response = client.post(u["publish"], data={"csrf_token": token, "confirm": "y"})
        assert response.status_code in (400, 403)
        client.post("/auth/sign-out")
    db.session.expire_all()
    assert r.phase == Phase.CLOSED and events("results.published") == []


def test_the_round_page_links_to_the_check_and_cannot_publish_directly(client, people):
    r = closed_round(people)
    u = urls(r)
    sign_in(client, "officer@example.org", PASSWORD)
    page = get_page(client, u["round"])
    assert page.select_one("#check-results")["href"] == u["check"]
    assert not page.select("input[name=target][value=published]")
    response = submit(
        client,
        u["round"],
        {"target": "published", "expected": "closed"},
        post_to=u["round"] + "/phase",
        form_selector="form",
    )
    assert "Check the results before publishing" in client.get(
        response.headers["Location"]
    ).get_data(as_text=True)
    db.session.expire_all()
    assert r.phase == Phase.CLOSED
    assert [e.after["phase"] for e in events("round.phase_changed")] == ["closed"]


def test_the_check_page_shows_the_results_as_published_with_warnings(client, people):
    # 12 ballots: the £10,000 and £20,000 projects are funded, £20,000 of £50,000 is left.
    r = closed_round(people)
    u = urls(r)
    sign_in(client, "officer@example.org", PASSWORD)
    page = get_page(client, u["check"])
    warnings = page.select_one("#warnings").get_text()
    assert "£20,000 of £50,000 (40%) is not allocated, more than a quarter of the pot" in warnings
    # The same list the public results page will show, from the same partial.
    section = page.select_one(f"section[aria-labelledby=pot-{r.pots[0].id}]").get_text(" ")
    assert "12 ballots counted" in section and "Not funded" in section
    preview = get_page(client, u["preview"])
    assert "Preview" in preview.select_one(".govuk-notification-banner").get_text()
    assert [td.get_text(strip=True) for td in preview.select("#results-table tbody td")][2::3] == [
        "Funded",
        "Funded",
        "Not funded",
    ]
    # With warnings the officer must confirm them: refused, nothing changes.
    response = publish(client, r, {})
    assert response.status_code == 200
    assert "Confirm that you have read the warnings" in error_messages(soup(response))["confirm"]
    db.session.expire_all()
    assert r.phase == Phase.CLOSED and events("results.published") == []
    # Confirmed: published, audited with the warnings the officer saw.
    assert publish(client, r, {"confirm": "y"}).status_code == 302
    db.session.expire_all()
    assert r.phase == Phase.PUBLISHED
    [published] = events("results.published")
    assert published.actor.email == "officer@example.org"
    assert "more than a quarter of the pot" in published.after["warnings"][0]
    assert published.after["pots"]["Council-wide"]["allocated_pence"] == 30_000_00
    assert events("round.phase_changed")[-1].after["phase"] == "published"
    # Its open data was built as it was published: the open data page, which builds nothing,
    # has every file's size.
    from app.workflow import open_data

    assert all(item.files for item in open_data.network_listing(db.session, build=False))
    audit_page = get_page(client, f"/auditors/{r.council.slug}/rounds/{r.slug}").get_text()
    assert "Results published after an officer checked them" in audit_page
    base = u["public"] + "/results"
    assert client.get(base + "/figures").status_code == 200
    assert client.get(f"/api/v1/rounds/{r.id}/results").status_code == 200
    # Publishing again (a second click) is refused without a 5xx, and changes nothing.
    response = client.post(u["publish"], data={"csrf_token": "x", "confirm": "y"})
    assert response.status_code in (400, 409)
    assert len(events("results.published")) == 1
    assert get_page(client, u["check"], status=409)


def test_a_withheld_pot_is_a_warning(client, people):
    r = closed_round(people, ballots=3)
    sign_in(client, "officer@example.org", PASSWORD)
    warnings = get_page(client, urls(r)["check"]).select_one("#warnings").get_text()
    assert "only 3 ballots were cast, fewer than the 10 needed" in warnings


def _tied_round(council, rule="greedy"):
    """Two £30,000 projects in a £50,000 pot, each chosen by every ballot: only one fits."""
    hood = place(council, "Ward")
    r, paper = voting_round(
        council,
        costs=((30_000_00, 30_000_00),),
        budgets=(50_000_00,),
        rule=rule,
        min_ballots_to_publish=1,
    )
    db.session.commit()
    pot = paper.pots[0]
    box.open_log(db.session, r.id, r.manifest_hash)
    for i in range(4):
        entry = enrol(council, hood, reference=f"T{i}")
        ballot = Ballot(tuple(p.id for p in pot.projects))
        box.cast(db.session, paper, entry, pot.id, ballot, today=date(2026, 5, 1))
        db.session.commit()
    rounds.change_phase(
        db.session, r, target=Phase.CLOSED, expected=Phase.VOTING, actor=None, now=NOW
    )
    db.session.commit()
    return r, pot


@pytest.mark.parametrize("rule", ["greedy", "mes", "greedy-per-cost"])
def test_a_tie_decided_by_the_tie_break_is_a_warning(client, people, rule):
    r, pot = _tied_round(people, rule)
    sign_in(client, "officer@example.org", PASSWORD)
    warnings = get_page(client, urls(r)["check"]).select_one("#warnings").get_text()
    a, b = (p.name for p in pot.projects)
    assert "tie-break" in warnings, warnings
    assert a in warnings and b in warnings


def test_the_scheduler_stops_at_closed_and_says_an_officer_must_publish(runner, people):
    r = closed_round(people, phase=Phase.CLOSED)
    for phase, start in ((Phase.CLOSED, NOW - timedelta(days=3)), (Phase.PUBLISHED, NOW)):
        db.session.add(
            PhaseDates(
                round_id=r.id, phase=phase, starts_at=start, ends_at=start + timedelta(days=1)
            )
        )
    db.session.commit()
    [stuck] = rounds.advance_due_rounds(db.session, NOW + timedelta(hours=1))
    assert stuck.moved_to == []
    assert "an officer must check them and publish them" in stuck.problem
    result = runner.invoke(args=["advance-phases"])
    assert "not moved" in result.output and "Check the results before publishing" in result.output
    db.session.expire_all()
    assert r.phase == Phase.CLOSED and events("results.published") == []


def test_the_check_page_before_closing_says_why(client, people):
    r, _ = voting_round(people)
    sign_in(client, "officer@example.org", PASSWORD)
    page = get_page(client, urls(r)["check"], status=409)
    assert "Voting has not closed" in page.h1.get_text()
