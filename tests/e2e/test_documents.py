"""The papers handed over on site, opened on the inspector's tablet in the browser: the submitted
visit's screen offers 查看现场文书, and what arrives is the PDF whose hash the signed record names,
with the unit and the party's name in its text."""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

from field_app.device_clock import DeviceClock
from field_app.keys import KeyStore
from field_app.photos import PhotoFiles
from field_app.store import LocalStore
from field_app.sync import SyncClient
from field_app.visit import Visit
from schemas import envelope
from tests.e2e.apps import open_app, tap, tap_until, type_into, wait_text
from tests.support import pdf_text
from tests.support.records import PIN, officer_key

CLOCK = DeviceClock(stamp=lambda: "2026-11-20T01:30:00Z", local_stamp=lambda: "2026-11-20T09:40:00+08:00")


def submitted_visit(data: Path, server_url: str, code: str, code_for) -> tuple[str, dict]:
    """A tablet's data directory with a signed visit (one problem, signed on the pad), made through
    the app's own Visit, as the app keeps it (app.db, keys/, photos/)."""
    store, keys = LocalStore(data / "app.db"), KeyStore(data / "keys")
    client = SyncClient(server_url, store, keys)
    try:
        client.enroll(code, "随检平板", PIN)
        client.code_for = code_for          # the teammate registers their own signing key (officer_key)
        client.sync()
        store.set_meta("server_url", server_url)
        me = keys.credentials()["user"]["id"]
        assignment = store.list_assignments()[0]
        visit = Visit.open(store, keys, PhotoFiles(data / "photos"), assignment["id"], me, CLOCK)
        for n, (item, _) in enumerate(visit.items()):
            visit.set_outcome(f"{item['task_id']}/{item['code']}", "non_compliant" if n == 0 else "compliant")
        visit.sign([[(10, 10), (80, 40), (150, 20)]], (300, 100), "王芳")
        mate = next(m["id"] for m in assignment["team"] if m["id"] != me)
        record_id = visit.submit({p: officer_key(client, p) for p in (me, mate)}).record_id
        return assignment["unit"]["name"], envelope.parse(store.envelope_of(record_id).encode()).document()
    finally:
        client.close()
        store.close()


def test_the_inspector_opens_the_visits_pdf(county, server, browser, apps, tmp_path: Path) -> None:
    data = tmp_path / "tablet"
    unit, record = submitted_visit(data, server.url, county.code_for(county.inspector), county.code_for)
    app = apps(data, server.url, sync_interval=0).start()
    page = browser.new_page(viewport={"width": 1100, "height": 1100}, accept_downloads=True)
    page.set_default_timeout(15_000)
    open_app(page, app.url)
    type_into(page, "搜索单位、地址、专业", unit)
    tap_until(page, re.compile(re.escape(unit)), "已签名提交的内容")
    wait_text(page, "查看现场文书")
    with page.expect_download() as download:
        tap(page, re.compile("查看现场文书"))
    data_pdf = Path(download.value.path()).read_bytes()
    assert download.value.suggested_filename == f"{unit}-现场文书.pdf"
    assert hashlib.sha256(data_pdf).hexdigest() == record["documents"]["pdf"], "the PDF the signed record names"
    text = re.sub(r"\s+", "", "".join(pdf_text.pages(data_pdf)))
    assert unit.replace(" ", "") in text and "当事人（签名）：王芳" in text and "卫生监督意见书" in text
