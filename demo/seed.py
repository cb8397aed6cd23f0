"""Make the demo county in a server database: the demo (`python -m demo`), the tests and the benchmarks.

    seed_demo(conn)
      1. the office's own settings (its name and region code) and its admin; the item list, the
         target registry and the inspectors of a generated county (demo.county), written as the
         office's import files (demo.files) and imported (sync_server.registry.imports)
      2. the year's plan, every task announced, revealed and drawn per DRAW_SPEC (demo.draws):
         the draws place the visits
      3. with `history`: the year so far through the API (demo.history), the second-half task
         drawn in October on the way

Nothing here writes a visit, a record or a draw by hand, so every figure the demo shows follows
from the same code as live data, and every task shown as 已抽取 can be exported and verified.
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any, Callable

from demo import draws as demo_draws, files, words
from demo.county import County, generate_county
from schemas.clock import utc_now
from sync_server.accounts import office as office_accounts, service as accounts
from sync_server.db import Connection, meta
from sync_server.db.connection import transaction
from sync_server.office import profile
from sync_server.registry import imports

Report = Callable[[str, int, int], None]
ADMIN = {"id": "admin", "name": "监督所管理员", "role": "admin", "department": "综合监督科",
         "specialties": [], "cert_valid_until": None, "phone": ""}
OFFICE_NAME = f"{words.COUNTY}卫生健康综合监督执法大队"
# The office console's people (sync_server/accounts/office.py): one of each role, one demo password.
CONSOLE_PASSWORD = "Suijian-2026"
CONSOLE_ACCOUNTS = [("zhangwei", "张伟", "admin"), ("lina", "李娜", "clerk"), ("wangfang", "王芳", "auditor")]
IMPORT_LABELS = {"items": "事项清单", "units": "单位名录", "inspectors": "人员名录"}


def progress(label: str, done: int, total: int) -> None:
    width = 30
    filled = width * done // max(total, 1)
    end = "\n" if done >= total else ""
    print(f"\r{label:<8} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}", end=end,
          file=sys.stderr, flush=True)


def seed_demo(conn: Connection, units: int = 3000, inspectors: int = 30, seed_value: int = 2026,
              report: Report = progress, history: bool = True, db_path: Path | str | None = None,
              data_dir: Path | None = None) -> dict[str, Any]:
    """The demo county; with `history`, its year so far (records, approvals, the disclosure list,
    follow-ups) through the API, signature photos beside the database (a SQLite file) or in
    `data_dir` (needed for a PostgreSQL database, which has no file to sit beside)."""
    county = generate_county(seed=seed_value, units=units, inspectors=inspectors)
    result = registries(conn, county, report)
    drawn = draw_plan(conn, county, seed_value, report)
    story: dict[str, Any] = {}
    if history:
        story = _history(conn, db_path or _target_of(conn), result["admin_token"], seed_value, data_dir)
        report("检查结果", 1, 1)
    else:
        with transaction(conn):
            drawn[demo_draws.SECOND_HALF] = demo_draws.draw(conn, demo_draws.SECOND_HALF, seed_value)
    return {**result, "demo_inspector": county.demo_inspector_id, "demo_leader": county.demo_leader_id,
            "draws": len(drawn) + (1 if history else 0), **story}


def registries(conn: Connection, county: County, report: Report) -> dict[str, Any]:
    """The office (its name, region, admin), then its item list, registry and staff through the
    office's import (sync_server.registry.imports) from the files demo.files writes."""
    with transaction(conn):
        profile.update(conn, OFFICE_NAME, words.DIVISION_CODE, utc_now())
        # No import column: the admin is no officer of the registry; `sync-server create-user`'s service.
        admin_token = accounts.create_user(conn, ADMIN)["admin_token"]
        for username, name, role in CONSOLE_ACCOUNTS:
            office_accounts.create_account(conn, username, name, role, CONSOLE_PASSWORD, "demo")
    with tempfile.TemporaryDirectory(prefix="suijian-demo-") as folder:
        for kind, path in files.write_county(county, Path(folder)).items():
            _import(conn, kind, path, report)
    with transaction(conn):
        # No import column: which officers the two demo tablets belong to.
        meta.set_meta(conn, "demo_inspector", county.demo_inspector_id)
        meta.set_meta(conn, "demo_leader", county.demo_leader_id)
    return {"admin_token": admin_token, "units": len(county.units)}


def _import(conn: Connection, kind: str, path: Path, report: Report) -> None:
    label = IMPORT_LABELS[kind]
    result = imports.import_file(conn, kind, path, report=lambda _, done, total: report(label, done, total))
    if result.errors or not result.written:
        raise RuntimeError(f"the demo's {kind} file did not import: " + "; ".join(map(str, result.errors[:5])))
    if kind == "items":
        report(label, result.inserted, result.inserted)


def draw_plan(conn: Connection, county: County, seed_value: int, report: Report) -> dict[str, dict[str, Any]]:
    """The plan's tasks and the second-half task added; the first-half tasks drawn."""
    with transaction(conn):
        numbers = demo_draws.add_plan(conn, county)
        demo_draws.add_second_half(conn)
    drawn = {}
    for done, number in enumerate(numbers, 1):
        with transaction(conn):
            drawn[number] = demo_draws.draw(conn, number, seed_value)
        report("公开抽取", done, len(numbers))
    return drawn


def _history(conn: Connection, db: Path | str, admin_token: str, seed_value: int,
             data_dir: Path | None) -> dict[str, Any]:
    from demo.api import Server
    from demo.history import seed_history

    with Server(db, admin_token, data_dir) as server:
        return seed_history(conn, server, seed_value)


def _target_of(conn: Connection) -> Path | str:
    """The database a connection is open on: a PostgreSQL connection's URL, or SQLite's file."""
    url = getattr(conn, "url", None)
    if url:
        return str(url)
    return Path(conn.execute("PRAGMA database_list").fetchone()["file"])
