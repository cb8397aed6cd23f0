"""Our .xlsx reader and writer beside python-calamine, XlsxWriter and openpyxl.

`python -m bench.xlsx_libs [ROWS]` writes a registry workbook (ROWS units, 15 columns) with each
writer, reads every file with each reader, checks the values against what was written, tries the
readers on damaged files, prints a table and writes the figures to /tmp/xlsx_libs.json; `make
bench` runs it too (`python -m bench xlsx`) and keeps the key ratios in bench/results.json.
"ours" reader is sync_server/xlsx/reader.py: calamine behind the package checks (unpacked size,
sheet extent) and the conversion to the importer's types, so "calamine" beside it is the raw
library and the difference is what the adapter costs. "ours" writer is sync_server/xlsx/writer.py.
Every timing runs in its own subprocess (`--child`), so a peak RSS belongs to one library; the
tracemalloc peak sees the Python heap only (not calamine's Rust allocations).
"""
from __future__ import annotations

import json
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import zipfile
from collections import Counter
from datetime import date, datetime, timedelta
from importlib.metadata import version
from pathlib import Path

import openpyxl
import xlsxwriter
from python_calamine import CalamineWorkbook

from sync_server.xlsx.reader import read_rows
from sync_server.xlsx.writer import write as ours_write

ROOT = Path(__file__).resolve().parents[1]
OUT = Path("/tmp/xlsx_libs.json")
REPS, TIMEOUT, ADDRESS_LIMIT = 5, 300, 4 << 30
HEADERS = ["统一社会信用代码", "单位名称", "地址", "专业", "类别", "分类标注", "信用风险等级", "投诉次数",
           "严重违法记录", "纳入监管", "联系人", "联系电话", "乡镇", "发证日期", "注册资本（万元）"]
USCC = "0123456789ABCDEFGHJKLMNPQRTUWXY"
TOWNS = ["城关镇", "青山镇", "白沙乡", "云溪街道", "石门镇", "桃源乡", "龙潭镇", "新市街道"]
SPECIALTIES = ["公共场所", "生活饮用水", "学校卫生", "医疗卫生", "职业卫生", "放射卫生", "传染病防治"]
KINDS = {"公共场所": ["宾馆", "美容美发店", "沐浴场所", "游泳场所"], "生活饮用水": ["自来水厂", "二次供水单位"],
         "学校卫生": ["中学", "小学", "幼儿园"], "医疗卫生": ["卫生院", "诊所", "口腔门诊部"],
         "职业卫生": ["机械厂", "家具厂"], "放射卫生": ["医院放射科"], "传染病防治": ["社区卫生服务中心"]}
WORDS = "鸿运 金玉 华康 明德 仁和 春晖 安泰 福源 新民 惠民 永兴 博爱 长青 和平 文昌 振华".split()
SURNAMES, GIVEN = "王李张刘陈杨黄赵周吴徐孙", "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀"


def uscc(rng: random.Random) -> str:
    body = "9" + rng.choice("123") + "4305" + f"{rng.randrange(21, 30)}" + "".join(rng.choices(USCC, k=9))
    total = sum(USCC.index(c) * pow(3, i, 31) for i, c in enumerate(body))
    return body + USCC[(31 - total % 31) % 31]


def make_rows(count: int) -> list[list[object]]:
    """Seeded registry rows: text, a code, leading-zero phone numbers, empty cells, ints, dates, floats."""
    rng, rows = random.Random(2024), []
    for _ in range(count):
        town, spec = rng.choice(TOWNS), rng.choice(SPECIALTIES)
        kind = rng.choice(KINDS[spec])
        phone = rng.choice([f"1{rng.randrange(3, 9)}{rng.randrange(10**9):09d}", f"0731-8{rng.randrange(10**7):07d}",
                            f"07318{rng.randrange(10**6):06d}"])
        rows.append([uscc(rng), f"{town}{rng.choice(WORDS)}{kind}", f"{town}{rng.choice(WORDS)}路{rng.randrange(1, 999)}号",
                     spec, kind, "、".join(rng.sample(["重点", "学校周边", "旅游景区", "新开业"], rng.randrange(3))) or None,
                     rng.choice("ABCD"), rng.randrange(6), rng.choice([0, 0, 0, 1]), rng.choice(["是", "否"]),
                     rng.choice([None, rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.randrange(1, 3)))]),
                     phone, town, date(2015, 1, 1) + timedelta(days=rng.randrange(3650)),
                     round(rng.uniform(1, 5000), 2)])
    return rows


