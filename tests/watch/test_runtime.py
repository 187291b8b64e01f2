"""settings.runtime.many_objects: the garbage collector is paused while records are built and its state is back
afterwards, also when the work fails (the observatory and the DECP reader process build under it)."""

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
