"""Residents propose, edit, withdraw, support and report; officers review, merge, hide and
record partners' contributions; every officer action is in the round's audit log."""

import pytest
from sqlalchemy import func, select

from app.workflow import proposals
from app.workflow.errors import DomainError, WrongPhase
from app.workflow.models import (
    AuditEvent,
    Contribution,
    Phase,
    Proposal,
    ProposalReport,
    ProposalStatus,
    Support,
)
from app.workflow.proposals import hide_proposal, report_proposal
from tests.app.pages import error_messages, get_page, sign_in, soup, submit
from tests.factories import PASSWORD, create_proposal

ROUND = "/councils/lambeth/rounds/r"
MANAGE = "/officers/lambeth/rounds/r"


def actions(db):
    return [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def idea(target, **overrides):
    return {
        "title": "Late-night youth club",
        "summary": "Open until 10pm.",
        "description": "Fridays and Saturdays.",
        "pot": str(target.id),
        "category": "Youth",
        "estimated_cost": "18,000",
        "location": "Brixton",
        **overrides,
    }


def test_a_resident_proposes_and_sees_it_shown_as_plain_text(client, db, lambeth, open_round):
    sign_in(client, "resident@lambeth.example", PASSWORD)
    brixton = open_round.pots[0]
    response = submit(
        client, f"{ROUND}/propose", idea(brixton, description="<script>alert(1)</script> **bold**")
    )
    assert response.status_code == 302
    proposal = db.session.scalar(select(Proposal))
    assert (proposal.estimated_cost_pence, proposal.author_id, proposal.pot_id) == (
        18_000_00,
        lambeth.resident.id,
        brixton.id,
    )
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; **bold**" in page
    assert "<script>alert(1)" not in page
    assert actions(db) == ["proposal.submitted"]
    account = get_page(client, "/account/")
    assert "Late-night youth club" in account.select_one("#your-proposals").get_text()


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"estimated_cost": "-5"}, "estimated_cost", "Estimated cost must not be negative"),
        ({"estimated_cost": "0"}, "estimated_cost", "The cost must be more than £0"),
        (
            {"estimated_cost": "20,000.01"},
            "estimated_cost",
            "The cost must not be more than the Brixton pot's budget of £20,000",
        ),
        ({"estimated_cost": "lots"}, "estimated_cost", "Enter the estimated cost in pounds"),
        ({"title": ""}, "title", "Enter a title"),
        ({"title": "x" * 121}, "title", "Title must be 120 characters or fewer"),
        ({"pot": "999999"}, "pot", "Select a pot from the list"),
    ],
)
def test_bad_proposals_are_refused_beside_the_field(
    client, db, lambeth, open_round, overrides, field, message
):
    sign_in(client, "resident@lambeth.example", PASSWORD)
    response = submit(client, f"{ROUND}/propose", idea(open_round.pots[0], **overrides))
    assert message in error_messages(soup(response))[field]
    assert db.session.scalar(select(func.count()).select_from(Proposal)) == 0


def test_another_rounds_pot_is_refused(client, db, lambeth, open_round):
    sign_in(client, "resident@lambeth.example", PASSWORD)
    response = submit(client, f"{ROUND}/propose", idea(lambeth.scouse_round.pots[0]))
    assert "Select a pot from the list" in error_messages(soup(response))["pot"]
    assert db.session.scalar(select(func.count()).select_from(Proposal)) == 0


def test_proposals_are_refused_when_the_phase_is_closed(client, db, lambeth, open_round):
    sign_in(client, "resident@lambeth.example", PASSWORD)
    token_page = client.get(f"{ROUND}/propose")
    open_round.phase = Phase.REVIEW
    db.session.commit()
    token = soup(token_page).select_one("main form input[name=csrf_token]")["value"]
    response = client.post(
        f"{ROUND}/propose", data={"csrf_token": token, **idea(open_round.pots[0])}
    )
    assert (
        "only while proposals are open; this round is in review"
        in error_messages(soup(response))["title"]
    )
    assert db.session.scalar(select(func.count()).select_from(Proposal)) == 0


def test_residents_of_another_council_cannot_propose(client, db, lambeth, open_round):
    sign_in(client, "resident@liverpool.example", PASSWORD)
    get_page(client, f"{ROUND}/propose", status=403)


