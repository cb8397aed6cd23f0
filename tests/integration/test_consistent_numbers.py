"""Numbers that must agree with each other, on the demo county with its year so far (a real SQLite
file and a real server over HTTP): the office screen against its own tables and the database, and
each row of the report against the rows it counts.

Every expected figure is counted here from the base tables (straight SQL, then plain Python over
the raw rows, following the rules written in docs/REPORTS.md "Attribution"), never by calling the
code under test; "today" is the suite's clock (tests/support/dates.py).
"""
from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urljoin

import httpx
import pytest
from openpyxl import load_workbook

from field_app.ids import uuid7
from field_app.keys import KeyStore
from field_app.store import LocalStore
from field_app.sync import RetryPolicy, SyncClient
from schemas import envelope
from schemas.specialties import SPECIALTIES
from tests.support.engine import Target
from tests.integration.conftest import County, server_rows
from tests.support import dates
from tests.support.records import finding, queue_record, record
from tests.support.office import ADMIN, PASSWORD
from tests.support.server import ServerProcess

# Reads today's date (the suite's clock): .ci/run runs it again with the clock moved.
pytestmark = pytest.mark.dates


@pytest.fixture
def site(history_county: County) -> Iterator[ServerProcess]:
    proc = ServerProcess(history_county.db).start()
    yield proc
    proc.stop()


# --- signing in as a browser would ---------------------------------------------------------------

class Forms(HTMLParser):
    """The forms of a page: method, action and the named inputs with their values (hidden ones too)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.found: list[dict[str, Any]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "form":
            self.found.append({"method": (named.get("method") or "get").lower(), "action": named.get("action") or "",
                               "fields": {}})
        elif tag == "input" and self.found and named.get("name"):
            self.found[-1]["fields"][named["name"]] = named.get("value") or ""


def office_page(url: str, token: str = "") -> str:
    """/office after signing in through its form as the office admin: whatever the form carries (a
    CSRF token, its cookie, where to go next) goes back as a browser would send it, from this site's
    origin. (`token`, the API's, signs nobody in since the console has named accounts.)"""
    with httpx.Client(base_url=url, timeout=30, follow_redirects=True) as browser:
        form_page = browser.get("/office")
        form = next(f for f in Forms(form_page.text).found if f["method"] == "post" and "password" in f["fields"])
        signed_in = browser.post(urljoin(str(form_page.url), form["action"]),
                                 data={**form["fields"], "username": ADMIN, "password": PASSWORD}, headers={"Origin": url})
        assert signed_in.status_code == 200 and "后续处置台账" in signed_in.text, signed_in.text[:500]
        return signed_in.text


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html)).strip()


