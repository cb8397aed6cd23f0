"""What an import or an edit would change: rows compared with the registry, item-list versions
compared with each other, and officers' certificates that run out within the year.

Pure: plain dicts in (a stored row turned into the layout's fields by `stored`), counts and
differences out. A row's fields are those of its layout in import_rules (units, inspectors,
items), so a parsed spreadsheet row and a stored one compare field by field.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Iterable, Mapping

from sync_server.registry.core.import_rules import LAYOUTS

LIST_FIELDS = {"tags", "specialties", "applies_to"}     # JSON lists in the database
BOOL_FIELDS = {"covered"}                               # 0 / 1 in the database
CERT_WARNING_DAYS = 365                                 # "expires within the year": the next twelve months


@dataclass(frozen=True)
class Counts:
    """A file against the registry: new keys, changed rows, unchanged rows, and the registry's rows
    the file leaves out (removed from the item list; untouched in the two registries)."""
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    left_out: int = 0
    changed_keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class ItemDiff:
    added: list[dict[str, Any]] = field(default_factory=list)
    removed: list[dict[str, Any]] = field(default_factory=list)
    changed: list[tuple[dict[str, Any], list[tuple[str, Any, Any]]]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


def fields(kind: str) -> tuple[str, ...]:
    return tuple(column.field for column in LAYOUTS[kind])


def labels(kind: str) -> dict[str, str]:
    """Each field's Chinese column header."""
    return {column.field: column.header for column in LAYOUTS[kind]}


def stored(kind: str, row: Mapping[str, Any]) -> dict[str, Any]:
    """A database row as the layout's fields (JSON lists decoded, 0/1 as booleans)."""
    out: dict[str, Any] = {}
    for name in fields(kind):
        value = row[name]
        if name in LIST_FIELDS:
            value = json.loads(value or "[]")
        elif name in BOOL_FIELDS:
            value = bool(value)
        elif value is None and name != "cert_valid_until":
            value = ""
        out[name] = value
    return out


def key_of(kind: str) -> str:
    return LAYOUTS[kind][0].field


def compare(kind: str, rows: Iterable[dict[str, Any]], existing: Mapping[Any, dict[str, Any]],
            total_existing: int, sample: int = 20) -> Counts:
    """The file's rows against the registry's rows with the same keys (`existing`, by key)."""
    key = key_of(kind)
    new = changed = unchanged = 0
    changed_keys: list[str] = []
    for row in rows:
        before = existing.get(row[key])
        if before is None:
            new += 1
        elif before != row and differences(kind, before, row):    # equal dicts: no field-by-field look
            changed += 1
            if len(changed_keys) < sample:
                changed_keys.append(str(row[key]))
        else:
            unchanged += 1
    return Counts(new, changed, unchanged, max(total_existing - changed - unchanged, 0), tuple(changed_keys))


def differences(kind: str, before: Mapping[str, Any], after: Mapping[str, Any]) -> list[tuple[str, Any, Any]]:
    """(field, before, after) for every field that differs."""
    return [(name, before.get(name), after.get(name)) for name in fields(kind)
            if _same(before.get(name)) != _same(after.get(name))]


def _same(value: Any) -> Any:
    """Values as compared: None and "" alike, lists as lists."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return list(value)
    return value


def basis(kind: str, existing: Mapping[Any, dict[str, Any]], extra: str = "") -> str:
    """A digest of the registry rows a preview was computed against: the same digest at confirm
    time means the preview's counts still hold."""
    rows = [existing[key] for key in sorted(existing, key=str)]
    text = json.dumps([extra, rows], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def row_version(row: Mapping[str, Any]) -> str:
    """A short digest of a stored row: the hidden `version` of its edit form."""
    text = json.dumps(dict(row), sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def diff_items(old: Iterable[dict[str, Any]], new: Iterable[dict[str, Any]]) -> ItemDiff:
    """Items added, removed and changed (with each changed field) from one item-list version to another."""
    before = {item["code"]: item for item in old}
    after = {item["code"]: item for item in new}
    result = ItemDiff()
    for code in sorted(set(before) | set(after)):
        if code not in before:
            result.added.append(after[code])
        elif code not in after:
            result.removed.append(before[code])
        else:
            changes = differences("items", before[code], after[code])
            if changes:
                result.changed.append((after[code], changes))
    return result


def certificate(valid_until: str | None, today: date) -> str | None:
    """"expired", "expiring" (within the next twelve months) or None for a certificate's last valid day."""
    if not valid_until:
        return None
    try:
        last = date.fromisoformat(valid_until)
    except ValueError:
        return None
    if last < today:
        return "expired"
    if last <= today + timedelta(days=CERT_WARNING_DAYS):
        return "expiring"
    return None


def warning_date(today: date) -> str:
    """Certificates valid until this day or earlier are flagged."""
    return (today + timedelta(days=CERT_WARNING_DAYS)).isoformat()