def test_the_author_edits_and_withdraws_until_review_starts(client, db, lambeth, open_round):
    p = create_proposal(open_round.pots[0], author=lambeth.resident, cost_pence=1_000_00)
    db.session.commit()
    sign_in(client, "resident@lambeth.example", PASSWORD)
    url = f"{ROUND}/proposals/{p.id}"
    response = submit(
        client,
        f"{url}/edit",
        idea(open_round.pots[1], title="Clapham club", estimated_cost="9,999.99"),
    )
    assert response.status_code == 302
    db.session.refresh(p)
    assert (p.title, p.pot_id, p.estimated_cost_pence) == (
        "Clapham club",
        open_round.pots[1].id,
        9_999_99,
    )
    response = submit(client, f"{url}/edit", idea(open_round.pots[1], estimated_cost="10,000.01"))
    assert "£10,000" in error_messages(soup(response))["estimated_cost"]
    # Someone else's proposal is not theirs to change.
    sign_in(client, "neighbour@lambeth.example", PASSWORD)
    get_page(client, f"{url}/edit", status=403)
    sign_in(client, "resident@lambeth.example", PASSWORD)
    assert submit(client, f"{url}/withdraw", {}).status_code == 302
    db.session.refresh(p)
    assert p.status == ProposalStatus.WITHDRAWN
    assert client.get(url).status_code == 200  # the author still sees it
    sign_in(client, "neighbour@lambeth.example", PASSWORD)
    assert client.get(url).status_code == 404
    assert actions(db) == ["proposal.edited", "proposal.withdrawn"]


def test_editing_after_review_starts_is_refused(client, db, lambeth, open_round):
    p = create_proposal(open_round.pots[0], author=lambeth.resident, cost_pence=1_000_00)
    db.session.commit()
    sign_in(client, "resident@lambeth.example", PASSWORD)
    page = client.get(f"{ROUND}/proposals/{p.id}/edit")
    open_round.phase = Phase.REVIEW
    db.session.commit()
    token = soup(page).select_one("main form input[name=csrf_token]")["value"]
    response = client.post(
        f"{ROUND}/proposals/{p.id}/edit",
        data={"csrf_token": token, **idea(open_round.pots[0], title="Late")},
    )
    assert "only while proposals are open" in error_messages(soup(response))["title"]
    db.session.refresh(p)
    assert p.title != "Late"


# --- Review ---------------------------------------------------------------------------------


@pytest.fixture
def in_review(db, lambeth, open_round):
    open_round.phase = Phase.REVIEW
    a = create_proposal(
        open_round.pots[0], title="Youth club", author=lambeth.resident, cost_pence=5_000_00
    )
    b = create_proposal(open_round.pots[0], title="Youth club again", cost_pence=5_000_00)
    db.session.commit()
    return a, b


def test_officers_review_feasibility_with_a_public_reason_and_final_cost(
    client, db, lambeth, open_round, in_review
):
    a, b = in_review
    sign_in(client, "officer@lambeth.example", PASSWORD)
    response = submit(
        client,
        f"{MANAGE}/proposals/{a.id}",
        {"decision": "feasible", "final_cost": "6,500.50", "reason": "Costed by the youth team."},
    )
    assert response.status_code == 302
    response = submit(
        client,
        f"{MANAGE}/proposals/{b.id}",
        {"decision": "feasible", "final_cost": "", "reason": "ok"},
    )
    assert (
        "Enter the final cost of a feasible proposal"
        in error_messages(soup(response))["final_cost"]
    )
    response = submit(
        client,
        f"{MANAGE}/proposals/{b.id}",
        {"decision": "feasible", "final_cost": "20,000.01", "reason": "ok"},
    )
    assert (
        "must not be more than the Brixton pot's budget"
        in error_messages(soup(response))["final_cost"]
    )
    response = submit(
        client, f"{MANAGE}/proposals/{b.id}", {"decision": "not_feasible", "reason": ""}
    )
    assert "Enter the reason" in error_messages(soup(response))["reason"]
    db.session.refresh(a)
    db.session.refresh(b)
    assert (a.status, a.final_cost_pence, a.review_reason) == (
        ProposalStatus.FEASIBLE,
        6_500_50,
        "Costed by the youth team.",
    )
    assert b.status == ProposalStatus.SUBMITTED
    page = get_page(client, f"{ROUND}/proposals/{a.id}")
    text = " ".join(page.get_text().split())
    assert "Feasible: Costed by the youth team." in text and "£6,500.50" in text
    [event] = [e for e in db.session.scalars(select(AuditEvent)) if e.action == "proposal.reviewed"]
    assert event.before == {"status": "submitted", "final_cost_pence": None, "review_reason": ""}
    assert event.after["final_cost_pence"] == 6_500_50 and event.actor_id == lambeth.officer.id
    queue = get_page(client, f"{MANAGE}/proposals")
    assert "Youth club again" in queue.get_text()


