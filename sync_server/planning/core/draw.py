"""The verifiable double-random draw `ssj-draw-v1` (DRAW_SPEC.md §2–§6), pure and exact.

    run_draw(announcement, reveal) -> result     the whole draw: the result.json object of §6
      parse_announcement -> Plan                 §1, §7 refuse what the spec does not allow
      announcement_hash, check_reveal            §1–§2 the reveal opens the commitments
      check_reveal_time                          §1 no reveal before beacon_at
      compute_seed                               §2
      stratum_pis, inclusion_probabilities       §3 integer π, Σπ = n·D
      select_stratum                             §4 systematic selection in HMAC order
      match_inspectors                           §5 teams by (load, HMAC)
    result_hash(result)                          §6
    DrawError(code, message, message_zh)         every refusal, with a stable code

A million units draw in seconds: per-unit work stays in C (hashlib, sorting, accumulate,
bisect), π is computed once per risk weight, and §5 hashes only the lowest load levels.
Ids are compared by code point (Python's str order, the same as UTF-8 byte order), never by
JCS's UTF-16 order, which applies to object keys only (§7).
"""
from __future__ import annotations

from bisect import bisect_right, insort
from collections import Counter
from hashlib import sha256
from heapq import nsmallest
from itertools import accumulate, compress, islice
from typing import AbstractSet, Any, Callable, Iterable, Mapping, Sequence

from sync_server.planning.core.draw_input import ALGO, ANNOUNCEMENT_KEYS, D, EXCLUSION_REASONS, MAX_INT, REVEAL_KEYS, Columns, DrawError, Drawn, Inspector, Instant, Json, Plan, Stratum, Team, _announcement_jcs, _bad, _integer, _jcs, _list, _object, _string, _string_list, beijing_time, check_beacon_after, instant, nonce_bytes, parse_announcement, parse_commitments, _field, _check_sorted, _weight_column, _weights, _check_sample_size

_IPAD = bytes(x ^ 0x36 for x in range(256))
_OPAD = bytes(x ^ 0x5C for x in range(256))


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
    _check_reveal(announcement_hash(announcement), parse_commitments(_field(announcement, "commitments")), reveal)


def check_reveal_time(announcement: Json, now: str) -> None:
    """§1: DrawError before the announcement's beacon_at, when nobody can know the beacon value."""
    beacon_at = _field(announcement, "beacon_at")
    if instant(now, "now") < instant(beacon_at, "beacon_at"):
        beacon = announcement.get("beacon")
        named = f"（{beacon}）" if type(beacon) is str else ""
        raise DrawError("draw.beacon_not_yet", f"the beacon is public from {beacon_at}; no reveal before then",
                        f"公共随机源{named}在北京时间 {beijing_time(beacon_at)} 才公布，此前谁也不可能知道它的值，"
                        "不能揭示随机数；请在公布后录入公布的值", {"beacon_at": beacon_at})


def compute_seed(announcement_hash: str, beacon_value: str, nonces: list[str]) -> bytes:
    document = {"announcement": announcement_hash, "beacon": beacon_value, "nonces": list(nonces)}
    return sha256(ALGO.encode() + b"\x00" + _jcs(document)).digest()


def _check_reveal(ahash: str, commitments: Sequence[str], reveal: Json) -> None:
    _object(reveal, REVEAL_KEYS, "reveal")
    _string(reveal["beacon_value"], "beacon_value")
    nonces = [nonce_bytes(nonce, index) for index, nonce in enumerate(_string_list(reveal["nonces"], "nonces"))]
    if reveal["announcement_hash"] != ahash:
        raise DrawError("draw.hash_mismatch", "the reveal names another announcement",
                        "揭示文件的公告哈希与公告不一致", {"expected": ahash})
    if len(nonces) != len(commitments):
        raise DrawError("draw.nonce_count", f"{len(nonces)} nonces for {len(commitments)} commitments",
                        f"随机数个数（{len(nonces)}）与承诺个数（{len(commitments)}）不一致")
    for index, (nonce, commitment) in enumerate(zip(nonces, commitments)):
        if sha256(nonce).hexdigest() != commitment:
            raise DrawError("draw.commitment_not_opened", f"nonce {index} does not open its commitment",
                            f"第 {index + 1} 个随机数与其承诺不符", {"index": index})


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
