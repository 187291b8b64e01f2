"""Shared formatting at the bottom of the house: text as a reader sees it, French dates and amounts, and the
Jinja2 environment of the templates (digests, the newsletter, the web pages).

Nothing here imports any other package of the project, so the notice checks, the digests, the newsletter and
the web endpoint all format the same way.
"""

from formatting.french import PARIS, RESERVED_KINDS, date_fr, money_fr
from formatting.templates import TEMPLATES, environment
from formatting.text import CONTROL, clean_text, display_text, safe_url

__all__ = [
    "CONTROL",
    "PARIS",
    "RESERVED_KINDS",
    "TEMPLATES",
    "clean_text",
    "date_fr",
    "display_text",
    "environment",
    "money_fr",
    "safe_url",
]
