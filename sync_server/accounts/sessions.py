"""Sign-in sessions of the office console (/office, sync_server/office/).

Signing in with an office account's name and password opens a session: a random id (256 bits)
that only the browser's cookie holds; the database keeps its SHA-256, the account and its expiry
(Settings.office_session_hours). Signing out deletes it; deactivating the account or changing its
password ends its sessions. No credential is ever in the cookie: a stolen database gives no
session, and an expired or ended session id is worth nothing.

A form posted by a signed-in browser carries a CSRF token derived from the session id
(`csrf_token`), so a page elsewhere cannot make the browser post one.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets

from schemas.clock import hours_from_now, utc_now
from sync_server.accounts.queries import sessions as q
from sync_server.accounts.service import digest
from sync_server.db import Connection, Row


def open_session(conn: Connection, account_id: str, hours: int) -> str:
    """A new session for an authenticated account: its id, for the cookie."""
    session_id, now = secrets.token_urlsafe(32), utc_now()
    q.delete_expired_sessions(conn, now)
    q.insert_session(conn, digest(session_id), account_id, now, hours_from_now(hours))
    return session_id


def account_for_session(conn: Connection, session_id: str) -> Row | None:
    return q.get_account_by_session_hash(conn, digest(session_id), utc_now()) if session_id else None


def close_session(conn: Connection, session_id: str) -> bool:
    return q.delete_session_by_hash(conn, digest(session_id))


def csrf_token(session_id: str) -> str:
    """The session's CSRF token: derived from the id, so it needs no storage, and the stored hash
    of the id does not give it."""
    return hmac.new(session_id.encode("utf-8"), b"suijian office csrf", hashlib.sha256).hexdigest()


def csrf_matches(session_id: str, sent: str) -> bool:
    return bool(session_id) and hmac.compare_digest(csrf_token(session_id).encode(), sent.encode())
