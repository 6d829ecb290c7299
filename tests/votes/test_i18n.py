"""votes in other languages: every sentence it writes comes from its own catalogue (domain
"votes", stdlib gettext), English stays as it was, and a stranger's ``votes verify`` checks the
Welsh explanations of a published result as it checks the English."""

from __future__ import annotations

import ast
import json
import re
from fractions import Fraction
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo

from tests.app.languages.catalogues import read
from tests.votes.test_verify import build, zipped
from votes import i18n, text
from votes import read as read_pb
from votes.ballot import format_money, validate_ballot
from votes.model import Ballot, BallotKind, BallotRules, Election, Project, RankedScoring
from votes.rules import RULES, tally
from votes.verify import canonical_json, result_document, same_count, verify_zip

FIXTURES = Path(__file__).parent / "fixtures"
WELSH_PO = Path(i18n.LOCALE) / "cy/LC_MESSAGES/votes.po"


def english_fragments() -> set[str]:
    """Every run of two words or more of every English text in the catalogue, placeholders
    taken out: none may appear in a Welsh sentence."""
    found = set()
    for message in read(WELSH_PO):
        if not message.id:
            continue
        for msgid in message.id if isinstance(message.id, tuple | list) else [message.id]:
            for part in re.split(r"%\(\w+\)s", msgid):
                part = part.strip(" .,;:()")
                if len(part.split()) >= 2:
                    found.add(part)
    return found


ENGLISH = english_fragments()


def assert_welsh(sentence: str) -> None:
    leftover = [f for f in ENGLISH if f in sentence]
    assert not leftover, f"English in {sentence!r}: {leftover}"
    assert sentence.strip()


def approval() -> Election:
    projects = (
        Project("1", Fraction(90000), "Meinciau parc"),
        Project("2", Fraction(60000), "Llyfrau llyfrgell"),
        Project("3", Fraction(40000), "Goleuadau stryd"),
        Project("4", Fraction(250000), "Ysgol haf"),
        Project("5", Fraction(500), ""),
        Project("6", Fraction(0), "Diwrnod glanhau"),
    )
    choices = [("1", "2"), ("1",), ("2", "3"), ("3",), ("1", "3"), ("4",), ("4", "1"), ("2",)]
    choices += [("6", "1"), ("1", "2", "3")]
    return Election(
        Fraction(200000),
        projects,
        tuple(Ballot(c) for c in choices),
        BallotRules(kind=BallotKind.APPROVAL),
    )


ELECTIONS = {
    "approval": approval,
    "cumulative": lambda: read_pb(FIXTURES / "cumulative.pb"),
    "ranked": lambda: read_pb(FIXTURES / "ordinal.pb"),
    "ranked-borda": lambda: read_pb(FIXTURES / "ordinal.pb").with_ranked_scoring(
        RankedScoring.BORDA
    ),
    "quirks": lambda: read_pb(FIXTURES / "quirks.pb"),
}
CASES = [
    pytest.param(name, rule, id=f"{name}-{rule}")
    for name, make in ELECTIONS.items()
    for rule in RULES[make().kind]
]


@pytest.mark.parametrize(("name", "rule"), CASES)
def test_every_rule_explains_every_project_in_welsh(name, rule):
    election = ELECTIONS[name]()
    english = tally(election, rule, money=format_money)
    welsh = tally(election, rule, money=format_money, language="cy")
    assert welsh.selected == english.selected
    for e, w in zip(english.explanations, welsh.explanations, strict=True):
        assert w.reason != e.reason
        assert_welsh(w.reason)
        with pytest.raises(AssertionError):  # the check finds English where there is some
            assert_welsh(e.reason)
        assert e.reason_in("cy") == w.reason  # the same sentence, in any language, any time
        assert w.reason_in("en") == w.reason_in() == e.reason
        assert (w.project_id, w.funded, w.details) == (e.project_id, e.funded, e.details)


