"""Spreading point arithmetic over processes: the group operations hold the GIL."""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

__all__ = ["default_workers", "run", "slices"]


def default_workers() -> int:
    return max(
        1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    )


def slices(count: int, workers: int) -> list[tuple[int, int]]:
    """Contiguous [start, stop) ranges covering ``count`` items: a few per worker."""
    if count <= 0:
        return []
    parts = max(1, min(count, workers * 4 if workers > 1 else 1))
    step = -(-count // parts)
    return [(i, min(count, i + step)) for i in range(0, count, step)]


def run(fn: Callable[[Any], T], tasks: Sequence[Any], workers: int) -> list[T]:
    """``[fn(t) for t in tasks]``, in ``workers`` fresh processes when there are several."""
    if workers <= 1 or len(tasks) <= 1:
        return [fn(t) for t in tasks]
    # fork is quick and needs no `if __name__ == "__main__"` guard in the caller's script; it is
    # safe only while this process runs a single thread, so otherwise fresh processes are used.
    single = threading.active_count() == 1
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if single and "fork" in methods else "spawn")
    with ProcessPoolExecutor(max_workers=min(workers, len(tasks)), mp_context=context) as pool:
        return list(pool.map(fn, tasks))
