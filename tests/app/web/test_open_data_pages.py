"""Open data on the web: each published pot's .pb, CSVs and JSON with their content types and
file names, linked from the results pages; "not found" before publication, for a pot that does
not exist or is another council's; the network's page and ZIP; the officers' choice about
voters' details, and the ballot telling voters of it."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date

import pytest

from app.workflow import open_data
from app.workflow.models import AuditEvent, Phase, Role
from tests.app.closed_round import closed_round
from tests.app.pages import get_page, sign_in, submit
from tests.ballots.helpers import enrol, place, voting_round
from tests.factories import PASSWORD, create_council, create_user
from votes.pabulib import read


@pytest.fixture(autouse=True)
def _fresh_cache():
    open_data.clear_cache()
    yield
    open_data.clear_cache()


def base(r) -> str:
    return f"/councils/{r.council.slug}/rounds/{r.slug}/results/{r.pots[0].id}"


FILES = {
    "open-data.pb": ("text/plain; charset=utf-8", "-pot-{pot}.pb"),
    "open-data.csv": ("text/csv; charset=utf-8", "-pot-{pot}-projects.csv"),
    "open-data-ballots.csv": ("text/csv; charset=utf-8", "-pot-{pot}-ballots.csv"),
    "open-data.json": ("application/json", "-pot-{pot}.json"),
}


def test_each_format_downloads_with_its_type_and_name(client, db):
    r = closed_round(kind="ranked", phase=Phase.PUBLISHED)
    pot = r.pots[0].id
    for ending, (content_type, name) in FILES.items():
        response = client.get(f"{base(r)}/{ending}")
        assert response.status_code == 200, ending
        assert response.headers["Content-Type"] == content_type
        expected = f"{r.council.slug}-{r.slug}" + name.format(pot=pot)
        assert response.headers["Content-Disposition"] == f'attachment; filename="{expected}"'
        assert response.headers["Cache-Control"] == "no-store"
    election = read(client.get(f"{base(r)}/open-data.pb").data)
    assert len(election.ballots) == 12 and election.kind.value == "ranked"
    assert json.loads(client.get(f"{base(r)}/open-data.json").data)["ballots"] == 12


def test_nothing_before_publication_or_for_a_pot_that_is_not_there(client, db):
    closed = closed_round()
    published = closed_round(phase=Phase.PUBLISHED)
    other = create_council(slug="other")
    p = published
    urls = [
        base(closed),
        f"/councils/{p.council.slug}/rounds/{p.slug}/results/999999",
        f"/councils/{p.council.slug}/rounds/nowhere/results/{p.pots[0].id}",
        f"/councils/{other.slug}/rounds/{p.slug}/results/{p.pots[0].id}",
        f"/councils/nowhere/rounds/{p.slug}/results/{p.pots[0].id}",
        # Another round's pot under this round's address.
        f"/councils/{p.council.slug}/rounds/{p.slug}/results/{closed.pots[0].id}",
    ]
    for url in urls:
        for ending in FILES:
            get_page(client, f"{url}/{ending}", status=404)


def test_a_withheld_pot_has_its_json_only(client, db):
    r = closed_round(ballots=3, phase=Phase.PUBLISHED)
    for ending in ("open-data.pb", "open-data.csv", "open-data-ballots.csv"):
        get_page(client, f"{base(r)}/{ending}", status=404)
    document = client.get(f"{base(r)}/open-data.json").get_json()
    assert (document["withheld"], document["ballots"], document["votes"]) == (True, 3, [])
    page = get_page(client, base(r))
    links = [a["href"] for a in page.select(f"#downloads-{r.pots[0].id} a")]
    assert links == [f"{base(r)}/open-data.json"]


def test_the_results_pages_link_the_downloads(client, db):
    r = closed_round(phase=Phase.PUBLISHED)
    pot = r.pots[0].id
    expected = [f"{base(r)}/{ending}" for ending in FILES]
    for url in (base(r), f"/councils/{r.council.slug}/rounds/{r.slug}/results"):
        page = get_page(client, url)
        assert [a["href"] for a in page.select(f"#downloads-{pot} a")] == expected, url


def test_the_officers_check_before_publishing_has_no_downloads(client, db):
    r = closed_round()
    create_user(email="checker@example.org", roles={r.council: Role.OFFICER})
    sign_in(client, "checker@example.org", PASSWORD)
    page = get_page(client, f"/officers/{r.council.slug}/rounds/{r.slug}/results/check")
    assert not page.select("[id^=downloads-]")
    page = get_page(
        client, f"/officers/{r.council.slug}/rounds/{r.slug}/results/check/{r.pots[0].id}"
    )
    assert not page.select("[id^=downloads-]")


def test_the_network_page_lists_the_network_s_published_pots(client, db):
    inside = closed_round(create_council(slug="inside", name="Inside"), phase=Phase.PUBLISHED)
    small = closed_round(inside.council, kind="knapsack", ballots=3, phase=Phase.PUBLISHED)
    left = closed_round(create_council(slug="left", name="Left"), phase=Phase.PUBLISHED)
    left.council.in_network = False
    db.session.commit()
    page = get_page(client, "/network/open-data")
    assert page.select_one("#network-zip")["href"] == "/network/open-data.zip"
    assert page.select_one("#council-inside") and not page.select_one("#council-left")
    row = page.select_one(f"#pot-{inside.pots[0].id}")
    assert [a["href"] for a in row.select("a")] == [f"{base(inside)}/{e}" for e in FILES]
    # Nothing was built for this page (a network's hundreds of pots take tens of seconds):
    # sizes once a pot's files are built, as publishing from the officers' page does.
    assert "KB" not in row.get_text() and "bytes" not in row.get_text()
    open_data.build_round(db.session, inside)
    row = get_page(client, "/network/open-data").select_one(f"#pot-{inside.pots[0].id}")
    assert "KB" in row.get_text() or "bytes" in row.get_text()
    small_row = page.select_one(f"#pot-{small.pots[0].id}")
    assert [a["href"] for a in small_row.select("a")] == [f"{base(small)}/open-data.json"]
    assert "Withheld" in small_row.get_text()
    assert "2 pots" in page.select_one("#zip-note").get_text()
    # The council that left still has its own downloads.
    assert client.get(f"{base(left)}/open-data.pb").status_code == 200


def test_the_network_page_with_nothing_published(client, db):
    page = get_page(client, "/network/open-data")
    assert page.select_one("#no-pots")


def test_the_network_zip(client, db):
    r = closed_round(phase=Phase.PUBLISHED)
    response = client.get("/network/open-data.zip")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/zip"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="network-open-data.zip"'
    )
    with zipfile.ZipFile(io.BytesIO(response.data)) as z:
        assert f"{r.council.slug}/{r.slug}/pot-{r.pots[0].id}.pb" in z.namelist()
        assert z.testzip() is None


def test_officers_choose_whether_ballots_keep_voters_details(client, db):
    council = create_council(slug="home")
    create_user(email="officer@example.org", roles={council: Role.OFFICER})
    create_user(email="resident@example.org", roles={council: Role.RESIDENT})
    db.session.commit()
    sign_in(client, "resident@example.org", PASSWORD)
    assert client.get("/officers/home/open-data").status_code == 403
    client.post("/auth/sign-out", data={"csrf_token": _token(client)})
    sign_in(client, "officer@example.org", PASSWORD)
    page = get_page(client, "/officers/home")
    assert page.select_one("#open-data-link a")["href"] == "/officers/home/open-data"
    page = get_page(client, "/officers/home/open-data")
    assert page.select_one("input[name=voter_details][value=no]").has_attr("checked")
    assert "encrypted" in page.select_one("#voter_details-hint").get_text()
    response = submit(client, "/officers/home/open-data", {"voter_details": "sideways"})
    assert response.status_code == 200
    db.session.refresh(council)
    assert council.open_data_voter_details is False
    response = submit(client, "/officers/home/open-data", {"voter_details": "yes"})
    assert response.status_code == 302
    db.session.refresh(council)
    assert council.open_data_voter_details is True
    assert db.session.scalar(
        db.select(AuditEvent).where(AuditEvent.action == "council.open_data_changed")
    )
    page = get_page(client, "/officers/home/open-data")
    assert page.select_one("input[name=voter_details][value=yes]").has_attr("checked")
    assert page.select_one("#keeping-none")
    # A round whose voting opens now freezes the choice and is listed.
    funding_round, _ = voting_round(council)
    page = get_page(client, "/officers/home/open-data")
    assert funding_round.title in page.select_one("#keeping-rounds").get_text()


def _token(client) -> str:
    from tests.app.hardening import csrf

    return csrf(client)


@pytest.mark.parametrize("chosen", [True, False])
def test_the_ballot_tells_voters_their_details_are_kept(client, db, chosen):
    council = create_council(slug="home")
    council.open_data_voter_details = chosen
    hood = place(council)
    voter = create_user(email="voter@example.org", roles={council: Role.RESIDENT}, home=hood)
    funding_round, paper = voting_round(council)
    funding_round.slug = "vote"
    db.session.commit()
    enrol(council, hood, user=voter, reference="R1", born=date(1990, 1, 1))
    sign_in(client, "voter@example.org", PASSWORD)
    page = get_page(client, f"/councils/home/rounds/vote/vote/{paper.pots[0].id}")
    note = page.select_one("#voter-details-note")
    assert (note is not None) is chosen
    if chosen:
        assert "never your name" in note.get_text()


def test_the_network_page_in_welsh(client, db):
    r = closed_round(phase=Phase.PUBLISHED)
    page = get_page(client, "/network/open-data?lang=cy")
    assert page.h1.get_text(strip=True) == "Data agored"
    assert page.select_one("#network-zip").get_text(strip=True) == "Lawrlwytho'r cyfan (ZIP)"
    row = page.select_one(f"#pot-{r.pots[0].id}")
    assert "Papurau pleidleisio (CSV)" in row.get_text()
    pot_page = get_page(client, base(r) + "?lang=cy")
    assert pot_page.select_one(f"#downloads-{r.pots[0].id}").get_text().startswith("Data agored:")
