"""The verifiable double-random draw `ssj-draw-v1` (DRAW_SPEC.md §2–§6), pure and exact.

    run_draw(announcement, reveal) -> result     the whole draw: the result.json object of §6
      parse_announcement -> Plan                 §1 refuse what the spec does not allow
      announcement_hash, check_reveal            §1–§2 the reveal opens the commitments
      compute_seed                               §2
      stratum_pis, inclusion_probabilities       §3 integer π, Σπ = n·D
      select_stratum                             §4 systematic selection in HMAC order
      match_inspectors                           §5 teams by (load, HMAC)
    result_hash(result)                          §6
    DrawError(code, message, message_zh)         every refusal, with a stable code

A million units draw in seconds: per-unit work stays in C (hashlib, sorting, accumulate,
bisect), π is computed once per risk weight, and §5 hashes only the lowest load levels.
Unit ids are compared by code point (Python's str order, the same as UTF-8 byte order).
"""
from __future__ import annotations

import re
from bisect import bisect_right, insort
from collections import Counter
from dataclasses import dataclass
from hashlib import sha256
from heapq import nsmallest
from itertools import accumulate, compress, islice
from json.encoder import encode_basestring  # the string escaper schemas.jcs uses
from operator import itemgetter, lt
from typing import AbstractSet, Any, Callable, Iterable, Mapping, NoReturn, Sequence

from schemas.errors import ContractError
from schemas.jcs import canonicalize

Json = dict[str, Any]
Team = tuple[str, ...]
Columns = tuple[list[str], list[int]]  # ids and weights

ALGO = "ssj-draw-v1"
D = 1_000_000
MAX_INT = 2**53 - 1  # JCS writes larger integers as floats
ANNOUNCEMENT_KEYS = frozenset({"algo", "task", "announced_at", "strata", "risk_weights", "team_size",
                               "specialty", "units", "inspectors", "exclusions", "commitments", "beacon"})
REVEAL_KEYS = frozenset({"announcement_hash", "beacon_value", "nonces"})
EXCLUSION_REASONS = frozenset({"recusal", "rotation"})
_HEX = re.compile(r"(?:[0-9a-f]{2})*")
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


# --- the draw -------------------------------------------------------------------------------

def run_draw(announcement: Json, reveal: Json) -> Json:
    """The result.json object of §6, or DrawError."""
    plan = parse_announcement(announcement)
    ahash = announcement_hash(announcement)
    _check_reveal(ahash, plan.commitments, reveal)
    seed = compute_seed(ahash, reveal["beacon_value"], reveal["nonces"])
    drawn = draw_units(seed, plan.strata)
    teams = match_inspectors(seed, [d.unit for d in drawn], plan.inspectors, plan.specialty,
                             plan.team_size, plan.exclusions)
    return _result(ahash, seed, drawn, teams)


def _result(ahash: str, seed: bytes, drawn: list[Drawn], teams: list[Team | None]) -> Json:
    entries = [({"stratum": d.stratum, "rank": d.rank, "unit": d.unit, "pi": d.pi}, team)
               for d, team in zip(drawn, teams)]
    return {"announcement_hash": ahash, "seed": seed.hex(),
            "selected": [dict(entry, team=list(team)) for entry, team in entries if team is not None],
            "unmatched": [entry for entry, team in entries if team is None]}


def result_hash(result: Json) -> str:
    return sha256(_jcs(result)).hexdigest()


def draw_units(seed: bytes, strata: Iterable[Stratum]) -> list[Drawn]:
    """§3–§4 for every stratum, strata in order, each by rank."""
    drawn: list[Drawn] = []
    for stratum in strata:
        pis = stratum_pis(stratum.weights, stratum.n)
        picks = select_stratum(seed, stratum.name, stratum.ids, pis)
        drawn += [Drawn(stratum.name, rank, stratum.ids[i], pis[i]) for rank, i in enumerate(picks, 1)]
    return drawn


# --- §1–§2 hashes, reveal and seed ----------------------------------------------------------

def announcement_hash(announcement: Json) -> str:
    """hex(H(JCS(announcement)))."""
    return sha256(_announcement_jcs(announcement)).hexdigest()


def check_reveal(announcement: Json, reveal: Json) -> None:
    """DrawError unless the reveal names this announcement and its nonces open the commitments."""
    commitments = _string_list(_field(announcement, "commitments"), "commitments")
    _check_reveal(announcement_hash(announcement), commitments, reveal)


def compute_seed(announcement_hash: str, beacon_value: str, nonces: list[str]) -> bytes:
    document = {"announcement": announcement_hash, "beacon": beacon_value, "nonces": list(nonces)}
    return sha256(ALGO.encode() + b"\x00" + _jcs(document)).digest()


