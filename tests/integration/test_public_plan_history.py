"""The public side of the annual plan: the current version's text, every published version with its
date, reason and SHA-256, each viewable and downloadable as the bytes its hash covers; drafts never
public. Over real HTTP against the demo county, the plan written through planning/plan_documents."""
from __future__ import annotations

import hashlib
import json
import re
from typing import Any, Iterator

import httpx
import pytest

from sync_server.db.connection import open_db, transaction
from sync_server.planning import plan_documents as docs
from tests.support.server import ServerProcess

BY, NAME = "office:zhang", "张科长"
FIRST = "一、工作目标\n全面推行“双随机、一公开”监管。\n\n二、抽查任务\n<script>alert(1)</script>"
SECOND = FIRST + "\n\n三、调整内容\n增加职业卫生专项抽查。"
REASON = "省级计划下达后增加职业卫生专项"
DRAFT = "尚未公布的第三版草稿"


@pytest.fixture
def year(county) -> Iterator[int]:
    """The demo's plan year, its document published, revised with a reason, and a third version in draft."""
    conn = open_db(county.db)
    try:
        plan_year = conn.execute("SELECT year FROM plans ORDER BY year LIMIT 1").fetchone()[0]

        def token() -> str:
            return docs.document(conn, plan_year)["token"]
        with transaction(conn):
            docs.create(conn, plan_year, f"{plan_year}年度抽查工作计划", FIRST, BY, NAME)
        with transaction(conn):
            docs.publish(conn, plan_year, token(), BY, NAME)
        with transaction(conn):
            docs.start_revision(conn, plan_year, "p1", BY, NAME)
        with transaction(conn):
            docs.save(conn, plan_year, token(), f"{plan_year}年度抽查工作计划（调整）", SECOND, REASON, BY, NAME)
        with transaction(conn):
            docs.publish(conn, plan_year, token(), BY, NAME)
        with transaction(conn):
            docs.start_revision(conn, plan_year, "p2", BY, NAME)
        with transaction(conn):
            docs.save(conn, plan_year, token(), DRAFT, DRAFT, "草稿理由", BY, NAME)
    finally:
        conn.close()
    yield plan_year


@pytest.fixture
def web(year: int, county) -> Iterator[httpx.Client]:
    proc = ServerProcess(county.db).start()
    try:
        with httpx.Client(base_url=proc.url, timeout=30) as client:
            yield client
    finally:
        proc.stop()


def text_of(web: httpx.Client, path: str, status: int = 200) -> str:
    response = web.get(path)
    assert response.status_code == status, (path, response.status_code, response.text[:300])
    return response.text


def shown_hashes(html: str) -> list[str]:
    return re.findall(r'<span class="hash">([0-9a-f]{64})</span>', html)


def test_the_plan_page_shows_the_current_text_and_every_version(web: httpx.Client, year: int) -> None:
    page = text_of(web, f"/public/plans/{year}")
    assert f"<h1>{year}年度抽查工作计划（调整）</h1>" in page
    assert "现行版本：<strong>第 2 版</strong>" in page and f"本版调整理由：{REASON}" in page
    assert "<p>三、调整内容<br>增加职业卫生专项抽查。</p>" in page, "paragraphs and lines as written"
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
    assert "计划公布与调整记录" in page and "首次公布" in page
    assert f'href="/public/plans/{year}/versions/1"' in page and f'href="/public/plans/{year}/versions/2"' in page
    assert "任务编号" in page, "the year's tasks are listed as before"
    assert DRAFT not in page and "草稿理由" not in page, "a draft is never public"
    first, second = (web.get(f"/public/plans/{year}/versions/{n}.json") for n in (1, 2))
    assert shown_hashes(page) == [hashlib.sha256(second.content).hexdigest()] * 2 + \
        [hashlib.sha256(first.content).hexdigest()]


def test_each_version_is_viewable_as_it_was_published(web: httpx.Client, year: int) -> None:
    old = text_of(web, f"/public/plans/{year}/versions/1")
    assert f"<h1>{year}年度抽查工作计划</h1>" in old and "此为历史版本" in old
    assert "三、调整内容" not in old and "调整理由" not in old
    current = text_of(web, f"/public/plans/{year}/versions/2")
    assert "（现行版本）" in current and f"调整理由：{REASON}" in current and "三、调整内容" in current
    assert "本版所列抽查任务" in current


def test_the_downloaded_content_is_what_the_hash_covers_and_chains_to_the_last(web: httpx.Client, year: int) -> None:
    files: list[dict[str, Any]] = []
    for n in (1, 2):
        response = web.get(f"/public/plans/{year}/versions/{n}.json")
        assert response.status_code == 200 and response.headers["content-type"] == "application/json; charset=utf-8"
        shown = shown_hashes(text_of(web, f"/public/plans/{year}/versions/{n}"))
        assert shown == [hashlib.sha256(response.content).hexdigest()]
        files.append({**json.loads(response.content), "sha256": shown[0]})
    assert (files[0]["body"], files[0]["revises"], files[0]["reason"]) == (FIRST, None, "")
    assert (files[1]["body"], files[1]["revises"], files[1]["reason"]) == (SECOND, files[0]["sha256"], REASON)
    assert files[0]["year"] == files[1]["year"] == year


@pytest.mark.parametrize("tail", ["versions/3", "versions/3.json", "versions/0", "versions/abc", "versions/２",
                                  "versions/1x.json"])
def test_drafts_and_unknown_versions_are_not_found(web: httpx.Client, year: int, tail: str) -> None:
    response = web.get(f"/public/plans/{year}/{tail}")
    assert response.status_code == 404
    assert DRAFT not in response.text


def test_the_list_shows_the_current_version(web: httpx.Client, year: int) -> None:
    page = text_of(web, "/public/plans")
    assert f"{year}年度抽查工作计划（调整）" in page and "现行第 2 版" in page
