#!/usr/bin/env python3
"""Check a published disclosure entry against the audit log, without trusting the server.

    python ssj_check_entry.py 2026-000123-proof.json [2026-000123.json] [--key HEX]

The proof file is what the entry's verification page offers (/public/results/{no}/proof.json).
Checked: the entry's bytes hash to the `doc_sha256` in its `disclosure.published` log entry
(against the separately downloaded entry file when one is given); both log entries (the
publication and the signed record's receipt) are in the tree by their RFC 9162 inclusion proofs;
the tree head is the one in the checkpoint, whose Ed25519 signature (DSSE) verifies under the
server's key (--key: a key you obtained and kept yourself; else the one in the file, which only
shows that the file is consistent).

    python ssj_check_entry.py consistency OLDER.json NEWER.json CONSISTENCY.json --key HEX

checks that the log only grew between two checkpoints you kept (each a /v1/log/head reply or a
proof file): both are signed by the key, and CONSISTENCY.json (the reply of
/v1/log/consistency?first=OLDER_SIZE&second=NEWER_SIZE) proves by RFC 9162 §2.1.4 that the newer
tree extends the older one. A log that rewrote or dropped past entries fails.

Exit status 0: everything agrees · 1: something differs (printed) · 2: bad input.
One file, the Python standard library only (3.9 or later). Ed25519 is the RFC 8032 §6 reference
algorithm: slow, and fine for one signature.
"""
from __future__ import annotations

import base64
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

# --- Ed25519 verification (RFC 8032 §6, reference implementation) --------------------------

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def _add(a: tuple, b: tuple) -> tuple:
    x1, y1, z1, t1 = a
    x2, y2, z2, t2 = b
    pa, pb = (y1 - x1) * (y2 - x2) % P, (y1 + x1) * (y2 + x2) % P
    pc, pd = t1 * 2 * D * t2 % P, z1 * 2 * z2 % P
    e, f, g, h = pb - pa, pd - pc, pd + pc, pb + pa
    return e * f % P, g * h % P, f * g % P, e * h % P


def _mul(s: int, point: tuple) -> tuple:
    q = (0, 1, 1, 0)
    while s > 0:
        if s & 1:
            q = _add(q, point)
        point = _add(point, point)
        s >>= 1
    return q


def _equal(a: tuple, b: tuple) -> bool:
    return (a[0] * b[2] - b[0] * a[2]) % P == 0 and (a[1] * b[2] - b[1] * a[2]) % P == 0


def _recover_x(y: int, sign: int) -> int | None:
    if y >= P:
        return None
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P)
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P != 0:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P != 0:
        return None
    return P - x if (x & 1) != sign else x


def _decompress(data: bytes) -> tuple | None:
    y = int.from_bytes(data, "little")
    sign, y = y >> 255, y & ((1 << 255) - 1)
    x = _recover_x(y, sign)
    return None if x is None else (x, y, 1, x * y % P)


G = (_recover_x(4 * pow(5, P - 2, P) % P, 0), 4 * pow(5, P - 2, P) % P, 1, 0)
G = (G[0], G[1], 1, G[0] * G[1] % P)


def ed25519_verify(public: bytes, message: bytes, signature: bytes) -> bool:
    if len(public) != 32 or len(signature) != 64:
        return False
    a, r = _decompress(public), _decompress(signature[:32])
    s = int.from_bytes(signature[32:], "little")
    if a is None or r is None or s >= L:
        return False
    h = int.from_bytes(hashlib.sha512(signature[:32] + public + message).digest(), "little") % L
    return _equal(_mul(s, G), _add(r, _mul(h, a)))


# --- the Merkle tree (RFC 9162) and DSSE ------------------------------------------------------

