"""What the server cannot take is set aside; the rest of the outbox goes through.

A real server behind tests/support/proxy.py: the proxy fails every push batch that names one
record (a server that crashes on that record), answers 507 (the server's disk is full), or cuts
connections. The tablet is an AppState on its own data directory, as on a device.
"""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Iterator

import pytest

from field_app.app_state import AppState, Settings
from field_app.sync import RetryPolicy
from schemas import clock
from tests.integration.conftest import server_rows
from tests.support.proxy import BATCH, FaultProxy
from tests.support.records import PIN, queue_record, record


@pytest.fixture
def proxy(server) -> Iterator[FaultProxy]:
    with FaultProxy(server.url) as made:
        yield made


@pytest.fixture
def tablet(tmp_path: Path, proxy: FaultProxy, admin, county) -> Iterator[AppState]:
    state = AppState(Settings(tmp_path / "tablet", proxy.url, sync_interval=0,
                              retry=RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.05)))
    assert state.session.enroll(proxy.url, admin.code_for(county.inspector), PIN, PIN) is None
    state.code_for = admin.code_for
    assert state.syncing.now().pulled >= 8
    yield state
    state.close()


def queue(state: AppState, county, n: int) -> list[str]:
    """n signed records in the outbox, one per assignment; their ids in outbox order."""
    ids = []
    for assignment in state.store.list_assignments()[:n]:
        doc = record(assignment, [county.inspector])
        queue_record(state, doc, [], clock.utc_stamp())
        ids.append(doc["id"])
    return ids


def stored(county) -> set[str]:
    return {row["id"] for row in server_rows(county.db, "SELECT id FROM records")}


def line_of(state: AppState, record_id: str):
    return next(line for line in state.outbox_lines() if line.record_id == record_id)


def batches_naming(proxy: FaultProxy, record_id: str) -> int:
    return sum(1 for seen in proxy.seen if seen.path == BATCH and seen.names(record_id))


def test_one_record_the_server_fails_on_is_parked_and_the_rest_go_through(tablet, proxy, county) -> None:
    ids = queue(tablet, county, 7)
    poisoned = ids[2]
    proxy.fail_record(poisoned)

    result = tablet.syncing.now()
    assert not result.offline and result.error is None
    assert result.receipts == {"accepted": 6} and result.parked == 1
    assert stored(county) == set(ids) - {poisoned}, "the six others are in the server's database"
    line = line_of(tablet, poisoned)
    assert (line.state, line.state_zh) == ("parked", "服务器暂时无法接收，已暂存本机")
    assert line.error_zh == "服务器内部错误，请稍后重试"
    assert "其他记录照常同步" in line.help_zh
    assert tablet.work.outbox_waiting() == 1, "a parked record is not on the server yet"

    # A background sync with a new record: the new one goes through, the parked one is not sent.
    sent_before = batches_naming(proxy, poisoned)
    (newer,) = queue(tablet, county, 1)
    result = tablet.syncing.now(retry_parked=False)
    assert result.error is None and result.receipts == {"accepted": 1}
    assert newer in stored(county) and batches_naming(proxy, poisoned) == sent_before

    # The inspector taps 立即同步 while the server still fails on it: tried once, parked again.
    result = tablet.syncing.now()
    assert result.error is None and result.parked == 1
    assert batches_naming(proxy, poisoned) == sent_before + 1
    assert line_of(tablet, poisoned).state == "parked"

    proxy.pass_through()    # the server is fixed
    result = tablet.syncing.now()
    assert result.receipts == {"accepted": 1} and result.parked == 0
    assert poisoned in stored(county)
    assert line_of(tablet, poisoned).state == "accepted" and tablet.work.outbox_waiting() == 0


def test_a_parked_record_is_retried_by_itself_after_some_hours(tablet, proxy, county) -> None:
    ids = queue(tablet, county, 4)
    proxy.fail_record(ids[-1])
    assert tablet.syncing.now().parked == 1
    proxy.pass_through()

    tablet.syncing.now(retry_parked=False)
    assert line_of(tablet, ids[-1]).state == "parked", "not retried at every background sync"
    before = clock.current()
    clock.install(clock.Clock(before.offset + timedelta(hours=7)))
    try:
        result = tablet.syncing.now(retry_parked=False)
    finally:
        clock.install(before)
    assert result.receipts == {"accepted": 1}
    assert stored(county) == set(ids)


def test_a_server_that_fails_every_batch_parks_nothing(tablet, proxy, county) -> None:
    ids = queue(tablet, county, 7)
    proxy.fail(500)

    result = tablet.syncing.now()
    assert result.parked == 0 and result.receipts == {}
    assert "服务器" in result.error and "稍后" in result.error
    assert tablet.store.outbox_counts() == {"pending": 7}
    assert stored(county) == set()

    proxy.pass_through()
    assert tablet.syncing.now().receipts == {"accepted": 7}
    assert stored(county) == set(ids)


def test_a_full_server_keeps_the_whole_outbox_and_says_so(tablet, proxy, county) -> None:
    ids = queue(tablet, county, 3)
    proxy.fail(507, code="storage.full")

    result = tablet.syncing.now()
    assert result.server_full and not result.offline and result.parked == 0
    assert result.error == "服务器存储空间已满，记录已保存在本机，稍后自动重试"
    assert tablet.store.outbox_counts() == {"pending": 3} and tablet.work.outbox_waiting() == 3
    assert [seen.outcome for seen in proxy.seen if seen.path == BATCH] == ["failed 507"], "not narrowed"
    assert {line.state for line in tablet.outbox_lines()} == {"pending"}

    proxy.pass_through()
    assert tablet.syncing.now().receipts == {"accepted": 3}
    assert stored(county) == set(ids)


def test_cut_connections_are_offline_for_the_whole_batch(tablet, proxy, county) -> None:
    ids = queue(tablet, county, 5)

    proxy.cut(after=40, requests=2, where="request", path=BATCH)     # the server never gets a whole batch
    result = tablet.syncing.now()
    assert result.offline and result.parked == 0
    assert tablet.store.outbox_counts() == {"pending": 5} and stored(county) == set()

    proxy.cut(after=40, requests=2, where="response", path=BATCH)    # stored, but the answer is lost
    result = tablet.syncing.now()
    assert result.offline and result.parked == 0
    assert tablet.store.outbox_counts() == {"pending": 5} and stored(county) == set(ids)
    assert [s.outcome for s in proxy.seen if s.path == BATCH] == ["cut request"] * 2 + ["cut response"] * 2

    result = tablet.syncing.now()
    assert result.receipts == {"duplicate": 5}, "the retry finds them stored"
    assert tablet.store.outbox_counts() == {"accepted": 5}
