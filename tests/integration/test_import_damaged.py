"""Damaged workbooks and old .xls files are refused with import.bad_xlsx, and change nothing.

Each test first imports a good registry, then offers a damaged file built from a real workbook:
a deflate stream cut short or overwritten, a CRC that does not match, a first sheet whose part
or relationship is gone, an OLE2 (.xls) file.
"""
from __future__ import annotations

import random
import sqlite3
import struct
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Callable

import pytest

from sync_server.errors import BadRequest
from sync_server.db.connection import open_db
from sync_server.registry.imports import import_file
from tests.support import engine
from tests.support.server import ROOT

SAMPLES = ROOT / "docs" / "samples"
SHEET = "xl/worksheets/sheet1.xml"
OLE2 = bytes.fromhex("D0CF11E0A1B11AE1")


@pytest.fixture
def conn(tmp_path: Path) -> sqlite3.Connection:
    connection = open_db(engine.new_target(tmp_path / "server.db"))
    assert import_file(connection, "units", SAMPLES / "units.csv").inserted == 60
    yield connection
    connection.close()


def snapshot(conn: sqlite3.Connection) -> tuple[list[tuple], int]:
    units = [tuple(r) for r in conn.execute("SELECT * FROM units ORDER BY id")]
    return units, conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]


def refused(conn: sqlite3.Connection, path: Path) -> BadRequest:
    before = snapshot(conn)
    with pytest.raises(BadRequest) as caught:
        import_file(conn, "units", path, skip_errors=True)
    assert caught.value.code == "import.bad_xlsx" and caught.value.message_zh
    assert snapshot(conn) == before
    return caught.value


def member_data(data: bytes, name: str) -> tuple[int, int]:
    """Where a member's compressed bytes start in the file, and how many there are."""
    info = zipfile.ZipFile(SAMPLES / "units.xlsx").getinfo(name)
    name_len, extra_len = struct.unpack("<HH", data[info.header_offset + 26:info.header_offset + 30])
    return info.header_offset + 30 + name_len + extra_len, info.compress_size


def patched(tmp_path: Path, damage: Callable[[bytearray, int, int], None]) -> Path:
    data = bytearray((SAMPLES / "units.xlsx").read_bytes())
    start, size = member_data(bytes(data), SHEET)
    damage(data, start, size)
    path = tmp_path / "damaged.xlsx"
    path.write_bytes(bytes(data))
    return path


def rezipped(tmp_path: Path, edit: Callable[[str, bytes], bytes | None]) -> Path:
    """The sample workbook with each member passed through edit (None drops the member)."""
    path = tmp_path / "rezipped.xlsx"
    with zipfile.ZipFile(SAMPLES / "units.xlsx") as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            content = edit(name, source.read(name))
            if content is not None:
                target.writestr(name, content)
    return path


def _bad_block_type(data: bytearray, start: int, size: int) -> None:
    data[start] = 0xFF                                  # BTYPE 11: reserved, "invalid block type"


