"""The results pages, their chart, the comparison of rules, the auditors' pages and the officers'
warnings before publishing, read in Welsh: for a published round of every counting method, each
page is in Welsh, names the method in Welsh, and shows none of the English sentences the
catalogue translates (the projects' explanations, which the counting library writes, and what
people wrote are left aside)."""

from __future__ import annotations

import re
from functools import lru_cache

import pytest
from flask import g

from app.web.extensions import db
from app.workflow import results
from app.workflow.models import Phase, Role
from tests.app.closed_round import closed_round
from tests.app.languages.catalogues import ROOT, read
from tests.app.pages import check_page, sign_in, soup
from tests.app.web.test_publishing import _tied_round
from tests.factories import PASSWORD, create_council, create_user
from votes.model import BallotKind

WELSH_CATALOGUE = ROOT / "app/web/translations/cy/LC_MESSAGES/messages.po"
PLACEHOLDER = re.compile(r"%\(\w+\)s|%%|<code>.*?</code>|<[^>]+>")
WORD = re.compile(r"[^\W\d_]{2,}")

# Each counting method's name in Welsh; greedy rules that counted points say points.
WELSH_RULES = {
    "greedy": "Y mwyaf o bleidleisiau yn gyntaf",
    "greedy-per-cost": "Y mwyaf o bleidleisiau am bob punt yn gyntaf",
    "mes": "Dull Cyfrannau Cyfartal",
    "mes-cardinality": "Dull Cyfrannau Cyfartal, gan gyfrif prosiectau",
    "mes-greedy": "Dull Cyfrannau Cyfartal, yna'r mwyaf o bleidleisiau yn gyntaf",
    "mes-add1": "Dull Cyfrannau Cyfartal gyda chwblhau",
    "phragmen": "Phragmén dilyniannol",
    "max-welfare": "Y gefnogaeth fwyaf am yr arian",
    "plurality": "Un enillydd: y mwyaf o bleidleisiau",
    "irv": "Un enillydd: pleidlais amgen",
}
WELSH_POINTS_RULES = {
    "greedy": "Y mwyaf o bwyntiau yn gyntaf",
    "greedy-per-cost": "Y mwyaf o bwyntiau am bob punt yn gyntaf",
    "mes-greedy": "Dull Cyfrannau Cyfartal, yna'r mwyaf o bwyntiau am bob punt yn gyntaf",
}

# Every counting method on approval ballots, and the ballots that count points or ranks.
CASES = [("approval", rule) for rule in WELSH_RULES] + [
    ("cumulative", "greedy"),
    ("cumulative", "mes-greedy"),
    ("ranked", "mes"),
    ("ranked", "irv"),
    ("knapsack", "mes-add1"),
    ("single-choice", "plurality"),
]


def words(text: str) -> int:
    return len(WORD.findall(text))


@lru_cache(maxsize=1)
def english_sentences() -> tuple[str, ...]:
    """The English of every text the Welsh catalogue translates differently, as it would
    appear on a page: each stretch of three or more words between placeholders and markup."""
    out = set()
    for message in read(WELSH_CATALOGUE):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if all(s == ids[0] for s in strings):
            continue
        for msgid in ids:
            for piece in PLACEHOLDER.split(msgid):
                piece = " ".join(piece.split()).strip(" ,.;:()")
                if words(piece) >= 3:
                    out.add(piece)
    return tuple(sorted(out))


def plain(text: str) -> str:
    return " ".join(text.split())


def page_text(page, leave_out: tuple[str, ...] = ()) -> str:
    # The audit log's records are shown as they were stored (JSON): data, not the page's words.
    for record in page.select("code.devolve-json"):
        record.decompose()
    text = plain(page.get_text(" "))
    for words_of_others in leave_out:
        text = text.replace(plain(words_of_others), " ")
    return text


