"""Pages anyone can read: the network of councils, a council, a round."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, g, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.web.extensions import csrf, db
from app.web.presenters import maps
from app.web.presenters import methods as voting_methods
from app.web.presenters.phases import what_happens_next
from app.workflow import delivery, outbox, proposals, rounds, voting
from app.workflow.models import (
    Council,
    FundingRound,
    Phase,
    Pot,
    Proposal,
    Role,
    Support,
)
from ballots import box

bp = Blueprint("public", __name__)


def council_or_404(slug: str) -> Council:
    council = db.session.scalar(select(Council).where(Council.slug == slug))
    if council is None:
        abort(404)
    g.council = council  # the base template brands the page with it
    return council


def can_see_drafts(council: Council) -> bool:
    return current_user.is_authenticated and current_user.has_role(council, Role.OFFICER)


def round_or_404(council: Council, round_slug: str) -> FundingRound:
    funding_round = rounds.find_round(db.session, council, round_slug)
    # A draft is nobody's business but the council's officers': it does not exist for others.
    if funding_round is None or (not funding_round.is_public and not can_see_drafts(council)):
        abort(404)
    return funding_round


def council_and_round_or_404(slug: str, round_slug: str) -> tuple[Council, FundingRound]:
    """The council and its round in one query (404 when either is missing, or the round is a
    draft the visitor may not see), for the pages residents use most."""
    row = db.session.execute(
        select(Council, FundingRound)
        .join(FundingRound, FundingRound.council_id == Council.id)
        .where(Council.slug == slug, FundingRound.slug == round_slug)
    ).one_or_none()
    if row is None:
        abort(404)
    council, funding_round = row
    g.council = council
    if not funding_round.is_public and not can_see_drafts(council):
        abort(404)
    return council, funding_round


@bp.route("/")
def home():
    """The network's home: every council on the deployment; for each in the network, its
    rounds, the money it has devolved, the residents who voted and delivery so far (from
    stored figures: ``app.workflow.network``)."""
    from app.web.network import current_network
    from app.web.presenters.network import Totals

    network = current_network()
    councils = {c.id: c for c in db.session.scalars(select(Council).order_by(Council.name))}
    members = [(councils[c.council.id], c) for c in network.members if c.council.id in councils]
    others = [councils[c.council.id] for c in network.councils if not c.in_network]
    return render_template(
        "public/home.html",
        members=members,
        others=others,
        totals=Totals.of(network.rounds, sum(c.residents for c in network.members)),
        published=len(network.rounds),
    )


@bp.route("/councils/<slug>")
def council(slug: str):
    council = council_or_404(slug)
    rounds = [r for r in council.rounds if r.is_public or can_see_drafts(council)]
    by_phase: dict[Phase, list[FundingRound]] = {}
    for r in rounds:
        by_phase.setdefault(r.phase, []).append(r)
    phases = [(phase, by_phase[phase]) for phase in Phase if phase in by_phase]
    return render_template("public/council.html", council=council, phases=phases)


# Proposals listed on each page of a round page: a round can have thousands.
PROPOSALS_PER_PAGE = 50


@dataclass(frozen=True)
class PotListing:
    """A pot on the round page: how many proposals it has, the page its list starts on, and
    the proposals of the page being shown."""

    pot: Pot
    count: int
    first_page: int
    proposals: list[Proposal]


def pagination_items(page: int, last: int, href) -> list[dict]:
    """GOV.UK pagination items: the first and last pages, the current one and its neighbours,
    with ellipses between."""
    wanted = sorted({1, last, page - 1, page, page + 1} & set(range(1, last + 1)))
    items: list[dict] = []
    previous = 0
    for number in wanted:
        if number > previous + 1:
            items.append({"ellipsis": True})
        items.append(
            {
                "number": number,
                "href": href(number),
                "current": number == page,
                "visuallyHiddenText": _("Page %(number)s", number=number),
            }
        )
        previous = number
    return items


def round_listing(funding_round: FundingRound, page: int) -> tuple[list[PotListing], int, int]:
    """The pots with their proposal counts and the proposals on ``page`` (pots in order, then
    titles), the number of pages and of proposals. Three queries, whatever the number of
    proposals: the counts per pot, the page's proposals and their partners' contributions.
    Aborts with 404 for a page that does not exist."""
    counts = dict(
        db.session.execute(
            select(Proposal.pot_id, func.count())
            .where(*proposals.public_in_round(funding_round))
            .group_by(Proposal.pot_id)
        ).all()
    )
    total = sum(counts.values())
    pages = max(1, -(-total // PROPOSALS_PER_PAGE))
    if page < 1 or page > pages:
        abort(404)
    on_page = db.session.scalars(
        select(Proposal)
        .join(Pot, Pot.id == Proposal.pot_id)
        .where(*proposals.public_in_round(funding_round))
        .order_by(Pot.position, Pot.id, Proposal.title, Proposal.id)
        .offset((page - 1) * PROPOSALS_PER_PAGE)
        .limit(PROPOSALS_PER_PAGE)
        .options(selectinload(Proposal.contributions))
    ).all()
    by_pot: dict[int, list[Proposal]] = {}
    for p in on_page:
        by_pot.setdefault(p.pot_id, []).append(p)
    listing, before = [], 0
    for pot in sorted(funding_round.pots, key=lambda p: (p.position, p.id)):
        n = counts.get(pot.id, 0)
        listing.append(PotListing(pot, n, before // PROPOSALS_PER_PAGE + 1, by_pot.get(pot.id, [])))
        before += n
    return listing, pages, total


def page_support_counts(proposals: list[Proposal]) -> dict[int, int]:
    """Supports for these proposals only (one query), not for the whole round."""
    if not proposals:
        return {}
    return dict(
        db.session.execute(
            select(Support.proposal_id, func.count())
            .where(Support.proposal_id.in_([p.id for p in proposals]))
            .group_by(Support.proposal_id)
        ).all()
    )


def _signed_in():
    """The signed-in user, or None, for the workflow's rules."""
    return current_user if current_user.is_authenticated else None