def test_merging_a_duplicate_takes_it_off_the_ballot(client, db, lambeth, open_round, in_review):
    a, b = in_review
    sign_in(client, "officer@lambeth.example", PASSWORD)
    response = submit(
        client,
        f"{MANAGE}/proposals/{b.id}/merge",
        {"into": str(lambeth.scouse_round.id + 999), "reason": "Same idea"},
    )
    assert "Select a proposal of this round to merge into" in error_messages(soup(response))["into"]
    assert (
        submit(
            client, f"{MANAGE}/proposals/{b.id}/merge", {"into": str(a.id), "reason": "Same idea"}
        ).status_code
        == 302
    )
    db.session.refresh(b)
    assert (b.status, b.merged_into_id) == (ProposalStatus.MERGED, a.id)
    page = get_page(client, f"{ROUND}/proposals/{b.id}")
    assert "Merged into Youth club" in " ".join(page.get_text().split())


def test_hiding_abusive_content_tells_the_author_and_hides_it_from_the_public(
    client, db, lambeth, open_round, in_review
):
    a, _ = in_review
    sign_in(client, "neighbour@lambeth.example", PASSWORD)
    assert (
        submit(
            client, f"{ROUND}/proposals/{a.id}/report", {"reason": "It names a neighbour"}
        ).status_code
        == 302
    )
    response = submit(client, f"{ROUND}/proposals/{a.id}/report", {"reason": "again"})
    assert "You have already reported this proposal" in error_messages(soup(response))["reason"]
    assert db.session.scalar(select(func.count()).select_from(ProposalReport)) == 1

    sign_in(client, "officer@lambeth.example", PASSWORD)
    queue = get_page(client, f"{MANAGE}/proposals")
    first_row = queue.select("tbody tr")[0].get_text()
    assert "Youth club" in first_row and "reported once" in first_row
    response = submit(client, f"{MANAGE}/proposals/{a.id}/moderation", {"reason": ""})
    assert "Enter the reason" in error_messages(soup(response))["reason"]
    assert (
        submit(
            client,
            f"{MANAGE}/proposals/{a.id}/moderation",
            {"reason": "Personal details of a neighbour"},
        ).status_code
        == 302
    )
    db.session.refresh(a)
    assert a.hidden_at is not None and a.reports[0].resolved_at is not None

    sign_in(client, "neighbour@lambeth.example", PASSWORD)
    assert client.get(f"{ROUND}/proposals/{a.id}").status_code == 404
    assert "Youth club" not in get_page(client, ROUND).select_one(
        "main section"
    ).get_text().replace("Youth club again", "")
    sign_in(client, "resident@lambeth.example", PASSWORD)
    account = get_page(client, "/account/").select_one("#your-proposals").get_text()
    assert "Hidden by moderators: Personal details of a neighbour" in " ".join(account.split())
    assert (
        "Personal details"
        in get_page(client, f"{ROUND}/proposals/{a.id}").select_one("#hidden-reason").get_text()
    )
    assert actions(db)[-2:] == ["proposal.flagged", "proposal.hidden"]


# --- Supports ---------------------------------------------------------------------------------


def support(client, p, action="support"):
    url = f"{ROUND}/proposals/{p.id}"
    return submit(
        client,
        url,
        {"action": action},
        post_to=f"{url}/support",
        form_selector=f"form[action='{url}/support']",
    )


