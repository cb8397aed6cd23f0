"""The double-random draw through the CLI on real SQLite files: plan, announce, reveal, draw,
export, verify; the refusals; joint visits; assignments reaching the feed."""
from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from schemas import clock
from schemas.jcs import canonicalize
from sync_server.planning import draws, plans
from schemas.clock import format_time
from sync_server.planning.core import draw
from sync_server.errors import BadRequest, Conflict
from sync_server.registry import queries as registry
from sync_server.accounts.queries import users
from sync_server.db.connection import open_db, transaction
from tests.support.engine import Target
from tests.integration.conftest import copy_county_db
from tests.support import engine
from tests.support.server import ROOT

# Reads today's date (the suite's clock): .ci/run runs it again with the clock moved.
pytestmark = pytest.mark.dates

# DRAW_SPEC §1, §2, §6: the fields of the three published files, exactly.
ANNOUNCEMENT_FIELDS = {"algo", "task", "announced_at", "strata", "risk_weights", "team_size", "specialty", "units",
                       "inspectors", "exclusions", "commitments", "beacon", "beacon_at"}
REVEAL_FIELDS = {"announcement_hash", "beacon_value", "nonces"}
RESULT_FIELDS = {"announcement_hash", "seed", "selected", "unmatched"}


def in_hours(hours: float) -> str:
    """A time on the suite's clock, as the CLI takes it."""
    return format_time(clock.now() + timedelta(hours=hours))


def cli(*args: str, ok: bool = True, later: float = 0) -> subprocess.CompletedProcess:
    """The real CLI; `later` hours runs it on the suite's clock moved that far ahead."""
    env = dict(os.environ, SUIJIAN_CLOCK=clock.Clock(clock.current().offset + timedelta(hours=later)).setting())
    done = subprocess.run([sys.executable, "-m", "sync_server", *args], cwd=ROOT, capture_output=True, text=True,
                          env=env)
    if ok:
        assert done.returncode == 0, done.stderr
    return done


@pytest.fixture
def db(county_template, tmp_path: Path) -> Target:
    return copy_county_db(county_template, tmp_path / "server.db")


def full_draw(db: Target, tmp_path: Path, number: str = "云溪卫〔2026〕随抽21号") -> Path:
    cli("plan", "add-task", "--db", str(db), "--year", "2026", "--number", number, "--title", "下半年公共场所专项抽查",
        "--specialty", "public_places", "--period", "2026-11-01:2026-12-31")
    nonce_file = tmp_path / "office.nonce"
    observer = "ab" * 32
    cli("announce", number, "--db", str(db), "--beacon", "中国福利彩票双色球下一期开奖号码", "--beacon-at", in_hours(6),
        "--commitment", hashlib.sha256(bytes.fromhex(observer)).hexdigest(), "--nonce-out", str(nonce_file))
    cli("reveal", number, "--db", str(db), "--beacon", "03 07 12 19 25 31 + 09",
        "--nonce", nonce_file.read_text().strip(), "--nonce", observer, later=7)
    cli("draw", number, "--db", str(db), later=7)
    out = tmp_path / "published"
    cli("export-draw", number, str(out), "--db", str(db))
    return out


def test_plan_announce_reveal_draw_verify(db: Target, tmp_path: Path) -> None:
    out = full_draw(db, tmp_path)
    files = {p.name: p for p in out.iterdir()}
    assert set(files) == {"announcement.json", "reveal.json", "result.json"}
    for path in files.values():
        assert canonicalize(json.loads(path.read_bytes())) == path.read_bytes(), "published as JCS"
    published = {name: json.loads(path.read_bytes()) for name, path in files.items()}
    assert set(published["announcement.json"]) == ANNOUNCEMENT_FIELDS
    assert set(published["reveal.json"]) == REVEAL_FIELDS and set(published["result.json"]) == RESULT_FIELDS
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


def test_a_tampered_result_is_caught(db: Target, tmp_path: Path) -> None:
    out = full_draw(db, tmp_path)
    result = json.loads((out / "result.json").read_bytes())
    result["selected"][0]["team"].reverse()
    (out / "result.json").write_bytes(canonicalize(result))
    done = cli("verify-draw", str(out / "announcement.json"), str(out / "reveal.json"), str(out / "result.json"), ok=False)
    assert done.returncode == 1


def test_drawn_units_become_assignments_for_their_teams(db: Target, tmp_path: Path) -> None:
    out = full_draw(db, tmp_path)
    result = json.loads((out / "result.json").read_bytes())
    conn = engine.connect(db)
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


