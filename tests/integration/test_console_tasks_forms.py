"""The console's 抽查任务 section over real HTTP on the seeded county: the year's tasks, a new task
with its preview and the band's refusal beside the field, exclusions refused once the task is
announced (a stale form), reassigning a visit followed by the tablets through the feed, and the
roles."""
from __future__ import annotations

import html
import json
import re
import sqlite3
from pathlib import Path

import pytest

from schemas import clock
from sync_server.db.connection import open_db, transaction
from sync_server.planning import draws
from tests.support.engine import Target
from tests.integration.conftest import server_rows
from tests.support.office import ADMIN, AUDITOR, CLERK, signed_in
from tests.support.records import queue_record, record

YEAR = "2026"
WEIGHTS = {"weight_A": "1", "weight_B": "2", "weight_C": "4", "weight_D": "8"}


@pytest.fixture
def sign_in(server):
    """Signed-in console clients, closed after the test."""
    made = []

    def make(username: str = ADMIN):
        made.append(signed_in(server.url, username))
        return made[-1]

    yield make
    for client in made:
        client.close()


def task_form(number: str, **changes: object) -> dict:
    return {"number": number, "title": "测试专项抽查", "specialties": ["public_places"], "period_start": "2026-11-01",
            "period_end": "2026-12-31", "ratio_percent": "", "risk": "weighted", **WEIGHTS, "team_size": "2",
            "action": "save", **changes}


def text_of(page: str) -> str:
    main = page[page.index("<main"):]
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", main)))


def error_beside(page: str, field: str) -> str:
    found = re.search(rf'<small id="e-{field}" class="error" role="alert">([^<]*)</small>', page)
    assert found, f"no error beside {field}"
    return html.unescape(found.group(1))


def population(db: Target, specialty: str, name: str) -> int:
    """Covered units of a specialty, by their own specialty or a tag naming it (DOMAIN.md)."""
    rows = server_rows(db, "SELECT specialty, tags FROM units WHERE covered = 1")
    return sum(1 for r in rows if r["specialty"] == specialty or name in json.loads(r["tags"]))


def created_task(db: Target, number: str) -> sqlite3.Row:
    (row,) = server_rows(db, "SELECT * FROM tasks WHERE number = ?", number)
    return row


def test_the_year_lists_its_tasks_with_their_states(sign_in, server, county) -> None:
    console = sign_in()
    page = console.get(f"/office/tasks?year={YEAR}")
    assert page.status_code == 200
    tasks = server_rows(county.db, "SELECT id, number, state FROM tasks")
    states = {"planned": "已计划", "announced": "已公告", "revealed": "已揭示", "drawn": "已抽取"}
    body = text_of(page.text)
    for task in tasks:
        assert f'href="/office/tasks/{task["id"]}/draw"' in page.text
        assert re.search(re.escape(task["number"]) + r".*?" + states[task["state"]], body)
    assert f"共 {len(tasks)} 项任务" in body
    assert "2025 年度还没有抽查任务" in text_of(console.get("/office/tasks?year=2025").text)


