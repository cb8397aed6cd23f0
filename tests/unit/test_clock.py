"""The product's one clock (schemas/clock.py): parsed from SUIJIAN_CLOCK, anchored so that several
processes agree, refused when malformed."""
from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from schemas import clock
from schemas.clock import Clock, ClockSettingError


def test_unset_is_the_real_time() -> None:
    assert Clock.parse(None) == Clock.parse("") == Clock() and not Clock().moved


def test_an_iso_time_moves_the_clock_there_and_it_runs_on() -> None:
    moved = Clock.parse("2027-06-15T02:00:00Z")
    first = moved.now()
    assert moved.moved and first.tzinfo is not None
    assert datetime(2027, 6, 15, 2, tzinfo=timezone.utc) <= first < datetime(2027, 6, 15, 3, tzinfo=timezone.utc)
    assert moved.now() >= first, "a moved clock still runs forward"


def test_an_offset_in_the_setting_is_the_same_instant() -> None:
    anchor = "@1800000000"
    assert Clock.parse("2028-01-02T10:00:00+08:00" + anchor) == Clock.parse("2028-01-02T02:00:00Z" + anchor)


def test_an_anchored_setting_gives_every_process_the_same_clock() -> None:
    moved = Clock.parse("2028-01-02T02:00:00Z")
    setting = moved.setting()
    script = ("import time; from schemas.clock import Clock; c = Clock.parse(%r); "
              "print(c.offset.total_seconds())" % setting)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    assert abs(float(out.stdout) - moved.offset.total_seconds()) < 0.001
    assert Clock.parse(setting) == Clock.parse(setting), "the anchor, not the moment of reading, fixes it"


@pytest.mark.parametrize("bad", ["tomorrow", "2027-13-01T00:00:00Z", "2027-06-15T02:00:00", "2027-06-15T02:00:00Z@x"])
def test_a_malformed_setting_is_refused(bad: str) -> None:
    with pytest.raises(ClockSettingError):
        Clock.parse(bad)


def test_the_suite_runs_on_its_own_clock() -> None:
    """tests/conftest.py installed it: nothing here reads the machine's date."""
    assert clock.current().moved
    assert abs(clock.now() - (datetime.now(timezone.utc) + clock.current().offset)) < timedelta(seconds=5)


def test_beijing_today_turns_at_midnight_in_beijing() -> None:
    late = Clock.parse("2027-06-15T16:30:00Z")     # 00:30 on the 16th in Beijing
    saved = clock.current()
    clock.install(late)
    try:
        assert clock.beijing_today().isoformat() == "2027-06-16"
        assert clock.utc_stamp().startswith("2027-06-15T16:3")
    finally:
        clock.install(saved)


def test_nothing_else_reads_the_machines_clock() -> None:
    """Every reader goes through schemas/clock.py, so SUIJIAN_CLOCK moves all of them."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    wall = re.compile(r"\b(datetime\.now|datetime\.utcnow|date\.today|time\.time|time\.time_ns|time\.gmtime|"
                      r"time\.localtime|time\.strftime)\(")
    readers = [f"{path.relative_to(root)}:{n}" for package in ("schemas", "sync_server", "field_app")
               for path in (root / package).rglob("*.py") if path.name != "clock.py" or path.parent.name != "schemas"
               for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if wall.search(line)]
    assert not readers, f"read the time through schemas.clock: {readers}"


def test_people_read_times_in_beijing_whatever_the_machine_zone() -> None:
    # 2026-11-20T13:38:00Z is 21:38 in Beijing (UTC+8, no daylight saving); an offset stamp converts too
    assert clock.beijing_text("2026-11-20T13:38:00Z") == "2026-11-20 21:38:00"
    assert clock.beijing_text("2026-11-20T23:30:00.000Z", "%m-%d %H:%M") == "11-21 07:30"
    assert clock.beijing_text("2026-11-20T09:00:00+09:00", "%H:%M") == "08:00"
