"""How the results pages show a count, in the page's language: the bar chart of support (drawn
on the server as SVG) with its title, description and funding line, the counting rule's name
as a pot's figures read, what the votes and points in a pot's table are, shares and averages
as words, and the officers' warnings before publishing."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from babel.numbers import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import pgettext
from markupsafe import Markup, escape

from app.web.i18n import current
from app.web.presenters import formatting
from app.web.presenters.methods import ngettext
from app.web.presenters.methods import rule_label as plain_rule_label
from app.workflow.publication import CheckWarning, Pence
from app.workflow.results import PotView, ProjectRow
from votes.model import TieBreak

# Greedy rules that counted points (cumulative ballots, or ranks turned into points) say
# points, not votes.
POINTS_RULE_LABELS = {
    "greedy": _l("Most points first"),
    "greedy-per-cost": _l("Most points per pound first"),
    # On points the completion goes by points per pound (see votes.rules).
    "mes-greedy": _l("Method of Equal Shares, then most points per pound first"),
}


def explanation(row: ProjectRow) -> Markup:
    """A project's explanation in the page's language (the ``explanation`` filter); where the
    stored result has none in it, the English, marked ``lang="en"`` for screen readers and
    translation tools."""
    language = current()
    said = row.explanation_in(language)
    if said.language == language:
        return escape(said.text)
    return Markup('<span lang="{}">{}</span>').format(said.language, said.text)


def rule_label(rule: str, counts_points: bool) -> str:
    """The counting rule's name; greedy rules that counted points say points, not votes."""
    if counts_points and rule in POINTS_RULE_LABELS:
        return str(POINTS_RULE_LABELS[rule])
    return plain_rule_label(rule)


# "Counted with" on a pot's page: the rule, then how exact ties were broken.
COUNTED_WITH = {
    TieBreak.COST_VOTES: _l("%(rule)s. Exact ties: cheaper project first, then more votes"),
    TieBreak.LEXICOGRAPHIC: _l("%(rule)s. Exact ties: lower project number first"),
}


def counted_with(rule: str, tie_break: str, counts_points: bool) -> str:
    """The rule a pot was counted with and how it broke exact ties, as one sentence."""
    name = rule_label(rule, counts_points)
    try:
        text = COUNTED_WITH[TieBreak(tie_break)]
    except ValueError:
        return name
    return str(text) % {"rule": name}


# What the votes and the points in a pot's table are: as a term's definition under the table,
# and in the chart's caption, by ballot kind.
VOTES_TERM = {
    "ranked": _l("Ballots that ranked the project, at any rank."),
    None: _l("Ballots that chose the project."),
}
POINTS_TERM = {
    "cumulative": _l("Points voters gave the project: what the count added up."),
    "ranked": _l(
        "Points the count gave for each voter's ranking of the project (a higher rank scores "
        "more): what the count added up."
    ),
    None: _l("Points the count gave: what the count added up."),
}
VOTES_CAPTION = {
    "ranked": _l(
        "Funded projects are above the funding line. Votes: ballots that ranked the project, "
        "at any rank."
    ),
    None: _l("Funded projects are above the funding line. Votes: ballots that chose the project."),
}
POINTS_CAPTION = {
    "cumulative": _l(
        "Funded projects are above the funding line. Points: points voters gave the project."
    ),
    "ranked": _l(
        "Funded projects are above the funding line. Points: points the count gave for each "
        "voter's ranking of the project (a higher rank scores more)."
    ),
    None: _l("Funded projects are above the funding line. Points: points the count gave."),
}


def _by_kind(texts: dict, ballot_kind: str) -> str:
    return str(texts.get(ballot_kind, texts[None]))


def votes_term(ballot_kind: str) -> str:
    return _by_kind(VOTES_TERM, ballot_kind)


def points_term(ballot_kind: str) -> str:
    return _by_kind(POINTS_TERM, ballot_kind)


def percent(share: Fraction | None) -> str:
    """A share as a whole percentage ("25%"); a dash when there is nothing to share."""
    if share is None:
        return "–"
    whole = round(100 * share)
    if whole == 0 and share > 0:
        return _("less than 1%")
    if whole == 100 and share < 1:
        return _("more than 99%")
    return _("%(percent)s%%", percent=formatting.number(whole))


def one_decimal(value: Fraction | None) -> str:
    """A number to one decimal place, as the page's language writes it: "1.2"."""
    if value is None:
        return "–"
    # Rounded as Python rounds the float, then written with the language's decimal sign.
    return format_decimal(Decimal(f"{float(value):.1f}"), format="0.0", locale=formatting.locale())


