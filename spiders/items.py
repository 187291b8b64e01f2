"""What spiders hand to the archive pipeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from notices.contracts import Contract
from notices.model import Notice


@dataclass
class NoticeItem:
    notice: Notice


@dataclass
class QuarantineItem:
    """A record that could not be mapped: kept with its raw text and the reason, never dropped."""

    source: str
    source_id: str | None
    error: str
    raw: str
    context: str


@dataclass
class WindowDone:
    """Every notice published in [start, end] has been handed over: the watermark may move past it."""

    source: str
    endpoint: str
    start: date
    end: date
    records: int
    final: bool
    crawl_from: date


@dataclass
class ContractItem:
    """An awarded contract (DECP), written by the pipeline through archive.contracts.ContractStore."""

    contract: Contract
