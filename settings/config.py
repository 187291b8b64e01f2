"""`config.yaml`: loaded, overridden by WATCH_* environment variables, validated at start.

Every setting has a type and a default here, in one table (SCHEMA). A wrong key or value stops the program
with the file, the dotted path of the key and the reason ("config.yaml: sources.boamp.url: expected an
http(s) URL, got 'ftp://x'"), never with a traceback from deep inside a crawl. Secrets are never read from
the file: they come from the environment only (see ENV_OVERRIDES).
"""

from __future__ import annotations

import copy
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from settings import yamlfile
from settings.errors import WatchError

DEFAULT_NAME = "config.yaml"  # looked for in the working directory when neither --config nor WATCH_CONFIG is given


class ConfigError(WatchError, ValueError):
    """A configuration problem, with the file and the key's path in the message."""

    label = "configuration error"


@dataclass(frozen=True)
class Setting:
    kind: type | tuple[type, ...]
    default: Any
    check: Callable[[Any], str | None] | None = None  # returns the reason when the value is wrong
    doc: str = ""


def _url(value: Any) -> str | None:
    parsed = urlparse(str(value))
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        return f"expected an http(s) URL, got {value!r}"
    return None


def _positive(value: Any) -> str | None:
    return None if value > 0 else f"expected a number above 0, got {value!r}"


def _cron(value: Any) -> str | None:
    """The shape of a crontab line; the scheduler (watch/jobs.py) parses it fully when the config is checked."""
    fields = str(value).split()
    if len(fields) not in (5, 6):
        return f"not a valid crontab expression (expected 5 fields, or 6 with seconds first, got {len(fields)})"
    if any(ch.isdigit() for ch in fields[-1]):
        return "use weekday names (mon-fri), not numbers: cron and APScheduler number days differently"
    return None


def _jobs(value: Any) -> str | None:
    """`schedule.jobs`: a cron per job; the job names are checked against the registry in watch/jobs.py."""
    for name, cron in value.items():
        if not isinstance(cron, str):
            return f"{name}: expected a crontab string, got {cron!r}"
        reason = _cron(cron)
        if reason:
            return f"{name}: {reason}"
    return None


def _urls(value: Any) -> str | None:
    """One http(s) URL or a list of them."""
    for url in [value] if isinstance(value, str) else value:
        reason = _url(url)
        if reason:
            return reason
    return None if value else "expected at least one URL"


def _ratio(value: Any) -> str | None:
    return None if 0 < value < 1 else f"expected a number between 0 and 1, got {value!r}"


def _entries(value: Any, required: set[str], optional: set[str]) -> str | None:
    """A list of mappings (platforms, sites, feeds): names the entry and the key that is wrong."""
    names = set()
    for i, entry in enumerate(value):
        if not isinstance(entry, dict):
            return f"[{i}]: expected a mapping, got {entry!r}"
        missing = required - set(entry)
        if missing:
            return f"[{i}]: missing {', '.join(sorted(missing))}"
        unknown = set(entry) - required - optional
        if unknown:
            return f"[{i}].{sorted(unknown)[0]}: unknown key (expected {', '.join(sorted(required | optional))})"
        reason = _url(entry["url"])
        if reason:
            return f"[{i}].url: {reason}"
        if not isinstance(entry["name"], str) or not re.match(r"^[a-z0-9][a-z0-9_-]*$", entry["name"]):
            return f"[{i}].name: lower-case letters, digits, - and _ only, got {entry['name']!r}"
        if entry["name"] in names or entry["name"] in ("boamp", "ted", "approch"):
            return f"[{i}].name: {entry['name']!r} is already used"
        names.add(entry["name"])
    return None


def _codes(value: Any) -> str | None:
    bad = [x for x in value if not isinstance(x, str) or not x.strip()]
    return f"expected a list of codes, got {bad[0]!r} in it" if bad else None


def _hostport(value: Any) -> str | None:
    host, _, port = str(value).rpartition(":")
    return None if host and port.isdigit() and 0 < int(port) < 65536 else f"expected host:port, got {value!r}"


def _ocid_prefix(value: Any) -> str | None:
    """An OCDS ocid prefix: "ocds-" and six characters (registered), then optionally a publisher's own part."""
    ok = re.fullmatch(r"ocds-[a-z0-9]{6}(-[A-Za-z0-9._]+)*", str(value))
    return None if ok else f"expected an OCDS prefix like ocds-213czf or ocds-213czf-ess, got {value!r}"


