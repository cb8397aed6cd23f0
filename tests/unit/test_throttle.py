"""The rule for failed sign-ins: at most `limit` failures in any window (pure, no I/O)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given, strategies as st

from sync_server.accounts.core.throttle import Rule, retry_after

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)
RULE = Rule(limit=3, window=timedelta(seconds=60))


def at(*seconds: float) -> list[datetime]:
    return [T0 + timedelta(seconds=s) for s in seconds]


def test_below_the_limit_an_attempt_may_be_made() -> None:
    assert retry_after([], T0, RULE) == 0
    assert retry_after(at(0, 10), T0 + timedelta(seconds=11), RULE) == 0


def test_at_the_limit_wait_until_the_oldest_leaves_the_window() -> None:
    assert retry_after(at(0, 10, 20), T0 + timedelta(seconds=21), RULE) == 39
    assert retry_after(at(0, 10, 20), T0 + timedelta(seconds=59.5), RULE) == 1   # rounded up, never 0
    assert retry_after(at(0, 10, 20), T0 + timedelta(seconds=60), RULE) == 0


def test_over_the_limit_wait_until_enough_have_left() -> None:
    # five failures, limit three: the third oldest (at 20 s) must leave the window
    assert retry_after(at(0, 10, 20, 30, 40), T0 + timedelta(seconds=41), RULE) == 39


def test_old_failures_and_future_ones_do_not_count() -> None:
    assert retry_after(at(-120, -61, 0, 10), T0 + timedelta(seconds=11), RULE) == 0
    assert retry_after(at(0, 10, 500), T0 + timedelta(seconds=11), RULE) == 0


@given(st.lists(st.integers(min_value=0, max_value=600), max_size=30), st.integers(min_value=0, max_value=700),
       st.integers(min_value=1, max_value=6), st.integers(min_value=1, max_value=120))
def test_after_waiting_the_attempt_is_allowed_and_not_a_second_sooner(offsets: list[int], now_at: int, limit: int,
                                                                        window: int) -> None:
    rule = Rule(limit, timedelta(seconds=window))
    failures, now = at(*offsets), T0 + timedelta(seconds=now_at)
    wait = retry_after(failures, now, rule)
    inside = [f for f in failures if now - rule.window < f <= now]
    assert (wait == 0) == (len(inside) < limit)
    if wait:
        assert retry_after([f for f in failures if f <= now], now + timedelta(seconds=wait), rule) == 0
        assert retry_after([f for f in failures if f <= now], now + timedelta(seconds=wait - 1), rule) > 0
