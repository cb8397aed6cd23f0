"""Rendering the public pages: one Jinja2 environment, autoescaped, the page responses, and the
filters that turn stored values into what a reader expects (Beijing time, π as a percentage)."""
from __future__ import annotations

from contextvars import ContextVar
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse

from sync_server.office.profile import PLACEHOLDER
from sync_server.planning.core.draw import D
from schemas.specialties import SPECIALTIES

ENV = Environment(loader=FileSystemLoader(Path(__file__).with_name("templates")),
                  autoescape=select_autoescape(["html"]), auto_reload=False)
OFFICE_NAME: ContextVar[str] = ContextVar("office_name", default=PLACEHOLDER)  # set per request (web/office_name.py)
ROOT: ContextVar[str] = ContextVar("office_root", default="")  # "/o/<code>" on an office's own path (platform/paths.py)
STATES = {"planned": "已计划", "announced": "已公告", "revealed": "已揭示", "drawn": "已抽取", "handed_down": "上级下达"}
CACHE = {"Cache-Control": "public, max-age=60"}
BEIJING = timezone(timedelta(hours=8))


def percent(pi: int) -> str:
    """π in millionths as a percentage with two decimals, rounded half up in integers: 31500 → 3.15%."""
    hundredths = (pi * 10_000 + D // 2) // D
    return f"{hundredths // 100}.{hundredths % 100:02d}%"


def beijing(stamp: str | None, date_only: bool = False) -> str:
    """An RFC 3339 time as Beijing time; text that is not such a time is shown as it is."""
    try:
        parsed = datetime.fromisoformat(stamp or "")
    except ValueError:
        return stamp or ""
    if parsed.tzinfo is None:
        return stamp or ""
    moment = parsed.astimezone(BEIJING)
    return moment.strftime("%Y-%m-%d") if date_only else moment.strftime("%Y-%m-%d %H:%M:%S（北京时间）")


ENV.filters.update(percent=percent, beijing=beijing)


def page(template: str, status: int = 200, **context: Any) -> HTMLResponse:
    html = ENV.get_template(template).render(body_name=OFFICE_NAME.get(), root=ROOT.get(), states=STATES, names=SPECIALTIES, **context)
    return HTMLResponse(html, status_code=status, headers=CACHE if status == 200 else None)


def refusal(status: int, title: str, message: str) -> HTMLResponse:
    return page("error.html", status=status, title=title, message=message)
