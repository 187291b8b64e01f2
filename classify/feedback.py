"""Which phrases produce the alerts that structures reject ("pas pour nous"): feedback as a signal.

Each feedback row names a subscriber and a procedure. The alert went out because of the themes of the
procedure's notices; the evidence that decided each theme (its strongest phrase, else its code) is charged
with the rejection. Phrases that are rejected often, relative to how often they were sent, are the first to
narrow with a context rule or an `unless` word in the taxonomy.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

import sqlite_utils

from archive.tenders import Theme, classifications_by_procedure


@dataclass
class PhraseFeedback:
    theme: str
    evidence: str  # the taxonomy phrase, or "cpv 5552" / "descripteur 66"
    rejected: int = 0
    sent: int = 0
    reasons: Counter = field(default_factory=Counter)

    @property
    def rate(self) -> float:
        return self.rejected / self.sent if self.sent else 0.0


def _deciding(themes: list[Theme]) -> dict[str, str]:
    """For each assigned theme, the evidence that weighed most."""
    out = {}
    for theme in themes:
        if not theme.evidence:
            continue
        top = theme.evidence[0]
        if top.get("phrase"):
            out[theme.code] = top["phrase"]
        elif top.get("field") == "cpv":
            out[theme.code] = f"cpv {top.get('rule') or top.get('code')}"
        else:
            out[theme.code] = f"descripteur {top.get('code')}"
    return out


def _procedure_evidence(db: sqlite_utils.Database, procedure_ids: set[str]) -> dict[str, set[tuple[str, str]]]:
    found: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for procedure_id, classification in classifications_by_procedure(db, procedure_ids):
        found[procedure_id].update(_deciding(classification.themes).items())
    return found


def feedback_report(archive: sqlite_utils.Database, private: sqlite_utils.Database) -> list[PhraseFeedback]:
    """Phrases charged with rejected alerts, most rejected first.

    The private store holds the feedback (one reason per structure and tender) and what was sent; the archive,
    the classifications that decided each alert.
    """
    feedback = private.execute("select procedure_id, reason from feedback").fetchall()
    sent = private.execute("select procedure_id from sent_items").fetchall()
    evidence = _procedure_evidence(archive, {p for p, _ in feedback} | {p for (p,) in sent})
    rows: dict[tuple[str, str], PhraseFeedback] = {}

    def row(key: tuple[str, str]) -> PhraseFeedback:
        if key not in rows:
            rows[key] = PhraseFeedback(*key)
        return rows[key]

    for (procedure_id,) in sent:
        for key in evidence.get(procedure_id, ()):
            row(key).sent += 1
    for procedure_id, reason in feedback:
        for key in evidence.get(procedure_id, ()):
            item = row(key)
            item.rejected += 1
            item.reasons[(reason or "autre").split(":", 1)[0]] += 1
    return sorted((r for r in rows.values() if r.rejected), key=lambda r: (-r.rejected, -r.rate, r.theme, r.evidence))


def format_report(rows: list[PhraseFeedback]) -> str:
    if not rows:
        return "no feedback yet: no alert was marked « pas pour nous »"
    lines = [f"{'rejected':>8} {'sent':>6} {'rate':>6}  {'theme':<24} evidence (reasons)"]
    for r in rows:
        reasons = ", ".join(f"{k} {v}" for k, v in r.reasons.most_common())
        rate = f"{r.rate:6.0%}" if r.sent else "     -"
        lines.append(f"{r.rejected:>8} {r.sent:>6} {rate}  {r.theme:<24} {r.evidence} ({reasons})")
    return "\n".join(lines)
