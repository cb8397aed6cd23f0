"""The field app: the photo pipeline, a finding made durable, a day's sync, the app starting to
500 assignments in the browser, and the app process's memory.

    photo_pipeline_ms, photo_pipeline_kb   4000×3000 camera JPEG → stored 1600 px JPEG (median)
    finding_commit_ms                      one tap on the checklist, committed (WAL, synchronous=FULL)
    sync_500_records_s                     500 signed records with 1,500 photos (~300 KB) over loopback
    app_start_to_list_s                    `python -m field_app` started → 500 assignments listed in Chromium,
                                           grouped by due date (已逾期 first) against today
    app_peak_rss_mb                        the app process's peak RSS (VmHWM) after listing them
"""
from __future__ import annotations

import copy
import hashlib
import shutil
import statistics
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import httpx

from bench.common import County, median, peak_rss_mb, start_server, timed
from bench.photos import noisy_jpeg
from field_app.app_state import AppState, Settings
from field_app.camera import scene_jpeg
from field_app.core import checklist
from field_app.photos import process
from field_app.visit import Visit
from schemas import clock
from tests.e2e.apps import CHROMIUM, AppProcess, open_app, wait_text
from tests.support.records import PIN, team_signers
from tests.support.server import free_port

RECORDS, PHOTOS_EACH, LISTED, PIPELINE_ROUNDS, COMMITS = 500, 3, 500, 15, 300


def run(workdir: Path, county: County) -> dict[str, float]:
    figures = photo_pipeline()
    figures["finding_commit_ms"] = finding_commit(workdir / "commit")
    server = start_server(county.db)
    try:
        home = workdir / "tablet"
        figures["sync_500_records_s"] = sync_day(home, server.url, county)
    finally:
        server.stop()
    figures.update(start_to_list(home, workdir / "listed"))
    return figures


def photo_pipeline() -> dict[str, float]:
    raw = scene_jpeg((4000, 3000), seed=11, orientation=6)
    process(raw)  # warm-up: imports, codec tables
    times, sizes = [], []
    for _ in range(PIPELINE_ROUNDS):
        start = time.perf_counter()
        photo = process(raw)
        times.append((time.perf_counter() - start) * 1000)
        sizes.append(len(photo.data) / 1024)
    return {"photo_pipeline_ms": round(median(times), 1), "photo_pipeline_kb": round(median(sizes))}


def finding_commit(home: Path) -> float:
    state = AppState(Settings(home, "http://127.0.0.1:9", sync_interval=0))
    state.keys.save_credentials("dev", "dev_x", {"id": "p1", "name": "刘颖", "role": "inspector"})
    assignment = _assignment(0)
    state.store.save_feed_page([{"kind": "assignment", "data": assignment}], "1", "2026-11-20T08:00:00Z")
    visit = state.work.open_visit(assignment["id"])
    keys = [checklist.item_key(item) for item in assignment["items"]]
    times = []
    for n in range(COMMITS):
        start = time.perf_counter()
        visit.set_outcome(keys[n % len(keys)], ("compliant", "not_applicable")[n % 2])
        times.append((time.perf_counter() - start) * 1000)
    state.close()
    return round(median(times), 2)


def sync_day(home: Path, url: str, county: County) -> float:
    """Enroll, pull, finish 500 visits with three photos each, then one sync, timed."""
    code = httpx.post(f"{url}/v1/admin/users/{county.inspector}/enrollment-codes",
                      headers={"Authorization": f"Bearer {county.admin_token}"}).json()["code"]
    state = AppState(Settings(home, url, sync_interval=0))
    assert state.session.enroll(url, code, PIN, PIN) is None
    state.code_for = lambda officer: httpx.post(f"{url}/v1/admin/users/{officer}/enrollment-codes",
                                               headers={"Authorization": f"Bearer {county.admin_token}"}).json()["code"]
    state.syncing.now()
    assignments = state.store.list_assignments()
    for n in range(RECORDS):
        _finish(state, assignments[n % len(assignments)], n)
    seconds = timed(state.syncing.now)
    counts = state.store.outbox_counts()
    state.close()
    assert counts == {"accepted": RECORDS}, counts
    return round(seconds, 2)