def test_a_new_task_previews_its_population_and_keeps_the_ratio_inside_the_band(sign_in, server, county) -> None:
    console = sign_in()
    places, schools = population(county.db, "public_places", "公共场所"), population(county.db, "school", "学校卫生")
    assert 100 < places <= 200 and 20 < schools <= 50, "the seeded county's sizes (bands 10–15% and 30–40%)"
    preview = console.post_form(f"/office/tasks/new?year={YEAR}",
                                task_form("测试〔2026〕1号", specialties=["public_places", "school"], action="preview"))
    assert preview.status_code == 200
    body = text_of(preview.text)
    assert f"公共场所 {places} {places} 10%–15% {-(-places * 10 // 100)}" in body
    assert f"学校卫生 {schools} {schools} 30%–40% {-(-schools * 30 // 100)}" in body
    assert "范围互不重叠" in body, "no one ratio fits both bands"
    assert server_rows(county.db, "SELECT count(*) AS n FROM tasks WHERE number = '测试〔2026〕1号'")[0]["n"] == 0

    outside = console.post_form(f"/office/tasks/new?year={YEAR}", task_form("测试〔2026〕1号", ratio_percent="20"))
    assert outside.status_code == 422
    assert "超出" in error_beside(outside.text, "ratio_percent") and "10%–15%" in error_beside(outside.text, "ratio_percent")
    assert 'value="测试〔2026〕1号"' in outside.text, "what was typed stays"
    bad = console.post_form(f"/office/tasks/new?year={YEAR}",
                            task_form("", specialties=[], period_end="2026-10-01", team_size="1", risk="weighted",
                                      weight_A="0"))
    assert bad.status_code == 422
    for field in ("number", "specialties", "period_end", "team_size", "risk"):
        assert error_beside(bad.text, field)
    assert server_rows(county.db, "SELECT count(*) AS n FROM tasks WHERE number = '测试〔2026〕1号'")[0]["n"] == 0

    saved = console.post_form(f"/office/tasks/new?year={YEAR}", task_form("测试〔2026〕1号", ratio_percent="15"),
                              follow_redirects=False)
    assert saved.status_code == 303
    task = created_task(county.db, "测试〔2026〕1号")
    assert saved.headers["location"].startswith(f"/office/tasks/{task['id']}?done=")
    assert (task["state"], task["ratio_percent"], task["team_size"], json.loads(task["risk_weights"])) == \
        ("planned", 15, 2, {"A": 1, "B": 2, "C": 4, "D": 8})
    assert json.loads(task["strata"])[0]["n"] == -(-places * 15 // 100)
    (entry,) = server_rows(county.db, "SELECT entry FROM audit_log WHERE kind = 'task.created' AND subject = ?", task["id"])
    assert json.loads(entry["entry"])["by"] == "office:zhangwei"
    again = console.post_form(f"/office/tasks/new?year={YEAR}", task_form("测试〔2026〕1号"))
    assert again.status_code == 422 and "已存在" in error_beside(again.text, "number")


def test_exclusions_while_planned_then_refused_as_stale_after_the_announcement(sign_in, server, county) -> None:
    console = sign_in()
    console.post_form(f"/office/tasks/new?year={YEAR}", task_form("测试〔2026〕2号"))
    task = created_task(county.db, "测试〔2026〕2号")
    unit, other = [r["id"] for r in server_rows(county.db, "SELECT id FROM units WHERE specialty = 'public_places'"
                                                " AND covered = 1 ORDER BY id LIMIT 2")]
    school = server_rows(county.db, "SELECT id, tags FROM units WHERE specialty = 'school'")
    outsider = next(r["id"] for r in school if "公共场所" not in json.loads(r["tags"]))
    path = f"/office/tasks/{task['id']}/exclusions"
    done = console.post_form(path, {"version": "planned", "unit": unit, "reason": "higher_level_sampling",
                                    "note": "已列入省级抽查"}, follow_redirects=False)
    assert done.status_code == 303
    page = console.get(f"/office/tasks/{task['id']}")
    assert unit in page.text and "已列入国家/省/市本年度抽查" in text_of(page.text)
    offered = re.findall(r'<option value="([0-9A-Z]{18})">', page.text.split('<datalist id="population">')[1]
                         .split("</datalist>")[0])
    assert other in offered and unit not in offered, "the population less the exclusions, to pick from"
    assert len(offered) == population(county.db, "public_places", "公共场所") - 1
    excluded = server_rows(county.db, "SELECT unit_id, reason, note FROM task_exclusions WHERE task_id = ?", task["id"])
    assert [tuple(r) for r in excluded] == [(unit, "higher_level_sampling", "已列入省级抽查")]
    wrong = console.post_form(path, {"version": "planned", "unit": outsider, "reason": "other", "note": "x"})
    assert wrong.status_code == 422 and "不在本任务的抽查名录内" in error_beside(wrong.text, "unit")
    no_note = console.post_form(path, {"version": "planned", "unit": other, "reason": "other", "note": ""})
    assert no_note.status_code == 422 and error_beside(no_note.text, "note")

    recusal = {"version": "planned", "inspector": county.inspector, "recusal_unit": other, "recusal_reason": "recusal"}
    assert console.post_form(f"/office/tasks/{task['id']}/recusals", recusal, follow_redirects=False).status_code == 303
    assert [tuple(r) for r in server_rows(county.db, "SELECT inspector_id, unit_id, reason FROM draw_exclusions"
                                                     " WHERE task_id = ?", task["id"])] == [(county.inspector, other, "recusal")]
    unknown = console.post_form(f"/office/tasks/{task['id']}/recusals", {**recusal, "inspector": "nobody"})
    assert unknown.status_code == 422 and "执法人员库中没有" in error_beside(unknown.text, "inspector")
    withdrawn = console.post_form(f"/office/tasks/{task['id']}/recusals/withdraw", {
        "version": "planned", "inspector": county.inspector, "unit": other}, follow_redirects=False)
    assert withdrawn.status_code == 303
    assert server_rows(county.db, "SELECT * FROM draw_exclusions WHERE task_id = ?", task["id"]) == []
    kinds = [r["kind"] for r in server_rows(county.db, "SELECT kind FROM audit_log WHERE subject = ? ORDER BY idx",
                                            task["id"])]
    assert kinds == ["task.created", "task.unit_excluded", "task.inspector_excluded",
                     "task.inspector_exclusion_withdrawn"]
    twice = console.post_form(f"/office/tasks/{task['id']}/exclusions/withdraw", {"version": "planned", "unit": other})
    assert twice.status_code == 409 and "不在本任务的排除名单中" in text_of(twice.text)

    conn = open_db(county.db)   # someone announces the task while the page is open
    try:
        with transaction(conn):
            draws.announce(conn, task["id"], "双色球", "2026-10-20T12:00:00Z", [], now="2026-10-10T02:00:00Z")
    finally:
        conn.close()
    stale = console.post_form(path, {"version": "planned", "unit": other, "reason": "higher_level_sampling", "note": ""})
    assert stale.status_code == 409 and "已公告" in text_of(stale.text) and "未生效" in text_of(stale.text)
    late = console.post_form(f"/office/tasks/{task['id']}/recusals", recusal)
    assert late.status_code == 409
    undo = console.post_form(f"/office/tasks/{task['id']}/exclusions/withdraw", {"version": "planned", "unit": unit})
    assert undo.status_code == 409 and "已公告" in text_of(undo.text)
    assert len(server_rows(county.db, "SELECT * FROM task_exclusions WHERE task_id = ?", task["id"])) == 1
    assert server_rows(county.db, "SELECT * FROM draw_exclusions WHERE task_id = ?", task["id"]) == []
    assert 'action="/office/tasks/' + task["id"] + '/exclusions"' not in console.get(f"/office/tasks/{task['id']}").text

    redraw = console.post_form(f"/office/tasks/{task['id']}/redraw", {"number": "测试〔2026〕2号（重抽）",
                                                                      "redraw_reason": "开奖推迟"},
                               follow_redirects=False)
    assert redraw.status_code == 303
    new = created_task(county.db, "测试〔2026〕2号（重抽）")
    assert (new["redraw_of"], new["reason"], new["state"]) == (task["id"], "开奖推迟", "planned")
    empty = console.post_form(f"/office/tasks/{task['id']}/redraw", {"number": "x", "redraw_reason": " "})
    assert empty.status_code == 422 and "理由" in error_beside(empty.text, "redraw_reason")


def _replaceable_visit(db: Target) -> tuple[dict, str]:
    """A single-task visit with no record, and an officer who may take a place in it (derived here
    from the registry: an active inspector of the task's specialty, certificate valid through the
    visit, not on the team, not recused)."""
    today = clock.now().date().isoformat()
    rows = server_rows(db, "SELECT a.id, a.doc, t.specialty, t.id AS task_id FROM assignments a"
                           " JOIN assignment_tasks x ON x.assignment_id = a.id JOIN tasks t ON t.id = x.task_id"
                           " WHERE a.status = 'open' AND NOT EXISTS (SELECT 1 FROM records r WHERE r.assignment_id = a.id)"
                           " AND (SELECT count(*) FROM assignment_tasks y WHERE y.assignment_id = a.id) = 1 ORDER BY a.seq")
    people = server_rows(db, "SELECT id, specialties, cert_valid_until FROM users WHERE role = 'inspector' AND active = 1")
    for row in rows:
        doc = json.loads(row["doc"])
        team = {m["id"] for m in doc["team"]}
        recused = {r["inspector_id"] for r in server_rows(
            db, "SELECT inspector_id FROM draw_exclusions WHERE task_id = ? AND unit_id = ?", row["task_id"],
            doc["unit"]["id"])}
        for person in people:
            if (person["id"] not in team | recused and row["specialty"] in json.loads(person["specialties"])
                    and (person["cert_valid_until"] or "") >= max(today, doc["due"])):
                return doc, person["id"]
    raise AssertionError("the seeded county has a visit someone could take over")


def open_ids(tablet) -> set[str]:
    return {a["id"] for a in tablet.store.list_assignments() if a.get("status", "open") == "open"}


@pytest.mark.dates   # which certificates are still valid depends on today
def test_reassign_and_the_tablets_follow_through_the_feed(sign_in, server, county, make_device) -> None:
    doc, replacement = _replaceable_visit(county.db)
    out, stays = doc["team"][0]["id"], doc["team"][1]["id"]
    old_tablet, new_tablet = make_device(out, "旧平板"), make_device(replacement, "新平板")
    old_tablet.sync(), new_tablet.sync()
    assert doc["id"] in open_ids(old_tablet) and doc["id"] not in open_ids(new_tablet)

    console = sign_in()
    page = console.get(f"/office/tasks/visits/{doc['id']}")
    assert page.status_code == 200 and f'<option value="{replacement}"' in page.text
    no_specialty = next(r["id"] for r in server_rows(county.db, "SELECT id, specialties FROM users"
                                                                 " WHERE role = 'inspector'")
                        if doc["tasks"] and r["id"] not in {m["id"] for m in doc["team"]}
                        and server_rows(county.db, "SELECT specialty FROM tasks WHERE id = ?",
                                        doc["tasks"][0]["id"])[0]["specialty"] not in json.loads(r["specialties"]))
    refused = console.post_form(f"/office/tasks/visits/{doc['id']}/reassign", {
        "version": str(doc["version"]), "replaced": out, "replacement": no_specialty, "reason": "illness", "note": ""})
    assert refused.status_code == 422 and "不具备本次检查所需的专业" in error_beside(refused.text, "replacement")

    done = console.post_form(f"/office/tasks/visits/{doc['id']}/reassign", {
        "version": str(doc["version"]), "replaced": out, "replacement": replacement, "reason": "illness",
        "note": "住院治疗"}, follow_redirects=False)
    assert done.status_code == 303, done.text[:500]
    assert "住院治疗" in console.get(done.headers["location"]).text
    stale = console.post_form(f"/office/tasks/visits/{doc['id']}/reassign", {
        "version": str(doc["version"]), "replaced": stays, "replacement": out, "reason": "illness", "note": ""})
    assert stale.status_code == 409 and "刷新" in text_of(stale.text)

    assert old_tablet.sync().error is None and new_tablet.sync().error is None
    assert doc["id"] not in open_ids(old_tablet), "the officer taken off no longer has the visit to do"
    assert old_tablet.store.get_assignment(doc["id"])["status"] == "cancelled"
    assert doc["id"] in open_ids(new_tablet)
    mine = new_tablet.store.get_assignment(doc["id"])
    assert [m["id"] for m in mine["team"]] == [replacement, stays] and mine["version"] == doc["version"] + 1
    (entry,) = server_rows(county.db, "SELECT entry FROM audit_log WHERE kind = 'visit.reassigned'")
    facts = json.loads(entry["entry"])
    assert (facts["by"], facts["replaced"], facts["replacement"], facts["note"]) == \
        ("office:zhangwei", out, replacement, "住院治疗")

    # the new team inspects; from then on the visit's team is what signed, and stays
    queue_record(new_tablet, record(mine, [replacement, stays]))
    assert new_tablet.sync().error is None
    assert server_rows(county.db, "SELECT count(*) AS n FROM records WHERE assignment_id = ?", doc["id"])[0]["n"] == 1
    late = console.post_form(f"/office/tasks/visits/{doc['id']}/reassign", {
        "version": str(doc["version"] + 1), "replaced": stays, "replacement": out, "reason": "illness", "note": ""})
    assert late.status_code == 409 and "已有检查记录" in text_of(late.text)


@pytest.mark.parametrize("username", [CLERK, AUDITOR])
def test_clerks_and_auditors_see_but_do_not_change(sign_in, server, county, username) -> None:
    console = sign_in(username)
    task = server_rows(county.db, "SELECT id FROM tasks WHERE state = 'drawn' ORDER BY id LIMIT 1")[0]["id"]
    visit = server_rows(county.db, "SELECT assignment_id FROM assignment_tasks WHERE task_id = ? LIMIT 1",
                        task)[0]["assignment_id"]
    for path in (f"/office/tasks?year={YEAR}", f"/office/tasks/{task}", f"/office/tasks/{task}/visits",
                 f"/office/tasks/{task}/visits?by=officer", f"/office/tasks/visits/{visit}",
                 f"/office/tasks/officers?year={YEAR}"):
        page = console.get(path)
        assert page.status_code == 200, path
        assert "确认改派" not in page.text and "新建抽查任务" not in page.text
    assert console.get(f"/office/tasks/new?year={YEAR}").status_code == 403
    before = server_rows(county.db, "SELECT count(*) AS n FROM audit_log")[0]["n"]
    for path, data in ((f"/office/tasks/new?year={YEAR}", task_form("角色〔2026〕1号")),
                       (f"/office/tasks/{task}/exclusions", {"version": "planned", "unit": "x", "reason": "other"}),
                       (f"/office/tasks/{task}/recusals", {"version": "planned"}),
                       (f"/office/tasks/{task}/redraw", {"number": "角色〔2026〕2号", "redraw_reason": "x"}),
                       (f"/office/tasks/visits/{visit}/reassign", {"version": "1"})):
        refused = console.post_form(path, data)
        assert refused.status_code == 403 and "无权进行此操作" in refused.text, path
    assert server_rows(county.db, "SELECT count(*) AS n FROM audit_log")[0]["n"] == before


def test_visits_by_unit_and_by_officer_show_joint_visits(sign_in, server, county) -> None:
    console = sign_in()
    joint = server_rows(county.db, "SELECT assignment_id FROM assignment_tasks GROUP BY assignment_id"
                                   " HAVING count(*) > 1 ORDER BY assignment_id LIMIT 1")
    assert joint, "the seeded county has units drawn by two overlapping tasks"
    visit = joint[0]["assignment_id"]
    tasks = server_rows(county.db, "SELECT t.id, t.number FROM assignment_tasks x JOIN tasks t ON t.id = x.task_id"
                                   " WHERE x.assignment_id = ? ORDER BY t.id", visit)
    doc = json.loads(server_rows(county.db, "SELECT doc FROM assignments WHERE id = ?", visit)[0]["doc"])
    by_unit = text_of(console.get(f"/office/tasks/{tasks[-1]['id']}/visits").text)
    numbers = "、".join(t["number"] for t in sorted(tasks, key=lambda t: [x["id"] for x in doc["tasks"]].index(t["id"])))
    assert f"{doc['unit']['name']}" in by_unit and f"联合检查：{numbers}" in by_unit
    count = server_rows(county.db, "SELECT count(*) AS n FROM assignment_tasks WHERE task_id = ?", tasks[-1]["id"])[0]["n"]
    assert f"共 {count} 户" in by_unit
    by_officer = console.get(f"/office/tasks/{tasks[-1]['id']}/visits?by=officer").text
    for member in doc["team"]:
        assert f"{member['name']}（{member['id']}）" in text_of(by_officer)
    page = text_of(console.get(f"/office/tasks/visits/{visit}").text)
    assert "联合检查：进一次门、查多项事" in page and all(t["number"] in page for t in tasks)
    officer = doc["team"][0]["id"]
    mine = server_rows(county.db, "SELECT count(*) AS n FROM assignment_team t JOIN assignments a ON a.id = t.assignment_id"
                                  " WHERE t.user_id = ? AND substr(a.due, 1, 4) = '2026'", officer)[0]["n"]
    listing = console.get(f"/office/tasks/officers/{officer}?year=2026").text
    assert listing.count('href="/office/tasks/visits/') == mine
