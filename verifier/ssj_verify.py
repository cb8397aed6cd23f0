#!/usr/bin/env python3
"""Recompute a published ssj-draw-v1 draw and say whether its result agrees, byte for byte.

    python ssj_verify.py announcement.json reveal.json result.json

Exit status 0: the result agrees (its result_hash is printed) · 1: it differs (the first
places where it differs are printed) · 2: bad input (a file unreadable, not UTF-8, not JSON,
with a duplicate key or a number with a fraction; a document with another field or without
one; an announcement, a nonce or a time the algorithm refuses).

One file, the Python standard library only (3.9 or later): read it, copy it, run it. It follows
the public text "The verifiable draw, version ssj-draw-v1"; § numbers below are its sections.
From Python: verify(announcement, reveal, result) returns the differences, [] when it agrees.
"""
from __future__ import annotations

import hashlib
import json
import re
import sys
from bisect import bisect_left, insort
from collections import Counter
from datetime import date
from itertools import accumulate, islice
from operator import itemgetter, lt
from typing import Any, Callable, NamedTuple, Optional

Json = dict[str, Any]
Stratum = tuple[str, int, list[str], list[int]]  # name, n, ids in id order, weights
Team = Optional[list[str]]

ALGO = "ssj-draw-v1"
D = 1_000_000
MAX_INT = 2**53 - 1
MAX_REPORTED = 20
ANNOUNCEMENT_KEYS = {"algo", "task", "announced_at", "strata", "risk_weights", "team_size",
                     "specialty", "units", "inspectors", "exclusions", "commitments", "beacon", "beacon_at"}
REVEAL_KEYS = {"announcement_hash", "beacon_value", "nonces"}
RESULT_KEYS = {"announcement_hash", "seed", "selected", "unmatched"}
UNMATCHED_KEYS = {"stratum", "rank", "unit", "pi"}
SELECTED_KEYS = UNMATCHED_KEYS | {"team"}
NONCE = re.compile("(?:[0-9a-f]{2}){16,64}")   # §2: lowercase hex of 16 to 64 bytes, one spelling
COMMITMENT = re.compile("[0-9a-f]{64}")         # hex(H(nonce))
TIME = re.compile("([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:[.]([0-9]+))?Z")
FIELDS_ZH = {"stratum": "分层", "rank": "名次", "unit": "单位", "pi": "入样概率", "team": "检查组"}
LISTS_ZH = {"selected": "已匹配", "unmatched": "未匹配"}


class BadInput(Exception):
    """Input this program cannot check (exit status 2)."""

    def __init__(self, message: str, message_zh: str) -> None:
        super().__init__(f"{message} / {message_zh}")
        self.message, self.message_zh = message, message_zh


# --- strict JSON in, RFC 8785 canonical JSON out --------------------------------------------

def load_json(path: str) -> Any:
    """A JSON file, refusing what could make two readers disagree (see parse_json)."""
    try:
        with open(path, "rb") as file:
            data = file.read()
    except OSError as exc:
        raise BadInput(f"cannot read {path}: {exc.strerror}", f"无法读取文件 {path}") from exc
    try:
        return parse_json(data)
    except BadInput as exc:
        raise BadInput(f"{path}: {exc.message}", f"{path}：{exc.message_zh}") from exc


def parse_json(data: bytes) -> Any:
    """JSON from UTF-8 bytes; BadInput for a BOM, malformed text, a duplicate key, or a number
    that is not an integer (fractions, exponents, NaN, Infinity)."""
    try:
        return json.loads(data.decode("utf-8"), object_pairs_hook=_unique_keys,
                          parse_float=_no_fraction, parse_constant=_no_fraction)
    except UnicodeDecodeError as exc:
        raise BadInput(f"not UTF-8 (byte {exc.start})", "不是 UTF-8 编码") from exc
    except json.JSONDecodeError as exc:
        raise BadInput(f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
                       f"JSON 格式错误（第 {exc.lineno} 行第 {exc.colno} 列）") from exc
    except RecursionError as exc:
        raise BadInput("JSON nested too deeply", "JSON 嵌套过深") from exc


def _unique_keys(pairs: list[tuple[str, Any]]) -> Json:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        key = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        raise BadInput(f"duplicate key {key!r}", f"重复的字段 {key}")
    return obj


