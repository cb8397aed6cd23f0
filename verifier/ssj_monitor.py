#!/usr/bin/env python3
"""Watch a SuiJian audit log: the log may only grow, never change its past.

    python3 ssj_monitor.py https://server.example [--state ssj-monitor.json] [--key HEX]

Each run fetches the server's signed tree head (/v1/log/head), checks its Ed25519 signature,
and proves with an RFC 9162 consistency proof (/v1/log/consistency) that the log extends the
last head this monitor kept in its state file; then it keeps the new one. A log that rewrote
history (another root for a size it had, fewer entries than before, or a proof that fails) is
reported with both signed heads written beside the state file as evidence, and the state is
left as it was, so every later run fails too. Run it from cron as often as you like.

--key is the server's public key (hex) obtained and kept by you; without it the first run takes
the key the server offers (/v1/log/key), says so, and keeps it.

Exit status 0: the log only grew (or the first head was kept) · 1: history rewritten or a bad
signature · 2: bad input, or the server could not be reached.
The Python standard library only (3.9 or later); it uses ssj_check_entry.py, which sits beside it.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

try:
    from verifier import ssj_check_entry as entry_check
except ImportError:  # run as a script beside ssj_check_entry.py
    import ssj_check_entry as entry_check  # type: ignore[no-redef]

TIMEOUT_SECONDS = 30


class Unusable(Exception):
    """Bad input or an unreachable server: exit 2, nothing learnt about the log."""


def fetch_json(url: str) -> Any:
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as reply:
            return json.loads(reply.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        raise Unusable(f"{url}: HTTP {exc.code} {exc.read()[:300].decode('utf-8', 'replace')}") from exc
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise Unusable(f"{url}: {exc}") from exc


def load_state(path: Path) -> dict[str, Any] | None:
    if not path.exists():
        return None
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
        return {"public_key": str(state["public_key"]), "checkpoint": dict(state["checkpoint"])}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise Unusable(f"the state file {path} is unreadable: {exc}") from exc


def save_json(path: Path, document: dict[str, Any]) -> None:
    """Written whole or not at all (a temporary file renamed over the old one)."""
    fd, temp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(document, handle, ensure_ascii=False, indent=1)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, path)


def key_to_use(server: str, given: str | None, state: dict[str, Any] | None) -> str:
    if given and state and given.lower() != state["public_key"].lower():
        raise Unusable("--key differs from the key kept in the state file / --key 与状态文件中保存的公钥不同")
    if given or state:
        return _hex_key(given or state["public_key"])  # type: ignore[index]
    offered = _hex_key(str(fetch_json(f"{server}/v1/log/key").get("public_key")))
    print(f"key {offered} taken from the server itself (first use); compare it with one you obtained elsewhere"
          f" / 公钥取自服务器本身，请与另行获得的公钥核对")
    return offered


def _hex_key(text: str) -> str:
    try:
        if len(bytes.fromhex(text)) == 32:
            return text.lower()
    except ValueError:
        pass
    raise Unusable(f"not an Ed25519 public key in hex: {text[:80]!r} / 公钥格式无效")


def signed(checkpoint: dict[str, Any], key: str) -> tuple[int, str] | None:
    try:
        return entry_check.signed_head(checkpoint, bytes.fromhex(key))
    except (ValueError, KeyError, TypeError) as exc:
        raise Unusable(f"not a checkpoint: {exc}") from exc


def proof_between(server: str, first: int, second: int) -> dict[str, Any]:
    if not 0 < first < second:
        return {"first": first, "second": second, "proof": []}
    query = urllib.parse.urlencode({"first": first, "second": second})
    proof = fetch_json(f"{server}/v1/log/consistency?{query}")
    if not isinstance(proof, dict) or (proof.get("first"), proof.get("second")) != (first, second) \
            or not isinstance(proof.get("proof"), list):
        raise Unusable(f"the server's reply is not a consistency proof from {first} to {second} entries")
    return proof


def check(server: str, state_path: Path, given_key: str | None) -> int:
    state = load_state(state_path)
    key = key_to_use(server, given_key, state)
    head = fetch_json(f"{server}/v1/log/head")
    if isinstance(head, dict) and head.get("keyid") == key:
        raise Unusable("--key is the key's fingerprint (keyid); give the public key itself (public_key of /v1/log/key)"
                       " / --key 是公钥指纹，请给出公钥本身")
    seen = signed(head, key)
    if seen is None:
        print("DIFFERS / 不一致\n- the server's checkpoint signature does not verify under the key / 检查点签名无效")
        return 1
    if state is None:
        save_json(state_path, {"server": server, "public_key": key, "checkpoint": head})
        print(f"FIRST HEAD KEPT / 已保存首个检查点: size {seen[0]}, root {seen[1]} → {state_path}")
        return 0
    kept = signed(state["checkpoint"], key)
    if kept is None:
        raise Unusable(f"the checkpoint kept in {state_path} does not verify under the key")
    proof = proof_between(server, kept[0], seen[0]) if seen[0] >= kept[0] else None
    problem = entry_check.history_problem(kept[0], kept[1], seen[0], seen[1], proof["proof"] if proof else [])
    if problem:
        return _report_fork(state_path, state["checkpoint"], head, proof, problem, kept)
    save_json(state_path, {"server": server, "public_key": key, "checkpoint": head})
    print(f"CONSISTENT / 一致: {kept[0]} → {seen[0]} entries, root {seen[1]}")
    return 0


def _report_fork(state_path: Path, kept: dict[str, Any], seen: dict[str, Any], proof: dict[str, Any] | None,
                 problem: str, kept_head: tuple[int, str]) -> int:
    evidence = state_path.with_name(state_path.name + ".evidence.json")
    save_json(evidence, {"problem": problem, "kept": kept, "seen": seen, "consistency": proof})
    print(f"HISTORY REWRITTEN / 历史被改写\n- {problem}")
    if proof and proof.get("first_root") not in (None, kept_head[1]):
        print(f"- the server now gives root {proof['first_root']} to the first {kept_head[0]} entries,"
              f" signed earlier as {kept_head[1]} / 服务器现在给出的前 {kept_head[0]} 条的树根与先前签名的不同")
    print(f"- both signed heads are kept in {evidence} / 两个签名检查点已保存为证据")
    return 1


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="Check that a SuiJian audit log only grows / 监测审计日志只增不改")
    parser.add_argument("server", help="the server's URL, e.g. https://suijian.example")
    parser.add_argument("--state", type=Path, default=Path("ssj-monitor.json"),
                        help="where the last checkpoint seen is kept (default ssj-monitor.json)")
    parser.add_argument("--key", help="the server's Ed25519 public key, hex, obtained and kept by you")
    args = parser.parse_args(argv)
    try:
        return check(args.server.rstrip("/"), args.state, args.key)
    except Unusable as exc:
        print(f"CANNOT CHECK / 无法检查: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
