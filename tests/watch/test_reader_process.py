"""A big DECP file is read in a reader process while the load writes (watch.files): the archive it leaves is the
one an in-process read leaves, and a file the reader cannot read, or a reader that dies, is one line naming the
file, with what was read before it kept."""

from __future__ import annotations

import os
import sys
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import FIXTURES

from archive.db import open_db
from watch import files
from watch.files import load_contract_files
from watch.reader_process import main as reader_main

DECP = sorted((FIXTURES / "decp").glob("decp_*"))
TABLES = {
    "contracts": "select * from contracts order by uid",
    "contract_winners": "select * from contract_winners order by uid, position",
    "contract_modifications": "select * from contract_modifications order by uid, modification_id",
    "contract_raw": "select uid, raw, h.header from contract_raw left join contract_raw_headers h"
    " on h.id = header_id order by uid",
    "quarantine": "select source, source_id, error, raw from quarantine order by source_id",
}
STAMPS = {"first_seen", "updated_at", "fetched_at"}


def _content(path: Path) -> dict[str, list[dict[str, object]]]:
    with open_db(path) as db:
        return {
            table: [{k: v for k, v in row.items() if k not in STAMPS} for row in db.query(sql)]
            for table, sql in TABLES.items()
        }


def test_read_apart_or_here_the_archive_is_the_same(tmp_path: Path) -> None:
    results = {}
    for where, threshold in (("here", 1 << 40), ("apart", 0)):
        with open_db(tmp_path / f"{where}.db") as db:
            results[where] = load_contract_files(db, DECP, pipeline_bytes=threshold)
    assert results["apart"] == results["here"] and results["here"].read > 0 and not results["here"].errors
    here, apart = _content(tmp_path / "here.db"), _content(tmp_path / "apart.db")
    assert here == apart and len(here["contracts"]) == results["here"].read and here["contract_raw"]


def test_a_cut_file_read_apart_keeps_the_records_before_the_cut(tmp_path: Path) -> None:
    body = (FIXTURES / "decp" / "decp_test_2022.json").read_bytes()
    (tmp_path / "cut.json").write_bytes(body[: body.index(b'"id": "202401L04"')])
    with open_db(tmp_path / "a.db") as db:
        loaded = load_contract_files(db, [tmp_path / "cut.json"], pipeline_bytes=0)
        assert db.execute("select count(*) from contracts").fetchone()[0] == 2
    assert loaded.read == 2 and len(loaded.errors) == 1
    assert loaded.errors[0].startswith(f"{tmp_path / 'cut.json'}: record 3 is not valid JSON")


def test_a_file_the_reader_cannot_open_is_one_line_and_the_next_file_is_loaded(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "empty.zip", "w") as z:
        z.writestr("notes.txt", "nothing here")
    with open_db(tmp_path / "a.db") as db:
        loaded = load_contract_files(db, [tmp_path / "empty.zip", *DECP], pipeline_bytes=0)
    assert loaded.errors == [f"{tmp_path / 'empty.zip'}: the zip file holds no CSV or JSON file"]
    with open_db(tmp_path / "b.db") as db:
        assert loaded.read == load_contract_files(db, DECP).read


def test_a_reader_that_dies_is_named_with_its_last_words(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files, "READER", "watch.no_such_reader")
    with open_db(tmp_path / "a.db") as db:
        loaded = load_contract_files(db, DECP[:1], pipeline_bytes=0)
    assert len(loaded.errors) == 1 and loaded.read == 0
    assert loaded.errors[0].startswith(f"{DECP[0]}: the reader process stopped (exit code 1): ")
    assert "No module named watch.no_such_reader" in loaded.errors[0]


def test_a_long_load_says_how_far_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(files, "PROGRESS_EVERY", 0.0)
    with caplog.at_level("INFO", logger="watch.files"), open_db(tmp_path / "a.db") as db:
        load_contract_files(db, DECP[:1], pipeline_bytes=0)
    lines = [r.getMessage() for r in caplog.records if "so far" in r.getMessage()]
    assert lines and lines[-1].startswith(f"contracts: {DECP[0].name}: ") and " new, " in lines[-1]


def test_on_one_core_a_big_file_is_read_in_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files, "READER", "watch.no_such_reader")  # would fail if a reader process were started
    monkeypatch.setattr(files, "cores", lambda: 1)
    with open_db(tmp_path / "a.db") as db:
        loaded = load_contract_files(db, DECP[:1], pipeline_bytes=0)
    assert not loaded.errors and loaded.read > 0


def test_a_reader_whose_writer_has_gone_stops_quietly(monkeypatch: pytest.MonkeyPatch) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the writing process is gone: every write raises BrokenPipeError
    with os.fdopen(write_end, "wb", buffering=0) as pipe:
        monkeypatch.setattr(sys, "stdout", SimpleNamespace(buffer=pipe))
        assert reader_main(str(DECP[0])) == 1


def test_the_reader_is_this_projects_whatever_the_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    decoy = tmp_path / "watch"
    decoy.mkdir()
    (decoy / "__init__.py").write_text("")
    (decoy / "reader_process.py").write_text("import sys\nsys.exit('a same-named package in the directory')\n")
    monkeypatch.chdir(tmp_path)  # an operator running the load from elsewhere
    with open_db(tmp_path / "a.db") as db:
        loaded = load_contract_files(db, DECP, pipeline_bytes=0)
    assert not loaded.errors and loaded.read > 0
