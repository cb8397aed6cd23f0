"""The console's two-step imports and edits as services, on real SQLite files (registry/staging.py,
registry/edits.py); the same over HTTP is in test_console_registry_http.py."""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from sync_server.db.connection import open_db, transaction
from sync_server.errors import BadRequest, Conflict, FieldErrors, NotFound, Stale
from sync_server.registry import edits, staging
from sync_server.registry.core import uscc
from sync_server.registry.imports import import_file
from tests.support import engine
from tests.support.server import ROOT

SAMPLES = ROOT / "docs" / "samples"
HEADER = "统一社会信用代码,单位名称,地址,专业,信用风险等级\n"


@pytest.fixture
def conn(tmp_path: Path) -> sqlite3.Connection:
    connection = open_db(engine.new_target(tmp_path / "server.db"))
    import_file(connection, "units", SAMPLES / "units.csv")
    yield connection
    connection.close()


def code(n: int) -> str:
    return uscc.make("9", "1", "350100", f"M{n:07d}")


def staged(conn: sqlite3.Connection, text: str, kind: str = "units", account: str = "acc-1") -> tuple[str, dict]:
    prepared = staging.prepare(conn, kind, "file.csv", text.encode("utf-8"))
    with transaction(conn):
        staged_id = staging.stage(conn, prepared, account)
    return staged_id, prepared.summary


def first_units(conn: sqlite3.Connection, n: int) -> list[sqlite3.Row]:
    return conn.execute("SELECT * FROM units ORDER BY id LIMIT ?", (n,)).fetchall()


def test_preview_counts_and_confirm_applies_all(conn: sqlite3.Connection) -> None:
    a, b = first_units(conn, 2)
    text = HEADER + f"{a['id']},{a['name']},{a['address']},{a['specialty']},{a['risk']}\n" \
        f"{b['id']},{b['name']}（新名）,{b['address']},{b['specialty']},{b['risk']}\n" \
        f"{code(1)},新单位,新地址,公共场所,A\n"
    before = conn.execute("SELECT count(*) FROM units").fetchone()[0]
    staged_id, summary = staged(conn, text)
    # Unit a's other columns (category, tags…) are empty in this file, so it reads as changed too
    # unless all its optional columns were empty; count from the stored rows independently:
    a_same = a["category"] == "" and a["tags"] == "[]" and a["contact"] == "" and a["phone"] == "" and a["town"] == "" \
        and a["complaints"] == 0 and a["serious_violations"] == 0 and a["covered"] == 1
    assert (summary["new"], summary["changed"] + summary["unchanged"]) == (1, 2)
    assert summary["unchanged"] == (1 if a_same else 0)
    assert summary["left_out"] == before - 2 and summary["errors"] == 0
    assert conn.execute("SELECT count(*) FROM units").fetchone()[0] == before      # nothing applied yet
    sha = staging.load(conn, staged_id, "acc-1")["sha256"]
    with transaction(conn):
        result = staging.confirm(conn, staged_id, "acc-1", sha, "office:clerk1")
    assert (result.inserted, result.updated) == (1, 2)
    assert conn.execute("SELECT name FROM units WHERE id = ?", (b["id"],)).fetchone()[0] == f"{b['name']}（新名）"
    entry = json.loads(conn.execute("SELECT entry FROM audit_log ORDER BY idx DESC LIMIT 1").fetchone()[0])
    assert (entry["kind"], entry["by"], entry["inserted"]) == ("registry.imported", "office:clerk1", 1)
    with pytest.raises(Stale), transaction(conn):                                   # never twice
        staging.confirm(conn, staged_id, "acc-1", sha, "office:clerk1")


def test_bad_rows_are_listed_and_cannot_be_applied(conn: sqlite3.Connection) -> None:
    bad = code(2)[:17] + ("0" if code(2)[17] != "0" else "1")
    text = HEADER + f"{code(3)},好单位,地址,公共场所,A\n{bad},坏单位,地址,公共场所,A\n{code(4)},,地址,烹饪,E\n"
    staged_id, summary = staged(conn, text)
    assert (summary["errors"], summary["bad_rows"], summary["good"]) == (4, 2, 1)
    errors = [str(e) for e in staging.errors_page(conn, staged_id, 1, 100)]
    assert errors == ["第 3 行 统一社会信用代码：校验位错误或含有不允许的字符", "第 4 行 单位名称：不能为空",
                      "第 4 行 专业：未知专业「烹饪」", "第 4 行 信用风险等级：未知信用风险等级「E」（应为 A、B、C、D）"]
    assert [str(e) for e in staging.errors_page(conn, staged_id, 2, 3)] == errors[3:]
    count = conn.execute("SELECT count(*) FROM units").fetchone()[0]
    with pytest.raises(Conflict) as refused, transaction(conn):
        staging.confirm(conn, staged_id, "acc-1", staging.load(conn, staged_id, "acc-1")["sha256"], "office:x")
    assert "全部修正后才能导入" in refused.value.message_zh
    assert conn.execute("SELECT count(*) FROM units").fetchone()[0] == count
    assert conn.execute("SELECT count(*) FROM units WHERE id = ?", (code(3),)).fetchone()[0] == 0