def _no_fraction(text: str) -> Any:
    raise BadInput(f"number {text} is not an integer", f"数值 {text} 不是整数")


_ESCAPES = {c: "\\u%04x" % c for c in range(0x20)}
_ESCAPES.update({0x08: "\\b", 0x09: "\\t", 0x0A: "\\n", 0x0C: "\\f", 0x0D: "\\r", 0x22: '\\"', 0x5C: "\\\\"})
_NEEDS_ESCAPE = re.compile('[\\x00-\\x1f"\\\\]')


def quote(text: str) -> str:
    """An RFC 8785 string: only ", \\ and controls escaped; everything else as it is."""
    return '"' + (text.translate(_ESCAPES) if _NEEDS_ESCAPE.search(text) else text) + '"'


def jcs(value: Any) -> bytes:
    """RFC 8785 canonical JSON of a value without fractions, UTF-8."""
    out: list[str] = []
    _write(value, out)
    return _utf8("".join(out))


def _utf8(text: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise BadInput("a string holds a lone surrogate", "文本中有不成对的代理字符") from exc


def _write(value: Any, out: list[str]) -> None:
    if type(value) is str:
        out.append(quote(value))
    elif value is None:
        out.append("null")
    elif type(value) is bool:
        out.append("true" if value else "false")
    elif type(value) is int and -MAX_INT <= value <= MAX_INT:
        out.append(str(value))
    elif type(value) is dict:
        _write_object(value, out)
    elif type(value) in (list, tuple):
        out.append("[")
        for index, item in enumerate(value):
            out.append("," if index else "")
            _write(item, out)
        out.append("]")
    else:
        raise BadInput(f"not an allowed JSON value: {value!r:.40}", f"不允许的 JSON 值：{value!r:.40}")


def _write_object(obj: Json, out: list[str]) -> None:
    if any(type(key) is not str for key in obj):
        raise BadInput("object keys must be strings", "对象的键必须是文本")
    out.append("{")
    for index, key in enumerate(sorted(obj, key=_utf16)):  # RFC 8785: UTF-16 code units
        out.append(("," if index else "") + quote(key) + ":")
        _write(obj[key], out)
    out.append("}")


def _utf16(key: str) -> bytes:
    return key.encode("utf-16-be", "surrogatepass")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def announcement_hash(announcement: Any) -> str:
    """§1 hex(H(JCS(announcement)))."""
    is_shaped = type(announcement) is dict and announcement.keys() == ANNOUNCEMENT_KEYS
    rows = _unit_rows(announcement["units"]) if is_shaped else None
    if rows is None:
        return sha256_hex(jcs(announcement))
    # "units" is the last §1 key in JCS order: the rest closes just before it.
    head = jcs({key: value for key, value in announcement.items() if key != "units"})
    return sha256_hex(head[:-1] + b',"units":[' + rows + b"]}")


def _unit_rows(units: Any) -> bytes | None:
    """The JCS of {id, risk, stratum} string objects, comma-separated (fast); None otherwise."""
    if type(units) is not list or set(map(type, units)) - {dict} or set(map(len, units)) - {3}:
        return None
    try:
        ids, risks, strata = (list(map(itemgetter(key), units)) for key in ("id", "risk", "stratum"))
    except KeyError:
        return None
    if (set(map(type, ids)) | set(map(type, risks)) | set(map(type, strata))) - {str}:
        return None
    quoted = {value: _utf8(quote(value)) for value in {*risks, *strata}}
    template = b'{"id":"%s","risk":%s,"stratum":%s}'
    if _NEEDS_ESCAPE.search("".join(ids)):
        ids, template = list(map(quote, ids)), b'{"id":%s,"risk":%s,"stratum":%s}'
    try:
        encoded = list(map(str.encode, ids))
    except UnicodeEncodeError as exc:
        raise BadInput("a unit id holds a lone surrogate", "单位编号中有不成对的代理字符") from exc
    return b",".join(map(template.__mod__, zip(encoded, map(quoted.__getitem__, risks),
                                                map(quoted.__getitem__, strata))))


# --- §1 the announcement as the algorithm takes it ------------------------------------------

class Plan(NamedTuple):
    strata: list[Stratum]
    team_size: int
    specialty: str
    inspectors: list[tuple[str, int]]  # (id, load) of those who hold the specialty
    exclusions: dict[str, set[str]]    # unit id -> inspector ids
    commitments: list[str]


def _refuse(message: str, message_zh: str) -> BadInput:
    return BadInput(f"announcement refused: {message}", f"公告不符合算法要求：{message_zh}")


def _need(ok: bool, message: str, message_zh: str) -> None:
    if not ok:
        raise _refuse(message, message_zh)


def _is_int(value: Any) -> bool:
    return type(value) is int and -MAX_INT <= value <= MAX_INT


def _is_object(value: Any, keys: set[str]) -> bool:
    return type(value) is dict and value.keys() == keys


def _strings(value: Any) -> bool:
    return type(value) is list and not set(map(type, value)) - {str}


def fields_differ(value: Any, keys: set[str]) -> tuple[str, str] | None:
    """What keeps `value` from being an object with exactly `keys` (§7), in English and Chinese."""
    if type(value) is not dict:
        return "it is not a JSON object", "不是 JSON 对象"
    missing, extra = sorted(keys - value.keys()), sorted(map(str, value.keys() - keys))
    if not missing and not extra:
        return None
    english = [f"missing fields {missing}"] * bool(missing) + [f"unexpected fields {extra}"] * bool(extra)
    chinese = [f"缺少字段 {'、'.join(missing)}"] * bool(missing) + [f"有多余字段 {'、'.join(extra)}"] * bool(extra)
    return (f"it must hold exactly the fields {sorted(keys)}: " + "; ".join(english),
            f"只能且必须含字段 {'、'.join(sorted(keys))}：" + "；".join(chinese))


def read_announcement(ann: Any) -> Plan:
    """The announcement checked against §1 and §7, or BadInput."""
    differ = fields_differ(ann, ANNOUNCEMENT_KEYS)
    if differ:
        raise _refuse(*differ)
    _need(ann["algo"] == ALGO, f"algo must be {ALGO}", f"algo 必须是 {ALGO}")
    _need(all(type(ann[k]) is str for k in ("task", "specialty", "beacon")),
          "task, specialty and beacon must be strings", "task、specialty、beacon 必须是文本")
    _need(instant(ann["announced_at"], "announced_at") < instant(ann["beacon_at"], "beacon_at"),
          f"beacon_at ({ann['beacon_at']}) must be after announced_at ({ann['announced_at']})",
          "随机源的公布时间（beacon_at）必须晚于公告时间（announced_at）")
    _need(_is_int(ann["team_size"]) and ann["team_size"] >= 2, "team_size must be an integer ≥ 2",
          "team_size 必须是不小于 2 的整数")
    _need(_strings(ann["commitments"]), "commitments must be strings", "commitments 必须是文本数组")
    for i, commitment in enumerate(ann["commitments"]):
        _need(COMMITMENT.fullmatch(commitment) is not None, f"commitment {i} must be 64 lowercase hex digits",
              f"第 {i + 1} 个承诺值必须是 64 位小写十六进制")
    strata = _read_strata(ann["strata"], ann["units"], _read_weights(ann["risk_weights"]))
    return Plan(strata, ann["team_size"], ann["specialty"], _read_inspectors(ann["inspectors"], ann["specialty"]),
                _read_exclusions(ann["exclusions"]), ann["commitments"])


def instant(value: Any, field: str) -> tuple[Any, ...]:
    """§7: an RFC 3339 time in UTC with a Z, as a key that orders instants (the fraction's digits
    without trailing zeros compare as text; 23:59:60 is a leap second); BadInput otherwise."""
    found = TIME.fullmatch(value) if type(value) is str else None
    if found:
        year, month, day, hour, minute, second = map(int, found.groups()[:6])
        try:
            date(year, month, day)
        except ValueError:
            found = None
        else:
            ok = hour <= 23 and minute <= 59 and (second <= 59 or (hour, minute, second) == (23, 59, 60))
            found = found if ok else None
    if not found:
        raise _refuse(f"{field} must be an RFC 3339 time in UTC ending in Z, e.g. 2026-11-23T02:00:00Z",
                      f"{field} 必须是以 Z 结尾的 UTC 时间（RFC 3339），例如 2026-11-23T02:00:00Z")
    return (year, month, day, hour, minute, second, (found[7] or "").rstrip("0"))


def _read_weights(weights: Any) -> dict[str, int]:
    _need(type(weights) is dict and all(_is_int(w) and w > 0 for w in weights.values()),
          "risk_weights must map each class to a positive integer", "risk_weights 的权重必须是正整数")
    return dict(weights)


def _read_strata(strata: Any, units: Any, weights: dict[str, int]) -> list[Stratum]:
    _need(type(strata) is list and all(_is_object(s, {"name", "n"}) and type(s["name"]) is str
                                       and _is_int(s["n"]) for s in strata),
          "strata must be {name, n} objects", "strata 必须是 {name, n} 对象的数组")
    sizes = {s["name"]: s["n"] for s in strata}
    _need(len(sizes) == len(strata), "stratum names must be unique", "分层名称不能重复")
    groups = _read_units(units, sizes, weights)
    for name, n in sizes.items():
        _need(0 <= n <= len(groups[name][0]), f"stratum {name}: n = {n} is outside 0..{len(groups[name][0])}",
              f"分层 {name} 的抽取数 {n} 超出范围")
    return [(name, n, *groups[name]) for name, n in sizes.items()]


def _read_units(units: Any, sizes: dict[str, int], weights: dict[str, int]) -> dict[str, tuple[list[str], list[int]]]:
    # Three keys each, and each of id, stratum, risk found below: exactly those keys.
    _need(type(units) is list and not set(map(type, units)) - {dict} and not set(map(len, units)) - {3},
          "units must be {id, stratum, risk} objects", "units 必须是 {id, stratum, risk} 对象的数组")
    try:
        ids, names, risks = (list(map(itemgetter(key), units)) for key in ("id", "stratum", "risk"))
        unknown_stratum, unknown_risk = set(names) - sizes.keys(), set(risks) - weights.keys()
    except (KeyError, TypeError):
        raise _refuse("units must be {id, stratum, risk} objects", "units 必须是 {id, stratum, risk} 对象的数组") from None
    _need(not set(map(type, ids)) - {str}, "unit ids must be strings", "单位编号必须是文本")
    # §7: by code point (Python's str order, as UTF-8 bytes), not by UTF-16 code unit as JCS keys
    _need(all(map(lt, ids, islice(ids, 1, None))), "units must be sorted by id, each once", "units 必须按编号排序且不重复")
    _need(not unknown_stratum, f"unknown stratum {sorted(map(str, unknown_stratum))[:1]}", "单位所属分层不存在")
    _need(not unknown_risk, f"unknown risk class {sorted(map(str, unknown_risk))[:1]}", "单位的风险等级不存在")
    groups: dict[str, tuple[list[str], list[int]]] = {name: ([], []) for name in sizes}
    for uid, name, weight in zip(ids, names, map(weights.__getitem__, risks)):
        groups[name][0].append(uid)
        groups[name][1].append(weight)
    return groups


def _read_inspectors(inspectors: Any, specialty: str) -> list[tuple[str, int]]:
    _need(type(inspectors) is list and all(
        _is_object(p, {"id", "specialties", "load"}) and type(p["id"]) is str and _strings(p["specialties"])
        and _is_int(p["load"]) and p["load"] >= 0 for p in inspectors),
        "inspectors must be {id, specialties, load ≥ 0} objects", "inspectors 必须是 {id, specialties, load ≥ 0} 对象的数组")
    ids = [p["id"] for p in inspectors]
    _need(all(map(lt, ids, islice(ids, 1, None))), "inspectors must be sorted by id, each once",
          "inspectors 必须按编号排序且不重复")
    return [(p["id"], p["load"]) for p in inspectors if specialty in p["specialties"]]


def _read_exclusions(exclusions: Any) -> dict[str, set[str]]:
    _need(type(exclusions) is list and all(
        _is_object(e, {"inspector", "unit", "reason"}) and type(e["inspector"]) is str and type(e["unit"]) is str
        and e["reason"] in ("recusal", "rotation") for e in exclusions),
        "exclusions must be {inspector, unit, reason: recusal | rotation} objects",
        "exclusions 必须是 {inspector, unit, reason: recusal 或 rotation} 对象的数组")
    table: dict[str, set[str]] = {}
    for e in exclusions:
        table.setdefault(e["unit"], set()).add(e["inspector"])
    return table


# --- §2 reveal and seed ---------------------------------------------------------------------

def open_reveal(ahash: str, commitments: list[str], reveal: Any) -> list[str]:
    """What keeps the reveal from opening the announcement ([] when it does); BadInput for a
    reveal of another shape or a nonce of another form."""
    differ = fields_differ(reveal, REVEAL_KEYS)
    if differ:
        raise BadInput(f"reveal refused: {differ[0]}", f"揭示文件不符合要求：{differ[1]}")
    if not (type(reveal["beacon_value"]) is str and _strings(reveal["nonces"])):
        raise BadInput("reveal refused: beacon_value must be a string and nonces an array of strings",
                       "揭示文件不符合要求：beacon_value 必须是文本，nonces 必须是文本数组")
    nonces = reveal["nonces"]
    nonce_bytes = [_nonce_bytes(nonce, i) for i, nonce in enumerate(nonces)]
    if reveal["announcement_hash"] != ahash:
        return [f"the reveal names announcement {reveal['announcement_hash']}, but the announcement hashes to {ahash}"
                f" / 揭示文件中的公告哈希与公告不一致（公告实际哈希为 {ahash}）"]
    if len(nonces) != len(commitments):
        return [f"{len(nonces)} nonces for {len(commitments)} commitments"
                f" / 随机数个数（{len(nonces)}）与承诺个数（{len(commitments)}）不一致"]
    return [f"nonce {i} does not open commitment {i} ({commitments[i]}) / 第 {i + 1} 个随机数无法打开对应的承诺"
            for i, nonce in enumerate(nonce_bytes) if sha256_hex(nonce) != commitments[i]]


def _nonce_bytes(nonce: str, index: int) -> bytes:
    if not NONCE.fullmatch(nonce):
        raise BadInput(f"reveal refused: nonce {index} must be lowercase hex of 16 to 64 bytes (32 to 128 digits)",
                       f"揭示文件不符合要求：第 {index + 1} 个随机数必须是 16 至 64 字节的小写十六进制（32 至 128 位）")
    return bytes.fromhex(nonce)


def seed_of(ahash: str, beacon_value: str, nonces: list[str]) -> bytes:
    return hashlib.sha256(b"ssj-draw-v1\x00" + jcs({"announcement": ahash, "beacon": beacon_value,
                                                       "nonces": nonces})).digest()


class Mac:
    """HMAC-SHA-256 (RFC 2104) with the key's pads hashed once; same bytes as hmac.new."""

    def __init__(self, key: bytes) -> None:
        block = (hashlib.sha256(key).digest() if len(key) > 64 else key).ljust(64, b"\x00")
        self.inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
        self.outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))

    def of(self, prefix: str) -> Callable[[bytes], bytes]:
        """message -> HMAC(key, prefix + message)."""
        start = self.inner.copy()
        start.update(prefix.encode("utf-8"))
        inner_copy, outer_copy = start.copy, self.outer.copy

        def mac(message: bytes) -> bytes:
            i, o = inner_copy(), outer_copy()
            i.update(message)
            o.update(i.digest())
            return o.digest()
        return mac