def voters_none_funded(share: Fraction | None, part: int, whole: int) -> str:
    """ "40% (4 of 10)": the share of voters with none of their choices funded, and how many."""
    if not whole:
        return percent(share)
    return _(
        "%(percent)s (%(part)s of %(whole)s)",
        percent=percent(share),
        part=formatting.number(part),
        whole=formatting.number(whole),
    )


FUNDED_COLOUR = "#00703c"  # GOV.UK green: 5.1:1 against white
UNFUNDED_COLOUR = "#505a5f"  # GOV.UK dark grey: 7:1 against white


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    funded: bool
    y: int
    width: int
    language: str | None = None  # the label's language, where it is not the page's

    @property
    def colour(self) -> str:
        return FUNDED_COLOUR if self.funded else UNFUNDED_COLOUR

    @property
    def value_text(self) -> str:
        """The bar's figure as the page's language writes numbers."""
        return formatting.number(self.value)


@dataclass(frozen=True)
class Chart:
    """A horizontal bar chart of support, funded projects first, with the funding line drawn
    between the last funded and the first unfunded project. Drawn on the server as SVG, with
    its words (title, description, the funding line's label, the caption) in the page's
    language."""

    measure: str  # "votes" or "points"
    bars: tuple[Bar, ...]
    width: int
    height: int
    label_width: int
    funding_line_y: int | None
    title: str = ""
    description: str = ""
    line_label: str = ""
    caption: str = ""

    ROW = 36


def _label(text: str) -> str:
    return text if len(text) <= 34 else text[:33] + "…"


def bar_chart(view: PotView, ballot_kind: str | None = None, texts: dict | None = None) -> Chart:
    """The chart of a pot's published result: votes, or points where the ballots gave points.
    ``texts`` (``app.web.views.paper_texts``) names the pot and the projects in the reader's
    language; without it, or for a row it does not have, the stored result's names."""
    names = (texts or {}).get("names", {})
    pot = (texts or {}).get("pot_names", {}).get(view.result.pot_id, view.name)
    shown = [names.get(str(p.id)) for p in view.projects]
    points = any(p.points is not None for p in view.projects)
    measure = "points" if points else "votes"
    values = [(p.points if points else p.votes) or 0 for p in view.projects]
    top = max(values, default=0) or 1
    label_width, bar_space = 260, 320
    bars = tuple(
        Bar(
            label=_label(name.text if name else p.name),
            value=v,
            funded=p.funded,
            y=10 + i * Chart.ROW,
            width=max(2, round(bar_space * v / top)),
            language=name.language if name and name.elsewhere else None,
        )
        for i, (p, v, name) in enumerate(zip(view.projects, values, shown, strict=True))
    )
    funded = sum(1 for b in bars if b.funded)
    line = 10 + funded * Chart.ROW - 4 if 0 < funded < len(bars) else None
    if points:
        title = _("Points for each project in %(pot)s", pot=str(pot))
        caption = _by_kind(POINTS_CAPTION, ballot_kind)
    else:
        title = _("Votes for each project in %(pot)s", pot=str(pot))
        caption = _by_kind(VOTES_CAPTION, ballot_kind)
    return Chart(
        measure=measure,
        bars=bars,
        width=label_width + bar_space + 80,
        height=20 + len(bars) * Chart.ROW,
        label_width=label_width,
        funding_line_y=line,
        title=title,
        description=_(
            "Funded projects in green above the funding line, projects not funded in grey "
            "below it. The same figures are in the table below."
        ),
        line_label=_("Funding line"),
        caption=caption,
    )


# --- The officers' warnings before publishing -------------------------------------------------


def names(items: tuple[str, ...]) -> str:
    """Names as a list in the page's language: "A, B and C" ("A, B a C" in Welsh)."""
    if len(items) <= 1:
        return "".join(items)
    head, last = ", ".join(items[:-1]), items[-1]
    # Two texts for the end of a list: some languages join a last name that begins with a
    # vowel differently (Welsh "ac", otherwise "a").
    if last[:1].lower() in "aeiouwyâêîôûŵŷáéíóúẃýàèìòùẁỳäëïöüẅÿ":
        return pgettext("list, before a vowel", "%(items)s and %(last)s", items=head, last=last)
    return pgettext("list", "%(items)s and %(last)s", items=head, last=last)


def _shown(value) -> str:
    if isinstance(value, Pence):
        return formatting.money(int(value))
    if isinstance(value, tuple):
        return names(value)
    if isinstance(value, int):
        return formatting.number(value)
    return value


def warning_text(warning: CheckWarning) -> str:
    """An officer's warning before publishing, in the page's language."""
    values = {k: _shown(v) for k, v in warning.values.items()}
    if warning.plural is None:
        return _(warning.text, **values) if values else _(warning.text)
    return ngettext(warning.text, warning.plural, warning.count or 0, **values)
