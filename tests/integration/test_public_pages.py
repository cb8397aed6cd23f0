"""The public pages on a real server: Chinese, self-contained, escaped, and every published
hash checkable against the downloadable files.

Two draws are on show: the seeded demo task (drawn through sync_server.planning.draws), and one
composed here from the registry per DRAW_SPEC §1, computed with run_draw and written with plain
sqlite3, with a unit and an inspector whose names try to inject HTML. Every demo task is drawn, so
the tasks this module writes on are its own, added to the plan here (sync_server.planning.plans):
the composed draw's, one only announced, and one drawn before the system was in use (state drawn,
no files), as an office's earlier tasks are."""
from __future__ import annotations

import asyncio
import hashlib
import json
import re
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from schemas.jcs import canonicalize
from sync_server.db.connection import open_db, transaction
from sync_server.errors import NotFound
from sync_server.planning import plans
from sync_server.planning.core.draw import announcement_hash, result_hash, run_draw
from sync_server.public import pages
from tests.support import engine
from tests.support.server import ROOT

# Reads today's date (the suite's clock): .ci/run runs it again with the clock moved.
pytestmark = pytest.mark.dates

DEMO_TASK = "T2026-14"           # the demo's second-half task, drawn through the live path
OWN_TASKS = {"own": "云溪卫〔2026〕测抽1号",        # gets the draw composed below
             "announced": "云溪卫〔2026〕测抽2号",  # gets an announcement only
             "legacy": "云溪卫〔2026〕测抽3号"}     # drawn before the system: no files
SCRIPT = "<script>alert(1)</script>"
SCRIPT_UNIT = "91369921SCRIPT0001"
IMG = '<img src=x onerror="alert(2)">'
IMG_INSPECTOR = "369921990099"
PAGES = ["/", "/public/items", "/public/items?specialty=medical", "/public/items?version=1", "/public/plans",
         "/public/plans/2026", f"/public/tasks/{DEMO_TASK}", "/public/verify"]


@pytest.fixture
def web(server) -> httpx.Client:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


def html(web: httpx.Client, path: str, status: int = 200) -> str:
    response = web.get(path)
    assert response.status_code == status, (path, response.status_code, response.text[:300])
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    text = response.text
    assert '<html lang="zh-CN">' in text and "随检 · 双随机一公开信息公示" in text
    assert not re.search(r"(src|href|action)=\"?(https?:)?//", text), "nothing loads from elsewhere"
    assert "http://" not in text and "https://" not in text, path
    if status == 200:
        assert response.headers["cache-control"] == "public, max-age=60"
    return text


# --- a draw composed from the registry (DRAW_SPEC §1), written with plain SQL ------------------

def _rows(conn: sqlite3.Connection, sql: str, *args: Any) -> list[tuple]:
    return conn.execute(sql, args).fetchall()


def _inject(conn: sqlite3.Connection) -> None:
    conn.execute("INSERT INTO units (id, name, address, specialty, risk, updated_at) VALUES (?, ?, '', "
                 "'public_places', 'D', '2026-01-01T00:00:00.000Z')", (SCRIPT_UNIT, SCRIPT))
    conn.execute("INSERT INTO users (id, name, role, specialties, cert_valid_until, phone, created_at) VALUES "
                 "(?, ?, 'inspector', '[\"public_places\"]', '2030-12-31', '13900000099', "
                 "'2026-01-01T00:00:00.000Z')", (IMG_INSPECTOR, IMG))


def compose_announcement(conn: sqlite3.Connection, number: str, commitment: str) -> dict[str, Any]:
    """Six public-places units in one stratum (n=2); the script unit and one more in a second
    stratum (n=2, both certain), where recusals leave the second without a team."""
    plain = _rows(conn, "SELECT id, risk FROM units WHERE specialty = 'public_places' AND id != ? "
                  "ORDER BY id LIMIT 7", SCRIPT_UNIT)
    inspectors = sorted(r[0] for r in _rows(conn, "SELECT id, specialties FROM users WHERE role = 'inspector'")
                        if "public_places" in r[1])
    lonely = plain[6][0]
    units = [{"id": uid, "stratum": "公共场所", "risk": risk} for uid, risk in plain[:6]]
    units += [{"id": lonely, "stratum": "重点单位", "risk": plain[6][1]},
              {"id": SCRIPT_UNIT, "stratum": "重点单位", "risk": "D"}]
    return {"algo": "ssj-draw-v1", "task": number, "announced_at": "2026-04-01T02:00:00.000Z",
            "strata": [{"name": "公共场所", "n": 2}, {"name": "重点单位", "n": 2}],
            "risk_weights": {"A": 1, "B": 2, "C": 4, "D": 8}, "team_size": 2, "specialty": "public_places",
            "units": sorted(units, key=lambda u: u["id"]),
            "inspectors": [{"id": p, "specialties": ["public_places"], "load": 0} for p in inspectors],
            "exclusions": [{"inspector": p, "unit": lonely, "reason": "recusal"} for p in inspectors[1:]],
            "commitments": [commitment], "beacon": "中国福利彩票双色球第2026037期开奖号码",
            "beacon_at": "2026-04-07T13:15:00.000Z"}


