"""Unified social credit codes (统一社会信用代码, GB 32100-2015).

An 18-character code laid out as::

    position  1     registration department (登记管理部门代码), e.g. 9 工商, 1 机构编制, 5 民政
    position  2     organisation type (机构类别代码), e.g. 91 企业, 92 个体工商户, 12 事业单位
    positions 3-8   administrative division code (登记管理机关行政区划码)
    positions 9-17  organisation code (主体标识码): 8 characters + a GB 11714 check character
    position  18    check character over positions 1-17

The character set is 0-9 and A-Z without I, O, Z, S and V (31 characters, each
worth its index). The check character is ``31 - (sum(value * weight) mod 31)``
with weights 3**i mod 31, a value of 31 written as 0.
"""

from __future__ import annotations

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)  # GB 11714-1997, organisation code

_VALUE = {ch: i for i, ch in enumerate(CHARSET)}


def check_digit(first17: str) -> str:
    """The 18th character for the given first 17 characters."""
    if len(first17) != 17 or not _in_charset(first17):
        raise ValueError(f"need 17 characters from the USCC charset, got {first17!r}")
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, WEIGHTS))
    return CHARSET[(31 - total % 31) % 31]


def is_valid(code: object) -> bool:
    """True if ``code`` is 18 allowed characters whose check character matches (one pass: an
    import checks every row's code)."""
    if not isinstance(code, str) or len(code) != 18:
        return False
    try:
        total = sum(_VALUE[ch] * w for ch, w in zip(code, WEIGHTS))
    except KeyError:
        return False
    return code[17] in _VALUE and CHARSET[(31 - total % 31) % 31] == code[17]


def org_code_check(body8: str) -> str:
    """The GB 11714 check character of an 8-character organisation-code body."""
    if len(body8) != 8 or not _in_charset(body8):
        raise ValueError(f"need 8 characters from the USCC charset, got {body8!r}")
    total = sum(_org_value(ch) * w for ch, w in zip(body8, ORG_WEIGHTS))
    remainder = 11 - total % 11
    return {10: "X", 11: "0"}.get(remainder, str(remainder))


def make(registration_dept: str, org_type: str, division_code: str, org_code8: str) -> str:
    """Assemble a valid code from its parts, computing both check characters."""
    _require(len(registration_dept) == 1 and _in_charset(registration_dept), "registration_dept")
    _require(len(org_type) == 1 and _in_charset(org_type), "org_type")
    _require(len(division_code) == 6 and all(ch in "0123456789" for ch in division_code),
             "division_code")
    first17 = registration_dept + org_type + division_code + org_code8 + org_code_check(org_code8)
    return first17 + check_digit(first17)


def _in_charset(text: str) -> bool:
    return all(ch in _VALUE for ch in text)


def _org_value(ch: str) -> int:
    # GB 11714 values: digits as themselves, letters A=10 ... Z=35.
    return int(ch) if ch.isdigit() else ord(ch) - ord("A") + 10


def _require(ok: bool, field: str) -> None:
    if not ok:
        raise ValueError(f"invalid {field} for a unified social credit code")
