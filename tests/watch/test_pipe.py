"""What the reader process sends reaches the load whole (watch.pipe), or not at all."""

from __future__ import annotations

import io

import pytest

from archive.contracts import ContractRows
from notices.decp import Problem
from watch.pipe import PipeCut, receive, send

ROWS = ContractRows("u1", ("u1", "id", 12.5, None), [("u1", 0, "123", "SIRET", "123", None)], [], "a;b\r\n", "x;y\r\n")
PROBLEM = Problem("record 3 is not valid JSON", "{", "r3")


def test_batches_and_messages_cross_unchanged() -> None:
    pipe = io.BytesIO()
    for message in ([ROWS, PROBLEM, ROWS._replace(uid="u2")], "the file is cut", None):
        send(pipe, message)
    pipe.seek(0)
    batch = receive(pipe)
    assert sorted(batch, key=str) == sorted([ROWS, PROBLEM, ROWS._replace(uid="u2")], key=str)
    assert all(type(item) in (ContractRows, Problem) for item in batch)
    assert receive(pipe) == "the file is cut" and receive(pipe) is None
    with pytest.raises(PipeCut, match="the pipe ended"):
        receive(pipe)


@pytest.mark.parametrize("keep", [3, 8, 20])  # in the length, after it, in the body
def test_a_message_cut_short_is_never_half_a_batch(keep: int) -> None:
    pipe = io.BytesIO()
    send(pipe, [ROWS, PROBLEM])
    with pytest.raises(PipeCut, match="cut short"):
        receive(io.BytesIO(pipe.getvalue()[:keep]))


def test_a_garbled_message_is_said() -> None:
    with pytest.raises(PipeCut, match="could not be read"):
        receive(io.BytesIO(b"\x00" * 7 + b"\x03" + b"\xff\xff\xff"))
