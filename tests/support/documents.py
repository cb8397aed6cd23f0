"""A realistic visit for the papers handed over on site: 10 items of the demo's item list (their
real legal-basis texts), 3 problems (two to rectify by a date, one case), a party who signed on
the pad or refused. Shared by the unit tests and `bench/documents.py`."""
from __future__ import annotations

from typing import Any

from demo import words
from field_app.core import checklist
from field_app.photos import signature_png

RECORD_ID = "0192f3b4-1111-7000-8000-0000000000d1"
SIGNED_AT = "2026-11-20T17:40:00+08:00"     # 09:40 UTC
ARRIVED_AT = "2026-11-20T01:30:00Z"         # 09:30 Beijing
UNIT = {"id": "91370303MA3C4LXK2P", "name": "云溪县丽人美容美发店（堃）", "address": "云溪县城关镇人民路 88 号",
        "specialty": "public_places", "category": "美容美发场所", "contact": "王芳", "phone": "13800000000"}
TEAM = [{"id": "37030320000001", "name": "刘颖"}, {"id": "37030321000002", "name": "董英"}]
SERVER = "http://127.0.0.1:8700"


def items(count: int = 10) -> list[dict[str, Any]]:
    rows = [*words.ITEMS["public_places"], *words.ITEMS["disinfection"]][:count]
    return [{"code": f"GG-{n:03d}", "name": row[0], "specialty": "public_places", "legal_basis": row[1],
             "content": row[2], "method": row[3], "task_id": "T1"} for n, row in enumerate(rows, 1)]


def assignment(count: int = 10) -> dict[str, Any]:
    return {"schema": "suijian.assignment/1", "id": "0192f3b4-2222-7000-8000-000000000001", "unit": dict(UNIT),
            "tasks": [{"id": "T1", "number": "2026-公共场所-01", "title": "公共场所卫生监督抽查"}],
            "items": items(count), "team": [dict(m) for m in TEAM], "due": "2026-12-31", "status": "open",
            "version": 1}


def signature() -> bytes:
    strokes = [[(10 + i * 6, 40 + (i % 5) * 6) for i in range(40)], [(30, 20), (60, 70), (90, 25)]]
    return signature_png(strokes, (300, 100)).data


def record(job: dict[str, Any], problems: int = 3, refused: bool = False, sig_sha: str = "ab" * 32) -> dict[str, Any]:
    """The record as the tablet builds it: the first `problems` items not compliant (the last of them
    a case), the rest compliant, with notes."""
    draft = checklist.new_draft(job, TEAM[0]["id"], ARRIVED_AT)
    draft["inspectors"] = [m["id"] for m in TEAM]
    for n, item in enumerate(job["items"]):
        key = checklist.item_key(item)
        if n < problems:
            draft["findings"][key] = {"outcome": "non_compliant", "note": f"第{n + 1}项现场发现问题：记录不全",
                                      "action": {"kind": "rectify", "deadline": f"2026-12-{5 + n:02d}"}, "photos": []}
        else:
            draft["findings"][key] = {"outcome": "compliant", "note": "", "action": None, "photos": []}
    if problems:
        last = checklist.item_key(job["items"][problems - 1])
        draft["findings"][last]["action"] = {"kind": "case", "case_no": "云卫公罚〔2026〕18号"}
    draft["party"] = ({"mode": "refused", "name": "", "signature_photo": None, "note": "负责人拒绝签字，已由两名执法人员见证"}
                      if refused else {"mode": "signature", "name": "王芳", "signature_photo": sig_sha, "note": ""})
    return checklist.build_record(draft, job, RECORD_ID, SIGNED_AT)