def _check_reveal(ahash: str, commitments: Sequence[str], reveal: Json) -> None:
    _object(reveal, REVEAL_KEYS, "reveal")
    _string(reveal["beacon_value"], "beacon_value")
    if reveal["announcement_hash"] != ahash:
        raise DrawError("draw.hash_mismatch", "the reveal names another announcement",
                        "揭示文件的公告哈希与公告不一致", {"expected": ahash})
    nonces = _string_list(reveal["nonces"], "nonces")
    if len(nonces) != len(commitments):
        raise DrawError("draw.nonce_count", f"{len(nonces)} nonces for {len(commitments)} commitments",
                        f"随机数个数（{len(nonces)}）与承诺个数（{len(commitments)}）不一致")
    for index, (nonce, commitment) in enumerate(zip(nonces, commitments)):
        if sha256(_nonce_bytes(nonce, index)).hexdigest() != commitment:
            raise DrawError("draw.commitment_not_opened", f"nonce {index} does not open its commitment",
                            f"第 {index + 1} 个随机数与其承诺不符", {"index": index})


def _nonce_bytes(nonce: str, index: int) -> bytes:
    if not _HEX.fullmatch(nonce):
        raise DrawError("draw.bad_nonce", f"nonce {index} is not lowercase hex",
                        f"第 {index + 1} 个随机数不是小写十六进制", {"index": index})
    return bytes.fromhex(nonce)


# --- §3 inclusion probabilities -------------------------------------------------------------

def inclusion_probabilities(units: Sequence[Json], n: int, risk_weights: Mapping[str, int]) -> dict[str, int]:
    """π (in millionths) of each unit of one stratum, given as {id, risk} objects sorted by id."""
    ids = [_string(unit["id"], "units[].id") for unit in units]
    _check_sorted(ids, "units")
    weights = _weight_column([unit["risk"] for unit in units], _weights(dict(risk_weights)))
    _check_sample_size(_integer(n, "n"), len(ids), "stratum")
    return dict(zip(ids, stratum_pis(weights, n)))


def stratum_pis(weights: Sequence[int], n: int) -> list[int]:
    """§3 for the weights of a stratum's units in id order. Before the +1s of the largest
    remainders, π depends on the weight alone, so it is computed once per weight."""
    counts = Counter(weights)
    certain, m, total = _certain_weights(counts, n)
    base = {w: D for w in certain}
    remainders = {}
    for w in counts.keys() - certain:
        base[w], remainders[w] = divmod(m * D * w, total)
    pis = list(map(base.__getitem__, weights))
    r = m * D - sum(base[w] * counts[w] for w in remainders)
    for i in _largest_remainders(weights, remainders, r):
        pis[i] += 1
    return pis


def _certain_weights(counts: Mapping[int, int], n: int) -> tuple[set[int], int, int]:
    """Step 1 -> (certain weights, m, W). m·w ≥ W is monotone in w: whole weights are certain."""
    certain: set[int] = set()
    while True:
        m = n - sum(counts[w] for w in certain)
        total = sum(w * c for w, c in counts.items() if w not in certain)
        more = {w for w in counts.keys() - certain if m * w >= total}
        if not more:
            return certain, m, total
        certain |= more


def _largest_remainders(weights: Sequence[int], remainders: Mapping[int, int], r: int) -> list[int]:
    """The first r positions by (remainder descending, id); positions are in id order."""
    chosen: list[int] = []
    for value in sorted(set(remainders.values()), reverse=True):
        if len(chosen) >= r:
            break
        tied = {w for w, rem in remainders.items() if rem == value}
        chosen += islice(compress(range(len(weights)), map(tied.__contains__, weights)), r - len(chosen))
    return chosen


# --- §4 systematic selection ----------------------------------------------------------------

def select_stratum(seed: bytes, stratum: str, ids: Sequence[str], pis: Sequence[int]) -> list[int]:
    """Positions in `ids` (sorted) of the selected units in rank order; Σπ = n·D, each π ≤ D."""
    mac = _Hmac(seed)
    keys = list(map(mac.keyed_hex(f"ord|{stratum}|".encode()), map(str.encode, ids)))
    order = sorted(range(len(ids)), key=keys.__getitem__)  # stable: equal keys keep id order
    ends = list(accumulate(map(pis.__getitem__, order)))  # each unit's hi, in order
    start = int.from_bytes(mac.keyed(f"start|{stratum}".encode())(b""), "big") % D
    # u + k·D falls in the first unit whose hi exceeds it (its lo does not: π ≤ D).
    return [order[bisect_right(ends, point)] for point in range(start, ends[-1] if ends else 0, D)]


