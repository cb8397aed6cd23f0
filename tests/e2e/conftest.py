"""Browser fixtures: a seeded county behind a real server process, Debian's Chromium."""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

from sync_server import accounts
from sync_server.queries.db import open_db, transaction
from sync_server.seed import seed_demo
from tests.e2e.apps import CHROMIUM, AppProcess, wait_text
from tests.support.server import ServerProcess

DOCS_SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@dataclass
class County:
    db: Path
    inspector: str
    leader: str

    def code_for(self, user_id: str) -> str:
        conn = open_db(self.db)
        try:
            with transaction(conn):
                return accounts.new_enrollment_code(conn, user_id, 72)["code"]
        finally:
            conn.close()

    def rows(self, sql: str, *args: object) -> list[sqlite3.Row]:
        conn = sqlite3.connect(self.db)
        conn.row_factory = sqlite3.Row
        try:
            return conn.execute(sql, args).fetchall()
        finally:
            conn.close()

    def assignment_for_review(self) -> dict:
        """An open visit of the demo inspector that the demo leader may review (not on its team)."""
        rows = self.rows(
            "SELECT a.doc FROM assignments a JOIN assignment_team t ON t.assignment_id = a.id AND t.user_id = ?"
            " WHERE a.id NOT IN (SELECT assignment_id FROM assignment_team WHERE user_id = ?)"
            " ORDER BY a.due DESC, a.id", self.inspector, self.leader)
        return json.loads(rows[0]["doc"])


@pytest.fixture(scope="session")
def county_template(tmp_path_factory: pytest.TempPathFactory) -> County:
    db = tmp_path_factory.mktemp("e2e-county") / "server.db"
    conn = open_db(db)
    facts = seed_demo(conn, units=400, inspectors=14, report=lambda *_: None, history=False)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return County(db, facts["demo_inspector"], facts["demo_leader"])


@pytest.fixture
def county(county_template: County, tmp_path: Path) -> County:
    db = tmp_path / "server" / "server.db"
    db.parent.mkdir()
    shutil.copy(county_template.db, db)
    return County(db, county_template.inspector, county_template.leader)


@pytest.fixture
def server(county: County) -> Iterator[ServerProcess]:
    proc = ServerProcess(county.db).start()
    yield proc
    proc.stop()


@pytest.fixture
def apps() -> Iterator:
    """Make app processes (tablets) that are stopped after the test, passed or failed."""
    made: list[AppProcess] = []

    def make(*args, **kwargs) -> AppProcess:
        made.append(AppProcess(*args, **kwargs))
        return made[-1]

    yield make
    for app in made:
        app.stop()


@pytest.fixture
def browser() -> Iterator:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (make install does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM)
        yield chromium
        chromium.close()


@pytest.fixture
def shots(tmp_path: Path):
    """Save a screenshot in the test's folder; with SUIJIAN_DOC_SHOTS=1 also as docs/screenshots/app-NAME.png.

    The docs copies are opt-in so that a test run never rewrites tracked files."""
    folder = tmp_path / "screenshots"
    folder.mkdir()

    def shoot(page, name: str, docs: bool = False, expect: str | None = None) -> Path:
        """`expect`: a text that must be on screen at the shot (not the client's reconnect screen)."""
        if docs:   # the CJK font is fetched by CanvasKit: let it arrive, or the shot shows boxes
            page.wait_for_load_state("networkidle")
        page.wait_for_timeout(1500 if docs else 700)  # the last frame (CanvasKit)
        if expect:
            wait_text(page, expect)
        path = folder / f"{name}.png"
        page.screenshot(path=str(path))
        if docs and os.environ.get("SUIJIAN_DOC_SHOTS") == "1":
            DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, DOCS_SHOTS / f"app-{name}.png")
        return path

    return shoot
