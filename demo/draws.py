"""The demo's plan, drawn the way an office draws (DRAW_SPEC.md, sync_server.planning.draws):
every task is added to the plan, announced with an observer's commitment and a named lottery
draw as its beacon, revealed after that lottery with the office's and the observer's nonces, and
drawn; the draw places the visits. So `sync-server export-draw` and `verify-draw` agree for every
task the demo shows as 已抽取.

Fixed times and values made from the seed, so a seed gives the same files on every run: each
task is announced ten days before its period starts (10:00 Beijing time), its beacon is the next
双色球 draw at least two days later (Tuesday, Thursday or Sunday, 21:15 Beijing time), and it is
revealed and drawn the next morning.
"""
from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from demo.county import County
from schemas.clock import format_time
from schemas.specialties import DEFAULT_RISK_WEIGHTS
from sync_server.db import Connection
from sync_server.planning import draws, plans

BEIJING = timezone(timedelta(hours=8))
LOTTERY_DAYS = (1, 3, 6)          # 双色球: Tuesday, Thursday, Sunday
SECOND_HALF = "云溪卫〔2026〕随抽14号"
SECOND_HALF_TITLE = "2026年下半年公共场所卫生“双随机”专项抽查"


@dataclass(frozen=True)
class Schedule:
    """When a task is announced, when its beacon comes out, when it is revealed and drawn."""
    announced: datetime
    beacon_at: datetime
    revealed: datetime
    drawn: datetime

    @classmethod
    def before(cls, period_start: str) -> "Schedule":
        day = date.fromisoformat(period_start) - timedelta(days=10)
        lottery = day + timedelta(days=2)
        while lottery.weekday() not in LOTTERY_DAYS:
            lottery += timedelta(days=1)
        after = lottery + timedelta(days=1)
        return cls(_beijing(day, 10, 0), _beijing(lottery, 21, 15), _beijing(after, 9, 30), _beijing(after, 9, 35))


def _beijing(day: date, hour: int, minute: int) -> datetime:
    return datetime.combine(day, time(hour, minute), BEIJING).astimezone(timezone.utc)


def issue_of(day: date) -> str:
    """The lottery's issue number for a draw day: its draws counted from the year's first."""
    first = date(day.year, 1, 1)
    count = sum(1 for n in range((day - first).days + 1) if (first + timedelta(days=n)).weekday() in LOTTERY_DAYS)
    return f"中国福利彩票双色球第{day.year}{count:03d}期开奖号码"


def lottery_value(rng: random.Random) -> str:
    """Six red balls of 33 and one blue of 16, as the lottery publishes them."""
    reds = sorted(rng.sample(range(1, 34), 6))
    return " ".join(f"{n:02d}" for n in reds) + f" + {rng.randint(1, 16):02d}"


def nonce(seed_value: int, who: str, task: str) -> bytes:
    return hashlib.sha256(f"suijian-demo-{who}:{seed_value}:{task}".encode()).digest()


def add_plan(conn: Connection, county: County) -> list[str]:
    """The year's plan and its first-half tasks, as planned (nothing drawn yet)."""
    plans.ensure_plan(conn, county.plan.year, county.plan.title)
    for n, task in enumerate(county.plan.tasks):
        weighted = n % 10 != 9    # most offices classify risk for all but a few draws (target ≥80%)
        plans.add_task(conn, plans.TaskSpec(
            county.plan.year, task.number, task.title, (task.specialty,), task.period_start, task.period_end,
            task.ratio_percent, dict(DEFAULT_RISK_WEIGHTS) if weighted else None, task.item_codes, task.team_size))
    return [task.number for task in county.plan.tasks]


def add_second_half(conn: Connection) -> str:
    """A second-half task, drawn in late October while the first half's visits are under way."""
    plans.add_task(conn, plans.TaskSpec(2026, SECOND_HALF, SECOND_HALF_TITLE, ("public_places",),
                                        "2026-11-01", "2026-12-31", risk_weights=dict(DEFAULT_RISK_WEIGHTS)))
    return SECOND_HALF


def schedule_of(conn: Connection, number: str) -> Schedule:
    return Schedule.before(plans.task_by_key(conn, number)["period_start"])


def draw(conn: Connection, number: str, seed_value: int) -> dict[str, Any]:
    """Announce, reveal and draw one task at its scheduled times, with an observer (纪检) beside
    the office: two commitments, two nonces, and the lottery's value."""
    when = schedule_of(conn, number)
    office, observer = nonce(seed_value, "office", number), nonce(seed_value, "observer", number)
    draws.announce(conn, number, issue_of(when.beacon_at.astimezone(BEIJING).date()), format_time(when.beacon_at),
                   [hashlib.sha256(observer).hexdigest()], now=format_time(when.announced), office_nonce=office)
    value = lottery_value(random.Random(f"suijian-demo-lottery:{seed_value}:{number}"))
    draws.reveal(conn, number, value, [office.hex(), observer.hex()], now=format_time(when.revealed))
    return draws.run(conn, number, now=format_time(when.drawn))