def test_a_proposal_shows_its_proposers_name_as_registration_promises(
    client, db, lambeth, open_round, in_review
):
    from app.web.forms.auth import RegisterForm

    a, b = in_review
    # The registration form says the name is "Shown beside proposals you make".
    assert "beside proposals you make" in RegisterForm.display_name.kwargs["description"]
    page = get_page(client, f"{ROUND}/proposals/{a.id}")
    assert page.select_one("#proposer").get_text(strip=True) == "Proposed by Jordan"
    # A proposal whose author has closed their account says so instead of a name.
    page = get_page(client, f"{ROUND}/proposals/{b.id}")
    assert "has since closed their account" in page.select_one("#proposer").get_text()


def test_an_author_is_not_offered_to_report_their_own_proposal(
    client, db, lambeth, open_round, in_review
):
    a, b = in_review
    sign_in(client, "resident@lambeth.example", PASSWORD)
    own = get_page(client, f"{ROUND}/proposals/{a.id}")
    assert own.select_one(f"a[href$='/proposals/{a.id}/report']") is None
    other = get_page(client, f"{ROUND}/proposals/{b.id}")
    assert other.select_one(f"a[href$='/proposals/{b.id}/report']")
    report = get_page(client, f"{ROUND}/proposals/{a.id}/report")
    assert report.select_one("#own-proposal") and report.select_one("main form") is None


def test_reporting_your_own_proposal_is_refused_and_changes_nothing(
    client, db, lambeth, open_round, in_review
):
    a, _ = in_review
    sign_in(client, "resident@lambeth.example", PASSWORD)
    before = actions(db)
    for reason in ("It is rude", ""):
        response = submit(
            client,
            f"{ROUND}/proposals/{a.id}/report",
            {"reason": reason},
            form_selector="form[method=post]",
            follow=True,
        )
        banner = soup(response).select_one(".govuk-notification-banner").get_text()
        assert "You cannot report your own proposal" in banner
    assert db.session.scalar(select(func.count()).select_from(ProposalReport)) == 0
    assert actions(db) == before
    with pytest.raises(DomainError, match="your own proposal"):
        report_proposal(db.session, a, user=lambeth.resident, reason="rude")


def test_residents_support_once_each_and_the_threshold_decides_the_ballot(
    client, db, lambeth, open_round, supporting
):
    from app.workflow.rounds import ballot_proposals

    sign_in(client, "resident@lambeth.example", PASSWORD)
    support(client, supporting)
    assert (
        client.post(
            f"{ROUND}/proposals/{supporting.id}/support",
            data={
                "csrf_token": soup(client.get("/auth/sign-in")).select_one(
                    "input[name=csrf_token]"
                )["value"],
                "action": "support",
            },
        ).status_code
        == 302
    )
    assert db.session.scalar(select(func.count()).select_from(Support)) == 1
    assert ballot_proposals(db.session, open_round) == []
    sign_in(client, "neighbour@lambeth.example", PASSWORD)
    support(client, supporting)
    db.session.expire_all()
    assert [p.title for p in ballot_proposals(db.session, open_round)] == ["Skate park"]
    page = get_page(client, f"{ROUND}/proposals/{supporting.id}")
    assert "You support this proposal" in page.get_text()
    support(client, supporting, "unsupport")
    assert db.session.scalar(select(func.count()).select_from(Support)) == 1


def test_one_support_per_resident_is_the_databases_rule(db, lambeth, open_round, supporting):
    from sqlalchemy.exc import IntegrityError

    db.session.add(Support(proposal_id=supporting.id, user_id=lambeth.resident.id))
    db.session.commit()
    db.session.add(Support(proposal_id=supporting.id, user_id=lambeth.resident.id))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    assert proposals.support(db.session, supporting, user=lambeth.resident) is False


def test_supports_are_refused_outside_the_supports_phase_and_for_other_councils(
    client, db, lambeth, open_round, supporting
):
    open_round.phase = Phase.REVIEW
    db.session.commit()
    with pytest.raises(WrongPhase):
        proposals.support(db.session, supporting, user=lambeth.resident)
    sign_in(client, "resident@liverpool.example", PASSWORD)
    token = soup(client.get("/auth/sign-in")).select_one("input[name=csrf_token]")["value"]
    response = client.post(
        f"{ROUND}/proposals/{supporting.id}/support",
        data={"csrf_token": token, "action": "support"},
    )
    assert response.status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Support)) == 0


