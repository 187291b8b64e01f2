"""Files an operator downloads and hands to the watch: opened as streams (.zip: its first CSV or JSON member,
as INSEE and data.gouv.fr ship them; .gz), and DECP files loaded into the archive without a crawl
(`run_watch.py contracts load FILE...`, e.g. the 2.5 GB consolidated decp.csv fetched with curl).

A big DECP file is read in a reader process that maps its records to rows (notices.decp, then
archive.contracts.contract_rows) while this process writes them: reading and writing each take about half of
a national load, so on two cores the load takes about as long as the slower of the two. A small file (the
demo, a daily delta) is read here: a process costs more to start than it would save."""

from __future__ import annotations

import gzip
import logging
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import IO

import sqlite_utils

from archive.contracts import ContractStore, contract_rows
from archive.store import Archive, UpsertCounts
from notices.checks import RecordError
from notices.decp import SOURCE, Problem, read_contracts
from watch.pipe import Batch, PipeCut, receive

logger = logging.getLogger(__name__)

BATCH = 2_000
PIPELINE_BYTES = 16 << 20  # a DECP file this big (about 30,000 contracts) is read in a reader process
PROGRESS_EVERY = 30.0  # seconds between two progress lines of a long load
ROOT = Path(__file__).resolve().parent.parent  # the project, put on the reader process's path
READER = "watch.reader_process"  # the module the reader process runs
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


def load_contract_files(
    db: sqlite_utils.Database, paths: list[Path], *, pipeline_bytes: int = PIPELINE_BYTES
) -> ContractLoad:
    """Every contract of these DECP files into the archive; bad records quarantined, a bad file said in one line.
    A file of `pipeline_bytes` or more is read in a reader process while this one writes (when this process may
    use more than one core: on one, the process would only add the cost of sending the rows)."""
    archive, store, result = Archive(db), ContractStore(db), ContractLoad()
    with store.bulk():
        for path in paths:
            if not path.is_file():
                result.errors.append(f"{path}: no such file")
                continue
            apart = path.stat().st_size >= pipeline_bytes and cores() > 1
            batches = _read_apart(path) if apart else _read_batches(path)
            started = last = time.monotonic()
            try:
                for batch in batches:
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
                    result.counts += store.write(contracts)
                    if (now := time.monotonic()) - last >= PROGRESS_EVERY:  # a national file: a line every half minute
                        last = now
                        logger.info(
                            "contracts: %s: %s read so far (%.0f/s), %s new, %s updated, %s quarantined",
                            path.name,
                            f"{result.read:,}",
                            result.read / max(now - started, 1e-9),
                            f"{result.counts.new:,}",
                            f"{result.counts.updated:,}",
                            f"{result.quarantined:,}",
                        )
            except (RecordError, FileProblem, *READ_ERRORS) as exc:
                result.errors.append(f"{path}: {exc}")
            finally:
                batches.close()  # a reader process still running is stopped
    for error in result.errors:
        logger.error("contracts: %s", error)
    return result


def cores() -> int:
    """The cores this process may run on (a container or `taskset` may allow fewer than the machine has)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _read_batches(path: Path) -> Iterator[Batch]:
    """The file's contracts as rows ready to write, and its unreadable records, in batches of BATCH."""
    with open_file(path) as stream:
        items = read_contracts(stream, dataset=path.name)
        while batch := list(islice(items, BATCH)):
            yield [item if isinstance(item, Problem) else contract_rows(item) for item in batch]


def _read_apart(path: Path) -> Iterator[Batch]:
    """The batches of _read_batches(path), read by `python -m watch.reader_process` and sent through a
    pipe (watch.pipe). A new interpreter: the writing process may hold threads and an open database, which a
    fork would copy. The pipe's buffer bounds how far the reader runs ahead. Stopping early stops the process."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    with tempfile.TemporaryFile() as said:  # a file, not a pipe: what it says never blocks it
        process = subprocess.Popen(
            [sys.executable, "-P", "-m", READER, str(path)],  # -P: not a same-named package in the cwd
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=said,
            env=env,
        )
        assert process.stdout is not None
        try:
            while True:
                try:
                    item = receive(process.stdout)
                except PipeCut:  # it ended, or died in the middle of a batch
                    process.wait()
                    said.seek(0)
                    lines = said.read().decode(errors="replace").strip().splitlines() or ["no message"]
                    raise FileProblem(
                        f"the reader process stopped (exit code {process.returncode}): {lines[-1]}"
                    ) from None
                if item is None:
                    break
                if isinstance(item, str):
                    raise FileProblem(item)
                yield item
            process.wait()
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            process.stdout.close()
