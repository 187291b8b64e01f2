"""How the reader process's messages cross the pipe to the load (watch.reader_process -> watch.files).

A message is a batch (contracts as ContractRows, unreadable records as Problems), None (the file is done) or
a str (why the file cannot be read further). Each is sent as one frame: its length on 8 bytes, then its body
serialized by marshal, which writes and reads plain tuples, lists and strings two to three times faster than
pickle (a national file is 150,000 contracts a year). marshal is only for a trusted peer, which the reader
process is: the same interpreter started by the load. A frame cut short (the reader died while writing it)
is PipeCut, never a half batch.
"""

from __future__ import annotations

import marshal
import struct
from typing import IO

from archive.contracts import ContractRows
from notices.decp import Problem

Batch = list[ContractRows | Problem]
Message = Batch | str | None
_LENGTH = struct.Struct(">Q")


class PipeCut(EOFError):
    """The pipe ended before a whole message (the reader process stopped)."""


def send(out: IO[bytes], message: Message) -> None:
    if isinstance(message, list):  # plain tuples: marshal knows no classes
        body = marshal.dumps((
            [tuple(item) for item in message if not isinstance(item, Problem)],
            [(p.reason, p.raw, p.record_id, p.whole_file) for p in message if isinstance(p, Problem)],
        ))  # fmt: skip
    else:
        body = marshal.dumps(message)
    out.write(_LENGTH.pack(len(body)))
    out.write(body)


def receive(stream: IO[bytes]) -> Message:
    head = stream.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        raise PipeCut("the pipe ended" if not head else "a message was cut short")
    (length,) = _LENGTH.unpack(head)
    body = stream.read(length)
    if len(body) < length:
        raise PipeCut("a message was cut short")
    try:
        message = marshal.loads(body)
    except (EOFError, ValueError, TypeError) as exc:
        raise PipeCut(f"a message could not be read ({exc})") from None
    if not isinstance(message, tuple):
        return message  # None or a str
    contracts, problems = message
    batch: Batch = [Problem(*p) for p in problems]  # quarantined first: order within a batch does not matter
    batch.extend(ContractRows._make(c) for c in contracts)
    return batch
