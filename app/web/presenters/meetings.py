"""A meeting's items in words, for its pages, in the page's language: the threshold a motion
needs, and the declaration's sentence ("Carried: 31 of 40 votes for (77.5%), 1 more than the
30 needed for a special resolution.")."""

from __future__ import annotations

from fractions import Fraction

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.web.presenters.formatting import number
from app.web.presenters.methods import ngettext
from app.web.presenters.organisations import share_words
from app.workflow.organisations import Threshold

RESOLUTIONS = {
    "ordinary": _l("an ordinary resolution"),
    "special": _l("a special resolution"),
}
CHANNELS = {
    "online": _l("Online"),
    "room": _l("At a kiosk in the room"),
    "paper": _l("On paper in the room"),
    "proxy": _l("By proxy"),
}


def _threshold(spec: dict) -> Threshold:
    share = Fraction(spec["share"])
    return Threshold(share.numerator, share.denominator, bool(spec["more_than"]))


def resolution(spec: dict) -> str:
    """ "a special resolution", or "a resolution needing at least 2/3 of the votes cast"."""
    named = RESOLUTIONS.get(spec.get("name"))
    if named is not None:
        return str(named)
    return _("a resolution needing %(share)s", share=share_words(_threshold(spec)))


def percent(votes_for: int, cast: int) -> str:
    return number(round(Fraction(100 * votes_for, cast), 1)) if cast else number(0)


def sentence(result: dict) -> str:
    """The declaration in one plain sentence."""
    decision = result["decision"]
    if decision["inquorate"]:
        return _(
            "Inquorate: %(counted)s counted towards the quorum of %(required)s, so the vote "
            "made no decision.",
            counted=ngettext(
                "%(num)s member present or represented",
                "%(num)s members present or represented",
                decision["quorum_counted"],
            ),
            required=number(decision["quorum_required"]),
        )
    if not decision["cast"]:
        return _("Not carried: no votes were cast.")
    values = {
        "for": number(decision["for"]),
        "cast": number(decision["cast"]),
        "percent": percent(decision["for"], decision["cast"]),
        "needed": number(decision["needed"]),
        "resolution": resolution(result["threshold"]),
    }
    margin = decision["margin"]
    if margin == 0:
        text = _(
            "Carried: %(for)s of %(cast)s votes for (%(percent)s%%), exactly the "
            "%(needed)s needed for %(resolution)s.",
            **values,
        )
    elif margin > 0:
        text = ngettext(
            "Carried: %(for)s of %(cast)s votes for (%(percent)s%%), %(num)s more than the "
            "%(needed)s needed for %(resolution)s.",
            "Carried: %(for)s of %(cast)s votes for (%(percent)s%%), %(num)s more than the "
            "%(needed)s needed for %(resolution)s.",
            margin,
            **values,
        )
    else:
        text = ngettext(
            "Not carried: %(for)s of %(cast)s votes for (%(percent)s%%), %(num)s fewer than "
            "the %(needed)s needed for %(resolution)s.",
            "Not carried: %(for)s of %(cast)s votes for (%(percent)s%%), %(num)s fewer than "
            "the %(needed)s needed for %(resolution)s.",
            -margin,
            **values,
        )
    if decision["casting_vote"] == "for":
        text += " " + _("The votes were tied: the chair's casting vote was for.")
    elif decision["casting_vote"] == "against":
        text += " " + _("The votes were tied: the chair's casting vote was against.")
    return text


def result_figures(result: dict) -> list[tuple[str, str]]:
    """The declaration's figures, each as (what, how many): the page's summary list and the
    PDF's table."""
    decision = result["decision"]
    return [
        (_("Votes for"), number(result["for"])),
        (_("Votes against"), number(result["against"])),
        (_("Abstentions"), number(result["abstain"])),
        (_("Votes cast"), number(decision["cast"])),
        (_("Threshold"), resolution(result["threshold"])),
        (_("Votes needed to carry it"), number(decision["needed"])),
        (_("Quorum required"), number(decision["quorum_required"])),
        (_("Counted towards the quorum"), number(decision["quorum_counted"])),
        (_("Members present or voting"), number(result["present"])),
        (_("Represented by proxy only"), number(result["by_proxy"])),
        (_("Members with a vote"), number(result["eligible"])),
    ]


def result_rows(result: dict) -> list[dict]:
    """The declaration's figures as the rows of a GOV.UK summary list."""
    return [
        {"key": {"text": key}, "value": {"text": value}} for key, value in result_figures(result)
    ]
