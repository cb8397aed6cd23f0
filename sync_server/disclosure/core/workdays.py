"""Working days on the official calendar, and deadlines counted in them (DOMAIN.md "Publication").

A day is a working day when the official notice says so (a swapped working weekend, 调休 上班),
else when it is Monday to Friday and not an official holiday. For a year whose notice is not
loaded, weekends alone decide, and any deadline that counts such a day is *provisional*.

Counting: "within N working days of D" ends on the N-th working day after D (D itself is day 0).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Mapping


@dataclass(frozen=True)
class Deadline:
    day: date
    provisional: bool
    unofficial_years: tuple[int, ...] = ()


@dataclass(frozen=True)
class Calendar:
    overrides: Mapping[date, bool] = field(default_factory=dict)   # day -> is a working day
    official_years: frozenset[int] = frozenset()

    def is_workday(self, day: date) -> bool:
        return self.overrides.get(day, day.weekday() < 5)

    def add(self, start: date, n: int) -> Deadline:
        if n < 0:
            raise ValueError("count forward only")
        day, seen, left = start, {start.year}, n
        while left:
            day += timedelta(days=1)
            seen.add(day.year)
            left -= self.is_workday(day)
        unofficial = tuple(sorted(y for y in seen if y not in self.official_years))
        return Deadline(day, bool(unofficial), unofficial)

    def with_year(self, year: int, days: "list[NoticeDay]") -> "Calendar":
        """This calendar with one year's arrangement replaced by a notice's (what loading it makes)."""
        kept = {d: work for d, work in self.overrides.items() if d.year != year}
        return Calendar({**kept, **{d.day: d.is_workday for d in days}}, self.official_years | {year})


class NoticeError(ValueError):
    def __init__(self, code: str, message_zh: str) -> None:
        super().__init__(f"{code}: {message_zh}")
        self.code, self.message_zh = code, message_zh


@dataclass(frozen=True)
class NoticeDay:
    day: date
    is_workday: bool
    name: str


LINE = re.compile(r"^(\d{4}-\d{2}-\d{2})\s*[,，]\s*(休|班)\s*[,，]?\s*(.*)$")


def parse_notice(text: str) -> tuple[int, list[NoticeDay]]:
    """A State Council notice as lines `2027-01-01,休,元旦` / `2027-02-07,班,春节调休`; `#` comments.
    Refuses contradictions: a date twice, a 班 day that is not a weekend, several years."""
    days: dict[date, NoticeDay] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        entry = _entry(number, line)
        if entry.day in days:
            raise NoticeError("calendar.duplicate_day", f"第 {number} 行：{entry.day} 重复出现")
        if entry.is_workday and entry.day.weekday() < 5:
            raise NoticeError("calendar.not_a_weekend", f"第 {number} 行：{entry.day} 是工作日，不能标为调休上班")
        days[entry.day] = entry
    years = {d.year for d in days}
    if len(years) != 1:
        raise NoticeError("calendar.years", "文件须且只能包含同一年度的安排" if years else "文件中没有任何日期")
    return years.pop(), sorted(days.values(), key=lambda d: d.day)


def _entry(number: int, line: str) -> NoticeDay:
    match = LINE.match(line)
    if not match:
        raise NoticeError("calendar.bad_line", f"第 {number} 行格式应为「2027-01-01,休,元旦」：{line[:40]}")
    try:
        day = date.fromisoformat(match.group(1))
    except ValueError as exc:
        raise NoticeError("calendar.bad_date", f"第 {number} 行：日期无效 {match.group(1)}") from exc
    return NoticeDay(day, match.group(2) == "班", match.group(3).strip())
