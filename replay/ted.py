"""The TED Search API v3 and notice XML, replayed from recorded responses and eForms notices.

`POST /v3/notices/search` follows the API's rules (TED reference §1.2, §1.7): `query` and `fields` are
required, unknown keys are refused, `limit` at most 250 and `limit x fields` at most 10,000, PAGE_NUMBER
mode capped at 15,000 notices, ITERATION mode driven by an opaque `iterationNextToken`. Like the live
service as one client reports, a token is still returned with the last page (the next call then returns
no notices): clients must guard against it. `GET /en/notice/{publication-number}/xml` serves the XML.

Recorded search results come from real API responses; the eForms example notices, which have no recorded
search result, get one read from their own XML with plain XPath (`search_record_from_eforms`, independent
of the watch's parser in notices/), so the spider follows their XML link as it would on TED.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from lxml import etree

from replay.server import ReplayServer, Request, Response
from replay.tedq import TedQueryError, compile_query

SEARCH_PATH = "/v3/notices/search"
XML_PATH = "/en/notice/"
KNOWN_KEYS = {
    "query",
    "fields",
    "page",
    "limit",
    "scope",
    "checkQuerySyntax",
    "paginationMode",
    "onlyLatestVersions",
    "iterationNextToken",
}


def _error(status: int, kind: str, message: str) -> Response:
    return Response(status, json.dumps({"type": kind, "message": message}).encode())


NS = {
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "ext": "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2",
    "efac": "http://data.europa.eu/p27/eforms-ubl-extension-aggregate-components/1",
    "efext": "http://data.europa.eu/p27/eforms-ubl-extensions/1",
    "efbc": "http://data.europa.eu/p27/eforms-ubl-extension-basic-components/1",
}
EXT = "ext:UBLExtensions/ext:UBLExtension/ext:ExtensionContent/efext:EformsExtension"
PREFERRED_LANGUAGES = ("FRA", "fra", "FR", "ENG", "eng")


def _texts(node: Any, path: str) -> list[str]:
    return [t for t in (" ".join(el.itertext()).strip() for el in node.xpath(path, namespaces=NS)) if t]


def _first(node: Any, path: str) -> str | None:
    found = _texts(node, path)
    return found[0] if found else None


def _name(node: Any, path: str) -> str | None:
    """A text given in several languages: the French one, else the English one, else all of them."""
    elements = [el for el in node.xpath(path, namespaces=NS) if "".join(el.itertext()).strip()]
    by_lang = {el.get("languageID"): el for el in elements}
    for lang in PREFERRED_LANGUAGES:
        if lang in by_lang:
            return "".join(by_lang[lang].itertext()).strip()
    return "\n".join("".join(el.itertext()).strip() for el in elements) or None


def _unique(values: Iterable[str | None]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def search_record_from_eforms(xml: bytes, fallback_number: int) -> dict[str, Any]:
    """The search-API record TED would return for an eForms notice (the fields the watch asks for).

    Read with plain XPath, independently of the watch's own eForms parser (notices/), so that a bug in
    the parser does not hide behind an answer the replay derived with the same parser.
    """
    doc = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    ext = doc.xpath(EXT, namespaces=NS)
    ext = ext[0] if ext else doc
    published = _first(ext, "efac:Publication/efbc:PublicationDate") or _first(doc, "cbc:IssueDate") or ""
    pubno = _first(ext, "efac:Publication/efbc:NoticePublicationID") or f"{fallback_number}-{published[:4]}"
    lang = (_first(doc, "cbc:NoticeLanguageCode") or "ENG").lower()
    companies = ext.xpath("efac:Organizations/efac:Organization/efac:Company", namespaces=NS)
    by_id = {}
    for company in companies:
        org_id = _first(company, "cac:PartyIdentification/cbc:ID")
        if org_id and org_id not in by_id:  # the first organisation of an id, as TED indexes it
            by_id[org_id] = company
    ids = [
        _first(el, ".")
        for el in doc.xpath("cac:ContractingParty/cac:Party/cac:PartyIdentification/cbc:ID", namespaces=NS)
    ]
    names = [_name(by_id[i], "cac:PartyName/cbc:Name") for i in ids if i in by_id]
    countries = [
        _first(company, "cac:PostalAddress/cac:Country/cbc:IdentificationCode")
        for company in companies
        if _first(company, "cac:PartyIdentification/cbc:ID") in ids
    ]
    project = "cac:ProcurementProject[1]"
    return {
        "publication-number": pubno,
        "notice-identifier": _first(doc, "cbc:ID"),
        "procedure-identifier": _first(doc, "cbc:ContractFolderID"),
        "notice-type": _first(doc, "cbc:NoticeTypeCode"),
        "notice-subtype": _first(ext, "efac:NoticeSubType/cbc:SubTypeCode"),
        "publication-date": published,
        "title-proc": {lang: _name(doc, f"{project}/cbc:Name")},
        "buyer-name": {lang: [n for n in names if n]},
        "buyer-country": _unique(countries),
        "classification-cpv": _unique(
            _texts(doc, f"{project}/cac:MainCommodityClassification/cbc:ItemClassificationCode")
        ),
        "links": {
            "xml": {"MUL": f"https://ted.europa.eu/en/notice/{pubno}/xml"},
            "html": {"ENG": f"https://ted.europa.eu/en/notice/-/detail/{pubno}"},
        },
    }


def load_corpus(paths: Iterable[str | Path]) -> tuple[list[dict[str, Any]], dict[str, bytes]]:
    """Search records and XML by publication number from recorded API responses (*.json) and eForms (*.xml)."""
    notices: list[dict[str, Any]] = []
    xml: dict[str, bytes] = {}
    for path in paths:
        p = Path(path)
        files = sorted(p.iterdir()) if p.is_dir() else [p]
        xml_files = 0
        for f in files:
            if f.suffix == ".json":
                data = json.loads(f.read_text(encoding="utf-8"))
                notices.extend(data["notices"] if isinstance(data, dict) else data)
            elif f.suffix == ".xml":
                body = f.read_bytes()
                xml_files += 1
                record = search_record_from_eforms(body, 900000 + xml_files)
                notices.append(record)
                xml[record["publication-number"]] = body
    seen: set[str] = set()
    unique = []
    for n in notices:  # a recorded response may repeat a notice; the index holds it once
        key = str(n.get("publication-number") or n.get("ND"))
        if key not in seen:
            seen.add(key)
            unique.append(n)
    return unique, xml


def _token(query: str, offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps([query, offset]).encode()).decode()


class TedDataset:
    def __init__(
        self,
        notices: list[dict[str, Any]],
        xml: dict[str, bytes] | None = None,
        *,
        known_fields: set[str] | None = None,
    ):
        self.notices = notices
        self.xml = xml or {}
        self.known_fields = known_fields  # the API's field enum: other names are refused, as live
        self.timeouts = 0  # the next N searches answer timedOut: true
        self.base = ""
        self._select = lru_cache(maxsize=64)(self._select_uncached)

    def _select_uncached(self, query: str) -> tuple[int, ...]:
        pred, sort_field, desc = compile_query(query)
        idx = [i for i, n in enumerate(self.notices) if pred(n)]
        if sort_field:
            idx.sort(key=lambda i: str(self.notices[i].get(sort_field) or ""), reverse=desc)
        return tuple(idx)

    def _project(self, notice: dict[str, Any], fields: list[str]) -> dict[str, Any]:
        out = {f: notice[f] for f in fields if f in notice}
        if "links" in out:
            pubno = str(notice.get("publication-number") or notice.get("ND"))
            out["links"] = {**out["links"], "xml": {"MUL": f"{self.base}{XML_PATH}{pubno}/xml"}}
        return out

    def search_endpoint(self, req: Request) -> Response:
        try:
            body = json.loads(req.body or b"{}")
        except json.JSONDecodeError:
            return _error(400, "BAD_REQUEST", "request body is not JSON")
        unknown = set(body) - KNOWN_KEYS
        if unknown:
            return _error(400, "BAD_REQUEST", f"Unrecognized field {sorted(unknown)[0]!r}")
        query, fields = body.get("query"), body.get("fields")
        if not query or not fields:
            return _error(400, "BAD_REQUEST", "query and fields are required")
        if self.known_fields is not None:
            unknown_fields = [f for f in fields if f not in self.known_fields]
            if unknown_fields:
                return _error(400, "BAD_REQUEST", f"unknown field {unknown_fields[0]!r}")
        limit = int(body.get("limit", 10))
        if limit > 250:
            return _error(400, "SEARCH_EXCEEDS_MAX_LIMIT", "limit must be at most 250")
        if limit * len(fields) > 10_000:
            return _error(400, "SEARCH_EXCEEDS_MAX_LIMIT", "limit x number of fields must be at most 10000")
        if self.timeouts > 0:
            self.timeouts -= 1
            return Response(200, json.dumps({"notices": [], "totalNoticeCount": 0, "timedOut": True}).encode())
        try:
            idx = self._select(query)
        except TedQueryError as exc:
            return _error(400, "QUERY_SYNTAX_ERROR", str(exc))
        iteration = body.get("paginationMode") == "ITERATION"
        if iteration:
            offset = 0
            if body.get("iterationNextToken"):
                try:
                    token_query, offset = json.loads(base64.urlsafe_b64decode(body["iterationNextToken"]))
                except (ValueError, TypeError):
                    return _error(400, "INVALID_ITERATION_TOKEN", "invalid iteration token")
                if token_query != query:
                    return _error(400, "INVALID_ITERATION_TOKEN", "token from another query")
        else:
            offset = (int(body.get("page", 1)) - 1) * limit
            if offset + limit > 15_000:
                return _error(400, "SEARCH_WINDOW_TOO_WIDE", "page x limit must be at most 15000")
        page = [self._project(self.notices[i], fields) for i in idx[offset : offset + limit]]
        # a token comes back with the last page too (and with the empty page after it), as observed live
        token = _token(query, offset + len(page)) if iteration and (page or offset <= len(idx)) else None
        payload = {"notices": page, "totalNoticeCount": len(idx), "iterationNextToken": token, "timedOut": False}
        return Response(200, json.dumps(payload, ensure_ascii=False).encode())

    def xml_endpoint(self, req: Request) -> Response:
        pubno = req.path[len(XML_PATH) :].split("/")[0]
        body = self.xml.get(pubno)
        if body is None:
            return Response(404, b"<error>notice not found</error>", content_type="application/xml")
        return Response(200, body, content_type="application/xml; charset=utf-8")

    def mount(self, server: ReplayServer) -> str:
        """Register the routes; returns the API base URL to give the spider (WATCH_TED_URL)."""
        self.base = server.url
        server.route("POST", SEARCH_PATH, self.search_endpoint)
        server.route("GET", XML_PATH, self.xml_endpoint)
        return server.url
