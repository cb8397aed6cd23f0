"""`make demo` (`python -m demo`): a county's server on demo data, with enrollment codes ready for the tablets, and
two field apps beside it (web mode, no CDN): the demo inspector's tablet and the demo leader's.

    http://HOST:PORT/      public pages and the sync API
    http://HOST:PORT+1/    field app, enrolled as the demo inspector (刘颖), a team tablet: the inspector's
                           teammates' signing keys are registered on it too (every demo PIN is DEMO_PIN)
    http://HOST:PORT+2/    field app, enrolled as the demo leader (苏刚超)
"""
from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from sync_server.accounts import service as accounts
from sync_server.db import meta
from sync_server.accounts.queries import users
from sync_server.db.connection import open_db, transaction
from demo.draws import SECOND_HALF
from sync_server.planning.queries import assignments

DEMO_PIN = "258036"   # every demo officer's signing PIN (a demo: a real PIN is each officer's own)
from demo.seed import CONSOLE_ACCOUNTS, CONSOLE_PASSWORD, seed_demo


def run_demo(directory: Path, host: str, port: int) -> int:
    from sync_server.cli import main as cli_main

    directory.mkdir(parents=True, exist_ok=True)
    db = directory / "server.db"
    conn = open_db(db)
    if users.get_user_by_id(conn, "admin") is None:
        print("正在生成演示数据（云溪县）…", flush=True)
        facts = seed_demo(conn, db_path=db)
        (directory / "admin-token.txt").write_text(facts["admin_token"] + "\n", encoding="utf-8")
    codes = _codes(conn)
    app_codes = _codes(conn)  # the tablets enroll with their own codes; the printed ones stay free
    mates = _teammate_codes(conn)
    conn.close()
    tablets = [Tablet(directory / f"tablet-{role}", port + offset, code, mates if role == "inspector" else [])
               for offset, (_, role, code) in enumerate(app_codes, 1)]
    _banner(directory, host, port, codes, tablets, app_codes, _sample_entry(db), _second_half_id(db))
    starter = threading.Thread(target=_start_tablets, args=(tablets, host, port), daemon=True)
    starter.start()
    try:
        return cli_main(["serve", "--db", str(db), "--host", host, "--port", str(port)])
    finally:
        for tablet in tablets:
            tablet.stop()


class Tablet:
    """A field app process playing one tablet, with its own data directory."""

    def __init__(self, data: Path, port: int, code: str, officer_codes: list[str] = ()) -> None:
        self.data, self.port, self.code, self.officer_codes = data, port, code, list(officer_codes)
        self.proc: subprocess.Popen | None = None

    def start(self, host: str, server: str) -> None:
        log = open(self.data.with_suffix(".log"), "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "field_app", "--data", str(self.data), "--server", server, "--host", host,
             "--port", str(self.port), "--enroll-code", self.code, "--enroll-pin", DEMO_PIN,
             *[arg for code in self.officer_codes for arg in ("--officer", f"{code}:{DEMO_PIN}")]],
            stdout=log, stderr=subprocess.STDOUT)
        log.close()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def _start_tablets(tablets: list[Tablet], host: str, port: int) -> None:
    """Once the server answers, the tablets start (they enroll and pull their work first)."""
    server = f"http://{host}:{port}"
    for _ in range(600):
        try:
            with urllib.request.urlopen(server + "/healthz", timeout=1):
                break
        except OSError:
            time.sleep(0.1)
    for tablet in tablets:
        tablet.start(host, server)


def _sample_entry(db: Path) -> str:
    """A published penalty entry to show (it has the most to verify: follow-ups and revisions)."""
    from sync_server.disclosure.queries import disclosures

    conn = open_db(db)
    try:
        return disclosures.first_public_no(conn, "penalty") or "2026-000001"
    finally:
        conn.close()


def _second_half_id(db: Path) -> str:
    from sync_server.planning import plans

    conn = open_db(db)
    try:
        return plans.task_by_key(conn, SECOND_HALF)["id"]
    finally:
        conn.close()


def _codes(conn) -> list[tuple[str, str, str]]:
    """Fresh one-time codes for the demo inspector (who has visits) and the demo leader."""
    chosen = [users.get_user_by_id(conn, meta.get_meta(conn, key) or "") for key in ("demo_inspector", "demo_leader")]
    chosen = [person for person in chosen if person is not None]
    with transaction(conn):
        return [(p["name"], p["role"], accounts.new_enrollment_code(conn, p["id"], 72)["code"]) for p in chosen]


def _teammate_codes(conn) -> list[str]:
    """One-time codes for everyone who shares a team with the demo inspector: they register their
    signing keys on the inspector's (team) tablet, so a record there can be signed by two."""
    me = meta.get_meta(conn, "demo_inspector") or ""
    teams = [[m["id"] for m in json.loads(row["doc"])["team"]]
             for row in assignments.list_due_by_with_risk(conn, "9999-12-31")]
    mates = sorted({p for team in teams if me in team for p in team} - {me})
    with transaction(conn):
        return [accounts.new_enrollment_code(conn, p, 72)["code"] for p in mates]


def _banner(directory: Path, host: str, port: int, codes: list[tuple[str, str, str]], tablets: list[Tablet],
            app_codes: list[tuple[str, str, str]], entry: str = "2026-000001", drawn: str = "T2026-14") -> None:
    lines = [
        "", "随检 SuiJian 演示 / demo",
        f"  公示页面 public pages: http://{host}:{port}/   (抽取结果 a verifiable draw: http://{host}:{port}/public/tasks/{drawn})",
        f"  结果公示 disclosure list: http://{host}:{port}/public/results   (四类结果及公示期限 all four categories;"
        f" 可核验的条目 a verifiable entry: http://{host}:{port}/public/results/{entry}/verify)",
        f"  统计报告 report: http://{host}:{port}/public/reports/2026   监督所工作台 office: http://{host}:{port}/office"
        f" (账号 sign in as {CONSOLE_ACCOUNTS[0][0]}（科室管理员 admin）, {CONSOLE_ACCOUNTS[1][0]}（录入员 clerk）or"
        f" {CONSOLE_ACCOUNTS[2][0]}（审核员 auditor）; 密码 password {CONSOLE_PASSWORD})",
        f"  同步服务 sync server:  http://{host}:{port}/v1/…   (OpenAPI: http://{host}:{port}/openapi.json)",
        f"  数据库 database:       {directory / 'server.db'}",
        f"  管理接口令牌 API admin token (machines only): {directory / 'admin-token.txt'}",
        "  一次性注册码 one-time enrollment codes (72 h):",
        *[f"    {name}（{'检查员' if role == 'inspector' else '组长'}）: {code}" for name, role, code in codes],
        "  现场应用 field app (Flet, 离线可用 works offline; 数据 data in " + str(directory) + "/tablet-*):",
        *[f"    {name}（{'检查员' if role == 'inspector' else '组长'}）的平板 tablet: http://{host}:{tablet.port}/"
          + ("   (我的检查任务 the work list)" if role == "inspector"
             else "   (审核记录 records with photos waiting for review)")
          for (name, role, _), tablet in zip(app_codes, tablets)],
        "    (the apps start once the server answers; a new tablet enrolls with a code above)",
        f"    签名 PIN（演示）signing PIN of every demo officer: {DEMO_PIN}",
        "  Ctrl-C 停止 / to stop.", "",
    ]
    print("\n".join(lines), flush=True)
