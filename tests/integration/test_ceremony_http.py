"""The draw ceremony over real HTTP on a real server: named witnesses with capability links, their
commitments, announce, the clock moved past the beacon (the server restarted with SUIJIAN_CLOCK),
nonces, reveal, draw, the resolution of unmatched units; refusals (bad input, stale forms, roles,
before the beacon) that apply nothing; the audit log names the person."""
from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path
from typing import Iterator, TypeVar

import httpx
import pytest

from schemas import clock
from schemas.jcs import canonicalize
from sync_server.db.connection import open_db, transaction
from sync_server.planning import ceremony, draws
from tests.support.engine import Target
from tests.integration.conftest import County, server_rows
from tests.support.ceremony import add_task, beijing_local, commitment, restart
from tests.support.office import ADMIN, AUDITOR, CLERK, signed_in
from tests.support.server import ROOT, ServerProcess

pytestmark = pytest.mark.dates   # the task's period and the beacon's time follow the suite's clock

C = TypeVar("C", bound=httpx.Client)
LINK = re.compile(r'/witness/([A-Za-z0-9_-]{40,})')
ROSTER = re.compile(r'name="roster" value="([0-9a-f]+)"')
VERSION = re.compile(r'name="version" value="([0-9a-f]+)"')
NONCES = ("1f" * 32, "a0b1c2d3" * 4)   # 32 bytes and 16 bytes: both forms DRAW_SPEC §2 allows


@pytest.fixture
def clients() -> Iterator[ExitStack]:
    """Every HTTP client a test opens, closed at its end."""
    with ExitStack() as stack:
        yield stack


def keep(stack: ExitStack, client: C) -> C:
    stack.callback(client.close)
    return client


@pytest.fixture
def later() -> Iterator[list[ServerProcess]]:
    started: list[ServerProcess] = []
    yield started
    for proc in started:
        proc.stop()


def page_of(client: httpx.Client, task: str) -> httpx.Response:
    response = client.get(f"/office/tasks/{task}/draw")
    assert response.status_code == 200, response.text[:300]
    return response


def add_witness(admin: httpx.Client, task: str, name: str, role: str) -> str:
    roster = ROSTER.search(page_of(admin, task).text).group(1)
    response = admin.post_form(f"/office/tasks/{task}/draw/witnesses", {"name": name, "role": role, "roster": roster})
    assert response.status_code == 200 and "此链接只显示这一次" in response.text, response.text[:500]
    return LINK.search(response.text).group(1)


def state_of(db: Target, task: str) -> str:
    return server_rows(db, "SELECT state FROM tasks WHERE id = ?", task)[0]["state"]


