"""The papers laid out as one PDF (fpdf2), in the app's bundled font, with a QR code.

One file per visit: the 现场检查笔录, then (where problems were found) the 卫生监督意见书 on a page
of its own, so the font is read and subset once (`document_pdf_ms` in the benchmarks). The QR
code is drawn as vector squares from segno's matrix (no image, sharp when printed). The output
is reproducible: the same record and signature give the same bytes (the creation date is the
record's signing time, never the clock).

A character the bundled subset lacks (a rare character in a unit's name, say) is printed as its
code point in brackets, 〔U+5803〕, never as a blank: the paper shows that something is there and
what it is. `missing_characters` tells which ones a paper would print that way.
"""
from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Callable, Mapping, Sequence

import segno
from fpdf import FPDF
from fpdf.fonts import FontFace

from field_app import fonts
from field_app.documents.content import Paper

FONT = "NotoSansSC"
COLUMNS = ("序号", "检查项目", "检查结果", "法律依据", "处理意见")
WIDTHS = (10, 38, 36, 54, 36)   # mm; A4 minus 18 mm margins each side is 174 mm
QR_MM = 30
_KEPT = contextlib.ExitStack()   # a font extracted from a zip stays for the process's life


@cache
def font_path() -> Path:
    """The bundled font as a file (extracted once if the app runs from a zip, as in the APK)."""
    source = fonts.font()
    return source if isinstance(source, Path) else _KEPT.enter_context(resources.as_file(source))


def render(papers: Sequence[Paper], signature_png: bytes | None = None, shortcut: bool = True) -> bytes:
    """The papers as one PDF; `signature_png` is the party's signature drawn on the pad.
    `shortcut=False` writes the font the long way (the test that the bytes are the same)."""
    pdf = _new(papers, shortcut)
    try:
        codes = {url: _modules(url) for url in {p.verify_url for p in papers}}   # both papers: one address
        ink = _Ink(_printable(pdf.fonts[FONT.lower()].cmap), signature_png, codes)
        for paper in papers:
            _page(pdf, paper, ink)
        return bytes(pdf.output())
    finally:
        _close_fonts(pdf)


def missing_characters(texts: Sequence[str]) -> set[str]:
    """The characters of `texts` the bundled font cannot show."""
    pdf = FPDF()
    pdf.add_font(FONT, fname=str(font_path()))
    try:
        cmap = pdf.fonts[FONT.lower()].cmap
        return {c for text in texts for c in text if c not in "\n" and ord(c) not in cmap}
    finally:
        _close_fonts(pdf)


def _close_fonts(pdf: FPDF) -> None:
    """fontTools reads the font lazily and keeps its file open; closed here, not by the collector."""
    for font in pdf.fonts.values():
        ttfont = getattr(font, "ttfont", None)
        if ttfont is not None:
            ttfont.close()


def _new(papers: Sequence[Paper], shortcut: bool = True) -> FPDF:
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_margins(18, 16, 18)
    pdf.set_auto_page_break(True, margin=16)
    pdf.add_font(FONT, fname=str(font_path()))
    font = pdf.fonts[FONT.lower()]
    # The subset's bounding boxes are not recomputed glyph by glyph when the PDF is written (most
    # of fontTools' time there); the whole font's boxes, which contain them, stay valid.
    font.ttfont.recalcBBoxes = False
    if shortcut and font.is_cff and font.is_cid_keyed:
        # fpdf2 2.8.9 writes the whole subset font, then embeds only its CFF table, compiled anew,
        # for a CID-keyed CFF font like ours: the first write is thrown away, so it is skipped.
        font.ttfont.save = lambda *_args, **_kwargs: None
    pdf.set_title("、".join(p.title for p in papers))
    pdf.set_creator("随检 SuiJian")
    if papers:
        pdf.set_creation_date(datetime.fromisoformat(papers[0].signed_at.replace("Z", "+00:00")))
    return pdf


def _printable(cmap: Mapping[int, int]) -> Callable[[str], str]:
    def printable(text: str) -> str:
        return "".join(c if c == "\n" or ord(c) in cmap else f"〔U+{ord(c):04X}〕" for c in text)
    return printable


@dataclass(frozen=True)
class _Ink:
    """What every page is drawn with: the font check, the pad's signature, the QR codes."""
    printable: Callable[[str], str]
    signature_png: bytes | None
    codes: Mapping[str, Sequence[Sequence[int]]]


def _page(pdf: FPDF, paper: Paper, ink: _Ink) -> None:
    printable = ink.printable
    pdf.add_page()
    pdf.set_font(FONT, size=18)
    pdf.cell(0, 12, printable(paper.title), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=9)
    pdf.cell(0, 6, f"记录编号：{paper.record_id}", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=11)
    for label, value in paper.header:
        pdf.cell(36, 7, f"{label}：")
        pdf.multi_cell(0, 7, printable(value), new_x="LMARGIN", new_y="NEXT")
    if paper.intro:
        pdf.ln(2)
        pdf.multi_cell(0, 6.5, printable(paper.intro), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    _table(pdf, paper, printable)
    if paper.closing:
        pdf.ln(2)
        pdf.multi_cell(0, 6.5, printable(paper.closing), new_x="LMARGIN", new_y="NEXT")
    _signatures(pdf, paper, ink)


def _table(pdf: FPDF, paper: Paper, printable: Callable[[str], str]) -> None:
    pdf.set_font(FONT, size=9.5)
    plain = FontFace(family=FONT, emphasis="", fill_color=(235, 235, 235))
    with pdf.table(col_widths=WIDTHS, line_height=5, text_align="LEFT", headings_style=plain,
                   padding=1.2) as table:
        table.row(COLUMNS)
        for row in paper.rows:
            table.row([str(row.number), *(printable(t) for t in (row.name, row.finding, row.legal_basis,
                                                                   row.requirement))])
    pdf.set_font(FONT, size=11)


def _signatures(pdf: FPDF, paper: Paper, ink: _Ink) -> None:
    printable = ink.printable
    needed = QR_MM + 14
    if pdf.get_y() + needed > pdf.h - pdf.b_margin:
        pdf.add_page()
    top = pdf.get_y() + 4
    pdf.set_y(top)
    pdf.multi_cell(118, 7, printable(paper.party), new_x="LMARGIN", new_y="NEXT")
    if ink.signature_png and paper.signature_photo:
        pdf.image(io.BytesIO(ink.signature_png), x=pdf.l_margin + 30, h=14)
    pdf.multi_cell(118, 7, printable("检查人员（签名）：" + "、".join(paper.officers)), new_x="LMARGIN", new_y="NEXT")
    pdf.cell(118, 7, paper.signed_on, new_x="LMARGIN", new_y="NEXT")
    _qr(pdf, paper.verify_url, pdf.w - pdf.r_margin - QR_MM, top, ink.codes[paper.verify_url])


def _modules(url: str) -> tuple[tuple[int, ...], ...]:
    return tuple(tuple(row) for row in segno.make(url, error="m").matrix)


def _qr(pdf: FPDF, url: str, x: float, y: float, rows: Sequence[Sequence[int]]) -> None:
    size = QR_MM / len(rows)
    pdf.set_fill_color(0, 0, 0)
    for r, line in enumerate(rows):
        for c, dark in enumerate(line):
            if dark:
                pdf.rect(x + c * size, y + r * size, size, size, style="F")
    pdf.set_xy(x - 14, y + QR_MM + 1)
    pdf.set_font(FONT, size=7)
    pdf.multi_cell(QR_MM + 14, 3.2, f"扫码核验 {url}", align="C")
    pdf.set_font(FONT, size=11)
