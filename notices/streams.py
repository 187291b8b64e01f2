"""Reading big files as streams: the first bytes peeked (to tell the format) and put back, CSV rows one at a
time whatever the delimiter and BOM. Shared by the DECP reader and the companies register."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
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


def _lines(stream: IO[bytes]) -> tuple[Iterator[str], str, str]:
    """(the text lines, header line included; the header line; its delimiter, `;` or `,`)."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="replace", newline="")
    first = text.readline()
    delimiter = ";" if first.count(";") > first.count(",") else ","

    def lines() -> Iterator[str]:
        yield first
        yield from text

    return lines(), first, delimiter


def csv_rows(stream: IO[bytes]) -> Iterator[dict[str, str]]:
    """Rows of a UTF-8 CSV (BOM or not) as dicts, `;` or `,` told apart from the header line."""
    lines, _, delimiter = _lines(stream)
    yield from csv.DictReader(lines, delimiter=delimiter)


@dataclass(frozen=True, slots=True)
class CsvRecord:
    """A CSV row as a dict, with the text it was read from (its line, or lines when a value holds a newline)
    and the file's header line, so that the source record can be kept verbatim at the price of its bytes."""

    row: dict[str, str]
    text: str
    header: str


def csv_records(stream: IO[bytes]) -> Iterator[CsvRecord]:
    """As csv_rows, each row with its own source text: the csv reader takes exactly the lines of one row from
    the iterator before it returns the row, so the lines taken since the last row are that row's text."""
    lines, header, delimiter = _lines(stream)
    taken: list[str] = []

    def recorded() -> Iterator[str]:
        for line in lines:
            taken.append(line)
            yield line

    reader = csv.DictReader(recorded(), delimiter=delimiter)
    for row in reader:
        if taken and taken[0] is header:  # the header line, read with the first row
            del taken[0]
        text = taken[0] if len(taken) == 1 else "".join(taken).lstrip("\r\n")  # blank lines the reader skipped
        taken.clear()
        yield CsvRecord(row, text, header)