class _Hmac:
    """HMAC-SHA-256 under one key with the padded key hashed once (RFC 2104; as hmac.new)."""

    def __init__(self, key: bytes) -> None:
        block = (sha256(key).digest() if len(key) > 64 else key).ljust(64, b"\x00")
        self._inner, self._outer = sha256(block.translate(_IPAD)), sha256(block.translate(_OPAD))

    def keyed(self, prefix: bytes) -> Callable[[bytes], bytes]:
        """message -> HMAC(key, prefix + message)."""
        inner_copy, outer_copy = self._prefixed(prefix).copy, self._outer.copy

        def mac(message: bytes) -> bytes:
            i, o = inner_copy(), outer_copy()
            i.update(message)
            o.update(i.digest())
            return o.digest()
        return mac

    def keyed_hex(self, prefix: bytes) -> Callable[[bytes], str]:
        """message -> hex(HMAC(key, prefix + message)): sorts as the bytes do, and faster."""
        inner_copy, outer_copy = self._prefixed(prefix).copy, self._outer.copy

        def mac(message: bytes) -> str:
            i, o = inner_copy(), outer_copy()
            i.update(message)
            o.update(i.digest())
            return o.hexdigest()
        return mac

    def _prefixed(self, prefix: bytes) -> Any:
        inner = self._inner.copy()
        inner.update(prefix)
        return inner


# --- §5 inspector matching ------------------------------------------------------------------

def match_inspectors(seed: bytes, units: Sequence[str], inspectors: Iterable[Inspector], specialty: str,
                     team_size: int, exclusions: Mapping[str, AbstractSet[str]]) -> list[Team | None]:
    """The team of each drawn unit (in draw order), in pick order; None when unmatched."""
    pool = _Pool([p for p in inspectors if specialty in p.specialties])
    mac = _Hmac(seed)
    return [pool.team(mac, unit, team_size, exclusions.get(unit, frozenset())) for unit in units]


class _Pool:
    """The eligible inspectors by current load.

    While one team is made only the picked inspectors' loads change, and they are in the team
    already; so the team is the first team_size eligible by (load, HMAC): whole load levels from
    the lowest up, each in HMAC order. Only the levels reached are hashed."""

    def __init__(self, inspectors: list[Inspector]) -> None:
        self.ids = frozenset(p.id for p in inspectors)
        self.names = {p.id: p.id.encode() for p in inspectors}
        self.load = {p.id: p.load for p in inspectors}
        self.levels: dict[int, set[str]] = {}
        for p in inspectors:
            self.levels.setdefault(p.load, set()).add(p.id)
        self.order = sorted(self.levels)

    def team(self, mac: _Hmac, unit: str, size: int, excluded: AbstractSet[str]) -> Team | None:
        if len(self.ids) - len(self.ids & excluded) < size:
            return None
        keyed = mac.keyed(f"insp|{unit}|".encode())
        team: list[str] = []
        for level in self.order:
            candidates = self.levels[level] - excluded if excluded else self.levels[level]
            team += _smallest(keyed, self.names, candidates, size - len(team))
            if len(team) == size:
                break
        for p in team:
            self._raise_load(p)
        return tuple(team)

    def _raise_load(self, p: str) -> None:
        level = self.load[p]
        self.load[p] = level + 1
        self.levels[level].discard(p)
        if not self.levels[level]:
            del self.levels[level]
            self.order.remove(level)
        if level + 1 not in self.levels:
            self.levels[level + 1] = set()
            insort(self.order, level + 1)
        self.levels[level + 1].add(p)


def _smallest(keyed: Callable[[bytes], bytes], names: Mapping[str, bytes], candidates: AbstractSet[str],
              count: int) -> list[str]:
    """The `count` candidates with the smallest HMAC, smallest first (HMACs do not collide)."""
    owner = {keyed(names[p]): p for p in candidates}
    return [owner[key] for key in nsmallest(count, owner)]


# --- §1 checking the announcement -----------------------------------------------------------

def parse_announcement(announcement: Json) -> Plan:
    """The announcement as a Plan, or DrawError for anything §1 does not allow."""
    ann = _object(announcement, ANNOUNCEMENT_KEYS, "announcement")
    if ann["algo"] != ALGO:
        raise DrawError("draw.algo", f"algo must be {ALGO}", f"抽取算法（algo）必须是 {ALGO}")
    for key in ("task", "announced_at", "specialty", "beacon"):
        _string(ann[key], key)
    team_size = _integer(ann["team_size"], "team_size")
    if team_size < 2:
        raise DrawError("draw.team_size", "a team needs at least two inspectors", "检查组至少需要两名执法人员")
    strata = _strata(ann["strata"], ann["units"], _weights(ann["risk_weights"]))
    return Plan(strata, team_size, ann["specialty"], _inspectors(ann["inspectors"]),
                _exclusions(ann["exclusions"]), tuple(_string_list(ann["commitments"], "commitments")))


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
    if type(value) is not dict or (keys is not None and value.keys() != keys):
        _bad(field, f"an object with the keys {sorted(keys or ())}", f"含字段 {sorted(keys or ())} 的对象")
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