# --- §3 inclusion probabilities -------------------------------------------------------------

def inclusion_probabilities(weights: list[int], n: int) -> list[int]:
    """π of each unit of a stratum, weights given in id order."""
    count = Counter(weights)
    certain: set[int] = set()
    while True:
        rest = [w for w in count if w not in certain]
        m, total = n - sum(count[w] for w in certain), sum(w * count[w] for w in rest)
        more = [w for w in rest if m * w >= total]
        if not more:
            break
        certain.update(more)
    share = {w: divmod(m * D * w, total) for w in rest}
    pis = [D if w in certain else share[w][0] for w in weights]
    r = m * D - sum(share[w][0] * count[w] for w in rest)
    # The r largest remainders; a stable sort keeps ties in id order; certain units sort last.
    key = [-share[w][1] if w in share else 1 for w in weights]
    for i in sorted(range(len(weights)), key=key.__getitem__)[:r] if r else ():
        pis[i] += 1
    return pis


# --- §4 systematic selection ----------------------------------------------------------------

def select(mac: Mac, name: str, ids: list[str], pis: list[int]) -> list[int]:
    """Positions of the selected units in rank order."""
    keys = list(map(mac.of(f"ord|{name}|"), map(str.encode, ids)))
    order = sorted(range(len(ids)), key=keys.__getitem__)  # ties: the smaller id, kept by the stable sort
    point = int.from_bytes(mac.of(f"start|{name}")(b""), "big") % D
    picked: list[int] = []
    for i, hi in zip(order, accumulate(map(pis.__getitem__, order))):
        if point < hi:  # lo ≤ point holds: every earlier point was taken by an earlier unit
            picked.append(i)
            point += D
    return picked


