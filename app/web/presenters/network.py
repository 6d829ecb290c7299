"""How the network's pages show its figures, in the page's language: the figures compared
(each a bar chart drawn on the server as SVG, with the same figures in a table), councils'
totals over the rounds chosen, and each round's summary for a council's report."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.web.i18n import in_page_language
from app.web.presenters import formatting
from app.web.presenters.methods import ngettext, rule_label
from app.web.presenters.results import names, one_decimal, percent
from app.workflow.network import Network, RoundFigures, Shares, previous_round


@dataclass(frozen=True)
class Totals(Shares):
    """Figures summed over some rounds (one council's, or one round's own): the same shares as
    a round's, worked out from the sums."""

    rounds: int
    residents: int
    voted: int
    roll: int
    budget_pence: int
    allocated_pence: int
    partner_pence: int
    voters: int
    satisfied: int
    funded: int
    delivered: int
    spent_pence: int
    # Equal Shares rounds only: their voters, and those satisfied under the rule and greedy.
    mes_voters: int
    mes_satisfied: int
    greedy_satisfied: int
    available_pence: int = 0  # in the pots whose figures are published
    mes_available_pence: int = 0
    mes_allocated_pence: int = 0
    greedy_allocated_pence: int = 0

    @classmethod
    def of(cls, rounds: Sequence[RoundFigures], residents: int | None = None) -> Totals:
        mes = [r for r in rounds if r.greedy is not None]
        return cls(
            rounds=len(rounds),
            residents=residents
            if residents is not None
            else max((r.residents for r in rounds), default=0),
            voted=sum(r.voted for r in rounds),
            roll=sum(r.roll for r in rounds),
            budget_pence=sum(r.budget_pence for r in rounds),
            allocated_pence=sum(r.allocated_pence for r in rounds),
            partner_pence=sum(r.partner_pence for r in rounds),
            voters=sum(r.voters for r in rounds),
            satisfied=sum(r.satisfied for r in rounds),
            funded=sum(len(r.funded) for r in rounds),
            delivered=sum(r.delivered for r in rounds),
            spent_pence=sum(r.spent_pence for r in rounds),
            mes_voters=sum(r.voters for r in mes),
            mes_satisfied=sum(r.satisfied for r in mes),
            greedy_satisfied=sum(r.greedy.satisfied for r in mes if r.greedy),
            available_pence=sum(r.available_pence for r in rounds),
            mes_available_pence=sum(r.available_pence for r in mes),
            mes_allocated_pence=sum(r.allocated_pence for r in mes),
            greedy_allocated_pence=sum(r.greedy.allocated_pence for r in mes if r.greedy),
        )

    @property
    def rounds_counted(self) -> int:
        return self.rounds

    @property
    def funded_count(self) -> int:
        return self.funded

    @property
    def mes_share(self) -> Fraction | None:
        return Fraction(self.mes_satisfied, self.mes_voters) if self.mes_voters else None

    @property
    def greedy_share(self) -> Fraction | None:
        return Fraction(self.greedy_satisfied, self.mes_voters) if self.mes_voters else None

    @property
    def mes_allocated_share(self) -> Fraction | None:
        whole = self.mes_available_pence
        return Fraction(self.mes_allocated_pence, whole) if whole else None

    @property
    def greedy_allocated_share(self) -> Fraction | None:
        whole = self.mes_available_pence
        return Fraction(self.greedy_allocated_pence, whole) if whole else None


# --- The figures compared ------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    key: str
    title: object  # lazy text
    description: object
    value: Callable[[Totals], Fraction | None]
    text: Callable[[Fraction | None], str]
    detail: Callable[[Totals], str]  # what the figure is worked out from
    share: bool = True  # a share (drawn on a scale to 100%), else drawn to the largest
    contrast: Callable[[Totals], Fraction | None] | None = None  # greedy's, for Equal Shares
    only_mes: bool = False  # only rounds counted by Equal Shares have it


def _money_text(value: Fraction | None) -> str:
    return "–" if value is None else formatting.money(value, always_pence=True)


def _of(part: int, whole: int) -> str:
    return _("%(part)s of %(whole)s", part=formatting.number(part), whole=formatting.number(whole))


def _money_of(part: int, whole: int) -> str:
    return _("%(part)s of %(whole)s", part=formatting.money(part), whole=formatting.money(whole))