def _tail_zeroed(data: bytearray, start: int, size: int) -> None:
    data[start + size // 2:start + size] = bytes(size - size // 2)   # the stream cut short mid-file


def _bytes_flipped(data: bytearray, start: int, size: int) -> None:
    for offset in range(size // 3, size // 3 + 8):
        data[start + offset] ^= 0x5A


@pytest.mark.parametrize("damage", [_bad_block_type, _tail_zeroed, _bytes_flipped])
def test_a_damaged_sheet_stream_is_refused(conn: sqlite3.Connection, tmp_path: Path,
                                           damage: Callable[[bytearray, int, int], None]) -> None:
    error = refused(conn, patched(tmp_path, damage))
    assert "文件损坏" in error.message_zh


def test_a_wrong_crc_is_refused(conn: sqlite3.Connection, tmp_path: Path) -> None:
    data = bytearray((SAMPLES / "units.xlsx").read_bytes())
    entry = data.find(b"PK\x01\x02")                   # the central directory entries, in order
    while data[entry + 46:entry + 46 + len(SHEET)] != SHEET.encode():
        entry = data.find(b"PK\x01\x02", entry + 4)
    data[entry + 16] ^= 0xFF                             # the sheet's CRC-32
    path = tmp_path / "crc.xlsx"
    path.write_bytes(bytes(data))
    refused(conn, path)


@pytest.mark.parametrize("seed", range(40))
def test_random_damage_never_escapes_as_a_raw_error(conn: sqlite3.Connection, tmp_path: Path, seed: int) -> None:
    rnd = random.Random(seed)
    data = bytearray((SAMPLES / "units.xlsx").read_bytes())
    start, size = member_data(bytes(data), SHEET)
    for _ in range(3):
        data[start + rnd.randrange(size)] = rnd.randrange(256)
    path = tmp_path / "fuzzed.xlsx"
    path.write_bytes(bytes(data))
    before = snapshot(conn)
    try:
        import_file(conn, "units", path)
    except BadRequest as exc:
        assert exc.code == "import.bad_xlsx"
        assert snapshot(conn) == before


def test_a_huge_column_reference_is_refused(conn: sqlite3.Connection, tmp_path: Path) -> None:
    path = rezipped(tmp_path, lambda name, body: body.replace(b'r="A2"', b'r="ZZZZZZZZ2"', 1) if name == SHEET else body)
    refused(conn, path)


@pytest.mark.parametrize("edit", [
    lambda name, body: None if name == SHEET else body,
    lambda name, body: None if name == "xl/_rels/workbook.xml.rels" else body,
    lambda name, body: body.replace(b'Id="rId1"', b'Id="rId9"') if name == "xl/_rels/workbook.xml.rels" else body,
    lambda name, body: body.replace(b"sheet1.xml", b"sheet7.xml") if name == "xl/_rels/workbook.xml.rels" else body,
    lambda name, body: body.split(b"<sheets>")[0] + body.split(b"</sheets>")[1] if name == "xl/workbook.xml" else body,
], ids=["part-gone", "rels-gone", "relationship-gone", "target-gone", "no-sheets"])
def test_a_missing_first_sheet_is_refused(conn: sqlite3.Connection, tmp_path: Path,
                                          edit: Callable[[str, bytes], bytes | None]) -> None:
    error = refused(conn, rezipped(tmp_path, edit))
    assert "工作表" in error.message_zh or "文件损坏" in error.message_zh


@pytest.mark.parametrize("name", ["units.xls", "units.xlsx", "units.csv"])
def test_an_old_xls_file_is_refused_by_its_magic_bytes(conn: sqlite3.Connection, tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(OLE2 + bytes(range(256)) * 8)
    assert "请在 Excel 中另存为 .xlsx 格式后再导入" in refused(conn, path).message_zh


def test_a_workbook_named_csv_is_read_as_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    path.write_bytes((SAMPLES / "units.xlsx").read_bytes())
    fresh = open_db(engine.new_target(tmp_path / "other.db"))
    try:
        assert import_file(fresh, "units", path).inserted == 60
    finally:
        fresh.close()


def test_cli_refuses_damaged_and_xls_files_without_a_traceback(tmp_path: Path) -> None:
    db = str(engine.new_target(tmp_path / "cli.db"))
    xls = tmp_path / "名录.xls"
    xls.write_bytes(OLE2 + bytes(512))
    damaged = patched(tmp_path, _bad_block_type)
    for path, words in ((xls, "请在 Excel 中另存为 .xlsx 格式后再导入"), (damaged, "文件损坏")):
        run = subprocess.run([sys.executable, "-m", "sync_server", "import-units", str(path), "--db", db],
                             cwd=ROOT, capture_output=True, text=True)
        assert run.returncode == 1 and "import.bad_xlsx" in run.stderr and words in run.stderr
        assert "Traceback" not in run.stderr


def test_a_zip_bomb_is_refused_before_it_is_unpacked(conn: sqlite3.Connection, tmp_path: Path) -> None:
    """260 MB of shared strings in a 260 KB upload: refused by its declared size, before any parsing."""
    path = rezipped(tmp_path, lambda name, body: body)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as package, package.open("xl/sharedStrings.xml", "w") as out:
        out.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>')
        for _ in range(260):
            out.write(b"x" * (1 << 20))
        out.write(b"</t></si></sst>")
    assert path.stat().st_size < 1 << 20
    assert "解压后超过 256 MB" in refused(conn, path).message_zh


@pytest.mark.parametrize("ref", ["XFD1048576", "ZZ999999", "AAA200000"])
def test_a_cell_far_away_is_refused_before_the_grid_is_built(conn: sqlite3.Connection, tmp_path: Path, ref: str) -> None:
    """One cell far from the others would make calamine allocate the whole grid between (and abort)."""
    far = f'<row r="{ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")}"><c r="{ref}" t="inlineStr"><is><t>x</t></is></c></row>'
    path = rezipped(tmp_path, lambda name, body: body.replace(b"</sheetData>", far.encode() + b"</sheetData>")
                    if name == SHEET else body)
    assert "使用范围过大" in refused(conn, path).message_zh


def test_cells_without_references_are_counted_too(conn: sqlite3.Connection, tmp_path: Path) -> None:
    """A row of 16,384 cells with no r attribute and a million rows with no number: the same grid."""
    wide = b"<row>" + b"<c/>" * 16_384 + b"</row>" + b"<row/>" * 1_000_000
    path = rezipped(tmp_path, lambda name, body: body.replace(b"</sheetData>", wide + b"</sheetData>")
                    if name == SHEET else body)
    assert "使用范围过大" in refused(conn, path).message_zh
