"""The draw ceremony's rules (pure): its stages, the version a form carries, the witnesses' fields.

    planned ─(every witness committed)─▶ announce ─▶ announced ─(beacon_at passed, every
    witness's nonce opened)─▶ reveal ─▶ revealed ─▶ draw ─▶ drawn ─▶ unmatched units resolved

A form carries `version(...)`: the task's state and its witnesses' commitments and nonces as the
page showed them; a form whose version no longer matches is stale and is refused whole.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from sync_server.planning.core.draw_input import instant

NAME_MAX, ROLE_MAX, BEACON_MAX, REASON_MAX = 40, 60, 200, 500
COMMITMENT = re.compile(r"[0-9a-f]{64}")
NONCE = re.compile(r"(?:[0-9a-f]{2}){16,64}")
_LOCAL_TIME = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})[T ]([0-9]{2}:[0-9]{2})(:[0-9]{2})?")


@dataclass(frozen=True)
class Witness:
    name: str
    committed: bool
    opened: bool


def token_hash(token: str) -> str:
    """What is stored of a witness's capability link: the SHA-256 of its random token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def commitment_of(nonce: str) -> str:
    """DRAW_SPEC §1–§2: hex(H(bytes.fromhex(nonce))) of a nonce already checked."""
    return hashlib.sha256(bytes.fromhex(nonce)).hexdigest()


def version(state: str, witnesses: Iterable[Mapping[str, Any]], extra: str = "") -> str:
    """What a form was made from: the task's state, each witness, its commitment and nonce."""
    parts = [state, extra, *(f"{w['id']}:{w['commitment'] or ''}:{w['nonce'] or ''}" for w in witnesses)]
    return hashlib.sha256("|".join(parts).encode("utf-8")).hexdigest()[:16]


def beacon_reached(beacon_at: str, now: str) -> bool:
    return instant(now, "now") >= instant(beacon_at, "beacon_at")


def stage(state: str, beacon_at: str | None, now: str) -> str:
    """The step the ceremony is at: witnesses · waiting · reveal · draw · drawn."""
    if state == "planned":
        return "witnesses"
    if state == "announced":
        return "reveal" if beacon_at and beacon_reached(beacon_at, now) else "waiting"
    return "draw" if state == "revealed" else "drawn"


def witness_fields(name: str, role: str) -> dict[str, str]:
    """The errors of a new witness's name and role ({} when both are fine)."""
    errors = {}
    if not name:
        errors["name"] = "请填写见证人姓名"
    elif len(name) > NAME_MAX:
        errors["name"] = f"姓名不超过 {NAME_MAX} 个字"
    if not role:
        errors["role"] = "请填写见证人的身份或单位，例如“纪检监察室”“被检查单位代表”"
    elif len(role) > ROLE_MAX:
        errors["role"] = f"身份或单位不超过 {ROLE_MAX} 个字"
    return errors


def commitment_error(text: str) -> str | None:
    if COMMITMENT.fullmatch(text):
        return None
    return "承诺值必须是 64 位小写十六进制数字（0–9、a–f），即随机数的 SHA-256 哈希"


def nonce_error(nonce: str, commitment: str) -> str | None:
    """Why a nonce does not open a commitment (DRAW_SPEC §2), in Chinese; None when it does."""
    if not NONCE.fullmatch(nonce):
        return "随机数必须是 32 至 128 位小写十六进制数字（16 至 64 字节；字母小写，不含空格）"
    if commitment_of(nonce) != commitment:
        return "这个随机数与您公告前提交的承诺值不符：请核对您保存的随机数（注意不要多抄或漏抄）"
    return None


def beacon_at_of(local: str) -> str | None:
    """A Beijing time from a form (2026-12-20T21:15 or with seconds) as RFC 3339 with +08:00; None
    when the text is no such time."""
    found = _LOCAL_TIME.fullmatch(local)
    if not found:
        return None
    return f"{found[1]}T{found[2]}{found[3] or ':00'}+08:00"