# --- §5 matching ----------------------------------------------------------------------------

def match(mac: Mac, units: list[str], plan: Plan) -> list[Team]:
    """The team of each drawn unit in pick order, or None when too few are eligible."""
    queue = sorted((load, pid) for pid, load in plan.inspectors)  # eligible, by (load, id)
    eligible = {pid: pid.encode("utf-8") for pid, _ in plan.inspectors}
    teams: list[Team] = []
    for unit in units:
        excluded = plan.exclusions.get(unit, set())
        if len(eligible) - len(eligible.keys() & excluded) < plan.team_size:
            teams.append(None)
            continue
        team = _pick(mac.of(f"insp|{unit}|"), queue, excluded, plan.team_size, eligible)
        for load, pid in team:
            del queue[bisect_left(queue, (load, pid))]
            insort(queue, (load + 1, pid))
        teams.append([pid for _, pid in team])
    return teams


def _pick(mac: Callable[[bytes], bytes], queue: list[tuple[int, str]], excluded: set[str], size: int,
          names: dict[str, bytes]) -> list[tuple[int, str]]:
    """The first `size` of the queue by (load, HMAC): a picked inspector is in the team, so the
    others' loads do not change while one team is made."""
    team: list[tuple[int, str]] = []
    start = 0
    while len(team) < size:
        load = queue[start][0]
        end = bisect_left(queue, (load + 1,), start)
        level = [pid for _, pid in queue[start:end] if pid not in excluded]
        ranked = sorted(zip(map(mac, map(names.__getitem__, level)), level))
        team += [(load, pid) for _, pid in ranked[: size - len(team)]]
        start = end
    return team


