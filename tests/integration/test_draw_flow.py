"""The double-random draw through the CLI on real SQLite files: plan, announce, reveal, draw,
export, verify; the refusals; joint visits; assignments reaching the feed."""
from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from schemas.jcs import canonicalize
from sync_server import draws, plans
from sync_server.queries import registry, users
from sync_server.queries.db import open_db, transaction
from tests.support.server import ROOT

FUTURE = "2099-01-01T21:30:00Z"


def cli(*args: str, ok: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "sync_server", *args], cwd=ROOT, capture_output=True, text=True)
    if ok:
        assert done.returncode == 0, done.stderr
    return done


@pytest.fixture
def db(county_template, tmp_path: Path) -> Path:
    path = tmp_path / "server.db"
    shutil.copy(county_template.db, path)
    return path


def full_draw(db: Path, tmp_path: Path, number: str = "云溪卫〔2026〕随抽21号") -> Path:
    cli("plan", "add-task", "--db", str(db), "--year", "2026", "--number", number, "--title", "下半年公共场所专项抽查",
        "--specialty", "public_places", "--period", "2026-11-01:2026-12-31")
    nonce_file = tmp_path / "office.nonce"
    observer = "ab" * 32
    cli("announce", number, "--db", str(db), "--beacon", "中国福利彩票双色球2098001期开奖号码", "--beacon-at", FUTURE,
        "--commitment", hashlib.sha256(bytes.fromhex(observer)).hexdigest(), "--nonce-out", str(nonce_file))
    cli("reveal", number, "--db", str(db), "--beacon", "03 07 12 19 25 31 + 09",
        "--nonce", nonce_file.read_text().strip(), "--nonce", observer)
    cli("draw", number, "--db", str(db))
    out = tmp_path / "published"
    cli("export-draw", number, str(out), "--db", str(db))
    return out


def test_plan_announce_reveal_draw_verify(db: Path, tmp_path: Path) -> None:
    out = full_draw(db, tmp_path)
    files = {p.name: p for p in out.iterdir()}
    assert set(files) == {"announcement.json", "reveal.json", "result.json"}
    for path in files.values():
        assert canonicalize(json.loads(path.read_bytes())) == path.read_bytes(), "published as JCS"
    verified = cli("verify-draw", str(files["announcement.json"]), str(files["reveal.json"]), str(files["result.json"]))
    assert verified.returncode == 0
    recomputed = cli("draw-files", str(files["announcement.json"]), str(files["reveal.json"])).stdout.encode()
    assert recomputed.strip() == files["result.json"].read_bytes()
    result = json.loads(files["result.json"].read_bytes())
    announcement = json.loads(files["announcement.json"].read_bytes())
    assert result["announcement_hash"] == hashlib.sha256(files["announcement.json"].read_bytes()).hexdigest()
    assert len(result["selected"]) + len(result["unmatched"]) == announcement["strata"][0]["n"] > 0
    listed = cli("tasks", "--db", str(db)).stdout.splitlines()
    assert any(line.split("\t")[1:3] == ["云溪卫〔2026〕随抽21号", "drawn"] for line in listed)


def test_a_tampered_result_is_caught(db: Path, tmp_path: Path) -> None:
    out = full_draw(db, tmp_path)
    result = json.loads((out / "result.json").read_bytes())
    result["selected"][0]["team"].reverse()
    (out / "result.json").write_bytes(canonicalize(result))
    done = cli("verify-draw", str(out / "announcement.json"), str(out / "reveal.json"), str(out / "result.json"), ok=False)
    assert done.returncode == 1


def test_drawn_units_become_assignments_for_their_teams(db: Path, tmp_path: Path) -> None:
    out = full_draw(db, tmp_path)
    result = json.loads((out / "result.json").read_bytes())
    conn = sqlite3.connect(db)
    (task_id,) = conn.execute("SELECT id FROM tasks WHERE number = '云溪卫〔2026〕随抽21号'").fetchone()
    joined = 0
    for pick in result["selected"]:
        (doc,) = conn.execute("SELECT a.doc FROM assignments a JOIN assignment_tasks t ON t.assignment_id = a.id"
                              " WHERE a.unit_id = ? AND t.task_id = ?", (pick["unit"], task_id)).fetchone()
        doc = json.loads(doc)
        team = [m["id"] for m in doc["team"]]
        if len(doc["tasks"]) == 1:
            assert team == pick["team"], "a new visit gets the drawn team, in pick order"
        else:  # joined the overlapping visit of the seeded second-half task: one visit, both tasks
            joined += 1
            assert doc["tasks"][-1]["id"] == task_id and doc["version"] >= 2
            assert {i["task_id"] for i in doc["items"]} == {t["id"] for t in doc["tasks"]}
    assert joined < len(result["selected"])
    kinds = [r[0] for r in conn.execute("SELECT kind FROM audit_log ORDER BY idx")]
    assert kinds[-4:] == ["draw.announced", "draw.revealed", "draw.drawn", "visits.placed"]
    conn.close()