def _finish(state: AppState, assignment: dict, n: int) -> None:
    draft = checklist.new_draft(assignment, state.me["id"], "2026-11-20T09:00:00Z")
    visit = Visit(state.store, state.keys, state.files, assignment, draft)
    for item in checklist.applicable(assignment):   # the others are 不适用 from the start
        checklist.set_outcome(draft, checklist.item_key(item), "compliant", _today())
    first = checklist.item_key(assignment["items"][0])
    for k in range(PHOTOS_EACH):  # already processed (the pipeline is measured on its own)
        data = noisy_jpeg(n * PHOTOS_EACH + k)
        sha = hashlib.sha256(data).hexdigest()
        path = state.files.path_of(sha)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        state.store.add_photo(sha, path, len(data))
        draft["findings"][first]["photos"].append(sha)
    draft["party"] = {"mode": "refused", "name": "", "signature_photo": None, "note": "当事人拒绝签字"}
    visit.submit(team_signers(state, visit))


def _today() -> date:
    return date(2026, 11, 20)


def start_to_list(synced: Path, home: Path) -> dict[str, float]:
    """The synced tablet (500 records, 1,500 photos) given 500 assignments, the added ones due
    from 20 days ago to 40 days ahead of today (so every group of the list has visits); three cold
    starts, each timed until the list shows its count and its first group, 已逾期."""
    shutil.copytree(synced, home)
    state = AppState(Settings(home, "http://127.0.0.1:9", sync_interval=0))
    have = state.store.list_assignments()
    extra = [copy.deepcopy(have[n % len(have)]) for n in range(LISTED - len(have))]
    today = clock.beijing_today()
    for n, doc in enumerate(extra):
        doc["id"], doc["unit"]["name"] = str(uuid.UUID(int=n + 1, version=4)), f"{doc['unit']['name']}（{n}）"
        doc["due"] = (today + timedelta(days=n % 60 - 20)).isoformat()
    state.store.save_feed_page([{"kind": "assignment", "data": d} for d in extra], "9" * 9, "2026-11-20T08:00:00Z")
    state.close()
    from playwright.sync_api import sync_playwright

    times, rss = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        for _ in range(3):
            app = AppProcess(home, f"http://127.0.0.1:{free_port()}", sync_interval=0)
            page = browser.new_page(viewport={"width": 1100, "height": 1000})
            start = time.perf_counter()
            app.start()
            open_app(page, app.url)
            wait_text(page, f"共 {LISTED} 项", timeout=60_000)
            wait_text(page, "已逾期（", timeout=60_000)
            times.append(time.perf_counter() - start)
            page.mouse.move(550, 600)
            for _ in range(20):  # scroll through part of the list
                page.mouse.wheel(0, 2000)
            page.wait_for_timeout(500)
            rss.append(peak_rss_mb(app.pid))
            page.close()
            app.stop()
        browser.close()
    return {"app_start_to_list_s": round(statistics.median(times), 2), "app_peak_rss_mb": round(max(rss), 1)}


def _assignment(n: int) -> dict:
    items = [{"code": f"GG-00{k}", "name": f"事项{k}", "specialty": "public_places", "legal_basis": "《公共场所卫生管理条例》",
              "content": "检查", "method": "现场检查", "task_id": "T1"} for k in range(1, 10)]
    return {"schema": "suijian.assignment/1", "id": str(uuid.UUID(int=n + 1, version=4)), "status": "open",
            "version": 1, "due": "2026-12-31", "items": items,
            "unit": {"id": "92369921MA2F1MHD4Q", "name": "云溪县绿源皮肤管理中心", "address": "云溪县马坪乡集镇大道8号",
                     "specialty": "public_places", "category": "美容店", "contact": "魏婷芳", "phone": "185-0000-3629"},
            "tasks": [{"id": "T1", "number": "1号", "title": "公共场所"}],
            "team": [{"id": "p1", "name": "刘颖"}, {"id": "p2", "name": "董英"}]}
