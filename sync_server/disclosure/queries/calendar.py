"""The working-day table and the years whose official notice is loaded (SQL only)."""
from __future__ import annotations

import sqlite3
from typing import Iterable


def list_days(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    return conn.execute("SELECT day, is_workday FROM calendar_days").fetchall()


def list_years(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    return conn.execute("SELECT * FROM calendar_years ORDER BY year").fetchall()


def replace_year(conn: sqlite3.Connection, year: int, days: Iterable[tuple[str, int, str]], source: str,
                 now: str) -> None:
    conn.execute("DELETE FROM calendar_days WHERE substr(day, 1, 4) = ?", (str(year),))
    conn.executemany("INSERT INTO calendar_days VALUES (?, ?, ?, ?)", [(*d, source) for d in days])
    conn.execute("INSERT OR REPLACE INTO calendar_years VALUES (?, ?, ?)", (year, source, now))
