"""How the results pages show a count: the bar chart of support (drawn on the server as SVG),
the counting rule's name as a pot's figures read, shares and averages as words, and each
project's explanation in the reader's language."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from markupsafe import Markup, escape

from app.web.i18n import current
from app.web.presenters.methods import RULE_LABELS
from app.workflow.results import PotView, ProjectRow

# What the points in a pot's table are, by ballot kind.
POINTS_MEANING = {
    "cumulative": "points voters gave the project",
    "ranked": "points the count gave for each voter's ranking of the project (a higher rank "
    "scores more)",
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


def points_meaning(ballot_kind: str) -> str:
    """What the points in a pot's table are, for a round's ballot kind."""
    return POINTS_MEANING.get(ballot_kind, "points the count gave")


def rule_label(rule: str, counts_points: bool) -> str:
    """The counting rule's name; greedy rules that counted points say points, not votes."""
    label = RULE_LABELS.get(rule, rule)
    if counts_points and rule in ("greedy", "greedy-per-cost"):
        label = label.replace("votes", "points")
    if counts_points and rule == "mes-greedy":
        # On points the completion goes by points per pound (see votes.rules).
        label = label.replace("most votes first", "most points per pound first")
    return label


def percent(share: Fraction | None) -> str:
    """A share as a whole percentage ("25%"); a dash when there is nothing to share."""
    if share is None:
        return "–"
    whole = round(100 * share)
    if whole == 0 and share > 0:
        return "less than 1%"
    if whole == 100 and share < 1:
        return "more than 99%"
    return f"{whole}%"


def one_decimal(value: Fraction | None) -> str:
    return "–" if value is None else f"{float(value):.1f}"


FUNDED_COLOUR = "#00703c"  # GOV.UK green: 5.1:1 against white
UNFUNDED_COLOUR = "#505a5f"  # GOV.UK dark grey: 7:1 against white


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    funded: bool
    y: int
    width: int

    @property
    def colour(self) -> str:
        return FUNDED_COLOUR if self.funded else UNFUNDED_COLOUR


@dataclass(frozen=True)
class Chart:
    """A horizontal bar chart of support, funded projects first, with the funding line drawn
    between the last funded and the first unfunded project. Drawn on the server as SVG."""

    measure: str  # "votes" or "points"
    bars: tuple[Bar, ...]
    width: int
    height: int
    label_width: int
    funding_line_y: int | None

    ROW = 36


def bar_chart(view: PotView) -> Chart:
    """The chart of a pot's published result: votes, or points where the ballots gave points."""
    points = any(p.points is not None for p in view.projects)
    measure = "points" if points else "votes"
    values = [(p.points if points else p.votes) or 0 for p in view.projects]
    top = max(values, default=0) or 1
    label_width, bar_space = 260, 320
    bars = tuple(
        Bar(
            label=p.name if len(p.name) <= 34 else p.name[:33] + "…",
            value=v,
            funded=p.funded,
            y=10 + i * Chart.ROW,
            width=max(2, round(bar_space * v / top)),
        )
        for i, (p, v) in enumerate(zip(view.projects, values, strict=True))
    )
    funded = sum(1 for b in bars if b.funded)
    line = 10 + funded * Chart.ROW - 4 if 0 < funded < len(bars) else None
    return Chart(
        measure=measure,
        bars=bars,
        width=label_width + bar_space + 80,
        height=20 + len(bars) * Chart.ROW,
        label_width=label_width,
        funding_line_y=line,
    )