def test_a_change_after_the_preview_makes_it_stale(conn: sqlite3.Connection) -> None:
    (a,) = first_units(conn, 1)
    staged_id, _ = staged(conn, HEADER + f"{a['id']},{a['name']}（改）,{a['address']},{a['specialty']},{a['risk']}\n")
    sha = staging.load(conn, staged_id, "acc-1")["sha256"]
    unit = edits.unit(conn, a["id"])
    with transaction(conn):
        edits.edit_unit(conn, a["id"], {**_form(unit), "phone": "0591-1"}, unit["version"], "office:other")
    with pytest.raises(Stale) as refused, transaction(conn):
        staging.confirm(conn, staged_id, "acc-1", sha, "office:clerk1")
    assert "已有变动" in refused.value.message_zh
    assert conn.execute("SELECT name FROM units WHERE id = ?", (a["id"],)).fetchone()[0] == a["name"]


def test_a_preview_is_bound_to_its_account_and_its_file(conn: sqlite3.Connection) -> None:
    staged_id, _ = staged(conn, HEADER + f"{code(5)},单位,地址,公共场所,A\n")
    with pytest.raises(NotFound):
        staging.load(conn, staged_id, "acc-2")
    with pytest.raises(Stale), transaction(conn):
        staging.confirm(conn, staged_id, "acc-1", "0" * 64, "office:clerk1")


def test_unreadable_files_are_refused_in_chinese(conn: sqlite3.Connection) -> None:
    with pytest.raises(BadRequest) as refused:
        staging.prepare(conn, "units", "x.xlsx", b"PK\x03\x04 not really a zip")
    assert "无法读取" in refused.value.message_zh
    with pytest.raises(BadRequest) as refused:
        staging.prepare(conn, "units", "x.csv", HEADER.encode())
    assert refused.value.code == "import.empty"
    prepared = staging.prepare(conn, "units", "x.csv", "单位名称\n某单位\n".encode())
    assert prepared.summary["fatal"] and prepared.summary["errors"] == 4


def test_item_versions_preview_counts_removed(conn: sqlite3.Connection) -> None:
    head = "事项编码,事项名称,专业,依据\n"
    staged_id, _ = staged(conn, head + "A1,甲,公共场所,条例一\nA2,乙,公共场所,条例二\n", "items")
    with transaction(conn):
        staging.confirm(conn, staged_id, "acc-1", staging.load(conn, staged_id, "acc-1")["sha256"], "office:c")
    staged_id, summary = staged(conn, head + "A2,乙,公共场所,条例二（修订）\nA3,丙,公共场所,条例三\n", "items")
    assert (summary["new"], summary["changed"], summary["unchanged"], summary["left_out"]) == (1, 1, 0, 1)


def _form(unit: dict) -> dict:
    from sync_server.registry.core.forms import form_values
    return form_values("units", unit)


def test_edit_checks_fields_and_version_and_logs_before_and_after(conn: sqlite3.Connection) -> None:
    (a,) = first_units(conn, 1)
    unit = edits.unit(conn, a["id"])
    with pytest.raises(FieldErrors) as refused, transaction(conn):
        edits.edit_unit(conn, a["id"], {**_form(unit), "risk": "Z", "name": ""}, unit["version"], "office:c")
    assert refused.value.fields == {"risk": "未知信用风险等级「Z」（应为 A、B、C、D）", "name": "不能为空"}
    with transaction(conn):
        changed = edits.edit_unit(conn, a["id"], {**_form(unit), "risk": "D" if a["risk"] != "D" else "A"},
                                  unit["version"], "office:c")
    assert changed == ["risk"]
    entry = json.loads(conn.execute("SELECT entry FROM audit_log ORDER BY idx DESC LIMIT 1").fetchone()[0])
    assert (entry["kind"], entry["subject"], entry["by"], entry["before"]) == \
        ("registry.unit_edited", a["id"], "office:c", {"risk": a["risk"]})
    with pytest.raises(Stale), transaction(conn):      # the form opened before that edit
        edits.edit_unit(conn, a["id"], _form(unit), unit["version"], "office:c")