@bp.route("/councils/<slug>/rounds/<round_slug>")
def funding_round(slug: str, round_slug: str):
    council = council_or_404(slug)
    funding_round = round_or_404(council, round_slug)
    page = request.args.get("page", 1, type=int)
    listing, pages, total = round_listing(funding_round, page)
    shown = [p for item in listing for p in item.proposals]

    def href(number: int, anchor: str = "proposals") -> str:
        page_arg = number if number > 1 else None
        url = url_for("public.funding_round", slug=slug, round_slug=round_slug, page=page_arg)
        return f"{url}#{anchor}"

    return render_template(
        "public/round.html",
        council=council,
        round=funding_round,
        **_listing_context(listing, page, pages, total, len(shown), href),
        supports=page_support_counts(shown),
        **_round_facts(funding_round),
        can_vote=voting.offers_voting(funding_round, _signed_in()),
        can_propose=proposals.can_propose(funding_round, _signed_in()),
        # The map of every proposal (not only this page's), on every page of the list.
        **maps.round_map(council, funding_round, session=db.session),
    )


def _listing_context(listing, page: int, pages: int, total: int, shown: int, href) -> dict:
    """The round page's list of proposals: this page's, and the links to the others."""
    return {
        "listing": listing,
        "page": page,
        "pages": pages,
        "total": total,
        "first_shown": (page - 1) * PROPOSALS_PER_PAGE + 1,
        "last_shown": (page - 1) * PROPOSALS_PER_PAGE + shown,
        "pagination": {
            "items": pagination_items(page, pages, href),
            "previous": {"href": href(page - 1), "html": _previous()} if page > 1 else None,
            "next": {"href": href(page + 1), "html": _next()} if page < pages else None,
            "landmarkLabel": _("Pagination"),
        },
        "page_href": href,
    }


def _previous() -> Markup:
    # GOV.UK's own "Previous page" link, in the page's language (the markup is ours).
    return Markup(_('Previous<span class="govuk-visually-hidden"> page</span>'))  # noqa: S704