# --- §6 the result and the comparison -------------------------------------------------------

def expected_result(plan: Plan, ahash: str, reveal: Json) -> Json:
    seed = seed_of(ahash, reveal["beacon_value"], reveal["nonces"])
    mac = Mac(seed)
    drawn: list[Json] = []
    for name, n, ids, weights in plan.strata:
        pis = inclusion_probabilities(weights, n)
        drawn += [{"stratum": name, "rank": rank, "unit": ids[i], "pi": pis[i]}
                  for rank, i in enumerate(select(mac, name, ids, pis), 1)]
    teams = match(mac, [entry["unit"] for entry in drawn], plan)
    return {"announcement_hash": ahash, "seed": seed.hex(),
            "selected": [dict(entry, team=team) for entry, team in zip(drawn, teams) if team is not None],
            "unmatched": [entry for entry, team in zip(drawn, teams) if team is None]}


def verify(announcement: Any, reveal: Any, result: Any) -> list[str]:
    """The differences between the published result and the recomputed draw ([] = agreed).
    BadInput when the announcement or the reveal cannot be checked at all."""
    plan = read_announcement(announcement)
    ahash = announcement_hash(announcement)
    problems = open_reveal(ahash, plan.commitments, reveal)
    read_result(result)
    if problems:
        return problems
    expected = expected_result(plan, ahash, reveal)
    if same_bytes(expected, result):
        return []
    return compare(expected, result)[:MAX_REPORTED] or [
        f"result_hash differs: expected {sha256_hex(jcs(expected))} / 结果哈希不一致"]


