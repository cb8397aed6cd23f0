"""Tasks handed down by a higher level (国抽、省抽、市抽), on real SQLite files: recorded with their
origin and the upper level's units (from a real .csv or .xlsx), their visits placed with the
county's officers; the county's own draws of the same plan year leave those units out, with the
reason frozen at the announcement and published, while the announcement, reveal and result still
verify with the standalone verifier (DRAW_SPEC.md, unchanged bytes). Refusals keep nothing.
Then the console form and the public pages over real HTTP on the seeded county."""
from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from sync_server.cli import main as cli
from sync_server.db.connection import open_db, transaction
from sync_server.errors import BadRequest, Conflict
from sync_server.planning import draws, handed_down, plans
from sync_server.planning.core.handed_down import UnitRow
from sync_server.registry import queries as registry
from sync_server.accounts.queries import users
from sync_server.xlsx.writer import Book, Sheet
from tests.integration.conftest import County
from tests.support.office import ADMIN, CLERK, signed_in
from tests.support.server import ServerProcess

ROOT = Path(__file__).resolve().parents[2]
UNITS = [f"12369921MB{n:07d}X" for n in range(12)]     # twelve medical units, all covered
PROVINCE = handed_down.HandedDown("province", "山东省卫生健康委员会", "鲁卫〔2026〕省抽3号", "鲁卫监督发〔2026〕5号",
                                  2026, "省级医疗机构随机抽查", ("medical",), "2026-09-01", "2026-12-31")


def small_county(path: Path) -> sqlite3.Connection:
    conn = open_db(path)
    now = "2026-08-01T00:00:00.000Z"
    unit = {"address": "城关镇和平路1号", "category": "诊所", "risk": "B", "complaints": 0, "serious_violations": 0,
            "covered": True, "contact": "张", "phone": "", "town": "城关镇", "specialty": "medical", "tags": []}
    with transaction(conn):
        registry.upsert_units(conn, [{**unit, "id": uid, "name": f"诊所{n}"} for n, uid in enumerate(UNITS)], now)
        users.upsert_users(conn, [{"id": f"P{i}", "name": f"检查员{i}", "role": "inspector", "department": "",
                                   "specialties": ["medical"], "cert_valid_until": "2099-12-31", "phone": ""}
                                  for i in range(4)], now)
        users.upsert_users(conn, [{"id": "L1", "name": "领导", "role": "leader", "department": "",
                                   "specialties": [], "cert_valid_until": "2099-12-31", "phone": ""}], now)
        registry.upsert_items(conn, [{"code": "YL-001", "name": "执业许可", "specialty": "medical", "legal_basis": "依据",
                                      "subject": "", "content": "", "method": "", "frequency": ""}], version=1)
    return conn


@pytest.fixture
def conn(tmp_path: Path):
    connection = small_county(tmp_path / "county.db")
    yield connection
    connection.close()


def csv_list(path: Path, rows: list[tuple[str, str]]) -> Path:
    path.write_text("统一社会信用代码,单位名称,检查人员\n" + "".join(f"{u},某单位,{t}\n" for u, t in rows), encoding="utf-8")
    return path


def hand_down(conn: sqlite3.Connection, spec: handed_down.HandedDown, units: list[UnitRow],
              team: tuple[str, ...] = ("P0", "P1")) -> dict:
    with transaction(conn):
        return handed_down.record(conn, spec, units, team, by="office:clerk")


def own_task(conn: sqlite3.Connection, number: str, year: int = 2026) -> None:
    with transaction(conn):
        plans.add_task(conn, plans.TaskSpec(year, number, number, ("medical",), f"{year}-10-01", f"{year}-12-31", 50))


def draw_now(conn: sqlite3.Connection, number: str) -> None:
    with transaction(conn):
        made = draws.announce(conn, number, "beacon", "2026-10-20T00:00:00.000Z", [], now="2026-10-10T00:00:00.000Z")
        draws.reveal(conn, number, "42", [made["office_nonce"]], now="2026-10-20T00:00:00.000Z")
        draws.run(conn, number, now="2026-10-20T00:00:00.000Z")


