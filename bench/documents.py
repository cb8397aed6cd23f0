"""The papers handed over on site, made on the tablet: median ms to lay out the 现场检查笔录 and the
卫生监督意见书 (one PDF) for a realistic visit (10 items of the item list, 3 problems, a signature
drawn on the pad), and the PDF's size. Target under 500 ms (issue 13)."""
from __future__ import annotations

import hashlib
from pathlib import Path

from bench.common import median, timed
from field_app import documents
from tests.support import documents as sample

ROUNDS = 9


def run(workdir: Path, county: object = None) -> dict[str, float]:
    job, png = sample.assignment(10), sample.signature()
    record = sample.record(job, problems=3, sig_sha=hashlib.sha256(png).hexdigest())
    made = documents.make(record, job, sample.SERVER, png)   # warm: imports, the font file in the page cache
    assert made is not None and made.kinds == ("site_record", "opinion")
    times = [timed(lambda: documents.make(record, job, sample.SERVER, png)) for _ in range(ROUNDS)]
    return {"document_pdf_ms": round(median(times) * 1000, 1), "document_pdf_kb": round(len(made.data) / 1024, 1)}
