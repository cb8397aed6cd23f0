"""The platform's commands: `office add`, `office list`, and the global `--office CODE` that points
any other command at that office's database (its accounts, registries, plans, draws, …)."""
from __future__ import annotations

import argparse

from sync_server.db.connection import office_target, open_db, transaction
from sync_server.errors import BadRequest, NotFound
from sync_server.office import profile
from sync_server.platform import databases, service
from sync_server.platform.core.hierarchy import KINDS, LEVELS, LEVELS_ZH


def add_arguments(office: argparse.ArgumentParser) -> None:
    """`office add` and `office list` beside the office's own settings (`office --name …`)."""
    office.add_argument("action", nargs="?", choices=["add", "list"],
                        help="add: record an office on this platform and create its database; list: the offices")
    office.add_argument("--code", help="add: the office's code: GB/T 2260 division code, optionally -suffix (370102-jd)")
    office.add_argument("--level", choices=LEVELS, help="add: province, city or county")
    office.add_argument("--parent", help="add: the parent office's code (omit for the platform's own office)")
    office.add_argument("--kind", choices=KINDS, default="commission", help="add: commission (卫健委) or institute (监督机构)")


def run(args: argparse.Namespace) -> int:
    if args.office:
        raise BadRequest("office.cli_scope", "office add/list work on the platform's own database; drop --office",
                         "新增或列出机构须在本平台自身的数据库上进行，请去掉 --office")
    return cmd_add(args) if args.action == "add" else cmd_list(args)


def cmd_add(args: argparse.Namespace) -> int:
    if not (args.code and args.name and args.level):
        raise BadRequest("office.missing", "office add needs --code, --name and --level", "新增机构须给出 --code、--name 和 --level")
    conn = open_db(args.db)
    try:
        with transaction(conn):
            made = service.add_office(conn, args.code, args.name, args.level, args.parent, args.kind, "cli")
            if made.parent is None:   # the platform's own office: its database is this one
                profile.update(conn, made.name, made.region, now=made.created_at, by="cli")
            else:
                databases.provision(args.db, made)
    finally:
        conn.close()
    where = "本数据库" if made.parent is None else str(office_target(args.db, made.code))
    print(f"{made.code}\t{made.name}\t{LEVELS_ZH[made.level]}\t上级 {made.parent or '—'}\t数据库 {where}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    conn = open_db(args.db)
    try:
        offices = service.list_offices(conn)
    finally:
        conn.close()
    for o in offices:
        print(f"{o.code}\t{o.name}\t{o.level}\t{o.kind}\t{o.parent or '-'}\t/o/{o.code}/" if o.parent else
              f"{o.code}\t{o.name}\t{o.level}\t{o.kind}\t-\t/")
    return 0


def select_office(args: argparse.Namespace) -> None:
    """`--office CODE`: the command works on that office's database instead of the root's."""
    code = getattr(args, "office", None)
    if not code or getattr(args, "command", "") == "office" and getattr(args, "action", None):
        return
    if args.command == "serve":
        raise BadRequest("office.cli_scope", "serve runs the whole platform; drop --office",
                         "serve 运行整个平台（各机构在 /o/<代码>/ 下），请去掉 --office")
    conn = open_db(args.db)
    try:
        found = service.get_office(conn, code)
    finally:
        conn.close()
    if found is None or found.parent is None:
        raise NotFound("office.unknown", f"no office {code} below this platform's own office",
                       f"本平台没有下级机构 {code}（sync-server office list 列出各机构）")
    args.db = str(office_target(args.db, code))