FIGURES = (
    Figure(
        "turnout",
        _l("Turnout"),
        _l("People who voted, as a share of the people on the round's roll (those eligible)."),
        lambda t: t.turnout,
        percent,
        lambda t: _of(t.voted, t.roll),
    ),
    Figure(
        "per-thousand",
        _l("Voters per 1,000 residents"),
        _l(
            "People who voted in a round for every 1,000 people living in the council's "
            "neighbourhoods (for a council, the average over its rounds)."
        ),
        lambda t: t.per_thousand,
        one_decimal,
        lambda t: ngettext(
            "%(voted)s voted, %(residents)s residents, %(num)s round",
            "%(voted)s voted, %(residents)s residents, %(num)s rounds",
            t.rounds,
            voted=formatting.number(t.voted),
            residents=formatting.number(t.residents),
        ),
        share=False,
    ),
    Figure(
        "per-resident",
        _l("Money devolved per resident"),
        _l(
            "The money residents decided on, divided by the people living in the council's "
            "neighbourhoods."
        ),
        lambda t: t.per_resident_pence,
        _money_text,
        lambda t: _(
            "%(money)s for %(residents)s residents",
            money=formatting.money(t.budget_pence),
            residents=formatting.number(t.residents),
        ),
        share=False,
    ),
    Figure(
        "partners",
        _l("Money from partners"),
        _l(
            "Partners' money pledged to the funded projects, as a share of all the money for "
            "them (the pots' and the partners')."
        ),
        lambda t: t.partner_share,
        percent,
        lambda t: _money_of(t.partner_pence, t.partner_pence + t.allocated_pence),
    ),
    Figure(
        "satisfied",
        _l("Voters with at least one choice funded"),
        _l(
            "Ballots with at least one of the projects they chose funded, as a share of the "
            "ballots that chose something (pots whose figures are withheld are left out)."
        ),
        lambda t: t.satisfied_share,
        percent,
        lambda t: _of(t.satisfied, t.voters),
    ),
    Figure(
        "equal-shares",
        _l("Equal Shares against greedy"),
        _l(
            "For rounds counted by the Method of Equal Shares: the share of voters with at least "
            "one choice funded, and the same share had the ballots been counted by greedy (most "
            "votes first) instead."
        ),
        lambda t: t.mes_share,
        percent,
        lambda t: _(
            "%(rule)s under Equal Shares, %(greedy)s under greedy",
            rule=_of(t.mes_satisfied, t.mes_voters),
            greedy=_of(t.greedy_satisfied, t.mes_voters),
        ),
        contrast=lambda t: t.greedy_share,
        only_mes=True,
    ),
    Figure(
        "allocated",
        _l("Money allocated"),
        _l(
            "The money the funded projects take, as a share of the money in the pots "
            "(pots whose figures are withheld are left out)."
        ),
        lambda t: t.allocated_share,
        percent,
        lambda t: _money_of(t.allocated_pence, t.available_pence),
    ),
    Figure(
        "allocated-equal-shares",
        _l("Money allocated: Equal Shares against greedy"),
        _l(
            "For rounds counted by the Method of Equal Shares: the money allocated as a share "
            "of the money in the pots, and the same had the ballots been counted by greedy."
        ),
        lambda t: t.mes_allocated_share,
        percent,
        lambda t: _(
            "%(rule)s under Equal Shares, %(greedy)s under greedy",
            rule=_money_of(t.mes_allocated_pence, t.mes_available_pence),
            greedy=_money_of(t.greedy_allocated_pence, t.mes_available_pence),
        ),
        contrast=lambda t: t.greedy_allocated_share,
        only_mes=True,
    ),
    Figure(
        "delivered",
        _l("Funded projects completed"),
        _l("Funded projects whose latest delivery update says delivered."),
        lambda t: t.delivered_share,
        percent,
        lambda t: _of(t.delivered, t.funded),
    ),
    Figure(
        "spent",
        _l("Money spent against allocated"),
        _l(
            "Money spent so far on the funded projects (their latest updates), against the "
            "money allocated to them."
        ),
        lambda t: t.spent_share,
        percent,
        lambda t: _money_of(t.spent_pence, t.allocated_pence),
    ),
)
FIGURE_KEYS = tuple(f.key for f in FIGURES)


@dataclass(frozen=True)
class Row:
    """One bar of a chart and one row of its table: a council's totals or a round's."""

    label: str
    label_language: str | None  # when the name is not in the page's language
    caption: str  # the council, beside a round's name
    href: str
    totals: Totals
    rounds: tuple[tuple[str, str], ...] = ()  # (name, href) of the rounds behind a council's row


@dataclass(frozen=True)
class Bar:
    label: str
    language: str | None
    href: str
    y: int
    width: int
    value_text: str
    contrast_width: int | None = None
    contrast_text: str = ""


