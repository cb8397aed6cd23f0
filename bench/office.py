"""The office console at county scale: 100,000 units and 1,000 officers (the demo county's
generator, imported through the registry's own import, its tasks drawn), every console list page
over real HTTP against a real server, signed in as the office admin.

Each page (every console GET route without a path parameter, plus one unit's, one officer's and
one task's draw page) is requested REQUESTS times in turn; the figure is each page's p95 and the
worst of them, `office_page_p95_ms` (target under 100 ms). The baseline, in the same run, is the
server's /healthz round trip.
"""
from __future__ import annotations

import re
import statistics
import time
from pathlib import Path

from starlette.routing import Route

from bench.common import seeded, start_server
from sync_server.app import routes
from sync_server.db.connection import open_db
from tests.support.office import ADMIN, signed_in

UNITS, OFFICERS = 100_000, 1_000
REQUESTS = 40


def pages(db: Path) -> list[str]:
    """The console pages to time: every GET route without a parameter, and one of each with one."""
    found = []
    for route in routes():
        if isinstance(route, Route) and getattr(route.endpoint, "console_action", None) and "GET" in (route.methods or ()):
            if "{" not in route.path:
                found.append(route.path)
    conn = open_db(db)
    try:
        unit = conn.execute("SELECT id FROM units ORDER BY id LIMIT 1 OFFSET 5000").fetchone()
        officer = conn.execute("SELECT id FROM users WHERE role = 'inspector' ORDER BY id LIMIT 1 OFFSET 500").fetchone()
        task = conn.execute("SELECT number FROM tasks WHERE state = 'drawn' ORDER BY number LIMIT 1").fetchone()
    finally:
        conn.close()
    templates = {route.path for route in routes() if isinstance(route, Route)}
    for pattern, value in (("/office/units/{", unit), ("/office/officers/{", officer), ("/office/tasks/{", task)):
        path = next((p for p in sorted(templates) if p.startswith(pattern) and p.count("{") == 1
                     and (pattern != "/office/tasks/{" or p.endswith("/draw"))), None)
        if path and value:
            found.append(re.sub(r"\{[^}]+\}", str(value[0]), path))
    return sorted(set(found))


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 20 else max(values)


def run(workdir: Path, county: object = None) -> dict:
    started = time.perf_counter()
    data = seeded(workdir / "big", units=UNITS, inspectors=OFFICERS)
    seed_s = time.perf_counter() - started
    server = start_server(data.db)
    try:
        web = signed_in(server.url, ADMIN)
        timings: dict[str, list[float]] = {}
        skipped: dict[str, int] = {}
        base: list[float] = []
        for path in pages(data.db):   # warm each once (templates compiled, pages cached by SQLite)
            reply = web.get(path)
            if reply.status_code == 200:
                timings[path] = []
            else:   # a page that needs a parameter (e.g. two versions to compare) is not a list page
                skipped[path] = reply.status_code
        for _ in range(REQUESTS):
            t0 = time.perf_counter()
            web.get("/healthz")
            base.append(time.perf_counter() - t0)
            for path in timings:
                t0 = time.perf_counter()
                web.get(path)
                timings[path].append(time.perf_counter() - t0)
        web.close()
    finally:
        server.stop()
    per_page = {path: round(p95(values) * 1000, 1) for path, values in timings.items()}
    worst = max(per_page.values())
    base_p95 = p95(base) * 1000
    return {"office_page_p95_ms": worst,
            "office_page_p50_ms": round(statistics.median([statistics.median(v) for v in timings.values()]) * 1000, 1),
            "office_page_p95_by_page_ms": per_page, "office_page_skipped": skipped,
            "office_page_baseline_healthz_p95_ms": round(base_p95, 2),
            "office_page_p95_ratio_to_healthz": round(worst / base_p95, 1),
            "office_bench_units": UNITS, "office_bench_officers": OFFICERS, "office_bench_seed_s": round(seed_s, 1)}
