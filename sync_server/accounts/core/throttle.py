"""The rule for failed sign-ins (pure): at most `limit` failures in any `window`.

A client address or a user with `limit` failures inside the last `window` waits until enough of
them have aged out that one more attempt would be within the limit. Used for enrollment codes
and the office sign-in (sync_server/accounts/throttle.py keeps the failures).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable


@dataclass(frozen=True)
class Rule:
    limit: int           # failures allowed inside one window
    window: timedelta


def retry_after(failures: Iterable[datetime], now: datetime, rule: Rule) -> int:
    """Whole seconds to wait before the next attempt; 0 when it may be made now."""
    recent = sorted(at for at in failures if now - rule.window < at <= now)
    if len(recent) < rule.limit:
        return 0
    frees = recent[len(recent) - rule.limit] + rule.window   # when the window holds limit - 1 of them
    return max(1, math.ceil((frees - now).total_seconds()))


def wait_text(wait: int) -> str:
    """A wait in Chinese: '45 秒' or '15 分钟' (minutes rounded up)."""
    return f"{wait} 秒" if wait < 60 else f"{-(-wait // 60)} 分钟"
