"""The annual plan document's pure rules: states, limits, the canonical content and its hash."""
from __future__ import annotations

import hashlib
import json

from sync_server.planning.core import plan_document as rules


def test_states_follow_published_versions_and_the_draft() -> None:
    assert rules.plan_state(0, False) == "none"
    assert rules.plan_state(0, True) == "draft"
    assert rules.plan_state(1, False) == "published"
    assert rules.plan_state(1, True) == "revising"
    assert rules.plan_state(3, False) == "revised"
    assert rules.plan_state(3, True) == "revising"


def test_a_draft_needs_a_title_of_one_line_and_a_body_within_the_limit() -> None:
    assert rules.draft_errors("2027年度计划", "", "", revision=False) == {}, "an empty body may be saved"
    assert set(rules.draft_errors("  ", "x", "", revision=False)) == {"title"}
    assert set(rules.draft_errors("a\nb", "x", "", revision=False)) == {"title"}
    assert set(rules.draft_errors("t" * 201, "x", "", revision=False)) == {"title"}
    long = rules.draft_errors("t", "字" * 20_001, "", revision=False)
    assert set(long) == {"body"} and "20001" in long["body"]
    assert rules.draft_errors("t", "字" * 20_000, "", revision=False) == {}


def test_publishing_needs_a_body_and_a_revision_needs_its_reason() -> None:
    assert set(rules.publish_errors("t", " \n ", "", revision=False)) == {"body"}
    assert set(rules.publish_errors("t", "正文", "", revision=True)) == {"reason"}
    assert set(rules.publish_errors("t", "正文", "  ", revision=True)) == {"reason"}
    assert rules.publish_errors("t", "正文", "新增一项任务", revision=True) == {}
    assert rules.publish_errors("t", "正文", "", revision=False) == {}, "the first version has no reason"
    assert set(rules.publish_errors("t", "正文", "理" * 1001, revision=True)) == {"reason"}


def test_normalize_and_paragraphs() -> None:
    text = "\r\n一、目标  \r\n全年抽查\r\n\r\n\r\n二、任务\n（一）公共场所\n\n"
    assert rules.normalize(text) == "一、目标\n全年抽查\n\n\n二、任务\n（一）公共场所"
    assert rules.paragraphs(text) == [["一、目标", "全年抽查"], ["二、任务", "（一）公共场所"]]


def test_the_content_is_canonical_json_and_the_digest_is_its_sha256() -> None:
    tasks = [{"number": "N1", "title": "任务", "specialties": ["public_places"], "period_start": "2027-03-01",
              "period_end": "2027-10-31"}]
    data = rules.content(2027, 2, "标题", "正文", "理由", "2027-02-01T00:00:00Z", "ab" * 32, tasks)
    parsed = json.loads(data)
    assert parsed == {"format": "suijian-annual-plan/1", "year": 2027, "version": 2, "title": "标题", "body": "正文",
                      "reason": "理由", "published_at": "2027-02-01T00:00:00Z", "revises": "ab" * 32, "tasks": tasks}
    assert data == json.dumps(parsed, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    assert rules.digest(data) == hashlib.sha256(data).hexdigest()


def test_edit_token() -> None:
    assert rules.edit_token(2, 5) == "v2.5"
