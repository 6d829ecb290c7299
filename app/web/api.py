"""The open data API: read-only JSON at ``/api/v1/`` (documented in docs/api.md).

Only what the public pages show: no draft round, no hidden or withdrawn proposal, no result
before it is published, nothing about a voter. Ids are the database ids, which the manifest
already publishes and which never change. Money is integer pence with a ``currency`` field;
times are ISO 8601 in UTC (``...Z``). Words for people (a phase's label, an error's
``detail``) are in the request's language: ``?lang=cy``, or the Accept-Language header. What
people wrote (a council's, neighbourhood's, round's, pot's or proposal's texts) is given as
written (``name``, ``title``...), with the ``language`` it is written in and the same texts
in other languages (``translations``), so that a client shows whichever it wants.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, abort, jsonify, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from app.web.extensions import csrf, db
from app.web.open_data import pot_urls
from app.workflow import delivery, languages, open_data, results, rounds
from app.workflow import proposals as proposal_rules
from app.workflow.models import ContributionKind, Council, FundingRound, Pot, Proposal

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # GETs only: nothing here changes anything

CURRENCY = "GBP"


def iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def money(pence: int | None) -> dict[str, Any] | None:
    return None if pence is None else {"amount_pence": pence, "currency": CURRENCY}


def texts(row, fields: tuple[str, ...] | None = None) -> dict[str, Any]:
    """The language of ``row``'s own texts and its texts in other languages (``{"cy":
    {"title": ...}}``); with ``fields``, only those texts."""
    translations = {
        code: {f: t for f, t in (kept or {}).items() if fields is None or f in fields}
        for code, kept in (row.translations or {}).items()
    }
    return {
        "language": languages.own_language(row),
        "translations": {code: kept for code, kept in translations.items() if kept},
    }


def _council(c: Council) -> dict[str, Any]:
    return {
        "slug": c.slug,
        "name": c.name,
        "description": c.description,
        **texts(c),
        "neighbourhoods": [
            {"id": n.id, "slug": n.slug, "name": n.name, "population": n.population, **texts(n)}
            for n in c.neighbourhoods
        ],
        "rounds_url": url_for("api.council_rounds", slug=c.slug),
    }


def _round_summary(r: FundingRound) -> dict[str, Any]:
    return {
        "id": r.id,
        "council": r.council.slug,
        "slug": r.slug,
        "title": r.title,
        **texts(r, ("title",)),
        "phase": r.phase.value,
        "url": url_for("api.funding_round", round_id=r.id),
    }


def _pot(p: Pot) -> dict[str, Any]:
    return {
        "id": p.id,
        "name": p.name,
        **texts(p),
        "neighbourhood": p.neighbourhood.slug if p.neighbourhood else None,
        "budget": money(p.budget_pence),
    }


def public_round_or_404(round_id: int, *options) -> FundingRound:
    """The round if the public may see it; ``options`` eager-load what the answer needs, so
    the number of queries does not grow with pots."""
    funding_round = db.session.scalar(
        select(FundingRound).where(FundingRound.id == round_id).options(*options)
    )
    if funding_round is None or not funding_round.is_public:
        abort(404)
    return funding_round


@bp.get("/")
def index():
    return jsonify(
        {
            "version": "1",
            "councils_url": url_for("api.councils"),
            "open_data_url": url_for("api.open_data_catalogue"),
            "open_data_zip_url": url_for("open_data.network_zip"),
            "documentation": "docs/api.md",
        }
    )


@bp.get("/open-data")
def open_data_catalogue():
    """Every published pot of the councils in the network view, with its downloads."""
    pots = open_data.published_pots(db.session)
    return jsonify(
        {
            "zip_url": url_for("open_data.network_zip"),
            "page_url": url_for("open_data.index"),
            "pots": [
                {
                    "council": p.council.slug,
                    "round_id": p.funding_round.id,
                    "round_slug": p.funding_round.slug,
                    "pot_id": p.pot_id,
                    "name": p.result.pot.name,
                    "ballots": p.result.ballot_count,
                    "withheld": p.withheld,
                    "downloads": pot_urls(
                        p.council.slug, p.funding_round.slug, p.pot_id, withheld=p.withheld
                    ),
                }
                for p in pots
            ],
        }
    )


@bp.get("/councils")
def councils():
    rows = db.session.scalars(select(Council).order_by(Council.slug)).all()
    return jsonify({"councils": [_council(c) for c in rows]})


@bp.get("/councils/<slug>/rounds")
def council_rounds(slug: str):
    council = db.session.scalar(select(Council).where(Council.slug == slug))
    if council is None:
        abort(404)
    rows = [r for r in sorted(council.rounds, key=lambda r: r.id) if r.is_public]
    return jsonify({"council": council.slug, "rounds": [_round_summary(r) for r in rows]})


def _configuration(r: FundingRound) -> dict[str, Any]:
    return {
        "ballot_kind": r.ballot_kind,
        "rule": r.rule,
        "tie_break": r.tie_break,
        "min_choices": r.min_choices,
        "max_choices": r.max_choices,
        "points": r.points,
        "max_points_per_project": r.max_points_per_project,
        "home_pot_only": r.home_pot_only,
        "min_age": r.min_age,
        "max_age": r.max_age,
        "allow_vote_change": r.allow_vote_change,
        "min_ballots_to_publish": r.min_ballots_to_publish,
        "supports_enabled": r.supports_enabled,
        "split_method": r.split_method.value,
    }


@bp.get("/rounds/<int:round_id>")
def funding_round(round_id: int):
    r = public_round_or_404(
        round_id,
        joinedload(FundingRound.council),
        selectinload(FundingRound.phase_dates),
        selectinload(FundingRound.pots).joinedload(Pot.neighbourhood),
    )
    published = proposal_rules.results_published(r)
    return jsonify(
        {
            **_round_summary(r),
            "description": r.description,
            **texts(r),
            "phase_label": _(r.phase.label),
            "budget": money(r.total_budget_pence),
            "configuration": _configuration(r),
            "schedule": [
                {"phase": d.phase.value, "starts_at": iso(d.starts_at), "ends_at": iso(d.ends_at)}
                for d in sorted(r.phase_dates, key=lambda d: d.phase.index)
            ],
            "manifest_hash": r.manifest_hash,
            "log_head_hash": r.log_head_hash,
            "voting_opened_at": iso(r.voting_opened_at),
            "pots": [_pot(p) for p in r.pots],
            "proposals_url": url_for("api.proposals", round_id=r.id),
            "contributions_url": url_for("api.contributions", round_id=r.id),
            "results_url": url_for("api.round_results", round_id=r.id) if published else None,
            "delivery_url": url_for("api.round_delivery", round_id=r.id) if published else None,
        }
    )


@bp.get("/rounds/<int:round_id>/proposals")
def proposals(round_id: int):
    r = public_round_or_404(round_id)
    rows = proposal_rules.public_proposals(db.session, r)
    supports = rounds.support_counts(db.session, r) if r.supports_enabled else None
    return jsonify({"round_id": r.id, "proposals": [_proposal(p, supports) for p in rows]})


def _proposal(p: Proposal, supports: dict[int, int] | None) -> dict[str, Any]:
    """A public proposal; one whose text moderators hid after voting opened keeps only its
    title, pot, status and costs (it is on the fixed ballot), with ``text_hidden`` true."""
    shown = not p.is_hidden
    return {
        "id": p.id,
        "pot_id": p.pot_id,
        "title": p.title,
        "summary": p.summary if shown else None,
        "description": p.description if shown else None,
        **texts(p, None if shown else ("title",)),
        "category": p.category if shown else None,
        "location": p.location if shown else None,
        "text_hidden": not shown,
        "status": p.status.value,
        "estimated_cost": money(p.estimated_cost_pence),
        "final_cost": money(p.final_cost_pence),
        "supports": None if supports is None else supports.get(p.id, 0),
        "created_at": iso(p.created_at),
    }


@bp.get("/rounds/<int:round_id>/results")
def round_results(round_id: int):
    r = public_round_or_404(round_id)
    if not proposal_rules.results_published(r):
        abort(404)  # before publication a result does not exist for the public
    views = results.published_views(db.session, r)
    ids = [p.id for view in views for p in view.projects]
    rows = {p.id: p for p in proposal_rules.on_paper(db.session, r, ids)}
    channels = results.published_by_channel(db.session, r)
    pots = [_pot_result(r, view, rows, channels.get(view.result.pot_id)) for view in views]
    return jsonify(
        {
            "round_id": r.id,
            "phase": r.phase.value,
            "ballots_by_channel": channels.get(None),
            "pots": pots,
        }
    )


def _pot_result(
    r: FundingRound,
    view: results.PotView,
    proposals: dict[int, Proposal],
    channels: dict[str, int] | None,
) -> dict[str, Any]:
    """A pot's stored result; the names are those it was counted with, each with its row's
    language and translations (a project's title only); its ballots by channel (None when
    the pot is withheld); its open data downloads."""
    row = view.result
    return {
        "pot_id": row.pot_id,
        "name": view.name,
        **texts(row.pot),
        "budget": money(view.budget_pence),
        "allocated": money(None if view.withheld else view.allocated_pence),
        "ballots": view.ballots,
        "ballots_by_channel": None if view.withheld else channels,
        "withheld": view.withheld,
        "rule": row.rule,
        "tie_break": row.tie_break,
        "manifest_hash": row.manifest_hash,
        "log_head_hash": row.log_head_hash,
        "computed_at": iso(row.computed_at),
        "projects": [
            {
                "id": p.id,
                "title": p.name,
                **_title_texts(proposals.get(p.id)),
                "cost": money(p.cost_pence),
                "funded": p.funded,
                "votes": p.votes,
                "points": p.points,
                "explanation": p.explanation,
            }
            for p in view.projects
        ],
        "downloads": pot_urls(r.council.slug, r.slug, row.pot_id, withheld=view.withheld),
    }


@bp.get("/rounds/<int:round_id>/delivery")
def round_delivery(round_id: int):
    """The funded projects of a published round and their delivery updates (404 before)."""
    r = public_round_or_404(round_id)
    if not proposal_rules.results_published(r):
        abort(404)
    return jsonify(
        {
            "round_id": r.id,
            "projects": [_delivered(d) for d in delivery.published_delivery(db.session, r)],
        }
    )


def _update(u) -> dict[str, Any]:
    return {
        "status": u.status.value,
        "status_label": _(u.status.label),
        "percent_complete": u.percent_complete,
        "spent": money(u.spent_pence),
        "note": u.note,
        "happened_on": u.happened_on.isoformat(),
    }


def _delivered(d: delivery.Delivered) -> dict[str, Any]:
    latest = d.latest
    return {
        "proposal_id": d.proposal.id,
        "pot_id": d.pot_id,
        "title": d.title,
        **_title_texts(d.proposal),
        "cost": money(d.cost_pence),
        "status": latest.status.value if latest else None,
        "status_label": _(latest.status.label) if latest else None,
        "percent_complete": latest.percent_complete if latest else None,
        "spent": money(latest.spent_pence) if latest else None,
        "updates": [_update(u) for u in d.updates],
    }


@bp.get("/rounds/<int:round_id>/contributions")
def contributions(round_id: int):
    """What partners give towards the round's public proposals, as their pages show it: the
    money pledged to each (which lowers what the pot pays) and each partner's help in kind."""
    r = public_round_or_404(round_id)
    rows = [
        p
        for p in proposal_rules.public_proposals(db.session, r)
        if p.contributions and not p.is_hidden
    ]
    return jsonify({"round_id": r.id, "proposals": [_contributed(p) for p in rows]})


