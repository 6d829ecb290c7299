"""``python -m votes``: count or check a pabulib election from the command line.

    python -m votes tally FILE.pb --rule greedy [--rule mes ...] [--tie-break cost-votes]
                             [--ranked-scoring ranks|borda] [--language en|cy]

prints one JSON object keyed by rule name (see :func:`outcome_to_json` for each value). Exact
numbers are JSON integers when whole and ``"p/q"`` strings otherwise. ``--ranked-scoring``
says how a ranked (ordinal) file's choices become points: ``ranks`` (k for the 1st choice,
..., 1 for the kth) or ``borda`` (pabutools' Borda scores); without it, the file's META
``ranked_scoring``, else ``ranks``. See ``votes.rules``. ``--language`` writes the
explanations in another language votes has a catalogue for (``votes.i18n``; default English).

    python -m votes check FILE.pb [--language en|cy]

    python -m votes verify EXPORT.zip [--manifest-hash H --log-head H]

re-checks a Devolve auditor export (see ``votes.verify``) and exits 1 unless it reproduces the
published result (and, when given, has the published fingerprints).

checks every ballot against the file's ballot rules with the same messages residents see,
one line per problem, and exits 1 if any ballot is invalid.

    python -m votes stv FILE.blt --rule scottish|meek [--seats N] [--lot 2,1,3,...]

counts a BLT file by single transferable vote (see ``votes.stv``) and prints the quota, who
was elected and every stage as JSON, numbers as decimals with the rule's places.

    python -m votes trustee register|keygen|check|still-held|mix|decrypt ...

a trustee's offline steps for a round whose ballots are encrypted (see ``votes.secrecy.cli``).

A file that cannot be read, or a rule its ballot kind does not have, prints one line on stderr
naming the file (and the line, for a bad file) and exits with status 2, as do argparse's own
usage errors.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from enum import Enum
from fractions import Fraction

from votes.i18n import ENGLISH, languages
from votes.model import Election, Outcome, RankedScoring, TieBreak
from votes.pabulib import PabulibError, read
from votes.text import plural

__all__ = ["exact", "main", "outcome_to_json"]


def exact(value: Fraction | int) -> int | str:
    """An exact number for JSON: an ``int`` when whole, else the string ``"p/q"``."""
    f = Fraction(value)
    return f.numerator if f.denominator == 1 else f"{f.numerator}/{f.denominator}"


def _jsonable(value: object) -> object:
    """Details as JSON: fractions as :func:`exact`, mappings as objects, sequences as lists."""
    if isinstance(value, bool | int | float | str) or value is None:
        return value.value if isinstance(value, Enum) else value
    if isinstance(value, Fraction):
        return exact(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return [_jsonable(v) for v in items]
    return str(value)


def outcome_to_json(outcome: Outcome) -> dict[str, object]:
    """One rule's result: ``rule``, ``tie_break``, ``selected`` (ids in selection order),
    ``total_cost``, ``budget``, ``explanation`` (one entry per project: ``project``, ``funded``,
    ``reason``, ``details``) and, for single-winner rules, ``rounds``."""
    out: dict[str, object] = {
        "rule": outcome.rule,
        "tie_break": str(outcome.tie_break),
        "selected": list(outcome.selected),
        "total_cost": exact(outcome.total_cost),
        "budget": exact(outcome.budget),
        "explanation": [
            {
                "project": x.project_id,
                "funded": x.funded,
                "reason": x.reason,
                "details": _jsonable(x.details),
            }
            for x in outcome.explanations
        ],
    }
    if outcome.rounds:
        out["rounds"] = _jsonable(outcome.rounds)
    return out


class _Failure(Exception):
    """A one-line error for stderr; exit status 2."""


def _fingerprint(text: str) -> str:
    """A published fingerprint: 64 hex digits (compared in lower case)."""
    value = text.strip().lower()
    if len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a SHA-256 hash (64 hex digits)")
    return value


def _formatter(prog: str) -> argparse.HelpFormatter:
    """argparse's own help layout, sized to the terminal as argparse would size it, but
    without importing shutil (and with it bz2 and lzma) on every run to ask."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
        except (AttributeError, ValueError, OSError):
            columns = 80
    return argparse.HelpFormatter(prog, width=max(columns, 1) - 2)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m votes",
        description="Count participatory budgeting elections.",
        formatter_class=_formatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    tally = commands.add_parser(
        "tally",
        formatter_class=_formatter,
        help="count a pabulib .pb file with one or more rules; print JSON",
        description="Count a pabulib .pb file with one or more rules and print one JSON object "
        "keyed by rule name.",
    )
    tally.add_argument("file", metavar="FILE.pb", help="the election, in pabulib format")
    tally.add_argument(
        "--rule",
        dest="rules",
        action="append",
        required=True,
        metavar="NAME",
        help="a counting rule (repeat for several), e.g. greedy, mes, phragmen, irv",
    )
    tally.add_argument(
        "--tie-break",
        choices=[t.value for t in TieBreak],
        default=TieBreak.COST_VOTES.value,
        help="how exact ties are broken (default: %(default)s)",
    )
    tally.add_argument(
        "--ranked-scoring",
        choices=[s.value for s in RankedScoring],
        default=None,
        help="ranked files only: rank points (1st of k ranks gets k points, ..., kth gets 1) "
        "or pabutools' Borda scores (default: the file's META ranked_scoring, else ranks)",
    )
    tally.add_argument(
        "--compact", action="store_true", help="print the JSON on one line instead of indented"
    )
    _language_argument(tally, "the explanations' language")
    check = commands.add_parser(
        "check",
        formatter_class=_formatter,
        help="check every ballot of a pabulib .pb file against the file's ballot rules",
        description="Check every ballot of a pabulib .pb file against the ballot rules in its "
        "META (min_length, max_length, max_sum_points, ...). Prints one line per problem, then "
        "a summary; exits 0 when every ballot is valid, 1 when some are not.",
    )
    check.add_argument("file", metavar="FILE.pb", help="the election, in pabulib format")
    _language_argument(check, "the problems' language")
    verify = commands.add_parser(
        "verify",
        formatter_class=_formatter,
        help="re-check a Devolve auditor export: hash chain, ballots, recount",
        description="Re-check a Devolve auditor export: its SHA256SUMS, the ballot log's hash "
        "chain (naming the first broken link), the ballots and receipts against the log, a "
        "recount with the rules frozen in the manifest, results.csv and election.pb against "
        "the rest, and the fingerprints the council published (--manifest-hash, --log-head; "
        "without them both are printed to compare by eye). Exits 0 when the result is "
        "reproduced, 1 when not.",
    )
    verify.add_argument("file", metavar="EXPORT.zip", help="a pot's export from Devolve")
    verify.add_argument(
        "--manifest-hash",
        type=_fingerprint,
        metavar="H",
        help="the manifest hash the council published when voting opened",
    )
    verify.add_argument(
        "--log-head",
        type=_fingerprint,
        metavar="H",
        help="the ballot log head the council published when voting closed",
    )
    stv = commands.add_parser(
        "stv",
        formatter_class=_formatter,
        help="count a BLT file by single transferable vote; print JSON",
        description="Count a BLT file (ranked ballots) by single transferable vote and print "
        "the result as JSON: the quota, who was elected in order, and every stage (votes of "
        "each candidate, transfers, exhausted and rounding, ties and how they were broken).",
    )
    stv.add_argument("file", metavar="FILE.blt", help="the election, in BLT format")
    stv.add_argument(
        "--rule",
        choices=("scottish", "meek"),
        required=True,
        help="Scottish STV (the Scottish Local Government Elections Order 2011) or Meek STV "
        "(the Proportional Representation Foundation's reference rule)",
    )
    stv.add_argument(
        "--seats", type=_seats, metavar="N", help="seats to fill (default: the file's)"
    )
    stv.add_argument(
        "--lot",
        type=_lot,
        metavar="N,N,...",
        help="the order drawn by lot for ties, every candidate once, numbered from 1 as in the "
        "file, the most favoured first (default: the file's order)",
    )
    stv.add_argument(
        "--compact", action="store_true", help="print the JSON on one line instead of indented"
    )
    from votes.secrecy.cli import add_commands

    add_commands(commands, _formatter)
    return parser


