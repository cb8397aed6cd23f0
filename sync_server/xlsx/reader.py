"""The first sheet of an .xlsx workbook as rows of cell values: a thin adapter over python-calamine.

calamine (Rust) reads a 100,000-row registry in a fraction of the time our former hand-written
reader took, and reads 1904-date workbooks right (docs/BENCHMARKS.md). This module keeps the
contract the importer relies on: `(row number, cells)` with the numbers a spreadsheet shows,
only rows that hold something, a cell's column kept by leading Nones, no trailing empties;
whole numbers as int, date cells as datetime, empty cells as None.

Two checks run before calamine sees the file, because calamine holds the whole sheet in memory and
a Rust allocation failure aborts the process (no exception to catch):
- the package's declared uncompressed size (ZipInfo.file_size, all members) is at most
  MAX_UNPACKED: a 1 MB upload can otherwise inflate to gigabytes of XML;
- the sheet's extent (rows × columns, an upper bound read from the XML) is at most MAX_CELLS:
  calamine allocates a dense grid, so one cell at XFD1048576 would ask for 17 billion cells.
Whatever a damaged or foreign file makes zipfile or calamine raise comes out as one XlsxError,
with a Chinese message for the office.
"""
from __future__ import annotations

import re
import zipfile
import zlib
from datetime import date, datetime, time, timedelta
from typing import Any, Iterator

from python_calamine import CalamineError, CalamineWorkbook

# A 100,000-row, 15-column registry saved by Excel unpacks to ~60 MB (sheet 50 MB, strings 9 MB):
# 256 MB leaves four times that, and bounds what the extent check below has to inflate.
MAX_UNPACKED = 256 << 20
# calamine's grid costs ~32 bytes a cell before Python sees it: 12 million cells stay under ~400 MB.
# The bound below counts generously (rows past the last numbered one, columns past the widest
# reference), so a 100,000 × 15 registry is counted as about 8 million.
MAX_CELLS = 12_000_000
EPOCH = datetime(1899, 12, 30)
FAR_ROW = re.compile(rb""" r\s*=\s*["'][A-Za-z]*(\d{6,})["']""")     # a row or cell past row 99,999: rare
WIDE_COLUMN = re.compile(rb""" r\s*=\s*["']([A-Za-z]{2,})\d""")      # a cell past column Z
# The same after a tab or line break instead of a space: slower, used only when a part has one before an r.
ANY_SPACE = (re.compile(rb"""\sr\s*=\s*["'][A-Za-z]*(\d{6,})["']"""), re.compile(rb"""\sr\s*=\s*["']([A-Za-z]{2,})\d"""))
DAMAGED_ZH = "无法读取该 Excel 文件（文件损坏或不是 .xlsx 格式），请重新导出后再试"
NO_SHEET_ZH = "Excel 文件中找不到第一个工作表（文件损坏），请在 Excel 中打开并另存后再试"
TOO_BIG_ZH = ("Excel 文件解压后超过 {limit} MB（可能是压缩炸弹或含有大量空白格式），无法导入。"
              "请只保留需要导入的工作表和数据，另存为 .xlsx 后再试")
TOO_WIDE_ZH = ("Excel 工作表的使用范围过大（约 {cells} 个单元格，超过 {limit} 个），可能有远处的空白单元格被设置了内容或格式。"
               "请删除多余的行和列，另存为 .xlsx 后再试")
# What zipfile and zlib raise on a damaged package (calamine's own errors are CalamineError).
DAMAGE = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError, KeyError, ValueError)


class XlsxError(ValueError):
    """The file is not a workbook we can read; message_zh says so to the office."""

    def __init__(self, message: str, message_zh: str = DAMAGED_ZH) -> None:
        super().__init__(message)
        self.message_zh = message_zh


def read_rows(path: str) -> Iterator[tuple[int, list[Any]]]:
    """(row number, cells) of the first sheet's rows that hold something."""
    check_package(path)
    (first_row, first_column), grid = _first_sheet(path)
    lead = [None] * first_column
    for index, cells in enumerate(grid):
        values = _trimmed([_value(v) for v in cells])
        if values:
            yield first_row + index + 1, lead + values


def _first_sheet(path: str) -> tuple[tuple[int, int], list[list[Any]]]:
    """Where the first sheet's used range starts, and its cells as calamine gives them."""
    try:
        with CalamineWorkbook.from_path(path) as book:
            if not book.sheet_names:
                raise XlsxError("the workbook lists no sheets", NO_SHEET_ZH)
            sheet = book.get_sheet_by_index(0)
            return sheet.start or (0, 0), sheet.to_python()
    except XlsxError:
        raise
    except (CalamineError, *DAMAGE) as exc:
        raise XlsxError(f"{type(exc).__name__}: {exc}", _message(exc)) from exc
    except BaseException as exc:      # a Rust panic comes out as pyo3's PanicException, a BaseException
        if type(exc).__name__ != "PanicException":
            raise
        raise XlsxError(f"calamine panicked: {exc}") from exc


