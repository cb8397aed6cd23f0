"""`python -m demo`: the demo county (what `make demo` runs), or `python -m demo seed --db PATH`.

    python -m demo [--dir DIR] [--host H] [--port P]
        seed DIR/server.db once, make enrollment codes, serve, start the two demo tablets
    python -m demo seed --db PATH [--units N] [--inspectors N] [--seed S] [--no-history]
        fill a database with the demo county (progress shown), and print what was made
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Sequence


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m demo", description="随检 SuiJian demo county (云溪县)")
    top.add_argument("--dir", default="demo-data", help="where the demo's database and tablets live")
    top.add_argument("--host", default="127.0.0.1")
    top.add_argument("--port", type=int, default=8700)
    sub = top.add_subparsers(dest="command")
    seed = sub.add_parser("seed", help="fill a database with the demo county")
    seed.add_argument("--db", required=True, help="the database: a SQLite file or a PostgreSQL URL")
    seed.add_argument("--data-dir", default=None,
                      help="where the server's photos and key live (needed with a PostgreSQL URL)")
    seed.add_argument("--units", type=int, default=3000)
    seed.add_argument("--inspectors", type=int, default=30)
    seed.add_argument("--seed", type=int, default=2026)
    seed.add_argument("--no-history", action="store_true", help="the registries and the draws only")
    return top


def seed(args: argparse.Namespace) -> int:
    from demo.seed import seed_demo
    from sync_server.accounts.queries import users
    from sync_server.db.connection import open_db

    conn = open_db(args.db)
    try:
        if users.get_user_by_id(conn, "admin") is not None:
            print(f"{args.db} already holds demo data; nothing changed.", file=sys.stderr)
            return 0
        made = seed_demo(conn, units=args.units, inspectors=args.inspectors, seed_value=args.seed,
                         history=not args.no_history, db_path=args.db,
                         data_dir=Path(args.data_dir) if args.data_dir else None)
    finally:
        conn.close()
    print(json.dumps(made, ensure_ascii=False, indent=2))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    from schemas import clock
    from sync_server.settings import clock_from_env

    clock.install(clock_from_env())
    if args.command == "seed":
        return seed(args)
    from demo.run import run_demo

    return run_demo(Path(args.dir), args.host, args.port)


if __name__ == "__main__":
    sys.exit(main())