def _targets(value: Any) -> str | None:
    """`observatory.targets`: the charter's shares, each a ratio."""
    for name, ratio in value.items():
        if name not in ("sme_ess", "insertion_hours"):
            return f"{name}: unknown target (expected sme_ess, insertion_hours)"
        if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not 0 < ratio < 1:
            return f"{name}: expected a share between 0 and 1 (0.25 for 25 %), got {ratio!r}"
    return None


def _level(value: Any) -> str | None:
    levels = ("DEBUG", "INFO", "WARNING", "ERROR")
    return None if str(value).upper() in levels else f"expected one of {', '.join(levels)}, got {value!r}"


def _timezone(value: Any) -> str | None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        return f"unknown time zone {value!r}"
    return None


def _amounts(value: Any) -> str | None:
    """`leads.usual_size_by_kind`: a positive amount per kind of structure."""
    for name, amount in value.items():
        if isinstance(amount, bool) or not isinstance(amount, (int, float)) or amount <= 0:
            return f"{name}: expected an amount in euros above 0, got {amount!r}"
    return None


SCHEMA: dict[str, Any] = {
    "archive": {
        "path": Setting(str, "data/watch.db", doc="SQLite archive, relative to the configuration's directory"),
    },
    "private": {
        "path": Setting(
            str, "private/watch-private.db", doc="subscribers, their digests and feedback: never given to analysts"
        ),
        "key_file": Setting(
            str, "private/secret.key", doc="key that signs the digests' links (created 0600; WATCH_SECRET_KEY wins)"
        ),
    },
    "sources": {
        "boamp": {
            "enabled": Setting(bool, True),
            "url": Setting(
                str,
                "https://boamp-datadila.opendatasoft.com/api/explore/v2.1/catalog/datasets/boamp",
                _url,
                "dataset base URL; /records and /exports/json are appended",
            ),
            "first_run_days": Setting(int, 3, _positive, "days read on the very first run"),
            "page_size": Setting(int, 100, lambda v: None if 0 < v <= 100 else "expected 1..100 (API max)"),
        },
        "ted": {
            "enabled": Setting(bool, True),
            "url": Setting(str, "https://api.ted.europa.eu", _url, "Search API base; /v3/notices/search is appended"),
            "scope": Setting(
                str,
                "buyer-country IN (FRA) OR place-of-performance IN (FRA)",
                doc="expert-query clause selecting the notices to watch; empty for every country",
            ),
            "notice_types": Setting(
                list,
                [
                    "pin-only",
                    "pin-rtl",
                    "pin-cfc-standard",
                    "pin-cfc-social",
                    "cn-standard",
                    "cn-social",
                    "cn-desg",
                    "can-standard",
                    "can-social",
                    "can-desg",
                    "veat",
                ],
                _codes,
                "eForms notice types (BT-02); change notices carry their notice's type",
            ),
            "fetch_xml": Setting(bool, True, doc="fetch each notice's eForms XML (lots, conditions, results)"),
            "first_run_days": Setting(int, 3, _positive),
            "page_size": Setting(int, 250, lambda v: None if 0 < v <= 250 else "expected 1..250 (API max)"),
            "delay": Setting(float, 0.1, lambda v: None if v >= 0 else "expected 0 or more seconds"),
        },
        "approch": {
            "enabled": Setting(bool, False, doc="opt in (the shipped config.yaml does): APProch purchase programmes"),
            "url": Setting(
                str,
                "https://data.economie.gouv.fr/api/explore/v2.1/catalog/datasets/projets-dachats-publics",
                _url,
                "APProch purchase programmes (open data); /records and /exports/json are appended",
            ),
            "past_days": Setting(
                int,
                30,
                lambda v: None if v >= 0 else "expected 0 or more days",
                "projects expected up to this many days ago are read again (late calls still to link)",
            ),
            "horizon_days": Setting(int, 540, _positive, "projects expected up to this many days ahead are read"),
            "first_run_days": Setting(int, 3, _positive, "unused: every run reads the whole horizon"),
            "page_size": Setting(int, 100, lambda v: None if 0 < v <= 100 else "expected 1..100 (API max)"),
        },
        "decp": {
            "enabled": Setting(bool, False, doc="awarded contracts: off until an operator picks the files"),
            "url": Setting(
                (str, list),
                ["https://www.data.gouv.fr/api/1/datasets/r/22847056-61df-452d-837d-8b8ceadbfc52"],
                _urls,
                "DECP file(s): 2.0.x JSON, the consolidated decp.csv or a flattened CSV (format read from the content)",
            ),
            "max_mb": Setting(int, 4096, _positive, "largest file downloaded, in MB (decp.csv is about 2.5 GB)"),
        },
    },
    "platforms": {
        "delay": Setting(
            float,
            1.0,
            lambda v: None if v >= 0 else "expected 0 or more seconds",
            "seconds between two requests to one platform (AutoThrottle adapts above it)",
        ),
        "atexo": Setting(
            list,
            [
                {
                    "name": "maximilien",
                    "url": "https://marches.maximilien.fr",
                    "feed": "rssCS.xml",
                    # the Games' buyers: Paris 2024, SOLIDEO, Ville de Paris, Métropole du Grand Paris, Plaine
                    # Commune, Seine-Saint-Denis, Saint-Denis, Est Ensemble, GIP ambition olympique, SPL Le
                    # Bourget, Plaine Commune Développement, OPH Plaine Commune, CASVP
                    "buyers": [
                        "m1w",
                        "h6b",
                        "r8t",
                        "d7x",
                        "p2q",
                        "cd-93-rsem",
                        "b4f",
                        "v8x",
                        "d6e",
                        "i2b",
                        "d5g",
                        "b4k",
                        "b4e",
                        "d5b",
                    ],
                },
                {"name": "place", "url": "https://www.marches-publics.gouv.fr", "feed": "rssTr.xml", "buyers": []},
            ],
            lambda v: _entries(v, {"name", "url"}, {"feed", "buyers", "detail"}),
            "Atexo MPE platforms to follow",
        ),
        "sites": Setting(
            list,
            [],
            lambda v: _entries(
                v,
                {"name", "url", "item", "title", "link"},
                {
                    "deadline",
                    "reference",
                    "buyer",
                    "place",
                    "description",
                    "cpv",
                    "next",
                    "max_pages",
                    "detail",
                    "buyer_name",
                },
            ),
            "other buyer sites, described by selectors",
        ),
        "feeds": Setting(list, [], lambda v: _entries(v, {"name", "url"}, {"buyer"}), "RSS/Atom feeds of buyers"),
    },
    "classify": {
        "taxonomy": Setting(str, "", doc="the themes as data (phrases, CPV, descriptors); empty: the shipped file"),
        "weights": Setting(str, "", doc="per-theme evidence weights and thresholds (fitted); empty: the shipped file"),
    },
    "event": {
        "name": Setting(str, "Paris 2024", doc="the event notices are checked against; empty name: none"),
        "buyers": Setting(
            list,
            [
                "SOLIDEO",
                "Société de livraison des ouvrages olympiques",
                "Comité d'organisation des jeux olympiques",
                "Paris 2024",
                "COJOP",
            ],
            _codes,
            "buyers whose every notice is tied to the event",
        ),
        "host_buyers": Setting(
            list,
            ["Ville de Paris", "Métropole du Grand Paris", "Seine-Saint-Denis", "Plaine Commune"],
            _codes,
            "buyers named as context when a notice is tied to the event by its words",
        ),
        "phrases": Setting(
            list,
            [
                "jeux olympiques",
                "jeux olympiques et paralympiques",
                "jeux paralympiques",
                "JOP 2024",
                "JOP",
                "JOPP",
                "Paris 2024",
                "village des athlètes",
                "village olympique",
                "village des médias",
                "site olympique",
                "sites olympiques",
                "centre aquatique olympique",
                "olympiade",
                "olympic games",
                "paralympic games",
            ],
            _codes,
            "words tying a notice to the event",
        ),
    },
    "alerts": {
        "sender": Setting(str, "Veille marchés publics ESS <veille@example.org>", doc="From: of the digests"),
        "public_url": Setting(str, "http://127.0.0.1:8080", _url, "base of the unsubscribe and feedback links"),
        "listen": Setting(str, "127.0.0.1:8080", _hostport, "address of the HTTP endpoint started by serve"),
        "unsubscribe_mailto": Setting(str, "desabonnement@example.org", doc="mailto: of List-Unsubscribe"),
        "smtp_url": Setting(str, "", doc="smtp://user@host:port or smtps://...; empty: .eml files in outbox_dir"),
        "outbox_dir": Setting(
            str, "private/outbox", doc="where the file transport writes .eml messages (private: addresses, links)"
        ),
        "max_items": Setting(int, 25, _positive, "tenders shown in one digest (then 'and N more')"),
        "max_per_run": Setting(int, 500, _positive, "digests sent per run at most"),
        "rate_per_minute": Setting(float, 120.0, _positive, "digests per minute at most"),
        "first_digest_days": Setting(int, 14, _positive, "how far back a new subscriber's first digest looks"),
    },
    "newsletter": {
        "themes": Setting(list, [], _codes, "themes the newsletter covers (empty: all ten)"),
        "event": Setting(bool, True, doc="include notices tied to the event"),
        "social_flags": Setting(bool, True, doc="include reserved contracts and insertion clauses"),
        "departements": Setting(list, [], _codes, "limit to these départements (empty: all)"),
        "intro_dir": Setting(str, "data/newsletter/intro", doc="the editors' introductions: <week>.md"),
        "out_dir": Setting(str, "data/newsletter", doc="where the four formats are written"),
        "cron": Setting(str, "0 7 * * mon", _cron, "when serve compiles (and mails) the last complete week"),
        "editors": Setting(list, [], _codes, "e-mail addresses that receive the draft"),
    },
    "leads": {
        "large_sizes": Setting(list, ["ETI", "GE"], _codes, "company sizes (register) that make a winner large"),
        "large_multiple": Setting(
            float, 3.0, _positive, "an open tender above this multiple of a structure's usual size: groupement possible"
        ),
        "usual_size": Setting(
            float, 150000.0, _positive, "a small structure's usual contract (euros HT) when it sets no value_max"
        ),
        "usual_size_by_kind": Setting(
            dict, {}, _amounts, "the usual size per kind of structure (EI, ESAT, association...), euros HT"
        ),
        "min_lots": Setting(int, 2, _positive, "a call with at least this many lots: groupement possible"),
        "min_departements": Setting(int, 2, _positive, "a call over at least this many départements: groupement"),
        "award_days": Setting(int, 365, _positive, "how far back the digests look for awards won by large firms"),
        "max_items": Setting(int, 10, _positive, "partnering leads shown in one digest"),
    },
    "crawl": {
        "user_agent": Setting(
            str, "ess-tender-watch/0.1 (+https://github.com/ess-tender-watch; contact: watch@example.org)"
        ),
        "concurrent_requests": Setting(int, 8, _positive),
        "retry_times": Setting(int, 4, _positive, "retries of a 5xx, a timeout or a truncated body"),
        "max_retry_after": Setting(int, 600, _positive, "longest Retry-After (seconds) we wait on a 429"),
        "timeout": Setting(int, 60, _positive, "seconds per request"),
    },
    "schedule": {
        "timezone": Setting(str, "Europe/Paris", _timezone),
        "cron": Setting(
            str,
            "15 8,14 * * mon-sun",
            _cron,
            "when `serve` runs the watch: each crawl, then "
            "classify, then alerts (jobs firing together run in that order, one at a time)",
        ),
        "jobs": Setting(
            dict,
            {},
            _jobs,
            "a cron per job, overriding schedule.cron: boamp, ted, atexo, sites, feeds, classify, alerts, newsletter",
        ),
        "misfire_grace": Setting(int, 3600, _positive, "seconds a late job may still start (else it is skipped)"),
    },
    "alarms": {
        "operators": Setting(list, [], _codes, "e-mail addresses that receive breakage alarms"),
        "failures": Setting(int, 3, _positive, "a source failing this many runs in a row is failing"),
        "usual_weeks": Setting(int, 4, _positive, "weeks of history the usual (median) volume is taken from"),
        "low_ratio": Setting(float, 0.25, _ratio, "a publishing day below this share of the usual is an alarm"),
        "min_usual": Setting(int, 10, _positive, "a weekday whose usual volume is below this is not a publishing day"),
        "quarantine_min": Setting(int, 20, _positive, "quarantined records in one run before it can be a spike"),
        "quarantine_share": Setting(float, 0.05, _ratio, "share of a run's records quarantined that is a spike"),
        "min_free_mb": Setting(int, 500, _positive, "free disk space under the archive below this is an alarm"),
    },
    "exports": {
        "ocid_prefix": Setting(
            str,
            "ocds-xxxxxx-ess",
            _ocid_prefix,
            "prefix of the OCDS ocid of each procedure (register one at the Open Contracting Partnership)",
        ),
    },
    "observatory": {
        "out_dir": Setting(
            str, "data", doc="where the observatory's reports are written (observatory-<period>.html/.csv)"
        ),
        "targets": Setting(
            dict,
            {"sme_ess": 0.25, "insertion_hours": 0.10},
            _targets,
            "the charter's targets: share of amounts to TPE/PME/ESS, share of hours reserved for insertion",
        ),
        "by": Setting(
            str,
            "theme",
            lambda v: (
                None
                if v in ("buyer", "theme", "month", "departement")
                else f"expected buyer, theme, month or departement, got {v!r}"
            ),
            "the report's detailed grouping when --by is not given",
        ),
        "cron": Setting(str, "0 6 1 1,4,7,10 *", _cron, "when serve writes the report of the quarter just closed"),
    },
    "companies": {
        "files": Setting(
            list,
            [],
            _codes,
            "register files the companies job reloads (Sirene stock, ESS subset, SIAE JSON, EA/ESAT CSV), relative "
            "to the configuration's directory; a kind may be given as kind:path (sirene, ess, siae, list)",
        ),
        "winners_only": Setting(
            bool, True, doc="keep only the legal units that hold an archived contract (the Sirene stock is ~30 M)"
        ),
        "cron": Setting(str, "30 6 3 * *", _cron, "when serve reloads companies.files (INSEE's stock is monthly)"),
    },
    "maintenance": {
        "raw_days": Setting(int, 180, _positive, "prune drops raw source payloads older than this (notices kept)"),
    },
    "logging": {
        "level": Setting(str, "INFO", _level),
        "file": Setting(str, "data/logs/watch.log", doc="rotating log file; empty for stderr only"),
    },
}

