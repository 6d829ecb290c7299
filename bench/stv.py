"""Single transferable vote: votes.stv against votekit on the shared Scottish council elections.

For every BLT file in ``STV_DIR`` (default ``../shared/stv``), times reading it, our Scottish
count (exact, five decimal places), our Meek count (nine places, iterated) and votekit's
``FastSTV`` (floating point, numpy; the baseline, run in the same process on the same ballots),
and prints the totals, the slowest files and the ratios. votekit's first call compiles with
numba: it is made once before anything is timed.

    .venv/bin/python bench/stv.py                 # every file
    .venv/bin/python bench/stv.py --files glasgow  # names containing a word
    .venv/bin/python bench/stv.py --no-meek
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from votes.blt import BltError, read_blt  # noqa: E402
from votes.stv import meek, scottish  # noqa: E402


def votekit_count(election):
    from votekit import RankBallot, RankProfile
    from votekit.elections import FastSTV

    ballots = []
    for n, prefs in election.ballots:
        kept = list(dict.fromkeys(c for c in prefs if c not in election.withdrawn))
        if kept:
            ballots.append(RankBallot(ranking=tuple(frozenset({str(c)}) for c in kept), weight=n))
    standing = tuple(str(c) for c in range(len(election.candidates)) if c not in election.withdrawn)
    profile = RankProfile(ballots=tuple(ballots), candidates=standing)
    return FastSTV(profile, n_seats=election.seats, simultaneous=True, tiebreak="borda")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", default="", help="only files whose names contain this")
    parser.add_argument("--no-meek", action="store_true", help="leave out the Meek count")
    args = parser.parse_args()
    folder = Path(os.environ.get("STV_DIR") or ROOT.parent / "shared" / "stv")
    paths = [p for p in sorted(folder.glob("*.blt")) if args.files in p.name]
    if not paths:
        print(f"no BLT files in {folder} (STV_DIR)", file=sys.stderr)
        return 2
    try:
        import votekit  # noqa: F401
    except ImportError:
        print("votekit is not installed (requirements-dev.txt)", file=sys.stderr)
        return 2
    totals = {"read": 0.0, "scottish": 0.0, "meek": 0.0, "votekit": 0.0}
    slowest: list[tuple[float, str, str]] = []
    counted = ballots = 0
    warm = None
    for path in paths:
        start = time.perf_counter()
        try:
            election = read_blt(path.read_text(encoding="utf-8"))
        except BltError:
            continue
        totals["read"] += time.perf_counter() - start
        if warm is None:
            warm = votekit_count(election)  # numba compiles on the first call
        counted += 1
        ballots += sum(n for n, _ in election.ballots)
        for name, run in (
            ("scottish", lambda e=election: scottish(e)),
            ("meek", None if args.no_meek else lambda e=election: meek(e)),
            ("votekit", lambda e=election: votekit_count(e)),
        ):
            if run is None:
                continue
            start = time.perf_counter()
            run()
            spent = time.perf_counter() - start
            totals[name] += spent
            slowest.append((spent, name, path.name))
    print(f"{counted} elections, {ballots:,} ballots")
    print(f"{'count':<10} {'total s':>9} {'ms/election':>12} {'vs votekit':>11}")
    for name, spent in totals.items():
        if name == "meek" and args.no_meek:
            continue
        ratio = spent / totals["votekit"] if totals["votekit"] else 0
        print(f"{name:<10} {spent:>9.2f} {1000 * spent / counted:>12.2f} {ratio:>10.2f}x")
    print("slowest:")
    for spent, name, file in sorted(slowest, reverse=True)[:5]:
        print(f"  {1000 * spent:8.1f} ms  {name:<9} {file}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
