"""The draw ceremony as people do it, in headless Chromium (Playwright, Debian's chromium): the office
names two witnesses; each witness, in a browser context of their own, makes a nonce in the
browser (one generated, one typed), keeps it and sends only the commitment; the office announces;
the server restarts with its clock past the beacon's time; the witnesses give their nonces, the
office enters the beacon value, reveals and draws; the public page's browser check recomputes the
draw and agrees, byte for byte with the Python implementation, and disagrees on tampered files.

Screenshots go to the test's output folder."""
from __future__ import annotations

import hashlib
import json
import random
import re
import secrets
from pathlib import Path
from typing import Any, Iterator

import pytest
from playwright.sync_api import Browser, Page, Route, expect, sync_playwright

from schemas.jcs import canonicalize
from sync_server.planning import draws
from tests.integration.conftest import County, server_rows
from tests.support.ceremony import add_task, beijing_local, commitment, restart
from tests.support.office import browser_sign_in
from tests.support.server import ServerProcess

pytestmark = pytest.mark.dates   # the task's period and the beacon's time follow the suite's clock
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), "Debian's chromium is installed by `make` (apt-get install chromium)"
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM)
        yield launched
        launched.close()


def new_page(browser: Browser) -> Page:
    """A browser context of its own (its own cookies: another person's device)."""
    context = browser.new_context(viewport={"width": 1180, "height": 900}, locale="zh-CN", accept_downloads=True)
    return context.new_page()


def name_witness(office: Page, name: str, role: str) -> str:
    office.get_by_label("见证人姓名").fill(name)
    office.get_by_label("身份或单位").fill(role)
    office.get_by_role("button", name="登记见证人并生成链接").click()
    expect(office.get_by_text("此链接只显示这一次")).to_be_visible()
    return office.get_by_label("见证人链接").input_value()


def commit_in_browser(page: Page, link: str, own_nonce: str | None, shots: Path) -> str:
    """The witness makes (or types) a nonce in the page, keeps it, and sends the commitment; the nonce."""
    page.goto(link)
    if own_nonce is None:
        page.get_by_role("button", name="在本浏览器生成随机数").click()
    else:
        page.get_by_label("输入自己的随机数（32 至 128 位小写十六进制）").fill(own_nonce)
    shown = page.get_by_label(re.compile("您的随机数"))
    expect(shown).to_have_value(re.compile("^[0-9a-f]{32,128}$"))
    nonce = shown.input_value()
    expect(page.get_by_label(re.compile("^承诺值"))).to_have_value(commitment(nonce))   # SHA-256 computed here
    with page.expect_download() as caught:
        page.get_by_role("button", name="下载为文件").click()
    kept = shots / f"nonce-{nonce[:8]}.txt"
    caught.value.save_as(kept)
    assert nonce in kept.read_text(encoding="utf-8")
    page.get_by_role("button", name="提交承诺值").click()   # refused until the witness says it is kept
    expect(page.locator("#keep-status")).to_contain_text("请先保存随机数")
    page.get_by_label("我已保存好这个随机数").check()
    with page.expect_request(lambda r: r.method == "POST") as sent:
        page.get_by_role("button", name="提交承诺值").click()
    assert sent.value.post_data == f"commitment={commitment(nonce)}"    # only the commitment leaves the browser
    expect(page.locator("#notice")).to_contain_text("承诺值已提交")
    page.screenshot(path=str(shots / f"witness-committed-{nonce[:8]}.png"), full_page=True)
    return nonce


def give_nonce(page: Page, link: str, nonce: str) -> None:
    page.goto(link)
    page.get_by_label("您的随机数").fill(nonce)
    page.get_by_role("button", name="提交随机数").click()


