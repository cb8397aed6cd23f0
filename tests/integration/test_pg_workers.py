"""Four server processes on one PostgreSQL database keep what SQLite's single writer gave for free.

`serve --workers 4` (uvicorn's worker processes on one socket) on a copy of the seeded county;
tablets push their signed records at once from many threads, every batch sent three times
(the resends a tablet makes when an answer is lost), the leader's approvals likewise, and the
daily publication batch runs through the API from several threads while the CLI runs it too.
Then, read from the database and over HTTP:
- the audit log's indexes are 0..n-1, no gap and no duplicate, and its proofs verify: the signed
  head's root is the root of the stored entries (computed here, RFC 9162), inclusion proofs check
  with the standalone entry checker's own code, and the consistency proof from the size before
  the burst matches the reference;
- each record id was accepted once (every other copy answered `duplicate`), is stored once, and
  has one `record` entry in the log;
- the disclosure numbers made by the concurrent approvals are unique and consecutive, and each
  entry was published once.

PostgreSQL only (the SQLite pass has no second process to test: `serve --workers 2` on SQLite is
refused, checked below in test_several_workers_are_refused_on_sqlite)."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from field_app.keys import KeyStore
from field_app.store import LocalStore
from field_app.sync import SyncClient
from schemas import envelope
from field_app.ids import uuid7
from sync_server.audit.core import merkle
from tests.integration.conftest import FAST_RETRY, Admin, County, server_rows
from tests.support import engine
from tests.support.records import record, sign_record
from tests.support.server import ROOT, answers_ok, free_port
from tests.unit.test_merkle import reference_consistency, reference_root
from verifier.ssj_check_entry import verify_inclusion

WORKERS = 4
TABLETS = 4
RECORDS_PER_TABLET = 3
COPIES = 3          # each batch sent this many times, at once

on_postgres = pytest.mark.skipif(not engine.ON_POSTGRES,
                                 reason="several workers need PostgreSQL: runs in make test's PostgreSQL pass")


class Workers:
    """`python -m sync_server serve --workers N` in its own process group, stopped after the test."""

    def __init__(self, target: str, workers: int) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **engine.server_env(target)}
        self.log = engine.home_file(target).with_name("workers.log")
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "sync_server", "serve", "--db", target, "--port", str(self.port),
                 "--workers", str(workers)], cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
        # Ready when every worker process has opened its pool (each names itself to PostgreSQL).
        deadline = time.monotonic() + 90
        while not (answers_ok(self.url + "/healthz") and len(server_processes(target)) >= workers):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the workers did not start: {self.log.read_text(errors='replace')}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, 2)   # SIGINT to the group: uvicorn's supervisor and its workers
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait()


@pytest.fixture
def workers(county: County) -> Iterator[Workers]:
    running = Workers(str(county.db), WORKERS)
    yield running
    running.stop()


def tablet(url: str, admin: Admin, home: Path, user_id: str) -> SyncClient:
    client = SyncClient(url, LocalStore(home / "app.db"), KeyStore(home / "keys"), retry=FAST_RETRY)
    client.code_for = admin.code_for
    client.enroll(admin.code_for(user_id), f"平板 {user_id[-4:]}")
    client.sync()
    return client


def post(client: SyncClient, path: str, texts: list[str]) -> list[dict[str, Any]]:
    answer = client.http.post(path, json={"envelopes": texts}, headers=client._auth(), timeout=120)
    assert answer.status_code == 200, answer.text
    return answer.json()["receipts"]


def server_processes(target: str) -> set[str]:
    """The server processes connected to the database (each pool names its process)."""
    return {r[0] for r in server_rows(target, "SELECT application_name FROM pg_stat_activity"
                                              " WHERE datname = current_database() AND application_name LIKE ?",
                                      "suijian-server-%")}


@on_postgres
def test_four_workers_keep_one_log_one_record_and_consecutive_numbers(workers: Workers, county: County,
                                                                      tmp_path: Path) -> None:
    target = str(county.db)
    assert len(server_processes(target)) == WORKERS, "each worker process has its own connections"
    admin = Admin(workers.url, county.admin_token)
    size_before = httpx.get(workers.url + "/v1/log/head").json()["size"]
    busy = [r["user_id"] for r in server_rows(
        target, "SELECT t.user_id FROM assignment_team t JOIN users u ON u.id = t.user_id"
                " WHERE u.role = 'inspector' AND t.user_id <> ? GROUP BY t.user_id ORDER BY count(*) DESC, t.user_id",
        county.leader)][:TABLETS]
    assert len(busy) == TABLETS
    tablets = [tablet(workers.url, admin, tmp_path / f"tablet-{n}", user) for n, user in enumerate(busy)]

    # Each tablet signs records of visits the leader is not on (the leader approves them below).
    batches: list[tuple[SyncClient, list[str], list[str]]] = []
    taken: set[str] = set()
    for client in tablets:
        me = client.keys.credentials()["user"]["id"]
        mine = [a for a in client.store.list_assignments() if a["id"] not in taken
                and county.leader not in {m["id"] for m in a.get("team", [])}][:RECORDS_PER_TABLET]
        assert len(mine) == RECORDS_PER_TABLET
        taken.update(a["id"] for a in mine)
        docs = [record(a, [me]) for a in mine]
        batches.append((client, [d["id"] for d in docs], [sign_record(client, d).decode() for d in docs]))
    record_ids = [rid for _, ids, _ in batches for rid in ids]

    with ThreadPoolExecutor(max_workers=len(batches) * COPIES) as pool:
        answers = list(pool.map(lambda job: post(job[0], "/v1/records/batch", job[2]),
                                [b for b in batches for _ in range(COPIES)]))
    statuses: dict[str, list[str]] = {rid: [] for rid in record_ids}
    for receipts in answers:
        for receipt in receipts:
            statuses[receipt["id"]].append(receipt["status"])
    assert {rid: sorted(s) for rid, s in statuses.items()} == {
        rid: ["accepted"] + ["duplicate"] * (COPIES - 1) for rid in record_ids}, "each record accepted exactly once"

    # The leader approves them all at once (each batch of decisions sent three times): each
    # approval numbers a disclosure entry.
    leader = tablet(workers.url, admin, tmp_path / "leader", county.leader)
    shas = dict((r["id"], r["envelope_sha256"]) for r in server_rows(
        target, "SELECT id, envelope_sha256 FROM records WHERE id IN (" + ",".join("?" * len(record_ids)) + ")",
        *record_ids))
    key = leader.keys.private_key()
    decisions = [envelope.sign({"schema": "suijian.review-decision/1", "id": uuid7(), "record_id": rid,
                                "record_envelope_sha256": shas[rid], "decision": "approve", "reason": "",
                                "leader": county.leader, "decided_at": "2026-11-21T10:00:00Z"},
                               envelope.REVIEW_TYPE, key).decode() for rid in record_ids]
    groups = [decisions[i::TABLETS] for i in range(TABLETS)]
    with ThreadPoolExecutor(max_workers=len(groups) * COPIES) as pool:
        answered = [r for receipts in pool.map(lambda texts: post(leader, "/v1/reviews/batch", texts),
                                               [g for g in groups for _ in range(COPIES)]) for r in receipts]
    assert sorted(r["status"] for r in answered) == sorted(
        ["accepted"] * len(record_ids) + ["duplicate"] * len(record_ids) * (COPIES - 1)), answered

    # The daily publication batch: through the API from several threads, and the CLI at once.
    cli = subprocess.Popen([sys.executable, "-m", "sync_server", "publish", "--db", target], cwd=ROOT,
                           env=workers.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    with ThreadPoolExecutor(max_workers=4) as pool:
        published = list(pool.map(lambda _: admin.http.post("/v1/admin/disclosures/publish"), range(4)))
    assert all(p.status_code == 200 for p in published), [p.text for p in published]
    cli_out, _ = cli.communicate(timeout=120)
    assert cli.returncode == 0, cli_out
    admin.http.close()
    for client in [*tablets, leader]:
        client.close()
        client.store.close()

    # A record id stored once, with one log entry.
    stored = server_rows(target, "SELECT id, count(*) AS n FROM records WHERE id IN ("
                         + ",".join("?" * len(record_ids)) + ") GROUP BY id", *record_ids)
    assert {r["id"]: r["n"] for r in stored} == {rid: 1 for rid in record_ids}
    logged = [r["subject"] for r in server_rows(
        target, "SELECT subject FROM audit_log WHERE idx >= ? AND kind = 'record.received'", size_before)]
    assert sorted(logged) == sorted(record_ids), "one `record.received` entry per record"
    approved = [r["subject"] for r in server_rows(
        target, "SELECT subject FROM audit_log WHERE idx >= ? AND kind = 'review.approved'", size_before)]
    assert sorted(approved) == sorted(record_ids), "one approval entry per record"

    # Disclosure numbers: unique and consecutive within each year; each entry published once.
    entries = server_rows(target, "SELECT no, year, revision, state FROM disclosures ORDER BY id")
    assert len(entries) >= len(record_ids)
    by_year: dict[int, list[int]] = {}
    for e in entries:
        by_year.setdefault(e["year"], []).append(int(e["no"].rsplit("-", 1)[-1]))
    for year, serials in by_year.items():
        assert sorted(serials) == list(range(1, len(serials) + 1)), (year, sorted(serials))
    assert {(e["state"], e["revision"]) for e in entries} == {("published", 1)}
    publications = server_rows(target, "SELECT disclosure_id, count(*) AS n FROM disclosure_publications"
                                       " GROUP BY disclosure_id")
    assert len(publications) == len(entries) and {p["n"] for p in publications} == {1}

    # The audit log: 0..n-1, and its proofs verify against what is stored.
    rows = server_rows(target, "SELECT idx, entry, leaf_hash FROM audit_log ORDER BY idx")
    assert [r["idx"] for r in rows] == list(range(len(rows))), "no gap and no duplicate in the log's order"
    leaves = [merkle.leaf_hash(bytes(r["entry"])) for r in rows]
    assert leaves == [bytes(r["leaf_hash"]) for r in rows]
    head = httpx.get(workers.url + "/v1/log/head").json()
    size = head["size"]
    assert size == len(rows)
    root = reference_root(leaves)
    assert bytes.fromhex(head["root"]) == root
    public_key = bytes.fromhex(httpx.get(workers.url + "/v1/log/key").json()["public_key"])
    envelope.verify(envelope.parse(head["envelope"].encode()), public_key)
    for index in sorted({0, size_before, (size_before + size) // 2, size - 1}):
        proof = httpx.get(f"{workers.url}/v1/log/proof/{index}", params={"size": size}).json()
        assert verify_inclusion(index, size, leaves[index], [bytes.fromhex(h) for h in proof["proof"]], root)
    consistency = httpx.get(workers.url + "/v1/log/consistency", params={"first": size_before, "second": size}).json()
    assert consistency["proof"] == [h.hex() for h in reference_consistency(size_before, leaves)]


def test_several_workers_are_refused_on_sqlite(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "sync_server", "serve", "--db", str(tmp_path / "one.db"),
                           "--workers", "2", "--port", str(free_port())], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2
    assert "PostgreSQL" in done.stderr and "多个工作进程" in done.stderr
    assert not (tmp_path / "one.db").exists(), "refused before anything was made"
