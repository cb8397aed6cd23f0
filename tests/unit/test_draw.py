"""The draw ssj-draw-v1 (DRAW_SPEC.md): hand-worked numbers, a literal reference implementation
of the spec to compare against, the invariants as properties, the frequencies of inclusion,
refusals, and the standalone verifier against the draw."""
from __future__ import annotations

import ast
import copy
import functools
import hashlib
import hmac
import inspect
import math
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from schemas.jcs import canonicalize
from sync_server.planning.core import draw
from sync_server.planning.core.draw import D, DrawError, Inspector
from verifier import ssj_verify

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- documents ------------------------------------------------------------------------------

def commit(nonce_hex: str) -> str:
    return hashlib.sha256(bytes.fromhex(nonce_hex)).hexdigest()


NONCES = ("00ff" * 8, "abcdef01" * 8)  # 16 and 32 bytes


def make_announcement(units, strata, inspectors, *, team_size=2, exclusions=(), weights=None,
                      nonces=NONCES) -> dict:
    return {"algo": "ssj-draw-v1", "task": "沂源卫〔2026〕随抽3号", "announced_at": "2026-03-02T01:00:00Z",
            "strata": [{"name": name, "n": n} for name, n in strata],
            "risk_weights": weights or {"A": 1, "B": 2, "C": 4, "D": 8}, "team_size": team_size,
            "specialty": "public_places",
            "units": [{"id": uid, "stratum": s, "risk": r} for uid, s, r in units],
            "inspectors": [{"id": pid, "specialties": list(sp), "load": load} for pid, sp, load in inspectors],
            "exclusions": [{"inspector": p, "unit": u, "reason": "recusal"} for p, u in exclusions],
            "commitments": [commit(x) for x in nonces], "beacon": "福彩3D 2026-03-05 开奖号码",
            "beacon_at": "2026-03-05T12:30:00Z"}


def make_reveal(announcement: dict, nonces=NONCES, beacon="7 3 9") -> dict:
    return {"announcement_hash": draw.announcement_hash(announcement), "beacon_value": beacon, "nonces": list(nonces)}


def small_example() -> tuple[dict, dict]:
    units = [(f"9137{i:04d}", "公共场所" if i % 3 else "学校", "ABCD"[i % 4]) for i in range(40)]
    inspectors = [(f"P{i:02d}", ["public_places"] if i != 3 else ["medical"], i % 2) for i in range(8)]
    ann = make_announcement(units, [("公共场所", 6), ("学校", 4)], inspectors,
                            exclusions=[("P00", "91370001"), ("P01", "91370002")])
    return ann, make_reveal(ann)


@functools.cache
def good_result() -> dict:
    """The draw of small_example() (do not change it: copy it)."""
    return draw.run_draw(*small_example())


# --- the spec, literally (slow, for small inputs) -------------------------------------------

def mac(seed: bytes, message: str) -> bytes:
    return hmac.new(seed, message.encode("utf-8"), hashlib.sha256).digest()


