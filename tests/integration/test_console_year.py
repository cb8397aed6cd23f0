"""The office's whole year in the browser, from an empty database, as a new office would do it
(issue 12): sign in → the office's name → import the item list and both registries → write and
publish the annual plan → create a task → announce it with two witnesses, each making a nonce in
their own browser → (the server's clock moved past the beacon time) reveal → draw, and the public
page's browser check agrees → an enrollment code from the console, a tablet's headless client
receives its assignment → the record arrives signed by two officers and a leader approves it →
a penalty decision → publish → the report and its workbook.

The one step outside the browser is the first admin account (`sync-server office-account`): an
empty database has nobody to sign in as. The tablets are field_app's real SyncClient (headless;
the tablet's screens have their own browser tests in tests/e2e). Screenshots of each step go to
the test's folder, or to $SUIJIAN_SCREENSHOTS (docs/screenshots/office/ was made that way).
"""
from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import httpx
import openpyxl
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from demo.county import generate_county
from demo.files import write_county
from field_app.keys import KeyStore
from field_app.store import LocalStore
from field_app.sync import RetryPolicy, SyncClient
from schemas import enrollment_link
from schemas.specialties import SPECIALTIES
from tests.support import engine
from tests.integration.conftest import server_rows
from tests.integration.test_console_ceremony import commit_in_browser, give_nonce, name_witness
from tests.integration.test_disclosure import approve
from tests.support import dates
from tests.support.ceremony import beijing_local, restart
from tests.support.office import ADMIN, PASSWORD, browser_sign_in
from tests.support.records import finding, queue_record, record
from tests.support.server import ROOT, ServerProcess

# Deadlines, the beacon time and the report's year follow the suite's today: .ci/run runs it again
# with the clock moved.
pytestmark = pytest.mark.dates

CHROMIUM = "/usr/bin/chromium"
OFFICE = "云溪县卫生健康综合监督执法大队"
SPECIALTY = "public_places"


class Shots:
    def __init__(self, folder: Path) -> None:
        self.folder, self.n = folder, 0
        folder.mkdir(parents=True, exist_ok=True)

    def __call__(self, page: Page, name: str) -> None:
        self.n += 1
        page.screenshot(path=str(self.folder / f"{self.n:02d}-{name}.png"), full_page=True)


def new_page(browser: Browser) -> Page:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN", accept_downloads=True)
    return context.new_page()


def status(page: Page):
    return page.get_by_role("status").first


def enrollment_code(office: Page, url: str, name: str) -> enrollment_link.EnrollmentLink:
    """The admin makes an officer's one-time code on 设备 and reads the link the QR code carries."""
    office.goto(url + "/office/devices")
    office.get_by_label("查找执法人员").fill(name)
    office.get_by_role("button", name="查找").click()
    office.get_by_role("button", name=f"为 {name} 生成注册码").click()
    expect(office.get_by_role("heading", name=f"{name} 的一次性注册码")).to_be_visible()
    expect(office.locator("figure.qr svg")).to_be_visible()
    return enrollment_link.parse(office.locator("code.link").inner_text().strip())


