"""`sync-server` (or `python -m sync_server`): a thin layer over the library. (The demo county is
not here: `python -m demo`, see demo/.)

    serve          run the HTTP server on a database (a SQLite file or a PostgreSQL URL);
                   --workers N processes on PostgreSQL
    office         the office's own settings: its name (the inspecting body) and region code;
                   `office add`, `office list`: the platform's offices (sync_server/platform)
                   (every command takes --office CODE: work on that office's database)
    workdays add   the date N working days after DATE on the official calendar (provisional or not)
    load-calendar  load a year's State Council holiday notice from a small file
    create-user    add an office admin, team leader or inspector
    office-account add an office console account (admin, clerk, auditor); the password from stdin
    enroll-code    make a one-time enrollment code for a user's device
    revoke-device  revoke a device's key and token
    import-units, import-inspectors, import-items
                   the registries and the item list from .xlsx or .csv, all or nothing
    plan           add-task, exclude, recuse, redraw: the annual plan's tasks
    tasks          list tasks with their number and state, one a line, tab-separated
    announce       freeze and publish a task's draw announcement (DRAW_SPEC.md §1)
    reveal         enter the public beacon value and the nonces (§2)
    draw           draw a revealed task (§3–5), publish the result (§6), place the visits
    export-draw    write the three published JSON files of a task
    draw-files     print the result computed from announcement.json and reveal.json
    verify-draw    run the standalone verifier on three files (exit 0 only when it agrees)
    report         the half-year or yearly report as .xlsx
    publish        the daily batch: publish results that are due, send rectification reminders
    disclosures    what is due, overdue and published; the publication rate
    penalty, transfer, ledger
                   the follow-up ledger (后续处置)
    blobs copy     copy the photos and documents into another store (a directory into a bucket)
"""
from __future__ import annotations

import argparse
import getpass
import json
import sys
from typing import Any, Callable, Sequence

from sync_server.accounts import office as office_accounts, service as accounts
from sync_server.blobs import cli as cli_blobs
from sync_server.disclosure import calendar_cli as cli_calendar, cli as cli_disclosure
from sync_server.planning import cli as cli_draws
from sync_server.office import profile as office_profile
from sync_server.platform import cli as cli_platform
from sync_server.records import cli as cli_records
from sync_server.registry import cli as cli_registry
from sync_server.reports import cli as cli_reports
from sync_server.errors import ApiError
from sync_server.db.connection import open_db, transaction
from schemas import clock
from schemas.clock import ClockSettingError
from sync_server.settings import Settings, clock_from_env


def cmd_serve(args: argparse.Namespace) -> int:
    import os

    import uvicorn

    from sync_server.app import create_app

    try:
        settings = Settings.from_env(args.db, args.data_dir)
    except ValueError as exc:
        print(f"错误 serve.data_dir: 需要数据目录 ({exc})", file=sys.stderr)
        return 2
    if args.workers < 1 or (args.workers > 1 and settings.engine != "postgresql"):
        print("错误 serve.workers: 多个工作进程只能用于 PostgreSQL 数据库；SQLite 只有一个写入者，请使用 --workers 1"
              " (several workers need a PostgreSQL database: SQLite has one writer; use --workers 1)",
              file=sys.stderr)
        return 2
    open_db(settings.database).close()
    if not store_usable(settings):
        return 2
    shown = describe_target(settings.database)
    print(f"随检同步服务 listening on http://{args.host}:{args.port}/  (database {shown}, "
          f"{args.workers} worker{'s' if args.workers > 1 else ''})", flush=True)
    # httptools (the default, as benchmarked): a method that is not HTTP at all (BREW) is refused by
    # the parser with a 400 before the app; every HTTP method the app does not take gets 405 + Allow.
    if args.workers == 1:
        uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level=args.log_level,
                    access_log=False, timeout_graceful_shutdown=5)
        return 0
    # Several processes on one socket: uvicorn forks them and each builds its app from the
    # environment (sync_server.app:app_from_env), so the target and data directory are passed on.
    os.environ["SUIJIAN_DATABASE_URL"] = settings.database
    os.environ["SUIJIAN_PHOTO_DIR"] = str(settings.photo_dir)
    os.environ["SUIJIAN_SERVER_KEY"] = str(settings.key_path)
    from sync_server.audit import server_key

    server_key.load_or_create(settings.key_path)   # made once, before the workers read it
    uvicorn.run("sync_server.app:app_from_env", factory=True, workers=args.workers, host=args.host,
                port=args.port, log_level=args.log_level, access_log=False, timeout_graceful_shutdown=5)
    return 0


def store_usable(settings: Settings) -> bool:
    """The blob store checked before serving: settings it refuses stop the start (a bucket that
    does not exist, a bad key); a store that cannot be reached now is a warning, and the server
    starts: records sync, and photo uploads answer 503 until the store is back (the tablets keep
    their photos)."""
    from sync_server.blobs import StoreRefused, open_store

    store = open_store(settings)
    try:
        unreachable = store.check()
    except StoreRefused as exc:
        print(f"错误 storage.refused: {exc.message_zh} (the blob store {store.describe()} refuses these settings: "
              f"{exc.reason})", file=sys.stderr)
        return False
    if unreachable:
        print(f"警告 storage.unavailable: 暂时连不上照片存储 {store.describe()}，服务照常启动；存储恢复前照片上传答复 503，"
              f"平板保留照片稍后重传 (the blob store cannot be reached now: {unreachable})", file=sys.stderr, flush=True)
    return True


