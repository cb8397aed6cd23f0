"""一单两库 in the office console over real HTTP against a real server on a seeded county:
upload → preview (every bad row, nothing applied) → confirm (all or nothing, logged with the
person); a stale confirm refused; one unit and one officer edited (errors beside the field, the
audit entry with before and after); the clerk may, the auditor may not; item-list versions."""
from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from sync_server.registry.core import uscc
from tests.support.engine import Target
from tests.integration.conftest import County, server_rows
from tests.support.dates import days_from_today
from tests.support.office import AUDITOR, CLERK, Console, signed_in
from tests.support.server import ServerProcess

UNIT_HEADER = ["统一社会信用代码", "单位名称", "地址", "专业", "信用风险等级", "乡镇"]


@pytest.fixture
def clerk(server: ServerProcess) -> Console:
    client = signed_in(server.url, CLERK)
    yield client
    client.close()


@pytest.fixture
def auditor(server: ServerProcess) -> Console:
    client = signed_in(server.url, AUDITOR)
    yield client
    client.close()


def new_code(n: int) -> str:
    return uscc.make("9", "1", "359999", f"T{n:07d}")


def csv_bytes(rows: list[list[object]], header: list[str] = UNIT_HEADER) -> bytes:
    return "\n".join(",".join(str(c) for c in row) for row in [header, *rows]).encode("utf-8")


def xlsx_bytes(rows: list[list[object]], header: list[str] = UNIT_HEADER) -> bytes:
    book = Workbook()
    for row in [header, *rows]:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client: Console, kind: str, name: str, data: bytes):
    return client.post("/office/registry/import", data={"csrf": client.csrf, "kind": kind},
                       files={"file": (name, data, "application/octet-stream")})


def previewed(client: Console, kind: str, name: str, data: bytes) -> tuple[str, str]:
    """Upload; the preview's URL and its page."""
    response = upload(client, kind, name, data)
    assert response.status_code == 303, response.text[:500]
    location = response.headers["location"]
    assert re.fullmatch(r"/office/registry/imports/[\w-]{20,}", location)
    page = client.get(location)
    assert page.status_code == 200
    return location, page.text


def count_of(html: str, name: str) -> int:
    return int(re.search(rf'id="count-{name}">(\d+)', html).group(1))


def sha_of(html: str) -> str:
    return re.search(r'name="sha256" value="([0-9a-f]{64})"', html).group(1)


def units_in(db: Target) -> dict[str, dict]:
    return {r["id"]: dict(r) for r in server_rows(db, "SELECT * FROM units")}


def last_audit(db: Target) -> dict:
    return json.loads(server_rows(db, "SELECT entry FROM audit_log ORDER BY idx DESC LIMIT 1")[0]["entry"])


def unit_row(u: dict, **over: object) -> list[object]:
    v = {**u, **over}
    return [v["id"], v["name"], v["address"], v["specialty"], v["risk"], v["town"]]


def test_a_preview_lists_every_bad_row_and_applies_nothing(server: ServerProcess, county: County,
                                                           clerk: Console) -> None:
    before = units_in(county.db)
    bad_check = new_code(1)[:17] + ("0" if new_code(1)[17] != "0" else "1")
    rows = [[new_code(2), "好单位", "路1号", "公共场所", "A", "城关镇"],
            [bad_check, "校验位错的单位", "路2号", "公共场所", "A", ""],
            [new_code(3), "", "路3号", "烹饪卫生", "E", ""],
            [new_code(2), "重复的单位", "路4号", "公共场所", "B", ""]]
    rows += [[new_code(100 + n), f"单位{n}", "路", "公共场所", "Z", ""] for n in range(150)]   # 150 more bad rows
    location, page = previewed(clerk, "units", "units.csv", csv_bytes(rows))
    assert "不能导入" in page and "确认导入" not in page
    assert "第 3 行</td><td>统一社会信用代码</td><td>校验位错误或含有不允许的字符" in page
    assert "第 4 行</td><td>单位名称</td><td>不能为空" in page
    assert "第 4 行</td><td>专业</td><td>未知专业「烹饪卫生」" in page
    assert "第 5 行</td><td>统一社会信用代码</td><td>与第 2 行重复" in page
    assert "共 155 处" in page and "第 1 / 2 页" in page          # 5 + 150 reasons, 100 a page
    second = clerk.get(location + "?page=2").text
    assert "第 155 行</td><td>信用风险等级</td><td>未知信用风险等级「Z」" in second
    # The confirm is refused even when posted by hand: the whole file or nothing.
    refused = clerk.post_form(location + "/apply", {"sha256": sha_of_staged(county.db)})
    assert refused.status_code == 409 and "全部修正后才能导入" in refused.text
    assert units_in(county.db) == before


