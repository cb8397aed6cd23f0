"""The PDF of the papers handed over on site, checked before it is kept.

It is kept like a photo (the same content-addressed directory, a row in `photos` with media type
application/pdf and no pixels), so a record waits for it (`incomplete`) and it is shown to exactly
those who may see the record's photos. The server re-hashes the bytes, and keeps only what has
the shape of a PDF file: the `%PDF-1.x` header and an `%%EOF` marker at the end (a truncated or
foreign upload is refused). Nothing in it is interpreted.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from sync_server.errors import BadRequest, Unsupported

MEDIA_TYPE = "application/pdf"
HEADER = re.compile(rb"^%PDF-1\.[0-7]")
TAIL_BYTES = 1024


@dataclass(frozen=True)
class DocumentFacts:
    """What `ingest.photo_arrived` records of a stored file."""
    media_type: str = MEDIA_TYPE
    width: int = 0
    height: int = 0


def check_hash(sha256: str, data: bytes) -> None:
    actual = hashlib.sha256(data).hexdigest()
    if actual != sha256:
        raise BadRequest("document.hash_mismatch", f"bytes hash to {actual}, not {sha256}",
                         "现场文书 PDF 的内容与记录中的校验值不符（文件被改动或传输中损坏），已拒收",
                         {"actual": actual})


def inspect(data: bytes) -> DocumentFacts:
    if not HEADER.match(data):
        raise Unsupported("document.not_pdf", "only PDF files are taken here",
                          "只接受 PDF 格式的现场文书")
    if b"%%EOF" not in data[-TAIL_BYTES:]:
        raise BadRequest("document.corrupt", "the PDF has no %%EOF marker at its end (truncated)",
                         "现场文书 PDF 不完整（文件被截断），请重新同步")
    return DocumentFacts()
