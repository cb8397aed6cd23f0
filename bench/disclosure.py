"""The public disclosure list at 100,000 published entries: a filtered page's latency (p50, p95),
a name search, and the CSV / XLSX / JSON downloads, over real HTTP against a real server.

The entries are written straight into the table, each document built by the same rule that
publishes (core.disclosure.entry_doc, canonical JSON, its hash); the signed records behind them
play no part in reading the list, so foreign keys are off on the loading connection only. The
baseline, measured in the same run, is the server's /healthz round trip.
"""
from __future__ import annotations

import hashlib
import json
import random
import statistics
import time
from datetime import date, timedelta
from pathlib import Path

import httpx

from bench.common import start_server
from schemas.jcs import canonicalize
from sync_server.disclosure.core import disclosure as rules
from demo.county import generate_county
from sync_server.db.connection import open_db

ENTRIES = 100_000
REQUESTS = 300
CATEGORIES = (("no_problem", 72), ("rectify", 18), ("penalty", 4), ("unreachable", 6))


def build(db: Path) -> list[dict]:
    county = generate_county(seed=7, units=ENTRIES, inspectors=30)
    rng = random.Random(7)
    conn = open_db(db)
    conn.execute("PRAGMA foreign_keys=OFF")
    codes = [c for c, w in CATEGORIES for _ in range(w)]
    rows, docs = [], []
    for n, unit in enumerate(county.units, start=1):
        year = 2025 if n <= ENTRIES // 2 else 2026
        inspected = date(year, 3, 1) + timedelta(days=rng.randrange(270))
        category = rng.choice(codes)
        handling = {"rectify": {"deadline": (inspected + timedelta(days=15)).isoformat(), "status": "met",
                                "checked_on": (inspected + timedelta(days=14)).isoformat()}} if category == "rectify" else {}
        if category == "penalty":
            handling = {"case": {"decision_no": f"云卫公罚〔{year}〕{n}号", "decided_on": (inspected + timedelta(days=20)).isoformat(),
                                 "amount_fen": 500000}}
        if category == "unreachable":
            handling = {"attempts": 2}
        no = f"{year}-{n:06d}"
        published = inspected + timedelta(days=rng.randint(3, 20))
        doc = rules.entry_doc(no, 1, {"name": unit.name, "uscc": unit.id}, unit.specialty,
                              [{"number": f"云溪卫〔{year}〕随抽1号", "title": f"{year}年度双随机抽查"}], ["卫生许可证持证情况"],
                              inspected, category, handling, "云溪县卫生健康综合监督执法大队",
                              inspected + timedelta(days=28), published, hashlib.sha256(no.encode()).hexdigest(), n)
        body = canonicalize(doc)
        rows.append((n, no, f"r{n}", f"a{n}", unit.id, unit.name, unit.specialty, year, 1 if inspected.month <= 6 else 2,
                     inspected.isoformat(), category, category, json.dumps(doc["tasks"], ensure_ascii=False),
                     json.dumps(doc["items"], ensure_ascii=False), json.dumps(handling, ensure_ascii=False),
                     doc["body"], published.isoformat(), inspected.isoformat(), 20, doc["due_on"], 0, "inspection", 1,
                     "published", published.isoformat(), published.isoformat(), published.isoformat(),
                     hashlib.sha256(body).hexdigest(), n))
        docs.append((n, body))
    with conn:
        conn.executemany(
            "INSERT INTO disclosures (id, no, record_id, assignment_id, unit_id, unit_name, specialty, year, half,"
            " inspected_on, record_category, category, tasks, items, handling, body, approved_at, due_from, due_days,"
            " due_on, due_provisional, due_basis, revision, state, first_published_on, published_at, published_on,"
            " doc_sha256, log_index) VALUES (" + ",".join("?" * 29) + ")", rows)
        conn.executemany("INSERT INTO disclosure_docs VALUES (?, ?)", docs)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return [{"name": u.name, "specialty": u.specialty} for u in county.units]


def _latencies(client: httpx.Client, paths: list[str]) -> list[float]:
    out = []
    for path in paths:
        start = time.perf_counter()
        response = client.get(path)
        out.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return out


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def _download(client: httpx.Client, path: str) -> tuple[float, int]:
    start = time.perf_counter()
    size = 0
    with client.stream("GET", path) as response:
        assert response.status_code == 200
        for part in response.iter_bytes():
            size += len(part)
    return time.perf_counter() - start, size


def run(workdir: Path, county: object = None) -> dict[str, float]:
    workdir.mkdir(parents=True, exist_ok=True)
    db = workdir / "disclosure.db"
    units = build(db)
    rng = random.Random(11)
    specialties = sorted({u["specialty"] for u in units})
    filtered = [f"/public/results?year={rng.choice((2025, 2026))}&specialty={rng.choice(specialties)}"
                f"&category={rng.choice(CATEGORIES)[0]}&page={rng.randint(1, 3)}" for _ in range(REQUESTS)]
    deep = [f"/public/results?year=2026&page={rng.randint(1, 2500)}" for _ in range(REQUESTS // 3)]
    names = [f"/public/results?q={rng.choice(units)['name'][3:7]}" for _ in range(REQUESTS // 3)]
    server = start_server(db)
    try:
        with httpx.Client(base_url=server.url, timeout=120) as client:
            _latencies(client, filtered[:20] + ["/healthz"] * 20)   # warm up
            base = _latencies(client, ["/healthz"] * REQUESTS)
            page = _latencies(client, filtered)
            deep_pages = _latencies(client, deep)
            by_name = _latencies(client, names)
            csv_s = [_download(client, "/public/results.csv")[0] for _ in range(3)]
            xlsx_s = [_download(client, "/public/results.xlsx")[0] for _ in range(3)]
            json_s = [_download(client, "/public/results.json")[0] for _ in range(3)]
    finally:
        server.stop()
    return {
        "disclosure_page_p50_ms": round(statistics.median(page), 1),
        "disclosure_page_p95_ms": round(_p95(page), 1),
        "disclosure_deep_page_p95_ms": round(_p95(deep_pages), 1),
        "disclosure_name_search_p95_ms": round(_p95(by_name), 1),
        "disclosure_healthz_p50_ms": round(statistics.median(base), 2),
        "disclosure_page_to_healthz_p50_ratio": round(statistics.median(page) / statistics.median(base), 1),
        "export_csv_100k_s": round(statistics.median(csv_s), 2),
        "export_xlsx_100k_s": round(statistics.median(xlsx_s), 2),
        "export_json_100k_s": round(statistics.median(json_s), 2),
    }


if __name__ == "__main__":
    import sys
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps(run(Path(tmp)), indent=1))
        sys.exit(0)
