"""The device's secrets: its Ed25519 key and its server token, kept outside the database.

On a tablet this is the platform keystore; here a directory readable only by its owner.
The private key never leaves the device: only the public key is sent at enrollment.

The tablet's own key and token authenticate the tablet and sign what one person decides on it
(a leader's decision, a re-inspection). Inspection records are signed by the officers present,
each with their own PIN-wrapped key (`officers`, field_app/officer_keys.py).
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, load_pem_private_key

from field_app.officer_keys import OfficerKeys
from schemas.envelope import keyid_of, public_raw_of


class KeyStore:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.officers = OfficerKeys(directory / "officers")

    @property
    def _key_path(self) -> Path:
        return self.directory / "device-key.pem"

    @property
    def _secrets_path(self) -> Path:
        return self.directory / "device-secrets.json"

    def private_key(self) -> Ed25519PrivateKey:
        """The device key, made on first use."""
        if not self._key_path.exists():
            self._write(self._key_path, Ed25519PrivateKey.generate().private_bytes(
                Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
        key = load_pem_private_key(self._key_path.read_bytes(), password=None)
        assert isinstance(key, Ed25519PrivateKey)
        return key

    def public_key_hex(self) -> str:
        return public_raw_of(self.private_key()).hex()

    def keyid(self) -> str:
        return keyid_of(public_raw_of(self.private_key()))

    def credentials(self) -> dict[str, str] | None:
        if not self._secrets_path.exists():
            return None
        return json.loads(self._secrets_path.read_text(encoding="utf-8"))

    def save_credentials(self, device_id: str, token: str, user: dict) -> None:
        data = {"device_id": device_id, "token": token, "user": user}
        self._write(self._secrets_path, json.dumps(data, ensure_ascii=False).encode("utf-8"))

    def _write(self, path: Path, data: bytes) -> None:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        temp = path.with_suffix(".tmp")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
