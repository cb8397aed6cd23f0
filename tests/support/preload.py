"""A server launcher for the test suite: one process per test process that has imported the
server once and forks a server from itself for each test (as gunicorn's --preload does).

`python -m sync_server serve` spends about 1.1 s of CPU importing (Starlette, uvicorn, Jinja2,
every domain) before it serves; the suite starts a server for nearly every integration test.
A forked server skips the imports and nothing else: it runs the same `sync_server.cli.main(
["serve", ...])` with the environment and working directory the test asked for, stdout and stderr
in the log, in a process of its own on 127.0.0.1 (its own pid, signals, check-pool workers
started from it; killed, it leaves its database as a killed `python -m` server does). The
launcher imports only: no thread, no database, no event loop exists in it when it forks.

Protocol, one JSON object a line: the test process writes {"argv", "env", "cwd", "log"}; the
launcher answers {"pid"} once the server's process exists, and {"exited", "code"} when it ends
(the launcher reaps its children within 0.1 s). EOF on stdin: the launcher exits (the servers live on until
their tests stop them, as a Popen child would).
"""
from __future__ import annotations

import json
import os
import select
import sys
import threading
import types

# What `python -m sync_server serve` imports before it serves (cli.cmd_serve, uvicorn.run).
import uvicorn  # noqa: F401
import uvicorn.config  # noqa: F401
import uvicorn.lifespan.on  # noqa: F401
import uvicorn.loops.auto  # noqa: F401
import uvicorn.protocols.http.auto  # noqa: F401
import sync_server.app  # noqa: F401
import sync_server.cli


def _say(message: dict) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def _reap() -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        _say({"exited": pid, "code": os.waitstatus_to_exitcode(status)})


def _serve(request: dict) -> None:
    """In the forked child: become the server process the request describes, then exit through
    the interpreter's normal shutdown (SystemExit), as `python -m sync_server` does."""
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(devnull)
    os.close(log)
    sys.stdout = open(1, "w", encoding="utf-8", closefd=False)
    sys.stderr = open(2, "w", encoding="utf-8", errors="backslashreplace", closefd=False, buffering=1)
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    sys.argv = ["sync_server", *request["argv"]]
    # A __main__ with no file or spec, so the check pool's spawned workers do not re-import this
    # launcher as their main module (a `python -m sync_server` server's is skipped the same way).
    sys.modules["__main__"] = types.ModuleType("__main__")
    raise SystemExit(sync_server.cli.main(request["argv"]))


def main() -> None:
    assert threading.active_count() == 1, "forking with other threads running could copy a held lock"
    pending = b""
    while True:
        readable, _, _ = select.select([0], [], [], 0.1)
        _reap()
        if not readable:
            continue
        chunk = os.read(0, 65536)
        if not chunk:
            return
        pending += chunk
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            pid = os.fork()
            if pid == 0:
                _serve(json.loads(line))   # never returns
            _say({"pid": pid})


if __name__ == "__main__":
    main()
