"""BLT files: the ballot format of STV counting programs (OpenSTV, eSTV, the Electoral Reform
Society's), in which ranked ballots are exchanged and published.

    4 2            candidates and seats (withdrawn candidates may follow as -N, or on the
    -3             next line by themselves)
    12 1 2 0       a ballot (or its count of identical ones): the count, the candidates in
    5 3 0          order of preference (numbered from 1), a closing 0
    0              the end of the ballots
    "Ann"          each candidate's name, in order
    ...
    "Ward 1"       the election's title

Names are quoted, a quote inside a name doubled (``"Lab ""Ann SMITH"" "``); a name or title
given without quotes is read as it stands. ``read_blt`` checks every line and refuses a file
that breaks the format with ``BltError`` naming the line; ``write_blt`` writes what it reads.
Candidates are numbered from 0 in what ``read_blt`` returns.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field


class BltError(ValueError):
    """A BLT file that breaks the format: ``line`` is where (counting from 1)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


@dataclass(frozen=True)
class BltElection:
    """What a BLT file holds: candidates (names, numbered from 0), seats, the ballots as
    (count, preferences best first) and the withdrawn candidates."""

    candidates: tuple[str, ...]
    seats: int
    ballots: tuple[tuple[int, tuple[int, ...]], ...]
    withdrawn: frozenset[int] = field(default_factory=frozenset)
    title: str = ""

    @property
    def total(self) -> int:
        """How many ballots (the sum of the counts)."""
        return sum(count for count, _ in self.ballots)


def _numbers(text: str, line: int) -> list[int]:
    try:
        return [int(word) for word in text.split()]
    except ValueError:
        raise BltError(line, f"expected whole numbers, found {text.strip()!r}") from None


def _name(text: str) -> str:
    stripped = text.strip()
    if stripped.startswith('"'):
        return next(csv.reader([stripped], skipinitialspace=True))[0].strip()
    return stripped


# Some published files give the candidates' names only as comments after the ballots
# (``# ALTERNATIVE NAME 3: Ann Smith (Lab)``), one for each candidate, instead of name lines.
_ALTERNATIVE = re.compile(r"#\s*ALTERNATIVE NAME\s+(\d+)\s*:\s*(.*)$", re.IGNORECASE)


def read_blt(text: str) -> BltElection:
    """The election in a BLT file's text (``BltError`` for anything it does not allow).
    Lines starting with ``#`` are comments, except that names given as ``# ALTERNATIVE NAME
    n: ...`` for every candidate stand for the name lines when the file has none."""
    numbered = list(enumerate(text.lstrip("\ufeff").splitlines(), start=1))
    alternatives = {}
    for _, line in numbered:
        found = _ALTERNATIVE.match(line.strip())
        if found:
            alternatives[int(found.group(1))] = found.group(2).strip()
    lines = [
        (n, line) for n, line in numbered if line.strip() and not line.lstrip().startswith("#")
    ]
    if not lines:
        raise BltError(1, "the file is empty")
    at = 0
    n, first = lines[at]
    header = _numbers(first, n)
    if len(header) < 2:
        raise BltError(n, "the first line must give the number of candidates and of seats")
    candidates, seats, *rest = header
    if candidates < 1:
        raise BltError(n, "there must be at least one candidate")
    if not 1 <= seats <= candidates:
        raise BltError(n, f"seats must be from 1 to the {candidates} candidates, not {seats}")
    withdrawn_numbers = list(rest)
    at += 1
    if at < len(lines) and lines[at][1].split()[0].startswith("-"):
        withdrawn_numbers += _numbers(lines[at][1], lines[at][0])
        at += 1
    withdrawn = set()
    for number in withdrawn_numbers:
        if number >= 0 or -number > candidates:
            raise BltError(n, f"a withdrawn candidate is -1 to -{candidates}, not {number}")
        withdrawn.add(-number - 1)
    ballots = []
    while True:
        if at >= len(lines):
            raise BltError(lines[-1][0], "the ballots must end with a line 0")
        n, line = lines[at]
        at += 1
        numbers = _numbers(line, n)
        if numbers == [0]:
            break
        ballots.append(_ballot(numbers, candidates, n))
    names = lines[at : at + candidates]
    if len(names) < candidates and sorted(alternatives) == list(range(1, candidates + 1)):
        names = [(0, _quoted(alternatives[number])) for number in range(1, candidates + 1)]
        at -= candidates  # the lines after the ballots are the title alone
        title_lines = lines[at + candidates :]
        return _election(names, seats, ballots, withdrawn, title_lines)
    if len(names) < candidates:
        end = names[-1][0] if names else n
        raise BltError(end, f"the file names {len(names)} of its {candidates} candidates")
    return _election(names, seats, ballots, withdrawn, lines[at + candidates :])


def _election(names, seats, ballots, withdrawn, title_lines) -> BltElection:
    if len(title_lines) > 1:
        raise BltError(title_lines[1][0], "nothing may follow the title")
    return BltElection(
        candidates=tuple(_name(line) for _, line in names),
        seats=seats,
        ballots=tuple(ballots),
        withdrawn=frozenset(withdrawn),
        title=_name(title_lines[0][1]) if title_lines else "",
    )


def _ballot(numbers: list[int], candidates: int, line: int) -> tuple[int, tuple[int, ...]]:
    count, *ranking = numbers
    if count < 1:
        raise BltError(line, f"a ballot's count must be 1 or more, not {count}")
    if not ranking or ranking[-1] != 0:
        raise BltError(line, "a ballot must end with 0")
    ranking = ranking[:-1]
    if 0 in ranking:
        raise BltError(line, "0 may only end a ballot")
    for number in ranking:
        if not 1 <= number <= candidates:
            raise BltError(line, f"candidate {number} is not one of the {candidates}")
    if len(set(ranking)) != len(ranking):
        raise BltError(line, "a ballot ranks a candidate more than once")
    return count, tuple(number - 1 for number in ranking)


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def write_blt(election: BltElection) -> str:
    """The election as a BLT file (withdrawn candidates on their own line)."""
    out = [f"{len(election.candidates)} {election.seats}"]
    if election.withdrawn:
        out.append(" ".join(f"-{c + 1}" for c in sorted(election.withdrawn)))
    for count, ranking in election.ballots:
        out.append(" ".join([str(count), *(str(c + 1) for c in ranking), "0"]))
    out.append("0")
    out.extend(_quoted(name) for name in election.candidates)
    out.append(_quoted(election.title))
    return "\n".join(out) + "\n"
