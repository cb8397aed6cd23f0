"""Unified social credit codes (GB 32100-2015)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync_server.registry.core import uscc

# The standard's own example, and codes published in the national enterprise
# credit information publicity system (华为技术有限公司, 深圳市腾讯计算机系统有限公司,
# 阿里巴巴（中国）有限公司, 北京小米科技有限责任公司).
PUBLISHED = (
    "91350100M000100Y43",
    "914403001922038216",
    "91440300708461136T",
    "91330100799655058B",
    "91110108551385082Q",
)

charset_chars = st.sampled_from(uscc.CHARSET)
parts = st.tuples(
    charset_chars,
    charset_chars,
    st.text("0123456789", min_size=6, max_size=6),
    st.text(uscc.CHARSET, min_size=8, max_size=8),
)


@pytest.mark.parametrize("code", PUBLISHED)
def test_published_codes_are_valid(code: str) -> None:
    assert uscc.is_valid(code)
    assert uscc.check_digit(code[:17]) == code[17]


@pytest.mark.parametrize("code", PUBLISHED)
def test_published_codes_carry_a_valid_organisation_code(code: str) -> None:
    assert uscc.org_code_check(code[8:16]) == code[16]


def test_standard_example_check_digit() -> None:
    assert uscc.check_digit("91350100M000100Y4") == "3"


def test_make_rebuilds_the_standard_example() -> None:
    assert uscc.make("9", "1", "350100", "M000100Y") == "91350100M000100Y43"


def test_weights_are_powers_of_three_mod_31() -> None:
    assert uscc.WEIGHTS == tuple(pow(3, i, 31) for i in range(17))
    assert len(uscc.CHARSET) == 31 and not set("IOZSV") & set(uscc.CHARSET)


@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y44",  # wrong check character
        "91350100M000100Y4",  # too short
        "91350100M000100Y433",  # too long
        "91350100m000100Y43",  # lower case
        "91350100O000100Y43",  # O is not in the charset
        "91350100M000100Z43",  # Z is not in the charset
        "913501000000100Y43",  # one character changed
        "",
    ],
)
def test_corrupted_codes_are_invalid(code: str) -> None:
    assert not uscc.is_valid(code)


@pytest.mark.parametrize("value", [None, 91350100, b"91350100M000100Y43"])
def test_non_strings_are_invalid(value: object) -> None:
    assert not uscc.is_valid(value)


@pytest.mark.parametrize(
    "args",
    [
        ("", "1", "350100", "M000100Y"),
        ("9", "I", "350100", "M000100Y"),
        ("9", "1", "35010", "M000100Y"),
        ("9", "1", "35010A", "M000100Y"),
        ("9", "1", "350100", "M000100"),
        ("9", "1", "350100", "M000100O"),
    ],
)
def test_make_rejects_malformed_parts(args: tuple[str, str, str, str]) -> None:
    with pytest.raises(ValueError):
        uscc.make(*args)


def test_check_digit_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        uscc.check_digit("9135")
    with pytest.raises(ValueError):
        uscc.check_digit("91350100M000100YS")


@given(parts)
def test_made_codes_are_valid(p: tuple[str, str, str, str]) -> None:
    code = uscc.make(*p)
    assert len(code) == 18 and uscc.is_valid(code)
    assert code[16] == uscc.org_code_check(p[3])


@given(parts, st.integers(0, 17), st.one_of(charset_chars, st.characters()))
def test_any_single_character_change_is_detected(
    p: tuple[str, str, str, str], position: int, replacement: str
) -> None:
    code = uscc.make(*p)
    if replacement == code[position]:
        return
    changed = code[:position] + replacement + code[position + 1 :]
    assert not uscc.is_valid(changed)


@given(parts, st.integers(0, 15))
def test_adjacent_transpositions_are_detected(p: tuple[str, str, str, str], i: int) -> None:
    code = uscc.make(*p)
    if code[i] == code[i + 1]:
        return
    swapped = code[:i] + code[i + 1] + code[i] + code[i + 2 :]
    assert not uscc.is_valid(swapped)
