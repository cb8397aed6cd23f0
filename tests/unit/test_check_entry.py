"""The standalone entry checker's own Ed25519 and Merkle code (standard library only) against
RFC 8032's vectors and our server-side implementations."""
from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings, strategies as st

from sync_server.core import merkle
from tests.unit.test_envelope import VECTORS

SPEC = importlib.util.spec_from_file_location("ssj_check_entry", Path(__file__).parents[2] / "verifier" / "ssj_check_entry.py")
checker = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(checker)


@pytest.mark.parametrize("secret,public,message,signature", VECTORS)
def test_rfc8032_vectors(secret: str, public: str, message: str, signature: str) -> None:
    assert checker.ed25519_verify(bytes.fromhex(public), bytes.fromhex(message), bytes.fromhex(signature))
    bad = bytearray(bytes.fromhex(signature))
    bad[5] ^= 1
    assert not checker.ed25519_verify(bytes.fromhex(public), bytes.fromhex(message), bytes(bad))
    assert not checker.ed25519_verify(bytes.fromhex(public), bytes.fromhex(message) + b"x", bytes.fromhex(signature))


def test_agrees_with_cryptography_on_a_fresh_key() -> None:
    key = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"suijian").digest())
    public = key.public_key().public_bytes_raw()
    message = checker.pae("application/vnd.suijian.log-checkpoint+json; version=1", b'{"size":3}')
    assert checker.ed25519_verify(public, message, key.sign(message))
    assert not checker.ed25519_verify(public, message, key.sign(message + b"."))


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=1, max_value=70), st.data())
def test_inclusion_proofs_agree_with_the_server(size: int, data: st.DataObject) -> None:
    leaves = [merkle.leaf_hash(f"entry {i}".encode()) for i in range(size)]
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    proof = merkle.inclusion_proof(index, leaves)
    root = merkle.root(leaves)
    assert checker.leaf_hash(f"entry {index}".encode()) == leaves[index]
    assert checker.verify_inclusion(index, size, leaves[index], proof, root)
    assert not checker.verify_inclusion(index, size, leaves[(index + 1) % size], proof, root) or size == 1
    assert not checker.verify_inclusion(index, size, leaves[index], proof, hashlib.sha256(root).digest())
    assert not checker.verify_inclusion(size, size, leaves[index], proof, root)
