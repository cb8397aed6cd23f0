"""The demo is made through the live paths: every task it shows as 已抽取 exports and verifies
with the real CLI and the standalone verifier, and the office's name it sets (as an office would,
with `sync-server office`) is what its disclosure entries and page footers carry."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sync_server.cli import main as cli
from tests.support.engine import Target
from tests.support import engine
from tests.integration.conftest import County, server_rows

ROOT = Path(__file__).resolve().parents[2]


def drawn_tasks(db: Target) -> list[str]:
    return [r[0] for r in server_rows(db, "SELECT id FROM tasks WHERE state = 'drawn' ORDER BY id")]


def test_every_drawn_demo_task_exports_and_verifies(history_county: County, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    tasks = drawn_tasks(history_county.db)
    assert len(tasks) >= 10, tasks
    assert not server_rows(history_county.db, "SELECT id FROM tasks WHERE state <> 'drawn'"), "every task is drawn"
    for task in tasks:
        out = tmp_path / task
        assert cli(["export-draw", task, str(out), "--db", str(history_county.db)]) == 0
        files = [str(out / name) for name in ("announcement.json", "reveal.json", "result.json")]
        assert cli(["verify-draw", *files]) == 0, f"{task} does not verify"
        reveal = json.loads((out / "reveal.json").read_text(encoding="utf-8"))
        announcement = json.loads((out / "announcement.json").read_text(encoding="utf-8"))
        assert len(reveal["nonces"]) == len(announcement["commitments"]) == 2, "the office and an observer"
    capsys.readouterr()


def test_every_visit_comes_from_a_draw(history_county: County) -> None:
    """No visit is written by hand: each unit on a visit was drawn by one of the visit's tasks."""
    drawn = set()
    for row in server_rows(history_county.db, "SELECT task_id, result FROM draws WHERE result IS NOT NULL"):
        drawn |= {(row["task_id"], pick["unit"]) for pick in json.loads(row["result"])["selected"]}
    links = server_rows(history_county.db, "SELECT a.unit_id, t.task_id FROM assignments a"
                                           " JOIN assignment_tasks t ON t.assignment_id = a.id")
    assert links and {(r["task_id"], r["unit_id"]) for r in links} <= drawn


def test_the_demo_records_were_pushed_by_enrolled_tablets(history_county: County) -> None:
    rows = server_rows(history_county.db, "SELECT r.id, d.user_id FROM records r JOIN devices d ON d.id = r.device_id")
    assert len(rows) > 50
    published = server_rows(history_county.db, "SELECT body FROM disclosures WHERE first_published_on IS NOT NULL")
    assert published and {r["body"] for r in published} == {"云溪县卫生健康综合监督执法大队"}


def test_python_m_demo_seed_makes_a_verifiable_county(tmp_path: Path) -> None:
    db = engine.new_target(tmp_path / "demo.db")
    done = subprocess.run([sys.executable, "-m", "demo", "seed", "--db", str(db), "--units", "200",
                           "--inspectors", "12", "--no-history"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["draws"] >= 5
    for task in drawn_tasks(db):
        out = tmp_path / task
        exported = subprocess.run([sys.executable, "-m", "sync_server", "export-draw", task, str(out), "--db", str(db)],
                                  cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert exported.returncode == 0, exported.stderr
        verified = subprocess.run([sys.executable, str(ROOT / "verifier" / "ssj_verify.py"), str(out / "announcement.json"),
                                   str(out / "reveal.json"), str(out / "result.json")],
                                  capture_output=True, text=True, timeout=60)
        assert verified.returncode == 0, verified.stdout + verified.stderr
