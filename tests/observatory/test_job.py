"""The quarterly job: recorded like every job, scheduled on observatory.cron, and fine on notices alone."""

from __future__ import annotations

from pathlib import Path

from observatory_archive import make_archive

from archive import runs
from archive.db import open_db
from settings import config as watch_config
from watch.jobs import check_schedule, run_job, scheduled_jobs


def _config(tmp_path: Path, archive: Path):  # noqa: ANN202
    path = tmp_path / "config.yaml"
    path.write_text(f"archive:\n  path: {archive}\nobservatory:\n  out_dir: {tmp_path / 'out'}\n", encoding="utf-8")
    return watch_config.load(path, env={})


def test_the_job_writes_every_scope_and_is_recorded(tmp_path: Path) -> None:
    config = _config(tmp_path, make_archive(tmp_path))
    result = run_job(config, "observatory", period="2024-Q4")
    assert result.ok and result.counts == {"reports": 2}
    assert sorted(Path(p).name for p in result.output) == [
        "observatory-2024-Q4-paris2024.csv", "observatory-2024-Q4-paris2024.html",
        "observatory-2024-Q4.csv", "observatory-2024-Q4.html",
    ]  # fmt: skip
    with open_db(config.resolve_path("archive.path")) as db:
        assert runs.last_run(db, "observatory")["outcome"] == "ok"


def test_the_job_is_scheduled_quarterly(tmp_path: Path) -> None:
    config = _config(tmp_path, tmp_path / "watch.db")
    check_schedule(config)
    assert ("observatory", "0 6 1 1,4,7,10 *") in scheduled_jobs(config)


def test_notices_alone_without_any_contract(tmp_path: Path) -> None:
    """Before the DECP data arrives the report is made of the award notices (the demo's case)."""
    archive = make_archive(tmp_path)
    with open_db(archive) as db:
        for table in ("contracts", "contract_winners", "contract_themes"):
            db.execute(f"delete from {table}")
        db.conn.commit()
    config = _config(tmp_path, archive)
    run_job(config, "observatory", reraise=True, period="2024", scope="all")
    csv = (tmp_path / "out" / "observatory-2024.csv").read_text(encoding="utf-8-sig").splitlines()
    # 24-100 now stands for itself (no contract is linked to it): 24-100, and the two lots of 24-200
    assert sorted(line.split(";")[0] for line in csv[1:]) == [
        "boamp:24-100",
        "boamp:24-200#lot 1",
        "boamp:24-200#lot 2",
    ]
    html = (tmp_path / "out" / "observatory-2024.html").read_text(encoding="utf-8")
    assert "0 déclaré(s) dans les données essentielles" in html and "3 connu(s) par un avis" in html