@dataclass(frozen=True)
class Chart:
    figure: Figure
    bars: tuple[Bar, ...]
    width: int
    height: int
    label_width: int
    row_height: int
    title: str
    description: str
    rows: tuple[tuple[Row, str, str, str], ...]  # row, value text, contrast text, detail

    @property
    def empty(self) -> bool:
        return not self.bars


LABEL_WIDTH, BAR_SPACE, TEXT_SPACE = 300, 330, 110


def _short(text: str, limit: int = 38) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def chart(figure: Figure, rows: Sequence[Row]) -> Chart:
    """``figure`` for each of ``rows`` that has it (a row without it is left out of the chart
    and says so in the table)."""
    values = [(row, figure.value(row.totals)) for row in rows]
    contrast = figure.contrast
    if figure.only_mes:
        values = [(row, v) for row, v in values if row.totals.mes_voters]
    top = (
        Fraction(1)
        if figure.share
        else max((v for _r, v in values if v is not None), default=Fraction(0))
    )
    if contrast is not None and not figure.share:
        top = max([top] + [contrast(r.totals) or 0 for r, _v in values])
    top = top or Fraction(1)
    row_height = 52 if contrast is not None else 32
    bars = []
    table = []
    for row, value in values:
        other = contrast(row.totals) if contrast is not None else None
        table.append(
            (
                row,
                figure.text(value),
                figure.text(other) if contrast is not None else "",
                figure.detail(row.totals),
            )
        )
        if value is None:
            continue
        y = 10 + len(bars) * row_height
        bars.append(
            Bar(
                label=_short(row.label),
                language=row.label_language,
                href=row.href,
                y=y,
                width=max(2, round(BAR_SPACE * value / top)),
                value_text=figure.text(value),
                contrast_width=(
                    max(2, round(BAR_SPACE * other / top)) if other is not None else None
                ),
                contrast_text=figure.text(other) if other is not None else "",
            )
        )
    description = (
        _(
            "Each bar is %(figure)s for one council or round; a longer bar is a larger figure. "
            "The lighter bar below each is the same under greedy counting. The same figures are "
            "in the table below.",
            figure=str(figure.title).lower(),
        )
        if contrast is not None
        else _(
            "Each bar is %(figure)s for one council or round; a longer bar is a larger figure. "
            "The same figures are in the table below.",
            figure=str(figure.title).lower(),
        )
    )
    return Chart(
        figure=figure,
        bars=tuple(bars),
        width=LABEL_WIDTH + BAR_SPACE + TEXT_SPACE,
        height=20 + len(bars) * row_height,
        label_width=LABEL_WIDTH,
        row_height=row_height,
        title=str(figure.title),
        description=description,
        rows=tuple(table),
    )


def _shown(named) -> tuple[str, str | None]:
    shown = in_page_language(named, "name")
    return shown.text, (shown.language if shown.elsewhere else None)


def council_rows(
    network: Network,
    rounds: Sequence[RoundFigures],
    href: Callable[[RoundFigures], str],
    council_href,
) -> list[Row]:
    """One row for each council with rounds among ``rounds``: their totals."""
    out = []
    for council in network.members:
        mine = [r for r in rounds if r.council.id == council.council.id]
        if not mine:
            continue
        label, language = _shown(council.council)
        out.append(
            Row(
                label=label,
                label_language=language,
                caption="",
                href=council_href(council.council.slug),
                totals=Totals.of(mine, council.residents),
                rounds=tuple((str(in_page_language(r.round, "title")), href(r)) for r in mine),
            )
        )
    return out


def round_rows(rounds: Sequence[RoundFigures], href: Callable[[RoundFigures], str]) -> list[Row]:
    """One row for each round."""
    out = []
    for r in rounds:
        title = in_page_language(r.round, "title")
        council, _language = _shown(r.council)
        out.append(
            Row(
                label=title.text,
                label_language=title.language if title.elsewhere else None,
                caption=council,
                href=href(r),
                totals=Totals.of([r]),
            )
        )
    return out


# --- What was used -------------------------------------------------------------------------

# Ballot kinds by a short name, for the network's tables and filters.
KIND_NAMES = {
    "approval": _l("Approval"),
    "knapsack": _l("Budget"),
    "cumulative": _l("Points"),
    "ranked": _l("Ranked"),
    "single-choice": _l("Single choice"),
}


def kind_label(kind: str) -> str:
    label = KIND_NAMES.get(kind)
    return str(label) if label is not None else kind


