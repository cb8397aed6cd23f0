"""Users, admin tokens, enrollment codes and devices (SQL only)."""
from __future__ import annotations

import json
from typing import Any, Iterable

from sync_server.db import Connection, Row


def insert_user(conn: Connection, user: dict[str, Any], now: str) -> None:
    conn.execute(
        "INSERT INTO users (id, name, role, department, specialties, cert_valid_until, phone, created_at)"
        " VALUES (?,?,?,?,?,?,?,?)",
        (user["id"], user["name"], user["role"], user.get("department", ""),
         json.dumps(list(user.get("specialties", ())), ensure_ascii=False),
         user.get("cert_valid_until"), user.get("phone", ""), now))


def upsert_users(conn: Connection, users: Iterable[dict[str, Any]], now: str) -> None:
    conn.executemany(
        "INSERT INTO users (id, name, role, department, specialties, cert_valid_until, phone, created_at)"
        " VALUES (:id,:name,:role,:department,:specialties,:cert_valid_until,:phone,:now)"
        " ON CONFLICT(id) DO UPDATE SET name=excluded.name, role=excluded.role,"
        " department=excluded.department, specialties=excluded.specialties,"
        " cert_valid_until=excluded.cert_valid_until, phone=excluded.phone",
        ({**u, "specialties": json.dumps(list(u["specialties"]), ensure_ascii=False), "now": now}
         for u in users))


def get_user_by_id(conn: Connection, user_id: str) -> Row | None:
    return conn.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone()


def update_user_name(conn: Connection, user_id: str, name: str) -> None:
    conn.execute("UPDATE users SET name = ? WHERE id = ?", (name, user_id))


def list_users(conn: Connection) -> list[Row]:
    return conn.execute("SELECT * FROM users ORDER BY role, id").fetchall()


def insert_admin_token(conn: Connection, token_hash: str, user_id: str, now: str) -> None:
    conn.execute("INSERT INTO admin_tokens VALUES (?,?,?,NULL)", (token_hash, user_id, now))


def get_admin_by_token_hash(conn: Connection, token_hash: str) -> Row | None:
    return conn.execute(
        "SELECT u.* FROM admin_tokens t JOIN users u ON u.id = t.user_id"
        " WHERE t.token_hash = ? AND t.revoked_at IS NULL AND u.role = 'admin' AND u.active = 1",
        (token_hash,)).fetchone()


def insert_enrollment_code(conn: Connection, code_hash: str, user_id: str,
                           now: str, expires_at: str) -> None:
    conn.execute("INSERT INTO enrollment_codes (code_hash, user_id, created_at, expires_at)"
                 " VALUES (?,?,?,?)", (code_hash, user_id, now, expires_at))


def get_enrollment_code(conn: Connection, code_hash: str) -> Row | None:
    return conn.execute("SELECT * FROM enrollment_codes WHERE code_hash = ?", (code_hash,)).fetchone()


def mark_enrollment_code_used(conn: Connection, code_hash: str, device_id: str, now: str) -> bool:
    cur = conn.execute("UPDATE enrollment_codes SET used_at = ?, device_id = ?"
                       " WHERE code_hash = ? AND used_at IS NULL", (now, device_id, code_hash))
    return cur.rowcount == 1


def insert_device(conn: Connection, device: dict[str, Any]) -> None:
    conn.execute(
        "INSERT INTO devices (id, user_id, name, algorithm, public_key, keyid, token_hash, status, enrolled_at,"
        " host_device_id)"
        " VALUES (:id,:user_id,:name,:algorithm,:public_key,:keyid,:token_hash,'active',:enrolled_at,:host_device_id)",
        device)


def get_device_by_token_hash(conn: Connection, token_hash: str) -> Row | None:
    return conn.execute(
        "SELECT d.*, u.role, u.name AS user_name FROM devices d JOIN users u ON u.id = d.user_id"
        " WHERE d.token_hash = ? AND d.status = 'active' AND u.active = 1 AND d.host_device_id IS NULL",
        (token_hash,)).fetchone()