def test_welsh_explanations_read_as_welsh():
    outcome = tally(approval(), "mes", money=format_money, language="cy")
    reasons = {e.project_id: e.reason for e in outcome.explanations}
    assert reasons["1"].startswith("Wedi'i ariannu yn rownd ")
    assert "Heb ei ariannu." in reasons["4"]
    assert reasons["4"].endswith("yn brin o'i gost o £2,500: cefnogaeth effeithiol o 16%.")
    assert reasons["5"] == "Heb ei ariannu: ni ddewiswyd ef gan unrhyw bleidlais."
    assert reasons["6"] == "Wedi'i ariannu yn gyntaf: nid yw'n costio dim."
    greedy = tally(approval(), "greedy", money=format_money, language="cy")
    first = next(e.reason for e in greedy.explanations if e.details["rank"] == 1)
    assert first.startswith("Wedi'i ariannu. Yn y 1af safle o ran pleidleisiau (")
    irv = tally(read_pb(FIXTURES / "ordinal.pb"), "irv", language="cy")
    assert [e.reason.split(" ")[0] for e in irv.explanations] == ["Roedd", "Enillodd", "Wedi'i"]


def test_an_unnamed_project_is_named_in_welsh():
    election = Election(
        Fraction(100),
        (Project("1", Fraction(60)), Project("2", Fraction(60), "Pwll")),
        (Ballot(("1",)), Ballot(("1",)), Ballot(("2",))),
        BallotRules(kind=BallotKind.APPROVAL),
    )
    [_, second] = tally(election, "plurality", language="cy").explanations
    assert second.reason == (
        "Daeth yn 2il gan gael 1 o'r 3 pleidlais; enillodd prosiect 1 gan gael 2 bleidlais."
    )
    [_, english] = tally(election, "plurality").explanations
    assert english.reason == "Came 2nd with 1 of 3 votes; project 1 won with 2 votes."
    problems = validate_ballot(
        Ballot(("1", "1")), BallotRules(BallotKind.APPROVAL), election.projects, language="cy"
    )
    assert [p.message for p in problems] == [
        "Rydych wedi dewis prosiect 1 fwy nag unwaith; mae pob prosiect yn cyfrif unwaith yn unig."
    ]


# Welsh has six plural forms (CLDR): zero, one, two, few (3), many (6) and other.
FORM = {0: 0, 1: 1, 2: 2, 3: 3, 6: 4, 10: 5}


@pytest.mark.parametrize("n", sorted(FORM))
def test_ngettext_takes_the_welsh_form_for_the_number(n):
    forms = next(m.string for m in read(WELSH_PO) if m.id == ("%(num)s voter", "%(num)s voters"))
    t = i18n.translator("cy")
    assert t.ngettext("%(num)s voter", "%(num)s voters", n) == forms[FORM[n]]
    assert t.render(i18n.ngettext("%(num)s voter", "%(num)s voters", n)) == (
        forms[FORM[n]] % {"num": n}
    )


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (0, "Heb ei ariannu: ni ddewiswyd ef gan unrhyw bleidlais."),
        (1, "Dewisodd 1 pleidleisiwr ef."),
        (2, "Dewisodd 2 bleidleisiwr ef."),
        (3, "Dewisodd 3 phleidleisiwr ef."),
        (6, "Dewisodd 6 phleidleisiwr ef."),
        (10, "Dewisodd 10 o bleidleiswyr ef."),
    ],
)
def test_a_count_of_voters_takes_the_welsh_form_and_mutation_for_the_number(n, expected):
    election = Election(
        Fraction(100),
        (Project("a", Fraction(60), "Gardd gymunedol"),),
        tuple(Ballot(("a",)) for _ in range(n)),
        BallotRules(kind=BallotKind.APPROVAL),
    )
    [explanation] = tally(election, "max-welfare", language="cy").explanations
    assert explanation.reason.endswith(expected)
    [english] = tally(election, "max-welfare").explanations
    assert english.reason.endswith(
        "Not funded: no ballot chose it."
        if n == 0
        else f"{n} voter{'s' if n != 1 else ''} chose it."
    )


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (1, "Yn y 1af safle o ran pleidleisiau (1 bleidlais)."),
        (2, "Yn y 1af safle o ran pleidleisiau (2 bleidlais)."),
        (3, "Yn y 1af safle o ran pleidleisiau (3 pleidlais)."),
        (6, "Yn y 1af safle o ran pleidleisiau (6 phleidlais)."),
        (10, "Yn y 1af safle o ran pleidleisiau (10 o bleidleisiau)."),
    ],
)
def test_a_count_of_votes_takes_the_welsh_form_of_a_feminine_noun(n, expected):
    election = Election(
        Fraction(100),
        (Project("a", Fraction(60), "Gardd gymunedol"), Project("b", Fraction(60), "Pwll")),
        tuple(Ballot(("a",)) for _ in range(n)),
        BallotRules(kind=BallotKind.APPROVAL),
    )
    reasons = [e.reason for e in tally(election, "greedy", language="cy").explanations]
    assert expected in reasons[0]
    assert "Yn y 2il safle o ran pleidleisiau (dim pleidleisiau)." in reasons[1]