def write_ours(path: Path, rows: list) -> None:
    ours_write(path, "单位名录", HEADERS, rows)


def write_xlsxwriter(path: Path, rows: list, constant_memory: bool = True) -> None:
    book = xlsxwriter.Workbook(str(path), {"constant_memory": constant_memory, "strings_to_formulas": False,
                                           "strings_to_urls": False, "default_date_format": "yyyy-mm-dd"})
    sheet = book.add_worksheet("单位名录")
    for number, row in enumerate([HEADERS, *rows]):
        sheet.write_row(number, 0, row)
    book.close()


def write_openpyxl(path: Path, rows: list) -> None:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("单位名录")
    for row in [HEADERS, *rows]:
        sheet.append(row)
    book.save(path)


def read_ours(path: Path) -> list[list]:
    return [cells for _, cells in read_rows(str(path))]


def read_calamine(path: Path) -> list[list]:
    with CalamineWorkbook.from_path(str(path)) as book:
        return book.get_sheet_by_index(0).to_python()


def read_openpyxl(path: Path) -> list[list]:
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
    finally:
        book.close()


# All three streaming writers store strings inline; Excel and WPS save a shared-strings table, as
# XlsxWriter does outside constant_memory mode: "xlsxwriter-sst" makes the Excel-like file.
WRITERS = {"ours": write_ours, "xlsxwriter": write_xlsxwriter, "openpyxl": write_openpyxl,
           "xlsxwriter-sst": lambda path, rows: write_xlsxwriter(path, rows, constant_memory=False)}
READERS = {"ours": read_ours, "calamine": read_calamine, "openpyxl": read_openpyxl}


def _status(field: str) -> float:
    line = next(x for x in Path("/proc/self/status").read_text().splitlines() if x.startswith(field + ":"))
    return int(line.split()[1]) / 1024


