"""The office console's import preview of a 100,000-row unit registry (.xlsx, generated).

The preview is what one POST /office/registry/import does before it renders: read the workbook
(the reader's size and extent checks, calamine), check every row, compare each with the registry
(new, changed, unchanged) and keep the result server-side (registry/staging.py). Measured on a
database that already holds the 100,000 units with every 10th one's phone since changed, the yearly
re-import (each row is compared field by field), and into an empty registry (every row new).
Median of three rounds each.
"""
from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from bench.common import median
from bench.imports import ROWS, make_workbook
from sync_server.db.connection import open_db, transaction
from sync_server.registry import staging
from sync_server.registry.imports import import_file

ROUNDS = 3


def _preview(db: Path, source: Path) -> tuple[float, dict]:
    conn = open_db(db)
    data = source.read_bytes()
    start = time.perf_counter()
    prepared = staging.prepare(conn, "units", source.name, data)
    with transaction(conn):
        staging.stage(conn, prepared, "bench")
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed, prepared.summary


def run(workdir: Path, county: object = None) -> dict[str, float]:
    workdir.mkdir(parents=True, exist_ok=True)
    source = workdir / "units-100k.xlsx"
    make_workbook(source)
    filled = workdir / "filled.db"
    conn = open_db(filled)
    assert import_file(conn, "units", source).inserted == ROWS
    with transaction(conn):
        conn.execute("UPDATE units SET phone = phone || '0' WHERE rowid % 10 = 0")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    again, fresh = [], []
    for n in range(ROUNDS):
        db = workdir / f"again-{n}" / "server.db"
        db.parent.mkdir()
        shutil.copy(filled, db)
        seconds, summary = _preview(db, source)
        assert summary["errors"] == 0 and summary["changed"] == ROWS // 10 and summary["unchanged"] == ROWS - ROWS // 10, summary
        again.append(seconds)
        seconds, summary = _preview(workdir / f"fresh-{n}" / "server.db", source)
        assert summary["new"] == ROWS, summary
        fresh.append(seconds)
    return {"office_import_preview_100k_s": round(median(again), 2),
            "office_import_preview_100k_new_s": round(median(fresh), 2)}


if __name__ == "__main__":
    print(run(Path(tempfile.mkdtemp())))
