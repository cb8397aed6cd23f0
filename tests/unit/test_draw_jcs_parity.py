"""The standalone verifier's own canonical JSON, and the draw's fast announcement hash, give the
same bytes as schemas.jcs: escapes, raw non-ASCII, and keys sorted by UTF-16 code units."""
from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings, strategies as st

from schemas.errors import ContractError
from schemas.jcs import canonicalize
from sync_server.planning.core import draw
from verifier import ssj_verify

# U+E000 and U+FFFF sort after U+1F600 by code point but before it by UTF-16 code unit.
TRICKY = "a\x00\x01\x1f\x7f\"\\/é中\ue000\uffff\U0001F600\U00010000\u2028 \b\f\n\r\t"
TEXT = st.text(alphabet=TRICKY, max_size=6) | st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=6)
INTEGERS = st.integers(-(2**53) + 1, 2**53 - 1)
VALUES = st.recursive(st.none() | st.booleans() | INTEGERS | TEXT,
                      lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
                      max_leaves=25)


@settings(max_examples=300)
@given(VALUES)
def test_verifier_jcs_equals_schemas_jcs(value: object) -> None:
    assert ssj_verify.jcs(value) == canonicalize(value)


@given(st.recursive(st.none() | st.booleans() | INTEGERS | TEXT,
                    lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.text(alphabet="abc_Z09", max_size=4), inner, max_size=4), max_leaves=25))
def test_the_quick_comparison_writes_jcs_for_ascii_keys(value: object) -> None:
    assert ssj_verify._dumps(value) == canonicalize(value)


def test_keys_sort_by_utf16_code_units() -> None:
    value = {"\ue000": 1, "\U0001F600": 2, "a": 3, "\uffff": 4}
    expected = '{"a":3,"\U0001F600":2,"\ue000":1,"\uffff":4}'.encode()
    assert ssj_verify.jcs(value) == canonicalize(value) == expected


def test_escapes() -> None:
    assert ssj_verify.jcs("\x00\x08\t\n\x0b\x0c\r\x1f\"\\/\x7f中😀") == \
        '"\\u0000\\b\\t\\n\\u000b\\f\\r\\u001f\\"\\\\/\x7f中😀"'.encode()


@pytest.mark.parametrize("value", [1.5, 2**53, -(2**53), float("nan"), {1: "a"}, object()])
def test_verifier_refuses_what_is_not_integer_json(value: object) -> None:
    with pytest.raises(ssj_verify.BadInput):
        ssj_verify.jcs(value)


def test_lone_surrogates_are_refused_everywhere() -> None:
    with pytest.raises(ssj_verify.BadInput):
        ssj_verify.jcs({"a": "\ud800"})
    with pytest.raises(ContractError):
        canonicalize({"a": "\ud800"})
    units = [{"id": "\udfff", "stratum": "s", "risk": "A"}]
    with pytest.raises(draw.DrawError):
        draw.announcement_hash(_announcement(units))
    with pytest.raises(ssj_verify.BadInput):
        ssj_verify.announcement_hash(_announcement(units))


@pytest.mark.parametrize("text", [b'{"a":1,"a":2}', b'{"n":1.0}', b'{"n":1e3}', b'[NaN]', b'\xef\xbb\xbf{}',
                                  b'{"a":', b'\xff'])
def test_verifier_parsing_refuses(text: bytes) -> None:
    with pytest.raises(ssj_verify.BadInput):
        ssj_verify.parse_json(text)


def test_verifier_parsing_accepts_integers_and_unicode() -> None:
    assert ssj_verify.parse_json('{"n":-3,"s":"中\\ud83d\\ude00"}'.encode()) == {"n": -3, "s": "中😀"}


# --- the announcement hash, whose million units are written by a template ----------------------

def _announcement(units: list) -> dict:
    return {"algo": "ssj-draw-v1", "task": "t", "announced_at": "2026-01-01T00:00:00Z",
            "strata": [{"name": "s", "n": 0}], "risk_weights": {"A": 1}, "team_size": 2,
            "specialty": "x", "units": units, "inspectors": [], "exclusions": [], "commitments": [], "beacon": "b",
            "beacon_at": "2026-01-02T00:00:00Z"}


