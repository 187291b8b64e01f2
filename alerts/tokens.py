"""Signed, unguessable links for one-click unsubscribe and "pas pour nous" feedback.

A token is `payload.signature`, both base64url: the payload says what the link does and for whom
("u|42" unsubscribes subscriber 42, "f|42|<procedure>" is feedback on a tender), the signature is an
HMAC-SHA256 of it under the deployment's secret key. Without the key a token cannot be forged or
altered; an invalid token changes nothing.

The key comes from WATCH_SECRET_KEY or the private store's key file (archive.private.secret_key), never
from the analysts' archive. Decoding is strict: a token must be the canonical base64url of its bytes, so no
altered copy of a valid token (a flipped padding bit, a stray character) is accepted as it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import time


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


_B64URL = re.compile(r"^[A-Za-z0-9_-]+$")


def _unb64(text: str) -> bytes:
    """Strict base64url without padding: only its alphabet, and only the canonical spelling of the bytes."""
    if not _B64URL.match(text) or len(text) % 4 == 1:
        raise ValueError("not base64url")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if _b64(data) != text:
        raise ValueError("not the canonical encoding")
    return data


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
        except (ValueError, TypeError, binascii.Error):
            return None
        expected = hmac.new(self.key, payload, hashlib.sha256).digest()
        if not hmac.compare_digest(mac, expected):
            return None
        return payload.decode("utf-8", errors="replace").split("|")


# -- expiring, single-purpose tokens -------------------------------------------------------------------------
# Payload "2|<purpose>|<expiry, Unix seconds>|<parts...>": the purpose and the expiry are signed with the rest,
# so a token for one action never opens another, and an expired one is refused like a forged one. Tokens of
# the first form ("u|42", no expiry) were mailed in digests before; `check(..., legacy=True)` still accepts
# them for the purposes whose old links must keep working (unsubscribe, feedback).
PURPOSES = ("u", "f", "p", "c", "csrf")
VERSION = "2"
# how long each link lives: sign-up confirmation, preferences (and "Mes marchés"), unsubscribe, feedback
TTL = {"c": 48 * 3600, "p": 90 * 86400, "u": 400 * 86400, "f": 180 * 86400}


def issue(signer: Signer, purpose: str, *parts: str | int, ttl: int, now: float | None = None) -> str:
    if purpose not in PURPOSES:
        raise ValueError(f"unknown token purpose {purpose!r}")
    expiry = int((time.time() if now is None else now) + ttl)
    return signer.sign(VERSION, purpose, expiry, *parts)


def check(
    signer: Signer, token: str, purpose: str, *, now: float | None = None, legacy: bool = False
) -> list[str] | None:
    """The parts after purpose and expiry of a valid, unexpired token for `purpose`; None otherwise."""
    parts = signer.verify(token) if token else None
    if not parts:
        return None
    if parts[0] == VERSION and len(parts) >= 3:
        if parts[1] != purpose or not parts[2].isdigit():
            return None
        if int(parts[2]) < (time.time() if now is None else now):
            return None
        return parts[3:]
    if legacy and parts[0] == purpose:
        return parts[1:]
    return None
