"""The task services behind the console's 抽查任务 section, on real SQLite files: the population
preview, exclusions and recusals with the person logged, and reassigning a visit after the draw
(refusals, the feed that follows)."""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.support import engine
import pytest

from sync_server.db.connection import open_db, transaction
from sync_server.errors import BadRequest, Conflict, FieldErrors, NotFound, Stale
from sync_server.planning import draws, plans, visits
from sync_server.planning.routes import _page
from sync_server.registry import queries as registry
from sync_server.accounts.queries import users

HOSPITAL, CLINIC = "12369921MB1234567X", "12369921MB7654321Y"
NOW = "2026-11-02T01:00:00.000Z"


def tiny_county(path: Path) -> sqlite3.Connection:
    """A hospital that is also a radiation unit, a clinic; officers P0–P5 (P0, P1, P4 medical; P2,
    P3 radiation; P5 public places)."""
    conn = open_db(engine.new_target(path))
    now = "2026-10-01T00:00:00.000Z"
    unit = {"address": "城关镇和平路1号", "category": "综合医院", "risk": "B", "complaints": 0,
            "serious_violations": 0, "covered": True, "contact": "张", "phone": "", "town": "城关镇"}
    with transaction(conn):
        registry.upsert_units(conn, [{**unit, "id": HOSPITAL, "name": "云溪县人民医院", "specialty": "medical",
                                      "tags": ["放射卫生"]},
                                     {**unit, "id": CLINIC, "name": "城关镇卫生院", "specialty": "medical", "tags": []}],
                              now)
        people = enumerate([["medical"], ["medical"], ["radiation"], ["radiation"], ["medical"], ["public_places"]])
        users.upsert_users(conn, [{"id": f"P{i}", "name": f"检查员{i}", "role": "inspector", "department": "",
                                   "specialties": s, "cert_valid_until": "2099-12-31", "phone": ""}
                                  for i, s in people], now)
        registry.upsert_items(conn, [{"code": c, "name": c, "specialty": s, "legal_basis": "依据", "subject": "",
                                      "content": "", "method": "", "frequency": ""}
                                     for c, s in (("YL-001", "medical"), ("FS-001", "radiation"))], version=1)
    return conn


def drawn(conn: sqlite3.Connection, number: str, specialty: str, recusals: tuple = (), excluded: tuple = ()) -> None:
    with transaction(conn):
        plans.add_task(conn, plans.TaskSpec(2026, number, number, (specialty,), "2026-11-01", "2026-12-31"))
        for unit in excluded:
            plans.exclude_unit(conn, number, unit, "higher_level_sampling", "", by="office:admin")
        for inspector, unit in recusals:
            plans.recuse(conn, number, inspector, unit, "recusal", by="office:admin")
        made = draws.announce(conn, number, "beacon", "2026-10-20T00:00:00.000Z", [], now="2026-10-10T00:00:00.000Z")
        draws.reveal(conn, number, "42", [made["office_nonce"]], now="2026-10-20T00:00:00.000Z")
        draws.run(conn, number, now="2026-10-20T00:00:00.000Z")


@pytest.fixture
def conn(tmp_path: Path):
    connection = tiny_county(tmp_path / "tiny.db")
    yield connection
    connection.close()


def visit_of(conn: sqlite3.Connection, unit: str) -> dict:
    return json.loads(conn.execute("SELECT doc FROM assignments WHERE unit_id = ?", (unit,)).fetchone()[0])


def audit_entries(conn: sqlite3.Connection, kind: str) -> list[dict]:
    return [json.loads(r[0]) for r in conn.execute("SELECT entry FROM audit_log WHERE kind = ? ORDER BY idx", (kind,))]


def feed(conn: sqlite3.Connection, user: str, cursor: int = 0) -> dict:
    return json.loads(_page(conn, {"user_id": user}, cursor, 100))


# --- preview, exclusions, recusals -----------------------------------------------------------------

def test_preview_counts_the_population_and_the_band(conn) -> None:
    made = plans.preview(conn, ("medical", "radiation"), None)
    medical, radiation = made["strata"]
    # two medical units (≤ 20: 50%, one drawn); the hospital is a radiation unit by its tag
    assert (medical.population, medical.eligible, medical.band_low, medical.band_high, medical.suggested_n) == \
        (2, 2, 50, 50, 1)
    assert (radiation.population, radiation.suggested_n) == (0, 0)   # the hospital counts in its first stratum only
    assert made["allowed"] == (50, 50)
    assert plans.preview(conn, ("medical",), 30)["strata"][0].n is None, "30% is outside the ≤20 band"


