"""``python -m votes``, run as a real subprocess: real exit codes, real stdout and stderr."""

import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.votes.conftest import FIXTURES
from votes.cli import _jsonable, exact
from votes.model import Ballot, BallotKind, BallotRules, Election, Project, RankedScoring
from votes.pabulib import read, write


def run(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "votes", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_tally_prints_one_json_object_keyed_by_rule() -> None:
    done = run("tally", FIXTURES / "ordinal.pb", "--rule", "plurality", "--rule", "irv")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    out = json.loads(done.stdout)
    assert list(out) == ["plurality", "irv"]
    assert out["plurality"]["selected"] == ["A"]
    irv = out["irv"]
    assert irv["selected"] == ["B"]
    assert (irv["total_cost"], irv["budget"], irv["tie_break"]) == (60, 100, "cost-votes")
    assert irv["explanation"][2] == {
        "project": "C",
        "funded": False,
        "reason": "Eliminated in round 1 with 2 votes; 2 transferred to Bowling green.",
        "details": {"round": 1, "votes": 2, "transfers": {"B": 2}, "exhausted": 0},
    }
    assert [r["eliminated"] for r in irv["rounds"]] == [["C"], []]


def test_budgeting_rule_and_exact_numbers() -> None:
    """quirks.pb has a budget of 2500,75 and costs of 1234.50: exact "p/q" strings."""
    done = run("tally", FIXTURES / "quirks.pb", "--rule", "greedy", "--compact")
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("\n") == 1
    greedy = json.loads(done.stdout)["greedy"]
    assert greedy["budget"] == "10003/4"
    # p1 has 3 supporters; p10 and p2 tie on 2 and the cheaper p10 goes first; then p2 no
    # longer fits and p9 (1 supporter, 0.25) does.
    assert greedy["selected"] == ["p1", "p10", "p9"]
    assert greedy["total_cost"] == "7339/4"
    assert [x["project"] for x in greedy["explanation"]] == ["p1", "p2", "p10", "p9"]
    assert all(isinstance(x["reason"], str) and x["reason"] for x in greedy["explanation"])
    assert "rounds" not in greedy


def test_tie_break_option(tmp_path: Path) -> None:
    """One vote each for "10" and "9": "10" comes first as a string, "9" is cheaper."""
    path = tmp_path / "tie.pb"
    write(
        Election(
            Fraction(100),
            (Project("10", Fraction(50)), Project("9", Fraction(30))),
            (Ballot(("10",)), Ballot(("9",))),
            BallotRules(BallotKind.SINGLE),
        ),
        path,
    )
    lex = json.loads(
        run("tally", path, "--rule", "plurality", "--tie-break", "lexicographic").stdout
    )
    default = json.loads(run("tally", path, "--rule", "plurality").stdout)
    assert lex["plurality"]["selected"] == ["10"]
    assert lex["plurality"]["tie_break"] == "lexicographic"
    assert default["plurality"]["selected"] == ["9"]
    assert default["plurality"]["tie_break"] == "cost-votes"


def test_ranked_scoring_option() -> None:
    """ordinal.pb, k = 3: rank points give A 12, B 13, C 20, and C (70 from 20 points, 3.50 a
    point) is affordable for its 9 supporters. Borda gives each ballot's last choice 0: A's
    4 supporters, B's 3 and C's 2 have too little, so Borda MES funds nothing."""
    ranks = json.loads(run("tally", FIXTURES / "ordinal.pb", "--rule", "mes").stdout)["mes"]
    assert ranks["selected"] == ["C"]
    c = next(x for x in ranks["explanation"] if x["project"] == "C")
    assert c["details"]["price_per_point"] == "7/2"
    explicit = run("tally", FIXTURES / "ordinal.pb", "--rule", "mes", "--ranked-scoring", "ranks")
    assert json.loads(explicit.stdout)["mes"] == ranks
    done = run("tally", FIXTURES / "ordinal.pb", "--rule", "mes", "--ranked-scoring", "borda")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["mes"]["selected"] == []
    greedy = json.loads(
        run(
            "tally", FIXTURES / "ordinal.pb", "--rule", "greedy", "--ranked-scoring", "borda"
        ).stdout
    )["greedy"]
    scores = {x["project"]: x["details"]["score"] for x in greedy["explanation"]}
    assert scores == {"A": 8, "B": 8, "C": 11}  # positional: a ballot of length 2 gives 2, 1


def test_ranked_scoring_defaults_to_the_files_meta(tmp_path: Path) -> None:
    path = tmp_path / "borda.pb"
    write(read(FIXTURES / "ordinal.pb").with_ranked_scoring(RankedScoring.BORDA), path)
    assert json.loads(run("tally", path, "--rule", "mes").stdout)["mes"]["selected"] == []
    ranks = run("tally", path, "--rule", "mes", "--ranked-scoring", "ranks")
    assert json.loads(ranks.stdout)["mes"]["selected"] == ["C"]


def test_a_rule_given_twice_is_counted_once() -> None:
    done = run("tally", FIXTURES / "ordinal.pb", "--rule", "irv", "--rule", "irv")
    assert list(json.loads(done.stdout)) == ["irv"]


def test_bad_file_names_file_line_and_problem(tmp_path: Path) -> None:
    path = tmp_path / "bad.pb"
    path.write_text(
        "META\nkey;value\nbudget;1\nvote_type;approval\nPROJECTS\nproject_id;cost\na;1\n"
        "VOTES\nvoter_id;vote\n1;a\n2;x\n",
        encoding="utf-8",
    )
    done = run("tally", path, "--rule", "greedy")
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == f"{path}:11: unknown project 'x' in vote\n"


def test_unknown_rule() -> None:
    path = FIXTURES / "cumulative.pb"
    done = run("tally", path, "--rule", "greedy", "--rule", "irv")
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith(f"{path}: unknown rule 'irv' for cumulative ballots (valid: ")
    assert done.stderr.count("\n") == 1


def test_missing_file() -> None:
    done = run("tally", "no-such-file.pb", "--rule", "greedy")
    assert done.returncode == 2
    assert done.stderr == "no-such-file.pb: cannot open: No such file or directory\n"


@pytest.mark.parametrize(
    "args",
    [
        ["tally", "x.pb"],  # no --rule
        ["tally", "x.pb", "--rule", "greedy", "--tie-break", "coin"],
        ["tally", "x.pb", "--rule", "greedy", "--ranked-scoring", "dowdall"],
        ["count", "x.pb"],
        [],
    ],
)
def test_usage_errors_exit_2(args: list[str]) -> None:
    done = run(*args)
    assert done.returncode == 2
    assert "usage: python -m votes" in done.stderr


@pytest.mark.pabulib
def test_shared_file_through_the_cli(pabulib: Path, reference: dict) -> None:
    name = "Poland_Swiecie_2023.pb"
    done = run("tally", pabulib / name, "--rule", "greedy", "--tie-break", "lexicographic")
    assert done.returncode == 0, done.stderr
    greedy = json.loads(done.stdout)["greedy"]
    assert greedy["selected"] == reference[name]["results"]["greedy_cost"]["selected"]
    assert greedy["budget"] == 1_070_000


def test_exact_and_jsonable() -> None:
    assert exact(Fraction(6, 3)) == 2
    assert exact(Fraction(1, 3)) == "1/3"
    assert _jsonable(
        {"a": Fraction(5, 2), "b": (1, Fraction(4)), "c": {2, 1}, "d": BallotKind.RANKED}
    ) == {"a": "5/2", "b": [1, 4], "c": [1, 2], "d": "ranked"}


def test_check_reports_every_invalid_ballot_and_exits_1() -> None:
    path = FIXTURES / "cumulative.pb"
    done = run("check", path)
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        f"{path}: voter 3: points_total: You have used 3 of your 5 points; please use all 5.",
        f"{path}: 1 of 4 ballots has problems (cumulative ballots).",
    ]