def sha_of_staged(db: Target) -> str:
    return server_rows(db, "SELECT sha256 FROM registry_staged_imports ORDER BY created_at DESC LIMIT 1")[0]["sha256"]


def test_confirm_applies_the_whole_file_once_and_logs_the_person(server: ServerProcess, county: County,
                                                                 clerk: Console) -> None:
    before = units_in(county.db)
    one, two = sorted(before)[:2]
    rows = [unit_row(before[one], name=before[one]["name"] + "（更名）"), unit_row(before[two]),
            [new_code(7), "新开的宾馆", "新路7号", "公共场所", "B", "城关镇"]]
    location, page = previewed(clerk, "units", "units.xlsx", xlsx_bytes(rows))
    # Unit two's columns absent from this file (category, tags, …) are emptied by the import unless already empty.
    two_same = all(before[two][c] in ("", "[]", 0) for c in ("category", "tags", "complaints", "serious_violations",
                                                             "contact", "phone")) and before[two]["covered"] == 1
    assert (count_of(page, "new"), count_of(page, "changed"), count_of(page, "unchanged")) == \
        (1, 1 if two_same else 2, 1 if two_same else 0)
    assert count_of(page, "left-out") == len(before) - 2
    assert units_in(county.db) == before                      # nothing applied by the preview
    done = clerk.post_form(location + "/apply", {"sha256": sha_of(page)})
    assert done.status_code == 303 and done.headers["location"].startswith("/office/units?done=")
    after = units_in(county.db)
    assert len(after) == len(before) + 1 and after[new_code(7)]["name"] == "新开的宾馆"
    assert after[one]["name"] == before[one]["name"] + "（更名）"
    entry = last_audit(county.db)
    assert (entry["kind"], entry["subject"], entry["by"], entry["rows"], entry["inserted"]) == \
        ("registry.imported", "units", "office:" + CLERK, 3, 1)
    again = clerk.post_form(location + "/apply", {"sha256": sha_of(page)})
    assert again.status_code == 409 and "不能重复导入" in again.text
    assert len(units_in(county.db)) == len(after)


def test_a_confirm_after_the_registry_changed_is_refused(server: ServerProcess, county: County,
                                                         clerk: Console) -> None:
    before = units_in(county.db)
    one = sorted(before)[0]
    location, page = previewed(clerk, "units", "u.csv", csv_bytes([unit_row(before[one], name="预览时的名称"),
                                                                    [new_code(8), "另一家", "路", "公共场所", "A", ""]]))
    form = clerk.get(f"/office/units/{one}/edit").text
    version = re.search(r'name="version" value="([^"]+)"', form).group(1)
    edited = clerk.post_form(f"/office/units/{one}/edit", {**form_fields(before[one]), "phone": "0591-0000",
                                                           "version": version})
    assert edited.status_code == 303
    refused = clerk.post_form(location + "/apply", {"sha256": sha_of(page)})
    assert refused.status_code == 409 and "预览之后检查对象名录库已有变动" in refused.text
    now = units_in(county.db)
    assert now[one]["name"] == before[one]["name"] and new_code(8) not in now
    # A page whose file is not the previewed one (another tab, a tampered field) is refused too.
    location, page = previewed(clerk, "units", "u.csv", csv_bytes([[new_code(9), "第三家", "路", "公共场所", "A", ""]]))
    refused = clerk.post_form(location + "/apply", {"sha256": "0" * 64})
    assert refused.status_code == 409 and new_code(9) not in units_in(county.db)


