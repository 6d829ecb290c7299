"""Read and write elections in the pabulib ``.pb`` format.

A ``.pb`` file has three sections, in this order, each a line with the section's name followed
by a header row and then ``;``-separated rows with CSV quoting::

    META            key;value rows: budget, vote_type, min_length, max_sum_points, ...
    PROJECTS        project_id;cost;[name;...] one row per project
    VOTES           voter_id;vote;[points;...] one row per voter

``read`` turns a file into an :class:`~votes.model.Election`; ``write`` does the reverse, so that
``read(write(e))`` gives back ``e`` for every election ``read`` returns. Quirks of real files that
``read`` accepts:

- a UTF-8 byte order mark, CRLF or LF (or mixed) line endings, blank lines anywhere;
- quoted fields holding ``;``, ``"`` or line breaks;
- costs and budgets written ``1234``, ``1234.50``, ``4000.0`` or ``1234,5``: all exact ``Fraction``;
- rows shorter than their header: the missing trailing fields read as empty strings; rows
  longer than their header are accepted only when the surplus fields are empty (spreadsheet
  exports add trailing ``;``);
- every field is stripped of surrounding whitespace (as pabutools does), vote lists entry by
  entry, and empty entries in a vote list are ignored (``1,,2``);
- a META row with more than two fields (an unquoted ``;`` in a comment) keeps the rest joined.

Anything else that is wrong raises :class:`PabulibError`, which names the file, the line (the
first line of the offending record) and the problem.

A VOTES section of the plain shape nearly every file has (no quotes, every row as many fields
as the header, no blank line inside) is read with bulk operations: its distinct votes are
found with numpy and parsed once each, and ``read`` returns a
:class:`~votes.model.LazyElection`, which knows how many voters cast each distinct ballot
(all a count needs) and builds its per-voter ballots only when asked for them, giving exactly
what reading row by row gives. Any other section is read row by row, as is everything before
it.

vote_type mapping: ``approval`` -> APPROVAL (KNAPSACK when META also has ``ballot_kind;knapsack``,
which ``write`` adds for knapsack elections), ``choose-1`` -> SINGLE, ``cumulative`` ->
CUMULATIVE (``vote`` and ``points`` columns), ``ordinal`` -> RANKED (``vote`` is best first).
``scoring`` and other vote types are refused.

Ballot rules come from META: ``min_length``/``max_length`` -> ``min_choices``/``max_choices``;
for cumulative ballots ``max_sum_points`` -> ``points``, ``max_points`` ->
``max_points_per_project`` and ``require_all_points`` is true exactly when ``min_sum_points``
equals ``max_sum_points``.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Callable, Iterator
from fractions import Fraction
from itertools import repeat
from operator import itemgetter
from typing import IO, Any, NamedTuple

from votes._gc import paused_collection
from votes.model import (
    Ballot,
    BallotKind,
    BallotRules,
    Election,
    LazyElection,
    Project,
    RankedScoring,
)
from votes.text import plural

__all__ = ["PabulibError", "dumps", "format_number", "parse_number", "read", "write"]

_SECTIONS = ("meta", "projects", "votes")

_VOTE_TYPES = {
    "approval": BallotKind.APPROVAL,
    "choose-1": BallotKind.SINGLE,
    "cumulative": BallotKind.CUMULATIVE,
    "ordinal": BallotKind.RANKED,
}
_KIND_TO_VOTE_TYPE = {
    BallotKind.APPROVAL: "approval",
    BallotKind.KNAPSACK: "approval",
    BallotKind.SINGLE: "choose-1",
    BallotKind.CUMULATIVE: "cumulative",
    BallotKind.RANKED: "ordinal",
}
# META key marking an approval file whose ballots were knapsack ballots (pabulib stores
# knapsack votes as approval; without the marker the ballot kind would not survive a round trip).
KNAPSACK_KEY = "ballot_kind"
KNAPSACK_VALUE = "knapsack"
# Not a pabulib key: how ranked ballots are counted (votes.model.RankedScoring), written only
# for Borda, so that a Devolve export of a round frozen with Borda recounts as it was counted.
SCORING_KEY = "ranked_scoring"

# Digits with an optional decimal part, the separator being "." or ",". No signs, no thousands
# separators, no exponents: anything fancier is more likely a mistake than a cost.
_NUMBER = re.compile(r"(\d+)(?:[.,](\d*))?|[.,](\d+)")
_RATIO = re.compile(r"(\d+)/(\d+)")


class PabulibError(ValueError):
    """A ``.pb`` file that cannot be read: ``file``, ``line`` (1-based, or None) and ``problem``.

    ``str(error)`` is ``"FILE:LINE: problem"`` (``"FILE: problem"`` without a line).
    """

    def __init__(self, file: str, line: int | None, problem: str) -> None:
        self.file = file
        self.line = line
        self.problem = problem
        where = f"{file}:{line}" if line is not None else file
        super().__init__(f"{where}: {problem}")


def parse_number(text: str) -> Fraction:
    """``"1234"``, ``"1234.50"``, ``"1234,5"``, ``".5"``, ``"7/3"`` -> exact ``Fraction``.

    Raises ``ValueError`` for anything else (signs, thousands separators, exponents, words).
    """
    s = text.strip()
    m = _NUMBER.fullmatch(s)
    if m is None:
        r = _RATIO.fullmatch(s)
        if r is None or int(r.group(2)) == 0:
            raise ValueError(f"not a number: {text!r}")
        return Fraction(int(r.group(1)), int(r.group(2)))
    whole, frac, only_frac = m.groups()
    if only_frac is not None:
        whole, frac = "0", only_frac
    if not frac:
        return Fraction(int(whole))
    return Fraction(int(whole + frac), 10 ** len(frac))


def format_number(value: Fraction | int) -> str:
    """An exact number as a ``.pb`` field: ``"12"``, ``"12.5"``; ``"p/q"`` when no decimal ends.

    ``"p/q"`` is only for values no finite decimal can hold; ``parse_number`` reads every form
    back, and so does pabutools.
    """
    f = Fraction(value)
    if f.denominator == 1:
        return str(f.numerator)
    d = f.denominator
    twos = fives = 0
    while d % 2 == 0:
        d //= 2
        twos += 1
    while d % 5 == 0:
        d //= 5
        fives += 1
    if d != 1:
        return f"{f.numerator}/{f.denominator}"
    places = max(twos, fives)
    sign = "-" if f < 0 else ""
    scaled = abs(f.numerator) * 10**places // f.denominator
    whole, frac = divmod(scaled, 10**places)
    return f"{sign}{whole}.{frac:0{places}d}".rstrip("0")


# -- reading -----------------------------------------------------------------------------------


def read(source: str | os.PathLike[str] | bytes | IO[str], *, name: str | None = None) -> Election:
    """Parse a ``.pb`` election.

    ``source``: a path (``str`` or ``PathLike``), the file's text (a ``str`` containing a line
    break), its bytes, or an open text stream. ``name`` is the file name used in errors
    (default: the path, the stream's ``name``, or ``"<text>"``).

    Raises :class:`PabulibError` for a file that cannot be read as a pabulib election, and
    ``OSError`` when a path cannot be opened.
    """
    if isinstance(source, os.PathLike) or (
        isinstance(source, str) and "\n" not in source and "\r" not in source
    ):
        path = os.fspath(source)
        file = name or str(path)
        with open(path, "rb") as fh:
            data = fh.read()
        return _parse(_decode(data, file), file, data)
    file = name or str(getattr(source, "name", "") or "<text>")
    if isinstance(source, bytes | bytearray):
        data = bytes(source)
        return _parse(_decode(data, file), file, data)
    if isinstance(source, str):
        return _parse(source, file)
    if hasattr(source, "read"):
        text = source.read()
        if isinstance(text, bytes | bytearray):
            text = _decode(bytes(text), file)
        return _parse(text, file)
    raise TypeError(f"cannot read a pabulib election from {type(source).__name__}")


def _parse(text: str, file: str, data: bytes | None = None) -> Election:
    # A big file read the slow way makes hundreds of thousands of small tuples that hold no
    # cycles; the cyclic garbage collector would walk them over and over while they are made.
    # Pause it, restoring whatever state it was in.
    with paused_collection():
        return _Parser(io.StringIO(text, newline=""), file, text, data).parse()


def _decode(data: bytes, file: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise PabulibError(file, line, "not UTF-8 text") from None


class _Parser:
    def __init__(
        self, stream: io.StringIO, file: str, text: str | None = None, data: bytes | None = None
    ) -> None:
        self.file = file
        self.stream = stream
        self.text = text  # the whole of ``stream``, for the VOTES fast path (None: no fast path)
        self.data = data  # ``text`` as UTF-8 bytes (a byte order mark allowed), when at hand
        self.reader = csv.reader(stream, delimiter=";", strict=False)
        self.line = 0  # line number where the last record read ended
        self.start = 0  # first line of the current record
        self.meta_line = 1

    def error(self, problem: str, line: int | None = -1) -> PabulibError:
        return PabulibError(self.file, self.start if line == -1 else line, problem)

    def rows(self) -> Iterator[list[str]]:
        """Non-blank rows, keeping ``start`` on each one's first line."""
        reader = self.reader
        while True:
            self.start = self.line + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as e:
                raise self.error(f"bad CSV: {e}") from None
            self.line = reader.line_num
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            yield row

    def header(self, section: str) -> list[str]:
        for row in self.rows():
            names = [h.strip() for h in _trim(row)]
            seen: set[str] = set()
            for h in names:
                if h in seen:
                    raise self.error(f"{section} header names column {h!r} twice")
                seen.add(h)
            return names
        raise self.error(f"{section} section has no header row", self.line)

    def parse(self) -> Election:
        rows = self.rows()
        for row in rows:
            row[0] = row[0].removeprefix("\ufeff")  # a BOM left by a stream or a str
            if _section(row) != "meta":
                raise self.error("file must start with a META section")
            self.meta_line = self.start
            break
        else:
            raise self.error("file is empty: no META section", self.line or 1)
        meta, meta_lines, marker = self.read_meta()
        if marker != "projects":
            raise self.error(
                f"expected a PROJECTS section after META, found {marker or 'the end'}",
                self.start if marker else self.line,
            )
        projects_line = self.start
        projects, marker = self.read_projects()
        if not projects:
            raise self.error("PROJECTS section lists no projects", projects_line)
        if marker != "votes":
            raise self.error(
                f"expected a VOTES section after PROJECTS, found {marker or 'the end'}",
                self.start if marker else self.line,
            )
        rules, budget = self.interpret_meta(meta, meta_lines)
        layout = self.votes_layout(rules.kind)
        ids = {pid: p.id for pid, p in projects.items()}
        if self.text is not None:
            sets = rules.kind in (BallotKind.APPROVAL, BallotKind.KNAPSACK, BallotKind.SINGLE)
            fast = self.fast_votes(layout, ids, sets)
            if fast is not None:
                load, counts, arrays = fast
                return LazyElection.deferred(
                    budget=budget,
                    projects=tuple(projects.values()),
                    load=load,
                    ballot_counts=counts,
                    vote_arrays=arrays,
                    rules=rules,
                    meta=tuple(meta),
                )
        ballots = self.read_votes(layout, ids)
        return Election(
            budget=budget,
            projects=tuple(projects.values()),
            ballots=ballots,
            rules=rules,
            meta=tuple(meta),
        )

    def read_meta(self) -> tuple[list[tuple[str, str]], dict[str, int], str | None]:
        self.header("META")
        meta: list[tuple[str, str]] = []
        lines: dict[str, int] = {}
        for row in self.rows():
            section = _section(row)
            if section:
                return meta, lines, section
            fields = _trim(row)
            key = fields[0].strip()
            value = ";".join(fields[1:]).strip()
            if not key:
                raise self.error("META row has no key")
            meta.append((key, value))
            lines[key] = self.start
        return meta, lines, None

    def interpret_meta(
        self, meta: list[tuple[str, str]], lines: dict[str, int]
    ) -> tuple[BallotRules, Fraction]:
        values = dict(meta)  # a repeated key: the last one counts, as in pabutools
        meta_line = self.meta_line

        def need(key: str) -> str:
            if key not in values:
                raise self.error(f"META has no {key}", meta_line)
            return values[key]

        vote_type = need("vote_type").strip().lower()
        kind = _VOTE_TYPES.get(vote_type)
        if kind is None:
            raise self.error(
                f"vote_type {values['vote_type']!r} is not supported "
                f"(expected one of {', '.join(_VOTE_TYPES)})",
                lines["vote_type"],
            )
        if kind is BallotKind.APPROVAL and values.get(KNAPSACK_KEY, "").lower() == KNAPSACK_VALUE:
            kind = BallotKind.KNAPSACK

        raw_budget = need("budget")
        try:
            budget = parse_number(raw_budget)
        except ValueError:
            raise self.error(f"budget {raw_budget!r} is not a number", lines["budget"]) from None

        def integer(key: str) -> int | None:
            if key not in values:
                return None
            try:
                return int(values[key])
            except ValueError:
                raise self.error(
                    f"{key} {values[key]!r} is not a whole number", lines[key]
                ) from None

        min_choices, max_choices = integer("min_length"), integer("max_length")
        if kind is BallotKind.CUMULATIVE:
            points = integer("max_sum_points")
            min_points = integer("min_sum_points")
            rules = BallotRules(
                kind,
                min_choices=min_choices,
                max_choices=max_choices,
                points=points,
                max_points_per_project=integer("max_points"),
                require_all_points=points is not None and min_points == points,
            )
        elif kind is BallotKind.RANKED and SCORING_KEY in values:
            scoring = values[SCORING_KEY].strip().lower()
            if scoring not in {s.value for s in RankedScoring}:
                raise self.error(
                    f"{SCORING_KEY} {values[SCORING_KEY]!r} is not one of "
                    f"{', '.join(s.value for s in RankedScoring)}",
                    lines[SCORING_KEY],
                )
            rules = BallotRules(
                kind,
                min_choices=min_choices,
                max_choices=max_choices,
                ranked_scoring=RankedScoring(scoring),
            )
        else:
            rules = BallotRules(kind, min_choices=min_choices, max_choices=max_choices)
        return rules, budget

    def read_projects(self) -> tuple[dict[str, Project], str | None]:
        header = self.header("PROJECTS")
        for required in ("project_id", "cost"):
            if required not in header:
                raise self.error(f"PROJECTS header has no {required} column")
        n = len(header)
        id_at, cost_at = header.index("project_id"), header.index("cost")
        name_at = header.index("name") if "name" in header else None
        others = [(i, h) for i, h in enumerate(header) if i not in (id_at, cost_at, name_at)]
        projects: dict[str, Project] = {}
        for row in self.rows():
            section = _section(row)
            if section:
                return projects, section
            if len(row) != n:
                row = self.fit(row, n, "PROJECTS")
            pid = row[id_at].strip()
            if not pid:
                raise self.error("project has no project_id")
            if pid in projects:
                raise self.error(f"project {pid!r} is listed twice")
            raw_cost = row[cost_at]
            try:
                cost = parse_number(raw_cost)
            except ValueError:
                what = f"cost {raw_cost.strip()!r}" if raw_cost.strip() else "no cost"
                raise self.error(f"project {pid!r} has {what}; expected a number") from None
            projects[pid] = Project(
                id=pid,
                cost=cost,
                name=row[name_at].strip() if name_at is not None else "",
                extra=tuple((h, row[i].strip()) for i, h in others),
            )
        return projects, None

    def fit(self, row: list[str], n: int, section: str) -> list[str]:
        """Pad a short row with empty fields; refuse a long one unless the surplus is empty."""
        if len(row) < n:
            return row + [""] * (n - len(row))
        if any(f.strip() for f in row[n:]):
            raise self.error(f"{section} row has {len(row)} fields but the header has {n}")
        return row[:n]

    def votes_layout(self, kind: BallotKind) -> _Layout:
        header = self.header("VOTES")
        if "vote" not in header:
            raise self.error("VOTES header has no vote column")
        cumulative = kind is BallotKind.CUMULATIVE
        if cumulative and "points" not in header:
            raise self.error("VOTES header has no points column, which cumulative votes need")
        n = len(header)
        vote_at = header.index("vote")
        voter_at = header.index("voter_id") if "voter_id" in header else None
        points_at = header.index("points") if cumulative else None
        skip = (vote_at, voter_at, points_at)
        extra_at = [i for i in range(n) if i not in skip]
        return _Layout(
            n, vote_at, voter_at, points_at, extra_at, [header[i] for i in extra_at], cumulative
        )

    def fast_votes(self, layout: _Layout, ids: dict[str, str], sets: bool) -> _Fast | None:
        """The VOTES section counted with bulk operations, or None to read it row by row.

        Taken only when the section has the plain shape nearly every file has: no quotes, no
        NUL, no blank line before its end, CR only before LF, every row exactly as many fields
        as the header and none longer than csv's field limit. Then splitting on ``;`` and line
        ends is what csv does. The distinct raw votes (and points) are found with numpy and
        parsed once each; anything they get wrong (an unknown project, bad points) also goes
        the slow way, which reports it with its line. What comes back: a function that builds
        the ballots exactly as the slow way does (run only if someone wants them), and what
        counting needs: the counts of distinct ballots (``LazyElection.ballot_counts``) or, for
        ballots that are sets of projects (``sets``: approval, knapsack, single choice) whose
        votes are plain lists of project ids, the same as arrays (``LazyElection.vote_arrays``).
        """
        text, at = self.text, self.stream.tell()
        if self.data is not None:
            # The same section in the file's own bytes: no copy of the text to encode again.
            skip = len(self.data) - len(self.data.removeprefix(b"\xef\xbb\xbf"))
            data = self.data[skip + len(text[:at].encode("utf-8")) :]
        else:
            data = text[at:].encode("utf-8")
        if b'"' in data or b"\0" in data:
            return None
        data = data.rstrip(b"\r\n")
        if data[:1] in (b"\r", b"\n") or b"\n\n" in data or b"\n\r" in data:
            return None
        n, cumulative = layout.n, layout.cumulative
        choice_cache: dict[object, tuple[tuple[str, ...], tuple[int, ...]]] = {}
        counts: dict[object, int] = {}
        if data:
            import numpy as np

            buf = np.frombuffer(data, dtype=np.uint8)
            newlines = np.flatnonzero(buf == 10)
            if b"\r" in data:
                returns = np.flatnonzero(buf == 13)
                if not (buf[returns + 1] == 10).all():
                    return None  # data ends in neither, so returns + 1 is in range
            starts = np.concatenate(([0], newlines + 1))
            ends = np.concatenate((newlines - (buf[newlines - 1] == 13), [buf.size]))
            if int((ends - starts).max()) > csv.field_size_limit():
                return None
            semis = np.flatnonzero(buf == 59)
            rows = starts.size
            if semis.size != rows * (n - 1):
                return None
            if n > 1:
                per_row = np.diff(np.searchsorted(semis, ends), prepend=0)
                if not (per_row == n - 1).all():
                    return None
            cuts = semis.reshape(rows, n - 1)

            def field_start(j: int) -> np.ndarray:
                return starts if j == 0 else cuts[:, j - 1] + 1

            def field_end(j: int) -> np.ndarray:
                return ends if j == n - 1 else cuts[:, j]

            first, last = layout.vote_at, layout.vote_at
            if cumulative:
                first, last = sorted((layout.vote_at, layout.points_at))
                if last != first + 1:
                    return None
            distinct = _distinct(np, buf, field_start(first), field_end(last))
            if distinct is None:
                return None
            values, numbers = distinct
            swap = cumulative and layout.points_at < layout.vote_at
            # One decode for all of them (no field holds a line break).
            texts = b"\n".join(values).decode("utf-8").split("\n")
            if sets:
                arrays = _vote_arrays(np, texts, numbers, ids)
                if arrays is not None:
                    return self.loader(text, at, layout, ids, None), None, arrays
            get = ids.__getitem__
            no_points: tuple[int, ...] = ()
            try:
                for key, number in zip(texts, numbers.tolist(), strict=True):
                    if cumulative:
                        a, b = key.split(";")
                        key = (b, a) if swap else (a, b)
                    # The usual vote, "id,id,id" with nothing to strip or skip, looked up
                    # directly; anything else (a space, an empty entry, an unknown id, points
                    # that are not plain) goes through parse_vote, which handles or reports it.
                    try:
                        if cumulative:
                            choices = tuple(map(get, key[0].split(",")))
                            points = tuple(map(int, key[1].split(",")))
                            if len(points) != len(choices):
                                raise ValueError
                            parsed = (choices, points)
                        else:
                            parsed = (tuple(map(get, key.split(","))), no_points)
                    except (KeyError, ValueError):
                        parsed = self.parse_vote(key, ids, cumulative)
                    choice_cache[key] = parsed
                    grouped = parsed if cumulative else parsed[0]
                    counts[grouped] = counts.get(grouped, 0) + number
            except PabulibError:
                return None
        return self.loader(text, at, layout, ids, choice_cache), counts, None

    def loader(
        self,
        text: str,
        at: int,
        layout: _Layout,
        ids: dict[str, str],
        choice_cache: dict[object, tuple[tuple[str, ...], tuple[int, ...]]] | None,
    ) -> Callable[[], tuple[Ballot, ...]]:
        """A function that reads ``text[at:]`` (a VOTES section checked already) row by row."""
        file, line = self.file, self.line

        def load() -> tuple[Ballot, ...]:
            again = _Parser(io.StringIO(text[at:], newline=""), file)
            again.line = line
            return again.read_votes(layout, ids, choice_cache)

        return load

    def read_votes(
        self,
        layout: _Layout,
        ids: dict[str, str],
        choice_cache: dict[object, tuple[tuple[str, ...], tuple[int, ...]]] | None = None,
    ) -> tuple[Ballot, ...]:
        n, vote_at, voter_at, points_at = (
            layout.n,
            layout.vote_at,
            layout.voter_at,
            layout.points_at,
        )
        extra_at, extra_names, cumulative = layout.extra_at, layout.extra_names, layout.cumulative
        get_extra = itemgetter(*extra_at) if extra_at else None
        single_extra = len(extra_at) == 1

        # Caches keyed by the raw field: identical votes and identical voter columns (same age,
        # sex, district...) share one tuple, which is most of the speed and memory of a big file.
        if choice_cache is None:
            choice_cache = {}
        extra_cache: dict[object, tuple[tuple[str, str], ...]] = {}
        ballots: list[Ballot] = []
        append = ballots.append
        empty: tuple[tuple[str, str], ...] = ()
        reader = self.reader
        line = self.line
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as e:
                self.start = line + 1
                raise self.error(f"bad CSV: {e}") from None
            if len(row) != n:
                self.start = line + 1
                line = reader.line_num
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue
                section = _section(row)
                if section:
                    raise self.error(f"{section.upper()} section after VOTES")
                row = self.fit(row, n, "VOTES")
            key = (row[vote_at], row[points_at]) if cumulative else row[vote_at]
            parsed = choice_cache.get(key)
            if parsed is None:
                self.start = line + 1
                parsed = self.parse_vote(key, ids, cumulative)
                choice_cache[key] = parsed
            if get_extra is None:
                extra = empty
            else:
                raw = get_extra(row)
                extra = extra_cache.get(raw)
                if extra is None:
                    vals = (raw,) if single_extra else raw
                    extra = tuple(zip(extra_names, (v.strip() for v in vals), strict=True))
                    extra_cache[raw] = extra
            append(
                Ballot(
                    parsed[0],
                    parsed[1],
                    row[voter_at].strip() if voter_at is not None else "",
                    extra,
                )
            )
            line = reader.line_num
        return tuple(ballots)

    def parse_vote(
        self, key: object, ids: dict[str, str], cumulative: bool
    ) -> tuple[tuple[str, ...], tuple[int, ...]]:
        raw_vote, raw_points = key if cumulative else (key, "")
        choices = []
        for token in raw_vote.split(","):
            token = token.strip()
            if not token:
                continue
            pid = ids.get(token)
            if pid is None:
                raise self.error(f"unknown project {token!r} in vote")
            choices.append(pid)
        if not cumulative:
            return tuple(choices), ()
        points = []
        for token in raw_points.split(","):
            token = token.strip()
            if not token:
                continue
            try:
                points.append(int(token))
            except ValueError:
                try:
                    value = parse_number(token.lstrip("-"))
                except ValueError:
                    value = Fraction(1, 2)  # anything not whole: reported below
                if value.denominator != 1:
                    raise self.error(f"points {token!r} is not a whole number") from None
                points.append(-int(value) if token.startswith("-") else int(value))
        if len(points) != len(choices):
            raise self.error(
                f"vote lists {plural(len(choices), 'project')} but points has "
                f"{plural(len(points), 'value')}"
            )
        return tuple(choices), tuple(points)


class _Layout(NamedTuple):
    """The columns of a VOTES section."""

    n: int
    vote_at: int
    voter_at: int | None
    points_at: int | None
    extra_at: list[int]
    extra_names: list[str]
    cumulative: bool


_Fast = tuple[
    Callable[[], tuple[Ballot, ...]], dict[object, int] | None, tuple[Any, Any, Any] | None
]


def _vote_arrays(
    np: Any, texts: list[str], counts: Any, ids: dict[str, str]
) -> tuple[Any, Any, Any] | None:
    """Distinct votes as arrays: how many voters cast each, the index (in project order) of
    every entry of every one, -1 for an empty entry (skipped, as ``parse_vote`` does), and
    each one's number of entries. None when some entry is not exactly a project id (a space
    to strip, an unknown id), for ``parse_vote`` to deal with one vote at a time."""
    index = {pid: i for i, pid in enumerate(ids)}
    index[""] = -1
    sizes = np.fromiter(map(str.count, texts, repeat(",")), dtype=np.int64, count=len(texts)) + 1
    tokens = ",".join(texts).split(",")
    flat = np.fromiter(map(index.get, tokens, repeat(-2)), dtype=np.int64, count=len(tokens))
    if (flat == -2).any():
        return None
    return counts, flat, sizes


# Above this many bytes the padded table of votes that _distinct sorts is not worth building.
_DISTINCT_LIMIT = 1 << 26


def _distinct(np: Any, buf: Any, start: Any, end: Any) -> tuple[list[bytes], Any] | None:
    """The distinct byte strings ``buf[start[i]:end[i]]`` and how often each occurs, in the
    order each first occurs (the order counting the rows one by one would give).

    Each one is copied into a row of a zero-padded table, and the rows are sorted as fixed
    width byte strings (no field holds a NUL, so the padding cannot merge two of them).
    """
    lengths = end - start
    width = int(lengths.max())
    rows = lengths.size
    if width == 0:
        return [b""], np.array([rows], dtype=np.int64)
    if rows * width > _DISTINCT_LIMIT:
        return None
    total = int(lengths.sum())
    offsets = np.repeat(np.cumsum(lengths) - lengths, lengths)
    column = np.arange(total) - offsets
    table = np.zeros((rows, width), dtype=np.uint8)
    table[np.repeat(np.arange(rows), lengths), column] = buf[np.repeat(start, lengths) + column]
    values, first, counts = np.unique(
        table.view(f"S{width}").ravel(), return_index=True, return_counts=True
    )
    order = np.argsort(first, kind="stable")
    return values[order].tolist(), counts[order].astype(np.int64)


def _trim(row: list[str]) -> list[str]:
    """The row without its trailing empty fields (but at least one field)."""
    end = len(row)
    while end > 1 and not row[end - 1].strip():
        end -= 1
    return row[:end]


def _section(row: list[str]) -> str | None:
    """ "meta", "projects" or "votes" when the row is a section marker, else None."""
    if not row:
        return None
    first = row[0].strip().lower()
    if first in _SECTIONS and not any(f.strip() for f in row[1:]):
        return first
    return None


# -- writing -----------------------------------------------------------------------------------


def dumps(election: Election) -> str:
    """The ``.pb`` text of an election (see :func:`write`)."""
    out = io.StringIO(newline="")
    write(election, out)
    return out.getvalue()


def write(election: Election, target: str | os.PathLike[str] | IO[str]) -> None:
    """Write an election as a ``.pb`` file to a path or an open text stream.

    META is the election's own ``meta`` in order, with the keys the election itself decides made
    to agree with it: ``budget``, ``vote_type``, ``min_length``, ``max_length``, for cumulative
    ballots ``max_sum_points``, ``max_points`` and ``min_sum_points``, for knapsack ballots
    ``ballot_kind;knapsack``. A key whose value already means the same is left as written
    (``2917710.16`` stays so). ``num_projects`` and ``num_votes`` are added when missing from an
    election whose META has no ``vote_type`` (one built in code rather than read from a file).
    Projects are written ``project_id;cost;name`` (``name`` only if some project has one) and
    then their extra columns; votes ``voter_id;vote[;points]`` and then the voters' extra
    columns. Lines end with CRLF (which makes the writer quote a field holding a lone CR too).
    """
    if isinstance(target, str | os.PathLike):
        with open(target, "w", encoding="utf-8", newline="") as fh:
            _write(election, fh)
    else:
        _write(election, target)


def _write(election: Election, out: IO[str]) -> None:
    w = csv.writer(out, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    w.writerow(["META"])
    w.writerow(["key", "value"])
    w.writerows(_meta_for(election))

    w.writerow(["PROJECTS"])
    extra_names = _union(p.extra for p in election.projects)
    with_name = any(p.name for p in election.projects)
    w.writerow(["project_id", "cost", *(["name"] if with_name else []), *extra_names])
    for p in election.projects:
        extra = dict(p.extra)
        w.writerow(
            [
                p.id,
                format_number(p.cost),
                *([p.name] if with_name else []),
                *(extra.get(k, "") for k in extra_names),
            ]
        )

    w.writerow(["VOTES"])
    cumulative = election.kind is BallotKind.CUMULATIVE
    extra_names = _union(b.extra for b in election.ballots)
    w.writerow(["voter_id", "vote", *(["points"] if cumulative else []), *extra_names])
    getter = itemgetter(*extra_names) if extra_names else None
    for b in election.ballots:
        row = [b.voter, ",".join(b.choices)]
        if cumulative:
            row.append(",".join(map(str, b.points)))
        if getter is not None:
            extra = dict(b.extra)
            if len(extra) == len(extra_names):
                values = getter(extra)
                row.extend((values,) if len(extra_names) == 1 else values)
            else:
                row.extend(extra.get(k, "") for k in extra_names)
        w.writerow(row)


def _union(extras: object) -> list[str]:
    names: dict[str, None] = {}
    seen: set[tuple[tuple[str, str], ...]] = set()
    for extra in extras:  # type: ignore[attr-defined]
        # Ballots share their extra tuples (see read_votes), so most are seen already.
        if extra in seen:
            continue
        seen.add(extra)
        for k, _ in extra:
            names[k] = None
    return list(names)


def _scoring(meta: dict[str, str]) -> RankedScoring | None:
    value = meta.get(SCORING_KEY, RankedScoring.RANKS.value).strip().lower()
    return RankedScoring(value) if value in {s.value for s in RankedScoring} else None


def _meta_for(election: Election) -> list[tuple[str, str]]:
    rules = election.rules
    kind = rules.kind
    wanted: dict[str, str | None] = {
        "budget": format_number(election.budget),
        "vote_type": _KIND_TO_VOTE_TYPE[kind],
        "min_length": _opt(rules.min_choices),
        "max_length": _opt(rules.max_choices),
    }
    current = dict(election.meta)
    if kind is BallotKind.KNAPSACK:
        wanted[KNAPSACK_KEY] = KNAPSACK_VALUE
    elif kind is BallotKind.APPROVAL and KNAPSACK_KEY in current:
        # Any other value means nothing to read(); only "knapsack" would now be wrong.
        marked = current[KNAPSACK_KEY].strip().lower() == KNAPSACK_VALUE
        wanted[KNAPSACK_KEY] = None if marked else current[KNAPSACK_KEY]
    if kind is BallotKind.RANKED:
        borda = rules.ranked_scoring is RankedScoring.BORDA
        kept = current.get(SCORING_KEY) if _scoring(current) is rules.ranked_scoring else None
        wanted[SCORING_KEY] = kept or (RankedScoring.BORDA.value if borda else None)
    if kind is BallotKind.CUMULATIVE:
        wanted["max_sum_points"] = _opt(rules.points)
        wanted["max_points"] = _opt(rules.max_points_per_project)
        current_min = current.get("min_sum_points")
        if rules.require_all_points and rules.points is not None:
            wanted["min_sum_points"] = str(rules.points)
        elif current_min is not None and _same(current_min, _opt(rules.points)):
            wanted["min_sum_points"] = None  # it would now say "all points required"
        else:
            wanted["min_sum_points"] = current_min

    # A repeated key: the last one counts (in read, as in pabutools), so only that one is made
    # to agree; earlier ones are left as they are, unless the key must go altogether.
    last = {key: i for i, (key, _) in enumerate(election.meta)}
    out: list[tuple[str, str]] = []
    for i, (key, value) in enumerate(election.meta):
        want = wanted.get(key, value)
        if key not in wanted or i != last[key]:
            if want is not None:
                out.append((key, value))
        elif want is not None:
            out.append((key, value if _same(value, want) else want))
    for key, want in wanted.items():
        if key not in last and want is not None:
            out.append((key, want))
    # An election that did not come from a .pb file (read requires vote_type) gets the counts
    # pabulib files carry; one that did keeps its META as it was, so that it reads back equal.
    if "vote_type" not in last:
        present = {k for k, _ in out}
        if "num_projects" not in present:
            out.append(("num_projects", str(len(election.projects))))
        if "num_votes" not in present:
            out.append(("num_votes", str(len(election.ballots))))
    return out


def _opt(value: int | None) -> str | None:
    return None if value is None else str(value)


def _same(raw: str, want: str | None) -> bool:
    """Whether a META value already means ``want`` (numbers compared as numbers)."""
    if want is None:
        return False
    if raw.strip() == want:
        return True
    try:
        return parse_number(raw) == parse_number(want)
    except ValueError:
        return raw.strip().lower() == want.lower()
