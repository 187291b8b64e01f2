"""Shared test fixtures: recorded records, a replay server, and a real `run_watch.py crawl` subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from replay.boamp import BoampDataset
from replay.server import ReplayServer
from settings import config as watch_config

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
BOAMP_FIXTURES = FIXTURES / "boamp"


def boamp_file(name: str) -> list[dict[str, Any]]:
    return json.loads((BOAMP_FIXTURES / name).read_text(encoding="utf-8"))["results"]


def all_boamp_records() -> list[dict[str, Any]]:
    records = []
    for path in sorted(BOAMP_FIXTURES.glob("*.json")):
        records += json.loads(path.read_text(encoding="utf-8"))["results"]
    return records


def record(idweb: str) -> dict[str, Any]:
    return next(r for r in all_boamp_records() if r["idweb"] == idweb)


# The subscriber the alert and web tests start from: a caterer in Seine-Maritime.
SAMPLE_PROFILE: dict[str, Any] = {
    "name": "Traiteur solidaire",
    "emails": ["equipe@traiteur.example.org"],
    "kind": "EA",
    "themes": ["restauration_solidaire"],
    "departements": ["76"],
}


@dataclass
class Watch:
    """A project checkout as an operator runs it: config file, archive, environment."""

    tmp: Path
    env: dict[str, str]

    @property
    def db_path(self) -> Path:
        return self.tmp / "watch.db"

    def db(self) -> sqlite_utils.Database:
        return sqlite_utils.Database(self.db_path)

    def write_config(self, text: str) -> None:
        (self.tmp / "config.yaml").write_text(text, encoding="utf-8")
        self.env["WATCH_CONFIG"] = str(self.tmp / "config.yaml")

    def command(self, *args: str) -> list[str]:
        return [sys.executable, str(ROOT / "run_watch.py"), *args]

    def run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.command(*args), cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=timeout
        )

    def popen(self, *args: str) -> subprocess.Popen[bytes]:
        """Started in its own process group, so a test can kill it with its scrapy child, as a crash would."""
        return subprocess.Popen(
            self.command(*args),
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def count(self, sql: str = "select count(*) from notices", params: list[Any] | None = None) -> int:
        db = self.db()
        try:
            return db.execute(sql, params or []).fetchone()[0]
        finally:
            db.close()


@pytest.fixture
def replay() -> Iterator[ReplayServer]:
    server = ReplayServer().start()
    yield server
    server.stop()


@pytest.fixture
def watch(tmp_path: Path) -> Watch:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WATCH_")}
    env.update(
        {
            "WATCH_DB": str(tmp_path / "watch.db"),
            "WATCH_PRIVATE_DB": str(tmp_path / "private" / "watch-private.db"),
            "WATCH_KEY_FILE": str(tmp_path / "private" / "secret.key"),
            "WATCH_LOG_LEVEL": "INFO",
        }
    )
    w = Watch(tmp_path, env)
    w.write_config(
        f"crawl:\n  retry_times: 3\n  max_retry_after: 5\n  timeout: 20\nlogging:\n  file: {tmp_path / 'watch.log'}\n"
    )
    return w


def serve_boamp(server: ReplayServer, watch: Watch, records: list[dict[str, Any]]) -> BoampDataset:
    dataset = BoampDataset(records)
    watch.env["WATCH_BOAMP_URL"] = dataset.mount(server)
    return dataset


def ted_corpus() -> tuple[list[dict[str, Any]], dict[str, bytes]]:
    from replay.ted import load_corpus

    return load_corpus([FIXTURES / "ted"])


def serve_ted(server: ReplayServer, watch: Watch, notices: list[dict[str, Any]], xml: dict[str, bytes]) -> Any:
    from replay.ted import TedDataset

    enum = set((FIXTURES / "ted" / "search-api-v3-fields-enum.txt").read_text().split())
    dataset = TedDataset(notices, xml, known_fields=enum)
    watch.env["WATCH_TED_URL"] = dataset.mount(server)
    watch.env["WATCH_TED_SCOPE"] = ""  # the recorded notices come from several countries
    watch.env["WATCH_TED_NOTICE_TYPES"] = ""
    return dataset


class SmtpSink:
    """A real SMTP server (aiosmtpd) on loopback that keeps what it receives; can be stopped and restarted."""

    def __init__(self) -> None:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.messages: list[Any] = []
        self.controller: Any = None

    def start(self) -> SmtpSink:
        from aiosmtpd.controller import Controller

        sink = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
                import email
                from email import policy

                sink.messages.append(
                    (
                        envelope.mail_from,
                        list(envelope.rcpt_tos),
                        email.message_from_bytes(envelope.original_content or envelope.content, policy=policy.default),
                    )
                )
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


def alert_env(tmp: Path, smtp_url: str) -> dict[str, str]:
    """The WATCH_* variables of the alert tests: archive, private store and key in `tmp`, mail to the sink."""
    return {
        "WATCH_DB": str(tmp / "w.db"),
        "WATCH_PRIVATE_DB": str(tmp / "private.db"),
        "WATCH_KEY_FILE": str(tmp / "secret.key"),
        "WATCH_SMTP_URL": smtp_url,
        "WATCH_SECRET_KEY": "test-key",
        "WATCH_PUBLIC_URL": "https://veille.example.org",
    }


def alert_config(tmp: Path, smtp_url: str, extra_yaml: str = "") -> watch_config.Config:
    """The configuration the alert tests run with (alert_env), without rate limit; `extra_yaml` adds settings."""
    (tmp / "c.yaml").write_text("alerts:\n  rate_per_minute: 100000\n" + extra_yaml, encoding="utf-8")
    return watch_config.load(tmp / "c.yaml", env=alert_env(tmp, smtp_url))


def run_signed_alerts(config: watch_config.Config, now: Any) -> dict:
    """The alerts job with the test signing key in the environment (the links' tokens read it there)."""
    from unittest.mock import patch

    from alerts.run import run_alerts

    with patch.dict(os.environ, {"WATCH_SECRET_KEY": "test-key"}):
        return run_alerts(config, now=now)