def methods_used(rounds: Iterable[RoundFigures]) -> list[tuple[str, str, int]]:
    """(ballot kind, counting rule, rounds) in the page's language, most used first."""
    counts: dict[tuple[str, str], int] = {}
    for r in rounds:
        key = (r.ballot_kind, r.rule)
        counts[key] = counts.get(key, 0) + 1
    return sorted(
        ((kind_label(k), rule_label(rule), n) for (k, rule), n in counts.items()),
        key=lambda t: (-t[2], t[0], t[1]),
    )


@dataclass(frozen=True)
class CountChart:
    """How many rounds used each ballot and rule, as bars."""

    bars: tuple[Bar, ...]
    width: int
    height: int
    label_width: int


def methods_chart(methods: Sequence[tuple[str, str, int]]) -> CountChart:
    top = max((n for _k, _r, n in methods), default=1) or 1
    bars = tuple(
        Bar(
            label=_short(f"{kind}: {rule}", 44),
            language=None,
            href="",
            y=10 + i * 32,
            width=max(2, round(BAR_SPACE * n / top)),
            value_text=formatting.number(n),
        )
        for i, (kind, rule, n) in enumerate(methods)
    )
    return CountChart(
        bars=bars,
        width=LABEL_WIDTH + BAR_SPACE + TEXT_SPACE,
        height=20 + len(bars) * 32,
        label_width=LABEL_WIDTH,
    )


# --- What worked: a round's summary ----------------------------------------------------------


def turnout_change(network: Network, figures: RoundFigures) -> Fraction | None:
    """Turnout against the council's previous round, in percentage points (None when either
    has no roll)."""
    before = previous_round(network, figures)
    if before is None or figures.turnout is None or before.turnout is None:
        return None
    return figures.turnout - before.turnout


def greedy_gain(figures: RoundFigures) -> Fraction | None:
    """How many more voters (as a share) had a choice funded than under greedy."""
    if figures.greedy is None or not figures.voters:
        return None
    return Fraction(figures.satisfied - figures.greedy.satisfied, figures.voters)


def points(change: Fraction | None) -> str:
    """A change of share in percentage points, signed: "+3.2 points"."""
    if change is None:
        return "–"
    value = Fraction(100) * change
    text = one_decimal(abs(value))
    if value > 0:
        return _("+%(points)s points", points=text)
    if value < 0:
        return _("−%(points)s points", points=text)
    return _("no change")


