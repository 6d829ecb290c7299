"""The bulk reading of a VOTES section against the row-by-row reader it stands in for.

``read`` takes the bulk path for plain sections and hands back a ``LazyElection`` (ballots
built on first use, counts known at once); the row-by-row path (``_rows`` below) is what the
bulk path must agree with, value for value, and what it falls back to for anything unusual.
"""

import copy
import io
import pickle
import random
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.votes.conftest import FIXTURES, pabulib_files
from tests.votes.test_pabulib import elections
from votes.model import BallotKind, Election, LazyElection, RankedScoring
from votes.pabulib import PabulibError, _Parser, dumps, read
from votes.rules import tally
from votes.rules.profile import build_profile


def _rows(text: str, name: str = "<text>") -> Election:
    """The row-by-row reader alone (no bulk path)."""
    return _Parser(io.StringIO(text.removeprefix("\ufeff"), newline=""), name).parse()


def _profile_arrays(e: Election) -> dict:
    p = build_profile(e)
    out = {k: getattr(p, k) for k in ("ids", "costs", "budget", "scale", "voters", "votes")}
    for k in ("weights", "flat_group", "flat_project", "flat_value", "flat_position"):
        out[k] = getattr(p, k).tolist()
    out["ranks"] = p.ranks
    return out


def _assert_same(text: str, *, lazy: bool) -> Election:
    """read(text) equals the row-by-row reading, builds the same profile, and took the bulk
    path exactly when ``lazy``."""
    fast, slow = read(text), _rows(text)
    assert isinstance(fast, LazyElection) is lazy
    assert type(slow) is Election
    # The profile first: it must come from the counts, before the ballots are ever built.
    assert _profile_arrays(fast) == _profile_arrays(slow)
    assert fast == slow and slow == fast and hash(fast) == hash(slow)
    if lazy and fast.ballot_counts is not None:
        if fast.kind is BallotKind.CUMULATIVE:
            expected = Counter((b.choices, b.points) for b in slow.ballots)
        else:
            expected = Counter(b.choices for b in slow.ballots)
        assert list(fast.ballot_counts.items()) == list(expected.items())  # order too
    return fast


APPROVAL = """META
key;value
budget;100
vote_type;approval
PROJECTS
project_id;cost;name
a;40;Allotments
b;70;Bike racks
c;30;Cycle path
VOTES
voter_id;vote;age;sex
"""


@pytest.mark.parametrize(
    ("rows", "lazy"),
    [
        ("1;a,b;30;F\n2;b;41;M\n3;a,b;30;F\n", True),
        ("1;a,b;30;F\r\n2;b;41;M\r\n", True),  # CRLF
        ("1;a,b;30;F\n2;b;41;M", True),  # no line break at the end
        ("1;a,b;30;F\n2;b;41;M\n\n\r\n", True),  # blank lines at the end
        ("1;b,a;30;F\n2;a,b;41;M\n3;c,a,c;;\n", True),  # unsorted, repeated: merged in count
        ("1; a , b ;30;F\n2;a,,b;41;M\n3;;;\n4;b;;\n", True),  # spaces, empty entries and votes
        ("1;a;30;F\n2;b;41;M\n\n3;c;;\n", False),  # a blank line inside: row by row
        ('1;a;30;F\n2;b;41;"M"\n', False),  # a quote anywhere: row by row
        ("1;a;30\n2;b;41;M\n", False),  # a short row: row by row (padded)
        ("1;a;30;F;\n2;b;41;M\n", False),  # a long row with an empty surplus: row by row
        ("1;a;30;F\r2;b;41;M\n", False),  # a lone CR: row by row
        ("", True),  # no voters at all
    ],
)
def test_bulk_path_agrees_with_rows(rows: str, lazy: bool) -> None:
    _assert_same(APPROVAL + rows, lazy=lazy)


def test_ballots_are_built_once_and_share_the_projects_strings() -> None:
    e = read(APPROVAL + "1;a,b;30;F\n2;b;41;M\n3;a,b;30;F\n")
    assert isinstance(e, LazyElection)
    first = e.ballots
    assert e.ballots is first
    assert first[0].choices is first[2].choices
    assert first[0].extra is first[2].extra
    ids = {p.id: p.id for p in e.projects}
    assert all(ids[c] is c for b in first for c in b.choices)
    assert [b.voter for b in first] == ["1", "2", "3"]


@pytest.mark.parametrize(
    ("rows", "line", "problem"),
    [
        ("1;a;30;F\n2;a,zz;41;M\n", 13, "unknown project 'zz' in vote"),
        ("1;a;30;F\n2;a;41;M;x\n", 13, "VOTES row has 5 fields but the header has 4"),
    ],
)
def test_bad_rows_are_reported_with_their_line(rows: str, line: int, problem: str) -> None:
    with pytest.raises(PabulibError) as got:
        read(APPROVAL + rows)
    with pytest.raises(PabulibError) as slow:
        _rows(APPROVAL + rows)
    assert (got.value.line, got.value.problem) == (slow.value.line, slow.value.problem)
    assert (got.value.line, got.value.problem) == (line, problem)


