"""An encrypted round's trustees through the web pages: the officer chooses encryption and adds
three trustees, whose links the page shows once; each trustee registers, makes and checks the
key from their own page with the files ``votes.secrecy.keys`` writes (as ``python -m votes
trustee`` does); voting opens; after the close a trustee shuffles and two decrypt over HTTP,
which counts the round. And the refusals: wrong links, wrong files, other rounds and people."""

from __future__ import annotations

import io
import json
from urllib.parse import urlparse

import pytest
from flask import g
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from app.web.extensions import db as _db
from app.workflow import results, secrecy
from app.workflow.models import FundingRound, Phase, ProposalStatus, RoundSecrecy, RoundTrustee
from ballots.models import BallotDecryption, BallotMix
from tests.app import secret_round as sr
from tests.app.pages import csrf_token, get_page, sign_in, soup, submit
from tests.factories import PASSWORD, create_proposal, create_round
from votes.model import Ballot
from votes.secrecy import bundle, keys
from votes.secrecy.decryption import decrypt_share
from votes.secrecy.shuffle import shuffle

NAMES = ("Returning officer", "Independent auditor", "Community representative")


@pytest.fixture(autouse=True)
def each_client_as_itself(app):
    """The tests' app context outlives each request, and Flask-Login and Flask-WTF keep the
    signed-in user and the CSRF token in ``g``: forget them at each request, so that each
    client (the officer, each trustee) is seen as itself."""

    @app.before_request
    def forget_the_last_client():
        g.pop("_login_user", None)
        g.pop("csrf_token", None)


def text(response) -> str:
    return " ".join(soup(response).get_text(" ").split())


def supporting_round(council, slug: str = "secret") -> FundingRound:
    """A round in supports with three feasible proposals in one council-wide pot."""
    funding_round = create_round(
        council,
        slug=slug,
        phase=Phase.SUPPORTS,
        total_budget_pence=50_000_00,
        pots=[(None, 50_000_00)],
    )
    funding_round.ballot_kind = "approval"
    funding_round.rule = "greedy"
    funding_round.supports_enabled = True
    for cost in (10_000_00, 20_000_00, 30_000_00):
        create_proposal(funding_round.pots[0], cost_pence=cost, status=ProposalStatus.FEASIBLE)
    _db.session.commit()
    return funding_round


def page_url(funding_round: FundingRound) -> str:
    return f"/officers/{funding_round.council.slug}/rounds/{funding_round.slug}/trustees"


def upload(client, path: str, content: bytes | str | None, filename: str = "file.json"):
    """POST a file to a trustee page's form (the CSRF token from the page ``path`` is on),
    the body encoded in memory (the test client's own encoder spools large bodies to a file
    it never closes)."""
    page = "/".join(path.split("/")[:3])
    data = {"csrf_token": csrf_token(client, page, "form[method=post]")}
    if content is not None:
        raw = content.encode() if isinstance(content, str) else content
        data["file"] = FileStorage(io.BytesIO(raw), filename, content_type="application/json")
    boundary, body = encode_multipart(data)
    return client.post(
        path, data=body, content_type=f"multipart/form-data; boundary={boundary}", buffered=True
    )


def configure_and_add(client, funding_round, names=NAMES) -> list[str]:
    """Through the officer's page: encrypted, 2 needed, 1 trustee shuffle; the trustees added.
    The paths of their pages, read from the page the officer sees once."""
    url = page_url(funding_round)
    response = submit(
        client,
        url,
        {"encrypted": "yes", "threshold": "2", "trustee_mixes": "1"},
        post_to=url + "/settings",
    )
    assert response.status_code == 302, text(response)
    links = []
    for name in names:
        response = submit(client, url, {"name": name}, post_to=url + "/add")
        assert response.status_code == 200, text(response)
        page = soup(response)
        assert "shown only this once" in page.get_text()
        link = page.select_one("#trustee-link").get_text().strip()
        assert link.startswith("http://")
        links.append(urlparse(link).path)
    # Shown once: the page shows no link when seen again.
    assert get_page(client, url).select_one("#trustee-link") is None
    return links


