"""`flask seed-demo`: the demo councils, rounds in every phase, and logins that work."""

import json

from sqlalchemy import func, select

from app.demo import DEMO_PASSWORD
from app.workflow.models import Council, FundingRound, Phase, Pot, Proposal, User
from tests.app.pages import get_page, sign_in


def counts(db):
    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in (Council, FundingRound, Pot, Proposal, User)
    }


def test_seed_demo_builds_the_demo_and_is_idempotent(runner, db):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    first = counts(db)
    assert first["Council"] >= 4
    assert first["Proposal"] >= 24
    slugs = set(db.session.scalars(select(Council.slug)))
    assert {"lambeth", "liverpool", "rochdale", "oldham"} <= slugs

    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0, again.output
    db.session.expire_all()
    assert counts(db) == first


def test_rounds_cover_every_phase(runner, db):
    runner.invoke(args=["seed-demo"])
    phases = set(db.session.scalars(select(FundingRound.phase)))
    assert phases == set(Phase)


def test_lambeth_youth_round_is_split_by_need_weight_to_the_penny(runner, db):
    runner.invoke(args=["seed-demo"])
    youth = db.session.scalar(
        select(FundingRound).where(FundingRound.slug == "youth-services-2026")
    )
    pots = youth.pots
    assert len(pots) >= 4
    assert all(p.neighbourhood is not None for p in pots)
    assert sum(p.budget_pence for p in pots) == youth.total_budget_pence
    by_weight = sorted(pots, key=lambda p: p.neighbourhood.need_weight)
    assert [p.budget_pence for p in by_weight] == sorted(p.budget_pence for p in pots)
    # Brixton has the highest need weight (1.60) and Clapham the lowest (0.70).
    assert by_weight[-1].neighbourhood.name == "Brixton"
    assert by_weight[0].neighbourhood.name == "Clapham"


def test_printed_demo_logins_work(app, runner, client):
    app.config["SIGN_IN_RATE_LIMIT"] = "100 per minute"  # more demo logins than the normal limit
    result = runner.invoke(args=["seed-demo"])
    assert DEMO_PASSWORD in result.output
    emails = [line.split()[0] for line in result.output.splitlines() if "@" in line]
    assert {
        "officer.lambeth@devolve.example",
        "auditor@devolve.example",
        "resident@devolve.example",
    } <= set(emails)
    for email in emails:
        response = sign_in(client, email, DEMO_PASSWORD)
        assert response.status_code == 302, email
        assert client.get("/account/").status_code == 200
    sign_in(client, "officer.lambeth@devolve.example", DEMO_PASSWORD)
    page = get_page(client, "/officers/lambeth")
    assert "Parks and green spaces 2027" in page.get_text()


def test_demo_pages_render(runner, client):
    runner.invoke(args=["seed-demo"])
    for url in (
        "/",
        "/councils/lambeth",
        "/councils/lambeth/rounds/youth-services-2026",
        "/councils/oldham",
    ):
        get_page(client, url)


def test_demo_rounds_are_configured_scheduled_and_frozen_from_voting_on(runner, db, client):
    import json

    from app.workflow.models import Contribution, Proposal, ProposalReport, Support
    from app.workflow.rounds import canonical_json, manifest_hash

    runner.invoke(args=["seed-demo"])
    rounds = {r.slug: r for r in db.session.scalars(select(FundingRound))}
    youth = rounds["youth-services-2026"]
    assert (youth.min_age, youth.max_age, youth.home_pot_only) == (11, 25, True)
    for r in rounds.values():
        assert (r.manifest_hash is not None) == r.is_frozen, r.slug
        if r.manifest_hash:
            assert manifest_hash(r.manifest_json) == r.manifest_hash
            assert canonical_json(json.loads(r.manifest_json)) == r.manifest_json
        if r.phase != Phase.DRAFT:
            assert r.dates_for(r.phase) is not None, r.slug
    oldham = json.loads(rounds["community-dividend-2026"].manifest_json)
    van = next(p for p in oldham["pots"][0]["proposals"] if p["title"] == "Food bank delivery van")
    assert van["money_pledged_pence"] == 8_000_00
    assert van["cost_to_pot_pence"] == 30_000_00
    pledged = (
        select(func.count())
        .select_from(Contribution)
        .join(Proposal, Proposal.id == Contribution.proposal_id)
        .where(Proposal.round_id == rounds["community-dividend-2026"].id)
    )
    assert db.session.scalar(pledged) == 2
    assert db.session.scalar(select(func.count()).select_from(Support)) == 5
    assert db.session.scalar(select(func.count()).select_from(ProposalReport)) == 1
    page = get_page(client, "/councils/lambeth/rounds/youth-services-2026")
    assert youth.manifest_hash in page.select_one("#manifest-hash").get_text()
    assert "aged 11 to 25" in page.select_one("#eligibility").get_text()


