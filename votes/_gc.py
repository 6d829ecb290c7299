"""Pausing the cyclic garbage collector while a count or a file read runs.

A count, or reading a large pabulib file, makes hundreds of thousands of short-lived objects
that hold no reference cycles; the collector would walk them (and the election beside them)
over and over for nothing. ``paused_collection`` switches it off for that stretch only.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["paused_collection"]

# The collector's switch is one for the whole process, while counts can nest (a read inside
# a count) or run at once in several threads: the first to come in switches it off and
# remembers whether it was on, the last to leave puts it back. The lock keeps the count of
# those inside and the switch in step.
_lock = threading.Lock()
_inside = 0
_was_enabled = False


@contextmanager
def paused_collection() -> Iterator[None]:
    """No cyclic garbage collection inside the block; afterwards, the state found before.

    Nesting-safe and thread-safe: collection comes back only when the last block still open
    (in any thread) ends, and only if it was enabled when the first one began.
    """
    global _inside, _was_enabled
    with _lock:
        if _inside == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _inside += 1
    try:
        yield
    finally:
        with _lock:
            _inside -= 1
            if _inside == 0 and _was_enabled:
                gc.enable()
