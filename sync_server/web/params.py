"""Whole numbers from paths and query strings: ASCII digits, within a stated range, or a 400.

`str.isdigit` is not enough: it takes '²' and '٣' (which `int` then refuses or reads), and
`int` of 5,000 digits raises; a number past SQLite's 64-bit integers fails in the query. So a
number here is at most 18 ASCII digits and inside [low, high], or `request.bad_parameter`.
"""
from __future__ import annotations

import re

from starlette.requests import Request

from sync_server.errors import BadRequest

MAX = 2**62               # beyond any count, cursor or index this server keeps; inside SQLite's integers
DIGITS = re.compile(r"[0-9]{1,18}")


def whole_number(raw: str, name: str, low: int = 0, high: int = MAX) -> int:
    if DIGITS.fullmatch(raw) and low <= int(raw) <= high:
        return int(raw)
    raise BadRequest("request.bad_parameter", f"{name} must be a whole number in [{low}, {high}]",
                     f"参数 {name} 无效：应为 {low} 到 {high} 之间的整数", {"parameter": name})


def query_number(request: Request, name: str, default: int | None, low: int = 0, high: int = MAX) -> int | None:
    """The query parameter `name` (or `default` when absent or empty)."""
    raw = request.query_params.get(name)
    return default if raw is None or raw == "" else whole_number(raw, name, low, high)


def path_number(request: Request, name: str, low: int = 0, high: int = MAX) -> int:
    return whole_number(request.path_params[name], name, low, high)
