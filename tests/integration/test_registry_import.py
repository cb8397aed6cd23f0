"""Imports of the registries and the item list, on real SQLite files and real workbooks."""
from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import Workbook

from sync_server.registry.core import uscc
from demo.county import generate_county
from sync_server.db.connection import open_db
from sync_server.registry.imports import import_file
from sync_server.errors import BadRequest
from tests.support import engine
from tests.support.server import ROOT

SAMPLES = ROOT / "docs" / "samples"


@pytest.fixture
def conn(tmp_path: Path) -> sqlite3.Connection:
    connection = open_db(engine.new_target(tmp_path / "server.db"))
    yield connection
    connection.close()


def count(conn: sqlite3.Connection, table: str) -> int:
    return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_samples_import_and_round_trip(conn: sqlite3.Connection) -> None:
    assert import_file(conn, "items", SAMPLES / "items.xlsx").inserted > 50
    assert import_file(conn, "units", SAMPLES / "units.xlsx").inserted == 60
    assert import_file(conn, "inspectors", SAMPLES / "inspectors.xlsx").inserted == 12
    county = generate_county(seed=7, units=60, inspectors=12)
    for unit in county.units:
        row = conn.execute("SELECT * FROM units WHERE id = ?", (unit.id,)).fetchone()
        assert (row["name"], row["specialty"], row["risk"], bool(row["covered"])) == \
            (unit.name, unit.specialty, unit.risk, unit.covered)
    person = county.inspectors[0]
    row = conn.execute("SELECT * FROM users WHERE id = ?", (person.id,)).fetchone()
    assert (row["name"], row["cert_valid_until"], row["role"]) == (person.name, person.cert_valid_until, person.role)


def test_reimport_updates_without_duplicates(conn: sqlite3.Connection, tmp_path: Path) -> None:
    import_file(conn, "units", SAMPLES / "units.csv")
    text = (SAMPLES / "units.csv").read_text(encoding="utf-8-sig").replace("云溪县", "云溪县（更新）", 1)
    changed = tmp_path / "units.csv"
    changed.write_text(text, encoding="utf-8")
    result = import_file(conn, "units", changed)
    assert (result.inserted, result.updated) == (0, 60)
    assert count(conn, "units") == 60
    assert conn.execute("SELECT count(*) FROM units WHERE name LIKE '%（更新）%' OR address LIKE '%（更新）%'").fetchone()[0] == 1


def test_errors_are_reported_by_row_and_nothing_is_written(conn: sqlite3.Connection) -> None:
    result = import_file(conn, "units", SAMPLES / "units-with-errors.csv")
    assert [str(e) for e in result.errors] == [
        "第 2 行 统一社会信用代码：校验位错误或含有不允许的字符", "第 3 行 专业：未知专业「烹饪卫生」",
        "第 4 行 信用风险等级：未知信用风险等级「E」（应为 A、B、C、D）", "第 6 行 统一社会信用代码：与第 5 行重复"]
    assert count(conn, "units") == 0 and not result.written


def test_skip_errors_imports_the_good_rows(conn: sqlite3.Connection) -> None:
    result = import_file(conn, "units", SAMPLES / "units-with-errors.csv", skip_errors=True)
    assert (result.inserted, result.skipped) == (1, 4)
    assert count(conn, "units") == 1


def workbook(path: Path, rows: list[list[object]]) -> Path:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def test_missing_column_and_bad_dates(conn: sqlite3.Connection, tmp_path: Path) -> None:
    no_key = workbook(tmp_path / "a.xlsx", [["姓名", "专业", "证件有效期"], ["张三", "公共场所", "2027-01-01"]])
    assert [str(e) for e in import_file(conn, "inspectors", no_key, skip_errors=True).errors] == ["执法证号：缺少该列（表头）"]
    dates = workbook(tmp_path / "b.xlsx", [["执法证号", "姓名", "专业", "证件有效期"], ["1", "张三", "公共场所", "2027-02-30"],
                                          ["2", "李四", "公共场所", "明年"], ["3", "王五", "公共场所、消毒产品", "2027/3/1"]])
    result = import_file(conn, "inspectors", dates)
    assert [e.row for e in result.errors] == [2, 3] and count(conn, "users") == 0


def test_item_list_versions_are_kept(conn: sqlite3.Connection, tmp_path: Path) -> None:
    head = ["事项编码", "事项名称", "专业", "依据"]
    first = workbook(tmp_path / "v1.xlsx", [head, ["GG-001", "卫生许可证", "公共场所", "《公共场所卫生管理条例》"],
                                            ["GG-002", "健康证明", "公共场所", "《公共场所卫生管理条例》"]])
    second = workbook(tmp_path / "v2.xlsx", [head, ["GG-001", "卫生许可证持证情况", "公共场所", "《公共场所卫生管理条例》第四条"]])
    assert import_file(conn, "items", first).version == 1
    assert import_file(conn, "items", second).version == 2
    from sync_server.registry.queries import list_items_by_version, list_items_latest
    assert [r["name"] for r in list_items_latest(conn)] == ["卫生许可证持证情况"]
    assert [r["code"] for r in list_items_by_version(conn, 1)] == ["GG-001", "GG-002"]
    assert count(conn, "item_list_versions") == 2


