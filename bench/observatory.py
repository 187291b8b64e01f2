"""Observatory benchmark: a year of national DECP volume (150,000 contracts) loaded, the indicators computed.

The contracts are real DECP rows re-keyed: the 9 rows of the consolidated file and the 5 records of the 2.0
JSON sample (tests/fixtures/decp/) are repeated with deterministic new buyer and holder SIRETs, contract ids,
notification days over the year and amounts, and written as one national file in the consolidated file's
own layout (`;`, BOM, CDL fillers). A companies register covers 60 % of the holders.

Measured, each phase in its own forked process (so each peak RSS is its own):
- load: the national file read and mapped to contracts, written through ContractStore into a fresh archive
  with the companies register (ContractStore.upsert_companies);
- indicators: the archive read by observatory.records (one record per contract, holders joined to the
  register) and every indicator computed for the year and for each month (what the floor computes too);
  the report's other groupings (theme, buyer, département: each contract counted once more per grouping)
  are timed after it, and printed apart;
- floor: the same national file and register read with the standard library alone (csv + a dict keyed by
  uid), amounts summed in total, by month, and to TPE/PME/ESS holders split equally between co-holders.

The target (issue 17) compares the *indicators* time with the *floor*: within 5x. The load (a one-off write
of the archive, whose cost is SQLite's) is printed beside it with its own ratio, for the record.

The mapping of a consolidated row to a Contract here is the bench's own, minimal one (the DECP parsers live
in notices.decp); it reads the columns the observatory uses.

    .venv/bin/python bench/observatory.py [--contracts 150000]
"""

from __future__ import annotations

import argparse
import csv
import json
import multiprocessing
import re
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive.contracts import ContractStore  # noqa: E402
from archive.db import open_db  # noqa: E402
from notices.companies import Company  # noqa: E402
from notices.contracts import SOCIAL_CONSIDERATIONS, Contract, Winner  # noqa: E402
from observatory.filters import Selection, parse_period  # noqa: E402
from observatory.indicators import GROUPINGS, compute, group  # noqa: E402
from observatory.records import read_awarded  # noqa: E402
from observatory.report import build_report, render_html, write_csv  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "decp"
EMPTY = {"", "CDL", "MQ", "Sans objet"}
BUYERS, HOLDERS = 4_000, 60_000
MAX_AMOUNT = 1e10  # above: an impossible amount (the 2.0 sample holds a 1e17)
REGISTERED = 0.6  # share of the holders' SIRENs in the companies register


def real_rows() -> tuple[list[str], list[dict[str, str]]]:
    """The real rows in the consolidated file's layout: its own 9, and the 2.0 JSON records mapped onto it."""
    with (FIXTURES / "decp_v3_2024_9rows_decp-processing.csv").open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f, delimiter=";")
        header, rows = list(reader.fieldnames or []), list(reader)
    for m in json.loads((FIXTURES / "decp_test_2022.json").read_text(encoding="utf-8"))["marches"]["marche"]:
        row = dict.fromkeys(header, "CDL")
        for k, t in enumerate(m.get("titulaires", [])[:3], start=1):
            t = t.get("titulaire", t)  # one holder of the sample is not wrapped in {"titulaire": ...}
            row[f"titulaire_id_{k}"] = t["id"]
            row[f"titulaire_typeIdentifiant_{k}"] = t.get("typeIdentifiant", "SIRET")
        social = m.get("considerationsSociales", {}).get("considerationSociale", [])
        row.update({
            "id": str(m["id"]), "nature": m.get("nature", "Marché"), "objet": m.get("objet", ""),
            "codeCPV": m.get("codeCPV", ""), "procedure": m.get("procedure", ""),
            "dateNotification": m.get("dateNotification", ""), "montant": str(m.get("montant", "")),
            "acheteur.id": m["acheteur"]["id"], "lieuExecution.code": m["lieuExecution"]["code"],
            "lieuExecution.typeCode": m["lieuExecution"]["typeCode"], "considerationsSociales": repr(social),
            "source": "decp_2.0_json",
        })  # fmt: skip
        rows.append(row)
    return header, rows


def _siret(n: int, salt: int) -> str:
    body = f"{(n * 7919 + salt) % 900_000_000 + 100_000_000:09d}"
    return body + f"{n % 99_999:05d}"


