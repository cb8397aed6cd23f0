"""A child office's progress for a year, as its parent's console shows it (read-only): read from
the child's own database with the reports service, the same figures as its own yearly report
(docs/REPORTS.md). No SQL crosses offices: each office's figures come from its own database."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from schemas.categories import KINDS
from sync_server.db import Connection
from sync_server.reports import service as reports
from sync_server.reports.core.report import Period


@dataclass(frozen=True)
class Progress:
    tasks: int          # tasks drawn in the year
    drawn: int          # units drawn
    inspected: int
    categories: tuple[tuple[str, int], ...]   # (label, entries published) in the categories' order
    on_time: int
    late: int
    overdue: int


def of_year(conn: Connection, year: int, today: date | None = None) -> Progress:
    counts = reports.assemble(conn, Period(year), today).report.total.counts
    return Progress(tasks=counts.draws, drawn=counts.drawn, inspected=counts.inspected,
                    categories=tuple((kind.label, n) for kind, n in zip(KINDS, counts.categories)),
                    on_time=counts.on_time, late=counts.late, overdue=counts.overdue)
