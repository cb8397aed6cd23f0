"""The console's 账号 section: office accounts (admins manage them; everyone sees the list) and
each person's own password."""
from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sync_server.accounts import office as accounts
from sync_server.accounts.service import digest
from sync_server.audit import service as audit
from sync_server.errors import FieldErrors, Stale
from sync_server.office import console, profile
from sync_server.office.console import Actor
from sync_server.web.scope import db_of


@console.guarded("accounts.view")
async def index(request: Request, actor: Actor) -> Response:
    return await _index(request, actor)


async def _index(request: Request, actor: Actor, values: dict | None = None, errors: dict | None = None,
                 status: int = 200, created: dict | None = None) -> Response:
    rows = await db_of(request).read(accounts.accounts)
    return console.render(request, actor, "console_accounts.html", status=status, accounts=rows,
                          roles=accounts.ROLES, values=values or {"role": "clerk"}, errors=errors or {},
                          created=created)


@console.guarded("accounts.manage")
async def create(request: Request, actor: Actor) -> Response:
    form = await console.form(request)
    try:
        made = await db_of(request).write(
            accounts.create_account, form.get("username", ""), form.get("name", ""), form.get("role", ""),
            form.get("password", ""), actor.by, True)
    except FieldErrors as exc:
        return await _index(request, actor, form, exc.fields, status=exc.status)
    return console.done("/office/accounts", f"已开设账号 {made['username']}（{accounts.ROLES[made['role']]}）；"
                                            "首次登录须修改密码。")


@console.guarded("accounts.view")
async def detail(request: Request, actor: Actor) -> Response:
    return await _detail(request, actor)


async def _detail(request: Request, actor: Actor, values: dict | None = None, errors: dict | None = None,
                  status: int = 200, new_password: str = "") -> Response:
    row = await db_of(request).read(accounts.account, "office:" + request.path_params["username"][:40])
    current = {"name": row["name"], "role": row["role"], "active": "1" if row["active"] else "0"}
    return console.render(request, actor, "console_account.html", status=status, account=row,
                          roles=accounts.ROLES, values=values or current, errors=errors or {},
                          version=accounts.version_of(row), new_password=new_password)


@console.guarded("accounts.manage")
async def update(request: Request, actor: Actor) -> Response:
    form = await console.form(request)
    account_id = "office:" + request.path_params["username"][:40]
    try:
        await db_of(request).write(accounts.update_account, account_id, form.get("name", ""),
                                         form.get("role", ""), form.get("active") == "1", actor.by,
                                         form.get("version", ""))
    except FieldErrors as exc:
        return await _detail(request, actor, form, exc.fields, status=exc.status)
    except Stale as exc:
        return await _detail(request, actor, form, {"version": exc.message_zh}, status=exc.status)
    return console.done(f"/office/accounts/{request.path_params['username'][:40]}", "已保存。")


@console.guarded("accounts.manage")
async def reset(request: Request, actor: Actor) -> Response:
    account_id = "office:" + request.path_params["username"][:40]
    password = await db_of(request).write(accounts.reset_password, account_id, actor.by)
    return await _detail(request, actor, new_password=password)


@console.guarded("account.own_password")
async def password_form(request: Request, actor: Actor) -> Response:
    return console.render(request, actor, "console_password.html", errors={}, values={})


@console.guarded("account.own_password")
async def change_password(request: Request, actor: Actor) -> Response:
    form = await console.form(request)
    if form.get("password", "") != form.get("password2", ""):
        return console.render(request, actor, "console_password.html", status=422, values={},
                              errors={"password2": "两次输入的新密码不一致"})
    try:
        await db_of(request).write(accounts.change_own_password, actor.id, form.get("current", ""),
                                         form.get("password", ""), _session_hash(actor))
    except FieldErrors as exc:
        return console.render(request, actor, "console_password.html", status=exc.status, values={},
                              errors=exc.fields)
    return console.done("/office", "密码已修改；您在其他设备上的登录已退出。")


def _session_hash(actor: Actor) -> str:
    return digest(actor.session_id)


@console.guarded("accounts.view")
async def settings(request: Request, actor: Actor) -> Response:
    found = await db_of(request).read(profile.read)
    return console.render(request, actor, "console_settings.html", errors={},
                          values={"name": found.name or "", "region": found.region or ""})


@console.guarded("settings.edit")
async def save_settings(request: Request, actor: Actor) -> Response:
    form = await console.form(request)
    name, region = form.get("name", "").strip(), form.get("region", "").strip()
    errors = {}
    if not 2 <= len(name) <= 100:
        errors["name"] = "机构名称应为 2–100 个字符，如 某某县卫生健康综合监督执法大队"
    if not profile.REGION.fullmatch(region):
        errors["region"] = "行政区划代码应为 6 位数字（GB/T 2260），如 361024"
    if errors:
        return console.render(request, actor, "console_settings.html", status=422, errors=errors, values=form)
    await db_of(request).write(lambda conn: profile.update(conn, name, region, by=actor.by))
    return console.done("/office/settings", "已保存机构设置；此后的公示以该名称署名。")


@console.guarded("audit.view")
async def audit_log(request: Request, actor: Actor) -> Response:
    """The audit log for people: who did what, newest first; each entry's proof is one link away."""
    params = request.query_params
    kind, by = params.get("kind", "")[:40], params.get("by", "")[:60]
    before = params.get("before", "")
    found = await db_of(request).read(audit.entries, kind, by, int(before) if before.isdigit() else None)
    return console.render(request, actor, "console_audit.html", kind=kind, by=by, **found)


ROUTES = [
    Route("/office/audit", audit_log),
    Route("/office/settings", settings), Route("/office/settings", save_settings, methods=["POST"]),
    Route("/office/accounts", index), Route("/office/accounts", create, methods=["POST"]),
    Route("/office/accounts/{username}", detail), Route("/office/accounts/{username}", update, methods=["POST"]),
    Route("/office/accounts/{username}/reset-password", reset, methods=["POST"]),
    Route("/office/account/password", password_form),
    Route("/office/account/password", change_password, methods=["POST"]),
]
