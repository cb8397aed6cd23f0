"""The append-only audit log: entries, Merkle tree head, inclusion proofs.

Each entry is the canonical JSON of {"kind", "subject", "at", ...facts}; its RFC 9162 leaf
hash is stored beside it. A tree head covers the first `size` entries; a proof shows that one
entry is inside it. Nothing in the log is ever updated or deleted.
"""
from __future__ import annotations

import sqlite3
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from schemas import envelope
from schemas.jcs import canonicalize
from sync_server.core import merkle
from sync_server.errors import NotFound
from sync_server.queries import audit as q

LOG_NAME = "suijian-audit-log/1"


def append(conn: sqlite3.Connection, kind: str, subject: str, at: str, **facts: Any) -> int:
    entry = canonicalize({"kind": kind, "subject": subject, "at": at, **facts})
    return q.append_entry(conn, at, kind, subject, entry, merkle.leaf_hash(entry))


def tree_head(conn: sqlite3.Connection) -> dict[str, Any]:
    size = q.count_entries(conn)
    return {"log": LOG_NAME, "size": size, "root": merkle.root(q.list_leaf_hashes(conn, size)).hex()}


def checkpoint(conn: sqlite3.Connection, key: Ed25519PrivateKey, at: str) -> dict[str, Any]:
    """The tree head signed by the server's key: a DSSE envelope anyone can check and keep,
    so that a later, different history for the same size can be shown to be a fork."""
    head = {**tree_head(conn), "at": at}
    signed = envelope.sign(head, envelope.CHECKPOINT_TYPE, key)
    return {**head, "envelope": signed.decode("utf-8"), "keyid": envelope.keyid_of(envelope.public_raw_of(key))}


def proof(conn: sqlite3.Connection, index: int, size: int | None = None) -> dict[str, Any]:
    size = q.count_entries(conn) if size is None else size
    row = q.get_entry_by_index(conn, index)
    if row is None or index >= size:
        raise NotFound("log.no_entry", f"no log entry {index} in a tree of {size}", "审计日志中没有该条目")
    leaves = q.list_leaf_hashes(conn, size)
    return {"index": index, "size": size, "entry": bytes(row["entry"]).decode("utf-8"),
            "leaf_hash": bytes(row["leaf_hash"]).hex(), "root": merkle.root(leaves).hex(),
            "proof": [h.hex() for h in merkle.inclusion_proof(index, leaves)]}