@pytest.mark.parametrize("name,content,code", [
    ("broken.xlsx", b"PK\x03\x04 not really a zip", "import.bad_xlsx"),
    ("junk.xlsx", bytes(range(256)) * 10, "import.bad_xlsx"),
    ("empty.csv", b"", "import.empty"),
    ("latin.csv", "统一社会信用代码".encode("utf-16"), "import.encoding"),
])
def test_malformed_files(conn: sqlite3.Connection, tmp_path: Path, name: str, content: bytes, code: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(BadRequest) as caught:
        import_file(conn, "units", path)
    assert caught.value.code == code and caught.value.message_zh


def test_truncated_workbook(conn: sqlite3.Connection, tmp_path: Path) -> None:
    data = (SAMPLES / "units.xlsx").read_bytes()
    path = tmp_path / "cut.xlsx"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(BadRequest) as caught:
        import_file(conn, "units", path)
    assert caught.value.code == "import.bad_xlsx"


def test_gb18030_csv(conn: sqlite3.Connection, tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes((SAMPLES / "units.csv").read_text(encoding="utf-8-sig").encode("gb18030"))
    assert import_file(conn, "units", path).inserted == 60


def test_cli(tmp_path: Path) -> None:
    db = str(engine.new_target(tmp_path / "cli.db"))
    run = lambda *a: subprocess.run([sys.executable, "-m", "sync_server", *a, "--db", db], cwd=ROOT,
                                    capture_output=True, text=True)
    bad = run("import-units", str(SAMPLES / "units-with-errors.csv"))
    assert bad.returncode == 1 and "第 2 行" in bad.stderr and "未导入任何数据" in bad.stderr
    good = run("import-units", str(SAMPLES / "units.xlsx"))
    assert good.returncode == 0 and "新增 60" in good.stdout
    missing = run("import-units", str(tmp_path / "nope.xlsx"))
    assert missing.returncode == 1 and "找不到文件" in missing.stderr


def test_excel_date_cells_and_numbers(conn: sqlite3.Connection, tmp_path: Path) -> None:
    from datetime import date, datetime
    path = workbook(tmp_path / "dates.xlsx", [["执法证号", "姓名", "专业", "证件有效期", "联系电话"],
                                              [370012, "张三", "公共场所", datetime(2027, 3, 1), 13800000000],
                                              ["37-2", "李四", "消毒产品", date(2028, 12, 31), None]])
    result = import_file(conn, "inspectors", path)
    assert result.inserted == 2, result.errors
    rows = dict(conn.execute("SELECT id, cert_valid_until FROM users").fetchall())
    assert rows == {"370012": "2027-03-01", "37-2": "2028-12-31"}


def test_sparse_cells_keep_their_columns(conn: sqlite3.Connection, tmp_path: Path) -> None:
    head = ["事项编码", "事项名称", "专业", "依据", "主体"]
    path = workbook(tmp_path / "sparse.xlsx", [head, ["GG-001", "卫生许可证", "公共场所", "《条例》", None],
                                               ["GG-002", "健康证明", "公共场所", "《条例》", "云溪县卫生健康局"]])
    assert import_file(conn, "items", path).inserted == 2
    assert [r[0] for r in conn.execute("SELECT subject FROM items ORDER BY code")] == ["", "云溪县卫生健康局"]


UNIT_HEAD = ["统一社会信用代码", "单位名称", "地址", "专业", "信用风险等级"]
CODES = [f"91110000100000{n:03d}" + uscc.check_digit(f"91110000100000{n:03d}") for n in range(12)]


def unit(code: str, *rest: object) -> list[object]:
    return [code, f"单位{code[-4:]}", "城关镇和平路1号", "公共场所", "B", *rest]


def audit_size(conn: sqlite3.Connection) -> int:
    return count(conn, "audit_log")


def test_yes_no_cells_as_excel_writes_them(conn: sqlite3.Connection, tmp_path: Path) -> None:
    cells = [False, 0, "FALSE", "false", "0", "否", "N", True, 1, "TRUE", "是", None]
    path = workbook(tmp_path / "covered.xlsx", [[*UNIT_HEAD, "纳入监管"], *(unit(c, v) for c, v in zip(CODES, cells))])
    assert import_file(conn, "units", path).inserted == len(CODES)
    covered = dict(conn.execute("SELECT id, covered FROM units").fetchall())
    assert [covered[c] for c in CODES] == [0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1]


def test_yes_no_refuses_other_words(conn: sqlite3.Connection, tmp_path: Path) -> None:
    path = workbook(tmp_path / "maybe.xlsx", [[*UNIT_HEAD, "纳入监管"], unit(CODES[0], "也许"), unit(CODES[1], 2)])
    result = import_file(conn, "units", path)
    assert [str(e) for e in result.errors] == ["第 2 行 纳入监管：应为「是」或「否」，实为「也许」",
                                               "第 3 行 纳入监管：应为「是」或「否」，实为「2」"]
    assert count(conn, "units") == 0


def test_headers_seen_in_real_registries(tmp_path: Path) -> None:
    db = str(engine.new_target(tmp_path / "cli.db"))
    units = workbook(tmp_path / "units.xlsx", [[*UNIT_HEAD, "是否纳入监管"], unit(CODES[0], "否"), unit(CODES[1], 0)])
    law = workbook(tmp_path / "law.xlsx", [[*UNIT_HEAD, "法律适用"], unit(CODES[2], "不适用"), unit(CODES[3], "适用")])
    people = workbook(tmp_path / "people.xlsx", [["执法证号", "姓名", "专业", "证件有效期", "职务"],
                                                 ["1", "张三", "公共场所", "2027-03-01", "组长"],
                                                 ["2", "李四", "公共场所", "2027-03-01", "检查员"]])
    items = workbook(tmp_path / "items.xlsx", [["事项编码", "事项名称", "专业", "法律适用"],
                                               ["GG-001", "卫生许可证", "公共场所", "《公共场所卫生管理条例》第八条"]])
    for command, path in (("import-units", units), ("import-units", law), ("import-inspectors", people),
                          ("import-items", items)):
        run = subprocess.run([sys.executable, "-m", "sync_server", command, str(path), "--db", db], cwd=ROOT,
                             capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
    conn = open_db(engine.new_target(tmp_path / "cli.db"))
    try:
        assert dict(conn.execute("SELECT id, covered FROM units").fetchall()) == dict(zip(CODES[:4], [0, 0, 0, 1]))
        assert dict(conn.execute("SELECT id, role FROM users WHERE id IN ('1', '2')").fetchall()) == \
            {"1": "leader", "2": "inspector"}
        assert conn.execute("SELECT legal_basis FROM items").fetchone()[0] == "《公共场所卫生管理条例》第八条"
    finally:
        conn.close()


def test_a_key_repeated_after_a_bad_row_is_an_error(conn: sqlite3.Connection, tmp_path: Path) -> None:
    bad_first = unit(CODES[0])
    bad_first[3] = "烹饪卫生"
    path = workbook(tmp_path / "dup.xlsx", [UNIT_HEAD, bad_first, unit(CODES[0]), unit(CODES[1])])
    result = import_file(conn, "units", path, skip_errors=True)
    assert [str(e) for e in result.errors] == ["第 2 行 专业：未知专业「烹饪卫生」", "第 3 行 统一社会信用代码：与第 2 行重复"]
    assert (result.inserted, result.skipped) == (1, 2)
    assert [r[0] for r in conn.execute("SELECT id FROM units")] == [CODES[1]]


def test_skip_errors_with_every_row_bad_writes_nothing(conn: sqlite3.Connection, tmp_path: Path) -> None:
    before = audit_size(conn)
    path = workbook(tmp_path / "all-bad.xlsx", [UNIT_HEAD, unit(CODES[0])[:4] + ["E"], unit(CODES[1])[:4] + ["Z"]])
    result = import_file(conn, "units", path, skip_errors=True)
    assert len(result.errors) == 2 and not result.written
    assert count(conn, "units") == 0 and audit_size(conn) == before
    db = str(engine.new_target(tmp_path / "cli.db"))
    run = subprocess.run([sys.executable, "-m", "sync_server", "import-units", str(path), "--db", db, "--skip-errors"],
                         cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 1 and "没有可导入的数据" in run.stderr and "加 --skip-errors" not in run.stderr


def test_a_header_without_rows_is_refused(conn: sqlite3.Connection, tmp_path: Path) -> None:
    import_file(conn, "items", SAMPLES / "items.xlsx")
    before = (count(conn, "item_list_versions"), audit_size(conn))
    path = workbook(tmp_path / "head.xlsx", [["事项编码", "事项名称", "专业", "依据"]])
    with pytest.raises(BadRequest) as caught:
        import_file(conn, "items", path)
    assert caught.value.code == "import.empty" and "没有数据行" in caught.value.message_zh
    assert (count(conn, "item_list_versions"), audit_size(conn)) == before


def test_a_1904_date_system_workbook_reads_the_right_dates(conn: sqlite3.Connection, tmp_path: Path) -> None:
    """Excel for Mac once counted days from 1904-01-01: the same cell then means a date 1,462 days later."""
    from datetime import datetime
    from openpyxl.utils.datetime import CALENDAR_MAC_1904
    book = Workbook()
    book.epoch = CALENDAR_MAC_1904
    book.active.append(["执法证号", "姓名", "专业", "证件有效期"])
    book.active.append(["370012", "张三", "公共场所", datetime(2027, 3, 1)])
    book.save(tmp_path / "mac.xlsx")
    assert b"date1904" in __import__("zipfile").ZipFile(tmp_path / "mac.xlsx").read("xl/workbook.xml")
    assert import_file(conn, "inspectors", tmp_path / "mac.xlsx").inserted == 1
    assert conn.execute("SELECT cert_valid_until FROM users").fetchone()[0] == "2027-03-01"
