"""A province on one platform: 100 counties of 3,000 units and 100 officers each (300,000 units,
10,000 officers) under 10 cities, 100,000 records; the public list page's p95 over real HTTP
(a county's 公示 list under its own path, /o/<code>/public/results, counties picked at random) and
the city and province roll-up reports' time.

How the data is made (docs/BENCHMARKS.md, "Province"):
- TEMPLATES distinct counties are made through the live paths: `demo.seed` with its history (the
  registries imported, the year's draws, every visit's record signed by two officers and pushed
  through the API, leaders' approvals, the disclosure list, follow-ups), then the records topped
  up to RECORDS a county by more signed records pushed through the API (bench/load.py's officers
  and builder), stored by the real pipeline: checked, categorized, logged, awaiting review.
- The platform's offices are recorded with the platform's own service (`office add`'s), each
  county's database is a copy of one template (round robin), renamed to its office (its name and
  region) by the platform's provisioning. So counties share a template's figures: the work
  (rows, pages, sums) is the province's; the variety is TEMPLATES counties'.
"""
from __future__ import annotations

import random
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench import load
from bench.common import County, median, start_server
from bench.load import percentile
from demo.seed import seed_demo
from schemas import clock
from sync_server.db.connection import office_target, open_db, transaction

PROVINCE, CITIES, COUNTIES_PER_CITY = "370000", 10, 10
UNITS, OFFICERS, RECORDS, TEMPLATES = 3000, 100, 1000, 4
PAGE_REQUESTS, PUSH = 600, 100


@dataclass
class Template:
    db: Path
    records: int
    units: int
    officers: int


def template(directory: Path, seed: int) -> Template:
    """One county through the live paths, its records topped up through the API."""
    directory.mkdir(parents=True, exist_ok=True)
    db = directory / "county.db"
    conn = open_db(db)
    facts = seed_demo(conn, units=UNITS, inspectors=OFFICERS, seed_value=seed, report=lambda *_: None,
                      history=True, db_path=db)
    people = [r[0] for r in conn.execute("SELECT DISTINCT user_id FROM assignment_team ORDER BY user_id")]
    have = conn.execute("SELECT count(*) FROM records").fetchone()[0]
    conn.close()
    county = County(db, facts["admin_token"], facts["demo_inspector"], people)
    server = start_server(db)
    try:
        _top_up(server.url, county, RECORDS - have)
    finally:
        server.stop()
    conn = open_db(db)
    try:
        counts = [conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("records", "units", "users")]
    finally:
        conn.close()
    return Template(db, *counts)


def _top_up(url: str, county: County, missing: int) -> None:
    people = load.people_of(url, county)
    with httpx.Client(base_url=url, timeout=120) as http:
        office = load.Office(http, county)
        tablets = {p.id: office.device(p.id, "province tablet") for p in people}
        for start in range(0, missing, load.PER_PUSH):
            person = people[(start // load.PER_PUSH) % len(people)]
            body = load._sign_batch(person, start)
            pushed = http.post("/v1/records/batch", content=body, headers={
                "Authorization": tablets[person.id], "Content-Type": "application/json"}).raise_for_status()
            assert all(r["status"] == "accepted" for r in pushed.json()["receipts"]), pushed.text[:300]


def offices() -> list[tuple[str, str, str, str | None]]:
    """(code, name, level, parent): the province, its cities, their counties (GB/T 2260-shaped codes)."""
    made = [(PROVINCE, "山东省卫生健康委员会", "province", None)]
    for c in range(1, CITIES + 1):
        city = f"37{c:02d}00"
        made.append((city, f"第{c}市卫生健康委员会", "city", PROVINCE))
        made += [(f"37{c:02d}{k:02d}", f"第{c}市第{k}县卫生健康委员会", "county", city)
                 for k in range(1, COUNTIES_PER_CITY + 1)]
    return made


def platform(root: Path, templates: list[Template]) -> list[str]:
    """The platform's database and one database per office; the counties' codes."""
    from sync_server.office import profile
    from sync_server.platform import databases, service

    root.parent.mkdir(parents=True, exist_ok=True)
    conn = open_db(root)
    counties = []
    try:
        for n, (code, name, level, parent) in enumerate(offices()):
            with transaction(conn):
                made = service.add_office(conn, code, name, level, parent, "commission", "bench")
                if parent is None:
                    profile.update(conn, made.name, made.region, now=made.created_at, by="bench")
            if level == "county":
                target = office_target(root, code)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(templates[len(counties) % len(templates)].db, target)
                counties.append(code)
            if parent is not None:
                databases.provision(root, made, by="bench")
    finally:
        conn.close()
    return counties


def page_times(url: str, counties: list[str]) -> list[float]:
    """The public list of counties picked at random (each county's first page opened once before)."""
    rng = random.Random(14)
    times = []
    with httpx.Client(base_url=url, timeout=120) as http:
        for code in counties:
            http.get(f"/o/{code}/public/results").raise_for_status()
        for _ in range(PAGE_REQUESTS):
            code = rng.choice(counties)
            started = time.perf_counter()
            http.get(f"/o/{code}/public/results").raise_for_status()
            times.append(time.perf_counter() - started)
    return times


def rollup_seconds(root: Path, counties: list[str], year: int) -> tuple[float, Any]:
    """The yearly roll-up of `counties` as the parent's report assembles it, from each county's database."""
    from sync_server.reports import rollup
    from sync_server.reports.core.report import Period

    conns = [(code, code, open_db(office_target(root, code))) for code in counties]
    try:
        started = time.perf_counter()
        rolled = rollup.from_connections(Period(year), conns)
        return time.perf_counter() - started, rolled
    finally:
        for _, _, conn in conns:
            conn.close()


def build(workdir: Path) -> tuple[Path, list[str], list[Template]]:
    templates = [template(workdir / f"template-{n}", 2026 + n) for n in range(TEMPLATES)]
    root = workdir / "platform" / "province.db"
    return root, platform(root, templates), templates


def measure(root: Path, counties: list[str], templates: list[Template]) -> dict[str, Any]:
    server = start_server(root)
    try:
        times = page_times(server.url, counties)
    finally:
        server.stop()
    year = clock.beijing_today().year
    city = [c for c in counties if c.startswith(counties[0][:4])]
    city_s = median([rollup_seconds(root, city, year)[0] for _ in range(3)])
    province_s, _ = rollup_seconds(root, counties, year)
    records = [templates[n % len(templates)].records for n in range(len(counties))]
    return {"province_page_p95_ms": round(percentile(times, 0.95) * 1000, 1),
            "province_page_p50_ms": round(percentile(times, 0.5) * 1000, 1),
            "province_rollup_s": round(city_s, 3), "province_rollup_all_counties_s": round(province_s, 2),
            "province_counties": len(counties),
            "province_units": sum(templates[n % len(templates)].units for n in range(len(counties))),
            "province_records": sum(records)}


def run(workdir: Path, county: Any = None) -> dict[str, Any]:
    return measure(*build(workdir))