def get_device_by_keyid(conn: Connection, keyid: str) -> Row | None:
    return conn.execute("SELECT * FROM devices WHERE keyid = ?", (keyid,)).fetchone()


def get_device_by_id(conn: Connection, device_id: str) -> Row | None:
    return conn.execute("SELECT * FROM devices WHERE id = ?", (device_id,)).fetchone()


def revoke_device_by_id(conn: Connection, device_id: str, now: str, by: str | None = None,
                        reason: str | None = None) -> bool:
    cur = conn.execute("UPDATE devices SET status = 'revoked', revoked_at = ?, revoked_by = ?, revoke_reason = ?"
                       " WHERE id = ? AND status = 'active'", (now, by, reason, device_id))
    return cur.rowcount == 1


def revoke_hosted_keys(conn: Connection, tablet_id: str, now: str, by: str | None = None,
                       reason: str | None = None) -> list[str]:
    """Revoke the officers' signing keys kept on a tablet; the ids of those revoked now."""
    ids = [r[0] for r in conn.execute("SELECT id FROM devices WHERE host_device_id = ? AND status = 'active'"
                                      " ORDER BY id", (tablet_id,)).fetchall()]
    conn.execute("UPDATE devices SET status = 'revoked', revoked_at = ?, revoked_by = ?, revoke_reason = ?"
                 " WHERE host_device_id = ? AND status = 'active'", (now, by, reason, tablet_id))
    return ids


SET_SEEN = "UPDATE devices SET last_seen_at = ? WHERE id = ? AND (last_seen_at IS NULL OR last_seen_at < ?)"


def set_device_seen(conn: Connection, device_id: str, now: str) -> None:
    """A device's last authenticated request; never moved backwards by a late writer."""
    conn.execute(SET_SEEN, (now, device_id, now))


def set_devices_seen(conn: Connection, stamps: dict[str, str]) -> None:
    """Several devices' last requests (device id → stamp) in one statement's batch; never backwards."""
    conn.executemany(SET_SEEN, [(now, device_id, now) for device_id, now in stamps.items()])


def list_officers(conn: Connection) -> list[Row]:
    """The registry's officers (inspectors and leaders), active or not, by name."""
    return conn.execute("SELECT id, name, role, department, active FROM users"
                        " WHERE role IN ('inspector', 'leader') ORDER BY department, name, id").fetchall()


def list_officer_devices(conn: Connection) -> list[Row]:
    """Every tablet and hosted officer key of an officer, with its host tablet's last sync."""
    return conn.execute(
        "SELECT d.id, d.user_id, d.name, d.keyid, d.status, d.enrolled_at, d.revoked_at, d.revoked_by,"
        " d.revoke_reason, d.host_device_id, d.last_seen_at, h.name AS host_name, h.user_id AS host_user_id,"
        " h.last_seen_at AS host_last_seen_at"
        " FROM devices d JOIN users u ON u.id = d.user_id LEFT JOIN devices h ON h.id = d.host_device_id"
        " WHERE u.role IN ('inspector', 'leader') ORDER BY d.enrolled_at, d.host_device_id IS NOT NULL, d.id").fetchall()


def list_hosted_keys(conn: Connection, tablet_id: str) -> list[Row]:
    return conn.execute("SELECT d.id, d.user_id, d.status, u.name AS user_name FROM devices d"
                        " JOIN users u ON u.id = d.user_id WHERE d.host_device_id = ? ORDER BY d.id",
                        (tablet_id,)).fetchall()


def get_device_with_owner(conn: Connection, device_id: str) -> Row | None:
    return conn.execute("SELECT d.*, u.name AS user_name, u.role AS user_role FROM devices d"
                        " JOIN users u ON u.id = d.user_id WHERE d.id = ?", (device_id,)).fetchone()
