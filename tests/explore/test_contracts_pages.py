"""The analysts' Datasette on awarded contracts and the companies register: the pages render, in French."""

from __future__ import annotations

import asyncio
from pathlib import Path

from conftest import FIXTURES

from analysts.explore import datasette_app
from archive.db import open_db
from watch.companies import load_files
from watch.files import load_contract_files


def test_the_contracts_and_companies_pages_render_with_their_french_titles(tmp_path: Path) -> None:
    path = tmp_path / "watch.db"
    with open_db(path) as db:
        load_contract_files(db, sorted((FIXTURES / "decp").glob("decp_*")))
        load_files(db, [(None, FIXTURES / "companies" / "lmi_siaes_fixture_subset.json")])
    app = datasette_app(path)
    for url, title in (
        ("/watch/contracts?_sort_desc=notified", "Marchés attribués (DECP)"),
        ("/watch/contract_winners", "Titulaires des marchés"),
        ("/watch/contract_modifications", "Modifications des marchés"),
        ("/watch/companies?_facet=inclusive_kind", "Registre des entreprises"),
    ):
        response = asyncio.run(app.client.get(url))
        assert response.status_code == 200, (url, response.text[:300])
        assert title in response.text
