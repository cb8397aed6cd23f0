"""The bundled CJK font (a Noto Sans SC subset, field_app/assets/fonts/), read through
importlib.resources so it works wherever the package lives: a folder, the APK's app archive, a
zip on sys.path (tests/integration/test_tablet_alone.py imports the app from a zip)."""
from __future__ import annotations

from contextlib import AbstractContextManager
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

FONT_FILE = "NotoSansSC-Subset.otf"


def assets() -> Traversable:
    """field_app/assets: what Flet serves in web mode and the APK bundles as its assets."""
    return resources.files("field_app") / "assets"


def font() -> Traversable:
    return assets() / "fonts" / FONT_FILE


def font_bytes() -> bytes:
    return font().read_bytes()


def font_path() -> AbstractContextManager[Path]:
    """`with font_path() as path:` a real file (extracted to a temporary one when the package is
    zipped), for libraries that want a file name, such as fpdf2's add_font."""
    return resources.as_file(font())
