"""Render a digest from the recorded notices, to look at: an HTML file and its text part.

    .venv/bin/python bench/digest_preview.py [--out /tmp/digest]   # writes digest.html, digest.txt, digest.eml

The archive is built in a temporary folder from the fixtures (tests/fixtures): a BOAMP call with a corrigendum
that moves its deadline, BOAMP awards (several lots, the UNIVERSCIENCE buyer with its legal tail), TED eForms
notices (places from NUTS codes), classified by the real classifier; one national subscriber on every theme,
upcoming, open and awarded tenders alike. The tests of tests/alerts/test_digest.py read the same digest.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from alerts.items import load_items  # noqa: E402
from alerts.matching import AlertIndex, Match  # noqa: E402
from alerts.render import DigestRenderer  # noqa: E402
from alerts.subscribers import Subscriber  # noqa: E402
from alerts.tokens import Signer  # noqa: E402
from archive.db import open_db  # noqa: E402
from archive.procedures import rebuild  # noqa: E402
from archive.store import Archive  # noqa: E402
from classify.archive_run import classify_archive  # noqa: E402
from classify.engine import Classifier  # noqa: E402
from classify.taxonomy import THEME_CODES  # noqa: E402
from classify.taxonomy import load as load_taxonomy  # noqa: E402
from notices.boamp import parse_record  # noqa: E402
from notices.eforms_xml import tree_from_xml  # noqa: E402
from notices.model import Notice  # noqa: E402
from notices.ted import parse_search_notice  # noqa: E402
from replay.boamp import corrigendum_of  # noqa: E402
from replay.ted import load_corpus  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"
NOW = datetime(2026, 2, 1, 8, 0, tzinfo=UTC)  # 26-7308 (catering, Normandy) is open until 27 February 2026
BOAMP = ("26-7308", "26-80922", "26-80978", "26-81190")
TED = ("900003-2019", "900008-2019")  # Rouen Habitat: an award (two lots) and a call, NUTS FRD22


def boamp_records() -> dict[str, dict[str, Any]]:
    out = {}
    for path in sorted((FIXTURES / "boamp").glob("*.json")):
        for r in json.loads(path.read_text(encoding="utf-8"))["results"]:
            out[r["idweb"]] = r
    return out


def corrigendum(original: dict[str, Any], deadline: str = "2026-03-13T12:00:00") -> dict[str, Any]:
    """A BOAMP RECTIFICATIF of 26-7308 that moves its deadline."""
    return corrigendum_of(original, "26-7400", deadline, "2026-01-25")


def ted_notices(numbers: tuple[str, ...] = TED) -> list[Notice]:
    records, xml = load_corpus([FIXTURES / "ted"])
    out = []
    for rec in records:
        number = rec.get("publication-number")
        if number in numbers:
            tree = tree_from_xml(xml[number]) if number in xml else None
            out.append(parse_search_notice(rec, xml_tree=tree))
    return out


def notices() -> list[Notice]:
    recs = boamp_records()
    boamp = [parse_record(recs[i]) for i in BOAMP] + [parse_record(corrigendum(recs["26-7308"]))]
    ted = ted_notices()
    for n in ted:  # recorded in 2019: dated as if published this winter, so the call is still open
        n.published = NOW.date()
        if n.deadline:
            n.deadline = n.deadline.replace(year=2026, month=3)
    return boamp + ted


def subscriber() -> Subscriber:
    return Subscriber(
        id=1,
        name="Solidarité & Services",
        emails=["equipe@solidarite.example.org"],
        kind="ACI",
        themes=list(THEME_CODES),
        keywords=["transport de personnes", "espaces verts"],
        national=True,
        notice_kinds=["upcoming", "open", "awards"],
        frequency="daily",
    )


def renderer(public_url: str = "https://veille.example.org") -> DigestRenderer:
    return DigestRenderer(
        sender="Veille ESS <veille@example.org>",
        public_url=public_url,
        unsubscribe_mailto="desabonnement@example.org",
        signer=Signer(b"preview-key"),
        theme_labels={t.code: t.label for t in load_taxonomy(None).themes},
        max_items=25,
    )


def digest(folder: Path) -> tuple[Subscriber, list[Match]]:
    """The subscriber and its matches, from an archive built in `folder`."""
    db = open_db(folder / "preview.db")
    try:
        Archive(db).upsert_notices(notices())
        rebuild(db, now=NOW)
        classify_archive(db, Classifier())
        items = load_items(db, since=None)
    finally:
        db.close()
    sub = subscriber()
    now_utc = NOW.strftime("%Y-%m-%dT%H:%M:%SZ")
    return sub, AlertIndex(items).match(sub, {}, now_utc, NOW.date().isoformat())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("/tmp/digest"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        sub, matches = digest(Path(tmp))
    message = renderer().message(sub, matches)
    html = message.get_body(preferencelist=("html",)).get_content()
    text = message.get_body(preferencelist=("plain",)).get_content()
    (args.out / "digest.html").write_text(html, encoding="utf-8")
    (args.out / "digest.txt").write_text(text, encoding="utf-8")
    (args.out / "digest.eml").write_bytes(message.as_bytes())
    print(f"{message['Subject']}: {len(matches)} tender(s) -> {args.out}/digest.html, digest.txt, digest.eml")


if __name__ == "__main__":
    main()
