"""Open-loop load: devices arrive on a fixed schedule (Poisson, rate R a second), each pulls its
feed (the whole of it: cursor 0) and pushes 10 signed records; the highest rate the server holds
with p99 under 500 ms and no error.

Open loop, not closed: an arrival does not wait for the one before it, and its latency is counted
from its SCHEDULED time, so a server that falls behind shows its queue in the figure (no
coordinated omission). Each rate runs for DURATION seconds; rates are doubled until one fails,
then bisected. The records (tests/support/records.py's builder, the tablet's) are signed before each step (outside
the timed window) by the officers' own keys, registered through the API on team tablets; arrivals
use many devices enrolled through the API, so most arrivals are a device's first request in a
minute (as on a province's platform, where each of thousands of tablets syncs a few times a day).

The client is one asyncio loop with httpx on the same machine as the server: its CPU share is
measured and reported beside each step (it limits the figure on a 2-core machine)."""
from __future__ import annotations

import asyncio
import json
import os
import random
import sqlite3
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bench.common import County, median, seeded_pg, start_server
from bench.pgcluster import Cluster, PgServer
from schemas import envelope
from tests.support.records import record

DURATION, PER_PUSH, P99_LIMIT_S = 20.0, 10, 0.5
DEVICES = 400                 # tablets that arrive (enrolled through the API, one per arrival in turn)
FIRST_RATE, MIN_RATE, MAX_RATE, RESOLUTION = 4.0, 1.0, 256.0, 1.15


@dataclass
class Person:
    """An inspector: their assignments and the raw signing keys of the officers who sign with them."""
    id: str
    assignments: list[dict[str, Any]]
    keys: dict[str, bytes]


@dataclass
class Step:
    rate: float
    arrivals: int
    p50_ms: float
    p99_ms: float
    errors: int
    client_cpu: float            # client process CPU seconds per wall second during the step
    server_cpu: float            # the server's processes (and their children), the same
    server_cpu_ms: float         # the server's CPU per arrival (ms): what a dedicated core would allow
    feed_p50_ms: float
    push_p50_ms: float
    first_errors: list[str] = field(default_factory=list)

    @property
    def held(self) -> bool:
        return self.errors == 0 and self.p99_ms < P99_LIMIT_S * 1000


class Office:
    """The office's side of enrollment, through the API: one-time codes for its officers."""

    def __init__(self, http: httpx.Client, county: County) -> None:
        self.http, self.admin = http, {"Authorization": f"Bearer {county.admin_token}"}

    def code(self, user: str) -> str:
        return self.http.post(f"/v1/admin/users/{user}/enrollment-codes", headers=self.admin).json()["code"]

    def device(self, user: str, name: str) -> str:
        """A device enrolled with its own key (as the tablet does it); its authorization header."""
        body = {"code": self.code(user), "public_key": _public_hex(Ed25519PrivateKey.generate()),
                "algorithm": "ed25519", "device_name": name}
        return "Bearer " + self.http.post("/v1/enroll", json=body).raise_for_status().json()["token"]

    def officer_key(self, tablet: str, officer: str) -> bytes:
        """An officer's signing key registered on a tablet with the officer's own code; its raw bytes."""
        key = Ed25519PrivateKey.generate()
        body = {"code": self.code(officer), "public_key": _public_hex(key), "algorithm": "ed25519",
                "device_name": "load"}
        self.http.post("/v1/officer-keys", json=body, headers={"Authorization": tablet}).raise_for_status()
        return key.private_bytes_raw()


def _public_hex(key: Ed25519PrivateKey) -> str:
    return envelope.public_raw_of(key).hex()


def people_of(url: str, county: County) -> list[Person]:
    """Each inspector's team tablet: its feed's assignments, every teammate's signing key on it."""
    found = []
    with httpx.Client(base_url=url, timeout=60) as http:
        office = Office(http, county)
        for person in county.people:
            tablet = office.device(person, "team tablet")
            assignments = [a for a in _feed(http, tablet) if len(a.get("team", [])) >= 2]
            signers = {person} | {record(a, [person])["inspectors"][1] for a in assignments}
            found.append(Person(person, assignments, {p: office.officer_key(tablet, p) for p in signers}))
    return [p for p in found if p.assignments]


def _feed(http: httpx.Client, auth: str) -> list[dict[str, Any]]:
    docs, cursor, more = [], "0", True
    while more:
        page = http.get("/v1/feed", params={"cursor": cursor, "limit": "500"}, headers={"Authorization": auth}).json()
        docs += [item["data"] for item in page["items"] if item["kind"] == "assignment"]
        cursor, more = page["cursor"], page["more"]
    return docs


def devices_of(url: str, county: County, people: list[Person], count: int) -> list[tuple[Person, str]]:
    """`count` devices enrolled through the API, spread over the inspectors."""
    with httpx.Client(base_url=url, timeout=60) as http:
        office = Office(http, county)
        return [(people[n % len(people)], office.device(people[n % len(people)].id, f"load-{n}")) for n in range(count)]