# Environment overrides: per-deployment values and secrets. One table, documented in the README.
ENV_OVERRIDES: dict[str, str] = {
    "WATCH_DB": "archive.path",
    "WATCH_PRIVATE_DB": "private.path",
    "WATCH_KEY_FILE": "private.key_file",
    "WATCH_BOAMP_URL": "sources.boamp.url",
    "WATCH_TED_URL": "sources.ted.url",
    "WATCH_APPROCH_URL": "sources.approch.url",
    "WATCH_TED_SCOPE": "sources.ted.scope",
    "WATCH_TED_NOTICE_TYPES": "sources.ted.notice_types",
    "WATCH_DECP_URL": "sources.decp.url",
    "WATCH_DECP_ENABLED": "sources.decp.enabled",
    "WATCH_LOG_LEVEL": "logging.level",
    "WATCH_LOG_FILE": "logging.file",
    "WATCH_USER_AGENT": "crawl.user_agent",
    "WATCH_SMTP_URL": "alerts.smtp_url",
    "WATCH_PUBLIC_URL": "alerts.public_url",
    "WATCH_OUTBOX_DIR": "alerts.outbox_dir",
    "WATCH_PLATFORMS_ATEXO": "platforms.atexo",
    "WATCH_PLATFORMS_SITES": "platforms.sites",
    "WATCH_PLATFORMS_FEEDS": "platforms.feeds",
    "WATCH_LISTEN": "alerts.listen",
    "WATCH_OPERATORS": "alarms.operators",
    "WATCH_EDITORS": "newsletter.editors",
    "WATCH_NEWSLETTER_DIR": "newsletter.out_dir",
    "WATCH_SCHEDULE_CRON": "schedule.cron",
    "WATCH_OBSERVATORY_DIR": "observatory.out_dir",
    "WATCH_COMPANIES_FILES": "companies.files",
}


