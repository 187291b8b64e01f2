"""Reading big files as streams: the first bytes peeked (to tell the format) and put back, CSV rows one at a
time whatever the delimiter and BOM. Shared by the DECP reader and the companies register."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import IO, Any


class _Prefixed(io.RawIOBase):
    """A binary stream with bytes already read put back in front."""

    def __init__(self, head: bytes, rest: IO[bytes]):
        self.head, self.rest = head, rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.head:
            n = min(len(buffer), len(self.head))
            buffer[:n], self.head = self.head[:n], self.head[n:]
            return n
        data = self.rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def peek(stream: IO[bytes], size: int = 4096) -> tuple[bytes, IO[bytes]]:
    """The first `size` bytes, and a stream that still starts with them."""
    head = stream.read(size)
    return head, io.BufferedReader(_Prefixed(head, stream))


def csv_rows(stream: IO[bytes]) -> Iterator[dict[str, str]]:
    """Rows of a UTF-8 CSV (BOM or not) as dicts, `;` or `,` told apart from the header line."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="replace", newline="")
    first = text.readline()
    delimiter = ";" if first.count(";") > first.count(",") else ","

    def lines() -> Iterator[str]:
        yield first
        yield from text

    yield from csv.DictReader(lines(), delimiter=delimiter)
