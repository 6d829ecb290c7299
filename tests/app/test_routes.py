"""Every route is listed here on purpose: a new route fails this test until it is added, with
who may use it. Issue-by-issue, the table grows with the app."""

import pytest

from app.models import Phase, Role
from tests.app.pages import get_page, sign_in
from tests.factories import PASSWORD, create_council, create_round, create_user

ROUTES = {
    ("/", "GET", "public.home"),
    ("/_status", "GET", "status.status"),
    ("/account/", "GET", "residents.account"),
    ("/auth/register", "GET,POST", "auth.register"),
    ("/auth/sign-in", "GET,POST", "auth.sign_in"),
    ("/auth/sign-out", "POST", "auth.sign_out"),
    ("/councils/<slug>", "GET", "public.council"),
    ("/councils/<slug>/rounds/<round_slug>", "GET", "public.funding_round"),
    ("/manage/<slug>", "GET", "councillors.dashboard"),
    ("/static/<path:filename>", "GET", "static"),
}


def test_url_map_matches_the_committed_route_list(app):
    actual = {
        (r.rule, ",".join(sorted(r.methods - {"HEAD", "OPTIONS"})), r.endpoint)
        for r in app.url_map.iter_rules()
    }
    assert actual - ROUTES == set(), "new routes: add them to ROUTES with their access rules"
    assert ROUTES - actual == set(), "routes gone: remove them from ROUTES"


# Who gets what for each GET page (anonymous, resident, officer of the council, officer of
# another council). 302 is "sent to sign in".
ACCESS = {
    "/": (200, 200, 200, 200),
    "/account/": (302, 200, 200, 200),
    "/auth/register": (200, 302, 302, 302),
    "/auth/sign-in": (200, 200, 200, 200),
    "/councils/home": (200, 200, 200, 200),
    "/councils/home/rounds/open": (200, 200, 200, 200),
    "/councils/home/rounds/draft": (404, 404, 200, 404),
    "/manage/home": (302, 403, 200, 403),
}


@pytest.fixture
def people(db):
    home, away = create_council(slug="home"), create_council(slug="away")
    create_round(home, slug="open", phase=Phase.PROPOSALS)
    create_round(home, slug="draft", phase=Phase.DRAFT)
    create_user(email="resident@example.org", roles={home: Role.RESIDENT})
    create_user(email="officer@example.org", roles={home: Role.OFFICER})
    create_user(email="other.officer@example.org", roles={away: Role.OFFICER})
    db.session.commit()
    return [None, "resident@example.org", "officer@example.org", "other.officer@example.org"]


@pytest.mark.parametrize("who", range(4), ids=["anonymous", "resident", "officer", "other-officer"])
def test_every_page_for_every_kind_of_person(app, client, people, who):
    if people[who]:
        assert sign_in(client, people[who], PASSWORD).status_code == 302
    for url, expected in ACCESS.items():
        status = expected[who]
        if status == 302:
            response = client.get(url)
            assert response.status_code == 302, url
        else:
            get_page(client, url, status=status)


def test_every_parameterless_get_route_is_in_the_access_table(app):
    pages = {r.rule for r in app.url_map.iter_rules() if "GET" in r.methods and "<" not in r.rule}
    assert pages - {"/_status"} <= set(ACCESS)


def test_wrong_method_gets_a_page_not_a_stack_trace(client):
    page = get_page(client, "/auth/sign-out", status=405)
    assert page.h1.get_text(strip=True) == "There is a problem with your request"
