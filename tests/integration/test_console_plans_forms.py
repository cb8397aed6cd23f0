"""The console's 年度计划 section over real HTTP: drafting, saving, publishing and revising through
the forms; Chinese errors beside the fields with nothing saved; roles (clerk drafts, admin publishes,
auditor reads); stale forms refused with nothing applied; the audit log naming the person."""
from __future__ import annotations

import json
import re
from typing import Iterator

import pytest

from tests.integration.conftest import server_rows
from tests.support.office import ADMIN, AUDITOR, CLERK, Console, csrf_in, signed_in

BODY = "一、工作目标\n全面推行“双随机、一公开”监管。\n\n二、抽查任务\n公共场所、生活饮用水。"
TOKEN = re.compile(r'name="version" value="([^"]*)"')


@pytest.fixture
def year(county) -> int:
    """A year after the demo's plan: no plan yet."""
    return server_rows(county.db, "SELECT max(year) AS y FROM plans")[0]["y"] + 1


@pytest.fixture
def people(server) -> Iterator[dict[str, Console]]:
    clients = {role: signed_in(server.url, name) for role, name in
               (("admin", ADMIN), ("clerk", CLERK), ("auditor", AUDITOR))}
    yield clients
    for client in clients.values():
        client.close()


def multipart(client: Console, path: str, data: dict[str, str]):
    """POST as the page's form does (multipart/form-data), with the session's CSRF token."""
    fields = {"csrf": client.csrf, **data}
    return client.post(path, files={name: (None, value) for name, value in fields.items()})


def token_of(client: Console, year: int, form_action: str = "") -> str:
    page = client.get(f"/office/plans/{year}").text
    if form_action:
        page = page[page.index(f'action="{form_action}"'):]
    return TOKEN.search(page).group(1)


def draft(client: Console, year: int, body: str = BODY) -> None:
    response = multipart(client, "/office/plans", {"year": str(year), "title": f"{year}年度抽查工作计划", "body": body})
    assert response.status_code == 303, response.text[:500]
    assert response.headers["location"].startswith(f"/office/plans/{year}?done=")


def audit_kinds(county, year: int) -> list[tuple[str, str]]:
    rows = server_rows(county.db, "SELECT entry FROM audit_log WHERE subject = ? ORDER BY idx", f"plan-{year}")
    return [(e["kind"], e.get("by", "")) for e in (json.loads(bytes(r["entry"])) for r in rows)]


def test_clerk_drafts_admin_publishes_and_revises(people: dict[str, Console], year: int, county) -> None:
    clerk, admin = people["clerk"], people["admin"]
    draft(clerk, year)
    page = clerk.get(f"/office/plans/{year}").text
    assert "草稿" in page and "公布计划" not in page, "a clerk sees no publish button"
    assert multipart(clerk, f"/office/plans/{year}/publish", {"version": token_of(clerk, year), "title": "t",
                                                              "body": BODY}).status_code == 403
    response = multipart(admin, f"/office/plans/{year}/publish",
                         {"version": token_of(admin, year), "title": f"{year}年度抽查工作计划", "body": BODY})
    assert response.status_code == 303, response.text[:500]
    page = admin.get(response.headers["location"]).text
    assert 'role="status"' in page and "已公布" in page and "开始修订" in page
    public = admin.get(f"/public/plans/{year}").text
    assert "现行版本：<strong>第 1 版</strong>" in public
    response = multipart(admin, f"/office/plans/{year}/revise", {"version": token_of(admin, year, f"/office/plans/{year}/revise")})
    assert response.status_code == 303
    page = admin.get(f"/office/plans/{year}").text
    assert "第 2 版草稿（修订）" in page and 'for="f-reason"' in page
    response = multipart(clerk, f"/office/plans/{year}", {"version": token_of(clerk, year), "title": f"{year}年度抽查工作计划",
                                                          "body": BODY + "\n\n三、新增职业卫生任务", "reason": ""})
    assert response.status_code == 303, "a clerk edits the revision draft"
    response = multipart(admin, f"/office/plans/{year}/publish",
                         {"version": token_of(admin, year), "title": f"{year}年度抽查工作计划",
                          "body": BODY + "\n\n三、新增职业卫生任务", "reason": ""})
    assert response.status_code == 422 and "调整后的计划须说明调整理由" in response.text
    assert 'id="e-reason"' in response.text and "三、新增职业卫生任务</textarea>" in response.text
    response = multipart(admin, f"/office/plans/{year}/publish",
                         {"version": token_of(admin, year), "title": f"{year}年度抽查工作计划",
                          "body": BODY + "\n\n三、新增职业卫生任务", "reason": "增加职业卫生专项"})
    assert response.status_code == 303
    public = admin.get(f"/public/plans/{year}").text
    assert "现行版本：<strong>第 2 版</strong>" in public and "增加职业卫生专项" in public
    assert audit_kinds(county, year) == [
        ("plan.created", ""), ("plan.drafted", "office:lina"), ("plan.published", "office:zhangwei"),
        ("plan.revision_started", "office:zhangwei"), ("plan.draft_saved", "office:lina"),
        ("plan.draft_saved", "office:zhangwei"), ("plan.revised", "office:zhangwei")]


