"""The standalone verifier's own canonical JSON, and the draw's fast announcement hash, give the
same bytes as schemas.jcs: escapes, raw non-ASCII, and keys sorted by UTF-16 code units."""
from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings, strategies as st

from schemas.errors import ContractError
from schemas.jcs import canonicalize
from sync_server.core import draw
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
            "specialty": "x", "units": units, "inspectors": [], "exclusions": [], "commitments": [], "beacon": "b"}


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
