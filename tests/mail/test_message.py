"""The one message builder (mail.message) and the transports (mail.transport)."""

from __future__ import annotations

import email
from datetime import UTC, datetime
from email import policy
from pathlib import Path

import pytest
from conftest import SmtpSink

from mail.message import Attachment, build, envelope_recipients, envelope_sender, header_safe, to_bytes
from mail.transport import FileTransport, SmtpTransport, TransportError, send_message, transport_for
from settings import WatchError

SENDER = "Veille marchés publics ESS <veille@example.org>"


def parsed(msg) -> email.message.EmailMessage:
    """The message as a mail client reads it: from the bytes that go on the wire."""
    return email.message_from_bytes(to_bytes(msg), policy=policy.default)


def message(**fields):
    """A message from the builder, with a sender, a recipient, a subject and a text unless given."""
    defaults = {"kind": "alarm", "sender": SENDER, "to": ["ops@example.org"], "subject": "s", "text": "t"}
    return build(**{**defaults, **fields})


def content(part) -> str:
    """A text part's content with the wire's CRLF line ends read back as LF."""
    return part.get_content().replace("\r\n", "\n")


def test_headers_of_a_plain_message() -> None:
    msg = build(
        kind="alarm",
        sender=SENDER,
        to=["ops@example.org", "b@example.org"],
        subject="[ESS watch] ALARM: boamp failing",
        text="Source: boamp\n",
        date=datetime(2026, 12, 1, 8, 0, tzinfo=UTC),
    )
    out = parsed(msg)
    assert out["From"] == SENDER
    assert out["To"] == "ops@example.org, b@example.org"
    assert out["Subject"] == "[ESS watch] ALARM: boamp failing"
    assert out["Date"] == "Tue, 01 Dec 2026 09:00:00 +0100"  # Paris time, as the readers see it
    assert out["Message-ID"].startswith("<") and out["Message-ID"].endswith("@example.org>")  # the sender's domain
    assert "alarm" in out["Message-ID"]
    assert out.get_content_type() == "text/plain"
    assert content(out) == "Source: boamp\n"
    assert out["List-Unsubscribe"] is None and out["List-Unsubscribe-Post"] is None
    assert envelope_sender(msg) == "veille@example.org"
    assert envelope_recipients(msg) == ["ops@example.org", "b@example.org"]


@pytest.mark.parametrize("breaker", ["\r\n", "\n", "\r", "\x00", "\u2028", "\x85", "\t"])
def test_no_header_injection_from_a_subject_or_an_address(breaker: str) -> None:
    msg = build(
        kind="digest",
        sender=f"Veille{breaker}Bcc: victim@example.org <veille@example.org>",
        to=[f"a@example.org{breaker}Bcc: victim@example.org"],
        subject=f"Prestations traiteur{breaker}Bcc: victim@example.org{breaker}{breaker}<script>",
        text="corps",
    )
    raw = to_bytes(msg)
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert not any(line.lower().startswith(b"bcc:") for line in head.split(b"\r\n"))
    out = parsed(msg)
    assert out["Bcc"] is None
    assert out["Subject"] == "Prestations traiteur Bcc: victim@example.org <script>"
    for name in ("From", "To", "Subject"):
        assert not set(str(out[name])) & {"\r", "\n", "\x00"}


def test_a_long_subject_is_capped() -> None:
    msg = message(subject="x" * 500)
    assert len(parsed(msg)["Subject"]) == 150