def test_a_handed_down_task_is_recorded_with_its_origin_units_and_visits(conn, tmp_path: Path) -> None:
    listing = csv_list(tmp_path / "省抽名单.csv", [(UNITS[0], "P2、P3"), (UNITS[1], ""), (UNITS[2].lower(), "")])
    made = hand_down(conn, PROVINCE, handed_down.read_units(listing))
    task = conn.execute("SELECT * FROM tasks WHERE id = ?", (made["id"],)).fetchone()
    assert (task["state"], task["origin"], task["origin_office"], task["origin_number"], task["origin_document"]) == \
        ("handed_down", "province", "山东省卫生健康委员会", "鲁卫〔2026〕省抽3号", "鲁卫监督发〔2026〕5号")
    assert task["number"] == "鲁卫〔2026〕省抽3号"   # no county number given: the upper one
    assert [r[0] for r in conn.execute("SELECT unit_id FROM handed_down_units WHERE task_id = ? ORDER BY unit_id",
                                       (made["id"],))] == UNITS[:3]
    teams = {}
    for unit, doc in conn.execute("SELECT unit_id, doc FROM assignments"):
        doc = json.loads(doc)
        teams[unit] = [m["id"] for m in doc["team"]]
        assert [t["number"] for t in doc["tasks"]] == ["鲁卫〔2026〕省抽3号"] and doc["items"][0]["code"] == "YL-001"
    assert teams == {UNITS[0]: ["P2", "P3"], UNITS[1]: ["P0", "P1"], UNITS[2]: ["P0", "P1"]}
    logged = [json.loads(r[0]) for r in conn.execute("SELECT entry FROM audit_log WHERE kind = 'task.handed_down'")]
    assert len(logged) == 1 and '"units":3' in json.dumps(logged[0], separators=(",", ":"))
    with pytest.raises(Conflict) as refused:
        with transaction(conn):
            draws.announce(conn, made["id"], "beacon", "2026-12-20T00:00:00.000Z", [], now="2026-12-01T00:00:00.000Z")
    assert refused.value.code == "handed_down.no_draw"
    for change in (lambda: plans.exclude_unit(conn, made["id"], UNITS[5], "other", "x"),
                   lambda: plans.recuse(conn, made["id"], "P0", UNITS[1], "recusal"),
                   lambda: plans.redraw(conn, made["id"], "新编号", "理由")):
        with pytest.raises(Conflict) as refused:
            with transaction(conn):
                change()
        assert refused.value.code == "handed_down.no_draw"


def test_own_draws_of_the_year_leave_handed_down_units_out_and_publish_why(conn, tmp_path: Path) -> None:
    handed = UNITS[3:6]
    hand_down(conn, PROVINCE, [UnitRow(0, u, ()) for u in handed])
    own_task(conn, "云溪卫〔2026〕随抽15号")
    view = plans.task_view(conn, "云溪卫〔2026〕随抽15号")
    assert view["preview"]["strata"][0].population == len(UNITS)
    assert view["preview"]["strata"][0].eligible == len(UNITS) - len(handed)
    assert [(e["unit_id"], e["reason"], e["handed_down"]) for e in view["exclusions"]] == \
        [(u, "higher_level_sampling", True) for u in handed]
    assert all("省抽" in e["note"] and "鲁卫〔2026〕省抽3号" in e["note"] for e in view["exclusions"])
    other = [u for u in UNITS if u not in handed]

    draw_now(conn, "云溪卫〔2026〕随抽15号")
    task_id = plans.task_by_key(conn, "云溪卫〔2026〕随抽15号")["id"]
    files = draws.published_files(conn, task_id)
    announcement = json.loads(files["announcement.json"])
    assert [u["id"] for u in announcement["units"]] == other
    frozen = conn.execute("SELECT unit_id, reason, note FROM task_exclusions WHERE task_id = ? ORDER BY unit_id",
                          (task_id,)).fetchall()
    assert [(r[0], r[1]) for r in frozen] == [(u, "higher_level_sampling") for u in handed]
    result = json.loads(files["result.json"])
    assert {p["unit"] for p in result["selected"] + result["unmatched"]} <= set(other)
    for name, body in files.items():
        (tmp_path / name).write_bytes(body)
    verified = subprocess.run([sys.executable, str(ROOT / "verifier" / "ssj_verify.py"),
                               *(str(tmp_path / n) for n in ("announcement.json", "reveal.json", "result.json"))],
                              capture_output=True, text=True)
    assert verified.returncode == 0, verified.stdout + verified.stderr

    # handed down after the announcement: the announced task's published exclusions stay as they were
    hand_down(conn, handed_down.HandedDown("national", "国家卫生健康委", "国卫〔2026〕国抽1号", "", 2026, "国家抽查",
                                           ("medical",), "2026-11-01", "2026-12-31"), [UnitRow(0, UNITS[11], ())])
    assert conn.execute("SELECT count(*) FROM task_exclusions WHERE task_id = ?", (task_id,)).fetchone()[0] == 3
    assert [e["unit_id"] for e in plans.task_view(conn, task_id)["exclusions"]] == handed


