"""Downloads of the public disclosure list: CSV (UTF-8 with BOM, for Excel), XLSX and JSON.

A CSV cell that a spreadsheet would read as a formula (text starting with = + - @, a tab or a
CR; a unit may be registered as `=HYPERLINK(...)`) is written with a leading single quote, the
OWASP rule against CSV injection. The XLSX needs no such quote: its text cells are typed as
text, dates as dates, the revision as a number, and the USCC stays text.

CSV and JSON are streamed chunk by chunk (keyset pages of CHUNK entries), so memory stays flat
at any size; XLSX is written to a temporary file by the lean writer (sync_server.xlsx.writer).
"""
from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path
from datetime import date
from typing import Any, Iterator

from sync_server.db import Connection
from sync_server.xlsx import writer as xlsx_writer
from sync_server.disclosure.core.disclosure import EXPORT_HEADERS, export_row
from schemas.specialties import SPECIALTIES
from sync_server.disclosure.queries import disclosures as q

CHUNK = 2000
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """A cell as CSV text: a date as YYYY-MM-DD, text that starts like a formula behind a `'`."""
    text = value.isoformat() if isinstance(value, date) else str(value)
    return "'" + text if isinstance(value, str) and text.startswith(FORMULA_START) else text


def chunk(conn: Connection, filters: dict[str, Any], after_id: int) -> tuple[list[dict[str, Any]], int | None]:
    """The next chunk of published documents, and the id to continue after (None at the end)."""
    rows = q.list_public_after(conn, filters, after_id, CHUNK)
    docs = [{**json.loads(bytes(r["doc"])), "_specialty": r["specialty"]} for r in rows]
    return docs, (rows[-1]["id"] if len(rows) == CHUNK else None)


def csv_text(docs: list[dict[str, Any]], header: bool) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if header:
        out.write("\ufeff")
        writer.writerow(EXPORT_HEADERS)
    writer.writerows([csv_cell(v) for v in export_row(d, SPECIALTIES.get(d["_specialty"], d["_specialty"]))]
                     for d in docs)
    return out.getvalue()


def json_text(docs: list[dict[str, Any]], first: bool) -> str:
    parts = [json.dumps({k: v for k, v in d.items() if k != "_specialty"}, ensure_ascii=False, separators=(",", ":"))
             for d in docs]
    return ("" if first or not parts else ",") + ",".join(parts)


def xlsx_file(conn: Connection, filters: dict[str, Any]) -> Path:
    handle = tempfile.NamedTemporaryFile(prefix="suijian-results-", suffix=".xlsx", delete=False)
    handle.close()
    xlsx_writer.write(Path(handle.name), "双随机抽查结果", EXPORT_HEADERS, _rows(conn, filters),
                      (13, 30, 21, 12, 40, 40, 11, 16, 40, 26, 11, 8, 11, 66))
    return Path(handle.name)


def _rows(conn: Connection, filters: dict[str, Any]) -> Iterator[tuple[object, ...]]:
    after: int | None = 0
    while after is not None:
        docs, after = chunk(conn, filters, after)
        for d in docs:
            yield export_row(d, SPECIALTIES.get(d["_specialty"], d["_specialty"]))
