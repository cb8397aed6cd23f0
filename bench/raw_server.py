"""The ingest baseline: a bare endpoint that inserts the same envelope bytes, unsigned and
unchecked, into SQLite (WAL, synchronous=FULL) one transaction per batch. Same framework, same
server, same client: the ratio shows what verification and bookkeeping cost."""
from __future__ import annotations

import json
import sqlite3
import sys

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


def make_app(path: str) -> Starlette:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE IF NOT EXISTS raw (n INTEGER PRIMARY KEY, envelope BLOB NOT NULL)")

    async def healthz(request: Request) -> Response:
        return Response("ok")

    async def push(request: Request) -> Response:
        texts = json.loads(await request.body())["envelopes"]
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("INSERT INTO raw (envelope) VALUES (?)", [(t.encode(),) for t in texts])
        conn.execute("COMMIT")
        return Response(json.dumps({"stored": len(texts)}), media_type="application/json")

    return Starlette(routes=[Route("/healthz", healthz), Route("/raw", push, methods=["POST"])])


if __name__ == "__main__":
    uvicorn.run(make_app(sys.argv[1]), host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
