"""An organisation's rules in words, for its pages, in the page's language."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.web.presenters.formatting import number
from app.web.presenters.methods import ngettext
from app.workflow.organisations import Organisation, Rules, Threshold, rules_of

# The shares people name in words; any other is written as a fraction ("5/8").
SHARE_WORDS = {
    (1, 2): _l("one half"),
    (2, 3): _l("two thirds"),
    (3, 4): _l("three quarters"),
}


def share_words(threshold: Threshold) -> str:
    """ "more than one half of the votes cast", "at least three quarters of the votes cast"."""
    if threshold.numerator == threshold.denominator:
        return _("all of the votes cast")
    fraction = threshold.share
    share = SHARE_WORDS.get((fraction.numerator, fraction.denominator))
    share = str(share) if share else f"{threshold.numerator}/{threshold.denominator}"
    if threshold.more_than:
        return _("more than %(share)s of the votes cast", share=share)
    return _("at least %(share)s of the votes cast", share=share)


def quorum_words(rules: Rules) -> str:
    n = rules.quorum_members
    members = ngettext("%(num)s member present", "%(num)s members present", n)
    if rules.quorum_percent is not None:
        members = _(
            "%(members)s, or %(percent)s%% of the members eligible if that is more",
            members=members,
            percent=number(rules.quorum_percent),
        )
    if rules.quorum_counts_proxies:
        return _("%(quorum)s (proxies count)", quorum=members)
    return _("%(quorum)s (proxies do not count)", quorum=members)


def _days(n: int) -> str:
    return ngettext("%(num)s day", "%(num)s days", n)


def yes_no(value: bool) -> str:
    return _("Yes") if value else _("No")


def rules_rows(organisation: Organisation) -> list[dict]:
    """The organisation's rules as the rows of a GOV.UK summary list."""
    rules = rules_of(organisation)
    rows = [
        (_("Votes per member"), _("One member, one vote")),
        (_("Notice of a general meeting"), _days(rules.notice_days)),
        (_("Proxies one member may hold"), number(rules.proxy_cap)),
        (_("A special resolution needs"), share_words(rules.special)),
        (_("An ordinary resolution needs"), share_words(rules.ordinary)),
        (_("Quorum"), quorum_words(rules)),
        (_("Abstentions count as votes cast"), yes_no(rules.abstentions_count)),
        (_("The chair has a casting vote"), yes_no(rules.chair_casting_vote)),
    ]
    return [{"key": {"text": key}, "value": {"text": value}} for key, value in rows]