def national_file(path: Path, contracts: int) -> None:
    """Write `contracts` re-keyed real rows (deterministic) in the consolidated layout."""
    header, rows = real_rows()
    start = date(2024, 1, 1)
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.DictWriter(f, header, delimiter=";")
        w.writeheader()
        for i in range(contracts):
            row = dict(rows[i % len(rows)])
            row["acheteur.id"] = _siret(i % BUYERS, 17)
            row["id"] = f"{row['id']}-{i}"
            for k in (1, 2, 3):
                if row.get(f"titulaire_typeIdentifiant_{k}") == "SIRET":
                    row[f"titulaire_id_{k}"] = _siret((i * 31 + k) % HOLDERS, 101)
            row["dateNotification"] = (start + timedelta(days=(i * 37) % 366)).isoformat()
            amount = float(row["montant"]) if row["montant"] not in EMPTY else None
            if amount is None or amount > MAX_AMOUNT:  # the sample's 1e17 is set aside, as the parser does
                row["montant"] = "MQ"
            else:
                row["montant"] = f"{amount * (0.5 + (i * 7919 % 1000) / 1000):.2f}"
            w.writerow(row)


def register_rows(path: Path) -> None:
    """60 % of the holders' SIRENs, with sizes, ESS flags and inclusive kinds in set proportions."""
    sizes, kinds = ("TPE", "PME", "PME", "ETI", "GE", None), (None,) * 12 + ("EI", "ACI", "EA", "ESAT")
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter=";")
        w.writerow(["siren", "ess", "inclusive_kind", "size"])
        for n in range(int(HOLDERS * REGISTERED)):
            ess = "" if n % 5 == 0 else ("1" if n % 7 == 0 else "0")
            w.writerow([_siret(n, 101)[:9], ess, kinds[n % len(kinds)] or "", sizes[n % len(sizes)] or ""])


_QUOTED = re.compile(r"'([^']*)'")


def contract_of(row: dict[str, str]) -> Contract:
    """The bench's minimal mapping of a consolidated row (the columns the observatory reads)."""
    winners = [
        Winner(row[f"titulaire_id_{k}"], row[f"titulaire_typeIdentifiant_{k}"])
        for k in (1, 2, 3)
        if row.get(f"titulaire_id_{k}", "CDL") not in EMPTY
    ]
    stated = _QUOTED.findall(row["considerationsSociales"])
    code, kind = row["lieuExecution.code"], row["lieuExecution.typeCode"]
    dep = code if kind == "Code département" else (code[:3] if code.startswith("97") else code[:2]) if code else None
    return Contract(
        uid=row["acheteur.id"] + row["id"], id=row["id"], source="decp", dataset=row["source"],
        buyer_siret=row["acheteur.id"], object=row["objet"], cpv=row["codeCPV"][:8],
        notified=date.fromisoformat(row["dateNotification"]), place_code=code,
        amount=None if row["montant"] in EMPTY else float(row["montant"]),
        place_type=kind, departement=dep, social_stated=bool(stated), winners=winners,
        social=[SOCIAL_CONSIDERATIONS[x] for x in stated if x in SOCIAL_CONSIDERATIONS],
    )  # fmt: skip


def load(national: Path, register: Path, archive: Path) -> dict[str, Any]:
    db = open_db(archive)
    store = ContractStore(db)
    with national.open(encoding="utf-8-sig", newline="") as f:
        batch: list[Contract] = []
        for row in csv.DictReader(f, delimiter=";"):
            batch.append(contract_of(row))
            if len(batch) == 5000:
                store.upsert_contracts(batch)
                batch = []
        store.upsert_contracts(batch)
    with register.open(encoding="utf-8", newline="") as f:
        store.upsert_companies(
            Company(r["siren"], ess=None if r["ess"] == "" else r["ess"] == "1",
                    inclusive_kind=r["inclusive_kind"] or None, size=r["size"] or None)  # type: ignore[arg-type]
            for r in csv.DictReader(f, delimiter=";")
        )  # fmt: skip
    contracts = db.execute("select count(*) from contracts").fetchone()[0]
    db.close()
    return {"contracts": contracts}


def indicators(archive: Path) -> dict[str, Any]:
    """What the floor computes: the archive read, every indicator of the year and of each month."""
    started = time.perf_counter()
    with open_db(archive) as db:
        records = read_awarded(db)
    read = time.perf_counter() - started
    whole = compute(records)
    group(records, "month", {})
    computed = time.perf_counter() - started
    for by in GROUPINGS:  # the rest of the report: by theme, buyer, département (each contract once more)
        if by != "month":
            group(records, by, {})
    grouped = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # before the report is rendered
    report = build_report(records, Selection(parse_period("2024")), by="buyer", theme_labels={})
    html = render_html(report)
    with tempfile.TemporaryDirectory() as tmp:
        write_csv(report, Path(tmp) / "report.csv")
    return {
        "contracts": whole.contracts,
        "amount": whole.amount,
        "charter": whole.charter.of_amounts,
        "unknown": whole.charter.unknown_of_amounts,
        "read": read,
        "seconds_override": computed,
        "grouped": grouped,
        "peak_indicators_mb": peak,
        "report": time.perf_counter() - started,
        "html_mb": len(html.encode()) / 1e6,
    }


