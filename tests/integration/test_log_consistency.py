"""The audit log keeps its promise of consistency: proofs between tree sizes over real HTTP, checked
against RFC 9162's definitions computed here from the entries in the real SQLite file; the
standalone monitor passes while the log grows and fails once an old entry is rewritten or the log
loses entries."""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import httpx
import jsonschema
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from schemas import contract
from sync_server.db.connection import transaction
from tests.support.engine import Target
from tests.support import engine
from tests.integration.conftest import County, server_rows
from tests.support.server import ROOT, ServerProcess
from tests.unit.test_merkle import reference_consistency, reference_root


def leaves_in(db: Target) -> list[bytes]:
    """RFC 9162 leaf hashes of the stored entries, computed here: SHA-256(0x00 || entry)."""
    return [hashlib.sha256(b"\x00" + bytes(row["entry"])).digest()
            for row in server_rows(db, "SELECT entry FROM audit_log ORDER BY idx")]


def add_users(url: str, token: str, count: int, start: int = 0) -> None:
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as admin:
        for i in range(start, start + count):
            made = admin.post("/v1/admin/users", json={"id": f"3700002026{i:04d}", "name": f"监督员{i}",
                                                       "role": "inspector"})
            assert made.status_code == 201, made.text


def test_consistency_proofs_agree_with_rfc_9162(server: ServerProcess, county: County) -> None:
    before = httpx.get(server.url + "/v1/log/head").json()["size"]
    add_users(server.url, county.admin_token, 37)
    leaves = leaves_in(county.db)
    size = len(leaves)
    assert size == before + 37
    head = httpx.get(server.url + "/v1/log/head").json()
    assert (head["size"], head["root"]) == (size, reference_root(leaves).hex())
    pairs = {(m, n) for n in (before, 32, size - 1, size) for m in range(1, n + 1)}
    for m, n in sorted(pairs):
        proof = httpx.get(server.url + "/v1/log/consistency", params={"first": m, "second": n})
        assert proof.status_code == 200, proof.text
        assert proof.json() == {"first": m, "second": n, "first_root": reference_root(leaves[:m]).hex(),
                                "second_root": reference_root(leaves[:n]).hex(),
                                "proof": [h.hex() for h in reference_consistency(m, leaves[:n])]}
    to_head = httpx.get(server.url + "/v1/log/consistency", params={"first": before}).json()
    assert (to_head["second"], to_head["second_root"]) == (size, head["root"])


@pytest.mark.parametrize("query,code", [
    ({"first": "0"}, "request.bad_parameter"),
    ({"first": "1", "second": "0"}, "request.bad_parameter"),
    ({"first": "5", "second": "4"}, "log.bad_range"),
    ({"first": "1", "second": "10000000"}, "log.bad_range"),
    ({"first": "10000000"}, "log.bad_range"),
    ({}, "request.bad_parameter"),
    ({"first": "abc"}, "request.bad_parameter"),
    ({"first": "-1"}, "request.bad_parameter"),
    ({"first": "1.5"}, "request.bad_parameter"),
    ({"first": "１"}, "request.bad_parameter"),
    ({"first": ""}, "request.bad_parameter"),
    ({"first": "1", "second": "+5"}, "request.bad_parameter"),
    ({"first": "99999999999999999999999999"}, "request.bad_parameter"),
])
def test_bad_sizes_are_refused_with_a_reason(server: ServerProcess, query: dict, code: str) -> None:
    refused = httpx.get(server.url + "/v1/log/consistency", params=query)
    assert refused.status_code == 400, refused.text
    jsonschema.validate(refused.json(), contract.load("error"))
    assert refused.json()["code"] == code and refused.json()["message_zh"]


def run(script: str, *args: str) -> subprocess.CompletedProcess:
    """A verifier script as a user runs it: from its own directory, the standard library only
    (-S: no site-packages; -E -s: no PYTHONPATH, no user site)."""
    return subprocess.run([sys.executable, "-S", "-E", "-s", script, *args], capture_output=True, text=True, timeout=120)


def rewrite_entry(db: Target, idx: int) -> None:
    """A careful forger: one old entry changed, its leaf hash recomputed so the table looks whole."""
    conn = engine.connect(db)
    try:
        entry = bytes(conn.execute("SELECT entry FROM audit_log WHERE idx = ?", (idx,)).fetchone()[0])
        forged = entry.replace(b'"at":"2', b'"at":"1', 1)
        assert forged != entry
        with transaction(conn):
            conn.execute("UPDATE audit_log SET entry = ?, leaf_hash = ? WHERE idx = ?",
                         (forged, hashlib.sha256(b"\x00" + forged).digest(), idx))
    finally:
        conn.close()


def drop_entries_from(db: Target, idx: int) -> None:
    conn = engine.connect(db)
    try:
        with transaction(conn):
            conn.execute("DELETE FROM audit_log WHERE idx >= ?", (idx,))
    finally:
        conn.close()