def register_all(app, links, names=NAMES) -> list[dict]:
    states = []
    for link, name in zip(links, names, strict=True):
        state = keys.new_trustee(name)
        states.append(state)
        registration = {
            "format": "devolve-trustee-registration/v1",
            "name": name,
            "transport_key": keys.transport_key(state),
        }
        trustee = app.test_client()
        response = upload(trustee, link + "/register", json.dumps(registration))
        assert response.status_code == 302, text(response)
        assert "You are registered" in text(trustee.get(link))
    return states


def download(client, path: str, filename: str):
    response = client.get(path)
    assert response.status_code == 200, text(response)
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{filename}"'
    assert response.headers["Cache-Control"] == "no-store"
    return json.loads(response.data)


def test_a_whole_encrypted_round_through_the_officer_and_trustee_pages(app, client, lambeth):
    funding_round = supporting_round(lambeth.council)
    sign_in(client, "officer@lambeth.example", PASSWORD)
    url = page_url(funding_round)
    page = get_page(client, url)
    assert "not even the council's database staff" in page.get_text()
    links = configure_and_add(client, funding_round)
    found = _db.session.get(RoundSecrecy, funding_round.id)
    assert (found.threshold, found.trustee_mixes) == (2, 1)
    assert "can lose the key files of at most 1 trustee" in get_page(client, url).get_text()

    # Voting cannot open yet, and the overview says why and where to go.
    overview = get_page(client, f"/officers/lambeth/rounds/{funding_round.slug}")
    problems = overview.select_one("#phase-problems").get_text(" ")
    assert "trustees have not made its key yet" in problems
    assert overview.select_one("#phase-problems a")["href"] == url
    assert "3 trustees added, 3 still to register" in overview.select_one("#encryption-status").text
    preview = get_page(client, f"/officers/lambeth/rounds/{funding_round.slug}/open-voting")
    assert preview.select_one("#voting-problems a")["href"] == url

    states = register_all(app, links)
    trustees = secrecy.trustees_of(_db.session, funding_round)
    assert all(t.transport_key for t in trustees)
    response = submit(client, url, {}, post_to=url + "/start", follow=True)
    assert "Making the key has started" in text(response)

    # Once the key is being made the trustees are fixed: removing one is refused, saying why.
    response = submit(client, url, {}, post_to=f"{url}/{trustees[0].id}/remove", follow=True)
    assert "Making the round's key has started" in text(response)
    assert _db.session.scalar(select(func.count()).select_from(RoundTrustee)) == 3

    trustee_clients = [app.test_client() for _ in links]
    for link, state, c in zip(links, states, trustee_clients, strict=True):
        ceremony = download(c, link + "/ceremony.json", "ceremony.json")
        response = upload(c, link + "/key-part", json.dumps(keys.keygen(state, ceremony)))
        assert response.status_code == 302, text(response)
    for link, state, c in zip(links, states, trustee_clients, strict=True):
        assert "python -m votes trustee check" in get_page(c, link).get_text()
        ceremony = download(c, link + "/ceremony.json", "ceremony.json")
        parts = download(c, link + "/key-parts.json", "key-parts.json")
        response = upload(c, link + "/key-check", json.dumps(keys.check(state, ceremony, parts)))
        assert response.status_code == 302, text(response)
    page = get_page(client, url)
    assert "The key is made" in page.select_one("#key-made").get_text()
    public_key = json.loads(_db.session.get(RoundSecrecy, funding_round.id).key_document)[
        "public_key"
    ]
    assert page.select_one("#fingerprint").text.replace(" ", "") == public_key[:16]
    assert len(page.select("#trustees .govuk-tag--green")) == 3

    # A trustee proves they still hold their share.
    c = trustee_clients[0]
    response = submit(c, links[0], {}, post_to=links[0] + "/still-held-challenge.json")
    assert response.mimetype == "application/json"
    challenge = json.loads(response.data)
    proof = keys.prove_held(states[0], challenge["ceremony"], challenge["challenge"])
    response = upload(c, links[0] + "/still-held", json.dumps(proof))
    assert response.status_code == 302, text(response)
    _db.session.refresh(trustees[0])
    assert trustees[0].held_at is not None and trustees[0].held_challenge is None
    assert "Thank you: you have proved" in text(c.get(links[0]))

    # Voting opens through the officer's page now the key is made.
    opening = f"/officers/lambeth/rounds/{funding_round.slug}/open-voting"
    form = get_page(client, opening).select_one("main form[method=post]")
    fields = {i["name"]: i.get("value", "") for i in form.select("input[type=hidden]")}
    response = client.post(opening, data={**fields, "confirm": "y"})
    assert response.status_code == 302, text(response)
    _db.session.refresh(funding_round)
    assert funding_round.phase == Phase.VOTING

    made = sr.SecretRound(funding_round, lambeth.officer, trustees, states)
    ids = [p.id for p in made.paper.pots[0].projects]
    sr.cast_all(made, [Ballot(tuple(ids[: 1 + i % 3])) for i in range(5)])
    sr.close(made)
    pot = made.paper.pots[0]
    assert "Waiting for a trustee to shuffle" in get_page(client, url).get_text()

    # Another round's trustee cannot touch this round's pot.
    other = supporting_round(lambeth.council, slug="other")
    secrecy.configure(
        _db.session, other, encrypted=True, threshold=2, trustee_mixes=0, actor=lambeth.officer
    )
    _, other_token = secrecy.add_trustee(_db.session, other, name="Stranger", actor=lambeth.officer)
    _db.session.commit()
    stranger = app.test_client()
    response = stranger.get(f"/trustee/{other_token}/pots/{pot.id}/mix-task.json")
    assert response.status_code in (404, 409, 422)
    mix_task = download(
        trustee_clients[1], f"{links[1]}/pots/{pot.id}/mix-task.json", f"mix-task-{pot.id}.json"
    )
    context, key, number, inputs = bundle.read_mix_task(mix_task)
    outputs, mix_proof = shuffle(inputs, key, context, number)
    mix = json.dumps(bundle.mix_result(context, number, outputs, mix_proof))
    stranger.get(f"/trustee/{other_token}")
    response = upload(stranger, f"/trustee/{other_token}/pots/{pot.id}/mix", mix)
    assert response.status_code in (409, 422), text(response)
    assert _db.session.scalar(select(func.count()).select_from(BallotMix)) == 1
    # A wrong file for the pot is shown beside that pot's field, nothing stored.
    response = upload(trustee_clients[1], f"{links[1]}/pots/{pot.id}/mix", "[]")
    assert response.status_code == 422, text(response)
    refused = soup(response)
    assert refused.select_one(f"#file-mix-{pot.id}-error")
    assert refused.select_one(".govuk-error-summary__list a")["href"] == f"#file-mix-{pot.id}"
    assert _db.session.scalar(select(func.count()).select_from(BallotMix)) == 1

    # The trustee's shuffle, then two decryptions, count the round.
    response = upload(trustee_clients[1], f"{links[1]}/pots/{pot.id}/mix", mix)
    assert response.status_code == 302, text(response)
    assert _db.session.scalar(select(func.count()).select_from(BallotMix)) == 2
    for position in (1, 3):
        link, c = links[position - 1], trustee_clients[position - 1]
        page = get_page(c, link)
        assert f"decryption-task-{pot.id}.json" in page.get_text()
        assert "python -m votes trustee decrypt trustee.key" in page.get_text()
        task = download(
            c, f"{link}/pots/{pot.id}/decryption-task.json", f"decryption-task-{pot.id}.json"
        )
        described, context, vectors = bundle.read_decryption_task(task)
        shares = decrypt_share(vectors, made.share(position), position, context)
        document = bundle.decryption_result(described, context, position, shares)
        response = upload(c, f"{link}/pots/{pot.id}/decryption", json.dumps(document))
        assert response.status_code == 302, text(response)
    last = get_page(trustee_clients[2], links[2]).get_text()
    assert "the pot is now decrypted" in last and "Decrypted: the ballots can be counted" in last
    assert _db.session.scalar(select(func.count()).select_from(BallotDecryption)) == 2
    assert results.results_for(_db.session, funding_round)
    row = get_page(client, url).select_one("#pots .govuk-summary-card").get_text(" ")
    assert "Yes" in row and "Returning officer" in row and "Community representative" in row