def assert_welsh(page, leave_out: tuple[str, ...] = ()) -> str:
    """The page is in Welsh, with no English sentence the catalogue translates."""
    assert page.html["lang"] == "cy"
    text = page_text(page, leave_out)
    english = [s for s in english_sentences() if s in text]
    assert not english, f"English on a Welsh page: {english[:10]}"
    return text


def get_welsh(client, url: str):
    """``url`` asked for in Welsh: found, in Welsh, and sound as every page must be."""
    # The tests' requests share the test's application context, where Flask-Babel keeps the
    # language it chose for the first request (a browser's requests each have their own).
    g.pop("_flask_babel", None)
    response = client.get(url + ("&" if "?" in url else "?") + "lang=cy")
    assert response.status_code == 200, f"GET {url}: {response.status_code}"
    assert '<html lang="cy"' in response.get_data(as_text=True)
    page = soup(response)
    check_page(page)
    return page


def explanations(funding_round) -> tuple[str, ...]:
    """The projects' explanations, written by the counting library (translated by its own
    catalogue), left out of what these pages must say in Welsh."""
    return tuple(
        p.explanation
        for v in results.published_views(db.session, funding_round)
        for p in v.projects
    )


@pytest.mark.parametrize(("kind", "rule"), CASES, ids=[f"{k}-{r}" for k, r in CASES])
def test_the_results_pages_of_every_method_are_in_welsh(client, db, kind, rule):
    funding_round = closed_round(kind=kind, rule=rule, phase=Phase.PUBLISHED)
    council = funding_round.council
    base = f"/councils/{council.slug}/rounds/{funding_round.slug}/results"
    pot = funding_round.pots[0]
    [view] = results.published_views(db.session, funding_round)
    name = (WELSH_POINTS_RULES if view.counts_points else {}).get(rule, WELSH_RULES[rule])
    others = explanations(funding_round)

    text = assert_welsh(get_welsh(client, base), others)
    assert "Canlyniadau:" in text and "Cyfrifwyd 12 pleidlais; cyllideb £50,000." in text
    assert "Wedi'i ariannu" in text and "Gwirio bod eich pleidlais wedi'i chyfrif" in text

    page = get_welsh(client, base + "/figures")
    text = assert_welsh(page)
    assert page.select_one("#rule").get_text().startswith(f"Wedi'i gyfrif gyda: {name}.")
    assert "wedi'i ddyrannu." in page.select_one("#money").get_text()
    assert "Arian a ddyrannwyd ym mhob cronfa" in text

    page = get_welsh(client, f"{base}/{pot.id}")
    text = assert_welsh(page, others)
    counted = page.find("dt", string="Wedi'i gyfrif gyda").find_next("dd").get_text()
    assert counted.startswith(f"{name}. Os yw'n union gyfartal: ")
    assert "Pam y cafodd neu na chafodd pob prosiect ei ariannu" in text
    chart = page.select_one("svg#support-chart")
    measure = "Pwyntiau" if view.counts_points else "Pleidleisiau"
    assert chart.select_one("title").get_text() == f"{measure} pob prosiect yn {view.name}"
    assert chart.select_one("desc").get_text().startswith("Prosiectau a ariannwyd mewn gwyrdd")
    if chart.select_one("#funding-line"):
        assert "Llinell ariannu" in chart.get_text()
    caption = page.select_one("figcaption").get_text()
    assert caption.startswith("Mae'r prosiectau a ariannwyd uwchben y llinell ariannu.")
    headers = [th.get_text() for th in page.select("#results-table thead th")]
    assert headers[:3] == ["Prosiect", "Cost", "Pleidleisiau"]
    if view.equal_shares:
        assert page.select_one("#share-start dt").get_text() == "Cyfran pob pleidleisiwr"
        assert "wedi'i rannu'n gyfartal rhwng y 12 pleidlais" in text

    page = get_welsh(client, base + "/compare")
    text = assert_welsh(page)
    assert f"{WELSH_RULES[rule]} (rheol y cylch hwn)" in text
    assert "Sut mae pleidleiswyr yn gwneud o dan bob rheol" in text
    for other in results.compared_rules(rule, BallotKind(kind))[1:]:
        assert WELSH_RULES[other] in text
    # The pot is for the whole council: its money by neighbourhood, the unknown one in Welsh.
    assert "Arian a ddyrannwyd ym mhob cymdogaeth" in text


