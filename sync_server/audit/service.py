"""The append-only audit log: entries, Merkle tree head, inclusion and consistency proofs.

Each entry is the canonical JSON of {"kind", "subject", "at", ...facts}; its RFC 9162 leaf
hash is stored beside it. A tree head covers the first `size` entries; an inclusion proof shows
that one entry is inside it; a consistency proof shows that a larger tree extends a smaller one,
so a log that rewrote its past is caught. Nothing in the log is ever updated or deleted.
"""
from __future__ import annotations

import json
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from schemas import envelope
from schemas.jcs import canonicalize
from sync_server.audit.core import merkle
from sync_server.db import Connection
from sync_server.errors import BadRequest, NotFound
from sync_server.audit import queries as q

LOG_NAME = "suijian-audit-log/1"


def append(conn: Connection, kind: str, subject: str, at: str, **facts: Any) -> int:
    entry = canonicalize({"kind": kind, "subject": subject, "at": at, **facts})
    return q.append_entry(conn, at, kind, subject, entry, merkle.leaf_hash(entry))


def tree_head(conn: Connection) -> dict[str, Any]:
    size = q.count_entries(conn)
    return {"log": LOG_NAME, "size": size, "root": merkle.root(q.list_leaf_hashes(conn, size)).hex()}


def checkpoint(conn: Connection, key: Ed25519PrivateKey, at: str) -> dict[str, Any]:
    """The tree head signed by the server's key: a DSSE envelope anyone can check and keep,
    so that a later, different history for the same size can be shown to be a fork."""
    head = {**tree_head(conn), "at": at}
    signed = envelope.sign(head, envelope.CHECKPOINT_TYPE, key)
    return {**head, "envelope": signed.decode("utf-8"), "keyid": envelope.keyid_of(envelope.public_raw_of(key))}


def proof(conn: Connection, index: int, size: int | None = None) -> dict[str, Any]:
    count = q.count_entries(conn)
    size = count if size is None else size
    if size > count:   # a proof for a tree this log has not grown to would claim a size it never had
        raise BadRequest("log.bad_range", f"size {size} is beyond the log's {count} entries",
                         f"树大小 {size} 超出当前审计日志条数（{count}）", {"size": size, "log_size": count})
    row = q.get_entry_by_index(conn, index)
    if row is None or index >= size:
        raise NotFound("log.no_entry", f"no log entry {index} in a tree of {size}", "审计日志中没有该条目")
    leaves = q.list_leaf_hashes(conn, size)
    return {"index": index, "size": size, "entry": bytes(row["entry"]).decode("utf-8"),
            "leaf_hash": bytes(row["leaf_hash"]).hex(), "root": merkle.root(leaves).hex(),
            "proof": [h.hex() for h in merkle.inclusion_proof(index, leaves)]}


def consistency(conn: Connection, first: int, second: int | None = None) -> dict[str, Any]:
    """RFC 9162 consistency proof from the tree of `first` entries to that of `second` (the
    current size when None), with both roots as this log computes them now."""
    size = q.count_entries(conn)
    second = size if second is None else second
    if not 0 < first <= second <= size:
        raise BadRequest("log.bad_range", f"0 < first <= second <= {size} (the log's size) is required",
                         f"树大小应满足 0 < first ≤ second ≤ {size}（当前审计日志条数）",
                         {"first": first, "second": second, "log_size": size})
    leaves = q.list_leaf_hashes(conn, second)
    return {"first": first, "second": second, "first_root": merkle.root(leaves[:first]).hex(),
            "second_root": merkle.root(leaves).hex(),
            "proof": [h.hex() for h in merkle.consistency_proof(first, leaves)]}


def entries(conn: Connection, kind_prefix: str = "", by: str = "", before: int | None = None,
            limit: int = 50) -> dict[str, Any]:
    """A page of the log, newest first, for people to read (the console's 审计日志): each entry's
    index, time, kind, subject, who (`by`, where the entry names one) and its other facts."""
    size = q.count_entries(conn)
    rows = q.list_entries(conn, kind_prefix, by, size if before is None else min(before, size), limit + 1)
    shown = []
    for row in rows[:limit]:
        facts = json.loads(bytes(row["entry"]))
        for key in ("kind", "subject", "at"):
            facts.pop(key, None)
        shown.append({"idx": row["idx"], "at": row["at"], "kind": row["kind"], "subject": row["subject"],
                      "by": facts.pop("by", ""), "facts": facts})
    return {"size": size, "entries": shown, "next": shown[-1]["idx"] if len(rows) > limit else None}