# --- Ballot problems -------------------------------------------------------------------------

PROJECTS = (
    Project("1", Fraction(30000), "Meinciau"),
    Project("2", Fraction(25000), "Biniau"),
    Project("3", Fraction(40000), "Goleuadau"),
)


@pytest.mark.parametrize(
    ("rules", "ballot", "welsh"),
    [
        (
            BallotRules(kind=BallotKind.APPROVAL, max_choices=2),
            Ballot(("1", "2", "3")),
            ["Gallwch ddewis hyd at 2 brosiect; rydych wedi dewis 3."],
        ),
        (
            BallotRules(kind=BallotKind.APPROVAL, min_choices=3),
            Ballot(("1",)),
            ["Dewiswch o leiaf 3 phrosiect; rydych wedi dewis 1."],
        ),
        (
            BallotRules(kind=BallotKind.KNAPSACK),
            Ballot(("1", "3", "9")),
            [
                "Nid yw un o'ch dewisiadau ('9') yn brosiect yn y bleidlais hon.",
                "Mae'r prosiectau a ddewisoch yn costio £700 i gyd, ond dim ond £500 sydd i'w "
                "wario; tynnwch rywbeth.",
            ],
        ),
        (
            BallotRules(kind=BallotKind.RANKED, max_choices=3),
            Ballot(("1", "", "1")),
            [
                "Rydych wedi rhoi Meinciau mewn mwy nag un safle; dim ond un safle all fod gan "
                "bob prosiect.",
                "Rydych wedi gadael safle 2 yn wag ond wedi llenwi safle diweddarach; rhifwch "
                "eich dewisiadau 1, 2, 3 ac ati heb fylchau.",
            ],
        ),
        (
            BallotRules(kind=BallotKind.CUMULATIVE, points=10, max_points_per_project=6),
            Ballot(("1", "2"), (7, 2)),
            [
                "Rydych wedi rhoi 7 o bwyntiau i Meinciau; gall prosiect gael 6 ar y mwyaf.",
                "Rydych wedi defnyddio 9 o'ch 10 pwynt; defnyddiwch bob un o'r 10.",
            ],
        ),
        (
            BallotRules(kind=BallotKind.SINGLE, allow_blank=False),
            Ballot(()),
            ["Nid ydych wedi dewis prosiect; dewiswch un."],
        ),
    ],
)
def test_ballot_problems_in_welsh(rules, ballot, welsh):
    english = validate_ballot(ballot, rules, PROJECTS, Fraction(50000))
    problems = validate_ballot(ballot, rules, PROJECTS, Fraction(50000), language="cy")
    assert [p.message for p in problems] == welsh
    # The same problems, said in another language.
    assert [(p.code, p.project_id) for p in problems] == [(p.code, p.project_id) for p in english]
    assert [p.in_language("cy") for p in english] == welsh
    assert [p.in_language() for p in problems] == [p.message for p in english]
    for p in problems:
        assert_welsh(p.message)


def test_problem_message_stays_english_by_default():
    [problem] = validate_ballot(Ballot(("1", "1")), BallotRules(BallotKind.APPROVAL), PROJECTS)
    assert problem.message == "You chose Meinciau more than once; each project counts once."
    assert problem.in_language("cy") == (
        "Rydych wedi dewis Meinciau fwy nag unwaith; mae pob prosiect yn cyfrif unwaith yn unig."
    )


# --- Languages there are, and those there are not ---------------------------------------------


def test_the_languages_are_english_first_then_each_catalogue():
    assert i18n.languages()[0] == "en"
    assert "cy" in i18n.languages()
    assert i18n.available("en") and i18n.available("cy")
    assert i18n.translator("cy").name == "Cymraeg"
    assert i18n.translator().name == "English"
    assert i18n.translator("cy") is i18n.translator("cy")  # loaded once


