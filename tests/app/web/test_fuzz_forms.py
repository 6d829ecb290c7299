"""Random field values posted to the ballot forms of each kind (approval, ranked, cumulative,
knapsack), online and on paper, and random API parameters: never a 5xx, and no ballot is
recorded from invalid input."""

from __future__ import annotations

from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from app.workflow.models import Role
from ballots.models import LogEntry, StoredBallot, VoterMark
from tests.app.closed_round import CONFIG
from tests.app.hardening import OFFICER, RESIDENT, csrf, sign_in_as
from tests.ballots.helpers import enrol, place, voting_round
from tests.factories import create_council, create_user

KINDS = ["approval", "ranked", "cumulative", "knapsack"]
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Any text (control characters and NUL included), numbers far outside any range, empties.
text = st.text(st.characters(codec="utf-8"), max_size=30)
numbers = st.integers(-(2**70), 2**70).map(str)


def values(ids: list[str]):
    return st.one_of(text, numbers, st.sampled_from(ids), st.just(""))


def ballot_fields(ids: list[str], ranks: int):
    """Every field any kind of ballot has, each filled at random."""
    fields = {
        "choices": st.lists(values(ids), max_size=6),
        "action": st.one_of(st.sampled_from(["continue", "update"]), text),
        **{f"rank_{i}": values(ids) for i in range(1, ranks + 2)},
        **{f"points_{pid}": values(ids) for pid in ids},
    }
    return st.fixed_dictionaries({}, optional=fields)


def invalid(kind: str, ids: list[str], junk: str) -> dict:
    """Fields that make any ballot of ``kind`` invalid, whatever else is sent: a project that is
    not on the paper, or a number of points that is not a number."""
    unknown = f"not-a-project-{junk}"
    if kind == "ranked":
        return {"rank_1": unknown}
    if kind == "cumulative":
        return {f"points_{ids[0]}": f"x{junk}"}
    return {"choices": unknown}


def merge(data: dict, extra: dict) -> list[tuple[str, str]]:
    out = []
    for key, value in {**data, **extra}.items():
        if key == "choices" and key in extra and key in data:
            value = [*data["choices"], extra["choices"]]
        for v in value if isinstance(value, list) else [value]:
            out.append((key, v))
    return out


def recorded(db) -> tuple[int, int, int]:
    db.session.rollback()
    return tuple(
        db.session.scalar(select(func.count()).select_from(m))
        for m in (VoterMark, StoredBallot, LogEntry)
    )


@pytest.fixture(params=KINDS)
def ballot(request, db):
    kind = request.param
    council = create_council(slug="home")
    hood = place(council)
    user = create_user(email=RESIDENT, roles={council: Role.RESIDENT}, home=hood)
    create_user(email=OFFICER, roles={council: Role.OFFICER})
    funding_round, paper = voting_round(council, kind=kind, **CONFIG[kind])
    funding_round.slug = "vote"
    db.session.commit()
    enrol(council, hood, user=user, reference="HOME-7Q2X")
    enrol(council, hood, reference="HOME-K4PM")  # for paper ballots
    pot = paper.pots[0]
    return kind, pot, [p.id for p in pot.projects], paper.rules.max_choices or len(pot.projects)


def test_random_ballots_online_get_no_5xx_and_invalid_ones_are_not_cast(app, client, db, ballot):
    kind, pot, ids, ranks = ballot
    sign_in_as(client, RESIDENT)
    token = csrf(client)
    url = f"/councils/home/rounds/vote/vote/{pot.id}"
    before = recorded(db)

    @FUZZ
    @given(data=ballot_fields(ids, ranks), junk=text)
    def post(data, junk):
        fields = [("csrf_token", token), *merge(data, {})]
        response = client.post(url, data=MultiDict(fields))
        assert response.status_code < 500, fields
        # Checking the answers never casts; casting invalid ones is refused.
        fields = [("csrf_token", token), *merge(data, invalid(kind, ids, junk))]
        response = client.post(url + "/confirm", data=MultiDict(fields))
        assert response.status_code < 500, fields
        assert response.status_code in (200, 400), fields
        assert recorded(db) == before, fields

    post()


def test_random_paper_ballots_get_no_5xx_and_invalid_ones_are_not_entered(app, client, db, ballot):
    kind, pot, ids, ranks = ballot
    sign_in_as(client, OFFICER)
    token = csrf(client)
    url = f"/officers/home/rounds/vote/paper/{pot.id}"
    before = recorded(db)

    @FUZZ
    @given(
        data=ballot_fields(ids, ranks),
        reference=st.one_of(st.just("HOME-K4PM"), st.just("home k4pm"), text),
        junk=text,
    )
    def post(data, reference, junk):
        fields = [
            ("csrf_token", token),
            ("reference", reference),
            *merge(data, invalid(kind, ids, junk)),
        ]
        response = client.post(url, data=MultiDict(fields))
        assert response.status_code < 500, fields
        assert recorded(db) == before, fields

    post()


@FUZZ
@given(
    slug=text,
    round_id=st.one_of(numbers, text),
    tail=st.sampled_from(["", "/proposals", "/results"]),
    query=st.dictionaries(st.sampled_from(["page", "ballot", "next", "x"]), text, max_size=3),
)
def test_random_api_parameters_get_json_and_no_5xx(app, client, db, slug, round_id, tail, query):
    qs = "?" + urlencode(query) if query else ""
    for url in (
        f"/api/v1/councils/{quote(slug, safe='')}/rounds{qs}",
        f"/api/v1/rounds/{quote(round_id, safe='')}{tail}{qs}",
    ):
        response = client.get(url)
        assert response.status_code < 500, url
        if response.status_code != 308:  # a redirect to the address with its slash
            assert response.is_json, url
