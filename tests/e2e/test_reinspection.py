"""复查 on the tablet, in the browser: the office's deadline reminder arrives through the feed, the
inspector records the re-inspection, it syncs, and the public entry says the rectification was met."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from field_app.camera import scene_jpeg
from field_app.ids import uuid7
from field_app.keys import KeyStore
from field_app.store import LocalStore
from field_app.sync import SyncClient
from schemas import envelope
from tests.e2e.apps import open_app, tap, tap_until, type_into, wait_text
from tests.e2e.test_field_app import local_rows
from tests.support import dates
from tests.support.records import finding, queue_record, record


def _approved_rectification(county, server, tmp_path: Path) -> tuple[str, str]:
    """A record ordering rectification within two days, signed on another tablet and approved."""
    clients = []
    for user in (county.inspector, county.leader):
        home = tmp_path / f"headless-{user}"
        client = SyncClient(server.url, LocalStore(home / "app.db"), KeyStore(home / "keys"))
        client.code_for = county.code_for
        client.enroll(county.code_for(user), "headless")
        clients.append(client)
    inspector, leader = clients
    assignment = county.assignment_for_review()
    items = assignment["items"]
    findings = [finding(items[0], "non_compliant", {"kind": "rectify", "deadline": dates.days_from_today(2).isoformat()}, note="记录缺失")] + \
        [finding(i) for i in items[1:]]
    doc = record(assignment, [county.inspector], findings=findings)
    queue_record(inspector, doc, [], dates.now_stamp())
    assert inspector.sync().receipts == {"accepted": 1}
    sha = county.rows("SELECT envelope_sha256 FROM records WHERE id = ?", doc["id"])[0][0]
    decision = {"schema": "suijian.review-decision/1", "id": uuid7(), "record_id": doc["id"],
                "record_envelope_sha256": sha, "decision": "approve", "reason": "", "leader": county.leader,
                "decided_at": dates.now_stamp()}
    text = envelope.sign(decision, envelope.REVIEW_TYPE, leader.keys.private_key()).decode()
    leader.http.post("/v1/reviews/batch", json={"envelopes": [text]}, headers=leader._auth()).raise_for_status()
    for client in clients:
        client.close()
        client.store.close()
    return doc["id"], assignment["unit"]["name"]


@pytest.mark.dates
def test_a_reminder_becomes_a_reinspection_on_the_tablet(county, server, browser, shots, apps, tmp_path: Path) -> None:
    record_id, unit = _approved_rectification(county, server, tmp_path)
    batch = subprocess.run([sys.executable, "-m", "sync_server", "publish", "--db", str(county.db)],
                           capture_output=True, text=True, timeout=60)
    assert "发送整改期限提醒 1 条" in batch.stdout, batch.stdout + batch.stderr
    app = apps(tmp_path / "tablet", server.url, enroll_code=county.code_for(county.inspector)).start()
    page = browser.new_page(viewport={"width": 1100, "height": 1100})
    page.set_default_timeout(15_000)
    open_app(page, app.url)
    tap_until(page, "复查", "复查（责令整改的记录）")
    wait_text(page, unit)
    type_into(page, f"复查情况 {unit}", "已补建消毒记录，现场核实")
    photo = tmp_path / "after.jpg"
    photo.write_bytes(scene_jpeg((2000, 1500), 7))
    with page.expect_file_chooser() as chooser:
        tap(page, f"复查照片 {unit}")
    chooser.value.set_files(str(photo))
    wait_text(page, "1 张照片")
    # every change is saved as it is made: the note and the photo survive the app being killed
    draft = {k: v for k, v in local_rows(app.data, "SELECT key, value FROM meta") if k.startswith("reinspection_draft:")}
    assert json.loads(draft[f"reinspection_draft:{record_id}"])["note"] == "已补建消毒记录，现场核实"
    app.kill9()
    app.start()
    open_app(page, app.url)
    tap_until(page, "复查", "复查（责令整改的记录）")
    wait_text(page, "1 张照片")
    page.wait_for_timeout(1500)   # glyphs right after the font loads can drop out of a screenshot
    shots(page, "reinspection", docs=True, expect="1 张照片")
    tap(page, f"已整改 {unit}")
    wait_text(page, "已保存")
    tap_until(page, "同步", "立即同步")
    tap(page, "立即同步")
    wait_text(page, "同步完成")
    for _ in range(50):
        rows = county.rows("SELECT doc FROM followups WHERE record_id = ? AND kind = 'reinspection'", record_id)
        if rows:
            break
        page.wait_for_timeout(200)
    (row,) = rows
    signed = json.loads(row["doc"])
    assert (signed["outcome"], signed["note"], len(signed["photos"])) == ("rectified", "已补建消毒记录，现场核实", 1)
    assert county.rows("SELECT 1 FROM photos WHERE sha256 = ?", signed["photos"][0]), "its photo went up first"
    (entry,) = county.rows("SELECT handling FROM disclosures WHERE record_id = ?", record_id)
    assert json.loads(entry["handling"])["rectify"]["status"] == "met"
