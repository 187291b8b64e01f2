"""French labels of the CPV 2008 main vocabulary, so evidence reads "CPV 15811000 (Produits de boulangerie)".

The list (classify/cpv_fr.csv, 9,454 codes) is the whole CPV 2008 vocabulary; a code given with its check digit
("15811000-6") or shortened is looked up by its first eight digits, then by its nearest listed parent.
"""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

PATH = Path(__file__).resolve().parent / "cpv_fr.csv"


@lru_cache(maxsize=1)
def labels() -> dict[str, str]:
    with PATH.open(encoding="utf-8", newline="") as f:
        rows = csv.reader(line for line in f if not line.startswith("#"))
        next(rows)
        return {code: label for code, label in rows}


def label(code: str) -> str | None:
    """The French label of a CPV code, or of its closest parent in the list; None for an unknown code."""
    digits = "".join(c for c in str(code).split("-")[0] if c.isdigit())[:8]
    if len(digits) < 2:
        return None
    table = labels()
    digits = digits.ljust(8, "0")
    for keep in range(8, 1, -1):  # 15811100 -> 15811000 -> 15810000 ...
        candidate = digits[:keep].ljust(8, "0")
        if candidate in table:
            return table[candidate]
    return None