def test_witnessed_draw_and_browser_check(county: County, server: ServerProcess, browser: Browser,
                                          tmp_path: Path) -> None:
    task = add_task(county.db, "云溪卫〔2026〕随抽41号")
    office = new_page(browser)
    browser_sign_in(office, server.url)
    office.goto(f"{server.url}/office/tasks/{task}/draw")
    expect(office.get_by_role("heading", name=re.compile("抽取仪式"))).to_be_visible()
    links = [name_witness(office, "李纪检", "纪检监察室")]
    office.screenshot(path=str(tmp_path / "office-link.png"), full_page=True)
    links.append(name_witness(office, "赵代表", "被检查单位代表"))

    witnesses = [new_page(browser), new_page(browser)]
    nonces = [commit_in_browser(witnesses[0], links[0], None, tmp_path),
              commit_in_browser(witnesses[1], links[1], secrets.token_hex(16), tmp_path)]
    assert len(nonces[0]) == 64 and len(nonces[1]) == 32

    office.goto(f"{server.url}/office/tasks/{task}/draw")
    table = office.locator("#witness-table")
    for nonce in nonces:
        expect(table).to_contain_text(commitment(nonce))
    office.get_by_label("公共随机源").fill("中国福利彩票双色球第2026150期开奖号码")
    office.get_by_label("随机源公布时间（北京时间）").fill(beijing_local(2))
    office.get_by_role("button", name="发布抽取公告").click()
    expect(office.get_by_role("status").first).to_contain_text("抽取公告已发布")
    ahash = office.locator("#announcement-hash").inner_text()
    assert ahash == server_rows(county.db, "SELECT announcement_hash FROM draws WHERE task_id = ?", task)[0][0]
    expect(office.locator("#reveal-waiting")).to_contain_text("此前不能揭示")
    office.screenshot(path=str(tmp_path / "office-announced.png"), full_page=True)

    moved = restart(server, 3)   # past beacon_at
    try:
        give_nonce(witnesses[1], links[1], nonces[0])                     # another's nonce: refused
        expect(witnesses[1].get_by_role("alert").first).to_contain_text("与您公告前提交的承诺值不符")
        give_nonce(witnesses[1], links[1], nonces[1])
        expect(witnesses[1].locator("#notice")).to_contain_text("与您的承诺值相符")
        give_nonce(witnesses[0], links[0], nonces[0])
        expect(witnesses[0].locator("#notice")).to_contain_text("与您的承诺值相符")

        office.goto(f"{moved.url}/office/tasks/{task}/draw")
        office.get_by_label("随机源公布的值").fill("03 07 12 19 25 31 + 09")
        office.get_by_role("button", name="揭示随机数").click()
        expect(office.get_by_role("status").first).to_contain_text("随机数已揭示")
        office.get_by_role("button", name="执行抽取并公布结果").click()
        expect(office.get_by_role("status").first).to_contain_text("抽取完成并已公布")
        office.screenshot(path=str(tmp_path / "office-drawn.png"), full_page=True)

        files = {name: bytes(server_rows(county.db, f"SELECT {name} FROM draws WHERE task_id = ?", task)[0][0])
                 for name in ("announcement", "reveal", "result")}
        assert json.loads(files["reveal"])["nonces"] == nonces
        python = canonicalize(draws.compute(files["announcement"], files["reveal"])).decode()
        assert python == files["result"].decode()

        public = new_page(browser)
        public.goto(f"{moved.url}/public/tasks/{task}")
        expect(public.locator("#witnesses")).to_contain_text("李纪检")
        expect(public.locator("#witnesses")).to_contain_text("被检查单位代表")
        expect(public.locator("#beacon")).to_have_text("中国福利彩票双色球第2026150期开奖号码")
        verdict = check(public)
        expect(verdict).to_contain_text("一致：")
        assert public.locator("#drawcheck-computed").text_content() == python   # the browser's own result
        public.screenshot(path=str(tmp_path / "public-check.png"), full_page=True)

        # a tampered result: one unit swapped for another of the population
        result = json.loads(files["result"])
        drawn = {s["unit"] for s in result["selected"] + result["unmatched"]}
        other = next(u["id"] for u in json.loads(files["announcement"])["units"] if u["id"] not in drawn)
        result["selected"][0]["unit"] = other
        tampered = new_page(browser)
        serve(tampered, {"result.json": canonicalize(result)})
        tampered.goto(f"{moved.url}/public/tasks/{task}")
        expect(check(tampered)).to_contain_text("不一致")
        expect(tampered.locator("#drawcheck-steps")).to_contain_text("与公布的 result.json 不一致")
        tampered.screenshot(path=str(tmp_path / "public-tampered.png"), full_page=True)

        # a tampered reveal: another beacon value gives another seed
        reveal = {**json.loads(files["reveal"]), "beacon_value": "03 07 12 19 25 32 + 09"}
        other_reveal = new_page(browser)
        serve(other_reveal, {"reveal.json": canonicalize(reveal)})
        other_reveal.goto(f"{moved.url}/public/tasks/{task}")
        expect(check(other_reveal)).to_contain_text("不一致")
        computed = other_reveal.locator("#drawcheck-computed").text_content()
        assert computed == canonicalize(draws.compute(files["announcement"], canonicalize(reveal))).decode() != python
    finally:
        moved.stop()


