"""Time Devolve's counting rules against pabutools on the shared pabulib elections.

For each file and rule: pabutools' time, ours, and the ratio, in one run on the same machine.
Each file's first row, "(parse)", times reading it: ours with ``votes.pabulib.read``,
pabutools' with ``parse_pabulib``. Rules are timed on what each library parsed. Where
reference.json records that pabutools did not finish in 120 s, pabutools is not run and its
time is shown as ">120 (reference)". At the end: the slowest parse and ``mes-add1`` count, and
the peak resident memory of the process.

    .venv/bin/python bench/tally.py                         # everything (slow: pabutools)
    .venv/bin/python bench/tally.py --no-reference          # ours only (reference times shown)
    .venv/bin/python bench/tally.py --files Lodz,Assen --rules mes,mes-add1
    .venv/bin/python bench/tally.py --memory                # also tracemalloc peak per count
    .venv/bin/python bench/tally.py --markdown              # rows of bench/README.md's table

Our rule modules are imported before anything is timed, as pabutools' are, so that no row
carries a one-off import. Our "(parse)" time is ``read``, which for a plain VOTES section
builds the per-voter ballots only on first use (``votes.model.LazyElection``); the counts
start from the grouped ballots it knows, where pabutools' start from its multiprofile.

PABULIB_DIR points at the elections (default: ../shared/pabulib next to the repository).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import signal
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.reference_keys import KEYS  # noqa: E402
from votes.model import RankedScoring, TieBreak  # noqa: E402
from votes.pabulib import read  # noqa: E402
from votes.rules import tally  # noqa: E402


class Timeout(Exception):
    pass


def pabutools_call(key: str):
    """The pabutools call behind a reference key (see ``rules`` in reference.json)."""
    from pabutools.election import (
        Additive_Borda_Sat,
        Additive_Cardinal_Sat,
        Cardinality_Sat,
        Cost_Sat,
    )
    from pabutools.election.satisfaction.additivesatisfaction import AdditiveSatisfaction
    from pabutools.fractions import frac
    from pabutools.rules import (
        BudgetAllocation,
        completion_by_rule_combination,
        greedy_utilitarian_welfare,
        max_additive_utilitarian_welfare,
        method_of_equal_shares,
        sequential_phragmen,
    )
    from pabutools.rules.mes.mes_rule import method_of_equal_shares_scheme
    from pabutools.tiebreaking import TieBreakingRule

    class CostPointsSat(AdditiveSatisfaction):  # points x cost: greedy by total points
        def __init__(self, instance, profile, ballot):
            super().__init__(
                instance, profile, ballot, lambda i, p, b, proj, pre: b.get(proj, 0) * proj.cost
            )

    class PositionalCostSat(AdditiveSatisfaction):  # (len - position) x cost
        def __init__(self, instance, profile, ballot):
            def func(i, p, b, proj, pre):
                return (len(b) - b.position(proj)) * proj.cost if proj in b else 0

            super().__init__(instance, profile, ballot, func)

    def completion(sat, second=None):
        return lambda inst, prof: completion_by_rule_combination(
            inst,
            prof,
            [method_of_equal_shares, greedy_utilitarian_welfare],
            [{"sat_class": sat}, second or {"sat_class": sat}],
        )

    def add1(inst, prof):
        """Per-voter budget B/n, then floor(B/n)+1, +2, ... while the outcome fits B."""
        sat_profile = prof.as_sat_profile(Cost_Sat)
        tie = TieBreakingRule(lambda i, p, proj: (proj.cost, -p.approval_score(proj), proj.name))
        n, budget = prof.num_ballots(), inst.budget_limit
        supported = sum(1 for proj in inst if prof.approval_score(proj) > 0)

        def run(per_voter):
            return method_of_equal_shares_scheme(
                inst, prof, sat_profile, per_voter, BudgetAllocation(), tie, binary_sat=True
            )

        best = run(frac(budget, n))
        k = math.floor(frac(budget, n))
        while len(best) < supported:
            k += 1
            outcome = run(frac(k))
            if sum(p.cost for p in outcome) > budget:
                break
            best = outcome
        return best

    g = greedy_utilitarian_welfare
    calls = {
        "greedy_cost": lambda i, p: g(i, p, sat_class=Cost_Sat),
        "greedy_card": lambda i, p: g(i, p, sat_class=Cardinality_Sat),
        "mes_cost": lambda i, p: method_of_equal_shares(i, p, sat_class=Cost_Sat),
        "mes_card": lambda i, p: method_of_equal_shares(i, p, sat_class=Cardinality_Sat),
        "mes_cost_greedy": completion(Cost_Sat),
        "mes_cost_add1_pabulib": add1,
        "seq_phragmen": sequential_phragmen,
        "max_welfare_cost": lambda i, p: max_additive_utilitarian_welfare(i, p, sat_class=Cost_Sat),
        "greedy_score": None,  # depends on the vote type, below
        "greedy_cardinal": lambda i, p: g(i, p, sat_class=Additive_Cardinal_Sat),
        "mes_cardinal": lambda i, p: method_of_equal_shares(i, p, sat_class=Additive_Cardinal_Sat),
        "mes_cardinal_greedy": completion(Additive_Cardinal_Sat),
        "greedy_borda": lambda i, p: g(i, p, sat_class=Additive_Borda_Sat, is_sat_additive=True),
        "mes_borda": lambda i, p: method_of_equal_shares(i, p, sat_class=Additive_Borda_Sat),
        "mes_borda_greedy": completion(
            Additive_Borda_Sat, {"sat_class": Additive_Borda_Sat, "is_sat_additive": True}
        ),
        "greedy_score_cumulative": lambda i, p: g(i, p, sat_class=CostPointsSat),
        "greedy_score_ordinal": lambda i, p: g(i, p, sat_class=PositionalCostSat),
    }
    return calls[key]


def ratio_text(theirs: float | None, ours: float) -> str:
    if not theirs:
        return "-"
    return f"{theirs / ours:.0f}x" if theirs / ours >= 10 else f"{theirs / ours:.1f}x"


def timed(fn, limit: float | None = None):
    """(seconds, result) of fn(); raises Timeout after ``limit`` seconds (SIGALRM)."""

    def alarm(*_):
        raise Timeout

    if limit:
        signal.signal(signal.SIGALRM, alarm)
        signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        start = time.perf_counter()
        result = fn()
        return time.perf_counter() - start, result
    finally:
        if limit:
            signal.setitimer(signal.ITIMER_REAL, 0)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", help="comma-separated parts of file names to include")
    parser.add_argument("--rules", help="comma-separated rule names (ours) to include")
    parser.add_argument(
        "--no-reference", action="store_true", help="do not run pabutools; show recorded times"
    )
    parser.add_argument(
        "--pabutools-timeout", type=float, default=120.0, help="seconds (default 120)"
    )
    parser.add_argument("--memory", action="store_true", help="tracemalloc peak of each count")
    parser.add_argument(
        "--markdown", action="store_true", help="print Markdown table rows, names whole"
    )
    args = parser.parse_args(argv)
    import votes.rules.greedy
    import votes.rules.mes
    import votes.rules.mes.lockstep
    import votes.rules.phragmen
    import votes.rules.welfare  # noqa: F401

    folder = Path(os.environ.get("PABULIB_DIR") or ROOT.parent / "shared" / "pabulib")
    reference = json.loads((folder / "reference.json").read_text(encoding="utf-8"))
    wanted_files = args.files.split(",") if args.files else None
    wanted_rules = args.rules.split(",") if args.rules else None
    print(f"pabulib folder: {folder}")
    width = max(len(inst["file"]) for inst in reference["instances"])
    if args.markdown:
        cells = ["file", "rule", "pabutools s", "votes s", "ratio"]
        cells += ["votes peak MB (tracemalloc)"] if args.memory else []
        print("| " + " | ".join(cells) + " |")
        print("|---|---|" + "---:|" * (len(cells) - 2))
    else:
        header = f"{'file':{width}} {'rule':16} {'pabutools s':>16} {'votes s':>9} {'ratio':>8}"
        print(header + ("  peak MB" if args.memory else ""))
        print("-" * len(header))

    def row(name: str, rule: str, shown: str, ours: float, ratio: str, peak: str = "") -> str:
        if args.markdown:
            cells = [name, rule, shown, f"{ours:.3f}", ratio] + ([peak] if args.memory else [])
            return "| " + " | ".join(cells) + " |"
        line = f"{name:{width}} {rule:16} {shown:>16} {ours:9.3f} {ratio:>8}"
        return line + (f"  {peak:>7}" if args.memory else "")

    worst_add1 = worst_parse = 0.0
    for inst in reference["instances"]:
        name = inst["file"]
        if wanted_files and not any(w in name for w in wanted_files):
            continue
        vote_type = inst["vote_type"]
        keys = KEYS[vote_type]
        rules = [r for r in keys if not wanted_rules or r in wanted_rules]
        parse = not wanted_rules or "parse" in wanted_rules
        if not rules and not parse:
            continue
        ours, election = timed(lambda: read(folder / name))  # noqa: B023
        # reference.json holds pabutools' Borda rules for ranked files: count them that way.
        election = election.with_ranked_scoring(RankedScoring.BORDA)
        worst_parse = max(worst_parse, ours)
        pb = None
        if parse:
            theirs, shown = None, "-"
            if not args.no_reference:
                from pabutools.election import parse_pabulib

                theirs, (instance, profile) = timed(lambda: parse_pabulib(str(folder / name)))  # noqa: B023
                pb = (instance, profile.as_multiprofile())
                shown = f"{theirs:.3f}"
            ratio = ratio_text(theirs, ours)
            print(row(name, "(parse)", shown, ours, ratio, "-"), flush=True)
        for rule in rules:
            key = keys[rule]
            record = inst["results"][key]
            tie_break = TieBreak.COST_VOTES if rule == "mes-add1" else TieBreak.LEXICOGRAPHIC
            ours, outcome = timed(lambda: tally(election, rule, tie_break))  # noqa: B023
            if rule == "mes-add1":
                worst_add1 = max(worst_add1, ours)
            if record["status"] == "timeout":
                theirs, shown = None, ">120 (reference)"
            elif args.no_reference:
                theirs = record.get("time_s")
                shown = f"{theirs:.3f} (ref.)" if theirs is not None else "-"
            else:
                if pb is None:
                    from pabutools.election import parse_pabulib

                    instance, profile = parse_pabulib(str(folder / name))
                    pb = (instance, profile.as_multiprofile())
                call = key
                if key == "greedy_score":
                    call = (
                        f"greedy_score_{'cumulative' if vote_type == 'cumulative' else 'ordinal'}"
                    )
                fn = pabutools_call(call)
                try:
                    theirs, _ = timed(lambda: fn(*pb), args.pabutools_timeout)  # noqa: B023
                    shown = f"{theirs:.3f}"
                except Timeout:
                    theirs, shown = None, f">{args.pabutools_timeout:g} (timeout)"
            if theirs:
                ratio = ratio_text(theirs, ours)
            elif record["status"] == "timeout" or shown.startswith(">"):
                ratio = f">{120 / ours:.0f}x"
            else:
                ratio = "-"
            peak = ""
            if args.memory:
                tracemalloc.start()
                tally(election, rule, tie_break)
                peak = f"{tracemalloc.get_traced_memory()[1] / 2**20:.1f}"
                tracemalloc.stop()
            print(row(name, rule, shown, ours, ratio, peak), flush=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak resident memory of this process: {peak:.0f} MB")
    print(f"slowest parse: {worst_parse:.2f} s")
    if worst_add1:
        print(f"slowest mes-add1 count: {worst_add1:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
