"""The web pages of the watch (Starlette, served by uvicorn): sign-up, preferences, "Mes marchés", and the
links of the digests.

- GET/POST /: sign-up with double opt-in; POST mails a confirmation link (/c/<token>, 48 h) and answers the
  same whatever the address (already subscribed or not: it then gets its preferences link instead);
- GET/POST /c/<token>: the confirmation page whose button creates the subscriber (origin "web");
- GET/POST /lien: "m'envoyer mon lien": mails the preferences link to a subscribed address (same answer);
- GET/POST /p/<token>: the preferences: change the profile, pause until a date, resume, unsubscribe;
- GET /m/<token>: "Mes marchés", the open tenders that fit the profile now, with the digest's "why";
- POST /u/<token>: one-click unsubscribe (RFC 8058: mail clients POST "List-Unsubscribe=One-Click", with no
  cookie, so the signed link is its own protection); GET /u/<token>: a confirmation page whose button POSTs;
- GET/POST /f/<token>: "pas pour nous" for one tender, named as the digest sent it (sent_items).

A GET never changes anything (mail scanners follow links). Every form carries a CSRF token (a random cookie
and a signed, expiring field bound to it and to the form); tokens are single-purpose and expiring
(alerts.tokens.issue/check; links mailed before expiry existed still work for u, f and p). Sign-up and
"send my link" are rate-limited per address and per client IP. Every string reaches the HTML through
Jinja2's autoescaping; the pages have no inline script or style, so the Content-Security-Policy allows
none. The log names subscriber ids, never an address or a name.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlite_utils
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from alerts import geo
from alerts.items import load_items
from alerts.matching import AlertIndex
from alerts.render import DigestRenderer, block_of, why
from alerts.subscribers import EMAIL, Subscriber
from alerts.tokens import TTL, Signer, check, issue
from alerts.web_forms import (
    CSRF_COOKIE,
    FREQUENCY_LABELS,
    KIND_LABELS,
    NOTICE_KIND_LABELS,
    THEME_HELP,
    RateLimit,
    csrf_field,
    csrf_ok,
    new_csrf_cookie,
    profile_from_form,
    regions,
    values_of,
)
from archive.db import now_iso
from classify.taxonomy import load as load_taxonomy
from formatting import PARIS, TEMPLATES, environment, money_fr
from formatting.places import departement_label
from mail import message as mail_message
from mail.transport import Transport, TransportError, send_message

logger = logging.getLogger(__name__)

MAX_BODY = 16_384  # bytes: the longest form is a profile

REASONS = {
    "hors_metier": "Hors de notre métier",
    "trop_gros": "Trop gros pour nous",
    "trop_loin": "Trop loin",
    "delai": "Délai trop court",
    "deja_vu": "Déjà connu",
    "autre": "Autre raison",
}

SIGNUP_TTL = TTL["c"]
MARKETS_DAYS = 120  # "Mes marchés" looks at the tenders changed in the last four months

SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; "
        b"base-uri 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cache-control", b"no-store"),
]


class SecurityHeaders:
    """ASGI middleware: the security headers on every response, and a body size limit on every request."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                names = {k for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (k, v) for k, v in SECURITY_HEADERS if k not in names
                ]
            await send(message)

        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
            response = PlainTextResponse("Requête invalide. Rien n'a été modifié.", status_code=400)
            await response(scope, receive, send_with_headers)
            return
        received = 0

        async def limited_receive() -> dict:
            """A body sent without Content-Length (chunked) is cut at MAX_BODY: the form reads as not sent."""
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > MAX_BODY:
                    return {"type": "http.disconnect"}
            return message

        await self.app(scope, limited_receive, send_with_headers)


class Mailer:
    """The web's own messages (confirmation, "your link"), text only, through the watch's mail transport."""

    def __init__(self, transport: Transport | None, sender: str):
        self.transport, self.sender = transport, sender
        self.env = environment()
        self.lock = threading.Lock()  # one SMTP conversation at a time

    def send(self, template: str, to: list[str], subject: str, **context: Any) -> bool:
        if self.transport is None:
            logger.warning("web: no mail transport: a %s message was not sent", template)
            return False
        text = self.env.get_template(f"web/{template}.txt.j2").render(**context)
        msg = mail_message.build(kind="web", sender=self.sender, to=to, subject=subject, text=text)
        try:
            with self.lock:
                send_message(self.transport, msg)
        except (TransportError, OSError) as exc:
            logger.error("web: a %s message could not be sent: %s", template, type(exc).__name__)
            return False
        return True