CUMULATIVE = """META
key;value
budget;100
vote_type;cumulative
max_sum_points;10
PROJECTS
project_id;cost
a;40
b;70
VOTES
"""


@pytest.mark.parametrize(
    ("rows", "lazy"),
    [
        ("voter_id;vote;points\n1;a,b;6,4\n2;b;10\n3;a,b;6,4\n4;b,a;4,6\n", True),
        ("voter_id;points;vote\n1;6,4;a,b\n2;10;b\n", True),  # points before the vote
        ("voter_id;vote;points\n1; a ,b;6, 4\n2;b;+10\n", True),  # spaces and signs: one by one
        ("vote;voter_id;points\na,b;1;6,4\n", False),  # vote and points apart: row by row
    ],
)
def test_cumulative_bulk_path_agrees_with_rows(rows: str, lazy: bool) -> None:
    _assert_same(CUMULATIVE + rows, lazy=lazy)


def test_cumulative_points_errors_keep_their_line() -> None:
    text = CUMULATIVE + "voter_id;vote;points\n1;a,b;6,4\n2;a,b;6\n"
    with pytest.raises(PabulibError) as got:
        read(text)
    assert (got.value.line, got.value.problem) == (
        13,
        "vote lists 2 projects but points has 1 value",
    )


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.pb")))
def test_own_fixtures(name: str) -> None:
    text = (FIXTURES / name).read_bytes().decode("utf-8-sig")  # line ends as they are
    e = _assert_same(text, lazy=name != "quirks.pb")  # quirks.pb quotes fields in its votes
    # From the file's bytes (the bulk path then works on them directly), with and without a
    # byte order mark, and from the path.
    data = (FIXTURES / name).read_bytes().removeprefix(b"\xef\xbb\xbf")
    for source in (data, b"\xef\xbb\xbf" + data, FIXTURES / name):
        assert read(source) == e
        assert _profile_arrays(read(source)) == _profile_arrays(e)


def test_lazy_election_behaves_as_an_election() -> None:
    text = APPROVAL + "1;a,b;30;F\n2;b;41;M\n"
    e, plain = read(text), _rows(text)
    assert isinstance(e, LazyElection)
    # replace() and pickling make a plain-behaving copy, without the counts.
    moved = replace(e, budget=e.budget + 1)
    assert moved.ballots == plain.ballots and moved.budget == plain.budget + 1
    assert getattr(moved, "vote_arrays", None) is None
    for again in (pickle.loads(pickle.dumps(e)), copy.copy(e), copy.deepcopy(e)):  # noqa: S301
        assert again == plain
    # Frozen like any Election.
    with pytest.raises(AttributeError):
        e.ballots = ()  # type: ignore[misc]
    borda = e.with_ranked_scoring(RankedScoring.BORDA)
    assert borda.rules.ranked_scoring is RankedScoring.BORDA
    assert borda.vote_arrays is e.vote_arrays  # still counted without building ballots
    assert borda == replace(plain, rules=borda.rules)
    assert dumps(e) == dumps(plain)


def test_unordered_votes_group_as_the_ballots_do() -> None:
    """Shuffled and repeated entries: the grouping (sorting, merging) of the array path gives
    the groups, weights and order that grouping the ballots one by one gives."""
    rng = random.Random(7)
    ids = [f"p{i}" for i in range(12)]
    projects = "".join(f"{p};{rng.randint(1, 50)}\n" for p in ids)
    votes = []
    for v in range(400):
        chosen = [rng.choice(ids) for _ in range(rng.randint(0, 6))]
        votes.append(f"{v};{','.join(chosen)}\n")
    text = (
        "META\nkey;value\nbudget;120\nvote_type;approval\nPROJECTS\nproject_id;cost\n"
        + projects
        + "VOTES\nvoter_id;vote\n"
        + "".join(votes)
    )
    e = _assert_same(text, lazy=True)
    # By hand: distinct sets of project indices in first-occurrence order.
    index = {p: i for i, p in enumerate(ids)}
    expected = Counter()
    for b in _rows(text).ballots:
        expected[tuple(sorted({index[c] for c in b.choices}))] += 1
    p = build_profile(e)
    groups = [tuple(p.flat_project[p.flat_group == g].tolist()) for g in range(len(p.weights))]
    assert groups == list(expected)
    assert p.weights.tolist() == list(expected.values())
    for rule in ("mes", "greedy", "phragmen"):
        assert tally(e, rule) == tally(_rows(text), rule)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(elections(), st.booleans())
def test_generated_files_read_the_same_both_ways(e: Election, crlf: bool) -> None:
    text = dumps(e)
    if not crlf:
        text = text.replace("\r\n", "\n")
    fast, slow = read(text), _rows(text)
    assert fast == slow
    assert _profile_arrays(fast) == _profile_arrays(slow)


@pytest.mark.pabulib
@pytest.mark.parametrize("name", pabulib_files())
def test_shared_files_read_the_same_both_ways(name: str, pabulib: Path) -> None:
    """Every shared file takes the bulk path and gives what the row-by-row reader gives."""
    text = (pabulib / name).read_text(encoding="utf-8-sig")
    e = _assert_same(text, lazy=True)
    assert np.int64(len(e.ballots)) == build_profile(e).voters
