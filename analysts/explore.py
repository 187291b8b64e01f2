"""`run_watch.py explore`: Datasette on the analysts' archive, with the project's metadata.

The archive is prepared first (analysts.tables: label tables, flat views, buyer directory), then Datasette
serves that one file. The private store is never given to it: a path that is the private store, or a file
holding its tables, is refused.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from analysts.metadata import metadata
from analysts.tables import prepare
from archive.db import PRIVATE_TABLES, open_db
from settings import WatchError


def check_public(archive: Path, private: Path | None = None) -> None:
    """Refuse to publish the private store, or an archive still holding its tables."""
    if private is not None and archive.resolve() == private.resolve():
        raise WatchError(f"{archive}: this is the private store (subscribers, digests): never served to analysts")
    with open_db(archive) as db:
        held = [t for t in PRIVATE_TABLES if db[t].exists()]
    if held:
        raise WatchError(
            f"{archive}: still holds private tables ({', '.join(held)}); run any alerts command first so they "
            "move to the private store"
        )


def prepared_metadata(archive: Path, *, public: bool = False, now: datetime | None = None) -> dict[str, Any]:
    """Prepare the archive (as of `now`: which tenders are upcoming) and return its Datasette metadata."""
    with open_db(archive) as db:
        prepare(db, now=now)
    return metadata(archive.stem, public=public)


def datasette_app(archive: Path, *, public: bool = False, now: datetime | None = None) -> Any:
    """An in-process Datasette on the prepared archive (tests use its `client`)."""
    from datasette.app import Datasette

    meta = prepared_metadata(archive, public=public, now=now)
    return Datasette([str(archive)], metadata=meta, settings=SETTINGS)


SETTINGS = {"default_page_size": 50, "facet_time_limit_ms": 500, "sql_time_limit_ms": 3000}


def command(archive: Path, metadata_file: Path, *, port: int, host: str) -> list[str]:
    settings = [arg for k, v in SETTINGS.items() for arg in ("--setting", k, str(v))]
    return [sys.executable, "-m", "datasette", "serve", str(archive), "--metadata", str(metadata_file),
            "--host", host, "--port", str(port), *settings]  # fmt: skip


def serve(archive: Path, *, private: Path | None, port: int, host: str, public: bool) -> int:
    """Run Datasette until it stops (Ctrl-C); returns its exit code."""
    check_public(archive, private)
    meta = prepared_metadata(archive, public=public)
    with tempfile.TemporaryDirectory(prefix="ess-explore-") as tmp:
        path = Path(tmp) / "metadata.json"
        path.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        print(
            f"explore: {archive} on http://{host}:{port}/ ({'public: no arbitrary SQL' if public else 'SQL allowed'})"
        )
        try:
            return subprocess.call(command(archive, path, port=port, host=host))
        except KeyboardInterrupt:
            return 0