def test_refusals(db: Target, tmp_path: Path) -> None:
    number = "云溪卫〔2026〕随抽22号"
    cli("plan", "add-task", "--db", str(db), "--year", "2026", "--number", number, "--title", "t",
        "--specialty", "public_places", "--period", "2026-11-01:2026-12-31")
    early = cli("reveal", number, "--db", str(db), "--beacon", "1", "--nonce", "00", ok=False)
    assert early.returncode == 1 and "尚未公告" in early.stderr
    past = cli("announce", number, "--db", str(db), "--beacon", "x", "--beacon-at", "2020-01-01T00:00:00Z", ok=False)
    assert past.returncode == 1 and "晚于公告时间" in past.stderr
    cli("announce", number, "--db", str(db), "--beacon", "x", "--beacon-at", in_hours(6),
        "--nonce-out", str(tmp_path / "n"))
    wrong = cli("reveal", number, "--db", str(db), "--beacon", "1", "--nonce", "00" * 32, ok=False, later=7)
    assert wrong.returncode == 1 and "draw." in wrong.stderr
    premature = cli("draw", number, "--db", str(db), ok=False)
    assert premature.returncode == 1 and "尚未揭示" in premature.stderr
    cli("reveal", number, "--db", str(db), "--beacon", "1", "--nonce", (tmp_path / "n").read_text().strip(), later=7)
    cli("draw", number, "--db", str(db), later=7)
    again = cli("draw", number, "--db", str(db), ok=False, later=7)
    assert again.returncode == 1 and "不能重复抽取" in again.stderr
    frozen = cli("plan", "exclude", number, "--db", str(db), "--unit", "x", "--reason", "other", ok=False)
    assert frozen.returncode == 1 and "已公告" in frozen.stderr
    redo = cli("plan", "redraw", number, "--db", str(db), "--number", number + "（重抽）", "--reason", "开奖推迟")
    assert "重新抽取：开奖推迟" in redo.stdout


def test_bare_announce_and_nonces_after_one_flag(db: Target, tmp_path: Path) -> None:
    number = "云溪卫〔2026〕随抽23号"
    cli("plan", "add-task", "--db", str(db), "--year", "2026", "--number", number, "--title", "t",
        "--specialty", "disinfection", "--period", "2026-11-01:2026-12-31")
    announced = cli("announce", number, "--db", str(db), "--commitment", hashlib.sha256(b"\x01" * 32).hexdigest())
    office = next(line.split()[2] for line in announced.stdout.splitlines() if line.startswith("office nonce"))
    cli("reveal", number, "--db", str(db), "--beacon", "7", "--nonce", office, "01" * 32, later=73)
    assert "drawn" in cli("draw", number, "--db", str(db), later=73).stdout


def test_no_reveal_before_the_beacon(db: Target, tmp_path: Path) -> None:
    """DRAW_SPEC §1: until beacon_at nobody can know the beacon value, so a "value" entered
    earlier is refused, with the time in Beijing time; from beacon_at on the reveal is taken."""
    number = "云溪卫〔2026〕随抽24号"
    cli("plan", "add-task", "--db", str(db), "--year", "2026", "--number", number, "--title", "t",
        "--specialty", "public_places", "--period", "2026-11-01:2026-12-31")
    beacon_at = clock.now() + timedelta(hours=6)
    cli("announce", number, "--db", str(db), "--beacon", "双色球下一期", "--beacon-at", format_time(beacon_at),
        "--nonce-out", str(tmp_path / "n"))
    nonce = (tmp_path / "n").read_text().strip()
    early = cli("reveal", number, "--db", str(db), "--beacon", "01 02 03 04 05 06 + 07", "--nonce", nonce, ok=False)
    beijing = beacon_at.astimezone(clock.BEIJING).strftime("%Y-%m-%d %H:%M:%S")
    assert early.returncode == 1 and "draw.beacon_not_yet" in early.stderr, early.stderr
    assert f"北京时间 {beijing}" in early.stderr and "Traceback" not in early.stderr
    still = cli("reveal", number, "--db", str(db), "--beacon", "1", "--nonce", nonce, ok=False, later=5.9)
    assert "draw.beacon_not_yet" in still.stderr
    listed = cli("tasks", "--db", str(db)).stdout.splitlines()
    assert any(line.split("\t")[1:3] == [number, "announced"] for line in listed), "nothing changed"
    cli("reveal", number, "--db", str(db), "--beacon", "01 02 03 04 05 06 + 07", "--nonce", nonce, later=6)
    assert "drawn" in cli("draw", number, "--db", str(db), later=6).stdout


