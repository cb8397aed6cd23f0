"""The papers handed over on site (现场检查笔录, 卫生监督意见书) as one PDF, made on the tablet, offline.

`content` says what goes where (pure); `pdf` lays it out. `make(record, assignment, …)` is what a
visit calls at submit: the PDF's bytes and its SHA-256, which goes into the signed record
(`schemas.record.Documents`), so the paper left with the unit and the signed record vouch for each other.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Mapping

from field_app.documents import content, pdf


@dataclass(frozen=True)
class Made:
    data: bytes
    sha256: str
    kinds: tuple[str, ...]


def make(record: Mapping[str, Any], assignment: Mapping[str, Any], server_url: str,
         signature_png: bytes | None) -> Made | None:
    """The visit's papers as one PDF, or None for a visit with nothing to hand over (unreachable)."""
    papers = content.papers(record, assignment, content.verify_url(server_url, record["id"]))
    if not papers:
        return None
    data = pdf.render(papers, signature_png)
    return Made(data, hashlib.sha256(data).hexdigest(), tuple(p.kind for p in papers))