def test_the_monitor_passes_while_the_log_grows_and_fails_on_rewritten_history(county: County,
                                                                               tmp_path: Path) -> None:
    tools = tmp_path / "downloaded"
    tools.mkdir()
    state = tmp_path / "monitor.json"
    server = ServerProcess(county.db).start()
    try:
        for name in ("ssj_monitor.py", "ssj_check_entry.py"):   # as the public gets them
            (tools / name).write_bytes(httpx.get(f"{server.url}/public/verify/{name}").content)
            assert (tools / name).read_bytes() == (ROOT / "verifier" / name).read_bytes()
        monitor, checker = str(tools / "ssj_monitor.py"), str(tools / "ssj_check_entry.py")
        key = httpx.get(server.url + "/v1/log/key").json()["public_key"]
        first = watch_at(monitor, server.url, state, key)
        assert first.returncode == 0 and "FIRST HEAD KEPT" in first.stdout, first.stdout + first.stderr
        older = json.loads(state.read_text())["checkpoint"]
        trusting = run(monitor, server.url, "--state", str(tmp_path / "tofu.json"))
        assert trusting.returncode == 0 and "first use" in trusting.stdout, trusting.stdout + trusting.stderr
        assert json.loads((tmp_path / "tofu.json").read_text())["public_key"] == key
        other_key = Ed25519PrivateKey.generate().public_key().public_bytes_raw().hex()
        wrong = run(monitor, server.url, "--state", str(tmp_path / "wrong.json"), "--key", other_key)
        assert wrong.returncode == 1 and "签名无效" in wrong.stdout and not (tmp_path / "wrong.json").exists()
        for round_ in range(3):
            add_users(server.url, county.admin_token, round_ + 1, start=10 * round_)
            grown = watch_at(monitor, server.url, state, key)
            assert grown.returncode == 0 and "CONSISTENT" in grown.stdout, grown.stdout + grown.stderr
        unchanged = watch_at(monitor, server.url, state, key)
        assert unchanged.returncode == 0 and "CONSISTENT" in unchanged.stdout
        newer = json.loads(state.read_text())["checkpoint"]
        assert newer["size"] == older["size"] + 6
        agreed = check_pair(checker, server.url, key, older, newer, tmp_path)
        assert agreed.returncode == 0 and "AGREED" in agreed.stdout, agreed.stdout + agreed.stderr
        fingerprint = run(checker, "consistency", *(str(tmp_path / f"{n}.json") for n in ("older", "newer", "proof")),
                          "--key", older["keyid"])
        assert fingerprint.returncode == 2 and "fingerprint" in fingerprint.stderr
        assert run(checker, "consistency", str(tmp_path / "older.json"), "--key", key).returncode == 2
    finally:
        server.stop()
    unreachable = watch_at(monitor, server.url, state, key)
    assert unreachable.returncode == 2 and "CANNOT CHECK" in unreachable.stderr

    rewrite_entry(county.db, 3)
    kept = state.read_bytes()
    server = ServerProcess(county.db).start()
    try:
        forked = watch_at(monitor, server.url, state, key)
        assert forked.returncode == 1 and "HISTORY REWRITTEN" in forked.stdout, forked.stdout + forked.stderr
        assert "two different roots for the same" in forked.stdout and "历史被改写" in forked.stdout
        evidence = json.loads((tmp_path / "monitor.json.evidence.json").read_text())
        assert evidence["kept"] == newer and evidence["seen"]["size"] == newer["size"]
        add_users(server.url, county.admin_token, 1, start=99)
        caught = watch_at(monitor, server.url, state, key)
        assert caught.returncode == 1 and "HISTORY REWRITTEN" in caught.stdout, caught.stdout + caught.stderr
        assert "consistency proof fails" in caught.stdout and "signed earlier as" in caught.stdout
        assert state.read_bytes() == kept, "the head kept before the fork stays the reference"
        differs = check_pair(checker, server.url, key, newer, httpx.get(server.url + "/v1/log/head").json(), tmp_path)
        assert differs.returncode == 1 and "history was rewritten" in differs.stdout, differs.stdout + differs.stderr
    finally:
        server.stop()

    drop_entries_from(county.db, newer["size"] - 2)
    server = ServerProcess(county.db).start()
    try:
        shrunk = watch_at(monitor, server.url, state, key)
        assert shrunk.returncode == 1 and "shrank" in shrunk.stdout, shrunk.stdout + shrunk.stderr
    finally:
        server.stop()


def watch_at(monitor: str, url: str, state: Path, key: str) -> subprocess.CompletedProcess:
    return run(monitor, url, "--state", str(state), "--key", key)


def check_pair(checker: str, url: str, key: str, older: dict, newer: dict, tmp_path: Path) -> subprocess.CompletedProcess:
    proof = httpx.get(url + "/v1/log/consistency", params={"first": older["size"], "second": newer["size"]}).json()
    files = []
    for name, doc in (("older", older), ("newer", newer), ("proof", proof)):
        files.append(tmp_path / f"{name}.json")
        files[-1].write_text(json.dumps(doc))
    return run(checker, "consistency", *map(str, files), "--key", key)