UNITS = st.lists(st.fixed_dictionaries({"id": TEXT, "stratum": TEXT, "risk": TEXT}), max_size=6)
ODD_UNITS = st.lists(st.one_of(st.fixed_dictionaries({"id": INTEGERS, "stratum": TEXT, "risk": TEXT}),
                               st.fixed_dictionaries({"id": TEXT, "stratum": TEXT}),
                               st.fixed_dictionaries({"id": TEXT, "stratum": TEXT, "risk": TEXT, "x": TEXT}),
                               st.lists(TEXT, max_size=3)), min_size=1, max_size=4)


@settings(max_examples=200)
@given(UNITS | ODD_UNITS, st.dictionaries(TEXT, VALUES, max_size=2))
def test_announcement_hash_equals_the_general_writer(units: list, extra: dict) -> None:
    for announcement in (_announcement(units), dict(extra, **_announcement(units)), {"units": units}):
        expected = hashlib.sha256(canonicalize(announcement)).hexdigest()
        assert draw.announcement_hash(announcement) == expected
        assert ssj_verify.announcement_hash(announcement) == expected


# --- ids are ordered by code point, not by UTF-16 code unit (DRAW_SPEC §7) --------------------

# U+FF21 (Ａ) is before U+1F600 (😀) by code point and UTF-8 bytes, after it by UTF-16 code unit.
FULLWIDTH, EMOJI = "\uff21", "\U0001F600"
assert (FULLWIDTH < EMOJI) and FULLWIDTH.encode("utf-16-be") > EMOJI.encode("utf-16-be")


def _two_scripts() -> dict:
    """Units and inspectors whose ids differ in exactly those characters, in code-point order."""
    units = sorted(f"9137{c}{i}" for c in (FULLWIDTH, EMOJI, "Z") for i in range(4))
    people = sorted(f"P{c}{i}" for c in (FULLWIDTH, EMOJI, "Z") for i in range(3))
    nonce = "5a" * 16
    return dict(_announcement([{"id": u, "stratum": "s", "risk": "A" if k % 3 else "B"}
                               for k, u in enumerate(units)]),
                strata=[{"name": "s", "n": 7}], risk_weights={"A": 1, "B": 3},
                inspectors=[{"id": p, "specialties": ["x"], "load": k % 2} for k, p in enumerate(people)],
                exclusions=[{"inspector": people[0], "unit": units[1], "reason": "recusal"}],
                commitments=[hashlib.sha256(bytes.fromhex(nonce)).hexdigest()]), nonce


def test_ids_in_code_point_order_draw_the_same_bytes_in_both() -> None:
    ann, nonce = _two_scripts()
    assert [u["id"][4] for u in ann["units"]][::4] == ["Z", FULLWIDTH, EMOJI]
    reveal = {"announcement_hash": draw.announcement_hash(ann), "beacon_value": "1 2 3", "nonces": [nonce]}
    result = draw.run_draw(ann, reveal)
    plan = ssj_verify.read_announcement(ann)
    expected = ssj_verify.expected_result(plan, ssj_verify.announcement_hash(ann), reveal)
    assert ssj_verify.jcs(expected) == canonicalize(result) == ssj_verify.jcs(result)
    assert ssj_verify.verify(ann, reveal, result) == []
    assert [i for _, _, ids, _ in plan.strata for i in ids] == [u["id"] for u in ann["units"]]
    assert {p for e in result["selected"] for p in e["team"]} & {p["id"] for p in ann["inspectors"]
                                                                  if EMOJI in p["id"]}


@pytest.mark.parametrize("field", ["units", "inspectors"])
def test_ids_in_utf16_order_are_refused_by_both(field: str) -> None:
    ann, _ = _two_scripts()
    ann[field].sort(key=lambda item: item["id"].encode("utf-16-be"))
    with pytest.raises(draw.DrawError) as caught:
        draw.parse_announcement(ann)
    assert caught.value.code == "draw.not_sorted"
    with pytest.raises(ssj_verify.BadInput) as refused:
        ssj_verify.read_announcement(ann)
    assert f"{field} must be sorted by id" in refused.value.message