def table_rows(html: str, heading: str) -> list[list[str]]:
    """The body rows (cell texts) of the first table after the heading that starts with `heading`."""
    section = html[html.index(f">{heading}"):]
    body = section[section.index("<tbody>"):section.index("</tbody>")]
    return [[text_of(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


# --- a rectification whose deadline passed, through the live paths --------------------------------

FAST_RETRY = RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.05)


def tablet(url: str, county: County, user_id: str, home: Path) -> SyncClient:
    code = httpx.post(f"{url}/v1/admin/users/{user_id}/enrollment-codes", timeout=30,
                      headers={"Authorization": f"Bearer {county.admin_token}"})
    assert code.status_code == 201, code.text
    client = SyncClient(url, LocalStore(home / "app.db"), KeyStore(home / "keys"), retry=FAST_RETRY)
    client.code_for = lambda user: httpx.post(
        f"{url}/v1/admin/users/{user}/enrollment-codes", timeout=30,
        headers={"Authorization": f"Bearer {county.admin_token}"}).json()["code"]
    client.enroll(code.json()["code"], "平板")
    return client


def approve_rectification_due(url: str, county: County, tmp_path: Path, deadline: date) -> str:
    """The demo inspector orders rectification by `deadline` at a visit three days ago; the demo
    leader approves it. Nobody re-inspects: the entry's rectification stays pending."""
    inspector, leader = (tablet(url, county, user, tmp_path / user) for user in (county.inspector, county.leader))
    try:
        inspector.sync()
        doc = json.loads(server_rows(
            county.db, "SELECT a.doc FROM assignments a JOIN assignment_team t ON t.assignment_id = a.id"
            " AND t.user_id = ? WHERE a.id NOT IN (SELECT assignment_id FROM assignment_team WHERE user_id = ?)"
            " AND NOT EXISTS (SELECT 1 FROM records r WHERE r.assignment_id = a.id) ORDER BY a.due, a.id LIMIT 1",
            county.inspector, county.leader)[0]["doc"])
        items = doc["items"]
        findings = [finding(items[0], "non_compliant", {"kind": "rectify", "deadline": deadline.isoformat()},
                            note="消毒记录缺失")] + [finding(item) for item in items[1:]]
        signed = record(doc, [county.inspector], findings=findings)
        queue_record(inspector, signed, [], dates.now_stamp())
        assert inspector.sync().receipts == {"accepted": 1}
        sha = server_rows(county.db, "SELECT envelope_sha256 FROM records WHERE id = ?", signed["id"])[0][0]
        decision = {"schema": "suijian.review-decision/1", "id": uuid7(), "record_id": signed["id"],
                    "record_envelope_sha256": sha, "decision": "approve", "reason": "", "leader": county.leader,
                    "decided_at": dates.now_stamp()}
        text = envelope.sign(decision, envelope.REVIEW_TYPE, leader.keys.private_key()).decode()
        reply = leader.http.post("/v1/reviews/batch", json={"envelopes": [text]}, headers=leader._auth())
        assert reply.status_code == 200 and reply.json()["receipts"][0]["status"] == "accepted", reply.text
        return server_rows(county.db, "SELECT no FROM disclosures WHERE record_id = ?", signed["id"])[0][0]
    finally:
        for client in (inspector, leader):
            client.close()
            client.store.close()


# --- the office screen ----------------------------------------------------------------------------

def test_no_rectification_past_its_deadline_is_called_within_it(history_county: County, site: ServerProcess,
                                                                tmp_path: Path) -> None:
    today = dates.today()
    mine = approve_rectification_due(site.url, history_county, tmp_path, dates.days_from_today(-1))
    rows = server_rows(history_county.db, "SELECT no, handling -> 'rectify' ->> 'deadline' AS deadline,"
                       " handling -> 'rectify' ->> 'status' AS status FROM disclosures"
                       " WHERE handling -> 'rectify' ->> 'status' IN ('pending', 'not_met')")
    passed = {r["no"]: r["status"] for r in rows if date.fromisoformat(r["deadline"]) < today}
    assert passed.get(mine) == "pending", "the entry made here is a pending rectification past its deadline"

    html = office_page(site.url, history_county.admin_token)
    listed = {cells[0]: cells for cells in table_rows(html, "待复查的整改")}
    assert set(listed) == {r["no"] for r in rows}, "the ledger lists every open rectification"
    for no, status in passed.items():
        label = listed[no][4]
        assert "整改期限内" not in label, (no, listed[no])
        assert "已过" in listed[no][3], (no, listed[no])
        if status == "pending":
            assert label == "整改期限已过，待复查", (no, listed[no])

    ledger = subprocess.run([sys.executable, "-m", "sync_server", "ledger", "--db", str(history_county.db)],
                            capture_output=True, text=True, timeout=120)
    assert ledger.returncode == 0, ledger.stderr
    section = ledger.stdout[ledger.stdout.index("待复查的整改"):ledger.stdout.index("待作出处罚决定")]
    lines = {line.split()[0]: line for line in section.splitlines() if line.startswith("  ")}
    for no in passed:
        assert "整改期限内" not in lines[no] and "已过期" in lines[no], lines[no]


def test_the_office_counts_every_entry_waiting_for_publication(history_county: County, site: ServerProcess) -> None:
    today = dates.today().isoformat()
    waiting = server_rows(history_county.db, "SELECT count(*) FROM disclosures WHERE state = 'due'")[0][0]
    overdue = server_rows(history_county.db, "SELECT count(*) FROM disclosures WHERE state = 'due' AND due_on < ?",
                          today)[0][0]
    assert overdue > 0, "the demo history leaves approved results past their publication date"

    html = office_page(site.url, history_county.admin_token)
    start = html.index('<table class="facts">')
    facts = text_of(html[start:html.index("</table>", start)])
    shown = re.search(r"，待公示 (\d+)", facts)
    assert shown and int(shown.group(1)) == waiting, facts
    within = re.search(r"，待公示 \d+（其中逾期 (\d+)）", facts)
    assert within and int(within.group(1)) == overdue, facts
    listed = table_rows(html, "待公示（已逾期")
    assert sum(cells[5].startswith("已逾期") for cells in listed) == overdue, "the page's own list agrees"


# --- the report -----------------------------------------------------------------------------------

@dataclass
class Expected:
    """One specialty's figures, counted from the base tables."""
    drawn: set[str]
    inspected: int = 0
    unreachable: int = 0
    repeat_visits: int = 0        # entries of a unit already counted under this specialty
    on_time: int = 0
    late: int = 0
    overdue: int = 0
    not_due: int = 0
    first_due: int = 0            # obligations due that are an entry's first publication

    @property
    def due(self) -> int:
        return self.on_time + self.late + self.overdue


def placed(task: Any, own: str | None) -> str:
    """docs/REPORTS.md: a single-specialty task's specialty; a joint task's unit under its own
    specialty when the task draws from it, else under the task's first."""
    specialties = json.loads(task["specialties"] or "[]")
    if len(specialties) <= 1:
        return task["specialty"]
    return own if own in specialties else task["specialty"]


def of_period(year: int, half: int | None, task: Any) -> bool:
    return task["year"] == year and (half is None or (int(task["period_start"][5:7]) <= 6) == (half == 1))


def expected_report(db: Target, year: int, half: int | None, today: date) -> dict[str, Expected]:
    """The report's figures by the documented rules, from raw rows (no report code)."""
    end = date(year, 6, 30) if half == 1 else date(year, 12, 31)
    cutoff = min(end, today).isoformat()
    own = {r["id"]: r["specialty"] for r in server_rows(db, "SELECT id, specialty FROM units")}
    links = server_rows(db, "SELECT at.assignment_id, a.unit_id, t.id, t.number, t.specialty, t.specialties,"
                        " t.period_start, p.year FROM assignment_tasks at JOIN assignments a ON a.id = at.assignment_id"
                        " JOIN tasks t ON t.id = at.task_id JOIN plans p ON p.id = t.plan_id")
    out: dict[str, Expected] = defaultdict(lambda: Expected(set()))
    visits: dict[str, list[Any]] = defaultdict(list)
    for link in links:
        visits[link["assignment_id"]].append(link)
        if of_period(year, half, link):
            out[placed(link, own.get(link["unit_id"]))].drawn.add(link["unit_id"])

    seen: set[tuple[str, str]] = set()
    entries = server_rows(db, "SELECT * FROM disclosures WHERE year = ? AND half IN (?, ?)", year,
                          *((half, half) if half else (1, 2)))
    for entry in entries:
        code = attributed(entry, visits[entry["assignment_id"]], own.get(entry["unit_id"]))
        figures = out[code]
        if entry["record_category"] == "unreachable":
            figures.unreachable += 1
        else:
            figures.inspected += 1
        figures.repeat_visits += (entry["unit_id"], code) in seen
        seen.add((entry["unit_id"], code))
        pubs = server_rows(db, "SELECT * FROM disclosure_publications WHERE disclosure_id = ? ORDER BY revision",
                           entry["id"])
        for pub in pubs:
            if pub["due_on"] > cutoff:
                figures.not_due += 1
                continue
            figures.first_due += pub["revision"] == pubs[0]["revision"]
            figures.on_time += pub["late_days"] == 0
            figures.late += pub["late_days"] > 0
        if entry["state"] == "due":
            passed = entry["due_on"] <= cutoff and entry["due_on"] < today.isoformat()
            figures.overdue += passed
            figures.not_due += not passed
            figures.first_due += passed and entry["first_published_on"] is None
    return out


def attributed(entry: Any, visit: list[Any], own: str | None) -> str:
    """docs/REPORTS.md: the specialty the visit's task placed the unit under; of several tasks, the
    unit's own specialty if one placed it there, else the first task named on the entry."""
    if not visit:
        return entry["specialty"]
    codes = {link["number"]: placed(link, own) for link in visit}
    if len(codes) == 1:
        return next(iter(codes.values()))
    if own in codes.values():
        return own  # type: ignore[return-value]
    named = [t["number"] for t in json.loads(entry["tasks"])]
    return codes[named[0]] if named and named[0] in codes else min(codes.values())


def workbook_rows(site: ServerProcess, year: int, half: int | None) -> dict[str, dict[str, Any]]:
    """The report as downloaded: {specialty name: {header: value}} over its two table sheets."""
    reply = httpx.get(f"{site.url}/public/reports/{year}.xlsx", params={"half": half} if half else {}, timeout=60)
    assert reply.status_code == 200, reply.text[:300]
    book = load_workbook(io.BytesIO(reply.content))
    rows: dict[str, dict[str, Any]] = defaultdict(dict)
    for sheet in ("汇总表", "公示及时性"):
        table = list(book[sheet].iter_rows(values_only=True))
        for row in table[2:]:
            if row and row[0] in {*SPECIALTIES.values(), "合计"}:
                rows[row[0]].update(zip(table[1], row))
    return rows


FIGURES = {"抽取单位数": "drawn", "检查单位数（户次）": "inspected", "无法联系": "unreachable",
           "应公示（已到期）": "due", "按时公示": "on_time", "逾期公示": "late", "逾期未公示": "overdue",
           "未到期（不计入）": "not_due"}


def figures_of(expected: Expected) -> dict[str, int]:
    return {header: (len(expected.drawn) if name == "drawn" else getattr(expected, name))
            for header, name in FIGURES.items()}


@pytest.mark.parametrize("half", [None, 1, 2])
def test_every_figure_of_a_specialty_counts_its_units_the_same_way(history_county: County, site: ServerProcess,
                                                                  half: int | None) -> None:
    year = server_rows(history_county.db, "SELECT max(year) FROM plans")[0][0]
    expected = expected_report(history_county.db, year, half, dates.today())
    shown = workbook_rows(site, year, half)
    # Invariants of each row. `due` counts an obligation per revision published (a penalty decision
    # or a re-inspection publishes an entry again), so it is each entry's first obligation that
    # cannot outnumber the entries. Drawn units bound the visits in a year whose inspections are
    # all of its own tasks (a half may inspect what the other half drew); a unit visited twice in
    # a specialty is one unit and two 户次.
    of_other_years = server_rows(
        history_county.db, "SELECT count(*) FROM disclosures d WHERE d.year = ? AND NOT EXISTS (SELECT 1"
        " FROM assignment_tasks at JOIN tasks t ON t.id = at.task_id JOIN plans p ON p.id = t.plan_id"
        " WHERE at.assignment_id = d.assignment_id AND p.year = d.year)", year)[0][0]
    assert of_other_years == 0
    for code, name in SPECIALTIES.items():
        row, counted = shown[name], expected[code]
        visited = row["检查单位数（户次）"] + row["无法联系"]
        assert counted.first_due <= visited, (name, "an entry owes one first publication")
        if half is None:
            assert visited - counted.repeat_visits <= row["抽取单位数"], (name, row)

    for code, name in SPECIALTIES.items():
        assert {h: shown[name][h] for h in FIGURES} == figures_of(expected[code]), name
    whole = {h: sum(figures_of(e)[h] for e in expected.values()) for h in FIGURES}
    whole["抽取单位数"] = len(set().union(*(e.drawn for e in expected.values())))
    assert {h: shown["合计"][h] for h in FIGURES} == whole
    inspected = server_rows(history_county.db, "SELECT count(*) FROM disclosures WHERE year = ?"
                            " AND (CAST(? AS INTEGER) IS NULL OR half = ?) AND record_category != 'unreachable'", year, half, half)[0][0]
    assert sum(shown[name]["检查单位数（户次）"] for name in SPECIALTIES.values()) == inspected
    assert shown["合计"]["检查单位数（户次）"] == inspected


def test_a_hospital_drawn_by_another_specialtys_task_counts_under_that_task(history_county: County,
                                                                           site: ServerProcess) -> None:
    """The demo's 2026 report: hospitals (医疗执业) tagged 传染病防治 and drawn by that task were
    inspected under 医疗执业, which had more inspections than units drawn, and 传染病防治 none."""
    year = server_rows(history_county.db, "SELECT max(year) FROM plans")[0][0]
    only_infectious = server_rows(
        history_county.db, "SELECT count(*) FROM disclosures d WHERE d.year = ? AND d.specialty = 'medical'"
        " AND (SELECT count(*) || ':' || max(t.specialty) FROM assignment_tasks at JOIN tasks t ON t.id = at.task_id"
        " WHERE at.assignment_id = d.assignment_id) = '1:infectious'", year)[0][0]
    assert only_infectious > 0, "the demo county has hospitals visited only for the 传染病防治 task"
    shown = workbook_rows(site, year, None)
    infectious, medical = shown[SPECIALTIES["infectious"]], shown[SPECIALTIES["medical"]]
    assert infectious["检查单位数（户次）"] + infectious["无法联系"] >= only_infectious
    assert medical["检查单位数（户次）"] + medical["无法联系"] <= medical["抽取单位数"]