def test_check_money_is_in_the_files_currency(tmp_path: Path) -> None:
    path = tmp_path / "knapsack.pb"
    write(
        Election(
            Fraction(1000),
            (Project("a", Fraction(600), "Allotments"), Project("b", Fraction("500.5"))),
            (Ballot(("a", "b"), voter="7"), Ballot(("a",), voter="8")),
            BallotRules(BallotKind.KNAPSACK),
            (("currency", "PLN"),),
        ),
        path,
    )
    done = run("check", path)
    assert done.returncode == 1
    assert done.stdout.splitlines()[0] == (
        f"{path}: voter 7: over_budget: The projects you chose cost 1,100.50 PLN in total, but "
        "there is only 1,000 PLN to spend; please remove something."
    )


def test_check_clean_file_exits_0_and_bad_file_2(tmp_path: Path) -> None:
    done = run("check", FIXTURES / "ordinal.pb")
    assert (done.returncode, done.stdout.splitlines()[-1]) == (
        0,
        f"{FIXTURES / 'ordinal.pb'}: 0 of 9 ballots have problems (ranked ballots).",
    )
    bad = tmp_path / "bad.pb"
    bad.write_text("META\nkey;value\nbudget;x\n", encoding="utf-8")
    done = run("check", bad)
    assert done.returncode == 2
    assert done.stderr == f"{bad}:3: expected a PROJECTS section after META, found the end\n"


def test_tally_imports_only_what_its_rule_uses() -> None:
    """Start-up is most of a command's time on a small file: counting with mes does not load
    the ballot checks, the other rules, the export verifier or argparse's shutil."""
    code = (
        "import sys;"
        "import votes.cli;"
        "status = votes.cli.main(['tally', sys.argv[1], '--rule', 'mes']);"
        "print('MODULES', ' '.join(sorted(sys.modules)), file=sys.stderr); sys.exit(status)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(FIXTURES / "cumulative.pb")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["mes"]["rule"] == "mes"
    loaded = set(done.stderr.split("MODULES ", 1)[1].split())
    assert {"votes.pabulib", "votes.rules.mes"} <= loaded
    unused = {
        "votes.ballot",
        "votes.single_winner",
        "votes.verify",
        "votes.rules.phragmen",
        "votes.rules.welfare",
        "votes.rules.mes.lockstep",
        "votes.secrecy.group",
        "nacl",
        "shutil",
    }
    assert not unused & loaded