def test_ceremony_over_http(server: ServerProcess, county: County, later: list[ServerProcess],
                            clients: ExitStack) -> None:
    task = add_task(county.db, "云溪卫〔2026〕随抽31号")
    admin = keep(clients, signed_in(server.url, ADMIN))
    assert "尚未登记见证人" in page_of(admin, task).text
    assert httpx.get(f"{server.url}/public/tasks/{task}/ceremony.json").status_code == 404

    # named witnesses, each with a link shown once; only the token's hash is stored
    stale_roster = ROSTER.search(page_of(admin, task).text).group(1)
    tokens = [add_witness(admin, task, "李纪检", "纪检监察室"), add_witness(admin, task, "赵代表", "被检查单位代表")]
    stored = server_rows(county.db, "SELECT name, role, token_hash FROM draw_witnesses WHERE task_id = ? ORDER BY position", task)
    assert [(r["name"], r["role"]) for r in stored] == [("李纪检", "纪检监察室"), ("赵代表", "被检查单位代表")]
    assert [r["token_hash"] for r in stored] == [hashlib.sha256(t.encode()).hexdigest() for t in tokens]
    assert not any(t in json.dumps([dict(r) for r in server_rows(county.db, "SELECT * FROM draw_witnesses")]) for t in tokens)
    refused = admin.post_form(f"/office/tasks/{task}/draw/witnesses", {"name": "王", "role": "群众", "roster": stale_roster})
    assert refused.status_code == 409 and "页面已过期" in refused.text
    empty = admin.post_form(f"/office/tasks/{task}/draw/witnesses",
                            {"name": "", "role": "", "roster": ROSTER.search(page_of(admin, task).text).group(1)})
    assert empty.status_code == 422 and "请填写见证人姓名" in empty.text and 'id="e-role"' in empty.text
    assert len(server_rows(county.db, "SELECT * FROM draw_witnesses WHERE task_id = ?", task)) == 2

    # the witnesses' own pages, no session: a bad commitment is refused beside the field
    witness = [keep(clients, httpx.Client(base_url=server.url, headers={"Origin": server.url})) for _ in tokens]
    assert "赵代表" in witness[1].get(f"/witness/{tokens[1]}").text
    bad = witness[0].post(f"/witness/{tokens[0]}/commit", data={"commitment": "ABC"})
    assert bad.status_code == 422 and "64 位小写十六进制" in bad.text and 'aria-invalid="true"' in bad.text
    assert witness[0].get("/witness/" + "x" * 43).status_code == 404
    foreign = httpx.post(f"{server.url}/witness/{tokens[0]}/commit", data={"commitment": commitment(NONCES[0])},
                         headers={"Origin": "http://evil.example"})
    assert foreign.status_code == 403
    assert witness[0].post(f"/witness/{tokens[0]}/commit", data={"commitment": commitment(NONCES[0])}).status_code == 303

    # announce: refused until every witness has committed, with a beacon time in the future
    version = VERSION.search(page_of(admin, task).text).group(1)
    early = admin.post_form(f"/office/tasks/{task}/draw/announce",
                            {"beacon": "双色球第2026150期开奖号码", "beacon_at": beijing_local(2), "version": version})
    assert early.status_code == 422 and "以下见证人尚未提交承诺值：赵代表" in early.text
    assert witness[1].post(f"/witness/{tokens[1]}/commit", data={"commitment": commitment(NONCES[1])}).status_code == 303
    assert state_of(county.db, task) == "planned"
    old_version = version
    version = VERSION.search(page_of(admin, task).text).group(1)
    stale = admin.post_form(f"/office/tasks/{task}/draw/announce",
                            {"beacon": "双色球第2026150期开奖号码", "beacon_at": beijing_local(2), "version": old_version})
    assert stale.status_code == 409 and state_of(county.db, task) == "planned"
    past = admin.post_form(f"/office/tasks/{task}/draw/announce",
                           {"beacon": "双色球第2026150期开奖号码", "beacon_at": beijing_local(-1), "version": version})
    assert past.status_code == 422 and "必须晚于公告时间" in past.text and state_of(county.db, task) == "planned"
    assert keep(clients, signed_in(server.url, CLERK)).post_form(f"/office/tasks/{task}/draw/announce", {
        "beacon": "x", "beacon_at": beijing_local(2), "version": version}).status_code == 403
    done = admin.post_form(f"/office/tasks/{task}/draw/announce",
                           {"beacon": "双色球第2026150期开奖号码", "beacon_at": beijing_local(2), "version": version})
    assert done.status_code == 303 and state_of(county.db, task) == "announced"
    again = admin.post_form(f"/office/tasks/{task}/draw/announce",
                            {"beacon": "双色球第2026150期开奖号码", "beacon_at": beijing_local(2), "version": version})
    assert again.status_code == 409 and "已公告" in again.text
    announcement = json.loads(server_rows(county.db, "SELECT announcement FROM draws WHERE task_id = ?", task)[0][0])
    assert announcement["commitments"] == [commitment(n) for n in NONCES]   # the witnesses', in order; no office nonce
    assert "李纪检" not in json.dumps(announcement, ensure_ascii=False)      # names stay outside the hashed bytes
    public = httpx.get(f"{server.url}/public/tasks/{task}").text
    assert "李纪检" in public and "纪检监察室" in public and commitment(NONCES[1]) in public
    published = httpx.get(f"{server.url}/public/tasks/{task}/ceremony.json")
    assert published.status_code == 200 and canonicalize(published.json()) == published.content
    assert [(w["name"], w["role"], w["commitment"]) for w in published.json()["witnesses"]] == [
        ("李纪检", "纪检监察室", commitment(NONCES[0])), ("赵代表", "被检查单位代表", commitment(NONCES[1]))]
    assert published.json()["announcement_hash"] == hashlib.sha256(
        server_rows(county.db, "SELECT announcement FROM draws WHERE task_id = ?", task)[0][0]).hexdigest()

    # before the beacon's time: no nonce, no reveal
    before = witness[0].post(f"/witness/{tokens[0]}/nonce", data={"nonce": NONCES[0]})
    assert before.status_code == 409 and "才公布" in before.text
    assert server_rows(county.db, "SELECT count(*) FROM draw_witnesses WHERE nonce IS NOT NULL")[0][0] == 0

    # the server restarted with the clock past beacon_at
    moved = restart(server, 3)
    later.append(moved)
    wrong = witness[0].post(f"/witness/{tokens[0]}/nonce", data={"nonce": NONCES[1]})
    assert wrong.status_code == 422 and "与您公告前提交的承诺值不符" in wrong.text
    assert witness[0].post(f"/witness/{tokens[0]}/nonce", data={"nonce": NONCES[0]}).status_code == 303
    version = VERSION.search(page_of(admin, task).text).group(1)
    waiting = admin.post_form(f"/office/tasks/{task}/draw/reveal", {"beacon_value": "03 07 12 19 25 31 + 09",
                                                                   "version": version})
    assert waiting.status_code == 422 and "以下见证人尚未在其页面提交随机数：赵代表" in waiting.text
    assert witness[1].post(f"/witness/{tokens[1]}/nonce", data={"nonce": NONCES[1]}).status_code == 303
    version = VERSION.search(page_of(admin, task).text).group(1)
    assert admin.post_form(f"/office/tasks/{task}/draw/reveal", {"beacon_value": "03 07 12 19 25 31 + 09",
                                                                "version": version}).status_code == 303
    assert admin.post_form(f"/office/tasks/{task}/draw/reveal", {"beacon_value": "01", "version": version}).status_code == 409
    version = VERSION.search(page_of(admin, task).text).group(1)
    assert admin.post_form(f"/office/tasks/{task}/draw/run", {"version": version}).status_code == 303
    assert admin.post_form(f"/office/tasks/{task}/draw/run", {"version": version}).status_code == 409
    assert state_of(county.db, task) == "drawn"

    # the published files agree with the Python draw and with the standalone verifier
    files = {name: httpx.get(f"{server.url}/public/tasks/{task}/{name}.json").content
             for name in ("announcement", "reveal", "result")}
    assert json.loads(files["reveal"])["nonces"] == list(NONCES)
    assert canonicalize(draws.compute(files["announcement"], files["reveal"])) == files["result"]
    paths = []
    for name, body in files.items():
        (county.folder / f"{name}.json").write_bytes(body)
        paths.append(str(county.folder / f"{name}.json"))
    checked = subprocess.run([sys.executable, str(ROOT / "verifier" / "ssj_verify.py"), *paths], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr

    # the auditor sees the ceremony and may change nothing; every step names its person
    seen = keep(clients, signed_in(moved.url, AUDITOR)).get(f"/office/tasks/{task}/draw").text
    assert "李纪检" in seen and "/draw/" not in seen.replace(f"/office/tasks/{task}/draw\"", "")
    log = [json.loads(r["entry"]) for r in server_rows(county.db, "SELECT entry FROM audit_log ORDER BY idx")]
    steps = {e["kind"]: e.get("by") for e in log if e.get("subject") == task}
    assert steps["draw.witness_added"] == steps["draw.ceremony_announced"] == steps["draw.ceremony_revealed"] \
        == steps["draw.ceremony_drawn"] == f"office:{ADMIN}"
    assert steps["draw.witness_committed"].startswith("witness:")


def test_unmatched_units_resolved_with_a_published_reason(server: ServerProcess, county: County,
                                                          clients: ExitStack) -> None:
    """A team of 20 cannot be made from the county's officers: every drawn unit is unmatched,
    and a person gives each a team and a reason, which the public page shows."""
    task = add_task(county.db, "云溪卫〔2026〕随抽32号", team_size=20)
    conn = open_db(county.db)
    try:
        with transaction(conn):
            token = ceremony.add_witness(conn, task, "钱纪检", "纪检监察室", ceremony.view(conn, task)["roster"], "test")["token"]
            ceremony.commit(conn, token, commitment(NONCES[0]))
            beacon_at = beijing_local(1)
            ceremony.announce(conn, task, "双色球第2026151期", beacon_at, ceremony.view(conn, task)["version"], "test")
        saved = clock.current()
        clock.install(clock.Clock(saved.offset + timedelta(hours=2)))
        try:
            with transaction(conn):
                ceremony.open_nonce(conn, token, NONCES[0])
                ceremony.reveal(conn, task, "05 09", ceremony.view(conn, task)["version"], "test")
                ceremony.run(conn, task, ceremony.view(conn, task)["version"], "test")
        finally:
            clock.install(saved)
        found = ceremony.view(conn, task)
    finally:
        conn.close()
    unmatched = [u["unit"] for u in found["result"]["unmatched"]]
    assert unmatched and not found["result"]["selected"]
    officers = [o["id"] for o in found["officers"]]
    # A unit that already has an open visit in the period is joined to that visit, with its team
    # (test_draw_flow checks that); the draw is seeded by the task's random id, and about one drawn unit
    # in five has one, so take a unit the county has not yet visited.
    visited = {r["unit_id"] for r in server_rows(county.db, "SELECT unit_id FROM assignments WHERE status = 'open'")}
    unit = next(u for u in unmatched if u not in visited)
    admin = keep(clients, signed_in(server.url, ADMIN))
    one = admin.post_form(f"/office/tasks/{task}/draw/unmatched/{unit}", {"team": [officers[0]], "reason": "人手不足",
                                                                          "unit": unit})
    assert one.status_code == 422 and "至少需要两名" in one.text
    blank = admin.post_form(f"/office/tasks/{task}/draw/unmatched/{unit}", {"team": officers[:2], "reason": " ", "unit": unit})
    assert blank.status_code == 422 and "请说明理由" in blank.text
    assert not server_rows(county.db, "SELECT * FROM draw_resolutions")
    reason = "符合专业要求的执法人员不足二十名，由科室指定两名执法人员检查"
    ok = admin.post_form(f"/office/tasks/{task}/draw/unmatched/{unit}", {"team": officers[:2], "reason": reason, "unit": unit})
    assert ok.status_code == 303
    again = admin.post_form(f"/office/tasks/{task}/draw/unmatched/{unit}", {"team": officers[2:4], "reason": "再次", "unit": unit})
    assert again.status_code == 409
    placed = server_rows(county.db, "SELECT t.user_id FROM assignments a JOIN assignment_tasks at ON at.assignment_id = a.id"
                         " JOIN assignment_team t ON t.assignment_id = a.id WHERE at.task_id = ? AND a.unit_id = ?", task, unit)
    assert sorted(r["user_id"] for r in placed) == sorted(officers[:2])
    public = httpx.get(f"{server.url}/public/tasks/{task}").text
    assert reason in public and "尚未安排" in public   # the others still wait, in public
    resolutions = httpx.get(f"{server.url}/public/tasks/{task}/ceremony.json").json()["resolutions"]
    assert resolutions == [{"unit": unit, "team": officers[:2], "reason": reason, "resolved_at": resolutions[0]["resolved_at"]}]
    entry = [json.loads(r["entry"]) for r in server_rows(county.db, "SELECT entry FROM audit_log WHERE kind = ?",
                                                          "draw.unmatched_resolved")]
    assert entry[-1]["by"] == f"office:{ADMIN}" and entry[-1]["reason"] == reason and entry[-1]["team"] == officers[:2]
