"""The replay answers from recorded data with its own code: a parser bug cannot hide on both sides."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT


def test_replay_imports_nothing_of_the_watch() -> None:
    code = (
        "import sys, replay.boamp, replay.ted, replay.platforms, replay.server, replay.odsql, replay.tedq\n"
        "import replay.decp\n"
        "ours = {'notices', 'spiders', 'archive', 'watch', 'settings'}\n"
        "used = sorted({m.split('.')[0] for m in sys.modules} & ours)\n"
        "print(','.join(used))"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == ""
