"""The yearly report over 100,000 disclosure entries: counting, the late-entries list and the
.xlsx written to disk (`report_year_s`, median of three runs)."""
from __future__ import annotations

import json
import random
import tempfile
import time
from pathlib import Path

from bench.common import median
from sync_server.reports.core.report import Period
from schemas.specialties import SPECIALTIES
from sync_server.db.connection import open_db
from sync_server.reports.service import write_report
from tests.support.report_rows import STAMP, Rows

ENTRIES, UNITS, ROUNDS, YEAR = 100_000, 150_000, 3, 2025
CATEGORIES = [("no_problem", "no_problem")] * 70 + [("rectify", "rectify")] * 20 + [("penalty", "penalty")] * 3 + \
    [("penalty", "rectify")] * 2 + [("unreachable", "unreachable")] * 5


def fill(conn: object, seed: int = 7) -> None:
    """A county with 150,000 covered units, 26 drawn tasks (two a specialty, one in each half,
    one in five without risk weights) and 100,000 approved entries, about 8% published late
    and 1% overdue, with re-inspections of most problems."""
    rnd = random.Random(seed)
    rows = Rows(conn)  # type: ignore[arg-type]
    codes = list(SPECIALTIES)
    units = [(f"U{i:07d}", codes[i % len(codes)]) for i in range(UNITS)]
    rows.insert("units", [{"id": uid, "name": f"单位{uid}", "address": "", "specialty": code, "updated_at": STAMP}
                          for uid, code in units])
    plan = rows.plan(YEAR)
    for n, code in enumerate(codes):
        for half in (1, 2):
            rows.task(plan, f"T{YEAR}-{n:02d}{half}", [code], f"{YEAR}-{'03' if half == 1 else '09'}-01",
                      risk=rnd.random() > 0.2)
    drawn = rnd.sample(units, ENTRIES)
    assignments, links, entries, publications, followups = [], [], [], [], []
    for i, (uid, code) in enumerate(drawn, start=1):
        half = 1 + i % 2
        task = f"T{YEAR}-{codes.index(code):02d}{half}"
        assignments.append({"id": f"A{i:07d}", "unit_id": uid, "due": f"{YEAR}-12-31", "seq": i, "doc": "{}",
                            "created_at": STAMP})
        links.append({"assignment_id": f"A{i:07d}", "task_id": task})
        record_category, category = rnd.choice(CATEGORIES)
        month = rnd.randint(1, 6) + (6 if half == 2 else 0)
        due_on = f"{YEAR}-{month:02d}-{rnd.randint(1, 28):02d}" if month < 12 else f"{YEAR + 1}-01-{rnd.randint(1, 28):02d}"
        roll = rnd.random()
        state = "due" if roll < 0.01 else "published"
        entries.append({"id": i, "no": f"{YEAR}-{i:06d}", "record_id": f"R{i}", "assignment_id": f"A{i:07d}",
                        "unit_id": uid, "unit_name": f"单位{uid}", "specialty": code, "year": YEAR, "half": half,
                        "inspected_on": due_on, "record_category": record_category, "category": category,
                        "tasks": "[]", "items": "[]", "handling": "{}", "body": "云溪", "approved_at": STAMP,
                        "due_from": due_on, "due_days": 20, "due_on": due_on, "due_provisional": 0,
                        "due_basis": "inspection", "revision": 0, "state": state})
        if state == "published":
            publications.append({"disclosure_id": i, "revision": 0, "due_from": due_on, "due_days": 20,
                                 "due_on": due_on, "due_provisional": 0, "due_basis": "inspection",
                                 "published_at": STAMP, "published_on": due_on,
                                 "late_days": rnd.randint(1, 15) if roll > 0.92 else 0, "doc_sha256": "h",
                                 "log_index": i})
        if record_category in ("rectify", "penalty") and rnd.random() < 0.8:
            outcome = "rectified" if rnd.random() < 0.9 else "not_rectified"
            followups.append({"id": f"F{i}", "record_id": f"R{i}", "kind": "reinspection", "on_date": due_on,
                              "doc": json.dumps({"outcome": outcome}), "by_user": "u", "envelope_sha256": "h",
                              "received_at": STAMP, "log_index": i})
    for table, batch in (("assignments", assignments), ("assignment_tasks", links), ("disclosures", entries),
                         ("disclosure_publications", publications), ("followups", followups)):
        rows.insert(table, batch)


def run(workdir: Path, county: object = None) -> dict[str, float]:
    workdir.mkdir(parents=True, exist_ok=True)
    conn = open_db(workdir / "reports-100k.db")
    conn.execute("PRAGMA foreign_keys=OFF")   # no-op inside a transaction: before BEGIN
    conn.execute("BEGIN")
    fill(conn)
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    times = []
    for n in range(ROUNDS):
        out = workdir / f"report-{n}.xlsx"
        start = time.perf_counter()
        report = write_report(conn, Period(YEAR), out)
        times.append(time.perf_counter() - start)
        assert report.total.counts.inspected + report.total.counts.unreachable == ENTRIES
    conn.close()
    return {"report_year_s": round(median(times), 2)}


if __name__ == "__main__":
    print(run(Path(tempfile.mkdtemp())))