def test_the_demo_publishes_real_results_in_its_first_council(runner, db, client):
    """Lambeth's published round has enough ballots in every pot for its results to show, and
    Oldham's published ranked round was frozen to count rank points."""
    from app.workflow.models import PotResult

    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    rounds = {r.slug: r for r in db.session.scalars(select(FundingRound))}
    youth = rounds["youth-services-2025"]
    assert youth.phase == Phase.PUBLISHED
    results = db.session.scalars(select(PotResult).where(PotResult.round_id == youth.id)).all()
    assert len(results) == len(youth.pots) == 6
    for result in results:
        assert result.ballot_count >= youth.min_ballots_to_publish, result.pot.name
        assert not result.withheld
        assert json.loads(result.outcome_json)["selected"], result.pot.name
    page = get_page(client, "/councils/lambeth/rounds/youth-services-2025/results")
    assert "withheld" not in page.get_text().lower()
    ranked = rounds["community-dividend-2026"]
    assert ranked.phase == Phase.PUBLISHED and ranked.ballot_kind == "ranked"
    assert json.loads(ranked.manifest_json)["ranked_scoring"] == "ranks"
    closed = rounds["neighbourhood-grants-2026"]
    assert closed.phase == Phase.CLOSED
    withheld = db.session.scalars(
        select(PotResult).where(PotResult.round_id == closed.id, PotResult.withheld)
    ).all()
    assert [r.pot.name for r in withheld] == ["Saddleworth"]


def test_the_secret_ballot_rehearsal_decrypts_with_the_printed_key_files(app, runner, db):
    """The demo's encrypted round is closed and shuffled; with the key files and passphrase
    the demo prints, a trustee's mix and two trustees' decryptions count it."""
    from pathlib import Path

    from app.demo import secret
    from app.workflow import results
    from app.workflow import secrecy as workflow
    from app.workflow.clock import utcnow
    from ballots.models import BallotMix
    from votes.secrecy import bundle, store
    from votes.secrecy.decryption import decrypt_share
    from votes.secrecy.group import scalar
    from votes.secrecy.shuffle import shuffle

    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert f"/trustee/{secret.link_token(2)}" in result.output
    assert f"passphrase: {secret.PASSPHRASE}" in result.output
    funding_round = db.session.scalar(
        select(FundingRound).where(FundingRound.slug == secret.ROUND_SLUG)
    )
    assert funding_round.phase == Phase.CLOSED
    assert results.results_for(db.session, funding_round) == []
    assert db.session.scalar(select(BallotMix.mixed_by)) == "the server"
    trustees = {t.position: t for t in workflow.trustees_of(db.session, funding_round)}
    assert workflow.trustee_by_link(db.session, secret.link_token(2)) == trustees[2]
    folder = Path(app.config["DEMO_TRUSTEE_KEYS"])
    [pot] = funding_round.pots

    task = workflow.mix_task(db.session, funding_round, pot.id)
    context, key, number, inputs = bundle.read_mix_task(task)
    outputs, proof = shuffle(inputs, key, context, number)
    mixed = bundle.mix_result(context, number, outputs, proof)
    workflow.upload_mix(db.session, trustees[2], pot.id, json.dumps(mixed))
    db.session.commit()
    for position in (1, 3):
        state = store.load(secret.key_file(folder, position), secret.PASSPHRASE)
        ceremony, context, vectors = bundle.read_decryption_task(
            workflow.decryption_task(db.session, funding_round, pot.id)
        )
        share = scalar(state["ceremonies"][ceremony]["share"], "share")
        shares = decrypt_share(vectors, share, position, context)
        upload = bundle.decryption_result(ceremony, context, position, shares)
        workflow.upload_decryption(
            db.session, trustees[position], pot.id, json.dumps(upload), now=utcnow()
        )
        db.session.commit()
    [counted] = results.results_for(db.session, funding_round)
    assert json.loads(counted.outcome_json)["selected"]


