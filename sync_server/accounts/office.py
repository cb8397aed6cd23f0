"""Named office accounts for the console (/office): who may sign in, with which role.

Roles (sync_server/office/core/roles.py says what each may do): 科室管理员 `admin`, 录入员 `clerk`,
审核员 `auditor` (纪检/法制审核: sees everything, changes nothing). Passwords are hashed with
argon2id (argon2-cffi) with OWASP's parameters (19 MiB, 2 passes, 1 lane: ~0.1 s here, so a sign-in
does not hold a worker long); only the hash is stored, with its parameters.
Failed sign-ins are throttled per client address and per account name (sync_server/accounts/throttle.py):
an account with `Settings.auth_failure_limit` failures in the window is locked until they age out,
whatever address the guesses come from. The API's admin tokens stay for machines only.

Every change to an account goes into the audit log with the person who made it (`by`). An
account's id is "office:<username>", the same in the audit log's `by` and in `users` (each account
has a row there, role admin, so what a person enters names them as an officer's work does).
"""
from __future__ import annotations

import re
import secrets
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from schemas.clock import utc_now
from sync_server.accounts.queries import sessions as q
from sync_server.accounts.queries import users
from sync_server.audit import service as audit
from sync_server.db import Connection, Row
from sync_server.errors import FieldErrors, NotFound, Stale

ROLES = {"admin": "科室管理员", "clerk": "录入员", "auditor": "审核员（只读）"}
USERNAME = re.compile(r"[a-z][a-z0-9._-]{2,31}")
MIN_PASSWORD = 10
HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)   # OWASP's argon2id minimum


@cache
def dummy_hash() -> str:
    """What an unknown name's password is verified against, so that it costs what a known one
    does. Made once per process: by the console's sign-in page when the web app is imported
    (sync_server/office/pages.py), not by every CLI command (63 ms of argon2 each)."""
    return HASHER.hash(secrets.token_urlsafe(16))


def password_problem(password: str, username: str = "") -> str | None:
    """Why a password is refused (Chinese), or None."""
    if len(password) < MIN_PASSWORD:
        return f"密码至少 {MIN_PASSWORD} 位"
    if len(password) > 128:
        return "密码不能超过 128 位"
    kinds = sum(bool(re.search(p, password)) for p in (r"[a-zA-Z]", r"[0-9]", r"[^a-zA-Z0-9]"))
    if kinds < 2:
        return "密码须包含字母、数字、符号中的至少两类"
    if username and username.lower() in password.lower():
        return "密码不能包含账号名"
    return None


def check_account_fields(username: str, name: str, role: str, password: str | None) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not USERNAME.fullmatch(username):
        errors["username"] = "账号名为 3–32 位小写字母、数字或 . _ -，以字母开头"
    if not name.strip() or len(name) > 50:
        errors["name"] = "请填写姓名（不超过 50 字）"
    if role not in ROLES:
        errors["role"] = "请选择角色"
    if password is not None and (problem := password_problem(password, username)):
        errors["password"] = problem
    return errors


def create_account(conn: Connection, username: str, name: str, role: str, password: str, by: str,
                   must_change: bool = False) -> dict[str, Any]:
    username, name = username.strip().lower(), name.strip()
    errors = check_account_fields(username, name, role, password)
    if not errors and q.get_account_by_username(conn, username) is not None:
        errors["username"] = f"账号名 {username} 已被使用"
    if errors:
        raise FieldErrors(errors)
    now = utc_now()
    account_id = f"office:{username}"
    if users.get_user_by_id(conn, account_id) is not None:
        raise FieldErrors({"username": f"账号名 {username} 已被使用"})
    # The person is also a row of `users` (role admin: office staff, never drawn as an inspector), so
    # what they enter (lab results, penalty decisions, transfers) names them like an officer's work.
    users.insert_user(conn, {"id": account_id, "name": name, "role": "admin", "department": "监督所"}, now)
    account = {"id": account_id, "username": username, "name": name, "role": role,
               "password_hash": HASHER.hash(password), "created_at": now, "created_by": by,
               "must_change_password": 1 if must_change else 0}
    q.insert_account(conn, account)
    audit.append(conn, "office_account.created", account["id"], now, by=by, username=username, role=role)
    return {k: v for k, v in account.items() if k != "password_hash"}


