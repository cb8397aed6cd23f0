"""Integration fixtures: a seeded county in a real SQLite file, a real server, real clients."""
from __future__ import annotations

import fcntl
import json
import os
import shutil
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
from tests.support import engine, postgres
from tests.support.engine import Target
from tests.support.server import ServerProcess


@dataclass
class County:
    db: Target          # the server's database: a SQLite file, or a PostgreSQL URL (tests/support/engine.py)
    admin_token: str
    inspector: str
    leader: str

    @property
    def folder(self) -> Path:
        """The test's server folder: where the SQLite file is, and on either engine the server's photos and key."""
        return engine.home_file(self.db).parent

    @property
    def photos(self) -> Path:
        """Where its server keeps the photos (beside the SQLite file; in the data directory on PostgreSQL)."""
        return engine.photos_of(self.db)


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
    only copy it (`county`, `history_county`), never open it. On PostgreSQL it is a template
    database (`<name>_template`) that each test's database is created from; the folder beside it
    (photos, the server's key) is copied as on SQLite."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent          # the run's folder, above each worker's own
    db, facts_file = root / f"{name}-template" / "server.db", root / f"{name}-template.json"
    template = f"{name}_template"
    target: Target = postgres.cluster().url(template) if engine.ON_POSTGRES else db
    engine.remember_home(target, db)
    with open(root / f"{name}-template.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not facts_file.exists():
            db.parent.mkdir(exist_ok=True)
            if engine.ON_POSTGRES:
                postgres.cluster().create_database(name=template)
            conn = open_db(target)
            facts = seed_demo(conn, report=lambda *_: None, **seeding,
                              **({"data_dir": db.parent} if engine.ON_POSTGRES else {}))
            if not engine.ON_POSTGRES:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.close()
            if engine.ON_POSTGRES:
                postgres.cluster().freeze_template(template)
            facts_file.write_text(json.dumps({k: facts[k] for k in ("admin_token", "demo_inspector", "demo_leader")}))
    facts = json.loads(facts_file.read_text())
    return County(target, facts["admin_token"], facts["demo_inspector"], facts["demo_leader"])


def _copy(template: County, tmp_path: Path, with_files: bool) -> County:
    """A test's own copy of a seeded county: its file (SQLite) or a database made from the template
    database (PostgreSQL), and (`with_files`) the photos and key beside it."""
    db = tmp_path / "server" / "server.db"
    if with_files:
        shutil.copytree(template.folder, db.parent)
    else:
        db.parent.mkdir()
    if engine.ON_POSTGRES:
        target: Target = engine.new_target(db, template=engine.database_of(template.db))
    else:
        if not with_files:
            shutil.copy(template.db, db)
        target = db
    return County(target, template.admin_token, template.inspector, template.leader)


def copy_county_db(template: County, path: Path, for_the_run: bool = False) -> Target:
    """A copy of a seeded county's database alone (no files beside it), where `path` says
    (`for_the_run`: for a module's fixture, not dropped after the test)."""
    if engine.ON_POSTGRES:
        return engine.new_target(path, template=engine.database_of(template.db), for_the_run=for_the_run)
    shutil.copy(template.db, path)
    return path


# What makes or reaches a server database: a test that asks for one of these is not engine_free.
DATABASE_FIXTURES = {"county", "history_county", "county_template", "history_template", "server", "admin",
                     "make_device"}


@pytest.fixture(autouse=True)
def engine_free_means_no_database(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test marked engine_free runs only in the SQLite pass; it must therefore touch no server
    database on either engine: no seeded county or server among its fixtures, no new database."""
    if request.node.get_closest_marker("engine_free") is None:
        yield
        return
    used = sorted(DATABASE_FIXTURES & set(request.fixturenames))
    if used:
        pytest.fail(f"{request.node.nodeid} is marked engine_free but uses {', '.join(used)}", pytrace=False)
    engine.forbid(request.node.nodeid)
    try:
        yield
    finally:
        engine.allow()


@pytest.fixture(autouse=True)
def drop_test_databases() -> Iterator[None]:
    """On PostgreSQL, the databases a test made are dropped after it (after its servers stop)."""
    yield
    engine.drop_made()


@pytest.fixture(scope="session")
def county_template(tmp_path_factory: pytest.TempPathFactory) -> County:
    return _seeded_once(tmp_path_factory, "county", units=400, inspectors=14, history=False)


@pytest.fixture(scope="session")
def history_template(tmp_path_factory: pytest.TempPathFactory) -> County:
    """The demo county with its year so far: records, approvals, the disclosure list, follow-ups."""
    return _seeded_once(tmp_path_factory, "history", units=1500, inspectors=20)


@pytest.fixture
def history_county(history_template: County, tmp_path: Path) -> County:
    return _copy(history_template, tmp_path, with_files=True)


@pytest.fixture
def county(county_template: County, tmp_path: Path) -> County:
    return _copy(county_template, tmp_path, with_files=False)


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


def server_rows(db: Target, sql: str, *args: object) -> list:
    """Read the server's database directly, on either engine (rows by name and position)."""
    return engine.rows(db, sql, *args)


def team_of(db: Target, assignment_id: str) -> list[str]:
    return [r["user_id"] for r in server_rows(db, "SELECT user_id FROM assignment_team WHERE assignment_id = ?",
                                               assignment_id)]


def doc_of(db: Target, assignment_id: str) -> dict:
    return json.loads(server_rows(db, "SELECT doc FROM assignments WHERE id = ?", assignment_id)[0]["doc"])


@pytest.fixture(scope="session")
def moto_s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator["MotoServer"]:
    """moto's S3 server mode in its own process, one per test process (tests/support/s3.py)."""
    from tests.support.s3 import MotoServer

    server = MotoServer(tmp_path_factory.mktemp("moto") / "moto.log").start()
    yield server
    server.stop()