def test_the_demo_has_a_welsh_council_that_speaks_welsh_first(runner, db, client):
    """Cyngor Sir Ynys Môn: bilingual, Welsh first, texts in Welsh with their English; one
    proposal in Welsh only and one in English only; a round in voting and last year's results
    published in every area; its demo people chose Welsh."""
    from app.workflow import languages
    from app.workflow.models import PotResult

    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    council = db.session.scalar(select(Council).where(Council.slug == "ynys-mon"))
    assert council.spoken_languages == ("cy", "en")
    assert languages.texts(council, "name") == {
        "cy": "Cyngor Sir Ynys Môn",
        "en": "Isle of Anglesey County Council",
    }
    hoods = {h.name: languages.texts(h, "name") for h in council.neighbourhoods}
    assert hoods["Caergybi"] == {"cy": "Caergybi", "en": "Holyhead"}
    rounds = {
        r.slug: r
        for r in db.session.scalars(
            select(FundingRound).where(FundingRound.council_id == council.id)
        )
    }
    assert rounds["grantiau-cymunedol-2026"].phase == Phase.VOTING
    published = rounds["grantiau-cymunedol-2025"]
    assert published.phase == Phase.PUBLISHED
    results = db.session.scalars(select(PotResult).where(PotResult.round_id == published.id)).all()
    assert len(results) == 5 and not any(r.withheld for r in results)
    by_title = {p.title: p for p in rounds["grantiau-cymunedol-2026"].proposals}
    assert languages.texts(by_title["Ffilmiau yn yr awyr agored"], "title") == {
        "cy": "Ffilmiau yn yr awyr agored"
    }
    assert by_title["Beach clean-up kit library"].language == "en"
    assert languages.texts(by_title["Bws mini cymunedol"], "title") == {
        "cy": "Bws mini cymunedol",
        "en": "Community minibus",
    }
    resident = db.session.scalar(
        select(User).where(User.email == "preswylydd@ynysmon.devolve.example")
    )
    assert resident.language == "cy"

    # Someone who has not chosen a language gets Welsh; the switch offers English.
    page = client.get("/councils/ynys-mon").get_data(as_text=True)
    assert '<html lang="cy"' in page and "Cyngor Sir Ynys Môn" in page
    assert 'hreflang="en"' in page
    english = client.get("/councils/ynys-mon?lang=en").get_data(as_text=True)
    assert '<html lang="en"' in english and "Isle of Anglesey County Council" in english


def test_the_demo_has_a_decision_day_event_on_now(runner, db):
    from app.workflow import events
    from app.workflow.clock import utcnow
    from app.workflow.models import Event

    runner.invoke(args=["seed-demo"])
    event = db.session.scalar(select(Event))
    assert event.round.slug == "youth-services-2026"
    assert events.is_open(event, utcnow())
    assert [o.email for o in event.officers] == ["officer.lambeth@devolve.example"]
    runner.invoke(args=["seed-demo"])
    assert db.session.scalar(select(func.count()).select_from(Event)) == 1


