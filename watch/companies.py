"""Loading the companies register from files (`run_watch.py companies load FILE...`, the `companies` job).

Each file is read as a stream (notices.registers) and written in batches through ContractStore, so the
30 M-row Sirene stock never sits in memory; with `companies.winners_only` the Sirene stock keeps only the
legal units that hold an archived contract. A .zip (as INSEE ships the stock) is read from its first CSV
member, a .gz as such. A file that is missing or unreadable is said in one line naming it; the other files
are still loaded. Re-loading a file changes nothing (the register is keyed by SIREN and merged).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

import sqlite_utils

from archive.contracts import ContractStore
from notices.registers import KINDS, RegisterError, RegisterStats, read_register
from settings import Config
from watch.files import READ_ERRORS, FileProblem, open_file

logger = logging.getLogger(__name__)

BATCH = 10_000
FILTERED_KINDS = ("sirene",)  # the big national stock; the ESS subset and the lists are small


@dataclass
class LoadResult:
    companies: int = 0  # SIRENs written (new or merged)
    read: int = 0
    skipped: int = 0
    filtered: int = 0
    errors: list[str] = field(default_factory=list)  # one line per file that could not be loaded


def configured_files(config: Config) -> list[tuple[str | None, Path]]:
    """`companies.files`: paths relative to the configuration's directory, optionally "kind:path"."""
    out = []
    for entry in config["companies.files"]:
        kind, sep, rest = entry.partition(":")
        if sep and kind in KINDS:
            entry = rest
        else:
            kind = None
        path = Path(entry)
        out.append((kind, path if path.is_absolute() else config.base / path))
    return out


def winner_sirens(db: sqlite_utils.Database) -> set[str]:
    return {row[0] for row in db.execute("select distinct siren from contract_winners where siren is not null")}


def load_files(
    db: sqlite_utils.Database, files: list[tuple[str | None, Path]], *, winners_only: bool = False
) -> LoadResult:
    store = ContractStore(db)
    result = LoadResult()
    only = winner_sirens(db) if winners_only else None
    if only is not None and not only:
        logger.warning(
            "companies: no contract holder in the archive yet: the Sirene stock will keep nothing "
            "(crawl decp first, or load with --all-units)"
        )
    for kind, path in files:
        if not path.is_file():
            result.errors.append(f"{path}: no such file")
            logger.error("companies: %s: no such file", path)
            continue
        stats = RegisterStats()
        written = 0
        try:
            with open_file(path) as stream:
                companies = read_register(
                    stream, kind, source=path.name, stats=stats, only=only, only_kinds=FILTERED_KINDS
                )
                while batch := list(islice(companies, BATCH)):
                    written += store.upsert_companies(batch)
        except (RegisterError, FileProblem, *READ_ERRORS) as exc:
            reason = (
                str(exc)
                if isinstance(exc, (RegisterError, FileProblem))
                else f"unreadable ({type(exc).__name__}: {exc})"
            )
            result.errors.append(f"{path}: {reason}")
            logger.error("companies: %s: %s", path, reason)
            continue
        finally:
            result.read += stats.read
            result.skipped += stats.skipped
            result.filtered += stats.filtered
        result.companies += written
        logger.info(
            "companies: %s: %s read, %s written, %s skipped (no SIREN or kind), %s not winners",
            path.name,
            f"{stats.read:,}",
            f"{written:,}",
            f"{stats.skipped:,}",
            f"{stats.filtered:,}",
        )
    return result