def _store(conn: sqlite3.Connection, task: str, state: str, files: dict[str, bytes | None]) -> None:
    announced = json.loads(files["announcement"])  # type: ignore[arg-type]
    result = files["result"]
    conn.execute("UPDATE tasks SET state = ? WHERE id = ?", (state, task))
    conn.execute(
        "INSERT INTO draws (task_id, announcement, announcement_hash, announced_at, beacon, beacon_at,"
        " announce_log_index, reveal, revealed_at, result, result_hash, drawn_at, draw_log_index)"
        " VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?)",
        (task, files["announcement"], announcement_hash(announced), announced["announced_at"], announced["beacon"],
         announced["beacon_at"], files["reveal"], files["reveal"] and "2026-04-08T01:00:00.000Z", result,
         result and result_hash(json.loads(result)), result and "2026-04-08T01:05:00.000Z", result and 1))


@pytest.fixture
def own(county) -> dict[str, str]:
    """This module's own tasks, added to the plan as an office adds them ({role: task id}); the
    legacy one is marked drawn with no draw, as a task drawn before the system was in use."""
    conn = open_db(county.db)
    try:
        with transaction(conn):
            made = {role: plans.add_task(conn, plans.TaskSpec(2026, number, f"测试任务（{role}）", ("public_places",),
                                                              "2026-04-15", "2026-10-30"))["id"]
                    for role, number in OWN_TASKS.items()}
    finally:
        conn.close()
    plain = engine.connect(county.db)
    plain.execute("UPDATE tasks SET state = 'drawn' WHERE id = ?", (made["legacy"],))
    plain.close()
    return made


@pytest.fixture
def own_draw(county, own: dict[str, str]) -> dict[str, Any]:
    nonce = hashlib.sha256(b"test-office-nonce").digest()
    conn = engine.connect(county.db)
    _inject(conn)
    announcement = compose_announcement(conn, OWN_TASKS["own"], hashlib.sha256(nonce).hexdigest())
    reveal = {"announcement_hash": announcement_hash(announcement), "beacon_value": "03 09 14 21 26 31 + 07",
              "nonces": [nonce.hex()]}
    result = run_draw(announcement, reveal)
    files = {"announcement": canonicalize(announcement), "reveal": canonicalize(reveal), "result": canonicalize(result)}
    _store(conn, own["own"], "drawn", files)
    _store(conn, own["announced"], "announced", {**files, "reveal": None, "result": None})
    conn.close()
    return {"files": files, "result": result, **own}


def download(web: httpx.Client, task: str, name: str) -> bytes:
    response = web.get(f"/public/tasks/{task}/{name}.json")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.headers["content-disposition"] == f'attachment; filename="{task}-{name}.json"'
    return response.content


# --- the pages ---------------------------------------------------------------------------------

