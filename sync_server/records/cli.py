"""CLI for lab results (委托检验检测): `lab-result`, the office entering a lab's report."""
from __future__ import annotations

import argparse
from typing import Any, Callable

from schemas.categories import LABELS
from sync_server.db.connection import open_db, transaction
from sync_server.disclosure.followups import resolve_record
from sync_server.records import labresults

OFFICE_ADMIN = "admin"   # as for `penalty`: the office user entering it, --by names another


def cmd_lab_result(args: argparse.Namespace) -> int:
    fields = {"item_code": args.item, "sample_no": args.sample, "lab": args.lab, "report_no": args.report_no,
              "reported_on": args.date, "outcome": args.outcome, "note": args.note,
              "rectify_by": args.rectify_by, "case": args.case, "case_no": args.case_no}
    conn = open_db(args.db)
    with transaction(conn):
        done = labresults.enter_by_office(conn, args.by, resolve_record(conn, args.result), fields)
    verdict = "合格" if done["outcome"] == "compliant" else "不合格"
    entry = done["entry"]
    tail = f"；公示条目 {entry['no']} 为{LABELS[entry['category']]}，应于 {entry['due_on']} 前公示" if entry else ""
    print(f"已录入样品 {done['sample_no']} 的检验结果：{verdict}；检查结果：{done['category']['label']}{tail}")
    return 0


def add_commands(sub: Any, command: Callable[..., argparse.ArgumentParser]) -> None:
    result = command(sub, "lab-result", cmd_lab_result,
                     "enter a lab's result for a sample of a record (entry no. or record id)")
    result.add_argument("result")
    result.add_argument("--item", required=True, help="the checklist item's code that sent the sample")
    result.add_argument("--sample", required=True, help="the sample number (样品编号) as in the record")
    result.add_argument("--lab", required=True, help="the lab that reported, e.g. 市疾控中心")
    result.add_argument("--date", required=True, help="the report's date, YYYY-MM-DD")
    result.add_argument("--outcome", required=True, choices=["compliant", "non_compliant"])
    result.add_argument("--report-no", default="", help="检验报告编号")
    result.add_argument("--note", default="")
    result.add_argument("--rectify-by", default="", help="a failed sample: the rectification deadline, YYYY-MM-DD")
    result.add_argument("--case", action="store_true", help="a failed sample: a case is opened (立案) instead")
    result.add_argument("--case-no", default="")
    result.add_argument("--by", default=OFFICE_ADMIN, help="the office user entering it")
