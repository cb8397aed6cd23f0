"""The console's 设备 section over real HTTP on a real server: an officer's enrollment code shown as
a QR code a real tablet client enrolls with, its last sync on the list, revoking it with a reason
(its next sync refused), and who may do what."""
from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from field_app.keys import KeyStore
from field_app.store import LocalStore
from field_app.sync import SyncClient
from schemas import enrollment_link
from sync_server.accounts.service import digest, normalize_code
from tests.support.engine import Target
from tests.integration.conftest import FAST_RETRY, County, server_rows
from tests.support.office import ADMIN, AUDITOR, CLERK, Console, signed_in
from tests.support.server import ServerProcess

PIN = "246810"


def code_page_parts(text: str) -> tuple[str, str]:
    code = re.search(r'id="enrollment-code">([^<]+)<', text)
    link = re.search(r'<code class="link">([^<]+)</code>', text)
    assert code and link, text[:2000]
    return code.group(1), html.unescape(link.group(1))


def tablet(tmp_path: Path, name: str, url: str) -> SyncClient:
    home = tmp_path / name
    return SyncClient(url, LocalStore(home / "app.db"), KeyStore(home / "keys"), retry=FAST_RETRY)


def logged(db: Target, kind: str) -> list[str]:
    return [bytes(r["entry"]).decode("utf-8") for r in server_rows(db, "SELECT entry FROM audit_log WHERE kind = ?", kind)]


def device_row(db: Target, device_id: str):
    return server_rows(db, "SELECT * FROM devices WHERE id = ?", device_id)[0]


@pytest.fixture
def office(server: ServerProcess) -> Iterator[Console]:
    client = signed_in(server.url, ADMIN)
    yield client
    client.close()


def test_enroll_from_the_code_page_sync_then_revoke(server: ServerProcess, county: County, tmp_path: Path,
                                                    office: Console) -> None:
    listing = office.get("/office/devices")
    assert listing.status_code == 200 and "设备" in listing.text
    officer = server_rows(county.db, "SELECT id, name FROM users WHERE id = ?", county.inspector)[0]
    assert f'id="officer-{officer["id"]}"' in listing.text

    made = office.post_form(f"/office/devices/officers/{officer['id']}/enrollment-code")
    assert made.status_code == 201 and made.headers["cache-control"] == "no-store"
    assert "<svg" in made.text and "此码只显示这一次" in made.text and "有效期至" in made.text
    code, text = code_page_parts(made.text)
    link = enrollment_link.parse(text)   # what the tablet reads from the QR code
    assert link.server == server.url and link.code == code
    stored = server_rows(county.db, "SELECT user_id, used_at FROM enrollment_codes WHERE code_hash = ?",
                         digest(normalize_code(code)))
    assert [tuple(r) for r in stored] == [(officer["id"], None)]
    assert code not in office.get("/office/devices").text, "the code is shown once, never listed"
    audit = logged(county.db, "enrollment_code.created")
    assert len(audit) == 1 and f'"by":"office:{ADMIN}"' in audit[0] and code not in audit[0]

    client = tablet(tmp_path, "tablet", link.server)
    try:
        enrolled = client.enroll(link.code, "平板甲", PIN)
        tablet_id = enrolled["device_id"]
        assert device_row(county.db, tablet_id)["last_seen_at"] is None
        assert client.sync().error is None
        seen = device_row(county.db, tablet_id)["last_seen_at"]
        assert seen is not None
        row_html = office.get("/office/devices").text
        assert "平板甲" in row_html and "签名密钥" in row_html
        shown = re.search(r"平板甲<br>.*?</tr>", row_html, re.S)
        assert shown and "从未同步" not in shown.group(0) and "在用" in shown.group(0)

        confirm = office.get(f"/office/devices/{tablet_id}/revoke")
        assert confirm.status_code == 200 and "1 名执法人员的签名密钥" in confirm.text and "确认停用" in confirm.text
        empty = office.post_form(f"/office/devices/{tablet_id}/revoke", {"reason": " ", "version": "active"})
        assert empty.status_code == 422 and "请填写停用原因" in empty.text
        assert device_row(county.db, tablet_id)["status"] == "active", "nothing applied"

        done = office.post_form(f"/office/devices/{tablet_id}/revoke", {"reason": "平板遗失", "version": "active"})
        assert done.status_code == 303 and done.headers["location"].startswith("/office/devices?done=")
        rows = server_rows(county.db, "SELECT status, revoked_by, revoke_reason FROM devices"
                                      " WHERE id = ? OR host_device_id = ?", tablet_id, tablet_id)
        assert len(rows) == 2 and {tuple(r) for r in rows} == {("revoked", f"office:{ADMIN}", "平板遗失")}
        revoked = logged(county.db, "device.revoked")
        assert len(revoked) == 2 and all("平板遗失" in r and f"office:{ADMIN}" in r for r in revoked)

        refused = client.sync()
        assert refused.error and "停用" in refused.error, refused
        again = office.post_form(f"/office/devices/{tablet_id}/revoke", {"reason": "再次", "version": "active"})
        assert again.status_code == 409 and "已被停用" in again.text
    finally:
        client.close()
        client.store.close()


def test_a_bad_officer_or_device_is_a_chinese_page(office: Console) -> None:
    assert "没有该执法人员" in office.post_form("/office/devices/officers/nobody/enrollment-code").text
    for page in ("abc", "0", "999", "-1"):
        listed = office.get(f"/office/devices?page={page}")
        assert listed.status_code == 200 and "生成注册码" in listed.text
    missing = office.get("/office/devices/nope/revoke")
    assert missing.status_code == 404 and "没有该设备" in missing.text


@pytest.mark.parametrize("username", [CLERK, AUDITOR])
def test_only_the_admin_makes_codes_and_revokes(server: ServerProcess, county: County, username: str,
                                                make_device) -> None:
    device = make_device(county.inspector).keys.credentials()["device_id"]
    person = signed_in(server.url, username)
    try:
        refused_all(person, county, device)
    finally:
        person.close()
    assert device_row(county.db, device)["status"] == "active"


def refused_all(person: Console, county: County, device: str) -> None:
    listing = person.get("/office/devices")
    assert listing.status_code == 200 and "生成注册码" not in listing.text
    refused = person.post_form(f"/office/devices/officers/{county.inspector}/enrollment-code")
    assert refused.status_code == 403 and "无权进行此操作" in refused.text
    assert person.post_form(f"/office/devices/{device}/revoke", {"reason": "x", "version": "active"}).status_code == 403
    assert "确认停用" not in person.get(f"/office/devices/{device}/revoke").text
    assert not server_rows(county.db, "SELECT 1 FROM enrollment_codes WHERE user_id = ? AND used_at IS NULL",
                           county.inspector)


def test_signed_out_goes_to_sign_in(server: ServerProcess) -> None:
    response = httpx.get(server.url + "/office/devices", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/office/login")
