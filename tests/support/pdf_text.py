"""The text a PDF shows, read from its content streams through each font's ToUnicode map (what a
viewer copies when a person selects the text).

pypdf reads fpdf2's CFF (OpenType) fonts one byte per code, because their encoding is an embedded
CMap rather than the name /Identity-H; their codes are two bytes. This reader takes pypdf's parsed
operations and decodes each shown string two bytes at a time."""
from __future__ import annotations

import io
import re

import pypdf
from pypdf.generic import ContentStream

PAIR = re.compile(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>")
RANGE = re.compile(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>")


def pages(data: bytes) -> list[str]:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return [_page_text(reader, page) for page in reader.pages]


def _page_text(reader: pypdf.PdfReader, page: pypdf.PageObject) -> str:
    fonts = {name: _to_unicode(font.get_object()) for name, font in page["/Resources"]["/Font"].items()}
    shown, current = [], {}
    for operands, operator in ContentStream(page.get_contents(), reader).operations:
        if operator == b"Tf":
            current = fonts[operands[0]]
        elif operator == b"Tj":
            shown.append(_decode(operands[0], current))
        elif operator == b"TJ":
            shown += [_decode(part, current) for part in operands[0] if not isinstance(part, (int, float))]
        elif operator in (b"Td", b"TD", b"T*", b"ET"):
            shown.append("\n")
    return "".join(shown)


def _to_unicode(font: pypdf.generic.DictionaryObject) -> dict[int, str]:
    text = font["/ToUnicode"].get_object().get_data().decode("latin-1")
    mapping: dict[int, str] = {}
    for block in re.findall(r"beginbfrange(.*?)endbfrange", text, re.S):
        for low, high, start in RANGE.findall(block):
            for offset in range(int(high, 16) - int(low, 16) + 1):
                mapping[int(low, 16) + offset] = chr(int(start, 16) + offset)
    for block in re.findall(r"beginbfchar(.*?)endbfchar", text, re.S):
        for code, target in PAIR.findall(block):
            mapping[int(code, 16)] = bytes.fromhex(target).decode("utf-16-be")
    return mapping


def _decode(string: object, mapping: dict[int, str]) -> str:
    raw = string.original_bytes if hasattr(string, "original_bytes") else bytes(string)  # type: ignore[arg-type]
    return "".join(mapping.get(int.from_bytes(raw[i:i + 2], "big"), "\ufffd") for i in range(0, len(raw), 2))
