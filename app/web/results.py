"""Public results pages once a round's results are published: per pot a chart of support with
the funding line, the same figures in a table and each project's explanation, and its ballots
by channel (online, at events, on paper); for the round, its ballots by channel, turnout per
neighbourhood and money allocated against available, and what other rules would have funded
from the same ballots; and the same results on the big screen, one pot a slide, for the
evening they are announced."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from app.web.extensions import db
from app.web.i18n import in_page_language
from app.web.presenters import maps
from app.web.presenters import methods as voting_methods
from app.web.presenters import presentation as slides
from app.web.presenters import results as presented
from app.web.public import council_or_404, round_or_404
from app.web.views import paper_texts
from app.workflow import proposals, results

bp = Blueprint("results", __name__, url_prefix="/councils/<slug>/rounds/<round_slug>/results")
# ``{{ p | explanation }}``: a project's explanation in the reader's language.
bp.add_app_template_filter(presented.explanation, "explanation")


def published_round(slug: str, round_slug: str):
    council = council_or_404(slug)
    funding_round = round_or_404(council, round_slug)
    # Before publication the figures do not exist for anyone looking from outside.
    if not proposals.results_published(funding_round):
        abort(404)
    return council, funding_round


@bp.route("")
def round_results(slug: str, round_slug: str):
    """Each pot's stored result once published (counted once, when voting closed); a pot with
    fewer ballots than the round's minimum shows only its number of ballots."""
    council = council_or_404(slug)
    funding_round = round_or_404(council, round_slug)
    views = results.published_views(db.session, funding_round)
    published = proposals.results_published(funding_round)
    summary = []
    if published:
        from app.web.network import current_network
        from app.web.presenters.network import summary as summarised
        from app.workflow.network import round_figures

        everyone = current_network(funding_round.council_id)
        stored = round_figures(everyone, funding_round.id)
        summary = summarised(everyone, stored) if stored is not None else []
    return render_template(
        "results/round.html",
        summary=summary,
        council=council,
        round=funding_round,
        pots=views,
        published=published,
        channels=results.published_by_channel(db.session, funding_round),
        # Each published pot's open data downloads (not on the officers' check before then).
        downloads=proposals.results_published(funding_round),
        **result_texts(funding_round, views),
        **(maps.round_map(council, funding_round, session=db.session) if views else {}),
    )


def result_texts(funding_round, views) -> dict:
    """The names of the pots and projects of these results (``PotView``) in the reader's
    language (``paper_texts``: the stored results keep the names they were counted with)."""
    return paper_texts(funding_round, [p.id for v in views for p in v.projects])


@bp.route("/figures")
def figures(slug: str, round_slug: str):
    council, funding_round = published_round(slug, round_slug)
    views = results.published_views(db.session, funding_round)
    return render_template(
        "results/figures.html",
        council=council,
        round=funding_round,
        views=views,
        turnout=results.turnout_by_neighbourhood(db.session, funding_round),
        allocated=sum(v.allocated_pence for v in views if not v.withheld),
        rule_label=presented.rule_label(funding_round.rule, any(v.counts_points for v in views)),
        available=sum(v.budget_pence for v in views),
        pot_names=paper_texts(funding_round)["pot_names"],
    )


@bp.route("/<int:pot_id>")
def pot(slug: str, round_slug: str, pot_id: int):
    council, funding_round = published_round(slug, round_slug)
    view = next(
        (
            v
            for v in results.published_views(db.session, funding_round)
            if v.result.pot_id == pot_id
        ),
        None,
    )
    if view is None:
        abort(404)
    return pot_page(council, funding_round, view, downloads=True)


def pot_page(council, funding_round, view: results.PotView, *, downloads: bool = False):
    """A pot's results page; also the officers' preview before publishing (``downloads``:
    the links to the pot's open data, once published)."""
    texts = result_texts(funding_round, [view])
    chart = None if view.withheld else presented.bar_chart(view, funding_round.ballot_kind, texts)
    return render_template(
        "results/pot.html",
        council=council,
        round=funding_round,
        view=view,
        chart=chart,
        channels=results.shown_by_channel(db.session, funding_round).get(view.result.pot_id),
        **texts,
        counted_with=presented.counted_with(
            view.result.rule, view.result.tie_break, view.counts_points
        ),
        votes_term=presented.votes_term(funding_round.ballot_kind),
        points_term=presented.points_term(funding_round.ballot_kind),
        downloads=downloads,
        **maps.round_map(council, funding_round, session=db.session, pot_id=view.result.pot_id),
    )


@bp.route("/compare")
def compare(slug: str, round_slug: str):
    """Each pot counted with the round's rule, greedy, Equal Shares and (for approval-type
    ballots) Phragmén, side by side. Nothing before publication: the page does not exist."""
    council, funding_round = published_round(slug, round_slug)
    pots = results.compare_rules(db.session, funding_round)
    return render_template(
        "results/compare.html",
        council=council,
        round=funding_round,
        pots=pots,
        **paper_texts(funding_round, [p.id for pot in pots for p in pot.projects]),
        hood_names={h.name: in_page_language(h, "name") for h in council.neighbourhoods},
        labels=voting_methods.rule_labels(),
        descriptions=voting_methods.rule_descriptions(),
        percent=presented.percent,
        one_decimal=presented.one_decimal,
        voters_none_funded=presented.voters_none_funded,
    )


@bp.route("/present")
def present(slug: str, round_slug: str):
    """The results on the big screen, first slide: the round, its budget and its turnout."""
    council, funding_round = published_round(slug, round_slug)
    views = results.published_views(db.session, funding_round)
    return presentation(council, funding_round, views, None, slides.PUBLIC)


@bp.route("/present/<int:pot_id>")
def present_pot(slug: str, round_slug: str, pot_id: int):
    """One pot's results on the big screen (404 for a pot that is not the round's)."""
    council, funding_round = published_round(slug, round_slug)
    views = results.published_views(db.session, funding_round)
    return presentation(council, funding_round, views, pot_id, slides.PUBLIC)


def presentation(
    council,
    funding_round,
    views: list[results.PotView],
    pot_id: int | None,
    endpoints: slides.Endpoints,
    *,
    published: bool = True,
):
    """A slide of the results on the big screen: the start (``pot_id`` None), or the pot's
    among ``views`` (the stored results: nothing is counted again; 404 for any other pot).
    Also the officers' presentation before publishing (``published`` False says so)."""
    view = next((v for v in views if v.result.pot_id == pot_id), None)
    if pot_id is not None and view is None:
        abort(404)
    deck = slides.deck(
        endpoints,
        [v.result.pot_id for v in views],
        pot_id,
        scheme=request.args.get("scheme"),
        slug=council.slug,
        round_slug=funding_round.slug,
    )
    context = {"council": council, "round": funding_round, "deck": deck, "published": published}
    if view is None:
        return render_template(
            "results/present_start.html",
            views=views,
            budget_pence=sum(v.budget_pence for v in views),
            turnout=slides.turnout_text(results.counted_turnout(db.session, funding_round)),
            ballots=slides.ballots_text(views),
            **context,
            **result_texts(funding_round, []),
        )
    return render_template(
        "results/present_pot.html",
        view=view,
        support=slides.support_text,
        **context,
        **result_texts(funding_round, [view]),
    )