def authenticate(conn: Connection, username: str, password: str) -> Row | None:
    """The active account these credentials open, or None (unknown name, wrong password, inactive).
    Reads only: the sign-in runs it beside the writer (an argon2id check takes ~0.1 s)."""
    account = q.get_account_by_username(conn, username.strip().lower()[:64])
    try:
        HASHER.verify(account["password_hash"] if account is not None else dummy_hash(), password[:128])
    except (VerificationError, InvalidHashError):
        return None
    if account is None or not account["active"]:
        return None
    return account


def accounts(conn: Connection) -> list[Row]:
    return q.list_accounts(conn)


def account(conn: Connection, account_id: str) -> Row:
    found = q.get_account(conn, account_id)
    if found is None:
        raise NotFound("office_account.unknown", "no such account", "没有该账号")
    return found


def update_account(conn: Connection, account_id: str, name: str, role: str, active: bool, by: str,
                   version: str) -> None:
    """An admin changes a name, a role, or (de)activates; never leaves the office without an admin."""
    current = account(conn, account_id)
    if version != version_of(current):
        raise Stale("该账号在您打开页面后已被修改，请刷新后重新操作。")
    errors = check_account_fields(current["username"], name, role, None)
    if not errors and current["role"] == "admin" and current["active"] and (role != "admin" or not active) \
            and q.count_active_admins(conn) <= 1:
        errors["role"] = "至少须保留一个在用的科室管理员账号"
    if errors:
        raise FieldErrors(errors)
    q.update_account(conn, account_id, name.strip(), role, active)
    users.update_user_name(conn, account_id, name.strip())
    if not active:
        q.delete_sessions_of(conn, account_id)
    audit.append(conn, "office_account.updated", account_id, utc_now(), by=by, username=current["username"],
                 before={"name": current["name"], "role": current["role"], "active": bool(current["active"])},
                 after={"name": name.strip(), "role": role, "active": active})


def reset_password(conn: Connection, account_id: str, by: str) -> str:
    """An admin resets a password: a new random one, shown once; the holder must change it; the
    account's sessions end."""
    current = account(conn, account_id)
    password = secrets.token_urlsafe(12)
    q.update_password(conn, account_id, HASHER.hash(password), utc_now(), must_change=True)
    q.delete_sessions_of(conn, account_id)
    audit.append(conn, "office_account.password_reset", account_id, utc_now(), by=by, username=current["username"])
    return password


def change_own_password(conn: Connection, account_id: str, current_password: str, new_password: str,
                        keep_session_hash: str) -> None:
    current = account(conn, account_id)
    errors: dict[str, str] = {}
    try:
        HASHER.verify(current["password_hash"], current_password[:128])
    except (VerificationError, InvalidHashError):
        errors["current"] = "当前密码不正确"
    if problem := password_problem(new_password, current["username"]):
        errors["password"] = problem
    elif new_password == current_password:
        errors["password"] = "新密码不能与当前密码相同"
    if errors:
        raise FieldErrors(errors)
    q.update_password(conn, account_id, HASHER.hash(new_password), utc_now(), must_change=False)
    q.delete_sessions_of(conn, account_id, keep_hash=keep_session_hash)
    audit.append(conn, "office_account.password_changed", account_id, utc_now(), by=f"office:{current['username']}")


def version_of(row: Row) -> str:
    """What a form about this account carries, to refuse it once the account changed (Stale)."""
    return f"{row['role']}|{row['active']}|{row['name']}|{row['password_changed_at']}"