def ref_pis(ids: list[str], weights: list[int], n: int) -> list[int]:
    certain: set[int] = set()
    while True:
        rest = [i for i in range(len(ids)) if i not in certain]
        m, total = n - len(certain), sum(weights[i] for i in rest)
        more = {i for i in rest if m * weights[i] >= total}
        if not more:
            break
        certain |= more
    pi = {i: D for i in certain} | {i: m * D * weights[i] // total for i in rest}
    r = m * D - sum(pi[i] for i in rest)
    for i in sorted(rest, key=lambda i: (-(m * D * weights[i] % total), ids[i]))[:r]:
        pi[i] += 1
    return [pi[i] for i in range(len(ids))]


def ref_select(seed: bytes, h: str, ids: list[str], pis: list[int]) -> list[int]:
    order = sorted(range(len(ids)), key=lambda i: (mac(seed, f"ord|{h}|{ids[i]}"), ids[i]))
    u = int.from_bytes(mac(seed, f"start|{h}"), "big") % D
    cum, chosen = 0, []
    for i in order:
        lo, hi = cum, cum + pis[i]
        cum = hi
        k = max(0, -((u - lo) // D))  # the smallest k ≥ 0 with u + k·D ≥ lo
        if lo <= u + k * D < hi:
            chosen.append(i)
    return chosen


def ref_match(seed: bytes, ann: dict, units: list[str]) -> list:
    load = {p["id"]: p["load"] for p in ann["inspectors"]}
    excluded = {(e["inspector"], e["unit"]) for e in ann["exclusions"]}
    teams: list = []
    for t in units:
        eligible = [p["id"] for p in ann["inspectors"]
                    if ann["specialty"] in p["specialties"] and (p["id"], t) not in excluded]
        if len(eligible) < ann["team_size"]:
            teams.append(None)
            continue
        team: list[str] = []
        for _ in range(ann["team_size"]):
            pick = min((q for q in eligible if q not in team), key=lambda q: (load[q], mac(seed, f"insp|{t}|{q}")))
            team.append(pick)
            load[pick] += 1
        teams.append(team)
    return teams


def ref_draw(ann: dict, reveal: dict) -> dict:
    ahash = hashlib.sha256(canonicalize(ann)).hexdigest()
    seed = hashlib.sha256(b"ssj-draw-v1\x00" + canonicalize(
        {"announcement": ahash, "beacon": reveal["beacon_value"], "nonces": reveal["nonces"]})).digest()
    drawn = []
    for stratum in ann["strata"]:
        units = [u for u in ann["units"] if u["stratum"] == stratum["name"]]
        ids = [u["id"] for u in units]
        pis = ref_pis(ids, [ann["risk_weights"][u["risk"]] for u in units], stratum["n"])
        drawn += [{"stratum": stratum["name"], "rank": rank, "unit": ids[i], "pi": pis[i]}
                  for rank, i in enumerate(ref_select(seed, stratum["name"], ids, pis), 1)]
    teams = ref_match(seed, ann, [d["unit"] for d in drawn])
    return {"announcement_hash": ahash, "seed": seed.hex(),
            "selected": [dict(d, team=t) for d, t in zip(drawn, teams) if t is not None],
            "unmatched": [d for d, t in zip(drawn, teams) if t is None]}


# --- random announcements -------------------------------------------------------------------

NAMES = st.text(alphabet="公共场所学校|A😀 \"\\\n", min_size=1, max_size=4)
IDS = st.text(alphabet="0123456789AX甲😀\"\\\t", min_size=1, max_size=5)


@st.composite
def announcements(draw_: st.DrawFn) -> tuple[dict, dict]:
    names = draw_(st.lists(NAMES, min_size=1, max_size=3, unique=True))
    weights = draw_(st.dictionaries(st.sampled_from(["A", "B", "C", "D", "高风险"]), st.integers(1, 12), min_size=1))
    ids = sorted(draw_(st.lists(IDS, max_size=25, unique=True)))
    units = [(uid, draw_(st.sampled_from(names)), draw_(st.sampled_from(sorted(weights)))) for uid in ids]
    strata = [(name, draw_(st.integers(0, sum(1 for u in units if u[1] == name)))) for name in names]
    people = sorted(draw_(st.lists(st.text(alphabet="0123456789乙", min_size=1, max_size=3), max_size=7, unique=True)))
    inspectors = [(p, draw_(st.sampled_from([["public_places"], ["medical"], ["medical", "public_places"]])),
                   draw_(st.integers(0, 3))) for p in people]
    pairs = [(p, u[0]) for p in people for u in units]
    exclusions = draw_(st.lists(st.sampled_from(pairs), max_size=12)) if pairs else []
    nonces = draw_(st.lists(st.binary(min_size=16, max_size=64).map(bytes.hex), max_size=3))
    ann = make_announcement(units, strata, inspectors, team_size=draw_(st.integers(2, 3)), exclusions=exclusions,
                            weights=weights, nonces=nonces)
    return ann, make_reveal(ann, nonces, draw_(st.text(max_size=8)))


# --- §3 by hand -----------------------------------------------------------------------------

def test_pi_one_heavy_unit_becomes_certain() -> None:
    # W = 11, m = 2: 2·8 ≥ 11, so d is certain; then m = 1, W = 3: 10⁶/3 = 333333 rest 1 each,
    # r = 1 goes to the smallest id.
    units = [{"id": uid, "risk": risk} for uid, risk in zip("abcd", "AAAD")]
    assert draw.inclusion_probabilities(units, 2, {"A": 1, "D": 8}) == {
        "a": 333_334, "b": 333_333, "c": 333_333, "d": 1_000_000}


def test_pi_certainty_cascades() -> None:
    # W = 15, m = 3: 9 certain; W = 6, m = 2: 2·3 ≥ 6, so 3 certain too; W = 3, m = 1: stop.
    units = [{"id": uid, "risk": risk} for uid, risk in zip("abcde", "LLLMH")]
    assert draw.inclusion_probabilities(units, 3, {"L": 1, "M": 3, "H": 9}) == {
        "a": 333_334, "b": 333_333, "c": 333_333, "d": D, "e": D}


def test_pi_remainders_tie_across_weights_by_id() -> None:
    # W = 12, m = 2: 6 certain; W = 6, m = 1: 166666 rest 4 and 666666 rest 4; r = 2 → a, b.
    units = [{"id": uid, "risk": risk} for uid, risk in zip("abcd", "AABC")]
    assert draw.inclusion_probabilities(units, 2, {"A": 1, "B": 4, "C": 6}) == {
        "a": 166_667, "b": 166_667, "c": 666_666, "d": D}


def test_pi_edges() -> None:
    assert draw.stratum_pis([1, 2, 3], 0) == [0, 0, 0]
    assert draw.stratum_pis([1, 2, 3], 3) == [D, D, D]
    assert draw.stratum_pis([], 0) == []
    assert draw.stratum_pis([5, 5, 5, 5], 1) == [250_000] * 4


@SETTINGS
@given(st.lists(st.integers(1, 50), max_size=40), st.data())
def test_pi_invariants_and_reference(weights: list[int], data: st.DataObject) -> None:
    n = data.draw(st.integers(0, len(weights)))
    pis = draw.stratum_pis(weights, n)
    assert sum(pis) == n * D
    assert all(0 <= pi <= D for pi in pis)
    ids = [f"{i:03d}" for i in range(len(weights))]
    assert pis == ref_pis(ids, weights, n)
    assert ssj_verify.inclusion_probabilities(weights, n) == pis


# --- the whole draw against the literal spec ------------------------------------------------

@SETTINGS
@given(announcements())
def test_draw_equals_the_literal_spec_and_the_verifier_agrees(case: tuple[dict, dict]) -> None:
    ann, reveal = case
    result = draw.run_draw(ann, reveal)
    assert result == ref_draw(ann, reveal)
    assert ssj_verify.verify(ann, reveal, result) == []
    assert draw.announcement_hash(ann) == hashlib.sha256(canonicalize(ann)).hexdigest()
    assert draw.result_hash(result) == hashlib.sha256(canonicalize(result)).hexdigest()


@SETTINGS
@given(announcements())
def test_draw_invariants(case: tuple[dict, dict]) -> None:
    ann, reveal = case
    result = draw.run_draw(ann, reveal)
    drawn = result["selected"] + result["unmatched"]
    for stratum in ann["strata"]:
        ranks = sorted(d["rank"] for d in drawn if d["stratum"] == stratum["name"])
        assert ranks == list(range(1, stratum["n"] + 1))
    assert len({d["unit"] for d in drawn}) == len(drawn)
    assert all(d["pi"] > 0 for d in drawn)
    _check_certain_units_drawn(ann, drawn)
    _check_teams(ann, result)


def _check_certain_units_drawn(ann: dict, drawn: list[dict]) -> None:
    for stratum in ann["strata"]:
        units = [u for u in ann["units"] if u["stratum"] == stratum["name"]]
        pis = draw.inclusion_probabilities(units, stratum["n"], ann["risk_weights"])
        assert {uid for uid, pi in pis.items() if pi == D} <= {d["unit"] for d in drawn}


def _check_teams(ann: dict, result: dict) -> None:
    holders = {p["id"] for p in ann["inspectors"] if ann["specialty"] in p["specialties"]}
    excluded = {(e["inspector"], e["unit"]) for e in ann["exclusions"]}
    for entry in result["selected"]:
        assert len(entry["team"]) == len(set(entry["team"])) == ann["team_size"]
        assert set(entry["team"]) <= holders
        assert not any((p, entry["unit"]) in excluded for p in entry["team"])
    for entry in result["unmatched"]:
        assert len(holders - {p for p, u in excluded if u == entry["unit"]}) < ann["team_size"]


# --- §4 frequencies -------------------------------------------------------------------------

def test_inclusion_frequencies_match_pi() -> None:
    """Over 3,000 fixed seeds each unit is drawn about runs·π/D times (within 5 binomial σ)."""
    weights = [1, 1, 1, 2, 2, 3, 5, 8, 13, 1, 2, 40]  # 40 and then 13 become certain
    ids = [f"u{i:02d}" for i in range(len(weights))]
    pis = draw.stratum_pis(weights, 4)
    runs = 3000
    counts = Counter(i for k in range(runs)
                     for i in draw.select_stratum(hashlib.sha256(b"freq%d" % k).digest(), "h", ids, pis))
    assert counts[11] == counts[8] == runs
    for i, pi in enumerate(pis):
        p = pi / D
        assert abs(counts[i] - runs * p) <= 5 * math.sqrt(runs * p * (1 - p)) + 1e-9, (ids[i], counts[i], runs * p)


@pytest.mark.parametrize("k", range(5))
def test_selection_boundaries_are_half_open(k: int) -> None:
    """lo ≤ u < hi: the unit whose interval ends exactly at u is not drawn, the next one is."""
    seed, ids = hashlib.sha256(b"edge%d" % k).digest(), ["a", "b"]
    u = int.from_bytes(mac(seed, "start|h"), "big") % D
    first = min((0, 1), key=lambda i: mac(seed, f"ord|h|{ids[i]}"))
    for width, drawn in ((u, 1 - first), (u + 1, first)):
        pis = [width, D - width] if first == 0 else [D - width, width]
        assert draw.select_stratum(seed, "h", ids, pis) == [drawn]
        assert ssj_verify.select(ssj_verify.Mac(seed), "h", ids, pis) == [drawn]


def test_selection_equals_the_literal_rule() -> None:
    ids = [f"u{i:02d}" for i in range(30)]
    pis = draw.stratum_pis([1 + i % 5 for i in range(30)], 7)
    for k in range(30):
        seed = hashlib.sha256(b"sel%d" % k).digest()
        assert draw.select_stratum(seed, "学校", ids, pis) == ref_select(seed, "学校", ids, pis)


# --- §5 matching ----------------------------------------------------------------------------

def people(count: int, load: int = 0) -> list[Inspector]:
    return [Inspector(f"P{i:02d}", frozenset({"public_places"}), load) for i in range(count)]


def test_matching_balances_load_with_random_ties() -> None:
    units = [f"U{i:03d}" for i in range(45)]
    teams = draw.match_inspectors(b"s" * 32, units, people(10), "public_places", 2, {})
    counts = Counter(p for team in teams for p in team)
    assert max(counts.values()) - min(counts.values()) <= 1
    firsts = {team[0] for team in teams[:5]}
    assert len(firsts) == 5  # ties at equal load go by HMAC, not by id


def test_matching_skips_wrong_specialty_and_exclusions() -> None:
    pool = people(4) + [Inspector("P99", frozenset({"medical"}), 0)]
    teams = draw.match_inspectors(b"k" * 32, ["U1", "U2"], pool, "public_places", 3,
                                  {"U1": frozenset({"P00"}), "U2": frozenset({"P00", "P01"})})
    assert teams[0] is not None and set(teams[0]) <= {"P01", "P02", "P03"}
    assert teams[1] is None


def test_unmatched_unit_leaves_loads_unchanged() -> None:
    pool = people(3)
    alone = draw.match_inspectors(b"z" * 32, ["U2", "U3"], pool, "public_places", 2, {})
    after = draw.match_inspectors(b"z" * 32, ["U1", "U2", "U3"], pool, "public_places", 2,
                                  {"U1": frozenset({"P00", "P01"})})
    assert after == [None, *alone]


def test_lower_load_goes_first() -> None:
    pool = [Inspector("P00", frozenset({"public_places"}), 5), Inspector("P01", frozenset({"public_places"}), 0),
            Inspector("P02", frozenset({"public_places"}), 1)]
    assert draw.match_inspectors(b"q" * 32, ["U1"], pool, "public_places", 2, {}) == [("P01", "P02")]


# --- refusals -------------------------------------------------------------------------------

def test_reveal_refusals() -> None:
    ann, reveal = small_example()
    draw.check_reveal(ann, reveal)
    cases = {"draw.commitment_not_opened": dict(reveal, nonces=["00fe" * 8, NONCES[1]]),
             "draw.nonce_count": dict(reveal, nonces=[NONCES[0]]),
             "draw.hash_mismatch": dict(reveal, announcement_hash="0" * 64),
             "draw.bad_nonce": dict(reveal, nonces=[NONCES[0].upper(), NONCES[1]])}
    for code, bad in cases.items():
        with pytest.raises(DrawError) as caught:
            draw.run_draw(ann, bad)
        assert caught.value.code == code and caught.value.message_zh


def test_verifier_reports_a_nonce_that_does_not_open() -> None:
    ann, reveal = small_example()
    result = draw.run_draw(ann, reveal)
    problems = ssj_verify.verify(ann, dict(reveal, nonces=["00fe" * 8, NONCES[1]]), result)
    assert len(problems) == 1 and "nonce 0 does not open" in problems[0]


BAD_NONCES = {"uppercase": "00FF" * 8, "15 bytes": "ab" * 15, "65 bytes": "ab" * 65, "odd length": "abc" * 11,
              "not hex": "0g" * 16, "spaced": " " + "ab" * 16}


@pytest.mark.parametrize("form", BAD_NONCES)
def test_a_nonce_of_another_form_is_refused_by_both(form: str) -> None:
    """§2: lowercase hex of 16 to 64 bytes, one spelling per value; refused even when its
    bytes open the commitment."""
    nonce = BAD_NONCES[form]
    ann, _ = small_example()
    try:
        ann["commitments"][0] = commit(nonce.strip())
    except ValueError:
        pass  # not hex at all: the commitment stays, the form is refused first
    reveal = make_reveal(ann, (nonce, NONCES[1]))
    with pytest.raises(DrawError) as caught:
        draw.run_draw(ann, reveal)
    assert caught.value.code == "draw.bad_nonce" and "16" in caught.value.message_zh
    with pytest.raises(ssj_verify.BadInput) as refused:
        ssj_verify.verify(ann, reveal, good_result())
    assert "nonce 0" in refused.value.message and "16" in refused.value.message_zh


def test_nonces_of_16_and_64_bytes_are_taken() -> None:
    nonces = ("0a" * 16, "f0" * 64)
    ann, _ = small_example()
    ann["commitments"] = [commit(x) for x in nonces]
    reveal = make_reveal(ann, nonces)
    assert ssj_verify.verify(ann, reveal, draw.run_draw(ann, reveal)) == []


def _broken(change) -> dict:  # type: ignore[no-untyped-def]
    ann, _ = small_example()
    change(ann)
    return ann


def _times(announced: str, beacon: str):  # type: ignore[no-untyped-def]
    return lambda a: a.update(announced_at=announced, beacon_at=beacon)


# (code the draw gives, words the verifier's message holds or None, the change)
INVALID = {
    "n too large": ("draw.sample_size", None, lambda a: a["strata"][0].update(n=1000)),
    "n negative": ("draw.sample_size", None, lambda a: a["strata"][0].update(n=-1)),
    "team of one": ("draw.team_size", None, lambda a: a.update(team_size=1)),
    "units reversed": ("draw.not_sorted", None, lambda a: a["units"].reverse()),
    "unit twice": ("draw.not_sorted", None, lambda a: a["units"].insert(1, dict(a["units"][0]))),
    "unknown risk": ("draw.unknown_risk", None, lambda a: a["units"][0].update(risk="Z")),
    "unknown stratum": ("draw.unknown_stratum", None, lambda a: a["units"][0].update(stratum="别处")),
    "float n": ("draw.not_integer", None, lambda a: a["strata"][0].update(n=2.0)),
    "bool team size": ("draw.not_integer", None, lambda a: a.update(team_size=True)),
    "zero weight": ("draw.bad_weight", None, lambda a: a["risk_weights"].update(A=0)),
    "extra field": ("draw.bad_document", "unexpected fields ['extra']", lambda a: a.update(extra=1)),
    "unit without risk": ("draw.bad_document", None, lambda a: a["units"][0].pop("risk")),
    "other algo": ("draw.algo", None, lambda a: a.update(algo="ssj-draw-v2")),
    "stratum twice": ("draw.duplicate_stratum", None, lambda a: a["strata"].append(dict(a["strata"][0]))),
    "bad reason": ("draw.bad_reason", None, lambda a: a["exclusions"][0].update(reason="friend")),
    "negative load": ("draw.bad_load", None, lambda a: a["inspectors"][0].update(load=-1)),
    "no beacon_at": ("draw.bad_document", "missing fields ['beacon_at']", lambda a: a.pop("beacon_at")),
    "beacon_at not a string": ("draw.bad_time", "beacon_at", lambda a: a.update(beacon_at=1772713800)),
    "beacon_at = announced_at": ("draw.beacon_in_past", "beacon_at",
                                 _times("2026-03-02T01:00:00Z", "2026-03-02T01:00:00Z")),
    "beacon_at before": ("draw.beacon_in_past", "beacon_at", _times("2026-03-02T01:00:00Z", "2026-03-01T23:59:59Z")),
    "the same instant spelled twice": ("draw.beacon_in_past", "beacon_at",
                                       _times("2026-03-02T01:00:00Z", "2026-03-02T01:00:00.000Z")),
    "the same fraction spelled twice": ("draw.beacon_in_past", "beacon_at",
                                        _times("2026-03-02T01:00:00.5Z", "2026-03-02T01:00:00.50Z")),
    "an offset, not Z": ("draw.bad_time", "announced_at", lambda a: a.update(announced_at="2026-03-02T09:00:00+08:00")),
    "a lowercase z": ("draw.bad_time", "beacon_at", lambda a: a.update(beacon_at="2026-03-05T12:30:00z")),
    "no seconds": ("draw.bad_time", "beacon_at", lambda a: a.update(beacon_at="2026-03-05T12:30Z")),
    "a space for T": ("draw.bad_time", "beacon_at", lambda a: a.update(beacon_at="2026-03-05 12:30:00Z")),
    "no such day": ("draw.bad_time", "beacon_at", lambda a: a.update(beacon_at="2026-02-30T12:30:00Z")),
    "hour 24": ("draw.bad_time", "beacon_at", lambda a: a.update(beacon_at="2026-03-05T24:00:00Z")),
    "a commitment in uppercase": ("draw.bad_commitment", "commitment 0",
                                  lambda a: a["commitments"].__setitem__(0, a["commitments"][0].upper())),
    "a short commitment": ("draw.bad_commitment", "commitment 1",
                           lambda a: a["commitments"].__setitem__(1, a["commitments"][1][:62])),
}


@pytest.mark.parametrize("case", INVALID)
def test_invalid_announcements_are_refused_by_both(case: str) -> None:
    code, words, change = INVALID[case]
    ann = _broken(change)
    with pytest.raises(DrawError) as caught:
        draw.run_draw(ann, make_reveal(ann))
    assert caught.value.code == code and caught.value.message_zh
    with pytest.raises(ssj_verify.BadInput) as refused:
        ssj_verify.verify(ann, make_reveal(ann), good_result())
    assert words is None or words in refused.value.message, refused.value.message


@pytest.mark.parametrize("announced, beacon", [("2026-03-02T01:00:00.5Z", "2026-03-02T01:00:00.51Z"),
                                               ("2026-03-02T01:00:00.999Z", "2026-03-02T01:00:01Z"),
                                               ("2026-12-31T23:59:59.9Z", "2026-12-31T23:59:60Z"),
                                               ("2026-12-31T23:59:60Z", "2027-01-01T00:00:00Z"),
                                               ("2028-02-29T00:00:00Z", "2028-03-01T00:00:00Z")])
def test_times_are_compared_as_instants(announced: str, beacon: str) -> None:
    ann, _ = small_example()
    ann.update(announced_at=announced, beacon_at=beacon)
    reveal = make_reveal(ann)
    assert ssj_verify.verify(ann, reveal, draw.run_draw(ann, reveal)) == []
    ann.update(announced_at=beacon, beacon_at=announced)
    with pytest.raises(DrawError):
        draw.parse_announcement(ann)
    with pytest.raises(ssj_verify.BadInput):
        ssj_verify.read_announcement(ann)


def test_no_reveal_before_the_beacon_is_public() -> None:
    ann, _ = small_example()  # beacon_at 2026-03-05T12:30:00Z, 20:30 in Beijing
    with pytest.raises(DrawError) as caught:
        draw.check_reveal_time(ann, "2026-03-05T12:29:59.999Z")
    assert caught.value.code == "draw.beacon_not_yet"
    assert "北京时间 2026-03-05 20:30:00" in caught.value.message_zh and "2026-03-05T12:30:00Z" in caught.value.message
    for now in ("2026-03-05T12:30:00.000Z", "2026-03-05T12:30:00.001Z", "2027-01-01T00:00:00Z"):
        draw.check_reveal_time(ann, now)


def _result_with(change):  # type: ignore[no-untyped-def]
    result = copy.deepcopy(good_result())
    change(result)
    return result


RESULT_SHAPES = {
    "an extra field": lambda r: r.update(note="x"),
    "a missing field": lambda r: r.pop("unmatched"),
    "an entry with an extra field": lambda r: r["selected"][0].update(note="x"),
    "an entry without its team": lambda r: r["selected"][0].pop("team"),
    "an unmatched entry with a team": lambda r: r["unmatched"].append(dict(r["selected"][0])),
}


@pytest.mark.parametrize("shape", RESULT_SHAPES)
def test_the_verifier_refuses_a_result_with_other_fields(shape: str) -> None:
    """§7: result.json holds exactly the fields of §6; anything else is refused (exit 2), not
    compared."""
    ann, reveal = small_example()
    with pytest.raises(ssj_verify.BadInput) as refused:
        ssj_verify.verify(ann, reveal, _result_with(RESULT_SHAPES[shape]))
    assert "result" in refused.value.message and "结果" in refused.value.message_zh


# --- the verifier finds tampering -----------------------------------------------------------

def _tamper_team(r: dict) -> None:
    r["selected"][0]["team"].reverse()


def _tamper_member(r: dict) -> None:
    r["selected"][0]["team"][1] = "P07" if r["selected"][0]["team"][1] != "P07" else "P06"


def _swap_units(r: dict) -> None:
    first, second = r["selected"][0], r["selected"][1]
    first["unit"], second["unit"] = second["unit"], first["unit"]


def _tamper_pi(r: dict) -> None:
    r["selected"][2]["pi"] += 1


def _tamper_seed(r: dict) -> None:
    r["seed"] = ("1" if r["seed"][0] != "1" else "2") + r["seed"][1:]


def _rank_as_bool(r: dict) -> None:
    r["selected"][0]["rank"] = True  # equal in Python, different bytes


TAMPERS = {"team": _tamper_team, "team ": _tamper_member, "unit": _swap_units, "pi": _tamper_pi,
           "seed": _tamper_seed, "rank": _rank_as_bool}


@pytest.mark.parametrize("where", TAMPERS)
def test_verifier_reports_where_a_result_was_changed(where: str) -> None:
    ann, reveal = small_example()
    result = draw.run_draw(ann, reveal)
    assert result["selected"][0]["rank"] == 1 and len(result["selected"]) >= 3
    tampered = copy.deepcopy(result)
    TAMPERS[where](tampered)
    problems = ssj_verify.verify(ann, reveal, tampered)
    assert problems and where.strip() in problems[0] and " / " in problems[0]


def test_verifier_reports_a_missing_entry() -> None:
    ann, reveal = small_example()
    result = draw.run_draw(ann, reveal)
    result["selected"].pop()
    assert any("expected" in line and "entries" in line for line in ssj_verify.verify(ann, reveal, result))


# --- layers ---------------------------------------------------------------------------------

def _imports(module) -> set[str]:  # type: ignore[no-untyped-def]
    tree = ast.parse(inspect.getsource(module))
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    return names | {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}


def test_draw_is_pure_and_the_verifier_standalone() -> None:
    io = {"os", "sqlite3", "socket", "http", "pathlib", "subprocess", "io", "httpx", "sqlite_utils"}
    assert not {name.split(".")[0] for name in _imports(draw)} & io
    project = {"schemas", "sync_server", "field_app", "verifier", "tests"}
    assert not {name.split(".")[0] for name in _imports(ssj_verify)} & project