def test_a_withheld_pot_says_why_in_welsh(client, db):
    funding_round = closed_round(ballots=3, min_ballots=10, phase=Phase.PUBLISHED)
    base = f"/councils/{funding_round.council.slug}/rounds/{funding_round.slug}/results"
    sentence = "Bwriwyd llai na 10 pleidlais yn y gronfa hon"
    assert sentence in assert_welsh(get_welsh(client, base))
    assert sentence in assert_welsh(get_welsh(client, f"{base}/{funding_round.pots[0].id}"))
    figures = assert_welsh(get_welsh(client, base + "/figures"))
    assert "Wedi'i atal: rhy ychydig o bapurau pleidleisio" in figures
    assert "nid yw'n cael ei chymharu" in assert_welsh(get_welsh(client, base + "/compare"))


def test_the_auditors_pages_are_in_welsh(client, db):
    council = create_council(slug="audited")
    create_user(email="auditor@example.org", roles={council: Role.AUDITOR})
    funding_round = closed_round(council, rule="mes", phase=Phase.PUBLISHED)
    db.session.commit()
    sign_in(client, "auditor@example.org", PASSWORD)

    text = assert_welsh(get_welsh(client, "/auditors/audited"))
    assert "Archwilio" in text and "(Canlyniadau wedi'u cyhoeddi)" in text

    base = f"/auditors/audited/rounds/{funding_round.slug}"
    page = get_welsh(client, base)
    text = assert_welsh(page)
    assert f"Cofnod archwilio: {funding_round.title}" in text
    assert f"Lawrlwytho'r ffeil allforio ar gyfer {funding_round.pots[0].name} (ZIP)" in text
    assert "Canlyniadau wedi'u cyhoeddi ar ôl i swyddog eu gwirio" in text
    assert f"(cylch {funding_round.id})" in text
    assert [th.get_text() for th in page.select("#audit-log thead th")] == [
        "Pryd",
        "Pwy",
        "Beth",
        "Cyn",
        "Ar ôl",
    ]

    text = assert_welsh(get_welsh(client, base + "/what-if"))
    assert "rheol y cylch ei hun (Dull Cyfrannau Cyfartal)" in text
    assert "Dull Cyfrannau Cyfartal (a ddefnyddiwyd)" in text
    assert "Y mwyaf o bleidleisiau yn gyntaf" in text and "(12 pleidlais)" in text


@pytest.fixture
def officer(db):
    council = create_council(slug="home")
    create_user(email="officer@example.org", roles={council: Role.OFFICER})
    db.session.commit()
    return council


def warnings_in_welsh(client, funding_round) -> str:
    url = f"/officers/{funding_round.council.slug}/rounds/{funding_round.slug}/results/check"
    items = get_welsh(client, url).select("#warnings li")
    assert items
    text = plain(" ".join(li.get_text() for li in items))
    english = [s for s in english_sentences() if s in text]
    assert not english, f"English warnings on a Welsh page: {english[:10]}"
    return text


def test_the_officers_warnings_before_publishing_are_in_welsh(client, officer):
    sign_in(client, "officer@example.org", PASSWORD)
    unspent = closed_round(officer)
    text = warnings_in_welsh(client, unspent)
    assert "nid yw £20,000 o £50,000 (40%) wedi'i ddyrannu, sef mwy na chwarter y gronfa" in text
    withheld = closed_round(officer, kind="knapsack", ballots=3)
    assert "dim ond 3 pleidlais a fwriwyd, llai na'r 10 sydd eu hangen" in warnings_in_welsh(
        client, withheld
    )


