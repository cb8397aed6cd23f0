"""A city's half-year and yearly report is the sum of its counties' (issue 14), on real SQLite
files: three counties, each its own database with different data, each report computed on its
own exactly as the county's own page computes it; the city's roll-up must equal, figure by
figure, the sum of those, every rate the ratio of the summed numerator and denominator (never the
mean of the counties' rates), and its workbook must say the same."""
from __future__ import annotations

import io
import re
import zipfile
from dataclasses import fields
from datetime import date
from fractions import Fraction
from pathlib import Path

import pytest
from openpyxl import load_workbook

from sync_server.db.connection import office_target, open_db
from sync_server.reports import rollup
from sync_server.reports.core.report import Counts, Period, PeriodError, roll_up
from sync_server.reports.service import assemble
from tests.support.report_rows import Rows, fill_2025

TODAY = date(2026, 1, 31)
COUNTIES = [("370323", "沂源县"), ("370322", "高青县"), ("370321", "桓台县")]
RATES = ("sampling", "discovery", "risk_share", "publication")


def second_county(rows: Rows) -> None:
    """A bigger registry, fewer draws, every publication on time but one overdue."""
    rows.units("public_places", [f"G{i:04d}" for i in range(1, 301)])
    rows.units("radiation", [f"R{i:04d}" for i in range(1, 21)])
    plan = rows.plan(2025)
    rows.task(plan, "G1", ["public_places"], "2025-04-01", units=[f"G{i:04d}" for i in range(1, 10)])
    rows.task(plan, "G2", ["radiation"], "2025-10-01", risk=False, units=["R0001", "R0002"])
    e = rows.entry
    for n in range(6):
        e("public_places", 2025, 1, "no_problem", "no_problem", "2025-05-10", [("2025-05-10", 0)])
    e("public_places", 2025, 1, "rectify", "rectify", "2025-05-20", [("2025-05-20", 0)], reinspection="rectified")
    e("radiation", 2025, 2, "penalty", "penalty", "2025-11-10", [("2025-11-10", 7)])
    e("radiation", 2025, 2, "no_problem", "no_problem", "2025-12-01")   # overdue at the cutoff


def third_county(rows: Rows) -> None:
    """Small, with late publications (the pooled median differs from any county's)."""
    rows.units("medical", [f"M{i:04d}" for i in range(1, 31)])
    plan = rows.plan(2025)
    rows.task(plan, "M1", ["medical"], "2025-02-01", units=["M0001", "M0002", "M0003", "M0004"])
    e = rows.entry
    e("medical", 2025, 1, "rectify", "rectify", "2025-03-01", [("2025-03-01", 2)], reinspection="not_rectified")
    e("medical", 2025, 1, "penalty", "penalty", "2025-04-01", [("2025-04-01", 4)])
    e("medical", 2025, 2, "unreachable", "unreachable", "2025-08-01", [("2025-08-01", 0)])


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, str, Path]]:
    """The city's own database and its three counties' beside it (offices/<code>.db)."""
    root = tmp_path_factory.mktemp("city") / "server.db"
    open_db(root).close()
    made = []
    for (code, name), fill in zip(COUNTIES, (fill_2025, lambda c: second_county(Rows(c)),
                                             lambda c: third_county(Rows(c)))):
        path = office_target(root, code)
        conn = open_db(path)
        fill(conn)
        conn.commit()
        conn.close()
        made.append((code, name, path))
    return made


def _counts_sum(parts: list[Counts]) -> dict[str, object]:
    """Each field of Counts added up here, field by field (not with Counts.__add__)."""
    out: dict[str, object] = {}
    for f in fields(Counts):
        values = [getattr(p, f.name) for p in parts]
        if f.name == "categories":
            out[f.name] = tuple(sum(column) for column in zip(*values))
        elif f.name == "late_days":
            out[f.name] = sorted(day for days in values for day in days)
        else:
            out[f.name] = sum(values)
    return out