def test_the_service_refuses_a_reveal_before_beacon_at(tmp_path: Path) -> None:
    conn = tiny_county(tmp_path / "tiny.db")
    start = clock.now()
    announced, beacon_at = format_time(start), format_time(start + timedelta(hours=6))
    with transaction(conn):
        plans.add_task(conn, plans.TaskSpec(2026, "医疗〔2026〕9号", "t", ("medical",), "2026-11-01", "2026-12-31"))
        made = draws.announce(conn, "医疗〔2026〕9号", "beacon", beacon_at, [], now=announced)
    for now in (announced, format_time(start + timedelta(hours=6, milliseconds=-1))):
        with pytest.raises(Conflict) as caught, transaction(conn):
            draws.reveal(conn, "医疗〔2026〕9号", "42", [made["office_nonce"]], now=now)
        assert caught.value.code == "draw.beacon_not_yet" and "北京时间" in caught.value.message_zh
    assert conn.execute("SELECT reveal FROM draws").fetchone()[0] is None
    with transaction(conn):
        draws.reveal(conn, "医疗〔2026〕9号", "42", [made["office_nonce"]], now=beacon_at)
        draws.run(conn, "医疗〔2026〕9号", now=beacon_at)
    conn.close()


@pytest.mark.parametrize("beacon_at, code", [
    ("{announced}", "draw.beacon_in_past"),
    ("{announced_seconds}", "draw.beacon_in_past"),   # the same instant without milliseconds
    ("{announced_beijing}", "draw.beacon_in_past"),   # the same instant in Beijing time
    ("tomorrow", "draw.bad_time"),
    ("2026-13-01T00:00:00Z", "draw.bad_time"),
])
def test_the_service_refuses_a_beacon_at_not_after_the_announcement(tmp_path: Path, beacon_at: str, code: str) -> None:
    conn = tiny_county(tmp_path / "tiny.db")
    start = clock.now().replace(microsecond=0)
    text = beacon_at.format(announced=format_time(start), announced_seconds=start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                            announced_beijing=start.astimezone(clock.BEIJING).isoformat())
    with transaction(conn):
        plans.add_task(conn, plans.TaskSpec(2026, "医疗〔2026〕9号", "t", ("medical",), "2026-11-01", "2026-12-31"))
    with pytest.raises(BadRequest) as caught, transaction(conn):
        draws.announce(conn, "医疗〔2026〕9号", "beacon", text, [], now=format_time(start))
    assert caught.value.code == code and caught.value.message_zh
    assert conn.execute("SELECT count(*) FROM draws").fetchone()[0] == 0
    conn.close()


def test_a_beacon_at_with_an_offset_is_published_in_utc(tmp_path: Path) -> None:
    conn = tiny_county(tmp_path / "tiny.db")
    start = clock.now().replace(microsecond=0)
    beacon = (start + timedelta(hours=30)).astimezone(clock.BEIJING)
    with transaction(conn):
        plans.add_task(conn, plans.TaskSpec(2026, "医疗〔2026〕9号", "t", ("medical",), "2026-11-01", "2026-12-31"))
        draws.announce(conn, "医疗〔2026〕9号", "beacon", beacon.isoformat(), [], now=format_time(start))
    body, stored = conn.execute("SELECT announcement, beacon_at FROM draws").fetchone()
    published = json.loads(body)
    assert published["beacon_at"] == stored == format_time(start + timedelta(hours=30))
    assert set(published) == ANNOUNCEMENT_FIELDS
    conn.close()


def _documents() -> tuple[dict, dict, dict]:
    nonces = ["3c" * 32, "d1" * 16]
    ann = {"algo": "ssj-draw-v1", "task": "云溪卫〔2026〕随抽90号", "announced_at": "2026-11-02T02:00:00.000Z",
           "strata": [{"name": "公共场所", "n": 2}], "risk_weights": {"A": 1, "B": 2}, "team_size": 2,
           "specialty": "public_places",
           "units": [{"id": f"9136992100000{k}X", "stratum": "公共场所", "risk": "AB"[k % 2]} for k in range(5)],
           "inspectors": [{"id": f"36992100{k}", "specialties": ["public_places"], "load": 0} for k in range(4)],
           "exclusions": [], "commitments": [hashlib.sha256(bytes.fromhex(n)).hexdigest() for n in nonces],
           "beacon": "中国福利彩票双色球第2026130期开奖号码", "beacon_at": "2026-11-05T13:15:00.000Z"}
    reveal = {"announcement_hash": draw.announcement_hash(ann), "beacon_value": "02 08 13 20 27 33 + 05",
              "nonces": nonces}
    return ann, reveal, draw.run_draw(ann, reveal)


def _with_nonce(nonce: str):  # type: ignore[no-untyped-def]
    def change(ann: dict, reveal: dict) -> None:
        ann["commitments"][0] = hashlib.sha256(bytes.fromhex(nonce)).hexdigest()
        reveal.update(announcement_hash=draw.announcement_hash(ann), nonces=[nonce, reveal["nonces"][1]])
    return change