def test_the_demo_has_a_tenants_and_staff_housing_cooperative(runner, db):
    from app.demo import coop
    from app.workflow.organisations import Member, Organisation, eligible_members

    result = runner.invoke(args=["seed-demo"])
    assert coop.CHAIR in result.output and "Chair of Hollingworth" in result.output
    organisation = db.session.scalar(select(Organisation).where(Organisation.slug == coop.SLUG))
    assert organisation.council.slug == "rochdale"
    assert {c.code for c in organisation.classes} == {"tenant", "employee"}
    assert {(o.user.email, o.role.value) for o in organisation.officers} == {
        (coop.SECRETARY, "secretary"),
        (coop.CHAIR, "chair"),
    }
    members = db.session.scalars(select(Member).where(Member.organisation_id == organisation.id))
    by_class = {}
    for m in members:
        by_class[m.membership_class.code] = by_class.get(m.membership_class.code, 0) + 1
    assert by_class == {"tenant": coop.TENANTS, "employee": coop.EMPLOYEES}
    tenant = db.session.scalar(select(User).where(User.email == coop.TENANT))
    assert (
        db.session.scalar(select(Member.member_number).where(Member.account_id == tenant.id))
        == "T0001"
    )
    from app.workflow.clock import london_today

    assert len(eligible_members(db.session, organisation, london_today())) == 64
    runner.invoke(args=["seed-demo"])
    assert db.session.scalar(select(func.count()).select_from(Member)) == 64


def test_the_cooperatives_agm_is_under_way_with_proxies_and_a_rule_change_open(runner, db, client):
    from app.demo import coop
    from app.workflow.governance.models import ItemState, Meeting, MeetingState, Proxy
    from ballots.members import turnout

    runner.invoke(args=["seed-demo"])
    agm = db.session.scalar(select(Meeting).where(Meeting.title == coop.MEETING_TITLE))
    assert agm.state is MeetingState.OPEN
    assert agm.chair.email == coop.CHAIR
    assert agm.record_date < agm.starts_at.date()
    assert db.session.scalar(select(func.count()).where(Proxy.meeting_id == agm.id)) == len(
        coop.PROXIES
    )
    rule_change = next(i for i in agm.items if i.title == coop.RULE_CHANGE)
    assert rule_change.state is ItemState.OPEN
    assert rule_change.threshold.value == "special"
    assert turnout(db.session, rule_change.id).voted == 24
    election = next(i for i in agm.items if i.title == coop.ELECTION_TITLE)
    assert election.state is ItemState.DECLARED
    result = json.loads(election.result_json)
    elected = {c["name"]: len(c["count"]["elected"]) for c in result["constituencies"]}
    assert elected == {"Tenants": 6, "Employees": 4}
    assert all(len(c["count"]["stages"]) > 1 for c in result["constituencies"])
    page = client.get(f"/organisations/{agm.organisation_id}/elections/{election.id}/declaration")
    assert page.status_code == 200
    runner.invoke(args=["seed-demo"])
    assert db.session.scalar(select(func.count()).select_from(Meeting)) == 1


def test_the_demo_network_has_years_of_published_rounds_to_compare(runner, db, client):
    """Earlier rounds of the demo councils and two councils more, each counted, published and
    (but the newest) delivered through the workflow: the network's pages have years, ballot
    kinds and rules to compare, and every counted pot its stored figures."""
    from app.workflow import network
    from app.workflow.models import PotFigures, PotResult

    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    everyone = network.compute(db.session)
    rounds = everyone.rounds
    assert {"salford", "stevenage"} <= {c.council.slug for c in everyone.members}
    assert {2023, 2024, 2025} <= {r.year for r in rounds}
    assert {"approval", "knapsack", "cumulative", "ranked"} <= {r.ballot_kind for r in rounds}
    assert any(r.greedy is not None and (r.greedy.gained or r.greedy.dropped) for r in rounds)
    assert any(r.delivered and r.partner_pence for r in rounds)
    counted = db.session.scalar(
        select(func.count()).select_from(PotResult).where(PotResult.withheld.is_(False))
    )
    assert db.session.scalar(select(func.count()).select_from(PotFigures)) == counted
    for url in ("/", "/network/compare?view=rounds", "/network/what-worked?order=delivered"):
        page = get_page(client, url)
        assert "Salford City Council" in page.get_text(), url