def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def verify_inclusion(index: int, size: int, leaf: bytes, path: list[bytes], root: bytes) -> bool:
    """RFC 9162 §2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


CHECKPOINT_TYPE = "application/vnd.suijian.log-checkpoint+json; version=1"


def pae(payload_type: str, body: bytes) -> bytes:
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(body), body)


# --- the check ---------------------------------------------------------------------------------

def checkpoint_key(bundled_hex: str, key_hex: str | None) -> bytes:
    """The key to verify the checkpoint with. --key is the server's Ed25519 public key (64 hex digits,
    `public_key` of /v1/log/key) or its fingerprint, the key id (SHA-256 of the key, `keyid`), both
    shown on the entry's verification page: a fingerprint pins the key in the proof file when they
    match. Without --key, the key in the proof file."""
    bundled = bytes.fromhex(bundled_hex)
    if not key_hex:
        return bundled
    given = bytes.fromhex(key_hex.strip().lower())
    return bundled if given == hashlib.sha256(bundled).digest() else given


def check(bundle: dict[str, Any], entry_file: bytes | None = None, key_hex: str | None = None) -> list[str]:
    """The differences found ([] when everything agrees)."""
    problems: list[str] = []
    doc = bundle["doc"].encode("utf-8")
    if entry_file is not None and entry_file != doc:
        problems.append("the entry file differs from the one in the proof / 公示文件与证明中的内容不同")
    doc = entry_file if entry_file is not None else doc
    publication, receipt = bundle["publication"], bundle["record"]["receipt"]
    logged = json.loads(publication["entry"])
    if hashlib.sha256(doc).hexdigest() != logged.get("doc_sha256"):
        problems.append("the entry's SHA-256 is not the one in the log / 公示内容的哈希与审计日志不一致")
    record_sha = json.loads(doc).get("record", {}).get("envelope_sha256")
    if json.loads(receipt["entry"]).get("envelope_sha256") != record_sha or logged.get("record_envelope_sha256") != record_sha:
        problems.append("the signed record is not the one in the log / 所依据的签名记录与审计日志不一致")
    head = bundle["checkpoint"]
    root, size = bytes.fromhex(head["root"]), head["size"]
    for name, zh, proof in (("publication", "公示", publication), ("receipt", "记录接收", receipt)):
        leaf = leaf_hash(proof["entry"].encode("utf-8"))
        if leaf.hex() != proof["leaf_hash"] or not verify_inclusion(
                proof["index"], size, leaf, [bytes.fromhex(h) for h in proof["proof"]], root):
            problems.append(f"the {name} log entry is not in the tree / {zh}日志条目的包含证明不成立")
    envelope = json.loads(head["envelope"])
    body = base64.b64decode(envelope["payload"])
    signed = json.loads(body)
    if (signed.get("size"), signed.get("root")) != (size, head["root"]):
        problems.append("the checkpoint's signed head is another tree / 检查点签名的树与所用的树不同")
    key = checkpoint_key(bundle["public_key"], key_hex)
    if not any(ed25519_verify(key, pae(envelope["payloadType"], body), base64.b64decode(s["sig"]))
               for s in envelope["signatures"]):
        problems.append("the checkpoint's signature does not verify / 检查点签名无效")
    return problems


def main(argv: list[str]) -> int:
    if argv[:1] == ["consistency"]:
        return consistency_main(argv[1:])
    key = None
    if "--key" in argv:
        at = argv.index("--key")
        key, argv = argv[at + 1] if at + 1 < len(argv) else "", argv[:at] + argv[at + 2:]
    if len(argv) not in (1, 2):
        print("usage: python ssj_check_entry.py PROOF.json [ENTRY.json] [--key HEX]\n"
              "用法：python ssj_check_entry.py 证明.json [公示.json] [--key 服务器公钥]", file=sys.stderr)
        return 2
    try:
        with open(argv[0], "rb") as handle:
            bundle = json.loads(handle.read().decode("utf-8"))
        entry = None
        if len(argv) == 2:
            with open(argv[1], "rb") as handle:
                entry = handle.read()
        problems = check(bundle, entry, key)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"BAD INPUT / 输入无效: {exc}", file=sys.stderr)
        return 2
    return verdict(problems, f"entry {bundle['no']}: SHA-256 {bundle['doc_sha256']}\n"
                             f"log size {bundle['checkpoint']['size']}, root {bundle['checkpoint']['root']}")


def verdict(problems: list[str], agreed: str) -> int:
    """Print DIFFERS with the problems (exit 1) or AGREED with what was checked (exit 0)."""
    if problems:
        print("DIFFERS / 不一致")
        print("\n".join(f"- {p}" for p in problems))
        return 1
    print(f"AGREED / 一致\n{agreed}")
    return 0


# --- consistency between two checkpoints (RFC 9162 §2.1.4.2) --------------------------------------

def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes, path: list[bytes]) -> bool:
    """RFC 9162 §2.1.4.2: the tree of `second` leaves extends the tree of `first` (0 < first ≤ second).
    Equal sizes need an empty proof and equal roots."""
    if not 0 < first <= second:
        return False
    if first == second:
        return not path and first_root == second_root
    if not path:
        return False
    if first & (first - 1) == 0:
        path = [first_root, *path]
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == first_root and sr == second_root and sn == 0


def signed_head(checkpoint: dict[str, Any], key: bytes) -> tuple[int, str] | None:
    """The (size, root hex) a checkpoint's DSSE envelope signs, or None if no signature verifies
    under `key`. Only the signed payload counts, never the fields beside the envelope."""
    envelope = json.loads(checkpoint["envelope"])
    body = base64.b64decode(envelope["payload"], validate=True)
    message = pae(envelope["payloadType"], body)
    if envelope["payloadType"] != CHECKPOINT_TYPE or not any(
            ed25519_verify(key, message, base64.b64decode(s["sig"])) for s in envelope["signatures"]):
        return None
    signed = json.loads(body)
    size, root = signed["size"], signed["root"]
    if not isinstance(size, int) or isinstance(size, bool) or size < 0 or len(bytes.fromhex(root)) != 32:
        raise ValueError("a signed checkpoint without a tree size and a SHA-256 root")
    return size, root


def history_problem(first: int, first_root: str, second: int, second_root: str, path: list[str]) -> str | None:
    """Why the log of `second` entries is not the log of `first` entries grown, or None if it is."""
    if second < first:
        return (f"the log shrank from {first} to {second} entries: history was rewritten"
                f" / 审计日志从 {first} 条变为 {second} 条：历史被改写")
    if first == 0:
        return None if first_root == hashlib.sha256(b"").hexdigest() else "an empty log with a root / 空日志的树根无效"
    if first == second and first_root != second_root:
        return (f"two different roots for the same {first} entries: the log forked"
                f" / 同为 {first} 条的审计日志有两个不同的树根：历史被改写")
    try:
        nodes = [bytes.fromhex(h) for h in path]
    except (TypeError, ValueError):
        nodes = []
    if not verify_consistency(first, second, bytes.fromhex(first_root), bytes.fromhex(second_root), nodes):
        return (f"the log of {second} entries does not extend the log of {first} (consistency proof fails):"
                f" history was rewritten / {second} 条的审计日志不包含先前的 {first} 条（一致性证明不成立）：历史被改写")
    return None


def check_consistency(older: dict[str, Any], newer: dict[str, Any], proof: dict[str, Any], key_hex: str) -> list[str]:
    """The differences found between two kept checkpoints (or proof files) and a consistency proof."""
    checkpoints = [doc.get("checkpoint", doc) for doc in (older, newer)]
    if any(key_hex.strip().lower() == head.get("keyid") for head in checkpoints):
        raise ValueError("--key is the key's fingerprint (keyid); give the public key itself (public_key of"
                         " /v1/log/key) / --key 是公钥指纹，请给出公钥本身")
    key = bytes.fromhex(key_hex.strip())
    heads = [signed_head(head, key) for head in checkpoints]
    problems = [f"the {name} checkpoint's signature does not verify / {zh}检查点签名无效"
                for name, zh, head in (("older", "较早的", heads[0]), ("newer", "较新的", heads[1])) if head is None]
    if problems:
        return problems
    (first, first_root), (second, second_root) = heads  # type: ignore[misc]
    if second >= first > 0 and (proof["first"], proof["second"]) != (first, second):
        return [f"the proof is for sizes {proof['first']}→{proof['second']}, not {first}→{second}"
                f" / 证明针对的树大小与检查点不符"]
    problem = history_problem(first, first_root, second, second_root, proof["proof"])
    return [problem] if problem else []


def consistency_main(argv: list[str]) -> int:
    key = argv[argv.index("--key") + 1] if "--key" in argv[:-1] else None
    files = [a for i, a in enumerate(argv) if a != "--key" and (i == 0 or argv[i - 1] != "--key")]
    if len(files) != 3 or not key:
        print("usage: python ssj_check_entry.py consistency OLDER.json NEWER.json CONSISTENCY.json --key HEX\n"
              "用法：python ssj_check_entry.py consistency 较早检查点.json 较新检查点.json 一致性证明.json --key 服务器公钥",
              file=sys.stderr)
        return 2
    try:
        older, newer, proof = (json.loads(Path(name).read_bytes().decode("utf-8")) for name in files)
        problems = check_consistency(older, newer, proof, key)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        print(f"BAD INPUT / 输入无效: {exc}", file=sys.stderr)
        return 2
    return verdict(problems, f"the log of {proof['second']} entries extends the log of {proof['first']}"
                             f" / {proof['second']} 条的审计日志包含先前的 {proof['first']} 条")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