class Config:
    """Validated settings, read by dotted path: `config["sources.boamp.url"]`."""

    def __init__(self, values: dict[str, Any], path: Path):
        self._values = values
        self.path = path
        self.base = path.resolve().parent  # relative paths are read from the configuration's directory

    def __getitem__(self, dotted: str) -> Any:
        node: Any = self._values
        for part in dotted.split("."):
            node = node[part]
        return node

    def as_dict(self) -> dict[str, Any]:
        return copy.deepcopy(self._values)

    def resolve_path(self, dotted: str) -> Path:
        """A path setting, relative to the configuration file's directory unless absolute."""
        p = Path(self[dotted])
        return p if p.is_absolute() else self.base / p

    def optional_path(self, dotted: str) -> Path | None:
        """A path setting that may be empty (None: use the file shipped with the package)."""
        return self.resolve_path(dotted) if str(self[dotted]).strip() else None

    def error(self, dotted: str, reason: str) -> ConfigError:
        """A ConfigError naming this file and the key, for checks made above this package (job names)."""
        return ConfigError(f"{self.path}: {dotted}: {reason}")


def _defaults(schema: dict[str, Any]) -> dict[str, Any]:
    return {k: _defaults(s) if isinstance(s, dict) else copy.deepcopy(s.default) for k, s in schema.items()}


