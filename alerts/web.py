"""The small HTTP endpoint behind the links of the digests (started by `serve`, address in config).

- POST /u/<token>: one-click unsubscribe (RFC 8058: mail clients POST "List-Unsubscribe=One-Click");
- GET /u/<token>: a confirmation page whose button POSTs (a GET never changes anything: mail scanners
  follow links);
- GET /f/<token>: the "pas pour nous" form for one tender, named by its title and buyer as the digest sent
  them (sent_items); POST /f/<token>: records the reason;
- GET /p/<token>: the subscriber's current profile ("modifier mes préférences") and how to change it (a
  read-only page: self-service editing is for later).
An invalid or forged token gets a 404 page and changes nothing.
"""

from __future__ import annotations

import contextlib
import html
import logging
import sqlite3
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import sqlite_utils

from alerts import geo
from alerts.subscribers import Subscriber
from alerts.tokens import Signer
from archive.db import now_iso
from classify.taxonomy import load as load_taxonomy
from formatting import environment, money_fr
from formatting.places import departement_label

logger = logging.getLogger(__name__)

MAX_BODY = 16_384  # bytes: a feedback form is a reason and 500 characters of comment

REASONS = {
    "hors_metier": "Hors de notre métier",
    "trop_gros": "Trop gros pour nous",
    "trop_loin": "Trop loin",
    "delai": "Délai trop court",
    "deja_vu": "Déjà connu",
    "autre": "Autre raison",
}


NOTICE_KINDS = {"upcoming": "avis de pré-information", "open": "appels d'offres ouverts", "awards": "résultats"}
FREQUENCIES = {"each_run": "à chaque collecte", "daily": "chaque jour", "weekly": "chaque semaine"}