def test_another_years_draw_keeps_the_units(conn) -> None:
    hand_down(conn, PROVINCE, [UnitRow(0, u, ()) for u in UNITS[:4]])
    own_task(conn, "云溪卫〔2027〕随抽1号", 2027)
    view = plans.task_view(conn, "云溪卫〔2027〕随抽1号")
    assert view["preview"]["strata"][0].eligible == len(UNITS) and view["exclusions"] == []
    made = plans.preview(conn, ("medical",), 50, year=2026)   # the new-task form's preview of 2026
    assert made["strata"][0].eligible == len(UNITS) - 4


@pytest.mark.parametrize("rows, team, expected", [
    ([(UNITS[0], ""), ("NOSUCHUNIT0000000X", "")], ("P0", "P1"), "第 3 行：名录库中没有该单位 NOSUCHUNIT0000000X"),
    ([(UNITS[0], "P0")], ("P0", "P1"), "第 2 行：检查组 1 人，少于 2 人"),
    ([(UNITS[0], "P0、L1")], (), "第 2 行：L1 不是在岗且执法证在任务期限内有效的执法人员"),
    ([(UNITS[0], ""), (UNITS[0], "")], ("P0", "P1"), "第 3 行：单位 " + UNITS[0] + " 与第 2 行重复"),
])
def test_a_bad_list_is_refused_whole_with_its_rows(conn, tmp_path: Path, rows, team, expected) -> None:
    before = conn.execute("SELECT (SELECT count(*) FROM tasks), (SELECT count(*) FROM assignments)").fetchone()
    with pytest.raises(BadRequest) as refused:
        hand_down(conn, PROVINCE, handed_down.read_units(csv_list(tmp_path / "list.csv", rows)), team)
    assert refused.value.code == "handed_down.bad_list" and expected in refused.value.message_zh
    assert conn.execute("SELECT (SELECT count(*) FROM tasks), (SELECT count(*) FROM assignments)").fetchone() == before


def test_no_origin_or_office_is_refused(conn, tmp_path: Path) -> None:
    for spec, code in ((PROVINCE.__class__(**{**PROVINCE.__dict__, "origin": "county"}), "handed_down.origin"),
                       (PROVINCE.__class__(**{**PROVINCE.__dict__, "office": " "}), "handed_down.office")):
        with pytest.raises(BadRequest) as refused:
            hand_down(conn, spec, [UnitRow(0, UNITS[0], ())])
        assert refused.value.code == code and refused.value.message_zh
    (tmp := tmp_path / "nocolumn.csv").write_text("名称\n某单位\n", encoding="utf-8")
    with pytest.raises(BadRequest) as refused:
        handed_down.read_units(tmp)
    assert "统一社会信用代码" in refused.value.message_zh


