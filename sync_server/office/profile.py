"""The office's own settings: its name (the inspecting body, 执法主体) and its region code.

They are facts about one deployment, kept in the database (the `meta` table) and set by the
office (`sync-server office --name … --region …`); nothing in the code names an office. Until
the name is set, pages show PLACEHOLDER and nothing is published: a disclosure entry is signed
with the office's name, so publishing without one is refused (`office.unnamed`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from schemas.clock import utc_now
from sync_server.audit import service as audit
from sync_server.db import Connection, meta
from sync_server.errors import BadRequest, Conflict

NAME_KEY, REGION_KEY = "body_name", "region_code"
PLACEHOLDER = "（未设置机构名称）"
REGION = re.compile(r"[0-9]{6}")     # the administrative division code (GB/T 2260), e.g. 361024


@dataclass(frozen=True)
class Profile:
    name: str | None
    region: str | None

    @property
    def shown_name(self) -> str:
        return self.name or PLACEHOLDER


def read(conn: Connection) -> Profile:
    return Profile(meta.get_meta(conn, NAME_KEY) or None, meta.get_meta(conn, REGION_KEY) or None)


def shown_name(conn: Connection) -> str:
    """The name pages show: the office's, or the neutral placeholder."""
    return read(conn).shown_name


def name_to_sign(conn: Connection) -> str:
    """The name a publication carries; refused while the office has not set one."""
    name = read(conn).name
    if name is None:
        raise Conflict("office.unnamed", "the office's name is not set; run `sync-server office --name …`",
                       "尚未设置本机构名称（执法主体），不能公示。请先运行 sync-server office --db … --name "
                       "“本机构全称”（如 某某县卫生健康综合监督执法大队）后再公示")
    return name


def update(conn: Connection, name: str | None = None, region: str | None = None, now: str | None = None,
           by: str | None = None) -> Profile:
    """Set the name, the region code, or both; each change is in the audit log (with the person, from
    the console)."""
    if name is not None:
        name = name.strip()
        if not 2 <= len(name) <= 100:
            raise BadRequest("office.bad_name", "the office's name is 2 to 100 characters", "机构名称应为 2–100 个字符")
        meta.set_meta(conn, NAME_KEY, name)
    if region is not None:
        if not REGION.fullmatch(region):
            raise BadRequest("office.bad_region", "the region code is 6 digits (GB/T 2260)",
                             "行政区划代码应为 6 位数字（GB/T 2260），如 361024")
        meta.set_meta(conn, REGION_KEY, region)
    if name is not None or region is not None:
        changed = {k: v for k, v in (("name", name), ("region", region), ("by", by)) if v is not None}
        audit.append(conn, "office.profile", "office", now or utc_now(), **changed)
    return read(conn)
