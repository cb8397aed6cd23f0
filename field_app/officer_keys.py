"""The officers' signing keys on a team tablet, each wrapped by that officer's PIN.

A record is signed by every officer present, each with their own Ed25519 key (docs/SYNC.md).
One tablet holds the keys of the team members who registered on it (each with their own
one-time code from the office). At rest a key is encrypted with AES-256-GCM under a key derived
from the officer's PIN by scrypt (salt per key); the associated data binds the ciphertext to the
officer and the key id, so one officer's file cannot be passed off as another's. The private key
is in memory only between the PIN and the signature.

After PIN_ATTEMPTS wrong PINs in a row the key is erased from the tablet: the officer asks the
office for a new code and registers again (a new key; the office can revoke the old one). The
count lives in the key's file, so it stops guessing on this tablet, not a copy of the file made
by someone who has the tablet's storage: that is what revoking a lost tablet is for.
"""
from __future__ import annotations

import base64
import json
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from schemas.envelope import keyid_of, public_raw_of

PIN_ATTEMPTS = 5
SCRYPT_N = 2 ** 15          # 32 MiB and about 0.1 s per try on a tablet
PIN_FORMAT = re.compile(r"^[0-9]{6,12}$")


class PinError(Exception):
    """A PIN that did not unlock a key; `message_zh` is for the officer."""

    def __init__(self, message_zh: str) -> None:
        super().__init__(message_zh)
        self.message_zh = message_zh


class WrongPin(PinError):
    def __init__(self, remaining: int) -> None:
        super().__init__(f"PIN 不正确，还可尝试 {remaining} 次")
        self.remaining = remaining


class PinLocked(PinError):
    def __init__(self) -> None:
        super().__init__(f"PIN 连续 {PIN_ATTEMPTS} 次错误，本机已删除该执法人员的签名密钥；"
                         "请向监督所申请新的注册码重新登记")


class NoKey(PinError):
    def __init__(self) -> None:
        super().__init__("该执法人员未在本机登记签名密钥，请先用本人的一次性注册码登记")


@dataclass(frozen=True)
class Officer:
    id: str
    name: str
    keyid: str


def pin_problem(pin: str, again: str) -> str | None:
    """Why a new PIN will not do, in Chinese; None when it will."""
    if not PIN_FORMAT.match(pin):
        return "PIN 须为 6 至 12 位数字"
    if pin != again:
        return "两次输入的 PIN 不一致"
    if len(set(pin)) == 1 or pin in "01234567890123" or pin in "98765432109876":
        return "PIN 过于简单（重复或连续的数字），请换一个"
    return None


class OfficerKeys:
    def __init__(self, directory: Path, scrypt_n: int = SCRYPT_N) -> None:
        self.directory, self.scrypt_n = directory, scrypt_n

    def officers(self) -> list[Officer]:
        if not self.directory.exists():
            return []
        found = [self._read(path) for path in sorted(self.directory.glob("*.json"))]
        return [Officer(f["user"]["id"], f["user"]["name"], f["keyid"]) for f in found]

    def has(self, user_id: str) -> bool:
        return self._path(user_id).exists()

    @staticmethod
    def new_key() -> Ed25519PrivateKey:
        return Ed25519PrivateKey.generate()

    def keep(self, user: dict[str, Any], key: Ed25519PrivateKey, pin: str) -> Officer:
        """Wrap the key under the PIN and keep it (after the server registered its public half)."""
        keyid, salt, nonce = keyid_of(public_raw_of(key)), secrets.token_bytes(16), secrets.token_bytes(12)
        raw = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        wrapped = AESGCM(self._derive(pin, salt, self.scrypt_n)).encrypt(nonce, raw, _aad(user["id"], keyid))
        self._write(user["id"], {"user": {"id": user["id"], "name": user.get("name", "")}, "keyid": keyid,
                                 "kdf": {"name": "scrypt", "n": self.scrypt_n, "r": 8, "p": 1, "salt": _b64(salt)},
                                 "nonce": _b64(nonce), "wrapped": _b64(wrapped), "failures": 0})
        return Officer(user["id"], user.get("name", ""), keyid)

    def unlock(self, user_id: str, pin: str) -> Ed25519PrivateKey:
        """The officer's key, if the PIN is theirs; WrongPin, PinLocked (erased) or NoKey if not."""
        if not self.has(user_id):
            raise NoKey()
        saved = self._read(self._path(user_id))
        kdf = saved["kdf"]
        try:
            key = self._derive(pin, base64.b64decode(kdf["salt"]), kdf["n"])
            raw = AESGCM(key).decrypt(base64.b64decode(saved["nonce"]), base64.b64decode(saved["wrapped"]),
                                      _aad(user_id, saved["keyid"]))
        except (InvalidTag, ValueError):
            raise self._failed(user_id, saved) from None
        if saved["failures"]:
            self._write(user_id, {**saved, "failures": 0})
        return Ed25519PrivateKey.from_private_bytes(raw)

    def remove(self, user_id: str) -> None:
        self._path(user_id).unlink(missing_ok=True)

    def _failed(self, user_id: str, saved: dict[str, Any]) -> PinError:
        failures = saved["failures"] + 1
        if failures >= PIN_ATTEMPTS:
            self.remove(user_id)
            return PinLocked()
        self._write(user_id, {**saved, "failures": failures})
        return WrongPin(PIN_ATTEMPTS - failures)

    @staticmethod
    def _derive(pin: str, salt: bytes, n: int) -> bytes:
        return Scrypt(salt=salt, length=32, n=n, r=8, p=1).derive(pin.encode("utf-8"))

    def _path(self, user_id: str) -> Path:
        return self.directory / f"{keyid_of(user_id.encode('utf-8'))[:32]}.json"

    @staticmethod
    def _read(path: Path) -> dict[str, Any]:
        return json.loads(path.read_text(encoding="utf-8"))

    def _write(self, user_id: str, data: dict[str, Any]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = self._path(user_id)
        temp = path.with_suffix(".tmp")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(json.dumps(data, ensure_ascii=False).encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)


def _aad(user_id: str, keyid: str) -> bytes:
    return f"suijian-officer-key/1\n{user_id}\n{keyid}".encode("utf-8")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
