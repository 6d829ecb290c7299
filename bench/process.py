"""Whole processes: ``python -m votes tally FILE --rule mes`` against a pabutools script.

For every shared pabulib file with more than 10,000 voters, both commands are run as fresh
processes, alternately, several times, in one run on the same machine: ours is the command
line as a user types it; pabutools' is ``bench/pabutools_mes.py``, the shortest script that
does the same count (parse_pabulib, then method_of_equal_shares on the multiprofile, with
the satisfaction matching our ``mes``: cost for approval and choose-1, cardinal for
cumulative, Borda for ordinal, where ours gets ``--ranked-scoring borda``; ties by project id
for both). Each row gives the best wall time of each (the least disturbed by other work on
the machine), the ratio, and whether both selected the same projects.

Also timed, as floors: an interpreter that does nothing (``python -c pass``) and one that
only imports numpy. ``--before DIR`` adds a third column: the same command run from another
checkout of the repository (e.g. ``git archive`` of an older commit unpacked in DIR).

    .venv/bin/python bench/process.py                  # 3 runs of each (about 10 minutes)
    .venv/bin/python bench/process.py --repeats 5 --files Lodz,Gdansk
    .venv/bin/python bench/process.py --before /tmp/old --no-pabutools

Child processes may write bytecode caches (``PYTHONDONTWRITEBYTECODE`` is dropped for them)
and each command runs once untimed first, so that neither side pays for compiling its
modules or for reading a file from disk for the first time. PABULIB_DIR points at the
elections (default: ../shared/pabulib next to the repository).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
THRESHOLD = 10_000


def voters_and_type(path: Path) -> tuple[int, str]:
    """The number of voters (rows of VOTES) and the META vote_type of a .pb file."""
    sys.path.insert(0, str(ROOT))
    from votes.pabulib import read

    e = read(path)
    vote_type = dict(e.meta).get("vote_type", "").strip().lower()
    counts = getattr(e, "vote_arrays", None)
    voters = int(counts[0].sum()) if counts is not None else len(e.ballots)
    return voters, vote_type


def run(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr}")
    return elapsed, done.stdout


def ours_cmd(path: Path, vote_type: str) -> list[str]:
    cmd = [PYTHON, "-m", "votes", "tally", str(path), "--rule", "mes", "--compact"]
    cmd += ["--tie-break", "lexicographic"]
    if vote_type == "ordinal":
        cmd += ["--ranked-scoring", "borda"]
    return cmd


def selected(output: str, ours: bool) -> list[str]:
    data = json.loads(output)
    return sorted(data["mes"]["selected"]) if ours else sorted(data)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", help="comma-separated parts of file names to include")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each (default 3)")
    parser.add_argument("--before", type=Path, help="another checkout to time the same way")
    parser.add_argument("--no-pabutools", action="store_true", help="leave pabutools out")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args(argv)

    folder = Path(os.environ.get("PABULIB_DIR") or ROOT.parent / "shared" / "pabulib")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.pop("PYTHONPATH", None)
    script = ROOT / "bench" / "pabutools_mes.py"
    wanted = args.files.split(",") if args.files else None
    files = []
    for path in sorted(folder.glob("*.pb")):
        if wanted and not any(w in path.name for w in wanted):
            continue
        voters, vote_type = voters_and_type(path)
        if voters > THRESHOLD:
            files.append((path, voters, vote_type))
    print(f"pabulib folder: {folder}; {len(files)} files with more than {THRESHOLD:,} voters")

    trees = [("votes", ROOT)] + ([("before", args.before.resolve())] if args.before else [])
    commands: dict[tuple[str, str], tuple[list[str], Path]] = {}
    for path, _, vote_type in files:
        for label, tree in trees:
            commands[(path.name, label)] = (ours_cmd(path, vote_type), tree)
        if not args.no_pabutools:
            commands[(path.name, "pabutools")] = ([PYTHON, str(script), str(path)], ROOT)
    floors = {
        "python -c pass": [PYTHON, "-c", "pass"],
        "python -c 'import numpy'": [PYTHON, "-c", "import numpy"],
    }

    times: dict[object, list[float]] = {key: [] for key in [*commands, *floors]}
    outputs: dict[tuple[str, str], str] = {}
    for key, (cmd, cwd) in commands.items():  # untimed: bytecode caches, file cache
        outputs[key] = run(cmd, cwd, env)[1]
    for cmd in floors.values():
        run(cmd, ROOT, env)
    for _ in range(args.repeats):
        for name, cmd in floors.items():
            times[name].append(run(cmd, ROOT, env)[0])
        for key, (cmd, cwd) in commands.items():
            times[key].append(run(cmd, cwd, env)[0])

    def best(key: object) -> float:
        return min(times[key])

    for name in floors:
        print(f"{name:44} {best(name):8.3f} s (median {statistics.median(times[name]):.3f})")
    labels = [label for label, _ in trees]
    columns = [*labels, *([] if args.no_pabutools else ["pabutools"])]
    if args.markdown:
        head = ["file", "voters", *(f"{c} s" for c in columns)]
        if not args.no_pabutools:
            head += ["pabutools / votes", "same selection"]
        if args.before:
            head += ["before / votes"]
        print("| " + " | ".join(head) + " |")
        print("|" + "|".join("---" if i == 0 else "---:" for i in range(len(head))) + "|")
    else:
        print(f"{'file':44} {'voters':>8} " + " ".join(f"{c + ' s':>12}" for c in columns))
    for path, voters, _ in files:
        cells = [f"{best((path.name, c)):.3f}" for c in columns]
        extra = []
        if not args.no_pabutools:
            ratio = best((path.name, "pabutools")) / best((path.name, "votes"))
            same = selected(outputs[(path.name, "votes")], True) == selected(
                outputs[(path.name, "pabutools")], False
            )
            extra += [f"{ratio:.1f}x", "yes" if same else "NO"]
        if args.before:
            extra.append(f"{best((path.name, 'before')) / best((path.name, 'votes')):.1f}x")
        if args.markdown:
            print("| " + " | ".join([path.name, f"{voters:,}", *cells, *extra]) + " |")
        else:
            print(
                f"{path.name:44} {voters:>8,} "
                + " ".join(f"{c:>12}" for c in cells)
                + "".join(f" {x:>8}" for x in extra)
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
