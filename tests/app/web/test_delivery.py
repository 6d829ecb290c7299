"""Delivery tracking: officers record dated progress on funded projects once results are
published; residents see it on the proposal and round pages; bad input changes nothing."""

import json

from sqlalchemy import func, select

from app.workflow.models import AuditEvent, DeliveryUpdate, Phase, PotResult, Role
from tests.app.closed_round import closed_round
from tests.app.pages import error_messages, get_page, sign_in, submit
from tests.factories import PASSWORD, create_user

GOOD = {
    "status": "in_progress",
    "percent_complete": "40",
    "spent": "1,250.50",
    "happened_on": ["3", "2", "2026"],
    "note": "Contractor appointed; work started on site.",
}


def setup(db, phase=Phase.PUBLISHED):
    funding_round = closed_round(phase=phase)
    create_user(email="officer@example.org", roles={funding_round.council: Role.OFFICER})
    db.session.commit()
    row = db.session.scalar(select(PotResult))
    selected = json.loads(row.outcome_json)["selected"]
    council, slug = funding_round.council.slug, funding_round.slug
    funded = int(selected[0])
    unfunded = next(p.id for p in funding_round.proposals if str(p.id) not in selected)
    return funding_round, council, slug, funded, unfunded


def form_data(values):
    data = {k: v for k, v in values.items() if k != "happened_on"}
    day, month, year = values["happened_on"]
    data |= {"happened_on": [day, month, year]}
    return data


def test_an_officer_records_progress_and_residents_see_it(client, db):
    _, council, slug, funded, _ = setup(db)
    sign_in(client, "officer@example.org", PASSWORD)
    url = f"/officers/{council}/rounds/{slug}/delivery/{funded}"
    response = submit(client, url, form_data(GOOD), form_selector="#delivery-form")
    assert response.status_code == 302
    client.post("/auth/sign-out")
    page = get_page(client, f"/councils/{council}/rounds/{slug}/proposals/{funded}")
    status = page.select_one("#delivery-status").get_text(" ", strip=True)
    assert "In progress" in status and "40% complete" in status and "£1,250.50 spent" in status
    assert "3 February 2026" in page.select_one("#delivery-updates").get_text()
    round_page = get_page(client, f"/councils/{council}/rounds/{slug}")
    rows = [
        [c.get_text(strip=True) for c in r.select("th, td")]
        for r in round_page.select("#delivery-progress tbody tr")
    ]
    assert [r[1:] for r in rows if r[1] != "No updates yet"] == [
        ["In progress", "40%", "£1,250.50"]
    ]
    assert (
        db.session.scalar(select(func.count()).where(AuditEvent.action == "delivery.updated")) == 1
    )


def test_bad_updates_say_why_and_change_nothing(client, db):
    _, council, slug, funded, unfunded = setup(db)
    sign_in(client, "officer@example.org", PASSWORD)
    url = f"/officers/{council}/rounds/{slug}/delivery/{funded}"
    for changes, field, message in [
        ({"percent_complete": "140"}, "percent_complete", "between 0 and 100"),
        ({"percent_complete": "forty"}, "percent_complete", "whole number"),
        ({"status": "delivered"}, "percent_complete", "100% complete"),
        ({"happened_on": ["1", "1", "2999"]}, "happened_on", "today or in the past"),
        ({"spent": "-5"}, "spent", "must not be negative"),
        ({"note": ""}, "note", "Enter what has happened"),
    ]:
        response = submit(client, url, form_data(GOOD | changes), form_selector="#delivery-form")
        assert response.status_code == 200, changes
        from bs4 import BeautifulSoup

        errors = error_messages(BeautifulSoup(response.get_data(as_text=True), "html.parser"))
        assert message in errors.get(field, ""), (changes, errors)
    assert client.get(f"/officers/{council}/rounds/{slug}/delivery/{unfunded}").status_code == 404
    assert db.session.scalar(select(func.count()).select_from(DeliveryUpdate)) == 0


def test_no_delivery_tracking_before_results_are_published(client, db):
    _, council, slug, funded, _ = setup(db, phase=Phase.CLOSED)
    sign_in(client, "officer@example.org", PASSWORD)
    url = f"/officers/{council}/rounds/{slug}/delivery/{funded}"
    response = submit(client, url, form_data(GOOD), form_selector="#delivery-form")
    assert response.status_code == 200
    assert "once the results are published" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(DeliveryUpdate)) == 0