def test_exclusions_and_recusals_log_the_person_and_refuse_what_cannot_be(conn) -> None:
    with transaction(conn):
        plans.add_task(conn, plans.TaskSpec(2026, "医疗〔2026〕1号", "t", ("medical",), "2026-11-01", "2026-12-31"),
                       by="office:admin")
        task_id = plans.task_by_key(conn, "医疗〔2026〕1号")["id"]
        plans.exclude_unit(conn, task_id, CLINIC, "higher_level_sampling", "省级抽查已抽中", by="office:admin")
        plans.recuse(conn, task_id, "P0", HOSPITAL, "recusal", by="office:admin")
    assert audit_entries(conn, "task.created")[-1]["by"] == "office:admin"
    excluded = audit_entries(conn, "task.unit_excluded")[-1]
    assert (excluded["subject"], excluded["unit"], excluded["reason"], excluded["by"]) == \
        (task_id, CLINIC, "higher_level_sampling", "office:admin")
    assert audit_entries(conn, "task.inspector_excluded")[-1]["by"] == "office:admin"
    assert plans.preview(conn, ("medical",), None, task_id)["strata"][0].eligible == 1
    with pytest.raises(NotFound) as unknown, transaction(conn):
        plans.exclude_unit(conn, task_id, "91370000MA3C1234XY", "other", "")
    assert "名录库中没有" in unknown.value.message_zh
    with pytest.raises(NotFound) as nobody, transaction(conn):
        plans.recuse(conn, task_id, "P9", HOSPITAL, "recusal")
    assert "执法人员库中没有" in nobody.value.message_zh
    with transaction(conn):
        plans.add_task(conn, plans.TaskSpec(2026, "放射〔2026〕1号", "t", ("radiation",), "2026-11-01", "2026-12-31"))
    with pytest.raises(BadRequest) as not_member, transaction(conn):
        plans.exclude_unit(conn, "放射〔2026〕1号", CLINIC, "other", "")   # the clinic has no radiation tag
    assert not_member.value.code == "plan.unit_not_in_population"


def test_exclusions_stop_at_the_announcement(conn) -> None:
    drawn(conn, "医疗〔2026〕1号", "medical")
    with pytest.raises(Conflict) as frozen, transaction(conn):
        plans.exclude_unit(conn, "医疗〔2026〕1号", CLINIC, "other", "")
    assert "已公告" in frozen.value.message_zh
    with pytest.raises(Conflict), transaction(conn):
        plans.recuse(conn, "医疗〔2026〕1号", "P0", CLINIC, "recusal")


# --- reassigning a visit ---------------------------------------------------------------------------

def test_reassign_replaces_the_officer_and_the_feed_follows(conn) -> None:
    drawn(conn, "医疗〔2026〕1号", "medical")
    doc = json.loads(conn.execute("SELECT doc FROM assignments").fetchone()[0])   # one of two medical units
    team = [m["id"] for m in doc["team"]]
    out, stays = team[0], team[1]
    spare = next(p for p in ("P0", "P1", "P4") if p not in team)   # the only medical officer left
    cursors = {p: feed(conn, p)["cursor"] for p in (out, stays, spare)}
    assert doc["id"] not in [i["data"]["id"] for i in feed(conn, spare)["items"]]

    with transaction(conn):
        made = visits.reassign(conn, doc["id"], out, spare, "illness", "住院", version=doc["version"],
                               by="office:admin", now=NOW)
    after = json.loads(conn.execute("SELECT doc FROM assignments WHERE id = ?", (doc["id"],)).fetchone()[0])
    assert [m["id"] for m in after["team"]] == [spare, stays], "the replacement takes the same place"
    assert after["version"] == doc["version"] + 1 == made["version"]
    assert sorted(r[0] for r in conn.execute("SELECT user_id FROM assignment_team WHERE assignment_id = ?",
                                             (doc["id"],))) == sorted([spare, stays])

    gained = feed(conn, spare, int(cursors[spare]))["items"]
    assert [(i["kind"], i["data"]["id"], i["data"]["status"]) for i in gained] == [("assignment", doc["id"], "open")]
    kept = feed(conn, stays, int(cursors[stays]))["items"]
    assert [(i["data"]["id"], i["data"]["version"]) for i in kept] == [(doc["id"], after["version"])]
    lost = feed(conn, out, int(cursors[out]))["items"]
    assert [(i["kind"], i["data"]["id"], i["data"]["status"]) for i in lost] == [("assignment", doc["id"], "cancelled")]
    assert doc["id"] not in [i["data"]["id"] for i in feed(conn, out)["items"] if i["data"]["status"] == "open"]

    (entry,) = audit_entries(conn, "visit.reassigned")
    assert (entry["by"], entry["replaced"], entry["replacement"], entry["reason"], entry["note"]) == \
        ("office:admin", out, spare, "illness", "住院")
    row = conn.execute("SELECT replaced, replacement, by, log_index FROM visit_reassignments").fetchone()
    assert tuple(row) == (out, spare, "office:admin", made["log_index"])


