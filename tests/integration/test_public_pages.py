"""The public pages on a real server: Chinese, self-contained, escaped, and every published
hash checkable against the downloadable files."""
from __future__ import annotations

import hashlib
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support.server import ROOT

DEMO_TASK = "T2026-14"


@pytest.fixture
def web(server) -> httpx.Client:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


def html(web: httpx.Client, path: str, status: int = 200) -> str:
    response = web.get(path)
    assert response.status_code == status, (path, response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("text/html")
    text = response.text
    assert '<html lang="zh-CN">' in text
    assert not re.search(r"(src|href)=\"(https?:)?//", text), "nothing loads from elsewhere"
    return text


def test_home_and_navigation(web: httpx.Client) -> None:
    text = html(web, "/")
    assert "双随机、一公开" in text and 'href="/public/items"' in text and 'href="/public/verify"' in text


def test_item_list_with_legal_bases_and_filter(web: httpx.Client) -> None:
    text = html(web, "/public/items")
    assert "第 1 版（现行）" in text and "《公共场所卫生管理条例》" in text and "GG-001" in text
    only = html(web, "/public/items?specialty=medical")
    assert "YL-001" in only and "GG-001" not in only
    assert "专业代码不存在" in html(web, "/public/items?specialty=cooking", 400)
    assert "版本号" in html(web, "/public/items?version=99999999999999", 400)
    assert "没有这一版本" in html(web, "/public/items?version=7", 404)
    html(web, "/public/items?version=-1", 400)


def test_plan_and_tasks(web: httpx.Client) -> None:
    assert "/public/plans/2026" in html(web, "/public/plans")
    text = html(web, "/public/plans/2026")
    assert "云溪卫〔2026〕随抽14号" in text and "已抽取" in text
    html(web, "/public/plans/1999", 404)
    html(web, "/public/plans/notayear", 404)
    html(web, "/public/tasks/" + "x" * 5000, 404)


def test_task_page_hashes_match_the_downloads(web: httpx.Client, county) -> None:
    text = html(web, f"/public/tasks/{DEMO_TASK}")
    files = {}
    for name in ("announcement", "reveal", "result"):
        response = web.get(f"/public/tasks/{DEMO_TASK}/{name}.json")
        assert response.status_code == 200 and "attachment" in response.headers["content-disposition"]
        files[name] = response.content
    assert hashlib.sha256(files["announcement"]).hexdigest() in text
    assert hashlib.sha256(files["result"]).hexdigest() in text
    row = sqlite3.connect(county.db).execute("SELECT announcement, reveal, result FROM draws WHERE task_id = ?",
                                             (DEMO_TASK,)).fetchone()
    assert (files["announcement"], files["reveal"], files["result"]) == tuple(bytes(b) for b in row)
    assert "中国福利彩票双色球第2026124期开奖号码" in text and "05 11 16 22 27 30 + 12" in text
    assert re.search(r"\d+\.\d\d%", text), "inclusion probabilities as percentages"


def test_anyone_can_verify_from_the_site(web: httpx.Client, tmp_path: Path) -> None:
    script = web.get("/public/verify/ssj_verify.py")
    assert script.status_code == 200 and script.content == (ROOT / "verifier" / "ssj_verify.py").read_bytes()
    (tmp_path / "ssj_verify.py").write_bytes(script.content)
    for name in ("announcement", "reveal", "result"):
        (tmp_path / f"{name}.json").write_bytes(web.get(f"/public/tasks/{DEMO_TASK}/{name}.json").content)
    done = subprocess.run([sys.executable, "ssj_verify.py", "announcement.json", "reveal.json", "result.json"],
                          cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0 and "AGREED / 一致" in done.stdout
    assert "ssj_verify.py announcement.json reveal.json result.json" in html(web, "/public/verify")


def test_no_files_before_a_draw(web: httpx.Client) -> None:
    response = web.get("/public/tasks/T2026-01/result.json")
    assert response.status_code == 404 and response.json()["code"] == "draw.no_file"
    assert web.get(f"/public/tasks/{DEMO_TASK}/secrets.json").status_code == 404


def test_names_are_escaped(web: httpx.Client, county) -> None:
    conn = sqlite3.connect(county.db)
    unit = conn.execute("SELECT result FROM draws WHERE task_id = ?", (DEMO_TASK,)).fetchone()[0]
    import json
    first = json.loads(bytes(unit))["selected"][0]["unit"]
    conn.execute("UPDATE units SET name = '<script>alert(1)</script>' WHERE id = ?", (first,))
    conn.commit()
    conn.close()
    text = html(web, f"/public/tasks/{DEMO_TASK}")
    assert "<script>alert(1)</script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_no_personal_data_beyond_the_draw(web: httpx.Client, county) -> None:
    text = html(web, f"/public/tasks/{DEMO_TASK}")
    phones = [r[0] for r in sqlite3.connect(county.db).execute("SELECT phone FROM users WHERE phone != ''")]
    assert phones and not any(p in text for p in phones)
