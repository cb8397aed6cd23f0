"""A parent office's half-year and yearly report: the sum of its offices' (reports/core/report.py
roll_up), each office's report assembled from its own database exactly as that office's own
report page assembles it (service.assemble), then added up. Which offices and how their
databases are reached is the platform's (sync_server/platform): this module takes them given.
docs/REPORTS.md, "Roll-up"."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Awaitable, Callable, Iterable

from schemas.clock import utc_now
from sync_server.db import Connection
from sync_server.reports import service
from sync_server.reports.core.report import Part, Period, Report, roll_up

# An office's database as the web app holds it: something with `await read(fn, *args)`.
Reader = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class RolledUp:
    report: Report                     # the sum
    parts: tuple[Part, ...]            # each office's own report, in the order given
    late_entries: list[dict[str, Any]]  # every office's late publications, each with its office's name


def combine(period: Period, parts: Iterable[tuple[str, str, service.Assembled]], today: date | None = None,
            generated_at: str | None = None) -> RolledUp:
    """The roll-up of offices' assembled reports: (code, name, assembled) each."""
    given = list(parts)
    today = today or service.beijing_today()
    summed = roll_up(period, today, generated_at or utc_now(), (a.report for _, _, a in given))
    late = [{**entry, "office": name} for _, name, a in given for entry in a.late_entries]
    return RolledUp(summed, tuple(Part(code, name, a.report) for code, name, a in given), late)


def from_connections(period: Period, offices: Iterable[tuple[str, str, Connection]],
                     today: date | None = None) -> RolledUp:
    """The roll-up read from each office's open connection (the CLI, tests, benchmarks)."""
    today = today or service.beijing_today()
    return combine(period, [(code, name, service.assemble(conn, period, today)) for code, name, conn in offices], today)


async def from_databases(period: Period, offices: Iterable[tuple[str, str, Any]],
                         today: date | None = None) -> RolledUp:
    """The same from the web app's office databases (each with `await read(fn, …)`), one at a time:
    each office's figures come from one snapshot of its own database."""
    today = today or service.beijing_today()
    parts = [(code, name, await db.read(service.assemble, period, today)) for code, name, db in offices]
    return combine(period, parts, today)


# --- the workbook ---------------------------------------------------------------------------------

def workbook(rolled: RolledUp) -> service.Book:
    """The office workbook of the sum (汇总表, 公示及时性 with each late publication's office, 说明),
    and 下级机构: each office's total row beside the sum, so that anyone can add the columns up."""
    late = [{**e, "unit_name": f"{e['office']}：{e['unit_name']}"} for e in rolled.late_entries]
    own = service.workbook(service.Assembled(rolled.report, late))
    label = rolled.report.period.label
    columns = [("机构", None), *service.SUMMARY[1:]]

    def rows() -> Any:
        yield [service.Styled(f"{label}下级机构汇总（各机构合计行；末行为汇总）", "title")]
        yield [service.Styled(header, "header") for header, _ in columns]
        for part in rolled.parts:
            yield [part.name, *(service.cell_value(get(part.report.total), False) for _, get in columns[1:])]
        yield [service.Styled("汇总", "bold"), *(service.cell_value(get(rolled.report.total), True) for _, get in columns[1:])]

    return service.Book([*own.sheets, service.Sheet("下级机构", rows(), service.column_widths(columns), "B3")])
