"""Value helpers shared by every mapper: tree access, codes, amounts.

Sources that come from XML (BOAMP `donnees`/`gestion`, eForms) arrive as xmltodict-style trees: a single
child is a dict, repeated children a list, attributes are "@name", text beside attributes is "#text", and
an empty flag element is "" (its presence is the value, e.g. {"reservationMarche": {"non": ""}}). These
helpers read such trees without every mapper re-learning those rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

_CPV = re.compile(r"(\d{8})")
_SIRET = re.compile(r"^\d{14}$")
_DEPT = re.compile(r"^(?:\d{1,3}|2[AaBb])$")


def as_list(value: Any) -> list[Any]:
    """A child that may be absent, single (dict/str) or repeated (list) -> always a list."""
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return value
    return [value]


def get(tree: Any, *path: str) -> Any:
    """Walk dict keys; a list on the way is entered at its first element. Missing -> None."""
    node = tree
    for key in path:
        if isinstance(node, list):
            node = node[0] if node else None
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def get_all(tree: Any, *path: str) -> Iterator[Any]:
    """Every node reached by a path, fanning out over lists at any step."""
    if not path:
        yield from as_list(tree)
        return
    for node in as_list(tree):
        if isinstance(node, dict) and path[0] in node:
            yield from get_all(node[path[0]], *path[1:])


def text(value: Any, *, prefer: tuple[str, ...] = ("FRA", "fra", "FR", "ENG", "eng")) -> str | None:
    """The text of a node: a string, {"#text": ...}, or a list of language variants (French preferred)."""
    if value is None:
        return None
    if isinstance(value, str):
        s = value.strip()
        return s or None
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, dict):
        if "#text" in value:
            return text(value["#text"])
        return None
    if isinstance(value, list):
        if not value:
            return None
        by_lang = {(v.get("@languageID") if isinstance(v, dict) else None): v for v in value if v is not None}
        for lang in prefer:
            if lang in by_lang:
                return text(by_lang[lang])
        parts = [t for t in (text(v) for v in value) if t]
        return "\n".join(parts) if parts else None
    return None


def join_text(*values: Any, sep: str = "\n") -> str | None:
    parts: list[str] = []
    for v in values:
        t = text(v)
        if t and t not in parts:
            parts.append(t)
    return sep.join(parts) if parts else None


def flag(value: Any) -> str | None:
    """The key of a presence-as-value element: {"non": ""} -> "non"; {"oui": {"@xsi:type": ...}} -> "oui"."""
    if isinstance(value, dict):
        keys = [k for k in value if not k.startswith("@") and k != "#text"]
        return keys[0] if keys else None
    if isinstance(value, str):
        return value.strip() or None
    return None


def cpv_codes(values: Iterable[Any]) -> list[str]:
    """8-digit CPV codes from "45432111-5", "45454000.", {"#text": "60112000"} ...; order kept, no repeats."""
    out: list[str] = []
    for v in values:
        t = text(v) if not isinstance(v, str) else v
        if not t:
            continue
        for m in _CPV.finditer(t):
            if m.group(1) not in out:
                out.append(m.group(1))
    return out


def departement(value: Any) -> str | None:
    """ "2" -> "02", "2a" -> "2A", "974" -> "974"; anything else -> None (not guessed)."""
    t = text(value)
    if not t:
        return None
    t = t.strip()
    if not _DEPT.match(t):
        return None
    if t.isdigit():
        if t == "0" or len(t) == 3 and not t.startswith("97") and not t.startswith("98"):
            return None
        return t.zfill(2)
    return t.upper()


def departements(values: Iterable[Any]) -> list[str]:
    out: list[str] = []
    for v in values:
        d = departement(v)
        if d and d not in out:
            out.append(d)
    return out


def departement_from_postal_code(cp: Any) -> str | None:
    """French postal code -> département ("20xxx" split into 2A/2B, "97x.." overseas)."""
    t = text(cp)
    if not t:
        return None
    t = t.replace(" ", "")
    if not re.match(r"^\d{5}$", t):
        return None
    if t.startswith("97") or t.startswith("98"):
        return t[:3]
    if t.startswith("20"):
        return "2A" if int(t) < 20200 else "2B"
    return t[:2]


def amount(value: Any) -> float | None:
    """ "213400.41", "1 234,56", "75000" -> float; "-1" (withheld) and unparsable -> None."""
    t = text(value)
    if not t:
        return None
    t = t.replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    if "," in t and "." not in t:
        t = t.replace(",", ".")
    t = t.replace(",", "")
    try:
        v = float(t)
    except ValueError:
        return None
    return None if v < 0 else v


def siret(value: Any) -> str | None:
    t = text(value)
    if not t:
        return None
    t = re.sub(r"\s", "", t)
    return t if _SIRET.match(t) else None


def unique(values: Iterable[str | None]) -> list[str]:
    out: list[str] = []
    for v in values:
        if v and v not in out:
            out.append(v)
    return out


def find(tree: Any, key: str) -> Iterator[Any]:
    """Every value stored under `key` at any depth (for sub-trees whose exact nesting varies by era)."""
    if isinstance(tree, dict):
        for k, child in tree.items():
            if k == key:
                yield child
            yield from find(child, key)
    elif isinstance(tree, list):
        for child in tree:
            yield from find(child, key)
