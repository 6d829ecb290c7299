"""An election's declared count as people read it: for each constituency, the quota, who was
elected in order, and the stage table (a row per candidate, a column per stage: their votes at
the end of the stage and the transfer during it; rows for the non-transferable votes, exhausted
and lost to rounding; who was elected or excluded at each stage). The page and the PDF for the
minutes both show it from here."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _

from app.web.presenters.formatting import number
from app.web.presenters.methods import ngettext


@dataclass(frozen=True)
class Cell:
    votes: str
    transfer: str  # "+1.50000", "-3.00000" or "" when nothing moved
    status: str  # "elected", "excluded" (at this stage) or ""


@dataclass(frozen=True)
class StageColumn:
    number: int
    heading: str  # "First preferences", "Surplus of Ann", "Exclusion of Bob"


@dataclass(frozen=True)
class Row:
    name: str
    cells: list[Cell]
    elected: bool


@dataclass(frozen=True)
class Declared:
    name: str
    seats: int
    ballots: int
    valid: int
    blank: int
    quota: str
    elected: list[str]
    stages: list[StageColumn]
    rows: list[Row]
    exhausted: list[Cell]
    rounding: list[Cell]
    quotas: list[str]  # at each stage (Meek's quota falls as votes are exhausted)


def _signed(value: str | None) -> str:
    if value is None or value.lstrip("-").strip("0.") == "":
        return ""
    return value if value.startswith("-") else f"+{value}"


def _heading(stage: dict) -> str:
    heading = _what(stage)
    tie = stage.get("tie")
    if tie and tie["how"] == "lot":
        return _("%(what)s (a tie, broken by the ballot order)", what=heading)
    if tie:
        return _("%(what)s (a tie, broken by stage %(n)s)", what=heading, n=tie["stage"])
    return heading


def _what(stage: dict) -> str:
    action, who = stage["action"], stage["candidate"]
    if action == "first":
        return _("First preferences")
    if action == "surplus":
        return _("Surplus of %(name)s", name=who)
    if action == "exclusion":
        return _("Exclusion of %(name)s", name=who)
    if action == "election":
        return _("Iterations to an election")
    if action == "defeat":
        return _("Defeat of %(name)s", name=who) if who else _("Defeat")
    return action


def declared(constituency: dict) -> Declared:
    """A constituency of ``result_json`` (``app.workflow.governance.elections.count``)."""
    count = constituency["count"]
    stages = count["stages"]
    names = [n for n in count["candidates"] if n not in count["withdrawn"]]
    rows = []
    for name in names:
        cells = []
        for stage in stages:
            status = (
                "elected"
                if name in stage["elected"]
                else "excluded"
                if name in stage["excluded"]
                else ""
            )
            # First preferences are where the votes start, not a transfer.
            moved = "" if stage["action"] == "first" else _signed(stage["transfers"].get(name))
            cells.append(Cell(stage["votes"].get(name, ""), moved, status))
        rows.append(Row(name, cells, name in count["elected"]))

    # Each stage records the running totals; their change is the difference from the stage
    # before.
    exhausted, rounding = [], []
    previous = {"exhausted": None, "rounding": None}
    for stage in stages:
        for key, out in (("exhausted", exhausted), ("rounding", rounding)):
            out.append(Cell(stage[key], _difference(stage[key], previous[key]), ""))
            previous[key] = stage[key]
    return Declared(
        name=constituency["name"],
        seats=constituency["seats"],
        ballots=constituency["ballots"],
        valid=count["valid_votes"],
        blank=count["blank"],
        quota=count["quota"],
        elected=list(count["elected"]),
        stages=[StageColumn(s["stage"], _heading(s)) for s in stages],
        rows=rows,
        exhausted=exhausted,
        rounding=rounding,
        quotas=[s["quota"] for s in stages],
    )


def _difference(now: str, before: str | None) -> str:
    """``now - before`` as decimals of the same places, signed; "" when nothing changed."""
    if before is None:
        return ""
    change = Decimal(now) - Decimal(before)  # exact: both are decimals of the rule's places
    if change == 0:
        return ""
    return ("-" if change < 0 else "+") + str(abs(change))


def declaration(result: dict) -> list[Declared]:
    return [declared(c) for c in result["constituencies"]]


def quorum_sentence(result: dict) -> str | None:
    """Whether the election was quorate, in one sentence (None for a result declared before
    elections recorded their quorum)."""
    quorum = result.get("quorum")
    if quorum is None:
        return None
    counted = ngettext(
        "%(num)s member present or represented",
        "%(num)s members present or represented",
        quorum["counted"],
    )
    if quorum["inquorate"]:
        return _(
            "Inquorate: %(counted)s, fewer than the quorum of %(required)s, so nobody is "
            "elected. The count is kept for the record only.",
            counted=counted,
            required=number(quorum["required"]),
        )
    return _(
        "Quorate: %(counted)s, against a quorum of %(required)s.",
        counted=counted,
        required=number(quorum["required"]),
    )