@pytest.mark.parametrize("rule", ["greedy", "mes", "greedy-per-cost"])
def test_a_tie_break_warning_is_in_welsh(client, officer, rule):
    tied, pot = _tied_round(officer, rule)
    sign_in(client, "officer@example.org", PASSWORD)
    text = warnings_in_welsh(client, tied)
    a, b = (p.name for p in pot.projects)
    assert "torri'r cyfartal" in text and a in text and b in text


# --- The voting methods' words ----------------------------------------------------------------


class RoundLike:
    """What the descriptions read from a round."""

    def __init__(self, **settings):
        defaults = {
            "ballot_kind": "approval",
            "rule": "greedy",
            "min_choices": None,
            "max_choices": None,
            "points": 10,
            "max_points_per_project": None,
            "min_age": None,
            "max_age": None,
            "home_pot_only": False,
            "manifest_json": None,
        }
        self.__dict__.update(defaults | settings)


@pytest.mark.parametrize(
    ("settings", "welsh"),
    [
        ({"ballot_kind": "single-choice"}, "Dewiswch un prosiect ym mhob cronfa"),
        ({"ballot_kind": "ranked", "max_choices": 3}, "Rhifwch hyd at 3 phrosiect"),
        ({"ballot_kind": "ranked"}, "Rhifwch gynifer o brosiectau"),
        ({"ballot_kind": "cumulative", "max_points_per_project": 4}, "4 ar y mwyaf"),
        ({"ballot_kind": "knapsack", "max_choices": 2}, "y gronfa (2 brosiect ar y mwyaf)."),
        ({"min_choices": 1, "max_choices": 3}, "(rhwng 1 a 3 phrosiect)."),
        ({"min_choices": 2}, "Ticiwch bob prosiect yr hoffech ei weld yn cael ei ariannu (o leiaf"),
    ],
)
def test_how_to_fill_in_a_ballot_is_in_welsh(app, settings, welsh):
    from app.web.presenters.methods import describe_ballot

    with app.test_request_context("/?lang=cy"):
        assert welsh in describe_ballot(RoundLike(**settings))


def test_the_methods_descriptions_are_in_welsh(app):
    from app.web.presenters import methods

    with app.test_request_context("/?lang=cy"):
        assert methods.rule_labels() == WELSH_RULES
        assert methods.describe_rule("mes").startswith("Dull Cyfrannau Cyfartal: caiff")
        assert methods.describe_tie_break("cost-votes").startswith("Os yw dau brosiect")
        assert methods.describe_eligibility(
            RoundLike(min_age=11, max_age=25, home_pot_only=True)
        ).startswith("Gall preswylwyr rhwng 11 a 25 oed bleidleisio. Dim ond yng nghronfa")
        assert methods.describe_eligibility(RoundLike(min_age=16)) == (
            "Gall preswylwyr 16 oed neu hŷn bleidleisio. Gallwch bleidleisio ym mhob cronfa."
        )
        assert methods.rank_points_sentence(3) == (
            "Gyda 3 safle, mae dewis 1af yn cael 3 phwynt, yr 2il yn cael 2 a'r 3ydd yn cael 1"
        )
        assert methods.rank_points_sentence(7).endswith("i lawr i 1 ar gyfer y 7fed")
        ranked = RoundLike(ballot_kind="ranked", rule="mes", max_choices=2)
        assert methods.describe_ranked_scoring(ranked).endswith(
            "; mae pob dull cyfrif yn cyfrif y pwyntiau hyn."
        )
        kinds = " ".join(str(label) for label in methods.KIND_LABELS.values())
        assert "Cymeradwyo: ticiwch y prosiectau rydych yn eu cefnogi" in kinds
        assert not [s for s in english_sentences() if s in kinds]
