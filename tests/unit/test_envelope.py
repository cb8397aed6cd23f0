"""DSSE envelopes with Ed25519: RFC 8032 vectors, round trips, and every way to break one."""
from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from schemas import envelope
from schemas.errors import ContractError
from schemas.jcs import canonicalize

# RFC 8032 §7.1, TEST 1–3: secret key, public key, message, signature.
VECTORS = [
    ("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"),
    ("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"),
    ("c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"),
]


@pytest.mark.parametrize("secret,public,message,signature", VECTORS)
def test_rfc8032_vectors(secret: str, public: str, message: str, signature: str) -> None:
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(secret))
    assert envelope.public_raw_of(key).hex() == public
    assert key.sign(bytes.fromhex(message)).hex() == signature


def test_pae_matches_the_dsse_spec() -> None:
    # The DSSE protocol document's example: PAE("http://example.com/HelloWorld", "hello world").
    assert envelope.pae("http://example.com/HelloWorld", b"hello world") == \
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"


def _signed(doc: dict | None = None) -> tuple[bytes, Ed25519PrivateKey]:
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(VECTORS[0][0]))
    return envelope.sign(doc or {"id": "x", "单位": "云溪县"}, envelope.RECORD_TYPE, key), key


def test_sign_then_verify() -> None:
    data, key = _signed()
    env = envelope.parse(data)
    envelope.verify(env, envelope.public_raw_of(key))
    assert env.keyid == envelope.keyid_of(envelope.public_raw_of(key))
    assert env.document() == {"id": "x", "单位": "云溪县"}
    assert data == canonicalize(json.loads(data))  # the envelope itself is canonical


def _tamper(data: bytes, **changes: str) -> bytes:
    obj = json.loads(data)
    if "payload" in changes:
        obj["payload"] = changes["payload"]
    if "sig" in changes:
        obj["signatures"][0]["sig"] = changes["sig"]
    return json.dumps(obj).encode()


def test_altered_payload_fails() -> None:
    data, key = _signed()
    forged = base64.b64encode(canonicalize({"id": "x", "单位": "别的县"})).decode()
    with pytest.raises(ContractError) as caught:
        envelope.verify(envelope.parse(_tamper(data, payload=forged)), envelope.public_raw_of(key))
    assert caught.value.code == "envelope.bad_signature"


def test_another_key_fails() -> None:
    data, _ = _signed()
    other = Ed25519PrivateKey.generate()
    with pytest.raises(ContractError) as caught:
        envelope.verify(envelope.parse(data), envelope.public_raw_of(other))
    assert caught.value.code == "envelope.keyid_mismatch"


def test_payload_type_is_signed() -> None:
    data, key = _signed()
    obj = json.loads(data)
    obj["payloadType"] = envelope.REVIEW_TYPE
    with pytest.raises(ContractError) as caught:
        envelope.verify(envelope.parse(json.dumps(obj).encode()), envelope.public_raw_of(key))
    assert caught.value.code == "envelope.bad_signature"


@pytest.mark.parametrize("mutate", [
    lambda o: o.pop("signatures"),
    lambda o: o.update(extra=1),
    lambda o: o.update(signatures=[]),
    lambda o: o["signatures"].append(dict(o["signatures"][0])),
    lambda o: o.update(payload="***not base64***"),
    lambda o: o["signatures"][0].update(keyid="ABC"),
    lambda o: o.update(payloadType="text/plain"),
])
def test_malformed_envelopes(mutate) -> None:
    data, _ = _signed()
    obj = json.loads(data)
    mutate(obj)
    with pytest.raises(ContractError) as caught:
        envelope.parse(json.dumps(obj).encode())
    assert caught.value.code in ("envelope.malformed", "envelope.payload_type", "envelope.duplicate_keyid")


# --- several signatures: a record signed by each officer present --------------------------------
def _keys(n: int) -> list[Ed25519PrivateKey]:
    return [Ed25519PrivateKey.from_private_bytes(bytes([i + 1]) * 32) for i in range(n)]


def test_several_keys_sign_the_same_payload_and_each_verifies() -> None:
    keys = _keys(3)
    data = envelope.sign({"id": "x"}, envelope.RECORD_TYPE, *keys)
    env = envelope.parse(data)
    assert env.keyids == tuple(envelope.keyid_of(envelope.public_raw_of(k)) for k in keys)
    for key in keys:
        envelope.verify(env, envelope.public_raw_of(key))
    assert len(json.loads(data)["signatures"]) == 3 and data == canonicalize(json.loads(data))


def test_countersign_is_signing_with_both() -> None:
    first, second = _keys(2)
    one = envelope.sign({"id": "x"}, envelope.RECORD_TYPE, first)
    assert envelope.countersign(one, second) == envelope.sign({"id": "x"}, envelope.RECORD_TYPE, first, second)
    with pytest.raises(ValueError):
        envelope.countersign(one, first)   # a key signs once


def test_one_forged_signature_among_good_ones_fails_for_its_key_only() -> None:
    first, second = _keys(2)
    obj = json.loads(envelope.sign({"id": "x"}, envelope.RECORD_TYPE, first, second))
    obj["signatures"][1]["sig"] = obj["signatures"][0]["sig"]     # the first's signature under the second's keyid
    env = envelope.parse(json.dumps(obj).encode())
    envelope.verify(env, envelope.public_raw_of(first))
    with pytest.raises(ContractError) as caught:
        envelope.verify(env, envelope.public_raw_of(second))
    assert caught.value.code == "envelope.bad_signature"


def test_signature_count_is_bounded_and_keyids_unique() -> None:
    keys = _keys(envelope.MAX_SIGNATURES + 1)
    with pytest.raises(ValueError):
        envelope.sign({"id": "x"}, envelope.RECORD_TYPE, *keys)
    obj = json.loads(envelope.sign({"id": "x"}, envelope.RECORD_TYPE, *keys[:-1]))
    obj["signatures"].append({"keyid": envelope.keyid_of(envelope.public_raw_of(keys[-1])), "sig": "AAAA"})
    with pytest.raises(ContractError) as caught:
        envelope.parse(json.dumps(obj).encode())
    assert caught.value.code == "envelope.malformed"
    with pytest.raises(ValueError):
        envelope.sign({"id": "x"}, envelope.RECORD_TYPE, keys[0], keys[0])


def test_single_signature_types_read_their_one_keyid_and_refuse_more() -> None:
    first, second = _keys(2)
    assert envelope.parse(envelope.sign({"id": "x"}, envelope.REVIEW_TYPE, first)).keyid == \
        envelope.keyid_of(envelope.public_raw_of(first))
    with pytest.raises(ContractError) as caught:
        envelope.parse(envelope.sign({"id": "x"}, envelope.REVIEW_TYPE, first, second)).keyid
    assert caught.value.code == "envelope.signature_count"
