"""The classifier: themes, social flags and event relevance of one notice, with evidence.

Input is a small document (ClassifyInput) that both the archive rows and the JSON-lines interface fill,
so the classifier measured on analysts' files is the one that classifies the archive.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from classify.event import EventConfig, EventDetector
from classify.flags import FlagDetector
from classify.taxonomy import Taxonomy
from classify.taxonomy import load as load_taxonomy
from classify.text import Tokens, fold
from classify.themes import ThemeScorer
from classify.weights import Weights
from classify.weights import load as load_weights

KNOWN_WORDS = Path(__file__).resolve().parent / "known_words.txt"


@dataclass
class ClassifyInput:
    id: str
    title: str | None = None
    description: str | None = None
    notes: str | None = None
    lots: list[str] = field(default_factory=list)
    buyer: str | None = None
    cpv: list[str] = field(default_factory=list)
    descriptor_codes: list[str] = field(default_factory=list)
    descriptor_labels: list[str] = field(default_factory=list)
    signals: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> ClassifyInput:
        """The JSON-lines interface: id, title, description?, buyer?, cpv?, descriptors?, descriptor_codes?"""
        if not isinstance(obj, dict) or "id" not in obj:
            raise ValueError("each line must be an object with an id")

        def strings(key: str) -> list[str]:
            value = obj.get(key) or []
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list):
                raise ValueError(f"{key} must be a list")
            return [str(x) for x in value if x not in (None, "")]

        return cls(
            id=str(obj["id"]),
            title=obj.get("title"),
            description=obj.get("description"),
            buyer=obj.get("buyer"),
            cpv=strings("cpv"),
            descriptor_codes=strings("descriptor_codes"),
            descriptor_labels=strings("descriptors"),
        )

    @classmethod
    def from_notice(cls, notice: Any) -> ClassifyInput:
        """A normalized notice (notices.model.Notice)."""
        d = notice.to_dict()
        return cls(
            id=f"{notice.source}:{notice.source_id}",
            title=notice.title,
            description=notice.description,
            notes=notice.notes,
            lots=[t for lot in d["lots"] for t in (lot.get("title"), lot.get("description")) if t],
            buyer=notice.buyer.name,
            cpv=list(notice.cpv),
            descriptor_codes=[x.code for x in notice.descriptors],
            descriptor_labels=[x.label for x in notice.descriptors if x.label],
            signals=d["social"],
        )

    @classmethod
    def from_notice_row(cls, row: dict[str, Any]) -> ClassifyInput:
        """An archive `notices` row."""
        lots = json.loads(row.get("lots") or "[]")
        descriptors = json.loads(row.get("descriptors") or "[]")
        return cls(
            id=f"{row['source']}:{row['source_id']}",
            title=row.get("title"),
            description=row.get("description"),
            notes=row.get("notes"),
            lots=[t for lot in lots for t in (lot.get("title"), lot.get("description")) if t],
            buyer=row.get("buyer_name"),
            cpv=json.loads(row.get("cpv") or "[]"),
            descriptor_codes=[d["code"] for d in descriptors if d.get("code")],
            descriptor_labels=[d["label"] for d in descriptors if d.get("label")],
            signals=json.loads(row.get("social") or "[]"),
        )


@lru_cache(maxsize=4)
def load_known_words(path: Path = KNOWN_WORDS) -> frozenset[str]:
    """Words the fuzzy matcher never corrects: they are real words, not typos.

    The guard is the union of maintained French and English dictionaries (pyspellchecker's; TED descriptions
    are often in English) and the words seen at least twice in the BOAMP corpora (place and buyer names,
    jargon, abbreviations). With it, two distinct words never match each other ("vacants" is not "vacances",
    "toiture" is not "voiture", "project" is not "projet").

    Folding the 300,000 dictionary words takes most of a second, paid by every process that classifies; the
    folded set is kept in the user's cache directory under a key of everything it is made from (the word
    lists, this project's folding code), so a changed input is never read stale. No cache: built each time.
    """
    key = _known_words_key(path)
    cached = _cache_dir() / f"known-words-{key}.txt"
    with contextlib.suppress(OSError, UnicodeDecodeError):
        words = frozenset(cached.read_text(encoding="utf-8").split("\n"))
        if len(words) > 1000:  # a truncated file is not trusted
            return words
    built: set[str] = set()
    if path.exists():
        lines = path.read_text(encoding="utf-8").splitlines()
        built.update(w.strip() for w in lines if w.strip() and not w.startswith("#"))
    built.update(dictionary("fr"))
    built.update(dictionary("en"))
    words = frozenset(built)
    with contextlib.suppress(OSError):
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text("\n".join(sorted(words)), encoding="utf-8")
        os.replace(tmp, cached)  # atomic: a reader never sees half a file
    return words


def _cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ess-tender-watch"


def _known_words_key(path: Path) -> str:
    """A digest of every input of the guard: the corpus list, both dictionaries, the folding code."""
    import spellchecker

    from classify import text

    digest = hashlib.sha1()
    resources = Path(spellchecker.__file__).resolve().parent / "resources"
    for part in (path, resources / "fr.json.gz", resources / "en.json.gz", Path(text.__file__)):
        with contextlib.suppress(OSError):
            digest.update(part.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


@lru_cache(maxsize=2)
def dictionary(language: str) -> frozenset[str]:
    """The folded forms of pyspellchecker's word list for a language ("fr", "en")."""
    import spellchecker

    resource = Path(spellchecker.__file__).resolve().parent / "resources" / f"{language}.json.gz"
    try:
        entries = json.loads(gzip.decompress(resource.read_bytes()))
    except (OSError, ValueError) as exc:
        raise RuntimeError(f"{resource}: cannot read the {language} word list ({exc})") from exc
    return frozenset(fold(w) for w in entries if w.isalpha())


class Classifier:
    def __init__(
        self, taxonomy: Taxonomy | None = None, event: EventConfig | None = None, weights: Weights | None = None
    ):
        self.taxonomy = taxonomy or load_taxonomy()
        if weights is None:
            weights = load_weights(None, self.taxonomy.fields, self.taxonomy.threshold)
        self.weights = weights
        self.themes = ThemeScorer(self.taxonomy, load_known_words(), weights)
        self.flags = FlagDetector()
        self.event = EventDetector(event)

    @property
    def version(self) -> str:
        """Taxonomy version and content hash, plus the weights' hash: either change makes stored results stale."""
        return f"{self.taxonomy.version}+w{self.weights.digest}"

    def classify(self, doc: ClassifyInput) -> dict[str, Any]:
        theme_texts = {
            "title": [doc.title] if doc.title else [],
            "lots": doc.lots,
            "description": [doc.description] if doc.description else [],
        }
        cache: dict[str, Tokens] = {}

        def tokenize(text: str) -> Tokens:  # each text is read once for themes, flags and event
            toks = cache.get(text)
            if toks is None:
                toks = cache[text] = Tokens(text)
            return toks

        themes = self.themes.score(theme_texts, doc.cpv, doc.descriptor_codes, doc.descriptor_labels, tokenize)
        flag_texts = {k: list(v) for k, v in theme_texts.items()}
        if doc.notes:
            flag_texts["notes"] = [doc.notes]
        social = self.flags.detect(flag_texts, doc.signals, tokenize)
        event = self.event.detect(doc.buyer, theme_texts, tokenize)
        return {"id": doc.id, "themes": [t.to_dict() for t in themes], "social": social, "event": event}