def test_the_office_year_from_an_empty_database(tmp_path: Path) -> None:
    shots = Shots(Path(os.environ["SUIJIAN_SCREENSHOTS"]) if os.environ.get("SUIJIAN_SCREENSHOTS") else tmp_path / "shots")
    (tmp_path / "server").mkdir()
    db = engine.new_target(tmp_path / "server" / "server.db")
    made = subprocess.run([sys.executable, "-m", "sync_server", "office-account", "--db", str(db), "--username", ADMIN,
                           "--name", "张伟", "--role", "admin"], input=PASSWORD + "\n", text=True, cwd=ROOT,
                          capture_output=True)
    assert made.returncode == 0, made.stderr
    county = generate_county(seed=11, units=240, inspectors=12)
    (tmp_path / "files").mkdir()
    files = write_county(county, tmp_path / "files")
    year = dates.inspection_day().year
    server = ServerProcess(db).start()
    tablets: list[SyncClient] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM)
            office = new_page(browser)
            browser_sign_in(office, server.url)
            expect(office.get_by_text("尚未设置本机构名称")).to_be_visible()
            shots(office, "workbench-empty")

            # The office's name: every publication is signed with it.
            office.goto(server.url + "/office/settings")
            office.get_by_label("机构名称（执法主体全称）").fill(OFFICE)
            office.get_by_label("行政区划代码").fill("361024")
            office.get_by_role("button", name="保存机构设置").click()
            expect(status(office)).to_contain_text("已保存机构设置")

            # 一单两库: the item list, the units, the officers; each previewed, then applied.
            for kind, label in (("items", "抽查事项清单"), ("units", "检查对象名录库"), ("inspectors", "执法检查人员名录库")):
                office.get_by_role("navigation", name="工作台栏目").get_by_role("link", name="一单两库").click()
                office.get_by_label(f"{label}文件（.xlsx 或 .csv）").set_input_files(str(files[kind]))
                office.get_by_role("button", name=f"上传并预览{label}").click()
                expect(office.get_by_role("heading", name=f"导入预览：{label}")).to_be_visible()
                shots(office, f"import-preview-{kind}")
                office.get_by_role("button", name="确认导入").click()
                expect(status(office)).to_contain_text(f"已导入{label}")
            counts = {t: server_rows(db, f"SELECT count(*) FROM {t}")[0][0] for t in ("items", "units")}
            assert counts == {"items": len(county.items), "units": len(county.units)}

            # The annual plan, published.
            office.get_by_role("navigation", name="工作台栏目").get_by_role("link", name="年度计划").click()
            office.get_by_label("年度").fill(str(year))
            office.get_by_label("计划标题").fill(f"{year}年度双随机抽查工作计划")
            office.get_by_label("计划正文").fill("一、抽查范围：本县公共场所。\n\n二、抽查比例：按规模确定。")
            office.get_by_role("button", name="保存草稿").click()
            office.get_by_role("button", name="公布计划").click()
            expect(office.locator("#plan-state")).to_contain_text("已公布")
            shots(office, "annual-plan-published")

            # A task: the population previewed, then saved.
            number = f"云溪卫〔{year}〕随抽1号"
            office.goto(f"{server.url}/office/tasks/new?year={year}")
            office.get_by_label("任务编号").fill(number)
            office.get_by_label("任务名称").fill(f"{year}年公共场所卫生双随机抽查")
            office.get_by_label(SPECIALTIES[SPECIALTY]).check()
            office.get_by_label("任务期限开始").fill(f"{year}-01-01")
            office.get_by_label("任务期限结束").fill(f"{year}-12-31")
            office.get_by_role("button", name="预览抽查名录").click()
            shots(office, "task-preview")
            office.get_by_role("button", name="保存任务").click()
            expect(status(office)).to_contain_text("已新建抽查任务")
            task_id = server_rows(db, "SELECT id FROM tasks WHERE number = ?", number)[0][0]

            # The ceremony: two named witnesses, each committing from their own browser.
            office.goto(f"{server.url}/office/tasks/{task_id}/draw")
            links = [name_witness(office, "李纪检", "纪检监察室"), name_witness(office, "赵代表", "被检查单位代表")]
            witnesses = [new_page(browser), new_page(browser)]
            kept = tmp_path / "witnesses"   # each witness keeps their nonce in a file of their own
            kept.mkdir()
            nonces = [commit_in_browser(page, link, None, kept) for page, link in zip(witnesses, links)]
            shots(witnesses[0], "witness-committed")
            office.goto(f"{server.url}/office/tasks/{task_id}/draw")
            office.get_by_label("公共随机源").fill("中国福利彩票双色球开奖号码")
            office.get_by_label("随机源公布时间（北京时间）").fill(beijing_local(2))
            office.get_by_role("button", name="发布抽取公告").click()
            expect(status(office)).to_contain_text("抽取公告已发布")
            shots(office, "draw-announced")

            # After the beacon's time (the server's clock moved 3 hours): reveal, draw, check.
            server = restart(server, 3)
            for page, link, nonce in zip(witnesses, links, nonces):
                give_nonce(page, link, nonce)
                expect(page.locator("#notice")).to_contain_text("随机数已提交")
            office.goto(f"{server.url}/office/tasks/{task_id}/draw")
            office.get_by_label("随机源公布的值").fill("03 07 12 19 25 31 + 09")
            office.get_by_role("button", name="揭示随机数").click()
            expect(status(office)).to_contain_text("随机数已揭示")
            office.get_by_role("button", name="执行抽取并公布结果").click()
            expect(status(office)).to_contain_text("抽取完成并已公布")
            shots(office, "drawn")
            public = new_page(browser)
            public.goto(f"{server.url}/public/tasks/{task_id}")
            expect(public.locator("#witnesses")).to_contain_text("李纪检")
            public.get_by_role("button", name="在浏览器中核验抽取").click()
            expect(public.locator("#drawcheck-verdict")).to_contain_text("一致", timeout=60_000)
            shots(public, "public-draw-check")

            # A team's tablet enrolls with the console's code and receives its visit.
            visit = server_rows(db, "SELECT a.id FROM assignments a JOIN assignment_tasks t ON t.assignment_id = a.id"
                                    " WHERE t.task_id = ? ORDER BY a.id LIMIT 1", task_id)[0][0]
            team = [m["id"] for m in json.loads(server_rows(db, "SELECT doc FROM assignments WHERE id = ?",
                                                             visit)[0][0])["team"]]
            names = {r[0]: r[1] for r in server_rows(db, "SELECT id, name FROM users")}
            link = enrollment_code(office, server.url, names[team[0]])
            shots(office, "enrollment-code")
            assert link.server == server.url

            def tablet(user: str, code: str) -> SyncClient:
                home = tmp_path / f"tablet-{user}"
                made = SyncClient(server.url, LocalStore(home / "app.db"), KeyStore(home / "keys"),
                                  retry=RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.05))
                made.code_for = lambda officer: enrollment_code(office, server.url, names[officer]).code
                made.enroll(code, "平板")
                tablets.append(made)
                return made

            inspector = tablet(team[0], link.code)
            inspector.sync()
            assignment = next(a for a in inspector.store.list_assignments() if a["id"] == visit)
            assert {m["id"] for m in assignment["team"]} == set(team)

            # Publication waits for the daily batch, so the office publishes it below.
            office.goto(server.url + "/office/publication")
            office.locator("#f-mode").select_option(label="每日批量公示（在本页“全部公示”）")
            office.get_by_role("button", name="保存公示方式").click()

            # The record: one item found against the rules, a case opened; signed by both officers.
            items = assignment["items"]
            findings = [finding(items[0], "non_compliant", action={"kind": "case", "case_no": None})] + \
                [finding(item) for item in items[1:]]
            doc = record(assignment, [team[0]], findings=findings)
            queue_record(inspector, doc)
            assert inspector.sync().receipts == {"accepted": 1}
            sha = server_rows(db, "SELECT envelope_sha256 FROM records WHERE id = ?", doc["id"])[0][0]
            leader_id = server_rows(db, "SELECT id FROM users WHERE role = 'leader' AND active = 1 ORDER BY id")[0][0]
            leader = tablet(leader_id, enrollment_code(office, server.url, names[leader_id]).code)
            assert approve(leader, doc["id"], sha)["status"] == "accepted"
            no = server_rows(db, "SELECT no FROM disclosures WHERE record_id = ?", doc["id"])[0][0]

            # The penalty decision, in the form beside the open case.
            office.goto(f"{server.url}/office/followups/penalty?no={no}")
            office.get_by_label("处罚决定书文号").fill(f"云卫公罚〔{year}〕1号")
            office.get_by_label("处罚决定日期").fill((dates.today() + timedelta(days=1)).isoformat())
            office.get_by_role("button", name="录入处罚决定").click()
            expect(office.locator("#e-decided_on")).to_contain_text("晚于今天")
            office.get_by_label("处罚决定日期").fill(dates.today().isoformat())
            office.get_by_label("罚款金额（元）").fill("5000")
            office.get_by_role("button", name="录入处罚决定").click()
            expect(status(office)).to_contain_text("已录入处罚决定")
            shots(office, "penalty-decision")

            # Publish what is due.
            office.goto(server.url + "/office/publication")
            office.get_by_role("link", name=re.compile("全部公示")).click()
            expect(office.get_by_role("heading", name="确认全部公示")).to_be_visible()
            office.get_by_role("button", name=re.compile("确认公示")).click()
            expect(status(office)).to_contain_text("已公示")
            shots(office, "published")
            public.goto(f"{server.url}/public/results/{no}")
            expect(public.locator("main")).to_contain_text("行政处罚")
            expect(public.locator("main")).to_contain_text(f"云卫公罚〔{year}〕1号")

            # The report, and its workbook.
            office.get_by_role("navigation", name="工作台栏目").get_by_role("link", name="统计报告").click()
            office.get_by_role("row").filter(has_text=f"{year} 年").get_by_role("link", name="查看").last.click()
            expect(office.get_by_role("heading", name=re.compile(f"{year}年度双随机、一公开工作统计报告"))).to_be_visible()
            shots(office, "report")
            with office.expect_download() as caught:
                office.get_by_role("link", name=re.compile("下载 Excel")).click()
            book = openpyxl.load_workbook(io.BytesIO(Path(caught.value.path()).read_bytes()), read_only=True)
            rows = [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
            head = next(row for row in rows if "行政处罚" in row)
            line = next(row for row in rows if row and row[0] == SPECIALTIES[SPECIALTY])
            # One record this year, in public places, and it ended in a penalty decision.
            assert (line[head.index("检查单位数（户次）")], line[head.index("行政处罚")]) == (1, 1), line
            browser.close()

        # Every step is in the audit log with the person who took it.
        logged = [bytes(r[0]).decode() if isinstance(r[0], (bytes, memoryview)) else r[0]
                  for r in server_rows(db, "SELECT entry FROM audit_log")]
        by_admin = [e for e in logged if f'"by":"office:{ADMIN}"' in e]
        assert len(by_admin) >= 10, f"{len(by_admin)} entries name the admin"
        public_entry = httpx.get(f"{server.url}/public/results/{no}.json").json()
        assert public_entry["category"]["code"] == "penalty"
    finally:
        for made in tablets:
            made.close()
            made.store.close()
        server.stop()
