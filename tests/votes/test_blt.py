"""BLT files: read exactly, refused with the line and the reason, written back the same; and
every Scottish council election in the shared folder read (or refused with a reason)."""

from __future__ import annotations

import pytest

from tests.conftest import require_or_skip, stv_dir
from votes.blt import BltElection, BltError, read_blt, write_blt

SMALL = """4 2
-3
12 1 2 0
5 3 0
1 4 1 2 0
0
"Ann Able"
"Lab ""Bob"" BAKER "
Cat Cole
"Dee Dunn"
"Ward 1 - Town"
"""


def test_a_file_is_read_as_it_says():
    election = read_blt(SMALL)
    assert election.candidates == ("Ann Able", 'Lab "Bob" BAKER', "Cat Cole", "Dee Dunn")
    assert election.seats == 2
    assert election.ballots == ((12, (0, 1)), (5, (2,)), (1, (3, 0, 1)))
    assert election.withdrawn == frozenset({2})
    assert election.title == "Ward 1 - Town"
    assert election.total == 18


def test_withdrawn_candidates_may_follow_the_seats_on_the_first_line():
    assert read_blt(SMALL.replace("4 2\n-3\n", "4 2 -3\n")) == read_blt(SMALL)


def test_writing_gives_back_what_was_read():
    election = read_blt(SMALL)
    assert read_blt(write_blt(election)) == election
    assert write_blt(election).splitlines()[:2] == ["4 2", "-3"]


def test_names_given_only_as_comments_are_the_names():
    text = (
        "2 1\n3 1 0\n2 2 1 0\n0\n"
        "# ALTERNATIVE NAME 1: Ann Able (Grn)\n# ALTERNATIVE NAME 2: Bob Baker (Con)\n"
        "Ward 2\n"
    )
    election = read_blt(text)
    assert election.candidates == ("Ann Able (Grn)", "Bob Baker (Con)")
    assert election.title == "Ward 2"


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("", 1, "the file is empty"),
        ("3\n0\n", 1, "the first line must give the number of candidates and of seats"),
        ("2 3\n0\n", 1, "seats must be from 1 to the 2 candidates, not 3"),
        ("2 1 -3\n0\n", 1, "a withdrawn candidate is -1 to -2, not -3"),
        ("2 1\n1 1 2\n0\n", 2, "a ballot must end with 0"),
        ("2 1\n0 1 0\n0\n", 2, "a ballot's count must be 1 or more, not 0"),
        ("2 1\n1 3 0\n0\n", 2, "candidate 3 is not one of the 2"),
        ("2 1\n1 1 1 0\n0\n", 2, "a ballot ranks a candidate more than once"),
        ("2 1\n1 1 0 2 0\n0\n", 2, "0 may only end a ballot"),
        ("2 1\n1 1 x 0\n0\n", 2, "expected whole numbers, found '1 1 x 0'"),
        ("2 1\n1 1 0\n", 2, "the ballots must end with a line 0"),
        ('2 1\n1 1 0\n0\n"Ann"\n', 4, "the file names 1 of its 2 candidates"),
        ('2 1\n1 1 0\n0\n"A"\n"B"\n"T"\n"more"\n', 7, "nothing may follow the title"),
    ],
)
def test_a_file_that_breaks_the_format_is_refused_with_its_line(text, line, reason):
    with pytest.raises(BltError) as refused:
        read_blt(text)
    assert (refused.value.line, refused.value.message) == (line, reason)
    assert str(refused.value) == f"line {line}: {reason}"


def test_every_shared_scottish_election_is_read_or_refused_with_a_reason():
    folder = stv_dir()
    files = sorted(folder.glob("*.blt")) if folder.is_dir() else []
    require_or_skip(bool(files), f"Scottish STV elections in {folder} (STV_DIR)", "REQUIRE_STV")
    read, refused = 0, 0
    for path in files:
        try:
            election = read_blt(path.read_text(encoding="utf-8"))
        except BltError:
            refused += 1
            continue
        read += 1
        assert isinstance(election, BltElection)
        assert 1 <= election.seats < len(election.candidates), path.name
        assert election.total > 0 and election.title, path.name
        assert read_blt(write_blt(election)) == election, path.name
    # A published file mangled into CSV (commas after every number) is refused, not guessed.
    assert read >= 0.98 * len(files), (read, refused)
