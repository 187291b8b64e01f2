"""`run_watch.py classify --jsonl IN [--out OUT]`: the classifier on analysts' own notices.

One JSON object per input line (id, title, description?, buyer?, cpv?, descriptors?, descriptor_codes?),
one JSON line out per input line, in order: {"id", "themes": [{"code", "score", "evidence"}], "social",
"event"}. A line that cannot be read gives {"id": null, "error": "line N: ..."} and a warning, and the
run goes on.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

from classify import from_config
from classify.engine import ClassifyInput
from settings import Config

logger = logging.getLogger(__name__)


def classify_jsonl(config: Config, source: Path, out: Path | None) -> int:
    classifier = from_config(config)
    try:
        lines = source.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        print(f"classify: cannot read {source}: {exc}", file=sys.stderr)
        return 2
    sink = out.open("w", encoding="utf-8") if out else sys.stdout
    errors = 0
    try:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                result = classifier.classify(ClassifyInput.from_json(json.loads(line)))
            except (json.JSONDecodeError, ValueError, TypeError) as exc:
                errors += 1
                logger.warning("classify: %s line %d: %s", source, number, exc)
                result = {"id": None, "error": f"line {number}: {exc}"}
            sink.write(json.dumps(result, ensure_ascii=False) + "\n")
    finally:
        if out:
            sink.close()
    return 1 if errors else 0