def form_fields(u: dict) -> dict[str, str]:
    return {"name": u["name"], "address": u["address"], "specialty": u["specialty"], "category": u["category"],
            "tags": "、".join(json.loads(u["tags"])), "risk": u["risk"], "complaints": str(u["complaints"]),
            "serious_violations": str(u["serious_violations"]), "covered": "是" if u["covered"] else "否",
            "contact": u["contact"], "phone": u["phone"], "town": u["town"]}


def test_a_previews_belongs_to_who_uploaded_it(server: ServerProcess, county: County, clerk: Console) -> None:
    location, _ = previewed(clerk, "units", "u.csv", csv_bytes([[new_code(10), "单位", "路", "公共场所", "A", ""]]))
    admin = signed_in(server.url)
    try:
        assert admin.get(location).status_code == 404
        assert admin.post_form(location + "/apply", {"sha256": sha_of_staged(county.db)}).status_code == 404
    finally:
        admin.close()
    assert new_code(10) not in units_in(county.db)


def test_unreadable_files_get_a_chinese_reason_beside_the_field(server: ServerProcess, clerk: Console,
                                                                tmp_path: Path) -> None:
    damaged = upload(clerk, "units", "u.xlsx", b"PK\x03\x04" + b"\x00" * 200)
    assert damaged.status_code == 400 and 'id="e-file-units"' in damaged.text and "无法读取该 Excel 文件" in damaged.text
    old_xls = upload(clerk, "inspectors", "p.xls", bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 100)
    assert old_xls.status_code == 400 and 'id="e-file-inspectors"' in old_xls.text and "另存为 .xlsx" in old_xls.text
    header_only = upload(clerk, "items", "i.csv", "事项编码,事项名称,专业,依据\n".encode())
    assert header_only.status_code == 400 and "没有数据行" in header_only.text
    bomb = io.BytesIO(xlsx_bytes([[new_code(11), "单位", "路", "公共场所", "A", ""]]))
    with zipfile.ZipFile(bomb, "a", zipfile.ZIP_DEFLATED) as package, package.open("xl/big.xml", "w") as out:
        for _ in range(260):
            out.write(b"x" * (1 << 20))
    response = upload(clerk, "units", "bomb.xlsx", bomb.getvalue())
    assert response.status_code == 400 and "解压后超过 256 MB" in response.text
    missing = clerk.post("/office/registry/import", data={"csrf": clerk.csrf, "kind": "units"})
    assert missing.status_code == 422


def test_edit_a_unit_errors_beside_the_field_then_saved_and_logged(server: ServerProcess, county: County,
                                                                   clerk: Console) -> None:
    before = units_in(county.db)
    one = sorted(before)[3]
    form = clerk.get(f"/office/units/{one}/edit").text
    version = re.search(r'name="version" value="([^"]+)"', form).group(1)
    bad = clerk.post_form(f"/office/units/{one}/edit", {**form_fields(before[one]), "complaints": "三次",
                                                        "name": "", "version": version})
    assert bad.status_code == 422
    assert re.search(r'id="f-complaints"[^>]*aria-invalid="true" aria-describedby="e-complaints"', bad.text)
    assert 'id="e-complaints" class="error" role="alert">投诉次数：应为整数，实为「三次」' in bad.text
    assert 'id="e-name" class="error" role="alert">单位名称：不能为空' in bad.text
    assert 'value="三次"' in bad.text                          # what was typed is kept
    assert units_in(county.db)[one] == before[one]
    risk = "D" if before[one]["risk"] != "D" else "A"
    good = clerk.post_form(f"/office/units/{one}/edit", {**form_fields(before[one]), "risk": risk,
                                                         "version": version})
    assert good.status_code == 303 and good.headers["location"].startswith(f"/office/units/{one}?done=")
    assert units_in(county.db)[one]["risk"] == risk
    entry = last_audit(county.db)
    assert (entry["kind"], entry["subject"], entry["by"], entry["before"], entry["after"]) == \
        ("registry.unit_edited", one, "office:" + CLERK, {"risk": before[one]["risk"]}, {"risk": risk})
    page = clerk.get(f"/office/units/{one}").text
    assert f"信用风险等级：{before[one]['risk']} → {risk}" in page
    stale = clerk.post_form(f"/office/units/{one}/edit", {**form_fields(before[one]), "version": version})
    assert stale.status_code == 409 and "已被其他人修改" in stale.text
    assert units_in(county.db)[one]["risk"] == risk