def _sign_batch(person: Person, start: int) -> bytes:
    """The body of one push: PER_PUSH records of the person's assignments, signed by its two officers."""
    texts = []
    for k in range(PER_PUSH):
        doc = record(person.assignments[(start + k) % len(person.assignments)], [person.id])
        keys = [Ed25519PrivateKey.from_private_bytes(person.keys[p]) for p in doc["inspectors"]]
        texts.append(envelope.sign(doc, envelope.RECORD_TYPE, *keys).decode())
    return json.dumps({"envelopes": texts}).encode()


def batches(devices: list[tuple[Person, str]], first: int, count: int, pool: ProcessPoolExecutor) -> list[tuple[str, bytes]]:
    """`count` arrivals from arrival number `first` on: (the device's authorization, its push body)."""
    chosen = [devices[(first + n) % len(devices)] for n in range(count)]
    bodies = pool.map(_sign_batch, [p for p, _ in chosen], [(first + n) * PER_PUSH for n in range(count)], chunksize=16)
    return [(auth, body) for (_, auth), body in zip(chosen, bodies)]


def schedule(rate: float, duration: float, seed: int) -> list[float]:
    """Arrival offsets (seconds) of a Poisson process at `rate`, fixed by `seed`."""
    rng, at, times = random.Random(seed), 0.0, []
    while True:
        at += rng.expovariate(rate)
        if at >= duration:
            return times
        times.append(at)


async def _arrive(http: httpx.AsyncClient, due: float, auth: str, body: bytes, out: dict[str, list]) -> None:
    """One device: pull the feed, push its records; latency from the scheduled time `due`."""
    await asyncio.sleep(max(0.0, due - time.perf_counter()))
    headers = {"Authorization": auth}
    try:
        pulled = await http.get("/v1/feed", params={"cursor": "0", "limit": "100"}, headers=headers)
        between = time.perf_counter()
        pushed = await http.post("/v1/records/batch", content=body,
                                 headers={**headers, "Content-Type": "application/json"})
        done = time.perf_counter()
    except httpx.HTTPError as exc:
        out["errors"].append(f"{type(exc).__name__}: {exc}")
        return
    out["latency"].append(done - due)
    out["feed"].append(between - due)
    out["push"].append(done - between)
    for response, what in ((pulled, "GET /v1/feed"), (pushed, "POST /v1/records/batch")):
        if response.status_code != 200:
            out["errors"].append(f"{what}: {response.status_code} {response.text[:200]}")
    if pushed.status_code == 200 and any(r["status"] != "accepted" for r in pushed.json()["receipts"]):
        out["errors"].append(f"POST /v1/records/batch: not accepted: {pushed.text[:300]}")


async def _drive(url: str, offsets: list[float], work: list[tuple[str, bytes]]) -> dict[str, list]:
    out: dict[str, list] = {"latency": [], "feed": [], "push": [], "errors": []}
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=200)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as http:
        start = time.perf_counter() + 0.2
        await asyncio.gather(*(_arrive(http, start + at, auth, body, out) for at, (auth, body) in zip(offsets, work)))
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("inf")


def cpu_seconds(pids: list[int]) -> float:
    """CPU time (user + system) of processes and their children so far, from /proc."""
    total = 0.0
    for pid in _with_children(pids):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _with_children(pids: list[int]) -> list[int]:
    found, todo = [], list(pids)
    while todo:
        pid = todo.pop()
        found.append(pid)
        for task in Path(f"/proc/{pid}/task").glob("*/children") if Path(f"/proc/{pid}").exists() else []:
            todo += [int(c) for c in task.read_text().split()]
    return found


def step(url: str, rate: float, work: list[tuple[str, bytes]], offsets: list[float], server: list[int]) -> Step:
    wall, cpu, served = time.perf_counter(), time.process_time(), cpu_seconds(server)
    out = asyncio.run(_drive(url, offsets, work))
    wall, cpu, served = time.perf_counter() - wall, time.process_time() - cpu, cpu_seconds(server) - served
    ms = lambda values, q: round(percentile(values, q) * 1000, 1)  # noqa: E731
    return Step(rate, len(offsets), ms(out["latency"], 0.5), ms(out["latency"], 0.99), len(out["errors"]),
                round(cpu / wall, 2), round(served / wall, 2), round(served / max(1, len(offsets)) * 1000, 1),
                ms(out["feed"], 0.5), ms(out["push"], 0.5), out["errors"][:3])


def highest_rate(url: str, devices: list[tuple[Person, str]], server: list[int],
                 report: Callable[[Step], None]) -> tuple[float, list[Step]]:
    """Double the rate until a step fails, then bisect between the last held and the first failed."""
    steps: list[Step] = []
    held, failed, rate, used = 0.0, None, FIRST_RATE, 0
    with ProcessPoolExecutor(2) as pool:
        while rate and rate <= MAX_RATE:
            offsets = schedule(rate, DURATION, seed=len(steps))
            work = batches(devices, used, len(offsets), pool)
            used += len(offsets)
            steps.append(result := step(url, rate, work, offsets, server))
            report(result)
            if result.held:
                held = rate
            else:
                failed = rate
            rate = rate * 2 if failed is None else _between(held, failed)
    return held, steps