@pytest.fixture
def registered(app, client, lambeth):
    """A round configured with three trustees, none registered; the officer signed in."""
    funding_round = supporting_round(lambeth.council)
    sign_in(client, "officer@lambeth.example", PASSWORD)
    links = configure_and_add(client, funding_round)
    return funding_round, links


@pytest.mark.parametrize(
    "content, message",
    [
        (json.dumps({"format": "something else"}), "not a trustee registration"),
        ("this is not json", "it is not JSON"),
        (b"\xff\xfe\x00garbage", "UTF-8"),
        (b"", "The file is empty"),
        (None, "Choose the file to upload"),
        (
            json.dumps({"format": "devolve-trustee-registration/v1", "transport_key": "ab"}),
            "64 hexadecimal digits",
        ),
    ],
)
def test_a_wrong_file_is_refused_beside_the_field_and_nothing_is_stored(
    app, registered, content, message
):
    funding_round, links = registered
    trustee = app.test_client()
    response = upload(trustee, links[0] + "/register", content)
    assert response.status_code == 422
    page = soup(response)
    assert message in page.select_one("#file-error").get_text()
    assert "Error:" in page.title.get_text()
    assert all(t.transport_key is None for t in secrecy.trustees_of(_db.session, funding_round))


def test_a_download_before_its_step_is_refused_plainly(app, registered):
    _, links = registered
    response = app.test_client().get(links[0] + "/ceremony.json")
    assert response.status_code == 422
    assert "Making the round's key has not started yet" in text(response)


