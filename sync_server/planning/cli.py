"""CLI for plans and draws: `plan …`, `tasks`, `announce`, `reveal`, `draw`, `export-draw`,
`draw-files`, `verify-draw`. Thin: parse, call sync_server.planning.plans / sync_server.planning.draws, print."""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

from schemas.jcs import canonicalize
from sync_server.planning import draws, handed_down, plans, visits
from sync_server.planning.core.handed_down import ORIGINS, split_team
from schemas.clock import hours_from_now
from sync_server.planning.core.draw import beijing_time
from sync_server.errors import BadRequest
from sync_server.planning.queries import plans as q
from sync_server.db.connection import open_db, transaction

VERIFIER = Path(__file__).resolve().parents[2] / "verifier" / "ssj_verify.py"
STATES_ZH = plans.STATES_ZH


def _write(db: str, fn: Callable[..., Any], *args: Any) -> Any:
    conn = open_db(db)
    try:
        with transaction(conn):
            return fn(conn, *args)
    finally:
        conn.close()


def _weights(text: str | None) -> dict[str, int] | None:
    if text is None:
        return None
    pairs = [part.split("=", 1) for part in text.split(",") if part]
    try:
        return {k.strip(): int(v) for k, v in pairs}
    except ValueError as exc:
        raise SystemExit(f"错误：风险权重格式应为 A=1,B=2,C=4,D=8（{exc}）") from exc


def cmd_plan_add_task(args: argparse.Namespace) -> int:
    start, _, end = args.period.partition(":")
    spec = plans.TaskSpec(args.year, args.number, args.title, tuple(args.specialty), start, end or start,
                          args.ratio, None if args.no_risk else _weights(args.risk_weights) or _default_weights(),
                          tuple(c for c in (args.items or "").split(",") if c), args.team_size)
    task = _write(args.db, plans.add_task, spec)
    print(f"{task['id']}\t{task['number']}\t已计划")
    for s in task["strata"]:
        print(f"  {s['name']}：名录 {s['population']} 户，可抽 {s['eligible']} 户，比例 {s['ratio_percent']}%，抽取 {s['n']} 户")
    return 0


def _default_weights() -> dict[str, int]:
    from schemas.specialties import DEFAULT_RISK_WEIGHTS
    return dict(DEFAULT_RISK_WEIGHTS)


def cmd_plan_exclude(args: argparse.Namespace) -> int:
    _write(args.db, plans.exclude_unit, args.task, args.unit, args.reason, args.note)
    print(f"已排除 {args.unit}（{plans.EXCLUSION_REASONS[args.reason]}）")
    return 0


def cmd_plan_recuse(args: argparse.Namespace) -> int:
    _write(args.db, plans.recuse, args.task, args.inspector, args.unit, args.reason)
    print(f"已登记 {args.inspector} 对 {args.unit} 的{'回避' if args.reason == 'recusal' else '轮换'}")
    return 0


def cmd_plan_redraw(args: argparse.Namespace) -> int:
    task = _write(args.db, plans.redraw, args.task, args.number, args.reason)
    print(f"{task['id']}\t{task['number']}\t已计划\t重新抽取：{args.reason}")
    return 0


def cmd_plan_handed_down(args: argparse.Namespace) -> int:
    start, _, end = args.period.partition(":")
    spec = handed_down.HandedDown(args.origin, args.issued_by, args.upper_number, args.document or "", args.year,
                                  args.title, tuple(args.specialty), start, end or start, args.team_size,
                                  tuple(c for c in (args.items or "").split(",") if c), args.number or "")
    units = handed_down.read_units(Path(args.units))
    made = _write(args.db, handed_down.record, spec, units, split_team(args.team))
    print(f"{made['id']}\t{made['number']}\t上级下达（{ORIGINS[args.origin]}，{args.issued_by}）")
    print(f"  单位 {made['units']} 户：新建检查 {made['visits_created']} 项，并入联合检查 {made['visits_joined']} 项；"
          "本年度本级抽取将不再抽取这些单位")
    return 0


def cmd_plan_reassign(args: argparse.Namespace) -> int:
    made = _write(args.db, visits.reassign, args.visit, args.replace, args.by_officer, args.reason, args.note or "",
                  None, "cli")
    print(f"已改派 {args.visit}：{args.replace} → {args.by_officer}（第 {made['version']} 版，审计日志 {made['log_index']}）")
    return 0


