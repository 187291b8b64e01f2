"""Process-wide runtime tuning for bulk work, shared by the stages that build many objects at once."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def many_objects(*, kept: bool = False) -> Iterator[None]:
    """Build a large number of objects without the cyclic garbage collector pausing on them.

    Python's collector runs each time allocations outnumber deallocations by a threshold, and its older
    generations re-scan every tracked object: building a national year of records (hundreds of thousands of
    lists and dataclasses kept alive) triggers collections that re-scan the growing heap again and again, which
    on Python 3.11 costs as much as building the records. Reference counting still frees what is dropped
    meanwhile; the collector's earlier state is restored on exit, whatever happens.

    `kept`: what is built lives on (the observatory's records, read by every figure of a report). Merely
    pausing would only defer the cost, as the first collections after the pause scan everything built during
    it, about a second for a national year. So the garbage already there is collected first, and on success
    everything alive is frozen (gc.freeze): never scanned again, and still freed by reference counting when
    dropped, which is how these records go (they hold no cycles). A long-running service calls thaw() after
    each job, so that what else was alive then, should it later become cyclic garbage, is collected.
    """
    enabled = gc.isenabled()
    if kept:
        gc.collect()  # what is garbage now, before it is frozen with the rest
    gc.disable()
    try:
        yield
        if kept:
            gc.freeze()
    finally:
        if enabled:
            gc.enable()


def thaw() -> None:
    """Hand back to the collector what many_objects(kept=True) froze (`serve`, after each job)."""
    gc.unfreeze()
