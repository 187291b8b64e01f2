"""The layers contract (pyproject.toml [tool.importlinter]): data flows one way, nothing imports upward,
alerts and the newsletter import neither each other nor the CLI, the replay imports no parser, and no
package has an import cycle. TYPE_CHECKING imports count."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_import_contracts_are_kept() -> None:
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