def read_result(result: Any) -> None:
    """BadInput unless result.json holds exactly the fields of §6, in it and in every entry (§7)."""
    differ = (fields_differ(result, RESULT_KEYS) or _entries_differ(result, "selected", SELECTED_KEYS)
              or _entries_differ(result, "unmatched", UNMATCHED_KEYS))
    if differ:
        raise BadInput(f"result refused: {differ[0]}", f"结果文件不符合要求：{differ[1]}")


def _entries_differ(result: Json, key: str, keys: set[str]) -> tuple[str, str] | None:
    if type(result[key]) is not list:
        return f"{key} must be an array", f"{LISTS_ZH[key]}列表（{key}）必须是数组"
    for index, entry in enumerate(result[key]):
        found = fields_differ(entry, keys)
        if found:
            return f"{key}[{index}]: {found[0]}", f"{LISTS_ZH[key]}第 {index + 1} 条：{found[1]}"
    return None


def same_bytes(expected: Any, found: Any) -> bool:
    """JCS(expected) == JCS(found), quickly: `expected` holds only strings, integers below 2**53,
    arrays and objects with ASCII keys, for which JCS is json.dumps with sorted keys (same
    escapes); a fraction or a large number in `found` is written differently, so never equal."""
    try:
        return _dumps(expected) == _dumps(found)
    except (TypeError, ValueError):
        return False