def _next() -> Markup:
    return Markup(_('Next<span class="govuk-visually-hidden"> page</span>'))  # noqa: S704


def _round_facts(funding_round: FundingRound) -> dict:
    """What the round page says about the round: its phases, how it votes and counts, its
    ballot log's head, whether its results are out and how its funded projects are going."""
    published = proposals.results_published(funding_round)
    return {
        "phases": rounds.phases_of(funding_round),
        "next_text": what_happens_next(funding_round),
        "descriptions": rounds.PHASE_DESCRIPTIONS,
        "first_day": rounds.first_day,
        "last_day": rounds.last_day,
        "ballot_text": voting_methods.describe_ballot(funding_round),
        "rule_label": voting_methods.RULE_LABELS.get(funding_round.rule, funding_round.rule),
        "rule_text": voting_methods.describe_rule(funding_round.rule),
        "scoring_text": voting_methods.describe_ranked_scoring(funding_round),
        "extensions": rounds.voting_extensions(db.session, funding_round),
        "tie_text": voting_methods.describe_tie_break(funding_round.tie_break),
        "eligibility_text": voting_methods.describe_eligibility(funding_round),
        "log_head": box.log_head(db.session, funding_round.id),
        "published": published,
        "progress": delivery.round_progress(db.session, funding_round) if published else [],
    }


@bp.route("/councils/<slug>/rounds/<round_slug>/proposals/<int:proposal_id>")
def proposal(slug: str, round_slug: str, proposal_id: int):
    from app.web.forms.proposals import SupportForm
    from app.web.views import proposal_in_round_or_404

    council = council_or_404(slug)
    funding_round = round_or_404(council, round_slug)
    proposal = proposal_in_round_or_404(funding_round, proposal_id)
    may = proposals.permissions(proposal, _signed_in())
    if not may.can_see:
        abort(404)
    return render_template(
        "public/proposal.html",
        back_to_ballot=_back_to_ballot(funding_round, proposal, may),
        council=council,
        round=funding_round,
        proposal=proposal,
        may=may,
        supports=page_support_counts([proposal]).get(proposal.id, 0),
        supported=may.is_resident and proposals.supports(db.session, proposal, current_user),
        support_form=SupportForm(),
        updates=_delivery_updates(proposal),
        place_text=maps.place_words(proposal, session=db.session),
    )


def _back_to_ballot(funding_round: FundingRound, proposal: Proposal, may) -> str | None:
    """Reached from the ballot's "read more": the way back keeps the choices made so far."""
    if not (
        may.is_resident
        and funding_round.phase == Phase.VOTING
        and request.args.get("ballot", type=int) == proposal.pot_id
    ):
        return None
    return url_for(
        "residents.ballot",
        slug=funding_round.council.slug,
        round_slug=funding_round.slug,
        pot_id=proposal.pot_id,
    )


def _delivery_updates(proposal: Proposal):
    """A funded project's delivery updates (newest first), or None for any other proposal."""
    if not proposals.is_funded(db.session, proposal):
        return None
    return delivery.updates_for(db.session, [proposal.id]).get(proposal.id, [])


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt
def unsubscribe(token: str):
    """The link in a message that stops its kind: no sign-in, the signed token is the
    permission. A mail program's one-click POST (RFC 8058: ``List-Unsubscribe=One-Click``)
    carries no CSRF token and no cookie, so this view is exempt: it changes only the one
    (person, topic) the token names, which the token's holder may change anyway."""
    from app.web.messages import unsubscribe as links
    from app.web.views import attempt, refusal_page

    named = links.read(token)
    try:
        if named is None:
            raise outbox.LinkDoesNotWork()
        if request.method == "GET":
            outbox.linked_person(db.session, *named)
            return render_template(
                "public/unsubscribe.html", topic=outbox.TOPICS[named[1]], token=token
            )
        attempt(outbox.unsubscribe, *named)
    except outbox.LinkDoesNotWork as error:
        return refusal_page(error, title=_("This link does not work"))
    return render_template("public/unsubscribed.html", topic=outbox.TOPICS[named[1]])
