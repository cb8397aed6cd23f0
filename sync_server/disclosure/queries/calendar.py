"""The working-day table and the years whose official notice is loaded (SQL only)."""
from __future__ import annotations

from typing import Iterable

from sync_server.db import Connection, Row


def list_days(conn: Connection) -> list[Row]:
    return conn.execute("SELECT day, is_workday FROM calendar_days").fetchall()


def list_years(conn: Connection) -> list[Row]:
    return conn.execute("SELECT * FROM calendar_years ORDER BY year").fetchall()


def replace_year(conn: Connection, year: int, days: Iterable[tuple[str, int, str]], source: str,
                 now: str) -> None:
    conn.execute("DELETE FROM calendar_days WHERE substr(day, 1, 4) = ?", (str(year),))
    conn.executemany("INSERT INTO calendar_days VALUES (?, ?, ?, ?)", [(*d, source) for d in days])
    conn.execute("INSERT INTO calendar_years (year, source, loaded_at) VALUES (?, ?, ?) ON CONFLICT (year)"
                 " DO UPDATE SET source = excluded.source, loaded_at = excluded.loaded_at", (year, source, now))
