"""eForms XML -> the xmltodict-style tree that `notices.eforms` reads (the shape BOAMP ships in `donnees`).

Element names get canonical prefixes by namespace URI (cbc, cac, ext, efac, efbc, efext), whatever prefixes
the document declares; attributes become "@name"; text beside attributes or children becomes "#text"; a
repeated child becomes a list. Comments and processing instructions are dropped. lxml parses with entity
resolution and network access off: notices are untrusted input.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from settings import WatchError

PREFIXES = {
    "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2": "cbc",
    "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2": "cac",
    "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2": "ext",
    "http://data.europa.eu/p27/eforms-ubl-extension-aggregate-components/1": "efac",
    "http://data.europa.eu/p27/eforms-ubl-extension-basic-components/1": "efbc",
    "http://data.europa.eu/p27/eforms-ubl-extensions/1": "efext",
}
_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, remove_comments=True, remove_pis=True, huge_tree=False
)


class NotProcurement(WatchError, ValueError):
    """An eForms notice that is not about procurement (X01/X02 business registration): skipped, not an error."""


NON_PROCUREMENT_ROOTS = ("BusinessRegistrationInformationNotice",)
NON_PROCUREMENT_TYPES = ("brin-eeig", "brin-ecs")  # BT-02 of X01 (EEIG) and X02 (European company)


class NotEforms(WatchError, ValueError):
    """The document is XML but not an eForms notice (e.g. a legacy TED_EXPORT R2.0.9 notice)."""


def _name(tag: str, root: bool = False) -> str:
    if tag.startswith("{"):
        uri, local = tag[1:].split("}", 1)
        prefix = PREFIXES.get(uri)
        if prefix and not root:
            return f"{prefix}:{local}"
        return local
    return tag


def _convert(el: Any) -> Any:
    children = [c for c in el if isinstance(c.tag, str)]
    attrs = {
        f"@{_name(k)}": v
        for k, v in el.attrib.items()
        if not k.startswith("{http://www.w3.org/2001/XMLSchema-instance}")
    }
    text = (el.text or "").strip()
    if not children and not attrs:
        return text
    node: dict[str, Any] = dict(attrs)
    for child in children:
        key = _name(child.tag)
        value = _convert(child)
        if key in node:
            if not isinstance(node[key], list):
                node[key] = [node[key]]
            node[key].append(value)
        else:
            node[key] = value
    if text:
        node["#text"] = text
    return node


def tree_from_xml(data: bytes | str) -> dict[str, Any]:
    """Parse an eForms notice; raises NotEforms for XML of another kind, ValueError for broken XML."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"invalid XML: {exc}") from exc
    name = _name(root.tag, root=True)
    if name in NON_PROCUREMENT_ROOTS:
        raise NotProcurement(f"not a procurement notice ({name}, X01/X02)")
    if name not in ("ContractNotice", "ContractAwardNotice", "PriorInformationNotice"):
        raise NotEforms(f"not an eForms notice (root element {name})")
    return {name: _convert(root)}
