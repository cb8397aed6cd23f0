"""The officers' signing keys on a team tablet, wrapped by their PINs: what unlocks them, what
a wrong PIN costs, that the files on disk give nothing away and cannot be swapped."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from field_app.keys import KeyStore
from field_app.officer_keys import PIN_ATTEMPTS, NoKey, OfficerKeys, PinLocked, WrongPin, pin_problem
from schemas.envelope import keyid_of, public_raw_of
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

PIN, OTHER_PIN = "258036", "970314"


@pytest.fixture
def store(tmp_path: Path) -> OfficerKeys:
    return OfficerKeys(tmp_path / "officers")


def test_the_pin_unlocks_the_same_key(store: OfficerKeys) -> None:
    key = store.new_key()
    officer = store.keep({"id": "p1", "name": "刘颖"}, key, PIN)
    assert officer.keyid == keyid_of(public_raw_of(key))
    assert public_raw_of(store.unlock("p1", PIN)) == public_raw_of(key)
    assert [(o.id, o.name) for o in store.officers()] == [("p1", "刘颖")]


def test_the_file_holds_no_private_key(store: OfficerKeys) -> None:
    key = store.new_key()
    store.keep({"id": "p1", "name": "刘颖"}, key, PIN)
    raw = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    (path,) = store.directory.glob("*.json")
    data = path.read_bytes()
    assert raw not in data and raw.hex().encode() not in data and PIN.encode() not in data
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_wrong_pins_count_down_then_erase_the_key(store: OfficerKeys) -> None:
    store.keep({"id": "p1", "name": "刘颖"}, store.new_key(), PIN)
    for left in range(PIN_ATTEMPTS - 1, 0, -1):
        with pytest.raises(WrongPin) as caught:
            store.unlock("p1", OTHER_PIN)
        assert caught.value.remaining == left and f"还可尝试 {left} 次" in caught.value.message_zh
    with pytest.raises(PinLocked):
        store.unlock("p1", OTHER_PIN)
    assert not store.has("p1")
    with pytest.raises(NoKey):
        store.unlock("p1", PIN)


def test_a_right_pin_resets_the_count(store: OfficerKeys) -> None:
    store.keep({"id": "p1", "name": "刘颖"}, store.new_key(), PIN)
    for _ in range(PIN_ATTEMPTS - 1):
        with pytest.raises(WrongPin):
            store.unlock("p1", OTHER_PIN)
    store.unlock("p1", PIN)
    with pytest.raises(WrongPin) as caught:
        store.unlock("p1", OTHER_PIN)
    assert caught.value.remaining == PIN_ATTEMPTS - 1


def test_one_officers_file_does_not_unlock_as_another(store: OfficerKeys) -> None:
    store.keep({"id": "p1", "name": "刘颖"}, store.new_key(), PIN)
    store.keep({"id": "p2", "name": "董英"}, store.new_key(), PIN)
    first, second = (store._path(p) for p in ("p1", "p2"))
    saved = json.loads(first.read_text())
    second.write_text(json.dumps({**saved, "user": {"id": "p2", "name": "董英"}}))   # p1's key passed off as p2's
    with pytest.raises(WrongPin):
        store.unlock("p2", PIN)


def test_a_tablets_keys_are_wrapped_at_the_full_cost(tmp_path: Path) -> None:
    """The tablet's key store (as the app makes it) derives with scrypt N = 2^15, r = 8, p = 1
    (32 MiB): the integration tests patch a cheaper cost in (tests/integration/conftest.py),
    so this is where the real figure is held to."""
    officers = KeyStore(tmp_path / "keys").officers
    key = officers.new_key()
    officers.keep({"id": "p1", "name": "刘颖"}, key, PIN)
    (path,) = officers.directory.glob("*.json")
    kdf = json.loads(path.read_text())["kdf"]
    assert (kdf["name"], kdf["n"], kdf["r"], kdf["p"]) == ("scrypt", 32768, 8, 1)
    assert public_raw_of(officers.unlock("p1", PIN)) == public_raw_of(key)


@pytest.mark.parametrize("pin,again,problem", [
    ("12345", "12345", "PIN 须为 6 至 12 位数字"),
    ("12a456", "12a456", "PIN 须为 6 至 12 位数字"),
    ("258036", "258037", "两次输入的 PIN 不一致"),
    ("111111", "111111", "PIN 过于简单（重复或连续的数字），请换一个"),
    ("345678", "345678", "PIN 过于简单（重复或连续的数字），请换一个"),
    ("987654", "987654", "PIN 过于简单（重复或连续的数字），请换一个"),
    ("258036", "258036", None),
])
def test_new_pins(pin: str, again: str, problem: str | None) -> None:
    assert pin_problem(pin, again) == problem
