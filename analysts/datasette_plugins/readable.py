"""Datasette plugin of `explore`: the buyer directory's JSON columns shown as lists, and the French column
labels given to the templates (analysts/datasette_templates/row.html shows a buyer as a card)."""

from __future__ import annotations

import json
from typing import Any

from datasette import hookimpl
from markupsafe import Markup, escape

from analysts.metadata import TABLES

_LISTS = {"latest_needs": "published", "upcoming": "deadline"}


def _items(value: str, when: str) -> Markup | None:
    try:
        entries = json.loads(value)
    except (TypeError, ValueError):
        return None
    if not isinstance(entries, list):
        return None
    if not entries:
        return Markup("<em>aucun</em>")
    lines = []
    for e in entries:
        day = escape(str(e.get(when) or "")[:10])
        title = escape(e.get("title") or "")
        link = f' <a href="{escape(e["url"])}">avis</a>' if e.get("url") else ""
        lines.append(f"<li>{day} : {title} <small>({escape(e.get('notice') or '')})</small>{link}</li>")
    return Markup("<ul>" + "".join(lines) + "</ul>")


@hookimpl
def render_cell(value: Any, column: str, table: str | None, database: str, datasette: Any) -> Markup | None:
    if table != "buyers" or not isinstance(value, str):
        return None
    if column in _LISTS:
        return _items(value, _LISTS[column])
    if column in ("names", "sirets", "themes"):
        try:
            return Markup("<br>".join(escape(v) for v in json.loads(value))) or Markup("<em>aucun</em>")
        except (TypeError, ValueError):
            return None
    if column == "themes_count":
        try:
            counts = json.loads(value)
        except (TypeError, ValueError):
            return None
        return Markup(", ".join(f"{escape(k)} : {int(n)}" for k, n in counts.items())) or Markup("<em>aucun</em>")
    return None


@hookimpl
def extra_template_vars(template: str, table: str | None) -> dict[str, Any]:
    meta = TABLES.get(table or "", {})
    return {"column_labels": meta.get("columns", {}), "table_title": meta.get("title")}