# --- Partner contributions ----------------------------------------------------------------------


def test_partner_money_comes_off_what_the_pot_pays(client, db, lambeth, open_round, in_review):
    a, _ = in_review
    a.status, a.final_cost_pence = ProposalStatus.FEASIBLE, 10_000_00
    db.session.commit()
    sign_in(client, "officer@lambeth.example", PASSWORD)
    url = f"{MANAGE}/proposals/{a.id}/contributions"
    form = "#contribution-form"
    assert (
        submit(
            client,
            url,
            {"partner_name": "Co-op Partners", "kind": "money", "amount": "2,500"},
            form_selector=form,
        ).status_code
        == 302
    )
    assert (
        submit(
            client,
            url,
            {"partner_name": "Volunteers", "kind": "in_kind", "description": "Two drivers"},
            form_selector=form,
        ).status_code
        == 302
    )
    for data, field, message in [
        (
            {"partner_name": "X", "kind": "money", "amount": ""},
            "amount",
            "Enter the amount pledged",
        ),
        ({"partner_name": "X", "kind": "money", "amount": "-1"}, "amount", "must not be negative"),
        (
            {"partner_name": "X", "kind": "money", "amount": "7,500"},
            "amount",
            "covers the whole cost of £10,000",
        ),
        (
            {"partner_name": "", "kind": "money", "amount": "1"},
            "partner_name",
            "Enter the partner's name",
        ),
        ({"partner_name": "X", "kind": "gold", "amount": "1"}, "kind", "Select money or in kind"),
    ]:
        response = submit(client, url, data, form_selector=form)
        assert message in error_messages(soup(response))[field], data
    db.session.refresh(a)
    assert (a.money_pledged_pence, a.cost_to_pot_pence) == (2_500_00, 7_500_00)
    text = " ".join(get_page(client, f"{ROUND}/proposals/{a.id}").get_text().split())
    assert "Money pledged by partners £2,500.00" in text
    assert "Cost to the pot £7,500.00" in text
    assert "Volunteers: Two drivers" in text
    assert db.session.scalar(select(func.count()).select_from(Contribution)) == 2
    assert actions(db) == ["contribution.recorded", "contribution.recorded"]


# --- Audit log ----------------------------------------------------------------------------------


def test_the_audit_log_is_for_the_councils_auditors_and_officers(
    client, db, lambeth, open_round, in_review
):
    a, _ = in_review
    hide_proposal(
        db.session,
        a,
        actor=lambeth.officer,
        reason="Abusive",
        now=__import__("ballots.db").db.utcnow(),
    )
    db.session.commit()
    for email in ("auditor@lambeth.example", "officer@lambeth.example"):
        sign_in(client, email, PASSWORD)
        page = get_page(client, "/auditors/lambeth/rounds/r")
        row = page.select_one("#audit-log tbody tr")
        assert row["data-action"] == "proposal.hidden"
        assert "Priya" in row.get_text() and "Abusive" in row.get_text()
    for email in ("resident@lambeth.example", "officer@liverpool.example"):
        sign_in(client, email, PASSWORD)
        get_page(client, "/auditors/lambeth/rounds/r", status=403)
    sign_in(client, "officer@liverpool.example", PASSWORD)
    get_page(client, "/auditors/liverpool/rounds/r", status=404)


def test_another_councils_ids_are_not_found(client, db, lambeth, open_round, in_review):
    a, _ = in_review
    sign_in(client, "officer@liverpool.example", PASSWORD)
    for url in (
        f"/officers/liverpool/rounds/environment/proposals/{a.id}",
        f"/officers/liverpool/rounds/environment/proposals/{a.id}/moderation",
        "/officers/liverpool/rounds/r",
    ):
        get_page(client, url, status=404)
    token = soup(client.get("/auth/sign-in")).select_one("input[name=csrf_token]")["value"]
    response = client.post(
        f"/officers/liverpool/rounds/environment/proposals/{a.id}",
        data={"csrf_token": token, "decision": "not_feasible", "reason": "mine now"},
    )
    assert response.status_code == 404
    db.session.refresh(a)
    assert a.status == ProposalStatus.SUBMITTED and actions(db) == []