def _message(exc: BaseException) -> str:
    text = str(exc).lower()
    return NO_SHEET_ZH if "worksheet" in text and ("not found" in text or "missing" in text) else DAMAGED_ZH


def _trimmed(values: list[Any]) -> list[Any]:
    end = len(values)
    while end and values[end - 1] is None:
        end -= 1
    return values[:end]


def _value(value: Any) -> Any:
    """calamine's cell as our reader gave it: "" → None, 3.0 → 3, a date → datetime."""
    if value == "":
        return None
    if isinstance(value, float):
        return int(value) if value.is_integer() and abs(value) < 2**53 else value
    if isinstance(value, datetime) or not isinstance(value, (date, time, timedelta)):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, time):
        return datetime.combine(EPOCH.date(), value)
    return EPOCH + value


# --- the checks before calamine -----------------------------------------------------------------

def check_package(path: str) -> None:
    """Refuse a package that would unpack too large or a sheet whose grid would be too large."""
    try:
        with zipfile.ZipFile(path) as package:
            unpacked = sum(info.file_size for info in package.infolist())
            if unpacked > MAX_UNPACKED:
                raise XlsxError(f"the package unpacks to {unpacked} bytes (limit {MAX_UNPACKED})",
                                TOO_BIG_ZH.format(limit=MAX_UNPACKED >> 20))
            for name in package.namelist():      # any part a relationship could name as the sheet
                if name.lower().endswith(".xml"):
                    _check_extent(package, name)
    except XlsxError:
        raise
    except DAMAGE as exc:
        raise XlsxError(f"{type(exc).__name__}: {exc}") from exc


def _check_extent(package: zipfile.ZipFile, name: str) -> None:
    rows, columns = _extent(package, name)
    if rows * columns > MAX_CELLS:
        raise XlsxError(f"{name} spans up to {rows} rows × {columns} columns (limit {MAX_CELLS} cells)",
                        TOO_WIDE_ZH.format(cells=f"{rows * columns:,}", limit=f"{MAX_CELLS:,}"))


def _extent(package: zipfile.ZipFile, name: str) -> tuple[int, int]:
    """An upper bound on the rows and columns calamine's grid will have, read in pieces of whole rows.

    A cell with a reference (r="AB123") sits where it says: only references past row 99,999 or
    column Z are looked for (else 99,999 and Z are assumed). A cell without one follows the cell
    before it, in a row that may itself have no number: when there are such cells, the rows without
    a number and the most cells in one row are added. Every count errs on the large side; on a
    100,000-row registry the check costs about a third of calamine's own time."""
    far_row, wide, loose_rows, most_cells, carry, tail = 99_999, "Z", 0, 0, 0, b""
    with package.open(name) as part:
        for chunk in [*iter(lambda: part.read(1 << 22), b""), b"row>"]:
            data, tail = _whole_rows(tail + chunk)
            far, wide_column = ANY_SPACE if any(map(data.count, (b"\tr", b"\nr", b"\rr"))) \
                else (FAR_ROW, WIDE_COLUMN)
            far_row = max([far_row, *map(int, far.findall(data))])
            wide = max([wide, *(c.decode().upper() for c in wide_column.findall(data))], key=lambda c: (len(c), c))
            if _unnumbered(data, b"c"):
                loose_rows += _unnumbered(data, b"row")
                per_row = [_unnumbered(r, b"c") for r in data.split(b"row>")]
                per_row[0] += carry              # the rest of a row cut off at the end of the piece before
                most_cells, carry = max(most_cells, *per_row), per_row[-1]
            elif b"row>" in data:
                carry = 0
    return far_row + loose_rows, _column_number(wide) + most_cells


def _whole_rows(data: bytes) -> tuple[bytes, bytes]:
    """The data up to its last row tag, and the rest; a row past 16 MB is cut after a tag instead."""
    if b"row>" in data:
        cut = data.rfind(b"row>") + 4
    else:
        cut = data.rfind(b">") + 1 if len(data) > 1 << 24 else 0
    return data[:cut], data[cut:]


def _unnumbered(data: bytes, tag: bytes) -> int:
    """Tags <tag …> (prefixed or not) without an r="…" first, counted generously (</x:tag> counts)."""
    return sum(data.count(p + tag) - data.count(p + tag + b' r="') - data.count(p + tag + b" r='") for p in (b"<", b":"))


def _column_number(letters: str) -> int:
    number = 0
    for char in letters:
        number = number * 26 + ord(char) - 64
    return number
