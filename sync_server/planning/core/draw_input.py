"""DRAW_SPEC.md §1 inputs: the checked announcement (`parse_announcement`), the types the draw
works on, `DrawError`, its times (`instant`, `check_beacon_after`), and the announcement's
canonical bytes written fast for a million units.

§7: ids are ordered by code point (Python's `str` order, the same as UTF-8 bytes), not by
JCS's UTF-16 key order; the documents hold exactly their fields; times are RFC 3339 UTC with
a `Z`, compared as instants.

Split from `sync_server.planning.core.draw`, which re-exports what it needs; pure and exact like it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from itertools import islice
from json.encoder import encode_basestring  # the string escaper schemas.jcs uses
from operator import itemgetter, lt
from typing import Any, Mapping, NoReturn

from schemas.errors import ContractError
from schemas.jcs import canonicalize

Json = dict[str, Any]
Team = tuple[str, ...]
Instant = tuple[int, int, int, int, int, int, str]  # y, m, d, h, min, s, fraction digits without trailing 0s
Columns = tuple[list[str], list[int]]  # ids and weights

ALGO = "ssj-draw-v1"
D = 1_000_000
MAX_INT = 2**53 - 1  # JCS writes larger integers as floats
ANNOUNCEMENT_KEYS = frozenset({"algo", "task", "announced_at", "strata", "risk_weights", "team_size",
                               "specialty", "units", "inspectors", "exclusions", "commitments", "beacon",
                               "beacon_at"})
REVEAL_KEYS = frozenset({"announcement_hash", "beacon_value", "nonces"})
EXCLUSION_REASONS = frozenset({"recusal", "rotation"})
_NONCE = re.compile(r"(?:[0-9a-f]{2}){16,64}")  # §2: lowercase hex of 16 to 64 bytes, nothing else
_COMMITMENT = re.compile(r"[0-9a-f]{64}")       # hex(H(nonce)): 64 lowercase hex digits
_TIME = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?Z")
_BEIJING = timezone(timedelta(hours=8))
_NEEDS_ESCAPE = re.compile(r'[\x00-\x1f"\\]')
_UNIT_JSON = b'{"id":%s,"risk":%s,"stratum":%s}'  # JCS key order: id < risk < stratum
_IPAD = bytes(x ^ 0x36 for x in range(256))
_OPAD = bytes(x ^ 0x5C for x in range(256))


class DrawError(ValueError):
    """A refused draw: a stable `code`, an English `message`, a Chinese `message_zh`."""

    def __init__(self, code: str, message: str, message_zh: str, detail: Any = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.message_zh, self.detail = code, message, message_zh, detail


@dataclass(frozen=True)
class Stratum:
    name: str
    n: int
    ids: tuple[str, ...]      # sorted
    weights: tuple[int, ...]  # the risk weight of each unit


@dataclass(frozen=True)
class Inspector:
    id: str
    specialties: frozenset[str]
    load: int


@dataclass(frozen=True)
class Plan:
    """A checked announcement."""
    strata: tuple[Stratum, ...]
    team_size: int
    specialty: str
    inspectors: tuple[Inspector, ...]
    exclusions: Mapping[str, frozenset[str]]  # unit id -> inspector ids
    commitments: tuple[str, ...]


@dataclass(frozen=True)
class Drawn:
    stratum: str
    rank: int
    unit: str
    pi: int


# --- §1 checking the announcement -----------------------------------------------------------

def parse_announcement(announcement: Json) -> Plan:
    """The announcement as a Plan, or DrawError for anything §1 does not allow."""
    ann = _object(announcement, ANNOUNCEMENT_KEYS, "announcement")
    if ann["algo"] != ALGO:
        raise DrawError("draw.algo", f"algo must be {ALGO}", f"抽取算法（algo）必须是 {ALGO}")
    for key in ("task", "specialty", "beacon"):
        _string(ann[key], key)
    check_beacon_after(ann["announced_at"], ann["beacon_at"])
    team_size = _integer(ann["team_size"], "team_size")
    if team_size < 2:
        raise DrawError("draw.team_size", "a team needs at least two inspectors", "检查组至少需要两名执法人员")
    strata = _strata(ann["strata"], ann["units"], _weights(ann["risk_weights"]))
    return Plan(strata, team_size, ann["specialty"], _inspectors(ann["inspectors"]),
                _exclusions(ann["exclusions"]), parse_commitments(ann["commitments"]))


def parse_commitments(value: Any) -> tuple[str, ...]:
    """The commitments, each hex(H(nonce)): 64 lowercase hex digits (no nonce opens another form)."""
    for index, commitment in enumerate(_string_list(value, "commitments")):
        if not _COMMITMENT.fullmatch(commitment):
            raise DrawError("draw.bad_commitment", f"commitment {index} must be 64 lowercase hex digits (a SHA-256)",
                            f"第 {index + 1} 个承诺值必须是 64 位小写十六进制（SHA-256 哈希）", {"index": index})
    return tuple(value)


def nonce_bytes(nonce: str, index: int) -> bytes:
    """§2: a nonce's bytes; DrawError for any form but lowercase hex of 16 to 64 bytes."""
    if not _NONCE.fullmatch(nonce):
        raise DrawError("draw.bad_nonce", f"nonce {index} must be lowercase hex of 16 to 64 bytes (32 to 128 digits)",
                        f"第 {index + 1} 个随机数必须是 16 至 64 字节的小写十六进制（32 至 128 位，字母小写）",
                        {"index": index})
    return bytes.fromhex(nonce)