def test_add_a_unit_checks_its_credit_code(server: ServerProcess, county: County, clerk: Console) -> None:
    fields = {"name": "新单位", "address": "新路", "specialty": "public_places", "risk": "A", "covered": "是"}
    wrong = new_code(12)[:17] + ("0" if new_code(12)[17] != "0" else "1")
    bad = clerk.post_form("/office/units/new", {**fields, "id": wrong})
    assert bad.status_code == 422 and 'id="e-id" class="error" role="alert">统一社会信用代码：校验位错误或含有不允许的字符' in bad.text
    assert wrong not in units_in(county.db)
    good = clerk.post_form("/office/units/new", {**fields, "id": new_code(12)})
    assert good.status_code == 303 and units_in(county.db)[new_code(12)]["name"] == "新单位"
    assert (last_audit(county.db)["kind"], last_audit(county.db)["by"]) == ("registry.unit_added", "office:" + CLERK)


def officers_in(db: Target) -> dict[str, dict]:
    return {r["id"]: dict(r) for r in server_rows(db, "SELECT * FROM users WHERE role IN ('inspector', 'leader')")}


@pytest.mark.dates
def test_officer_edit_and_certificates_flagged_within_the_year(server: ServerProcess, county: County,
                                                               clerk: Console) -> None:
    people = officers_in(county.db)
    soon, late, gone = sorted(people)[:3]
    dates = {soon: days_from_today(300), late: days_from_today(400), gone: days_from_today(-1)}
    for officer_id, valid_until in dates.items():
        form = clerk.get(f"/office/officers/{officer_id}/edit").text
        values = dict(re.findall(r'<input id="f-(\w+)" name="\w+" type="(?:text|date)" value="([^"]*)"', form))
        values["role"] = "组长" if people[officer_id]["role"] == "leader" else "检查员"
        version = re.search(r'name="version" value="([^"]+)"', form).group(1)
        saved = clerk.post_form(f"/office/officers/{officer_id}/edit",
                                {**values, "cert_valid_until": valid_until.isoformat(), "version": version})
        assert saved.status_code == 303, saved.text[:800]
        assert officers_in(county.db)[officer_id]["cert_valid_until"] == valid_until.isoformat()
    entry = last_audit(county.db)
    assert (entry["kind"], entry["subject"], entry["after"]) == \
        ("registry.officer_edited", gone, {"cert_valid_until": dates[gone].isoformat()})
    listing = clerk.get("/office/officers").text
    for officer_id, flag in ((soon, "一年内到期"), (gone, "已过期")):
        row = re.search(rf'href="/office/officers/{officer_id}".*?</tr>', listing, re.S).group(0)
        assert flag in row
    late_row = re.search(rf'href="/office/officers/{late}".*?</tr>', listing, re.S).group(0)
    assert "cert-flag" not in late_row
    # Independently of the product: how many officers' certificates end within 365 days or before today.
    limit = days_from_today(365).isoformat()
    expected = sum(1 for p in officers_in(county.db).values() if p["cert_valid_until"] and p["cert_valid_until"] <= limit)
    flagged = clerk.get("/office/officers?expiring=1").text
    assert f"共 {expected} 名执法人员" in flagged and f'href="/office/officers/{late}"' not in flagged
    assert f"执法证将于 {dates[soon].isoformat()} 到期" in clerk.get(f"/office/officers/{soon}").text
    assert f"执法证已于 {dates[gone].isoformat()} 过期" in clerk.get(f"/office/officers/{gone}").text
    bad = clerk.post_form(f"/office/officers/{soon}/edit", {"name": "某人", "specialties": "烹饪",
                                                            "cert_valid_until": "2030-13-01", "version": "x"})
    assert bad.status_code == 409                                     # an old version: stale first


