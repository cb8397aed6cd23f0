"""CLI for the working-day calendar: `workdays add DATE N`, `load-calendar FILE`."""
from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Any, Callable

from sync_server.disclosure import service as disclosure, workcalendar
from sync_server.db.connection import open_db, transaction


def cmd_workdays_add(args: argparse.Namespace) -> int:
    try:
        start = date.fromisoformat(args.date)
    except ValueError:
        raise SystemExit(f"错误：日期格式应为 2026-10-01，实为 {args.date}")
    if args.n < 0:
        raise SystemExit("错误：工作日数不能为负数")
    conn = open_db(args.db)
    with transaction(conn):
        workcalendar.load_package_years(conn)
    deadline = workcalendar.calendar_from_db(conn).add(start, args.n)
    years = "、".join(map(str, deadline.unofficial_years))
    note = f"暂定（{years} 年放假安排尚未载入，按周末推算）" if deadline.provisional else "正式"
    print(f"{deadline.day.isoformat()}\t{note}")
    return 0


def cmd_load_calendar(args: argparse.Namespace) -> int:
    conn = open_db(args.db)
    with transaction(conn):
        year = disclosure.load_calendar_notice(conn, Path(args.file).read_text(encoding="utf-8"), Path(args.file).name)
    print(f"已载入 {year} 年放假安排；该年度的暂定期限将按正式安排重新计算")
    return 0


def add_commands(sub: Any, command: Callable[..., argparse.ArgumentParser]) -> None:
    workdays = sub.add_parser("workdays", help="working days on the official calendar")
    add = command(workdays.add_subparsers(dest="workdays_command", required=True), "add", cmd_workdays_add,
                  "the date N working days after DATE, and whether it is provisional")
    add.add_argument("date")
    add.add_argument("n", type=int)
    load = command(sub, "load-calendar", cmd_load_calendar, "load a year's holiday notice (docs/CALENDAR.md)")
    load.add_argument("file")
