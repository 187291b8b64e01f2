"""Files an operator downloads and hands to the watch: opened as streams (.zip: its first CSV or JSON member,
as INSEE and data.gouv.fr ship them; .gz), and DECP files loaded into the archive without a crawl
(`run_watch.py contracts load FILE...`, e.g. the 2.5 GB consolidated decp.csv fetched with curl)."""

from __future__ import annotations

import gzip
import logging
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import IO

import sqlite_utils

from archive.contracts import ContractStore
from archive.store import Archive, UpsertCounts
from notices.checks import RecordError
from notices.decp import SOURCE, Problem, read_contracts

logger = logging.getLogger(__name__)

BATCH = 2_000
READ_ERRORS = (OSError, zipfile.BadZipFile, EOFError, UnicodeDecodeError)


class FileProblem(ValueError):
    """A file handed to the watch that cannot be opened as what it should be."""


@contextmanager
def open_file(path: Path) -> Iterator[IO[bytes]]:
    if path.suffix.lower() == ".zip":
        with zipfile.ZipFile(path) as archive:
            members = [n for n in archive.namelist() if n.lower().endswith((".csv", ".json"))]
            if not members:
                raise FileProblem("the zip file holds no CSV or JSON file")
            with archive.open(members[0]) as member:
                yield member
    elif path.suffix.lower() == ".gz":
        with gzip.open(path, "rb") as stream:
            yield stream  # type: ignore[misc]
    else:
        with path.open("rb") as stream:
            yield stream


@dataclass
class ContractLoad:
    counts: UpsertCounts = field(default_factory=UpsertCounts)
    read: int = 0
    quarantined: int = 0
    errors: list[str] = field(default_factory=list)


def load_contract_files(db: sqlite_utils.Database, paths: list[Path]) -> ContractLoad:
    """Every contract of these DECP files into the archive; bad records quarantined, a bad file said in one line."""
    archive, store, result = Archive(db), ContractStore(db), ContractLoad()
    with store.bulk():
        for path in paths:
            if not path.is_file():
                result.errors.append(f"{path}: no such file")
                continue
            try:
                with open_file(path) as stream:
                    items = read_contracts(stream, dataset=path.name)
                    while batch := list(islice(items, BATCH)):
                        contracts = []
                        for item in batch:
                            if isinstance(item, Problem) and item.whole_file:
                                result.errors.append(f"{path}: {item.reason}")
                            elif isinstance(item, Problem):
                                result.quarantined += 1
                                archive.quarantine(SOURCE, item.record_id, item.reason, item.raw, str(path))
                            else:
                                contracts.append(item)
                        result.read += len(contracts)
                        result.counts += store.upsert_contracts(contracts)
            except (RecordError, FileProblem, *READ_ERRORS) as exc:
                result.errors.append(f"{path}: {exc}")
    for error in result.errors:
        logger.error("contracts: %s", error)
    return result
