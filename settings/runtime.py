"""Process-wide runtime tuning for bulk work, shared by the stages that build many objects at once."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def many_objects() -> Iterator[None]:
    """Build a large number of objects without the cyclic garbage collector pausing on them.

    Python's collector runs each time allocations outnumber deallocations by a threshold, and its oldest
    generation re-scans every tracked object: building a national year of records (hundreds of thousands of
    lists and dataclasses kept alive) triggers collections that re-scan the growing heap again and again, which
    on Python 3.11 costs as much as building the records. Reference counting still frees what is dropped
    meanwhile; the collector's earlier state is restored on exit, whatever happens.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