def test_refusals(db: Path, tmp_path: Path) -> None:
    number = "云溪卫〔2026〕随抽22号"
    cli("plan", "add-task", "--db", str(db), "--year", "2026", "--number", number, "--title", "t",
        "--specialty", "public_places", "--period", "2026-11-01:2026-12-31")
    early = cli("reveal", number, "--db", str(db), "--beacon", "1", "--nonce", "00", ok=False)
    assert early.returncode == 1 and "尚未公告" in early.stderr
    past = cli("announce", number, "--db", str(db), "--beacon", "x", "--beacon-at", "2020-01-01T00:00:00Z", ok=False)
    assert past.returncode == 1 and "晚于公告时间" in past.stderr
    cli("announce", number, "--db", str(db), "--beacon", "x", "--beacon-at", FUTURE, "--nonce-out", str(tmp_path / "n"))
    wrong = cli("reveal", number, "--db", str(db), "--beacon", "1", "--nonce", "00" * 32, ok=False)
    assert wrong.returncode == 1 and "draw." in wrong.stderr
    premature = cli("draw", number, "--db", str(db), ok=False)
    assert premature.returncode == 1 and "尚未揭示" in premature.stderr
    cli("reveal", number, "--db", str(db), "--beacon", "1", "--nonce", (tmp_path / "n").read_text().strip())
    cli("draw", number, "--db", str(db))
    again = cli("draw", number, "--db", str(db), ok=False)
    assert again.returncode == 1 and "不能重复抽取" in again.stderr
    frozen = cli("plan", "exclude", number, "--db", str(db), "--unit", "x", "--reason", "other", ok=False)
    assert frozen.returncode == 1 and "已公告" in frozen.stderr
    redo = cli("plan", "redraw", number, "--db", str(db), "--number", number + "（重抽）", "--reason", "开奖推迟")
    assert "重新抽取：开奖推迟" in redo.stdout


def test_bare_announce_and_nonces_after_one_flag(db: Path, tmp_path: Path) -> None:
    number = "云溪卫〔2026〕随抽23号"
    cli("plan", "add-task", "--db", str(db), "--year", "2026", "--number", number, "--title", "t",
        "--specialty", "disinfection", "--period", "2026-11-01:2026-12-31")
    announced = cli("announce", number, "--db", str(db), "--commitment", hashlib.sha256(b"\x01" * 32).hexdigest())
    office = next(line.split()[2] for line in announced.stdout.splitlines() if line.startswith("office nonce"))
    cli("reveal", number, "--db", str(db), "--beacon", "7", "--nonce", office, "01" * 32)
    assert "drawn" in cli("draw", number, "--db", str(db)).stdout


def test_ratio_outside_band_and_unknown_specialty(db: Path) -> None:
    bad = cli("plan", "add-task", "--db", str(db), "--year", "2026", "--number", "n1", "--title", "t",
              "--specialty", "public_places", "--ratio", "40", "--period", "2026-11-01:2026-12-31", ok=False)
    assert bad.returncode == 1 and "超出" in bad.stderr
    bad = cli("plan", "add-task", "--db", str(db), "--year", "2026", "--number", "n2", "--title", "t",
              "--specialty", "cooking", "--period", "2026-11-01:2026-12-31", ok=False)
    assert bad.returncode == 1 and "专业代码无效" in bad.stderr


def tiny_county(path: Path) -> sqlite3.Connection:
    """One hospital that is also a radiation unit; officers for both specialties."""
    conn = open_db(path)
    now = "2026-10-01T00:00:00.000Z"
    with transaction(conn):
        registry.upsert_units(conn, [{"id": "12369921MB1234567X", "name": "云溪县人民医院", "address": "城关镇和平路1号",
                                      "specialty": "medical", "category": "综合医院", "tags": ["放射卫生"], "risk": "B",
                                      "complaints": 0, "serious_violations": 0, "covered": True, "contact": "张",
                                      "phone": "", "town": "城关镇"}], now)
        people = [(f"P{i}", specialties) for i, specialties in
                  enumerate([["medical"], ["medical"], ["radiation"], ["radiation"]])]
        users.upsert_users(conn, [{"id": pid, "name": f"检查员{pid}", "role": "inspector", "department": "",
                                   "specialties": s, "cert_valid_until": "2030-01-01", "phone": ""}
                                  for pid, s in people], now)
        registry.upsert_items(conn, [{"code": c, "name": c, "specialty": s, "legal_basis": "依据", "subject": "",
                                      "content": "", "method": "", "frequency": ""}
                                     for c, s in (("YL-001", "medical"), ("FS-001", "radiation"))], version=1)
    return conn


def drawn(conn: sqlite3.Connection, number: str, specialty: str) -> None:
    with transaction(conn):
        plans.add_task(conn, plans.TaskSpec(2026, number, number, (specialty,), "2026-11-01", "2026-12-31"))
        made = draws.announce(conn, number, "beacon", "2026-10-20T00:00:00.000Z", [], now="2026-10-10T00:00:00.000Z")
        draws.reveal(conn, number, "42", [made["office_nonce"]])
        draws.run(conn, number)


def test_a_unit_drawn_by_two_tasks_is_one_joint_visit(tmp_path: Path) -> None:
    conn = tiny_county(tmp_path / "tiny.db")
    drawn(conn, "医疗〔2026〕1号", "medical")
    drawn(conn, "放射〔2026〕1号", "radiation")
    rows = conn.execute("SELECT doc FROM assignments").fetchall()
    assert len(rows) == 1, "one visit, not two"
    doc = json.loads(rows[0][0])
    assert [t["number"] for t in doc["tasks"]] == ["医疗〔2026〕1号", "放射〔2026〕1号"]
    assert {i["code"] for i in doc["items"]} == {"YL-001", "FS-001"}
    team = [m["id"] for m in doc["team"]]
    assert set(team[:2]) == {"P0", "P1"} and len(team) == 3 and team[2] in {"P2", "P3"}
    assert doc["version"] == 2
    conn.close()
