"""The pieces of the weak-link work that need no server: the shaper's token bucket (on a fake
clock), the Content-Range rules of resumable uploads, the stale-staging sweep."""
from __future__ import annotations

import os

import pytest

from sync_server.errors import BadRequest, TooLarge
from sync_server.records import uploads
from tests.support.shaper import TokenBucket


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.mark.parametrize("rate,burst,sent", [(125_000, 4096, 1_000_000), (10_000, 1000, 55_000)])
def test_the_bucket_lets_no_more_than_the_rate_through(rate: int, burst: int, sent: int) -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate, burst, clock=clock, sleep=clock.sleep)
    start = clock.now
    for _ in range(sent // burst):
        bucket.take(burst)
    taken = (sent // burst) * burst
    # the first `burst` bytes were saved up; the rest came at the rate
    assert clock.now - start >= (taken - burst) / rate - 1e-9
    assert clock.now - start <= (taken - burst) / rate + 1e-6


def test_an_unlimited_bucket_never_waits() -> None:
    clock = FakeClock()
    bucket = TokenBucket(None, clock=clock, sleep=clock.sleep)
    for _ in range(100):
        bucket.take(4096)
    assert clock.now == 100.0


def test_content_range_is_inclusive_and_checked() -> None:
    span = uploads.parse_range("bytes 0-262143/300000", 10_000_000)
    assert (span.start, span.end, span.total) == (0, 262_144, 300_000)
    last = uploads.parse_range("bytes 262144-299999/300000", 10_000_000)
    assert last.end == last.total
    for bad in (None, "", "bytes 5-4/10", "bytes 0-10/10", "bytes */10", "items 0-1/2", "bytes -1-2/3"):
        with pytest.raises(BadRequest) as refused:
            uploads.parse_range(bad, 10_000_000)
        assert refused.value.code == "upload.bad_range" and refused.value.message_zh
    with pytest.raises(TooLarge) as large:
        uploads.parse_range("bytes 0-9/10000001", 10_000_000)
    assert large.value.code == "upload.too_large" and large.value.detail == {"limit": 10_000_000}


def test_staged_files_untouched_for_a_day_are_swept(tmp_path) -> None:
    root = tmp_path / ".uploads"
    (root / "dev").mkdir(parents=True)
    old, fresh = root / "dev" / ("a" * 64 + "-10.part"), root / "dev" / ("b" * 64 + "-10.part")
    old.write_bytes(b"x" * 5)
    fresh.write_bytes(b"y" * 5)
    now = 1_800_000_000.0
    os.utime(old, (now - uploads.STALE_SECONDS - 60,) * 2)
    os.utime(fresh, (now - uploads.STALE_SECONDS + 60,) * 2)
    assert uploads.sweep(root, now) == 1
    assert not old.exists() and fresh.exists()
