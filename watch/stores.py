"""Opening the two stores a command needs: the analysts' archive and the private store.

The private store is opened through here so that an archive from before the split gives up its subscribers,
their mail and the signing key the first time any command needs them (archive.private.move_from_archive).
"""

from __future__ import annotations

import sqlite_utils

from archive.db import open_db
from archive.private import TABLES, move_from_archive, open_private, secret_key
from watch.config import Config


def open_archive(config: Config) -> sqlite_utils.Database:
    return open_db(config.resolve_path("archive.path"))


def open_private_store(config: Config) -> sqlite_utils.Database:
    """The private store, after moving any private table still in the archive into it."""
    private = open_private(config.resolve_path("private.path"))
    archive_path = config.resolve_path("archive.path")
    if archive_path.exists():
        archive = open_db(archive_path)
        try:
            if any(archive[t].exists() for t in (*TABLES, "settings")):
                move_from_archive(archive, private, config.resolve_path("private.key_file"))
        finally:
            archive.close()
    return private


def signing_key(config: Config) -> bytes:
    return secret_key(config.resolve_path("private.key_file"))