def test_the_cli_records_a_list_from_a_workbook(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "county.db"
    small_county(db).close()
    book = tmp_path / "国抽名单.xlsx"
    Book([Sheet("名单", [["统一社会信用代码", "检查人员"], [UNITS[7], "P2,P3"], [UNITS[8], ""]])]).save(book)
    code = cli(["plan", "handed-down", "--db", str(db), "--origin", "national", "--issued-by", "国家卫生健康委",
                "--upper-number", "国卫〔2026〕国抽2号", "--year", "2026", "--title", "国家随机抽查",
                "--specialty", "medical", "--period", "2026-09-01:2026-12-31", "--units", str(book), "--team", "P0,P1"])
    assert code == 0 and "国家随机抽查任务（国抽）" in capsys.readouterr().out
    check = sqlite3.connect(db)
    assert check.execute("SELECT origin, state FROM tasks").fetchall() == [("national", "handed_down")]
    assert dict(check.execute("SELECT unit_id, count(*) FROM assignments GROUP BY unit_id")) == {UNITS[7]: 1, UNITS[8]: 1}
    check.close()


# --- over real HTTP: the console's form, the public pages ---------------------------------------------

def test_console_form_and_public_pages(county: County, tmp_path: Path) -> None:
    seeded = sqlite3.connect(county.db)
    units = [r[0] for r in seeded.execute("SELECT id FROM units WHERE specialty = 'medical' AND covered = 1"
                                          " AND id NOT IN (SELECT unit_id FROM assignments) ORDER BY id LIMIT 2")]
    officers = [r[0] for r in seeded.execute("SELECT id FROM users WHERE role = 'inspector' AND active = 1"
                                             " AND cert_valid_until >= '2026-12-31' ORDER BY id LIMIT 2")]
    seeded.close()
    listing = ("统一社会信用代码\n" + "\n".join(units) + "\n").encode()
    server = ServerProcess(county.db).start()
    try:
        with signed_in(server.url, CLERK) as web:
            fields = {"csrf": web.csrf, "origin": "province", "office": "山东省卫生健康委员会",
                      "upper_number": "鲁卫〔2026〕省抽9号", "document": "", "number": "", "title": "省级抽查",
                      "specialty": "medical", "period_start": "2026-09-01", "period_end": "2026-12-31",
                      "team_size": "2", "team": "、".join(officers)}
            bad = web.post("/office/tasks/handed-down?year=2026", data={**fields, "origin": ""},
                           files={"file": ("名单.csv", listing, "text/csv")})
            assert bad.status_code == 422 and "请选择任务来源" in bad.text
            made = web.post("/office/tasks/handed-down?year=2026", data=fields,
                            files={"file": ("名单.csv", listing, "text/csv")})
            assert made.status_code == 303, made.text[:2000]
            page = web.get(made.headers["location"])
            assert "上级下达" in page.text and "山东省卫生健康委员会" in page.text
            assert all(u in page.text for u in units)
            task_id = re.search(r"/office/tasks/([^/?#]+)", made.headers["location"]).group(1)
        own = open_db(county.db)   # an own task of 2026 planned beside the running server: the units are left out
        with transaction(own):
            plans.add_task(own, plans.TaskSpec(2026, "本级新任务", "本级新任务", ("medical",), "2026-12-01", "2026-12-31"))
        own.close()
        with signed_in(server.url, ADMIN) as web:
            page = web.get("/office/tasks/本级新任务")
            assert page.status_code == 200
            assert all(u in page.text for u in units) and page.text.count("上级任务，不可撤销") == len(units)
            assert "鲁卫〔2026〕省抽9号" in page.text
        public = httpx.get(f"{server.url}/public/tasks/{task_id}", timeout=30)
        assert public.status_code == 200
        assert "来源：省级随机抽查任务（省抽）" in public.text and "鲁卫〔2026〕省抽9号" in public.text
        assert all(u in public.text for u in units)
        plan = httpx.get(f"{server.url}/public/plans/2026", timeout=30)
        assert "省抽" in plan.text
    finally:
        server.stop()


# --- on a platform: a city hands a task down to its county, which names the team -------------------

def test_a_city_hands_a_task_down_to_its_county(tmp_path: Path) -> None:
    from sync_server.db.connection import office_target
    from sync_server.platform import databases, service as platform_service
    from tests.support.office import make_account

    root = tmp_path / "server.db"
    conn = open_db(root)
    with transaction(conn):
        offices = [platform_service.add_office(conn, "370000", "山东省卫生健康委员会", "province"),
                   platform_service.add_office(conn, "370300", "淄博市卫生健康委员会", "city", "370000"),
                   platform_service.add_office(conn, "370323", "沂源县卫生健康局", "county", "370300")]
        for office in offices[1:]:
            databases.provision(root, office)
    conn.close()
    county_db, city_db = office_target(root, "370323"), office_target(root, "370300")
    small_county(county_db).close()
    make_account(city_db, "zibo", "admin")
    make_account(county_db, "yiyuan", "clerk")
    listing = ("统一社会信用代码\n" + "\n".join(UNITS[:3]) + "\n").encode()
    fields = {"upper_number": "淄卫〔2026〕市抽2号", "document": "淄卫监督发〔2026〕9号", "title": "市级医疗机构抽查",
              "specialty": "medical", "period_start": "2026-09-01", "period_end": "2026-12-31", "team_size": "2"}
    server = ServerProcess(root).start()
    try:
        with signed_in(server.url + "/o/370300", "zibo") as web:
            assert "/o/370300/office/tasks/hand-down" in web.get("/office/tasks?year=2026").text
            upload = {"file": ("名单.csv", listing, "text/csv")}
            above = web.post("/office/tasks/hand-down?year=2026", data={"csrf": web.csrf, **fields, "child": "370000"},
                             files=upload)
            assert above.status_code == 422 and "请选择下级机构" in above.text   # only an office below this one
            made = web.post("/office/tasks/hand-down?year=2026", data={"csrf": web.csrf, **fields, "child": "370323"},
                            files=upload)
            assert made.status_code == 303, made.text[:2000]
        county = sqlite3.connect(county_db)
        task = county.execute("SELECT id, origin, origin_office, origin_number, state FROM tasks").fetchone()
        assert task[1:] == ("city", "淄博市卫生健康委员会", "淄卫〔2026〕市抽2号", "handed_down")
        assert county.execute("SELECT count(*) FROM assignments").fetchone()[0] == 0   # the county names the team
        entry = json.loads(county.execute("SELECT entry FROM audit_log WHERE kind = 'task.handed_down'").fetchone()[0])
        assert '"from_office":"370300"' in json.dumps(entry, separators=(",", ":"))
        county.close()
        city = sqlite3.connect(city_db)
        assert city.execute("SELECT count(*) FROM audit_log WHERE kind = 'task.handed_down_to'").fetchone()[0] == 1
        assert city.execute("SELECT count(*) FROM tasks").fetchone()[0] == 0   # nothing of the county's in the city's
        city.close()
        with signed_in(server.url + "/o/370323", "yiyuan") as web:
            page = web.get(f"/office/tasks/{task[0]}")
            assert "待安排检查组（3 户）" in page.text and "来源：市级随机抽查任务（市抽）" in page.text
            short = web.post(f"/office/tasks/{task[0]}/arrange", data={"csrf": web.csrf, "team": "P0"})
            assert short.status_code == 422 and "少于 2 人" in short.text
            done = web.post(f"/office/tasks/{task[0]}/arrange", data={"csrf": web.csrf, "team": "P0、P1"})
            assert done.status_code == 303
            assert web.get("/office/tasks/hand-down").status_code == 404   # a county has no office below it
        county = sqlite3.connect(county_db)
        assert sorted(r[0] for r in county.execute("SELECT unit_id FROM assignments")) == UNITS[:3]
        county.close()
    finally:
        server.stop()