def _validate(data: Any, schema: dict[str, Any], where: str, file: str) -> dict[str, Any]:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{file}: {where or 'top level'}: expected a mapping, got {type(data).__name__}")
    out = _defaults(schema)
    for key, value in data.items():
        path = f"{where}.{key}" if where else str(key)
        if key not in schema:
            raise ConfigError(f"{file}: {path}: unknown key (expected one of: {', '.join(schema)})")
        spec = schema[key]
        if isinstance(spec, dict):
            out[key] = _validate(value, spec, path, file)
            continue
        kinds = spec.kind if isinstance(spec.kind, tuple) else (spec.kind,)
        if float in kinds and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if isinstance(value, bool) and bool not in kinds or not isinstance(value, kinds):
            names = " or ".join(k.__name__ for k in kinds)
            raise ConfigError(f"{file}: {path}: expected {names}, got {type(value).__name__} {value!r}")
        if spec.check:
            reason = spec.check(value)
            if reason:
                raise ConfigError(f"{file}: {path}: {reason}")
        out[key] = value
    return out


def _coerce_env(raw: str, spec: Setting) -> Any:
    kinds = spec.kind if isinstance(spec.kind, tuple) else (spec.kind,)
    if bool in kinds:
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if int in kinds:
        return int(raw)
    if float in kinds:
        return float(raw)
    if list in kinds:  # a JSON list, or comma-separated words; empty for none
        if raw.strip().startswith("["):
            return json.loads(raw)
        return [x.strip() for x in raw.split(",") if x.strip()]
    return raw


