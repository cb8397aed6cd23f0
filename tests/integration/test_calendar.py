"""The calendar table on a real SQLite file and through the CLI."""
from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from sync_server.disclosure import service as disclosure, workcalendar
from sync_server.errors import BadRequest
from sync_server.db.connection import open_db, transaction
from tests.support import engine
from tests.support.server import ROOT

# Reads today's date (the suite's clock): .ci/run runs it again with the clock moved.
pytestmark = pytest.mark.dates

EXAMPLE = ROOT / "docs" / "samples" / "calendar-2027-example.txt"


def test_loading_a_notice_turns_provisional_deadlines_official(tmp_path: Path) -> None:
    conn = open_db(engine.new_target(tmp_path / "c.db"))
    with transaction(conn):
        assert 2026 in workcalendar.load_package_years(conn)
    before = workcalendar.calendar_from_db(conn).add(date(2027, 1, 29), 10)
    assert before.provisional
    with transaction(conn):
        assert disclosure.load_calendar_notice(conn, EXAMPLE.read_text(encoding="utf-8"), "example") == 2027
    after = workcalendar.calendar_from_db(conn).add(date(2027, 1, 29), 10)
    assert not after.provisional and after.day > before.day, "the Spring Festival week now counts as holiday"
    assert conn.execute("SELECT kind FROM audit_log ORDER BY idx DESC LIMIT 1").fetchone()[0] == "calendar.loaded"
    conn.close()


def test_a_contradictory_file_changes_nothing(tmp_path: Path) -> None:
    conn = open_db(engine.new_target(tmp_path / "c.db"))
    with transaction(conn):
        workcalendar.load_notice(conn, EXAMPLE.read_text(encoding="utf-8"), "example")
    rows = conn.execute("SELECT * FROM calendar_days ORDER BY day").fetchall()
    with pytest.raises(BadRequest) as caught:
        with transaction(conn):
            workcalendar.load_notice(conn, "2027-01-01,休,元旦\n2027-01-01,班,元旦", "bad")
    assert caught.value.code == "calendar.duplicate_day"
    assert conn.execute("SELECT * FROM calendar_days ORDER BY day").fetchall() == rows
    conn.close()


def test_cli(tmp_path: Path) -> None:
    db = str(engine.new_target(tmp_path / "cli.db"))
    run = lambda *a: subprocess.run([sys.executable, "-m", "sync_server", *a, "--db", db], cwd=ROOT,
                                    capture_output=True, text=True)
    assert run("workdays", "add", "2025-09-26", "20").stdout.strip() == "2025-10-30\t正式"
    assert "暂定" in run("workdays", "add", "2026-12-20", "20").stdout
    assert run("load-calendar", str(EXAMPLE)).returncode == 0
    assert run("workdays", "add", "2026-12-20", "20").stdout.strip().endswith("正式")
    bad = tmp_path / "bad.txt"
    bad.write_text("2027-01-04,班,周一", encoding="utf-8")
    refused = run("load-calendar", str(bad))
    assert refused.returncode == 1 and "不能标为调休上班" in refused.stderr
