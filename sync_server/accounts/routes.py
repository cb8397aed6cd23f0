"""Enrollment: a device trades a one-time code for a token; the office manages users and devices."""
from __future__ import annotations


from typing import Callable

from starlette.requests import Request

from sync_server.accounts import service as accounts, throttle
from sync_server.db import Connection
from sync_server.web.http import JSONResponse, admin_of, device_of, read_json, read_body
from schemas.specialties import is_specialty
from sync_server.accounts.core.throttle import Rule
from sync_server.errors import ApiError, BadRequest, TooManyFailures
from schemas.jcs import loads_strict
from schemas.errors import ContractError
from starlette.routing import Route
from sync_server.web.scope import db_of

ROLES = ("admin", "leader", "inspector")
CODE_FAILURES = ("enrollment.code_invalid", "enrollment.code_expired", "enrollment.code_used")


async def enroll(request: Request) -> JSONResponse:
    """Trade a one-time code; wrong codes are throttled per client address and per user (throttle.py).
    A refused client is answered from a read, so a flood of refusals never queues for the writer."""
    return await _with_code(request, accounts.enroll)


async def officer_key(request: Request) -> JSONResponse:
    """An officer registers a signing key on this (enrolled) tablet with their own one-time code;
    wrong codes are throttled as enrollment's are."""
    tablet = await device_of(request)
    return await _with_code(request, lambda conn, body: accounts.add_officer_key(conn, tablet, body))


async def _with_code(request: Request, use: Callable[[Connection, dict], dict]) -> JSONResponse:
    body = await read_json(request, "enrollment")
    db, rule = db_of(request), throttle.rule_of(request.app.state.settings)
    host = request.client.host if request.client else None
    subjects, wait = await db.read(_enroll_wait, throttle.client_subject(host), body["code"], rule)
    outcome = wait or await db.write(_enroll_counted, use, body, subjects, rule)
    if isinstance(outcome, ApiError):
        raise outcome
    if isinstance(outcome, int):
        throttle.log_refusal(throttle.ENROLL, subjects, outcome)
        raise TooManyFailures(outcome)
    return JSONResponse(outcome, status_code=201)


def _enroll_wait(conn: Connection, address: str, code: str, rule: Rule) -> tuple[list[str], int]:
    owner = accounts.enrollment_code_owner(conn, code)
    subjects = [address] + ([f"user:{owner}"] if owner else [])
    return subjects, throttle.wait_seconds(conn, throttle.ENROLL, subjects, rule)


def _enroll_counted(conn: Connection, use: Callable[[Connection, dict], dict], body: dict, subjects: list[str],
                    rule: Rule) -> dict | ApiError | int:
    """In the one writer, so the limit holds under concurrent guesses: the wait again, then the
    enrollment; a wrong code is counted and returned (committed with the count: `accounts.enroll`
    refuses a code before it writes anything)."""
    wait = throttle.wait_seconds(conn, throttle.ENROLL, subjects, rule)
    if wait:
        return wait
    try:
        return use(conn, body)
    except ApiError as exc:
        if exc.code not in CODE_FAILURES:
            raise
        throttle.record_failure(conn, throttle.ENROLL, subjects, rule, exc.code)
        return exc


async def me(request: Request) -> JSONResponse:
    device = await device_of(request)
    return JSONResponse({"device_id": device["id"], "keyid": device["keyid"],
                         "user": {"id": device["user_id"], "name": device["user_name"], "role": device["role"]}})


async def create_user(request: Request) -> JSONResponse:
    await admin_of(request)
    user = _user_from(await _admin_json(request))
    return JSONResponse(await db_of(request).write(accounts.create_user, user), status_code=201)


async def enrollment_code(request: Request) -> JSONResponse:
    await admin_of(request)
    hours = request.app.state.settings.enrollment_code_hours
    made = await db_of(request).write(accounts.new_enrollment_code, request.path_params["user_id"], hours)
    return JSONResponse(made, status_code=201)


async def revoke_device(request: Request) -> JSONResponse:
    admin = await admin_of(request)
    await db_of(request).write(accounts.revoke_device, request.path_params["device_id"], admin["id"])
    return JSONResponse({"device_id": request.path_params["device_id"], "status": "revoked"})


async def _admin_json(request: Request) -> dict:
    try:
        body = loads_strict(await read_body(request, request.app.state.settings.max_body_bytes))
    except ContractError as exc:
        raise BadRequest.from_contract(exc) from exc
    if not isinstance(body, dict):
        raise BadRequest("request.not_object", "a JSON object is expected", "请求应为 JSON 对象")
    return body


def _user_from(body: dict) -> dict:
    user = {key: body.get(key) for key in ("id", "name", "role", "department", "specialties",
                                           "cert_valid_until", "phone")}
    if not isinstance(user["id"], str) or not user["id"] or not isinstance(user["name"], str) or not user["name"]:
        raise BadRequest("user.invalid", "id and name are required", "用户编号和姓名不能为空")
    if user["role"] not in ROLES:
        raise BadRequest("user.role", f"role is one of {ROLES}", "角色只能是 admin、leader 或 inspector")
    specialties = user["specialties"] or []
    if not isinstance(specialties, list) or not all(isinstance(s, str) and is_specialty(s) for s in specialties):
        raise BadRequest("user.specialty", "unknown specialty code", "专业代码无效")
    return {**user, "specialties": specialties, "department": user["department"] or "", "phone": user["phone"] or ""}


ROUTES = [
    Route("/v1/enroll", enroll, methods=["POST"]),
    Route("/v1/officer-keys", officer_key, methods=["POST"]),
    Route("/v1/me", me),
    Route("/v1/admin/users", create_user, methods=["POST"]),
    Route("/v1/admin/users/{user_id}/enrollment-codes", enrollment_code, methods=["POST"]),
    Route("/v1/admin/devices/{device_id}/revoke", revoke_device, methods=["POST"]),
]
