"""One clock for the whole product: server, CLI, demo and tablet read the time here and nowhere else.

The clock is the real time unless the setting `SUIJIAN_CLOCK` moves it. Settings objects read the
setting once (`Clock.parse`) and the process installs the result (`install`); every reader then
asks `now()`. A moved clock still runs, so durations, expiries and ids keep their order:

    SUIJIAN_CLOCK=2027-06-15T02:00:00Z              the time is 2027-06-15T02:00:00Z when the process
                                                    reads the setting, and runs on from there
    SUIJIAN_CLOCK=2027-06-15T02:00:00Z@1796000000   that instant corresponds to the real Unix time
                                                    1796000000: several processes given the same
                                                    value agree to the millisecond (tests use this)

Times are RFC 3339 (a `Z` or an offset); a bad value is refused when it is read, never guessed.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")


class ClockSettingError(ValueError):
    """`SUIJIAN_CLOCK` holds something that is not an RFC 3339 time (optionally `@unix-seconds`)."""


@dataclass(frozen=True)
class Clock:
    offset: timedelta = timedelta(0)    # moved time minus real time

    @classmethod
    def parse(cls, setting: str | None) -> "Clock":
        if not setting or not setting.strip():
            return cls()
        text, _, anchor = setting.strip().partition("@")
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            real = float(anchor) if anchor else time.time()
        except ValueError as exc:
            raise ClockSettingError(f"SUIJIAN_CLOCK={setting!r}: expected an RFC 3339 time such as "
                                    "2027-06-15T02:00:00Z, optionally followed by @<unix seconds>") from exc
        if moment.tzinfo is None:
            raise ClockSettingError(f"SUIJIAN_CLOCK={setting!r}: the time needs a zone (Z or +08:00)")
        return cls(moment - datetime.fromtimestamp(real, timezone.utc))

    @property
    def moved(self) -> bool:
        return self.offset != timedelta(0)

    def now(self) -> datetime:
        return datetime.now(timezone.utc) + self.offset

    def setting(self) -> str:
        """The value of SUIJIAN_CLOCK that gives another process this same clock (empty when real)."""
        if not self.moved:
            return ""
        real = time.time()
        moment = datetime.fromtimestamp(real, timezone.utc) + self.offset
        return f"{moment.strftime('%Y-%m-%dT%H:%M:%S.%f')}Z@{real:.6f}"


_installed = Clock()


def install(clock: Clock) -> None:
    """Make `clock` the one this process reads (done once, from the settings, at start)."""
    global _installed
    _installed = clock


def current() -> Clock:
    return _installed


def now() -> datetime:
    """The current instant, timezone-aware UTC."""
    return _installed.now()


def now_ms() -> int:
    """Milliseconds since the Unix epoch on the installed clock (for UUIDv7 ids)."""
    return int(now().timestamp() * 1000)


def beijing_now() -> datetime:
    return now().astimezone(BEIJING)


def beijing_text(stamp: str, pattern: str = "%Y-%m-%d %H:%M:%S") -> str:
    """An RFC 3339 time as a person in the office or on site reads it: Beijing time, whatever zone
    the machine showing it is set to (a tablet or a server may run on UTC)."""
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(BEIJING).strftime(pattern)


def beijing_today() -> date:
    """Today's date in Beijing: the date a person in the office or on site sees."""
    return beijing_now().date()


def utc_stamp() -> str:
    """Now as RFC 3339 UTC to the second, the form the tablet writes (2026-11-20T01:30:00Z)."""
    return stamp(now())


def stamp(moment: datetime) -> str:
    """A moment as RFC 3339 UTC to the second (2026-11-20T01:30:00Z)."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_now() -> str:
    """Now as the API writes a time: RFC 3339 UTC with milliseconds (2026-11-20T01:30:00.000Z)."""
    return format_time(now())


def format_time(moment: datetime) -> str:
    """A moment as the API writes it: RFC 3339 UTC with milliseconds."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + \
        f"{moment.microsecond // 1000:03d}Z"


def hours_from_now(hours: int) -> str:
    """The API's form of the moment `hours` from now (expiry times)."""
    return format_time(now() + timedelta(hours=hours))


def local_stamp() -> str:
    """Now in the device's own zone with its offset (a signed record's device time)."""
    return now().astimezone().isoformat(timespec="seconds")