def floor(national: Path, register: Path) -> dict[str, Any]:
    """The same rows with the standard library alone: csv, a dict keyed by uid, sums."""
    with register.open(encoding="utf-8", newline="") as f:
        charter = {r["siren"]: (r["size"] in ("TPE", "PME") or r["ess"] == "1" or bool(r["inclusive_kind"]))
                   for r in csv.DictReader(f, delimiter=";")}  # fmt: skip
    contracts: dict[str, tuple[str, float, list[str]]] = {}
    with national.open(encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f, delimiter=";"):
            ids = [row[f"titulaire_id_{k}"] for k in (1, 2, 3) if row[f"titulaire_id_{k}"] not in EMPTY]
            amount = 0.0 if row["montant"] in EMPTY else float(row["montant"])
            contracts[row["acheteur.id"] + row["id"]] = (row["dateNotification"][:7], amount, ids)
    total = known = 0.0
    by_month: dict[str, float] = {}
    for month, amount, ids in contracts.values():
        total += amount
        by_month[month] = by_month.get(month, 0.0) + amount
        known += sum(amount / len(ids) for i in ids if charter.get(i[:9]))
    return {"contracts": len(contracts), "amount": total, "charter": known / total}


def _phase(fn: Callable[..., dict[str, Any]], args: tuple, out: Any) -> None:
    started = time.perf_counter()
    result = fn(*args)
    result["seconds"] = result.pop("seconds_override", time.perf_counter() - started)
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out.put(result)


def run(fn: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    """One phase in a forked process: its own time and its own peak RSS."""
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    proc = ctx.Process(target=_phase, args=(fn, args, out))
    proc.start()
    result = out.get()
    proc.join()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contracts", type=int, default=150_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-observatory-") as tmp:
        national, register, archive = Path(tmp) / "decp-national.csv", Path(tmp) / "companies.csv", Path(tmp) / "a.db"
        t = time.perf_counter()
        national_file(national, args.contracts)
        register_rows(register)
        print(f"national file: {args.contracts:,} contracts from {len(real_rows()[1])} real rows re-keyed, "
              f"{national.stat().st_size / 1e6:.1f} MB, written in {time.perf_counter() - t:.1f} s")  # fmt: skip
        base = run(floor, national, register)
        loaded = run(load, national, register, archive)
        computed = run(indicators, archive)
    print(
        f"floor (csv + dict, stdlib) : {base['seconds']:6.2f} s, peak RSS {base['peak_mb']:6.0f} MB"
        f"  ({base['contracts']:,} contracts, {base['amount']:,.0f} EUR, {100 * base['charter']:.1f} % to TPE/PME/ESS)"
    )
    print(
        f"load (ContractStore)       : {loaded['seconds']:6.2f} s, peak RSS {loaded['peak_mb']:6.0f} MB"
        f"  ({loaded['contracts']:,} contracts in the archive)"
    )
    print(
        f"indicators (observatory)   : {computed['seconds']:6.2f} s, peak RSS {computed['peak_mb']:6.0f} MB"
        f"  ({computed['contracts']:,} contracts, {computed['amount']:,.0f} EUR, {100 * computed['charter']:.1f} %"
        f" to TPE/PME/ESS, {100 * computed['unknown']:.1f} % unknown; archive read in {computed['read']:.2f} s)"
    )
    print(f"  + the report's other groupings (theme, buyer, département): {computed['grouped']:.2f} s in all;"
          f" the whole report (HTML {computed['html_mb']:.1f} MB, CSV): {computed['report']:.2f} s,"
          f" peak RSS {computed['peak_mb']:.0f} MB")  # fmt: skip
    ratio = computed["seconds"] / base["seconds"]
    print(f"indicators / floor = {ratio:.1f}x (target: within 5x) -> {'ok' if ratio <= 5 else 'MISSED'}")
    print(f"(load + indicators) / floor = {(loaded['seconds'] + computed['seconds']) / base['seconds']:.1f}x"
          " (the one-off archive write included; no target)")  # fmt: skip
    same = abs(base["amount"] - computed["amount"]) < 1 and abs(base["charter"] - computed["charter"]) < 1e-9
    print(f"the floor and the observatory agree on the amount and the TPE/PME/ESS share: {same}")
    return 0 if ratio <= 5 and same else 1


if __name__ == "__main__":
    sys.exit(main())