class WebApp:
    """The application and what it needs: the private store, the archive (for "Mes marchés"), the key, mail."""

    def __init__(
        self,
        private_path: Path,
        signer: Signer,
        *,
        archive_path: Path | None = None,
        transport: Transport | None = None,
        sender: str = "Veille marchés publics ESS <veille@example.org>",
        public_url: str = "http://127.0.0.1:8080",
        contact: str | None = None,
        limit_per_address: int = 3,
        limit_per_ip: int = 10,
        limit_window: float = 3600,
        clock: Callable[[], float] = time.time,
        as_of: datetime | None = None,
    ):
        self.private_path = Path(private_path)
        self.archive_path = Path(archive_path) if archive_path else None
        self.signer = signer
        self.public_url = public_url.rstrip("/")
        self.secure_cookie = self.public_url.startswith("https://")
        self.contact = contact
        self.clock = clock
        self.as_of = as_of  # "Mes marchés" as if it were then (replays of recorded tenders, the tests)
        self.mailer = Mailer(transport, sender)
        self.by_address = RateLimit(limit_per_address, limit_window)
        self.by_ip = RateLimit(limit_per_ip, limit_window)
        self.env = environment()
        self.labels = {t.code: t.label for t in load_taxonomy(None).themes}
        self.renderer = DigestRenderer(
            sender=sender,
            public_url=public_url,
            unsubscribe_mailto=sender,
            signer=signer,
            theme_labels=self.labels,
            max_items=1000,
            quiet=True,
        )
        self._items: tuple[float, Any] | None = None
        self._items_lock = threading.Lock()
        self.css = (TEMPLATES / "web" / "web.css").read_bytes()
        routes = [
            Route("/", self.signup, methods=["GET", "POST"]),
            Route("/c/{token}", self.confirm, methods=["GET", "POST"]),
            Route("/lien", self.send_link, methods=["GET", "POST"]),
            Route("/p/{token}", self.preferences, methods=["GET", "POST"]),
            Route("/m/{token}", self.markets, methods=["GET"]),
            Route("/u/{token}", self.unsubscribe, methods=["GET", "POST"]),
            Route("/f/{token}", self.feedback, methods=["GET", "POST"]),
            Route("/static/web.css", self.stylesheet, methods=["GET"]),
            Route("/favicon.ico", lambda request: Response(status_code=204), methods=["GET"]),
        ]
        self.app = SecurityHeaders(
            Starlette(routes=routes, exception_handlers={404: self.not_found, 405: self.not_allowed, 500: self.error})
        )

    # -- plumbing ----------------------------------------------------------------------------------------------
    def db(self) -> sqlite_utils.Database:
        return sqlite_utils.Database(self.private_path)

    def render(self, request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        cookie = request.cookies.get(CSRF_COOKIE) or ""
        fresh = not cookie or len(cookie) > 64
        if fresh:
            cookie = new_csrf_cookie()

        def csrf(form: str) -> str:
            return csrf_field(self.signer, cookie, form)

        body = self.env.get_template(f"web/{template}.html.j2").render(csrf=csrf, **context)
        response = HTMLResponse(body, status_code=status)
        if fresh:
            response.set_cookie(
                CSRF_COOKIE, cookie, max_age=86400, httponly=True, samesite="strict", secure=self.secure_cookie
            )
        return response

    def message(self, request: Request, status: int, title: str, body: str, **context: Any) -> HTMLResponse:
        return self.render(request, "message", status, title=title, body=body, **context)

    def invalid(self, request: Request) -> HTMLResponse:
        return self.message(
            request,
            404,
            "Lien invalide",
            "Ce lien n'est pas valide ou a expiré. Rien n'a été modifié.",
            link=("/lien", "Recevoir un nouveau lien par e-mail"),
        )

    async def not_found(self, request: Request, exc: Exception) -> HTMLResponse:
        return self.message(request, 404, "Page introuvable", "Cette page n'existe pas.")

    async def not_allowed(self, request: Request, exc: Exception) -> HTMLResponse:
        return self.message(request, 405, "Requête invalide", "Cette requête n'est pas acceptée. Rien n'a été modifié.")

    async def error(self, request: Request, exc: Exception) -> HTMLResponse:
        logger.error("web: %s %s failed: %s", request.method, request.url.path[:3], type(exc).__name__)
        return self.message(
            request, 500, "Erreur", "Une erreur est survenue. Rien n'a été modifié ; réessayez plus tard."
        )

    async def form(self, request: Request, name: str) -> tuple[Any, bool]:
        """(the posted form, whether its CSRF token is good for this form and this browser)."""
        try:
            form = await request.form(max_files=0, max_fields=200)
        except Exception:  # noqa: BLE001 - a body that is not a form
            return {}, False
        return form, csrf_ok(self.signer, request.cookies.get(CSRF_COOKIE), name, form.get("csrf"))

    def refused(self, request: Request) -> HTMLResponse:
        return self.message(
            request,
            403,
            "Formulaire expiré",
            "Ce formulaire a expiré ou ne vient pas de cette page. Rien n'a été modifié : rechargez la page et "
            "recommencez.",
        )

    def client(self, request: Request) -> str:
        return request.client.host if request.client else "?"

    async def stylesheet(self, request: Request) -> Response:
        return Response(self.css, media_type="text/css", headers={"Cache-Control": "public, max-age=3600"})

    def form_context(self, values: dict[str, Any], errors: dict[str, str] | None = None) -> dict[str, Any]:
        return {
            "values": values,
            "errors": errors or {},
            "kinds": KIND_LABELS,
            "themes": [(code, self.labels.get(code, code), THEME_HELP.get(code, "")) for code in THEME_HELP],
            "regions": regions(),
            "notice_kinds": NOTICE_KIND_LABELS,
            "frequencies": FREQUENCY_LABELS,
        }

    def subscriber(self, db: sqlite_utils.Database, sub_id: int) -> Subscriber | None:
        rows = list(db.query("select * from subscribers where id = ?", [sub_id]))
        return Subscriber.from_row(rows[0]) if rows else None

    def subscribers_of(self, db: sqlite_utils.Database, emails: list[str]) -> list[Subscriber]:
        wanted = {e.lower() for e in emails}
        return [
            Subscriber.from_row(r)
            for r in db.query("select * from subscribers order by id")
            if wanted & {e.lower() for e in json.loads(r["emails"] or "[]")}
        ]

    def link(self, purpose: str, *parts: str | int) -> str:
        return f"{self.public_url}/{purpose}/{issue(self.signer, purpose, *parts, ttl=TTL[purpose])}"

    def sub_from(self, token: str, purpose: str = "p") -> tuple[sqlite_utils.Database, Subscriber] | None:
        parts = check(self.signer, token, purpose, legacy=True)
        if not parts or not parts[0].isdigit():
            return None
        db = self.db()
        sub = self.subscriber(db, int(parts[0]))
        if sub is None:
            db.close()
            return None
        return db, sub

    # -- sign-up -------------------------------------------------------------------------------------------------
    async def signup(self, request: Request) -> Response:
        if request.method == "GET":
            values = {"notice_kinds": ["upcoming", "open"], "frequency": "daily", "kind": ""}
            return self.render(request, "signup", **self.form_context(values))
        form, ok = await self.form(request, "signup")
        if not ok:
            return self.refused(request)
        sub, errors, values = profile_from_form(form)
        if sub is None:
            return self.render(request, "signup", 400, **self.form_context(values, errors))
        if not self.allowed(request, sub.emails):
            return self.too_many(request)
        await run_in_threadpool(self._signup, sub)
        return self.message(
            request,
            200,
            "Vérifiez votre messagerie",
            "Merci. Un message vient d'être envoyé à l'adresse indiquée : suivez le lien qu'il contient dans les "
            "48 heures pour activer la veille. Sans confirmation, rien n'est enregistré.",
            note="Rien reçu ? Regardez dans les indésirables, ou recommencez dans quelques minutes.",
        )

    def allowed(self, request: Request, emails: list[str]) -> bool:
        return self.by_ip.allow(f"ip:{self.client(request)}") and self.by_address.allow(
            *(f"mail:{e.lower()}" for e in emails)
        )

    def too_many(self, request: Request) -> HTMLResponse:
        return self.message(
            request,
            429,
            "Trop de demandes",
            "Trop de demandes ont été faites pour cette adresse ou depuis votre connexion. Réessayez dans une heure.",
        )

    def _signup(self, sub: Subscriber) -> None:
        """Mail the confirmation link, or the preferences link to an address already subscribed (no answer differs)."""
        db = self.db()
        try:
            known = [s for s in self.subscribers_of(db, sub.emails) if s.active]
            if known:
                for s in known:
                    self.mailer.send(
                        "already",
                        [e for e in sub.emails if e.lower() in {x.lower() for x in s.emails}],
                        "Votre veille des marchés publics ESS",
                        name=s.name,
                        preferences=self.link("p", s.id),
                    )
                logger.info("web: sign-up for an address already subscribed: preferences link mailed")
                return
            now = datetime.fromtimestamp(self.clock(), UTC)
            with db.conn:
                db.execute("delete from signup_requests where expires_at < ?", [now.isoformat(timespec="seconds")])
                request_id = (
                    db["signup_requests"]
                    .insert(
                        {
                            "profile": json.dumps(sub.to_row(), ensure_ascii=False),
                            "created_at": now.isoformat(timespec="seconds"),
                            "expires_at": (now + timedelta(seconds=SIGNUP_TTL)).isoformat(timespec="seconds"),
                        }
                    )
                    .last_pk
                )
            self.mailer.send(
                "confirm",
                sub.emails,
                "Confirmez votre inscription à la veille des marchés publics ESS",
                name=sub.name,
                confirm=self.link("c", request_id),
            )
            logger.info("web: sign-up request %d: confirmation mailed", request_id)
        finally:
            db.close()

    def pending(self, db: sqlite_utils.Database, token: str) -> dict[str, Any] | None:
        parts = check(self.signer, token, "c")
        if not parts or not parts[0].isdigit():
            return None
        rows = list(db.query("select * from signup_requests where id = ?", [int(parts[0])]))
        if not rows or rows[0]["confirmed_at"]:
            return None
        now = datetime.fromtimestamp(self.clock(), UTC).isoformat(timespec="seconds")
        return rows[0] if rows[0]["expires_at"] >= now else None

    async def confirm(self, request: Request) -> Response:
        token = request.path_params["token"]
        db = self.db()
        try:
            row = self.pending(db, token)
            if row is None:
                return self.message(
                    request,
                    404,
                    "Lien invalide",
                    "Ce lien de confirmation n'est pas valide, a déjà servi ou a expiré (48 heures). Rien n'a été "
                    "modifié.",
                    link=("/", "Recommencer l'inscription"),
                )
            profile = Subscriber.from_row(json.loads(row["profile"]))
            if request.method == "GET":
                return self.render(
                    request,
                    "confirm",
                    title="Confirmer l'inscription",
                    name=profile.name,
                    action=f"/c/{token}",
                    form_name="confirm",
                )
            _, ok = await self.form(request, "confirm")
            if not ok:
                return self.refused(request)
            sub_id = self._create(db, row, profile)
            return self.message(
                request,
                200,
                "Inscription confirmée",
                f"La veille de {profile.name} est active : vous recevrez le prochain envoi selon votre fréquence.",
                link=(self.link("p", sub_id).removeprefix(self.public_url), "Voir mes préférences et mes marchés"),
            )
        finally:
            db.close()

    def _create(self, db: sqlite_utils.Database, row: dict[str, Any], profile: Subscriber) -> int:
        """The subscriber of a confirmed request (one per address: a second confirmed request adds none)."""
        now = now_iso()
        with db.conn:
            db.execute("update signup_requests set confirmed_at = ?, profile = '' where id = ?", [now, row["id"]])
            known = self.subscribers_of(db, profile.emails)
            if known:
                logger.info("web: sign-up request %d confirmed: subscriber %d already there", row["id"], known[0].id)
                db.execute("update subscribers set active = 1 where id = ?", [known[0].id])
                return int(known[0].id or 0)
            data = profile.to_row()
            data.update(origin="web", active=1, created_at=now, last_digest_at=None)
            data.pop("id", None)
            base, n = data["name"], 1
            while db.execute("select 1 from subscribers where name = ?", [data["name"]]).fetchone():
                n += 1
                data["name"] = f"{base} ({n})"
            sub_id = int(db["subscribers"].insert(data).last_pk)
        logger.info("web: sign-up request %d confirmed: subscriber %d", row["id"], sub_id)
        return sub_id

    # -- send my link ---------------------------------------------------------------------------------------------
    async def send_link(self, request: Request) -> Response:
        if request.method == "GET":
            return self.render(request, "link", values={}, errors={})
        form, ok = await self.form(request, "link")
        if not ok:
            return self.refused(request)
        email = str(form.get("email") or "").strip()[:200]
        if not EMAIL.match(email):
            return self.render(
                request, "link", 400, values={"email": email}, errors={"email": "Indiquez une adresse e-mail valide."}
            )
        if not self.allowed(request, [email]):
            return self.too_many(request)
        await run_in_threadpool(self._send_link, email)
        return self.message(
            request,
            200,
            "Vérifiez votre messagerie",
            "Si cette adresse reçoit la veille, un message contenant le lien de vos préférences vient de lui être "
            "envoyé.",
        )

    def _send_link(self, email: str) -> None:
        db = self.db()
        try:
            for s in self.subscribers_of(db, [email]):
                self.mailer.send(
                    "link",
                    [email],
                    "Votre lien vers la veille des marchés publics ESS",
                    name=s.name,
                    preferences=self.link("p", s.id),
                )
                logger.info("web: preferences link mailed for subscriber %d", s.id)
        finally:
            db.close()

    # -- preferences ----------------------------------------------------------------------------------------------
    def summary(self, sub: Subscriber) -> list[tuple[str, str]]:
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
        if not sub.active:
            state = "désabonné"
        elif sub.paused_until and sub.paused_until > date.today().isoformat():
            state = f"en pause jusqu'au {date.fromisoformat(sub.paused_until):%d/%m/%Y}"
        else:
            state = "actif"
        return [
            ("Structure", sub.name),
            ("Thèmes", ", ".join(self.labels.get(t, t) for t in sub.themes) or "aucun (mots-clés seulement)"),
            ("Territoire", where or "non précisé"),
            ("Mots-clés", ", ".join(sub.keywords) or "aucun"),
            ("Mots exclus", ", ".join(sub.exclude_keywords) or "aucun"),
            ("Montants", " ".join(a for a in amounts if a) or "tous"),
            ("Avis reçus", ", ".join(NOTICE_KIND_LABELS.get(k, k) for k in sub.notice_kinds)),
            ("Fréquence", FREQUENCY_LABELS.get(sub.frequency, sub.frequency)),
            ("Adresses", ", ".join(sub.emails)),
            ("Abonnement", state),
        ]

    async def preferences(self, request: Request) -> Response:
        token = request.path_params["token"]
        found = self.sub_from(token)
        if found is None:
            return self.invalid(request)
        db, sub = found
        try:
            notice, errors, values = None, {}, values_of(sub)
            status = 200
            if request.method == "POST":
                form, ok = await self.form(request, "preferences")
                if not ok:
                    return self.refused(request)
                action = form.get("action")
                if action == "save":
                    new, errors, values = profile_from_form(form)
                    if new is not None:
                        clash = db.execute(
                            "select 1 from subscribers where name = ? and id != ?", [new.name, sub.id]
                        ).fetchone()
                        if clash:
                            errors = {"name": "Ce nom est déjà utilisé par une autre structure : précisez-le."}
                        else:
                            self._save(db, sub, new)
                            notice = "Vos préférences sont enregistrées : elles s'appliquent dès le prochain envoi."
                    status = 400 if errors else 200
                elif action == "pause":
                    until = str(form.get("until") or "")
                    try:
                        day = date.fromisoformat(until)
                    except ValueError:
                        day = None
                    if day is None or day <= date.today() or day > date.today() + timedelta(days=366):
                        errors = {"until": "Indiquez une date de reprise à venir, dans l'année (jj/mm/aaaa)."}
                        status = 400
                    else:
                        with db.conn:
                            db.execute(
                                "update subscribers set paused_until = ? where id = ?", [day.isoformat(), sub.id]
                            )
                        notice = f"La veille est en pause : elle reprendra le {day:%d/%m/%Y}."
                        logger.info("web: subscriber %d paused", sub.id)
                elif action == "resume":
                    with db.conn:
                        db.execute("update subscribers set paused_until = null, active = 1 where id = ?", [sub.id])
                    notice = "La veille reprend dès le prochain envoi."
                    logger.info("web: subscriber %d resumed", sub.id)
                elif action == "unsubscribe":
                    self._unsubscribe(db, sub.id, "web")
                    notice = "Vous êtes désabonné : vous ne recevrez plus la veille."
                else:
                    return self.message(request, 400, "Requête invalide", "Action inconnue. Rien n'a été modifié.")
                sub = self.subscriber(db, int(sub.id or 0)) or sub
                if not errors:
                    values = values_of(sub)
            return self.render(
                request,
                "preferences",
                status,
                sub=sub,
                rows=self.summary(sub),
                notice=notice,
                action=f"/p/{token}",
                markets=f"/m/{token}",
                today=date.today().isoformat(),
                pause_errors={k: v for k, v in errors.items() if k == "until"},
                **self.form_context(values, {k: v for k, v in errors.items() if k != "until"}),
            )
        finally:
            db.close()

    def _save(self, db: sqlite_utils.Database, old: Subscriber, new: Subscriber) -> None:
        row = new.to_row()
        for key in ("origin", "active", "paused_until", "created_at", "last_digest_at"):
            row[key] = getattr(old, key) if key != "active" else int(old.active)
        with db.conn:
            db["subscribers"].update(old.id, row)
        logger.info("web: subscriber %d changed its profile", old.id)

    def _unsubscribe(self, db: sqlite_utils.Database, sub_id: int | None, how: str) -> None:
        with db.conn:
            db.execute("update subscribers set active = 0 where id = ?", [sub_id])
            db["unsubscribes"].insert(  # once per subscriber: a replayed POST adds nothing
                {"subscriber_id": sub_id, "how": how, "created_at": now_iso()}, ignore=True
            )
        logger.info("alerts: subscriber %d unsubscribed", sub_id)

    # -- Mes marchés ----------------------------------------------------------------------------------------------
    def items(self) -> AlertIndex:
        """The index of the tenders changed in the last MARKETS_DAYS, rebuilt at most every five minutes."""
        with self._items_lock:
            if self._items is None or self._items[0] < time.monotonic() - 300:
                items = []
                if self.archive_path is not None and self.archive_path.exists():
                    now = self.as_of or datetime.now(UTC)
                    since = (now - timedelta(days=MARKETS_DAYS)).isoformat(timespec="seconds")
                    db = sqlite_utils.Database(self.archive_path)
                    try:
                        items = load_items(db, since=since)
                    except sqlite3.OperationalError as exc:  # an archive not migrated yet
                        logger.warning("web: tenders not readable: %s", exc)
                    finally:
                        db.close()
                self._items = (time.monotonic(), AlertIndex(items))
            return self._items[1]

    def open_matches(self, sub: Subscriber, now: datetime | None = None) -> list[dict[str, Any]]:
        now = now or self.as_of or datetime.now(UTC)
        now_utc = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        now_day = now.astimezone(PARIS).date().isoformat()
        matches = [
            m for m in self.items().match(sub, {}, now_utc, now_day) if block_of(m) not in ("award", "cancelled")
        ]
        out = []
        for m in matches:
            facts = self.renderer.item(m, sub)
            facts["why"] = why(m, self.labels, sub)
            out.append(facts)
        return out

    async def markets(self, request: Request) -> Response:
        token = request.path_params["token"]
        found = self.sub_from(token)
        if found is None:
            return self.invalid(request)
        db, sub = found
        db.close()
        items = await run_in_threadpool(self.open_matches, sub)
        return self.render(request, "markets", sub=sub, items=items, preferences=f"/p/{token}")

    # -- the links of the digests -------------------------------------------------------------------------------
    async def unsubscribe(self, request: Request) -> Response:
        token = request.path_params["token"]
        found = self.sub_from(token, "u")
        if found is None:
            return self.invalid(request)
        db, sub = found
        try:
            if request.method == "GET":
                return self.render(
                    request,
                    "confirm",
                    title="Se désabonner",
                    name=sub.name,
                    question=f"Ne plus recevoir la veille pour {sub.name} ?",
                    action=f"/u/{token}",
                    form_name="unsubscribe",
                    button="Me désabonner",
                )
            # RFC 8058: the one-click POST comes from a mail client, without cookie: the signed link suffices
            with contextlib.suppress(Exception):
                await request.form(max_files=0, max_fields=5)
            self._unsubscribe(db, sub.id, "one-click")
            return self.message(
                request, 200, "Désabonnement confirmé", "Vous ne recevrez plus la veille. Merci de l'avoir suivie."
            )
        finally:
            db.close()

    def _sent(self, db: sqlite_utils.Database, sub_id: int, procedure_id: str) -> tuple[str | None, str | None]:
        try:
            row = db.execute(
                "select title, buyer from sent_items where subscriber_id = ? and procedure_id = ?",
                [sub_id, procedure_id],
            ).fetchone()
        except sqlite3.OperationalError:  # a private store from before these columns, no digest sent since
            return None, None
        return (row[0], row[1]) if row else (None, None)

    async def feedback(self, request: Request) -> Response:
        token = request.path_params["token"]
        parts = check(self.signer, token, "f", legacy=True)
        if not parts or len(parts) < 2 or not parts[0].isdigit():
            return self.invalid(request)
        db = self.db()
        sub = self.subscriber(db, int(parts[0]))  # the subscriber must still exist
        if sub is None:
            db.close()
            return self.invalid(request)
        procedure_id = parts[1]
        try:
            title, buyer = self._sent(db, int(sub.id or 0), procedure_id)
            rows = [("Marché", title or "marché de votre veille")] + ([("Acheteur", buyer)] if buyer else [])
            if request.method == "GET":
                return self.render(request, "feedback", rows=rows, reasons=REASONS, action=f"/f/{token}")
            form, ok = await self.form(request, "feedback")
            if not ok:
                return self.refused(request)
            reason = str(form.get("reason") or "autre")
            if reason not in REASONS:
                reason = "autre"
            comment = str(form.get("comment") or "")[:500].strip()
            with db.conn:
                db["feedback"].insert(
                    {
                        "subscriber_id": sub.id,
                        "procedure_id": procedure_id,
                        "reason": f"{reason}: {comment}" if comment else reason,
                        "created_at": now_iso(),
                    },
                    replace=True,  # one reason per structure and tender: a replayed form replaces it, adds no row
                )
            return self.message(request, 200, "Merci", "C'est noté : nous affinerons votre veille.", rows=rows)
        finally:
            db.close()


class WebServer:
    """uvicorn in a thread, with no signal handlers of its own (serve keeps SIGTERM/SIGINT)."""

    def __init__(self, web: WebApp, host: str = "127.0.0.1", port: int = 0):
        import socket

        import uvicorn

        self.web = web
        self.socket = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind((host, port))  # an OSError here: the address is taken, said by the caller
        self.socket.listen(128)
        config = uvicorn.Config(
            web.app, log_level="warning", access_log=False, lifespan="off", server_header=False, proxy_headers=True
        )
        self.server = uvicorn.Server(config)
        self.server.install_signal_handlers = lambda: None  # uvicorn < 0.29
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.socket.getsockname()[:2]
        return f"http://{host}:{port}"

    def start(self) -> WebServer:
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.socket]}, name="alerts-web", daemon=True
        )
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started and time.monotonic() < deadline and self.thread.is_alive():
            time.sleep(0.02)
        logger.info("web: pages on %s", self.url)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        if self.thread is not None:
            self.thread.join(timeout=10)
        with contextlib.suppress(OSError):
            self.socket.close()


def AlertsWeb(  # noqa: N802 - the name the tests and serve used for the endpoint before the web pages
    db_path: Path, signer: Signer, host: str = "127.0.0.1", port: int = 0, *, contact: str | None = None, **kw: Any
) -> WebServer:
    return WebServer(WebApp(db_path, signer, contact=contact, **kw), host, port)


def web_from(config: Any, port: int | None = None) -> WebServer:
    """The web pages as configured: alerts.listen (or `port` on its host), the stores, the key, the mail."""
    from archive.stores import open_private_store, signing_key
    from mail.transport import transport_from

    open_private_store(config).close()  # created, and an old archive's private tables moved, before serving
    host, _, listen_port = config["alerts.listen"].rpartition(":")
    web = WebApp(
        config.resolve_path("private.path"),
        Signer(signing_key(config)),
        archive_path=config.resolve_path("archive.path"),
        transport=transport_from(config),
        sender=config["alerts.sender"],
        public_url=config["alerts.public_url"],
        contact=config["alerts.sender"],
    )
    return WebServer(web, host.strip("[]"), int(listen_port) if port is None else port)