@pytest.mark.parametrize("period", [Period(2025), Period(2025, 1), Period(2025, 2)], ids=lambda p: p.slug)
def test_the_city_report_is_the_sum_of_its_counties(city, period: Period) -> None:
    conns = [(code, name, open_db(path)) for code, name, path in city]
    try:
        alone = [assemble(conn, period, TODAY).report for _, _, conn in conns]
        rolled = rollup.from_connections(period, conns, TODAY)
    finally:
        for _, _, conn in conns:
            conn.close()
    city_report = rolled.report
    assert [p.name for p in rolled.parts] == [name for _, name in COUNTIES]
    pairs = [(city_report.total, [r.total for r in alone])]
    pairs += [(row, [next(x for x in r.rows if x.code == row.code) for r in alone]) for row in city_report.rows]
    for row, parts in pairs:
        summed = _counts_sum([p.counts for p in parts])
        got = {f.name: getattr(row.counts, f.name) for f in fields(Counts)}
        got["late_days"] = sorted(got["late_days"])
        assert got == summed, row.code
        for rate in RATES:
            num = sum(getattr(p, rate).num for p in parts)
            den = sum(getattr(p, rate).den for p in parts)
            assert (getattr(row, rate).num, getattr(row, rate).den) == (num, den), (row.code, rate)
            assert getattr(row, rate).value == (Fraction(num, den) if den else None)
    # the figures the rows were written with, counted by hand: covered units 140 + 320 + 30
    assert city_report.total.counts.registry == 490
    # distinct units placed: first county 9 in the year (T1: 4 in H1; T2 and T3: 7 in H2), second 11 (9 + 2),
    # third 4 (H1)
    assert city_report.total.counts.drawn == {None: 9 + 11 + 4, 1: 4 + 9 + 4, 2: 7 + 2 + 0}[period.half]


def test_a_rate_is_the_ratio_of_sums_not_the_mean(city) -> None:
    conns = [(code, name, open_db(path)) for code, name, path in city]
    try:
        rolled = rollup.from_connections(Period(2025), conns, TODAY)
    finally:
        for _, _, conn in conns:
            conn.close()
    shares = [p.report.total.sampling.value for p in rolled.parts]
    mean = sum(shares, Fraction(0)) / len(shares)
    assert rolled.report.total.sampling.value != mean      # the counties' sizes differ: the two disagree
    assert rolled.report.total.sampling.value == Fraction(sum(p.report.total.counts.drawn for p in rolled.parts),
                                                          sum(p.report.total.counts.registry for p in rolled.parts))


def test_parts_of_another_period_are_refused(city) -> None:
    conn = open_db(city[0][2])
    try:
        year, half = assemble(conn, Period(2025), TODAY).report, assemble(conn, Period(2025, 1), TODAY).report
    finally:
        conn.close()
    with pytest.raises(PeriodError):
        roll_up(Period(2025), TODAY, "2026-01-31T00:00:00.000Z", [year, half])


def test_the_roll_up_workbook_says_the_same(city) -> None:
    conns = [(code, name, open_db(path)) for code, name, path in city]
    try:
        rolled = rollup.from_connections(Period(2025), conns, TODAY)
    finally:
        for _, _, conn in conns:
            conn.close()
    out = io.BytesIO()
    rollup.workbook(rolled).save(out)
    book = load_workbook(io.BytesIO(out.getvalue()), read_only=True)
    assert book.sheetnames == ["汇总表", "公示及时性", "说明", "下级机构"]
    summary = [list(r) for r in book["汇总表"].iter_rows(values_only=True)]
    headers, total = summary[1], next(r for r in summary if r[0] == "合计")
    assert total[headers.index("名录库单位数")] == sum(p.report.total.counts.registry for p in rolled.parts)
    assert total[headers.index("检查单位数（户次）")] == sum(p.report.total.counts.inspected for p in rolled.parts)
    offices = [list(r) for r in book["下级机构"].iter_rows(values_only=True)]
    by_name = {r[0]: r for r in offices[2:]}
    assert set(by_name) == {name for _, name in COUNTIES} | {"汇总"}
    column = offices[1].index("抽取单位数")
    assert by_name["汇总"][column] == sum(by_name[name][column] for _, name in COUNTIES)
    assert zipfile.ZipFile(io.BytesIO(out.getvalue())).testzip() is None