def _dumps(value: Any) -> bytes:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return text.encode("utf-8", "surrogatepass")


def _canonical(value: Any) -> bytes | None:
    try:
        return jcs(value)
    except BadInput:
        return None


def compare(expected: Json, result: Json) -> list[str]:
    """The differences of a result that read_result took (so it has exactly the fields of §6)."""
    found: list[str] = []
    for key, zh in (("announcement_hash", "公告哈希"), ("seed", "种子")):
        if _canonical(result[key]) != jcs(expected[key]):
            found.append(f"{key}: expected {expected[key]}, found {result[key]!r} / {zh}不一致，应为 {expected[key]}")
    for key in ("selected", "unmatched"):
        found += _compare_list(key, expected[key], result[key])
    return found


def _compare_list(key: str, expected: list[Json], found: list[Json]) -> list[str]:
    out = [_entry_difference(key, i, want, got) for i, (want, got) in enumerate(zip(expected, found))
           if _canonical(want) != _canonical(got)]
    if len(expected) != len(found):
        out.append(f"{key}: expected {len(expected)} entries, found {len(found)}"
                   f" / {LISTS_ZH[key]}列表应有 {len(expected)} 条，实际 {len(found)} 条")
    return out


def _entry_difference(key: str, index: int, want: Json, got: Json) -> str:
    where = f"{key}[{index}] (stratum {want['stratum']}, rank {want['rank']})"
    where_zh = f"{LISTS_ZH[key]}第 {index + 1} 条（分层 {want['stratum']}，第 {want['rank']} 名）"
    fields = [f for f in want if _canonical(want[f]) != _canonical(got[f])]
    english = "; ".join(f"{f}: expected {want[f]!r}, found {got[f]!r}" for f in fields)
    chinese = "；".join(f"{FIELDS_ZH[f]}应为 {want[f]}，实际为 {got[f]}" for f in fields)
    return f"{where}: {english} / {where_zh}：{chinese}"


# --- command line ---------------------------------------------------------------------------

def main(argv: list[str]) -> int:
    for stream in (sys.stdout, sys.stderr):
        getattr(stream, "reconfigure", lambda **_: None)(errors="backslashreplace")
    if len(argv) != 3:
        print("usage: python ssj_verify.py announcement.json reveal.json result.json\n"
              "用法：python ssj_verify.py 公告.json 揭示.json 结果.json", file=sys.stderr)
        return 2
    try:
        announcement, reveal, result = map(load_json, argv)
        differences = verify(announcement, reveal, result)
    except BadInput as exc:
        print(f"BAD INPUT / 输入无效\n{exc.message}\n{exc.message_zh}", file=sys.stderr)
        return 2
    if differences:
        print("DIFFERS / 不一致")
        print("\n".join(f"- {line}" for line in differences))
        return 1
    # Agreed: the result's bytes are the recomputed JCS bytes, which json.dumps writes alike.
    print(f"AGREED / 一致\nannouncement_hash: {result['announcement_hash']}\n"
          f"result_hash: {sha256_hex(_dumps(result))}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
