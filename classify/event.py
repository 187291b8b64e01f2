"""Event relevance: is a notice tied to the configured event (default: the Paris 2024 Games)?

The event is configuration, not code (config.yaml `event`): its dedicated buyers (any notice of theirs
is tied to it, e.g. SOLIDEO), its host buyers (context only: the City of Paris buys much else), and its
phrases ("village des athlètes", "JOP 2024"). Evidence says which buyer or phrase, where.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from classify.matcher import PhraseIndex
from classify.text import Tokens, phrase_key, tokens


@dataclass
class EventConfig:
    name: str
    buyers: list[str] = field(default_factory=list)
    host_buyers: list[str] = field(default_factory=list)
    phrases: list[str] = field(default_factory=list)


class EventDetector:
    def __init__(self, config: EventConfig | None):
        self.config = config
        if config is None:
            return
        self.buyers = PhraseIndex([(phrase_key(b), ("buyer", b)) for b in config.buyers if phrase_key(b)])
        self.hosts = PhraseIndex([(phrase_key(b), ("host", b)) for b in config.host_buyers if phrase_key(b)])
        self.phrases = PhraseIndex([(phrase_key(p), ("phrase", p)) for p in config.phrases if phrase_key(p)])

    @staticmethod
    def _hits(index: PhraseIndex, field_name: str, toks: Tokens) -> list[dict[str, Any]]:
        return [
            {"field": field_name, "kind": m.payload[0], "phrase": m.payload[1], "text": toks.span_text(m.start, m.end)}
            for m in index.find(toks, fuzzy=False)
        ]

    def detect(
        self, buyer: str | None, texts: dict[str, list[str]], tokenize: Callable[[str], Tokens] = tokens
    ) -> dict[str, Any] | None:
        if self.config is None:
            return None
        buyer_tokens = tokenize(buyer or "")
        evidence = self._hits(self.buyers, "buyer", buyer_tokens)
        for field_name, values in texts.items():
            for text in values:
                evidence += self._hits(self.phrases, field_name, tokenize(text))
        if not evidence:
            return None
        evidence += self._hits(self.hosts, "buyer", buyer_tokens)
        return {"name": self.config.name, "evidence": evidence}


def event_from(config: Any) -> EventConfig | None:
    """The configured event (config.yaml `event`), or None when its name is empty."""
    if not str(config["event.name"]).strip():
        return None
    return EventConfig(
        name=config["event.name"],
        buyers=config["event.buyers"],
        host_buyers=config["event.host_buyers"],
        phrases=config["event.phrases"],
    )
