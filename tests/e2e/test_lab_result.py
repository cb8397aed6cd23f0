"""A lab result arriving, in the browser: a record whose sample went to the lab is synced and
approved, and published as 待检验结果; on the tablet the visit shows 待检验结果, the inspector
enters the failed result, it syncs, and the record's category and the public entry follow."""
from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from field_app.ids import uuid7
from field_app.keys import KeyStore
from field_app.outbox import submit_record
from field_app.store import LocalStore
from field_app.sync import SyncClient
from schemas import envelope
from tests.e2e.apps import open_app, tap, tap_until, type_into, wait_text
from tests.support import dates
from tests.support.records import PIN, finding, record

SAMPLE = {"sample_no": "YP-2026-0042", "lab": "市疾控中心", "tests": "游泳池水 浑浊度、余氯", "photos": []}


def _poll(read, timeout_s: float = 30.0):
    """What `read()` returns once it is truthy (the app syncs in the background every 2 s)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = read()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError("the tablet's background sync did not get there")


def _pulled(db: Path, assignment_id: str) -> bool:
    store = LocalStore(db)
    try:
        return store.get_assignment(assignment_id) is not None
    finally:
        store.close()


def _approve(county, server, tmp_path: Path, record_id: str, sha: str) -> None:
    home = tmp_path / "leader"
    leader = SyncClient(server.url, LocalStore(home / "app.db"), KeyStore(home / "keys"))
    leader.enroll(county.code_for(county.leader), "headless")
    decision = {"schema": "suijian.review-decision/1", "id": uuid7(), "record_id": record_id,
                "record_envelope_sha256": sha, "decision": "approve", "reason": "", "leader": county.leader,
                "decided_at": dates.now_stamp()}
    text = envelope.sign(decision, envelope.REVIEW_TYPE, leader.keys.private_key()).decode()
    leader.http.post("/v1/reviews/batch", json={"envelopes": [text]}, headers=leader._auth()).raise_for_status()
    leader.close()
    leader.store.close()


@pytest.mark.dates
def test_a_lab_result_entered_on_the_tablet_turns_the_public_entry(county, server, browser, shots, apps,
                                                                     tmp_path: Path) -> None:
    assignment = county.assignment_for_review()
    unit, items = assignment["unit"]["name"], assignment["items"]
    mate = next(m["id"] for m in assignment["team"] if m["id"] != county.inspector)
    app = apps(tmp_path / "tablet", server.url, enroll_code=county.code_for(county.inspector),
               officer_codes=[county.code_for(mate)]).start()
    _poll(lambda: _pulled(app.data / "app.db", assignment["id"]))
    app.stop()
    # The visit signed on this tablet through its own submit path (the checklist's sample fields are
    # tested without a renderer in tests/unit/test_app_labresults.py).
    store = LocalStore(app.data / "app.db")
    doc = record(assignment, [county.inspector, mate],
                 findings=[{**finding(items[0], "pending_lab"), "sample": SAMPLE}] + [finding(i) for i in items[1:]])
    officers = KeyStore(app.data / "keys").officers      # both officers' keys, each unlocked by their PIN
    submit_record(store, [officers.unlock(p, PIN) for p in doc["inspectors"]], doc, dates.now_stamp())
    store.close()
    app.start()
    (stored,) = _poll(lambda: county.rows("SELECT category, envelope_sha256 FROM records WHERE id = ?", doc["id"]))
    assert stored["category"] == "pending_lab"
    _approve(county, server, tmp_path, doc["id"], stored["envelope_sha256"])
    (entry,) = county.rows("SELECT no, category FROM disclosures WHERE record_id = ?", doc["id"])
    assert entry["category"] == "pending_lab"

    public = browser.new_page(viewport={"width": 1100, "height": 900})
    public.goto(f"{server.url}/public/results/{entry['no']}")
    assert public.get_by_text("待检验结果").count() and public.get_by_text("抽样送检 1 份，检验结果待出").count()

    page = browser.new_page(viewport={"width": 1100, "height": 1100})
    page.set_default_timeout(15_000)
    open_app(page, app.url)
    wait_text(page, "待检验结果")
    tap_until(page, re.compile(re.escape(unit) + ".*待检验结果", re.S), "录入检验结果 YP-2026-0042")
    wait_text(page, "待检验结果：1 份样品的检验结果尚未录入")
    tap_until(page, "录入检验结果 YP-2026-0042", "签名并保存检验结果")
    tap(page, "检验不合格")
    deadline = dates.days_from_today(20).isoformat()
    type_into(page, "报告日期（如 2026-12-01）", dates.today().isoformat())
    type_into(page, "检验报告编号", "JC-2026-118")
    type_into(page, "整改期限（如 2026-12-31）", deadline)
    page.wait_for_timeout(500)   # the last keystroke is saved to the form's draft
    shots(page, "lab-result", docs=True, expect="签名并保存检验结果")
    tap(page, "签名并保存检验结果")
    wait_text(page, "已保存：样品 YP-2026-0042 的检验结果已签名")
    (result,) = _poll(lambda: county.rows("SELECT outcome, source, by_user, doc FROM lab_results WHERE record_id = ?",
                                          doc["id"]))
    assert (result["outcome"], result["source"], result["by_user"]) == ("non_compliant", "device", county.inspector)
    signed = json.loads(result["doc"])
    assert (signed["report_no"], signed["reported_on"], signed["action"]) == \
        ("JC-2026-118", dates.today().isoformat(), {"kind": "rectify", "deadline": deadline}), "every field typed is signed"
    (after,) = county.rows("SELECT category, revision FROM disclosures WHERE record_id = ?", doc["id"])
    assert (after["category"], after["revision"]) == ("rectify", 2)
    public.reload()   # the page is cacheable for 60 s; a reload asks the server again, as a visitor would
    assert public.get_by_text("发现问题已责令整改").count()
    assert public.get_by_text(re.compile("抽样送检 1 份，检验不合格 1 份")).count()
    assert public.get_by_text(re.compile(f"责令限期整改，期限 {deadline}")).count()
