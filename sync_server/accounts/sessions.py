"""Sign-in sessions of the office screen (监督所工作台, sync_server/office/pages.py).

Signing in with the office admin token opens a session: a random id (256 bits) that only the
browser's cookie holds; the database keeps its SHA-256, the admin, the admin token it was opened
with and its expiry (Settings.office_session_hours). Signing out deletes it; revoking the admin
token ends it. No credential is ever in the cookie: a stolen database gives no session, and an
expired or ended session id is worth nothing.

A form posted by a signed-in browser carries a CSRF token derived from the session id
(`csrf_token`), so a page elsewhere cannot make the browser post one.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets

from sync_server.accounts.service import digest
from schemas.clock import hours_from_now, utc_now
from sync_server.accounts.queries import sessions as q
from sync_server.accounts.queries import users
from sync_server.db import Connection, Row


def open_session(conn: Connection, token: str, hours: int) -> str | None:
    """A new session for a valid admin token (its id, for the cookie); None for any other token."""
    admin = users.get_admin_by_token_hash(conn, digest(token))
    if admin is None:
        return None
    session_id, now = secrets.token_urlsafe(32), utc_now()
    q.delete_expired_office_sessions(conn, now)
    q.insert_office_session(conn, digest(session_id), admin["id"], digest(token), now, hours_from_now(hours))
    return session_id


def admin_for_session(conn: Connection, session_id: str) -> Row | None:
    return q.get_admin_by_session_hash(conn, digest(session_id), utc_now()) if session_id else None


def close_session(conn: Connection, session_id: str) -> bool:
    return q.delete_office_session_by_hash(conn, digest(session_id))


def csrf_token(session_id: str) -> str:
    """The session's CSRF token: derived from the id, so it needs no storage, and the stored hash
    of the id does not give it."""
    return hmac.new(session_id.encode("utf-8"), b"suijian office csrf", hashlib.sha256).hexdigest()


def csrf_matches(session_id: str, sent: str) -> bool:
    return bool(session_id) and hmac.compare_digest(csrf_token(session_id).encode(), sent.encode())
