"""The Jinja2 environment of templates/: autoescaped HTML, the French filters."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from formatting.french import date_fr, money_fr, number_fr, percent_fr
from formatting.text import display_text, safe_url

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def environment() -> Environment:
    """Every scraped string reaches the HTML through autoescaping (also for templates given as strings)."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["date_fr"] = date_fr
    env.filters["money_fr"] = money_fr
    env.filters["number_fr"] = number_fr
    env.filters["percent_fr"] = percent_fr
    env.filters["display_text"] = display_text
    env.filters["safe_url"] = safe_url
    return env
