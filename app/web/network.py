"""The network's pages, for anyone: councils side by side (each figure a chart drawn on the
server with the same figures in a table, filtered by year, ballot kind and council) and what
worked (every published round by its outcomes, with the summary a council can put in its
report). Published rounds only, of councils in the network; figures from stored rows
(``app.workflow.network``), never from counting ballots on a request."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, Response, render_template, request, url_for
from flask_babel import gettext as _

from app.web.extensions import db
from app.web.i18n import in_page_language
from app.web.presenters import network as shown
from app.workflow import network as figures
from app.workflow.network import Network, RoundFigures

bp = Blueprint("network", __name__, url_prefix="/network")

bp.add_app_template_filter(shown.percent, "share_percent")
bp.add_app_template_filter(shown.points, "points_change")

VIEWS = ("councils", "rounds")


def current_network(council_id: int | None = None) -> Network:
    """The network's figures (or one council's: enough for its rounds' summaries)."""
    return figures.network(db.session, key=str(db.engine.url), council_id=council_id)


def round_href(r: RoundFigures) -> str:
    return url_for("results.round_results", slug=r.council.slug, round_slug=r.round.slug)


def council_href(slug: str) -> str:
    return url_for("public.council", slug=slug)


@dataclass(frozen=True)
class Choice:
    value: str
    text: str
    checked: bool


@dataclass(frozen=True)
class Filters:
    years: tuple[int, ...]
    kinds: tuple[str, ...]
    councils: tuple[str, ...]
    view: str
    problems: tuple[str, ...]
    year_choices: tuple[Choice, ...]
    kind_choices: tuple[Choice, ...]
    council_choices: tuple[Choice, ...]

    @property
    def any(self) -> bool:
        return bool(self.years or self.kinds or self.councils)

    def args(self, **changes) -> dict:
        """The query string of these filters (with ``changes``), for links."""
        out = {
            "year": list(self.years),
            "kind": list(self.kinds),
            "council": list(self.councils),
            "view": self.view,
        }
        out.update(changes)
        return {k: v for k, v in out.items() if v}


def _chosen(name: str, known: set[str], refusal, problems: list[str]) -> list[str]:
    """The query string's values of ``name`` that are ``known``, once each in the order
    given; each other value's ``refusal`` is added to ``problems``."""
    out: list[str] = []
    for raw in request.args.getlist(name):
        if raw not in known:
            problems.append(refusal(raw))
        elif raw not in out:
            out.append(raw)
    return out


def read_filters(network: Network) -> Filters:
    """The filters asked for in the query string. A value that names nothing in the network
    (a year with no published round, an unknown ballot kind or council) is left out, and the
    page says so; nothing else changes."""
    rounds = network.rounds
    years_there = sorted({r.year for r in rounds}, reverse=True)
    kinds_there = sorted({r.ballot_kind for r in rounds})
    councils_there = [c for c in network.members if c.rounds]
    problems: list[str] = []
    years = [
        int(y)
        for y in _chosen(
            "year",
            {str(y) for y in years_there},
            lambda raw: _(
                "No published round closed in “%(year)s”: that year is left out.", year=raw[:20]
            ),
            problems,
        )
    ]
    kinds = _chosen(
        "kind",
        set(kinds_there),
        lambda raw: _(
            "No published round used the ballot “%(kind)s”: it is left out.", kind=raw[:40]
        ),
        problems,
    )
    councils = _chosen(
        "council",
        {c.council.slug for c in councils_there},
        lambda raw: _(
            "No council in the network is called “%(council)s”: it is left out.",
            council=raw[:64],
        ),
        problems,
    )
    view = request.args.get("view", VIEWS[0])
    if view not in VIEWS:
        problems.append(_("Figures can be shown by council or by round: shown by council."))
        view = VIEWS[0]
    return Filters(
        years=tuple(years),
        kinds=tuple(kinds),
        councils=tuple(councils),
        view=view,
        problems=tuple(problems),
        year_choices=tuple(Choice(str(y), str(y), y in years) for y in years_there),
        kind_choices=tuple(Choice(k, shown.kind_label(k), k in kinds) for k in kinds_there),
        council_choices=tuple(
            Choice(
                c.council.slug,
                str(in_page_language(c.council, "name")),
                c.council.slug in councils,
            )
            for c in councils_there
        ),
    )


def chosen_rounds(network: Network, chosen: Filters) -> list[RoundFigures]:
    return figures.filtered(
        network.rounds, years=chosen.years, kinds=chosen.kinds, councils=chosen.councils
    )


@bp.route("/compare")
def compare():
    """Councils, or their rounds, side by side: every figure as a chart and a table."""
    network = current_network()
    chosen = read_filters(network)
    rounds = chosen_rounds(network, chosen)
    if chosen.view == "rounds":
        rows = shown.round_rows(rounds, round_href)
    else:
        rows = shown.council_rows(network, rounds, round_href, council_href)
    charts = [shown.chart(f, rows) for f in shown.FIGURES]
    methods = shown.methods_used(rounds)
    return render_template(
        "network/compare.html",
        filters=chosen,
        rounds=rounds,
        councils={r.council.id for r in rounds},
        charts=charts,
        methods=methods,
        methods_chart=shown.methods_chart(methods),
        round_href=round_href,
        totals=shown.Totals.of(
            rounds,
            sum(
                c.residents
                for c in network.members
                if c.council.id in {r.council.id for r in rounds}
            ),
        ),
    )


@bp.route("/compare.csv")
def compare_csv():
    """The comparison's figures for the rounds chosen, a row each, for a council's report
    (the same filters as the page; a value naming nothing is refused, saying why)."""
    network = current_network()
    chosen = read_filters(network)
    if chosen.problems:
        return Response("\n".join(chosen.problems) + "\n", 400, mimetype="text/plain")
    return Response(
        figures.figures_csv(chosen_rounds(network, chosen)),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="network-figures.csv"'},
    )


@bp.route("/what-worked")
def what_worked():
    """Every published round by what it achieved, in the order asked for, each with its
    summary: for councils looking for rounds worth copying."""
    network = current_network()
    chosen = read_filters(network)
    order = request.args.get("order", shown.DEFAULT_ORDER)
    problems = list(chosen.problems)
    if order not in shown.ORDERS:
        problems.append(_("Rounds can be put in the orders listed: shown by rise in turnout."))
        order = shown.DEFAULT_ORDER
    rounds = shown.ordered(network, chosen_rounds(network, chosen), order)
    return render_template(
        "network/what_worked.html",
        filters=chosen,
        problems=problems,
        order=order,
        orders=[(key, str(name)) for key, (name, _value) in shown.ORDERS.items()],
        rows=[
            (
                r,
                shown.turnout_change(network, r),
                shown.greedy_gain(r),
                shown.summary(network, r),
            )
            for r in rounds
        ],
        round_href=round_href,
    )