# --- the console of a platform: a province, its city, the city's counties -----------------------------

@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A province's platform (370000) with the city 淄博市 (370300) and its three counties, each
    county's database filled as above; the city has a console admin of its own."""
    from sync_server.db.connection import transaction
    from sync_server.platform import databases, service as platform_service
    from tests.support.office import make_account

    root = tmp_path_factory.mktemp("platform") / "server.db"
    conn = open_db(root)
    with transaction(conn):
        offices = [platform_service.add_office(conn, "370000", "山东省卫生健康委员会", "province"),
                   platform_service.add_office(conn, "370300", "淄博市卫生健康委员会", "city", "370000")]
        offices += [platform_service.add_office(conn, code, f"{name}卫生健康局", "county", "370300")
                    for code, name in COUNTIES]
        for office in offices[1:]:
            databases.provision(root, office)
    conn.close()
    for (code, _), fill in zip(COUNTIES, (fill_2025, lambda c: second_county(Rows(c)),
                                          lambda c: third_county(Rows(c)))):
        county_conn = open_db(office_target(root, code))
        fill(county_conn)
        county_conn.commit()
        county_conn.close()
    make_account(office_target(root, "370300"), "zibo", "admin")
    make_account(office_target(root, "370323"), "yiyuan", "admin")
    return root


def test_the_city_console_shows_the_sum_and_its_workbook(platform: Path) -> None:
    from schemas import clock
    from tests.support.office import signed_in
    from tests.support.server import ServerProcess

    today = clock.beijing_today()
    alone = []
    for code, name in COUNTIES:
        conn = open_db(office_target(platform, code))
        alone.append(assemble(conn, Period(2025), today).report.total)
        conn.close()
    registry, inspected = sum(r.counts.registry for r in alone), sum(r.counts.inspected for r in alone)
    on_time, due = sum(r.counts.on_time for r in alone), sum(r.counts.due for r in alone)
    server = ServerProcess(platform).start()
    try:
        with signed_in(server.url + "/o/370300", "zibo") as web:
            index = web.get("/office/reports")
            assert index.status_code == 200 and "/o/370300/office/reports/rollup/2025" in index.text
            page = web.get("/office/reports/rollup/2025")
            assert page.status_code == 200, page.text[:1000]
            total = re.search(r'<tr class="total"><th scope="row">汇总</th>(.*?)</tr>', page.text).group(1)
            cells = re.findall(r"<td>(.*?)</td>", total)
            assert cells[0] == str(registry) and cells[3] == str(inspected)
            assert cells[9] == str(on_time) and cells[8] == str(due)
            tenths = (Fraction(on_time * 1000, due) + Fraction(1, 2)).__floor__()   # the ratio of the sums, 1 decimal
            assert cells[10] == f"{tenths // 10}.{tenths % 10}%"
            assert all(f"{name}卫生健康局" in page.text for _, name in COUNTIES)
            xlsx = web.get("/office/reports/rollup/2025.xlsx")
            assert xlsx.status_code == 200
            book = load_workbook(io.BytesIO(xlsx.content), read_only=True)
            rows = [list(r) for r in book["下级机构"].iter_rows(values_only=True)]
            column = rows[1].index("名录库单位数")
            assert {r[0]: r[column] for r in rows[2:]}["汇总"] == registry == 490
        with signed_in(server.url + "/o/370323", "yiyuan") as web:   # a county has no office below it
            refused = web.get("/office/reports/rollup/2025")
            assert refused.status_code == 404 and "没有下级机构" in refused.text
            assert "/office/reports/rollup/" not in web.get("/office/reports").text
    finally:
        server.stop()
