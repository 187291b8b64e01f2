"""The theme taxonomy: loaded from YAML (classify/taxonomy.yaml by default) and validated.

Validation names the file and the entry: an unknown theme code, a malformed CPV prefix, an empty phrase,
an unknown key or a bad weight stops loading with e.g.
`classify/taxonomy.yaml: themes[3] (usages_ephemeres).cpv[2]: CPV prefix '7995x' must be 2 to 8 digits`.
The version tag combines the file's `version` with a hash of its content, so a change without a version
bump still tells `classify` that stored classifications are stale.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from classify.text import phrase_key
from settings import WatchError, yamlfile

DEFAULT_PATH = Path(__file__).resolve().parent / "taxonomy.yaml"

# The ten themes of the specification (THEMES.md); codes are part of the JSON-lines interface.
THEME_CODES = (
    "insertion_emploi",
    "dechets_chantier",
    "mobilite_verte",
    "usages_ephemeres",
    "efficacite_energetique",
    "agriculture_proximite",
    "restauration_solidaire",
    "accessibilite_handicap",
    "tourisme_solidaire",
    "surete_equipements",
)
_CPV = re.compile(r"^\d{2,8}$")


class TaxonomyError(WatchError, ValueError):
    """A taxonomy (or its weights) that cannot be read or does not hold together: the message says where."""

    label = "taxonomy error"


def _by_first(phrases: tuple[tuple[str, ...], ...]) -> dict[str, tuple[tuple[str, ...], ...]]:
    index: dict[str, list[tuple[str, ...]]] = {}
    for phrase in phrases:
        index.setdefault(phrase[0], []).append(phrase)
    return {k: tuple(v) for k, v in index.items()}


@dataclass(frozen=True, eq=False)
class Context:
    """Words around a phrase that say it names the place, not the object bought.

    `before` words within `window` content words before the phrase, or `after` words within `window` after it,
    cancel the phrase: "construction d'un restaurant scolaire" names the building works are done on. An
    `except_before` word anywhere earlier in the text lifts the rule: a programming study or an AMO *about*
    the building's activity ("programmation de la restauration scolaire ... extension") stays in the theme.
    """

    name: str
    before: tuple[tuple[str, ...], ...] = ()
    after: tuple[tuple[str, ...], ...] = ()
    window: int = 6
    except_before: tuple[tuple[str, ...], ...] = ()
    before_index: dict[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict)  # by first word
    after_index: dict[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict)
    except_index: dict[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Phrase:
    text: str
    key: tuple[str, ...]
    weight: float = 1.0
    unless: tuple[tuple[str, ...], ...] = ()
    contexts: tuple[Context, ...] = ()


@dataclass(frozen=True)
class CodeRule:
    code: str
    weight: float
    label: str | None = None


@dataclass
class Theme:
    code: str
    label: str
    phrases: list[Phrase]
    exclude: list[Phrase]
    cpv: list[CodeRule]
    descriptors: list[CodeRule]
    description: str = ""  # one French sentence: the theme's scope, for a structure choosing its themes


@dataclass
class Taxonomy:
    version: str
    threshold: float
    fields: dict[str, float]
    fuzzy_min_length: int
    fuzzy_weight: float
    themes: list[Theme] = field(default_factory=list)
    exclude_all: list[Phrase] = field(default_factory=list)
    contexts: dict[str, Context] = field(default_factory=dict)
    path: str = ""


def _err(file: str, where: str, msg: str) -> TaxonomyError:
    return TaxonomyError(f"{file}: {where}: {msg}")


def _weight(value: Any, file: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 5:
        raise _err(file, where, f"weight must be a number in (0, 5], got {value!r}")
    return float(value)


def _words(value: Any, file: str, where: str, key: str) -> tuple[tuple[str, ...], ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(u, str) and phrase_key(u) for u in value):
        raise _err(file, where, f"{key} must be a list of words, got {value!r}")
    return tuple(phrase_key(u) for u in value)


def _context(name: Any, entry: Any, file: str) -> Context:
    where = f"contexts.{name}"
    if not isinstance(entry, dict):
        raise _err(file, where, "expected a mapping with before, after, window")
    unknown = set(entry) - {"before", "after", "except_before", "window", "note"}
    if unknown:
        expected = "before, after, except_before, window, note"
        raise _err(file, where, f"unknown key {sorted(unknown)[0]!r} (expected {expected})")
    window = entry.get("window", 6)
    if isinstance(window, bool) or not isinstance(window, int) or not 1 <= window <= 30:
        raise _err(file, f"{where}.window", f"must be a whole number of words from 1 to 30, got {window!r}")
    before = _words(entry.get("before"), file, where, "before")
    after = _words(entry.get("after"), file, where, "after")
    if not before and not after:
        raise _err(file, where, "a context needs before or after words")
    lifted = _words(entry.get("except_before"), file, where, "except_before")
    return Context(str(name), before, after, window, lifted, _by_first(before), _by_first(after), _by_first(lifted))


def _phrase(
    entry: Any, file: str, where: str, contexts: dict[str, Context] | None = None, inherited: Any = None
) -> Phrase:
    if isinstance(entry, str):
        entry = {"phrase": entry}
    if not isinstance(entry, dict):
        raise _err(file, where, f"expected a phrase or a mapping, got {type(entry).__name__}")
    unknown = set(entry) - {"phrase", "weight", "unless", "context"}
    if unknown:
        raise _err(file, where, f"unknown key {sorted(unknown)[0]!r} (expected phrase, weight, unless, context)")
    text = entry.get("phrase")
    if not isinstance(text, str) or not text.strip():
        raise _err(file, where, "empty phrase")
    key = phrase_key(text)
    if not key:
        raise _err(file, where, f"phrase {text!r} has no content word")
    unless = _words(entry.get("unless") or [], file, where, "unless")
    weight = _weight(entry.get("weight", 1.0), file, where)
    names = entry.get("context", inherited) or []
    if isinstance(names, str):
        names = [names]
    known = contexts or {}
    for name in names:
        if name not in known:
            raise _err(file, where, f"unknown context {name!r} (defined: {', '.join(sorted(known)) or 'none'})")
    return Phrase(text.strip(), key, weight, unless, tuple(known[n] for n in names))


def _codes(entries: Any, file: str, where: str, kind: str) -> list[CodeRule]:
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise _err(file, where, f"{kind} must be a list")
    out = []
    for i, entry in enumerate(entries):
        at = f"{where}[{i}]"
        if not isinstance(entry, dict):
            raise _err(file, at, f"expected a mapping, got {entry!r}")
        allowed = {"prefix", "weight"} if kind == "cpv" else {"code", "label", "weight"}
        if set(entry) - allowed:  # e.g. `label: Repas, traiteur` unquoted: YAML reads a key "traiteur"
            raise _err(file, at, f"unknown key {sorted(set(entry) - allowed)[0]!r} (quote a label with a comma)")
        if kind == "cpv":
            prefix = str(entry.get("prefix", ""))
            if not _CPV.match(prefix):
                raise _err(file, at, f"CPV prefix {prefix!r} must be 2 to 8 digits")
            out.append(CodeRule(prefix, _weight(entry.get("weight", 1.0), file, at)))
        else:
            code = str(entry.get("code", "")).strip()
            if not code.isdigit():
                raise _err(file, at, f"descriptor code {code!r} must be a BOAMP thesaurus number")
            out.append(CodeRule(code, _weight(entry.get("weight", 1.0), file, at), entry.get("label")))
    return out


def load(path: str | Path | None = None) -> Taxonomy:
    path = Path(path or DEFAULT_PATH)
    file = str(path)
    try:
        raw_text = path.read_text(encoding="utf-8")
        data = yamlfile.safe_load(raw_text)
    except OSError as exc:
        raise TaxonomyError(f"{file}: cannot read ({exc})") from exc
    except yamlfile.YAMLError as exc:
        raise TaxonomyError(f"{file}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise TaxonomyError(f"{file}: expected a mapping at the top level")
    fields = data.get("fields") or {}
    if not isinstance(fields, dict) or set(fields) - {"title", "lots", "description"}:
        raise _err(file, "fields", "expected weights for title, lots, description")
    fuzzy = data.get("fuzzy") or {}
    tax = Taxonomy(
        version=f"{data.get('version', '0')}+{hashlib.sha1(raw_text.encode()).hexdigest()[:8]}",
        threshold=_weight(data.get("threshold", 1.0), file, "threshold"),
        fields={k: _weight(v, file, f"fields.{k}") for k, v in fields.items()},
        fuzzy_min_length=int(fuzzy.get("min_length", 6)),
        fuzzy_weight=_weight(fuzzy.get("weight", 0.8), file, "fuzzy.weight"),
        path=file,
    )
    unknown = set(data) - {"version", "threshold", "fields", "fuzzy", "themes", "exclude_all", "contexts"}
    if unknown:
        raise _err(file, sorted(unknown)[0], "unknown key")
    contexts = data.get("contexts") or {}
    if not isinstance(contexts, dict):
        raise _err(file, "contexts", "expected a mapping of named contexts")
    tax.contexts = {str(name): _context(name, entry, file) for name, entry in contexts.items()}
    tax.exclude_all = [_phrase(p, file, f"exclude_all[{j}]") for j, p in enumerate(data.get("exclude_all") or [])]
    seen = set()
    for i, entry in enumerate(data.get("themes") or []):
        code = entry.get("code") if isinstance(entry, dict) else None
        where = f"themes[{i}] ({code})"
        if code not in THEME_CODES:
            raise _err(file, f"themes[{i}]", f"unknown theme code {code!r} (expected one of {', '.join(THEME_CODES)})")
        if code in seen:
            raise _err(file, where, "theme defined twice")
        seen.add(code)
        unknown = set(entry) - {"code", "label", "description", "context", "phrases", "exclude", "cpv", "descriptors"}
        if unknown:
            raise _err(file, where, f"unknown key {sorted(unknown)[0]!r}")
        phrases = entry.get("phrases") or []
        if not phrases:
            raise _err(file, where, "a theme needs phrases")
        tax.themes.append(
            Theme(
                code=code,
                label=str(entry.get("label") or code),
                description=str(entry.get("description") or ""),
                phrases=[
                    _phrase(p, file, f"{where}.phrases[{j}]", tax.contexts, entry.get("context"))
                    for j, p in enumerate(phrases)
                ],
                exclude=[_phrase(p, file, f"{where}.exclude[{j}]") for j, p in enumerate(entry.get("exclude") or [])],
                cpv=_codes(entry.get("cpv"), file, f"{where}.cpv", "cpv"),
                descriptors=_codes(entry.get("descriptors"), file, f"{where}.descriptors", "descriptor"),
            )
        )
    return tax
