"""The annual plan as a document (年度抽查工作计划): its rules, pure.

A plan has versions. Version 1 is written as a draft and published; a published version never
changes. A revision is a new draft (version n+1) with its reason (调整理由), published in turn; every
published version stays public (调整后的年度抽查工作计划要及时向社会公开). The plan's state follows:

    draft        版本 1 草稿，尚未公布           (no published version)
    published    已公布                          (version 1 published, no draft)
    revising     修订中                          (a published version and a draft of the next)
    revised      已修订公布                      (version 2 or later published, no draft)

A published version's content is the canonical JSON (RFC 8785) of `content(...)`; its SHA-256 is
shown beside it, and each version names the SHA-256 of the one it replaces, so the history is a
chain anyone can recompute from the files the public pages serve.
"""
from __future__ import annotations

import hashlib
import re
from typing import Any

from schemas.jcs import canonicalize

FORMAT = "suijian-annual-plan/1"
TITLE_MAX = 200
BODY_MAX = 20_000
REASON_MAX = 1_000
STATE_NAMES = {"none": "尚未起草", "draft": "草稿", "published": "已公布", "revising": "修订中", "revised": "已修订公布"}


def normalize(text: str) -> str:
    """Line endings as \\n, no trailing spaces on a line, no blank lines at either end."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return "\n".join(lines).strip("\n")


def draft_errors(title: str, body: str, reason: str, revision: bool) -> dict[str, str]:
    """What is wrong with a draft as entered (field → the reason in Chinese); empty when it may be saved."""
    errors: dict[str, str] = {}
    if not title.strip():
        errors["title"] = "请填写计划标题。"
    elif len(title) > TITLE_MAX:
        errors["title"] = f"计划标题不能超过 {TITLE_MAX} 个字（现为 {len(title)} 个字）。"
    if "\n" in title or "\r" in title:
        errors["title"] = "计划标题应为一行。"
    if len(body) > BODY_MAX:
        errors["body"] = f"计划正文不能超过 {BODY_MAX} 个字（现为 {len(body)} 个字）。"
    if revision and len(reason) > REASON_MAX:
        errors["reason"] = f"调整理由不能超过 {REASON_MAX} 个字（现为 {len(reason)} 个字）。"
    return errors


def publish_errors(title: str, body: str, reason: str, revision: bool) -> dict[str, str]:
    """What keeps a saved draft from being published (nothing empty goes public)."""
    errors = draft_errors(title, body, reason, revision)
    if not body.strip() and "body" not in errors:
        errors["body"] = "计划正文为空，不能公布；请先填写并保存正文。"
    if revision and not reason.strip() and "reason" not in errors:
        errors["reason"] = "调整后的计划须说明调整理由，才能公布。"
    return errors


def plan_state(published: int, has_draft: bool) -> str:
    """The plan's state from its latest published version number (0: none) and whether a draft exists."""
    if published == 0:
        return "draft" if has_draft else "none"
    if has_draft:
        return "revising"
    return "published" if published == 1 else "revised"


def edit_token(version: int, edit: int) -> str:
    """What a draft's form carries: a save or publish from an older form is refused (stale)."""
    return f"v{version}.{edit}"


def content(year: int, version: int, title: str, body: str, reason: str, published_at: str,
            revises: str | None, tasks: list[dict[str, Any]]) -> bytes:
    """A published version's canonical bytes (what its SHA-256 covers and /public/plans/… serves)."""
    return canonicalize({"format": FORMAT, "year": year, "version": version, "title": title, "body": body,
                         "reason": reason, "published_at": published_at, "revises": revises, "tasks": tasks})


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def paragraphs(body: str) -> list[list[str]]:
    """The body as paragraphs (blank-line separated), each a list of its lines, for display."""
    return [block.strip("\n").split("\n") for block in re.split(r"\n[ \t]*\n", normalize(body)) if block.strip()]
