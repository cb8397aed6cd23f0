"""CSV downloads neutralise formulas (the OWASP rule for CSV injection): a cell whose text starts
with = + - @, a tab or a CR gets a leading single quote; nothing else changes."""
from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from sync_server.disclosure.exports import csv_cell, csv_text

DOC = {"no": "2026-000001", "unit": {"name": "=HYPERLINK(\"http://evil.invalid\",\"x\")", "uscc": "91369921MA3C8XJ27U"},
       "tasks": [{"number": "T1", "title": "@任务"}], "items": ["-事项"], "inspected_on": "2026-11-20",
       "category": {"code": "no_problem", "label": "未发现问题"}, "handling": {}, "body": "+机关",
       "published_on": "2026-11-21", "revision": 1, "due_on": "2026-12-18",
       "record": {"envelope_sha256": "ab" * 32}, "_specialty": "public_places"}


@pytest.mark.parametrize("text", ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1+1", "\r=1+1", "=cmd|' /C calc'!A0"])
def test_formula_starts_are_quoted(text: str) -> None:
    assert csv_cell(text) == "'" + text


@pytest.mark.parametrize("value,expected", [("云溪县人民医院", "云溪县人民医院"), ("a=1", "a=1"), (" =1", " =1"),
                                            (date(2026, 11, 20), "2026-11-20"), (3, "3"), ("", "")])
def test_other_cells_are_unchanged(value: object, expected: str) -> None:
    assert csv_cell(value) == expected


def test_a_row_reads_back_with_every_formula_neutralised() -> None:
    rows = list(csv.reader(io.StringIO(csv_text([DOC], True).lstrip("\ufeff"))))
    row = rows[1]
    assert row[1] == "'=HYPERLINK(\"http://evil.invalid\",\"x\")" and row[2] == "91369921MA3C8XJ27U"
    assert (row[4], row[5], row[9]) == ("T1 @任务", "'-事项", "'+机关")
    assert (row[6], row[10], row[11], row[12]) == ("2026-11-20", "2026-11-21", "1", "2026-12-18")
