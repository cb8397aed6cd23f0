"""`make demo`: a county's server on demo data, with enrollment codes ready for the tablets."""
from __future__ import annotations

from pathlib import Path

from sync_server import accounts
from sync_server.queries import meta, users
from sync_server.queries.db import open_db, transaction
from sync_server.seed import seed_demo


def run_demo(directory: Path, host: str, port: int) -> int:
    from sync_server.cli import main as cli_main

    directory.mkdir(parents=True, exist_ok=True)
    db = directory / "server.db"
    conn = open_db(db)
    if users.get_user_by_id(conn, "admin") is None:
        print("正在生成演示数据（云溪县）…", flush=True)
        facts = seed_demo(conn)
        (directory / "admin-token.txt").write_text(facts["admin_token"] + "\n", encoding="utf-8")
    codes = _codes(conn)
    conn.close()
    _banner(directory, host, port, codes)
    return cli_main(["serve", "--db", str(db), "--host", host, "--port", str(port)])


def _codes(conn) -> list[tuple[str, str, str]]:
    """Fresh one-time codes for the demo inspector (who has visits) and the demo leader."""
    chosen = [users.get_user_by_id(conn, meta.get_meta(conn, key) or "") for key in ("demo_inspector", "demo_leader")]
    chosen = [person for person in chosen if person is not None]
    with transaction(conn):
        return [(p["name"], p["role"], accounts.new_enrollment_code(conn, p["id"], 72)["code"]) for p in chosen]


def _banner(directory: Path, host: str, port: int, codes: list[tuple[str, str, str]]) -> None:
    lines = [
        "", "随检 SuiJian 演示 / demo",
        f"  公示页面 public pages: http://{host}:{port}/   (抽取结果 a verifiable draw: http://{host}:{port}/public/tasks/T2026-14)",
        f"  同步服务 sync server:  http://{host}:{port}/v1/…   (OpenAPI: http://{host}:{port}/openapi.json)",
        f"  数据库 database:       {directory / 'server.db'}",
        f"  管理员令牌 admin token: {directory / 'admin-token.txt'}",
        "  一次性注册码 one-time enrollment codes (72 h):",
        *[f"    {name}（{'检查员' if role == 'inspector' else '组长'}）: {code}" for name, role, code in codes],
        "  现场应用 field app: comes with the field-app issue; the headless client is field_app.sync.",
        "  Ctrl-C 停止 / to stop.", "",
    ]
    print("\n".join(lines), flush=True)
