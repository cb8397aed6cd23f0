"""Failed sign-ins, throttled: one-time enrollment codes (POST /v1/enroll) and the office sign-in.

Each failure is kept in the database (table `auth_failures`) against its subjects: the client's
address (`addr:…`) and, where the attempt names one, the user (`user:…`, an enrollment code that
was made for that user but is used or expired). A subject with `Settings.auth_failure_limit`
failures within `Settings.auth_failure_window_seconds` is refused (429 with Retry-After) before
its attempt is even looked at, until old failures age out (the rule: sync_server/accounts/core/throttle.py).

Why the database and not memory: several server processes may share one database file, and a
restart must not wipe the count. The callers check `wait_seconds` in a read first (a flood of
refused attempts costs reads, never a place in the writer's queue), then again in the write that
makes the attempt and records its failure, so concurrent guesses get no more than the limit. A
refused attempt is not recorded; each failure prunes the rows that have left every window.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Sequence

from schemas import clock
from schemas.clock import format_time
from sync_server.accounts.core.throttle import Rule, retry_after
from sync_server.accounts.queries import throttle as q
from sync_server.db import Connection
from sync_server.settings import Settings

logger = logging.getLogger("sync_server.accounts.throttle")
ENROLL, OFFICE = "enroll", "office_login"


def rule_of(settings: Settings) -> Rule:
    return Rule(settings.auth_failure_limit, timedelta(seconds=settings.auth_failure_window_seconds))


def wait_seconds(conn: Connection, scope: str, subjects: Sequence[str], rule: Rule) -> int:
    """Seconds before these subjects may try again (0: now)."""
    now = clock.now()
    since = format_time(now - rule.window)
    return max((retry_after([datetime.fromisoformat(at) for at in q.list_auth_failures_since(conn, scope, s, since)],
                            now, rule) for s in subjects), default=0)


def record_failure(conn: Connection, scope: str, subjects: Sequence[str], rule: Rule, reason: str) -> None:
    now = clock.now()
    q.delete_auth_failures_before(conn, format_time(now - rule.window))
    for subject in subjects:
        q.insert_auth_failure(conn, scope, subject, format_time(now))
    logger.warning("failed %s (%s) from %s", scope, reason, ", ".join(subjects))


def log_refusal(scope: str, subjects: Sequence[str], wait: int) -> None:
    logger.warning("refused %s from %s: too many failures, retry after %d s", scope, ", ".join(subjects), wait)


def client_subject(host: str | None) -> str:
    return f"addr:{host or 'unknown'}"