def cmd_tasks(args: argparse.Namespace) -> int:
    conn = open_db(args.db)
    for task in q.list_tasks(conn):
        print("\t".join((task["id"], task["number"], task["state"], STATES_ZH[task["state"]], task["title"])))
    return 0


def cmd_announce(args: argparse.Namespace) -> int:
    beacon_at = args.beacon_at or hours_from_now(72)
    beacon = args.beacon or f"{beacon_at[:10]} 前后首期中国福利彩票双色球开奖号码（以开奖公告为准）"
    made = _write(args.db, draws.announce, args.task, beacon, beacon_at, args.commitment or [])
    if args.nonce_out:
        _secret_file(Path(args.nonce_out), made["office_nonce"])
    print(f"公告已发布 announced: {made['task']}\nannouncement_hash {made['announcement_hash']}")
    print(f"beacon_at {made['beacon_at']}（北京时间 {beijing_time(made['beacon_at'])}）— 此前不能揭示 / no reveal before")
    print(f"office nonce {'written to ' + args.nonce_out if args.nonce_out else made['office_nonce']}"
          " — 请保密，揭示时提交 / keep secret until the reveal")
    return 0


def _secret_file(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text + "\n")


def cmd_reveal(args: argparse.Namespace) -> int:
    _write(args.db, draws.reveal, args.task, args.beacon, args.nonce)
    print(f"随机数已揭示 revealed: {args.task}")
    return 0


def cmd_draw(args: argparse.Namespace) -> int:
    made = _write(args.db, draws.run, args.task)
    print(f"抽取完成 drawn: {made['task']}  result_hash {made['result_hash']}\n"
          f"  抽中 {made['selected']} 户，待人工处理（无法配齐检查组）{made['unmatched']} 户；"
          f"新建检查 {made['visits_created']} 项，并入联合检查 {made['visits_joined']} 项")
    return 0


def cmd_export_draw(args: argparse.Namespace) -> int:
    conn = open_db(args.db)
    out = Path(args.dir)
    out.mkdir(parents=True, exist_ok=True)
    for name, body in draws.published_files(conn, args.task).items():
        (out / name).write_bytes(body)
        print(out / name)
    return 0


def cmd_draw_files(args: argparse.Namespace) -> int:
    result = draws.compute(_read(args.announcement), _read(args.reveal))
    sys.stdout.buffer.write(canonicalize(result) + b"\n")
    return 0


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise BadRequest("draw.unreadable", f"cannot read {path}: {exc.strerror}", f"无法读取文件 {path}") from exc


def cmd_verify_draw(args: argparse.Namespace) -> int:
    return subprocess.run([sys.executable, str(VERIFIER), args.announcement, args.reveal, args.result]).returncode


