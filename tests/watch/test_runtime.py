"""settings.runtime.many_objects: the garbage collector is paused while records are built and its state is back
afterwards, also when the work fails (the observatory and the DECP reader process build under it); what is kept
is frozen out of later collections."""

from __future__ import annotations

import gc

import pytest

from settings.runtime import many_objects


def test_the_collector_is_paused_inside_and_restored_after_even_on_failure() -> None:
    assert gc.isenabled()
    with many_objects():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ValueError), many_objects():
        raise ValueError("a bad record")
    assert gc.isenabled()
    gc.disable()
    try:
        with many_objects():
            pass
        assert not gc.isenabled()  # a caller that had paused it keeps it paused
    finally:
        gc.enable()


def test_objects_kept_are_frozen_out_of_the_collector_and_freed_when_dropped() -> None:
    frozen = gc.get_freeze_count()
    try:
        with pytest.raises(ValueError), many_objects(kept=True):
            raise ValueError("a bad record")
        # a failed build freezes nothing (the count may drop: frozen objects are still freed when dropped)
        assert gc.get_freeze_count() <= frozen
        with many_objects(kept=True):
            records = [[i] for i in range(10_000)]
        kept = gc.get_freeze_count()
        assert kept >= frozen + 10_000 and gc.isenabled()
        del records
        assert gc.get_freeze_count() <= kept - 10_000  # reference counting still frees them
    finally:
        gc.unfreeze()
