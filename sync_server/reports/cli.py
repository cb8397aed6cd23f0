"""CLI for the half-year and yearly reports: `report --year Y [--half 1|2] --out FILE.xlsx`."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, Callable

from sync_server.reports import service as reports
from sync_server.reports.core.report import Period, PeriodError
from sync_server.db.connection import open_db


def cmd_report(args: argparse.Namespace) -> int:
    try:
        period = Period(args.year, args.half)
    except PeriodError:
        raise SystemExit(f"错误：年度应为四位数字，实为 {args.year}")
    out = Path(args.out)
    if out.suffix.lower() != ".xlsx":
        raise SystemExit(f"错误：输出文件应以 .xlsx 结尾，实为 {out.name}")
    conn = open_db(args.db)
    try:
        report = reports.write_report(conn, period, out)
    finally:
        conn.close()
    print(reports.summary_line(report, str(out)))
    return 0


def add_commands(sub: Any, command: Callable[..., argparse.ArgumentParser]) -> None:
    report = command(sub, "report", cmd_report, "write the half-year or yearly report as .xlsx (docs/REPORTS.md)")
    report.add_argument("--year", type=int, required=True)
    report.add_argument("--half", type=int, choices=[1, 2], default=None, help="1 or 2; omit for the whole year")
    report.add_argument("--out", required=True, help="the .xlsx file to write")
