"""eForms (UBL 2.3 + eForms extensions) notices mapped into the normalized notice.

Works on the xmltodict-style tree ("cbc:Name": {"@languageID": "FRA", "#text": ...}) that BOAMP ships in
`donnees.EFORMS`, and on eForms XML once turned into the same tree (`tree_from_xml`), so BOAMP JOUE notices
and TED notices share one parser. Field paths follow the eForms SDK business terms (BT-xx in comments).
The buyer is the contracting party's organisation (OPT-300), never the eSender (ORG acting as
ServiceProviderParty), which is often ORG-0001.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from notices import values as v
from notices.checks import RecordError
from notices.dates import deadline, parse_date
from notices.model import Award, Buyer, Lot, Notice, SocialSignal
from notices.nuts import departements_from_nuts, place_from_nuts
from notices.stated import Stated

ROOTS = ("ContractNotice", "ContractAwardNotice", "PriorInformationNotice")

_KIND_BY_TYPE_PREFIX = (
    ("pin-", "prior_information"),
    ("cn-", "contract_notice"),
    ("subco", "contract_notice"),
    ("qu-sy", "contract_notice"),
    ("can-modif", "other"),
    ("can-", "award"),
    ("veat", "other"),
)
_KIND_BY_ROOT = {
    "PriorInformationNotice": "prior_information",
    "ContractNotice": "contract_notice",
    "ContractAwardNotice": "award",
}
_NATURE = {"works": "works", "services": "services", "supplies": "supplies"}
_SME_SIZES = {"micro", "small", "medium", "sme"}


# BT-775 social objective: "social-objective" since SDK 1.1, "social-procurement" before.
SOCIAL_OBJECTIVE_LISTS = ("social-objective", "social-procurement")


def is_lots_group(lot: Any) -> bool:
    """Whether a cac:ProcurementProjectLot is a group of lots (BT-137-LotsGroup, "GLO-0001"), not a lot."""
    node = v.get(lot, "cbc:ID")
    scheme = node.get("@schemeName") if isinstance(node, dict) else None
    return scheme == "LotsGroup" or (v.text(node) or "").upper().startswith("GLO-")


def kind_of_notice_type(code: str) -> str:
    """eForms notice type (BT-02: pin-only, cn-social, can-standard, veat, ...) -> normalized kind."""
    return next((kind for prefix, kind in _KIND_BY_TYPE_PREFIX if code.startswith(prefix)), "other")


@dataclass
class Organisation:
    org_id: str
    name: str | None
    company_id: str | None
    city: str | None
    postal_code: str | None
    nuts: str | None
    size: str | None


def extension(node: Any) -> Any:
    return v.get(node, "ext:UBLExtensions", "ext:UBLExtension", "ext:ExtensionContent", "efext:EformsExtension")


def organisations(doc: dict) -> dict[str, Organisation]:
    orgs: dict[str, Organisation] = {}
    for org in v.get_all(extension(doc), "efac:Organizations", "efac:Organization"):
        company = v.get(org, "efac:Company")
        org_id = v.text(v.get(company, "cac:PartyIdentification", "cbc:ID"))
        if not org_id:
            continue
        orgs[org_id] = Organisation(
            org_id=org_id,
            name=v.text(v.get(company, "cac:PartyName", "cbc:Name")),
            company_id=v.text(v.get(company, "cac:PartyLegalEntity", "cbc:CompanyID")),
            city=v.text(v.get(company, "cac:PostalAddress", "cbc:CityName")),
            postal_code=v.text(v.get(company, "cac:PostalAddress", "cbc:PostalZone")),
            nuts=v.text(v.get(company, "cac:PostalAddress", "cbc:CountrySubentityCode")),
            size=v.text(v.get(company, "efbc:CompanySizeCode")),
        )
    return orgs


def buyer_ids(doc: dict) -> list[str | None]:
    """Organisation ids of the contracting parties (OPT-300), not of their service providers (eSenders)."""
    return [v.text(i) for i in v.get_all(doc, "cac:ContractingParty", "cac:Party", "cac:PartyIdentification", "cbc:ID")]


def _coded(nodes: Any, list_name: str, code_tag: str) -> list[tuple[Any, str]]:
    """(parent node, code) for children whose code element carries @listName == list_name."""
    out = []
    for node in v.as_list(nodes):
        code = v.get(node, code_tag)
        if isinstance(code, dict) and code.get("@listName") == list_name:
            t = v.text(code)
            if t:
                out.append((node, t))
    return out


def _project_fields(project: Any) -> tuple[str | None, str | None, list[str], list[str], str | None]:
    """(title, description, cpv, nuts, city) of a cac:ProcurementProject (procedure or lot level)."""
    cpv = v.cpv_codes(
        [v.get(project, "cac:MainCommodityClassification", "cbc:ItemClassificationCode")]
        + list(v.get_all(project, "cac:AdditionalCommodityClassification", "cbc:ItemClassificationCode"))
    )
    addresses = list(v.get_all(project, "cac:RealizedLocation", "cac:Address"))
    nuts = v.unique(v.text(v.get(a, "cbc:CountrySubentityCode")) for a in addresses)
    city = v.join_text(*(v.get(a, "cbc:CityName") for a in addresses), sep=", ")
    place = city or v.join_text(*(v.get(a, "cbc:Description") for a in addresses), sep=", ")
    return (
        v.text(v.get(project, "cbc:Name")),
        v.text(v.get(project, "cbc:Description")),
        cpv,
        nuts,
        place,
    )


def _social_signals(node: Any, where: str) -> list[SocialSignal]:
    """BT-71, BT-736, BT-70, BT-06/BT-777, BT-775 and award-criteria names of a lot (or the procedure)."""
    out: list[SocialSignal] = []
    terms = v.get(node, "cac:TenderingTerms")
    for _, code in _coded(
        [v.get(q, "cac:SpecificTendererRequirement") for q in v.get_all(terms, "cac:TendererQualificationRequest")],
        "reserved-procurement",
        "cbc:TendererRequirementTypeCode",
    ):
        if code != "none":
            out.append(SocialSignal("reserved_procurement", code, f"{where} BT-71"))
    requirements = list(v.get_all(terms, "cac:ContractExecutionRequirement"))
    for _, code in _coded(requirements, "reserved-execution", "cbc:ExecutionRequirementCode"):
        if code == "yes":
            out.append(SocialSignal("reserved_execution", code, f"{where} BT-736"))
    for req, _ in _coded(requirements, "conditions", "cbc:ExecutionRequirementCode"):
        desc = v.text(v.get(req, "cbc:Description"))
        if desc:
            out.append(SocialSignal("execution_conditions", desc, f"{where} BT-70"))
    project = v.get(node, "cac:ProcurementProject")
    additional = list(v.get_all(project, "cac:ProcurementAdditionalType"))
    for extra, code in _coded(additional, "strategic-procurement", "cbc:ProcurementTypeCode"):
        if code != "none":
            out.append(SocialSignal("strategic_procurement", code, f"{where} BT-06"))
            desc = v.text(v.get(extra, "cbc:ProcurementType"))
            if desc:
                out.append(SocialSignal("strategic_procurement_description", desc, f"{where} BT-777"))
    for list_name in SOCIAL_OBJECTIVE_LISTS:
        for _, code in _coded(additional, list_name, "cbc:ProcurementTypeCode"):
            out.append(SocialSignal("social_objective", code, f"{where} BT-775"))
    for crit in v.get_all(terms, "cac:AwardingTerms", "cac:AwardingCriterion", "cac:SubordinateAwardingCriterion"):
        name = v.text(v.get(crit, "cbc:Name")) or v.text(v.get(crit, "cbc:Description"))
        if name:
            out.append(SocialSignal("award_criterion", name, f"{where} BT-734"))
    return out


def _lot_deadline(lot: Any) -> datetime | None:
    process = v.get(lot, "cac:TenderingProcess")
    for period in ("cac:TenderSubmissionDeadlinePeriod", "cac:ParticipationRequestReceptionPeriod"):
        end_date = v.text(v.get(process, period, "cbc:EndDate"))
        if end_date:
            return deadline(end_date, v.text(v.get(process, period, "cbc:EndTime")))
    interest = v.get(extension(process), "efac:InterestExpressionReceptionPeriod")
    end_date = v.text(v.get(interest, "cbc:EndDate"))
    if end_date:
        return deadline(end_date, v.text(v.get(interest, "cbc:EndTime")))
    return None


def _awards(doc: dict, orgs: dict[str, Organisation], lot_numbers: dict[str, str]) -> list[Award]:
    result = v.get(extension(doc), "efac:NoticeResult")
    if not result:
        return []
    tenders = {v.text(v.get(t, "cbc:ID")): t for t in v.get_all(result, "efac:LotTender")}
    parties = {v.text(v.get(p, "cbc:ID")): p for p in v.get_all(result, "efac:TenderingParty")}
    award_dates: dict[str | None, Any] = {}
    for contract in v.get_all(result, "efac:SettledContract"):
        for ref in v.get_all(contract, "efac:LotTender"):
            award_dates[v.text(v.get(ref, "cbc:ID"))] = parse_date(v.text(v.get(contract, "cbc:AwardDate")))
    awards: list[Award] = []
    for lot_result in v.get_all(result, "efac:LotResult"):
        if v.text(v.get(lot_result, "cbc:TenderResultCode")) not in (None, "selec-w"):
            continue
        lot_id = v.text(v.get(lot_result, "efac:TenderLot", "cbc:ID"))
        framework_max = v.get(lot_result, "efac:FrameworkAgreementValues", "cbc:MaximumValueAmount")
        for ref in v.get_all(lot_result, "efac:LotTender"):
            tender_id = v.text(v.get(ref, "cbc:ID"))
            tender = tenders.get(tender_id)
            if tender is None:
                continue
            money = v.get(tender, "cac:LegalMonetaryTotal", "cbc:PayableAmount")
            if v.amount(money) is None:  # framework agreements state a maximum instead (BT-709)
                money = framework_max
            party = parties.get(v.text(v.get(tender, "efac:TenderingParty", "cbc:ID")))
            winners = [orgs.get(v.text(v.get(t, "cbc:ID")) or "") for t in v.get_all(party, "efac:Tenderer")] or [None]
            for org in winners:
                awards.append(
                    Award(
                        winner=org.name if org else None,
                        siret=v.siret(org.company_id) if org else None,
                        amount=v.amount(money),
                        currency=money.get("@currencyID") if isinstance(money, dict) else None,
                        lot=lot_numbers.get(lot_id or "", lot_id),
                        sme=(org.size in _SME_SIZES) if org and org.size else None,
                        award_date=award_dates.get(tender_id),
                    )
                )
    return awards


def root_of(tree: dict) -> tuple[str, dict]:
    """The notice root name and node of an eForms tree (with or without the BOAMP "EFORMS" wrapper)."""
    node = tree.get("EFORMS", tree)
    for name in ROOTS:
        if name in node:
            return name, node[name]
    for name, child in node.items():
        if isinstance(child, dict) and "cbc:ID" in child:
            return name, child
    raise RecordError("no eForms notice root (ContractNotice, ContractAwardNotice, PriorInformationNotice)")


def fill(notice: Notice, tree: dict) -> Notice:
    """Fill `notice` from an eForms tree; fields the tree does not state are left as they are.

    The eForms mapper on its own (an XML file, `run_watch.py inspect`): the title is the procedure's name, the
    deadline the latest lot deadline, when the tree states them. BOAMP and TED call `read` and choose.
    """
    stated = read(notice, tree)
    notice.title = stated.title or notice.title
    notice.deadline = stated.deadline if stated.deadline_stated else notice.deadline
    return notice


def read(notice: Notice, tree: dict) -> Stated:
    """Fill `notice` from an eForms tree, except the title and the deadline: those it states are returned."""
    stated = Stated()
    root, doc = root_of(tree)
    ext = extension(doc)
    orgs = organisations(doc)

    type_code = v.text(v.get(doc, "cbc:NoticeTypeCode"))
    notice.kind = kind_of_notice_type(type_code) if type_code else _KIND_BY_ROOT.get(root, "other")  # type: ignore[assignment]

    changes = v.get(ext, "efac:Changes")
    if changes:
        reasons = [v.text(v.get(r, "cbc:ReasonCode")) for r in v.get_all(changes, "efac:ChangeReason")]
        notice.status = "cancellation" if any(r and r.startswith("cancel") for r in reasons) else "corrigendum"
        for changed in v.get_all(changes, "efbc:ChangedNoticeIdentifier"):
            notice.previous_ids = v.unique([*notice.previous_ids, v.text(changed)])
    for ref in v.get_all(doc, "cac:TenderingProcess", "cac:NoticeDocumentReference", "cbc:ID"):
        notice.previous_ids = v.unique([*notice.previous_ids, v.text(ref)])

    notice.procedure_id = v.text(v.get(doc, "cbc:ContractFolderID")) or notice.procedure_id
    # BT-127 Future Notice: the day a prior-information notice expects the call (its contract notice) out
    notice.expected_publication = parse_date(v.text(v.get(doc, "cbc:PlannedDate"))) or notice.expected_publication
    notice.alt_ids = v.unique([*notice.alt_ids, v.text(v.get(doc, "cbc:ID"))])
    if notice.published is None:
        publication = v.get(ext, "efac:Publication")
        notice.published = parse_date(v.text(v.get(publication, "efbc:PublicationDate"))) or parse_date(
            v.text(v.get(doc, "cbc:IssueDate"))
        )

    buyer = next((orgs[i] for i in buyer_ids(doc) if i in orgs), None)
    if buyer:
        notice.buyer = Buyer(
            name=buyer.name or notice.buyer.name,
            siret=v.siret(buyer.company_id) or notice.buyer.siret,
            city=buyer.city,
            postal_code=buyer.postal_code,
        )

    project = v.get(doc, "cac:ProcurementProject")
    notice.reference = v.text(v.get(project, "cbc:ID")) or notice.reference
    title, description, cpv, nuts, place = _project_fields(project)
    stated.title = title
    notice.description = description or notice.description
    nature = v.text(v.get(project, "cbc:ProcurementTypeCode"))
    notice.contract_type = _NATURE.get(nature or "", notice.contract_type)  # type: ignore[arg-type]
    estimated = v.get(project, "cac:RequestedTenderTotal", "cbc:EstimatedOverallContractAmount")

    social = _social_signals(doc, "procedure")
    lots: list[Lot] = []
    lot_numbers: dict[str, str] = {}
    deadlines: list[datetime] = []
    postal_codes: list[str | None] = []
    for lot in v.get_all(doc, "cac:ProcurementProjectLot"):
        if is_lots_group(lot):  # a group of lots (GLO-…) is no lot: its deadline and texts are not a lot's
            continue
        lot_id = v.text(v.get(lot, "cbc:ID")) or str(len(lots) + 1)
        lot_project = v.get(lot, "cac:ProcurementProject")
        number = v.text(v.get(lot_project, "cbc:ID")) or lot_id
        lot_numbers[lot_id] = number
        l_title, l_desc, l_cpv, l_nuts, l_place = _project_fields(lot_project)
        money = v.get(lot_project, "cac:RequestedTenderTotal", "cbc:EstimatedOverallContractAmount")
        lots.append(
            Lot(
                number=number,
                title=l_title,
                description=l_desc if l_desc != l_title else None,
                cpv=l_cpv,
                value=v.amount(money) or None,
                currency=money.get("@currencyID") if isinstance(money, dict) else None,
                nuts=l_nuts,
            )
        )
        cpv = v.unique([*cpv, *l_cpv])
        nuts = v.unique([*nuts, *l_nuts])
        place = place or l_place
        postal_codes += [
            v.text(v.get(a, "cbc:PostalZone")) for a in v.get_all(lot_project, "cac:RealizedLocation", "cac:Address")
        ]
        lot_deadline = _lot_deadline(lot)
        if lot_deadline:
            deadlines.append(lot_deadline)
        social += _social_signals(lot, f"lot {number}")
    postal_codes += [
        v.text(v.get(a, "cbc:PostalZone")) for a in v.get_all(project, "cac:RealizedLocation", "cac:Address")
    ]

    notice.lots = lots or notice.lots
    notice.cpv = v.unique([*cpv, *notice.cpv])
    notice.nuts = v.unique([*notice.nuts, *(n for n in nuts if n and n[:2].isalpha())])
    notice.place = place or notice.place or place_from_nuts(notice.nuts)
    notice.departements = v.unique(
        [
            *notice.departements,
            *(v.departement_from_postal_code(cp) for cp in postal_codes),
            *departements_from_nuts(notice.nuts),
        ]
    )
    if deadlines:
        stated.state_deadline(max(deadlines))
    value = v.amount(estimated) or v.amount(v.get(ext, "efbc:FrameworkMaximumAmount"))
    if not value:
        lot_values = [lot.value for lot in lots if lot.value]
        value = sum(lot_values) if lot_values else None
    if value:
        notice.value = value
        notice.currency = (estimated.get("@currencyID") if isinstance(estimated, dict) else None) or "EUR"
    notice.social = _dedupe_signals([*notice.social, *social])
    awards = _awards(doc, orgs, lot_numbers)
    if awards:
        if (type_code or "").startswith("veat"):  # ex-ante transparency: the award-to-be, kind stays "other"
            for award in awards:
                award.intended = True
        notice.awards = awards
    return stated


def _dedupe_signals(signals: list[SocialSignal]) -> list[SocialSignal]:
    seen: set[tuple[str, str, str]] = set()
    out = []
    for s in signals:
        key = (s.signal, s.value, s.where)
        if key not in seen:
            seen.add(key)
            out.append(s)
    return out