def summary(network: Network, figures: RoundFigures) -> list[str]:
    """A short account of the round for a council's report, in the page's language: its
    turnout against the council's previous round, how its money spread across neighbourhoods,
    the rule used and what it changed against greedy, and delivery so far."""
    out = []
    before = previous_round(network, figures)
    if figures.roll:
        text = _(
            "%(voted)s of the %(roll)s people on the roll voted (%(share)s).",
            voted=formatting.number(figures.voted),
            roll=formatting.number(figures.roll),
            share=percent(figures.turnout),
        )
        if before is not None and before.turnout is not None:
            change = figures.turnout - before.turnout
            previous = str(in_page_language(before.round, "title"))
            if change > 0:
                text += " " + _(
                    "Turnout rose from %(share)s in %(round)s.",
                    share=percent(before.turnout),
                    round=previous,
                )
            elif change < 0:
                text += " " + _(
                    "Turnout fell from %(share)s in %(round)s.",
                    share=percent(before.turnout),
                    round=previous,
                )
            else:
                text += " " + _("Turnout was the same as in %(round)s.", round=previous)
        elif before is None:
            text += " " + _("This is the council's first published round.")
        out.append(text)
    else:
        out.append(ngettext("%(num)s person voted.", "%(num)s people voted.", figures.voted))
    funded = len(figures.funded)
    out.append(
        ngettext(
            "%(allocated)s of %(budget)s went to %(num)s project.",
            "%(allocated)s of %(budget)s went to %(num)s projects.",
            funded,
            allocated=formatting.money(figures.allocated_pence),
            budget=formatting.money(figures.budget_pence),
        )
    )
    known = [s for s in figures.spread if s.neighbourhood is not None]
    reached = [s for s in known if s.allocated_pence]
    if known and reached:
        per = [s for s in reached if s.per_resident is not None]
        text = ngettext(
            "The money reached %(reached)s of the council's %(num)s neighbourhood.",
            "The money reached %(reached)s of the council's %(num)s neighbourhoods.",
            len(known),
            reached=formatting.number(len(reached)),
        )
        if len(per) > 1:
            most = max(per, key=lambda s: s.per_resident)
            least = min(per, key=lambda s: s.per_resident)
            text += " " + _(
                "The most for each resident went to %(most)s (%(most_money)s a resident), the "
                "least to %(least)s (%(least_money)s).",
                most=str(in_page_language(most.neighbourhood, "name")),
                most_money=formatting.money(most.per_resident, always_pence=True),
                least=str(in_page_language(least.neighbourhood, "name")),
                least_money=formatting.money(least.per_resident, always_pence=True),
            )
        missed = [s for s in known if not s.allocated_pence]
        if missed and len(missed) <= 3:
            text += " " + ngettext(
                "Nothing was funded in %(names)s.",
                "Nothing was funded in %(names)s.",
                len(missed),
                names=names(tuple(str(in_page_language(s.neighbourhood, "name")) for s in missed)),
            )
        out.append(text)
    unknown = sum(s.allocated_pence for s in figures.spread if s.neighbourhood is None)
    if unknown:
        out.append(
            _(
                "%(money)s went to projects whose neighbourhood is not recorded.",
                money=formatting.money(unknown),
            )
        )
    rule = rule_label(figures.rule)
    text = _("Counting rule: %(rule)s.", rule=rule)
    if figures.greedy is not None:
        g = figures.greedy
        if not g.gained and not g.dropped:
            text += " " + _(
                "Greedy counting (most votes first) would have funded the same projects."
            )
        else:
            text += " " + _(
                "Greedy counting (most votes first) would have funded a different set of "
                "projects (%(greedy)s, %(greedy_money)s, against %(own_money)s): %(gained)s "
                "only under Equal Shares and %(dropped)s only under greedy.",
                greedy=ngettext("%(num)s project", "%(num)s projects", len(g.funded)),
                greedy_money=formatting.money(g.allocated_pence),
                own_money=formatting.money(figures.allocated_pence),
                gained=ngettext("%(num)s project funded", "%(num)s projects funded", len(g.gained)),
                dropped=formatting.number(len(g.dropped)),
            )
        if figures.voters:
            text += " " + _(
                "%(share)s of voters had at least one of their choices funded, against %(greedy)s "
                "under greedy.",
                share=percent(figures.satisfied_share),
                greedy=percent(g.satisfied_share(figures.voters)),
            )
    elif figures.voters:
        text += " " + _(
            "%(share)s of voters had at least one of their choices funded.",
            share=percent(figures.satisfied_share),
        )
    out.append(text)
    if figures.partner_pence:
        out.append(
            _(
                "Partners pledged %(money)s towards the funded projects (%(share)s of the money "
                "for them).",
                money=formatting.money(figures.partner_pence),
                share=percent(figures.partner_share),
            )
        )
    if funded:
        if figures.updated:
            out.append(
                ngettext(
                    "%(delivered)s of the %(num)s funded project is complete; %(spent)s of "
                    "%(allocated)s has been spent.",
                    "%(delivered)s of the %(num)s funded projects are complete; %(spent)s of "
                    "%(allocated)s has been spent.",
                    funded,
                    delivered=formatting.number(figures.delivered),
                    spent=formatting.money(figures.spent_pence),
                    allocated=formatting.money(figures.allocated_pence),
                )
            )
        else:
            out.append(_("No delivery updates have been published yet."))
    if figures.withheld_pots:
        out.append(
            ngettext(
                "%(num)s pot had too few ballots for its figures to be published; it is left out "
                "of these figures.",
                "%(num)s pots had too few ballots for their figures to be published; they are "
                "left out of these figures.",
                figures.withheld_pots,
            )
        )
    return out


# How the rounds on the what-worked page can be put in order: the key, its name, and the value
# sorted by (largest first; rounds without it last).
ORDERS = {
    "turnout-change": (_l("Rise in turnout"), lambda n, r: turnout_change(n, r)),
    "turnout": (_l("Turnout"), lambda n, r: r.turnout),
    "satisfied": (_l("Voters with a choice funded"), lambda n, r: r.satisfied_share),
    "equal-shares": (_l("Gain over greedy"), lambda n, r: greedy_gain(r)),
    "reach": (
        _l("Neighbourhoods reached"),
        lambda n, r: (
            Fraction(r.reached, len([s for s in r.spread if s.neighbourhood]))
            if any(s.neighbourhood for s in r.spread)
            else None
        ),
    ),
    "delivered": (_l("Projects completed"), lambda n, r: r.delivered_share),
}
DEFAULT_ORDER = "turnout-change"


def ordered(network: Network, rounds: Sequence[RoundFigures], order: str) -> list[RoundFigures]:
    key = ORDERS[order][1]
    have = [(key(network, r), r) for r in rounds]
    with_value = sorted(
        (p for p in have if p[0] is not None),
        key=lambda p: (-p[0], p[1].council.name, p[1].round.id),
    )
    return [r for _v, r in with_value] + [r for v, r in have if v is None]
