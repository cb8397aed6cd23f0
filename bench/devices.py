"""100 simulated devices at once, each pulling its feed and pushing small batches: latency
percentiles, errors, and the server's peak memory."""
from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx

from bench.common import County, enroll, peak_rss_mb, start_server
from tests.support.records import queue_record, record

DEVICES, ROUNDS, PER_PUSH = 100, 5, 10


def prepare(url: str, county: County, workdir: Path) -> list[tuple[str, list[list[str]]]]:
    """Enroll the devices (spread over the county's inspectors) and sign their records."""
    devices = []
    for n in range(DEVICES):
        person = county.people[n % len(county.people)]
        client = enroll(url, county, person, workdir / f"dev-{n}")
        client.sync()
        assignments = client.store.list_assignments()
        batches = []
        for r in range(ROUNDS):
            docs = [record(assignments[(r * PER_PUSH + k) % len(assignments)], [person]) for k in range(PER_PUSH)]
            batches.append([queue_record(client, d, [], "2026-11-20T10:00:00Z").decode()
                            for d in docs])
        devices.append((client._auth()["Authorization"], batches))
        client.close()
    return devices


async def one_device(url: str, auth: str, batches: list[list[str]], latencies: list[float], errors: list[str]) -> None:
    """Each round: pull the feed from the saved cursor (the first pull is the whole feed), push."""
    cursor = "0"
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": auth}, timeout=60) as http:
        for batch in batches:
            pulled = await _timed(http, latencies, "GET", "/v1/feed", params={"cursor": cursor, "limit": "100"})
            if pulled.status_code == 200:
                cursor = pulled.json()["cursor"]
            pushed = await _timed(http, latencies, "POST", "/v1/records/batch", json={"envelopes": batch})
            for response, what in ((pulled, "GET /v1/feed"), (pushed, "POST /v1/records/batch")):
                if response.status_code != 200:
                    errors.append(f"{what}: {response.status_code}")
            if pushed.status_code == 200 and any(r["status"] != "accepted" for r in pushed.json()["receipts"]):
                errors.append("POST /v1/records/batch: a record was not accepted")


async def _timed(http: httpx.AsyncClient, latencies: list[float], method: str, path: str, **kwargs: object):
    start = time.perf_counter()
    response = await http.request(method, path, **kwargs)
    latencies.append(time.perf_counter() - start)
    return response


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run(workdir: Path, county: County) -> dict[str, float]:
    server = start_server(county.db)
    try:
        devices = prepare(server.url, county, workdir)
        latencies: list[float] = []
        errors: list[str] = []

        async def everyone() -> None:
            await asyncio.gather(*(one_device(server.url, auth, b, latencies, errors) for auth, b in devices))
        started = time.perf_counter()
        asyncio.run(everyone())
        elapsed = time.perf_counter() - started
        assert server.proc is not None
        rss = peak_rss_mb(server.proc.pid)
    finally:
        server.stop()
    return {"devices100_p50_ms": round(percentile(latencies, 0.5) * 1000, 1),
            "devices100_p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
            "devices100_requests": len(latencies), "devices100_errors": len(errors),
            "devices100_wall_s": round(elapsed, 2), "server_peak_rss_mb": round(rss, 1)}
