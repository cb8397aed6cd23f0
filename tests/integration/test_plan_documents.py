"""The annual plan as a document, through its service on a real SQLite file: the state machine
(draft → published → revising → revised), published versions immutable and kept, stale forms
refused with nothing applied, Chinese field errors, the audit log naming the person."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Callable, Iterator

from tests.support import engine
import pytest

from sync_server.db import Connection
from sync_server.db.connection import open_db, transaction
from sync_server.errors import FieldErrors, Stale
from sync_server.planning import plan_documents as docs

BY, NAME = "office:zhang", "张科长"
CLERK = "office:li"
BODY = "一、工作目标\n全面推行“双随机、一公开”监管。\n\n二、抽查任务\n公共场所、生活饮用水。"


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[Connection]:
    connection = open_db(engine.new_target(tmp_path / "server.db"))
    yield connection
    connection.close()


def write(conn: Connection, fn: Callable[..., Any], *args: Any) -> Any:
    with transaction(conn):
        return fn(conn, *args)


def audit_entries(conn: Connection, prefix: str = "plan.") -> list[dict[str, Any]]:
    rows = conn.execute("SELECT entry FROM audit_log WHERE kind LIKE ? ORDER BY idx", (prefix + "%",)).fetchall()
    return [json.loads(bytes(r[0])) for r in rows]


def token(conn: Connection, year: int = 2027) -> str:
    return docs.document(conn, year)["token"]


def published(conn: Connection) -> dict[str, Any]:
    write(conn, docs.create, 2027, "2027年度抽查工作计划", BODY, CLERK, "李录入")
    write(conn, docs.publish, 2027, token(conn), BY, NAME)
    return docs.document(conn, 2027)


def test_a_plan_goes_from_draft_to_published_and_the_hash_covers_its_content(conn: Connection) -> None:
    write(conn, docs.create, 2027, "  2027年度抽查工作计划 ", "初稿", CLERK, "李录入")
    doc = docs.document(conn, 2027)
    assert doc["state"] == "draft" and doc["draft"]["version"] == 1 and doc["published"] == []
    assert doc["draft"]["title"] == "2027年度抽查工作计划"
    assert doc["plan"]["title"] == "2027年度“双随机、一公开”抽查工作计划", "a draft's title is not public"
    write(conn, docs.save, 2027, doc["token"], "2027年度抽查工作计划", BODY + "\r\n\r\n", "", CLERK, "李录入")
    result = write(conn, docs.publish, 2027, token(conn), BY, NAME)
    doc = docs.document(conn, 2027)
    assert doc["state"] == "published" and doc["draft"] is None
    version = doc["current"]
    assert (version["version"], version["body"], version["published_by"], version["published_by_name"]) == \
        (1, BODY, BY, NAME)
    content = bytes(version["content"])
    assert hashlib.sha256(content).hexdigest() == version["sha256"] == result["sha256"]
    parsed = json.loads(content)
    assert (parsed["title"], parsed["body"], parsed["version"], parsed["revises"], parsed["reason"]) == \
        ("2027年度抽查工作计划", BODY, 1, None, "")
    assert [e["kind"] for e in audit_entries(conn)] == ["plan.created", "plan.drafted", "plan.draft_saved",
                                                       "plan.published"]
    assert [e.get("by") for e in audit_entries(conn)][1:] == [CLERK, CLERK, BY]
    assert audit_entries(conn)[-1]["sha256"] == version["sha256"]


def test_a_revision_is_a_new_version_with_its_reason_and_the_old_one_stays(conn: Connection) -> None:
    first = published(conn)["current"]
    write(conn, docs.start_revision, 2027, "p1", BY, NAME)
    doc = docs.document(conn, 2027)
    assert doc["state"] == "revising" and doc["draft"]["version"] == 2 and doc["draft"]["body"] == BODY
    write(conn, docs.save, 2027, doc["token"], "2027年度抽查工作计划（调整）", BODY + "\n\n三、新增任务", "", BY, NAME)
    with pytest.raises(FieldErrors) as refused:
        write(conn, docs.publish, 2027, token(conn), BY, NAME)
    assert set(refused.value.fields) == {"reason"} and "调整理由" in refused.value.fields["reason"]
    write(conn, docs.save, 2027, token(conn), "2027年度抽查工作计划（调整）", BODY + "\n\n三、新增任务",
          "省级计划下达后新增职业卫生任务", BY, NAME)
    write(conn, docs.publish, 2027, token(conn), BY, NAME)
    doc = docs.document(conn, 2027)
    assert doc["state"] == "revised" and [v["version"] for v in doc["published"]] == [2, 1]
    second, kept = doc["published"]
    assert kept["sha256"] == first["sha256"] and bytes(kept["content"]) == bytes(first["content"])
    assert kept["body"] == BODY, "the first version's text is as it was published"
    parsed = json.loads(bytes(second["content"]))
    assert parsed["revises"] == first["sha256"] and parsed["reason"] == "省级计划下达后新增职业卫生任务"
    assert doc["plan"]["title"] == "2027年度抽查工作计划（调整）"
    revised = audit_entries(conn)[-1]
    assert (revised["kind"], revised["by"], revised["version"], revised["revises"]) == \
        ("plan.revised", BY, 2, first["sha256"])
    assert "plan.revision_started" in [e["kind"] for e in audit_entries(conn)]


def test_a_published_version_cannot_be_changed_or_deleted_even_in_sql(conn: Connection, tmp_path: Path) -> None:
    published(conn)
    plain = engine.connect(engine.new_target(tmp_path / "server.db"))   # the same database, another session
    with pytest.raises(engine.refusals(), match="immutable"):
        plain.execute("UPDATE plan_versions SET body = 'changed' WHERE version = 1")
    with pytest.raises(engine.refusals(), match="never deleted"):
        plain.execute("DELETE FROM plan_versions WHERE version = 1")
    plain.close()
    assert docs.document(conn, 2027)["current"]["body"] == BODY


def test_a_published_version_is_not_edited_through_the_service(conn: Connection) -> None:
    doc = published(conn)
    with pytest.raises(Stale):   # the draft's form, after the publication
        write(conn, docs.save, 2027, "v1.1", "改", "改", "", BY, NAME)
    with pytest.raises(Stale):
        write(conn, docs.save, 2027, "v1.2", "改", "改", "", BY, NAME)
    assert docs.document(conn, 2027)["current"]["sha256"] == doc["current"]["sha256"]


def test_a_stale_save_after_a_concurrent_publication_applies_nothing(conn: Connection) -> None:
    write(conn, docs.create, 2027, "2027年度抽查工作计划", BODY, CLERK, "李录入")
    opened = token(conn)                         # the clerk opens the edit form
    write(conn, docs.publish, 2027, opened, BY, NAME)   # the admin publishes meanwhile
    before = conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    with pytest.raises(Stale) as refused:
        write(conn, docs.save, 2027, opened, "新标题", "新正文", "", CLERK, "李录入")
    assert "未生效" in refused.value.message_zh
    doc = docs.document(conn, 2027)
    assert doc["current"]["title"] == "2027年度抽查工作计划" and doc["draft"] is None
    assert conn.execute("SELECT count(*) FROM audit_log").fetchone()[0] == before


def test_a_stale_save_or_publish_after_another_save_applies_nothing(conn: Connection) -> None:
    write(conn, docs.create, 2027, "2027年度抽查工作计划", BODY, CLERK, "李录入")
    opened = token(conn)
    write(conn, docs.save, 2027, opened, "甲的标题", BODY, "", CLERK, "李录入")
    with pytest.raises(Stale):
        write(conn, docs.save, 2027, opened, "乙的标题", BODY, "", BY, NAME)
    with pytest.raises(Stale):   # publishing what the admin saw, not what is stored now
        write(conn, docs.publish, 2027, opened, BY, NAME)
    doc = docs.document(conn, 2027)
    assert doc["draft"]["title"] == "甲的标题" and doc["published"] == []


def test_a_revision_is_started_once(conn: Connection) -> None:
    published(conn)
    write(conn, docs.start_revision, 2027, "p1", BY, NAME)
    with pytest.raises(Stale):
        write(conn, docs.start_revision, 2027, "p1", CLERK, "李录入")
    assert [v["version"] for v in conn.execute("SELECT version FROM plan_versions").fetchall()] == [1, 2]


def test_discarding_a_revision_draft_keeps_the_published_version(conn: Connection) -> None:
    first = published(conn)["current"]
    write(conn, docs.start_revision, 2027, "p1", BY, NAME)
    write(conn, docs.discard, 2027, token(conn), BY)
    doc = docs.document(conn, 2027)
    assert doc["state"] == "published" and doc["current"]["sha256"] == first["sha256"] and doc["draft"] is None
    assert audit_entries(conn)[-1]["kind"] == "plan.draft_discarded"


@pytest.mark.parametrize("title, body, field, words", [
    ("", BODY, "title", "请填写计划标题"),
    ("标" * 201, BODY, "title", "不能超过 200 个字"),
    ("标题", "字" * 20_001, "body", "不能超过 20000 个字"),
])
def test_field_errors_in_chinese_and_nothing_saved(conn: Connection, title: str, body: str, field: str,
                                                   words: str) -> None:
    with pytest.raises(FieldErrors) as refused:
        write(conn, docs.create, 2027, title, body, CLERK, "李录入")
    assert words in refused.value.fields[field]
    assert conn.execute("SELECT count(*) FROM plans").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM plan_versions").fetchone()[0] == 0


def test_an_empty_plan_is_not_published(conn: Connection) -> None:
    write(conn, docs.create, 2027, "2027年度抽查工作计划", "", CLERK, "李录入")
    with pytest.raises(FieldErrors) as refused:
        write(conn, docs.publish, 2027, token(conn), BY, NAME)
    assert "计划正文为空" in refused.value.fields["body"]
    assert docs.document(conn, 2027)["state"] == "draft"


def test_a_year_has_one_plan(conn: Connection) -> None:
    write(conn, docs.create, 2027, "2027年度抽查工作计划", BODY, CLERK, "李录入")
    with pytest.raises(FieldErrors) as refused:
        write(conn, docs.create, 2027, "又一个", BODY, CLERK, "李录入")
    assert "已起草" in refused.value.fields["year"]
    for bad in ("27", "２０２７", "1999", "abcd", ""):
        with pytest.raises(FieldErrors):
            docs.check_year(bad)
    assert docs.check_year(" 2031 ") == 2031


def test_a_version_lists_the_tasks_of_its_year_as_they_were(county) -> None:
    conn = open_db(county.db)
    try:
        year = conn.execute("SELECT year FROM plans ORDER BY year LIMIT 1").fetchone()[0]
        numbers = [r[0] for r in conn.execute("SELECT t.number FROM tasks t JOIN plans p ON p.id = t.plan_id"
                                              " WHERE p.year = ? ORDER BY t.period_start, t.number", (year,))]
        assert numbers, "the demo county has tasks in its plan"
        write(conn, docs.create, year, f"{year}年度抽查工作计划", BODY, CLERK, "李录入")
        write(conn, docs.publish, year, token(conn, year), BY, NAME)
        doc = docs.document(conn, year)
        assert [t["number"] for t in docs.version_tasks(doc["current"])] == numbers
        assert [t["number"] for t in doc["tasks"]] == numbers
    finally:
        conn.close()