# --- §1, §7 times ---------------------------------------------------------------------------

def instant(value: Any, field: str) -> Instant:
    """An RFC 3339 time in UTC with a Z as a key that orders instants; DrawError otherwise.
    Fractions compare as digit strings without trailing zeros; 23:59:60 is a leap second."""
    found = _TIME.fullmatch(value) if type(value) is str else None
    parts = tuple(map(int, found.groups()[:6])) if found else ()
    if not found or not _valid_time(*parts):
        raise DrawError("draw.bad_time", f"{field} must be an RFC 3339 time in UTC ending in Z, "
                        "e.g. 2026-11-23T02:00:00Z", f"{field} 必须是以 Z 结尾的 UTC 时间（RFC 3339），"
                        "例如 2026-11-23T02:00:00Z（北京时间 10:00）", {"field": field})
    return (*parts, (found[7] or "").rstrip("0"))  # type: ignore[return-value]


def _valid_time(year: int, month: int, day: int, hour: int, minute: int, second: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return hour <= 23 and minute <= 59 and (second <= 59 or (hour, minute, second) == (23, 59, 60))


def check_beacon_after(announced_at: Any, beacon_at: Any) -> None:
    """§1: announced_at < beacon_at, as instants: the beacon is unknown when the draw is fixed."""
    if not instant(announced_at, "announced_at") < instant(beacon_at, "beacon_at"):
        raise DrawError("draw.beacon_in_past", f"beacon_at ({beacon_at}) must be after announced_at ({announced_at})",
                        f"随机源的公布时间（beacon_at，北京时间 {beijing_time(beacon_at)}）必须晚于公告时间"
                        f"（announced_at，北京时间 {beijing_time(announced_at)}），否则结果可被预知",
                        {"announced_at": announced_at, "beacon_at": beacon_at})


def beijing_time(value: str) -> str:
    """A checked time as a person in the office reads it: 2026-11-23 10:00:00 (to the second)."""
    year, month, day, hour, minute, second, _ = instant(value, "time")
    moment = datetime(year, month, day, hour, minute, min(second, 59), tzinfo=timezone.utc)
    return moment.astimezone(_BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def _strata(strata: Any, units: Any, weights: Mapping[str, int]) -> tuple[Stratum, ...]:
    sizes = dict(_stratum_size(item) for item in _list(strata, "strata"))
    if len(sizes) != len(strata):
        raise DrawError("draw.duplicate_stratum", "stratum names must be unique", "分层名称不能重复")
    groups = _group_units(units, sizes, weights)
    for name, n in sizes.items():
        _check_sample_size(n, len(groups[name][0]), name)
    return tuple(Stratum(name, n, tuple(groups[name][0]), tuple(groups[name][1])) for name, n in sizes.items())


def _stratum_size(item: Any) -> tuple[str, int]:
    _object(item, frozenset({"name", "n"}), "strata[]")
    return _string(item["name"], "strata[].name"), _integer(item["n"], "strata[].n")


def _check_sample_size(n: int, population: int, name: str) -> None:
    if not 0 <= n <= population:
        raise DrawError("draw.sample_size", f"stratum {name}: n = {n} is outside 0..{population}",
                        f"分层 {name} 的抽取数 {n} 超出范围 0–{population}", {"stratum": name})


def _weights(value: Any) -> dict[str, int]:
    weights: dict[str, int] = _object(value, None, "risk_weights")
    for risk, weight in weights.items():
        if _integer(weight, f"risk_weights.{risk}") < 1:
            raise DrawError("draw.bad_weight", f"risk weight {risk} must be positive", f"风险权重 {risk} 必须为正整数")
    return weights


def _group_units(units: Any, sizes: Mapping[str, int], weights: Mapping[str, int]) -> dict[str, Columns]:
    """Ids and weights per stratum (in the order of `sizes`), ids sorted."""
    ids, strata, risks = _unit_columns(_list(units, "units"))
    _check_sorted(ids, "units")
    _check_known(strata, sizes, "draw.unknown_stratum", "unit stratum", "单位所属分层")
    groups: dict[str, Columns] = {name: ([], []) for name in sizes}
    for uid, name, weight in zip(ids, strata, _weight_column(risks, weights)):
        group = groups[name]
        group[0].append(uid)
        group[1].append(weight)
    return groups


def _unit_columns(units: list[Any]) -> tuple[list[str], list[Any], list[Any]]:
    try:  # three keys each, and id, stratum, risk all found: exactly those keys
        if set(map(type, units)) - {dict} or set(map(len, units)) - {3}:
            raise TypeError
        ids, strata, risks = (list(map(itemgetter(key), units)) for key in ("id", "stratum", "risk"))
    except (TypeError, KeyError):
        raise DrawError("draw.bad_document", "each unit must have exactly id, stratum and risk",
                        "每个单位必须且只能有 id、stratum、risk 三个字段") from None
    if set(map(type, ids)) - {str}:
        raise DrawError("draw.bad_document", "unit ids must be strings", "单位编号必须是文本")
    return ids, strata, risks


def _weight_column(risks: list[Any], weights: Mapping[str, int]) -> list[int]:
    _check_known(risks, weights, "draw.unknown_risk", "risk class", "风险等级")
    return list(map(weights.__getitem__, risks))


def _check_known(values: list[Any], known: Mapping[str, Any], code: str, what: str, what_zh: str) -> None:
    try:
        unknown = set(values) - known.keys()
    except TypeError:
        unknown = {"<not a string>"}
    if unknown:
        name = sorted(map(str, unknown))[0]
        raise DrawError(code, f"unknown {what} {name!r}", f"未知的{what_zh}：{name}", {"value": name})


def _check_sorted(ids: list[str], what: str) -> None:
    if not all(map(lt, ids, islice(ids, 1, None))):
        at = next(i for i in range(1, len(ids)) if not ids[i - 1] < ids[i])
        raise DrawError("draw.not_sorted", f"{what} must be sorted by id, each once (at {ids[at]!r})",
                        f"{what} 必须按编号排序且不重复（{ids[at]} 处）", {"field": what, "id": ids[at]})


def _inspectors(value: Any) -> tuple[Inspector, ...]:
    inspectors = tuple(map(_inspector, _list(value, "inspectors")))
    _check_sorted([p.id for p in inspectors], "inspectors")
    return inspectors


def _inspector(item: Any) -> Inspector:
    _object(item, frozenset({"id", "specialties", "load"}), "inspectors[]")
    load = _integer(item["load"], "inspectors[].load")
    if load < 0:
        raise DrawError("draw.bad_load", "an inspector's load cannot be negative", "执法人员的工作量不能为负数")
    specialties = frozenset(_string_list(item["specialties"], "inspectors[].specialties"))
    return Inspector(_string(item["id"], "inspectors[].id"), specialties, load)


def _exclusions(value: Any) -> dict[str, frozenset[str]]:
    pairs: dict[str, set[str]] = {}
    for item in _list(value, "exclusions"):
        _object(item, frozenset({"inspector", "unit", "reason"}), "exclusions[]")
        if type(item["reason"]) is not str or item["reason"] not in EXCLUSION_REASONS:
            raise DrawError("draw.bad_reason", "an exclusion's reason must be recusal or rotation",
                            "排除原因必须是 recusal（回避）或 rotation（轮换）")
        unit = _string(item["unit"], "exclusions[].unit")
        pairs.setdefault(unit, set()).add(_string(item["inspector"], "exclusions[].inspector"))
    return {unit: frozenset(people) for unit, people in pairs.items()}


# --- small checks ---------------------------------------------------------------------------

def _bad(field: str, what: str, what_zh: str) -> NoReturn:
    raise DrawError("draw.bad_document", f"{field} must be {what}", f"{field} 必须是{what_zh}", {"field": field})


def _object(value: Any, keys: frozenset[str] | None, field: str) -> Any:
    """`value` if it is an object with exactly `keys` (§7), else DrawError naming what differs."""
    if type(value) is not dict:
        _bad(field, f"an object with the fields {sorted(keys or ())}", f"含字段 {sorted(keys or ())} 的对象")
    if keys is not None and value.keys() != keys:
        missing, extra = sorted(keys - value.keys()), sorted(map(str, value.keys() - keys))
        english = [f"missing fields {missing}"] * bool(missing) + [f"unexpected fields {extra}"] * bool(extra)
        chinese = [f"缺少字段 {'、'.join(missing)}"] * bool(missing) + [f"有多余字段 {'、'.join(extra)}"] * bool(extra)
        raise DrawError("draw.bad_document",
                        f"{field} must hold exactly the fields {sorted(keys)}: {'; '.join(english)}",
                        f"{field} 只能且必须含字段 {'、'.join(sorted(keys))}：{'；'.join(chinese)}",
                        {"field": field, "missing": missing, "unexpected": extra})
    return value


def _field(value: Any, key: str) -> Any:
    if type(value) is not dict or key not in value:
        _bad(key, "present", "必填字段")
    return value[key]


def _list(value: Any, field: str) -> list[Any]:
    if type(value) is not list:
        _bad(field, "an array", "数组")
    return value


def _string(value: Any, field: str) -> str:
    if type(value) is not str:
        _bad(field, "a string", "文本")
    return value


def _string_list(value: Any, field: str) -> list[str]:
    if set(map(type, _list(value, field))) - {str}:
        _bad(field, "an array of strings", "文本数组")
    return list(value)


def _integer(value: Any, field: str) -> int:
    if type(value) is not int or not -MAX_INT <= value <= MAX_INT:
        raise DrawError("draw.not_integer", f"{field} must be an integer", f"{field} 必须是整数", {"field": field})
    return value


# --- JCS ------------------------------------------------------------------------------------

def _jcs(value: Any) -> bytes:
    try:
        return canonicalize(value)
    except ContractError as exc:
        raise DrawError(exc.code, exc.message, exc.message_zh) from exc
    except TypeError as exc:
        raise DrawError("draw.bad_document", str(exc), "文档中有不属于 JSON 的值") from exc


def _announcement_jcs(announcement: Any) -> bytes:
    """JCS(announcement), its units written by one template (the same bytes, tested)."""
    try:
        if announcement.keys() == ANNOUNCEMENT_KEYS:
            return _jcs_with_unit_rows(announcement)
    except (AttributeError, KeyError, TypeError):
        pass  # not the §1 shape: the general writer decides
    return _jcs(announcement)


def _jcs_with_unit_rows(announcement: Json) -> bytes:
    # "units" is the last of the §1 keys in JCS order, so the rest closes just before it.
    rest = _jcs({key: value for key, value in announcement.items() if key != "units"})
    try:
        return rest[:-1] + b',"units":[' + _unit_rows(announcement["units"]) + b"]}"
    except UnicodeEncodeError as exc:
        raise DrawError("json.lone_surrogate", "string holds a lone surrogate", "文本中含有无效的字符") from exc


def _unit_rows(units: Any) -> bytes:
    """The JCS of each {id, risk, stratum} unit, comma-separated; TypeError for another shape."""
    if type(units) is not list or set(map(len, units)) - {3}:
        raise TypeError("units are not {id, risk, stratum} objects")
    ids, risks, strata = (list(map(itemgetter(key), units)) for key in ("id", "risk", "stratum"))
    quoted = {value: encode_basestring(value).encode() for value in {*risks, *strata}}  # a few values
    template = _UNIT_JSON
    if _NEEDS_ESCAPE.search("".join(ids)):
        ids = list(map(encode_basestring, ids))
    else:
        template = _UNIT_JSON.replace(b"%s", b'"%s"', 1)  # plain ids need only their quotes
    columns = zip(map(str.encode, ids), map(quoted.__getitem__, risks), map(quoted.__getitem__, strata))
    return b",".join(map(template.__mod__, columns))