def test_a_digest_is_multipart_with_one_click_unsubscribe() -> None:
    msg = message(
        kind="digest",
        subject="2 marchés publics pour vous",
        text="Bonjour, 2 marchés\n",
        html="<p>Bonjour, 2 marchés</p>\n",
        unsubscribe=["https://veille.example.org/u/TOKEN", "mailto:desabonnement@example.org?subject=unsubscribe%20T"],
        one_click=True,
        list_id="Veille ESS <alerts.ess-tender-watch.local>",
    )
    raw = to_bytes(msg).decode("ascii")
    # one line, plain <URI>s (not folded into encoded words mail clients would not read)
    assert (
        "List-Unsubscribe: <https://veille.example.org/u/TOKEN>, "
        "<mailto:desabonnement@example.org?subject=unsubscribe%20T>\r\n"
    ) in raw
    out = parsed(msg)
    assert out["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert out["List-Id"] == "Veille ESS <alerts.ess-tender-watch.local>"
    assert out.get_content_type() == "multipart/alternative"
    parts = [p.get_content_type() for p in out.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    assert content(out.get_body(preferencelist=("plain",))) == "Bonjour, 2 marchés\n"
    assert content(out.get_body(preferencelist=("html",))) == "<p>Bonjour, 2 marchés</p>\n"
    assert all(p["Content-Transfer-Encoding"] == "quoted-printable" for p in out.iter_parts())
    assert max(len(line) for line in raw.split("\r\n")) <= 998


def test_attachments_follow_the_text_and_html() -> None:
    msg = message(
        kind="newsletter",
        text="texte",
        html="<p>html</p>",
        attachments=[Attachment(b"PK\x03\x04docx", "newsletter-2026-W37.docx", subtype="vnd.test")],
    )
    out = parsed(msg)
    assert out.get_content_type() == "multipart/mixed"
    [attachment] = list(out.iter_attachments())
    assert attachment.get_filename() == "newsletter-2026-W37.docx"
    assert attachment.get_content_type() == "application/vnd.test"
    assert attachment.get_content() == b"PK\x03\x04docx"
    assert content(out.get_body(preferencelist=("html",))) == "<p>html</p>\n"


def test_header_safe() -> None:
    assert header_safe("  a\r\n\r\nb\tc  ") == "a b c"
    assert header_safe("abcdef", 3) == "abc"


def test_file_transport_writes_one_eml_per_message(tmp_path: Path) -> None:
    transport = transport_for("", tmp_path / "outbox")
    assert isinstance(transport, FileTransport)
    msg = message()
    send_message(transport, msg)
    [path] = list((tmp_path / "outbox").iterdir())
    assert path.suffix == ".eml" and not path.name.startswith(".")
    assert path.read_bytes() == to_bytes(msg)


def test_smtp_transport_sends_the_envelope_of_the_message(smtp: SmtpSink) -> None:
    transport = transport_for(smtp.url, Path("unused"))
    assert isinstance(transport, SmtpTransport)
    msg = message(subject="Sujet é", text="corps é\n")
    try:
        send_message(transport, msg)
    finally:
        transport.close()
    [(sender, rcpt, received)] = smtp.messages
    assert (sender, rcpt) == ("veille@example.org", ["ops@example.org"])
    assert received["Subject"] == "Sujet é" and content(received) == "corps é\n"


def test_transport_errors_say_whether_to_retry(smtp: SmtpSink) -> None:
    with pytest.raises(TransportError) as bad_url:
        transport_for("http://example.org", Path("unused"))
    assert not bad_url.value.temporary and isinstance(bad_url.value, WatchError)
    url = smtp.url
    smtp.stop()
    transport = SmtpTransport(url, timeout=2)
    msg = message()
    with pytest.raises(TransportError) as down:
        send_message(transport, msg)
    assert down.value.temporary


def test_a_summer_date_is_paris_summer_time_and_a_sender_without_domain_gets_the_default() -> None:
    msg = build(
        kind="digest",
        sender="veille",
        to=["a@example.org"],
        subject="s",
        text="t",
        date=datetime(2026, 7, 1, 6, 30, tzinfo=UTC),
    )
    assert parsed(msg)["Date"] == "Wed, 01 Jul 2026 08:30:00 +0200"
    assert parsed(msg)["Message-ID"].endswith("@ess-tender-watch.local>")