@pytest.mark.parametrize("missing", ["fr", "xx"])
def test_a_language_with_no_catalogue_is_english(missing):
    assert not i18n.available(missing)
    assert missing not in i18n.languages()
    election = approval()
    english = [e.reason for e in tally(election, "mes", money=format_money).explanations]
    fallen = tally(election, "mes", money=format_money, language=missing)
    assert [e.reason for e in fallen.explanations] == english
    [problem] = validate_ballot(
        Ballot(("1", "1")), BallotRules(BallotKind.APPROVAL), PROJECTS, language=missing
    )
    assert problem.message == "You chose Meinciau more than once; each project counts once."
    assert text.join_list(["a", "b", "c"], language=missing) == "a, b and c"


def test_adding_a_language_is_adding_its_catalogue(tmp_path, monkeypatch):
    catalog = Catalog(locale="de", domain="votes")
    catalog.add("Funded.", "Finanziert.")
    catalog.add(("%(num)s voter chose it.", "%(num)s voters chose it."), ("%(num)s Wähler.",) * 2)
    folder = tmp_path / "de" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    (folder / "votes.mo").write_bytes(buffer.getvalue())
    monkeypatch.setattr(i18n, "LOCALE", tmp_path)
    i18n.languages.cache_clear()
    i18n._load.cache_clear()
    try:
        assert i18n.languages() == ("en", "de")
        election = Election(
            Fraction(100),
            (Project("a", Fraction(60), "Garten"),),
            tuple(Ballot(("a",)) for _ in range(3)),
            BallotRules(kind=BallotKind.APPROVAL),
        )
        [e] = tally(election, "max-welfare", language="de").explanations
        # What the catalogue has is in German, what it lacks in English.
        assert e.reason.startswith("Finanziert. It is in the set of projects")
        assert e.reason.endswith(" 3 Wähler.")
        document = result_document(election, tally(election, "max-welfare"))
        assert set(document["translations"]) == {"de"}
    finally:
        i18n.languages.cache_clear()
        i18n._load.cache_clear()


def test_no_code_names_a_language_but_english():
    """A language is its catalogue: no string in votes' code (its docstrings aside) names one."""
    votes = Path(i18n.__file__).parent
    named = []
    for path in sorted(votes.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)
        }
        named += [
            f"{path.relative_to(votes)}:{node.lineno}: {node.value!r}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
            and re.search(r"\bcy\b|Cymraeg|Welsh", node.value)
        ]
    assert not named, named


def test_the_rules_take_a_translator_too():
    t = i18n.translator("cy")
    by_code = tally(approval(), "phragmen", money=format_money, language="cy")
    by_translator = tally(approval(), "phragmen", money=format_money, language=t)
    assert [e.reason for e in by_code.explanations] == [
        e.reason for e in by_translator.explanations
    ]


# --- The word helpers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "english", "welsh"),
    [
        (1, "1st", "1af"),
        (2, "2nd", "2il"),
        (3, "3rd", "3ydd"),
        (4, "4th", "4ydd"),
        (7, "7th", "7fed"),
        (11, "11th", "11eg"),
        (12, "12th", "12fed"),
        (20, "20th", "20fed"),
        (21, "21st", "21ain"),
        (40, "40th", "40fed"),
        (101, "101st", "101fed"),
        (112, "112th", "112fed"),
    ],
)
def test_ordinal_in_each_language(n, english, welsh):
    assert text.ordinal(n) == text.ordinal(n, "en") == english
    assert text.ordinal(n, "cy") == welsh


def test_lists_and_times_in_each_language():
    assert text.join_list(["a", "b", "c"], language="en") == "a, b and c"
    assert text.join_list(["a", "b"], "or", language="en") == "a or b"
    assert text.join_list(["Parc", "Llyfrgell", "Pwll"], language="cy") == "Parc, Llyfrgell a Pwll"
    assert text.join_list(["Parc", "Ysgol"], language="cy") == "Parc ac Ysgol"
    assert text.join_list(["Parc", "Ysgol"], "or", language="cy") == "Parc neu Ysgol"
    assert text.join_list(["un"], language="cy") == "un"
    assert [text.times(n, "en") for n in (1, 2, 3, 1204)] == [
        text.times(n) for n in (1, 2, 3, 1204)
    ]
    assert [text.times(n, "cy") for n in (1, 2, 3, 6, 10)] == [
        "unwaith",
        "dwywaith",
        "3 gwaith",
        "6 gwaith",
        "10 gwaith",
    ]


# --- English is as it was -------------------------------------------------------------------


