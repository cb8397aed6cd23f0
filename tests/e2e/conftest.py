"""Browser fixtures: a seeded county behind a real server process, Debian's Chromium."""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import threading
import urllib.request
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest

from sync_server.accounts import service as accounts
from sync_server.db.connection import open_db, transaction
from demo.seed import seed_demo
from tests.e2e.apps import CHROMIUM, AppProcess, RendererInterrupted, wait_text
from tests.support.server import ServerProcess, free_port

DOCS_SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A browser test that fails is run again, up to twice, and the rerun is reported ("R" and
    "rerun" in the summary). Flet's web client in headless Chromium loses a tap or a frame now
    and then (see RendererWatchdog and the session note); the app's state is checked in its
    database each time, so a rerun proves the same thing from scratch."""
    for item in items:
        if "tests/e2e/" in item.nodeid and "test_watchdog" not in item.nodeid:
            item.add_marker(pytest.mark.flaky(reruns=2, reruns_delay=2))


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


class RendererWatchdog(threading.Thread):
    """Interrupts a Chromium renderer (of this test process) that has burned a whole core for
    `limit_s` seconds. Headless Chromium running Flet's Flutter client sometimes spins at 100%
    CPU for ever, and then no Playwright call returns. The watchdog asks the browser, over its
    DevTools port, to terminate the JavaScript running in each page (Runtime.terminateExecution):
    the spin stops and the page lives on. What was interrupted is reported at the end of the
    test (a warning, not a silent pass)."""

    def __init__(self, port: int, limit_s: float = 20.0) -> None:
        super().__init__(daemon=True, name="renderer-watchdog")
        self.port, self.limit_s, self.interrupted, self.stop = port, limit_s, [], threading.Event()

    def run(self) -> None:
        busy: dict[int, float] = {}
        last: dict[int, int] = {}
        tick = os.sysconf("SC_CLK_TCK")
        sessions: dict[str, Any] = {}   # attached while the page is idle: a busy page cannot be attached to
        with contextlib.ExitStack() as open_sessions:
            while not self.stop.wait(2.0):
                try:
                    self._attach(sessions, open_sessions)
                except Exception as exc:  # noqa: BLE001 - the watchdog must never fail a test itself
                    print(f"renderer watchdog: {exc!r}")
                for pid in _renderers():
                    used = _cpu_ticks(pid)
                    if used is None:
                        continue
                    spent = (used - last.get(pid, used)) / tick
                    last[pid] = used
                    busy[pid] = busy.get(pid, 0.0) + 2.0 if spent > 1.8 else 0.0
                    if busy[pid] >= self.limit_s:
                        self.interrupted.append(pid)
                        busy[pid] = 0.0
                        for ws in sessions.values():
                            try:
                                ws.send(json.dumps({"id": 1, "method": "Runtime.terminateExecution"}))
                            except Exception:  # noqa: BLE001 - a closed page
                                pass

    def _attach(self, sessions: dict[str, Any], open_sessions: contextlib.ExitStack) -> None:
        import websockets
        from websockets.sync.client import connect

        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/json", timeout=2) as answer:
                targets = [t for t in json.load(answer) if t.get("type") == "page"]
        except (OSError, ValueError):
            return
        for target in targets:
            if target["id"] not in sessions and target.get("webSocketDebuggerUrl"):
                try:
                    sessions[target["id"]] = open_sessions.enter_context(
                        connect(target["webSocketDebuggerUrl"], open_timeout=2, max_size=None))
                except (OSError, TimeoutError, websockets.exceptions.WebSocketException):
                    continue


def _renderers() -> list[int]:
    mine, found = os.getpid(), []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes()
            if b"--type=renderer" in cmd and b"chromium" in cmd and _descends_from(int(entry.name), mine):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def _descends_from(pid: int, ancestor: int) -> bool:
    for _ in range(12):
        try:
            pid = int((Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            return False
        if pid == ancestor:
            return True
        if pid <= 1:
            return False
    return False


def _cpu_ticks(pid: int) -> int | None:
    try:
        fields = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime
    except (OSError, IndexError, ValueError):
        return None


@pytest.fixture
def browser(request: pytest.FixtureRequest) -> Iterator:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (make install does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        debug_port = free_port()  # for the watchdog, and to look inside a hung renderer from outside
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=[f"--remote-debugging-port={debug_port}"])
        plain_new_page = chromium.new_page

        def new_page(**kwargs):
            """A page that keeps its console lines, for failure messages (apps.screen_report)."""
            page = plain_new_page(**kwargs)
            page.console_lines = []
            page.on("console", lambda m: page.console_lines.append(f"{m.type}: {m.text[:200]}"))
            return page

        chromium.new_page = new_page
        limit = request.node.get_closest_marker("watchdog_limit")   # test_watchdog.py: a shorter wait
        watchdog = RendererWatchdog(debug_port, *(limit.args if limit else ()))
        watchdog.start()
        try:
            yield chromium
        finally:
            watchdog.stop.set()
            watchdog.join(10)
            chromium.close()
        if watchdog.interrupted:
            warnings.warn(f"the watchdog interrupted {len(watchdog.interrupted)} spinning Chromium renderer(s); "
                          "the test went on", RendererInterrupted)


@pytest.fixture
def shots(tmp_path: Path):
    """Save a screenshot in the test's folder; with SUIJIAN_DOC_SHOTS=1 also as docs/screenshots/app-NAME.png.

    The docs copies are opt-in so that a test run never rewrites tracked files."""
    folder = tmp_path / "screenshots"
    folder.mkdir()

    def shoot(page, name: str, docs: bool = False, expect: str | None = None) -> Path:
        """`expect`: a text that must be on screen at the shot (not the client's reconnect screen)."""
        page.wait_for_timeout(1500 if docs else 700)  # the last frame, and the CJK font (CanvasKit)
        if expect:
            wait_text(page, expect)
        path = folder / f"{name}.png"
        page.screenshot(path=str(path))
        if docs and os.environ.get("SUIJIAN_DOC_SHOTS") == "1":
            DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, DOCS_SHOTS / f"app-{name}.png")
        return path

    return shoot
