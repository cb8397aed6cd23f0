"""A lean streaming .xlsx writer, the one the server has: big downloads and the report workbook.

Rows are written straight into the zip member as they come, so memory stays flat; openpyxl spends
~90% of a 100,000-row export building cell objects, XlsxWriter's constant-memory mode most of it
in per-cell method calls (docs/BENCHMARKS.md); this writes the XML text directly.

    Book([Sheet(name, rows, widths=(20, 13), freeze="B3"), …]).save(path_or_binary_stream)
    write(path, sheet_name, headers, rows, widths)      # one sheet, a bold header row frozen at the top

A cell is a value, or Styled(value, style) with one of the named STYLES. Values: text (inline,
t="inlineStr", even when it starts with `=`: never a formula; characters XML 1.0 forbids are
dropped), int and finite float as numbers (NaN and infinities as their text), bool, a date as its
serial day number formatted yyyy-mm-dd, a datetime as its serial day and fraction formatted
yyyy-mm-dd hh:mm:ss (its wall-clock time; a time zone is not written), None or "" as an empty cell.
A date or datetime takes its format unless a style is given. The package is the minimal one Excel,
WPS and LibreOffice open: content types, relationships, workbook, worksheets, styles.
"""
from __future__ import annotations

import math
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import chain
from pathlib import Path
from typing import IO, Iterable, NamedTuple, Sequence
from xml.sax.saxutils import escape

XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
ROOT_RELS = (f'{XML}<Relationships xmlns="{PKG_RELS}"><Relationship Id="rId1" Type="{DOC_RELS}/officeDocument" '
             'Target="xl/workbook.xml"/></Relationships>')
# The named cell styles, in the order of <cellXfs> below: (name, numFmtId, fontId, fillId, wrap).
STYLES: tuple[tuple[str | None, int, int, int, bool], ...] = (
    (None, 0, 0, 0, False), ("bold", 0, 1, 0, False), ("date", 164, 0, 0, False), ("datetime", 165, 0, 0, False),
    ("title", 0, 2, 0, False), ("header", 0, 1, 2, True), ("percent", 166, 0, 0, False),
    ("percent_bold", 166, 1, 0, False), ("missed", 0, 3, 0, False),
)
STYLE_INDEX = {name: index for index, (name, *_) in enumerate(STYLES)}
STYLES_XML = (
    f'{XML}<styleSheet xmlns="{MAIN}">'
    '<numFmts count="3"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm:ss"/><numFmt numFmtId="166" formatCode="0.0%"/></numFmts>'
    '<fonts count="4"><font><sz val="11"/><name val="等线"/></font><font><b/><sz val="11"/><name val="等线"/></font>'
    '<font><b/><sz val="14"/><name val="等线"/></font><font><b/><sz val="11"/><color rgb="FFB00020"/><name val="等线"/></font></fonts>'
    '<fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFDDE6F0"/><bgColor indexed="64"/></patternFill></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    f'<cellXfs count="{len(STYLES)}">'
    + "".join(f'<xf numFmtId="{fmt}" fontId="{font}" fillId="{fill}" borderId="0" xfId="0"'
              + (' applyNumberFormat="1"' if fmt else "") + (' applyFont="1"' if font else "")
              + (' applyFill="1"' if fill else "")
              + (' applyAlignment="1"><alignment vertical="top" wrapText="1"/></xf>' if wrap else "/>")
              for _, fmt, font, fill, wrap in STYLES)
    + '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>')
ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")
DAY = timedelta(days=1)
EPOCH = datetime(1899, 12, 30)   # day 0 of spreadsheet serial dates (1900 system, past its 1900-02-29 bug)


class Styled(NamedTuple):
    """A cell value with one of the named STYLES."""
    value: object
    style: str


@dataclass(frozen=True)
class Sheet:
    """A worksheet: rows of cells (streamed once), column widths from column A, the frozen panes
    (freeze="B3": rows 1–2 and column A stay in view; None: nothing frozen)."""
    name: str
    rows: Iterable[Sequence[object]]
    widths: Sequence[float] = ()
    freeze: str | None = None


@dataclass(frozen=True)
class Book:
    sheets: Sequence[Sheet]

    def save(self, out: Path | str | IO[bytes]) -> list[int]:
        """Write the workbook to a path or a binary stream; return each sheet's number of rows."""
        names = [escape(SHEET_NAME_BAD.sub("_", s.name)[:31] or f"Sheet{n}") for n, s in enumerate(self.sheets, 1)]
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=5) as package:
            for part, text in _package_parts(names):
                package.writestr(part, text)
            return [_write_sheet(package, n, sheet) for n, sheet in enumerate(self.sheets, 1)]


