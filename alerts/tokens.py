"""Signed, unguessable links for one-click unsubscribe and "pas pour nous" feedback.

A token is `payload.signature`, both base64url: the payload says what the link does and for whom
("u|42" unsubscribes subscriber 42, "f|42|<procedure>" is feedback on a tender), the signature is an
HMAC-SHA256 of it under the deployment's secret key. Without the key a token cannot be forged or
altered; an invalid token changes nothing.

The key comes from WATCH_SECRET_KEY; without it a random key is generated once and kept in the archive
(`settings`), never in a file of the repository.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets

import sqlite_utils


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def secret_key(db: sqlite_utils.Database) -> bytes:
    env = os.environ.get("WATCH_SECRET_KEY")
    if env:
        return env.encode()
    row = db.execute("select value from settings where key = 'secret_key'").fetchone()
    if row:
        return row[0].encode()
    key = secrets.token_urlsafe(32)
    with db.conn:
        db.execute("insert or ignore into settings (key, value) values ('secret_key', ?)", [key])
    return db.execute("select value from settings where key = 'secret_key'").fetchone()[0].encode()


class Signer:
    def __init__(self, key: bytes):
        self.key = key

    def sign(self, *parts: str | int) -> str:
        payload = "|".join(str(p) for p in parts).encode()
        mac = hmac.new(self.key, payload, hashlib.sha256).digest()
        return f"{_b64(payload)}.{_b64(mac)}"

    def verify(self, token: str) -> list[str] | None:
        """The parts of a valid token, or None."""
        try:
            payload_text, mac_text = token.split(".", 1)
            payload, mac = _unb64(payload_text), _unb64(mac_text)
        except (ValueError, TypeError):
            return None
        expected = hmac.new(self.key, payload, hashlib.sha256).digest()
        if not hmac.compare_digest(mac, expected):
            return None
        return payload.decode("utf-8", errors="replace").split("|")
