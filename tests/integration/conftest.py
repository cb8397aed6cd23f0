"""Integration fixtures: a seeded county in a real SQLite file, a real server, real clients."""
from __future__ import annotations

import fcntl
import json
import os
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import httpx
import pytest

import field_app.keys
from field_app.keys import KeyStore
from field_app.officer_keys import SCRYPT_N, OfficerKeys
from field_app.store import LocalStore
from field_app.sync import RetryPolicy, SyncClient
from sync_server.db.connection import open_db
from demo.seed import seed_demo
from tests.support.server import ServerProcess


@dataclass
class County:
    db: Path
    admin_token: str
    inspector: str
    leader: str


TEST_SCRYPT_N = 2 ** 10   # 1 MiB: about 1/32 of the tablet's cost per PIN


class CheaperOfficerKeys(OfficerKeys):
    """The tablets' officer keys in these tests: wrapped by a cheaper scrypt (see below)."""

    def __init__(self, directory: Path, scrypt_n: int = TEST_SCRYPT_N) -> None:
        super().__init__(directory, scrypt_n)


@pytest.fixture(autouse=True)
def cheaper_pin_cost(monkeypatch: pytest.MonkeyPatch) -> None:
    """The in-process tablets of the integration tests (SyncClient, AppState: both make their
    KeyStore in field_app/keys.py) wrap their officers' keys with scrypt at TEST_SCRYPT_N, not
    the tablet's SCRYPT_N: every officer of every tablet costs a derivation to register and one
    to unlock, 0.14 s each at the real cost, about 13% of these tests' time.

    What is checked here is the same at either cost (the PIN unlocks, a wrong one does not, the
    signatures, the sync); the cost itself is the unit tests' business (test_officer_keys.py
    builds OfficerKeys as the tablet does, at SCRYPT_N, and checks the figure in the file), and
    the browser tests run the real app in its own process, untouched by this patch. The cheaper
    cost exists only as this in-process patch: nothing in the product reads it."""
    assert TEST_SCRYPT_N < SCRYPT_N
    monkeypatch.setattr(field_app.keys, "OfficerKeys", CheaperOfficerKeys)


def _seeded_once(tmp_path_factory: pytest.TempPathFactory, name: str, **seeding: object) -> County:
    """A seeded county made once for the whole run: pytest-xdist's workers share one (the first
    to take the lock seeds it, the others wait for it) instead of each seeding its own. Tests
    only copy it (`county`, `history_county`), never open it."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent          # the run's folder, above each worker's own
    db, facts_file = root / f"{name}-template" / "server.db", root / f"{name}-template.json"
    with open(root / f"{name}-template.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not facts_file.exists():
            db.parent.mkdir(exist_ok=True)
            conn = open_db(db)
            facts = seed_demo(conn, report=lambda *_: None, **seeding)
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.close()
            facts_file.write_text(json.dumps({k: facts[k] for k in ("admin_token", "demo_inspector", "demo_leader")}))
    facts = json.loads(facts_file.read_text())
    return County(db, facts["admin_token"], facts["demo_inspector"], facts["demo_leader"])


@pytest.fixture(scope="session")
def county_template(tmp_path_factory: pytest.TempPathFactory) -> County:
    return _seeded_once(tmp_path_factory, "county", units=400, inspectors=14, history=False)


@pytest.fixture(scope="session")
def history_template(tmp_path_factory: pytest.TempPathFactory) -> County:
    """The demo county with its year so far: records, approvals, the disclosure list, follow-ups."""
    return _seeded_once(tmp_path_factory, "history", units=1500, inspectors=20)


@pytest.fixture
def history_county(history_template: County, tmp_path: Path) -> County:
    db = tmp_path / "server" / "server.db"
    shutil.copytree(history_template.db.parent, db.parent)
    return County(db, history_template.admin_token, history_template.inspector, history_template.leader)


@pytest.fixture
def county(county_template: County, tmp_path: Path) -> County:
    db = tmp_path / "server" / "server.db"
    db.parent.mkdir()
    shutil.copy(county_template.db, db)
    return County(db, county_template.admin_token, county_template.inspector, county_template.leader)


@pytest.fixture
def server(county: County) -> Iterator[ServerProcess]:
    proc = ServerProcess(county.db).start()
    yield proc
    proc.stop()


class Admin:
    def __init__(self, url: str, token: str) -> None:
        self.http = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30)

    def code_for(self, user_id: str) -> str:
        response = self.http.post(f"/v1/admin/users/{user_id}/enrollment-codes")
        assert response.status_code == 201, response.text
        return response.json()["code"]


@pytest.fixture
def admin(server: ServerProcess, county: County) -> Iterator[Admin]:
    client = Admin(server.url, county.admin_token)
    yield client
    client.http.close()


FAST_RETRY = RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.05)


@pytest.fixture
def make_device(tmp_path: Path, server: ServerProcess, admin: Admin) -> Iterator:
    made: list[SyncClient] = []

    def make(user_id: str, name: str = "tablet", enroll: bool = True, url: str | None = None) -> SyncClient:
        home = tmp_path / f"device-{len(made)}"
        client = SyncClient(url or server.url, LocalStore(home / "app.db"), KeyStore(home / "keys"), retry=FAST_RETRY)
        client.code_for = admin.code_for   # officers register their signing keys (tests/support/records.py)
        if enroll:
            client.enroll(admin.code_for(user_id), name)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()
        client.store.close()


def server_rows(db: Path, sql: str, *args: object) -> list[sqlite3.Row]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def team_of(db: Path, assignment_id: str) -> list[str]:
    return [r["user_id"] for r in server_rows(db, "SELECT user_id FROM assignment_team WHERE assignment_id = ?",
                                               assignment_id)]


def doc_of(db: Path, assignment_id: str) -> dict:
    return json.loads(server_rows(db, "SELECT doc FROM assignments WHERE id = ?", assignment_id)[0]["doc"])


@pytest.fixture(scope="session")
def moto_s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator["MotoServer"]:
    """moto's S3 server mode in its own process, one per test process (tests/support/s3.py)."""
    from tests.support.s3 import MotoServer

    server = MotoServer(tmp_path_factory.mktemp("moto") / "moto.log").start()
    yield server
    server.stop()
