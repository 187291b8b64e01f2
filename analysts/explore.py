"""`run_watch.py explore`: Datasette on the analysts' archive, with the project's metadata.

The archive is prepared first (analysts.tables: label tables, flat views, buyer directory), then Datasette
serves that one file. The private store is never given to it: a path that is the private store, or a file
holding its tables, is refused.
"""

from __future__ import annotations

import contextlib
import json
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
    return Datasette(
        [str(archive)], metadata=meta, settings=SETTINGS, plugins_dir=str(PLUGINS), template_dir=str(TEMPLATES)
    )


HERE = Path(__file__).resolve().parent
PLUGINS = HERE / "datasette_plugins"  # the buyer directory's lists, French labels for the templates
TEMPLATES = HERE / "datasette_templates"  # a buyer's page as a card
SETTINGS = {"default_page_size": 50, "facet_time_limit_ms": 500, "sql_time_limit_ms": 3000}


def arguments(archive: Path, metadata_file: Path, *, port: int, host: str) -> list[str]:
    """The `datasette serve` arguments (the same as on its command line)."""
    settings = [arg for k, v in SETTINGS.items() for arg in ("--setting", k, str(v))]
    return [str(archive), "--metadata", str(metadata_file), "--host", host, "--port", str(port),
            "--plugins-dir", str(PLUGINS), "--template-dir", str(TEMPLATES), *settings]  # fmt: skip


def serve(archive: Path, *, private: Path | None, port: int, host: str, public: bool) -> int:
    """Run Datasette in this process until Ctrl-C or SIGTERM (uvicorn stops cleanly on both); 0 on a clean stop."""
    from datasette.cli import serve as datasette_serve

    check_public(archive, private)
    meta = prepared_metadata(archive, public=public)
    with tempfile.TemporaryDirectory(prefix="ess-explore-") as tmp:
        path = Path(tmp) / "metadata.json"
        path.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        mode = "public: no arbitrary SQL" if public else "SQL allowed"
        print(f"explore: {archive} on http://{host}:{port}/ ({mode}); Ctrl-C stops", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            datasette_serve.main(arguments(archive, path, port=port, host=host), standalone_mode=False)
    return 0