def test_item_versions_and_what_changed_between_them(server: ServerProcess, county: County, clerk: Console) -> None:
    version = server_rows(county.db, "SELECT max(version) AS v FROM items")[0]["v"]
    current = {r["code"]: dict(r) for r in server_rows(county.db, "SELECT * FROM items WHERE version = ?", version)}
    codes = sorted(current)
    kept, changed, removed = codes[0], codes[1], codes[2]
    header = ["事项编码", "事项名称", "专业", "依据", "主体", "内容", "方式", "频次", "适用范围"]

    def row(code: str, **over: object) -> list[object]:
        item = {**current[code], **over}
        return [item["code"], item["name"], item["specialty"], item["legal_basis"], item["subject"], item["content"],
                item["method"], item["frequency"], "、".join(json.loads(item["applies_to"]))]
    rows = [row(c) for c in codes if c not in (changed, removed)] + \
        [row(changed, legal_basis="《公共场所卫生管理条例》（2026年修订）"), ["NEW-1", "新事项", "公共场所", "新依据"]]
    location, page = previewed(clerk, "items", "items.xlsx", xlsx_bytes(rows, header))
    assert (count_of(page, "new"), count_of(page, "changed"), count_of(page, "removed")) == (1, 1, 1)
    assert count_of(page, "unchanged") == len(codes) - 2
    done = clerk.post_form(location + "/apply", {"sha256": sha_of(page)})
    assert done.status_code == 303 and done.headers["location"].startswith("/office/items?done=")
    assert server_rows(county.db, "SELECT imported_by FROM item_list_versions WHERE version = ?",
                       version + 1)[0]["imported_by"] == "office:" + CLERK
    listing = clerk.get("/office/items").text
    assert f"第 {version + 1} 版</a>（现行）" in listing and "office:" + CLERK in listing
    diff = clerk.get(f"/office/items/diff?from={version}&to={version + 1}").text
    assert "新增 1 项，删除 1 项，修改 1 项" in diff
    assert "NEW-1" in diff and removed in diff and "（2026年修订）" in diff and kept not in diff
    assert clerk.get(f"/office/items/diff?from={version}&to={version}").status_code == 400


def test_search_units_by_name_code_and_town(server: ServerProcess, county: County, clerk: Console) -> None:
    units = units_in(county.db)
    some = sorted(units)[5]
    found = clerk.get("/office/units", params={"q": units[some]["name"]}).text
    expected = sum(1 for u in units.values() if units[some]["name"] in u["name"] or units[some]["name"] in u["address"])
    assert f"共 {expected} 家单位" in found and f'href="/office/units/{some}"' in found
    by_code = clerk.get("/office/units", params={"q": some.lower()}).text
    assert "共 1 家单位" in by_code and f'href="/office/units/{some}"' in by_code
    town = units[some]["town"]
    in_town = sum(1 for u in units.values() if u["town"] == town)
    assert f"共 {in_town} 家单位" in clerk.get("/office/units", params={"town": town}).text


def test_the_auditor_sees_and_may_change_nothing(server: ServerProcess, county: County, auditor: Console) -> None:
    units, people = units_in(county.db), officers_in(county.db)
    one, person = sorted(units)[0], sorted(people)[0]
    for path in ("/office/registry", "/office/units", f"/office/units/{one}", "/office/officers",
                 f"/office/officers/{person}", "/office/items"):
        page = auditor.get(path)
        assert page.status_code == 200, path
        assert "修改</a>" not in page.text and "上传并预览" not in page.text
    for path in (f"/office/units/{one}/edit", f"/office/officers/{person}/edit", "/office/units/new"):
        assert auditor.get(path).status_code == 403
    refused = upload(auditor, "units", "u.csv", csv_bytes([[new_code(13), "单位", "路", "公共场所", "A", ""]]))
    assert refused.status_code == 403 and "审核员" in refused.text
    assert auditor.post_form(f"/office/units/{one}/edit", {**form_fields(units[one]), "name": "改"}).status_code == 403
    assert auditor.post_form("/office/units/new", {"id": new_code(14), "name": "x"}).status_code == 403
    assert units_in(county.db) == units and officers_in(county.db) == people
    assert server_rows(county.db, "SELECT count(*) AS n FROM registry_staged_imports")[0]["n"] == 0