def _spec(dotted: str) -> Setting:
    node: Any = SCHEMA
    for part in dotted.split("."):
        node = node[part]
    return node


def load(path: str | Path | None = None, env: dict[str, str] | None = None) -> Config:
    """Read, override from the environment, validate. Raises ConfigError naming the bad key."""
    env = dict(os.environ if env is None else env)
    explicit = path or env.get("WATCH_CONFIG")
    path = Path(explicit or DEFAULT_NAME)
    file = str(path)
    if path.exists():
        try:
            data = yamlfile.safe_load(path.read_text(encoding="utf-8"))
        except yamlfile.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            at = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
            raise ConfigError(f"{file}: not valid YAML{at}: {getattr(exc, 'problem', exc)}") from exc
    elif not explicit:  # no config.yaml here: every default
        data = {}
    else:
        raise ConfigError(f"{file}: no such configuration file")
    if data is None:
        data = {}
    for var, dotted in ENV_OVERRIDES.items():
        if not isinstance(data, dict) or var not in env:
            continue
        *parents, last = dotted.split(".")
        node = data
        for part in parents:
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        try:
            node[last] = _coerce_env(env[var], _spec(dotted))
        except ValueError as exc:
            raise ConfigError(f"environment {var} ({dotted}): {exc}") from exc
    try:
        values = _validate(data, SCHEMA, "", file)
    except ConfigError as exc:  # a bad value set by the environment: name the variable, not the file
        message = str(exc)
        for var, dotted in ENV_OVERRIDES.items():
            if var in env and message.startswith(f"{file}: {dotted}:"):
                raise ConfigError(f"environment {var} ({message.removeprefix(f'{file}: ')})") from None
        raise
    return Config(values, path)