class AlertsWeb:
    def __init__(
        self, db_path: Path, signer: Signer, host: str = "127.0.0.1", port: int = 0, *, contact: str | None = None
    ):
        self.db_path = db_path
        self.signer = signer
        self.contact = contact  # whom to write to change a profile (the digests' sender)
        self.env = environment()
        web = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                web.safely(self, "GET")

            def do_POST(self) -> None:  # noqa: N802
                web.safely(self, "POST")

            def log_message(self, format: str, *args: object) -> None:
                logger.debug("web: " + format, *args)

        self.httpd = ThreadingHTTPServer((host, port), Handler)
        self.httpd.daemon_threads = True
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> AlertsWeb:
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="alerts-web", daemon=True
        )
        self.thread.start()
        logger.info("alerts: unsubscribe and feedback endpoint on %s", self.url)
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def page(
        self,
        h: BaseHTTPRequestHandler,
        status: int,
        title: str,
        body: str,
        form: str | None = None,
        rows: list[tuple[str, str]] | None = None,
        note: str | None = None,
    ) -> None:
        """A page: `body` and `rows` (label, value) and `note` are escaped by the template; `form` is our markup."""
        page = self.env.get_template("page.html.j2")
        content = page.render(title=title, body=body, form=form, rows=rows or [], note=note).encode()
        h.send_response(status)
        h.send_header("Content-Type", "text/html; charset=utf-8")
        h.send_header("Content-Length", str(len(content)))
        h.send_header("Cache-Control", "no-store")
        h.end_headers()
        h.wfile.write(content)

    def safely(self, h: BaseHTTPRequestHandler, method: str) -> None:
        """One request; whatever goes wrong, the client gets a page and the log one line, never a traceback."""
        try:
            self.handle(h, method)
        except (ConnectionError, TimeoutError):
            pass
        except Exception as exc:  # noqa: BLE001 - a bug must not drop the connection without an answer
            logger.error("web: %s %s failed: %s: %s", method, h.path[:100], type(exc).__name__, exc)
            with contextlib.suppress(OSError):
                self.page(h, 500, "Erreur", "Une erreur est survenue. Rien n'a été modifié ; réessayez plus tard.")

    def handle(self, h: BaseHTTPRequestHandler, method: str) -> None:
        path = h.path.split("?", 1)[0]
        kind, _, token = path.strip("/").partition("/")
        parts = self.signer.verify(token) if token else None
        if kind not in ("u", "f", "p") or not parts or parts[0] != kind:
            self.page(h, 404, "Lien invalide", "Ce lien n'est pas valide. Rien n'a été modifié.")
            return
        try:
            length = int(h.headers.get("Content-Length") or 0)
            if not 0 <= length <= MAX_BODY:
                raise ValueError(length)
        except ValueError:
            self.page(h, 400, "Requête invalide", "Cette requête n'a pas pu être lue. Rien n'a été modifié.")
            return
        form = parse_qs(h.rfile.read(length).decode("utf-8", errors="replace")) if length else {}
        if not parts[1].isdigit():
            self.page(h, 404, "Lien invalide", "Ce lien n'est pas valide. Rien n'a été modifié.")
            return
        db = sqlite_utils.Database(self.db_path)
        try:
            subscriber_id = int(parts[1])
            row = db.execute("select name, active from subscribers where id = ?", [subscriber_id]).fetchone()
            if row is None:
                self.page(h, 404, "Lien invalide", "Cet abonnement n'existe plus.")
                return
            if kind == "u":
                self._unsubscribe(h, db, method, subscriber_id, row[0], path)
            elif kind == "p":
                self._preferences(h, db, method, subscriber_id)
            else:
                self._feedback(h, db, method, subscriber_id, parts[2] if len(parts) > 2 else "", form, path)
        finally:
            db.close()

    def _unsubscribe(self, h, db, method: str, subscriber_id: int, name: str, path: str) -> None:  # noqa: ANN001
        if method == "GET":
            self.page(
                h,
                200,
                "Se désabonner",
                f"Ne plus recevoir la veille pour {name} ?",
                form=f'<form method="post" action="{html.escape(path)}"><button type="submit">'
                "Me désabonner</button></form>",
            )
            return
        with db.conn:
            db.execute("update subscribers set active = 0 where id = ?", [subscriber_id])
            db["unsubscribes"].insert(  # once per subscriber: a replayed POST adds nothing
                {"subscriber_id": subscriber_id, "how": "one-click", "created_at": now_iso()}, ignore=True
            )
        logger.info("alerts: subscriber %d unsubscribed", subscriber_id)
        self.page(h, 200, "Désabonnement confirmé", "Vous ne recevrez plus la veille. Merci de l'avoir suivie.")

    def _sent(self, db, subscriber_id: int, procedure_id: str) -> tuple[str | None, str | None]:  # noqa: ANN001
        """(title, buyer) of a tender as the digest sent it to this subscriber; (None, None) if unknown."""
        try:
            row = db.execute(
                "select title, buyer from sent_items where subscriber_id = ? and procedure_id = ?",
                [subscriber_id, procedure_id],
            ).fetchone()
        except sqlite3.OperationalError:  # a private store from before these columns, no digest sent since
            return None, None
        return (row[0], row[1]) if row else (None, None)

    def _feedback(self, h, db, method: str, subscriber_id: int, procedure_id: str, form: dict, path: str) -> None:  # noqa: ANN001
        title, buyer = self._sent(db, subscriber_id, procedure_id)
        rows = [("Marché", title or "marché de votre veille")] + ([("Acheteur", buyer)] if buyer else [])
        if method == "GET":
            options = "".join(
                f'<label><input type="radio" name="reason" value="{k}"> {html.escape(v)}</label><br>'
                for k, v in REASONS.items()
            )
            self.page(
                h,
                200,
                "Pas pour nous",
                "Pourquoi ce marché ne vous concerne-t-il pas ?",
                form=f'<form method="post" action="{html.escape(path)}">{options}'
                '<input type="text" name="comment" maxlength="500" placeholder="Précisez (facultatif)">'
                '<button type="submit">Envoyer</button></form>',
                rows=rows,
            )
            return
        reason = (form.get("reason") or ["autre"])[0]
        if reason not in REASONS:
            reason = "autre"
        comment = (form.get("comment") or [""])[0][:500]
        with db.conn:
            db["feedback"].insert(
                {
                    "subscriber_id": subscriber_id,
                    "procedure_id": procedure_id,
                    "reason": f"{reason}: {comment}" if comment else reason,
                    "created_at": now_iso(),
                },
                replace=True,  # one reason per structure and tender: a replayed form replaces it, adds no row
            )
        self.page(h, 200, "Merci", "C'est noté : nous affinerons votre veille.", rows=rows)

    def _preferences(self, h, db, method: str, subscriber_id: int) -> None:  # noqa: ANN001
        """The profile the digests are built from, read-only (a POST changes nothing either)."""
        row = db.execute("select * from subscribers where id = ?", [subscriber_id]).fetchone()
        names = [d[0] for d in db.execute("select * from subscribers limit 0").description]
        sub = Subscriber.from_row(dict(zip(names, row, strict=True)))
        labels = {t.code: t.label for t in load_taxonomy(None).themes}
        if sub.national:
            where = "toute la France"
        else:
            where = ", ".join(
                [geo.REGIONS[r][0] for r in sub.regions if r in geo.REGIONS]
                + [departement_label(d) for d in sub.departements]
            )
        amounts = [
            f"à partir de {money_fr(sub.value_min)}" if sub.value_min is not None else "",
            f"jusqu'à {money_fr(sub.value_max)}" if sub.value_max is not None else "",
        ]
        rows = [
            ("Structure", sub.name),
            ("Thèmes", ", ".join(labels.get(t, t) for t in sub.themes) or "aucun (mots-clés seulement)"),
            ("Territoire", where or "non précisé"),
            ("Mots-clés", ", ".join(sub.keywords) or "aucun"),
            ("Mots exclus", ", ".join(sub.exclude_keywords) or "aucun"),
            ("Montants", " ".join(a for a in amounts if a) or "tous"),
            ("Avis reçus", ", ".join(NOTICE_KINDS.get(k, k) for k in sub.notice_kinds)),
            ("Fréquence", FREQUENCIES.get(sub.frequency, sub.frequency)),
            ("Adresses", ", ".join(sub.emails)),
            ("Abonnement", "actif" if sub.active else "désabonné"),
        ]
        how = f"écrivez à {self.contact}" if self.contact else "répondez à l'un de nos messages"
        self.page(
            h,
            200,
            "Mes préférences",
            "Votre veille est construite à partir de ce profil.",
            rows=rows,
            note=f"Pour le modifier (thèmes, territoire, mots-clés, fréquence…), {how} en indiquant les "
            "changements souhaités : nous mettrons votre profil à jour.",
        )