def describe_target(target: str) -> str:
    """A database target as shown: a URL without its password."""
    if target.startswith(("postgresql://", "postgres://")):
        from sync_server.db.postgres import describe
        return describe(target)
    return target


def cmd_office(args: argparse.Namespace) -> int:
    if args.action:
        return cli_platform.run(args)
    conn = open_db(args.db)
    try:
        if args.name is None and args.region is None:
            found = office_profile.read(conn)
        else:
            with transaction(conn):
                found = office_profile.update(conn, args.name, args.region)
    finally:
        conn.close()
    print(f"机构名称 name: {found.shown_name}\n行政区划代码 region: {found.region or '（未设置）'}")
    return 0


def cmd_create_user(args: argparse.Namespace) -> int:
    user = {"id": args.id, "name": args.name, "role": args.role, "department": args.department,
            "specialties": args.specialty or [], "cert_valid_until": args.cert_valid_until, "phone": ""}
    made = _write(args.db, accounts.create_user, user)
    print(json.dumps(made, ensure_ascii=False, indent=2))
    return 0


def cmd_office_account(args: argparse.Namespace) -> int:
    """The first admin account (and any later one): the password is read from stdin, never an argument."""
    password = sys.stdin.readline().rstrip("\n") if not sys.stdin.isatty() else getpass.getpass("密码 password: ")
    made = _write(args.db, office_accounts.create_account, args.username, args.name, args.role, password,
                  "cli", args.must_change)
    print(f"{made['username']}\t{office_accounts.ROLES[made['role']]}\t(id {made['id']})")
    return 0


def cmd_enroll_code(args: argparse.Namespace) -> int:
    made = _write(args.db, accounts.new_enrollment_code, args.user, args.hours)
    print(f"{made['code']}\t(user {made['user_id']}, valid until {made['expires_at']})")
    return 0


def cmd_revoke_device(args: argparse.Namespace) -> int:
    _write(args.db, accounts.revoke_device, args.device)
    print(f"device {args.device} revoked")
    return 0


def _write(db: str, fn: Callable[..., Any], *fn_args: Any) -> Any:
    conn = open_db(db)
    with transaction(conn):
        return fn(conn, *fn_args)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="sync-server", description="随检 SuiJian sync server")
    sub = top.add_subparsers(dest="command", required=True)
    serve = _command(sub, "serve", cmd_serve, "run the HTTP server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8700)
    serve.add_argument("--log-level", default="warning")
    serve.add_argument("--workers", type=int, default=1,
                       help="server processes on one socket (PostgreSQL only; SQLite has one writer)")
    serve.add_argument("--data-dir", default=None,
                       help="where photos and the server key live (needed with a PostgreSQL URL;"
                            " default for a SQLite file: beside it). Also SUIJIAN_DATA_DIR")
    office = _command(sub, "office", cmd_office, "show or set the office's name and region code")
    office.add_argument("--name", help="the inspecting body's full name, as published, e.g. 某某县卫生健康综合监督执法大队")
    office.add_argument("--region", help="the administrative division code (6 digits, GB/T 2260)")
    cli_platform.add_arguments(office)
    user = _command(sub, "create-user", cmd_create_user, "add a user")
    user.add_argument("--id", required=True, help="user id (an inspector's 执法证号)")
    user.add_argument("--name", required=True)
    user.add_argument("--role", required=True, choices=["admin", "leader", "inspector"])
    user.add_argument("--department", default="")
    user.add_argument("--specialty", action="append", help="specialty code; repeat for several")
    user.add_argument("--cert-valid-until", default=None)
    account = _command(sub, "office-account", cmd_office_account,
                       "add an office console account; the password is read from stdin")
    account.add_argument("--username", required=True, help="the sign-in name: 3-32 lowercase letters, digits, . _ -")
    account.add_argument("--name", required=True, help="the person's name as shown in the console and the audit log")
    account.add_argument("--role", required=True, choices=["admin", "clerk", "auditor"])
    account.add_argument("--must-change", action="store_true", help="the holder must change the password at first sign-in")
    code = _command(sub, "enroll-code", cmd_enroll_code, "a one-time enrollment code")
    code.add_argument("user")
    code.add_argument("--hours", type=int, default=72)
    revoke = _command(sub, "revoke-device", cmd_revoke_device, "revoke a device")
    revoke.add_argument("device")
    cli_registry.add_commands(sub, _command)
    cli_calendar.add_commands(sub, _command)
    cli_draws.add_commands(sub, _command)
    cli_reports.add_commands(sub, _command)
    cli_disclosure.add_commands(sub, _command)
    cli_records.add_commands(sub, _command)
    cli_blobs.add_commands(sub, _command)
    return top


def _command(sub: Any, name: str, fn: Callable[[argparse.Namespace], int], help_text: str) -> argparse.ArgumentParser:
    cmd = sub.add_parser(name, help=help_text)
    cmd.add_argument("--db", required=True, help="the database: a SQLite file, or a PostgreSQL URL"
                     " postgresql://user@host:port/dbname")
    cmd.add_argument("--office", help="an office on this platform (its code): work on that office's database")
    cmd.set_defaults(run=fn)
    return cmd


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        clock.install(clock_from_env())
    except ClockSettingError as exc:
        print(f"错误 clock.invalid: 时钟设置无效 ({exc})", file=sys.stderr)
        return 2
    try:
        cli_platform.select_office(args)
        return args.run(args)
    except ApiError as exc:
        detail = exc.detail.get("fields") if isinstance(exc.detail, dict) else None
        print(f"错误 {exc.code}: {exc.message_zh} ({exc.message})" + (f" {detail}" if detail else ""), file=sys.stderr)
        return 1
