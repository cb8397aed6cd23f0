"""Web mode serves its own index.html (Flet takes index.html from the assets folder first): Flet's
page with one line more, the offline shim (field_app/assets/offline.js). When Flet's page changes
(an upgrade), this fails: copy Flet's new index.html over ours and add the line again."""
from __future__ import annotations

from pathlib import Path

import flet_web

OURS = Path(__file__).resolve().parents[2] / "field_app" / "assets"
SHIM = '  <script src="offline.js"></script>  <!-- SuiJian: field_app/assets/offline.js, nothing leaves 127.0.0.1 -->\n'


def test_our_index_html_is_flets_plus_the_offline_shim() -> None:
    flets = (Path(flet_web.__file__).parent / "web" / "index.html").read_text(encoding="utf-8")
    ours = (OURS / "index.html").read_text(encoding="utf-8")
    assert ours.count(SHIM) == 1
    assert ours.replace(SHIM, "") == flets
    assert ours.index(SHIM) < ours.index('<script src="python.js">') < ours.index("flutter_bootstrap.js")


def test_the_shim_and_the_rive_stand_in_are_in_the_assets() -> None:
    shim = (OURS / "offline.js").read_text(encoding="utf-8")
    assert "assets\\/fonts\\/noto" in shim and '"rive-offline.js"' in shim
    assert "RiveNative" in (OURS / "rive-offline.js").read_text(encoding="utf-8")