def _seats(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seats (1 or more)")
    return value


def _lot(text: str) -> tuple[int, ...]:
    try:
        order = tuple(int(part) - 1 for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a list of candidate numbers such as 2,1,3"
        ) from None
    return order


def _stv(file: str, rule: str, seats: int | None, lot: tuple[int, ...] | None) -> dict:
    from votes.blt import BltError, read_blt
    from votes.stv import count, result_to_json

    try:
        with open(file, encoding="utf-8-sig") as f:
            text = f.read()
    except OSError as e:
        raise _Failure(f"{file}: cannot open: {e.strerror or e}") from None
    except UnicodeDecodeError:
        raise _Failure(f"{file}: not a text file in UTF-8") from None
    try:
        election = read_blt(text)
    except BltError as e:
        raise _Failure(f"{file}: {e}") from None
    try:
        return result_to_json(count(election, rule, seats=seats, lot=lot))
    except ValueError as e:
        raise _Failure(f"{file}: {e}") from None


def _language_argument(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--language",
        choices=languages(),
        default=ENGLISH,
        help=f"{what}: one votes has a catalogue for (default: %(default)s)",
    )


def _tally(
    file: str,
    rules: Sequence[str],
    tie_break: TieBreak,
    scoring: RankedScoring | None,
    language: str = ENGLISH,
) -> dict[str, object]:
    from votes.rules import RULES, tally

    election = _read(file)
    if scoring is not None:
        election = election.with_ranked_scoring(scoring)
    valid = RULES.get(election.kind, ())
    names = list(dict.fromkeys(rules))  # once each, in the order given
    for name in names:
        if name not in valid:
            raise _Failure(
                f"{file}: unknown rule {name!r} for {election.kind} ballots "
                f"(valid: {', '.join(valid)})"
            )
    results: dict[str, object] = {}
    for name in names:
        try:
            outcome = tally(election, name, tie_break, language=language)
        except ValueError as e:
            raise _Failure(f"{file}: {name}: {e}") from None
        results[name] = outcome_to_json(outcome)
    return results


def _read(file: str) -> Election:
    try:
        return read(file)
    except PabulibError as e:
        raise _Failure(str(e)) from None
    except OSError as e:
        raise _Failure(f"{file}: cannot open: {e.strerror or e}") from None


def _check(file: str, language: str = ENGLISH) -> int:
    from votes.ballot import validate_ballot

    election = _read(file)
    currency = dict(election.meta).get("currency", "").strip()

    def money(amount: Fraction) -> str:
        # pabulib costs are in the file's own currency, not pence.
        shown = f"{amount.numerator:,}" if amount.denominator == 1 else f"{float(amount):,.2f}"
        return f"{shown} {currency}".strip()

    projects = {p.id: p for p in election.projects}
    invalid = 0
    for number, ballot in enumerate(election.ballots, start=1):
        problems = validate_ballot(
            ballot, election.rules, projects, election.budget, money=money, language=language
        )
        if problems:
            invalid += 1
            who = f"voter {ballot.voter}" if ballot.voter else f"ballot {number}"
            for p in problems:
                print(f"{file}: {who}: {p.code}: {p.message}")
    total = len(election.ballots)
    have = "has" if invalid == 1 else "have"
    print(
        f"{file}: {invalid:,} of {plural(total, 'ballot')} {have} problems "
        f"({election.kind} ballots)."
    )
    return 1 if invalid else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status: 0; 1 when ``check`` finds invalid
    ballots; 2 for an unreadable file, an unknown rule or a usage error."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "check":
            return _check(args.file, args.language)
        if args.command == "trustee":
            from votes.secrecy.cli import run

            return run(args)
        if args.command == "verify":
            from votes import verify

            return verify.main(args.file, manifest_hash=args.manifest_hash, log_head=args.log_head)
        if args.command == "stv":
            results = _stv(args.file, args.rule, args.seats, args.lot)
        else:
            results = _tally(
                args.file,
                args.rules,
                TieBreak(args.tie_break),
                RankedScoring(args.ranked_scoring) if args.ranked_scoring else None,
                args.language,
            )
    except _Failure as e:
        print(f"{e}", file=sys.stderr)
        return 2
    indent = None if args.compact else 2
    json.dump(results, sys.stdout, ensure_ascii=False, indent=indent)
    sys.stdout.write("\n")
    return 0
