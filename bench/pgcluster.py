"""A PostgreSQL server for benchmarks: Debian's `postgresql` binaries, a cluster in a temp dir.

Unlike the test suite's cluster (tests/support/postgres.py: fsync and synchronous_commit off, for
speed), this one keeps PostgreSQL's durable defaults — fsync on, synchronous_commit on, full page
writes — so its figures compare with SQLite's WAL + synchronous=FULL: nothing is acknowledged
before it is on disk, on either engine. As root, initdb and the server run as the `postgres` user
(initdb refuses root); clients connect over TCP on 127.0.0.1 as the superuser, trusted.
"""
from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SUPERUSER, SERVER_USER = "suijian", "postgres"
SETTINGS = ("listen_addresses=127.0.0.1", "max_connections=200", "shared_buffers=128MB")


class Cluster:
    def __init__(self) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
        if not found:
            raise RuntimeError("PostgreSQL's server binaries are missing: `make install` (apt-get install postgresql)")
        self.bin = Path(found[-1]).parent
        self.folder = Path(tempfile.mkdtemp(prefix="suijian-bench-pg-"))
        if os.geteuid() == 0:
            shutil.chown(self.folder, SERVER_USER, SERVER_USER)
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]

    def url(self, database: str) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def _run(self, *argv: str) -> subprocess.CompletedProcess:
        command = list(argv) if os.geteuid() != 0 else ["runuser", "-u", SERVER_USER, "--", *argv]
        return subprocess.run(command, capture_output=True, text=True, cwd=self.folder)

    def start(self) -> "Cluster":
        data = self.folder / "data"
        made = self._run(f"{self.bin}/initdb", "-D", str(data), "-U", SUPERUSER, "--auth=trust", "--encoding=UTF8",
                         "--locale=C", "--no-instructions")
        if made.returncode != 0:
            raise RuntimeError(f"initdb failed: {made.stdout}{made.stderr}")
        options = " ".join(f"-c {s}" for s in (*SETTINGS, f"port={self.port}", f"unix_socket_directories={self.folder}"))
        started = self._run(f"{self.bin}/pg_ctl", "start", "-w", "-t", "60", "-D", str(data),
                            "-l", str(self.folder / "server.log"), "-o", options)
        if started.returncode != 0:
            raise RuntimeError(f"PostgreSQL did not start: {started.stdout}{started.stderr}")
        return self

    def create_database(self, name: str) -> str:
        done = subprocess.run([f"{self.bin}/psql", "-X", "-q", "-d", self.url("postgres"), "-c",
                               f'CREATE DATABASE "{name}"'], capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(done.stderr)
        return self.url(name)

    def server_pids(self) -> list[int]:
        """The postmaster (its backends are its children): for CPU accounting."""
        pid_file = self.folder / "data" / "postmaster.pid"
        return [int(pid_file.read_text().split()[0])] if pid_file.exists() else []

    def stop(self) -> None:
        self._run(f"{self.bin}/pg_ctl", "stop", "-m", "fast", "-w", "-D", str(self.folder / "data"))
        shutil.rmtree(self.folder, ignore_errors=True)


class PgServer:
    """`sync-server serve --db <url> --workers N` in its own process group, on a free port."""

    def __init__(self, url: str, data_dir: Path, workers: int) -> None:
        from tests.support.server import free_port

        self.db, self.data_dir, self.workers, self.port = url, data_dir, workers, free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "PgServer":
        from tests.support.server import ROOT, answers_ok

        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.data_dir / "server.log", "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sync_server", "serve", "--db", self.db, "--data-dir", str(self.data_dir),
             "--workers", str(self.workers), "--port", str(self.port)],
            cwd=ROOT, env={**os.environ, "PYTHONWARNINGS": "ignore"}, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while not answers_ok(self.url + "/healthz"):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((self.data_dir / "server.log").read_text(errors="replace")[-3000:])
            time.sleep(0.1)
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
