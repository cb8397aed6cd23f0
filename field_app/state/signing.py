"""核对并签名: the officers present sign the record, each choosing themselves and entering their
own PIN on the team tablet; at least two of the assignment's team (field_app/officer_keys.py).

A PIN unlocks that officer's key for this screen only (kept in memory, never saved). What an
officer signs is the draft as it stood when they entered their PIN: if the draft changes after
that (someone went back and edited it), their signature is dropped and they are asked again.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from field_app.officer_keys import PinError
from field_app.outbox import MIN_OFFICERS
from field_app.state.services import Services
from field_app.visit import Submitted, Visit


@dataclass(frozen=True)
class Member:
    """One team member as the signing step shows them."""
    id: str
    name: str
    on_tablet: bool     # their signing key is registered on this tablet
    signed: bool

    @property
    def state_zh(self) -> str:
        return "已签名" if self.signed else "待签名" if self.on_tablet else "未在本机登记签名密钥"


class Signing:
    def __init__(self, services: Services, visit: Visit) -> None:
        self.officers, self.visit = services.keys.officers, visit
        self._keys: dict[str, Ed25519PrivateKey] = {}
        self._seen: dict[str, str] = {}   # what each officer saw when they signed (the draft's hash)

    def members(self) -> list[Member]:
        self._drop_stale()
        return [Member(m["id"], m["name"], self.officers.has(m["id"]), m["id"] in self._keys)
                for m in self.visit.assignment["team"]]

    def sign(self, officer_id: str, pin: str) -> str | None:
        """Unlock this officer's key with their PIN; None when signed, else why not (Chinese)."""
        if officer_id not in {m["id"] for m in self.visit.assignment["team"]}:
            return "只有本检查组的执法人员可以签名"
        if not pin.strip():
            return "请输入本人的 PIN"
        try:
            self._keys[officer_id] = self.officers.unlock(officer_id, pin.strip())
        except PinError as exc:
            return exc.message_zh
        self._seen[officer_id] = self._fingerprint()
        return None

    def withdraw(self, officer_id: str) -> None:
        self._keys.pop(officer_id, None)
        self._seen.pop(officer_id, None)

    @property
    def signed(self) -> list[str]:
        self._drop_stale()
        return list(self._keys)

    def problems(self) -> list[str]:
        """What keeps the record from being submitted: the draft's own, then the signatures."""
        found = self.visit.problems()
        if len(self.signed) < MIN_OFFICERS:
            found.append(f"须由至少 {MIN_OFFICERS} 名本组执法人员各自输入 PIN 签名（已签 {len(self.signed)} 人）")
        return found

    def submit(self) -> Submitted:
        """Sign with every officer who signed, queue; the keys are forgotten either way."""
        problems = self.problems()
        if problems:
            raise ValueError("；".join(problems))
        try:
            return self.visit.submit(dict(self._keys))
        finally:
            self._keys.clear()
            self._seen.clear()

    def _fingerprint(self) -> str:
        draft = json.dumps(self.visit.draft, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(draft.encode("utf-8")).hexdigest()

    def _drop_stale(self) -> None:
        now = self._fingerprint()
        for officer_id in [o for o, seen in self._seen.items() if seen != now]:
            self.withdraw(officer_id)

