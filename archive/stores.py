"""Opening the two stores a command needs, from the settings: the analysts' archive and the private store.

The private store is opened through here so that an archive from before the split gives up its subscribers,
their mail and the signing key the first time any command needs them (archive.private.move_from_archive).
"""

from __future__ import annotations

import sqlite_utils

from archive.db import open_db
from archive.private import LEGACY_TABLES, move_from_archive, open_private, secret_key
from settings import Config


def open_archive(config: Config) -> sqlite_utils.Database:
    return open_db(config.resolve_path("archive.path"))


def open_private_store(config: Config, archive: sqlite_utils.Database | None = None) -> sqlite_utils.Database:
    """The private store, after moving any private table still in the archive into it.

    `archive`: the archive when the caller has it open already (it is not opened a second time).
    """
    private = open_private(config.resolve_path("private.path"))
    archive_path = config.resolve_path("archive.path")
    if archive is None and not archive_path.exists():
        return private
    db = archive or open_db(archive_path)
    try:
        if any(db[t].exists() for t in LEGACY_TABLES):
            move_from_archive(db, private, config.resolve_path("private.key_file"))
    finally:
        if archive is None:
            db.close()
    return private


def signing_key(config: Config) -> bytes:
    return secret_key(config.resolve_path("private.key_file"))
