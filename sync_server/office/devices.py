"""The console's 设备 section: officers and their devices (tablets, and the signing keys officers
keep on tablets) with each one's last sync; an officer's one-time enrollment code as a QR code the
tablet reads (schemas/enrollment_link.py), shown once; revoking a device with a reason.

Also wires the 工作日历 and 统计报告 sections (sync_server/office/yearly.py): `ROUTES` holds all three.
"""
from __future__ import annotations

import segno
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from schemas.enrollment_link import EnrollmentLink
from sync_server.accounts import service as accounts
from sync_server.db import Connection
from sync_server.errors import FieldErrors, Stale
from sync_server.office import console, yearly
from sync_server.office.console import Actor
from sync_server.web.scope import db_of

REASON_CHARS = 200
PAGE = 100   # officers a page


@console.guarded("devices.view")
async def index(request: Request, actor: Actor) -> Response:
    officers = await db_of(request).read(accounts.officer_devices)
    wanted = request.query_params.get("q", "").strip()[:50]
    if wanted:
        officers = [o for o in officers if wanted in o["name"] or wanted in o["id"] or wanted in o["department"]]
    devices = sum(len(o["devices"]) for o in officers)
    raw = request.query_params.get("page", "1")
    pages = max(1, -(-len(officers) // PAGE))
    number = min(int(raw), pages) if raw.isascii() and raw.isdigit() and int(raw) >= 1 else 1
    return console.render(request, actor, "console_devices.html", officers=officers[(number - 1) * PAGE:number * PAGE],
                          total=len(officers), wanted=wanted, devices=devices, page=number, pages=pages)


@console.guarded("devices.enroll")
async def new_code(request: Request, actor: Actor) -> Response:
    """Make a code and show it this once: the page is not cached and the code is kept only hashed."""
    hours = request.app.state.settings.enrollment_code_hours
    made = await db_of(request).write(accounts.new_officer_enrollment_code,
                                            request.path_params["user_id"][:64], hours, actor.by)
    server = str(request.base_url).rstrip("/")
    link = EnrollmentLink(server, made["code"]).text()
    qr = segno.make(link, error="m").svg_inline(border=2, omitsize=True, title=f"{made['user']['name']} 的注册二维码")
    return console.render(request, actor, "console_devices_code.html", status=201, made=made, link=link, qr=qr,
                          server=server, hours=hours)


@console.guarded("devices.view")
async def confirm(request: Request, actor: Actor) -> Response:
    return await _confirm(request, actor)


async def _confirm(request: Request, actor: Actor, errors: dict | None = None, values: dict | None = None,
                   status: int = 200) -> Response:
    device = await db_of(request).read(accounts.device_detail, request.path_params["device_id"][:64])
    return console.render(request, actor, "console_devices_revoke.html", status=status, device=device,
                          errors=errors or {}, values=values or {})


@console.guarded("devices.revoke")
async def revoke(request: Request, actor: Actor) -> Response:
    form = await console.form(request)
    device_id = request.path_params["device_id"][:64]
    try:
        done = await db_of(request).write(_revoke, device_id, form.get("reason", ""), form.get("version", ""),
                                                actor.by)
    except (FieldErrors, Stale) as exc:
        errors = exc.fields if isinstance(exc, FieldErrors) else {"version": exc.message_zh}
        return await _confirm(request, actor, errors, form, exc.status)
    extra = f"，连同其上的 {len(done) - 1} 个签名密钥" if len(done) > 1 else ""
    return console.done("/office/devices", f"已停用设备{extra}；该设备下次同步将被拒绝。")


def _revoke(conn: Connection, device_id: str, reason: str, version: str, by: str) -> list[str]:
    """Revoke with a reason, refusing a page opened before the device changed (already revoked)."""
    device = accounts.device_detail(conn, device_id)
    if version != device["status"]:
        raise Stale("该设备在您打开此页后已被停用，无需再次操作。")
    reason = reason.strip()
    if not reason:
        raise FieldErrors({"reason": "请填写停用原因（例如：平板遗失、人员调离）"})
    if len(reason) > REASON_CHARS:
        raise FieldErrors({"reason": f"停用原因不能超过 {REASON_CHARS} 字"})
    return accounts.revoke_device(conn, device_id, by, reason)


ROUTES = [
    Route("/office/devices", index),
    Route("/office/devices/officers/{user_id}/enrollment-code", new_code, methods=["POST"]),
    Route("/office/devices/{device_id}/revoke", confirm),
    Route("/office/devices/{device_id}/revoke", revoke, methods=["POST"]),
    *yearly.ROUTES,
]
