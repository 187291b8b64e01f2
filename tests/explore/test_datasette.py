"""Datasette on the analysts' archive (in-process client): the metadata's French titles, a facet on themes, full
text over the notes, each canned query, a buyer's page, --public without arbitrary SQL, never the private store."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from explore_archive import AS_OF, ROOT, SIRET, build

from analysts.explore import check_public, datasette_app
from analysts.metadata import QUERIES, TABLES
from settings import WatchError


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("explore") / "watch.db"
    build(path).close()
    return path


@pytest.fixture(scope="module")
def app(archive: Path) -> Any:
    return datasette_app(archive, now=AS_OF)


def get(app: Any, url: str) -> Any:
    response = asyncio.run(app.client.get(url))
    assert response.status_code == 200, (url, response.status_code, response.text[:500])
    return response


def test_home_and_tables_carry_french_titles(app: Any) -> None:
    home = get(app, "/").text
    assert "Veille des marchés publics de l&#39;ESS" in home or "Veille des marchés publics de l'ESS" in home
    page = get(app, "/watch/notices_flat").text
    assert "Avis, en clair" in page and "Un avis par ligne avec ses thèmes ESS" in page
    meta = get(app, "/-/metadata.json").json()
    tables = meta["databases"]["watch"]["tables"]
    assert tables["buyers"]["title"] == "Annuaire des acheteurs"
    assert all(t.get("title") for t in TABLES.values())


def test_every_archive_table_and_view_has_a_french_title(app: Any, archive: Path) -> None:
    import sqlite_utils

    db = sqlite_utils.Database(archive)
    shown = [
        name
        for name in db.table_names() + db.view_names()
        if not name.startswith(("_", "notices_fts", "buyers_fts")) and not name.endswith(("_fts", "_config", "_data"))
    ]
    missing = [name for name in shown if name not in TABLES]
    assert not missing


def test_a_facet_on_themes(app: Any) -> None:
    data = get(app, "/watch/notices_flat.json?_facet_array=themes&_size=0").json()
    results = {r["value"]: r["count"] for r in data["facet_results"]["themes"]["results"]}
    assert results["restauration_solidaire"] > 0 and "insertion_emploi" in results
    facets = get(app, "/watch/notices_flat.json?_size=0").json()["facet_results"]
    assert {"source", "kind_name", "themes", "reserved_contract", "departement_name", "region", "month"} <= set(facets)


def test_full_text_finds_a_word_of_the_notes(app: Any) -> None:
    rows = get(app, "/watch/notices.json?_search=zorglubienne&_shape=array").json()
    assert [r["source_id"] for r in rows] == ["test-siret-1"]
    flat = get(app, "/watch/notices_flat.json?_search=zorglubienne&_shape=array").json()
    assert [r["source_id"] for r in flat] == ["test-siret-1"]


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_each_canned_query_returns_rows(app: Any, archive: Path, name: str) -> None:
    import sqlite_utils

    procedure = (
        sqlite_utils.Database(archive)
        .execute("select procedure_id from procedure_notices where source_id = 'test-siret-3'")
        .fetchone()[0]
    )
    params = {
        "ouverts_clause_insertion_departement": {"departement": "69", "apres": "2024-02-19"},
        "historique_procedure": {"procedure": procedure},
    }.get(name, {})
    query = "".join(f"&{k}={urllib.parse.quote(v)}" for k, v in params.items())
    rows = get(app, f"/watch/{name}.json?_shape=array{query}").json()
    assert rows, name
    if name == "historique_procedure":
        assert [r["type"] for r in rows] == ["contract_notice", "award"]


def test_a_buyer_page(app: Any) -> None:
    page = get(app, "/watch/buyers/siren-216901231").text
    assert "Ville de Lyon - Direction de la commande publique" in page and "VILLE DE LYON" in page
    assert "Graphies vues" in page and "Marchés à venir" in page and "<li>" in page  # the card, lists shown
    row = get(app, "/watch/buyers/siren-216901231.json?_shape=objects").json()["rows"][0]
    assert SIRET in row["sirets"] and row["upcoming_count"] >= 2


def test_public_turns_arbitrary_sql_off(archive: Path) -> None:
    public = datasette_app(archive, public=True)
    assert asyncio.run(public.client.get("/watch.json?sql=select+1")).status_code == 403
    assert asyncio.run(public.client.get("/watch/avis_par_theme_et_mois.json")).status_code == 200


def test_the_private_store_is_never_served(tmp_path: Path, archive: Path) -> None:
    with pytest.raises(WatchError, match="private store"):
        check_public(archive, archive)
    leaky = tmp_path / "old.db"
    import sqlite_utils

    sqlite_utils.Database(leaky)["subscribers"].insert({"id": 1, "email": "a@example.org"})
    with pytest.raises(WatchError, match="private tables"):
        check_public(leaky)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_run_watch_explore_serves_on_loopback(archive: Path, tmp_path: Path) -> None:
    port = _free_port()
    env = {"PATH": "/usr/bin:/bin", "WATCH_DB": str(archive), "WATCH_PRIVATE_DB": str(tmp_path / "p.db")}
    env["WATCH_LOG_FILE"] = ""
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "run_watch.py"), "explore", "--port", str(port), "--public"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        body = ""
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/watch/themes.json?_shape=array", timeout=2) as r:
                    body = r.read().decode()
                break
            except OSError:
                time.sleep(0.2)
        assert "Insertion et emploi" in body
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_the_flat_views_describe_exactly_their_columns(archive: Path) -> None:
    import sqlite_utils

    db = sqlite_utils.Database(archive)
    for view in ("notices_flat", "procedures_flat", "awards_flat"):
        assert set(TABLES[view]["columns"]) == {c.name for c in db[view].columns}, view
    for table in ("buyers", "themes", "departements", "procedure_notices", "classifications"):
        assert set(TABLES[table]["columns"]) == {c.name for c in db[table].columns}, table
