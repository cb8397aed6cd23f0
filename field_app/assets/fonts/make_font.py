"""Make the app's bundled Chinese font: Noto Sans CJK SC (SIL Open Font License 1.1) cut down
to what a Chinese form needs, so the offline web build shows no boxes and stays small.

Kept: ASCII and Latin-1, general and CJK punctuation, full-width forms, every character of
GB 2312 (6,763 hanzi and its symbols), and every non-ASCII character in this repository's
Python, JSON and HTML files (names, items, legal bases, messages).

    apt-get install fonts-noto-cjk && pip install fonttools
    python field_app/assets/fonts/make_font.py
"""
from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
TARGET = Path(__file__).with_name("NotoSansSC-Subset.otf")
ROOT = Path(__file__).resolve().parents[3]


def gb2312() -> set[str]:
    chars = set()
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                chars.add(bytes((high, low)).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return chars


def repository_text() -> set[str]:
    chars: set[str] = set()
    for pattern in ("*.py", "*.json", "*.html", "*.md"):
        for path in ROOT.rglob(pattern):
            if ".venv" not in path.parts and ".git" not in path.parts:
                chars |= {c for c in path.read_text(encoding="utf-8", errors="ignore") if ord(c) > 0x7F}
    return chars


def wanted() -> str:
    ranges = [range(0x20, 0x7F), range(0xA0, 0x100), range(0x2000, 0x2070), range(0x3000, 0x3040),
              range(0xFF00, 0xFFF0)]
    chars = {chr(c) for r in ranges for c in r} | gb2312() | repository_text()
    return "".join(sorted(c for c in chars if ord(c) < 0x110000))


def main() -> int:
    collection = TTCollection(str(SOURCE))
    font = next(f for f in collection.fonts if "SC" in f["name"].getDebugName(1))   # Noto Sans CJK SC
    options = subset.Options()
    options.name_IDs = ["*"]   # keep the licence and names; default layout features (kern, vert, locl…)
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=wanted())
    subsetter.subset(font)
    font.save(str(TARGET))
    print(f"{TARGET.name}: {TARGET.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