def check(page: Page) -> Any:
    page.get_by_role("button", name="在浏览器中核验抽取").click()
    verdict = page.locator("#drawcheck-verdict")
    expect(verdict).to_have_class(re.compile("ok|bad"), timeout=60_000)
    return verdict


def serve(page: Page, files: dict[str, bytes]) -> None:
    """The page's downloads of these published files answered with other bytes."""
    def answer(route: Route) -> None:
        name = route.request.url.rsplit("/", 1)[-1]
        if name in files:
            route.fulfill(status=200, body=files[name], content_type="application/json; charset=utf-8")
        else:
            route.continue_()
    page.route(re.compile(r".*/public/tasks/[^/]+/(announcement|reveal|result)\.json$"), answer)


# --- the browser's draw against the Python draw on inputs made to reach every rule ------------------

def crafted(case: int) -> tuple[bytes, bytes]:
    """An announcement and a reveal that reach §3's certain units and largest remainders, several
    strata (one with n = 0), §5's loads, exclusions and unmatched units, and ids beyond U+FFFF."""
    rng = random.Random(f"case {case}")   # fixed inputs: the same rules reached on every run
    weights = {"A": 1, "B": 2, "C": 4, "D": 8 + case}
    strata = [("公共场所", 7 + case), ("生活饮用水", 2), ("学校卫生", 0)]
    units = []
    for name, _ in strata:
        for i in range(12 + case * 3):
            uid = f"9137{name.encode().hex()[:6]}{i:04d}" + ("\U0001F600" if i % 5 == 0 else "\uff21" if i % 7 == 0 else "")
            units.append({"id": uid, "stratum": name, "risk": rng.choice("AABBCD")})
    units.sort(key=lambda u: u["id"])
    inspectors = [{"id": f"3699{i:04d}", "specialties": sorted(rng.sample(["public_places", "water", "school"], 2)),
                   "load": rng.choice([0, 0, 1, 3])} for i in range(9)]
    inspectors.sort(key=lambda p: p["id"])
    holders = [p["id"] for p in inspectors if "public_places" in p["specialties"]]
    exclusions = sorted(({"inspector": p, "unit": units[k]["id"], "reason": rng.choice(["recusal", "rotation"])}
                         for k in range(0, len(units), 3) for p in holders[:len(holders) - 2]),
                        key=lambda e: (e["inspector"], e["unit"]))
    nonces = [rng.randbytes(16 + 8 * case).hex(), rng.randbytes(64).hex()]
    announcement = {"algo": "ssj-draw-v1", "task": f"测试〔2026〕{case}号", "announced_at": "2026-11-23T02:00:00Z",
                    "strata": [{"name": n, "n": k} for n, k in strata], "risk_weights": weights, "team_size": 3,
                    "specialty": "public_places", "units": units, "inspectors": inspectors, "exclusions": exclusions,
                    "commitments": [commitment(n) for n in nonces], "beacon": "测试随机源",
                    "beacon_at": "2026-11-23T02:00:00.5Z"}
    body = canonicalize(announcement)
    reveal = {"announcement_hash": hashlib.sha256(body).hexdigest(), "beacon_value": f"第{case}期 01 02 03",
              "nonces": nonces}
    return body, canonicalize(reveal)


def test_browser_draw_agrees_with_python_on_crafted_inputs(county: County, server: ServerProcess,
                                                          browser: Browser) -> None:
    """The drawn task's page, its downloads answered with inputs made to reach every rule: the
    browser's computed result.json is the Python implementation's, byte for byte."""
    drawn = server_rows(county.db, "SELECT task_id FROM draws WHERE result IS NOT NULL LIMIT 1")[0][0]
    for case in range(3):
        page = new_page(browser)
        announcement, reveal = crafted(case)
        expected = canonicalize(draws.compute(announcement, reveal))
        result = json.loads(expected)
        assert result["unmatched"] and result["selected"], "the case reaches both outcomes of §5"
        serve(page, {"announcement.json": announcement, "reveal.json": reveal, "result.json": expected})
        page.goto(f"{server.url}/public/tasks/{drawn}")
        check(page)
        assert page.locator("#drawcheck-computed").text_content() == expected.decode()
        expect(page.locator("#drawcheck-steps")).to_contain_text("逐字节一致")
        page.context.close()