def test_english_is_what_it_was():
    outcome = tally(approval(), "mes", money=format_money)
    reasons = {e.project_id: e.reason for e in outcome.explanations}
    assert reasons["5"] == "Not funded: no ballot chose it."
    assert reasons["6"] == "Funded first: it costs nothing."
    greedy = tally(read_pb(FIXTURES / "cumulative.pb"), "greedy")
    assert greedy.explanations[1].reason == (
        "Funded. Ranked 1st by points (8 points). 1,000 was left when it was reached, enough "
        "for its cost of 500."
    )
    assert tally(approval(), "greedy", language="en") == tally(approval(), "greedy")


# --- A published result in Welsh, checked by a stranger ----------------------------------------


def stored_outcome(files: dict[str, bytes]) -> tuple[dict, dict]:
    results = json.loads(files["results.json"])
    return results, results["outcome"]


def rewritten(files: dict[str, bytes], results: dict) -> bytes:
    files = dict(files)
    files["results.json"] = canonical_json(results).encode()
    return zipped(files)


def test_the_published_document_has_the_welsh_explanations_and_verify_checks_them():
    files = build()
    _, outcome = stored_outcome(files)
    welsh = outcome["translations"]["cy"]
    assert set(welsh) == {p["id"] for p in outcome["projects"]}
    for p in outcome["projects"]:
        assert welsh[p["id"]] != p["explanation"]
        assert_welsh(welsh[p["id"]])
    report = verify_zip(zipped(files))
    assert report.ok, report.problems
    assert any("the explanations in Cymraeg (cy) are the recount's" in c for c in report.checked)


def test_verify_fails_naming_the_step_when_one_welsh_explanation_is_altered():
    files = build()
    results, outcome = stored_outcome(files)
    outcome["translations"]["cy"]["2"] = "Wedi'i ariannu. Roedd pawb yn ei hoffi."
    report = verify_zip(rewritten(files, results))
    assert not report.ok
    assert report.problems == [
        "the explanations in Cymraeg (cy) in results.json are not the recount's for project 2"
    ]
    # The English and the count are still reproduced, and said so.
    assert any("reproduces the result in results.json" in c for c in report.checked)


def test_verify_refuses_translations_not_in_the_documented_format():
    files = build()
    results, outcome = stored_outcome(files)
    outcome["translations"] = ["cy"]
    report = verify_zip(rewritten(files, results))
    assert any("translations are not in the documented format" in p for p in report.problems)


def test_a_document_stored_before_translations_still_verifies():
    files = build()
    results, outcome = stored_outcome(files)
    del outcome["translations"]
    report = verify_zip(rewritten(files, results))
    assert report.ok, report.problems
    assert not any("Cymraeg" in c for c in report.checked)


def test_a_language_this_copy_of_votes_cannot_write_is_noted_not_failed():
    files = build()
    results, outcome = stored_outcome(files)
    outcome["translations"]["xx"] = {p["id"]: "?" for p in outcome["projects"]}
    report = verify_zip(rewritten(files, results))
    assert report.ok, report.problems
    assert any("the explanations in 'xx' were not checked" in n for n in report.notes)


def test_a_recount_matches_a_stored_result_in_the_languages_it_has():
    files = build()
    _, outcome = stored_outcome(files)
    recount = dict(outcome)
    assert same_count(recount, outcome)
    older = {k: v for k, v in outcome.items() if k != "translations"}
    assert same_count(recount, older)  # stored before there were translations
    more = {**recount, "translations": {**recount["translations"], "de": {}}}
    assert same_count(more, outcome)  # a language added since is not compared
    altered = json.loads(json.dumps(outcome))
    altered["translations"]["cy"]["1"] = "Newid."
    assert not same_count(recount, altered)


@pytest.mark.parametrize("code", ["../cy", "cy/../cy", "", "c", "x" * 40, "cy\x00"])
def test_a_code_that_is_not_a_language_code_names_no_catalogue(code):
    assert not i18n.translator(code).translated
    assert i18n.translator(code).render(i18n._("Funded.")) == "Funded."


def test_a_document_naming_a_path_as_a_language_is_noted_not_read():
    files = build()
    results, outcome = stored_outcome(files)
    outcome["translations"]["../cy"] = outcome["translations"]["cy"]
    report = verify_zip(rewritten(files, results))
    assert report.ok, report.problems
    assert any("the explanations in '../cy' were not checked" in n for n in report.notes)