def test_every_page_is_chinese_self_contained_and_cached(web: httpx.Client, own_draw) -> None:
    for path in PAGES + [f"/public/tasks/{own_draw[role]}" for role in OWN_TASKS]:
        html(web, path)
    css = web.get("/public/static/site.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert not re.search(r"https?:|url\(|@import", css.text) and '"Noto Sans CJK SC"' in css.text
    assert 'href="/public/static/site.css"' in html(web, "/")


def test_home_and_navigation(web: httpx.Client) -> None:
    text = html(web, "/")
    assert "双随机、一公开" in text and 'href="/public/items"' in text and 'href="/public/verify"' in text
    assert 'href="/public/plans"' in text and 'href="/openapi.json"' in text


def test_item_list_with_legal_bases_and_filter(web: httpx.Client) -> None:
    text = html(web, "/public/items")
    assert "第 1 版（现行）" in text and "《公共场所卫生管理条例》" in text and "GG-001" in text
    assert 'href="/public/items?version=1"' in text and re.search(r"\d{4}-\d\d-\d\d 公布", text)
    assert re.search(r"游泳场所水质</td>(?:(?!</tr>).)*<td>游泳场所</td></tr>", text), "an item's 适用范围 is shown"
    assert re.search(r"控制吸烟</td>(?:(?!</tr>).)*<td>本专业全部单位</td></tr>", text)
    only = html(web, "/public/items?specialty=medical")
    assert "YL-001" in only and "GG-001" not in only
    assert "专业代码不存在" in html(web, "/public/items?specialty=cooking", 400)
    assert "专业代码不存在" in html(web, "/public/items?specialty=%3Cscript%3E", 400)


@pytest.mark.parametrize("version, status", [("99999999999999", 400), ("-1", 400), ("1.5", 400), ("%C2%B2", 400),
                                             ("%EF%BC%91", 400), ("abc", 400), ("0", 404), ("7", 404)])
def test_bad_item_versions_are_refused_cleanly(web: httpx.Client, version: str, status: int) -> None:
    assert ("版本号" if status == 400 else "没有这一版本") in html(web, f"/public/items?version={version}", status)


def test_plan_and_tasks(web: httpx.Client, own_draw) -> None:
    assert "/public/plans/2026" in html(web, "/public/plans")
    text = html(web, "/public/plans/2026")
    assert "云溪卫〔2026〕随抽14号" in text and "已抽取" in text and "已公告" in text
    assert "（本系统启用前抽取）" in text and f'href="/public/tasks/{DEMO_TASK}"' in text
    for year in ("1999", "notayear", "%C2%B2%C2%B2%C2%B2%C2%B2", "%EF%BC%92%EF%BC%90%EF%BC%92%EF%BC%96", "20260"):
        html(web, f"/public/plans/{year}", 404)
    html(web, "/public/tasks/" + "x" * 5000, 404)


def test_composed_draw_hashes_match_the_downloads_and_the_rows(web: httpx.Client, county, own_draw) -> None:
    task = own_draw["own"]
    text = html(web, f"/public/tasks/{task}")
    served = {name: download(web, task, name) for name in ("announcement", "reveal", "result")}
    assert served == own_draw["files"]
    (row,) = engine.rows(county.db, "SELECT announcement, reveal, result FROM draws WHERE task_id = ?", task)
    assert (served["announcement"], served["reveal"], served["result"]) == tuple(bytes(b) for b in row)
    assert f'<span class="hash">{hashlib.sha256(served["announcement"]).hexdigest()}</span>' in text
    assert f'<span class="hash">{hashlib.sha256(served["result"]).hexdigest()}</span>' in text
    assert own_draw["result"]["seed"] in text and "03 09 14 21 26 31 + 07" in text
    assert "2026-04-01 10:00:00（北京时间）" in text and "中国福利彩票双色球第2026037期开奖号码" in text


def test_composed_draw_shows_units_pi_teams_and_unmatched(web: httpx.Client, own_draw) -> None:
    text = html(web, f"/public/tasks/{own_draw['own']}")
    result = own_draw["result"]
    assert len(result["selected"]) == 3 and len(result["unmatched"]) == 1
    for entry in result["selected"]:
        assert f"<code>{entry['unit']}</code>" in text
        assert all(f"（<code>{p}</code>）" in text for p in entry["team"])
    assert "待人工处理" in text and f"<code>{result['unmatched'][0]['unit']}</code>" in text
    assert "100.00%" in text and re.search(r"<td>\d{1,2}\.\d\d%</td>", text)
    assert "刘颖" in text and "13900000099" not in text


def test_names_are_escaped(web: httpx.Client, own_draw) -> None:
    text = html(web, f"/public/tasks/{own_draw['own']}")
    drawn = {e["unit"] for e in own_draw["result"]["selected"]}
    assert SCRIPT_UNIT in drawn
    assert SCRIPT not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert any(IMG_INSPECTOR in e["team"] for e in own_draw["result"]["selected"]), "load balancing picks everyone"
    assert IMG not in text and "&lt;img src=x onerror=&#34;alert(2)&#34;&gt;" in text


def test_announced_task_has_only_its_announcement(web: httpx.Client, own_draw) -> None:
    task = own_draw["announced"]
    text = html(web, f"/public/tasks/{task}")
    assert "已公告" in text and "一、抽取公告" in text and "三、抽取结果" not in text
    assert download(web, task, "announcement") == own_draw["files"]["announcement"]
    for name in ("reveal", "result"):
        response = web.get(f"/public/tasks/{task}/{name}.json")
        assert response.status_code == 404 and response.json()["code"] == "draw.no_file"


def test_no_files_before_a_draw(web: httpx.Client, own: dict[str, str]) -> None:
    legacy = own["legacy"]
    assert "本系统启用前已抽取" in html(web, f"/public/tasks/{legacy}")
    for path in (f"/public/tasks/{legacy}/announcement.json", f"/public/tasks/{legacy}/result.json",
                 "/public/tasks/T2099-01/result.json", f"/public/tasks/{DEMO_TASK}/secrets.json"):
        response = web.get(path)
        assert response.status_code == 404 and response.json()["code"] in ("draw.no_file", "request.not_found")
        assert set(response.json()) >= {"code", "message", "message_zh"}


def test_demo_task_page_hashes_match_the_downloads(web: httpx.Client, county) -> None:
    text = html(web, f"/public/tasks/{DEMO_TASK}")
    files = {name: download(web, DEMO_TASK, name) for name in ("announcement", "reveal", "result")}
    assert hashlib.sha256(files["announcement"]).hexdigest() in text
    assert hashlib.sha256(files["result"]).hexdigest() in text
    # The task's period starts 2026-11-01: the demo announces ten days before (10:00 Beijing) and takes
    # the first 双色球 draw (Tue, Thu, Sun) two days on or later, Sunday 2026-10-25, the year's 128th
    # draw day counted from 1 January; the value is the seeded lottery's, as the reveal file holds it.
    beacon_value = json.loads(files["reveal"])["beacon_value"]
    assert re.fullmatch(r"(\d\d ){6}\+ \d\d", beacon_value)
    assert "中国福利彩票双色球第2026128期开奖号码" in text and beacon_value in text
    announcement = json.loads(files["announcement"])
    assert set(announcement) == {"algo", "task", "announced_at", "strata", "risk_weights", "team_size", "specialty",
                                 "units", "inspectors", "exclusions", "commitments", "beacon", "beacon_at"}
    assert (announcement["announced_at"], announcement["beacon_at"]) == ("2026-10-22T02:00:00.000Z",
                                                                         "2026-10-25T13:15:00.000Z")
    assert "公布时间 <time datetime=\"2026-10-25T13:15:00.000Z\">2026-10-25 21:15:00（北京时间）</time>" in text
    assert "揭示时间：<time datetime=\"2026-10-26T01:30:00.000Z\">" in text, "revealed after the beacon"


@pytest.mark.parametrize("which", ["demo", "own"])
def test_anyone_can_verify_from_the_site(web: httpx.Client, tmp_path: Path, own_draw, which: str) -> None:
    task = DEMO_TASK if which == "demo" else own_draw["own"]
    script = web.get("/public/verify/ssj_verify.py")
    assert script.status_code == 200 and script.content == (ROOT / "verifier" / "ssj_verify.py").read_bytes()
    (tmp_path / "ssj_verify.py").write_bytes(script.content)
    for name in ("announcement", "reveal", "result"):
        (tmp_path / f"{name}.json").write_bytes(download(web, task, name))
    done = subprocess.run([sys.executable, "ssj_verify.py", "announcement.json", "reveal.json", "result.json"],
                          cwd=tmp_path, capture_output=True, text=True, check=False)
    assert done.returncode == 0 and "AGREED / 一致" in done.stdout, done.stdout + done.stderr
    text = html(web, "/public/verify")
    assert "ssj_verify.py announcement.json reveal.json result.json" in text
    assert text.index("为什么谁也不能操纵结果") < text.index("In English")


def test_a_missing_verifier_is_a_404(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(pages, "VERIFIER", tmp_path / "ssj_verify.py")
    with pytest.raises(NotFound) as caught:
        asyncio.run(pages.verifier(None))  # type: ignore[arg-type]
    assert caught.value.code == "draw.no_file"


def test_no_personal_data_beyond_the_draw(web: httpx.Client, county, own_draw) -> None:
    conn = engine.connect(county.db)
    phones = [r[0] for r in conn.execute("SELECT phone FROM users WHERE phone != '' UNION "
                                         "SELECT phone FROM units WHERE phone != ''")]
    addresses = [r[0] for r in conn.execute("SELECT address FROM units WHERE address != ''")]
    conn.close()
    assert phones and addresses
    for path in (f"/public/tasks/{DEMO_TASK}", f"/public/tasks/{own_draw['own']}"):
        text = html(web, path)
        assert not any(p in text for p in phones) and not any(a in text for a in addresses)
        assert "<img" not in text