@pytest.mark.parametrize("data, field, words", [
    ({"title": "", "body": BODY}, "title", "请填写计划标题"),
    ({"title": "标" * 201, "body": BODY}, "title", "不能超过 200 个字"),
    ({"title": "计划", "body": "字" * 20_001}, "body", "不能超过 20000 个字"),
    ({"year": "２０２７", "title": "计划", "body": BODY}, "year", "四位数字"),
])
def test_field_errors_beside_the_field_and_nothing_saved(people: dict[str, Console], year: int, county,
                                                         data: dict[str, str], field: str, words: str) -> None:
    response = multipart(people["admin"], "/office/plans", {"year": str(year), **data})
    assert response.status_code == 422
    error = re.search(rf'<small id="e-{field}" class="error" role="alert">([^<]*)</small>', response.text)
    assert error and words in error.group(1)
    assert f'aria-describedby="e-{field}"' in response.text
    assert server_rows(county.db, "SELECT count(*) AS n FROM plan_versions")[0]["n"] == 0


def test_an_empty_plan_is_not_published(people: dict[str, Console], year: int, county) -> None:
    admin = people["admin"]
    draft(admin, year, body="")
    response = multipart(admin, f"/office/plans/{year}/publish",
                         {"version": token_of(admin, year), "title": f"{year}年度抽查工作计划", "body": "  "})
    assert response.status_code == 422 and "计划正文为空，不能公布" in response.text
    assert server_rows(county.db, "SELECT state FROM plan_versions")[0]["state"] == "draft"


def test_a_stale_save_after_a_concurrent_publication_is_refused(people: dict[str, Console], year: int, county) -> None:
    clerk, admin = people["clerk"], people["admin"]
    draft(clerk, year)
    opened = token_of(clerk, year)            # the clerk's form
    assert multipart(admin, f"/office/plans/{year}/publish", {"version": token_of(admin, year),
                     "title": f"{year}年度抽查工作计划", "body": BODY}).status_code == 303
    response = multipart(clerk, f"/office/plans/{year}", {"version": opened, "title": "改过的标题",
                                                          "body": "改过的正文", "reason": ""})
    assert response.status_code == 409 and "本次操作未生效" in response.text
    assert 'id="stale"' in response.text and "改过的正文" in response.text, "what was typed is shown, not lost"
    rows = server_rows(county.db, "SELECT title, body, state FROM plan_versions")
    assert [(r["title"], r["body"], r["state"]) for r in rows] == [(f"{year}年度抽查工作计划", BODY, "published")]


def test_a_second_revision_click_is_stale(people: dict[str, Console], year: int, county) -> None:
    admin = people["admin"]
    draft(admin, year)
    multipart(admin, f"/office/plans/{year}/publish", {"version": token_of(admin, year),
              "title": f"{year}年度抽查工作计划", "body": BODY})
    form = token_of(admin, year, f"/office/plans/{year}/revise")
    assert multipart(admin, f"/office/plans/{year}/revise", {"version": form}).status_code == 303
    assert multipart(admin, f"/office/plans/{year}/revise", {"version": form}).status_code == 409
    assert server_rows(county.db, "SELECT count(*) AS n FROM plan_versions")[0]["n"] == 2


def test_the_auditor_reads_and_changes_nothing(people: dict[str, Console], year: int, county) -> None:
    auditor = people["auditor"]
    draft(people["clerk"], year)
    page = auditor.get(f"/office/plans/{year}").text
    assert "二、抽查任务" in page and "<form method=\"post\" action=\"/office/plans/" not in page
    assert "起草年度计划" not in auditor.get("/office/plans").text
    token = token_of(people["clerk"], year)
    for path, data in (("/office/plans", {"year": str(year + 1), "title": "t", "body": "b"}),
                       (f"/office/plans/{year}", {"version": token, "title": "t", "body": "b"}),
                       (f"/office/plans/{year}/publish", {"version": token, "title": "t", "body": "b"}),
                       (f"/office/plans/{year}/revise", {"version": "p1"}),
                       (f"/office/plans/{year}/discard", {"version": token})):
        response = multipart(auditor, path, data)
        assert response.status_code == 403 and "无权进行此操作" in response.text, path
    assert server_rows(county.db, "SELECT title, state FROM plan_versions")[0]["state"] == "draft"
    assert len(audit_kinds(county, year)) == 2


def test_forms_carry_csrf_and_refuse_without_it(people: dict[str, Console], year: int, county) -> None:
    clerk = people["clerk"]
    page = clerk.get("/office/plans").text
    assert csrf_in(page) == clerk.csrf and 'enctype="multipart/form-data"' in page
    response = clerk.post("/office/plans", files={"year": (None, str(year)), "title": (None, "t"), "body": (None, "b")})
    assert response.status_code == 403
    assert server_rows(county.db, "SELECT count(*) AS n FROM plan_versions")[0]["n"] == 0


def test_unknown_years_are_not_found(people: dict[str, Console], year: int) -> None:
    for path in (f"/office/plans/{year}", "/office/plans/abcd", "/office/plans/２０２６"):
        assert people["admin"].get(path).status_code == 404


def test_a_year_with_tasks_but_no_text_is_drafted_from_its_page(people: dict[str, Console], county) -> None:
    year = server_rows(county.db, "SELECT min(year) AS y FROM plans")[0]["y"]    # the demo's plan: tasks, no text
    clerk = people["clerk"]
    page = clerk.get(f"/office/plans/{year}").text
    assert "尚未起草" in page and "起草本年度计划正文" in page and f'name="year" value="{year}"' in page
    tasks = server_rows(county.db, "SELECT t.number FROM tasks t JOIN plans p ON p.id = t.plan_id WHERE p.year = ?", year)
    assert tasks and all(t["number"] in page for t in tasks)
    response = multipart(clerk, "/office/plans", {"year": str(year), "title": f"{year}年度抽查工作计划", "body": BODY})
    assert response.status_code == 303
    assert "第 1 版草稿" in clerk.get(f"/office/plans/{year}").text