REFUSED_FILES = {  # what is changed -> (the change, the code draw-files gives, what the verifier names)
    "no beacon_at": (lambda a, r: a.pop("beacon_at"), "draw.bad_document", "beacon_at"),
    "an extra field": (lambda a, r: a.update(seed_hint="x"), "draw.bad_document", "seed_hint"),
    "beacon_at = announced_at": (lambda a, r: a.update(beacon_at=a["announced_at"]), "draw.beacon_in_past",
                                 "beacon_at"),
    "beacon_at before announced_at": (lambda a, r: a.update(beacon_at="2026-11-01T13:15:00Z"),
                                      "draw.beacon_in_past", "beacon_at"),
    "an uppercase nonce": (_with_nonce("3C" * 32), "draw.bad_nonce", "nonce 0"),
    "a 15-byte nonce": (_with_nonce("3c" * 15), "draw.bad_nonce", "nonce 0"),
    "a 65-byte nonce": (_with_nonce("3c" * 65), "draw.bad_nonce", "nonce 0"),
    "an odd-length nonce": (lambda a, r: r.update(nonces=["3c" * 32 + "a", r["nonces"][1]]), "draw.bad_nonce",
                            "nonce 0"),
}


@pytest.mark.engine_free   # files and the verifier, no database
@pytest.mark.parametrize("case", REFUSED_FILES)
def test_draw_files_and_the_verifier_refuse_what_the_spec_refuses(tmp_path: Path, case: str) -> None:
    change, code, named = REFUSED_FILES[case]
    ann, reveal, result = _documents()
    change(ann, reveal)
    for name, doc in (("announcement", ann), ("reveal", reveal), ("result", result)):
        (tmp_path / f"{name}.json").write_bytes(canonicalize(doc))
    paths = [str(tmp_path / f"{name}.json") for name in ("announcement", "reveal", "result")]
    computed = cli("draw-files", *paths[:2], ok=False)
    assert computed.returncode == 1 and f"错误 {code}:" in computed.stderr and not computed.stdout
    assert "Traceback" not in computed.stderr
    verified = cli("verify-draw", *paths, ok=False)
    assert verified.returncode == 2 and "BAD INPUT / 输入无效" in verified.stderr and named in verified.stderr
    assert "Traceback" not in verified.stderr


@pytest.mark.engine_free   # files and the verifier, no database
@pytest.mark.parametrize("old, new, code", [
    (b'"team_size":2', b'"team_size":2,"team_size":3', "json.duplicate_key"),
    (b'"team_size":2', b'"team_size":2.0', "json.float"),
])
def test_draw_files_and_the_verifier_refuse_a_duplicate_key_or_a_float(tmp_path: Path, old: bytes, new: bytes,
                                                                        code: str) -> None:
    ann, reveal, result = _documents()
    body = canonicalize(ann)
    assert body.count(old) == 1
    (tmp_path / "announcement.json").write_bytes(body.replace(old, new))
    (tmp_path / "reveal.json").write_bytes(canonicalize(reveal))
    (tmp_path / "result.json").write_bytes(canonicalize(result))
    paths = [str(tmp_path / f"{name}.json") for name in ("announcement", "reveal", "result")]
    computed = cli("draw-files", *paths[:2], ok=False)
    assert computed.returncode == 1 and computed.stderr.startswith(f"错误 {code}:"), computed.stderr
    verified = cli("verify-draw", *paths, ok=False)
    assert verified.returncode == 2 and "BAD INPUT / 输入无效" in verified.stderr


def test_the_composed_documents_are_taken_by_both(tmp_path: Path) -> None:
    for name, doc in zip(("announcement", "reveal", "result"), _documents()):
        (tmp_path / f"{name}.json").write_bytes(canonicalize(doc))
    paths = [str(tmp_path / f"{name}.json") for name in ("announcement", "reveal", "result")]
    assert cli("draw-files", *paths[:2]).stdout.encode().strip() == (tmp_path / "result.json").read_bytes()
    assert "AGREED / 一致" in cli("verify-draw", *paths).stdout


def test_ratio_outside_band_and_unknown_specialty(db: Target) -> None:
    bad = cli("plan", "add-task", "--db", str(db), "--year", "2026", "--number", "n1", "--title", "t",
              "--specialty", "public_places", "--ratio", "40", "--period", "2026-11-01:2026-12-31", ok=False)
    assert bad.returncode == 1 and "超出" in bad.stderr
    bad = cli("plan", "add-task", "--db", str(db), "--year", "2026", "--number", "n2", "--title", "t",
              "--specialty", "cooking", "--period", "2026-11-01:2026-12-31", ok=False)
    assert bad.returncode == 1 and "专业代码无效" in bad.stderr


def tiny_county(path: Path) -> sqlite3.Connection:
    """One hospital that is also a radiation unit; officers for both specialties."""
    conn = open_db(engine.new_target(path))
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
