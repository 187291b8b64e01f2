"""Issue 12: a hostile corpus through every stage, as an operator runs them, against a real SMTP server.

Markup, CRLF, NUL and escape characters, a megabyte title, a `javascript:` link, wrong JSON types, a missing
and a duplicated id, an identifier given as a list, an unreadable deadline: every stage completes, good records
are archived once, bad ones are quarantined with their reason, and no reader-facing output (digests, the four
newsletter formats) holds a `javascript:` link, raw markup or a control character.
"""

from __future__ import annotations

import copy
import io
import json
import re
import sqlite3

import docx
from conftest import SmtpSink, Watch, record, serve_boamp

from replay.server import ReplayServer

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
HOSTILE_TITLE = "<script>alert(1)</script> Prestations traiteur\r\nBcc: victim@example.org\x00\x1b[31m "


def _variant(idweb, **fields):  # noqa: ANN001, ANN003, ANN202
    rec = copy.deepcopy(record("26-7308"))  # catering in Seine-Maritime, published 2026-01-21, open until 27 Feb
    if idweb is None:
        del rec["idweb"]
    else:
        rec["idweb"] = idweb
    rec.update(fields)
    return rec


def hostile_corpus() -> list[dict]:
    markup = _variant("26-9101", objet=HOSTILE_TITLE + "é" * 1_000_000, url_avis="javascript:alert(document.cookie)")
    donnees = json.loads(markup["donnees"])
    donnees["FNSimple"]["initial"]["natureMarche"]["intitule"] = markup["objet"]
    markup["donnees"] = json.dumps(donnees)
    unreadable = _variant("26-9106", datelimitereponse="le 30 février, midi", gestion=None)
    donnees = json.loads(unreadable["donnees"])
    donnees["FNSimple"]["initial"]["procedure"]["dateReceptionOffres"] = "2026-02-30T12:00:00"
    unreadable["donnees"] = json.dumps(donnees)
    return [
        record("26-7308"),  # the good one...
        record("26-7308"),  # ...twice: archived once
        markup,
        _variant("26-9102", donnees=12345),  # wrong JSON type
        _variant(None),  # no id
        _variant(["26-9104", "26-9105"]),  # an id given as a list
        _variant("26-9103", url_avis="https://ex.fr/a\nb"),  # a link broken by a line break
        unreadable,
    ]


def test_a_hostile_corpus_goes_through_every_stage(
    replay: ReplayServer, watch: Watch, smtp: SmtpSink, tmp_path
) -> None:  # noqa: ANN001
    serve_boamp(replay, watch, hostile_corpus())
    watch.env.update({"WATCH_SMTP_URL": smtp.url, "WATCH_SECRET_KEY": "hostile-test-key"})
    crawl = watch.run("crawl", "boamp", "--from", "2026-01-21", "--until", "2026-01-21")
    assert crawl.returncode in (0, 1), crawl.stderr
    db = sqlite3.connect(watch.db_path)
    notices = dict(db.execute("select source_id, title from notices").fetchall())
    assert set(notices) == {"26-7308", "26-9101", "26-9103", "26-9106"}  # the good ones, once each
    assert len(notices["26-9101"]) <= 1_000 and "\x00" not in notices["26-9101"]
    reasons = [r[0] for r in db.execute("select error from quarantine").fetchall()]
    assert len(reasons) == 3
    assert any("expected a JSON string" in r for r in reasons)
    assert any("no idweb" in r for r in reasons)
    assert any("is not a single plain id" in r for r in reasons)  # the id given as a list
    url, warnings = db.execute("select url, warnings from notices where source_id = '26-9101'").fetchone()
    assert url == "https://www.boamp.fr/pages/avis/?q=idweb:26-9101" and "not an http(s) address" in warnings
    assert db.execute("select deadline_unknown from notices where source_id = '26-9106'").fetchone()[0] == 1
    db.close()

    for stage in (("link",), ("classify",)):
        proc = watch.run(*stage)
        assert proc.returncode == 0, proc.stderr
    add = watch.run(
        "subscribers",
        "add",
        "--name",
        "Traiteur solidaire",
        "--email",
        "equipe@traiteur.example.org",
        "--theme",
        "restauration_solidaire",
        "--departement",
        "76",
        "--frequency",
        "each_run",
    )
    assert add.returncode == 0, add.stderr
    alerts = watch.run("alerts", "--as-of", "2026-02-01")
    assert alerts.returncode == 0, alerts.stderr
    assert len(smtp.messages) == 1
    message = smtp.messages[0][2]
    html = message.get_body(preferencelist=("html",)).get_content()
    text = message.get_body(preferencelist=("plain",)).get_content()
    for part in (html, text):
        where = [part[max(0, i - 80) : i + 40] for i in [m.start() for m in re.finditer("javascript:", part)]]
        assert not where, where
        assert not CONTROL.search(part.replace("\r\n", "\n").replace("\n", "").replace("\t", ""))
        assert "26-9106" not in part  # its deadline could not be read: never sent as open
    assert "<script" not in html and "&lt;script&gt;" in html  # shown, escaped
    assert len(message.as_bytes()) < 200_000  # a megabyte title does not make a megabyte digest
    assert "victim@example.org" not in str(message["Subject"]) and "Bcc" not in message

    # the analysts' archive holds no subscriber address, no digest and no key: they are in the private store
    for path in watch.db_path.parent.glob(watch.db_path.name + "*"):
        data = path.read_bytes()
        assert b"equipe@traiteur.example.org" not in data and b"hostile-test-key" not in data, path
        assert b"List-Unsubscribe" not in data and b"Message-ID" not in data, path
    private = sqlite3.connect(watch.env["WATCH_PRIVATE_DB"])
    assert private.execute("select count(*) from outbox").fetchone()[0] == 1
    private.close()

    out = tmp_path / "newsletter"
    news = watch.run("newsletter", "--week", "2026-W04", "--out", str(out))
    assert news.returncode == 0, news.stderr
    files = {p.suffix: p for p in out.iterdir()}
    assert set(files) >= {".html", ".md", ".txt", ".docx"}
    for suffix in (".html", ".md", ".txt"):
        body = files[suffix].read_text(encoding="utf-8")
        assert "javascript:" not in body and not CONTROL.search(body), suffix
        assert "Prestations traiteur" in body, suffix
    assert "<script" not in files[".html"].read_text(encoding="utf-8")
    assert not re.search(r"(?<!\\)<script", files[".md"].read_text(encoding="utf-8"))  # escaped: \<script\>
    document = docx.Document(io.BytesIO(files[".docx"].read_bytes()))
    words = "\n".join(p.text for p in document.paragraphs)
    assert "Prestations traiteur" in words and not CONTROL.search(words) and "javascript:" not in words
