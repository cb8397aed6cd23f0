"""RFC 9162 Merkle tree: root and consistency proofs against the RFC's recursive definitions; every
inclusion proof verifies; tampering fails."""
from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings, strategies as st

from sync_server.audit.core import merkle


def reference_root(leaves: list[bytes]) -> bytes:
    """MTH straight from RFC 9162 §2.1.1."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return merkle.node_hash(reference_root(leaves[:k]), reference_root(leaves[k:]))


def leaves(n: int) -> list[bytes]:
    return [merkle.leaf_hash(f"entry {i}".encode()) for i in range(n)]


def test_roots_match_the_definition() -> None:
    for n in range(0, 40):
        assert merkle.root(leaves(n)) == reference_root(leaves(n))


def test_every_proof_verifies() -> None:
    for n in range(1, 34):
        tree = leaves(n)
        head = merkle.root(tree)
        for i in range(n):
            proof = merkle.inclusion_proof(i, tree)
            assert merkle.verify_inclusion(i, n, tree[i], proof, head)


@given(st.integers(1, 70), st.data())
def test_tampering_is_caught(n: int, data: st.DataObject) -> None:
    tree = leaves(n)
    i = data.draw(st.integers(0, n - 1))
    proof = merkle.inclusion_proof(i, tree)
    head = merkle.root(tree)
    assert not merkle.verify_inclusion(i, n, merkle.leaf_hash(b"forged"), proof, head)
    if proof:
        j = data.draw(st.integers(0, len(proof) - 1))
        bent = proof[:j] + [merkle.leaf_hash(b"x")] + proof[j + 1:]
        assert not merkle.verify_inclusion(i, n, tree[i], bent, head)
    if n > 1:
        assert not merkle.verify_inclusion((i + 1) % n, n, tree[i], proof, head) or tree[i] == tree[(i + 1) % n]


def reference_consistency(m: int, tree: list[bytes], complete: bool = True) -> list[bytes]:
    """SUBPROOF(m, D[n], b) straight from RFC 9162 §2.1.4.1; PROOF(m, D[n]) = SUBPROOF(m, D[n], true)."""
    n = len(tree)
    if m == n:
        return [] if complete else [reference_root(tree)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return reference_consistency(m, tree[:k], complete) + [reference_root(tree[k:])]
    return reference_consistency(m - k, tree[k:], False) + [reference_root(tree[:k])]


def test_consistency_proofs_match_the_definition() -> None:
    for n in range(1, 41):
        tree = leaves(n)
        for m in range(1, n + 1):
            assert merkle.consistency_proof(m, tree) == reference_consistency(m, tree), (m, n)


@settings(max_examples=60, deadline=None)
@given(st.integers(41, 600), st.data())
def test_consistency_proofs_match_the_definition_in_larger_trees(n: int, data: st.DataObject) -> None:
    tree = leaves(n)
    m = data.draw(st.integers(1, n))
    assert merkle.consistency_proof(m, tree) == reference_consistency(m, tree)


def test_consistency_sizes_outside_the_tree_are_refused() -> None:
    for m, n in ((0, 5), (6, 5), (-1, 5), (1, 0)):
        with pytest.raises(IndexError):
            merkle.consistency_proof(m, leaves(n))
