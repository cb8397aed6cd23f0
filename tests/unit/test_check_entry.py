"""The standalone entry checker's own Ed25519 and Merkle code (standard library only) against
RFC 8032's vectors, our server-side implementations and RFC 9162's definitions (consistency)."""
from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings, strategies as st

from schemas import envelope
from sync_server.audit.core import merkle
from tests.unit.test_envelope import VECTORS
from tests.unit.test_merkle import reference_consistency, reference_root

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


# --- consistency between two tree heads (RFC 9162 §2.1.4.2), against the RFC's own definitions ---

def _tree(n: int, forged_at: int | None = None) -> list[bytes]:
    return [merkle.leaf_hash(f"entry {i}{' forged' if i == forged_at else ''}".encode()) for i in range(n)]


def test_every_consistency_proof_of_the_definition_verifies() -> None:
    for n in range(1, 34):
        tree = _tree(n)
        for m in range(1, n + 1):
            proof = reference_consistency(m, tree)
            assert checker.verify_consistency(m, n, reference_root(tree[:m]), reference_root(tree), proof), (m, n)


@settings(max_examples=150, deadline=None)
@given(st.integers(min_value=2, max_value=300), st.data())
def test_consistency_tampering_and_rewritten_history_fail(n: int, data: st.DataObject) -> None:
    m = data.draw(st.integers(min_value=1, max_value=n - 1))
    tree = _tree(n)
    old, new, proof = reference_root(tree[:m]), reference_root(tree), reference_consistency(m, tree)
    assert checker.verify_consistency(m, n, old, new, proof)
    j = data.draw(st.integers(min_value=0, max_value=len(proof) - 1))
    bent = proof[:j] + [hashlib.sha256(proof[j]).digest()] + proof[j + 1:]
    assert not checker.verify_consistency(m, n, old, new, bent)
    assert not checker.verify_consistency(m, n, old, new, proof[:j] + proof[j + 1:])
    assert not checker.verify_consistency(m, n, old, new, proof + [proof[j]])
    assert not checker.verify_consistency(m, n, hashlib.sha256(old).digest(), new, proof)
    assert not checker.verify_consistency(m, n, old, hashlib.sha256(new).digest(), proof)
    assert not checker.verify_consistency(m, n, new, old, proof)
    assert not checker.verify_consistency(n, m, old, new, proof)
    # a log that changed an old entry proves consistency only with its own, new past
    forged = _tree(n, forged_at=data.draw(st.integers(min_value=0, max_value=m - 1)))
    assert not checker.verify_consistency(m, n, old, reference_root(forged), reference_consistency(m, forged))


def test_equal_sizes_need_equal_roots_and_no_proof() -> None:
    tree = _tree(7)
    head = reference_root(tree)
    assert checker.verify_consistency(7, 7, head, head, [])
    assert not checker.verify_consistency(7, 7, head, reference_root(_tree(7, forged_at=3)), [])
    assert not checker.verify_consistency(7, 7, head, head, [head])
    assert not checker.verify_consistency(0, 7, merkle.EMPTY_ROOT, head, [])


def _checkpoint(key: Ed25519PrivateKey, tree: list[bytes]) -> dict:
    head = {"log": "suijian-audit-log/1", "size": len(tree), "root": reference_root(tree).hex(),
            "at": "2026-11-23T02:00:00Z"}
    return {**head, "envelope": envelope.sign(head, envelope.CHECKPOINT_TYPE, key).decode(),
            "keyid": envelope.keyid_of(envelope.public_raw_of(key))}


def test_check_consistency_between_signed_checkpoints() -> None:
    key = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"server").digest())
    key_hex = key.public_key().public_bytes_raw().hex()
    tree = _tree(21)
    older, newer = _checkpoint(key, tree[:13]), _checkpoint(key, tree)
    proof = {"first": 13, "second": 21, "proof": [h.hex() for h in reference_consistency(13, tree)]}
    assert checker.check_consistency(older, newer, proof, key_hex) == []
    assert checker.check_consistency({"checkpoint": older}, newer, proof, key_hex) == [], "a proof file's checkpoint"
    unsigned_claim = {**older, "root": reference_root(tree[:12]).hex()}
    assert checker.check_consistency(unsigned_claim, newer, proof, key_hex) == [], "only the signed head counts"
    with pytest.raises(ValueError, match="fingerprint"):
        checker.check_consistency(older, newer, proof, older["keyid"])
    other_key = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"other").digest())
    assert "signature" in checker.check_consistency(_checkpoint(other_key, tree[:13]), newer, proof, key_hex)[0]
    forged = _tree(21, forged_at=4)
    rewritten = checker.check_consistency(older, _checkpoint(key, forged), {
        **proof, "proof": [h.hex() for h in reference_consistency(13, forged)]}, key_hex)
    assert len(rewritten) == 1 and "history was rewritten" in rewritten[0] and "历史被改写" in rewritten[0]
    assert "shrank" in checker.check_consistency(newer, older, proof, key_hex)[0]
    same_size = {"first": 13, "second": 13, "proof": []}
    assert checker.check_consistency(older, older, same_size, key_hex) == []
    assert "forked" in checker.check_consistency(older, _checkpoint(key, forged[:13]), same_size, key_hex)[0]
