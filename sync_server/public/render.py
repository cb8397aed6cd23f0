"""Rendering the public pages: one Jinja2 environment, autoescaped, and the page responses."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse

from sync_server.core.specialties import SPECIALTIES

ENV = Environment(loader=FileSystemLoader(Path(__file__).with_name("templates")),
                  autoescape=select_autoescape(["html"]), auto_reload=False)
BODY_NAME = "云溪县卫生健康综合监督执法大队"
STATES = {"planned": "已计划", "announced": "已公告", "revealed": "已揭示随机数", "drawn": "已抽取"}
CACHE = {"Cache-Control": "public, max-age=60"}


def page(template: str, status: int = 200, **context: Any) -> HTMLResponse:
    html = ENV.get_template(template).render(body_name=BODY_NAME, states=STATES, names=SPECIALTIES, **context)
    return HTMLResponse(html, status_code=status, headers=CACHE if status == 200 else None)


def refusal(status: int, title: str, message: str) -> HTMLResponse:
    return page("error.html", status=status, title=title, message=message)
