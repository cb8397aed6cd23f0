"""The platform's offices: record one, list them, walk the hierarchy (over the root office's database).

Every office keeps all of its data in a database of its own (sync_server/platform/databases.py);
the root office's database also holds the list of offices (`offices`, migration 019). A
deployment with no list is one office, the root, served at today's paths.

    add_office(root_conn, code, name, level, parent, kind, by)  check and record (audit-logged)
    list_offices / get_office / root_office                      the list, one, the root (or None)
    children(root_conn, code) / descendants(root_conn, code)     below an office (depth first)
    is_below(root_conn, ancestor, code)                          may `ancestor` see `code`'s roll-up
"""
from __future__ import annotations

from typing import Any

from schemas.clock import utc_now
from sync_server.audit import service as audit
from sync_server.db import Connection
from sync_server.errors import BadRequest, Conflict, NotFound
from sync_server.platform import queries as q
from sync_server.platform.core import hierarchy
from sync_server.platform.core.hierarchy import Office


def _office(row: Any) -> Office:
    return Office(code=row["code"], name=row["name"], level=row["level"], kind=row["kind"], parent=row["parent"],
                  created_at=row["created_at"])


def list_offices(conn: Connection) -> list[Office]:
    return [_office(row) for row in q.list_offices(conn)]


def get_office(conn: Connection, code: str) -> Office | None:
    row = q.get_office_by_code(conn, code)
    return None if row is None else _office(row)


def root_office(conn: Connection) -> Office | None:
    """The deployment's own office as recorded (None: a single-office deployment with no list)."""
    row = q.get_root_office(conn)
    return None if row is None else _office(row)


def children(conn: Connection, code: str) -> list[Office]:
    return hierarchy.children(list_offices(conn), code)


def descendants(conn: Connection, code: str) -> list[Office]:
    """Every office below `code`, depth first, by code."""
    return hierarchy.descendants(list_offices(conn), code)


def is_below(conn: Connection, ancestor: str, code: str) -> bool:
    return hierarchy.is_below(list_offices(conn), ancestor, code)


def add_office(conn: Connection, code: str, name: str, level: str, parent: str | None = None,
               kind: str = "commission", by: str = "cli", now: str | None = None) -> Office:
    """Record an office on the platform. `parent=None` records the deployment's own office (the root,
    whose database is this one); there is one root, and every other office needs its parent recorded
    first. The caller creates the new office's database in the same transaction
    (databases.provision), so a refused office leaves nothing behind."""
    new = Office(code=code.strip(), name=name.strip(), level=level, kind=kind, parent=parent or None,
                 created_at=now or utc_now())
    found_parent = _parent_of(conn, new)
    problem = hierarchy.problem_with(new, found_parent)
    if problem is not None:
        raise BadRequest(*problem)
    if q.get_office_by_code(conn, new.code) is not None:
        raise Conflict("office.exists", f"office {new.code} is already recorded", f"机构代码 {new.code} 已存在")
    q.insert_office(conn, new.code, new.name, new.level, new.kind, new.parent, new.created_at, by)
    audit.append(conn, "office.added", new.code, new.created_at, name=new.name, level=new.level, body=new.kind,
                 parent=new.parent or "", by=by)
    return new


def _parent_of(conn: Connection, new: Office) -> Office | None:
    root = root_office(conn)
    if new.parent is None:
        if root is not None:
            raise Conflict("office.root_exists", f"the platform's own office is already {root.code}",
                           f"本平台的机构已登记为 {root.name}（{root.code}），新增下级机构请指定上级机构代码")
        return None
    if root is None:
        raise Conflict("office.no_root", "record the platform's own office first (office add without --parent)",
                       "请先登记本平台自身的机构（不指定上级机构），再新增下级机构")
    parent = get_office(conn, new.parent)
    if parent is None:
        raise NotFound("office.unknown_parent", f"no office {new.parent}", f"没有上级机构 {new.parent}")
    return parent


def below(conn: Connection, code: str | None) -> tuple[Office | None, list[Office]]:
    """An office (None: the root office) as recorded, and every office below it; (None, []) on a
    deployment with no list of offices."""
    here = root_office(conn) if code is None else get_office(conn, code)
    return (here, []) if here is None else (here, descendants(conn, here.code))


def has_offices_below(conn: Connection, code: str | None) -> bool:
    """Whether the console shows 下级机构: the office has offices below it, or is the platform's own."""
    here, offices = below(conn, code)
    return bool(offices) or (code is None and here is not None)