def test_reassign_refusals(conn) -> None:
    drawn(conn, "医疗〔2026〕1号", "medical", recusals=(("P4", HOSPITAL), ("P4", CLINIC)))
    doc = json.loads(conn.execute("SELECT doc FROM assignments").fetchone()[0])
    team = [m["id"] for m in doc["team"]]
    assert "P4" not in team

    def refused(replacement: str, **kw) -> dict[str, str]:
        args = {"replaced": team[0], "reason": "illness", "note": "", "version": doc["version"], **kw}
        with pytest.raises(FieldErrors) as caught, transaction(conn):
            visits.reassign(conn, doc["id"], args["replaced"], replacement, args["reason"], args["note"],
                            version=args["version"], by="office:admin", now=NOW)
        return caught.value.fields

    assert "不具备本次检查所需的专业" in refused("P5")["replacement"]     # public places only
    assert "须回避" in refused("P4")["replacement"]                        # recused before the draw
    assert "已在该检查组中" in refused(team[1])["replacement"]
    assert "请从执法人员库" in refused("nobody")["replacement"]
    assert "请选择检查组中" in refused("P2", replaced="P5")["replaced"]
    assert refused("P4", reason="other")["note"].startswith("原因为")
    with transaction(conn):
        conn.execute("UPDATE users SET cert_valid_until = '2026-11-30' WHERE id = 'P2'")
    assert "执法证" in refused("P2")["replacement"]
    with pytest.raises(Stale), transaction(conn):
        visits.reassign(conn, doc["id"], team[0], "P3", "illness", "", version=doc["version"] - 1, now=NOW)
    assert json.loads(conn.execute("SELECT doc FROM assignments").fetchone()[0]) == doc, "nothing changed"
    assert audit_entries(conn, "visit.reassigned") == []


def test_a_late_recusal_keeps_the_officer_off_the_unit(conn) -> None:
    drawn(conn, "医疗〔2026〕1号", "medical")
    doc = json.loads(conn.execute("SELECT doc FROM assignments").fetchone()[0])
    team = [m["id"] for m in doc["team"]]
    spare = next(p for p in ("P0", "P1", "P4") if p not in team)
    with transaction(conn):
        visits.reassign(conn, doc["id"], team[0], spare, "recusal", "与负责人系亲属", by="office:admin", now=NOW)
    with pytest.raises(FieldErrors) as caught, transaction(conn):
        visits.reassign(conn, doc["id"], spare, team[0], "illness", "", by="office:admin", now=NOW)
    assert "须回避" in caught.value.fields["replacement"]


def test_joint_visit_keeps_each_specialty_covered(conn) -> None:
    drawn(conn, "医疗〔2026〕1号", "medical", excluded=(CLINIC,))
    drawn(conn, "放射〔2026〕1号", "radiation")
    doc = visit_of(conn, HOSPITAL)
    assert len(doc["tasks"]) == 2, "the hospital is drawn by both tasks: one joint visit"
    radiologist = next(m["id"] for m in doc["team"] if m["id"] in ("P2", "P3"))
    other_radiologist = "P3" if radiologist == "P2" else "P2"
    with pytest.raises(FieldErrors) as caught, transaction(conn):
        visits.reassign(conn, doc["id"], radiologist, "P4" if "P4" not in [m["id"] for m in doc["team"]] else "P5",
                        "illness", "", by="office:admin", now=NOW)
    assert "放射卫生" in caught.value.fields["replacement"]
    with transaction(conn):
        visits.reassign(conn, doc["id"], radiologist, other_radiologist, "illness", "", by="office:admin", now=NOW)
    assert other_radiologist in [m["id"] for m in visit_of(conn, HOSPITAL)["team"]]



def test_the_cli_reassigns_through_the_same_service(conn, tmp_path: Path) -> None:
    import subprocess
    import sys
    from tests.support.server import ROOT
    drawn(conn, "医疗〔2026〕1号", "medical")
    doc = json.loads(conn.execute("SELECT doc FROM assignments").fetchone()[0])
    team = [m["id"] for m in doc["team"]]
    spare = next(p for p in ("P0", "P1", "P4") if p not in team)
    db = str(engine.new_target(tmp_path / "tiny.db"))
    run = [sys.executable, "-m", "sync_server", "plan", "reassign", doc["id"], "--db", db, "--replace", team[0]]
    refused = subprocess.run([*run, "--with", "P5", "--reason", "illness"], cwd=ROOT, capture_output=True, text=True)
    assert refused.returncode == 1 and "不具备本次检查所需的专业" in refused.stderr
    done = subprocess.run([*run, "--with", spare, "--reason", "illness"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert [m["id"] for m in visit_of(conn, doc["unit"]["id"])["team"]] == [spare, team[1]]
    assert audit_entries(conn, "visit.reassigned")[0]["by"] == "cli"
