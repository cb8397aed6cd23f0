"""Users, one-time enrollment codes, devices and their tokens.

Codes and tokens are stored only as SHA-256 hashes; a code is good once, for a few days.
"""
from __future__ import annotations

import hashlib
import secrets
import uuid
from typing import Any

from schemas.envelope import keyid_of
from sync_server.audit import service as audit
from schemas.clock import hours_from_now, utc_now
from sync_server.db import Connection, Row
from sync_server.errors import BadRequest, Conflict, Forbidden, NotFound, Unauthorized
from sync_server.accounts.queries import users as q

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"   # no 0/O, 1/I: read aloud on the phone


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def normalize_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def create_user(conn: Connection, user: dict[str, Any]) -> dict[str, Any]:
    if q.get_user_by_id(conn, user["id"]) is not None:
        raise Conflict("user.exists", f"user {user['id']} exists", f"用户 {user['id']} 已存在")
    now = utc_now()
    q.insert_user(conn, user, now)
    audit.append(conn, "user.created", user["id"], now, role=user["role"])
    result = dict(user)
    if user["role"] == "admin":
        result["admin_token"] = new_admin_token(conn, user["id"])
    return result


def new_admin_token(conn: Connection, user_id: str) -> str:
    token = "adm_" + secrets.token_urlsafe(32)
    q.insert_admin_token(conn, digest(token), user_id, utc_now())
    return token


def new_enrollment_code(conn: Connection, user_id: str, hours: int) -> dict[str, Any]:
    user = q.get_user_by_id(conn, user_id)
    if user is None:
        raise NotFound("user.unknown", f"no user {user_id}", f"没有该用户：{user_id}")
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))
    expires = hours_from_now(hours)
    q.insert_enrollment_code(conn, digest(raw), user_id, utc_now(), expires)
    return {"user_id": user_id, "code": f"{raw[:4]}-{raw[4:8]}-{raw[8:]}", "expires_at": expires}


def enroll(conn: Connection, request: dict[str, Any]) -> dict[str, Any]:
    """Trade a one-time code for registering the device's public key; return its token. With
    `officer_public_key`, the same code also registers the enrolling officer's signing key on it."""
    code_hash = digest(normalize_code(request["code"]))
    code = _usable_code(conn, code_hash)
    public_keys = [request["public_key"], *([request["officer_public_key"]] if request.get("officer_public_key") else [])]
    _new_keys(conn, public_keys)
    device_id, token, now = str(uuid.uuid4()), "dev_" + secrets.token_urlsafe(32), utc_now()
    if not q.mark_enrollment_code_used(conn, code_hash, device_id, now):
        raise _code_used()
    keyid = keyid_of(bytes.fromhex(request["public_key"]))
    q.insert_device(conn, {"id": device_id, "user_id": code["user_id"], "name": request["device_name"],
                           "algorithm": request["algorithm"], "public_key": request["public_key"],
                           "keyid": keyid, "token_hash": digest(token), "enrolled_at": now, "host_device_id": None})
    audit.append(conn, "device.enrolled", device_id, now, user=code["user_id"], keyid=keyid)
    user = q.get_user_by_id(conn, code["user_id"])
    made = {"device_id": device_id, "token": token, "keyid": keyid, "user": user_json(user)}
    if len(public_keys) == 2:
        made["officer_keyid"] = _officer_key(conn, code["user_id"], device_id, request, public_keys[1], now)
    return made


def add_officer_key(conn: Connection, tablet: Row, request: dict[str, Any]) -> dict[str, Any]:
    """An officer registers their own signing key on an enrolled (team) tablet with their own
    one-time code: the key signs records as that officer, and can do nothing else (no token)."""
    code_hash = digest(normalize_code(request["code"]))
    code = _usable_code(conn, code_hash)
    _new_keys(conn, [request["public_key"]])
    now = utc_now()
    keyid = _officer_key(conn, code["user_id"], tablet["id"], request, request["public_key"], now)
    if not q.mark_enrollment_code_used(conn, code_hash, tablet["id"], now):
        raise _code_used()
    user = q.get_user_by_id(conn, code["user_id"])
    return {"device_id": tablet["id"], "keyid": keyid, "user": user_json(user)}


def _officer_key(conn: Connection, user_id: str, tablet_id: str, request: dict[str, Any], public_hex: str,
                 now: str) -> str:
    """A signing key row: an officer's key hosted on a tablet; its token is a secret nobody was
    given, so the row can sign (attribution) but never authenticate."""
    key_id, keyid = str(uuid.uuid4()), keyid_of(bytes.fromhex(public_hex))
    q.insert_device(conn, {"id": key_id, "user_id": user_id, "name": request["device_name"],
                           "algorithm": request["algorithm"], "public_key": public_hex, "keyid": keyid,
                           "token_hash": digest("unusable_" + secrets.token_urlsafe(32)), "enrolled_at": now,
                           "host_device_id": tablet_id})
    audit.append(conn, "officer_key.registered", key_id, now, user=user_id, keyid=keyid, tablet=tablet_id)
    return keyid


def _new_keys(conn: Connection, public_keys: list[str]) -> None:
    keyids = [keyid_of(bytes.fromhex(k)) for k in public_keys]
    if len(set(keyids)) != len(keyids) or any(q.get_device_by_keyid(conn, k) is not None for k in keyids):
        raise Conflict("enrollment.key_exists", "this public key is already enrolled", "该设备密钥已注册")


