"""Ingest: signed, verified ~1 KB records pushed in batches of 100 by the headless client,
against the raw baseline measured in the same run; on SQLite and on PostgreSQL (one worker, a
durable cluster of its own: bench/pgcluster.py), the raw baseline (SQLite) the same for both."""
from __future__ import annotations

import base64
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import httpx

from bench.common import County, enroll, median, seeded_pg, start_server, timed
from bench.pgcluster import Cluster, PgServer
from tests.support.records import finding, queue_record, record
from tests.support.server import ROOT, free_port

RECORDS, ROUNDS, BATCH, WARM_UP = 3000, 5, 100, 300


def kilobyte_record(assignment: dict, inspector: str) -> dict:
    """About 1 KB of canonical JSON: three findings, one with a rectification order."""
    items = assignment["items"]
    findings = [finding(items[0], "non_compliant", note="从业人员健康证明过期。"),
                finding(items[1], note="证照齐全。"), finding(items[2])]
    return record(assignment, [inspector], findings=findings)


def fill_outbox(client, inspector: str, n: int) -> list[str]:
    assignments = client.store.list_assignments()
    texts = []
    for k in range(n):
        doc = kilobyte_record(assignments[k % len(assignments)], inspector)
        texts.append(queue_record(client, doc, [], "2026-11-20T10:00:00Z").decode())
    return texts


def raw_rate(workdir: Path, texts: list[str]) -> float:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "bench.raw_server", str(workdir / "raw.db"), str(port)], cwd=ROOT)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait(url)
        with httpx.Client(base_url=url, timeout=60) as http:
            seconds = timed(lambda: [http.post("/raw", json={"envelopes": texts[i:i + BATCH]}).raise_for_status()
                                     for i in range(0, len(texts), BATCH)])
        return len(texts) / seconds
    finally:
        proc.terminate()
        proc.wait()


def _wait(url: str) -> None:
    for _ in range(300):
        try:
            httpx.get(url + "/healthz", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.05)


def rates(url: str, county: County, home: Path, raw_of: Callable[[list[str]], float] | None) -> tuple[list, list, list]:
    """ROUNDS pushes of RECORDS through the client, each beside a raw baseline of the same bytes."""
    rates, raws, sizes = [], [], []
    client = enroll(url, county, county.inspector, home)
    client.sync()
    fill_outbox(client, county.inspector, WARM_UP)   # a running server: its check workers started
    client.sync()
    for _ in range(ROUNDS):
        texts = fill_outbox(client, county.inspector, RECORDS)
        sizes.append(sum(len(base64.b64decode(json.loads(t)["payload"])) for t in texts) / len(texts))
        result = None

        def push() -> None:
            nonlocal result
            from field_app.sync import SyncResult
            result = SyncResult()
            client.push(result, batch_size=BATCH)
        rates.append(RECORDS / timed(push))
        assert result is not None and result.receipts == {"accepted": RECORDS}, result
        if raw_of is not None:
            raws.append(raw_of(texts))
    client.close()
    return rates, raws, sizes


def run(workdir: Path, county: County) -> dict[str, float]:
    server = start_server(county.db)
    try:
        sqlite_rates, raws, sizes = rates(server.url, county, workdir / "ingest-device", lambda t: raw_rate(workdir, t))
    finally:
        server.stop()
    pg_rates = on_postgres(workdir)
    rate, raw, pg = median(sqlite_rates), median(raws), median(pg_rates)
    return {"ingest_records_per_s": round(rate), "ingest_raw_records_per_s": round(raw),
            "ingest_ratio_to_raw": round(rate / raw, 3), "ingest_payload_bytes": round(median(sizes)),
            "ingest_pg_records_per_s": round(pg), "ingest_pg_ratio_to_raw": round(pg / raw, 3),
            "ingest_pg_to_sqlite": round(pg / rate, 3)}


def on_postgres(workdir: Path) -> list[float]:
    """The same pushes to one worker on a county in a durable PostgreSQL cluster of its own."""
    cluster = Cluster().start()
    try:
        county = seeded_pg(cluster.create_database("ingest"))
        server = PgServer(str(county.db), workdir / "pg-data", workers=1).start()
        try:
            return rates(server.url, county, workdir / "ingest-device-pg", None)[0]
        finally:
            server.stop()
    finally:
        cluster.stop()
