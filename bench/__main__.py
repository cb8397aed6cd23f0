"""`make bench`: run every benchmark, write bench/results.json and the table in docs/BENCHMARKS.md."""
from __future__ import annotations

import json
import platform
import sys
import tempfile
import time
from pathlib import Path

from bench import app, common, devices, disclosure, documents, draw, imports, ingest, load, office, office_import, \
    photos, province, reports, weak_link

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results.json"
DOC = ROOT / "docs" / "BENCHMARKS.md"
BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"
UNSEEDED = {"xlsx", "documents", "office", "office_import", "province"}     # suites that need no demo county


def xlsx(workdir: Path, county: object = None) -> dict:
    """The .xlsx library comparison; it needs XlsxWriter, which no extra of pyproject.toml installs yet."""
    try:
        from bench import xlsx_libs
    except ImportError as exc:
        print(f"[bench] xlsx skipped ({exc}): pip install XlsxWriter==3.3.1", file=sys.stderr, flush=True)
        return {}
    return xlsx_libs.run(workdir, county)


SUITES = {"ingest": ingest.run, "photos": photos.run, "devices": devices.run, "draw": draw.run, "imports": imports.run,
          "reports": reports.run, "disclosure": disclosure.run, "app": app.run, "xlsx": xlsx,
          "documents": documents.run, "office": office.run, "office_import": office_import.run,
          "load": load.run, "province": province.run,
          "weak_link": weak_link.run}


def main(argv: list[str]) -> int:
    chosen = argv or list(SUITES)
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    with tempfile.TemporaryDirectory(prefix="suijian-bench-") as tmp:
        for name in chosen:
            workdir = Path(tmp) / name
            county = common.seeded(workdir / "county") if name not in UNSEEDED else None
            print(f"[bench] {name} …", file=sys.stderr, flush=True)
            figures = SUITES[name](workdir, county)
            print(json.dumps(figures, ensure_ascii=False), flush=True)
            results.update(figures)
    results["measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    results["machine"] = f"{platform.machine()}, {common.cpu_count()} cores, Python {platform.python_version()}"
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    write_table(results)
    return 0


def write_table(results: dict) -> None:
    rows = "\n".join(f"| `{key}` | {value} |" for key, value in sorted(results.items()))
    table = f"{BEGIN}\n| key | value |\n| --- | --- |\n{rows}\n{END}"
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else f"# Benchmarks\n\n{BEGIN}\n{END}\n"
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    DOC.write_text(head + table + tail, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
