"""Shared set-up for benchmarks: a seeded county, a real server process, enrolled clients."""
from __future__ import annotations

import os
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import httpx

from field_app.keys import KeyStore
from field_app.store import LocalStore
from field_app.sync import SyncClient
from sync_server.db.connection import open_db
from demo.seed import seed_demo
from tests.support.server import ServerProcess


@dataclass
class County:
    db: Path | str      # a SQLite file, or a PostgreSQL URL (its files then in the seeded directory)
    admin_token: str
    inspector: str
    people: list[str]


def seeded(directory: Path, units: int = 400, inspectors: int = 30, database: str | None = None) -> County:
    """The county in `directory/server.db`, or (`database`: a PostgreSQL URL to an empty database)
    there, with its photos and key in `directory` (the server's SUIJIAN_DATA_DIR)."""
    directory.mkdir(parents=True, exist_ok=True)
    target: Path | str = database or directory / "server.db"
    conn = open_db(target)
    facts = seed_demo(conn, units=units, inspectors=inspectors, report=lambda *_: None, history=False,
                      **({"data_dir": directory} if database else {}))
    people = [r[0] for r in conn.execute("SELECT DISTINCT user_id FROM assignment_team ORDER BY user_id")]
    conn.close()
    return County(target, facts["admin_token"], facts["demo_inspector"], people)


def seeded_pg(url: str, units: int = 400, inspectors: int = 30) -> County:
    """The same county as `seeded`, in a PostgreSQL database (`url`); County.db holds the URL."""
    conn = open_db(url)
    facts = seed_demo(conn, units=units, inspectors=inspectors, report=lambda *_: None, history=False)
    people = [r[0] for r in conn.execute("SELECT DISTINCT user_id FROM assignment_team ORDER BY user_id")]
    conn.close()
    return County(url, facts["admin_token"], facts["demo_inspector"], people)   # type: ignore[arg-type]


def enroll(url: str, county: County, user: str, home: Path) -> SyncClient:
    code = httpx.post(f"{url}/v1/admin/users/{user}/enrollment-codes",
                      headers={"Authorization": f"Bearer {county.admin_token}"}).json()["code"]
    client = SyncClient(url, LocalStore(home / "app.db"), KeyStore(home / "keys"))
    client.code_for = lambda officer: httpx.post(    # officers register signing keys (tests/support/records.py)
        f"{url}/v1/admin/users/{officer}/enrollment-codes",
        headers={"Authorization": f"Bearer {county.admin_token}"}).json()["code"]
    client.enroll(code, "bench")
    return client


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def median(values: list[float]) -> float:
    return statistics.median(values)


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def start_server(db: Path, **env: str) -> ServerProcess:
    return ServerProcess(db, env={"PYTHONWARNINGS": "ignore", **env}).start()


def cpu_count() -> int:
    return os.cpu_count() or 1
