"""`make soak`: the fault campaign. Not part of `make test`.

    python -m bench.soak [--runs N] [--seed S] [--faults NAME,...] [--minutes M]

Each run is a fresh server on a copy of a seeded county and two tablets (real sync clients in
their own processes, with their own SQLite stores, keys and photo files), each with a few signed
records with photos in its outbox. While they push, one fault drawn at random strikes:

    kill_server     kill -9 of the server at a random moment of the push, then a restart
    kill_tablet     kill -9 of a tablet's process mid-sync, then the tablet starts again
    cut             connections cut mid-request and mid-response by a proxy (tests/support/proxy.py)
    disk_full       the server's database and photos on a small tmpfs that is full, then freed
    second_server   a second server process on the same database, each tablet pushing to one
    idle            the server sits idle longer than its threads' idle timeout, then the push

Then the tablets sync until their outboxes are empty (at most a few rounds). After each run:
- lost: a record a tablet holds (or was told was accepted) that the server does not have;
- doubled: a record stored twice, or logged (record.received) more or less than once;
- stalled: a tablet whose outbox still holds records after the recovery rounds;
- the audit log's indexes run 0..n-1 with no gap, its root recomputed from the stored leaves
  equals the signed head's, and inclusion proofs fetched over HTTP verify.

Figures go to bench/results.json and docs/BENCHMARKS.md: faults_runs, faults_lost,
faults_doubled, faults_stalled (and the runs per fault).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench import common
from field_app.keys import KeyStore
from field_app.outbox import record_photos
from field_app.store import LocalStore
from field_app.sync import RetryPolicy, SyncClient
from schemas import envelope
from sync_server.audit.core import merkle
from tests.support.photos import jpeg_bytes, save_photo
from tests.support.records import finding, queue_record, record
from tests.support.server import ServerProcess

ROOT = Path(__file__).resolve().parents[1]
FAULTS = ("kill_server", "kill_tablet", "cut", "disk_full", "second_server", "idle")
WEIGHTS = {"kill_server": 4, "kill_tablet": 4, "cut": 4, "disk_full": 2, "second_server": 3, "idle": 1}
IDLE_SECONDS = 11.0          # longer than anyio's 10 s worker-thread idle timeout
RECOVERY_ROUNDS = 6
TABLET_RETRY = RetryPolicy(attempts=3, base_delay=0.05, max_delay=0.3)


# --- a tablet in its own process -------------------------------------------------------------------

def tablet_main(home: str, url: str) -> int:
    """One sync of the tablet whose data is in `home` (what the soak kills with -9)."""
    client = SyncClient(url, LocalStore(Path(home) / "app.db"), KeyStore(Path(home) / "keys"),
                        retry=TABLET_RETRY, timeout=10.0)
    try:
        result = client.sync()
    finally:
        client.close()
        client.store.close()
    print(json.dumps({"offline": result.offline, "error": result.error, "receipts": result.receipts}), flush=True)
    return 0


def start_tablet(home: Path, url: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "bench.soak", "tablet", str(home), url], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "PYTHONWARNINGS": "ignore"})


def run_tablets(homes: list[Path], urls: list[str], timeout: float = 120.0) -> None:
    procs = [start_tablet(home, url) for home, url in zip(homes, urls)]
    for proc in procs:
        _wait(proc, timeout)


def _wait(proc: subprocess.Popen, timeout: float) -> None:
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# --- one run ------------------------------------------------------------------------------------------

@dataclass
class Outcome:
    fault: str
    lost: int = 0
    doubled: int = 0
    stalled: int = 0
    log_ok: bool = True
    notes: list[str] = field(default_factory=list)


@dataclass
class Run:
    directory: Path
    county: common.County
    rng: random.Random
    server: ServerProcess | None = None
    extra: list[ServerProcess] = field(default_factory=list)
    homes: list[Path] = field(default_factory=list)
    mount: Path | None = None

    @property
    def db(self) -> Path:
        assert self.server is not None
        return self.server.db

    def start_server(self, db: Path, photo_dir: Path | None = None) -> ServerProcess:
        env = {"PYTHONWARNINGS": "ignore"}
        if photo_dir is not None:
            env["SUIJIAN_PHOTO_DIR"] = str(photo_dir)
        return ServerProcess(db, env=env).start()

    def prepare_tablets(self, url: str, users: list[str]) -> None:
        for n, user in enumerate(users):
            home = self.directory / f"tablet-{n}"
            client = common.enroll(url, self.county, user, home)
            client.retry = TABLET_RETRY
            client.sync()
            assignments = client.store.list_assignments()
            for r in range(self.rng.randint(2, 5)):
                self._queue(client, home, assignments[(n * 7 + r) % len(assignments)], user)
            client.close()
            client.store.close()
            self.homes.append(home)

    def _queue(self, client: SyncClient, home: Path, assignment: dict, user: str) -> None:
        shas = []
        for _ in range(self.rng.randint(0, 2)):
            sha, path = save_photo(home / "photos", jpeg_bytes(self.rng.randrange(1 << 30), (320, 240)))
            client.store.add_photo(sha, path, path.stat().st_size)
            shas.append(sha)
        items = assignment["items"]
        findings = [finding(items[0], "non_compliant" if shas else "compliant", photos=shas)] + \
            [finding(i) for i in items[1:]]
        doc = record(assignment, [user], findings=findings)
        queue_record(client, doc, record_photos(doc), common_now())

    def stop(self) -> None:
        for proc in [self.server, *self.extra]:
            if proc is not None:
                proc.stop()
        if self.mount is not None:
            subprocess.run(["umount", "-l", str(self.mount)], check=False)


def common_now() -> str:
    from schemas import clock

    return clock.utc_stamp()


def one_run(base: Path, county: common.County, users: list[str], fault: str, rng: random.Random) -> Outcome:
    run = Run(base, county, rng)
    base.mkdir(parents=True)
    try:
        db = _place_database(run, fault)
        run.server = run.start_server(db, run.mount / "photos" if run.mount else None)
        run.prepare_tablets(run.server.url, users)
        strike(run, fault)
        recover(run)
        return check(run, fault)
    finally:
        run.stop()


def _place_database(run: Run, fault: str) -> Path:
    if fault != "disk_full":
        db = run.directory / "server" / "server.db"
        db.parent.mkdir()
        shutil.copy(run.county.db, db)
        return db
    run.mount = run.directory / "tmpfs"
    run.mount.mkdir()
    size = run.county.db.stat().st_size + 6 * 1024 * 1024
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(run.mount)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        raise RuntimeError(f"cannot mount a tmpfs for the disk_full fault (run as root): {mounted.stderr}")
    db = run.mount / "server.db"
    shutil.copy(run.county.db, db)
    return db


def strike(run: Run, fault: str) -> None:
    assert run.server is not None
    url = run.server.url
    if fault == "kill_server":
        procs = [start_tablet(home, url) for home in run.homes]
        time.sleep(run.rng.uniform(0.0, 1.2))
        run.server.kill9()
        for proc in procs:
            _wait(proc, 120)
        run.server.start()
    elif fault == "kill_tablet":
        procs = [start_tablet(home, url) for home in run.homes]
        time.sleep(run.rng.uniform(0.2, 1.5))
        victim = run.rng.choice(procs)
        if victim.poll() is None:
            victim.send_signal(signal.SIGKILL)
        for proc in procs:
            _wait(proc, 120)
    elif fault == "cut":
        from tests.support.proxy import FaultProxy

        with FaultProxy(url).start() as proxy:
            proxy.cut(after=run.rng.randint(0, 4000), requests=run.rng.randint(1, 6),
                      where=run.rng.choice(["request", "response"]))
            run_tablets(run.homes, [proxy.url] * len(run.homes))
    elif fault == "disk_full":
        assert run.mount is not None
        filler = run.mount / "filler"
        _fill(filler)
        run_tablets(run.homes, [url] * len(run.homes))
        filler.unlink()
    elif fault == "second_server":
        second = run.start_server(run.db)
        run.extra.append(second)
        run_tablets(run.homes, [url, second.url][: len(run.homes)])
    elif fault == "idle":
        httpx.get(url + "/healthz", timeout=10)
        run_tablets(run.homes[:1], [url])
        time.sleep(IDLE_SECONDS)
        run_tablets(run.homes, [url] * len(run.homes))
    else:
        raise ValueError(fault)


def _fill(path: Path) -> None:
    chunk = b"\0" * 65536
    with open(path, "wb") as out:
        try:
            while True:
                out.write(chunk)
        except OSError:
            pass


def recover(run: Run) -> None:
    assert run.server is not None
    for _ in range(RECOVERY_ROUNDS):
        if not any(_pending(home) for home in run.homes):
            return
        run_tablets(run.homes, [run.server.url] * len(run.homes))


def _pending(home: Path) -> int:
    store = LocalStore(home / "app.db")
    try:
        return sum(1 for row in store.outbox_rows() if row["state"] not in ("accepted", "rejected"))
    finally:
        store.close()


def check(run: Run, fault: str) -> Outcome:
    out = Outcome(fault)
    held, acked = set(), set()
    for home in run.homes:
        store = LocalStore(home / "app.db")
        try:
            for row in store.outbox_rows():
                if row["kind"] != "record":
                    continue
                held.add(row["id"])
                if row["state"] == "accepted":
                    acked.add(row["id"])
                elif row["state"] != "rejected":
                    out.stalled += 1
        finally:
            store.close()
    conn = sqlite3.connect(run.db)
    try:
        stored = {r[0]: r[1] for r in conn.execute("SELECT id, count(*) FROM records GROUP BY id")}
        logged: dict[str, int] = {}
        for (subject,) in conn.execute("SELECT subject FROM audit_log WHERE kind = 'record.received'"):
            logged[subject] = logged.get(subject, 0) + 1
        out.lost = len((held | acked) - set(stored))
        out.doubled = sum(1 for rid in held if stored.get(rid, 0) > 1 or logged.get(rid, 0) > 1)
        out.doubled += sum(1 for rid in held & set(stored) if logged.get(rid, 0) == 0)
        out.log_ok = _log_verifies(conn, run.server.url if run.server else "", run.rng, out)
    finally:
        conn.close()
    return out


def _log_verifies(conn: sqlite3.Connection, url: str, rng: random.Random, out: Outcome) -> bool:
    rows = conn.execute("SELECT idx, entry, leaf_hash FROM audit_log ORDER BY idx").fetchall()
    if [r[0] for r in rows] != list(range(len(rows))):
        out.notes.append("audit log indexes have a gap or a duplicate")
        return False
    leaves = [bytes(r[2]) for r in rows]
    if any(merkle.leaf_hash(bytes(r[1])) != leaf for r, leaf in zip(rows, leaves)):
        out.notes.append("a stored leaf hash does not match its entry")
        return False
    head = httpx.get(url + "/v1/log/head", timeout=30).json()
    size, root = head["size"], bytes.fromhex(head["root"])
    if merkle.root(leaves[:size]) != root:
        out.notes.append("the signed head's root differs from the stored leaves")
        return False
    key = bytes.fromhex(httpx.get(url + "/v1/log/key", timeout=30).json()["public_key"])
    envelope.verify(envelope.parse(head["envelope"].encode()), key)
    for index in rng.sample(range(size), min(3, size)):
        proof = httpx.get(f"{url}/v1/log/proof/{index}", params={"size": size}, timeout=30).json()
        path = [bytes.fromhex(h) for h in proof["proof"]]
        if not merkle.verify_inclusion(index, size, leaves[index], path, root):
            out.notes.append(f"the inclusion proof of {index} does not verify")
            return False
    return True


# --- the campaign -------------------------------------------------------------------------------------

def campaign(runs: int, seed: int, faults: list[str], minutes: float | None) -> dict:
    rng = random.Random(seed)
    started = time.monotonic()
    totals = {"faults_runs": 0, "faults_lost": 0, "faults_doubled": 0, "faults_stalled": 0, "faults_log_bad": 0}
    per_fault: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="suijian-soak-") as tmp:
        county = common.seeded(Path(tmp) / "county", units=400, inspectors=14)
        users = _users_with_work(county)
        for n in range(runs):
            if minutes is not None and time.monotonic() - started > minutes * 60:
                break
            fault = rng.choices(faults, [WEIGHTS[f] for f in faults])[0]
            began = time.monotonic()
            outcome = one_run(Path(tmp) / f"run-{n:04d}", county, rng.sample(users, 2), fault,
                              random.Random(rng.randrange(1 << 32)))
            shutil.rmtree(Path(tmp) / f"run-{n:04d}", ignore_errors=True)
            totals["faults_runs"] += 1
            totals["faults_lost"] += outcome.lost
            totals["faults_doubled"] += outcome.doubled
            totals["faults_stalled"] += outcome.stalled
            totals["faults_log_bad"] += not outcome.log_ok
            per_fault[fault] = per_fault.get(fault, 0) + 1
            bad = outcome.lost or outcome.doubled or outcome.stalled or not outcome.log_ok
            print(f"[soak] run {n + 1}/{runs} {fault}: lost {outcome.lost} doubled {outcome.doubled} "
                  f"stalled {outcome.stalled} log {'ok' if outcome.log_ok else 'BAD'} "
                  f"({time.monotonic() - began:.1f} s) {' '.join(outcome.notes)}",
                  file=sys.stderr if bad else sys.stdout, flush=True)
    totals["faults_seconds"] = round(time.monotonic() - started)
    totals["faults_by_kind"] = dict(sorted(per_fault.items()))
    return totals


def _users_with_work(county: common.County) -> list[str]:
    conn = sqlite3.connect(county.db)
    try:
        return [r[0] for r in conn.execute(
            "SELECT t.user_id FROM assignment_team t JOIN users u ON u.id = t.user_id WHERE u.role = 'inspector'"
            " GROUP BY t.user_id HAVING count(*) >= 5 ORDER BY t.user_id")]
    finally:
        conn.close()


def main(argv: list[str]) -> int:
    if argv[:1] == ["tablet"]:
        return tablet_main(argv[1], argv[2])
    p = argparse.ArgumentParser(prog="make soak", description="the fault campaign (docs/BENCHMARKS.md)")
    p.add_argument("--runs", type=int, default=1000)
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--faults", default=",".join(FAULTS))
    p.add_argument("--minutes", type=float, default=None, help="stop starting new runs after this long")
    p.add_argument("--no-record", action="store_true", help="do not write bench/results.json")
    args = p.parse_args(argv)
    faults = [f for f in args.faults.split(",") if f]
    unknown = set(faults) - set(FAULTS)
    if unknown:
        p.error(f"unknown faults: {sorted(unknown)}")
    totals = campaign(args.runs, args.seed, faults, args.minutes)
    print(json.dumps(totals, ensure_ascii=False), flush=True)
    if not args.no_record:
        from bench.__main__ import RESULTS, write_table

        results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
        results.update(totals)
        RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
        write_table(results)
    bad = totals["faults_lost"] or totals["faults_doubled"] or totals["faults_stalled"] or totals["faults_log_bad"]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
