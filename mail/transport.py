"""Mail transports: SMTP (smtp:// with STARTTLS when offered, smtps:// for TLS) and .eml files.

`transport_for(url, directory)` gives the SMTP transport for an smtp(s):// URL and .eml files in `directory`
when the URL is empty; `transport_from(config)` reads both from alerts.smtp_url and alerts.outbox_dir.

The SMTP URL looks like `smtp://user@host:port`; the password is read only from WATCH_SMTP_PASSWORD.
Errors say whether trying again later can help (a refused connection, a 4xx reply) or not (a 5xx reply,
refused recipients), so the outbox keeps or gives up a digest accordingly.
"""

from __future__ import annotations

import contextlib
import os
import re
import smtplib
import ssl
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlparse

from mail.message import envelope_recipients, envelope_sender, to_bytes
from settings import Config, WatchError


class TransportError(WatchError):
    """A message not sent; `temporary` says whether trying again later can help."""

    def __init__(self, message: str, *, temporary: bool):
        super().__init__(message)
        self.temporary = temporary


class Transport(Protocol):
    def send(self, message_id: str, sender: str, recipients: list[str], eml: bytes) -> None: ...

    def close(self) -> None: ...


class FileTransport:
    """Writes each message to DIR/<message-id>.eml (what `make demo` uses, and the default without SMTP)."""

    def __init__(self, directory: Path):
        self.directory = directory

    def send(self, message_id: str, sender: str, recipients: list[str], eml: bytes) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9._-]+", "_", message_id.strip("<>")) + ".eml"
        tmp = self.directory / f".{name}.tmp"
        tmp.write_bytes(eml)
        tmp.replace(self.directory / name)  # atomic: a crash never leaves half a message

    def close(self) -> None:
        return

    def __str__(self) -> str:
        return f"files in {self.directory}"


class SmtpTransport:
    def __init__(self, url: str, password: str | None = None, timeout: float = 30.0):
        parsed = urlparse(url)
        if parsed.scheme not in ("smtp", "smtps") or not parsed.hostname:
            raise TransportError(
                f"SMTP URL must look like smtp://user@host:port or smtps://..., got {url!r}", temporary=False
            )
        self.tls = parsed.scheme == "smtps"
        self.host = parsed.hostname
        self.port = parsed.port or (465 if self.tls else 25)
        self.user = unquote(parsed.username) if parsed.username else None
        self.password = password if password is not None else os.environ.get("WATCH_SMTP_PASSWORD")
        self.timeout = timeout
        self._conn: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        if self._conn is not None:
            return self._conn
        try:
            if self.tls:
                conn: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                conn = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
                conn.ehlo()
                if conn.has_extn("starttls"):
                    conn.starttls(context=ssl.create_default_context())
                    conn.ehlo()
            if self.user:
                conn.login(self.user, self.password or "")
        except smtplib.SMTPAuthenticationError as exc:
            raise TransportError(f"SMTP login refused for {self.user}: {exc.smtp_code}", temporary=False) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise TransportError(f"SMTP server {self.host}:{self.port} unreachable ({exc})", temporary=True) from exc
        self._conn = conn
        return conn

    def send(self, message_id: str, sender: str, recipients: list[str], eml: bytes) -> None:
        conn = self._connect()
        try:
            conn.sendmail(sender, recipients, eml)
        except smtplib.SMTPRecipientsRefused as exc:
            raise TransportError(f"recipients refused: {sorted(exc.recipients)}", temporary=False) from exc
        except smtplib.SMTPResponseException as exc:
            raise TransportError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", temporary=exc.smtp_code < 500) from exc
        except (OSError, smtplib.SMTPException) as exc:
            self._conn = None
            raise TransportError(f"SMTP connection lost ({exc})", temporary=True) from exc

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self._conn.quit()
            self._conn = None

    def __str__(self) -> str:
        return f"smtp{'s' if self.tls else ''}://{self.host}:{self.port}"


def transport_for(url: str, directory: Path) -> SmtpTransport | FileTransport:
    """SMTP for an smtp:// or smtps:// URL; .eml files in `directory` when the URL is empty."""
    url = url.strip()
    return SmtpTransport(url) if url else FileTransport(directory)


def transport_from(config: Config) -> SmtpTransport | FileTransport:
    return transport_for(config["alerts.smtp_url"], config.resolve_path("alerts.outbox_dir"))


def send_message(transport: Transport, msg: EmailMessage, recipients: list[str] | None = None) -> None:
    """Send a built message: the envelope is its From address and its To addresses (or `recipients`)."""
    transport.send(
        str(msg["Message-ID"]),
        envelope_sender(msg),
        recipients if recipients is not None else envelope_recipients(msg),
        to_bytes(msg),
    )