@pytest.mark.parametrize(
    "path",
    [
        "/trustee/" + "A" * 32,
        "/trustee/..%2F..%2Fetc",
        "/trustee/../../etc",
        "/trustee/x",
        "/trustee/" + "A" * 32 + "/ceremony.json",
        "/trustee/" + "A" * 200,
    ],
)
def test_a_link_that_names_no_trustee_is_page_not_found(client, lambeth, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "Page not found" in text(response)
    if "." not in path or path.endswith("/ceremony.json"):  # a trustee page's address
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["Cache-Control"] == "no-store"


def test_a_control_character_in_a_link_is_a_bad_request_not_a_failure(client, lambeth):
    response = client.get("/trustee/%00abc")
    assert response.status_code == 400


def test_trustee_pages_send_no_referrer_and_are_not_cached(app, registered):
    _, links = registered
    response = app.test_client().get(links[0])
    assert response.status_code == 200
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    assert "python -m votes trustee register --name 'Returning officer'" in text(response)


def test_guessing_links_is_rate_limited(client, lambeth):
    statuses = [client.get(f"/trustee/{'B' * 31}{i % 10}").status_code for i in range(12)]
    assert statuses[:10] == [404] * 10 and statuses[-1] == 429


def test_a_renewed_link_replaces_the_old_one(app, client, registered):
    funding_round, links = registered
    trustee = secrecy.trustees_of(_db.session, funding_round)[0]
    url = page_url(funding_round)
    response = submit(client, url, {}, post_to=f"{url}/{trustee.id}/renew")
    new = urlparse(soup(response).select_one("#trustee-link").get_text().strip()).path
    assert new != links[0]
    assert app.test_client().get(links[0]).status_code == 404
    assert app.test_client().get(new).status_code == 200


def test_removing_a_trustee_before_the_key_renumbers_the_rest(client, registered):
    funding_round, _ = registered
    first = secrecy.trustees_of(_db.session, funding_round)[0]
    url = page_url(funding_round)
    response = submit(client, url, {}, post_to=f"{url}/{first.id}/remove", follow=True)
    assert "The trustee is removed" in text(response)
    left = secrecy.trustees_of(_db.session, funding_round)
    assert [(t.position, t.name) for t in left] == [(1, NAMES[1]), (2, NAMES[2])]


def test_starting_the_key_before_everyone_registers_is_refused(client, registered):
    funding_round, _ = registered
    url = page_url(funding_round)
    response = submit(client, url, {}, post_to=url + "/start", follow=True)
    assert "Every trustee must register first" in text(response)
    assert _db.session.get(RoundSecrecy, funding_round.id).ceremony is None


def test_a_bad_setting_is_shown_beside_its_field(client, lambeth):
    funding_round = supporting_round(lambeth.council)
    sign_in(client, "officer@lambeth.example", PASSWORD)
    url = page_url(funding_round)
    response = submit(
        client,
        url,
        {"encrypted": "yes", "threshold": "", "trustee_mixes": "1"},
        post_to=url + "/settings",
    )
    assert response.status_code == 422
    assert "needed to decrypt must be from 2" in soup(response).select_one("#threshold-error").text
    assert _db.session.get(RoundSecrecy, funding_round.id) is None


@pytest.mark.parametrize("email", ["resident@lambeth.example", "officer@liverpool.example"])
def test_the_officer_page_is_for_the_councils_officers_only(client, lambeth, email):
    funding_round = supporting_round(lambeth.council)
    sign_in(client, email, PASSWORD)
    url = page_url(funding_round)
    assert client.get(url).status_code == 403
    response = client.post(url + "/settings", data={"encrypted": "yes"})
    assert response.status_code in (400, 403)
    assert _db.session.get(RoundSecrecy, funding_round.id) is None


def test_trustee_uploads_may_be_larger_than_the_sites_limit_but_not_without_end(app, registered):
    _, links = registered
    big = b" " * (app.config["MAX_CONTENT_LENGTH"] + 1024) + b"x"
    trustee = app.test_client()
    response = upload(trustee, links[0] + "/register", big)
    assert response.status_code == 422, text(response)
    assert "it is not JSON" in soup(response).select_one("#file-error").get_text()
    app.config["TRUSTEE_UPLOAD_MAX_BYTES"] = 1024 * 1024
    response = upload(trustee, links[0] + "/register", big)
    assert response.status_code == 413
    assert "at most 1 MB. Nothing was saved" in text(response)


def test_the_officer_can_start_the_key_again_with_a_reason(app, client, registered):
    from app.workflow.models import AuditEvent

    funding_round, links = registered
    register_all(app, links)
    url = page_url(funding_round)
    submit(client, url, {}, post_to=url + "/start")
    assert _db.session.get(RoundSecrecy, funding_round.id).ceremony is not None
    response = submit(client, url, {"reason": ""}, post_to=url + "/restart")
    assert response.status_code == 422
    error = soup(response).select_one("#reason-error").text
    assert "Enter why the key is being made again" in error
    reason = {"reason": "A trustee lost their laptop"}
    response = submit(client, url, reason, post_to=url + "/restart", follow=True)
    assert "The key will be made again" in text(response)
    _db.session.expire_all()
    assert _db.session.get(RoundSecrecy, funding_round.id).ceremony is None
    restarted = AuditEvent.action == "secrecy.key_restarted"
    event = _db.session.scalar(select(AuditEvent).where(restarted))
    assert "A trustee lost their laptop" in json.dumps(event.after)


def test_lost_key_files_are_recorded_and_the_page_says_what_they_mean(app, client, lambeth):
    made = sr.make_key(lambeth.council)
    sign_in(client, "officer@lambeth.example", PASSWORD)
    url = page_url(made.funding_round)
    page = get_page(client, url)
    assert "1 more trustee could lose their key file" in page.get_text()
    first, second = made.trustees[0].id, made.trustees[1].id
    response = submit(client, url, {}, post_to=f"{url}/{first}/lost")
    assert response.status_code == 302
    page = get_page(client, url)
    assert page.select_one("#one-loss-from-failure") is not None
    assert "Lost their key file" in page.get_text()
    submit(client, url, {}, post_to=f"{url}/{second}/lost")
    page = get_page(client, url)
    warning = " ".join(page.select_one("#cannot-decrypt").get_text().split())
    assert "Only 1 of the trustees still hold their share" in warning
    assert "Voting cannot open" in warning
    lost = _db.session.scalars(select(RoundTrustee.lost_at).order_by(RoundTrustee.position))
    assert [when is not None for when in lost] == [True, True, False]
    submit(client, url, {}, post_to=f"{url}/{second}/found")
    page = get_page(client, url)
    assert page.select_one("#cannot-decrypt") is None
    assert page.select_one("#one-loss-from-failure") is not None