def enrollment_code_owner(conn: Connection, code: str) -> str | None:
    """The user a one-time code was made for, used or expired alike; None for a code never made."""
    row = q.get_enrollment_code(conn, digest(normalize_code(code)))
    return None if row is None else row["user_id"]


def _usable_code(conn: Connection, code_hash: str) -> Row:
    code = q.get_enrollment_code(conn, code_hash)
    if code is None:
        raise BadRequest("enrollment.code_invalid", "unknown enrollment code", "注册码无效，请核对后重新输入")
    if code["used_at"] is not None:
        raise _code_used()
    if code["expires_at"] < utc_now():
        raise BadRequest("enrollment.code_expired", "enrollment code expired",
                         "注册码已过期，请向监督所重新申请")
    return code


def _code_used() -> Conflict:
    return Conflict("enrollment.code_used", "enrollment code already used",
                    "该注册码已被使用，请向监督所重新申请")


def revoke_device(conn: Connection, device_id: str, by: str | None = None, reason: str | None = None) -> list[str]:
    """Revoke a device (and, for a tablet, every officer key it hosts); the ids revoked now. The
    office console passes the person and their reason, which are kept on the row and in the log."""
    if q.get_device_by_id(conn, device_id) is None:
        raise NotFound("device.unknown", f"no device {device_id}", "没有该设备")
    now, done = utc_now(), []
    who = {key: value for key, value in (("by", by), ("reason", reason)) if value}
    if q.revoke_device_by_id(conn, device_id, now, by, reason):
        audit.append(conn, "device.revoked", device_id, now, **who)
        done.append(device_id)
    for key_id in q.revoke_hosted_keys(conn, device_id, now, by, reason):   # a lost tablet: every officer's key on it
        audit.append(conn, "device.revoked", key_id, now, tablet=device_id, **who)
        done.append(key_id)
    return done


def officer_devices(conn: Connection) -> list[dict[str, Any]]:
    """The registry's officers, each with their tablets and the signing keys they keep on tablets
    (a key syncs through its tablet, so its last sync is the tablet's)."""
    officers = {r["id"]: {**dict(r), "devices": []} for r in q.list_officers(conn)}
    for row in q.list_officer_devices(conn):
        device = dict(row)
        device["kind"] = "key" if row["host_device_id"] else "tablet"
        device["last_sync"] = row["host_last_seen_at"] if row["host_device_id"] else row["last_seen_at"]
        if row["user_id"] in officers:
            officers[row["user_id"]]["devices"].append(device)
    return list(officers.values())


def device_detail(conn: Connection, device_id: str) -> dict[str, Any]:
    """A device with its owner and, for a tablet, the officer keys it hosts (what revoking it ends)."""
    row = q.get_device_with_owner(conn, device_id)
    if row is None:
        raise NotFound("device.unknown", f"no device {device_id}", "没有该设备")
    hosted = [dict(k) for k in q.list_hosted_keys(conn, device_id)]
    return {**dict(row), "kind": "key" if row["host_device_id"] else "tablet", "hosted": hosted}


def new_officer_enrollment_code(conn: Connection, user_id: str, hours: int, by: str) -> dict[str, Any]:
    """A one-time code for an active officer (inspector or leader), logged with who made it (the
    code itself is never logged: only its hash is kept)."""
    user = q.get_user_by_id(conn, user_id)
    if user is None or user["role"] not in ("inspector", "leader"):
        raise NotFound("user.unknown", f"no officer {user_id}", f"没有该执法人员：{user_id}")
    if not user["active"]:
        raise Conflict("user.inactive", f"officer {user_id} is inactive", f"{user['name']} 已停用，不能发放注册码")
    made = new_enrollment_code(conn, user_id, hours)
    audit.append(conn, "enrollment_code.created", user_id, utc_now(), by=by, expires_at=made["expires_at"])
    return {**made, "user": user_json(user)}


def record_seen(conn: Connection, device_id: str) -> None:
    """Write down a device's last sync (the caller asks `core.seen.due` first: once a minute)."""
    q.set_device_seen(conn, device_id, utc_now())


def device_for_token(conn: Connection, authorization: str | None) -> Row:
    device = q.get_device_by_token_hash(conn, digest(_bearer(authorization)))
    if device is None:
        raise Unauthorized("auth.invalid_token", "unknown or revoked device token",
                           "设备未注册或已被停用，请重新注册")
    return device


def admin_for_token(conn: Connection, authorization: str | None) -> Row:
    admin = q.get_admin_by_token_hash(conn, digest(_bearer(authorization)))
    if admin is None:
        raise Forbidden("auth.not_admin", "an office admin token is required", "需要监督所管理员权限")
    return admin


def _bearer(authorization: str | None) -> str:
    if not authorization or not authorization.startswith("Bearer "):
        raise Unauthorized("auth.missing_token", "Authorization: Bearer <token> is required",
                           "缺少登录凭据，请先注册设备")
    return authorization[len("Bearer "):].strip()


def user_json(user: Row) -> dict[str, Any]:
    return {"id": user["id"], "name": user["name"], "role": user["role"], "department": user["department"]}