def child(kind: str, name: str, path: str, rows: str, reps: str) -> dict:
    """One library in a fresh process: timed runs, then RSS growth, then one traced run."""
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_LIMIT, ADDRESS_LIMIT))
    data = make_rows(int(rows)) if kind == "write" else None
    run = (lambda: WRITERS[name](Path(path), data)) if kind == "write" else (lambda: READERS[name](Path(path)))
    traced = kind != "bad"        # tracemalloc would multiply the time of the zip bomb
    base, times, result = _status("VmRSS"), [], {}
    try:
        for _ in range(int(reps)):
            start = time.perf_counter()
            run()
            times.append(time.perf_counter() - start)
    except BaseException as exc:    # noqa: BLE001 — the bad-input cases report whatever comes out
        result["error"] = f"{type(exc).__module__}.{type(exc).__name__}: {str(exc)[:160]}"
    result.update(seconds=times, rss_mb=round(_status("VmHWM") - base, 1))
    if times and traced:
        tracemalloc.start()
        run()
        result["py_heap_mb"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
    return result


def spawn(*args: object) -> dict:
    cmd = [sys.executable, "-m", "bench.xlsx_libs", "--child", *map(str, args)]
    start = time.perf_counter()
    try:
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return {"error": f"no answer in {TIMEOUT} s"}
    if done.returncode:
        return {"error": f"process died, exit {done.returncode}: {done.stderr.strip()[-200:]}",
                "wall_s": round(time.perf_counter() - start, 1)}
    found = json.loads(done.stdout.splitlines()[-1])
    found.update(median_ms=round(statistics.median(found.pop("seconds")) * 1000, 1) if found["seconds"] else None,
                 wall_s=round(time.perf_counter() - start, 1))
    return found


def norm(value: object) -> object:
    if value is None or value == "":
        return None
    if isinstance(value, datetime) and value.time() == datetime.min.time():
        return value.date()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def differences(expected: list[list], got: list[list]) -> dict:
    """Cells that differ after normalising, grouped by column and types, with one example each."""
    kinds: Counter = Counter()
    examples = {}
    if len(expected) != len(got):
        return {"rows": f"{len(got)} rows, expected {len(expected)}"}
    for want_row, got_row in zip(expected, got):
        got_row = list(got_row) + [None] * (len(want_row) - len(got_row))
        for header, want, value in zip(HEADERS, want_row, got_row):
            if norm(want) != norm(value):
                key = f"{header}: {type(want).__name__} → {type(value).__name__}"
                kinds[key] += 1
                examples.setdefault(key, f"{want!r} → {value!r}")
    return {key: f"{n} cells, e.g. {examples[key]}" for key, n in kinds.items()}


def bad_files(tmp: Path, good: Path) -> dict[str, Path]:
    cases = {name: tmp / f"{name}.xlsx" for name in ("truncated", "zeroed_middle", "not_a_zip", "empty",
                                                      "huge_shared_strings", "date1904")}
    data = bytearray(good.read_bytes())
    cases["truncated"].write_bytes(data[: len(data) // 2])
    data[len(data) // 2: len(data) // 2 + 64] = bytes(64)       # inside the sheet's deflate stream
    cases["zeroed_middle"].write_bytes(data)
    cases["not_a_zip"].write_bytes(",".join(HEADERS).encode("gbk") + b"\r\n")
    cases["empty"].write_bytes(b"")
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(cases["huge_shared_strings"], "w", zipfile.ZIP_DEFLATED) as bomb:
        for item in src.infolist():
            if item.filename != "xl/sharedStrings.xml":
                bomb.writestr(item, src.read(item))
        with bomb.open("xl/sharedStrings.xml", "w") as out:     # ~1 GB of XML, ~1 MB zipped
            out.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
            chunk = b"<si><t>" + b"x" * 1000 + b"</t></si>"
            for _ in range(1000):
                out.write(chunk * 1000)
            out.write(b"</sst>")
    book = xlsxwriter.Workbook(str(cases["date1904"]), {"date_1904": True, "default_date_format": "yyyy-mm-dd"})
    book.add_worksheet().write_row(0, 0, ["证件有效期", date(2027, 3, 1)])
    book.close()
    return cases


def main(count: int) -> dict:
    rows = make_rows(count)
    expected = [HEADERS, *rows]
    figures: dict = {"rows": count, "columns": len(HEADERS), "reps": REPS, "python": platform.python_version(),
                     "machine": f"{platform.machine()}, {len(__import__('os').sched_getaffinity(0))} cpus",
                     "versions": {p: version(p) for p in ("openpyxl", "python-calamine", "XlsxWriter")},
                     "writers": {}, "readers": {}, "values": {}, "bad_input": {}}
    with tempfile.TemporaryDirectory(prefix="xlsx-libs-") as tmp_name:
        tmp = Path(tmp_name)
        files = {name: tmp / f"by-{name}.xlsx" for name in WRITERS}
        for name, path in files.items():
            print(f"[xlsx_libs] write {name}", file=sys.stderr, flush=True)
            figures["writers"][name] = {**spawn("write", name, path, count, REPS), "kb": path.stat().st_size // 1024}
        for source, path in files.items():
            for name, read in READERS.items():
                print(f"[xlsx_libs] read {source} file with {name}", file=sys.stderr, flush=True)
                figures["readers"][f"{source} file/{name}"] = spawn("read", name, path, 0, REPS)
                got = read(path)
                figures["values"][f"{source} file/{name}"] = {
                    "differences": differences(expected, got),
                    "types_row_2": [type(v).__name__ for v in got[1]]}
        for case, path in bad_files(tmp, files["xlsxwriter-sst"]).items():
            for name in READERS:
                print(f"[xlsx_libs] bad input {case} with {name}", file=sys.stderr, flush=True)
                outcome = spawn("bad", name, path, 0, 1)
                if case == "date1904" and "error" not in outcome:
                    outcome["value"] = repr(READERS[name](path)[0][1]) + " (written: datetime.date(2027, 3, 1))"
                figures["bad_input"][f"{case}/{name}"] = outcome
    return figures


def table(figures: dict) -> str:
    lines = [f"{figures['rows']} rows × {figures['columns']} columns, median of {figures['reps']}; "
             f"{figures['machine']}, Python {figures['python']}; {figures['versions']}", "",
             f"{'write':28} {'ms':>8} {'× ours':>7} {'RSS MB':>7} {'heap MB':>8} {'KB':>7}"]
    for key, group in (("writers", "write"), ("readers", "read")):
        if group == "read":
            lines += ["", f"{'read (file/reader)':28} {'ms':>8} {'× ours':>7} {'RSS MB':>7} {'heap MB':>8}"]
        for name, f in figures[key].items():
            base = figures[key]["ours" if key == "writers" else name.split("/")[0] + "/ours"]["median_ms"]
            ratio = f"{f['median_ms'] / base:.2f}" if f.get("median_ms") and base else "-"
            lines.append(f"{name:28} {f.get('median_ms') or f.get('error'):>8} {ratio:>7} {f['rss_mb']:>7} "
                         f"{f.get('py_heap_mb', '-'):>8} {f.get('kb', ''):>7}")
    lines += ["", "values differing from what was written (after normalising):"]
    lines += [f"  {name}: {v['differences'] or 'none'}" for name, v in figures["values"].items()]
    lines += ["", "bad input:"]
    for name, f in figures["bad_input"].items():
        said = f.get("error") or f.get("value") or f"read without error ({f.get('median_ms')} ms)"
        lines.append(f"  {name:32} {said}  [RSS {f.get('rss_mb', '?')} MB, {f.get('wall_s')} s]")
    return "\n".join(lines)


def key_figures(figures: dict) -> dict:
    """The figures `make bench` keeps: our medians (ms) and each other library's time over ours."""
    w, r = figures["writers"], figures["readers"]
    ratio = lambda f, base: round(f["median_ms"] / base["median_ms"], 2) if f.get("median_ms") and base.get("median_ms") else None
    sst = lambda name: r[f"xlsxwriter-sst file/{name}"]     # the Excel-like file: a shared-strings table
    return {"xlsx_write_20k_ms": w["ours"]["median_ms"], "xlsx_write_xlsxwriter_x": ratio(w["xlsxwriter"], w["ours"]),
            "xlsx_write_openpyxl_x": ratio(w["openpyxl"], w["ours"]), "xlsx_read_20k_ms": sst("ours")["median_ms"],
            "xlsx_read_raw_calamine_x": ratio(sst("calamine"), sst("ours")), "xlsx_read_openpyxl_x": ratio(sst("openpyxl"), sst("ours"))}


def run(workdir: Path, county: object = None) -> dict:
    """`make bench`'s suite: the full comparison at 20,000 rows (about ten minutes)."""
    figures = main(20_000)
    OUT.write_text(json.dumps(figures, indent=2, ensure_ascii=False, default=str) + "\n")
    print(table(figures), file=sys.stderr)
    return key_figures(figures)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        print(json.dumps(child(*sys.argv[2:]), ensure_ascii=False, default=str))
    else:
        results = main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
        OUT.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str) + "\n")
        print(table(results))