def _between(held: float, failed: float) -> float:
    """The next rate to try, or 0 when the bracket is narrow enough (or nothing held at MIN_RATE)."""
    if (held and failed / held <= RESOLUTION) or (not held and failed <= MIN_RATE):
        return 0.0
    return round((held + failed) / 2, 1) if held else max(MIN_RATE, round(failed / 2, 1))


def feed_costs(url: str, devices: list[tuple[Person, str]], stale: Callable[[], None]) -> dict[str, float]:
    """One device at a time, the whole feed: p50 and p90 (ms) of a pull whose device was seen
    within the minute, and of one whose last sync is older (`stale()` makes every device's so,
    in one transaction before the timed pulls), which writes the last sync down."""
    figures: dict[str, float] = {}
    with httpx.Client(base_url=url, timeout=60) as http:
        for name in ("seen", "due"):
            if name == "due":
                stale()
            times = []
            for _, auth in devices:
                started = time.perf_counter()
                http.get("/v1/feed", params={"cursor": "0", "limit": "100"}, headers={"Authorization": auth})
                times.append(time.perf_counter() - started)
            figures[f"{name}_p50_ms"] = round(percentile(times, 0.5) * 1000, 2)
            figures[f"{name}_p90_ms"] = round(percentile(times, 0.9) * 1000, 2)
    return figures


def show(engine: str) -> Callable[[Step], None]:
    def report(s: Step) -> None:
        print(f"[load {engine}] {s.rate:6.1f}/s  n={s.arrivals:5d}  p50 {s.p50_ms:7.1f} ms  p99 {s.p99_ms:7.1f} ms"
              f"  feed p50 {s.feed_p50_ms:6.1f}  push p50 {s.push_p50_ms:6.1f}  errors {s.errors}"
              f"  cpu client {s.client_cpu:.2f} server {s.server_cpu:.2f} ({s.server_cpu_ms:.1f} ms/arrival)  {'held' if s.held else 'FAILED'} {s.first_errors[:1]}",
              file=sys.stderr, flush=True)
    return report


def measure(url: str, county: County, engine: str, server: list[int]) -> tuple[float, list[Step]]:
    people = people_of(url, county)
    devices = devices_of(url, county, people, DEVICES)
    return highest_rate(url, devices, server, show(engine))


def summary(engine: str, rate: float, steps: list[Step]) -> dict[str, Any]:
    best = max((s for s in steps if s.held), key=lambda s: s.rate, default=None)
    return {f"load_{engine}_max_rps": rate,
            f"load_{engine}_p99_ms_at_max": best.p99_ms if best else None,
            f"load_{engine}_cpu_at_max": {"client": best.client_cpu, "server": best.server_cpu} if best else None,
            f"load_{engine}_server_cpu_ms_per_arrival": median([s.server_cpu_ms for s in steps if s.arrivals]),
            f"load_{engine}_steps": [[s.rate, s.p99_ms, s.errors] for s in steps],
            f"load_{engine}_host_load": round(os.getloadavg()[0], 1)}


def on_sqlite(workdir: Path, county: County) -> dict[str, Any]:
    """One worker on the county's SQLite file; the feed's cost with and without a last sync to write."""
    server = start_server(county.db)
    try:
        rate, steps = measure(server.url, county, "sqlite", [server.proc.pid])
        devices = devices_of(server.url, county, people_of(server.url, county), 200)
        for _, auth in devices:    # a first sync is written before the answer: not what is measured
            httpx.get(server.url + "/v1/feed", params={"cursor": "0", "limit": "100"}, headers={"Authorization": auth})
        feed = feed_costs(server.url, devices, lambda: _stale_sqlite(county.db))
    finally:
        server.stop()
    return {**summary("sqlite", rate, steps), **{f"load_feed_{k}": v for k, v in feed.items()}}


def _stale_sqlite(db: Path) -> None:
    conn = sqlite3.connect(db, isolation_level=None, timeout=30)
    conn.execute("UPDATE devices SET last_seen_at = '2000-01-01T00:00:00.000Z'")
    conn.close()


def on_postgres(workdir: Path, workers: int = 4) -> dict[str, Any]:
    """`serve --workers 4` on a county seeded into a durable PostgreSQL cluster of its own."""
    cluster = Cluster().start()
    try:
        county = seeded_pg(cluster.create_database("load"))
        server = PgServer(str(county.db), workdir / "pg-data", workers).start()
        try:
            rate, steps = measure(server.url, county, f"pg{workers}", [server.proc.pid, *cluster.server_pids()])
        finally:
            server.stop()
    finally:
        cluster.stop()
    return summary(f"pg{workers}", rate, steps)


def run(workdir: Path, county: County) -> dict[str, Any]:
    return {**on_sqlite(workdir, county), **on_postgres(workdir)}
