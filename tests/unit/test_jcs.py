"""RFC 8785 canonical JSON, checked against the RFC's own examples, and strict parsing."""
from __future__ import annotations

import json
import struct

import pytest
from hypothesis import given, strategies as st

from schemas.errors import ContractError
from schemas.jcs import canonicalize, canonicalize_parsed, format_number, loads_strict

# RFC 8785 Appendix B: IEEE 754 bit patterns and their canonical text.
NUMBERS = {
    "0000000000000000": "0", "8000000000000000": "0", "0000000000000001": "5e-324",
    "8000000000000001": "-5e-324", "7fefffffffffffff": "1.7976931348623157e+308",
    "ffefffffffffffff": "-1.7976931348623157e+308", "4340000000000000": "9007199254740992",
    "c340000000000000": "-9007199254740992", "4430000000000000": "295147905179352830000",
    "44b52d02c7e14af5": "9.999999999999997e+22", "44b52d02c7e14af6": "1e+23",
    "44b52d02c7e14af7": "1.0000000000000001e+23", "444b1ae4d6e2ef4e": "999999999999999700000",
    "444b1ae4d6e2ef4f": "999999999999999900000", "444b1ae4d6e2ef50": "1e+21",
    "3eb0c6f7a0b5ed8c": "9.999999999999997e-7", "3eb0c6f7a0b5ed8d": "0.000001",
    "41b3de4355555553": "333333333.3333332", "41b3de4355555554": "333333333.33333325",
    "41b3de4355555555": "333333333.3333333", "41b3de4355555556": "333333333.3333334",
    "41b3de4355555557": "333333333.33333343", "becbf647612f3696": "-0.0000033333333333333333",
    "43143ff3c1cb0959": "1424953923781206.2",
}


@pytest.mark.parametrize("bits,expected", NUMBERS.items())
def test_rfc8785_number_examples(bits: str, expected: str) -> None:
    assert format_number(struct.unpack(">d", bytes.fromhex(bits))[0]) == expected


def test_rfc8785_main_example() -> None:
    # RFC 8785 §3.2.2 input and its canonical output.
    text = ('{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],'
            ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",'
            ' "literals": [null, true, false]}')
    expected = ('{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
                '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}')
    assert canonicalize(loads_strict(text, allow_floats=True)).decode("utf-8") == expected


def test_rfc8785_sorting_example() -> None:
    # RFC 8785 §3.2.3: keys sorted by UTF-16 code units, so the emoji sorts before U+FB33.
    obj = {"\u20ac": "Euro Sign", "\r": "Carriage Return", "\ufb33": "Hebrew Letter Dalet With Dagesh",
           "1": "One", "\U0001f600": "Emoji: Grinning Face", "\u0080": "Control",
           "\u00f6": "Latin Small Letter O With Diaeresis"}
    keys = list(json.loads(canonicalize(obj)))
    assert keys == ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]


def test_chinese_is_written_raw_as_utf8() -> None:
    assert canonicalize({"单位": "云溪县"}) == '{"单位":"云溪县"}'.encode("utf-8")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=30)


@given(json_values)
def test_canonical_round_trip(value: object) -> None:
    data = canonicalize(value)
    assert loads_strict(data) == value
    assert canonicalize(loads_strict(data)) == data


@given(st.dictionaries(st.text(), st.integers(), min_size=2))
def test_key_order_does_not_matter(obj: dict) -> None:
    reversed_obj = dict(reversed(list(obj.items())))
    assert canonicalize(reversed_obj) == canonicalize(obj)


@pytest.mark.parametrize("data,code", [
    (b'{"id": 1, "id": 2}', "json.duplicate_key"),
    (b'{"a": {"x": 1, "x": 1}}', "json.duplicate_key"),
    (b'{"lat": 36.1}', "json.float"),
    (b'{"n": 1e3}', "json.float"),
    (b'{"n": NaN}', "json.bad_number"),
    (b'{"name": "\xff\xfe"}', "json.not_utf8"),
    (b'\xef\xbb\xbf{}', "json.bom"),
    (b'{"a": ', "json.malformed"),
])
def test_strict_parsing_refuses(data: bytes, code: str) -> None:
    with pytest.raises(ContractError) as caught:
        loads_strict(data)
    assert caught.value.code == code
    assert caught.value.message_zh


def test_lone_surrogate_cannot_be_canonical() -> None:
    with pytest.raises(ContractError):
        canonicalize({"a": "\ud800"})


strict_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(alphabet=st.characters(codec="utf-8")),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(alphabet=st.characters(codec="utf-8"), max_size=4), inner, max_size=5),
    max_leaves=25)


@given(strict_values)
def test_fast_path_equals_full_jcs(value: object) -> None:
    assert canonicalize_parsed(value) == canonicalize(value)


def test_fast_path_falls_back_for_astral_keys() -> None:
    obj = {"\ufb33": 1, "\U0001f600": 2}
    assert canonicalize_parsed(obj) == canonicalize(obj) == '{"😀":2,"דּ":1}'.encode()


def test_unsafe_integers_are_refused() -> None:
    with pytest.raises(ContractError) as caught:
        loads_strict(b'{"n": 9007199254740993}')
    assert caught.value.code == "json.big_integer"
    assert loads_strict(b'{"n": 9007199254740991}') == {"n": 2**53 - 1}
