"""A real sync server in its own process on 127.0.0.1, on a real SQLite file or PostgreSQL database.

In the test suite (tests/conftest.py sets `ServerProcess.preloaded`) the process is forked from a
launcher that has imported the server once (tests/support/preload.py); otherwise (benchmarks,
or `preloaded=False`) it is `python -m sync_server serve` started afresh."""
from __future__ import annotations

import atexit
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]


def answers_ok(url: str, timeout: float = 1.0) -> bool:
    """Whether GET `url` (plain HTTP) answers 200 now. For polling a process that is starting:
    http.client costs a fraction of a millisecond a try, where each httpx.get builds a TLS
    context (about 65 ms of CPU), so polling every 50 ms with it kept a core busy and slowed
    the very process being waited for."""
    parts = urlsplit(url)
    conn = HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request("GET", parts.path or "/")
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ForkedProcess:
    """A server forked by the launcher, driven as a subprocess.Popen is (pid, poll, wait,
    send_signal, kill, terminate, returncode). It is the launcher's child, not ours: its exit is
    seen on a pidfd (which also makes a signal safe from pid reuse), its code comes from the
    launcher, which reaps it."""

    def __init__(self, launcher: "Launcher", pid: int) -> None:
        self.launcher, self.pid = launcher, pid
        self.returncode: int | None = None
        try:
            self.pidfd: int | None = os.pidfd_open(pid)
        except ProcessLookupError:   # it ended (and was reaped) at once
            self.pidfd = None
            self.returncode = launcher.exit_code(pid)

    def _ended(self, timeout: float | None) -> bool:
        readable, _, _ = select.select([self.pidfd], [], [], timeout)
        return bool(readable)

    def poll(self) -> int | None:
        if self.returncode is None and self._ended(0):
            self.returncode = self.launcher.exit_code(self.pid)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            if not self._ended(timeout):
                raise subprocess.TimeoutExpired(["sync_server", "serve"], timeout or 0)
            self.returncode = self.launcher.exit_code(self.pid)
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.returncode is None:
            try:
                signal.pidfd_send_signal(self.pidfd, sig)
            except ProcessLookupError:
                pass   # it has just ended

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def __del__(self) -> None:
        if self.pidfd is not None:
            os.close(self.pidfd)


class Launcher:
    """tests/support/preload.py, one per test process, started on first use."""

    _mine: "Launcher | None" = None

    @classmethod
    def get(cls) -> "Launcher":
        if cls._mine is None or cls._mine.proc.poll() is not None or cls._mine.owner != os.getpid():
            cls._mine = cls()
        return cls._mine

    def __init__(self) -> None:
        self.owner = os.getpid()
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.support.preload"], cwd=ROOT,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.lock, self.changed = threading.Lock(), threading.Condition()
        self.started: list[int] = []
        self.codes: dict[int, int] = {}
        threading.Thread(target=self._listen, daemon=True, name="server-launcher").start()
        atexit.register(self.close)

    def close(self) -> None:
        """End the launcher (its servers were stopped by their tests) and reap it."""
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def _listen(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            said = json.loads(line)
            with self.changed:
                if "pid" in said:
                    self.started.append(said["pid"])
                else:
                    self.codes[said["exited"]] = said["code"]
                self.changed.notify_all()
        with self.changed:
            self.changed.notify_all()

    def fork(self, argv: list[str], env: dict[str, str], log: Path) -> ForkedProcess:
        assert self.proc.stdin is not None
        with self.lock:
            with self.changed:
                self.started.clear()
            self.proc.stdin.write(json.dumps({"argv": argv, "env": env, "cwd": str(ROOT), "log": str(log)}).encode()
                                  + b"\n")
            self.proc.stdin.flush()
            with self.changed:
                if not self.changed.wait_for(lambda: self.started or self.proc.poll() is not None, timeout=30):
                    raise RuntimeError("the server launcher did not answer")
                if not self.started:
                    raise RuntimeError("the server launcher ended")
                return ForkedProcess(self, self.started.pop())

    def exit_code(self, pid: int) -> int:
        with self.changed:
            self.changed.wait_for(lambda: pid in self.codes or self.proc.poll() is not None, timeout=5)
            return self.codes.get(pid, -1)


class ServerProcess:
    preloaded = False   # fork from the launcher (the test suite) rather than start `python -m sync_server`

    def __init__(self, db: Path | str, port: int | None = None, env: dict[str, str] | None = None,
                 preloaded: bool | None = None) -> None:
        """`db`: the target `serve --db` takes, a SQLite file or a `postgresql://` URL; a URL made by
        tests/support/engine.py keeps the server's files (photos, key, log) where the SQLite file would be."""
        self.db, self.port = db, port or free_port()
        beside: dict[str, str] = {}
        if isinstance(db, str):
            from tests.support import engine   # only the test suite makes PostgreSQL targets
            beside, home = engine.server_env(db), engine.home_file(db)
        else:
            home = db
        self.env = {**os.environ, **beside, **(env or {})}
        self.proc: subprocess.Popen | ForkedProcess | None = None
        self.log = home.with_suffix(".log")
        if preloaded is not None:
            self.preloaded = preloaded

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _forkable(self) -> bool:
        """A forked server keeps what the interpreter read at its start (PYTHON* settings: hash
        seed, warnings, paths): a test that sets one of them gets a fresh interpreter."""
        interpreter = {k for k in {*self.env, *os.environ} if k.startswith("PYTHON")}
        return self.preloaded and all(self.env.get(k) == os.environ.get(k) for k in interpreter)

    def start(self) -> "ServerProcess":
        if self._forkable():
            self.proc = Launcher.get().fork(["serve", "--db", str(self.db), "--port", str(self.port)],
                                            self.env, self.log)
            self._wait_ready()
            return self
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "sync_server", "serve", "--db", str(self.db), "--port", str(self.port)],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self._wait_ready()
        return self

    def _wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text(errors='replace')}")
            if answers_ok(self.url + "/healthz"):
                return
            time.sleep(0.05)
        raise RuntimeError("server did not start in time")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
