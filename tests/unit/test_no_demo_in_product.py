"""No fictional office in the product: the demo county's name (云溪) is only in demo/, tests and docs."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("sync_server", "field_app", "schemas")


def test_no_product_module_names_the_demo_county() -> None:
    found = [str(p.relative_to(ROOT)) for package in PRODUCT for p in (ROOT / package).rglob("*")
             if p.is_file() and p.suffix in (".py", ".html", ".json", ".js", ".css", ".txt")
             and "__pycache__" not in p.parts and "云溪" in p.read_text(encoding="utf-8", errors="ignore")]
    assert not found, found