def write(path: Path, sheet_name: str, headers: Sequence[str], rows: Iterable[Sequence[object]],
          widths: Sequence[int] = ()) -> int:
    """One sheet with a bold header row frozen at the top; return the number of data rows."""
    head = [[Styled(h, "bold") for h in headers]]
    return Book([Sheet(sheet_name, chain(head, rows), widths, freeze="A2")]).save(path)[0] - 1


def column_name(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def _package_parts(names: list[str]) -> list[tuple[str, str]]:
    numbers = range(1, len(names) + 1)
    types = "".join(f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="{SHEET_TYPE}"/>' for n in numbers)
    rels = "".join(f'<Relationship Id="rId{n}" Type="{DOC_RELS}/worksheet" Target="worksheets/sheet{n}.xml"/>'
                   for n in numbers)
    sheets = "".join(f'<sheet name="{name}" sheetId="{n}" r:id="rId{n}"/>' for n, name in zip(numbers, names))
    return [
        ("[Content_Types].xml", f'{XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
         '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
         '<Default Extension="xml" ContentType="application/xml"/>'
         '<Override PartName="/xl/workbook.xml" '
         'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
         '<Override PartName="/xl/styles.xml" '
         f'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>{types}</Types>'),
        ("_rels/.rels", ROOT_RELS),
        ("xl/_rels/workbook.xml.rels", f'{XML}<Relationships xmlns="{PKG_RELS}">{rels}<Relationship '
         f'Id="rId{len(names) + 1}" Type="{DOC_RELS}/styles" Target="styles.xml"/></Relationships>'),
        ("xl/styles.xml", STYLES_XML),
        ("xl/workbook.xml", f'{XML}<workbook xmlns="{MAIN}" xmlns:r="{DOC_RELS}"><sheets>{sheets}</sheets></workbook>'),
    ]


def _write_sheet(package: zipfile.ZipFile, number: int, sheet: Sheet) -> int:
    count = 0
    with package.open(f"xl/worksheets/sheet{number}.xml", "w") as raw:
        out = _Buffered(raw)
        out.write(f'{XML}<worksheet xmlns="{MAIN}"><sheetViews><sheetView workbookViewId="0"'
                  + (f'>{_pane(sheet.freeze)}</sheetView>' if sheet.freeze else "/>") + "</sheetViews>")
        if sheet.widths:
            out.write("<cols>" + "".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>'
                                         for i, w in enumerate(sheet.widths, start=1)) + "</cols>")
        out.write("<sheetData>")
        for count, row in enumerate(sheet.rows, start=1):
            out.write(f'<row r="{count}">' + "".join(map(_cell, row)) + "</row>")
        out.write("</sheetData></worksheet>")
        out.flush()
    return count


def _pane(top_left: str) -> str:
    """The frozen pane whose scrolling area starts at top_left ("B3": column A and rows 1–2 stay)."""
    letters = top_left.rstrip("0123456789")
    columns, rows = sum((ord(c) - 64) * 26 ** i for i, c in enumerate(reversed(letters))) - 1, int(top_left[len(letters):]) - 1
    active = {(True, True): "bottomRight", (False, True): "bottomLeft", (True, False): "topRight"}.get((columns > 0, rows > 0))
    splits = (f' xSplit="{columns}"' if columns else "") + (f' ySplit="{rows}"' if rows else "")
    return f'<pane{splits} topLeftCell="{top_left}" activePane="{active}" state="frozen"/>' if active else ""


def _cell(cell: object) -> str:
    value, style = (cell.value, cell.style) if isinstance(cell, Styled) else (cell, None)
    s = f' s="{STYLE_INDEX[style]}"' if style else ""
    if value is None or value == "":
        return f"<c{s}/>"
    if isinstance(value, bool):
        return f'<c{s} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int):
        return f"<c{s}><v>{value}</v></c>"
    if isinstance(value, float) and math.isfinite(value):
        return f"<c{s}><v>{value!r}</v></c>"
    if isinstance(value, datetime):
        serial = (value.replace(tzinfo=None) - EPOCH) / DAY
        return f'<c s="{STYLE_INDEX[style or "datetime"]}"><v>{serial!r}</v></c>'
    if isinstance(value, date):
        return f'<c s="{STYLE_INDEX[style or "date"]}"><v>{(value - EPOCH.date()).days}</v></c>'
    return f'<c{s} t="inlineStr"><is><t xml:space="preserve">{escape(ILLEGAL.sub("", str(value)))}</t></is></c>'


class _Buffered:
    """Text into a binary zip member, in large pieces."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw, self.parts, self.size = raw, [], 0

    def write(self, text: str) -> None:
        self.parts.append(text)
        self.size += len(text)
        if self.size > 1 << 20:
            self.flush()

    def flush(self) -> None:
        self.raw.write("".join(self.parts).encode("utf-8"))
        self.parts, self.size = [], 0