def _contributed(p: Proposal) -> dict[str, Any]:
    return {
        "proposal_id": p.id,
        "pot_id": p.pot_id,
        "title": p.title,
        **texts(p, ("title",)),
        "final_cost": money(p.final_cost_pence),
        "money_pledged": money(p.money_pledged_pence),
        "money_pledges": sum(1 for c in p.contributions if c.kind == ContributionKind.MONEY),
        "cost_to_pot": money(p.cost_to_pot_pence),
        "in_kind": [
            {
                "partner": c.partner_name,
                "description": c.description,
                "estimated_value": money(c.amount_pence) if c.amount_pence else None,
            }
            for c in p.contributions
            if c.kind == ContributionKind.IN_KIND
        ],
    }


def _title_texts(proposal: Proposal | None) -> dict[str, Any]:
    if proposal is None:
        return {"language": None, "translations": {}}
    return texts(proposal, ("title",))


@bp.errorhandler(404)
def not_found(error):  # noqa: ARG001
    return jsonify({"error": "not found"}), 404


# --- The network's figures ---------------------------------------------------------------------


def _figures(f) -> dict[str, Any]:
    """A published round's figures as counts (every share on the pages is one count over
    another: programs can work them out exactly)."""
    greedy = f.greedy
    return {
        "council": f.council.slug,
        "round_id": f.round.id,
        "url": url_for("api.funding_round", round_id=f.round.id),
        "year": f.year,
        "voting_closed_on": f.closed_on.isoformat(),
        "ballot_kind": f.ballot_kind,
        "rule": f.rule,
        "budget": money(f.budget_pence),
        "residents": f.residents,
        "turnout": {"voted": f.voted, "roll": f.roll},
        "pots": {"counted": f.pots - f.withheld_pots, "withheld": f.withheld_pots},
        "voters": {"chose_something": f.voters, "at_least_one_funded": f.satisfied},
        "funded": {
            "projects": [int(p) if p.isdigit() else p for p in f.funded],
            "allocated": money(f.allocated_pence),
            "partners": money(f.partner_pence),
        },
        "greedy": None
        if greedy is None
        else {
            "projects": [int(p) if p.isdigit() else p for p in greedy.funded],
            "allocated": money(greedy.allocated_pence),
            "at_least_one_funded": greedy.satisfied,
        },
        "delivery": {
            "delivered": f.delivered,
            "with_updates": f.updated,
            "spent": money(f.spent_pence),
        },
        "neighbourhoods": [
            {
                "slug": s.neighbourhood.slug if s.neighbourhood else None,
                "population": s.population,
                "allocated": money(s.allocated_pence),
            }
            for s in f.spread
        ],
    }


