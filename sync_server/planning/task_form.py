"""The task form as a person fills it in the office console: the fields as typed, checked one by
one into a TaskSpec (every bad field at once, each with its reason in Chinese: FieldErrors), the
population preview before saving, and the task created through plans.add_task (the CLI's service).

Fields: number, title, specialties (one or more), period_start, period_end, ratio_percent (blank:
each stratum's band default), risk ("weighted" with weight_A…weight_D, or "equal": not a
risk-based draw), team_size, items (checked item codes; `items_shown` says the list was offered).
"""
from __future__ import annotations

from datetime import date
from typing import Any, Mapping, Sequence

from schemas.specialties import DEFAULT_RISK_WEIGHTS, RISK_CLASSES, SPECIALTIES
from sync_server.db import Connection
from sync_server.errors import ApiError, FieldErrors
from sync_server.planning import plans
from sync_server.planning.queries import plans as q

# The service's refusals (plans.add_task) and the field each belongs beside.
FIELD_OF_CODE = {"task.exists": "number", "plan.specialty": "specialties", "plan.risk_weights": "risk",
                 "plan.team_size": "team_size", "plan.period": "period_end", "plan.ratio_outside_band": "ratio_percent"}
MAX_TEAM = 10


def defaults(year: int) -> dict[str, Any]:
    """A new task's form as first shown."""
    return {"period_start": f"{year}-01-01", "period_end": f"{year}-12-31", "risk": "weighted", "team_size": "2",
            "specialties": [], **{f"weight_{c}": str(w) for c, w in DEFAULT_RISK_WEIGHTS.items()}}


def parse(fields: Mapping[str, Any], year: int) -> plans.TaskSpec:
    """The form's values (strings; `specialties` and `items` lists) as a TaskSpec, or FieldErrors."""
    errors: dict[str, str] = {}
    number, title = _text(fields, "number", 60, "任务编号", errors), _text(fields, "title", 120, "任务名称", errors)
    specialties = _specialties(fields.get("specialties") or [], errors)
    start, end = _day(fields, "period_start", year, errors), _day(fields, "period_end", year, errors)
    if start and end and end < start:
        errors["period_end"] = "结束日期早于开始日期"
    ratio = _ratio(str(fields.get("ratio_percent", "")).strip(), errors)
    weights = _weights(fields, errors)
    team = _integer(str(fields.get("team_size", "")).strip(), 2, MAX_TEAM)
    if team is None:
        errors["team_size"] = f"每组执法人员数须为 2 至 {MAX_TEAM} 的整数（检查组至少两名执法人员）"
    items = tuple(fields.get("items") or ())
    if fields.get("items_shown") and not items:
        errors["items"] = "至少选择一项检查事项"
    if errors:
        raise FieldErrors(errors)
    return plans.TaskSpec(year, number, title, specialties, start, end, ratio, weights, items, team or 2)


def preview(conn: Connection, fields: Mapping[str, Any], year: int | None = None) -> dict[str, Any]:
    """The population per stratum as the registry stands now, for the specialties and ratio typed
    (whatever else on the form is still wrong), with the items of those specialties to choose from."""
    specialties = [c for c in fields.get("specialties") or [] if c in SPECIALTIES]
    ratio = _integer(str(fields.get("ratio_percent", "")).strip(), 1, 100)
    made = plans.preview(conn, specialties, ratio, year=year) if specialties else {"strata": [], "allowed": None}
    items = q.list_items_by_specialties(conn, specialties) if specialties else []
    return {**made, "ratio": ratio, "items": items, "errors": _preview_errors(made, ratio)}


def _preview_errors(made: dict[str, Any], ratio: int | None) -> dict[str, str]:
    """The ratio typed, checked against each stratum's band, beside its field before saving."""
    if ratio is None or all(s.n is not None for s in made["strata"]):
        return {}
    allowed = made["allowed"]
    where = (f"本任务可填 {allowed[0]}%–{allowed[1]}%" if allowed and allowed[0] != allowed[1]
             else f"本任务只能填 {allowed[0]}%" if allowed else "所选专业的允许范围互不重叠，请留空按默认比例")
    return {"ratio_percent": f"抽查比例 {ratio}% 超出名录规模允许的范围（{where}）"}


def create(conn: Connection, fields: Mapping[str, Any], year: int, by: str) -> dict[str, Any]:
    """Check the form, then add the task (one transaction: the caller's write); the service's own
    refusals (a number already used, a ratio outside a stratum's band) come back beside their field."""
    spec = parse(fields, year)
    offered = set(q.list_item_codes_by_specialties(conn, spec.specialties))
    if not offered:
        raise FieldErrors({"specialties": "检查事项清单中没有所选专业的事项，请先导入检查事项清单"})
    if not set(spec.item_codes) <= offered:
        raise FieldErrors({"items": "所选检查事项不属于所选专业，请重新预览后选择"})
    try:
        return plans.add_task(conn, spec, by)
    except ApiError as exc:
        field = FIELD_OF_CODE.get(exc.code)
        if field is None:
            raise
        raise FieldErrors({field: exc.message_zh}) from exc


def _text(fields: Mapping[str, Any], name: str, limit: int, label: str, errors: dict[str, str]) -> str:
    value = " ".join(str(fields.get(name, "")).split())
    if not value:
        errors[name] = f"请填写{label}"
    elif len(value) > limit:
        errors[name] = f"{label}不能超过 {limit} 个字"
    return value


def _specialties(codes: Sequence[str], errors: dict[str, str]) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(codes))
    if not chosen:
        errors["specialties"] = "请至少选择一个专业（多个专业即联合抽查任务）"
    elif any(c not in SPECIALTIES for c in chosen):
        errors["specialties"] = "专业无效，请从列表中选择"
    return chosen


def _day(fields: Mapping[str, Any], name: str, year: int, errors: dict[str, str]) -> str:
    text = str(fields.get(name, "")).strip()
    try:
        day = date.fromisoformat(text)
    except ValueError:
        errors[name] = "请填写日期，格式如 2026-11-01"
        return ""
    if day.year != year:
        errors[name] = f"任务期限须在 {year} 年度内"
    return day.isoformat()


def _ratio(text: str, errors: dict[str, str]) -> int | None:
    if not text:
        return None
    ratio = _integer(text.rstrip("%％"), 1, 100)
    if ratio is None:
        errors["ratio_percent"] = "抽查比例须为 1 至 100 的整数（百分比），或留空按规模默认"
    return ratio


def _weights(fields: Mapping[str, Any], errors: dict[str, str]) -> dict[str, int] | None:
    if fields.get("risk") == "equal":
        return None
    if fields.get("risk") != "weighted":
        errors["risk"] = "请选择是否按风险分级抽取"
        return None
    weights = {c: _integer(str(fields.get(f"weight_{c}", "")).strip(), 1, 1000) for c in RISK_CLASSES}
    if any(w is None for w in weights.values()):
        errors["risk"] = "风险权重须为 A、B、C、D 四类各填一个 1 至 1000 的整数"
        return None
    return {c: int(w) for c, w in weights.items() if w is not None}


def _integer(text: str, low: int, high: int) -> int | None:
    if not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if low <= value <= high else None
