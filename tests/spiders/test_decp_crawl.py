"""One real `run_watch.py crawl decp` (a `scrapy crawl` subprocess) against the DECP replay on a socket: the
add-on, the retry middleware (429 with Retry-After, 503, a cut connection) and the pipeline wired as in
production, and a re-run that archives nothing twice."""

from __future__ import annotations

import json

from conftest import FIXTURES, Watch

from replay.decp import DecpFiles
from replay.server import Fault, ReplayServer


def test_decp_crawl_through_scrapy_retries_and_reruns_without_duplicates(replay: ReplayServer, watch: Watch) -> None:
    files = DecpFiles(sorted((FIXTURES / "decp").glob("decp_*")))
    watch.env["WATCH_DECP_URL"] = json.dumps(files.mount(replay))
    watch.env["WATCH_DECP_ENABLED"] = "true"
    replay.add_fault(Fault("decp_test_2019.json", 429, times=1, retry_after="1"))
    replay.add_fault(Fault("decp_test_2022.json", 503, times=1))
    replay.add_fault(Fault("decp_v3_2024", truncate="connection", times=1))
    proc = watch.run("crawl", "decp")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert sum("decp_test_2019.json" in line for line in replay.log) == 2
    assert sum("decp_test_2022.json" in line for line in replay.log) == 2
    assert sum("decp_v3_2024" in line for line in replay.log) == 2
    assert watch.count("select count(*) from contracts") == 16
    assert watch.count("select count(*) from contract_winners") == 23
    proc = watch.run("crawl", "decp")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert watch.count("select count(*) from contracts") == 16
    assert watch.count("select unchanged from runs where job = 'crawl:decp' order by id desc limit 1") == 16