def _unknown_filters(everyone) -> tuple[str, list[str], set[str]] | None:
    """The first filter of the query string with values naming nothing in the network: its
    name, those values and the values it could be; None when every value names something."""
    rounds = everyone.rounds
    for name, known in (
        ("year", {str(r.year) for r in rounds}),
        ("kind", {r.ballot_kind for r in rounds}),
        ("council", {c.council.slug for c in everyone.members}),
    ):
        unknown = [v for v in request.args.getlist(name) if v not in known]
        if unknown:
            return name, unknown, known
    return None


@bp.get("/network/figures")
def network_figures():
    """Every published round of the councils in the network, with its figures; ``year``,
    ``kind`` and ``council`` (each may repeat) choose among them, as on the comparison page.
    A value that names nothing is ``400`` with the values it could be."""
    from app.web.network import current_network
    from app.workflow.network import filtered

    everyone = current_network()
    problem = _unknown_filters(everyone)
    if problem is not None:
        name, unknown, known = problem
        detail = _(
            "These values name no published round of the network: %(values)s.",
            values=", ".join(v[:64] for v in unknown[:5]),
        )
        return jsonify({"error": f"unknown {name}", "detail": detail, "known": sorted(known)}), 400
    chosen = filtered(
        everyone.rounds,
        years=[int(y) for y in request.args.getlist("year")],
        kinds=request.args.getlist("kind"),
        councils=request.args.getlist("council"),
    )
    return jsonify({"rounds": [_figures(f) for f in chosen]})


@bp.get("/rounds/<int:round_id>/figures")
def round_figures(round_id: int):
    """A published round's figures (``404`` before publication, as its results)."""
    from app.web.network import current_network
    from app.workflow.network import round_figures as figures_of

    r = public_round_or_404(round_id)
    if not proposal_rules.results_published(r):
        abort(404)
    f = figures_of(current_network(r.council_id), r.id)
    if f is None:
        abort(404)
    return jsonify(_figures(f))
