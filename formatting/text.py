"""Text as a reader sees it: no control characters, capped, on one line where a line is expected; safe links."""

from __future__ import annotations

import re

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]")
_URL = re.compile(r"^https?://[^\s/?#]+[^\s]*$", re.IGNORECASE)


def clean_text(value: str | None, limit: int | None = None, *, one_line: bool = False) -> tuple[str | None, bool]:
    """Text without control characters, stripped, capped: (text, was it cut). Line breaks are kept, except in
    a one-line field (a title, a name), where every run of whitespace becomes one space."""
    if value is None:
        return None, False
    text = CONTROL.sub("", str(value)).replace("\r\n", "\n").replace("\r", "\n").strip()
    if one_line:
        text = " ".join(text.split())
    cut = bool(limit) and len(text) > limit  # type: ignore[operator]
    if cut:
        text = text[: limit - 1].rstrip() + "…"  # type: ignore[operator]
    return text or None, cut


def display_text(value: str | None, limit: int) -> str | None:
    """One-line text as a reader sees it in a digest or the newsletter (markup is escaped by the template)."""
    return clean_text(value, limit, one_line=True)[0]


def safe_url(value: str | None) -> str | None:
    """An http(s) link with no whitespace or control character, else None."""
    if not value or not isinstance(value, str):
        return None
    value = value.strip()
    return value if _URL.match(value) and not CONTROL.search(value) else None
