"""CLI for the disclosure list and the follow-up ledger:
`publish`, `disclosures`, `penalty`, `transfer`, `ledger`."""
from __future__ import annotations

import argparse
from typing import Any, Callable

from sync_server.disclosure import service as disclosure, followups
from schemas.categories import LABELS
from sync_server.disclosure.core.disclosure import TRANSFER_KINDS
from sync_server.db.connection import open_db, transaction

OFFICE_ADMIN = "admin"   # the user id `create-user --role admin` is usually given; --by names another
BASIS = {"inspection": "检查后20个工作日", "penalty_decision": "处罚决定后7个工作日", "followup": "后续处置后7个工作日"}


def _write(args: argparse.Namespace, fn: Callable[..., Any], *fn_args: Any) -> Any:
    conn = open_db(args.db)
    with transaction(conn):
        return fn(conn, *fn_args)


def cmd_publish(args: argparse.Namespace) -> int:
    if args.mode:
        _write(args, disclosure.set_publish_mode, args.mode)
        print("公示方式：" + ("审核通过即公示" if args.mode == "on_approval" else "每日批量公示（请每日运行 publish）"))
    done = _write(args, disclosure.publish_due)
    print(f"已公示 {done['published']} 条（其中逾期 {done['late']} 条）；发送整改期限提醒 {done['reminders']} 条")
    return 0


def cmd_disclosures(args: argparse.Namespace) -> int:
    report = disclosure.status(open_db(args.db))
    print(f"截至 {report['today']}：公示条目 {report['entries']} 条，已公示 {report['published']}，"
          f"待公示（未到期）{report['due']}，已逾期未公示 {report['overdue']}，更新待公示 {report['updates_waiting']}")
    print(f"公示率（按期公示/应公示）{report['rate_percent']}%：按期 {report['on_time']}，"
          f"逾期公示 {report['late_publications']}，逾期未公示 {report['overdue']}（目标 100%）")
    for row in report["overdue_list"]:
        print(f"逾期\t{row['no']}\t{row['unit_name']}\t{LABELS[row['category']]}\t应于 {row['due_on']}"
              f"（{BASIS.get(row['due_basis'], row['due_basis'])}）")
    return 0


def cmd_penalty(args: argparse.Namespace) -> int:
    amount = None if args.amount_yuan is None else round(args.amount_yuan * 100)
    done = _write(args, lambda conn: followups.record_penalty(
        conn, args.by, followups.resolve_record(conn, args.result), args.decision_no, args.date, amount))
    entry = done["entry"]
    tail = f"；公示条目 {entry['no']} 改为行政处罚，应于 {entry['due_on']} 前公示" if entry else ""
    print(f"已录入处罚决定 {done['decision_no']}（{done['decided_on']}）{tail}")
    return 0


def cmd_transfer(args: argparse.Namespace) -> int:
    done = _write(args, lambda conn: followups.record_transfer(
        conn, args.by, followups.resolve_record(conn, args.result), args.to, args.kind, args.date, args.note))
    print(f"已录入{TRANSFER_KINDS[done['kind']]}：{done['to_body']}（{done['on']}）")
    return 0


def cmd_ledger(args: argparse.Namespace) -> int:
    book = followups.ledger(open_db(args.db))
    print(f"后续处置台账（{book['today']}）")
    print(f"待复查的整改 {len(book['rectifications'])} 项：")
    for row in book["rectifications"]:
        left = f"剩 {row['days_left']} 天" if row["days_left"] >= 0 else f"已过期 {-row['days_left']} 天"
        print(f"  {row['no']}\t{row['unit_name']}\t整改期限 {row['deadline']}（{left}）\t{row['status_zh']}")
    print(f"待作出处罚决定的立案 {len(book['open_cases'])} 件：")
    for row in book["open_cases"]:
        print(f"  {row['no']}\t{row['unit_name']}\t检查日期 {row['inspected_on']}")
    print(f"移送、抄告 {len(book['transfers'])} 件：")
    for row in book["transfers"]:
        print(f"  {row['no']}\t{row['unit_name']}\t{TRANSFER_KINDS[row['kind']]} {row['to_body']}（{row['on']}）")
    return 0


def add_commands(sub: Any, command: Callable[..., argparse.ArgumentParser]) -> None:
    publish = command(sub, "publish", cmd_publish, "the daily batch: publish results that are due, send deadline reminders")
    publish.add_argument("--mode", choices=["on_approval", "daily"], default=None,
                         help="from now on publish on approval (default) or only in this daily batch")
    command(sub, "disclosures", cmd_disclosures, "what is due, overdue and published, and the publication rate")
    penalty = command(sub, "penalty", cmd_penalty, "enter a penalty decision for a result (entry no. or record id)")
    penalty.add_argument("result")
    penalty.add_argument("--decision-no", required=True, help="行政处罚决定书文号")
    penalty.add_argument("--date", required=True, help="decision date, YYYY-MM-DD")
    penalty.add_argument("--amount-yuan", type=float, default=None)
    penalty.add_argument("--by", default=OFFICE_ADMIN, help="the office user entering it")
    transfer = command(sub, "transfer", cmd_transfer, "enter a transfer to another body")
    transfer.add_argument("result")
    transfer.add_argument("--to", required=True, help="the receiving body")
    transfer.add_argument("--kind", choices=sorted(TRANSFER_KINDS), default="transfer")
    transfer.add_argument("--date", required=True)
    transfer.add_argument("--note", default="")
    transfer.add_argument("--by", default=OFFICE_ADMIN)
    command(sub, "ledger", cmd_ledger, "the follow-up ledger: open rectifications, open cases, transfers")