def add_commands(sub: Any, command: Callable[..., argparse.ArgumentParser]) -> None:
    plan = sub.add_parser("plan", help="annual plans and tasks").add_subparsers(dest="plan_command", required=True)
    add = command(plan, "add-task", cmd_plan_add_task, "add a task to a year's plan")
    add.add_argument("--year", type=int, required=True)
    add.add_argument("--number", required=True, help="the published task number, e.g. 沂源卫〔2026〕随抽15号")
    add.add_argument("--title", required=True)
    add.add_argument("--specialty", action="append", required=True, help="specialty code; repeat for a joint task")
    add.add_argument("--period", required=True, help="START:END, ISO dates")
    add.add_argument("--ratio", type=int, default=None, help="sampling ratio in percent, within the band")
    add.add_argument("--risk-weights", default=None, help="A=1,B=2,C=4,D=8 (default)")
    add.add_argument("--no-risk", action="store_true", help="equal weights: not a risk-based draw")
    add.add_argument("--items", default=None, help="item codes, comma-separated (default: all of the specialties)")
    add.add_argument("--team-size", type=int, default=2)
    excl = command(plan, "exclude", cmd_plan_exclude, "exclude a unit from a task's population")
    excl.add_argument("task")
    excl.add_argument("--unit", required=True)
    excl.add_argument("--reason", required=True, choices=sorted(plans.EXCLUSION_REASONS))
    excl.add_argument("--note", default="")
    rec = command(plan, "recuse", cmd_plan_recuse, "an inspector may not inspect a unit")
    rec.add_argument("task")
    rec.add_argument("--inspector", required=True)
    rec.add_argument("--unit", required=True)
    rec.add_argument("--reason", required=True, choices=["recusal", "rotation"])
    red = command(plan, "redraw", cmd_plan_redraw, "a new task redrawing an old one, with a reason")
    red.add_argument("task")
    red.add_argument("--number", required=True)
    red.add_argument("--reason", required=True)
    hd = command(plan, "handed-down", cmd_plan_handed_down,
                 "record a task handed down by a higher level (国抽、省抽、市抽) with the units it drew")
    hd.add_argument("--origin", required=True, choices=sorted(ORIGINS), help="national (国抽), province (省抽), city (市抽)")
    hd.add_argument("--issued-by", required=True, help="the issuing office, e.g. 山东省卫生健康委员会")
    hd.add_argument("--upper-number", required=True, help="the upper task's number")
    hd.add_argument("--document", default="", help="the document handing it down (文号)")
    hd.add_argument("--year", type=int, required=True)
    hd.add_argument("--title", required=True)
    hd.add_argument("--specialty", action="append", required=True, help="specialty code; repeat for a joint task")
    hd.add_argument("--period", required=True, help="START:END, ISO dates")
    hd.add_argument("--units", required=True, help=".csv or .xlsx: 统一社会信用代码 and optionally 检查人员 per unit")
    hd.add_argument("--team", default="", help="officer ids for units the list gives none, comma-separated")
    hd.add_argument("--team-size", type=int, default=2)
    hd.add_argument("--items", default=None, help="item codes, comma-separated (default: all of the specialties)")
    hd.add_argument("--number", default=None, help="the county's number for it (default: the upper number)")
    rea = command(plan, "reassign", cmd_plan_reassign, "replace an officer of a visit with no record yet")
    rea.add_argument("visit", help="the visit's (assignment's) id")
    rea.add_argument("--replace", required=True, help="the officer taken off the team")
    rea.add_argument("--with", dest="by_officer", required=True, help="the officer who takes the place")
    rea.add_argument("--reason", required=True, choices=sorted(visits.REASSIGN_REASONS))
    rea.add_argument("--note", default="")
    command(sub, "tasks", cmd_tasks, "list tasks: id, number, state (tab-separated)")
    ann = command(sub, "announce", cmd_announce, "freeze and publish a task's draw announcement")
    ann.add_argument("task")
    ann.add_argument("--beacon", default=None, help="the future public random value, e.g. a named lottery draw"
                     " (default: the first 双色球 draw after the announcement)")
    ann.add_argument("--beacon-at", default=None, help="when that value is published, RFC 3339: UTC with a Z, or with"
                     " an offset such as +08:00, published in UTC (default: in 3 days); no reveal before it")
    ann.add_argument("--commitment", action="append", help="an observer's commitment (hex SHA-256 of a nonce)")
    ann.add_argument("--nonce-out", default=None, help="write the office's secret nonce to this file")
    rev = command(sub, "reveal", cmd_reveal, "enter the beacon value and the nonces")
    rev.add_argument("task")
    rev.add_argument("--beacon", required=True, help="the beacon value as published")
    rev.add_argument("--nonce", action="extend", nargs="+", required=True,
                     help="hex nonces in commitment order (repeat the flag or list them after it)")
    drw = command(sub, "draw", cmd_draw, "draw a revealed task and place its visits")
    drw.add_argument("task")
    exp = command(sub, "export-draw", cmd_export_draw, "write announcement.json, reveal.json, result.json")
    exp.add_argument("task")
    exp.add_argument("dir")
    files = sub.add_parser("draw-files", help="print the result computed from two published files")
    files.set_defaults(run=cmd_draw_files)
    files.add_argument("announcement")
    files.add_argument("reveal")
    ver = sub.add_parser("verify-draw", help="run the standalone verifier (exit 0 only when it agrees)")
    ver.set_defaults(run=cmd_verify_draw)
    ver.add_argument("announcement")
    ver.add_argument("reveal")
    ver.add_argument("result")
